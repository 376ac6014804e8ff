//! x86_64 four-level page tables, behind `mm`'s [`PageTable`] and
//! [`PhysicalMemory`] traits.
//!
//! All physical memory is mapped at [`PHYSICAL_MEMORY_OFFSET`] (the direct
//! map), so a page-table frame is reached by adding the offset to its
//! physical address. The kernel half (PML4 entries 256..512) is built once at
//! boot with every PDPT pre-allocated ([`KernelPageTable`]); each user page
//! table copies those 256 entries, so kernel mappings made later are visible
//! in every address space without synchronisation.
//!
//! A user mapping without READ (`PROT_NONE`) is stored as a not-present entry
//! that keeps its frame and carries [`PROT_NONE_BIT`]: the CPU faults on any
//! access, and `mm` still finds the frame.

use bit_field::BitField;
use core::sync::atomic::{AtomicBool, Ordering};

use abi::{Errno, KernelResult};
use mm::{
    Frame, FrameAllocator, MappedAction, PAGE_SIZE, PageFlags, PageTable, PhysicalMemory, VirtAddr,
};
use x86_64::PhysAddr as X86PhysAddr;
use x86_64::registers::control::{Cr3, Cr3Flags};
use x86_64::structures::paging::{PageTable as X86Table, PageTableFlags as Flags, PhysFrame};

/// Where all physical memory is mapped in the kernel half.
pub const PHYSICAL_MEMORY_OFFSET: u64 = 0xffff_8000_0000_0000;

/// Software-available bit 9 marks a `PROT_NONE` entry (present bit clear).
pub const PROT_NONE_BIT: u64 = 1 << 9;

const ADDRESS_MASK: u64 = 0x000f_ffff_ffff_f000;
const KERNEL_HALF_FIRST_ENTRY: usize = 256;

static NX_ENABLED: AtomicBool = AtomicBool::new(false);

/// Records whether EFER.NXE is on, so leaf entries may carry NO_EXECUTE.
pub fn set_nx_enabled(enabled: bool) {
    NX_ENABLED.store(enabled, Ordering::Relaxed);
}

fn no_execute() -> Flags {
    if NX_ENABLED.load(Ordering::Relaxed) {
        Flags::NO_EXECUTE
    } else {
        Flags::empty()
    }
}

/// The kernel-half address of physical address `physical`.
pub const fn phys_to_virt(physical: u64) -> u64 {
    PHYSICAL_MEMORY_OFFSET + physical
}

fn table<'a>(frame: Frame) -> &'a mut X86Table {
    // SAFETY: every page-table frame is a frame this module allocated (or
    // the CPU's current root) and lives in the direct map; callers hold the
    // lock of the address space that owns the table, so no other reference
    // to it is live.
    unsafe { &mut *(phys_to_virt(frame.start().0) as *mut X86Table) }
}

/// The entries of `table` as the CPU reads them.
fn raw_entries(table: &X86Table) -> &[u64; 512] {
    // SAFETY: `PageTable` is `repr(C)` around `[PageTableEntry; 512]` and
    // `PageTableEntry` is `repr(transparent)` around `u64`; the shared
    // borrow of `table` covers the whole array.
    unsafe { &*(table as *const X86Table as *const [u64; 512]) }
}

/// The entries of `table`, to change as raw values.
fn raw_entries_mut(table: &mut X86Table) -> &mut [u64; 512] {
    // SAFETY: as in `raw_entries`; the exclusive borrow of `table` covers
    // the whole array.
    unsafe { &mut *(table as *mut X86Table as *mut [u64; 512]) }
}

/// The index of the first non-zero entry in `entries[from..to]`. The page
/// tables of a small process are mostly empty: whole groups of 32 are
/// skipped with a few vector ORs instead of 32 compares.
fn first_used(entries: &[u64; 512], from: usize, to: usize) -> Option<usize> {
    const GROUP: usize = 32;
    let to = to.min(entries.len());
    let mut index = from;
    while index < to && index % GROUP != 0 {
        if entries[index] != 0 {
            return Some(index);
        }
        index += 1;
    }
    while let Some(group) = entries.get(index..index + GROUP)
        && index + GROUP <= to
        && group.iter().fold(0, |any, &entry| any | entry) == 0
    {
        index += GROUP;
    }
    (index..to).find(|&index| entries[index] != 0)
}

fn entry_frame(raw: u64) -> Frame {
    Frame((raw & ADDRESS_MASK) >> 12)
}

