//! `inotify_init`, `inotify_init1`, `inotify_add_watch` and
//! `inotify_rm_watch`: file-change notification (the `fs` crate's
//! `fs::inotify`, whose instances are read like any descriptor and
//! polled by event loops).

use abi::Errno;
use fs::inotify::{IN_DONT_FOLLOW, IN_ONLYDIR, Inotify};
use fs::{Access, FileType, OpenFlags};

use crate::SyscallResult;
use crate::args::{DirFd, Fd, UserPath};
use crate::context::Context;
use crate::kernel::Kernel;

/// `inotify_init1(flags)`: `IN_NONBLOCK` and `IN_CLOEXEC`; anything else
/// is `EINVAL`. The instance counts against the caller's real user.
pub fn inotify_init1<K: Kernel>(ctx: &Context<'_, K>, flags: u32) -> SyscallResult {
    let owner = ctx.process.data().credentials().uid();
    let description = fs::inotify::create_inotify(flags, owner, ctx.kernel.new_wait_queue())?;
    let cloexec = flags & OpenFlags::O_CLOEXEC.bits() != 0;
    Ok(ctx.install(description, cloexec)? as u64)
}

/// `inotify_init()`: `inotify_init1` without flags.
pub fn inotify_init<K: Kernel>(ctx: &Context<'_, K>) -> SyscallResult {
    inotify_init1(ctx, 0)
}

/// Runs `operation` on the instance behind `fd`: `EBADF` for a closed
/// descriptor, `EINVAL` for one that is no inotify instance.
fn with_instance<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    operation: impl FnOnce(&Inotify) -> SyscallResult,
) -> SyscallResult {
    let description = ctx.description(fd)?;
    let instance = description.file().inotify().ok_or(Errno::EINVAL)?;
    operation(instance)
}

/// `inotify_add_watch(fd, path, mask)`: the watch descriptor. The path
/// is followed unless `IN_DONT_FOLLOW`, must name a directory with
/// `IN_ONLYDIR` (`ENOTDIR`), and must be readable by the caller
/// (`EACCES`), in Linux's order: the mask first, then the descriptor,
/// then the path.
pub fn inotify_add_watch<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    path: UserPath,
    mask: u32,
) -> SyscallResult {
    fs::inotify::check_mask(mask)?;
    with_instance(ctx, fd, |instance| {
        let path = ctx.read_path(path, false)?;
        let follow = mask & IN_DONT_FOLLOW == 0;
        let custody = ctx.at(DirFd::Cwd, &path, |p| {
            ctx.kernel.vfs().resolve(p, &path, follow)
        })?;
        let inode = custody.inode();
        if mask & IN_ONLYDIR != 0 && inode.file_type() != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        fs::credentials::check_access(&inode.stat(), &ctx.fs_credentials(), Access::READ)?;
        Ok(instance.add_watch(inode, mask)? as u64)
    })
}

/// `inotify_rm_watch(fd, wd)`: `EINVAL` for a watch the instance does not
/// have.
pub fn inotify_rm_watch<K: Kernel>(ctx: &Context<'_, K>, fd: Fd, wd: i32) -> SyscallResult {
    with_instance(ctx, fd, |instance| {
        instance.remove_watch(wd)?;
        Ok(0)
    })
}
