//! Protected pages: a value alone in a page that the kernel maps read-only,
//! writable only while a [`WriteWindow`] is open (SerenityOS's
//! `unprotect_data()`/`protect_data()` pair as an RAII guard).
//!
//! Processes keep their credentials, dumpable flag and personality here
//! ([`process::protected`]), so a stray kernel write through a pointer to
//! them faults instead of changing a uid. The page sits in a region of its
//! own (PML4 entry 509), one slot per value. Opening and closing a window
//! rewrites the page's entry and invalidates it on this CPU; with several
//! CPUs, closing will need a TLB shootdown.
//!
//! What this does not stop: a write through the frame's direct-map alias
//! (the direct map is read/write and uses huge pages); that needs the
//! direct map split around such frames.

use abi::KernelResult;
use arch::paging::{KernelAccess, phys_to_virt};
use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};
use mm::{Frame, FrameAllocator};
use process::{ProtectedData, ProtectedStorage};

use super::frames::KernelFrames;
use super::kernel_space::kernel_page_table;
use super::slots::SlotRegion;

/// Start of the protected-page region (PML4 entry 509).
pub const REGION_START: u64 = 0xffff_fe80_0000_0000;
const PAGE: u64 = 4096;
/// 16 GiB of address space: four million protected values.
const SLOT_COUNT: u64 = (16 << 30) / PAGE;

static SLOTS: SlotRegion = SlotRegion::new(REGION_START, PAGE, SLOT_COUNT);

/// A `T` alone in a page mapped read-only; dropped and unmapped on drop.
pub struct ProtectedPage<T> {
    slot: u64,
    _owns: PhantomData<T>,
}

// SAFETY: a `ProtectedPage<T>` owns its `T` exactly as a `Box<T>` does
// (nobody else holds its address), so it may cross threads when `T` may.
unsafe impl<T: Send> Send for ProtectedPage<T> {}
// SAFETY: `&ProtectedPage<T>` hands out only `&T`.
unsafe impl<T: Sync> Sync for ProtectedPage<T> {}

impl<T> ProtectedPage<T> {
    /// Puts `value` in a new protected page. `ENOMEM` when frames or
    /// slots run out.
    pub fn new(value: T) -> KernelResult<Self> {
        const {
            assert!(size_of::<T>() <= PAGE as usize && align_of::<T>() <= PAGE as usize);
        }
        let slot = SLOTS.allocate()?;
        let frame = match KernelFrames.alloc_frame() {
            Ok(frame) => frame,
            Err(error) => {
                SLOTS.release(slot);
                return Err(error);
            }
        };
        let physical = frame.start().0;
        let alias = phys_to_virt(physical) as *mut T;
        // SAFETY: the frame was just allocated for us alone, is mapped by the
        // direct map, and is page-aligned (so aligned for `T`, checked above).
        unsafe { alias.write(value) };
        let address = SLOTS.base(slot);
        let mapped = kernel_page_table().lock().map_4k(
            address,
            physical,
            KernelAccess::ReadOnly,
            &mut KernelFrames,
        );
        if let Err(error) = mapped {
            // SAFETY: the value was written above and nothing else refers to it.
            unsafe { alias.drop_in_place() };
            let _ = KernelFrames.dec_ref(frame);
            SLOTS.release(slot);
            return Err(error);
        }
        Ok(Self {
            slot,
            _owns: PhantomData,
        })
    }

    /// The page's address in the protected region.
    pub fn address(&self) -> u64 {
        SLOTS.base(self.slot)
    }

    /// The value, for reading.
    pub fn get(&self) -> &T {
        // SAFETY: the page is mapped for as long as `self` lives and holds an
        // initialised `T`; writes need `&mut self`, so none happen while this
        // borrow lives.
        unsafe { &*(self.address() as *const T) }
    }

    /// Makes the page writable until the returned window is dropped.
    pub fn unprotect(&mut self) -> WriteWindow<'_, T> {
        set_access(self.address(), KernelAccess::ReadWrite);
        WriteWindow { page: self }
    }
}

fn set_access(address: u64, access: KernelAccess) {
    kernel_page_table()
        .lock()
        .set_access_4k(address, access)
        .expect("a protected page stays mapped while its owner lives");
}

impl<T> Drop for ProtectedPage<T> {
    fn drop(&mut self) {
        let address = self.address();
        {
            let window = self.unprotect();
            let value = window.page.address() as *mut T;
            // SAFETY: the page holds an initialised `T` that nothing else
            // refers to (we are being dropped), and it is writable now.
            unsafe { value.drop_in_place() };
            core::mem::forget(window); // the page goes away below
        }
        let physical = kernel_page_table().lock().unmap_4k(address);
        arch::tlb::shootdown_kernel();
        if let Some(physical) = physical {
            let _ = KernelFrames.dec_ref(Frame(physical >> 12));
        }
        SLOTS.release(self.slot);
    }
}

/// An open write window on a [`ProtectedPage`]; read-only again on drop.
pub struct WriteWindow<'a, T> {
    page: &'a mut ProtectedPage<T>,
}

impl<T> Deref for WriteWindow<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.page.get()
    }
}

impl<T> DerefMut for WriteWindow<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the window borrows the page mutably, so this is the only
        // reference to the value, and the page is writable until it closes.
        unsafe { &mut *(self.page.address() as *mut T) }
    }
}

impl<T> Drop for WriteWindow<'_, T> {
    fn drop(&mut self) {
        set_access(self.page.address(), KernelAccess::ReadOnly);
    }
}

/// Whether `address` lies in a protected page (for the crash report).
pub fn is_protected(address: u64) -> bool {
    SLOTS.offset_in_slot(address).is_some()
}

impl ProtectedStorage for ProtectedPage<ProtectedData> {
    type WriteWindow<'a> = WriteWindow<'a, ProtectedData>;

    fn protect(data: ProtectedData) -> KernelResult<Self> {
        Self::new(data)
    }

    fn get(&self) -> &ProtectedData {
        ProtectedPage::get(self)
    }

    fn unprotect(&mut self) -> WriteWindow<'_, ProtectedData> {
        ProtectedPage::unprotect(self)
    }
}
