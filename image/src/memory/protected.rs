//! Protected pages: a value alone in a page that the kernel maps read-only,
//! writable only while a [`WriteWindow`] is open (SerenityOS's
//! `unprotect_data()`/`protect_data()` pair as an RAII guard).
//!
//! Processes keep their credentials, dumpable flag and personality here
//! ([`process::protected`]), so a stray kernel write through a pointer to
//! them faults instead of changing a uid. The page sits in a region of its
//! own (PML4 entry 509), one slot per value. Opening and closing a window
//! rewrites the page's entry and invalidates it on this CPU only: another
//! CPU that ran the window's holder before a migration may keep a
//! writable entry until its next flush. Freed pages stay mapped in a
//! small cache, so a process's end costs no shootdown.
//!
//! What this does not stop: a write through the frame's direct-map alias
//! (the direct map is read/write and uses huge pages); that needs the
//! direct map split around such frames.

use abi::KernelResult;
use arch::paging::{KernelAccess, phys_to_virt};
use arch::sync::IrqMutex;
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

/// Freed pages kept mapped (read-only, value dropped) for the next value:
/// unmapping one costs a TLB shootdown of every CPU, and every process
/// end frees one. A stale entry another CPU keeps for a cached page still
/// points at the same frame with the same rights, so reuse needs no
/// flush. When the cache is full, half of it is unmapped under one
/// shootdown.
const CACHED_PAGES: usize = 64;

/// A page of the region that is mapped read-only to `physical`.
#[derive(Clone, Copy)]
struct MappedSlot {
    slot: u64,
    physical: u64,
}

struct Cache {
    pages: [MappedSlot; CACHED_PAGES],
    len: usize,
}

static CACHE: IrqMutex<Cache> = IrqMutex::new(Cache {
    pages: [MappedSlot {
        slot: 0,
        physical: 0,
    }; CACHED_PAGES],
    len: 0,
});

/// Pages kept mapped for reuse (the ktests count them with free frames).
pub fn cached_pages() -> usize {
    CACHE.lock().len
}

/// A `T` alone in a page mapped read-only; dropped on drop, and the page
/// unmapped (or kept mapped for the next one).
pub struct ProtectedPage<T> {
    page: MappedSlot,
    _owns: PhantomData<T>,
}

// SAFETY: a `ProtectedPage<T>` owns its `T` exactly as a `Box<T>` does
// (nobody else holds its address), so it may cross threads when `T` may.
unsafe impl<T: Send> Send for ProtectedPage<T> {}
// SAFETY: `&ProtectedPage<T>` hands out only `&T`.
unsafe impl<T: Sync> Sync for ProtectedPage<T> {}

/// A cached page, or a new slot mapped read-only to a new frame.
fn map_slot() -> KernelResult<MappedSlot> {
    let cached = {
        let mut cache = CACHE.lock();
        cache.len.checked_sub(1).map(|last| {
            cache.len = last;
            cache.pages[last]
        })
    };
    if let Some(page) = cached {
        return Ok(page);
    }
    let slot = SLOTS.allocate()?;
    let frame = match KernelFrames.alloc_frame() {
        Ok(frame) => frame,
        Err(error) => {
            SLOTS.release(slot);
            return Err(error);
        }
    };
    let mapped = kernel_page_table().lock().map_4k(
        SLOTS.base(slot),
        frame.start().0,
        KernelAccess::ReadOnly,
        &mut KernelFrames,
    );
    if let Err(error) = mapped {
        let _ = KernelFrames.dec_ref(frame);
        SLOTS.release(slot);
        return Err(error);
    }
    Ok(MappedSlot {
        slot,
        physical: frame.start().0,
    })
}

/// Keeps `page` for reuse, or unmaps it and half the cache with one
/// shootdown when the cache is full.
fn release_slot(page: MappedSlot) {
    let mut evicted = [page; CACHED_PAGES / 2 + 1];
    {
        let mut cache = CACHE.lock();
        if cache.len < CACHED_PAGES {
            let len = cache.len;
            cache.pages[len] = page;
            cache.len += 1;
            return;
        }
        cache.len -= CACHED_PAGES / 2;
        let len = cache.len;
        evicted[1..].copy_from_slice(&cache.pages[len..]);
    }
    // No CPU may reach a frame through a stale entry once it is free, nor
    // a slot once it is reused. Interrupts off from the local flushes to
    // the shootdown, which spares this CPU (see `KernelStack`'s drop).
    x86_64::instructions::interrupts::without_interrupts(|| {
        let mut table = kernel_page_table().lock();
        for page in &evicted {
            table.unmap_4k(SLOTS.base(page.slot));
        }
        drop(table);
        arch::tlb::shootdown_kernel();
    });
    for page in evicted {
        let _ = KernelFrames.dec_ref(Frame(page.physical >> 12));
        SLOTS.release(page.slot);
    }
}

impl<T> ProtectedPage<T> {
    /// Puts `value` in a new protected page. `ENOMEM` when frames or
    /// slots run out.
    pub fn new(value: T) -> KernelResult<Self> {
        const {
            assert!(size_of::<T>() <= PAGE as usize && align_of::<T>() <= PAGE as usize);
        }
        let page = map_slot()?;
        let alias = phys_to_virt(page.physical) as *mut T;
        // SAFETY: the frame is ours alone (a new one, or a cached one whose
        // value was dropped), mapped by the direct map, and page-aligned
        // (so aligned for `T`, checked above).
        unsafe { alias.write(value) };
        Ok(Self {
            page,
            _owns: PhantomData,
        })
    }

    /// The page's address in the protected region.
    pub fn address(&self) -> u64 {
        SLOTS.base(self.page.slot)
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
        let alias = phys_to_virt(self.page.physical) as *mut T;
        // SAFETY: the frame holds an initialised `T` that nothing else
        // refers to (we are being dropped); the direct map's alias of it
        // is writable, so the page's own entry need not change.
        unsafe { alias.drop_in_place() };
        release_slot(self.page);
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
