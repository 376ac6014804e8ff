//! Tracing (ptrace) as the process model holds it: who traces a process,
//! with which options, and the stop it sits in for its tracer, with the
//! registers the tracer reads and changes there.
//!
//! A tracee stops for its tracer at a signal's delivery, at system-call
//! entry and exit when the tracer asked (`PTRACE_SYSCALL`), and at the
//! events its options select (`exec`, exit). The stop is reported once to
//! the tracer's `wait` (whatever `WUNTRACED` says), and lasts until the
//! tracer resumes it. A traced process stops as a whole: Courage traces
//! processes, not threads one by one.
//!
//! A seized tracee (`PTRACE_SEIZE`) also stops with `PTRACE_EVENT_STOP`:
//! when its tracer interrupts it, when it enters a group-stop (with the
//! stopping signal), and when a `SIGCONT` or a listening wait ends (with
//! `SIGTRAP`); a trap that is due waits in [`Tracing::trap_pending`].

use abi::UserRegs;

use crate::pid::Pid;

/// `PTRACE_O_TRACESYSGOOD`: syscall stops report `SIGTRAP | 0x80`.
pub const PTRACE_O_TRACESYSGOOD: u32 = 1;
/// `PTRACE_O_TRACEFORK`.
pub const PTRACE_O_TRACEFORK: u32 = 2;
/// `PTRACE_O_TRACEVFORK`.
pub const PTRACE_O_TRACEVFORK: u32 = 4;
/// `PTRACE_O_TRACECLONE`.
pub const PTRACE_O_TRACECLONE: u32 = 8;
/// `PTRACE_O_TRACEEXEC`: stop at a successful `execve` (event 4).
pub const PTRACE_O_TRACEEXEC: u32 = 0x10;
/// `PTRACE_O_TRACEVFORKDONE`.
pub const PTRACE_O_TRACEVFORKDONE: u32 = 0x20;
/// `PTRACE_O_TRACEEXIT`: stop before exiting (event 6).
pub const PTRACE_O_TRACEEXIT: u32 = 0x40;
/// `PTRACE_O_TRACESECCOMP`.
pub const PTRACE_O_TRACESECCOMP: u32 = 0x80;
/// `PTRACE_O_EXITKILL`: the tracee dies with its tracer.
pub const PTRACE_O_EXITKILL: u32 = 0x10_0000;
/// Every option bit Linux defines.
pub const PTRACE_O_MASK: u32 = 0xff | PTRACE_O_EXITKILL | 0x20_0000;

/// `PTRACE_EVENT_FORK`.
pub const PTRACE_EVENT_FORK: u8 = 1;
/// `PTRACE_EVENT_VFORK`.
pub const PTRACE_EVENT_VFORK: u8 = 2;
/// `PTRACE_EVENT_CLONE`.
pub const PTRACE_EVENT_CLONE: u8 = 3;
/// `PTRACE_EVENT_EXEC`.
pub const PTRACE_EVENT_EXEC: u8 = 4;
/// `PTRACE_EVENT_EXIT`.
pub const PTRACE_EVENT_EXIT: u8 = 6;
/// `PTRACE_EVENT_SECCOMP`: a tracee stopped at a `SECCOMP_RET_TRACE`.
pub const PTRACE_EVENT_SECCOMP: u8 = 7;
/// `PTRACE_EVENT_STOP`: a seized tracee's interrupt, group-stop or
/// notification stop.
pub const PTRACE_EVENT_STOP: u8 = 128;

const SIGTRAP: u8 = 5;

/// Why a tracee is stopped for its tracer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceStop {
    /// Signal-delivery-stop: this signal is about to be delivered.
    Signal(u8),
    /// At a system call's entry.
    SyscallEntry,
    /// At a system call's exit.
    SyscallExit,
    /// A `PTRACE_EVENT_*` stop.
    Event(u8),
    /// A seized tracee's group-stop: `PTRACE_EVENT_STOP` with the signal
    /// that stopped it.
    GroupStop(u8),
}

