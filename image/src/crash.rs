//! The end of the kernel after a panic or a fatal exception.

use core::fmt::Write;
use core::sync::atomic::{AtomicBool, Ordering};

/// Set once the command line asks for it (`panic=exit`) or tests run: a
/// crash then ends QEMU with a failure status instead of halting.
pub static EXIT_ON_CRASH: AtomicBool = AtomicBool::new(false);

static CRASHING: AtomicBool = AtomicBool::new(false);

/// Stops the kernel after a crash report: exits QEMU with failure when asked
/// to (or halts), after letting the test runner print its summary.
pub fn stop() -> ! {
    crate::ktest::on_crash();
    if EXIT_ON_CRASH.load(Ordering::SeqCst) {
        arch::qemu::exit(arch::qemu::ExitCode::Failure);
    }
    arch::cpu::halt_forever()
}

/// Halts every other CPU (they take an NMI and find [`is_crashing`] set),
/// so the report is the last thing the machine does.
pub fn stop_other_cpus() {
    CRASHING.store(true, Ordering::SeqCst);
    if arch::percpu::online_count() > 1 {
        arch::apic::send_nmi_to_others();
    }
}

/// Whether a CPU is reporting a crash.
pub fn is_crashing() -> bool {
    CRASHING.load(Ordering::SeqCst)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    x86_64::instructions::interrupts::disable();
    let mut out = arch::serial::emergency_writer();
    if CRASHING.swap(true, Ordering::SeqCst) {
        let _ = writeln!(out, "\n!!! panic while crashing: {}", info.message());
        stop();
    }
    stop_other_cpus();
    let _ = write!(out, "\n!!! KERNEL PANIC");
    if let Some(location) = info.location() {
        let _ = write!(out, " at {}:{}", location.file(), location.line());
    }
    let _ = writeln!(out, ": {}", info.message());
    crate::ksyms::print_backtrace(&mut out, None, arch::backtrace::current_frame_pointer());
    stop()
}
