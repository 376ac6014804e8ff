//! A binary buddy allocator for physical frames that never touches the heap.
//!
//! The kernel heap grows out of this allocator, so its bookkeeping lives in a
//! caller-provided slice of [`FrameMeta`], one entry per frame of the span it
//! manages. The image computes the span with [`FrameSpan::of`], picks a home
//! for the metadata with [`metadata_home`], reserves that home, and hands the
//! slice (zeroed memory is a valid starting state; [`FrameMeta`] derives
//! `zerocopy::FromBytes`, so `<[FrameMeta]>::mut_from_bytes` turns a byte
//! slice into it without `unsafe`) to [`BuddyAllocator::new`].
//!
//! Invariants, relied on by merging and by the double-free checks:
//! - every block of order `k` starts at a frame index that is a multiple of
//!   `2^k`, and the span's base is aligned to `2^MAX_ORDER` frames, so blocks
//!   are naturally aligned in physical memory too;
//! - the first frame (head) of a free block is `FREE_HEAD` and is on exactly
//!   one free list, that of its order; the head of an allocated block is
//!   `ALLOCATED_HEAD` and carries the block's order and reference count;
//!   every other frame of a block is `INSIDE`;
//! - frames that are not usable RAM (holes, firmware, reserved ranges, the
//!   first MiB) are `UNAVAILABLE` and never change state.

use core::fmt;

use abi::{Errno, KernelResult};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::addr::{Frame, PAGE_SHIFT, PAGE_SIZE, PhysAddr, PhysRange};

/// The largest block order: blocks hold up to `2^MAX_ORDER` frames (4 MiB).
pub const MAX_ORDER: usize = 10;
/// Number of distinct block orders (`0..=MAX_ORDER`).
pub const ORDER_COUNT: usize = MAX_ORDER + 1;
/// Physical memory below this address is never handed out: BIOS data, the
/// real-mode IVT and legacy DMA live there.
pub const LOW_MEMORY_END: u64 = 0x10_0000;

const NONE: u32 = u32::MAX;
const UNAVAILABLE: u8 = 0;
const FREE_HEAD: u8 = 1;
const ALLOCATED_HEAD: u8 = 2;
const INSIDE: u8 = 3;
/// Only during construction: usable, not yet placed in a block.
const USABLE: u8 = 4;

/// Per-frame bookkeeping of the buddy allocator (16 bytes per 4 KiB frame).
///
/// All-zero bytes are a valid value, so the image may build the slice from
/// zeroed physical memory.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug, FromBytes, IntoBytes, KnownLayout, Immutable)]
pub struct FrameMeta {
    next: u32,
    prev: u32,
    ref_count: u32,
    order: u8,
    state: u8,
    _reserved: [u8; 2],
}

// The image sizes its carve-out from this; keep it at 16 bytes per frame.
const _: () = assert!(core::mem::size_of::<FrameMeta>() == 16);

/// The frames a [`BuddyAllocator`] manages: `count` frames from `base`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct FrameSpan {
    /// First frame (aligned to `2^MAX_ORDER` frames).
    pub base: Frame,
    /// Number of frames, holes included.
    pub count: u64,
}

impl FrameSpan {
    /// The span covering every usable frame above [`LOW_MEMORY_END`], or
    /// `None` if there is none or it would exceed `u32::MAX - 1` frames.
    pub fn of(usable: &[PhysRange]) -> Option<FrameSpan> {
        let mut lowest = u64::MAX;
        let mut highest = 0;
        for range in usable {
            let (start, end) = usable_frames(range);
            if start < end {
                lowest = lowest.min(start);
                highest = highest.max(end);
            }
        }
        if lowest >= highest {
            return None;
        }
        let base = lowest & !((1u64 << MAX_ORDER) - 1);
        let count = highest - base;
        (count < u64::from(NONE)).then_some(FrameSpan {
            base: Frame(base),
            count,
        })
    }

    /// Number of [`FrameMeta`] entries the allocator needs for this span.
    pub fn metadata_len(&self) -> usize {
        self.count as usize
    }

    /// Bytes of metadata for this span.
    pub fn metadata_bytes(&self) -> u64 {
        self.count * core::mem::size_of::<FrameMeta>() as u64
    }
}

