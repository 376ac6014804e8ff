//! Calls that name files by path: open, stat, access, mkdir, mknod,
//! unlink, rmdir, link, symlink, readlink, rename, truncate.

use abi::{
    AT_EACCESS, AT_EMPTY_PATH, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, AT_SYMLINK_NOFOLLOW, Errno,
    KernelResult, STATX_BASIC_STATS, Stat, Statx,
};
use fs::{OpenFlags, RenameMode};

use crate::SyscallResult;
use crate::args::{AtFlags, DirFd, Fd, Mode, UserBuffer, UserPath, UserPtr};
use crate::context::Context;
use crate::kernel::Kernel;

/// `openat(dirfd, path, flags, mode)`; `open` and `creat` are rows of the
/// table that pass `AT_FDCWD` and fixed flags.
pub fn openat<K: Kernel>(
    ctx: &Context<'_, K>,
    dirfd: DirFd,
    path: UserPath,
    flags: OpenFlags,
    mode: Mode,
) -> SyscallResult {
    let path = ctx.read_path(path, false)?;
    let perm = mode.0 & 0o7777 & !ctx.umask();
    let description = ctx.at(dirfd, &path, |p| {
        ctx.kernel.vfs().open(p, &path, flags, perm)
    })?;
    if !flags.contains(OpenFlags::O_NOCTTY) {
        crate::fs::terminal::acquire_on_open(ctx, &description);
    }
    Ok(ctx.install(description, flags.contains(OpenFlags::O_CLOEXEC))? as u64)
}

/// `struct open_how`'s first version: what `openat2` reads at least.
const OPEN_HOW_SIZE_VER0: usize = 24;
/// The largest `struct open_how` `openat2` takes (Linux: a page).
const OPEN_HOW_SIZE_MAX: usize = 4096;
/// Every flag `open` knows (Linux's `VALID_OPEN_FLAGS`): the access mode
/// through `__O_TMPFILE`, without the unused bits 2 to 5.
const VALID_OPEN_FLAGS: u64 = 0o37777703;
const O_PATH_BIT: u64 = 0o10000000;
/// What `O_PATH` may come with (Linux's `O_PATH_FLAGS`): `O_PATH`,
/// `O_DIRECTORY`, `O_NOFOLLOW`, `O_CLOEXEC`.
const O_PATH_FLAGS: u64 = O_PATH_BIT | 0o200000 | 0o400000 | 0o2000000;
const O_TMPFILE_BIT: u64 = 0o20000000;
const RESOLVE_NO_XDEV: u64 = 0x01;
const RESOLVE_NO_MAGICLINKS: u64 = 0x02;
const RESOLVE_NO_SYMLINKS: u64 = 0x04;
const RESOLVE_BENEATH: u64 = 0x08;
const RESOLVE_IN_ROOT: u64 = 0x10;
const RESOLVE_CACHED: u64 = 0x20;