/// Frames holding page tables, kernel and user (`PageTables` in
/// `/proc/meminfo`).
static TABLE_FRAMES: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// Bytes of memory in page tables now.
pub fn page_table_bytes() -> u64 {
    TABLE_FRAMES.load(core::sync::atomic::Ordering::Relaxed) * PAGE_SIZE
}

/// Zeroes one frame with 16-byte stores, sixteen per loop step: about
/// 300 instructions where the quadword `memset` takes 520 (every new
/// page table and every demand-zero page pays this).
fn zero_page(frame: Frame) {
    let start = phys_to_virt(frame.start().0);
    // SAFETY: `frame` is usable RAM inside the direct map that the caller
    // owns (just allocated, or held by `mm` while it asks); the start is
    // 4096-aligned, so every `movaps` is aligned; the kernel is built
    // with SSE and xmm0 is declared clobbered.
    unsafe {
        core::arch::asm!(
            "xorps xmm0, xmm0",
            "2:",
            "movaps [{p}], xmm0",
            "movaps [{p} + 16], xmm0",
            "movaps [{p} + 32], xmm0",
            "movaps [{p} + 48], xmm0",
            "movaps [{p} + 64], xmm0",
            "movaps [{p} + 80], xmm0",
            "movaps [{p} + 96], xmm0",
            "movaps [{p} + 112], xmm0",
            "movaps [{p} + 128], xmm0",
            "movaps [{p} + 144], xmm0",
            "movaps [{p} + 160], xmm0",
            "movaps [{p} + 176], xmm0",
            "movaps [{p} + 192], xmm0",
            "movaps [{p} + 208], xmm0",
            "movaps [{p} + 224], xmm0",
            "movaps [{p} + 240], xmm0",
            "add {p}, 256",
            "cmp {p}, {end}",
            "jne 2b",
            p = inout(reg) start => _,
            end = in(reg) start + PAGE_SIZE,
            out("xmm0") _,
            options(nostack),
        );
    }
}

fn new_table<A: FrameAllocator>(frames: &mut A) -> KernelResult<Frame> {
    let frame = frames.alloc_frame()?;
    zero_page(frame);
    TABLE_FRAMES.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
    Ok(frame)
}

fn indexes(page: VirtAddr) -> [usize; 4] {
    // Nine bits per level: PML4, PDPT, PD, PT.
    let a = page.0;
    [
        a.get_bits(39..48) as usize,
        a.get_bits(30..39) as usize,
        a.get_bits(21..30) as usize,
        a.get_bits(12..21) as usize,
    ]
}

fn is_active(root: Frame) -> bool {
    Cr3::read().0.start_address().as_u64() == root.start().0
}

/// Invalidates the TLB entry for `address` on this CPU.
pub fn flush_page(address: u64) {
    x86_64::instructions::tlb::flush(x86_64::VirtAddr::new_truncate(address));
}

/// Loads `root` into CR3 (switching address space and flushing the TLB of
/// non-global entries).
pub fn activate(root: Frame) {
    let frame = PhysFrame::containing_address(X86PhysAddr::new(root.start().0));
    // Published first: a shootdown for `root` issued from now on reaches
    // this CPU (at worst one flush too many).
    crate::percpu::set_active_root(root.start().0);
    // SAFETY: `root` is a complete PML4 whose kernel half is a copy of the
    // kernel's (or the kernel's own), so the code and stack running now stay
    // mapped across the switch.
    unsafe { Cr3::write(frame, Cr3Flags::empty()) };
}

/// The physical frame of the page table the CPU uses now.
pub fn active_root() -> Frame {
    Frame(Cr3::read().0.start_address().as_u64() >> 12)
}

/// The kernel's own page table: the kernel half every address space shares.
#[derive(Debug)]
pub struct KernelPageTable {
    root: Frame,
}

/// Permissions of a kernel mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelAccess {
    /// Read-only, not executable (rodata).
    ReadOnly,
    /// Read and write, not executable (data, stacks, the direct map).
    ReadWrite,
    /// Read and execute (text).
    ReadExecute,
}

impl KernelAccess {
    fn flags(self) -> Flags {
        let base = Flags::PRESENT | Flags::GLOBAL;
        match self {
            KernelAccess::ReadOnly => base | no_execute(),
            KernelAccess::ReadWrite => base | Flags::WRITABLE | no_execute(),
            KernelAccess::ReadExecute => base,
        }
    }
}

