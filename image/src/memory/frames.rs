//! The kernel's one frame allocator, built from the boot memory map.

use ::boot::{BootInfo, MemoryKind};
use abi::{Errno, KernelResult};
use arch::paging::phys_to_virt;
use arch::percpu::MAX_CPUS;
use arch::sync::IrqMutex;
use mm::{
    BuddyAllocator, Frame, FrameAllocator, FrameCache, FrameMeta, FrameSpan, FrameStats, FrameUse,
    PhysRange,
};
use zerocopy::FromBytes;

use crate::boot::KERNEL_VMA;

/// The most usable ranges and reserved ranges kept.
const MAX_RANGES: usize = 128;

static FRAMES: IrqMutex<Option<BuddyAllocator<'static>>> = IrqMutex::new(None);

/// Each CPU's free single frames, in front of [`FRAMES`]: a page fault or
/// a page table takes one without the machine-wide lock. Lock order: a
/// cache, then `FRAMES`; never two caches at once.
static CACHES: [IrqMutex<FrameCache>; MAX_CPUS] =
    [const { IrqMutex::new(FrameCache::new()) }; MAX_CPUS];

/// This CPU's cache. Read before interrupts go off, the index may be stale
/// by the time the lock is held; the cache is then another CPU's, which
/// its lock makes safe, only slower.
fn this_cache() -> &'static IrqMutex<FrameCache> {
    &CACHES[arch::percpu::this_cpu() as usize]
}

unsafe extern "C" {
    static __kernel_phys_start: u8;
    static __kernel_end: u8;
}

/// The physical range of the loaded kernel image (boot code through bss).
pub fn kernel_image() -> PhysRange {
    let start = (&raw const __kernel_phys_start) as u64;
    let end = (&raw const __kernel_end) as u64 - KERNEL_VMA;
    PhysRange::new(start, end - start)
}

/// Builds the allocator. Panics only if the machine has no usable memory
/// for its metadata, which leaves nothing to run on anyway.
pub fn init(info: &BootInfo) {
    let mut usable = [PhysRange::new(0, 0); MAX_RANGES];
    let mut usable_count = 0;
    for region in info.memory_map() {
        if region.kind == MemoryKind::Usable && usable_count < MAX_RANGES {
            usable[usable_count] = PhysRange::new(region.start, region.length);
            usable_count += 1;
        }
    }
    let usable = &usable[..usable_count];

    let mut reserved = [PhysRange::new(0, 0); MAX_RANGES];
    let mut reserved_count = 0;
    let mut reserve = |reserved: &mut [PhysRange; MAX_RANGES], range: PhysRange| {
        if reserved_count < MAX_RANGES {
            reserved[reserved_count] = range;
            reserved_count += 1;
        }
        reserved_count
    };
    reserve(&mut reserved, kernel_image());
    // The application processors' start-up trampoline.
    let mut count = reserve(
        &mut reserved,
        PhysRange::new(crate::smp::TRAMPOLINE_PAGE, 4096),
    );
    for module in info.modules() {
        count = reserve(&mut reserved, PhysRange::new(module.start, module.length));
    }

    let span = FrameSpan::of(usable).expect("the memory map has usable memory");
    let home = mm::metadata_home(usable, &reserved[..count], span.metadata_bytes())
        .expect("room for the frame allocator's metadata");
    assert!(
        home.end.0 <= 4 << 30,
        "frame metadata must lie in the early direct map (first 4 GiB)"
    );
    let count = reserve(&mut reserved, home);

    // SAFETY: `home` is usable RAM, reserved from every other use just
    // above, inside the early direct map; nothing else references it, and the
    // slice lives as long as the allocator that owns it (forever).
    let bytes = unsafe {
        core::slice::from_raw_parts_mut(phys_to_virt(home.start.0) as *mut u8, home.len() as usize)
    };
    bytes.fill(0);
    let meta =
        <[FrameMeta]>::mut_from_bytes(bytes).expect("metadata area is a whole number of entries");
    let allocator = BuddyAllocator::new(meta, usable, &reserved[..count])
        .expect("frame allocator over the usable memory");
    *FRAMES.lock() = Some(allocator);
}

