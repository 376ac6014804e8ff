//! The working directory, the root, and mounts.

use alloc::string::String;

use abi::Errno;
use fs::Custody;

use crate::SyscallResult;
use crate::args::{DirFd, Fd, UserBuffer, UserPath};
use crate::context::Context;
use crate::kernel::Kernel;

/// `getcwd(buf, size)`: the length written, NUL included.
pub fn getcwd<K: Kernel>(ctx: &Context<'_, K>, buf: UserBuffer, size: usize) -> SyscallResult {
    let path = {
        let data = ctx.process.data();
        let fs_context = data.fs().ok_or(Errno::ESRCH)?;
        fs_context.cwd().absolute_path(fs_context.root())
    };
    let mut bytes = fs::name::to_bytes(&path).into_owned();
    if bytes.len() + 1 > size {
        return Err(Errno::ERANGE);
    }
    bytes.push(0);
    ctx.write_bytes(buf, &bytes)?;
    Ok(bytes.len() as u64)
}

fn change_directory<K: Kernel>(
    ctx: &Context<'_, K>,
    custody: Custody,
    root: bool,
) -> SyscallResult {
    let mut data = ctx.process.data();
    let credentials = data.credentials().clone();
    let fs_context = data.fs_mut().ok_or(Errno::ESRCH)?;
    if root {
        fs_context.chroot(custody, &credentials)?;
    } else {
        fs_context.chdir(custody, &credentials)?;
    }
    Ok(0)
}

fn directory<K: Kernel>(ctx: &Context<'_, K>, path: UserPath) -> Result<Custody, Errno> {
    let path = ctx.read_path(path, false)?;
    ctx.at(DirFd::Cwd, &path, |p| {
        ctx.kernel.vfs().resolve_directory(p, &path)
    })
}

/// `chdir(path)`.
pub fn chdir<K: Kernel>(ctx: &Context<'_, K>, path: UserPath) -> SyscallResult {
    let custody = directory(ctx, path)?;
    change_directory(ctx, custody, false)
}

/// `fchdir(fd)`.
pub fn fchdir<K: Kernel>(ctx: &Context<'_, K>, fd: Fd) -> SyscallResult {
    let description = ctx.description(fd)?;
    let custody = description.custody().cloned().ok_or(Errno::ENOTDIR)?;
    change_directory(ctx, custody, false)
}

/// `chroot(path)`.
pub fn chroot<K: Kernel>(ctx: &Context<'_, K>, path: UserPath) -> SyscallResult {
    let custody = directory(ctx, path)?;
    change_directory(ctx, custody, true)
}

/// `mount(source, target, type, flags, data)`: a new instance of a file
/// system the kernel has (`tmpfs`, `proc`) on a directory.
pub fn mount<K: Kernel>(
    ctx: &Context<'_, K>,
    _source: UserPath,
    target: UserPath,
    kind: UserPath,
    _flags: u64,
    _data: u64,
) -> SyscallResult {
    let target = ctx.read_path(target, false)?;
    let kind = if kind.0 == 0 {
        String::new()
    } else {
        ctx.read_path(kind, true)?
    };
    let vfs = ctx.kernel.vfs();
    let path = ctx.at(DirFd::Cwd, &target, |p| {
        let custody = vfs.resolve_directory(p, &target)?;
        Ok(custody.absolute_path(&vfs.root_custody()))
    })?;
    let filesystem = match kind.as_str() {
        // /dev is mounted by the kernel already.
        "devtmpfs" => return Err(Errno::EBUSY),
        kind => ctx.kernel.new_filesystem(kind)?,
    };
    vfs.mount(&path, filesystem, &ctx.fs_credentials())?;
    Ok(0)
}

/// `umount2(target, flags)`.
pub fn umount2<K: Kernel>(ctx: &Context<'_, K>, target: UserPath, _flags: u32) -> SyscallResult {
    let path = ctx.read_path(target, false)?;
    ctx.kernel.vfs().unmount(&path, &ctx.fs_credentials())?;
    Ok(0)
}

/// `sync()` and `syncfs(fd)`: every file system here is in memory, so
/// there is no dirty data to write back.
pub fn sync<K: Kernel>(_ctx: &Context<'_, K>) -> SyscallResult {
    Ok(0)
}

/// `syncfs(fd)`.
pub fn syncfs<K: Kernel>(ctx: &Context<'_, K>, fd: Fd) -> SyscallResult {
    ctx.description(fd).map(|_| 0)
}
