//! Message queues: `msgget`, what `msgsnd` and `msgrcv` may take and give,
//! `msgctl`.
//!
//! The crate decides whether an operation can complete now; a caller told
//! [`Wait`] sleeps until the queue changes (or `IPC_NOWAIT` makes it fail)
//! and asks again.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use abi::{Errno, KernelResult};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::ids::IdTable;
use crate::perm::{IpcPerm, Requester};
use crate::shm::IpcPerm64;

/// The largest message (`msgmax`).
pub const MSGMAX: usize = 8192;
/// A new queue's capacity in bytes (`msgmnb`).
pub const MSGMNB: usize = 16384;
/// How many queues may exist (`msgmni`).
pub const MSGMNI: u32 = 32000;

/// `msgrcv` flag: truncate a message longer than the buffer.
pub const MSG_NOERROR: u32 = 0o10000;
/// `msgrcv` flag: take the first message of another type.
pub const MSG_EXCEPT: u32 = 0o20000;
/// `msgrcv` flag: copy the message at an index, leave it queued.
pub const MSG_COPY: u32 = 0o40000;
/// `msgsnd`/`msgrcv` flag: fail rather than wait.
pub const IPC_NOWAIT: u32 = 0o4000;

/// One queued message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Its type (positive).
    pub mtype: i64,
    /// Its bytes.
    pub text: Vec<u8>,
}

/// The operation cannot complete now: sleep until the queue changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wait;

/// One queue's state.
#[derive(Debug)]
pub struct Queue {
    messages: VecDeque<Message>,
    bytes: usize,
    /// Capacity in bytes (`msg_qbytes`); it also bounds the message count.
    capacity: usize,
    send_time: i64,
    receive_time: i64,
    change_time: i64,
    last_sender: i32,
    last_receiver: i32,
}

/// Linux's x86_64 `struct msqid64_ds` (`IPC_STAT`, `IPC_SET`).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[allow(missing_docs)] // Linux's field names.
pub struct MsqidDs {
    pub msg_perm: IpcPerm64,
    pub msg_stime: i64,
    pub msg_rtime: i64,
    pub msg_ctime: i64,
    pub msg_cbytes: u64,
    pub msg_qnum: u64,
    pub msg_qbytes: u64,
    pub msg_lspid: i32,
    pub msg_lrpid: i32,
    pub unused4: u64,
    pub unused5: u64,
}

/// Linux's `struct msginfo` (`IPC_INFO`, `MSG_INFO`).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[allow(missing_docs)] // Linux's field names.
pub struct MsgInfo {
    pub msgpool: i32,
    pub msgmap: i32,
    pub msgmax: i32,
    pub msgmnb: i32,
    pub msgmni: i32,
    pub msgssz: i32,
    pub msgtql: i32,
    pub msgseg: u16,
    pub pad: u16,
}

/// Which message `msgrcv` takes, from its `msgtyp` and flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selector {
    /// The first.
    Any,
    /// The first of this type.
    Equal(i64),
    /// The first not of this type (`MSG_EXCEPT`).
    NotEqual(i64),
    /// The first of the lowest type at most this (a negative `msgtyp`).
    LessOrEqual(i64),
    /// A copy of the one at this position (`MSG_COPY`).
    Index(usize),
}

impl Selector {
    /// Decodes `msgrcv`'s `msgtyp` and `flags`: `EINVAL` for `MSG_COPY`
    /// without `IPC_NOWAIT` or with `MSG_EXCEPT`.
    pub fn new(msgtyp: i64, flags: u32) -> KernelResult<Selector> {
        if flags & MSG_COPY != 0 {
            if flags & IPC_NOWAIT == 0 || flags & MSG_EXCEPT != 0 {
                return Err(Errno::EINVAL);
            }
            return usize::try_from(msgtyp)
                .map(Selector::Index)
                .map_err(|_| Errno::EINVAL);
        }
        Ok(match msgtyp {
            0 => Selector::Any,
            t if t < 0 => Selector::LessOrEqual(t.saturating_neg()),
            t if flags & MSG_EXCEPT != 0 => Selector::NotEqual(t),
            t => Selector::Equal(t),
        })
    }

