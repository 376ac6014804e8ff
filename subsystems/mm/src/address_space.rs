//! A user address space: its regions, its page table, and the operations
//! behind `mmap`, `munmap`, `mprotect`, `brk`, `fork` and exit.
//!
//! Regions live in a `BTreeMap` keyed by start address and never overlap.
//! Free ranges are found top-down from [`AddressSpace::mmap_top`] (Linux's
//! default x86_64 layout), never below [`MMAP_MIN_ADDR`].
//!
//! Frame ownership: every present page-table entry holds one reference on
//! its frame. Private pages shared after a fork are mapped read-only in both
//! spaces; the write fault copies them, or just makes the page writable
//! again when its reference count shows the faulting space is the last
//! owner. Shared mappings map their object's frames with the region's rights
//! in every space.
//!
//! Locking: an `AddressSpace` has no lock of its own; the kernel keeps each
//! one in a `lock::Mutex` and takes it before any VM-object or frame lock.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::{Errno, KernelResult};

use crate::addr::{PAGE_SIZE, USER_SPACE_END, VirtAddr, VirtRange, is_page_aligned, page_align_up};
use crate::frame_allocator::{FrameAllocator, put_frame};
use crate::page_table::{MappedAction, PageFlags, PageTable};
use crate::region::{Backing, Perms, Region};

/// Lowest address `mmap` hands out or accepts (Linux's default
/// `vm.mmap_min_addr`), so a NULL dereference always faults.
pub const MMAP_MIN_ADDR: u64 = 0x1_0000;
/// Default top of the `mmap` area: 1 GiB below the end of user space,
/// leaving room for the initial stack that `exec` maps above it.
pub const DEFAULT_MMAP_TOP: u64 = USER_SPACE_END - (1 << 30);

/// Where a new mapping goes (the `addr` argument and `MAP_FIXED*` flags).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Placement {
    /// Anywhere free (`addr` = 0).
    Anywhere,
    /// At this address if that range is free, otherwise anywhere (`addr` ≠ 0
    /// without `MAP_FIXED`).
    Hint(VirtAddr),
    /// Exactly here, replacing whatever was mapped (`MAP_FIXED`).
    Fixed(VirtAddr),
    /// Exactly here, `EEXIST` if anything is mapped (`MAP_FIXED_NOREPLACE`).
    FixedNoReplace(VirtAddr),
}

/// A request to create a mapping: `mmap`'s arguments, checked by
/// [`AddressSpace::mmap`].
#[derive(Clone, Debug)]
pub struct MapRequest {
    /// Where to put it.
    pub placement: Placement,
    /// Length in bytes (rounded up to whole pages).
    pub len: u64,
    /// Initial rights.
    pub perms: Perms,
    /// Rights `mprotect` may later grant; `perms` must be within them.
    pub max_perms: Perms,
    /// What the pages come from.
    pub backing: Backing,
    /// Name for `/proc/<pid>/maps`.
    pub name: Option<Arc<str>>,
}

impl MapRequest {
    /// Private anonymous memory of `len` bytes, placed anywhere.
    pub fn anonymous(len: u64, perms: Perms) -> MapRequest {
        MapRequest {
            placement: Placement::Anywhere,
            len,
            perms,
            max_perms: Perms::all(),
            backing: Backing::Anonymous,
            name: None,
        }
    }

    /// A window of `len` bytes onto `object` from byte `offset`, placed anywhere.
    pub fn object(
        object: Arc<crate::VmObject>,
        offset: u64,
        shared: bool,
        len: u64,
        perms: Perms,
    ) -> MapRequest {
        MapRequest {
            placement: Placement::Anywhere,
            len,
            perms,
            max_perms: Perms::all(),
            backing: Backing::Object {
                object,
                offset,
                shared,
            },
            name: None,
        }
    }

    /// The same request at `placement`.
    pub fn at(mut self, placement: Placement) -> MapRequest {
        self.placement = placement;
        self
    }

