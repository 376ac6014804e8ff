//! Where a signal goes: decoding `kill`'s pid argument and choosing the
//! thread that takes a process-directed signal.

use crate::signal::Signal;
use crate::sigset::SigSet;
use abi::{Errno, KernelResult};

/// The receivers `kill(pid, sig)` names.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum KillTarget {
    /// `pid > 0`: that process.
    Process(i32),
    /// `pid == 0`: every process in the caller's process group.
    CallerGroup,
    /// `pid == -1`: every process the caller may signal except init and itself.
    Everyone,
    /// `pid < -1`: every process in group `-pid`.
    Group(i32),
}

impl KillTarget {
    /// Decodes `kill`'s pid. `i32::MIN` has no positive group id: `ESRCH`,
    /// as on Linux.
    pub const fn from_raw(pid: i32) -> KernelResult<KillTarget> {
        match pid {
            i32::MIN => Err(Errno::ESRCH),
            -1 => Ok(KillTarget::Everyone),
            0 => Ok(KillTarget::CallerGroup),
            pid if pid > 0 => Ok(KillTarget::Process(pid)),
            pid => Ok(KillTarget::Group(-pid)),
        }
    }
}

/// Checks `tgkill(tgid, tid, sig)`'s ids (`tkill` passes no tgid): both
/// must be positive, else `EINVAL`.
pub const fn check_tgkill_ids(tgid: Option<i32>, tid: i32) -> KernelResult<()> {
    match tgid {
        Some(tgid) if tgid <= 0 => Err(Errno::EINVAL),
        _ if tid <= 0 => Err(Errno::EINVAL),
        _ => Ok(()),
    }
}

/// The thread that should take a process-directed `signal` (and be woken):
/// the main thread if it does not block it, else the first thread that
/// neither blocks it nor is exiting. `threads` yields `(tid, blocked mask,
/// is_exiting)`. `None` means every thread blocks it: it stays pending on
/// the process until one unblocks it.
pub fn choose_target_thread<T: Copy + PartialEq>(
    signal: Signal,
    main: T,
    threads: impl IntoIterator<Item = (T, SigSet, bool)>,
) -> Option<T> {
    let mut first = None;
    for (tid, blocked, exiting) in threads {
        if exiting || blocked.contains(signal) {
            continue;
        }
        if tid == main {
            return Some(tid);
        }
        first = first.or(Some(tid));
    }
    first
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kill_pid_argument_decodes_like_linux() {
        assert_eq!(KillTarget::from_raw(7), Ok(KillTarget::Process(7)));
        assert_eq!(KillTarget::from_raw(0), Ok(KillTarget::CallerGroup));
        assert_eq!(KillTarget::from_raw(-1), Ok(KillTarget::Everyone));
        assert_eq!(KillTarget::from_raw(-42), Ok(KillTarget::Group(42)));
        assert_eq!(KillTarget::from_raw(i32::MIN), Err(Errno::ESRCH));
    }

    #[test]
    fn tgkill_rejects_nonpositive_ids() {
        assert_eq!(check_tgkill_ids(Some(0), 5), Err(Errno::EINVAL));
        assert_eq!(check_tgkill_ids(Some(5), -1), Err(Errno::EINVAL));
        assert_eq!(check_tgkill_ids(None, 0), Err(Errno::EINVAL));
        assert_eq!(check_tgkill_ids(Some(5), 6), Ok(()));
    }
}