/// Statistics for `/proc/meminfo` and the boot log: frames in the CPUs'
/// caches count as free.
pub fn stats() -> Option<FrameStats> {
    let cached: usize = CACHES.iter().map(|cache| cache.lock().len()).sum();
    let mut stats = FRAMES.lock().as_ref().map(BuddyAllocator::stats)?;
    stats.free_frames += cached as u64;
    Some(stats)
}

/// `2^order` physically contiguous, naturally aligned frames.
pub fn alloc_order(order: usize) -> KernelResult<Frame> {
    if order == 0 {
        return alloc_single(FrameUse::Kernel);
    }
    FRAMES.lock().as_mut().ok_or(Errno::ENOMEM)?.alloc(order)
}

/// One frame, from this CPU's cache when it has one. When the allocator
/// cannot refill it, the other CPUs' caches are given back and the refill
/// tried once more, so no frame sits cached while an allocation fails.
fn alloc_single(purpose: FrameUse) -> KernelResult<Frame> {
    let refill = |cache: &mut FrameCache| {
        let mut frames = FRAMES.lock();
        let buddy = frames.as_mut().ok_or(Errno::ENOMEM)?;
        let reserve = kernel_reserve(buddy.total_frames());
        cache.refill(buddy, reserve, purpose)
    };
    {
        let mut cache = this_cache().lock();
        if let Some(frame) = cache.pop() {
            return Ok(frame);
        }
        if let Ok(frame) = refill(&mut cache) {
            return Ok(frame);
        }
    }
    for cache in &CACHES {
        let mut cache = cache.lock();
        if !cache.is_empty() {
            let mut frames = FRAMES.lock();
            if let Some(buddy) = frames.as_mut() {
                cache.drain(buddy);
            }
        }
    }
    refill(&mut this_cache().lock())
}

/// Returns a block from [`alloc_order`].
pub fn free_order(frame: Frame, order: usize) -> KernelResult<()> {
    FRAMES
        .lock()
        .as_mut()
        .ok_or(Errno::EINVAL)?
        .free(frame, order)
}

/// Frames user page faults may not take: what the kernel keeps for its
/// own allocations (heap growth, page tables, kernel stacks) when user
/// memory runs out, so the out-of-memory killer can act before a kernel
/// allocation fails. 1/64 of memory, at least 1 MiB.
fn kernel_reserve(total_frames: u64) -> u64 {
    (total_frames / 64).max(256)
}

/// The allocator for user page faults: as [`KernelFrames`], but refuses
/// (`ENOMEM`, which the fault reports as out of memory) once only the
/// kernel's reserve is left.
#[derive(Clone, Copy, Debug, Default)]
pub struct UserFrames;

impl FrameAllocator for UserFrames {
    /// A cached frame is always above the reserve (see
    /// [`FrameCache::refill`]); the reserve is checked on a refill.
    fn alloc_frame(&mut self) -> KernelResult<Frame> {
        alloc_single(FrameUse::User)
    }

    fn inc_ref(&mut self, frame: Frame) -> KernelResult<u32> {
        KernelFrames.inc_ref(frame)
    }

    fn dec_ref(&mut self, frame: Frame) -> KernelResult<u32> {
        KernelFrames.dec_ref(frame)
    }

    fn ref_count(&self, frame: Frame) -> u32 {
        KernelFrames.ref_count(frame)
    }
}

/// The handle through which `mm` and `arch` allocate single frames.
#[derive(Clone, Copy, Debug, Default)]
pub struct KernelFrames;

impl FrameAllocator for KernelFrames {
    /// Fault injection applies: these serve page tables and the frames
    /// system calls take, whose callers report `ENOMEM`.
    fn alloc_frame(&mut self) -> KernelResult<Frame> {
        if fault_injection::should_fail() {
            return Err(Errno::ENOMEM);
        }
        alloc_order(0)
    }

    fn inc_ref(&mut self, frame: Frame) -> KernelResult<u32> {
        FRAMES.lock().as_mut().ok_or(Errno::EINVAL)?.inc_ref(frame)
    }

    /// A single frame's last reference puts it in this CPU's cache.
    fn dec_ref(&mut self, frame: Frame) -> KernelResult<u32> {
        let mut cache = this_cache().lock();
        let mut frames = FRAMES.lock();
        cache.dec_ref(frames.as_mut().ok_or(Errno::EINVAL)?, frame)
    }

    fn ref_count(&self, frame: Frame) -> u32 {
        FRAMES.lock().as_ref().map_or(0, |a| a.ref_count(frame))
    }
}