/// Frame numbers `[start, end)` fully inside `range` and above the first MiB.
fn usable_frames(range: &PhysRange) -> (u64, u64) {
    let start = range.start.0.max(LOW_MEMORY_END).div_ceil(PAGE_SIZE);
    let end = range.end.0 >> PAGE_SHIFT;
    (start, end.max(start))
}

/// Picks a page-aligned physical range of `bytes` bytes inside usable memory,
/// above the first MiB and clear of every reserved range, for the
/// allocator's metadata. The caller must add it to the reserved ranges it
/// passes to [`BuddyAllocator::new`].
pub fn metadata_home(
    usable: &[PhysRange],
    reserved: &[PhysRange],
    bytes: u64,
) -> Option<PhysRange> {
    let bytes = bytes.div_ceil(PAGE_SIZE) * PAGE_SIZE;
    for range in usable {
        let (first, last) = usable_frames(range);
        let mut start = first * PAGE_SIZE;
        let end = last * PAGE_SIZE;
        'candidate: while start.checked_add(bytes)? <= end {
            let candidate = PhysRange::new(start, bytes);
            for r in reserved {
                if r.start.0 < candidate.end.0 && candidate.start.0 < r.end.0 {
                    start = r.end.0.div_ceil(PAGE_SIZE) * PAGE_SIZE;
                    continue 'candidate;
                }
            }
            return Some(candidate);
        }
    }
    None
}

/// Free and used frame counts, as `/proc/meminfo` and the boot log show them.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct FrameStats {
    /// Usable frames under management.
    pub total_frames: u64,
    /// Frames currently free.
    pub free_frames: u64,
    /// Number of free blocks of each order.
    pub free_blocks: [usize; ORDER_COUNT],
}

impl FrameStats {
    /// Frames currently allocated.
    pub fn used_frames(&self) -> u64 {
        self.total_frames - self.free_frames
    }
}

impl fmt::Display for FrameStats {
    /// `MemTotal`/`MemFree`/`MemUsed` lines in kB, then free blocks per order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kb = PAGE_SIZE / 1024;
        writeln!(f, "MemTotal: {:>10} kB", self.total_frames * kb)?;
        writeln!(f, "MemFree:  {:>10} kB", self.free_frames * kb)?;
        writeln!(f, "MemUsed:  {:>10} kB", self.used_frames() * kb)?;
        write!(f, "FreeBlocks:")?;
        for count in self.free_blocks {
            write!(f, " {count}")?;
        }
        writeln!(f)
    }
}

/// A buddy allocator over one [`FrameSpan`], bookkeeping in borrowed memory.
pub struct BuddyAllocator<'meta> {
    meta: &'meta mut [FrameMeta],
    base: u64,
    free_heads: [u32; ORDER_COUNT],
    free_blocks: [usize; ORDER_COUNT],
    free_frames: u64,
    total_frames: u64,
}

impl<'meta> BuddyAllocator<'meta> {
    /// Builds the allocator over the frames of `usable` that lie above the
    /// first MiB and outside every `reserved` range (kernel image, boot
    /// information, initrd, the metadata itself). Partial frames at range
    /// edges are left out of usable ranges and counted as reserved in
    /// reserved ones.
    ///
    /// `ENOMEM` if there is no usable frame; `EINVAL` if `meta` is shorter
    /// than [`FrameSpan::metadata_len`] of [`FrameSpan::of`]`(usable)`.
    pub fn new(
        meta: &'meta mut [FrameMeta],
        usable: &[PhysRange],
        reserved: &[PhysRange],
    ) -> KernelResult<Self> {
        let span = FrameSpan::of(usable).ok_or(Errno::ENOMEM)?;
        let count = span.metadata_len();
        if meta.len() < count {
            return Err(Errno::EINVAL);
        }
        let meta = &mut meta[..count];
        meta.fill(FrameMeta::default());
        let base = span.base.0;
        let end = base + span.count;
        for range in usable {
            let (start, stop) = usable_frames(range);
            for frame in start.max(base)..stop.min(end) {
                meta[(frame - base) as usize].state = USABLE;
            }
        }
        for range in reserved {
            let start = range.start.0 >> PAGE_SHIFT;
            let stop = range.end.0.div_ceil(PAGE_SIZE);
            for frame in start.max(base)..stop.min(end) {
                meta[(frame - base) as usize].state = UNAVAILABLE;
            }
        }
        let mut allocator = BuddyAllocator {
            meta,
            base,
            free_heads: [NONE; ORDER_COUNT],
            free_blocks: [0; ORDER_COUNT],
            free_frames: 0,
            total_frames: 0,
        };
        let mut index = 0u32;
        while (index as usize) < count {
            if allocator.meta[index as usize].state != USABLE {
                index += 1;
                continue;
            }
            let mut run_end = index;
            while (run_end as usize) < count && allocator.meta[run_end as usize].state == USABLE {
                run_end += 1;
            }
            for (head, order) in aligned_blocks(index, run_end - index) {
                allocator.mark_inside(head, order);
                allocator.push(head, order);
                allocator.free_frames += 1 << order;
            }
            allocator.total_frames += u64::from(run_end - index);
            index = run_end;
        }
        Ok(allocator)
    }

