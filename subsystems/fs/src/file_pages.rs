//! Where a regular file's bytes live when memory is their only home
//! (tmpfs): the [`FilePages`] seam.
//!
//! The kernel provides the page cache ([`set_page_cache`]): one set of
//! frames per file that `read`, `write` and every mapping of the file
//! share, so a `MAP_SHARED` store is what the next `read` returns and a
//! `write` is what a mapping shows, with nothing to write back. Without
//! one (host tests, or a reuser without a memory manager), files keep
//! their pages on the heap ([`HeapPages`]) and mappings must copy.

use alloc::sync::Arc;
use core::any::Any;

use abi::KernelResult;
use lock::Mutex;
use spin::Once;

use crate::tmpfs::SparseData;

/// A regular file's content. Offsets and sizes are in bytes; the caller
/// (the file system) checks permissions, seals and limits before calling.
pub trait FilePages: Send + Sync {
    /// The file's size.
    fn size(&self) -> u64;

    /// 512-byte blocks in use (holes cost nothing).
    fn blocks(&self) -> u64;

    /// Copies bytes at `offset` into `buf`, up to the end of the file;
    /// returns how many (0 at or past the end).
    fn read(&self, offset: u64, buf: &mut [u8]) -> usize;

    /// Writes `data` at `offset`, growing the file; returns how many bytes
    /// were written (short, or `ENOMEM`, when memory runs out).
    fn write(&self, offset: u64, data: &[u8]) -> KernelResult<usize>;

    /// Sets the size: shrinking drops what lies past it, growing reads as
    /// zeros.
    fn truncate(&self, size: u64) -> KernelResult<()>;

    /// The object mappings of this file map, when these pages are the
    /// kernel's page cache: type-erased, so this crate needs no memory
    /// manager; the kernel's mapping code downcasts it. `None` for heap
    /// pages.
    fn mapping_object(&self) -> Option<Arc<dyn Any + Send + Sync>> {
        None
    }
}

/// File pages on the heap: the default.
#[derive(Default)]
pub struct HeapPages(Mutex<SparseData>);

impl FilePages for HeapPages {
    fn size(&self) -> u64 {
        self.0.lock().size()
    }

    fn blocks(&self) -> u64 {
        self.0.lock().blocks()
    }

    fn read(&self, offset: u64, buf: &mut [u8]) -> usize {
        self.0.lock().read(offset, buf)
    }

    fn write(&self, offset: u64, data: &[u8]) -> KernelResult<usize> {
        self.0.lock().write(offset, data)
    }

    fn truncate(&self, size: u64) -> KernelResult<()> {
        self.0.lock().truncate(size)
    }
}

/// Makes the pages of a new file.
pub type MakeFilePages = fn() -> KernelResult<Arc<dyn FilePages>>;

static PAGE_CACHE: Once<MakeFilePages> = Once::new();

/// Makes every regular file created from now on keep its content in what
/// `make` returns (the kernel's page cache). The first call wins; the
/// kernel makes it at boot, before the first file exists.
pub fn set_page_cache(make: MakeFilePages) {
    PAGE_CACHE.call_once(|| make);
}

/// Pages for a new, empty regular file.
pub fn new_file_pages() -> KernelResult<Arc<dyn FilePages>> {
    match PAGE_CACHE.get() {
        Some(make) => make(),
        None => Ok(Arc::new(HeapPages::default())),
    }
}
