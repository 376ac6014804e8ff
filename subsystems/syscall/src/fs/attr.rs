//! File attributes: mode, ownership, times, umask, file-system statistics.
//!
//! The descriptor forms (`fchmod`, `fchown`, `futimens`) act on the open
//! file's inode, so they keep working after the file is renamed or
//! unlinked, as on Linux.

use abi::{
    AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW, Errno, KernelResult, Statfs, Timespec, Timeval, UTIME_NOW,
    UTIME_OMIT,
};
use fs::{TimeChange, Vfs};

use crate::SyscallResult;
use crate::args::{AtFlags, DirFd, Fd, Mode, OptionalId, UserPath, UserPtr};
use crate::context::Context;
use crate::kernel::Kernel;

/// `fchmodat(dirfd, path, mode)`.
pub fn fchmodat<K: Kernel>(
    ctx: &Context<'_, K>,
    dirfd: DirFd,
    path: UserPath,
    mode: Mode,
) -> SyscallResult {
    let path = ctx.read_path(path, false)?;
    ctx.at(dirfd, &path, |p| {
        ctx.kernel.vfs().chmod(p, &path, mode.0 & 0o7777)
    })?;
    Ok(0)
}

/// `chmod(path, mode)`.
pub fn chmod<K: Kernel>(ctx: &Context<'_, K>, path: UserPath, mode: Mode) -> SyscallResult {
    fchmodat(ctx, DirFd::Cwd, path, mode)
}

/// `fchmod(fd, mode)`.
pub fn fchmod<K: Kernel>(ctx: &Context<'_, K>, fd: Fd, mode: Mode) -> SyscallResult {
    let description = ctx.description(fd)?;
    let inode = description.inode().ok_or(Errno::EBADF)?;
    Vfs::chmod_inode(inode, mode.0 & 0o7777, &ctx.fs_credentials())?;
    description.report(fs::inotify::IN_ATTRIB);
    Ok(0)
}

/// `fchownat(dirfd, path, uid, gid, flags)`.
pub fn fchownat<K: Kernel>(
    ctx: &Context<'_, K>,
    dirfd: DirFd,
    path: UserPath,
    uid: OptionalId,
    gid: OptionalId,
    flags: AtFlags,
) -> SyscallResult {
    let flags = flags.only(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)?;
    let path = ctx.read_path(path, flags.has(AT_EMPTY_PATH))?;
    if path.is_empty() {
        return match dirfd {
            DirFd::Fd(fd) => fchown(ctx, fd, uid, gid),
            DirFd::Cwd => {
                let follow = !flags.has(AT_SYMLINK_NOFOLLOW);
                ctx.at(dirfd, ".", |p| {
                    ctx.kernel.vfs().chown(p, ".", uid.0, gid.0, follow)
                })?;
                Ok(0)
            }
        };
    }
    let follow = !flags.has(AT_SYMLINK_NOFOLLOW);
    ctx.at(dirfd, &path, |p| {
        ctx.kernel.vfs().chown(p, &path, uid.0, gid.0, follow)
    })?;
    Ok(0)
}

/// `chown(path, uid, gid)`.
pub fn chown<K: Kernel>(
    ctx: &Context<'_, K>,
    path: UserPath,
    uid: OptionalId,
    gid: OptionalId,
) -> SyscallResult {
    fchownat(ctx, DirFd::Cwd, path, uid, gid, AtFlags(0))
}

/// `lchown(path, uid, gid)`.
pub fn lchown<K: Kernel>(
    ctx: &Context<'_, K>,
    path: UserPath,
    uid: OptionalId,
    gid: OptionalId,
) -> SyscallResult {
    fchownat(
        ctx,
        DirFd::Cwd,
        path,
        uid,
        gid,
        AtFlags(AT_SYMLINK_NOFOLLOW),
    )
}

/// `fchown(fd, uid, gid)`.
pub fn fchown<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    uid: OptionalId,
    gid: OptionalId,
) -> SyscallResult {
    let description = ctx.description(fd)?;
    let inode = description.inode().ok_or(Errno::EBADF)?;
    Vfs::chown_inode(inode, uid.0, gid.0, &ctx.fs_credentials())?;
    description.report(fs::inotify::IN_ATTRIB);
    Ok(0)
}

/// `umask(mask)`: the previous mask.
pub fn umask<K: Kernel>(ctx: &Context<'_, K>, mask: u32) -> SyscallResult {
    let mut data = ctx.process.data();
    let fs_context = data.fs_mut().ok_or(Errno::ESRCH)?;
    Ok(u64::from(fs_context.set_umask(mask & 0o777)))
}

fn time_change(time: Timespec) -> KernelResult<TimeChange> {
    Ok(match time.nsec {
        UTIME_NOW => TimeChange::Now,
        UTIME_OMIT => TimeChange::Omit,
        _ => TimeChange::Set(time.validate()?),
    })
}

