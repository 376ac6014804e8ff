//! Process descriptors: `pidfd_open`, `pidfd_send_signal`, `pidfd_getfd`
//! and `waitid(P_PIDFD)`. A pidfd names one process for as long as the
//! descriptor lives (no pid reuse race): signals go to that process or
//! fail with `ESRCH`, and the descriptor turns readable when it exits.

use alloc::sync::{Arc, Weak};

use abi::{Errno, KernelResult};
use fs::{FileDescription, OpenFlags, PollEvents, Stat};
use process::{Process, ProcessEnv, ProcessState};
use signal::RawSigInfo;

use crate::SyscallResult;
use crate::args::{Fd, UserPtr};
use crate::context::Context;
use crate::kernel::Kernel;

/// One process descriptor.
pub struct PidFd<E: ProcessEnv> {
    process: Weak<Process<E>>,
    pid: i32,
    waiters: Arc<dyn fs::WaitQueue>,
}

impl<E: ProcessEnv> fs::File for PidFd<E> {
    /// Readable once the process has exited (a zombie, or reaped).
    fn poll(&self) -> PollEvents {
        let exited = self
            .process
            .upgrade()
            .is_none_or(|p| matches!(p.data().state(), ProcessState::Zombie(_)));
        if exited {
            PollEvents::POLLIN | PollEvents::POLLRDNORM
        } else {
            PollEvents::empty()
        }
    }

    fn stat(&self) -> KernelResult<Stat> {
        Ok(fs::eventfd::anon_inode_stat())
    }

    fn wait_queue(&self) -> Option<Arc<dyn fs::WaitQueue>> {
        Some(self.waiters.clone())
    }

    fn anon_inode_name(&self) -> Option<&'static str> {
        Some("[pidfd]")
    }

    fn pidfd_pid(&self) -> Option<i32> {
        Some(self.pid)
    }
}

/// `pidfd_open(pid, flags)`: `PIDFD_NONBLOCK` only; `ESRCH` for no such
/// process, `EINVAL` for a thread that is not its process's leader. The
/// descriptor is close-on-exec, as Linux makes it.
pub fn pidfd_open<K: Kernel>(ctx: &Context<'_, K>, pid: i32, flags: u32) -> SyscallResult {
    if flags & !OpenFlags::O_NONBLOCK.bits() != 0 || pid <= 0 {
        return Err(Errno::EINVAL);
    }
    let process = ctx.kernel.processes().from_pid(pid).ok_or(Errno::ESRCH)?;
    let file = PidFd::<K::Env> {
        process: Arc::downgrade(&process),
        pid,
        // Exits wake the kernel's signal queue (a SIGCHLD goes out too).
        waiters: ctx.kernel.signal_waiters(),
    };
    let status = OpenFlags::O_RDWR | (OpenFlags::from_bits_truncate(flags) & OpenFlags::O_NONBLOCK);
    let description = FileDescription::new(Arc::new(file), None, status)?;
    Ok(ctx.install(description, true)? as u64)
}

/// The live pid behind a pidfd: `EBADF` for no descriptor, `EBADF` for
/// another kind of file (as Linux), `ESRCH` once the process is reaped.
pub fn pid_of<K: Kernel>(ctx: &Context<'_, K>, fd: Fd) -> KernelResult<i32> {
    let description = ctx.description(fd)?;
    let pid = description.file().pidfd_pid().ok_or(Errno::EBADF)?;
    ctx.kernel.processes().from_pid(pid).ok_or(Errno::ESRCH)?;
    Ok(pid)
}

/// `pidfd_send_signal(pidfd, sig, info, flags)`: as `kill` (or, with
/// `info`, `rt_sigqueueinfo`) to the descriptor's process, which may also
/// be a `/proc/<pid>` directory, as on Linux; `flags` must be 0.
pub fn pidfd_send_signal<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    signum: i32,
    info: UserPtr<RawSigInfo>,
    flags: u32,
) -> SyscallResult {
    if flags != 0 {
        return Err(Errno::EINVAL);
    }
    let description = ctx.description(fd)?;
    let proc_directory = description.inode().and_then(|inode| inode.process_id());
    let pid = match proc_directory {
        Some(pid) => {
            ctx.kernel.processes().from_pid(pid).ok_or(Errno::ESRCH)?;
            pid
        }
        None => pid_of(ctx, fd)?,
    };
    if info.is_null() {
        crate::signals::calls::kill(ctx, pid, signum)
    } else {
        crate::signals::calls::rt_sigqueueinfo(ctx, pid, signum, info)
    }
}

/// `pidfd_getfd(pidfd, targetfd, flags)`: a duplicate, close-on-exec, of
/// descriptor `targetfd` of the pidfd's process (it shares the open file
/// description, as `dup` does). As Linux: `flags` must be 0 (`EINVAL`);
/// `ESRCH` once the process is gone; `EPERM` without ptrace access to it;
/// `EBADF` when it has no such descriptor.
pub fn pidfd_getfd<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    target_fd: i32,
    flags: u32,
) -> SyscallResult {
    if flags != 0 {
        return Err(Errno::EINVAL);
    }
    let pid = pid_of(ctx, fd)?;
    let target = ctx.kernel.processes().from_pid(pid).ok_or(Errno::ESRCH)?;
    crate::process::remote_memory::check_access(ctx, &target)?;
    let description = target.fds().lock().get(target_fd)?.clone();
    Ok(ctx.install(description, true)? as u64)
}
