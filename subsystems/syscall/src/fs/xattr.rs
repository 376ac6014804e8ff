//! Extended attributes: `setxattr`, `getxattr`, `listxattr` and
//! `removexattr` on a path (following a last symlink), on the link itself
//! (the `l` forms) or on a descriptor (the `f` forms). The namespaces and
//! limits are `fs::xattr`'s; this layer moves names, values and lists
//! between user memory and the kernel as Linux's `fs/xattr.c` does.

use alloc::vec::Vec;

use abi::{Errno, KernelResult};
use fs::xattr::{self, LIST_MAX, NAME_MAX, SIZE_MAX};
use fs::{Custody, inotify};

use crate::SyscallResult;
use crate::args::{DirFd, Fd, UserBuffer, UserPath};
use crate::context::Context;
use crate::kernel::Kernel;

/// Where the attributes live: a path, followed or not, or a descriptor.
enum Target {
    Path(UserPath, bool),
    Descriptor(Fd),
}

impl Target {
    /// The file named, through the custody it was reached by (inotify's
    /// directory watches report its name). A descriptor without one (a
    /// pipe, a socket) has no attributes.
    fn custody<K: Kernel>(&self, ctx: &Context<'_, K>) -> KernelResult<Custody> {
        match *self {
            Target::Path(path, follow) => {
                let path = ctx.read_path(path, false)?;
                ctx.at(DirFd::Cwd, &path, |p| {
                    ctx.kernel.vfs().resolve(p, &path, follow)
                })
            }
            Target::Descriptor(fd) => ctx
                .description(fd)?
                .custody()
                .cloned()
                .ok_or(Errno::EOPNOTSUPP),
        }
    }
}

/// An attribute name: `ERANGE` when empty or longer than
/// [`NAME_MAX`], as Linux.
fn read_name<K: Kernel>(ctx: &Context<'_, K>, name: UserBuffer) -> KernelResult<Vec<u8>> {
    match ctx.read_c_string(name.0, NAME_MAX + 1) {
        Err(Errno::ENAMETOOLONG) => Err(Errno::ERANGE),
        other => other,
    }
}

/// Copies `bytes` out to a buffer of `size` bytes: with `size` 0 only
/// their length is the answer, `ERANGE` when they do not fit.
fn give<K: Kernel>(
    ctx: &Context<'_, K>,
    bytes: &[u8],
    buffer: UserBuffer,
    size: usize,
) -> SyscallResult {
    if size == 0 {
        return Ok(bytes.len() as u64);
    }
    if bytes.len() > size {
        return Err(Errno::ERANGE);
    }
    ctx.write_bytes(buffer, bytes)?;
    Ok(bytes.len() as u64)
}

fn set<K: Kernel>(
    ctx: &Context<'_, K>,
    target: Target,
    name: UserBuffer,
    value: UserBuffer,
    size: usize,
    flags: u32,
) -> SyscallResult {
    let name = read_name(ctx, name)?;
    if size > SIZE_MAX {
        return Err(Errno::E2BIG);
    }
    let value = ctx.read_bytes(value, size)?;
    let custody = target.custody(ctx)?;
    xattr::set(custody.inode(), &name, &value, flags, &ctx.fs_credentials())?;
    inotify::custody_event(&custody, inotify::IN_ATTRIB);
    Ok(0)
}

fn get<K: Kernel>(
    ctx: &Context<'_, K>,
    target: Target,
    name: UserBuffer,
    value: UserBuffer,
    size: usize,
) -> SyscallResult {
    let name = read_name(ctx, name)?;
    let custody = target.custody(ctx)?;
    let bytes = xattr::get(custody.inode(), &name, &ctx.fs_credentials())?;
    give(ctx, &bytes, value, size.min(SIZE_MAX))
}

fn list<K: Kernel>(
    ctx: &Context<'_, K>,
    target: Target,
    list: UserBuffer,
    size: usize,
) -> SyscallResult {
    let names = match target.custody(ctx) {
        Ok(custody) => xattr::list(custody.inode(), &ctx.fs_credentials())?,
        // Nothing to list on a pipe or a socket, as Linux's pipefs.
        Err(Errno::EOPNOTSUPP) => Vec::new(),
        Err(error) => return Err(error),
    };
    give(ctx, &names, list, size.min(LIST_MAX))
}

