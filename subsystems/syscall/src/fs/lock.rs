//! Advisory locks: `flock` and the `fcntl` record-lock commands
//! (`F_GETLK`, `F_SETLK`, `F_SETLKW` and their open-file-description
//! forms), over the VFS's lock table (`fs::lock::FileLocks`).

use alloc::sync::Arc;

use abi::{Errno, KernelResult};
use fs::FileDescription;
use fs::inode::InodeId;
use fs::lock::{Conflict, LockFamily, LockKind, LockOwner};

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use super::poll::Watch;
use crate::SyscallResult;
use crate::args::{Fd, UserPtr};
use crate::context::Context;
use crate::kernel::Kernel;

const LOCK_SH: i32 = 1;
const LOCK_EX: i32 = 2;
const LOCK_NB: i32 = 4;
const LOCK_UN: i32 = 8;
const F_RDLCK: i16 = 0;
const F_WRLCK: i16 = 1;
const F_UNLCK: i16 = 2;
/// How often a blocked locker looks again: a lock whose description
/// closes goes without a wake.
const RECHECK_NS: u64 = 10_000_000;

/// `struct flock`: type, whence, start, length, pid.
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
struct Flock {
    kind: i16,
    whence: i16,
    _pad: i32,
    start: i64,
    len: i64,
    pid: i32,
    _pad2: i32,
}

/// The identity locks are kept under: the inode, or for a file without
/// one (a pipe, a socket) the description itself.
fn file_id(description: &Arc<FileDescription>) -> InodeId {
    match description.inode() {
        Some(inode) => inode.id(),
        None => InodeId {
            dev: u64::MAX,
            ino: Arc::as_ptr(description) as usize as u64,
        },
    }
}

/// Runs `attempt` until it stops saying `EAGAIN` (or at once when
/// `wait` is false), sleeping on the lock table's queue in between;
/// `before_sleep` may refuse the sleep (deadlock).
fn until_granted<K: Kernel>(
    ctx: &Context<'_, K>,
    wait: bool,
    mut attempt: impl FnMut() -> KernelResult<()>,
    mut before_sleep: impl FnMut() -> KernelResult<()>,
) -> KernelResult<()> {
    let locks = ctx.kernel.vfs().locks();
    locks.set_waiters(ctx.kernel.new_wait_queue());
    let Some(queue) = locks.waiters().cloned() else {
        return attempt();
    };
    let watch = Watch::on(queue);
    loop {
        let seen = watch.seen();
        match attempt() {
            Err(Errno::EAGAIN) if wait => {
                before_sleep()?;
                let deadline = ctx.kernel.now_ns() + RECHECK_NS;
                let slept = watch.sleep(ctx.kernel, seen, Some(deadline));
                locks.stop_waiting(ctx.process.pid());
                slept?;
            }
            other => return other,
        }
    }
}

/// `flock(fd, operation)`: `LOCK_SH`, `LOCK_EX` (waiting unless
/// `LOCK_NB`: `EWOULDBLOCK`), `LOCK_UN`.
pub fn flock<K: Kernel>(ctx: &Context<'_, K>, fd: Fd, operation: i32) -> SyscallResult {
    let description = ctx.description(fd)?;
    let kind = match operation & !LOCK_NB {
        LOCK_SH => Some(LockKind::Read),
        LOCK_EX => Some(LockKind::Write),
        LOCK_UN => None,
        _ => return Err(Errno::EINVAL),
    };
    let file = file_id(&description);
    let owner = LockOwner::Description(Arc::downgrade(&description));
    let locks = ctx.kernel.vfs().locks();
    let whole = (0, u64::MAX);
    until_granted(
        ctx,
        operation & LOCK_NB == 0,
        || locks.lock(file, LockFamily::Flock, owner.clone(), kind, whole),
        || Ok(()),
    )?;
    Ok(0)
}

