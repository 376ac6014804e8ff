//! `mremap`: growing, shrinking and moving a mapping.
//!
//! A move carries the page-table entries to the new place (the frames are
//! neither copied nor faulted in again) and the region with its rights,
//! name and backing; a grow in place extends the region over free address
//! space after it. Errors are Linux's.

use abi::{Errno, KernelResult};

use crate::addr::{PAGE_SIZE, VirtAddr, VirtRange};
use crate::address_space::AddressSpace;
use crate::frame_allocator::{FrameAllocator, put_frame};
use crate::page_table::PageTable;
use crate::region::{Backing, Region};
use crate::{USER_SPACE_END, page_align_up};

/// What `mremap` was asked, its flags decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RemapRequest {
    /// Start of the mapping to change (page-aligned).
    pub old: VirtAddr,
    /// Its length in bytes; 0 asks for a second mapping of a shared one.
    pub old_len: u64,
    /// The length wanted.
    pub new_len: u64,
    /// `MREMAP_MAYMOVE`: the mapping may move if it cannot grow in place.
    pub may_move: bool,
    /// `MREMAP_FIXED`: move it exactly here (replacing what is there).
    pub fixed: Option<VirtAddr>,
    /// `MREMAP_DONTUNMAP`: leave the old range mapped, without its pages.
    pub dont_unmap: bool,
}

impl<P: PageTable> AddressSpace<P> {
    /// Resizes or moves a mapping as `mremap` does; gives its new start.
    /// `EINVAL` for an unaligned address, a zero new length, flags that
    /// need `may_move` without it, a fixed range overlapping the old one,
    /// or a size change with `dont_unmap`; `EFAULT` if the old range is not
    /// inside one mapping; `ENOMEM` if it must grow and may not move, or
    /// there is no room.
    pub fn mremap<A: FrameAllocator>(
        &mut self,
        request: RemapRequest,
        frames: &mut A,
    ) -> KernelResult<VirtAddr> {
        let RemapRequest {
            old,
            may_move,
            fixed,
            dont_unmap,
            ..
        } = request;
        if !old.is_page_aligned() || ((fixed.is_some() || dont_unmap) && !may_move) {
            return Err(Errno::EINVAL);
        }
        let old_len = page_align_up(request.old_len).ok_or(Errno::EINVAL)?;
        let new_len = page_align_up(request.new_len)
            .filter(|len| *len != 0)
            .ok_or(Errno::EINVAL)?;
        if dont_unmap && old_len != new_len {
            return Err(Errno::EINVAL);
        }
        let destination = match fixed {
            Some(at) => {
                let end =
                    at.0.checked_add(new_len)
                        .filter(|end| *end <= USER_SPACE_END)
                        .ok_or(Errno::EINVAL)?;
                let range = VirtRange::new(at, VirtAddr(end)).ok_or(Errno::EINVAL)?;
                let old_end = old.0.saturating_add(old_len.max(PAGE_SIZE));
                if !at.is_page_aligned() || (at.0 < old_end && old.0 < end) {
                    return Err(Errno::EINVAL);
                }
                Some(range)
            }
            None => None,
        };
        let region = self.region_at(old).ok_or(Errno::EFAULT)?.clone();
        if old_len == 0 {
            // A second window onto a shared mapping's pages.
            if !region.is_shared() || !may_move {
                return Err(Errno::EINVAL);
            }
            return self.duplicate(&region, old, new_len, destination, frames);
        }
        let old_end = old.0.checked_add(old_len).ok_or(Errno::EFAULT)?;
        if old_end > region.range.end().0 {
            return Err(Errno::EFAULT);
        }
        let old_range = VirtRange::new(old, VirtAddr(old_end)).ok_or(Errno::EFAULT)?;

        if let Some(destination) = destination {
            self.remove_range(destination, frames);
            return self.move_range(old_range, destination.start(), new_len, dont_unmap, frames);
        }
        if new_len < old_len {
            let tail = VirtRange::new(VirtAddr(old.0 + new_len), VirtAddr(old_end))
                .ok_or(Errno::EINVAL)?;
            self.remove_range(tail, frames);
            return Ok(old);
        }
        if new_len == old_len && !dont_unmap {
            return Ok(old);
        }
        if !dont_unmap && old_end == region.range.end().0 {
            let grown_end = old
                .0
                .checked_add(new_len)
                .filter(|end| *end <= USER_SPACE_END);
            if let Some(grown_end) = grown_end
                && !self.overlaps(old_end, grown_end)
                && let Some(tail) = VirtRange::new(VirtAddr(old_end), VirtAddr(grown_end))
            {
                self.insert(Region {
                    range: tail,
                    backing: window_at(&region, VirtAddr(old_end)),
                    ..region
                });
                return Ok(old);
            }
        }
        if !may_move {
            return Err(Errno::ENOMEM);
        }
        let start = self.find_free(new_len, None)?;
        self.move_range(old_range, start, new_len, dont_unmap, frames)
    }

