//! `SigInfo`: what a handler or `sigtimedwait` learns about a signal, and
//! its 128-byte Linux `siginfo_t` encoding.

use crate::signal::Signal;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// `si_code` values. Which ones apply depends on the signal, as in Linux.
pub mod codes {
    /// Sent by `kill`.
    pub const SI_USER: i32 = 0;
    /// Sent by the kernel.
    pub const SI_KERNEL: i32 = 0x80;
    /// Sent by `sigqueue`/`rt_sigqueueinfo`.
    pub const SI_QUEUE: i32 = -1;
    /// POSIX timer expiry.
    pub const SI_TIMER: i32 = -2;
    /// Message queue state change.
    pub const SI_MESGQ: i32 = -3;
    /// Asynchronous I/O completion.
    pub const SI_ASYNCIO: i32 = -4;
    /// Queued SIGIO.
    pub const SI_SIGIO: i32 = -5;
    /// Sent by `tkill`/`tgkill`.
    pub const SI_TKILL: i32 = -6;

    /// SIGCHLD: the child exited.
    pub const CLD_EXITED: i32 = 1;
    /// SIGCHLD: the child was killed.
    pub const CLD_KILLED: i32 = 2;
    /// SIGCHLD: the child was killed and dumped core.
    pub const CLD_DUMPED: i32 = 3;
    /// SIGCHLD: a traced child trapped.
    pub const CLD_TRAPPED: i32 = 4;
    /// SIGCHLD: the child stopped.
    pub const CLD_STOPPED: i32 = 5;
    /// SIGCHLD: the stopped child continued.
    pub const CLD_CONTINUED: i32 = 6;

    /// SIGSEGV: address not mapped.
    pub const SEGV_MAPERR: i32 = 1;
    /// SIGSEGV: access not permitted by the mapping.
    pub const SEGV_ACCERR: i32 = 2;
    /// SIGBUS: misaligned address.
    pub const BUS_ADRALN: i32 = 1;
    /// SIGBUS: nonexistent physical address.
    pub const BUS_ADRERR: i32 = 2;
    /// SIGBUS: object-specific hardware error.
    pub const BUS_OBJERR: i32 = 3;
    /// SIGILL: illegal opcode.
    pub const ILL_ILLOPC: i32 = 1;
    /// SIGILL: illegal operand.
    pub const ILL_ILLOPN: i32 = 2;
    /// SIGILL: privileged opcode.
    pub const ILL_PRVOPC: i32 = 5;
    /// SIGFPE: integer divide by zero.
    pub const FPE_INTDIV: i32 = 1;
    /// SIGFPE: integer overflow.
    pub const FPE_INTOVF: i32 = 2;
    /// SIGFPE: floating-point divide by zero.
    pub const FPE_FLTDIV: i32 = 3;
    /// SIGTRAP: breakpoint.
    pub const TRAP_BRKPT: i32 = 1;
    /// SIGTRAP: single-step trace.
    pub const TRAP_TRACE: i32 = 2;
    /// SIGSYS: a seccomp filter trapped the call.
    pub const SYS_SECCOMP: i32 = 1;
}

/// How much of the 112-byte `siginfo_t` union a kernel keeps: Linux's
/// `kernel_siginfo` is 48 bytes, its union 32, as large as the largest
/// layout any signal uses. The 80 bytes after it reach a receiver as
/// zeros (see [`check_siginfo_expansion`]). Keeping [`SigInfo`] that small
/// makes every queued signal, and every copy of one, a third the size.
pub const KEPT_UNION_BYTES: usize = 32;

/// Linux's check of a `siginfo_t` user space passes in (`rt_sigqueueinfo`,
/// `rt_tgsigqueueinfo`, `PTRACE_SETSIGINFO`): the bytes after the kept
/// union are dropped where the signal and code name a layout the kernel
/// knows, and must be zero where they do not (`E2BIG`), so the receiver
/// never gets less than was sent.
pub fn check_siginfo_expansion(signo: i32, raw: &RawSigInfo) -> abi::KernelResult<()> {
    let expansion = &raw.union.as_bytes()[KEPT_UNION_BYTES..];
    if known_layout(signo, raw.si_code) || expansion.iter().all(|&byte| byte == 0) {
        Ok(())
    } else {
        Err(abi::Errno::E2BIG)
    }
}