impl KernelPageTable {
    /// A new, empty kernel page table with all 256 kernel-half PDPTs
    /// allocated up front (see the module doc).
    pub fn new<A: FrameAllocator>(frames: &mut A) -> KernelResult<Self> {
        let root = new_table(frames)?;
        for index in KERNEL_HALF_FIRST_ENTRY..512 {
            let pdpt = new_table(frames)?;
            table(root)[index].set_addr(
                X86PhysAddr::new(pdpt.start().0),
                Flags::PRESENT | Flags::WRITABLE,
            );
        }
        Ok(Self { root })
    }

    /// The PML4's frame.
    pub fn root(&self) -> Frame {
        self.root
    }

    fn walk_create<A: FrameAllocator>(
        &mut self,
        address: u64,
        depth: usize,
        frames: &mut A,
    ) -> KernelResult<&'static mut X86Table> {
        let idx = indexes(VirtAddr(address));
        let mut current = self.root;
        for &index in &idx[..depth] {
            let entry = &mut table(current)[index];
            if entry.is_unused() {
                let next = new_table(frames)?;
                entry.set_addr(
                    X86PhysAddr::new(next.start().0),
                    Flags::PRESENT | Flags::WRITABLE,
                );
            } else if entry.flags().contains(Flags::HUGE_PAGE) {
                return Err(Errno::EEXIST);
            }
            current = entry_frame(entry.addr().as_u64());
        }
        Ok(table(current))
    }

    /// Maps the 4 KiB page at `virt` to physical `phys`.
    pub fn map_4k<A: FrameAllocator>(
        &mut self,
        virt: u64,
        phys: u64,
        access: KernelAccess,
        frames: &mut A,
    ) -> KernelResult<()> {
        let pt = self.walk_create(virt, 3, frames)?;
        pt[virt.get_bits(12..21) as usize].set_addr(X86PhysAddr::new(phys), access.flags());
        flush_page(virt);
        Ok(())
    }

    /// Removes the 4 KiB mapping at `virt`, returning its physical address.
    pub fn unmap_4k(&mut self, virt: u64) -> Option<u64> {
        let idx = indexes(VirtAddr(virt));
        let mut current = self.root;
        for &index in &idx[..3] {
            let entry = &table(current)[index];
            if entry.is_unused() || entry.flags().contains(Flags::HUGE_PAGE) {
                return None;
            }
            current = entry_frame(entry.addr().as_u64());
        }
        let entry = &mut table(current)[idx[3]];
        if entry.is_unused() {
            return None;
        }
        let phys = entry.addr().as_u64();
        entry.set_unused();
        flush_page(virt);
        Some(phys)
    }

    /// Changes the permissions of the 4 KiB mapping at `virt` and flushes
    /// its TLB entry on this CPU; `EFAULT` if `virt` has no 4 KiB mapping.
    pub fn set_access_4k(&mut self, virt: u64, access: KernelAccess) -> KernelResult<()> {
        let idx = indexes(VirtAddr(virt));
        let mut current = self.root;
        for &index in &idx[..3] {
            let entry = &table(current)[index];
            if entry.is_unused() || entry.flags().contains(Flags::HUGE_PAGE) {
                return Err(Errno::EFAULT);
            }
            current = entry_frame(entry.addr().as_u64());
        }
        let entry = &mut table(current)[idx[3]];
        if entry.is_unused() {
            return Err(Errno::EFAULT);
        }
        entry.set_flags(access.flags());
        flush_page(virt);
        Ok(())
    }

    /// Maps the 2 MiB page at `virt` (aligned) to `phys` (aligned).
    pub fn map_2m<A: FrameAllocator>(
        &mut self,
        virt: u64,
        phys: u64,
        access: KernelAccess,
        frames: &mut A,
    ) -> KernelResult<()> {
        self.map_huge(virt, phys, access, 2, frames)
    }

    /// Maps the 1 GiB page at `virt` (aligned) to `phys` (aligned).
    pub fn map_1g<A: FrameAllocator>(
        &mut self,
        virt: u64,
        phys: u64,
        access: KernelAccess,
        frames: &mut A,
    ) -> KernelResult<()> {
        self.map_huge(virt, phys, access, 1, frames)
    }

    /// A huge leaf at `depth` (1: PDPT, 1 GiB; 2: PD, 2 MiB).
    fn map_huge<A: FrameAllocator>(
        &mut self,
        virt: u64,
        phys: u64,
        access: KernelAccess,
        depth: usize,
        frames: &mut A,
    ) -> KernelResult<()> {
        let table = self.walk_create(virt, depth, frames)?;
        table[indexes(VirtAddr(virt))[depth]]
            .set_addr(X86PhysAddr::new(phys), access.flags() | Flags::HUGE_PAGE);
        Ok(())
    }

    /// The raw leaf entry (physical address and flag bits) mapping `virt`,
    /// following huge pages; `None` if unmapped.
    pub fn leaf_entry(&self, virt: u64) -> Option<u64> {
        let idx = indexes(VirtAddr(virt));
        let mut current = self.root;
        for &index in &idx[..3] {
            let entry = &table(current)[index];
            if entry.is_unused() {
                return None;
            }
            if entry.flags().contains(Flags::HUGE_PAGE) {
                return Some(entry.addr().as_u64() | entry.flags().bits());
            }
            current = entry_frame(entry.addr().as_u64());
        }
        let entry = &table(current)[idx[3]];
        (!entry.is_unused()).then(|| entry.addr().as_u64() | entry.flags().bits())
    }

    /// Switches this CPU to the kernel page table.
    pub fn activate(&self) {
        activate(self.root);
    }

    /// A new user page table sharing this kernel half.
    pub fn new_user_table<A: FrameAllocator>(
        &self,
        frames: &mut A,
    ) -> KernelResult<HardwarePageTable> {
        let root = new_table(frames)?;
        let kernel = table(self.root);
        let user = table(root);
        for index in KERNEL_HALF_FIRST_ENTRY..512 {
            user[index] = kernel[index].clone();
        }
        Ok(HardwarePageTable { root })
    }
}

