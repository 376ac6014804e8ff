//! A per-CPU stash of freed small heap blocks, by size class, in front of
//! the kernel's general-purpose heap.
//!
//! A system call allocates and frees a handful of small blocks (path
//! buffers, region records, B-tree nodes); through a general-purpose
//! allocator each costs about 130 instructions under its one lock. A CPU
//! that keeps the blocks it freed hands the next request of the same
//! class back in a few instructions, without the heap lock (Linux's
//! per-CPU slab caches, in their simplest form).
//!
//! Blocks are plain addresses here: the kernel's allocator owns the
//! memory. Every block of a class has the class's size and
//! [`OBJECT_ALIGN`] alignment, whether it came from the cache or from the
//! heap, so a block can go back to either.

use core::alloc::Layout;

/// Block sizes served, smallest first.
pub const OBJECT_CLASSES: [usize; 6] = [16, 32, 64, 128, 256, 512];

/// The alignment of every cached block (enough for any request the cache
/// serves).
pub const OBJECT_ALIGN: usize = 16;

/// Blocks kept per class.
pub const OBJECT_CACHE_DEPTH: usize = 16;

/// Freed blocks one CPU keeps, per class, most recently freed on top.
#[derive(Debug)]
pub struct ObjectCache {
    blocks: [[usize; OBJECT_CACHE_DEPTH]; OBJECT_CLASSES.len()],
    lens: [usize; OBJECT_CLASSES.len()],
}

impl ObjectCache {
    /// An empty cache.
    pub const fn new() -> Self {
        ObjectCache {
            blocks: [[0; OBJECT_CACHE_DEPTH]; OBJECT_CLASSES.len()],
            lens: [0; OBJECT_CLASSES.len()],
        }
    }

    /// The class serving `size` bytes aligned to `align`, or `None` when
    /// the block is too large or too strictly aligned to be cached.
    pub fn class_of(size: usize, align: usize) -> Option<usize> {
        if align > OBJECT_ALIGN {
            return None;
        }
        OBJECT_CLASSES.iter().position(|&class| size <= class)
    }

    /// The size of every block of `class`.
    pub fn class_size(class: usize) -> usize {
        OBJECT_CLASSES[class]
    }

    /// The layout every block of `class` has in the heap behind the
    /// cache, whichever way the block came or goes; `None` for an unknown
    /// class.
    pub fn class_layout(class: usize) -> Option<Layout> {
        Layout::from_size_align(*OBJECT_CLASSES.get(class)?, OBJECT_ALIGN).ok()
    }

    /// The most recently freed block of `class`.
    pub fn pop(&mut self, class: usize) -> Option<usize> {
        let len = self.lens.get_mut(class)?;
        *len = len.checked_sub(1)?;
        Some(self.blocks[class][*len])
    }

    /// Keeps a freed block of `class`; `false` when that class is full
    /// (the caller frees the block to the heap).
    pub fn push(&mut self, class: usize, block: usize) -> bool {
        let Some(len) = self.lens.get_mut(class) else {
            return false;
        };
        if *len == OBJECT_CACHE_DEPTH {
            return false;
        }
        self.blocks[class][*len] = block;
        *len += 1;
        true
    }

    /// Takes every block out, with its class, to give back to the heap
    /// (memory ran short).
    pub fn drain(&mut self) -> impl Iterator<Item = (usize, usize)> + '_ {
        let lens = core::mem::take(&mut self.lens);
        self.blocks
            .iter()
            .zip(lens)
            .enumerate()
            .flat_map(|(class, (blocks, len))| {
                blocks[..len].iter().map(move |&block| (class, block))
            })
    }

    /// Blocks held, over every class.
    pub fn len(&self) -> usize {
        self.lens.iter().sum()
    }

    /// Whether no block is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for ObjectCache {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn sizes_round_up_to_their_class_and_large_or_aligned_blocks_are_not_served() {
        assert_eq!(ObjectCache::class_of(1, 1), Some(0));
        assert_eq!(ObjectCache::class_of(16, 8), Some(0));
        assert_eq!(ObjectCache::class_of(17, 8), Some(1));
        assert_eq!(ObjectCache::class_of(512, 16), Some(5));
        assert_eq!(ObjectCache::class_of(513, 8), None);
        assert_eq!(ObjectCache::class_of(64, 32), None);
        for class in 0..OBJECT_CLASSES.len() {
            let size = ObjectCache::class_size(class);
            assert_eq!(ObjectCache::class_of(size, OBJECT_ALIGN), Some(class));
            let layout = ObjectCache::class_layout(class).unwrap();
            assert_eq!((layout.size(), layout.align()), (size, OBJECT_ALIGN));
        }
        assert_eq!(ObjectCache::class_layout(OBJECT_CLASSES.len()), None);
    }

    #[test]
    fn a_freed_block_comes_back_for_its_class_only_newest_first() {
        let mut cache = ObjectCache::new();
        assert!(cache.push(2, 0x1000));
        assert!(cache.push(2, 0x2000));
        assert_eq!(cache.pop(1), None);
        assert_eq!(cache.pop(2), Some(0x2000));
        assert_eq!(cache.pop(2), Some(0x1000));
        assert_eq!(cache.pop(2), None);
        assert_eq!(cache.pop(99), None);
        assert!(!cache.push(99, 0x3000));
    }

    #[test]
    fn a_full_class_refuses_and_drain_gives_everything_back() {
        let mut cache = ObjectCache::new();
        for block in 0..OBJECT_CACHE_DEPTH {
            assert!(cache.push(0, block * 16));
        }
        assert!(!cache.push(0, 0xdead0));
        assert!(cache.push(5, 0x8000));
        assert_eq!(cache.len(), OBJECT_CACHE_DEPTH + 1);
        let drained: Vec<(usize, usize)> = cache.drain().collect();
        assert_eq!(drained.len(), OBJECT_CACHE_DEPTH + 1);
        assert!(drained.contains(&(5, 0x8000)));
        assert!(!drained.iter().any(|&(_, block)| block == 0xdead0));
        assert!(cache.is_empty());
        assert_eq!(cache.pop(0), None);
    }
}
