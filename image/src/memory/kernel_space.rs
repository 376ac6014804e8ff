//! The kernel page table: the direct map and the kernel image, W^X.

use ::boot::BootInfo;
use abi::KernelResult;
use arch::paging::{KernelAccess, KernelPageTable, PHYSICAL_MEMORY_OFFSET};
use arch::sync::IrqMutex;
use spin::Once;

use super::frames::KernelFrames;
use crate::boot::KERNEL_VMA;

const GIB: u64 = 1 << 30;
const TWO_MIB: u64 = 2 << 20;
const PAGE: u64 = 4096;

static KERNEL_PAGE_TABLE: Once<IrqMutex<KernelPageTable>> = Once::new();

unsafe extern "C" {
    static __text_start: u8;
    static __text_end: u8;
    static __rodata_start: u8;
    static __rodata_end: u8;
    static __data_start: u8;
    static __kernel_end: u8;
}

fn address(symbol: *const u8) -> u64 {
    symbol as u64
}

/// The kernel page table, once built.
pub fn kernel_page_table() -> &'static IrqMutex<KernelPageTable> {
    KERNEL_PAGE_TABLE
        .get()
        .expect("the kernel page table is built during memory init")
}

fn map_image_range(
    table: &mut KernelPageTable,
    start: u64,
    end: u64,
    access: KernelAccess,
) -> KernelResult<()> {
    // The boot CPU's IST stacks (in .bss) have guard pages, left unmapped.
    let guards = arch::gdt::boot_ist_guard_pages();
    let mut virt = start & !(PAGE - 1);
    while virt < end {
        if !guards.contains(&virt) {
            table.map_4k(virt, virt - KERNEL_VMA, access, &mut KernelFrames)?;
        }
        virt += PAGE;
    }
    Ok(())
}

fn build(info: &BootInfo) -> KernelResult<KernelPageTable> {
    let mut table = KernelPageTable::new(&mut KernelFrames)?;

    // The direct map covers all RAM and, at least, the first 4 GiB where the
    // local APIC, IO-APIC and HPET live.
    let top = info
        .memory_map()
        .iter()
        .map(|r| r.end())
        .max()
        .unwrap_or(0)
        .max(4 * GIB)
        .div_ceil(GIB)
        * GIB;
    let features = arch::cpu::Features::detect();
    // The direct map's alias of the kernel image is read-only over text and
    // rodata (no way to patch the kernel through it), so the 2 MiB blocks
    // holding them are mapped page by page.
    let read_only = address(&raw const __text_start) - KERNEL_VMA
        ..address(&raw const __rodata_end).next_multiple_of(PAGE) - KERNEL_VMA;
    let small_pages_end = read_only.end.next_multiple_of(TWO_MIB);
    let mut physical = read_only.start & !(TWO_MIB - 1);
    while physical < small_pages_end {
        let access = if read_only.contains(&physical) {
            KernelAccess::ReadOnly
        } else {
            KernelAccess::ReadWrite
        };
        table.map_4k(
            PHYSICAL_MEMORY_OFFSET + physical,
            physical,
            access,
            &mut KernelFrames,
        )?;
        physical += PAGE;
    }
    let small_pages = (read_only.start & !(TWO_MIB - 1))..small_pages_end;
    let mut physical = 0;
    while physical < top {
        if small_pages.contains(&physical) {
            physical += TWO_MIB;
        } else if features.huge_pages_1g
            && physical % GIB == 0
            && !(physical..physical + GIB).contains(&small_pages.start)
        {
            table.map_1g(
                PHYSICAL_MEMORY_OFFSET + physical,
                physical,
                KernelAccess::ReadWrite,
                &mut KernelFrames,
            )?;
            physical += GIB;
        } else {
            table.map_2m(
                PHYSICAL_MEMORY_OFFSET + physical,
                physical,
                KernelAccess::ReadWrite,
                &mut KernelFrames,
            )?;
            physical += TWO_MIB;
        }
    }

    map_image_range(
        &mut table,
        address(&raw const __text_start),
        address(&raw const __text_end),
        KernelAccess::ReadExecute,
    )?;
    map_image_range(
        &mut table,
        address(&raw const __rodata_start),
        address(&raw const __rodata_end),
        KernelAccess::ReadOnly,
    )?;
    map_image_range(
        &mut table,
        address(&raw const __data_start),
        address(&raw const __kernel_end),
        KernelAccess::ReadWrite,
    )?;
    Ok(table)
}

/// Builds the kernel page table, switches to it, and turns on SMEP/SMAP.
pub fn init(info: &BootInfo) {
    let features = arch::cpu::Features::detect();
    arch::paging::set_nx_enabled(features.nx);
    let table = build(info).expect("enough memory for the kernel page table");
    table.activate();
    arch::cpu::enable_smep_smap(&features);
    log::debug!(
        "kernel page table active: NX {}, SMEP {}, SMAP {}",
        features.nx,
        features.smep,
        features.smap
    );
    KERNEL_PAGE_TABLE.call_once(|| IrqMutex::new(table));
}

/// The kernel page table's root (physical), for another CPU's CR3.
pub fn root_physical() -> u64 {
    kernel_page_table().lock().root().start().0
}

/// Puts this (application) processor on the kernel page table, with the
/// same NX, SMEP and SMAP settings as the boot processor.
pub fn activate_on_this_cpu() {
    let features = arch::cpu::Features::detect();
    kernel_page_table().lock().activate();
    arch::cpu::enable_smep_smap(&features);
}
