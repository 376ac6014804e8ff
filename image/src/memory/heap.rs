//! The kernel heap: talc over frames it takes on demand, and whole frames
//! for large allocations.
//!
//! Small allocations come from talc, behind a per-CPU cache of freed
//! blocks by size class (`mm::ObjectCache`): most system calls free what
//! they allocate, and the next call takes it back without talc's lock.
//! When talc runs dry its source takes a
//! contiguous block of at least 256 KiB from the frame allocator and claims
//! it through the direct map, so the heap needs no virtual-address
//! management of its own. Allocations of [`LARGE`] bytes or more skip talc
//! and take a power-of-two block of frames straight from the buddy
//! allocator, which frees them whole (no fragmentation of talc's arenas).
//! Failure is a null pointer, which fallible collections (`try_reserve`) turn
//! into `ENOMEM` on syscall paths.

use core::alloc::{GlobalAlloc, Layout};
use core::ptr::null_mut;
use core::sync::atomic::{AtomicU64, Ordering};

use arch::paging::phys_to_virt;
use arch::percpu::MAX_CPUS;
use arch::sync::IrqMutex;
use mm::{Frame, ObjectCache};
use talc::base::Talc;
use talc::base::binning::Binning;
use talc::source::Source;

use super::frames;

/// Allocations at least this large come straight from frames.
pub const LARGE: usize = 64 * 1024;
const PAGE: usize = 4096;
const MIN_ARENA_ORDER: usize = 6; // 256 KiB

static ARENA_BYTES: AtomicU64 = AtomicU64::new(0);
static LARGE_BYTES: AtomicU64 = AtomicU64::new(0);
/// Bytes handed out by talc and not yet freed (requested sizes).
static SMALL_IN_USE: AtomicU64 = AtomicU64::new(0);

/// Feeds talc with frames.
#[derive(Debug)]
struct FrameSource;

// SAFETY: `acquire` only claims fresh frames through `talc` and never
// touches the heap lock or allocates.
unsafe impl Source for FrameSource {
    fn acquire<B: Binning>(talc: &mut Talc<Self, B>, layout: Layout) -> Result<(), ()> {
        let needed = layout.size() + layout.align() + PAGE;
        let order = order_for(needed).max(MIN_ARENA_ORDER);
        let frame = frames::alloc_order(order).map_err(|_| ())?;
        let bytes = PAGE << order;
        let base = phys_to_virt(frame.start().0) as *mut u8;
        // SAFETY: the block is fresh, exclusively ours, and mapped RW in the
        // direct map for the kernel's lifetime.
        unsafe { talc.claim(base, bytes) }.ok_or(())?;
        ARENA_BYTES.fetch_add(bytes as u64, Ordering::Relaxed);
        Ok(())
    }
}

fn order_for(bytes: usize) -> usize {
    let pages = bytes.div_ceil(PAGE).max(1);
    pages.next_power_of_two().trailing_zeros() as usize
}

/// The `#[global_allocator]`.
pub struct KernelHeap {
    talc: IrqMutex<Talc<FrameSource, talc::DefaultBinning>>,
    /// Each CPU's freed small blocks (see [`ObjectCache`]), in front of
    /// talc. Lock order: a cache, then talc; never two caches at once.
    caches: [IrqMutex<ObjectCache>; MAX_CPUS],
}

#[global_allocator]
static HEAP: KernelHeap = KernelHeap {
    talc: IrqMutex::new(Talc::new(FrameSource)),
    caches: [const { IrqMutex::new(ObjectCache::new()) }; MAX_CPUS],
};

impl KernelHeap {
    /// This CPU's cache (another CPU's, safely, if the thread moved
    /// since the index was read).
    fn this_cache(&self) -> &IrqMutex<ObjectCache> {
        &self.caches[arch::percpu::this_cpu() as usize]
    }

    /// Gives every CPU's cached blocks back to talc, where they can merge
    /// into a block of another size.
    fn drain_caches(&self) {
        for cache in &self.caches {
            let mut cache = cache.lock();
            if cache.is_empty() {
                continue;
            }
            let mut talc = self.talc.lock();
            for (class, block) in cache.drain() {
                // SAFETY: every cached block came from talc with its
                // class layout and is no longer in use.
                unsafe { talc.deallocate(block as *mut u8, class_layout(class)) }
            }
        }
    }
}

/// The layout every block of an [`ObjectCache`] class has in talc (the
/// classes `class_of` returns are all known).
fn class_layout(class: usize) -> Layout {
    ObjectCache::class_layout(class).unwrap_or(Layout::new::<u8>())
}

// SAFETY: talc upholds GlobalAlloc's contract for its blocks; large blocks
// are distinct frame ranges, naturally aligned to their (power-of-two) size,
// which satisfies any alignment up to that size.
unsafe impl GlobalAlloc for KernelHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() >= LARGE {
            let order = order_for(layout.size().max(layout.align()));
            return match frames::alloc_order(order) {
                Ok(frame) => {
                    LARGE_BYTES.fetch_add((PAGE << order) as u64, Ordering::Relaxed);
                    phys_to_virt(frame.start().0) as *mut u8
                }
                Err(_) => null_mut(),
            };
        }
        // A small block of a cached class is the class's size in talc,
        // whichever way it comes or goes.
        let class = ObjectCache::class_of(layout.size(), layout.align());
        let talc_layout = match class {
            Some(class) => {
                if let Some(block) = self.this_cache().lock().pop(class) {
                    SMALL_IN_USE.fetch_add(layout.size() as u64, Ordering::Relaxed);
                    return block as *mut u8;
                }
                class_layout(class)
            }
            None => layout,
        };
        // SAFETY: talc_layout is the caller's valid layout, or a class
        // layout at least as large and as aligned.
        let mut block = unsafe { self.talc.lock().allocate(talc_layout) };
        if block.is_none() {
            self.drain_caches();
            // SAFETY: as above.
            block = unsafe { self.talc.lock().allocate(talc_layout) };
        }
        match block {
            Some(block) => {
                SMALL_IN_USE.fetch_add(layout.size() as u64, Ordering::Relaxed);
                block.as_ptr()
            }
            None => null_mut(),
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if layout.size() >= LARGE {
            let order = order_for(layout.size().max(layout.align()));
            let physical = ptr as u64 - arch::paging::PHYSICAL_MEMORY_OFFSET;
            if frames::free_order(Frame(physical >> 12), order).is_ok() {
                LARGE_BYTES.fetch_sub((PAGE << order) as u64, Ordering::Relaxed);
            }
            return;
        }
        SMALL_IN_USE.fetch_sub(layout.size() as u64, Ordering::Relaxed);
        let talc_layout = match ObjectCache::class_of(layout.size(), layout.align()) {
            Some(class) => {
                if self.this_cache().lock().push(class, ptr as usize) {
                    return;
                }
                class_layout(class)
            }
            None => layout,
        };
        // SAFETY: `ptr` was returned by `alloc` for this layout, which took
        // it from talc with `talc_layout`.
        unsafe { self.talc.lock().deallocate(ptr, talc_layout) }
    }
}

/// Bytes allocated and not yet freed: small allocations as requested,
/// large ones as the frames they took.
pub fn in_use() -> u64 {
    SMALL_IN_USE.load(Ordering::Relaxed) + LARGE_BYTES.load(Ordering::Relaxed)
}

/// Bytes the heap holds: talc's arenas and the large blocks.
pub fn footprint() -> (u64, u64) {
    (
        ARENA_BYTES.load(Ordering::Relaxed),
        LARGE_BYTES.load(Ordering::Relaxed),
    )
}
