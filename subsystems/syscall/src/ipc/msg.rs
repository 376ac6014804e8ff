//! `msgget`, `msgsnd`, `msgrcv`, `msgctl`.
//!
//! Senders and receivers that must wait sleep on one event queue for all
//! message queues ([`Kernel::ipc_events`]), woken by every change, and
//! ask the namespace again: a sender when a receiver made room, a receiver
//! when a message came, both when their queue was removed (`EIDRM`). A
//! signal ends the wait with `EINTR`, whatever `SA_RESTART` says, as on
//! Linux.

use alloc::vec;

use abi::capability::CAP_SYS_RESOURCE;
use abi::{Errno, KernelResult};
use ipc::{IPC_NOWAIT, MSGMAX, Message, MsgNamespace, MsqidDs, Selector, cmd};
use sched::WakeReason;

use super::{now, with_requester};
use crate::SyscallResult;
use crate::args::UserPtr;
use crate::context::Context;
use crate::kernel::{EventQueue, Kernel};

/// The machine's message queues, behind the lock the kernel keeps them in.
pub type MessageQueues = lock::Mutex<MsgNamespace>;

/// Sleeps until the queues change; `EINTR` if a signal came first.
fn wait<K: Kernel>(ctx: &Context<'_, K>, seen: u64) -> KernelResult<()> {
    match ctx.kernel.ipc_events().wait_since(seen, true, None) {
        WakeReason::Interrupted => Err(Errno::EINTR),
        _ => Ok(()),
    }
}

/// A queue that existed when the caller began to wait and is gone now was
/// removed under it.
fn removed_while_waiting(error: Errno, waited: bool) -> Errno {
    if error == Errno::EINVAL && waited {
        Errno::EIDRM
    } else {
        error
    }
}

/// `msgget(key, flags)`.
pub fn msgget<K: Kernel>(ctx: &Context<'_, K>, key: i32, flags: u32) -> SyscallResult {
    let now = now(ctx);
    let id = with_requester(ctx, |who| {
        ctx.kernel.message_queues().lock().get(key, flags, who, now)
    })?;
    Ok(id as u64)
}

/// `msgsnd(id, msgp, size, flags)`: `msgp` points at the type (a `long`)
/// followed by the text.
pub fn msgsnd<K: Kernel>(
    ctx: &Context<'_, K>,
    id: i32,
    msgp: u64,
    size: u64,
    flags: u32,
) -> SyscallResult {
    let mtype: i64 = ctx.read(UserPtr::new(msgp))?;
    let size = usize::try_from(size)
        .ok()
        .filter(|&size| size <= MSGMAX)
        .ok_or(Errno::EINVAL)?;
    if id < 0 || mtype < 1 {
        return Err(Errno::EINVAL);
    }
    let mut text = vec![0u8; size];
    ctx.kernel
        .user_memory()
        .copy_from_user(&mut text, mm::UserSlice::new(msgp.wrapping_add(8), size)?)?;
    let mut message = Message { mtype, text };
    let events = ctx.kernel.ipc_events();
    let mut waited = false;
    loop {
        let seen = events.sequence();
        let sent = with_requester(ctx, |who| {
            ctx.kernel
                .message_queues()
                .lock()
                .send(id, message, who, now(ctx))
        })
        .map_err(|error| removed_while_waiting(error, waited))?;
        match sent {
            Ok(()) => {
                events.wake_all();
                return Ok(0);
            }
            Err((unsent, _)) if flags & IPC_NOWAIT != 0 => {
                drop(unsent);
                return Err(Errno::EAGAIN);
            }
            Err((unsent, _)) => message = unsent,
        }
        wait(ctx, seen)?;
        waited = true;
    }
}

/// `msgrcv(id, msgp, size, msgtyp, flags)`: the length of the text
/// received.
pub fn msgrcv<K: Kernel>(
    ctx: &Context<'_, K>,
    id: i32,
    msgp: u64,
    size: u64,
    msgtyp: i64,
    flags: u32,
) -> SyscallResult {
    let size = usize::try_from(size)
        .ok()
        .filter(|&size| size <= isize::MAX as usize)
        .ok_or(Errno::EINVAL)?;
    if id < 0 {
        return Err(Errno::EINVAL);
    }
    let selector = Selector::new(msgtyp, flags)?;
    let events = ctx.kernel.ipc_events();
    let mut waited = false;
    let message = loop {
        let seen = events.sequence();
        let taken = with_requester(ctx, |who| {
            ctx.kernel
                .message_queues()
                .lock()
                .receive(id, selector, size, flags, who, now(ctx))
        })
        .map_err(|error| removed_while_waiting(error, waited))?;
        match taken {
            Ok(message) => break message,
            Err(_) if flags & IPC_NOWAIT != 0 => return Err(Errno::ENOMSG),
            Err(_) => {}
        }
        wait(ctx, seen)?;
        waited = true;
    };
    // A sender may fit now. The message is the caller's from here: a bad
    // buffer loses it, as on Linux.
    events.wake_all();
    ctx.write(UserPtr::new(msgp), &message.mtype)?;
    ctx.kernel.user_memory().copy_to_user(
        mm::UserSlice::new(msgp.wrapping_add(8), message.text.len())?,
        &message.text,
    )?;
    Ok(message.text.len() as u64)
}

/// `msgctl(id, cmd, buf)`.
pub fn msgctl<K: Kernel>(ctx: &Context<'_, K>, id: i32, command: i32, buf: u64) -> SyscallResult {
    if id < 0 || command < 0 {
        return Err(Errno::EINVAL);
    }
    let queues = ctx.kernel.message_queues();
    match command {
        cmd::IPC_INFO | cmd::MSG_INFO => {
            let (info, highest) = queues.lock().info(command == cmd::MSG_INFO);
            ctx.write(UserPtr::new(buf), &info)?;
            Ok(highest as u64)
        }
        cmd::IPC_STAT | cmd::MSG_STAT | cmd::MSG_STAT_ANY => {
            let (found, status) = with_requester(ctx, |who| {
                let queues = queues.lock();
                if command == cmd::IPC_STAT {
                    queues.stat(id, who, false).map(|status| (0, status))
                } else {
                    queues.stat_index(id as u32, who, command == cmd::MSG_STAT_ANY)
                }
            })?;
            ctx.write(UserPtr::<MsqidDs>::new(buf), &status)?;
            Ok(found as u64)
        }
        cmd::IPC_SET => {
            let new: MsqidDs = ctx.read(UserPtr::new(buf))?;
            let sys_resource = ctx.capable(CAP_SYS_RESOURCE);
            let now = now(ctx);
            with_requester(ctx, |who| {
                queues.lock().set(id, who, sys_resource, &new, now)
            })?;
            // A larger queue may take a waiting sender.
            ctx.kernel.ipc_events().wake_all();
            Ok(0)
        }
        cmd::IPC_RMID => {
            with_requester(ctx, |who| queues.lock().remove(id, who))?;
            ctx.kernel.ipc_events().wake_all();
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}