    /// Allocates a naturally aligned block of `2^order` frames with a
    /// reference count of 1. `EINVAL` if `order > MAX_ORDER`, `ENOMEM` if no
    /// block that large is free.
    pub fn alloc(&mut self, order: usize) -> KernelResult<Frame> {
        if order > MAX_ORDER {
            return Err(Errno::EINVAL);
        }
        let mut found = order;
        while self.free_heads[found] == NONE {
            found += 1;
            if found > MAX_ORDER {
                return Err(Errno::ENOMEM);
            }
        }
        let head = self.free_heads[found];
        self.remove(head, found);
        // Split down to the requested order, freeing the upper halves.
        while found > order {
            found -= 1;
            self.push(head + (1 << found), found);
        }
        self.free_frames -= 1 << order;
        self.mark_allocated(head, order);
        Ok(self.frame_of(head))
    }

    /// Frees a block that [`alloc`](Self::alloc) returned with the same
    /// `order`, merging it with free buddies. `EINVAL` if `frame` does not
    /// start an allocated block of that order (a double free, a wrong order);
    /// `EBUSY` if the frame has more than one owner (use
    /// [`dec_ref`](Self::dec_ref)).
    pub fn free(&mut self, frame: Frame, order: usize) -> KernelResult<()> {
        let index = self.allocated_head(frame)?;
        let meta = &self.meta[index as usize];
        if usize::from(meta.order) != order {
            return Err(Errno::EINVAL);
        }
        if meta.ref_count > 1 {
            return Err(Errno::EBUSY);
        }
        self.release(index, order);
        Ok(())
    }

    /// Allocates `count` physically contiguous frames (a buddy block of the
    /// next power of two, with the unused tail given back at once).
    /// `EINVAL` for 0; `ENOMEM` if more than `2^MAX_ORDER` or none is free.
    pub fn alloc_contiguous(&mut self, count: usize) -> KernelResult<Frame> {
        if count == 0 {
            return Err(Errno::EINVAL);
        }
        if count > 1 << MAX_ORDER {
            return Err(Errno::ENOMEM);
        }
        let order = count.next_power_of_two().trailing_zeros() as usize;
        let frame = self.alloc(order)?;
        let head = (frame.0 - self.base) as u32;
        let kept = count as u32;
        // Re-describe the block as aligned pieces so each can be freed alone.
        for (piece, piece_order) in aligned_blocks(head, kept) {
            self.mark_allocated(piece, piece_order);
        }
        for (piece, piece_order) in aligned_blocks(head + kept, (1 << order) - kept) {
            self.mark_allocated(piece, piece_order);
            self.release(piece, piece_order);
        }
        Ok(frame)
    }

    /// Frees `count` frames that [`alloc_contiguous`](Self::alloc_contiguous)
    /// returned with the same `count`. `EINVAL` if they are not such a run
    /// (nothing is freed then).
    pub fn free_contiguous(&mut self, frame: Frame, count: usize) -> KernelResult<()> {
        if count == 0 || count > 1 << MAX_ORDER {
            return Err(Errno::EINVAL);
        }
        let head = self.allocated_head(frame)?;
        let end = u64::from(head) + count as u64;
        if end > self.meta.len() as u64 {
            return Err(Errno::EINVAL);
        }
        for (piece, order) in aligned_blocks(head, count as u32) {
            let meta = &self.meta[piece as usize];
            if meta.state != ALLOCATED_HEAD
                || usize::from(meta.order) != order
                || meta.ref_count > 1
            {
                return Err(Errno::EINVAL);
            }
        }
        for (piece, order) in aligned_blocks(head, count as u32) {
            self.release(piece, order);
        }
        Ok(())
    }