    /// Moves the pages and region of `old` (inside one region) to `start`,
    /// `new_len` bytes long (the tail past the old length maps nothing
    /// yet). With `keep_old`, the old range stays mapped but empty.
    fn move_range<A: FrameAllocator>(
        &mut self,
        old: VirtRange,
        start: VirtAddr,
        new_len: u64,
        keep_old: bool,
        frames: &mut A,
    ) -> KernelResult<VirtAddr> {
        let region = self.region_at(old.start()).ok_or(Errno::EFAULT)?.clone();
        let new_range = VirtRange::new(start, VirtAddr(start.0 + new_len)).ok_or(Errno::ENOMEM)?;
        let carried = old.len().min(new_len);
        // Map at the destination first, so a failure leaves the old range
        // as it was.
        let mut cursor = old.start();
        let old_carried_end = VirtAddr(old.start().0 + carried);
        while let Some((page, frame, flags)) = self.page_table.next_mapped(cursor, old_carried_end)
        {
            cursor = VirtAddr(page.0 + PAGE_SIZE);
            let target = VirtAddr(start.0 + (page.0 - old.start().0));
            let mapped = frames.inc_ref(frame).and_then(|_| {
                self.page_table
                    .map(target, frame, flags, frames)
                    .inspect_err(|_| put_frame(frames, frame))
            });
            if let Err(error) = mapped {
                let undo = VirtRange::new(start, target);
                if let Some(undo) = undo {
                    self.unmap_pages(undo, frames);
                }
                return Err(error);
            }
        }
        // Now the old mapping goes (or, kept, loses its pages).
        self.unmap_pages(old, frames);
        self.page_table.flush_all();
        self.detach_range(old);
        if keep_old {
            // The old range keeps its mapping but not its lock, as on
            // Linux: its pages are gone.
            self.insert(Region {
                range: old,
                locked: false,
                ..region.clone()
            });
        }
        self.insert(Region {
            range: new_range,
            backing: window_at(&region, old.start()),
            ..region
        });
        Ok(start)
    }

    /// A new mapping of `new_len` bytes of `region`'s object from `old`.
    fn duplicate<A: FrameAllocator>(
        &mut self,
        region: &Region,
        old: VirtAddr,
        new_len: u64,
        destination: Option<VirtRange>,
        frames: &mut A,
    ) -> KernelResult<VirtAddr> {
        let start = match destination {
            Some(range) => {
                self.remove_range(range, frames);
                range.start()
            }
            None => self.find_free(new_len, None)?,
        };
        let range = VirtRange::new(start, VirtAddr(start.0 + new_len)).ok_or(Errno::ENOMEM)?;
        self.insert(Region {
            range,
            backing: window_at(region, old),
            ..region.clone()
        });
        Ok(start)
    }
}

/// `region`'s backing as seen from `addr` on (the object offset moved).
fn window_at(region: &Region, addr: VirtAddr) -> Backing {
    match &region.backing {
        Backing::Anonymous => Backing::Anonymous,
        Backing::Object { object, shared, .. } => Backing::Object {
            object: object.clone(),
            offset: region.offset_of(addr),
            shared: *shared,
        },
    }
}