fn remove<K: Kernel>(ctx: &Context<'_, K>, target: Target, name: UserBuffer) -> SyscallResult {
    let name = read_name(ctx, name)?;
    let custody = target.custody(ctx)?;
    xattr::remove(custody.inode(), &name, &ctx.fs_credentials())?;
    inotify::custody_event(&custody, inotify::IN_ATTRIB);
    Ok(0)
}

/// `setxattr(path, name, value, size, flags)`.
pub fn setxattr<K: Kernel>(
    ctx: &Context<'_, K>,
    path: UserPath,
    name: UserBuffer,
    value: UserBuffer,
    size: usize,
    flags: u32,
) -> SyscallResult {
    set(ctx, Target::Path(path, true), name, value, size, flags)
}

/// `lsetxattr(path, name, value, size, flags)`: on a last symlink itself.
pub fn lsetxattr<K: Kernel>(
    ctx: &Context<'_, K>,
    path: UserPath,
    name: UserBuffer,
    value: UserBuffer,
    size: usize,
    flags: u32,
) -> SyscallResult {
    set(ctx, Target::Path(path, false), name, value, size, flags)
}

/// `fsetxattr(fd, name, value, size, flags)`.
pub fn fsetxattr<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    name: UserBuffer,
    value: UserBuffer,
    size: usize,
    flags: u32,
) -> SyscallResult {
    set(ctx, Target::Descriptor(fd), name, value, size, flags)
}

/// `getxattr(path, name, value, size)`: the value's length with `size` 0.
pub fn getxattr<K: Kernel>(
    ctx: &Context<'_, K>,
    path: UserPath,
    name: UserBuffer,
    value: UserBuffer,
    size: usize,
) -> SyscallResult {
    get(ctx, Target::Path(path, true), name, value, size)
}

/// `lgetxattr(path, name, value, size)`.
pub fn lgetxattr<K: Kernel>(
    ctx: &Context<'_, K>,
    path: UserPath,
    name: UserBuffer,
    value: UserBuffer,
    size: usize,
) -> SyscallResult {
    get(ctx, Target::Path(path, false), name, value, size)
}

/// `fgetxattr(fd, name, value, size)`.
pub fn fgetxattr<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    name: UserBuffer,
    value: UserBuffer,
    size: usize,
) -> SyscallResult {
    get(ctx, Target::Descriptor(fd), name, value, size)
}

/// `listxattr(path, list, size)`: NUL-terminated names; their length with
/// `size` 0.
pub fn listxattr<K: Kernel>(
    ctx: &Context<'_, K>,
    path: UserPath,
    names: UserBuffer,
    size: usize,
) -> SyscallResult {
    list(ctx, Target::Path(path, true), names, size)
}

/// `llistxattr(path, list, size)`.
pub fn llistxattr<K: Kernel>(
    ctx: &Context<'_, K>,
    path: UserPath,
    names: UserBuffer,
    size: usize,
) -> SyscallResult {
    list(ctx, Target::Path(path, false), names, size)
}

/// `flistxattr(fd, list, size)`.
pub fn flistxattr<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    names: UserBuffer,
    size: usize,
) -> SyscallResult {
    list(ctx, Target::Descriptor(fd), names, size)
}

/// `removexattr(path, name)`.
pub fn removexattr<K: Kernel>(
    ctx: &Context<'_, K>,
    path: UserPath,
    name: UserBuffer,
) -> SyscallResult {
    remove(ctx, Target::Path(path, true), name)
}

/// `lremovexattr(path, name)`.
pub fn lremovexattr<K: Kernel>(
    ctx: &Context<'_, K>,
    path: UserPath,
    name: UserBuffer,
) -> SyscallResult {
    remove(ctx, Target::Path(path, false), name)
}

/// `fremovexattr(fd, name)`.
pub fn fremovexattr<K: Kernel>(ctx: &Context<'_, K>, fd: Fd, name: UserBuffer) -> SyscallResult {
    remove(ctx, Target::Descriptor(fd), name)
}