/// A user address space's page table (the lower half is its own).
#[derive(Debug)]
pub struct HardwarePageTable {
    root: Frame,
}

impl HardwarePageTable {
    /// The PML4's frame, for CR3.
    pub fn root(&self) -> Frame {
        self.root
    }

    /// Makes this the CPU's page table.
    pub fn activate(&self) {
        activate(self.root);
    }

    fn leaf(
        &self,
        page: VirtAddr,
    ) -> Option<&'static mut x86_64::structures::paging::page_table::PageTableEntry> {
        let idx = indexes(page);
        let mut current = self.root;
        for &index in &idx[..3] {
            let entry = &table(current)[index];
            if entry.is_unused() || entry.flags().contains(Flags::HUGE_PAGE) {
                return None;
            }
            current = entry_frame(entry.addr().as_u64());
        }
        Some(&mut table(current)[idx[3]])
    }

    fn leaf_raw(flags: PageFlags, frame: Frame) -> u64 {
        let address = frame.start().0;
        if !flags.contains(PageFlags::READ) {
            return address | PROT_NONE_BIT;
        }
        let mut bits = Flags::PRESENT | Flags::USER_ACCESSIBLE;
        if flags.contains(PageFlags::WRITE) {
            bits |= Flags::WRITABLE;
        }
        if !flags.contains(PageFlags::EXEC) {
            bits |= no_execute();
        }
        address | bits.bits()
    }

    fn decode(raw: u64) -> Option<(Frame, PageFlags)> {
        if raw & Flags::PRESENT.bits() == 0 {
            return (raw & PROT_NONE_BIT != 0).then(|| (entry_frame(raw), PageFlags::empty()));
        }
        let mut flags = PageFlags::READ;
        if raw & Flags::WRITABLE.bits() != 0 {
            flags |= PageFlags::WRITE;
        }
        if raw & Flags::NO_EXECUTE.bits() == 0 {
            flags |= PageFlags::EXEC;
        }
        Some((entry_frame(raw), flags))
    }

    /// Calls `visit` with each used leaf entry of `[from, end)` and its
    /// page, in order, until it returns `false`; absent subtrees and empty
    /// groups of entries are skipped.
    fn walk_mapped(
        &self,
        from: VirtAddr,
        end: VirtAddr,
        mut visit: impl FnMut(VirtAddr, &mut u64) -> bool,
    ) {
        let mut address = from.page_start().0;
        let end = end.0.min(mm::USER_SPACE_END);
        while address < end {
            let idx = indexes(VirtAddr(address));
            let mut current = self.root;
            let mut skipped = false;
            for (level, &index) in idx[..3].iter().enumerate() {
                let entry = &table(current)[index];
                if entry.is_unused() {
                    // Jump to the start of the next subtree at this level.
                    let span = 1u64 << (39 - 9 * level);
                    address = (address & !(span - 1)) + span;
                    skipped = true;
                    break;
                }
                current = entry_frame(entry.addr().as_u64());
            }
            if skipped {
                continue;
            }
            let leaves = raw_entries_mut(table(current));
            // This leaf table covers 512 pages from `base`; scan the ones
            // below `end`.
            let base = address - idx[3] as u64 * PAGE_SIZE;
            let last = (end - base).div_ceil(PAGE_SIZE).min(512) as usize;
            let mut index = idx[3];
            while let Some(found) = first_used(leaves, index, last) {
                if !visit(
                    VirtAddr(base + found as u64 * PAGE_SIZE),
                    &mut leaves[found],
                ) {
                    return;
                }
                index = found + 1;
            }
            address = base + last as u64 * PAGE_SIZE;
        }
    }
}