/// Linux 6.1's `known_siginfo_layout`: the kernel's own code, a user code
/// down to `SI_DETHREAD` or `SI_ASYNCNL`, or a signal-specific code up to
/// that signal's last one.
fn known_layout(signo: i32, code: i32) -> bool {
    const SI_DETHREAD: i32 = -7;
    const SI_ASYNCNL: i32 = -60;
    // The last code of each signal with codes of its own (NSIGILL, ...);
    // every other signal takes the SIGPOLL codes (NSIGPOLL).
    const SIGILL: i32 = Signal::SIGILL.as_i32();
    const SIGFPE: i32 = Signal::SIGFPE.as_i32();
    const SIGSEGV: i32 = Signal::SIGSEGV.as_i32();
    const SIGBUS: i32 = Signal::SIGBUS.as_i32();
    const SIGTRAP: i32 = Signal::SIGTRAP.as_i32();
    const SIGCHLD: i32 = Signal::SIGCHLD.as_i32();
    const SIGSYS: i32 = Signal::SIGSYS.as_i32();
    let last = match signo {
        SIGILL => 11,
        SIGFPE => 15,
        SIGSEGV => 9,
        SIGBUS => 5,
        SIGTRAP | SIGCHLD => 6,
        SIGSYS => 2,
        _ => 6,
    };
    match code {
        codes::SI_KERNEL => true,
        1.. => code <= last,
        _ => code >= SI_DETHREAD || code == SI_ASYNCNL,
    }
}

/// The signal-specific part of a [`SigInfo`] (the `siginfo_t` union).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SigFields {
    /// Nothing beyond signo/errno/code.
    None,
    /// `kill`, `tkill`, kernel: the sender.
    Sender {
        /// Sender's process id.
        pid: i32,
        /// Sender's real uid.
        uid: u32,
    },
    /// `sigqueue`: the sender and the value it passed.
    Queued {
        /// Sender's process id.
        pid: i32,
        /// Sender's real uid.
        uid: u32,
        /// `sigval` (an int or a pointer).
        value: u64,
    },
    /// SIGCHLD: the child's state change.
    Child {
        /// The child's process id.
        pid: i32,
        /// The child's real uid.
        uid: u32,
        /// Exit status, or the signal that stopped/killed/continued it.
        status: i32,
        /// User CPU time in clock ticks.
        utime: i64,
        /// System CPU time in clock ticks.
        stime: i64,
    },
    /// A POSIX timer's expiry (`SI_TIMER`).
    Timer {
        /// The timer id (`si_timerid`).
        id: i32,
        /// Expiries lost while this one waited (`si_overrun`).
        overrun: i32,
        /// `sigev_value` (`si_value`).
        value: u64,
    },
    /// CPU faults: the faulting address.
    Fault {
        /// `si_addr`.
        addr: u64,
    },
    /// SIGSYS from seccomp: the call a filter trapped.
    Syscall {
        /// Where the call returns to (`si_call_addr`).
        call_addr: u64,
        /// Its number (`si_syscall`).
        syscall: i32,
        /// Its calling convention (`si_arch`, `AUDIT_ARCH_*`).
        arch: u32,
    },
    /// The union as `rt_sigqueueinfo` received it from user space, its
    /// first [`KEPT_UNION_BYTES`] (all a kernel keeps, as Linux's
    /// `kernel_siginfo`): passed back unchanged to the receiver.
    Raw([u8; KEPT_UNION_BYTES]),
}

/// Everything a receiver learns about one signal instance.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SigInfo {
    /// The signal.
    pub signal: Signal,
    /// `si_errno` (almost always 0).
    pub errno: i32,
    /// `si_code`: who or what raised the signal (see [`codes`]).
    pub code: i32,
    /// The signal-specific fields.
    pub fields: SigFields,
}

/// Linux's 128-byte `siginfo_t` on x86_64: signo, errno and code at 0, 4
/// and 8, then (after 4 bytes of padding for the 8-byte union alignment)
/// the union at 16.
#[derive(Clone, Copy, PartialEq, Eq, Debug, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct RawSigInfo {
    /// `si_signo`.
    pub si_signo: i32,
    /// `si_errno`.
    pub si_errno: i32,
    /// `si_code`.
    pub si_code: i32,
    /// Padding before the union.
    pub pad: i32,
    /// The union, 112 bytes.
    pub union: [u64; 14],
}

static_assertions::const_assert_eq!(core::mem::size_of::<RawSigInfo>(), 128);
static_assertions::const_assert_eq!(core::mem::align_of::<RawSigInfo>(), 8);
static_assertions::const_assert_eq!(core::mem::offset_of!(RawSigInfo, si_code), 8);
static_assertions::const_assert_eq!(core::mem::offset_of!(RawSigInfo, union), 16);

