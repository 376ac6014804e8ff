//! The seam between memory policy and whoever owns physical frames.
//!
//! Address spaces, VM objects and page tables take frames through
//! [`FrameAllocator`] so that tests and other kernels can supply their own.
//! [`crate::BuddyAllocator`] implements it, and so does a
//! `&lock::Mutex<BuddyAllocator>` (locking once per call, so the allocator
//! lock is never held across a whole fork or fault).

use abi::KernelResult;

use crate::addr::Frame;
use crate::buddy::BuddyAllocator;

/// Hands out single 4 KiB frames and counts their owners.
///
/// A frame comes out of [`alloc_frame`](FrameAllocator::alloc_frame) with a
/// reference count of 1. Every extra owner (a second page-table entry after a
/// fork, a page cache plus a mapping) takes a reference with
/// [`inc_ref`](FrameAllocator::inc_ref); each owner gives its reference back
/// with [`dec_ref`](FrameAllocator::dec_ref), and the frame returns to the
/// free pool when the count reaches zero. Frames are not zeroed: callers zero
/// them through [`crate::PhysicalMemory`] when they must.
pub trait FrameAllocator {
    /// Allocates one frame with a reference count of 1; `ENOMEM` when none is left.
    fn alloc_frame(&mut self) -> KernelResult<Frame>;

    /// Adds an owner to an allocated frame; returns the new count.
    /// `EINVAL` if the frame is not allocated.
    fn inc_ref(&mut self, frame: Frame) -> KernelResult<u32>;

    /// Drops an owner; returns the remaining count and frees the frame at 0.
    /// `EINVAL` if the frame is not allocated.
    fn dec_ref(&mut self, frame: Frame) -> KernelResult<u32>;

    /// Current number of owners of `frame` (0 if it is not allocated).
    fn ref_count(&self, frame: Frame) -> u32;
}

impl FrameAllocator for BuddyAllocator<'_> {
    fn alloc_frame(&mut self) -> KernelResult<Frame> {
        self.alloc(0)
    }

    fn inc_ref(&mut self, frame: Frame) -> KernelResult<u32> {
        BuddyAllocator::inc_ref(self, frame)
    }

    fn dec_ref(&mut self, frame: Frame) -> KernelResult<u32> {
        BuddyAllocator::dec_ref(self, frame)
    }

    fn ref_count(&self, frame: Frame) -> u32 {
        BuddyAllocator::ref_count(self, frame)
    }
}

impl FrameAllocator for &lock::Mutex<BuddyAllocator<'_>> {
    fn alloc_frame(&mut self) -> KernelResult<Frame> {
        self.lock().alloc(0)
    }

    fn inc_ref(&mut self, frame: Frame) -> KernelResult<u32> {
        self.lock().inc_ref(frame)
    }

    fn dec_ref(&mut self, frame: Frame) -> KernelResult<u32> {
        self.lock().dec_ref(frame)
    }

    fn ref_count(&self, frame: Frame) -> u32 {
        self.lock().ref_count(frame)
    }
}

/// Drops one reference to a frame; a failure means mm's own bookkeeping is
/// wrong, which is logged rather than allowed to take the kernel down.
pub(crate) fn put_frame<A: FrameAllocator>(frames: &mut A, frame: Frame) {
    if let Err(error) = frames.dec_ref(frame) {
        log::error!("mm: dropping a reference to {frame:?} failed: {error:?}");
    }
}