    /// Adds an owner to an allocated block; returns the new count.
    /// `EINVAL` if `frame` does not start an allocated block.
    pub fn inc_ref(&mut self, frame: Frame) -> KernelResult<u32> {
        let index = self.allocated_head(frame)?;
        let meta = &mut self.meta[index as usize];
        meta.ref_count = meta.ref_count.checked_add(1).ok_or(Errno::EOVERFLOW)?;
        Ok(meta.ref_count)
    }

    /// Drops an owner of an allocated block; returns the remaining count and
    /// frees the block when it reaches zero. `EINVAL` if `frame` does not
    /// start an allocated block.
    pub fn dec_ref(&mut self, frame: Frame) -> KernelResult<u32> {
        let index = self.allocated_head(frame)?;
        let meta = &mut self.meta[index as usize];
        meta.ref_count -= 1;
        let remaining = meta.ref_count;
        if remaining == 0 {
            let order = usize::from(meta.order);
            self.release(index, order);
        }
        Ok(remaining)
    }

    /// As [`dec_ref`](Self::dec_ref), except that the last reference to a
    /// single frame (order 0) does not free it: the frame stays allocated
    /// with a count of one, and `Ok(0)` says the caller now holds it (a
    /// [`crate::FrameCache`] keeps it for the next allocation, without the
    /// merge and the later split).
    pub fn dec_ref_keeping_single(&mut self, frame: Frame) -> KernelResult<u32> {
        let index = self.allocated_head(frame)?;
        let meta = &mut self.meta[index as usize];
        if meta.ref_count == 1 && meta.order == 0 {
            return Ok(0);
        }
        self.dec_ref(frame)
    }

    /// Number of owners of the block starting at `frame` (0 if not allocated).
    pub fn ref_count(&self, frame: Frame) -> u32 {
        self.allocated_head(frame)
            .map(|index| self.meta[index as usize].ref_count)
            .unwrap_or(0)
    }

    /// Frames currently free.
    pub fn free_frames(&self) -> u64 {
        self.free_frames
    }

    /// Usable frames under management (free or allocated).
    pub fn total_frames(&self) -> u64 {
        self.total_frames
    }

    /// Counts for printing (`MemTotal`, `MemFree`, free blocks per order).
    pub fn stats(&self) -> FrameStats {
        FrameStats {
            total_frames: self.total_frames,
            free_frames: self.free_frames,
            free_blocks: self.free_blocks,
        }
    }

    /// Whether `frame` is a frame this allocator could hand out (usable RAM
    /// inside its span, free or not).
    pub fn manages(&self, frame: Frame) -> bool {
        self.index_of(frame)
            .is_some_and(|index| self.meta[index as usize].state != UNAVAILABLE)
    }

    fn frame_of(&self, index: u32) -> Frame {
        Frame(self.base + u64::from(index))
    }

    fn index_of(&self, frame: Frame) -> Option<u32> {
        let index = frame.0.checked_sub(self.base)?;
        (index < self.meta.len() as u64).then_some(index as u32)
    }

    fn allocated_head(&self, frame: Frame) -> KernelResult<u32> {
        match self.index_of(frame) {
            Some(index) if self.meta[index as usize].state == ALLOCATED_HEAD => Ok(index),
            _ => Err(Errno::EINVAL),
        }
    }

    fn mark_allocated(&mut self, index: u32, order: usize) {
        let meta = &mut self.meta[index as usize];
        meta.state = ALLOCATED_HEAD;
        meta.order = order as u8;
        meta.ref_count = 1;
        meta.next = NONE;
        meta.prev = NONE;
    }

    fn mark_inside(&mut self, head: u32, order: usize) {
        for index in head + 1..head + (1 << order) {
            self.meta[index as usize].state = INSIDE;
        }
    }