/// `openat2(dirfd, path, how, size)`: `openat` with `struct open_how`
/// (flags, mode, resolve), checked strictly as Linux does: unknown flags,
/// a mode without `O_CREAT`, `O_PATH` with flags it does not take, or
/// `BENEATH` with `IN_ROOT`, are `EINVAL`; a larger struct than known
/// must end in zeros (`E2BIG`). The `RESOLVE_*` flags limit the
/// resolution ([`fs::Restrictions`]); for `BENEATH` and `IN_ROOT`, `dirfd`
/// is the root, even for an absolute path. `RESOLVE_CACHED` asks for a
/// lookup without I/O, which every lookup here is, but refuses what
/// could write (`O_CREAT`, `O_TRUNC`, `O_TMPFILE`) with `EAGAIN`.
pub fn openat2<K: Kernel>(
    ctx: &Context<'_, K>,
    dirfd: DirFd,
    path: UserPath,
    how: UserBuffer,
    size: usize,
) -> SyscallResult {
    if size < OPEN_HOW_SIZE_VER0 {
        return Err(Errno::EINVAL);
    }
    if size > OPEN_HOW_SIZE_MAX {
        return Err(Errno::E2BIG);
    }
    let mut known = [0u8; OPEN_HOW_SIZE_VER0];
    ctx.read_bytes_into(how, &mut known)?;
    // A newer caller's fields this kernel does not know must be unset.
    let mut rest = [0u8; 64];
    let mut at = OPEN_HOW_SIZE_VER0;
    while at < size {
        let chunk = (size - at).min(rest.len());
        ctx.read_bytes_into(UserBuffer(how.0 + at as u64), &mut rest[..chunk])?;
        if rest[..chunk].iter().any(|&byte| byte != 0) {
            return Err(Errno::E2BIG);
        }
        at += chunk;
    }
    let field = |index: usize| {
        let bytes = &known[index * 8..index * 8 + 8];
        u64::from_ne_bytes(bytes.try_into().unwrap_or([0; 8]))
    };
    let (flags, mode, resolve) = (field(0), field(1), field(2));
    let known_resolve = RESOLVE_NO_XDEV
        | RESOLVE_NO_MAGICLINKS
        | RESOLVE_NO_SYMLINKS
        | RESOLVE_BENEATH
        | RESOLVE_IN_ROOT
        | RESOLVE_CACHED;
    if flags & !VALID_OPEN_FLAGS != 0 || resolve & !known_resolve != 0 {
        return Err(Errno::EINVAL);
    }
    let creates = flags & (u64::from(OpenFlags::O_CREAT.bits()) | O_TMPFILE_BIT) != 0;
    if (creates && mode & !0o7777 != 0) || (!creates && mode != 0) {
        return Err(Errno::EINVAL);
    }
    if flags & O_PATH_BIT != 0 && flags & !O_PATH_FLAGS != 0 {
        return Err(Errno::EINVAL);
    }
    if resolve & RESOLVE_BENEATH != 0 && resolve & RESOLVE_IN_ROOT != 0 {
        return Err(Errno::EINVAL);
    }
    let writes = u64::from(OpenFlags::O_TRUNC.bits()) | u64::from(OpenFlags::O_CREAT.bits());
    if resolve & RESOLVE_CACHED != 0 && flags & (writes | O_TMPFILE_BIT) != 0 {
        return Err(Errno::EAGAIN);
    }
    let restrictions = fs::Restrictions {
        no_xdev: resolve & RESOLVE_NO_XDEV != 0,
        no_magic_links: resolve & RESOLVE_NO_MAGICLINKS != 0,
        no_symlinks: resolve & RESOLVE_NO_SYMLINKS != 0,
        beneath: resolve & RESOLVE_BENEATH != 0,
        in_root: resolve & RESOLVE_IN_ROOT != 0,
    };
    let flags = OpenFlags::from_bits_truncate(flags as u32);
    let path = ctx.read_path(path, false)?;
    let perm = (mode as u32) & 0o7777 & !ctx.umask();
    let base = if restrictions.beneath || restrictions.in_root {
        // The directory is the root, whatever the path: `dirfd` is used
        // even for an absolute one.
        ctx.path_base(dirfd, ".")?.rooted_at_base()
    } else {
        ctx.path_base(dirfd, &path)?
    };
    let description =
        ctx.kernel
            .vfs()
            .open_restricted(&base.context(), &path, flags, perm, restrictions)?;
    if !flags.contains(OpenFlags::O_NOCTTY) {
        crate::fs::terminal::acquire_on_open(ctx, &description);
    }
    Ok(ctx.install(description, flags.contains(OpenFlags::O_CLOEXEC))? as u64)
}

/// `open(path, flags, mode)`.
pub fn open<K: Kernel>(
    ctx: &Context<'_, K>,
    path: UserPath,
    flags: OpenFlags,
    mode: Mode,
) -> SyscallResult {
    openat(ctx, DirFd::Cwd, path, flags, mode)
}

/// `creat(path, mode)`: `open` with `O_CREAT | O_WRONLY | O_TRUNC`.
pub fn creat<K: Kernel>(ctx: &Context<'_, K>, path: UserPath, mode: Mode) -> SyscallResult {
    let flags = OpenFlags::O_CREAT | OpenFlags::O_WRONLY | OpenFlags::O_TRUNC;
    openat(ctx, DirFd::Cwd, path, flags, mode)
}

