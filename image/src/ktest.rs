//! In-kernel tests: registered in a linker section, run inside QEMU.
//!
//! `ktest!` places a [`KernelTest`] in the `.ktests` section; the linker
//! script brackets the section so [`tests`] sees every test in the image
//! without a central list. The command line selects them: `ktest` runs every
//! ordinary test, `ktest=PATTERN` every test whose name contains PATTERN,
//! including the crash tests that only run when named (they end the kernel
//! on purpose, and the host checks the report). After the run the kernel
//! prints `ktests: N passed, M failed` and exits QEMU with the status.
//!
//! Test functions return [`TestResult`]; `check!` and `check_eq!` fail a test
//! without ending the run. A panic or fatal exception inside a test is
//! reported as a crash of that test, then the summary is printed.

use core::fmt::{self, Write};
use core::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

use arch::trap::{FpuState, TrapFrame};

/// What a test returns.
pub type TestResult = Result<(), TestFailure>;

/// Why a test failed: where, and a message formatted without the heap.
pub struct TestFailure {
    /// Source file of the failed check.
    pub file: &'static str,
    /// Line of the failed check.
    pub line: u32,
    /// The formatted message (truncated at the buffer size).
    pub message: FixedText,
}

/// A fixed-capacity text buffer for failure messages.
pub struct FixedText {
    bytes: [u8; 192],
    len: usize,
}

impl FixedText {
    /// Formats `args`, keeping what fits.
    pub fn format(args: fmt::Arguments<'_>) -> Self {
        let mut text = Self {
            bytes: [0; 192],
            len: 0,
        };
        let _ = text.write_fmt(args);
        text
    }

    /// The text so far.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("<message not UTF-8>")
    }
}

impl Write for FixedText {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for ch in s.chars() {
            let mut buf = [0; 4];
            let encoded = ch.encode_utf8(&mut buf).as_bytes();
            if self.len + encoded.len() > self.bytes.len() {
                break;
            }
            self.bytes[self.len..self.len + encoded.len()].copy_from_slice(encoded);
            self.len += encoded.len();
        }
        Ok(())
    }
}

/// A failure with a fixed message, for `map_err` on setup steps.
pub fn fail(what: &'static str) -> TestFailure {
    TestFailure {
        file: "setup",
        line: 0,
        message: FixedText::format(format_args!("{what} failed")),
    }
}

/// Whether a test runs with the rest or only when named.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TestKind {
    /// Runs with `ktest` and must return `Ok`.
    Ordinary,
    /// Ends the kernel on purpose; runs only when its name is selected.
    Crash,
}

/// One registered test.
pub struct KernelTest {
    /// `module::function`.
    pub name: &'static str,
    /// The test body.
    pub run: fn() -> TestResult,
    /// Ordinary or crash test.
    pub kind: TestKind,
}

