//! Who may signal whom: `kill`'s credential rules and `rt_sigqueueinfo`'s
//! anti-forgery rule.

use crate::siginfo::codes;
use crate::signal::Signal;
use abi::{Errno, KernelResult};

/// The ids signal permission looks at.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SignalCredentials {
    /// Real uid.
    pub uid: u32,
    /// Effective uid.
    pub euid: u32,
    /// Saved set-user-id.
    pub suid: u32,
    /// Whether it holds `CAP_KILL`, which may signal anyone (a sender's
    /// matters; a target's is ignored).
    pub kill_any: bool,
}

/// How the sender and the target are related.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct TargetRelation {
    /// Same process (any thread may signal its own process).
    pub same_process: bool,
    /// Same session (SIGCONT may always be sent within a session).
    pub same_session: bool,
}

/// Linux's `check_kill_permission`: may `sender` send `signal` (`None`:
/// the existence probe `kill(pid, 0)`) to `target`? Signals the kernel
/// raises (`from_user == false`) always may. Otherwise the sender must be
/// hold `CAP_KILL`, be in the same process, or have its real or effective uid equal to
/// the target's real or saved uid; SIGCONT also passes within a session.
pub fn check_kill_permission(
    signal: Option<Signal>,
    from_user: bool,
    sender: SignalCredentials,
    target: SignalCredentials,
    relation: TargetRelation,
) -> KernelResult<()> {
    if !from_user || relation.same_process || sender.kill_any {
        return Ok(());
    }
    let ids_match = [sender.euid, sender.uid]
        .iter()
        .any(|id| *id == target.suid || *id == target.uid);
    if ids_match || (signal == Some(Signal::SIGCONT) && relation.same_session) {
        Ok(())
    } else {
        Err(Errno::EPERM)
    }
}

/// `rt_sigqueueinfo`/`rt_tgsigqueueinfo`: user space may send its own
/// siginfo, but not pretend to be the kernel (`si_code >= 0`) or
/// `tkill` (`SI_TKILL`) to another process: `EPERM`. Not even root may.
pub const fn check_queued_siginfo(
    sender_pid: i32,
    target_pid: i32,
    si_code: i32,
) -> KernelResult<()> {
    if (si_code >= 0 || si_code == codes::SI_TKILL) && sender_pid != target_pid {
        Err(Errno::EPERM)
    } else {
        Ok(())
    }
}
