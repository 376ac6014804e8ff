//! System V IPC: the namespace of keyed kernel objects that `shmget(2)`
//! and its siblings create, find, check and remove.
//!
//! The crate owns the rules Linux 6.1 has for them, not their memory:
//! - identifiers ([`IdTable`]): an index and a sequence number packed
//!   into one `int`, indices handed out cyclically so that a removed
//!   object's identifier is not soon reused, at most a limit of objects;
//! - keys and the `IPC_CREAT`/`IPC_EXCL`/`IPC_PRIVATE` rules of the
//!   `*get` calls, in Linux's order of errors ([`ShmNamespace::get`]);
//! - permissions ([`IpcPerm`]): owner, group and other bits, the creator's
//!   rights, `CAP_IPC_OWNER` and `CAP_SYS_ADMIN`;
//! - message queues ([`MsgNamespace`]): capacities, which message a
//!   receiver's type selects, `MSG_NOERROR`, `MSG_EXCEPT`, `MSG_COPY`,
//!   and whether an operation must wait ([`Wait`]);
//! - semaphore sets ([`SemNamespace`]): `semop`'s all-or-nothing
//!   operations, waits for zero or for an increase, undo adjustments
//!   applied at exit, `SETVAL`/`SETALL` and the counts of waiters;
//! - shared-memory segments ([`ShmNamespace`]): sizes and limits,
//!   attach permissions and addresses, removal once the last attachment
//!   goes, `SHM_LOCK`, and the structures `shmctl` reads and writes
//!   ([`ShmidDs`], [`ShmInfo`], [`ShmLimits`]).
//!
//! A reuser implements [`SegmentMemory`] for the pages behind a segment
//! (what it counts as attachments is up to its memory manager), keeps one
//! [`ShmNamespace`] under a lock, and maps a segment where
//! [`attach_address`] says.

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

mod ids;
mod msg;
mod perm;
mod sem;
mod shm;

pub use ids::{IPCMNI, IdTable, Object};
pub use msg::{
    IPC_NOWAIT, MSG_COPY, MSG_EXCEPT, MSG_NOERROR, MSGMAX, MSGMNB, MSGMNI, Message, MsgInfo,
    MsgNamespace, MsqidDs, Selector, Wait,
};
pub use perm::{IpcPerm, Requester};
pub use sem::{
    Blocked, SEM_UNDO, SEMMNI, SEMMNS, SEMMSL, SEMOPM, SEMVMX, SemBuf, SemField, SemInfo,
    SemNamespace, SemSet, SemidDs,
};
pub use shm::{
    Attach, IpcPerm64, SHM_DEST, SHM_EXEC, SHM_LOCKED, SHM_RDONLY, SHM_REMAP, SHM_RND, SHMALL,
    SHMLBA, SHMMAX, SHMMIN, SHMMNI, Segment, SegmentMemory, ShmInfo, ShmLimits, ShmNamespace,
    ShmidDs, attach_address,
};

/// The key of an object no `*get` call can find (`IPC_PRIVATE`).
pub const IPC_PRIVATE: i32 = 0;
/// `*get` flag: create the object if the key has none.
pub const IPC_CREAT: u32 = 0o1000;
/// `*get` flag with `IPC_CREAT`: fail with `EEXIST` if the key has one.
pub const IPC_EXCL: u32 = 0o2000;

/// `*ctl` commands shared by the three kinds of object.
pub mod cmd {
    /// Remove the object.
    pub const IPC_RMID: i32 = 0;
    /// Set its owner and permission bits.
    pub const IPC_SET: i32 = 1;
    /// Read its status.
    pub const IPC_STAT: i32 = 2;
    /// Read the namespace's limits.
    pub const IPC_INFO: i32 = 3;
    /// Keep a segment's pages in memory.
    pub const SHM_LOCK: i32 = 11;
    /// Let a locked segment's pages go again.
    pub const SHM_UNLOCK: i32 = 12;
    /// `IPC_STAT` by index, returning the identifier.
    pub const SHM_STAT: i32 = 13;
    /// Read the namespace's usage.
    pub const SHM_INFO: i32 = 14;
    /// `SHM_STAT` without the read permission check.
    pub const SHM_STAT_ANY: i32 = 15;
    /// `IPC_STAT` of a queue by index, returning the identifier.
    pub const MSG_STAT: i32 = 11;
    /// Read the queues' usage.
    pub const MSG_INFO: i32 = 12;
    /// `MSG_STAT` without the read permission check.
    pub const MSG_STAT_ANY: i32 = 13;
    /// A semaphore's last operating process.
    pub const GETPID: i32 = 11;
    /// A semaphore's value.
    pub const GETVAL: i32 = 12;
    /// Every value of a set.
    pub const GETALL: i32 = 13;
    /// Waiters for a semaphore to grow.
    pub const GETNCNT: i32 = 14;
    /// Waiters for a semaphore to reach zero.
    pub const GETZCNT: i32 = 15;
    /// Set a semaphore's value.
    pub const SETVAL: i32 = 16;
    /// Set every value of a set.
    pub const SETALL: i32 = 17;
    /// `IPC_STAT` of a set by index, returning the identifier.
    pub const SEM_STAT: i32 = 18;
    /// Read the sets' usage.
    pub const SEM_INFO: i32 = 19;
    /// `SEM_STAT` without the read permission check.
    pub const SEM_STAT_ANY: i32 = 20;
}