    /// The same request with a name.
    pub fn named(mut self, name: &str) -> MapRequest {
        self.name = Some(Arc::from(name));
        self
    }

    /// The same request with a ceiling on future `mprotect` rights.
    pub fn with_max_perms(mut self, max_perms: Perms) -> MapRequest {
        self.max_perms = max_perms;
        self
    }
}

/// A user address space: regions plus the page table that realises them.
///
/// It must be ended with [`teardown`](AddressSpace::teardown), which gives
/// every frame back; dropping it otherwise leaks its frames.
pub struct AddressSpace<P: PageTable> {
    pub(crate) page_table: P,
    pub(crate) regions: BTreeMap<u64, Region>,
    mmap_top: u64,
    brk: Option<Brk>,
    /// `mlockall(MCL_FUTURE)`: mappings made from now on are locked.
    lock_future: bool,
}

/// The program break: the heap region runs from `start` to `current`
/// rounded up to a page.
#[derive(Clone, Copy, Debug)]
struct Brk {
    start: u64,
    current: u64,
}

impl<P: PageTable> AddressSpace<P> {
    /// An empty space over `page_table` (a fresh root sharing the kernel half).
    pub fn new(page_table: P) -> AddressSpace<P> {
        AddressSpace {
            page_table,
            regions: BTreeMap::new(),
            mmap_top: DEFAULT_MMAP_TOP,
            brk: None,
            lock_future: false,
        }
    }

    /// The page table, for the arch code to activate.
    pub fn page_table(&self) -> &P {
        &self.page_table
    }

    /// The regions in address order, for `/proc/<pid>/maps`.
    pub fn regions(&self) -> impl Iterator<Item = &Region> {
        self.regions.values()
    }

    /// Bytes of address space mapped (`VmSize` in `/proc/<pid>/status`).
    pub fn mapped_bytes(&self) -> u64 {
        self.regions.values().map(|region| region.range.len()).sum()
    }

    /// Resident memory in bytes, as `/proc/<pid>/status` splits it:
    /// (anonymous, private file-backed, shared). Counts the pages the page
    /// table maps (present, or kept for `PROT_NONE`), region by region.
    pub fn resident_bytes(&self) -> (u64, u64, u64) {
        let (mut anonymous, mut file, mut shared) = (0, 0, 0);
        for region in self.regions.values() {
            let mut pages = 0;
            let mut at = region.range.start();
            let end = region.range.end();
            while let Some((page, _, _)) = self.page_table.next_mapped(at, end) {
                pages += 1;
                at = VirtAddr(page.0 + PAGE_SIZE);
            }
            let bytes = pages * PAGE_SIZE;
            match &region.backing {
                Backing::Anonymous => anonymous += bytes,
                Backing::Object { shared: true, .. } => shared += bytes,
                Backing::Object { .. } => file += bytes,
            }
        }
        (anonymous, file, shared)
    }

    /// The region containing `addr`, if any.
    pub fn region_at(&self, addr: VirtAddr) -> Option<&Region> {
        self.regions
            .range(..=addr.0)
            .next_back()
            .map(|(_, region)| region)
            .filter(|region| region.range.contains(addr))
    }

    /// Top of the area searched for free ranges.
    pub fn mmap_top(&self) -> VirtAddr {
        VirtAddr(self.mmap_top)
    }

    /// Moves the top of the free-range search (exec does, below the stack).
    /// Rounded down to a page and clamped to user space.
    pub fn set_mmap_top(&mut self, top: VirtAddr) {
        self.mmap_top = top.page_start().0.clamp(MMAP_MIN_ADDR, USER_SPACE_END);
    }

