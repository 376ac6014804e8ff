//! Memory-management policy for Courage: physical frames, user address
//! spaces, regions, VM objects, copy-on-write, page-fault resolution and
//! typed user pointers.
//!
//! This crate decides *what* is mapped where and who owns which frame; it
//! never touches hardware. Following SerenityOS, an [`AddressSpace`] is an
//! ordered set of [`Region`]s, each a window onto a [`Backing`]: private
//! anonymous memory or a [`VmObject`] (anonymous or inode-backed).
//!
//! Traits a reuser implements:
//! - [`PageTable`]: one user page table whose kernel half is shared (arch);
//! - [`PhysicalMemory`]: byte access to frames through the direct map (arch);
//! - [`UserMemory`]: fault-safe `copy_from_user`/`copy_to_user` (arch);
//! - [`InodeBacking`]: reading a file page for the page cache (fs);
//! - [`FrameAllocator`]: optional, [`BuddyAllocator`] implements it.
//!
//! Invariants:
//! 1. The [`BuddyAllocator`] never uses the heap (the heap grows from it);
//!    its per-frame metadata is a caller-provided slice.
//! 2. Every present page-table entry and every page a [`VmObject`] holds
//!    owns one reference on its frame; a frame is free exactly when its
//!    count reaches zero. Tearing down every space returns every frame.
//! 3. Regions of a space never overlap; neighbours that are
//!    indistinguishable are merged.
//! 4. A private page whose frame has more than one owner is never writable:
//!    the write fault copies it, or reuses it if the count fell back to one.
//! 5. Nothing a user passes (an address, a length, a fault) makes this crate
//!    panic: errors are Linux errno values, faults are [`FaultOutcome`]s.
//!    User addresses enter only as [`UserAddr`]/[`UserPtr`]/[`UserSlice`],
//!    whose constructors reject anything at or above [`USER_SPACE_END`].
//!
//! Locking: no global state. The kernel keeps each [`AddressSpace`] in its
//! own lock and the [`BuddyAllocator`] in a `lock::Mutex`; the order is
//! address space, then a [`VmObject`]'s page map, then a CPU's
//! [`FrameCache`], then the frame allocator (locked per call through
//! `impl FrameAllocator for &Mutex<BuddyAllocator>`).
//!
//! Modules: `addr` addresses, frames and page arithmetic; `buddy` the frame
//! allocator; `frame_cache` the per-CPU stash in front of it;
//! `object_cache` per-CPU stashes of small heap blocks;
//! `frame_allocator` its trait; `page_table` the hardware traits;
//! `vm_object`, `region`, `address_space`, `fault`; `user_ptr` typed user
//! pointers and checked copies; `user_copy` [`UserMemory`] over an address
//! space; `fake` in-memory hardware for tests (feature `fake`).

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;
#[cfg(test)]
extern crate std;

mod addr;
mod address_space;
mod buddy;
#[cfg(any(test, feature = "fake"))]
pub mod fake;
mod fault;
mod frame_allocator;
mod frame_cache;
mod object_cache;
mod page_table;
mod region;
mod remap;
mod user_copy;
mod user_ptr;
mod vm_object;

pub use addr::{
    Frame, PAGE_SHIFT, PAGE_SIZE, PAGE_SIZE_USIZE, PhysAddr, PhysRange, USER_SPACE_END, VirtAddr,
    VirtRange, is_page_aligned, page_align_down, page_align_up,
};
pub use address_space::{AddressSpace, DEFAULT_MMAP_TOP, MMAP_MIN_ADDR, MapRequest, Placement};
pub use buddy::{
    BuddyAllocator, FrameMeta, FrameSpan, FrameStats, LOW_MEMORY_END, MAX_ORDER, ORDER_COUNT,
    metadata_home,
};
pub use fault::{Access, FaultOutcome, SegvCode};
pub use frame_allocator::FrameAllocator;
pub use frame_cache::{FRAME_CACHE_BATCH, FRAME_CACHE_CAPACITY, FrameCache, FrameUse};
pub use object_cache::{OBJECT_ALIGN, OBJECT_CACHE_DEPTH, OBJECT_CLASSES, ObjectCache};
pub use page_table::{MappedAction, PageFlags, PageTable, PhysicalMemory};
pub use region::{Backing, Perms, Region};
pub use remap::RemapRequest;
pub use user_copy::AddressSpaceMemory;
pub use user_ptr::{
    PATH_MAX, UserAddr, UserMemory, UserPtr, UserSlice, copy_string_array_from_user,
    copy_string_from_user, read_bytes, read_value, write_value,
};
pub use vm_object::{InodeBacking, VmObject};

#[cfg(test)]
mod tests;
