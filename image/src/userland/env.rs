//! The one seam the process crate needs: which types this kernel uses for
//! address spaces, directories, open files, signals and threads.

use alloc::sync::Arc;
use core::sync::atomic::{AtomicU64, Ordering};

use abi::KernelResult;
use process::{Credentials, ProcessEnv};
use sched::ThreadId;
use signal::{ProcessSignalState, ThreadSignalState};

use crate::memory::frames::KernelFrames;
use crate::memory::kernel_space::kernel_page_table;
use crate::memory::user::SharedAddressSpace;

/// The kernel's choice of types for `process`.
pub struct KernelEnv;

/// What the process crate keeps per user thread: the kernel thread that
/// runs it and its signal mask, pending set and alternate stack.
pub struct ThreadLink {
    task: AtomicU64,
    /// Per-thread signal state.
    pub signals: process::lock::RankedMutex<ThreadSignalState>,
}

impl ThreadLink {
    /// A link whose kernel thread is not known yet.
    pub fn new(signals: ThreadSignalState) -> Self {
        Self {
            task: AtomicU64::new(0),
            signals: process::lock::RankedMutex::new(process::lock::Rank::ThreadSignals, signals),
        }
    }

    /// Records the kernel thread.
    pub fn set_task(&self, id: ThreadId) {
        self.task.store(id.0, Ordering::SeqCst);
    }

    /// The kernel thread, once started.
    pub fn task(&self) -> Option<ThreadId> {
        match self.task.load(Ordering::SeqCst) {
            0 => None,
            id => Some(ThreadId(id)),
        }
    }
}

impl syscall::UserThreadData for ThreadLink {
    fn signals(&self) -> &process::lock::RankedMutex<ThreadSignalState> {
        &self.signals
    }
}

impl ProcessEnv for KernelEnv {
    type AddressSpace = SharedAddressSpace;
    type Custody = fs::Custody;
    type Description = Arc<fs::FileDescription>;
    type Signals = ProcessSignalState;
    type Tty = ();
    type ThreadData = ThreadLink;
    type Protected = crate::memory::protected::ProtectedPage<process::ProtectedData>;

    fn share_address_space(space: &SharedAddressSpace) -> KernelResult<SharedAddressSpace> {
        Ok(space.clone())
    }

    fn address_space_identity(space: &SharedAddressSpace) -> Option<usize> {
        Some(Arc::as_ptr(space) as usize)
    }

    fn reaped(pid: process::Pid) {
        if let Ok(pid) = u32::try_from(pid) {
            super::procfs::forget_process(pid);
        }
    }

    fn fork_address_space(space: &mut SharedAddressSpace) -> KernelResult<SharedAddressSpace> {
        let table = kernel_page_table()
            .lock()
            .new_user_table(&mut KernelFrames)?;
        let child = space.lock().fork(table, &mut KernelFrames)?;
        Ok(crate::memory::user::share(child))
    }

    fn fork_signals(signals: &ProcessSignalState) -> ProcessSignalState {
        signals.for_fork()
    }

    fn reset_signals_for_exec(signals: &mut ProcessSignalState) {
        signals.reset_for_exec();
    }

    fn check_search(dir: &fs::Custody, credentials: &Credentials) -> KernelResult<()> {
        fs::credentials::check_directory_search(&dir.inode().stat(), &fs_credentials(credentials))
    }
}

/// The VFS's view of a process's credentials.
fn fs_credentials(credentials: &Credentials) -> fs::Credentials {
    syscall::context::file_system_credentials(credentials)
}
