//! In-memory stand-ins for the hardware traits, for host tests here and in
//! crates that build on `mm` (enable the `fake` feature).
//!
//! [`FakePageTable`] keeps entries in a `BTreeMap` and, like a real table,
//! takes one frame for its root and one per 2 MiB of user space it maps
//! (the last-level table), so leak tests count table frames too.
//! [`FakePhysicalMemory`] keeps each frame's bytes in a box; a frame never
//! written reads as `0xA5` bytes, so forgetting to zero memory shows.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::collections::btree_map::Entry;
use alloc::vec;
use core::sync::atomic::{AtomicUsize, Ordering};

use abi::{Errno, KernelResult};

use crate::addr::{Frame, PAGE_SIZE_USIZE, PhysRange, VirtAddr};
use crate::buddy::{BuddyAllocator, FrameMeta, FrameSpan};
use crate::frame_allocator::{FrameAllocator, put_frame};
use crate::page_table::{PageFlags, PageTable, PhysicalMemory};

/// Byte value of physical memory nobody has written.
pub const POISON: u8 = 0xA5;

/// A page table in a `BTreeMap`.
#[derive(Debug)]
pub struct FakePageTable {
    entries: BTreeMap<u64, (Frame, PageFlags)>,
    tables: BTreeMap<u64, Frame>,
    root: Frame,
    flushes: usize,
}

impl FakePageTable {
    /// An empty table whose root frame comes from `frames`.
    pub fn new<A: FrameAllocator>(frames: &mut A) -> KernelResult<FakePageTable> {
        Ok(FakePageTable {
            entries: BTreeMap::new(),
            tables: BTreeMap::new(),
            root: frames.alloc_frame()?,
            flushes: 0,
        })
    }

    /// Number of mapped pages.
    pub fn mapped_pages(&self) -> usize {
        self.entries.len()
    }

    /// Number of TLB flushes requested so far.
    pub fn flushes(&self) -> usize {
        self.flushes
    }
}

impl PageTable for FakePageTable {
    fn map<A: FrameAllocator>(
        &mut self,
        page: VirtAddr,
        frame: Frame,
        flags: PageFlags,
        frames: &mut A,
    ) -> KernelResult<()> {
        let table = page.0 >> 21;
        if let Entry::Vacant(slot) = self.tables.entry(table) {
            slot.insert(frames.alloc_frame()?);
        }
        self.entries.insert(page.0, (frame, flags));
        Ok(())
    }

    fn unmap(&mut self, page: VirtAddr) -> Option<Frame> {
        self.entries.remove(&page.0).map(|(frame, _)| frame)
    }

    fn protect(&mut self, page: VirtAddr, flags: PageFlags) -> bool {
        match self.entries.get_mut(&page.0) {
            Some(entry) => {
                entry.1 = flags;
                true
            }
            None => false,
        }
    }

    fn translate(&self, page: VirtAddr) -> Option<(Frame, PageFlags)> {
        self.entries.get(&page.0).copied()
    }

    fn next_mapped(&self, from: VirtAddr, end: VirtAddr) -> Option<(VirtAddr, Frame, PageFlags)> {
        if from >= end {
            return None;
        }
        self.entries
            .range(from.0..end.0)
            .next()
            .map(|(page, (frame, flags))| (VirtAddr(*page), *frame, *flags))
    }

    fn flush(&mut self, _page: VirtAddr) {
        self.flushes += 1;
    }

    fn flush_all(&mut self) {
        self.flushes += 1;
    }

    fn destroy<A: FrameAllocator>(self, frames: &mut A) {
        for frame in self.tables.into_values() {
            put_frame(frames, frame);
        }
        put_frame(frames, self.root);
    }
}

/// Physical memory as boxed frames, with a count of whole-frame copies.
#[derive(Default)]
pub struct FakePhysicalMemory {
    frames: lock::Mutex<BTreeMap<u64, Box<[u8; PAGE_SIZE_USIZE]>>>,
    copies: AtomicUsize,
}

impl FakePhysicalMemory {
    /// Empty memory: every frame reads as [`POISON`].
    pub fn new() -> FakePhysicalMemory {
        FakePhysicalMemory::default()
    }

    /// How many times [`PhysicalMemory::copy_frame`] ran.
    pub fn copies(&self) -> usize {
        self.copies.load(Ordering::Relaxed)
    }

    fn with_frame<R>(&self, frame: Frame, f: impl FnOnce(&mut [u8; PAGE_SIZE_USIZE]) -> R) -> R {
        let mut frames = self.frames.lock();
        let bytes = frames
            .entry(frame.0)
            .or_insert_with(|| Box::new([POISON; PAGE_SIZE_USIZE]));
        f(bytes)
    }
}

impl PhysicalMemory for FakePhysicalMemory {
    fn zero_frame(&self, frame: Frame) {
        self.with_frame(frame, |bytes| bytes.fill(0));
    }

    fn copy_frame(&self, dst: Frame, src: Frame) {
        self.copies.fetch_add(1, Ordering::Relaxed);
        let source = self.with_frame(src, |bytes| *bytes);
        self.with_frame(dst, |bytes| *bytes = source);
    }

    fn read_frame(&self, frame: Frame, offset: usize, buf: &mut [u8]) {
        self.with_frame(frame, |bytes| {
            buf.copy_from_slice(&bytes[offset..offset + buf.len()])
        });
    }

    fn write_frame(&self, frame: Frame, offset: usize, data: &[u8]) {
        self.with_frame(frame, |bytes| {
            bytes[offset..offset + data.len()].copy_from_slice(data)
        });
    }
}

/// A buddy allocator over `megabytes` MiB of RAM starting at 16 MiB, its
/// metadata leaked (tests only).
pub fn test_allocator(megabytes: u64) -> KernelResult<BuddyAllocator<'static>> {
    let usable = [PhysRange::new(16 << 20, megabytes << 20)];
    let span = FrameSpan::of(&usable).ok_or(Errno::ENOMEM)?;
    let meta = vec![FrameMeta::default(); span.metadata_len()].leak();
    BuddyAllocator::new(meta, &usable, &[])
}
