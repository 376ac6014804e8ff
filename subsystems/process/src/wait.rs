//! The vocabulary of `wait4` and `waitid`: which children, which events, and
//! what the caller sees.

use abi::{Errno, KernelResult};

use crate::credentials::Uid;
use crate::lifecycle::{Termination, wait_status};
use crate::pid::Pid;

/// `SIGCHLD`, the `si_signo` of every wait result.
pub const SIGCHLD: u8 = 17;
/// `SIGCONT`, the `si_status` of a continued child.
pub const SIGCONT: u8 = 18;

/// `WNOHANG`: return at once if no child has anything to report.
pub const WNOHANG: u32 = 1;
/// `WUNTRACED` (`WSTOPPED` for `waitid`): report stopped children.
pub const WUNTRACED: u32 = 2;
/// `WSTOPPED`: `waitid`'s name for [`WUNTRACED`].
pub const WSTOPPED: u32 = WUNTRACED;
/// `WEXITED`: report terminated children (implied by `wait4`).
pub const WEXITED: u32 = 4;
/// `WCONTINUED`: report children continued by `SIGCONT`.
pub const WCONTINUED: u32 = 8;
/// `WNOWAIT`: report but leave the child waitable (`waitid` only).
pub const WNOWAIT: u32 = 0x0100_0000;
/// `__WNOTHREAD`, `__WALL`, `__WCLONE`: accepted; Courage has no clone
/// children distinct from ordinary ones, so they change nothing.
pub const WTHREAD_BITS: u32 = 0x2000_0000 | 0x4000_0000 | 0x8000_0000;

/// `idtype` for `waitid`: any child.
pub const P_ALL: u32 = 0;
/// `idtype` for `waitid`: the child with this pid.
pub const P_PID: u32 = 1;
/// `idtype` for `waitid`: children in this process group (0: the caller's).
pub const P_PGID: u32 = 2;

/// Validated wait options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitOptions(u32);

impl WaitOptions {
    /// `wait4`'s options: `WNOHANG`, `WUNTRACED`, `WCONTINUED` (and the
    /// thread bits); `WEXITED` is implied. Anything else is `EINVAL`.
    pub fn for_wait4(bits: u32) -> KernelResult<Self> {
        if bits & !(WNOHANG | WUNTRACED | WCONTINUED | WTHREAD_BITS) != 0 {
            return Err(Errno::EINVAL);
        }
        Ok(Self(bits | WEXITED))
    }

    /// `waitid`'s options: at least one of `WEXITED`, `WSTOPPED`,
    /// `WCONTINUED`, else `EINVAL`; `WNOHANG` and `WNOWAIT` allowed.
    pub fn for_waitid(bits: u32) -> KernelResult<Self> {
        let known = WNOHANG | WSTOPPED | WEXITED | WCONTINUED | WNOWAIT | WTHREAD_BITS;
        if bits & !known != 0 || bits & (WEXITED | WSTOPPED | WCONTINUED) == 0 {
            return Err(Errno::EINVAL);
        }
        Ok(Self(bits))
    }

    /// Whether every bit of `flag` is set.
    pub fn contains(self, flag: u32) -> bool {
        self.0 & flag == flag
    }

    /// The raw bits.
    pub fn bits(self) -> u32 {
        self.0
    }
}

/// Which children a wait considers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitTarget {
    /// The child with this pid.
    Child(Pid),
    /// Any child.
    AnyChild,
    /// Children whose process group is this one.
    Group(Pid),
    /// Children in the waiter's own process group (read at wait time).
    OwnGroup,
}

impl WaitTarget {
    /// `wait4`'s `pid` argument: `> 0` that child, `-1` any, `0` own group,
    /// `< -1` group `-pid`. `i32::MIN` is `ESRCH`, as Linux (it has no negation).
    pub fn from_wait4(pid: i32) -> KernelResult<Self> {
        Ok(match pid {
            i32::MIN => return Err(Errno::ESRCH),
            -1 => WaitTarget::AnyChild,
            0 => WaitTarget::OwnGroup,
            p if p < -1 => WaitTarget::Group(-p),
            p => WaitTarget::Child(p),
        })
    }

    /// `waitid`'s `idtype`/`id`; `EINVAL` for unknown types (including
    /// `P_PIDFD`, not supported yet) and for non-positive pids or negative pgids.
    pub fn from_waitid(idtype: u32, id: i32) -> KernelResult<Self> {
        match idtype {
            P_ALL => Ok(WaitTarget::AnyChild),
            P_PID if id > 0 => Ok(WaitTarget::Child(id)),
            P_PGID if id == 0 => Ok(WaitTarget::OwnGroup),
            P_PGID if id > 0 => Ok(WaitTarget::Group(id)),
            _ => Err(Errno::EINVAL),
        }
    }
}