/// The `stat` of `path` from `dirfd`, or of `dirfd` itself for an empty
/// path with `AT_EMPTY_PATH`.
pub fn stat_at<K: Kernel>(
    ctx: &Context<'_, K>,
    dirfd: DirFd,
    path: UserPath,
    flags: AtFlags,
) -> KernelResult<Stat> {
    let path = ctx.read_path(path, flags.has(AT_EMPTY_PATH))?;
    if path.is_empty() {
        return match dirfd {
            DirFd::Cwd => ctx.at(dirfd, ".", |p| ctx.kernel.vfs().stat(p, ".", true)),
            DirFd::Fd(fd) => ctx.description(fd)?.stat(),
        };
    }
    let follow = !flags.has(AT_SYMLINK_NOFOLLOW);
    ctx.at(dirfd, &path, |p| ctx.kernel.vfs().stat(p, &path, follow))
}

/// `stat(path, buf)`.
pub fn stat<K: Kernel>(ctx: &Context<'_, K>, path: UserPath, buf: UserPtr<Stat>) -> SyscallResult {
    ctx.write(buf, &stat_at(ctx, DirFd::Cwd, path, AtFlags(0))?)?;
    Ok(0)
}

/// `lstat(path, buf)`.
pub fn lstat<K: Kernel>(ctx: &Context<'_, K>, path: UserPath, buf: UserPtr<Stat>) -> SyscallResult {
    let stat = stat_at(ctx, DirFd::Cwd, path, AtFlags(AT_SYMLINK_NOFOLLOW))?;
    ctx.write(buf, &stat)?;
    Ok(0)
}

/// `fstat(fd, buf)`.
pub fn fstat<K: Kernel>(ctx: &Context<'_, K>, fd: Fd, buf: UserPtr<Stat>) -> SyscallResult {
    ctx.write(buf, &ctx.description(fd)?.stat()?)?;
    Ok(0)
}

/// `newfstatat(dirfd, path, buf, flags)`.
pub fn newfstatat<K: Kernel>(
    ctx: &Context<'_, K>,
    dirfd: DirFd,
    path: UserPath,
    buf: UserPtr<Stat>,
    flags: AtFlags,
) -> SyscallResult {
    let flags = flags.only(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | 0x800)?;
    ctx.write(buf, &stat_at(ctx, dirfd, path, flags)?)?;
    Ok(0)
}

/// `statx(dirfd, path, flags, mask, buf)`: every basic field, whatever
/// the mask asks (Linux may return more than asked).
pub fn statx<K: Kernel>(
    ctx: &Context<'_, K>,
    dirfd: DirFd,
    path: UserPath,
    flags: AtFlags,
    _mask: u32,
    buf: UserPtr<Statx>,
) -> SyscallResult {
    let stat = stat_at(ctx, dirfd, path, flags)?;
    let out = Statx {
        mask: STATX_BASIC_STATS,
        blksize: stat.blksize as u32,
        nlink: stat.nlink as u32,
        uid: stat.uid,
        gid: stat.gid,
        mode: stat.mode as u16,
        ino: stat.ino,
        size: stat.size as u64,
        blocks: stat.blocks as u64,
        atime: stat.atime().into(),
        btime: stat.ctime().into(),
        ctime: stat.ctime().into(),
        mtime: stat.mtime().into(),
        rdev_major: (stat.rdev >> 8) as u32 & 0xfff,
        rdev_minor: (stat.rdev & 0xff) as u32,
        dev_major: (stat.dev >> 8) as u32 & 0xfff,
        dev_minor: (stat.dev & 0xff) as u32,
        ..Statx::default()
    };
    ctx.write(buf, &out)?;
    Ok(0)
}

/// `faccessat2(dirfd, path, mode, flags)`; `access` and `faccessat` are
/// rows with fixed arguments.
pub fn faccessat2<K: Kernel>(
    ctx: &Context<'_, K>,
    dirfd: DirFd,
    path: UserPath,
    mode: u32,
    flags: AtFlags,
) -> SyscallResult {
    if mode & !7 != 0 {
        return Err(Errno::EINVAL);
    }
    flags.only(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)?;
    let path = ctx.read_path(path, false)?;
    ctx.at(dirfd, &path, |p| ctx.kernel.vfs().access(p, &path, mode))?;
    Ok(0)
}

