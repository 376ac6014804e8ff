//! User processes: the process table and VFS instances, the link between a
//! kernel thread and the user thread it runs, and the lifecycle glue
//! (creating init, fork, exec, exit, faults).
//!
//! The `process` crate decides (who is a zombie, what wait returns); this
//! module acts on its decisions with the scheduler, the memory manager and
//! the VFS. Every user thread is a kernel thread ([`crate::task`]) that
//! entered ring 3; its [`UserLink`] names the process and the process
//! crate's thread.

pub mod env;
pub mod exec;
pub mod lifecycle;
pub mod procfs;
pub mod signals;
pub mod vdso;
pub mod vfs;

use alloc::sync::Arc;

use abi::{Errno, KernelResult};
use spin::Once;

pub use env::{KernelEnv, ThreadLink};

/// A process of this kernel.
pub type Process = process::Process<KernelEnv>;
/// A user thread as the process crate sees it.
pub type UserThread = process::Thread<KernelEnv>;

static PROCESSES: Once<process::ProcessTable<KernelEnv>> = Once::new();

/// The process table.
pub fn processes() -> &'static process::ProcessTable<KernelEnv> {
    PROCESSES.call_once(|| {
        let table = process::ProcessTable::new(32768);
        // Linux's boot defaults for the system-wide limits, from memory.
        let memory = crate::memory::frames::stats().map_or(0, |s| s.total_frames * 4096);
        let threads = process::default_thread_max(memory, crate::memory::kstack::STACK_SIZE);
        let _ = table.set_thread_max(threads);
        fs::set_file_max(fs::description::default_file_max(memory / 1024));
        table
    })
}

/// What a kernel thread runs in user mode.
#[derive(Clone)]
pub struct UserLink {
    /// Its process.
    pub process: Arc<Process>,
    /// Its thread in the process crate.
    pub thread: Arc<UserThread>,
}

/// The current thread's process and user thread; `ESRCH` for a kernel
/// thread (which never makes system calls).
pub fn current() -> KernelResult<UserLink> {
    crate::task::current().user().ok_or(Errno::ESRCH)
}

/// [`current`] borrowed: no reference counts change (the system-call
/// path). The link lives as long as the running kernel thread.
pub fn current_link() -> KernelResult<&'static UserLink> {
    crate::task::current().user_link().ok_or(Errno::ESRCH)
}

/// [`current_link`] on the system-call path, unchecked: only user code
/// executes `syscall` (the entry returns with `sysretq`, to user mode
/// only), and only a kernel thread linked to a user thread runs user
/// code, so the CPU's current-thread slot and the thread's link are both
/// set. Two tests and a load less on every call.
#[inline(always)]
pub fn syscall_caller_link() -> &'static UserLink {
    // SAFETY: a thread runs (the caller), and it is a user thread, so
    // `set_user` ran before it first did (see above).
    unsafe { crate::task::current_unchecked().user_link_unchecked() }
}
