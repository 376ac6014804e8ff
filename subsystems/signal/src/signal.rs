//! Signal numbers (Linux x86_64 numbering) and their default actions.

use abi::{Errno, KernelResult};
use core::fmt;

/// A valid signal number, 1..=64 (Linux x86_64 numbering).
///
/// Signal 0 ("check the target exists") is not a `Signal`: callers of
/// `kill(pid, 0)` handle it before building one.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Signal(u8);

/// What the kernel does with a signal whose disposition is `SIG_DFL`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DefaultAction {
    /// Terminate the process.
    Terminate,
    /// Terminate the process and dump core.
    CoreDump,
    /// Discard the signal.
    Ignore,
    /// Stop every thread of the process.
    Stop,
    /// Resume a stopped process (the resuming happens when the signal is
    /// sent; at delivery it is discarded).
    Continue,
}

const NAMES: [&str; 31] = [
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGILL",
    "SIGTRAP",
    "SIGABRT",
    "SIGBUS",
    "SIGFPE",
    "SIGKILL",
    "SIGUSR1",
    "SIGSEGV",
    "SIGUSR2",
    "SIGPIPE",
    "SIGALRM",
    "SIGTERM",
    "SIGSTKFLT",
    "SIGCHLD",
    "SIGCONT",
    "SIGSTOP",
    "SIGTSTP",
    "SIGTTIN",
    "SIGTTOU",
    "SIGURG",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGVTALRM",
    "SIGPROF",
    "SIGWINCH",
    "SIGIO",
    "SIGPWR",
    "SIGSYS",
];

impl Signal {
    /// Hangup.
    pub const SIGHUP: Signal = Signal(1);
    /// Interrupt from the keyboard.
    pub const SIGINT: Signal = Signal(2);
    /// Quit from the keyboard.
    pub const SIGQUIT: Signal = Signal(3);
    /// Illegal instruction.
    pub const SIGILL: Signal = Signal(4);
    /// Trace or breakpoint trap.
    pub const SIGTRAP: Signal = Signal(5);
    /// Abort.
    pub const SIGABRT: Signal = Signal(6);
    /// Bus error.
    pub const SIGBUS: Signal = Signal(7);
    /// Arithmetic exception.
    pub const SIGFPE: Signal = Signal(8);
    /// Kill: cannot be caught, blocked or ignored.
    pub const SIGKILL: Signal = Signal(9);
    /// User-defined signal 1.
    pub const SIGUSR1: Signal = Signal(10);
    /// Invalid memory reference.
    pub const SIGSEGV: Signal = Signal(11);
    /// User-defined signal 2.
    pub const SIGUSR2: Signal = Signal(12);
    /// Write to a pipe with no reader.
    pub const SIGPIPE: Signal = Signal(13);
    /// Timer from `alarm`/`ITIMER_REAL`.
    pub const SIGALRM: Signal = Signal(14);
    /// Termination request.
    pub const SIGTERM: Signal = Signal(15);
    /// Coprocessor stack fault (unused).
    pub const SIGSTKFLT: Signal = Signal(16);
    /// A child stopped, continued or terminated.
    pub const SIGCHLD: Signal = Signal(17);
    /// Continue if stopped.
    pub const SIGCONT: Signal = Signal(18);
    /// Stop: cannot be caught, blocked or ignored.
    pub const SIGSTOP: Signal = Signal(19);
    /// Stop typed at the terminal.
    pub const SIGTSTP: Signal = Signal(20);
    /// Terminal input for a background process.
    pub const SIGTTIN: Signal = Signal(21);
    /// Terminal output for a background process.
    pub const SIGTTOU: Signal = Signal(22);
    /// Urgent condition on a socket.
    pub const SIGURG: Signal = Signal(23);
    /// CPU time limit exceeded.
    pub const SIGXCPU: Signal = Signal(24);
    /// File size limit exceeded.
    pub const SIGXFSZ: Signal = Signal(25);
    /// Virtual alarm clock.
    pub const SIGVTALRM: Signal = Signal(26);
    /// Profiling timer expired.
    pub const SIGPROF: Signal = Signal(27);
    /// Window size changed.
    pub const SIGWINCH: Signal = Signal(28);
    /// I/O possible.
    pub const SIGIO: Signal = Signal(29);
    /// Power failure.
    pub const SIGPWR: Signal = Signal(30);
    /// Bad system call.
    pub const SIGSYS: Signal = Signal(31);
    /// The first real-time signal of the kernel's range (libcs reserve
    /// 32..=34 for themselves, but the kernel treats them like any other).
    pub const SIGRTMIN: Signal = Signal(32);
    /// The last real-time signal.
    pub const SIGRTMAX: Signal = Signal(64);

