//! This kernel as the system-call layer sees it: the one implementation of
//! [`syscall::Kernel`], over the globals `image` owns.

use alloc::sync::Arc;

use abi::{Errno, KernelResult, Timespec};
use arch::usercopy::ActiveUserMemory;
use fs::{FileSystem, Vfs};
use mm::UserMemory;
use process::ProcessTable;
use sched::WakeReason;

use crate::userland::{KernelEnv, processes, vfs};

/// The running kernel.
pub struct RunningKernel;

impl syscall::Kernel for RunningKernel {
    type Env = KernelEnv;

    fn processes(&self) -> &ProcessTable<KernelEnv> {
        processes()
    }

    fn vfs(&self) -> &Vfs {
        vfs::vfs()
    }

    fn user_memory(&self) -> &dyn UserMemory {
        &ActiveUserMemory
    }

    fn now_ns(&self) -> u64 {
        crate::time::now_ns()
    }

    fn realtime(&self) -> Timespec {
        crate::time::realtime()
    }

    fn sleep_until(&self, deadline_ns: u64) -> WakeReason {
        crate::task::sleep_until(deadline_ns)
    }

    fn new_wait_queue(&self) -> Arc<dyn fs::WaitQueue> {
        Arc::new(crate::task::WaitQueue::new())
    }

    fn new_filesystem(&self, kind: &str) -> KernelResult<Arc<dyn FileSystem>> {
        match kind {
            "tmpfs" | "ramfs" => Ok(fs::Tmpfs::new(vfs::next_device(), vfs::clock())),
            "proc" => crate::userland::procfs::filesystem().ok_or(Errno::ENODEV),
            _ => Err(Errno::ENODEV),
        }
    }

    fn raise_sigpipe(&self) {
        super::signal::raise_sigpipe();
    }
}