/// The byte range a `struct flock` names for `description`:
/// `EINVAL` for one that starts before the file or runs past `i64`.
fn range(description: &FileDescription, lock: &Flock) -> KernelResult<(u64, u64)> {
    let base: i64 = match lock.whence {
        0 => 0,
        1 => description.offset() as i64,
        2 => description.stat()?.size,
        _ => return Err(Errno::EINVAL),
    };
    let start = base.checked_add(lock.start).ok_or(Errno::EOVERFLOW)?;
    let (start, end) = match lock.len {
        0 => (start, i64::MAX),
        len if len > 0 => (start, start.checked_add(len).ok_or(Errno::EOVERFLOW)?),
        len => (start.checked_add(len).ok_or(Errno::EINVAL)?, start),
    };
    if start < 0 {
        return Err(Errno::EINVAL);
    }
    let end = if end == i64::MAX {
        u64::MAX
    } else {
        end as u64
    };
    Ok((start as u64, end))
}

/// The `fcntl` lock commands: `ofd` for the open-file-description forms
/// (owned by the description; `l_pid` must be 0), `set` for `F_SETLK*`,
/// `wait` for `F_SETLKW`.
pub fn fcntl_lock<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    (set, wait, ofd): (bool, bool, bool),
    at: u64,
) -> SyscallResult {
    let description = ctx.description(fd)?;
    let pointer = UserPtr::<Flock>::new(at);
    let mut lock: Flock = ctx.read(pointer)?;
    if ofd && lock.pid != 0 {
        return Err(Errno::EINVAL);
    }
    let kind = match lock.kind {
        F_RDLCK => Some(LockKind::Read),
        F_WRLCK => Some(LockKind::Write),
        F_UNLCK => None,
        _ => return Err(Errno::EINVAL),
    };
    let bytes = range(&description, &lock)?;
    let file = file_id(&description);
    let owner = if ofd {
        LockOwner::Description(Arc::downgrade(&description))
    } else {
        LockOwner::Process(ctx.process.pid())
    };
    let locks = ctx.kernel.vfs().locks();
    if !set {
        // F_GETLK: the first conflicting lock, or F_UNLCK.
        let probe = kind.ok_or(Errno::EINVAL)?;
        match locks.conflict(file, LockFamily::Record, &owner, probe, bytes) {
            Some(Conflict {
                kind,
                start,
                end,
                pid,
            }) => {
                lock.kind = if kind == LockKind::Write {
                    F_WRLCK
                } else {
                    F_RDLCK
                };
                lock.whence = 0;
                lock.start = start as i64;
                lock.len = if end == u64::MAX {
                    0
                } else {
                    (end - start) as i64
                };
                lock.pid = pid;
            }
            None => lock.kind = F_UNLCK,
        }
        ctx.write(pointer, &lock)?;
        return Ok(0);
    }
    let access = description.access_mode();
    match kind {
        Some(LockKind::Read) if !access.readable() => return Err(Errno::EBADF),
        Some(LockKind::Write) if !access.writable() => return Err(Errno::EBADF),
        _ => {}
    }
    let me = ctx.process.pid();
    until_granted(
        ctx,
        wait,
        || locks.lock(file, LockFamily::Record, owner.clone(), kind, bytes),
        || {
            // Deadlock detection for process-owned locks, as Linux.
            let blocker =
                kind.and_then(|k| locks.conflict(file, LockFamily::Record, &owner, k, bytes));
            match blocker {
                Some(conflict) if !ofd && conflict.pid > 0 => locks.start_waiting(me, conflict.pid),
                _ => Ok(()),
            }
        },
    )?;
    Ok(0)
}

/// A process closed a descriptor of `description`'s file: POSIX drops all
/// its record locks on that file.
pub fn after_close<K: Kernel>(ctx: &Context<'_, K>, description: &Arc<FileDescription>) {
    ctx.kernel
        .vfs()
        .locks()
        .release_process(ctx.process.pid(), Some(file_id(description)));
}