    /// Returns an allocated block to the free lists, merging with buddies.
    fn release(&mut self, mut index: u32, mut order: usize) {
        self.meta[index as usize].ref_count = 0;
        self.free_frames += 1 << order;
        while order < MAX_ORDER {
            let buddy = index ^ (1 << order);
            let Some(meta) = self.meta.get(buddy as usize) else {
                break;
            };
            if meta.state != FREE_HEAD || usize::from(meta.order) != order {
                break;
            }
            self.remove(buddy, order);
            let upper = index.max(buddy);
            self.meta[upper as usize].state = INSIDE;
            index = index.min(buddy);
            order += 1;
        }
        self.push(index, order);
    }

    fn push(&mut self, index: u32, order: usize) {
        let head = self.free_heads[order];
        let meta = &mut self.meta[index as usize];
        meta.state = FREE_HEAD;
        meta.order = order as u8;
        meta.ref_count = 0;
        meta.prev = NONE;
        meta.next = head;
        if head != NONE {
            self.meta[head as usize].prev = index;
        }
        self.free_heads[order] = index;
        self.free_blocks[order] += 1;
    }

    fn remove(&mut self, index: u32, order: usize) {
        let FrameMeta { next, prev, .. } = self.meta[index as usize];
        if prev == NONE {
            self.free_heads[order] = next;
        } else {
            self.meta[prev as usize].next = next;
        }
        if next != NONE {
            self.meta[next as usize].prev = prev;
        }
        let meta = &mut self.meta[index as usize];
        meta.state = INSIDE;
        meta.next = NONE;
        meta.prev = NONE;
        self.free_blocks[order] -= 1;
    }
}

impl fmt::Debug for BuddyAllocator<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BuddyAllocator")
            .field("base", &PhysAddr(self.base << PAGE_SHIFT))
            .field("stats", &self.stats())
            .finish()
    }
}

