//! User and group ids: the `get*id`/`set*id` families and supplementary
//! groups. The `process` crate's [`Credentials`]
//! applies the privilege rules.

use alloc::vec::Vec;

use abi::{Errno, KernelResult};
use process::Credentials;

use crate::SyscallResult;
use crate::args::UserPtr;
use crate::context::Context;
use crate::kernel::Kernel;

/// Linux's `NGROUPS_MAX`.
const NGROUPS_MAX: usize = 65536;

fn credentials<K: Kernel>(ctx: &Context<'_, K>) -> Credentials {
    ctx.process.data().credentials().clone()
}

fn change<K: Kernel, R>(
    ctx: &Context<'_, K>,
    f: impl FnOnce(&mut Credentials) -> KernelResult<R>,
) -> KernelResult<R> {
    ctx.process.data().change_credentials(f)
}

/// `getuid()`.
pub fn getuid<K: Kernel>(ctx: &Context<'_, K>) -> SyscallResult {
    Ok(u64::from(credentials(ctx).uid()))
}

/// `geteuid()`.
pub fn geteuid<K: Kernel>(ctx: &Context<'_, K>) -> SyscallResult {
    Ok(u64::from(credentials(ctx).euid()))
}

/// `getgid()`.
pub fn getgid<K: Kernel>(ctx: &Context<'_, K>) -> SyscallResult {
    Ok(u64::from(credentials(ctx).gid()))
}

/// `getegid()`.
pub fn getegid<K: Kernel>(ctx: &Context<'_, K>) -> SyscallResult {
    Ok(u64::from(credentials(ctx).egid()))
}

/// `getresuid(ruid, euid, suid)`.
pub fn getresuid<K: Kernel>(
    ctx: &Context<'_, K>,
    real: UserPtr<u32>,
    effective: UserPtr<u32>,
    saved: UserPtr<u32>,
) -> SyscallResult {
    let c = credentials(ctx);
    ctx.write(real, &c.uid())?;
    ctx.write(effective, &c.euid())?;
    ctx.write(saved, &c.suid())?;
    Ok(0)
}

/// `getresgid(rgid, egid, sgid)`.
pub fn getresgid<K: Kernel>(
    ctx: &Context<'_, K>,
    real: UserPtr<u32>,
    effective: UserPtr<u32>,
    saved: UserPtr<u32>,
) -> SyscallResult {
    let c = credentials(ctx);
    ctx.write(real, &c.gid())?;
    ctx.write(effective, &c.egid())?;
    ctx.write(saved, &c.sgid())?;
    Ok(0)
}

/// `setuid(uid)`.
pub fn setuid<K: Kernel>(ctx: &Context<'_, K>, uid: u32) -> SyscallResult {
    change(ctx, |c| c.setuid(uid)).map(|()| 0)
}

/// `setgid(gid)`.
pub fn setgid<K: Kernel>(ctx: &Context<'_, K>, gid: u32) -> SyscallResult {
    change(ctx, |c| c.setgid(gid)).map(|()| 0)
}

/// `setreuid(ruid, euid)` (`-1` keeps one).
pub fn setreuid<K: Kernel>(ctx: &Context<'_, K>, real: u32, effective: u32) -> SyscallResult {
    change(ctx, |c| c.setreuid(real, effective)).map(|()| 0)
}

/// `setregid(rgid, egid)`.
pub fn setregid<K: Kernel>(ctx: &Context<'_, K>, real: u32, effective: u32) -> SyscallResult {
    change(ctx, |c| c.setregid(real, effective)).map(|()| 0)
}

/// `setresuid(ruid, euid, suid)`.
pub fn setresuid<K: Kernel>(
    ctx: &Context<'_, K>,
    real: u32,
    effective: u32,
    saved: u32,
) -> SyscallResult {
    change(ctx, |c| c.setresuid(real, effective, saved)).map(|()| 0)
}

/// `setresgid(rgid, egid, sgid)`.
pub fn setresgid<K: Kernel>(
    ctx: &Context<'_, K>,
    real: u32,
    effective: u32,
    saved: u32,
) -> SyscallResult {
    change(ctx, |c| c.setresgid(real, effective, saved)).map(|()| 0)
}

/// `setfsuid(fsuid)`: always the previous value (the change may be
/// refused silently, as on Linux).
pub fn setfsuid<K: Kernel>(ctx: &Context<'_, K>, fsuid: u32) -> SyscallResult {
    change(ctx, |c| Ok(c.setfsuid(fsuid))).map(u64::from)
}

/// `setfsgid(fsgid)`.
pub fn setfsgid<K: Kernel>(ctx: &Context<'_, K>, fsgid: u32) -> SyscallResult {
    change(ctx, |c| Ok(c.setfsgid(fsgid))).map(u64::from)
}

/// `getgroups(size, list)`: the count alone when `size` is 0.
pub fn getgroups<K: Kernel>(ctx: &Context<'_, K>, size: i32, list: u64) -> SyscallResult {
    let groups: Vec<u32> = credentials(ctx).groups().to_vec();
    let size = usize::try_from(size).map_err(|_| Errno::EINVAL)?;
    if size == 0 {
        return Ok(groups.len() as u64);
    }
    if size < groups.len() {
        return Err(Errno::EINVAL);
    }
    let bytes: Vec<u8> = groups.iter().flat_map(|g| g.to_ne_bytes()).collect();
    ctx.write_bytes(crate::args::UserBuffer(list), &bytes)?;
    Ok(groups.len() as u64)
}

/// `setgroups(size, list)`: `CAP_SETGID` only.
pub fn setgroups<K: Kernel>(ctx: &Context<'_, K>, size: usize, list: u64) -> SyscallResult {
    if size > NGROUPS_MAX {
        return Err(Errno::EINVAL);
    }
    let bytes = ctx.read_bytes(crate::args::UserBuffer(list), size * 4)?;
    let groups: Vec<u32> = bytes
        .chunks_exact(4)
        .map(|b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    change(ctx, |c| c.setgroups(&groups)).map(|()| 0)
}