    fn find(&self, messages: &VecDeque<Message>) -> Option<usize> {
        match *self {
            Selector::Any => (!messages.is_empty()).then_some(0),
            Selector::Equal(t) => messages.iter().position(|m| m.mtype == t),
            Selector::NotEqual(t) => messages.iter().position(|m| m.mtype != t),
            Selector::LessOrEqual(t) => messages
                .iter()
                .enumerate()
                .filter(|(_, m)| m.mtype <= t)
                .min_by_key(|&(index, m)| (m.mtype, index))
                .map(|(index, _)| index),
            Selector::Index(index) => (index < messages.len()).then_some(index),
        }
    }
}

/// The message queues of one IPC namespace.
#[derive(Debug)]
pub struct MsgNamespace {
    ids: IdTable<Queue>,
}

impl Default for MsgNamespace {
    fn default() -> Self {
        Self::new()
    }
}

impl MsgNamespace {
    /// No queues, Linux's default limits.
    pub const fn new() -> Self {
        MsgNamespace {
            ids: IdTable::new(MSGMNI),
        }
    }

    /// `msgget(key, flags)`: the queue `key` has, or a new one with
    /// `IPC_CREAT` (always for [`IPC_PRIVATE`](crate::IPC_PRIVATE)): `EEXIST`, `EACCES`,
    /// `ENOENT`, `ENOSPC` as for segments.
    pub fn get(
        &mut self,
        key: i32,
        flags: u32,
        who: &Requester<'_>,
        now: i64,
    ) -> KernelResult<i32> {
        if let Some(id) = self.ids.lookup(key, flags, who, |_| Ok(()))? {
            return Ok(id);
        }
        let queue = Queue {
            messages: VecDeque::new(),
            bytes: 0,
            capacity: MSGMNB,
            send_time: 0,
            receive_time: 0,
            change_time: now,
            last_sender: 0,
            last_receiver: 0,
        };
        self.ids
            .insert(IpcPerm::new(key, who, flags & 0o777), queue)
    }

    /// Whether queue `id` exists (a waiter whose queue went gets `EIDRM`).
    pub fn exists(&self, id: i32) -> bool {
        self.ids.get(id).is_ok()
    }

    /// `msgsnd`: queues `message` if it fits (its bytes, and one more
    /// message, within the capacity), else [`Wait`]. `EINVAL` for no such
    /// queue, `EACCES` without write permission. The caller checked the
    /// type and size (`EINVAL`) before copying the message in.
    pub fn send(
        &mut self,
        id: i32,
        message: Message,
        who: &Requester<'_>,
        now: i64,
    ) -> KernelResult<Result<(), (Message, Wait)>> {
        let object = self.ids.get_mut(id)?;
        if !object.perm.may_access(who, 0o222) {
            return Err(Errno::EACCES);
        }
        let queue = &mut object.value;
        let len = message.text.len();
        if queue.bytes + len > queue.capacity || queue.messages.len() + 1 > queue.capacity {
            return Ok(Err((message, Wait)));
        }
        queue.bytes += len;
        queue.messages.push_back(message);
        queue.last_sender = who.pid;
        queue.send_time = now;
        Ok(Ok(()))
    }

    /// `msgrcv`: the message `selector` picks (removed, unless a copy was
    /// asked for), or [`Wait`] if none. `E2BIG` (the message stays) for
    /// one longer than `max` without `MSG_NOERROR`, which truncates it.
    pub fn receive(
        &mut self,
        id: i32,
        selector: Selector,
        max: usize,
        flags: u32,
        who: &Requester<'_>,
        now: i64,
    ) -> KernelResult<Result<Message, Wait>> {
        let object = self.ids.get_mut(id)?;
        if !object.perm.may_access(who, 0o444) {
            return Err(Errno::EACCES);
        }
        let queue = &mut object.value;
        let Some(index) = selector.find(&queue.messages) else {
            return Ok(Err(Wait));
        };
        if queue.messages[index].text.len() > max && flags & MSG_NOERROR == 0 {
            return Err(Errno::E2BIG);
        }
        let mut message = if let Selector::Index(_) = selector {
            queue.messages[index].clone()
        } else {
            let message = queue.messages.remove(index).ok_or(Errno::EINVAL)?;
            queue.bytes -= message.text.len();
            queue.last_receiver = who.pid;
            queue.receive_time = now;
            message
        };
        message.text.truncate(max);
        Ok(Ok(message))
    }