/// Registers a test function in the `.ktests` section.
macro_rules! ktest {
    ($(#[$meta:meta])* fn $name:ident() $body:block) => {
        $crate::ktest::ktest!(@register Ordinary $(#[$meta])* fn $name() $body);
    };
    ($(#[$meta:meta])* crash fn $name:ident() $body:block) => {
        $crate::ktest::ktest!(@register Crash $(#[$meta])* fn $name() $body);
    };
    (@register $kind:ident $(#[$meta:meta])* fn $name:ident() $body:block) => {
        $(#[$meta])*
        // The failure carries its message inline because tests may run
        // before the heap exists; its size costs nothing off the hot path.
        #[allow(clippy::result_large_err)]
        fn $name() -> $crate::ktest::TestResult $body
        const _: () = {
            #[unsafe(link_section = ".ktests")]
            #[used]
            static TEST: $crate::ktest::KernelTest = $crate::ktest::KernelTest {
                name: $crate::ktest::strip_crate(concat!(module_path!(), "::", stringify!($name))),
                run: $name,
                kind: $crate::ktest::TestKind::$kind,
            };
        };
    };
}
pub(crate) use ktest;

/// Fails the current test unless `cond` holds.
macro_rules! check {
    ($cond:expr) => {
        $crate::ktest::check!($cond, "check failed: {}", stringify!($cond))
    };
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err($crate::ktest::TestFailure {
                file: file!(),
                line: line!(),
                message: $crate::ktest::FixedText::format(format_args!($($fmt)+)),
            });
        }
    };
}
pub(crate) use check;

/// Fails the current test unless the two values are equal.
macro_rules! check_eq {
    ($left:expr, $right:expr) => {{
        let (left, right) = (&$left, &$right);
        $crate::ktest::check!(
            *left == *right,
            "{} == {} failed: {:?} != {:?}",
            stringify!($left),
            stringify!($right),
            left,
            right
        );
    }};
}
pub(crate) use check_eq;

/// `courage::a::b` becomes `a::b`.
pub const fn strip_crate(path: &'static str) -> &'static str {
    let bytes = path.as_bytes();
    let prefix = b"courage::";
    if bytes.len() < prefix.len() {
        return path;
    }
    let mut i = 0;
    while i < prefix.len() {
        if bytes[i] != prefix[i] {
            return path;
        }
        i += 1;
    }
    let (_, rest) = bytes.split_at(prefix.len());
    match core::str::from_utf8(rest) {
        Ok(rest) => rest,
        Err(_) => path,
    }
}

unsafe extern "C" {
    static __ktests_start: u8;
    static __ktests_end: u8;
}

/// Every test linked into the kernel.
pub fn tests() -> &'static [KernelTest] {
    // SAFETY: the linker script brackets `.ktests` with these symbols, and the
    // section holds only `KernelTest` statics placed by `ktest!`, so the bytes
    // between them are an array of initialised, immutable `KernelTest`s.
    unsafe {
        let start = (&raw const __ktests_start).cast::<KernelTest>();
        let end = &raw const __ktests_end;
        let count = (end as usize - start as usize) / core::mem::size_of::<KernelTest>();
        core::slice::from_raw_parts(start, count)
    }
}

static PASSED: AtomicUsize = AtomicUsize::new(0);
static FAILED: AtomicUsize = AtomicUsize::new(0);
static CURRENT: AtomicPtr<KernelTest> = AtomicPtr::new(core::ptr::null_mut());

fn selected(test: &KernelTest, filter: &str) -> bool {
    match test.kind {
        TestKind::Ordinary => filter.is_empty() || test.name.contains(filter),
        // A crash ends the boot, so only the one named exactly runs (a
        // substring could pick another whose name extends it, first in
        // whatever order the linker laid the tests out).
        TestKind::Crash => {
            !filter.is_empty()
                && test
                    .name
                    .strip_suffix(filter)
                    .is_some_and(|path| path.is_empty() || path.ends_with("::"))
        }
    }
}

/// Runs the tests `filter` selects, prints the summary and ends QEMU.
pub fn run(filter: &str) -> ! {
    let total = tests().iter().filter(|t| selected(t, filter)).count();
    arch::serial::write_fmt(format_args!(
        "ktest: running {total} of {} tests (filter \"{filter}\")\n",
        tests().len()
    ));
    for test in tests().iter().filter(|t| selected(t, filter)) {
        arch::serial::write_fmt(format_args!("ktest {} ... ", test.name));
        CURRENT.store(
            test as *const KernelTest as *mut KernelTest,
            Ordering::SeqCst,
        );
        let result = (test.run)();
        CURRENT.store(core::ptr::null_mut(), Ordering::SeqCst);
        // Let what the test's threads left settle (their dead threads are
        // freed by the next spawn or exit), so the next test's memory
        // accounting starts from a quiet system.
        crate::task::sleep_until(crate::time::now_ns() + 10_000_000);
        match result {
            Ok(()) => {
                PASSED.fetch_add(1, Ordering::SeqCst);
                arch::serial::write_fmt(format_args!("ok\n"));
            }
            Err(failure) => {
                FAILED.fetch_add(1, Ordering::SeqCst);
                arch::serial::write_fmt(format_args!(
                    "FAILED\n    {} ({}:{})\n",
                    failure.message.as_str(),
                    failure.file,
                    failure.line
                ));
            }
        }
    }
    let failed = FAILED.load(Ordering::SeqCst);
    print_summary();
    arch::qemu::exit(if failed == 0 && total > 0 {
        arch::qemu::ExitCode::Success
    } else {
        arch::qemu::ExitCode::Failure
    })
}

fn print_summary() {
    arch::serial::write_fmt(format_args!(
        "ktests: {} passed, {} failed\n",
        PASSED.load(Ordering::SeqCst),
        FAILED.load(Ordering::SeqCst)
    ));
}

/// Called on a panic or fatal exception: if a test was running, it crashed.
pub fn on_crash() {
    let current = CURRENT.swap(core::ptr::null_mut(), Ordering::SeqCst);
    if current.is_null() {
        return;
    }
    // SAFETY: CURRENT only ever holds a pointer into the static test array.
    let test = unsafe { &*current };
    FAILED.fetch_add(1, Ordering::SeqCst);
    let mut out = arch::serial::emergency_writer();
    let _ = writeln!(out, "ktest {} ... CRASHED", test.name);
    let _ = writeln!(
        out,
        "ktests: {} passed, {} failed",
        PASSED.load(Ordering::SeqCst),
        FAILED.load(Ordering::SeqCst)
    );
}

/// What a breakpoint does for the test that raised it.
pub static BREAKPOINT_ACTION: AtomicUsize = AtomicUsize::new(BREAKPOINT_NOTHING);
/// The breakpoint only counts.
pub const BREAKPOINT_NOTHING: usize = 0;
/// The breakpoint handler scribbles over every SSE register, which the entry
/// stub must undo on return.
pub const BREAKPOINT_CLOBBER_SSE: usize = 1;

/// Test hook run by the breakpoint handler.
pub fn on_breakpoint(_frame: &mut TrapFrame, _fpu: &mut FpuState) {
    if BREAKPOINT_ACTION.load(Ordering::SeqCst) == BREAKPOINT_CLOBBER_SSE {
        // SAFETY: only caller-saved SSE registers are written; the entry stub
        // restores the interrupted context's copies from the FXSAVE area.
        unsafe {
            core::arch::asm!(
                "pcmpeqd xmm0, xmm0",
                "pcmpeqd xmm1, xmm1",
                "pcmpeqd xmm7, xmm7",
                "pcmpeqd xmm15, xmm15",
                out("xmm0") _, out("xmm1") _, out("xmm7") _, out("xmm15") _,
                options(nomem, nostack)
            );
        }
    }
}