/// Runs a local flush and the shootdown of the other CPUs with interrupts
/// off: a thread moved between the two would flush one CPU and then spare
/// another, its new one, which may hold the old entry (it ran this space
/// before, and a switch between threads of one space keeps the TLB).
/// The shootdown's wait services other CPUs' requests while it spins.
fn on_one_cpu(flush: impl FnOnce()) {
    x86_64::instructions::interrupts::without_interrupts(flush)
}

fn set_raw(entry: &mut x86_64::structures::paging::page_table::PageTableEntry, raw: u64) {
    entry.set_addr(
        X86PhysAddr::new(raw & ADDRESS_MASK),
        Flags::from_bits_retain(raw & !ADDRESS_MASK),
    );
}

impl PageTable for HardwarePageTable {
    fn map<A: FrameAllocator>(
        &mut self,
        page: VirtAddr,
        frame: Frame,
        flags: PageFlags,
        frames: &mut A,
    ) -> KernelResult<()> {
        if page.0 >= mm::USER_SPACE_END || !page.is_page_aligned() {
            return Err(Errno::EFAULT);
        }
        let idx = indexes(page);
        let mut current = self.root;
        for &index in &idx[..3] {
            let entry = &mut table(current)[index];
            if entry.is_unused() {
                let next = new_table(frames)?;
                entry.set_addr(
                    X86PhysAddr::new(next.start().0),
                    Flags::PRESENT | Flags::WRITABLE | Flags::USER_ACCESSIBLE,
                );
            }
            current = entry_frame(entry.addr().as_u64());
        }
        let entry = &mut table(current)[idx[3]];
        let replaced = !entry.is_unused();
        set_raw(entry, Self::leaf_raw(flags, frame));
        // Another CPU may cache the entry replaced (a copy-on-write break
        // swaps the frame under a thread running elsewhere).
        let root = self.root;
        on_one_cpu(|| {
            if is_active(root) {
                flush_page(page.0);
            }
            if replaced {
                crate::tlb::shootdown_user_range(root.start().0, page.0, 1);
            }
        });
        Ok(())
    }

    fn unmap(&mut self, page: VirtAddr) -> Option<Frame> {
        let entry = self.leaf(page)?;
        let (frame, _) = Self::decode(entry.flags().bits() | entry.addr().as_u64())?;
        entry.set_unused();
        Some(frame)
    }

    fn protect(&mut self, page: VirtAddr, flags: PageFlags) -> bool {
        let Some(entry) = self.leaf(page) else {
            return false;
        };
        let Some((frame, _)) = Self::decode(entry.flags().bits() | entry.addr().as_u64()) else {
            return false;
        };
        set_raw(entry, Self::leaf_raw(flags, frame));
        true
    }

    fn translate(&self, page: VirtAddr) -> Option<(Frame, PageFlags)> {
        let entry = self.leaf(page)?;
        Self::decode(entry.flags().bits() | entry.addr().as_u64())
    }

    fn next_mapped(&self, from: VirtAddr, end: VirtAddr) -> Option<(VirtAddr, Frame, PageFlags)> {
        let mut first = None;
        self.walk_mapped(from, end, |page, entry| match Self::decode(*entry) {
            Some((frame, flags)) => {
                first = Some((page, frame, flags));
                false
            }
            None => true,
        });
        first
    }