    /// The highest free range of `len` bytes (page-aligned) below
    /// [`mmap_top`](Self::mmap_top), or at `hint` (rounded up to a page) if
    /// that range is free and inside user space. `ENOMEM` if no gap is large enough.
    pub fn find_free(&self, len: u64, hint: Option<VirtAddr>) -> KernelResult<VirtAddr> {
        let len = page_align_up(len)
            .filter(|len| *len != 0)
            .ok_or(Errno::ENOMEM)?;
        if let Some(hint) = hint {
            // Rounded up, as Linux's get_unmapped_area does.
            let start = page_align_up(hint.0).unwrap_or(u64::MAX);
            if let Some(end) = start.checked_add(len)
                && start >= MMAP_MIN_ADDR
                && end <= USER_SPACE_END
                && !self.overlaps(start, end)
            {
                return Ok(VirtAddr(start));
            }
        }
        let mut top = self.mmap_top;
        for region in self.regions.range(..self.mmap_top).rev().map(|(_, r)| r) {
            let floor = region.range.end().0.max(MMAP_MIN_ADDR);
            if top >= floor && top - floor >= len {
                return Ok(VirtAddr(top - len));
            }
            top = top.min(region.range.start().0);
        }
        if top >= MMAP_MIN_ADDR && top - MMAP_MIN_ADDR >= len {
            return Ok(VirtAddr(top - len));
        }
        Err(Errno::ENOMEM)
    }

    /// Creates a mapping as `mmap` does and returns its start. Errors as
    /// Linux: `EINVAL` for a zero length, an unaligned fixed address or
    /// offset; `ENOMEM` if the length overflows, the fixed range leaves user
    /// space or no gap is free; `EPERM` for a fixed address below
    /// [`MMAP_MIN_ADDR`]; `EEXIST` for an occupied `FixedNoReplace`;
    /// `EACCES` if `perms` exceed `max_perms`; `EOVERFLOW` if the object
    /// offset overflows. A `Fixed` mapping first unmaps what it covers.
    pub fn mmap<A: FrameAllocator>(
        &mut self,
        request: MapRequest,
        frames: &mut A,
    ) -> KernelResult<VirtAddr> {
        if request.len == 0 {
            return Err(Errno::EINVAL);
        }
        let len = page_align_up(request.len).ok_or(Errno::ENOMEM)?;
        if !request.max_perms.contains(request.perms) {
            return Err(Errno::EACCES);
        }
        if let Backing::Object { offset, .. } = &request.backing {
            if !is_page_aligned(*offset) {
                return Err(Errno::EINVAL);
            }
            offset.checked_add(len).ok_or(Errno::EOVERFLOW)?;
        }
        let start = match request.placement {
            Placement::Anywhere => self.find_free(len, None)?,
            Placement::Hint(hint) => self.find_free(len, Some(hint))?,
            Placement::Fixed(addr) | Placement::FixedNoReplace(addr) => {
                let range = fixed_range(addr, len)?;
                if matches!(request.placement, Placement::FixedNoReplace(_)) {
                    if self.overlaps(range.start().0, range.end().0) {
                        return Err(Errno::EEXIST);
                    }
                } else {
                    self.remove_range(range, frames);
                }
                range.start()
            }
        };
        let range = VirtRange::new(start, VirtAddr(start.0 + len)).ok_or(Errno::ENOMEM)?;
        self.insert(Region {
            range,
            perms: request.perms,
            max_perms: request.max_perms,
            name: request.name,
            backing: request.backing,
            locked: self.lock_future,
        });
        Ok(start)
    }

    /// Removes every mapping in `[addr, addr + len)` as `munmap` does,
    /// splitting regions that straddle the ends. `EINVAL` for an unaligned
    /// `addr`, a zero length or a range leaving user space; unmapping
    /// nothing succeeds.
    pub fn munmap<A: FrameAllocator>(
        &mut self,
        addr: VirtAddr,
        len: u64,
        frames: &mut A,
    ) -> KernelResult<()> {
        let range = user_range(addr, len, Errno::EINVAL)?.ok_or(Errno::EINVAL)?;
        self.remove_range(range, frames);
        Ok(())
    }