/// `_kill` (also `_rt` without the value): pid at 16, uid at 20.
#[derive(IntoBytes, Immutable, FromBytes, KnownLayout)]
#[repr(C)]
struct SenderLayout {
    pid: i32,
    uid: u32,
}

/// `_rt`: pid, uid, then `sigval` at 24.
#[derive(IntoBytes, Immutable, FromBytes, KnownLayout)]
#[repr(C)]
struct QueuedLayout {
    pid: i32,
    uid: u32,
    value: u64,
}

/// `_timer`: timer id, overrun, then the value at 24.
#[derive(IntoBytes, Immutable, FromBytes, KnownLayout)]
#[repr(C)]
struct TimerLayout {
    id: i32,
    overrun: i32,
    value: u64,
}

/// `_sigsys`: the call address, then the number at 24 and the
/// architecture at 28.
#[derive(IntoBytes, Immutable, FromBytes, KnownLayout)]
#[repr(C)]
struct SyscallLayout {
    call_addr: u64,
    syscall: i32,
    arch: u32,
}

/// `_sigchld`: pid, uid, status at 24, utime at 32, stime at 40.
#[derive(IntoBytes, Immutable, FromBytes, KnownLayout)]
#[repr(C)]
struct ChildLayout {
    pid: i32,
    uid: u32,
    status: i32,
    pad: i32,
    utime: i64,
    stime: i64,
}

static_assertions::const_assert_eq!(core::mem::offset_of!(ChildLayout, utime), 16);

impl SigInfo {
    /// A signal sent by `kill` (`SI_USER`) from `pid` running as `uid`.
    pub const fn kill(signal: Signal, pid: i32, uid: u32) -> SigInfo {
        Self::with(signal, codes::SI_USER, SigFields::Sender { pid, uid })
    }

    /// A signal sent by `tkill`/`tgkill` (`SI_TKILL`).
    pub const fn tkill(signal: Signal, pid: i32, uid: u32) -> SigInfo {
        Self::with(signal, codes::SI_TKILL, SigFields::Sender { pid, uid })
    }

    /// A signal sent by `sigqueue` (`SI_QUEUE`) carrying `value`.
    pub const fn queue(signal: Signal, pid: i32, uid: u32, value: u64) -> SigInfo {
        Self::with(
            signal,
            codes::SI_QUEUE,
            SigFields::Queued { pid, uid, value },
        )
    }

    /// A POSIX timer's expiry (`SI_TIMER`).
    pub const fn timer(signal: Signal, id: i32, overrun: i32, value: u64) -> SigInfo {
        Self::with(
            signal,
            codes::SI_TIMER,
            SigFields::Timer { id, overrun, value },
        )
    }

    /// A signal the kernel raises on its own (`SI_KERNEL`, e.g. SIGALRM from
    /// `ITIMER_REAL`, SIGKILL on OOM, SIGPIPE).
    pub const fn kernel(signal: Signal) -> SigInfo {
        Self::with(
            signal,
            codes::SI_KERNEL,
            SigFields::Sender { pid: 0, uid: 0 },
        )
    }

    /// SIGCHLD for a child's state change; `code` is one of the `CLD_*` codes.
    pub const fn child(
        code: i32,
        pid: i32,
        uid: u32,
        status: i32,
        utime: i64,
        stime: i64,
    ) -> SigInfo {
        Self::with(
            Signal::SIGCHLD,
            code,
            SigFields::Child {
                pid,
                uid,
                status,
                utime,
                stime,
            },
        )
    }

    /// A CPU fault: `signal` with a fault `code` (`SEGV_MAPERR`, `FPE_INTDIV`, ...)
    /// at `addr`.
    pub const fn fault(signal: Signal, code: i32, addr: u64) -> SigInfo {
        Self::with(signal, code, SigFields::Fault { addr })
    }

    /// `SIGSYS` for a call a seccomp filter trapped (`SYS_SECCOMP`):
    /// `errno` is the filter's data, as Linux puts it in `si_errno`.
    pub const fn seccomp(call_addr: u64, syscall: i32, arch: u32, errno: i32) -> SigInfo {
        let mut info = Self::with(
            Signal::SIGSYS,
            codes::SYS_SECCOMP,
            SigFields::Syscall {
                call_addr,
                syscall,
                arch,
            },
        );
        info.errno = errno;
        info
    }

