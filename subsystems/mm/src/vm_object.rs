//! VM objects: what a region is a window onto.
//!
//! A [`VmObject`] owns the frames of the pages that have been materialised
//! in it, keyed by page index, and holds one frame reference for each; every
//! page-table entry that maps one of those frames holds another. Three
//! kinds:
//! - anonymous: pages are zero-filled on first touch (used for
//!   `MAP_SHARED|MAP_ANONYMOUS`; private anonymous memory needs no object,
//!   see [`crate::Backing::Anonymous`]);
//! - file pages ([`VmObject::file`]): the page cache of a file whose only
//!   copy is in memory (tmpfs). The object *is* the file's content:
//!   `read` and `write` copy through [`VmObject::read_at`] and
//!   [`VmObject::write_at`], mappings map the same frames, so both see
//!   every change at once and nothing needs writing back. Holes read as
//!   zeros; a page past the file's size is `SIGBUS` to touch;
//! - inode-backed: pages are read on first touch through [`InodeBacking`],
//!   which `fs` implements, for files whose content lives elsewhere (a
//!   snapshot: later writes to the file are not seen).
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
use core::sync::atomic::{AtomicU64, Ordering};

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
    /// File pages: the file's size in bytes.
    File(AtomicU64),
    Inode(Arc<dyn InodeBacking>),
}

/// A set of pages that regions map: anonymous (zero-fill) or file-backed.
pub struct VmObject {
    kind: Kind,
    pages: lock::Mutex<BTreeMap<u64, Frame>>,
}

impl VmObject {
    /// A new anonymous object whose pages read as zero until written.
    pub fn anonymous() -> Arc<VmObject> {
        Arc::new(VmObject {
            kind: Kind::Anonymous,
            pages: lock::Mutex::new(BTreeMap::new()),
        })
    }

    /// An empty file's pages (size 0): the page cache of a file kept in
    /// memory only.
    pub fn file() -> Arc<VmObject> {
        Arc::new(VmObject {
            kind: Kind::File(AtomicU64::new(0)),
            pages: lock::Mutex::new(BTreeMap::new()),
        })
    }

    /// A new object whose pages are loaded from `inode` on first touch.
    pub fn for_inode(inode: Arc<dyn InodeBacking>) -> Arc<VmObject> {
        Arc::new(VmObject {
            kind: Kind::Inode(inode),
            pages: lock::Mutex::new(BTreeMap::new()),
        })
    }

    /// Whether this object is anonymous (not file-backed).
    pub fn is_anonymous(&self) -> bool {
        matches!(self.kind, Kind::Anonymous)
    }

    /// Whether page `index` is materialised (in memory now).
    pub fn is_resident(&self, index: u64) -> bool {
        self.pages.lock().contains_key(&index)
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
            Kind::File(size) => {
                let offset = index.checked_mul(PAGE_SIZE).ok_or(Errno::ENXIO)?;
                if offset >= size.load(Ordering::Acquire) {
                    return Err(Errno::ENXIO);
                }
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

    /// The size of a file-pages object (0 for other kinds).
    pub fn file_size(&self) -> u64 {
        match &self.kind {
            Kind::File(size) => size.load(Ordering::Acquire),
            _ => 0,
        }
    }

    fn file_size_cell(&self) -> &AtomicU64 {
        match &self.kind {
            Kind::File(size) => size,
            _ => panic!("mm: file operation on a VmObject that is not file pages"),
        }
    }

    /// Copies a file-pages object's bytes at `offset` into `buf`, up to the
    /// end of the file; holes read as zeros and stay holes. Returns how
    /// many bytes were copied.
    pub fn read_at<M: PhysicalMemory>(&self, offset: u64, buf: &mut [u8], phys: &M) -> usize {
        let size = self.file_size_cell().load(Ordering::Acquire);
        if offset >= size {
            return 0;
        }
        let len = buf
            .len()
            .min((size - offset).min(usize::MAX as u64) as usize);
        let pages = self.pages.lock();
        let mut done = 0;
        while done < len {
            let at = offset + done as u64;
            let in_page = (at % PAGE_SIZE) as usize;
            let chunk = (PAGE_SIZE_USIZE - in_page).min(len - done);
            let out = &mut buf[done..done + chunk];
            match pages.get(&(at / PAGE_SIZE)) {
                Some(&frame) => phys.read_frame(frame, in_page, out),
                None => out.fill(0),
            }
            done += chunk;
        }
        len
    }

    /// Writes `data` into a file-pages object at `offset`, materialising
    /// pages as needed and growing the file. Returns how many bytes were
    /// written: short (or `ENOMEM` if none) when frames run out.
    pub fn write_at<A: FrameAllocator, M: PhysicalMemory>(
        &self,
        offset: u64,
        data: &[u8],
        frames: &mut A,
        phys: &M,
    ) -> KernelResult<usize> {
        let size = self.file_size_cell();
        let end = offset.checked_add(data.len() as u64).ok_or(Errno::EFBIG)?;
        // Pages up to the end are valid to materialise from now on.
        let old = size.fetch_max(end, Ordering::AcqRel);
        let mut done = 0;
        while done < data.len() {
            let at = offset + done as u64;
            let in_page = (at % PAGE_SIZE) as usize;
            let chunk = (PAGE_SIZE_USIZE - in_page).min(data.len() - done);
            match self.page(at / PAGE_SIZE, frames, phys) {
                Ok(frame) => phys.write_frame(frame, in_page, &data[done..done + chunk]),
                Err(error) => {
                    // Keep what was written; a failed growth is undone.
                    let _ = size.compare_exchange(
                        end,
                        old.max(at),
                        Ordering::AcqRel,
                        Ordering::Acquire,
                    );
                    return if done > 0 { Ok(done) } else { Err(error) };
                }
            }
            done += chunk;
        }
        Ok(done)
    }

    /// Sets a file-pages object's size. Shrinking gives back the pages
    /// wholly past the end and zeroes the cut tail of the last one, so
    /// growing again reads zeros. Mappings keep frames they already map
    /// (Linux would unmap them).
    pub fn set_file_size<A: FrameAllocator, M: PhysicalMemory>(
        &self,
        new_size: u64,
        frames: &mut A,
        phys: &M,
    ) {
        let size = self.file_size_cell();
        let old = size.swap(new_size, Ordering::AcqRel);
        if new_size >= old {
            return;
        }
        let first_dropped = new_size.div_ceil(PAGE_SIZE);
        let dropped = self.pages.lock().split_off(&first_dropped);
        for frame in dropped.into_values() {
            put_frame(frames, frame);
        }
        let in_page = (new_size % PAGE_SIZE) as usize;
        if in_page != 0
            && let Some(&frame) = self.pages.lock().get(&(new_size / PAGE_SIZE))
        {
            let zeros = [0u8; 256];
            let mut at = in_page;
            while at < PAGE_SIZE_USIZE {
                let n = zeros.len().min(PAGE_SIZE_USIZE - at);
                phys.write_frame(frame, at, &zeros[..n]);
                at += n;
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
            .field("file_size", &self.file_size())
            .field("resident_pages", &self.resident_pages())
            .finish()
    }
}
