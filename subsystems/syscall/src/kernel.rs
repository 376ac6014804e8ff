//! The one seam: what only the running kernel can do.

use alloc::sync::Arc;

use abi::{KernelResult, Timespec};
use fs::{FileDescription, FileSystem, Vfs};
use mm::UserMemory;
use process::{ProcessEnv, ProcessTable};
use sched::WakeReason;

/// What the system-call layer needs from the kernel that links it: the
/// instances of the subsystems (process table, VFS), the calling thread's
/// user memory, clocks, sleeping, and the few actions that reach into the
/// scheduler or signal delivery.
///
/// A kernel implements it once over its globals; a host test implements
/// it over a fake memory and a fake clock, and so runs whole sequences of
/// system calls without hardware.
pub trait Kernel: Sized + Send + Sync + 'static {
    /// The kernel's choice of types for the `process` crate: directories
    /// are VFS custodies and descriptors hold VFS file descriptions.
    type Env: ProcessEnv<Custody = fs::Custody, Description = Arc<FileDescription>>;

    /// The process table.
    fn processes(&self) -> &ProcessTable<Self::Env>;

    /// The file-system tree.
    fn vfs(&self) -> &Vfs;

    /// The calling thread's user memory (the active address space).
    fn user_memory(&self) -> &dyn UserMemory;

    /// Monotonic nanoseconds since boot.
    fn now_ns(&self) -> u64;

    /// Wall-clock time.
    fn realtime(&self) -> Timespec;

    /// Sleeps the calling thread until monotonic `deadline_ns`, or until a
    /// signal interrupts it.
    fn sleep_until(&self, deadline_ns: u64) -> WakeReason;

    /// A fresh wait queue threads can sleep on (for pipes).
    fn new_wait_queue(&self) -> Arc<dyn fs::WaitQueue>;

    /// A new instance of the file system called `kind` for `mount`
    /// (`tmpfs`, `proc`): `ENODEV` for a kind the kernel does not have.
    fn new_filesystem(&self, kind: &str) -> KernelResult<Arc<dyn FileSystem>>;

    /// Sends `SIGPIPE` to the calling thread (a write to a pipe or socket
    /// nobody reads).
    fn raise_sigpipe(&self);
}