/// `faccessat(dirfd, path, mode)`.
pub fn faccessat<K: Kernel>(
    ctx: &Context<'_, K>,
    dirfd: DirFd,
    path: UserPath,
    mode: u32,
) -> SyscallResult {
    faccessat2(ctx, dirfd, path, mode, AtFlags(0))
}

/// `access(path, mode)`.
pub fn access<K: Kernel>(ctx: &Context<'_, K>, path: UserPath, mode: u32) -> SyscallResult {
    faccessat2(ctx, DirFd::Cwd, path, mode, AtFlags(0))
}

/// `mkdirat(dirfd, path, mode)`.
pub fn mkdirat<K: Kernel>(
    ctx: &Context<'_, K>,
    dirfd: DirFd,
    path: UserPath,
    mode: Mode,
) -> SyscallResult {
    let path = ctx.read_path(path, false)?;
    let perm = mode.0 & 0o7777 & !ctx.umask();
    ctx.at(dirfd, &path, |p| ctx.kernel.vfs().mkdir(p, &path, perm))?;
    Ok(0)
}

/// `mkdir(path, mode)`.
pub fn mkdir<K: Kernel>(ctx: &Context<'_, K>, path: UserPath, mode: Mode) -> SyscallResult {
    mkdirat(ctx, DirFd::Cwd, path, mode)
}

/// `mknodat(dirfd, path, mode, dev)`.
pub fn mknodat<K: Kernel>(
    ctx: &Context<'_, K>,
    dirfd: DirFd,
    path: UserPath,
    mode: Mode,
    dev: u64,
) -> SyscallResult {
    let path = ctx.read_path(path, false)?;
    let mode = (mode.0 & abi::S_IFMT) | (mode.0 & 0o7777 & !ctx.umask());
    ctx.at(dirfd, &path, |p| {
        ctx.kernel.vfs().mknod(p, &path, mode, dev)
    })?;
    Ok(0)
}

/// `mknod(path, mode, dev)`.
pub fn mknod<K: Kernel>(
    ctx: &Context<'_, K>,
    path: UserPath,
    mode: Mode,
    dev: u64,
) -> SyscallResult {
    mknodat(ctx, DirFd::Cwd, path, mode, dev)
}

/// `unlinkat(dirfd, path, flags)`.
pub fn unlinkat<K: Kernel>(
    ctx: &Context<'_, K>,
    dirfd: DirFd,
    path: UserPath,
    flags: AtFlags,
) -> SyscallResult {
    let flags = flags.only(AT_REMOVEDIR)?;
    let path = ctx.read_path(path, false)?;
    let vfs = ctx.kernel.vfs();
    if flags.has(AT_REMOVEDIR) {
        ctx.at(dirfd, &path, |p| vfs.rmdir(p, &path))?;
    } else {
        ctx.at(dirfd, &path, |p| vfs.unlink(p, &path))?;
    }
    Ok(0)
}

/// `unlink(path)`.
pub fn unlink<K: Kernel>(ctx: &Context<'_, K>, path: UserPath) -> SyscallResult {
    unlinkat(ctx, DirFd::Cwd, path, AtFlags(0))
}

/// `rmdir(path)`.
pub fn rmdir<K: Kernel>(ctx: &Context<'_, K>, path: UserPath) -> SyscallResult {
    unlinkat(ctx, DirFd::Cwd, path, AtFlags(AT_REMOVEDIR))
}

/// `linkat(olddirfd, old, newdirfd, new, flags)`.
pub fn linkat<K: Kernel>(
    ctx: &Context<'_, K>,
    olddir: DirFd,
    old: UserPath,
    newdir: DirFd,
    new: UserPath,
    flags: AtFlags,
) -> SyscallResult {
    let flags = flags.only(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)?;
    let old = ctx.read_path(old, false)?;
    let new = ctx.read_path(new, false)?;
    let old_base = ctx.path_base(olddir, &old)?;
    let new_base = ctx.path_base(newdir, &new)?;
    ctx.kernel.vfs().link_between(
        &old_base.context(),
        &old,
        &new_base.context(),
        &new,
        flags.has(AT_SYMLINK_FOLLOW),
    )?;
    Ok(0)
}