    /// The signal with this number; `EINVAL` for 0 or anything above 64.
    pub const fn from_raw(raw: i32) -> KernelResult<Signal> {
        if raw >= 1 && raw <= 64 {
            Ok(Signal(raw as u8))
        } else {
            Err(Errno::EINVAL)
        }
    }

    /// The signal number (1..=64).
    pub const fn number(self) -> u8 {
        self.0
    }

    /// The number as the ABI's `int`.
    pub const fn as_i32(self) -> i32 {
        self.0 as i32
    }

    /// True for 32..=64: these queue with their values instead of coalescing.
    pub const fn is_realtime(self) -> bool {
        self.0 >= 32
    }

    /// True for SIGKILL and SIGSTOP, which no program can catch, block or ignore.
    pub const fn is_unblockable(self) -> bool {
        self.0 == Self::SIGKILL.0 || self.0 == Self::SIGSTOP.0
    }

    /// True for the stop signals SIGSTOP, SIGTSTP, SIGTTIN and SIGTTOU.
    pub const fn is_stop(self) -> bool {
        matches!(self.0, 19..=22)
    }

    /// True for signals a CPU fault raises (SIGSEGV, SIGBUS, SIGILL, SIGTRAP,
    /// SIGFPE, SIGSYS): Linux delivers these before other pending signals so
    /// the handler sees the fault that just happened.
    pub const fn is_synchronous(self) -> bool {
        matches!(self.0, 4 | 5 | 7 | 8 | 11 | 31)
    }

    /// The action `SIG_DFL` takes for this signal.
    pub const fn default_action(self) -> DefaultAction {
        match self.0 {
            3 | 4 | 5 | 6 | 7 | 8 | 11 | 24 | 25 | 31 => DefaultAction::CoreDump,
            17 | 23 | 28 => DefaultAction::Ignore,
            19..=22 => DefaultAction::Stop,
            18 => DefaultAction::Continue,
            _ => DefaultAction::Terminate,
        }
    }

    /// The conventional name for a standard signal (`"SIGINT"`); `None` for
    /// real-time signals, which `Display` prints as `SIGRTMIN+n`.
    pub const fn name(self) -> Option<&'static str> {
        if self.0 < 32 {
            Some(NAMES[self.0 as usize - 1])
        } else {
            None
        }
    }

    /// Every valid signal, in ascending order.
    pub fn all() -> impl Iterator<Item = Signal> {
        (1..=64u8).map(Signal)
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "SIGRTMIN+{}", self.0 - 32),
        }
    }
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::format;

    #[test]
    fn from_raw_rejects_zero_and_above_64() {
        assert_eq!(Signal::from_raw(0), Err(Errno::EINVAL));
        assert_eq!(Signal::from_raw(65), Err(Errno::EINVAL));
        assert_eq!(Signal::from_raw(-9), Err(Errno::EINVAL));
        assert_eq!(Signal::from_raw(9), Ok(Signal::SIGKILL));
        assert_eq!(Signal::from_raw(64), Ok(Signal::SIGRTMAX));
    }

    #[test]
    fn names_follow_linux_numbering() {
        assert_eq!(Signal::SIGCHLD.name(), Some("SIGCHLD"));
        assert_eq!(Signal::SIGSYS.name(), Some("SIGSYS"));
        assert_eq!(format!("{}", Signal::from_raw(34).unwrap()), "SIGRTMIN+2");
        assert_eq!(Signal::SIGSEGV.as_i32(), 11);
    }

    #[test]
    fn default_actions_match_linux() {
        use DefaultAction::*;
        for (sig, action) in [
            (Signal::SIGHUP, Terminate),
            (Signal::SIGQUIT, CoreDump),
            (Signal::SIGSEGV, CoreDump),
            (Signal::SIGXFSZ, CoreDump),
            (Signal::SIGCHLD, Ignore),
            (Signal::SIGURG, Ignore),
            (Signal::SIGWINCH, Ignore),
            (Signal::SIGSTOP, Stop),
            (Signal::SIGTTOU, Stop),
            (Signal::SIGCONT, Continue),
            (Signal::SIGRTMAX, Terminate),
            (Signal::SIGPIPE, Terminate),
        ] {
            assert_eq!(sig.default_action(), action, "{sig}");
        }
    }
}
