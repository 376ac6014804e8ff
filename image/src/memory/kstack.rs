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

/// A mapped kernel stack; unmapped and freed on drop.
#[derive(Debug)]
pub struct KernelStack {
    slot: u64,
}

impl KernelStack {
    /// Maps a new stack.
    pub fn new() -> KernelResult<Self> {
        let stack = Self {
            slot: SLOTS.allocate()?,
        };
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
        Ok(stack)
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

impl Drop for KernelStack {
    fn drop(&mut self) {
        const PAGES: usize = (STACK_SIZE / PAGE) as usize;
        let mut frames = [0u64; PAGES];
        let mut table = kernel_page_table().lock();
        for (index, frame) in frames.iter_mut().enumerate() {
            *frame = table
                .unmap_4k(self.bottom() + index as u64 * PAGE)
                .unwrap_or(0);
        }
        drop(table);
        // No CPU may still reach the frames through a stale entry once they
        // are free, nor the slot once it is reused.
        arch::tlb::shootdown_kernel();
        for physical in frames.into_iter().filter(|&p| p != 0) {
            let _ = KernelFrames.dec_ref(Frame(physical >> 12));
        }
        SLOTS.release(self.slot);
    }
}

/// Whether `address` is in the guard page of some kernel stack slot.
pub fn is_guard_page(address: u64) -> bool {
    SLOTS
        .offset_in_slot(address)
        .is_some_and(|offset| offset < PAGE)
}
