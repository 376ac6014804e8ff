//! The page cache: a tmpfs file's content kept in frames, as an `mm`
//! file-pages object ([`mm::VmObject::file`]) that `read`, `write` and
//! every mapping of the file share. tmpfs files get theirs through
//! [`fs::file_pages::set_page_cache`], set before the first file exists.

use alloc::sync::Arc;
use core::any::Any;

use abi::KernelResult;
use arch::paging::DirectMap;
use fs::file_pages::FilePages;
use mm::VmObject;

use crate::memory::frames::KernelFrames;

/// One file's pages.
struct CachedFile {
    /// Always `Some` until dropped.
    object: Option<Arc<VmObject>>,
}

impl CachedFile {
    fn object(&self) -> &Arc<VmObject> {
        self.object.as_ref().expect("set until drop")
    }
}

impl FilePages for CachedFile {
    fn size(&self) -> u64 {
        self.object().file_size()
    }

    fn blocks(&self) -> u64 {
        self.object().resident_pages() as u64 * (mm::PAGE_SIZE / 512)
    }

    fn read(&self, offset: u64, buf: &mut [u8]) -> usize {
        self.object().read_at(offset, buf, &DirectMap)
    }

    fn write(&self, offset: u64, data: &[u8]) -> KernelResult<usize> {
        self.object()
            .write_at(offset, data, &mut KernelFrames, &DirectMap)
    }

    fn truncate(&self, size: u64) -> KernelResult<()> {
        self.object()
            .set_file_size(size, &mut KernelFrames, &DirectMap);
        Ok(())
    }

    fn mapping_object(&self) -> Option<Arc<dyn Any + Send + Sync>> {
        Some(self.object().clone())
    }
}

impl Drop for CachedFile {
    fn drop(&mut self) {
        // The file is gone; its pages go back unless a mapping still holds
        // the object (the last region to go then releases it).
        if let Some(object) = self.object.take().and_then(Arc::into_inner) {
            object.release(&mut KernelFrames);
        }
    }
}

/// Pages for a new, empty file.
pub fn new_file() -> KernelResult<Arc<dyn FilePages>> {
    Ok(Arc::new(CachedFile {
        object: Some(VmObject::file()),
    }))
}