    /// The info user space passed to `rt_sigqueueinfo`/`rt_tgsigqueueinfo`;
    /// only `si_signo` is overwritten with the signal actually sent. Check it
    /// with [`crate::check_queued_siginfo`] and [`check_siginfo_expansion`]
    /// first: the union is cut to its first [`KEPT_UNION_BYTES`].
    pub fn from_user(signal: Signal, raw: &RawSigInfo) -> SigInfo {
        let mut union = [0u8; KEPT_UNION_BYTES];
        union.copy_from_slice(&raw.union.as_bytes()[..KEPT_UNION_BYTES]);
        SigInfo {
            signal,
            errno: raw.si_errno,
            code: raw.si_code,
            fields: SigFields::Raw(union),
        }
    }

    const fn with(signal: Signal, code: i32, fields: SigFields) -> SigInfo {
        SigInfo {
            signal,
            errno: 0,
            code,
            fields,
        }
    }

    /// True if user space raised the signal (`si_code <= 0`); kernel
    /// signals skip the kill permission check.
    pub const fn is_from_user(&self) -> bool {
        self.code <= 0
    }

    /// The sending (or, for SIGCHLD, the child's) process id, if recorded.
    pub const fn pid(&self) -> Option<i32> {
        match self.fields {
            SigFields::Sender { pid, .. }
            | SigFields::Queued { pid, .. }
            | SigFields::Child { pid, .. } => Some(pid),
            _ => None,
        }
    }

    /// The sending (or child's) uid, if recorded.
    pub const fn uid(&self) -> Option<u32> {
        match self.fields {
            SigFields::Sender { uid, .. }
            | SigFields::Queued { uid, .. }
            | SigFields::Child { uid, .. } => Some(uid),
            _ => None,
        }
    }

    /// The `sigqueue` value, if any.
    pub const fn value(&self) -> Option<u64> {
        match self.fields {
            SigFields::Queued { value, .. } | SigFields::Timer { value, .. } => Some(value),
            _ => None,
        }
    }

    /// The fault address, if any.
    pub const fn addr(&self) -> Option<u64> {
        match self.fields {
            SigFields::Fault { addr } => Some(addr),
            _ => None,
        }
    }

    /// The SIGCHLD status, if any.
    pub const fn status(&self) -> Option<i32> {
        match self.fields {
            SigFields::Child { status, .. } => Some(status),
            _ => None,
        }
    }

    /// The Linux `siginfo_t` bytes to copy to user space.
    pub fn to_raw(&self) -> RawSigInfo {
        let mut raw = RawSigInfo {
            si_signo: self.signal.as_i32(),
            si_errno: self.errno,
            si_code: self.code,
            pad: 0,
            union: [0; 14],
        };
        let union = raw.union.as_mut_bytes();
        match self.fields {
            SigFields::None => {}
            SigFields::Sender { pid, uid } => put(union, &SenderLayout { pid, uid }),
            SigFields::Queued { pid, uid, value } => put(union, &QueuedLayout { pid, uid, value }),
            SigFields::Timer { id, overrun, value } => {
                put(union, &TimerLayout { id, overrun, value })
            }
            SigFields::Child {
                pid,
                uid,
                status,
                utime,
                stime,
            } => put(
                union,
                &ChildLayout {
                    pid,
                    uid,
                    status,
                    pad: 0,
                    utime,
                    stime,
                },
            ),
            SigFields::Fault { addr } => put(union, &addr),
            SigFields::Syscall {
                call_addr,
                syscall,
                arch,
            } => put(
                union,
                &SyscallLayout {
                    call_addr,
                    syscall,
                    arch,
                },
            ),
            SigFields::Raw(bytes) => put(union, &bytes),
        }
        raw
    }
}

