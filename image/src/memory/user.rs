//! The user address space the CPU runs on, and resolving faults in it.

use alloc::sync::Arc;

use abi::KernelResult;
use arch::paging::{DirectMap, HardwarePageTable};
use arch::sync::IrqMutex;
use mm::Frame;

use crate::task::{Mutex, MutexGuard};
use mm::{Access, AddressSpace, FaultOutcome, VirtAddr};

use super::frames::{KernelFrames, UserFrames};
use super::kernel_space::kernel_page_table;

/// A user address space over the hardware page tables.
pub type UserAddressSpace = AddressSpace<HardwarePageTable>;

/// A user address space that frees every frame it holds when dropped (the
/// last thread, `execve` or `wait` lets go of it).
pub struct UserSpace {
    space: Option<UserAddressSpace>,
}

impl UserSpace {
    /// Takes ownership of `space`.
    pub fn new(space: UserAddressSpace) -> Self {
        Self { space: Some(space) }
    }
}

impl core::ops::Deref for UserSpace {
    type Target = UserAddressSpace;
    fn deref(&self) -> &UserAddressSpace {
        self.space.as_ref().expect("present until drop")
    }
}

impl core::ops::DerefMut for UserSpace {
    fn deref_mut(&mut self) -> &mut UserAddressSpace {
        self.space.as_mut().expect("present until drop")
    }
}

impl Drop for UserSpace {
    fn drop(&mut self) {
        // No CPU runs on it: the current thread and CURRENT hold references
        // while it is active, so this is never the active page table.
        if let Some(space) = self.space.take() {
            space.teardown(&mut KernelFrames);
        }
    }
}

/// A user address space shared by the threads that run in it, behind a
/// sleeping lock: fork, big `mmap`s and page faults that allocate run with
/// interrupts on and may be preempted. The page table's root is kept
/// outside the lock, so a context switch (which cannot sleep) loads CR3
/// without taking it.
pub struct SharedSpace {
    root: Frame,
    space: Mutex<UserSpace>,
}

impl SharedSpace {
    /// Takes the lock, sleeping while another thread holds it (never in
    /// interrupt context or with interrupts off).
    pub fn lock(&self) -> MutexGuard<'_, UserSpace> {
        self.space.lock()
    }

    /// Takes the lock if it is free, without sleeping.
    pub fn try_lock(&self) -> Option<MutexGuard<'_, UserSpace>> {
        self.space.try_lock()
    }

    /// Makes this the CPU's page table.
    fn activate(&self) {
        arch::paging::activate(self.root);
    }
}

/// A user address space shared by the threads that run in it.
pub type SharedAddressSpace = Arc<SharedSpace>;

/// Wraps a new address space for sharing.
pub fn share(space: UserAddressSpace) -> SharedAddressSpace {
    Arc::new(SharedSpace {
        root: space.page_table().root(),
        space: Mutex::new(UserSpace::new(space)),
    })
}

/// The user address space each CPU runs on (by CPU index).
static CURRENT: [IrqMutex<Option<SharedAddressSpace>>; arch::percpu::MAX_CPUS] =
    [const { IrqMutex::new(None) }; arch::percpu::MAX_CPUS];

/// This CPU's slot in [`CURRENT`]. Interrupts must be off from here until
/// the caller is done with the slot: a thread preempted in between and moved
/// would use the slot of a CPU it no longer runs on.
fn this_cpu_space() -> &'static IrqMutex<Option<SharedAddressSpace>> {
    debug_assert!(
        !x86_64::instructions::interrupts::are_enabled(),
        "a CPU's address-space slot picked with interrupts on"
    );
    &CURRENT[arch::percpu::this_cpu() as usize]
}

/// A new, empty user address space sharing the kernel half.
pub fn new_address_space() -> KernelResult<UserAddressSpace> {
    let table = kernel_page_table()
        .lock()
        .new_user_table(&mut KernelFrames)?;
    Ok(AddressSpace::new(table))
}

/// Makes the current thread run in `space` (or in no user space).
pub fn activate(space: Option<SharedAddressSpace>) {
    crate::task::current().set_address_space(space);
}

/// The address space the CPU runs on, if it is a user one.
pub fn current() -> Option<SharedAddressSpace> {
    // Interrupts off from picking this CPU's slot to reading it: a thread
    // preempted in between and moved to another CPU would otherwise read
    // the space of whatever its old CPU runs now (a user fault then found
    // no region and raised SIGSEGV).
    x86_64::instructions::interrupts::without_interrupts(|| this_cpu_space().lock().clone())
}

/// Tries to resolve a fault at user address `address`; the outcome says what
/// happened (no current space counts as an unmapped address).
/// `interrupts_were_on` is the faulting context's interrupt flag.
pub fn resolve_fault(address: u64, access: Access, interrupts_were_on: bool) -> FaultOutcome {
    let Some(space) = current() else {
        return FaultOutcome::Segv(mm::SegvCode::MapErr);
    };
    // Free (the common case): taken at once, without sleeping.
    let mut space = match space.try_lock() {
        Some(space) => space,
        // Kernel code touching user memory while its own thread holds the
        // lock (inside an mm operation) would wait for itself, and a
        // context that ran with interrupts off may not sleep: the access
        // fails with EFAULT. Anything else (user code, a system call's
        // copy) sleeps for the lock with interrupts back on; the trap's
        // return restores the faulting context's flags.
        None if !interrupts_were_on || space.space.is_held_by_current() => {
            log::error!("fault at {address:#x} while its address space is locked");
            return FaultOutcome::Segv(mm::SegvCode::MapErr);
        }
        None => {
            x86_64::instructions::interrupts::enable();
            space.lock()
        }
    };
    space.handle_fault(VirtAddr(address), access, &mut UserFrames, &DirectMap)
}

/// Makes `space` current if it is not already (the context switch calls
/// this): CR3 is written only when the page table changes.
///
/// Exec and thread exit call it with interrupts on, so it turns them off
/// itself from picking this CPU's slot to loading CR3: a thread moved to
/// another CPU in between used to write its old CPU's slot, leaving that
/// CPU's user thread faulting against another space (SIGSEGV on a page it
/// had just mapped) and loading CR3 where the slot still named the old one.
pub fn switch_to(space: Option<SharedAddressSpace>) {
    let replaced = x86_64::instructions::interrupts::without_interrupts(|| {
        let mut current = this_cpu_space().lock();
        let same = match (&*current, &space) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        };
        if same {
            return None;
        }
        match &space {
            Some(space) => space.activate(),
            None => kernel_page_table().lock().activate(),
        }
        Some(core::mem::replace(&mut *current, space))
    });
    // The last reference to an exited process's space may go here: its
    // page tables are freed with interrupts as they were, not under the slot.
    drop(replaced);
}
