//! A per-CPU stash of free single frames in front of the buddy allocator.
//!
//! Most frames the kernel takes and gives back are single pages (page
//! faults, page tables, heap growth). Through the buddy allocator alone,
//! each one takes the machine-wide allocator lock twice and pays a split on
//! the way out and a merge on the way back. A CPU that keeps a few dozen
//! freed frames of its own hands them out again without the allocator
//! lock, and gives them back or takes more in batches (Linux's per-CPU
//! page lists).
//!
//! Frames in a cache stay allocated in the buddy allocator's books, with a
//! count of one that the cache holds: handing one out needs no change
//! there. The kernel keeps one cache per CPU, each behind its own lock,
//! taken before the allocator's.

use abi::{Errno, KernelResult};

use crate::addr::Frame;
use crate::buddy::BuddyAllocator;

/// How many frames one cache holds at most.
pub const FRAME_CACHE_CAPACITY: usize = 64;

/// How many frames a refill takes from the buddy allocator at once, and how
/// many a full cache gives back.
pub const FRAME_CACHE_BATCH: usize = 32;

/// Who a frame is for: user page faults may not take the frames the kernel
/// keeps for itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameUse {
    /// The kernel's own allocations (page tables, heap, stacks): may use
    /// the reserve.
    Kernel,
    /// A user page: refused once only the reserve is left.
    User,
}

/// Free single frames one CPU keeps, most recently freed on top.
#[derive(Debug)]
pub struct FrameCache {
    frames: [Frame; FRAME_CACHE_CAPACITY],
    len: usize,
}

impl FrameCache {
    /// An empty cache.
    pub const fn new() -> Self {
        FrameCache {
            frames: [Frame(0); FRAME_CACHE_CAPACITY],
            len: 0,
        }
    }

    /// Frames held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no frame is held.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The most recently freed frame (its cache lines may still be warm),
    /// with a count of one.
    pub fn pop(&mut self) -> Option<Frame> {
        self.len = self.len.checked_sub(1)?;
        Some(self.frames[self.len])
    }

    /// Takes frames from `buddy` and returns one of them. `reserve` is what
    /// the kernel keeps for itself: a `User` request fails with `ENOMEM`
    /// once no more than that is free, and a request near the reserve takes
    /// only the frame it needs, so a cache never holds reserve frames that
    /// a user fault could later take.
    pub fn refill(
        &mut self,
        buddy: &mut BuddyAllocator<'_>,
        reserve: u64,
        purpose: FrameUse,
    ) -> KernelResult<Frame> {
        let free = buddy.free_frames();
        if purpose == FrameUse::User && free <= reserve {
            return Err(Errno::ENOMEM);
        }
        let frame = buddy.alloc(0)?;
        if free > reserve + FRAME_CACHE_BATCH as u64 {
            for _ in 1..FRAME_CACHE_BATCH {
                if self.len == FRAME_CACHE_CAPACITY {
                    break;
                }
                let Ok(extra) = buddy.alloc(0) else {
                    break;
                };
                self.frames[self.len] = extra;
                self.len += 1;
            }
        }
        Ok(frame)
    }

    /// Drops a reference to `frame` as [`BuddyAllocator::dec_ref`] does,
    /// except that a single frame losing its last reference comes here
    /// (a full cache first gives its oldest batch back). `EINVAL` for a
    /// frame that is not allocated, or (with debug assertions) already
    /// here: a double free.
    pub fn dec_ref(&mut self, buddy: &mut BuddyAllocator<'_>, frame: Frame) -> KernelResult<u32> {
        let remaining = buddy.dec_ref_keeping_single(frame)?;
        if remaining != 0 {
            return Ok(remaining);
        }
        // A frame freed twice is found here only in builds with debug
        // assertions (the test suite's): the scan of the whole cache costs
        // as much as the rest of a page fault's frame handling. A release
        // build trusts mm's counts, as it must for a stale free of a frame
        // already handed out again.
        if cfg!(debug_assertions) && self.frames[..self.len].contains(&frame) {
            return Err(Errno::EINVAL);
        }
        if self.len == FRAME_CACHE_CAPACITY {
            self.give_back(buddy, FRAME_CACHE_BATCH);
        }
        self.frames[self.len] = frame;
        self.len += 1;
        Ok(0)
    }

    /// Gives every frame back to `buddy` (memory ran short elsewhere, or a
    /// CPU goes away).
    pub fn drain(&mut self, buddy: &mut BuddyAllocator<'_>) {
        self.give_back(buddy, self.len);
    }

    /// Frees the `count` oldest frames.
    fn give_back(&mut self, buddy: &mut BuddyAllocator<'_>, count: usize) {
        let count = count.min(self.len);
        for &frame in &self.frames[..count] {
            if let Err(error) = buddy.free(frame, 0) {
                log::error!("mm: giving back cached {frame:?} failed: {error:?}");
            }
        }
        self.frames.copy_within(count..self.len, 0);
        self.len -= count;
    }
}

