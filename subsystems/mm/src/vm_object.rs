//! VM objects: what a region is a window onto.
//!
//! A [`VmObject`] owns the frames of the pages that have been materialised
//! in it, keyed by page index, and holds one frame reference for each; every
//! page-table entry that maps one of those frames holds another. Two kinds:
//! - anonymous: pages are zero-filled on first touch (used for
//!   `MAP_SHARED|MAP_ANONYMOUS`; private anonymous memory needs no object,
//!   see [`crate::Backing::Anonymous`]);
//! - inode-backed: pages are read on first touch through [`InodeBacking`],
//!   which `fs` implements. `fs` should keep one object per inode (for
//!   example a `Weak` in the inode) so that every shared mapping of a file
//!   sees the same pages.
//!
//! The object's frames go back to the allocator only through
//! [`VmObject::release`], which [`crate::AddressSpace`] calls when it drops
//! the last region that refers to the object. Dropping the last `Arc`
//! elsewhere leaks the frames (and logs it).
//!
//! Locking: the page map is behind its own spin lock, taken after the
//! address-space lock and before the frame-allocator lock; it is never held
//! across [`InodeBacking::read_page`].

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec;

use abi::{Errno, KernelResult};

use crate::addr::{Frame, PAGE_SIZE, PAGE_SIZE_USIZE};
use crate::frame_allocator::{FrameAllocator, put_frame};
use crate::page_table::PhysicalMemory;

/// A file's contents as the page cache reads them; `fs` implements it.
pub trait InodeBacking: Send + Sync {
    /// The file's size in bytes. Touching a mapped page that starts at or
    /// past the end gives `SIGBUS`, as on Linux.
    fn size(&self) -> u64;

    /// Reads the bytes at `offset` (page-aligned) into `buf` (one page),
    /// returning how many were read; a short read means end of file and the
    /// rest of the page is zero-filled. An error makes the fault `SIGBUS`.
    fn read_page(&self, offset: u64, buf: &mut [u8]) -> KernelResult<usize>;
}

enum Kind {
    Anonymous,
    Inode(Arc<dyn InodeBacking>),
}

/// A set of pages that regions map: anonymous (zero-fill) or file-backed.
pub struct VmObject {
    kind: Kind,
    pages: spin::Mutex<BTreeMap<u64, Frame>>,
}

impl VmObject {
    /// A new anonymous object whose pages read as zero until written.
    pub fn anonymous() -> Arc<VmObject> {
        Arc::new(VmObject {
            kind: Kind::Anonymous,
            pages: spin::Mutex::new(BTreeMap::new()),
        })
    }

    /// A new object whose pages are loaded from `inode` on first touch.
    pub fn for_inode(inode: Arc<dyn InodeBacking>) -> Arc<VmObject> {
        Arc::new(VmObject {
            kind: Kind::Inode(inode),
            pages: spin::Mutex::new(BTreeMap::new()),
        })
    }

    /// Whether this object is anonymous (not file-backed).
    pub fn is_anonymous(&self) -> bool {
        matches!(self.kind, Kind::Anonymous)
    }

    /// Number of pages materialised so far.
    pub fn resident_pages(&self) -> usize {
        self.pages.lock().len()
    }

    /// The frame holding page `index`, materialising it if needed. The
    /// object keeps its own reference; a caller that maps the frame takes
    /// another. `ENOMEM` when out of frames, `ENXIO` past end of file, or
    /// the backing's read error.
    pub fn page<A: FrameAllocator, M: PhysicalMemory>(
        &self,
        index: u64,
        frames: &mut A,
        phys: &M,
    ) -> KernelResult<Frame> {
        if let Some(frame) = self.pages.lock().get(&index) {
            return Ok(*frame);
        }
        let frame = frames.alloc_frame()?;
        if let Err(error) = self.fill(frame, index, phys) {
            put_frame(frames, frame);
            return Err(error);
        }
        // Another CPU may have materialised the page meanwhile: keep theirs.
        let mut pages = self.pages.lock();
        if let Some(existing) = pages.get(&index) {
            let existing = *existing;
            drop(pages);
            put_frame(frames, frame);
            return Ok(existing);
        }
        pages.insert(index, frame);
        Ok(frame)
    }

    fn fill<M: PhysicalMemory>(&self, frame: Frame, index: u64, phys: &M) -> KernelResult<()> {
        match &self.kind {
            Kind::Anonymous => {
                phys.zero_frame(frame);
                Ok(())
            }
            Kind::Inode(inode) => {
                let offset = index.checked_mul(PAGE_SIZE).ok_or(Errno::ENXIO)?;
                if offset >= inode.size() {
                    return Err(Errno::ENXIO);
                }
                let mut buf = vec![0u8; PAGE_SIZE_USIZE];
                let read = inode.read_page(offset, &mut buf)?.min(PAGE_SIZE_USIZE);
                buf[read..].fill(0);
                phys.write_frame(frame, 0, &buf);
                Ok(())
            }
        }
    }

    /// Gives every materialised page's reference back to `frames`. Called
    /// when no region refers to the object any more.
    pub fn release<A: FrameAllocator>(self, frames: &mut A) {
        let pages = core::mem::take(&mut *self.pages.lock());
        for frame in pages.into_values() {
            put_frame(frames, frame);
        }
    }
}

impl Drop for VmObject {
    fn drop(&mut self) {
        let leaked = self.pages.get_mut().len();
        if leaked != 0 {
            log::error!("mm: VmObject dropped without release, {leaked} frames leaked");
        }
    }
}

impl core::fmt::Debug for VmObject {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("VmObject")
            .field("anonymous", &self.is_anonymous())
            .field("resident_pages", &self.resident_pages())
            .finish()
    }
}
