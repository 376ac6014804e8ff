//! The seam: what this crate needs from memory management, the file system,
//! the signal subsystem, the terminal layer and the scheduler.
//!
//! A kernel names its concrete types and the few operations on them once, in
//! one [`ProcessEnv`] implementation on a marker type of its own; every
//! process type is generic over that one parameter. Because the operations
//! are associated functions of the kernel's own marker type, the concrete
//! types can come straight from other crates (mm's address space, fs's
//! custody, signal's state) without newtype wrappers.

use abi::KernelResult;

use crate::credentials::Credentials;
use crate::protected::ProtectedStorage;

/// The set of types a kernel plugs into the process model, and what the
/// model needs done to them.
pub trait ProcessEnv: Sized + Send + Sync + 'static {
    /// A process's user address space (mm's `AddressSpace`).
    type AddressSpace: Send;
    /// A resolved directory (fs's `Custody`), for the cwd and root.
    type Custody: Clone + Send + Sync;
    /// An open file description (fs's `Arc<FileDescription>`), shared by
    /// duplicated descriptors and across fork.
    type Description: Clone + Send + Sync;
    /// A process's signal dispositions and shared pending set (signal's
    /// `ProcessSignalState`).
    type Signals: Send;
    /// A controlling terminal handle.
    type Tty: Clone + Send + Sync;
    /// Per-thread state owned by the scheduler and arch (saved registers,
    /// kernel stack, FPU area, per-thread signal mask); stored, never read.
    type ThreadData: Send + Sync;
    /// Where credentials, dumpable and personality live: memory the
    /// kernel keeps read-only outside a write window
    /// ([`crate::protected::Unprotected`] where there is none).
    type Protected: ProtectedStorage;

    /// A copy-on-write duplicate of `space` for a forked child (the parent's
    /// private pages become read-only, hence `&mut`). `ENOMEM` on failure.
    /// Called on a handle from [`ProcessEnv::share_address_space`] with no
    /// process lock held, so it may sleep; only where sharing is refused
    /// is it called on the parent's own space under its data lock.
    fn fork_address_space(space: &mut Self::AddressSpace) -> KernelResult<Self::AddressSpace>;

    /// Another handle on `space` itself, for a child that shares its
    /// parent's memory (`clone(CLONE_VM)` without `CLONE_THREAD`, vfork).
    /// The default cannot share: `EINVAL`, which `clone` then returns.
    fn share_address_space(_space: &Self::AddressSpace) -> KernelResult<Self::AddressSpace> {
        Err(abi::Errno::EINVAL)
    }

    /// What names `space` itself, equal for every handle on one address
    /// space (`kcmp(KCMP_VM)`). The default, for an environment that cannot
    /// share ([`ProcessEnv::share_address_space`]), has none: each process
    /// then has its own, and its identity stands for its memory.
    fn address_space_identity(_space: &Self::AddressSpace) -> Option<usize> {
        None
    }

    /// `pid` has just left the process table (it was reaped), for caches
    /// keyed by pid (procfs's dentries). Runs under the table lock: it
    /// must not take process or table locks. The default does nothing.
    fn reaped(_pid: crate::pid::Pid) {}

    /// The child's signal state after fork: same dispositions, nothing pending.
    fn fork_signals(signals: &Self::Signals) -> Self::Signals;

    /// `execve`: caught signals back to their default action; ignored ones
    /// stay ignored; the mask and pending set survive.
    fn reset_signals_for_exec(signals: &mut Self::Signals);

    /// `Ok` if `credentials` may make `dir` the cwd or root: it must be a
    /// directory (`ENOTDIR`) they may search (`EACCES`).
    fn check_search(dir: &Self::Custody, credentials: &Credentials) -> KernelResult<()>;
}
