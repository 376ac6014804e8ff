//! Keeping file pages between mappings: one [`VmObject`] per file content.
//!
//! Every mapping of the same file (exec of the same program, `mmap` of the
//! same library) gets the same object, so its pages are read once and
//! shared: text is one set of frames for every process running the
//! program, and a CPU emulator's translation cache (keyed by physical
//! address) stays warm across processes. An entry is keyed by the file's
//! identity and holds the content generation it was made for; a file whose
//! content changed since gets a fresh object (mappings made before keep
//! the pages they saw).
//!
//! The cache holds a strong reference to its most recently used objects,
//! up to a capacity: the pages of a program that is run again and again
//! stay resident between runs. An object dropped from the cache is
//! released here if no mapping uses it any more, else by the last
//! mapping's region (see [`crate::AddressSpace`]).

use alloc::collections::VecDeque;
use alloc::sync::Arc;

use crate::frame_allocator::FrameAllocator;
use crate::vm_object::VmObject;

/// Which file: device and inode number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FileKey {
    /// The file system's device number.
    pub device: u64,
    /// The inode number.
    pub inode: u64,
}

struct Entry {
    key: FileKey,
    generation: u64,
    object: Arc<VmObject>,
}

/// The most recently mapped files' objects (least recently used dropped
/// first).
pub struct ObjectCache {
    entries: spin::Mutex<VecDeque<Entry>>,
    capacity: usize,
}

impl ObjectCache {
    /// A cache keeping at most `capacity` objects.
    pub const fn new(capacity: usize) -> ObjectCache {
        ObjectCache {
            entries: spin::Mutex::new(VecDeque::new()),
            capacity,
        }
    }

    /// The object for `key` at content `generation`: the cached one if it
    /// was made for that generation, else a new one from `create`, which
    /// replaces it. Objects pushed out are released through `frames` when
    /// nothing maps them.
    pub fn object<A: FrameAllocator>(
        &self,
        key: FileKey,
        generation: u64,
        create: impl FnOnce() -> Arc<VmObject>,
        frames: &mut A,
    ) -> Arc<VmObject> {
        let mut evicted = VecDeque::new();
        let object = {
            let mut entries = self.entries.lock();
            let found = entries.iter().position(|entry| entry.key == key);
            let current = found.and_then(|index| {
                let entry = entries.remove(index)?;
                if entry.generation == generation {
                    Some(entry)
                } else {
                    evicted.push_back(entry);
                    None
                }
            });
            let entry = current.unwrap_or_else(|| Entry {
                key,
                generation,
                object: create(),
            });
            let object = entry.object.clone();
            entries.push_front(entry);
            while entries.len() > self.capacity {
                if let Some(old) = entries.pop_back() {
                    evicted.push_back(old);
                }
            }
            object
        };
        // Released outside the lock: releasing takes the frame allocator.
        for entry in evicted {
            release_if_unused(entry.object, frames);
        }
        object
    }

    /// Drops every entry, releasing what nothing maps (memory pressure,
    /// tests).
    pub fn clear<A: FrameAllocator>(&self, frames: &mut A) {
        let entries = core::mem::take(&mut *self.entries.lock());
        for entry in entries {
            release_if_unused(entry.object, frames);
        }
    }

    /// [`ObjectCache::clear`] for a frame allocator that ran out: gives up
    /// at once if the cache is busy (the caller may hold locks its holder
    /// waits for), and only frees objects nothing else references, so no
    /// other thread can be inside them. Returns how many were released.
    pub fn try_clear<A: FrameAllocator>(&self, frames: &mut A) -> usize {
        let Some(mut entries) = self.entries.try_lock() else {
            return 0;
        };
        let entries = core::mem::take(&mut *entries);
        let mut released = 0;
        for entry in entries {
            if let Some(object) = Arc::into_inner(entry.object) {
                object.release(frames);
                released += 1;
            }
        }
        released
    }

    /// How many objects are cached.
    pub fn len(&self) -> usize {
        self.entries.lock().len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.entries.lock().is_empty()
    }
}

fn release_if_unused<A: FrameAllocator>(object: Arc<VmObject>, frames: &mut A) {
    if let Some(object) = Arc::into_inner(object) {
        object.release(frames);
    }
}