fn put<T: IntoBytes + Immutable>(union: &mut [u8], payload: &T) {
    let bytes = payload.as_bytes();
    union[..bytes.len()].copy_from_slice(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn i32_at(raw: &RawSigInfo, offset: usize) -> i32 {
        i32::from_ne_bytes(raw.as_bytes()[offset..offset + 4].try_into().unwrap())
    }

    fn u64_at(raw: &RawSigInfo, offset: usize) -> u64 {
        u64::from_ne_bytes(raw.as_bytes()[offset..offset + 8].try_into().unwrap())
    }

    #[test]
    fn kill_info_puts_pid_and_uid_at_16_and_20() {
        let raw = SigInfo::kill(Signal::SIGTERM, 42, 1000).to_raw();
        assert_eq!(i32_at(&raw, 0), 15);
        assert_eq!(i32_at(&raw, 4), 0);
        assert_eq!(i32_at(&raw, 8), codes::SI_USER);
        assert_eq!(i32_at(&raw, 16), 42);
        assert_eq!(i32_at(&raw, 20), 1000);
    }

    #[test]
    fn timer_info_puts_id_overrun_and_value_as_linux() {
        let raw = SigInfo::timer(Signal::SIGRTMIN, 3, 9, 0x55).to_raw();
        assert_eq!(i32_at(&raw, 8), codes::SI_TIMER);
        assert_eq!(i32_at(&raw, 16), 3);
        assert_eq!(i32_at(&raw, 20), 9);
        assert_eq!(u64_at(&raw, 24), 0x55);
    }

    #[test]
    fn seccomp_info_puts_address_number_and_arch_as_linux() {
        let raw = SigInfo::seccomp(0x40_1234, 39, 0xc000_003e, 7).to_raw();
        assert_eq!(i32_at(&raw, 0), 31);
        assert_eq!(i32_at(&raw, 4), 7);
        assert_eq!(i32_at(&raw, 8), codes::SYS_SECCOMP);
        assert_eq!(u64_at(&raw, 16), 0x40_1234);
        assert_eq!(i32_at(&raw, 24), 39);
        assert_eq!(i32_at(&raw, 28) as u32, 0xc000_003e);
    }

    #[test]
    fn queued_info_puts_value_at_24() {
        let raw = SigInfo::queue(Signal::SIGRTMIN, 7, 0, 0xdead_beef_0000_0001).to_raw();
        assert_eq!(i32_at(&raw, 8), -1);
        assert_eq!(u64_at(&raw, 24), 0xdead_beef_0000_0001);
    }

    #[test]
    fn child_info_puts_status_at_24_and_times_at_32_40() {
        let raw = SigInfo::child(codes::CLD_EXITED, 99, 5, 3, 11, 22).to_raw();
        assert_eq!(i32_at(&raw, 0), 17);
        assert_eq!(i32_at(&raw, 8), 1);
        assert_eq!(i32_at(&raw, 16), 99);
        assert_eq!(i32_at(&raw, 24), 3);
        assert_eq!(u64_at(&raw, 32), 11);
        assert_eq!(u64_at(&raw, 40), 22);
    }

    #[test]
    fn fault_info_puts_address_at_16() {
        let raw = SigInfo::fault(Signal::SIGSEGV, codes::SEGV_ACCERR, 0x1234_5000).to_raw();
        assert_eq!(i32_at(&raw, 8), 2);
        assert_eq!(u64_at(&raw, 16), 0x1234_5000);
    }

    #[test]
    fn user_supplied_union_is_passed_back_unchanged_with_real_signo() {
        let mut raw = SigInfo::queue(Signal::SIGUSR1, 1, 2, 3).to_raw();
        raw.si_signo = 99;
        raw.union[3] = 0x5555;
        let info = SigInfo::from_user(Signal::SIGUSR2, &raw);
        let back = info.to_raw();
        assert_eq!(back.si_signo, 12);
        assert_eq!(back.union, raw.union);
        assert_eq!(back.si_code, codes::SI_QUEUE);
    }

    #[test]
    fn a_kept_siginfo_is_no_larger_than_linux_kernel_siginfo_and_a_tag() {
        assert!(core::mem::size_of::<SigInfo>() <= 48 + 8);
    }

    #[test]
    fn expansion_bytes_are_dropped_for_known_layouts_and_refused_for_others() {
        let mut raw = SigInfo::queue(Signal::SIGUSR1, 1, 2, 3).to_raw();
        raw.union[13] = 0x5555;
        // SI_QUEUE is a layout Linux knows: the bytes are dropped.
        assert_eq!(check_siginfo_expansion(10, &raw), Ok(()));
        let back = SigInfo::from_user(Signal::SIGUSR1, &raw).to_raw();
        assert_eq!(back.union[13], 0);
        assert_eq!(back.union[..4], raw.union[..4]);
        // A made-up user code with something past the kept union: E2BIG.
        raw.si_code = -20;
        assert_eq!(check_siginfo_expansion(10, &raw), Err(abi::Errno::E2BIG));
        raw.union[13] = 0;
        assert_eq!(check_siginfo_expansion(10, &raw), Ok(()));
        // Signal-specific codes: known up to the signal's last one.
        raw.union[13] = 1;
        raw.si_code = 9;
        assert_eq!(check_siginfo_expansion(11, &raw), Ok(()));
        assert_eq!(check_siginfo_expansion(10, &raw), Err(abi::Errno::E2BIG));
        raw.si_code = codes::SI_KERNEL;
        assert_eq!(check_siginfo_expansion(10, &raw), Ok(()));
        raw.si_code = -60;
        assert_eq!(check_siginfo_expansion(10, &raw), Ok(()));
    }
}