    /// `mincore`: one byte per page of `[addr, addr + len)`, 1 if the
    /// page is in memory (mapped here, or held by the object a mapping
    /// shows, as a file page in the page cache is), else 0. `EINVAL` for
    /// an unaligned `addr`; `ENOMEM` if part of the range is unmapped or
    /// it leaves user space.
    pub fn residency(&self, addr: VirtAddr, len: u64) -> KernelResult<Vec<u8>> {
        let Some(range) = user_range(addr, len, Errno::ENOMEM)? else {
            return Ok(Vec::new());
        };
        let mut pages = Vec::new();
        pages
            .try_reserve_exact((range.len() / PAGE_SIZE) as usize)
            .map_err(|_| Errno::ENOMEM)?;
        let mut page = range.start().0;
        while page < range.end().0 {
            let region = self.region_at(VirtAddr(page)).ok_or(Errno::ENOMEM)?;
            let mapped = self.page_table.translate(VirtAddr(page)).is_some();
            let cached = match &region.backing {
                Backing::Object { object, offset, .. } => {
                    let index = (offset + (page - region.range.start().0)) / PAGE_SIZE;
                    object.is_resident(index)
                }
                Backing::Anonymous => false,
            };
            pages.push(u8::from(mapped || cached));
            page += PAGE_SIZE;
        }
        Ok(pages)
    }

    /// Drops the pages of `[addr, addr + len)` and keeps the mappings, as
    /// `madvise(MADV_DONTNEED)` does: the next touch finds a private
    /// anonymous page zeroed, a private file page holding the file's data
    /// again (its private copy is gone), and a shared page what the shared
    /// object holds (nothing is lost there). With `anonymous_only`
    /// (`MADV_FREE`) a region that is not private anonymous memory is
    /// `EINVAL`, checked before anything is dropped. `EINVAL` for an
    /// unaligned `addr` or a range leaving user space; `ENOMEM` if part of
    /// the range is unmapped (the mapped parts are dropped all the same,
    /// as Linux does). A zero length succeeds.
    pub fn discard<A: FrameAllocator>(
        &mut self,
        addr: VirtAddr,
        len: u64,
        anonymous_only: bool,
        frames: &mut A,
    ) -> KernelResult<()> {
        let Some(range) = user_range(addr, len, Errno::EINVAL)? else {
            return Ok(());
        };
        let mut parts = Vec::new();
        let mut covered = range.start().0;
        let mut gap = false;
        for region in self.overlapping(range) {
            if anonymous_only && !matches!(region.backing, Backing::Anonymous) {
                return Err(Errno::EINVAL);
            }
            let start = region.range.start().0.max(range.start().0);
            let end = region.range.end().0.min(range.end().0);
            gap |= start > covered;
            covered = end;
            parts.extend(VirtRange::new(VirtAddr(start), VirtAddr(end)));
        }
        for part in parts {
            self.unmap_pages(part, frames);
        }
        if gap || covered < range.end().0 {
            return Err(Errno::ENOMEM);
        }
        Ok(())
    }

    /// Changes the rights of `[addr, addr + len)` as `mprotect` does,
    /// splitting regions at the ends and merging neighbours that become
    /// indistinguishable. `EINVAL` for an unaligned `addr`; `ENOMEM` if any
    /// part of the range is unmapped (then nothing changes); `EACCES` if a
    /// region's `max_perms` forbid `perms`. A zero length succeeds.
    pub fn mprotect(&mut self, addr: VirtAddr, len: u64, perms: Perms) -> KernelResult<()> {
        let Some(range) = user_range(addr, len, Errno::ENOMEM)? else {
            return Ok(());
        };
        self.check_mapped(range, |region| {
            if region.max_perms.contains(perms) {
                Ok(())
            } else {
                Err(Errno::EACCES)
            }
        })?;
        let starts = self.split_out(range);
        for start in starts {
            let Some(region) = self.regions.get_mut(&start) else {
                continue;
            };
            region.perms = perms;
            let shared = region.is_shared();
            let region_range = region.range;
            let wanted = perms.page_flags();
            let mut changed: Option<(VirtAddr, VirtAddr)> = None;
            let _ = self.page_table.update_mapped(
                region_range.start(),
                region_range.end(),
                |page, _, flags| {
                    // A private page that is not writable now may be shared
                    // copy-on-write: leave the upgrade to the write fault.
                    let mut new = wanted;
                    if !shared && !flags.contains(PageFlags::WRITE) {
                        new.remove(PageFlags::WRITE);
                    }
                    if new == flags {
                        return Ok::<_, core::convert::Infallible>(MappedAction::Keep);
                    }
                    let first = changed.map_or(page, |(first, _)| first);
                    changed = Some((first, VirtAddr(page.0 + PAGE_SIZE)));
                    Ok(MappedAction::Protect(new))
                },
            );
            if let Some((first, end)) = changed {
                self.page_table.flush_range(first, end);
            }
        }
        self.merge_around(range);
        Ok(())
    }

