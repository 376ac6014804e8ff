//! What a filter's return value asks for.

/// The return values a filter builds its answer from (`SECCOMP_RET_*`):
/// an action in the high 16 bits, its data in the low 16.
pub mod ret {
    /// Kill the whole process, with a core dump of `SIGSYS`.
    pub const KILL_PROCESS: u32 = 0x8000_0000;
    /// Kill the calling thread (the process too if it is the last one).
    pub const KILL_THREAD: u32 = 0x0000_0000;
    /// Skip the call and send the thread `SIGSYS` (`SYS_SECCOMP`).
    pub const TRAP: u32 = 0x0003_0000;
    /// Skip the call and fail it with the errno in the data.
    pub const ERRNO: u32 = 0x0005_0000;
    /// Hand the call to a user-space supervisor (not available here).
    pub const USER_NOTIF: u32 = 0x7fc0_0000;
    /// Stop for a tracer with `PTRACE_EVENT_SECCOMP` (`ENOSYS` without one).
    pub const TRACE: u32 = 0x7ff0_0000;
    /// Allow the call and log it.
    pub const LOG: u32 = 0x7ffc_0000;
    /// Allow the call.
    pub const ALLOW: u32 = 0x7fff_0000;
}

/// The action bits of a return value (`SECCOMP_RET_ACTION_FULL`).
pub const SECCOMP_RET_ACTION_FULL: u32 = 0xffff_0000;
/// The data bits of a return value (`SECCOMP_RET_DATA`).
pub const SECCOMP_RET_DATA: u32 = 0x0000_ffff;

/// The largest errno `SECCOMP_RET_ERRNO` may carry (Linux's `MAX_ERRNO`).
const MAX_ERRNO: u16 = 4095;

/// A filter's answer, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Kill the process (also what an unknown action means).
    KillProcess,
    /// Kill the calling thread.
    KillThread,
    /// Skip the call and raise `SIGSYS`; the data goes to `si_errno`.
    Trap(u16),
    /// Skip the call and return `-errno` (at most 4095).
    Errno(u16),
    /// Hand the call to a supervisor.
    UserNotif,
    /// Stop for a tracer; the data is the event message.
    Trace(u16),
    /// Allow and log.
    Log,
    /// Allow.
    Allow,
}

impl Action {
    /// Decodes a return value. An action Linux does not know is
    /// `KillProcess`, as Linux treats it.
    pub fn from_return(value: u32) -> Action {
        let data = (value & SECCOMP_RET_DATA) as u16;
        match value & SECCOMP_RET_ACTION_FULL {
            ret::KILL_THREAD => Action::KillThread,
            ret::TRAP => Action::Trap(data),
            ret::ERRNO => Action::Errno(data.min(MAX_ERRNO)),
            ret::USER_NOTIF => Action::UserNotif,
            ret::TRACE => Action::Trace(data),
            ret::LOG => Action::Log,
            ret::ALLOW => Action::Allow,
            _ => Action::KillProcess,
        }
    }

    /// Whether `SECCOMP_GET_ACTION_AVAIL` reports `action` (a bare action
    /// value, data bits zero) as one this kernel carries out. A user
    /// notification needs a listener, which this kernel cannot create,
    /// so it is not reported.
    pub fn is_available(action: u32) -> bool {
        matches!(
            action,
            ret::KILL_PROCESS
                | ret::KILL_THREAD
                | ret::TRAP
                | ret::ERRNO
                | ret::TRACE
                | ret::LOG
                | ret::ALLOW
        )
    }
}

/// Whether return value `a` takes precedence over `b` across a chain:
/// the smaller action, compared as signed 32-bit numbers (so
/// `KILL_PROCESS`, negative, beats everything), as Linux's `ACTION_ONLY`.
pub(crate) fn precedes(a: u32, b: u32) -> bool {
    ((a & SECCOMP_RET_ACTION_FULL) as i32) < ((b & SECCOMP_RET_ACTION_FULL) as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_is_linux_order() {
        let order = [
            ret::KILL_PROCESS,
            ret::KILL_THREAD,
            ret::TRAP,
            ret::ERRNO,
            ret::USER_NOTIF,
            ret::TRACE,
            ret::LOG,
            ret::ALLOW,
        ];
        for (i, &a) in order.iter().enumerate() {
            for &b in &order[i + 1..] {
                assert!(precedes(a, b), "{a:#x} before {b:#x}");
                assert!(!precedes(b, a));
            }
        }
    }

    #[test]
    fn unknown_actions_kill_and_errno_is_capped() {
        assert_eq!(Action::from_return(0x0001_0000), Action::KillProcess);
        assert_eq!(Action::from_return(0x7fff_0001), Action::Allow);
        assert_eq!(
            Action::from_return(ret::ERRNO | 0xffff),
            Action::Errno(4095)
        );
        assert_eq!(Action::from_return(ret::TRAP | 7), Action::Trap(7));
        assert!(!Action::is_available(ret::USER_NOTIF));
        assert!(!Action::is_available(ret::ALLOW | 1));
    }
}