    fn update_mapped<E>(
        &mut self,
        from: VirtAddr,
        end: VirtAddr,
        mut visit: impl FnMut(VirtAddr, Frame, PageFlags) -> Result<MappedAction, E>,
    ) -> Result<(), E> {
        let mut outcome = Ok(());
        self.walk_mapped(from, end, |page, entry| {
            let Some((frame, flags)) = Self::decode(*entry) else {
                return true;
            };
            match visit(page, frame, flags) {
                Ok(MappedAction::Keep) => {}
                Ok(MappedAction::Protect(new)) => *entry = Self::leaf_raw(new, frame),
                Ok(MappedAction::Unmap) => *entry = 0,
                Err(error) => {
                    outcome = Err(error);
                    return false;
                }
            }
            true
        });
        outcome
    }

    fn flush(&mut self, page: VirtAddr) {
        let root = self.root;
        on_one_cpu(|| {
            if is_active(root) {
                flush_page(page.0);
            }
            crate::tlb::shootdown_user_range(root.start().0, page.0, 1);
        });
    }

    fn flush_all(&mut self) {
        let root = self.root;
        on_one_cpu(|| {
            if is_active(root) {
                activate(root);
            }
            crate::tlb::shootdown_user(root.start().0);
        });
    }

    /// Up to 32 pages are invalidated one by one here (Linux's
    /// `tlb_single_page_flush_ceiling` is 33), more by reloading the root;
    /// the other CPUs running this table do the same.
    fn flush_range(&mut self, from: VirtAddr, end: VirtAddr) {
        let pages = end.0.saturating_sub(from.0).div_ceil(PAGE_SIZE);
        let root = self.root;
        on_one_cpu(|| {
            if is_active(root) {
                if pages <= crate::tlb::MAX_RANGE_PAGES {
                    for page in 0..pages {
                        flush_page(from.0 + page * PAGE_SIZE);
                    }
                } else {
                    activate(root);
                }
            }
            crate::tlb::shootdown_user_range(root.start().0, from.0, pages);
        });
    }

    fn destroy<A: FrameAllocator>(self, frames: &mut A) {
        fn free<A: FrameAllocator>(frames: &mut A, frame: Frame) {
            if frames.dec_ref(frame) == Ok(0) {
                TABLE_FRAMES.fetch_sub(1, core::sync::atomic::Ordering::Relaxed);
            }
        }
        /// Each used entry's frame, in order.
        fn used(table_frame: Frame, to: usize) -> impl Iterator<Item = Frame> {
            let entries = raw_entries(table(table_frame));
            let mut from = 0;
            core::iter::from_fn(move || {
                let index = first_used(entries, from, to)?;
                from = index + 1;
                Some(entry_frame(entries[index]))
            })
        }
        for pdpt in used(self.root, KERNEL_HALF_FIRST_ENTRY) {
            for pd in used(pdpt, 512) {
                for leaves in used(pd, 512) {
                    free(frames, leaves);
                }
                free(frames, pd);
            }
            free(frames, pdpt);
        }
        free(frames, self.root);
    }
}

/// Physical memory reached through the direct map.
#[derive(Clone, Copy, Debug, Default)]
pub struct DirectMap;

impl DirectMap {
    fn bytes<'a>(frame: Frame) -> &'a mut [u8; PAGE_SIZE as usize] {
        // SAFETY: every frame `mm` hands us is usable RAM inside the direct
        // map; `mm` owns the frame (it holds a reference) while it asks us to
        // read or write it, so no other Rust reference aliases it.
        unsafe { &mut *(phys_to_virt(frame.start().0) as *mut [u8; PAGE_SIZE as usize]) }
    }
}

impl PhysicalMemory for DirectMap {
    fn zero_frame(&self, frame: Frame) {
        zero_page(frame);
    }

    fn copy_frame(&self, dst: Frame, src: Frame) {
        if dst == src {
            return;
        }
        // Straight from frame to frame (distinct, so the two references
        // do not alias), without a bounce through the stack.
        let source: &[u8; PAGE_SIZE as usize] = Self::bytes(src);
        Self::bytes(dst).copy_from_slice(source);
    }

    fn read_frame(&self, frame: Frame, offset: usize, buf: &mut [u8]) {
        let bytes = Self::bytes(frame);
        let end = (offset + buf.len()).min(bytes.len());
        let count = end.saturating_sub(offset);
        buf[..count].copy_from_slice(&bytes[offset..end]);
    }

    fn write_frame(&self, frame: Frame, offset: usize, data: &[u8]) {
        let bytes = Self::bytes(frame);
        let end = (offset + data.len()).min(bytes.len());
        let count = end.saturating_sub(offset);
        bytes[offset..end].copy_from_slice(&data[..count]);
    }
}