impl TraceStop {
    /// The `wait4` status word the tracer sees (`WIFSTOPPED`, with the
    /// event in bits 16-23).
    pub fn wait_status(self, options: u32) -> i32 {
        let (signal, event) = match self {
            TraceStop::Signal(signal) => (signal, 0),
            TraceStop::SyscallEntry | TraceStop::SyscallExit => {
                let good = if options & PTRACE_O_TRACESYSGOOD != 0 {
                    0x80
                } else {
                    0
                };
                (SIGTRAP | good, 0)
            }
            TraceStop::Event(event) => (SIGTRAP, event),
            TraceStop::GroupStop(signal) => (signal, PTRACE_EVENT_STOP),
        };
        (i32::from(event) << 16) | (i32::from(signal) << 8) | 0x7f
    }

    /// The signal number `waitid` reports (`si_status`).
    pub fn signal(self, options: u32) -> u8 {
        ((self.wait_status(options) >> 8) & 0xff) as u8
    }
}

/// How the tracer resumed the tracee.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Resume {
    /// `PTRACE_CONT`: until the next signal or event.
    #[default]
    Continue,
    /// `PTRACE_SYSCALL`: also at every system call's entry and exit.
    Syscall,
    /// `PTRACE_SINGLESTEP`: after one instruction.
    SingleStep,
}

/// A traced process's tracing state.
#[derive(Clone, Debug)]
pub struct Tracing {
    /// The tracer.
    pub tracer: Pid,
    /// `PTRACE_O_*` options.
    pub options: u32,
    /// How it was last resumed.
    pub resume: Resume,
    /// The stop it is in, if any.
    pub stop: Option<TraceStop>,
    /// Whether the tracer's `wait` has seen the stop.
    pub reported: bool,
    /// `PTRACE_GETEVENTMSG`.
    pub event_message: u64,
    /// The signal to deliver when resumed (0: none).
    pub inject: u8,
    /// The registers at the stop (the tracer may change them).
    pub registers: UserRegs,
    /// The `fxsave` area at the stop.
    pub fpregs: [u8; abi::USER_FPREGS_SIZE],
    /// The `siginfo_t` of a signal-delivery-stop.
    pub siginfo: [u8; 128],
    /// Attached with `PTRACE_SEIZE`: no `SIGSTOP` at attach, event stops
    /// instead of `SIGSTOP` for new children and group-stops, and
    /// `INTERRUPT`/`LISTEN` allowed.
    pub seized: bool,
    /// A `PTRACE_EVENT_STOP` is due at the tracee's next chance
    /// (`PTRACE_INTERRUPT`, a `SIGCONT`, a new auto-attached child).
    pub trap_pending: bool,
    /// `PTRACE_LISTEN`: out of the trace stop for the tracer (requests
    /// fail, `wait` reports nothing) but still stopped, until a trap is
    /// due.
    pub listening: bool,
}

impl Tracing {
    /// Traced by `tracer`, running, no options.
    pub fn new(tracer: Pid) -> Tracing {
        Tracing {
            tracer,
            options: 0,
            resume: Resume::Continue,
            stop: None,
            reported: false,
            event_message: 0,
            inject: 0,
            registers: UserRegs::default(),
            fpregs: [0; abi::USER_FPREGS_SIZE],
            siginfo: [0; 128],
            seized: false,
            trap_pending: false,
            listening: false,
        }
    }

    /// Whether the tracee stays stopped: in a trace stop, or listening.
    pub fn holds_tracee(&self) -> bool {
        self.stop.is_some() || self.listening
    }

    /// Whether the tracee stops at system calls now.
    pub fn stops_at_syscalls(&self) -> bool {
        self.resume == Resume::Syscall
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_statuses_are_linux_s() {
        assert_eq!(TraceStop::Signal(19).wait_status(0), 0x137f);
        assert_eq!(TraceStop::SyscallEntry.wait_status(0), 0x057f);
        assert_eq!(
            TraceStop::SyscallExit.wait_status(PTRACE_O_TRACESYSGOOD),
            0x857f
        );
        assert_eq!(TraceStop::Event(PTRACE_EVENT_EXEC).wait_status(0), 0x4057f);
        assert_eq!(TraceStop::Event(PTRACE_EVENT_EXIT).signal(0), 5);
        // Seized stops, as Linux 6.1 reports them.
        assert_eq!(
            TraceStop::Event(PTRACE_EVENT_STOP).wait_status(0),
            0x80_057f
        );
        assert_eq!(TraceStop::GroupStop(19).wait_status(0), 0x80_137f);
        assert_eq!(TraceStop::GroupStop(20).signal(0), 20);
    }
}
