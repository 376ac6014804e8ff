//! `process_vm_readv` and `process_vm_writev`: copying between the
//! caller's memory and another process's, for debuggers and profilers.

use alloc::vec;

use abi::{Errno, IoVec, KernelResult};
use mm::UserSlice;
use process::Process;

use crate::SyscallResult;
use crate::args::UserPtr;
use crate::context::Context;
use crate::fs::io::iovecs;
use crate::kernel::Kernel;

/// Bytes moved through the kernel at a time.
const CHUNK: usize = 4096;

/// `process_vm_readv(pid, local_iov, liovcnt, remote_iov, riovcnt, flags)`.
pub fn process_vm_readv<K: Kernel>(
    ctx: &Context<'_, K>,
    pid: i32,
    local: UserPtr<IoVec>,
    local_count: usize,
    remote: UserPtr<IoVec>,
    remote_count: usize,
    flags: u64,
) -> SyscallResult {
    transfer(
        ctx,
        pid,
        (local, local_count),
        (remote, remote_count),
        flags,
        false,
    )
}

/// `process_vm_writev(pid, local_iov, liovcnt, remote_iov, riovcnt, flags)`.
pub fn process_vm_writev<K: Kernel>(
    ctx: &Context<'_, K>,
    pid: i32,
    local: UserPtr<IoVec>,
    local_count: usize,
    remote: UserPtr<IoVec>,
    remote_count: usize,
    flags: u64,
) -> SyscallResult {
    transfer(
        ctx,
        pid,
        (local, local_count),
        (remote, remote_count),
        flags,
        true,
    )
}

/// `EPERM` unless the caller may reach into `target` as a tracer could
/// (Linux's `PTRACE_MODE_ATTACH_REALCREDS`); a process may always reach
/// into itself.
pub(crate) fn check_access<K: Kernel>(
    ctx: &Context<'_, K>,
    target: &Process<K::Env>,
) -> KernelResult<()> {
    let allowed = target.pid() == ctx.process.pid() || {
        let caller = ctx.process.data().credentials().clone();
        let data = target.data();
        caller.may_trace(data.credentials(), data.is_dumpable())
    };
    if allowed { Ok(()) } else { Err(Errno::EPERM) }
}

/// Copies the local vectors' bytes from (or to) the remote ones in order,
/// as far as both reach. Linux's rules: `EINVAL` for flags, `ESRCH` for no
/// such process, `EPERM` without ptrace access; a fault on the remote side
/// ends the copy with what was moved (`EFAULT` if nothing was); a fault on
/// the local side is `EFAULT`.
fn transfer<K: Kernel>(
    ctx: &Context<'_, K>,
    pid: i32,
    local: (UserPtr<IoVec>, usize),
    remote: (UserPtr<IoVec>, usize),
    flags: u64,
    writing: bool,
) -> SyscallResult {
    if flags != 0 {
        return Err(Errno::EINVAL);
    }
    let local = iovecs(ctx, local.0, local.1)?;
    let remote = iovecs(ctx, remote.0, remote.1)?;
    let target = ctx.kernel.processes().from_pid(pid).ok_or(Errno::ESRCH)?;
    check_access(ctx, &target)?;
    // Pairs of (local address, remote address, length), in order.
    let mut pieces = vec::Vec::new();
    let (mut l, mut r) = (local.iter().copied(), remote.iter().copied());
    let (mut lv, mut rv) = (l.next(), r.next());
    while let (Some(a), Some(b)) = (lv, rv) {
        let n = a.len.min(b.len);
        if n > 0 {
            pieces.push((a.base, b.base, n));
        }
        lv = if a.len == n {
            l.next()
        } else {
            Some(advance(a, n))
        };
        rv = if b.len == n {
            r.next()
        } else {
            Some(advance(b, n))
        };
    }
    let mut moved = 0u64;
    let mut buffer = vec![0u8; CHUNK];
    'pieces: for (local_base, remote_base, len) in pieces {
        let mut done = 0;
        while done < len {
            let n = (len - done).min(CHUNK as u64) as usize;
            let chunk = &mut buffer[..n];
            let (local_at, remote_at) = (local_base + done, remote_base + done);
            let remote_ok = if writing {
                ctx.kernel
                    .user_memory()
                    .copy_from_user(chunk, UserSlice::new(local_at, n)?)?;
                remote_copy(ctx, &target, |memory| {
                    memory.copy_to_user(UserSlice::new(remote_at, n)?, chunk)
                })
            } else {
                let ok = remote_copy(ctx, &target, |memory| {
                    memory.copy_from_user(chunk, UserSlice::new(remote_at, n)?)
                });
                if ok {
                    ctx.kernel
                        .user_memory()
                        .copy_to_user(UserSlice::new(local_at, n)?, chunk)?;
                }
                ok
            };
            if !remote_ok {
                break 'pieces;
            }
            moved += n as u64;
            done += n as u64;
        }
    }
    if moved == 0 && local.iter().chain(&remote).any(|v| v.len > 0) {
        return Err(Errno::EFAULT);
    }
    Ok(moved)
}

fn advance(vector: IoVec, n: u64) -> IoVec {
    IoVec {
        base: vector.base + n,
        len: vector.len - n,
    }
}

/// Runs a copy against the target's memory; whether it succeeded.
fn remote_copy<K: Kernel>(
    ctx: &Context<'_, K>,
    target: &process::Process<K::Env>,
    copy: impl FnOnce(&dyn mm::UserMemory) -> KernelResult<()>,
) -> bool {
    ctx.kernel.with_process_memory(target, copy).is_ok()
}