    /// Locks (or unlocks) the regions of `[addr, addr + len)` in memory,
    /// as `mlock` and `munlock` mark them (the caller makes the pages
    /// present), splitting regions at the ends. `addr` need not be
    /// aligned: the range grows to whole pages, as on Linux. `ENOMEM` if
    /// any part of it is unmapped (then nothing changes). A zero length
    /// succeeds.
    pub fn set_locked(&mut self, addr: VirtAddr, len: u64, locked: bool) -> KernelResult<()> {
        let Some(range) = page_span(addr, len)? else {
            return Ok(());
        };
        self.check_mapped(range, |_| Ok(()))?;
        for start in self.split_out(range) {
            if let Some(region) = self.regions.get_mut(&start) {
                region.locked = locked;
            }
        }
        self.merge_around(range);
        Ok(())
    }

    /// Locks or unlocks every region (`mlockall(MCL_CURRENT)`,
    /// `munlockall`).
    pub fn set_all_locked(&mut self, locked: bool) {
        for region in self.regions.values_mut() {
            region.locked = locked;
        }
        let span = self
            .regions
            .values()
            .next()
            .zip(self.regions.values().last());
        if let Some(range) =
            span.and_then(|(first, last)| VirtRange::new(first.range.start(), last.range.end()))
        {
            self.merge_around(range);
        }
    }

    /// Says whether mappings made from now on (and the heap's growth) are
    /// locked (`mlockall(MCL_FUTURE)`).
    pub fn set_lock_future(&mut self, future: bool) {
        self.lock_future = future;
    }

    /// Whether mappings made from now on are locked (`MCL_FUTURE`).
    pub fn locks_future(&self) -> bool {
        self.lock_future
    }

    /// Bytes of address space locked in memory (`VmLck` in
    /// `/proc/<pid>/status`, what `RLIMIT_MEMLOCK` limits).
    pub fn locked_bytes(&self) -> u64 {
        self.regions
            .values()
            .filter(|region| region.locked)
            .map(|region| region.range.len())
            .sum()
    }

    /// Bytes of `[addr, addr + len)` (grown to whole pages) not locked
    /// yet: what an `mlock` of it adds to [`Self::locked_bytes`].
    pub fn unlocked_bytes_in(&self, addr: VirtAddr, len: u64) -> u64 {
        let Ok(Some(range)) = page_span(addr, len) else {
            return 0;
        };
        let locked: u64 = self
            .overlapping(range)
            .filter(|region| region.locked)
            .map(|region| {
                region.range.end().0.min(range.end().0)
                    - region.range.start().0.max(range.start().0)
            })
            .sum();
        range.len() - locked
    }

    /// Sets where the program break starts (the page-aligned end of the
    /// loaded image); `exec` calls it once. Any previous heap is forgotten,
    /// not unmapped.
    pub fn init_brk(&mut self, start: VirtAddr) {
        let start = page_align_up(start.0).unwrap_or(USER_SPACE_END);
        self.brk = Some(Brk {
            start,
            current: start,
        });
    }

