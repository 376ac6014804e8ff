//! Memory: the frame allocator, the kernel page table, kernel stacks, the
//! heap, and the user address space the CPU runs on.
//!
//! [`init`] runs once, early, on the boot stack:
//! 1. the buddy allocator over the boot memory map, minus the kernel image,
//!    the boot modules (initrd) and the allocator's own metadata;
//! 2. the kernel page table: all physical memory at the direct-map offset
//!    (read/write, no-execute), the kernel image W^X (text RX, rodata R,
//!    data and bss RW), nothing in the lower half; then CR3 switches to it
//!    and SMEP/SMAP are enabled when the CPU has them;
//! 3. the heap then grows from frames on demand.
//!
//! Locking: the frame allocator and the heap are [`arch::sync::IrqMutex`]es
//! (interrupt handlers may allocate); the heap's lock is taken before the
//! frame allocator's, never the other way round.

pub mod frames;
pub mod heap;
pub mod kernel_space;
pub mod kstack;
pub mod page_cache;
pub mod protected;
pub mod slots;
pub mod user;

use ::boot::BootInfo;

/// Sets up physical memory, the kernel page table and the heap.
pub fn init(info: &BootInfo) {
    frames::init(info);
    kernel_space::init(info);
    if let Some(stats) = frames::stats() {
        log::info!(
            "memory: {} MiB managed, {} MiB free after the kernel page table",
            stats.total_frames * 4 / 1024,
            stats.free_frames * 4 / 1024
        );
    }
}
