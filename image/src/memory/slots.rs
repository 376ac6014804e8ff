//! Fixed-size slots of kernel virtual address space, handed out and taken
//! back: the regions for kernel stacks and protected pages.

use abi::{Errno, KernelResult};
use alloc::vec::Vec;
use arch::sync::IrqMutex;
use core::sync::atomic::{AtomicU64, Ordering};

/// A region of `slot_count` slots of `slot_size` bytes from `start`.
pub struct SlotRegion {
    start: u64,
    slot_size: u64,
    slot_count: u64,
    /// Slots never handed out start here.
    next: AtomicU64,
    /// Slots handed back, reused first.
    free: IrqMutex<Vec<u64>>,
}

impl SlotRegion {
    /// A region; nothing is mapped by this type.
    pub const fn new(start: u64, slot_size: u64, slot_count: u64) -> Self {
        Self {
            start,
            slot_size,
            slot_count,
            next: AtomicU64::new(0),
            free: IrqMutex::new(Vec::new()),
        }
    }

    /// A free slot's index; `ENOMEM` when the region is used up.
    pub fn allocate(&self) -> KernelResult<u64> {
        if let Some(slot) = self.free.lock().pop() {
            return Ok(slot);
        }
        let slot = self.next.fetch_add(1, Ordering::SeqCst);
        if slot >= self.slot_count {
            self.next.fetch_sub(1, Ordering::SeqCst);
            return Err(Errno::ENOMEM);
        }
        Ok(slot)
    }

    /// Hands `slot` back (its pages must be unmapped already).
    pub fn release(&self, slot: u64) {
        self.free.lock().push(slot);
    }

    /// The first address of `slot`.
    pub fn base(&self, slot: u64) -> u64 {
        self.start + slot * self.slot_size
    }

    /// The byte offset of `address` in its slot, if it lies in the region.
    pub fn offset_in_slot(&self, address: u64) -> Option<u64> {
        let end = self.start + self.slot_count * self.slot_size;
        (self.start..end)
            .contains(&address)
            .then(|| (address - self.start) % self.slot_size)
    }
}