    /// The `brk` system call: moves the break to `requested` if the heap can
    /// grow or shrink there, and returns the break in effect afterwards (on
    /// failure the old one, as Linux does). The heap is private anonymous
    /// read-write memory named `[heap]`.
    pub fn brk<A: FrameAllocator>(&mut self, requested: VirtAddr, frames: &mut A) -> VirtAddr {
        let Some(brk) = self.brk else {
            return VirtAddr(0);
        };
        let current = VirtAddr(brk.current);
        if requested.0 < brk.start || requested.0 > self.mmap_top {
            return current;
        }
        let (Some(old_top), Some(new_top)) =
            (page_align_up(brk.current), page_align_up(requested.0))
        else {
            return current;
        };
        if new_top > old_top {
            if self.overlaps(old_top, new_top) {
                return current;
            }
            let Some(range) = VirtRange::new(VirtAddr(old_top), VirtAddr(new_top)) else {
                return current;
            };
            self.insert(Region {
                range,
                perms: Perms::READ | Perms::WRITE,
                max_perms: Perms::all(),
                name: Some(Arc::from("[heap]")),
                backing: Backing::Anonymous,
                locked: self.lock_future,
            });
        } else if let Some(range) = VirtRange::new(VirtAddr(new_top), VirtAddr(old_top)) {
            self.remove_range(range, frames);
        }
        self.brk = Some(Brk {
            start: brk.start,
            current: requested.0,
        });
        requested
    }

    /// A copy of this space for a forked child, over `child_table` (a fresh
    /// root). Private pages become copy-on-write: read-only in both spaces,
    /// one more reference on each frame. Shared regions map the same frames
    /// with the same rights. `ENOMEM` if the child's tables cannot be built
    /// (the child is torn down; the parent stays valid).
    pub fn fork<A: FrameAllocator>(
        &mut self,
        child_table: P,
        frames: &mut A,
    ) -> KernelResult<AddressSpace<P>> {
        let mut child = AddressSpace {
            page_table: child_table,
            regions: self.regions.clone(),
            mmap_top: self.mmap_top,
            brk: self.brk,
            // Memory locks are not inherited (Linux: fork(2)).
            lock_future: false,
        };
        for region in child.regions.values_mut() {
            region.locked = false;
        }
        let mut write_protected = false;
        let ranges: Vec<(VirtRange, bool)> = self
            .regions
            .values()
            .map(|region| (region.range, region.is_shared()))
            .collect();
        for (range, shared) in ranges {
            let copied =
                self.page_table
                    .update_mapped(range.start(), range.end(), |page, frame, flags| {
                        let mut child_flags = flags;
                        if !shared && flags.contains(PageFlags::WRITE) {
                            child_flags.remove(PageFlags::WRITE);
                        }
                        frames.inc_ref(frame)?;
                        child
                            .page_table
                            .map(page, frame, child_flags, frames)
                            .inspect_err(|_| put_frame(frames, frame))?;
                        if child_flags == flags {
                            return Ok(MappedAction::Keep);
                        }
                        write_protected = true;
                        Ok(MappedAction::Protect(child_flags))
                    });
            if let Err(error) = copied {
                self.page_table.flush_all();
                child.teardown(frames);
                return Err(error);
            }
        }
        if write_protected {
            self.page_table.flush_all();
        }
        Ok(child)
    }

    /// Unmaps everything, gives every frame and VM object back, and frees
    /// the page table itself.
    pub fn teardown<A: FrameAllocator>(mut self, frames: &mut A) {
        let regions = core::mem::take(&mut self.regions);
        for region in regions.into_values() {
            self.release_region(region, frames, false);
        }
        self.page_table.flush_all();
        self.page_table.destroy(frames);
    }

    pub(crate) fn overlaps(&self, start: u64, end: u64) -> bool {
        match VirtRange::new(VirtAddr(start), VirtAddr(end)) {
            Some(range) => self.overlapping(range).next().is_some(),
            None => false,
        }
    }

