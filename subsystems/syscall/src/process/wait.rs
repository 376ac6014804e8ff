//! `wait4` and `waitid`: the `process` crate decides which child is
//! reported and reaps it; these sleep on the kernel's child-event queue
//! until it has something.

use abi::{Errno, KernelResult, Rusage};
use process::{ChildCode, WaitInfo, WaitOptions, WaitPoll, WaitTarget};
use sched::WakeReason;
use signal::RawSigInfo;
use zerocopy::FromZeros;

use crate::SyscallResult;
use crate::args::UserPtr;
use crate::context::Context;
use crate::kernel::{EventQueue, Kernel};

const WNOHANG: u32 = 1;
const SIGCHLD: i32 = 17;

/// Waits for a child per `target` and `options`; `None` for `WNOHANG`
/// with nothing to report yet.
fn wait_for_child<K: Kernel>(
    ctx: &Context<'_, K>,
    target: WaitTarget,
    options: WaitOptions,
    nohang: bool,
) -> KernelResult<Option<WaitInfo>> {
    let events = super::child_events::queue_of(ctx.kernel, ctx.process.pid());
    loop {
        let seen = events.sequence();
        let polled = {
            let _notify = super::child_events::lock_for_waiters([ctx.process.pid(), 0]);
            ctx.kernel.processes().wait(ctx.process, target, options)?
        };
        match polled {
            WaitPoll::Ready(info) => {
                if matches!(
                    info.code,
                    ChildCode::Exited | ChildCode::Killed | ChildCode::Dumped
                ) {
                    // A tracer collecting a tracee's end lets its parent
                    // reap it now (the tracee is still in the table): wake
                    // the parent's wait.
                    if let Some(tracee) = ctx.kernel.processes().from_pid(info.pid) {
                        let parent = tracee.data().ppid();
                        super::child_events::wake(ctx.kernel, parent);
                    }
                }
                return Ok(Some(info));
            }
            WaitPoll::NotYet if nohang => return Ok(None),
            WaitPoll::NotYet => {
                if events.wait_since(seen, true, None) == WakeReason::Interrupted
                    || ctx.thread.should_die()
                {
                    return Err(Errno::EINTR);
                }
            }
        }
    }
}

/// `wait4(pid, status, options, rusage)`: the reaped child's pid, or 0
/// under `WNOHANG` when no child has changed state.
pub fn wait4<K: Kernel>(
    ctx: &Context<'_, K>,
    pid: i32,
    status: UserPtr<i32>,
    options: u32,
    rusage: UserPtr<Rusage>,
) -> SyscallResult {
    let target = WaitTarget::from_wait4(pid)?;
    let parsed = WaitOptions::for_wait4(options)?;
    match wait_for_child(ctx, target, parsed, options & WNOHANG != 0)? {
        None => Ok(0),
        Some(info) => {
            ctx.write_optional(status, &info.wait_status)?;
            // The child's CPU time and its reaped descendants' (zero for a
            // stop or a continue); memory figures are not kept.
            ctx.write_optional(rusage, &crate::info::rusage_of(info.times))?;
            Ok(info.pid as u64)
        }
    }
}

/// `waitid(idtype, id, infop, options)`: the child's state as a
/// `SIGCHLD` siginfo (all zeros under `WNOHANG` with nothing to report).
pub fn waitid<K: Kernel>(
    ctx: &Context<'_, K>,
    idtype: u32,
    id: i32,
    infop: UserPtr<RawSigInfo>,
    options: u32,
) -> SyscallResult {
    const P_PIDFD: u32 = 3;
    let target = if idtype == P_PIDFD {
        WaitTarget::Child(super::pidfd::pid_of(ctx, crate::args::Fd(id))?)
    } else {
        WaitTarget::from_waitid(idtype, id)?
    };
    let parsed = WaitOptions::for_waitid(options)?;
    let result = wait_for_child(ctx, target, parsed, options & WNOHANG != 0)?;
    let mut info = RawSigInfo::new_zeroed();
    if let Some(child) = &result {
        info.si_signo = SIGCHLD;
        info.si_code = child.code as i32;
        // _sigchld: si_pid, si_uid, then si_status.
        info.union[0] = u64::from(child.pid as u32) | u64::from(child.uid) << 32;
        info.union[1] = u64::from(child.status as u32);
    }
    ctx.write_optional(infop, &info)?;
    Ok(0)
}
