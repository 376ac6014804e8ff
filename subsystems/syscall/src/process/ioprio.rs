//! `ioprio_get`/`ioprio_set`: a thread's I/O scheduling class (real time,
//! best effort, idle) and level. Kept per thread and inherited by the
//! threads and processes it creates, as Linux keeps them; every file
//! system here lives in memory, with no request queue to order, so they
//! change nothing else (what `ionice` sets, it reads back).

use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::capability::{CAP_SYS_ADMIN, CAP_SYS_NICE};
use abi::{Errno, KernelResult};
use process::Thread;

use crate::SyscallResult;
use crate::context::Context;
use crate::kernel::Kernel;

const IOPRIO_WHO_PROCESS: i32 = 1;
const IOPRIO_WHO_PGRP: i32 = 2;
const IOPRIO_WHO_USER: i32 = 3;

const CLASS_SHIFT: u32 = 13;
const CLASS_NONE: u32 = 0;
const CLASS_RT: u32 = 1;
const CLASS_BE: u32 = 2;
const CLASS_IDLE: u32 = 3;
/// Levels of the real-time and best-effort classes (0, the highest, to 7).
const LEVELS: u32 = 8;
/// How a thread with no class compares: best effort, level 4.
const NO_CLASS_AS: u16 = ((CLASS_BE << CLASS_SHIFT) | 4) as u16;

/// Linux's `ioprio_check_cap`: the class and level of `ioprio`, checked
/// (`EINVAL`; the real-time class needs `CAP_SYS_NICE` or `CAP_SYS_ADMIN`,
/// else `EPERM`).
fn checked<K: Kernel>(ctx: &Context<'_, K>, ioprio: i32) -> KernelResult<u16> {
    let value = u16::try_from(ioprio).map_err(|_| Errno::EINVAL)?;
    let class = u32::from(value) >> CLASS_SHIFT;
    let level = u32::from(value) & ((1 << CLASS_SHIFT) - 1);
    match class {
        CLASS_RT if !ctx.capable(CAP_SYS_NICE) && !ctx.capable(CAP_SYS_ADMIN) => Err(Errno::EPERM),
        CLASS_RT | CLASS_BE if level >= LEVELS => Err(Errno::EINVAL),
        CLASS_RT | CLASS_BE | CLASS_IDLE => Ok(value),
        CLASS_NONE if level == 0 => Ok(value),
        _ => Err(Errno::EINVAL),
    }
}

/// The threads `which` and `who` name: one thread (0 the caller), every
/// thread of a process group (0 the caller's), or every thread of the
/// processes whose real uid is `who` (for `ioprio_get`, 0 is the
/// caller's; for `ioprio_set`, uid 0, as on Linux). `EINVAL` for another
/// `which`; an empty list when nobody matches.
fn threads<K: Kernel>(
    ctx: &Context<'_, K>,
    which: i32,
    who: i32,
    zero_is_caller_uid: bool,
) -> KernelResult<Vec<Arc<Thread<K::Env>>>> {
    let table = ctx.kernel.processes();
    let processes = match which {
        IOPRIO_WHO_PROCESS => {
            return Ok(match who {
                0 => alloc::vec![ctx.thread.clone()],
                tid => table.from_tid(tid).into_iter().collect(),
            });
        }
        IOPRIO_WHO_PGRP => super::ids::group_members(ctx, who),
        IOPRIO_WHO_USER => {
            let uid = if who == 0 && zero_is_caller_uid {
                ctx.process.data().credentials().uid()
            } else {
                who as u32
            };
            super::ids::processes_of_user(ctx, uid)
        }
        _ => return Err(Errno::EINVAL),
    };
    Ok(processes
        .iter()
        .flat_map(|process| process.threads())
        .collect())
}

/// `ioprio_set(which, who, ioprio)`: sets the I/O priority of the threads
/// named, stopping at the first the caller may not change (`EPERM`: the
/// caller's real or effective uid must be the thread's real uid, or it
/// holds `CAP_SYS_NICE`); `ESRCH` when none is named.
pub fn ioprio_set<K: Kernel>(
    ctx: &Context<'_, K>,
    which: i32,
    who: i32,
    ioprio: i32,
) -> SyscallResult {
    let value = checked(ctx, ioprio)?;
    let targets = threads(ctx, which, who, false)?;
    if targets.is_empty() {
        return Err(Errno::ESRCH);
    }
    let (uid, euid) = {
        let data = ctx.process.data();
        let credentials = data.credentials();
        (credentials.uid(), credentials.euid())
    };
    let privileged = ctx.capable(CAP_SYS_NICE);
    for thread in targets {
        let owner = ctx
            .kernel
            .processes()
            .from_pid(thread.pid())
            .map(|process| process.data().credentials().uid());
        if !privileged && owner != Some(uid) && owner != Some(euid) {
            return Err(Errno::EPERM);
        }
        thread.set_io_priority(value);
    }
    Ok(0)
}

/// `ioprio_get(which, who)`: one thread's I/O priority, or the highest of
/// several (a thread with no class counts as best effort, level 4);
/// `ESRCH` when none is named.
pub fn ioprio_get<K: Kernel>(ctx: &Context<'_, K>, which: i32, who: i32) -> SyscallResult {
    let targets = threads(ctx, which, who, true)?;
    let best = match targets.as_slice() {
        [] => return Err(Errno::ESRCH),
        [only] => only.io_priority(),
        many => many
            .iter()
            .map(|thread| match thread.io_priority() {
                value if u32::from(value) >> CLASS_SHIFT == CLASS_NONE => NO_CLASS_AS,
                value => value,
            })
            .min()
            .unwrap_or(NO_CLASS_AS),
    };
    Ok(u64::from(best))
}