    /// `ENOMEM` unless regions cover all of `range`; else the first error
    /// `check` gives for one of them, in address order.
    fn check_mapped(
        &self,
        range: VirtRange,
        check: impl Fn(&Region) -> KernelResult<()>,
    ) -> KernelResult<()> {
        let mut covered = range.start().0;
        for region in self.overlapping(range) {
            if region.range.start().0 > covered {
                return Err(Errno::ENOMEM);
            }
            check(region)?;
            covered = region.range.end().0;
        }
        if covered < range.end().0 {
            return Err(Errno::ENOMEM);
        }
        Ok(())
    }

    fn overlapping(&self, range: VirtRange) -> impl Iterator<Item = &Region> {
        let first = self
            .regions
            .range(..=range.start().0)
            .next_back()
            .filter(|(_, region)| region.range.overlaps(&range))
            .map(|(start, _)| *start)
            .unwrap_or(range.start().0);
        self.regions
            .range(first..range.end().0)
            .map(|(_, region)| region)
    }

    pub(crate) fn insert(&mut self, region: Region) {
        let range = region.range;
        self.regions.insert(range.start().0, region);
        self.merge_around(range);
    }

    /// Splits the region containing `addr` so that a region starts there.
    fn split_at(&mut self, addr: VirtAddr) {
        let Some((&start, _)) = self.regions.range(..addr.0).next_back() else {
            return;
        };
        let Some(region) = self.regions.remove(&start) else {
            return;
        };
        match region.split_at(addr) {
            Ok((low, high)) => {
                self.regions.insert(low.range.start().0, low);
                self.regions.insert(high.range.start().0, high);
            }
            Err(whole) => {
                self.regions.insert(start, whole);
            }
        }
    }

    /// Merges indistinguishable neighbours from the region before `range`
    /// to the one after it.
    fn merge_around(&mut self, range: VirtRange) {
        let mut cursor = match self.regions.range(..range.start().0).next_back() {
            Some((start, _)) => *start,
            None => range.start().0,
        };
        loop {
            let Some((&start, _)) = self.regions.range(cursor..).next() else {
                return;
            };
            if start > range.end().0 {
                return;
            }
            let Some((&next_start, next)) = self.regions.range(start + 1..).next() else {
                return;
            };
            if self.regions[&start].can_merge(next) {
                if let Some(next) = self.regions.remove(&next_start)
                    && let Some(region) = self.regions.get_mut(&start)
                {
                    region.absorb(next);
                }
                cursor = start;
            } else {
                cursor = next_start;
            }
        }
    }

    /// Removes every region part inside `range`, releasing their pages.
    pub(crate) fn remove_range<A: FrameAllocator>(&mut self, range: VirtRange, frames: &mut A) {
        let starts = self.split_out(range);
        for start in starts {
            if let Some(region) = self.regions.remove(&start) {
                self.release_region(region, frames, true);
            }
        }
    }

    /// Unmaps the pages of `range` and drops their references, leaving the
    /// regions alone (the caller flushes).
    pub(crate) fn unmap_pages<A: FrameAllocator>(&mut self, range: VirtRange, frames: &mut A) {
        self.unmap_and_flush(range, frames);
    }

    /// Unmaps the pages of `range` in batches, and drops each batch's
    /// frame references only after the TLBs have forgotten them: until
    /// then another CPU running this space could still write through a
    /// stale entry into a frame handed out again.
    fn unmap_and_flush<A: FrameAllocator>(&mut self, range: VirtRange, frames: &mut A) {
        const BATCH: usize = 32;
        let mut cursor = range.start();
        loop {
            let mut batch = [crate::Frame(0); BATCH];
            let mut count = 0;
            let mut first = None;
            let mut last = cursor;
            let stopped = self
                .page_table
                .update_mapped(cursor, range.end(), |page, frame, _| {
                    if count == BATCH {
                        return Err(page);
                    }
                    batch[count] = frame;
                    count += 1;
                    first.get_or_insert(page);
                    last = page;
                    Ok(MappedAction::Unmap)
                });
            if let Some(first) = first {
                self.page_table
                    .flush_range(first, VirtAddr(last.0 + PAGE_SIZE));
            }
            for &frame in &batch[..count] {
                put_frame(frames, frame);
            }
            match stopped {
                Ok(()) => return,
                Err(next) => cursor = next,
            }
        }
    }

