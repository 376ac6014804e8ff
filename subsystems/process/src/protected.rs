//! Protected process data: the fields that are read on every permission
//! check and written only by a handful of system calls (credentials,
//! dumpable, personality), kept where a stray kernel write cannot reach
//! them.
//!
//! SerenityOS keeps these in a page of their own that is read-only except
//! between `unprotect_data()` and `protect_data()`. Here the pair is a
//! guard: [`ProtectedStorage::unprotect`] opens the write window and its
//! guard closes it on drop, so no path can forget to re-protect. The kernel
//! supplies the storage (a page it maps read-only); hosts and tests use
//! [`Unprotected`], which is plain heap memory with the same interface.

use alloc::boxed::Box;
use core::ops::{Deref, DerefMut};

use abi::KernelResult;

use crate::credentials::Credentials;

/// The rarely written fields of a process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtectedData {
    /// User and group ids, supplementary groups.
    pub credentials: Credentials,
    /// Whether a core dump and ptrace/procfs access by others are allowed.
    pub dumpable: bool,
    /// `personality(2)`: the execution domain and its flags.
    pub personality: u32,
    /// Whether this is a kernel process (fixed at creation).
    pub is_kernel_process: bool,
    /// `PR_SET_NO_NEW_PRIVS`: set once, inherited, never cleared.
    pub no_new_privs: bool,
}

impl ProtectedData {
    /// A process's data at creation: dumpable, default personality.
    pub fn new(credentials: Credentials, is_kernel_process: bool) -> Self {
        Self {
            credentials,
            dumpable: true,
            personality: 0,
            is_kernel_process,
            no_new_privs: false,
        }
    }
}

/// Storage for [`ProtectedData`] that is read-only outside a write window.
///
/// The kernel implements this on memory it maps read-only; the process
/// model only ever writes through [`ProtectedStorage::unprotect`], with
/// the process's data lock held (hence `&mut self`).
pub trait ProtectedStorage: Sized + Send + Sync {
    /// The open write window; dropping it makes the data read-only again.
    type WriteWindow<'a>: DerefMut<Target = ProtectedData>
    where
        Self: 'a;

    /// Stores `data` and protects it. `ENOMEM` when no memory is left.
    fn protect(data: ProtectedData) -> KernelResult<Self>;

    /// The data, for reading.
    fn get(&self) -> &ProtectedData;

    /// Opens the write window.
    fn unprotect(&mut self) -> Self::WriteWindow<'_>;
}

/// [`ProtectedStorage`] without protection: a heap box, for hosts and
/// tests that have no page tables to protect with.
#[derive(Debug)]
pub struct Unprotected(Box<ProtectedData>);

/// The write window of [`Unprotected`] (a plain mutable borrow).
#[derive(Debug)]
pub struct UnprotectedWindow<'a>(&'a mut ProtectedData);

impl Deref for UnprotectedWindow<'_> {
    type Target = ProtectedData;
    fn deref(&self) -> &ProtectedData {
        self.0
    }
}

impl DerefMut for UnprotectedWindow<'_> {
    fn deref_mut(&mut self) -> &mut ProtectedData {
        self.0
    }
}

impl ProtectedStorage for Unprotected {
    type WriteWindow<'a> = UnprotectedWindow<'a>;

    fn protect(data: ProtectedData) -> KernelResult<Self> {
        Ok(Self(Box::new(data)))
    }

    fn get(&self) -> &ProtectedData {
        &self.0
    }

    fn unprotect(&mut self) -> UnprotectedWindow<'_> {
        UnprotectedWindow(&mut self.0)
    }
}