/// Splits `[start, start + len)` into the largest naturally aligned blocks,
/// left to right, as `(head index, order)`.
fn aligned_blocks(start: u32, len: u32) -> impl Iterator<Item = (u32, usize)> {
    let end = start + len;
    let mut at = start;
    core::iter::from_fn(move || {
        if at >= end {
            return None;
        }
        let mut order = (at.trailing_zeros() as usize).min(MAX_ORDER);
        while at + (1 << order) > end {
            order -= 1;
        }
        let head = at;
        at += 1 << order;
        Some((head, order))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use alloc::vec::Vec;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    const MIB: u64 = 1 << 20;

    fn allocator(usable: &[PhysRange], reserved: &[PhysRange]) -> BuddyAllocator<'static> {
        let span = FrameSpan::of(usable).unwrap();
        let meta = vec![FrameMeta::default(); span.metadata_len()].leak();
        BuddyAllocator::new(meta, usable, reserved).unwrap()
    }

    #[test]
    fn reserved_ranges_and_low_memory_are_never_handed_out() {
        let kernel = PhysRange::new(MIB, MIB + 100);
        let initrd = PhysRange::new(8 * MIB + 10, MIB);
        let mut frames = allocator(&[PhysRange::new(0, 16 * MIB)], &[kernel, initrd]);
        // 15 MiB above the first MiB, minus 2 MiB+1 frame of kernel, 1 MiB+1 frame of initrd.
        let expected = (15 * MIB / PAGE_SIZE) - (MIB / PAGE_SIZE + 1) - (MIB / PAGE_SIZE + 1);
        assert_eq!(frames.total_frames(), expected);
        assert_eq!(frames.free_frames(), expected);
        let mut handed_out = Vec::new();
        while let Ok(frame) = frames.alloc(0) {
            let addr = frame.start().0;
            assert!(addr >= LOW_MEMORY_END);
            for r in [kernel, initrd] {
                assert!(
                    addr + PAGE_SIZE <= r.start.0 || addr >= r.end.0,
                    "{frame:?} in {r:?}"
                );
            }
            handed_out.push(frame);
        }
        assert_eq!(handed_out.len() as u64, expected);
        assert_eq!(frames.alloc(0), Err(Errno::ENOMEM));
        for frame in handed_out {
            frames.free(frame, 0).unwrap();
        }
        assert_eq!(frames.free_frames(), expected);
    }

    #[test]
    fn blocks_are_naturally_aligned_in_physical_memory() {
        let mut frames = allocator(&[PhysRange::new(3 * MIB + 0x5000, 30 * MIB)], &[]);
        for order in 0..=MAX_ORDER {
            let frame = frames.alloc(order).unwrap();
            assert_eq!(frame.0 % (1 << order), 0, "order {order}");
        }
    }

    #[test]
    fn freeing_everything_merges_back_to_max_order_blocks() {
        let mut frames = allocator(&[PhysRange::new(4 * MIB, 8 * MIB)], &[]);
        let before = frames.stats();
        assert_eq!(before.free_blocks[MAX_ORDER], 2);
        let all: Vec<_> = (0..2048).map(|_| frames.alloc(0).unwrap()).collect();
        assert_eq!(frames.free_frames(), 0);
        for frame in all.iter().rev().step_by(2).chain(all.iter().step_by(2)) {
            frames.free(*frame, 0).unwrap();
        }
        assert_eq!(frames.stats(), before);
    }

    #[test]
    fn double_free_and_wrong_order_are_refused() {
        let mut frames = allocator(&[PhysRange::new(4 * MIB, 4 * MIB)], &[]);
        let block = frames.alloc(2).unwrap();
        assert_eq!(frames.free(block, 1), Err(Errno::EINVAL));
        assert_eq!(frames.free(Frame(block.0 + 1), 0), Err(Errno::EINVAL));
        frames.free(block, 2).unwrap();
        assert_eq!(frames.free(block, 2), Err(Errno::EINVAL));
        assert_eq!(frames.free(Frame(1), 0), Err(Errno::EINVAL));
        assert_eq!(frames.free_frames(), frames.total_frames());
    }

    #[test]
    fn contiguous_allocation_takes_exactly_the_requested_frames() {
        let mut frames = allocator(&[PhysRange::new(4 * MIB, 4 * MIB)], &[]);
        let before = frames.stats();
        let run = frames.alloc_contiguous(5).unwrap();
        assert_eq!(frames.free_frames(), before.free_frames - 5);
        // A length that does not match the allocation is refused.
        assert_eq!(frames.free_contiguous(run, 6), Err(Errno::EINVAL));
        frames.free_contiguous(run, 5).unwrap();
        assert_eq!(frames.stats(), before);
        assert_eq!(frames.alloc_contiguous(0), Err(Errno::EINVAL));
        assert_eq!(frames.alloc_contiguous(1025), Err(Errno::ENOMEM));
    }

    #[test]
    fn shared_frame_is_freed_by_its_last_owner() {
        let mut frames = allocator(&[PhysRange::new(4 * MIB, 4 * MIB)], &[]);
        let total = frames.free_frames();
        let frame = frames.alloc(0).unwrap();
        assert_eq!(frames.inc_ref(frame), Ok(2));
        assert_eq!(frames.free(frame, 0), Err(Errno::EBUSY));
        assert_eq!(frames.dec_ref(frame), Ok(1));
        assert_eq!(frames.free_frames(), total - 1);
        assert_eq!(frames.dec_ref(frame), Ok(0));
        assert_eq!(frames.free_frames(), total);
        assert_eq!(frames.ref_count(frame), 0);
        assert_eq!(frames.dec_ref(frame), Err(Errno::EINVAL));
    }

    #[test]
    fn metadata_home_avoids_reserved_ranges_and_low_memory() {
        let usable = [PhysRange::new(0, 0x9f000), PhysRange::new(MIB, 63 * MIB)];
        let kernel = PhysRange::new(MIB, 3 * MIB + 5); // ends just past 4 MiB
        let span = FrameSpan::of(&usable).unwrap();
        assert_eq!(span.base, Frame(0));
        assert_eq!(span.count, 64 * MIB / PAGE_SIZE);
        let home = metadata_home(&usable, &[kernel], span.metadata_bytes()).unwrap();
        assert_eq!(home.start, PhysAddr(4 * MIB + PAGE_SIZE));
        assert_eq!(home.len(), span.metadata_bytes());
        let mut reserved = vec![kernel, home];
        let meta_bytes = vec![0u8; span.metadata_bytes() as usize].leak();
        let meta = <[FrameMeta]>::mut_from_bytes(meta_bytes).unwrap();
        let frames = BuddyAllocator::new(meta, &usable, &reserved).unwrap();
        let expected =
            63 * MIB / PAGE_SIZE - (3 * MIB / PAGE_SIZE + 1) - span.metadata_bytes() / PAGE_SIZE;
        assert_eq!(frames.total_frames(), expected);
        reserved.clear();
    }

    #[test]
    fn stats_print_like_meminfo() {
        let frames = allocator(&[PhysRange::new(4 * MIB, 4 * MIB)], &[]);
        let text = alloc::format!("{}", frames.stats());
        assert!(
            text.starts_with("MemTotal:       4096 kB\nMemFree:        4096 kB\n"),
            "{text}"
        );
    }

    #[derive(Clone, Debug)]
    enum Op {
        Alloc(usize),
        Contiguous(usize),
        Free(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0usize..=4).prop_map(Op::Alloc),
            (1usize..=40).prop_map(Op::Contiguous),
            any::<usize>().prop_map(Op::Free),
        ]
    }

    proptest! {
        #[test]
        fn random_alloc_free_never_double_allocates_and_coalesces(ops in proptest::collection::vec(op(), 1..300)) {
            // Two usable ranges with a hole and a reserved range inside.
            let usable = [PhysRange::new(2 * MIB, 3 * MIB), PhysRange::new(6 * MIB + 0x3000, 2 * MIB)];
            let reserved = [PhysRange::new(3 * MIB, 0x5000)];
            let mut frames = allocator(&usable, &reserved);
            let initial = frames.stats();
            let mut live: Vec<(Frame, usize, bool)> = Vec::new();
            let mut owned = BTreeSet::new();
            for op in ops {
                let (result, count, contiguous) = match op {
                    Op::Alloc(order) => (frames.alloc(order), 1usize << order, false),
                    Op::Contiguous(count) => (frames.alloc_contiguous(count), count, true),
                    Op::Free(pick) => {
                        if !live.is_empty() {
                            let (frame, count, contiguous) = live.swap_remove(pick % live.len());
                            if contiguous {
                                frames.free_contiguous(frame, count).unwrap();
                            } else {
                                frames.free(frame, count.trailing_zeros() as usize).unwrap();
                            }
                            for f in frame.0..frame.0 + count as u64 {
                                owned.remove(&f);
                            }
                        }
                        continue;
                    }
                };
                match result {
                    Ok(frame) => {
                        for f in frame.0..frame.0 + count as u64 {
                            prop_assert!(frames.manages(Frame(f)));
                            prop_assert!(owned.insert(f), "frame {f:#x} handed out twice");
                        }
                        live.push((frame, count, contiguous));
                    }
                    Err(e) => prop_assert_eq!(e, Errno::ENOMEM),
                }
                prop_assert_eq!(frames.free_frames(), initial.free_frames - owned.len() as u64);
            }
            for (frame, count, contiguous) in live {
                if contiguous {
                    frames.free_contiguous(frame, count).unwrap();
                } else {
                    frames.free(frame, count.trailing_zeros() as usize).unwrap();
                }
            }
            prop_assert_eq!(frames.stats(), initial);
        }
    }

    /// Throughput figure: `cargo test -p mm --release -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn buddy_alloc_free_throughput() {
        let mut frames = allocator(&[PhysRange::new(16 * MIB, 256 * MIB)], &[]);
        let rounds = 200u32;
        let mut held = Vec::with_capacity(4096);
        let start = std::time::Instant::now();
        for _ in 0..rounds {
            for _ in 0..4096 {
                held.push(frames.alloc(0).unwrap());
            }
            for frame in held.drain(..) {
                frames.free(frame, 0).unwrap();
            }
        }
        let ops = f64::from(rounds) * 4096.0 * 2.0;
        let ns = start.elapsed().as_nanos() as f64 / ops;
        std::println!("buddy order-0 alloc+free: {ns:.1} ns/op");
        let start = std::time::Instant::now();
        for _ in 0..1_000_000 {
            let frame = frames.alloc(0).unwrap();
            frames.free(frame, 0).unwrap();
        }
        let ns = start.elapsed().as_nanos() as f64 / 2_000_000.0;
        std::println!("buddy order-0 alloc/free pair (split+merge): {ns:.1} ns/op");
    }
}
