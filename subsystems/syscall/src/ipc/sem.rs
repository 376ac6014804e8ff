//! `semget`, `semop`, `semtimedop`, `semctl`, and undo at exit.
//!
//! A `semop` that must wait counts itself as a waiter on the semaphore
//! that stopped it (`GETNCNT`, `GETZCNT`), sleeps on the event queue of
//! all System V objects ([`Kernel::ipc_events`]), and tries the whole
//! operation again after every change. `EAGAIN` at the timeout, `EIDRM`
//! when the set went meanwhile, `EINTR` on a signal (restarted only when
//! no handler ran, as Linux's -ERESTARTNOHAND).

use alloc::vec;
use alloc::vec::Vec;

use abi::{Errno, Timespec};
use ipc::{SEMOPM, SemBuf, SemField, SemNamespace, SemidDs, cmd};
use sched::WakeReason;
use zerocopy::{FromZeros, IntoBytes};

use super::{now, with_requester};
use crate::SyscallResult;
use crate::args::UserPtr;
use crate::context::Context;
use crate::kernel::{EventQueue, Kernel};

/// The machine's semaphore sets, behind the lock the kernel keeps them in.
pub type Semaphores = lock::Mutex<SemNamespace>;

/// `semget(key, nsems, flags)`.
pub fn semget<K: Kernel>(ctx: &Context<'_, K>, key: i32, nsems: i32, flags: u32) -> SyscallResult {
    let now = now(ctx);
    let id = with_requester(ctx, |who| {
        ctx.kernel
            .semaphores()
            .lock()
            .get(key, nsems, flags, who, now)
    })?;
    Ok(id as u64)
}

/// `semop(id, sops, nsops)`.
pub fn semop<K: Kernel>(ctx: &Context<'_, K>, id: i32, sops: u64, nsops: u64) -> SyscallResult {
    semtimedop(ctx, id, sops, nsops, UserPtr::new(0))
}

/// `semtimedop(id, sops, nsops, timeout)`: `timeout` is relative.
pub fn semtimedop<K: Kernel>(
    ctx: &Context<'_, K>,
    id: i32,
    sops: u64,
    nsops: u64,
    timeout: UserPtr<Timespec>,
) -> SyscallResult {
    if nsops < 1 || id < 0 {
        return Err(Errno::EINVAL);
    }
    let count = usize::try_from(nsops)
        .ok()
        .filter(|&n| n <= SEMOPM)
        .ok_or(Errno::E2BIG)?;
    let mut ops = vec![SemBuf::new_zeroed(); count];
    ctx.kernel.user_memory().copy_from_user(
        ops.as_mut_bytes(),
        mm::UserSlice::new(sops, count * size_of::<SemBuf>())?,
    )?;
    let deadline = if timeout.is_null() {
        None
    } else {
        let ts = ctx.read(timeout)?.validate()?;
        Some(ts.deadline_after(ctx.kernel.now_ns())?)
    };
    let events = ctx.kernel.ipc_events();
    let mut waited = false;
    loop {
        let seen = events.sequence();
        let outcome = with_requester(ctx, |who| {
            let mut sets = ctx.kernel.semaphores().lock();
            let outcome = sets.operate(id, &ops, who, now(ctx));
            if let Ok(Err(blocked)) = outcome {
                sets.wait_begins(id, blocked);
            }
            outcome
        });
        let blocked = match outcome {
            Ok(Ok(())) => {
                events.wake_all();
                return Ok(0);
            }
            Ok(Err(blocked)) => blocked,
            Err(Errno::EINVAL) if waited => return Err(Errno::EIDRM),
            Err(error) => return Err(error),
        };
        let woke = events.wait_since(seen, true, deadline);
        ctx.kernel.semaphores().lock().wait_ends(id, blocked);
        match woke {
            WakeReason::Interrupted => return Err(Errno::EINTR),
            WakeReason::TimedOut => return Err(Errno::EAGAIN),
            WakeReason::Woken => waited = true,
        }
    }
}

/// `semctl(id, semnum, cmd, arg)`: `arg` is the `union semun` passed by
/// value (a value for `SETVAL`, else a pointer).
pub fn semctl<K: Kernel>(
    ctx: &Context<'_, K>,
    id: i32,
    semnum: i32,
    command: i32,
    arg: u64,
) -> SyscallResult {
    if id < 0 {
        return Err(Errno::EINVAL);
    }
    let sets = ctx.kernel.semaphores();
    let field = |field| {
        with_requester(ctx, |who| sets.lock().field(id, semnum, field, who)).map(|v| v as u64)
    };
    match command {
        cmd::IPC_INFO | cmd::SEM_INFO => {
            let (info, highest) = sets.lock().info(command == cmd::SEM_INFO);
            ctx.write(UserPtr::new(arg), &info)?;
            Ok(highest as u64)
        }
        cmd::IPC_STAT | cmd::SEM_STAT | cmd::SEM_STAT_ANY => {
            let (found, status) = with_requester(ctx, |who| {
                let sets = sets.lock();
                if command == cmd::IPC_STAT {
                    sets.stat(id, who, false).map(|status| (0, status))
                } else {
                    sets.stat_index(id as u32, who, command == cmd::SEM_STAT_ANY)
                }
            })?;
            ctx.write(UserPtr::<SemidDs>::new(arg), &status)?;
            Ok(found as u64)
        }
        cmd::GETVAL => field(SemField::Value),
        cmd::GETPID => field(SemField::Pid),
        cmd::GETNCNT => field(SemField::WaitingIncrease),
        cmd::GETZCNT => field(SemField::WaitingZero),
        cmd::GETALL => {
            let values = with_requester(ctx, |who| sets.lock().values(id, who))?;
            ctx.kernel.user_memory().copy_to_user(
                mm::UserSlice::new(arg, values.len() * 2)?,
                values.as_bytes(),
            )?;
            Ok(0)
        }
        cmd::SETVAL => {
            let now = now(ctx);
            with_requester(ctx, |who| {
                sets.lock()
                    .set_values(id, Some(semnum), &[arg as i32], who, now)
            })?;
            ctx.kernel.ipc_events().wake_all();
            Ok(0)
        }
        cmd::SETALL => {
            let count = sets.lock().len(id)?;
            let mut values = vec![0u16; count];
            ctx.kernel
                .user_memory()
                .copy_from_user(values.as_mut_bytes(), mm::UserSlice::new(arg, count * 2)?)?;
            let values: Vec<i32> = values.into_iter().map(i32::from).collect();
            let now = now(ctx);
            with_requester(ctx, |who| {
                sets.lock().set_values(id, None, &values, who, now)
            })?;
            ctx.kernel.ipc_events().wake_all();
            Ok(0)
        }
        cmd::IPC_SET => {
            let new: SemidDs = ctx.read(UserPtr::new(arg))?;
            let now = now(ctx);
            with_requester(ctx, |who| sets.lock().set(id, who, &new, now))?;
            Ok(0)
        }
        cmd::IPC_RMID => {
            with_requester(ctx, |who| sets.lock().remove(id, who))?;
            ctx.kernel.ipc_events().wake_all();
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// Applies the undo adjustments of process `pid`, which is ending.
pub fn exit<K: Kernel>(kernel: &K, pid: i32) {
    if kernel.semaphores().lock().exit(pid) {
        kernel.ipc_events().wake_all();
    }
}