/// `si_code` of a `SIGCHLD` / `waitid` result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum ChildCode {
    /// Exited normally.
    Exited = 1,
    /// Killed by a signal.
    Killed = 2,
    /// Killed by a signal and dumped core.
    Dumped = 3,
    /// Stopped for its tracer (`CLD_TRAPPED`).
    Trapped = 4,
    /// Stopped by a signal.
    Stopped = 5,
    /// Continued by `SIGCONT`.
    Continued = 6,
}

/// What a wait reports: the `siginfo_t` fields of `waitid` plus the `wait4`
/// status word. `si_signo` is always [`SIGCHLD`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitInfo {
    /// `si_pid`: the child.
    pub pid: Pid,
    /// `si_uid`: the child's real uid.
    pub uid: Uid,
    /// `si_code`.
    pub code: ChildCode,
    /// `si_status`: exit code, or the signal that killed/stopped/continued it.
    pub status: i32,
    /// The `wait4` status word (`WIFEXITED` and friends decode it).
    pub wait_status: i32,
    /// For a child that ended: its CPU time and that of the children it
    /// reaped (`wait4`'s `rusage`); zero otherwise.
    pub times: crate::process::CpuTimes,
}

impl WaitInfo {
    /// What a wait reports of process `pid` (owned by `uid`) that ended
    /// with `termination` (and the `SIGCHLD` its parent gets).
    pub fn terminated(pid: Pid, uid: Uid, termination: Termination) -> Self {
        let (code, status) = match termination {
            Termination::Exited(code) => (ChildCode::Exited, i32::from(code)),
            Termination::Killed {
                signal,
                core_dumped,
            } => (
                if core_dumped {
                    ChildCode::Dumped
                } else {
                    ChildCode::Killed
                },
                i32::from(signal),
            ),
        };
        Self {
            pid,
            uid,
            code,
            status,
            wait_status: termination.wait_status(),
            times: crate::process::CpuTimes::default(),
        }
    }

    pub(crate) fn stopped(pid: Pid, uid: Uid, signal: u8) -> Self {
        Self {
            pid,
            uid,
            code: ChildCode::Stopped,
            status: i32::from(signal),
            wait_status: wait_status::stopped(signal),
            times: crate::process::CpuTimes::default(),
        }
    }

    pub(crate) fn trapped(pid: Pid, uid: Uid, signal: u8, wait_status: i32) -> Self {
        Self {
            pid,
            uid,
            code: ChildCode::Trapped,
            status: i32::from(signal),
            wait_status,
            times: crate::process::CpuTimes::default(),
        }
    }

    pub(crate) fn continued(pid: Pid, uid: Uid) -> Self {
        Self {
            pid,
            uid,
            code: ChildCode::Continued,
            status: i32::from(SIGCONT),
            wait_status: wait_status::CONTINUED,
            times: crate::process::CpuTimes::default(),
        }
    }
}

/// The answer to one wait poll.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitPoll {
    /// A child had something to report.
    Ready(WaitInfo),
    /// Matching children exist but none has anything to report: return 0
    /// under `WNOHANG`, otherwise block until the table reports a child
    /// event for this parent and poll again.
    NotYet,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait4_pid_argument_selects_targets() {
        assert_eq!(WaitTarget::from_wait4(5), Ok(WaitTarget::Child(5)));
        assert_eq!(WaitTarget::from_wait4(-1), Ok(WaitTarget::AnyChild));
        assert_eq!(WaitTarget::from_wait4(0), Ok(WaitTarget::OwnGroup));
        assert_eq!(WaitTarget::from_wait4(-7), Ok(WaitTarget::Group(7)));
        assert_eq!(WaitTarget::from_wait4(i32::MIN), Err(Errno::ESRCH));
    }

    #[test]
    fn waitid_needs_an_event_class() {
        assert_eq!(WaitOptions::for_waitid(WNOHANG), Err(Errno::EINVAL));
        assert!(WaitOptions::for_waitid(WEXITED | WNOWAIT).is_ok());
        assert_eq!(WaitOptions::for_wait4(WNOWAIT), Err(Errno::EINVAL));
        assert!(WaitOptions::for_wait4(0).unwrap().contains(WEXITED));
        assert_eq!(WaitTarget::from_waitid(P_PID, 0), Err(Errno::EINVAL));
        assert_eq!(WaitTarget::from_waitid(3, 1), Err(Errno::EINVAL));
        assert_eq!(WaitTarget::from_waitid(P_PGID, 0), Ok(WaitTarget::OwnGroup));
    }

    #[test]
    fn killed_with_core_reports_cld_dumped() {
        let t = Termination::Killed {
            signal: 11,
            core_dumped: true,
        };
        let info = WaitInfo::terminated(9, 1000, t);
        assert_eq!(
            (info.code as i32, info.status, info.wait_status),
            (3, 11, 0x8b)
        );
    }
}