impl Default for FrameCache {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::PhysRange;
    use crate::buddy::{FrameMeta, FrameSpan};
    use alloc::vec;
    use alloc::vec::Vec;

    /// 1 MiB of frames above the first MiB: 256.
    fn buddy() -> BuddyAllocator<'static> {
        let usable = [PhysRange::new(1 << 20, 1 << 20)];
        let span = FrameSpan::of(&usable).unwrap();
        let meta = vec![FrameMeta::default(); span.metadata_len()].leak();
        BuddyAllocator::new(meta, &usable, &[]).unwrap()
    }

    #[test]
    fn a_refill_takes_a_batch_and_pops_need_no_allocator() {
        let mut buddy = buddy();
        let mut cache = FrameCache::new();
        let first = cache.refill(&mut buddy, 0, FrameUse::Kernel).unwrap();
        assert_eq!(cache.len(), FRAME_CACHE_BATCH - 1);
        assert_eq!(buddy.free_frames(), 256 - FRAME_CACHE_BATCH as u64);
        let mut seen = vec![first];
        while let Some(frame) = cache.pop() {
            assert_eq!(buddy.ref_count(frame), 1);
            assert!(!seen.contains(&frame));
            seen.push(frame);
        }
        assert_eq!(seen.len(), FRAME_CACHE_BATCH);
    }

    #[test]
    fn a_last_reference_keeps_the_frame_and_the_next_pop_returns_it() {
        let mut buddy = buddy();
        let mut cache = FrameCache::new();
        let frame = cache.refill(&mut buddy, 0, FrameUse::Kernel).unwrap();
        buddy.inc_ref(frame).unwrap();
        assert_eq!(cache.dec_ref(&mut buddy, frame), Ok(1));
        let before = cache.len();
        assert_eq!(cache.dec_ref(&mut buddy, frame), Ok(0));
        assert_eq!(cache.len(), before + 1);
        assert_eq!(buddy.ref_count(frame), 1, "the cache holds it");
        assert_eq!(cache.pop(), Some(frame));
    }

    #[test]
    #[cfg(debug_assertions)]
    fn a_double_free_into_the_cache_is_refused() {
        let mut buddy = buddy();
        let mut cache = FrameCache::new();
        let frame = cache.refill(&mut buddy, 0, FrameUse::Kernel).unwrap();
        assert_eq!(cache.dec_ref(&mut buddy, frame), Ok(0));
        let len = cache.len();
        assert_eq!(cache.dec_ref(&mut buddy, frame), Err(Errno::EINVAL));
        assert_eq!(cache.len(), len);
    }

    #[test]
    fn a_full_cache_gives_its_oldest_batch_back() {
        let mut buddy = buddy();
        let mut cache = FrameCache::new();
        let frames: Vec<Frame> = (0..FRAME_CACHE_CAPACITY + 1)
            .map(|_| buddy.alloc(0).unwrap())
            .collect();
        for &frame in &frames {
            cache.dec_ref(&mut buddy, frame).unwrap();
        }
        assert_eq!(cache.len(), FRAME_CACHE_CAPACITY - FRAME_CACHE_BATCH + 1);
        // The first batch freed went back; the newest is on top.
        for frame in &frames[..FRAME_CACHE_BATCH] {
            assert_eq!(buddy.ref_count(*frame), 0);
        }
        assert_eq!(cache.pop(), frames.last().copied());
        let free = buddy.free_frames();
        cache.drain(&mut buddy);
        assert!(cache.is_empty());
        assert_eq!(
            buddy.free_frames(),
            free + (FRAME_CACHE_CAPACITY - FRAME_CACHE_BATCH) as u64
        );
    }

    #[test]
    fn user_frames_stop_at_the_reserve_and_near_it_no_batch_is_taken() {
        let mut buddy = buddy();
        let mut cache = FrameCache::new();
        assert_eq!(
            cache.refill(&mut buddy, 256, FrameUse::User),
            Err(Errno::ENOMEM)
        );
        // The kernel may dip into the reserve, one frame at a time.
        assert!(cache.refill(&mut buddy, 256, FrameUse::Kernel).is_ok());
        assert!(cache.is_empty());
        // Just above reserve + batch a user refill takes a batch.
        let reserve = buddy.free_frames() - FRAME_CACHE_BATCH as u64 - 1;
        assert!(cache.refill(&mut buddy, reserve, FrameUse::User).is_ok());
        assert_eq!(cache.len(), FRAME_CACHE_BATCH - 1);
    }

    #[test]
    fn an_exhausted_allocator_says_enomem() {
        let mut buddy = buddy();
        let mut cache = FrameCache::new();
        let mut taken = 0;
        while cache.refill(&mut buddy, 0, FrameUse::Kernel).is_ok() {
            taken += 1;
        }
        assert_eq!(taken + cache.len(), 256);
    }
}