/// `link(old, new)`.
pub fn link<K: Kernel>(ctx: &Context<'_, K>, old: UserPath, new: UserPath) -> SyscallResult {
    linkat(ctx, DirFd::Cwd, old, DirFd::Cwd, new, AtFlags(0))
}

/// `symlinkat(target, dirfd, path)`.
pub fn symlinkat<K: Kernel>(
    ctx: &Context<'_, K>,
    target: UserPath,
    dirfd: DirFd,
    path: UserPath,
) -> SyscallResult {
    let target = ctx.read_path(target, false)?;
    let path = ctx.read_path(path, false)?;
    ctx.at(dirfd, &path, |p| {
        ctx.kernel.vfs().symlink(p, &target, &path)
    })?;
    Ok(0)
}

/// `symlink(target, path)`.
pub fn symlink<K: Kernel>(ctx: &Context<'_, K>, target: UserPath, path: UserPath) -> SyscallResult {
    symlinkat(ctx, target, DirFd::Cwd, path)
}

/// `readlinkat(dirfd, path, buf, size)`.
pub fn readlinkat<K: Kernel>(
    ctx: &Context<'_, K>,
    dirfd: DirFd,
    path: UserPath,
    buf: UserBuffer,
    size: i32,
) -> SyscallResult {
    if size <= 0 {
        return Err(Errno::EINVAL);
    }
    let path = ctx.read_path(path, false)?;
    let target = ctx.at(dirfd, &path, |p| ctx.kernel.vfs().readlink(p, &path))?;
    let target = fs::name::to_bytes(&target);
    let n = target.len().min(size as usize);
    ctx.write_bytes(buf, &target[..n])?;
    Ok(n as u64)
}

/// `readlink(path, buf, size)`.
pub fn readlink<K: Kernel>(
    ctx: &Context<'_, K>,
    path: UserPath,
    buf: UserBuffer,
    size: i32,
) -> SyscallResult {
    readlinkat(ctx, DirFd::Cwd, path, buf, size)
}

/// `renameat2(olddirfd, old, newdirfd, new, flags)`: `RENAME_NOREPLACE`
/// (`EEXIST` for an existing `new`) and `RENAME_EXCHANGE` (the two names
/// swapped); together, or with any other flag, `EINVAL`.
/// `RENAME_WHITEOUT` (a union mount's whiteout) is `EINVAL` too, as on
/// file systems without whiteouts.
pub fn renameat2<K: Kernel>(
    ctx: &Context<'_, K>,
    olddir: DirFd,
    old: UserPath,
    newdir: DirFd,
    new: UserPath,
    flags: u32,
) -> SyscallResult {
    const RENAME_NOREPLACE: u32 = 1;
    const RENAME_EXCHANGE: u32 = 2;
    let mode = match flags {
        0 => RenameMode::Replace,
        RENAME_NOREPLACE => RenameMode::NoReplace,
        RENAME_EXCHANGE => RenameMode::Exchange,
        _ => return Err(Errno::EINVAL),
    };
    let old = ctx.read_path(old, false)?;
    let new = ctx.read_path(new, false)?;
    let old_base = ctx.path_base(olddir, &old)?;
    let new_base = ctx.path_base(newdir, &new)?;
    ctx.kernel
        .vfs()
        .rename_with(&old_base.context(), &old, &new_base.context(), &new, mode)?;
    Ok(0)
}

/// `renameat(olddirfd, old, newdirfd, new)`.
pub fn renameat<K: Kernel>(
    ctx: &Context<'_, K>,
    olddir: DirFd,
    old: UserPath,
    newdir: DirFd,
    new: UserPath,
) -> SyscallResult {
    renameat2(ctx, olddir, old, newdir, new, 0)
}

/// `rename(old, new)`.
pub fn rename<K: Kernel>(ctx: &Context<'_, K>, old: UserPath, new: UserPath) -> SyscallResult {
    renameat2(ctx, DirFd::Cwd, old, DirFd::Cwd, new, 0)
}

/// `truncate(path, length)`.
pub fn truncate<K: Kernel>(ctx: &Context<'_, K>, path: UserPath, length: i64) -> SyscallResult {
    let path = ctx.read_path(path, false)?;
    ctx.at(DirFd::Cwd, &path, |p| {
        ctx.kernel.vfs().truncate(p, &path, length)
    })?;
    Ok(0)
}