/// Changes the times of `path` from `dirfd`, or of `dirfd` itself when
/// `path` is NULL (`futimens`) or empty with `AT_EMPTY_PATH`.
fn set_times<K: Kernel>(
    ctx: &Context<'_, K>,
    dirfd: DirFd,
    path: UserPath,
    times: [TimeChange; 2],
    flags: AtFlags,
) -> SyscallResult {
    let flags = flags.only(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)?;
    let [atime, mtime] = times;
    let path = if path.0 == 0 {
        None
    } else {
        Some(ctx.read_path(path, flags.has(AT_EMPTY_PATH))?).filter(|p| !p.is_empty())
    };
    match (path, dirfd) {
        (None, DirFd::Fd(fd)) => {
            let description = ctx.description(fd)?;
            let inode = description.inode().ok_or(Errno::EBADF)?;
            Vfs::set_times_inode(inode, atime, mtime, &ctx.fs_credentials())?;
            description.report(fs::inotify::IN_ATTRIB);
        }
        (None, DirFd::Cwd) => return Err(Errno::EFAULT),
        (Some(path), dirfd) => {
            let follow = !flags.has(AT_SYMLINK_NOFOLLOW);
            ctx.at(dirfd, &path, |p| {
                ctx.kernel.vfs().set_times(p, &path, atime, mtime, follow)
            })?;
        }
    }
    Ok(0)
}

/// `utimensat(dirfd, path, times, flags)`: NULL `times` means now.
pub fn utimensat<K: Kernel>(
    ctx: &Context<'_, K>,
    dirfd: DirFd,
    path: UserPath,
    times: UserPtr<[Timespec; 2]>,
    flags: AtFlags,
) -> SyscallResult {
    let times = if times.is_null() {
        [TimeChange::Now, TimeChange::Now]
    } else {
        let [atime, mtime] = ctx.read(times)?;
        [time_change(atime)?, time_change(mtime)?]
    };
    set_times(ctx, dirfd, path, times, flags)
}

fn from_timevals(times: [Timeval; 2]) -> KernelResult<[TimeChange; 2]> {
    let change = |t: Timeval| {
        if !(0..1_000_000).contains(&t.tv_usec) {
            return Err(Errno::EINVAL);
        }
        Ok(TimeChange::Set(Timespec {
            sec: t.tv_sec,
            nsec: t.tv_usec * 1000,
        }))
    };
    Ok([change(times[0])?, change(times[1])?])
}

/// `futimesat(dirfd, path, times)`: microsecond times, NULL means now.
pub fn futimesat<K: Kernel>(
    ctx: &Context<'_, K>,
    dirfd: DirFd,
    path: UserPath,
    times: UserPtr<[Timeval; 2]>,
) -> SyscallResult {
    let times = if times.is_null() {
        [TimeChange::Now, TimeChange::Now]
    } else {
        from_timevals(ctx.read(times)?)?
    };
    set_times(ctx, dirfd, path, times, AtFlags(0))
}

/// `utimes(path, times)`.
pub fn utimes<K: Kernel>(
    ctx: &Context<'_, K>,
    path: UserPath,
    times: UserPtr<[Timeval; 2]>,
) -> SyscallResult {
    if path.0 == 0 {
        return Err(Errno::EFAULT);
    }
    futimesat(ctx, DirFd::Cwd, path, times)
}

/// `utime(path, times)`: `struct utimbuf` holds whole seconds.
pub fn utime<K: Kernel>(
    ctx: &Context<'_, K>,
    path: UserPath,
    times: UserPtr<[i64; 2]>,
) -> SyscallResult {
    if path.0 == 0 {
        return Err(Errno::EFAULT);
    }
    let times = if times.is_null() {
        [TimeChange::Now, TimeChange::Now]
    } else {
        let [actime, modtime] = ctx.read(times)?;
        [
            TimeChange::Set(Timespec {
                sec: actime,
                nsec: 0,
            }),
            TimeChange::Set(Timespec {
                sec: modtime,
                nsec: 0,
            }),
        ]
    };
    set_times(ctx, DirFd::Cwd, path, times, AtFlags(0))
}

/// What `statfs` reports: every file system here is memory-backed, so
/// each reports itself as a tmpfs with 4 KiB blocks.
fn memory_statfs() -> Statfs {
    Statfs {
        f_type: 0x0102_1994, // TMPFS_MAGIC
        f_bsize: 4096,
        f_namelen: 255,
        f_frsize: 4096,
        ..Statfs::default()
    }
}

/// `statfs(path, buf)`.
pub fn statfs<K: Kernel>(
    ctx: &Context<'_, K>,
    path: UserPath,
    buf: UserPtr<Statfs>,
) -> SyscallResult {
    let path = ctx.read_path(path, false)?;
    ctx.at(DirFd::Cwd, &path, |p| ctx.kernel.vfs().stat(p, &path, true))?;
    ctx.write(buf, &memory_statfs())?;
    Ok(0)
}

/// `fstatfs(fd, buf)`.
pub fn fstatfs<K: Kernel>(ctx: &Context<'_, K>, fd: Fd, buf: UserPtr<Statfs>) -> SyscallResult {
    ctx.description(fd)?;
    ctx.write(buf, &memory_statfs())?;
    Ok(0)
}
