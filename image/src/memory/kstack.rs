//! Kernel stacks with a guard page below each.
//!
//! Stacks live in their own region of the kernel half, one fixed-size slot
//! each: the lowest page of a slot is never mapped, so running off the end
//! of a stack faults on the guard instead of corrupting its neighbour. The
//! crash report names such a fault a kernel stack overflow.

use abi::KernelResult;
use arch::paging::KernelAccess;
use mm::{Frame, FrameAllocator};

use super::frames::KernelFrames;
use super::kernel_space::kernel_page_table;
use super::slots::SlotRegion;

/// Start of the kernel-stack region (PML4 entry 510).
pub const REGION_START: u64 = 0xffff_ff00_0000_0000;
/// Slots available: 64 GiB of address space.
const SLOT_COUNT: u64 = (64 << 30) / SLOT_SIZE;
/// Usable bytes of every kernel stack.
pub const STACK_SIZE: u64 = 64 * 1024;
const PAGE: u64 = 4096;
const SLOT_SIZE: u64 = STACK_SIZE + PAGE;

static SLOTS: SlotRegion = SlotRegion::new(REGION_START, SLOT_SIZE, SLOT_COUNT);

/// Slots of freed stacks kept mapped for the next thread, as Linux caches
/// vmalloc'ed stacks: unmapping one means a TLB shootdown of every CPU,
/// and a machine that starts and ends threads quickly would spend its time
/// there (and free stacks slower than it makes them).
const CACHED_STACKS: usize = 32;
static CACHE: arch::sync::IrqMutex<heapless_slots::Slots> =
    arch::sync::IrqMutex::new(heapless_slots::Slots::new());

mod heapless_slots {
    /// A fixed array of slot numbers (no allocation under the lock).
    pub struct Slots {
        slots: [u64; super::CACHED_STACKS],
        len: usize,
    }

    impl Slots {
        pub const fn new() -> Self {
            Slots {
                slots: [0; super::CACHED_STACKS],
                len: 0,
            }
        }

        pub fn pop(&mut self) -> Option<u64> {
            self.len = self.len.checked_sub(1)?;
            Some(self.slots[self.len])
        }

        /// False when full.
        pub fn push(&mut self, slot: u64) -> bool {
            if self.len == self.slots.len() {
                return false;
            }
            self.slots[self.len] = slot;
            self.len += 1;
            true
        }
    }
}

/// A mapped kernel stack; unmapped and freed on drop (or kept mapped for
/// the next one).
#[derive(Debug)]
pub struct KernelStack {
    slot: u64,
    /// Every page is mapped (false only while `new` maps them, and for a
    /// stack whose mapping failed half-way).
    whole: bool,
}

impl KernelStack {
    /// Maps a new stack (or reuses a cached one).
    pub fn new() -> KernelResult<Self> {
        if fault_injection::should_fail() {
            return Err(abi::Errno::ENOMEM);
        }
        let cached = CACHE.lock().pop();
        if let Some(slot) = cached {
            let mut stack = Self::holding(slot);
            stack.whole = true;
            return Ok(stack);
        }
        let mut stack = Self::holding(SLOTS.allocate()?);
        let mut table = kernel_page_table().lock();
        let mut page = stack.bottom();
        while page < stack.top() {
            let mapped = KernelFrames.alloc_frame().and_then(|frame| {
                table.map_4k(
                    page,
                    frame.start().0,
                    KernelAccess::ReadWrite,
                    &mut KernelFrames,
                )
            });
            if let Err(error) = mapped {
                drop(table);
                drop(stack); // unmaps what was mapped
                return Err(error);
            }
            page += PAGE;
        }
        drop(table);
        stack.whole = true;
        Ok(stack)
    }

    /// Every `KernelStack` is made here, so the live count is exact (a
    /// failed `new` drops its half-mapped stack, which counts down again).
    fn holding(slot: u64) -> Self {
        LIVE.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
        Self { slot, whole: false }
    }

    fn base(&self) -> u64 {
        SLOTS.base(self.slot)
    }

    /// Lowest usable address (just above the guard page).
    pub fn bottom(&self) -> u64 {
        self.base() + PAGE
    }

    /// One past the highest usable address: the initial stack pointer.
    pub fn top(&self) -> u64 {
        self.base() + SLOT_SIZE
    }
}

/// Stacks of live threads (not those cached for reuse).
static LIVE: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// Bytes of kernel stacks in use (`KernelStack` in `/proc/meminfo`).
pub fn in_use_bytes() -> u64 {
    LIVE.load(core::sync::atomic::Ordering::Relaxed) * STACK_SIZE
}

impl Drop for KernelStack {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, core::sync::atomic::Ordering::Relaxed);
        // A stack whose mapping is whole goes back to the cache (a failed
        // `new` drops a partly mapped one).
        if self.whole && CACHE.lock().push(self.slot) {
            return;
        }
        const PAGES: usize = (STACK_SIZE / PAGE) as usize;
        let mut frames = [0u64; PAGES];
        // No CPU may still reach the frames through a stale entry once they
        // are free, nor the slot once it is reused. Interrupts stay off from
        // the local flushes to the shootdown, which spares this CPU: a
        // thread moved in between would spare a CPU it never flushed.
        x86_64::instructions::interrupts::without_interrupts(|| {
            let mut table = kernel_page_table().lock();
            for (index, frame) in frames.iter_mut().enumerate() {
                *frame = table
                    .unmap_4k(self.bottom() + index as u64 * PAGE)
                    .unwrap_or(0);
            }
            drop(table);
            arch::tlb::shootdown_kernel();
        });
        for physical in frames.into_iter().filter(|&p| p != 0) {
            let _ = KernelFrames.dec_ref(Frame(physical >> 12));
        }
        SLOTS.release(self.slot);
    }
}

/// Whether `address` is in the guard page of some kernel stack slot or
/// under one of the boot CPU's IST stacks.
pub fn is_guard_page(address: u64) -> bool {
    let page = address & !(PAGE - 1);
    SLOTS
        .offset_in_slot(address)
        .is_some_and(|offset| offset < PAGE)
        || arch::gdt::boot_ist_guard_pages().contains(&page)
}