    /// `IPC_STAT` (`MSG_STAT_ANY` when `any`).
    pub fn stat(&self, id: i32, who: &Requester<'_>, any: bool) -> KernelResult<MsqidDs> {
        let object = self.ids.readable(id, who, any)?;
        Ok(status(&object.perm, &object.value))
    }

    /// Every queue with its identifier and status (`/proc/sysvipc/msg`).
    pub fn queues(&self) -> impl Iterator<Item = (i32, MsqidDs)> + '_ {
        self.ids
            .iter()
            .map(|(id, object)| (id, status(&object.perm, &object.value)))
    }

    /// `MSG_STAT` (`MSG_STAT_ANY`): [`MsgNamespace::stat`] by index, with
    /// the identifier.
    pub fn stat_index(
        &self,
        index: u32,
        who: &Requester<'_>,
        any: bool,
    ) -> KernelResult<(i32, MsqidDs)> {
        let (id, _) = self.ids.by_index(index)?;
        Ok((id, self.stat(id, who, any)?))
    }

    /// `IPC_SET`: owner, permission bits and capacity. `EPERM` unless
    /// `who` owns or created the queue or has `CAP_SYS_ADMIN`, or when
    /// raising the capacity past [`MSGMNB`] without `CAP_SYS_RESOURCE`
    /// (`sys_resource`); `EINVAL` for a capacity past `i32::MAX`.
    pub fn set(
        &mut self,
        id: i32,
        who: &Requester<'_>,
        sys_resource: bool,
        new: &MsqidDs,
        now: i64,
    ) -> KernelResult<()> {
        let object = self.ids.changeable(id, who)?;
        let capacity = usize::try_from(new.msg_qbytes)
            .ok()
            .filter(|&bytes| bytes <= i32::MAX as usize)
            .ok_or(Errno::EINVAL)?;
        if capacity > MSGMNB && !sys_resource {
            return Err(Errno::EPERM);
        }
        object
            .perm
            .set(new.msg_perm.uid, new.msg_perm.gid, new.msg_perm.mode);
        object.value.capacity = capacity;
        object.value.change_time = now;
        Ok(())
    }

    /// `IPC_RMID`: the queue and its messages go at once (waiters get
    /// `EIDRM`). `EPERM` as for [`MsgNamespace::set`].
    pub fn remove(&mut self, id: i32, who: &Requester<'_>) -> KernelResult<()> {
        self.ids.changeable(id, who)?;
        self.ids.remove(id).map(drop)
    }

    /// `IPC_INFO` (the limits) or `MSG_INFO` (`usage`: queues, messages
    /// and bytes in place of three of them), and the highest index in use.
    pub fn info(&self, usage: bool) -> (MsgInfo, i32) {
        let mut info = MsgInfo {
            msgpool: (MSGMNI as usize * MSGMNB / 1024) as i32,
            msgmap: MSGMNB as i32,
            msgmax: MSGMAX as i32,
            msgmnb: MSGMNB as i32,
            msgmni: MSGMNI as i32,
            msgssz: 16,
            msgtql: MSGMNB as i32,
            msgseg: 0xffff,
            pad: 0,
        };
        if usage {
            info.msgpool = self.ids.len() as i32;
            info.msgmap = self
                .ids
                .iter()
                .map(|(_, object)| object.value.messages.len())
                .sum::<usize>() as i32;
            info.msgtql = self
                .ids
                .iter()
                .map(|(_, object)| object.value.bytes)
                .sum::<usize>() as i32;
        }
        let highest = self.ids.highest_index().map_or(0, |index| index as i32);
        (info, highest)
    }
}

fn status(perm: &IpcPerm, queue: &Queue) -> MsqidDs {
    MsqidDs {
        msg_perm: IpcPerm64::from(perm),
        msg_stime: queue.send_time,
        msg_rtime: queue.receive_time,
        msg_ctime: queue.change_time,
        msg_cbytes: queue.bytes as u64,
        msg_qnum: queue.messages.len() as u64,
        msg_qbytes: queue.capacity as u64,
        msg_lspid: queue.last_sender,
        msg_lrpid: queue.last_receiver,
        ..MsqidDs::default()
    }
}