    /// Splits the regions straddling `range`'s ends and gives the starts
    /// of the regions now inside it.
    fn split_out(&mut self, range: VirtRange) -> Vec<u64> {
        self.split_at(range.start());
        self.split_at(range.end());
        self.regions
            .range(range.start().0..range.end().0)
            .map(|(start, _)| *start)
            .collect()
    }

    /// Removes the regions inside `range` (split at its ends) without
    /// touching pages: for a caller that has moved them, and whose new
    /// region keeps any VM object alive.
    pub(crate) fn detach_range(&mut self, range: VirtRange) {
        let starts = self.split_out(range);
        for start in starts {
            self.regions.remove(&start);
        }
    }

    /// Unmaps a removed region's pages (flushing each if `flush_each`) and
    /// releases its object if this was the last region using it.
    fn release_region<A: FrameAllocator>(
        &mut self,
        region: Region,
        frames: &mut A,
        flush_each: bool,
    ) {
        if flush_each {
            self.unmap_and_flush(region.range, frames);
        } else {
            let _ = self.page_table.update_mapped(
                region.range.start(),
                region.range.end(),
                |_, frame, _| {
                    put_frame(frames, frame);
                    Ok::<_, core::convert::Infallible>(MappedAction::Unmap)
                },
            );
        }
        if let Backing::Object { object, .. } = region.backing
            && let Some(object) = Arc::into_inner(object)
        {
            object.release(frames);
        }
    }
}

/// `[addr, addr + len)` rounded out to whole pages, checked as the calls
/// on existing mappings (`munmap`, `mprotect`, `madvise`, `mincore`) check
/// it: `EINVAL` for an unaligned `addr`, `None` for a zero length, and
/// `outside` (each call's errno) for a range that overflows or leaves
/// user space.
fn user_range(addr: VirtAddr, len: u64, outside: Errno) -> KernelResult<Option<VirtRange>> {
    if !addr.is_page_aligned() {
        return Err(Errno::EINVAL);
    }
    if len == 0 {
        return Ok(None);
    }
    let end = addr
        .0
        .checked_add(len)
        .and_then(page_align_up)
        .filter(|end| *end <= USER_SPACE_END)
        .ok_or(outside)?;
    VirtRange::new(addr, VirtAddr(end)).map(Some).ok_or(outside)
}

/// `[addr, addr + len)` grown to whole pages, as `mlock` takes it (`addr`
/// need not be aligned); `None` for a zero length, `ENOMEM` past user
/// space.
pub(crate) fn page_span(addr: VirtAddr, len: u64) -> KernelResult<Option<VirtRange>> {
    let start = addr.page_start();
    let len = len.checked_add(addr.0 - start.0).ok_or(Errno::ENOMEM)?;
    if len == 0 {
        return Ok(None);
    }
    user_range(start, len, Errno::ENOMEM)
}

/// The range of a fixed mapping at `addr`, checked as `mmap` does.
fn fixed_range(addr: VirtAddr, len: u64) -> KernelResult<VirtRange> {
    if !addr.is_page_aligned() {
        return Err(Errno::EINVAL);
    }
    if addr.0 < MMAP_MIN_ADDR {
        return Err(Errno::EPERM);
    }
    let end = addr
        .0
        .checked_add(len)
        .filter(|end| *end <= USER_SPACE_END)
        .ok_or(Errno::ENOMEM)?;
    VirtRange::new(addr, VirtAddr(end)).ok_or(Errno::ENOMEM)
}

impl<P: PageTable> core::fmt::Debug for AddressSpace<P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list()
            .entries(self.regions.values().map(|r| (r.range, r.perms, r.name())))
            .finish()
    }
}
