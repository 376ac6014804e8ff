//! PVH boot: Xen's `struct hvm_start_info`
//! (`xen/include/public/arch-x86/hvm/start_info.h`), as QEMU's `-kernel`
//! passes it in `ebx`.
//!
//! Layout (all little endian): magic u32 @0, version u32 @4, flags u32 @8,
//! nr_modules u32 @12, modlist_paddr u64 @16, cmdline_paddr u64 @24,
//! rsdp_paddr u64 @32, and from version 1: memmap_paddr u64 @40,
//! memmap_entries u32 @48, reserved u32 @52.

use crate::acpi::read_rsdp;
use crate::boot_info::{BootInfo, BootProtocol, COMMAND_LINE_CAPACITY};
use crate::error::BootInfoError;
use crate::memory_map::{MAX_MEMORY_REGIONS, MemoryKind, MemoryRegion, RawRegions};
use crate::memory_reader::{Physical, PhysicalMemoryReader, le_u32, le_u64};
use crate::module::{BootModule, MAX_MODULES, MODULE_CMDLINE_CAPACITY};

/// `hvm_start_info.magic`: "xEn3" with the top bit of the last byte set.
pub const PVH_START_INFO_MAGIC: u32 = 0x336e_c578;

/// Size of `hvm_start_info` version 1.
const START_INFO_V1_SIZE: usize = 56;
/// Size of `hvm_modlist_entry`: paddr u64, size u64, cmdline_paddr u64, reserved u64.
const MODLIST_ENTRY_SIZE: u64 = 32;
/// Size of `hvm_memmap_table_entry`: addr u64, size u64, type u32, reserved u32.
const MEMMAP_ENTRY_SIZE: u64 = 24;

pub(crate) fn parse<M: PhysicalMemoryReader + ?Sized>(
    addr: u64,
    mem: &M,
) -> Result<BootInfo, BootInfoError> {
    let phys = Physical::new(mem);
    let magic = phys.u32(addr)?;
    if magic != PVH_START_INFO_MAGIC {
        return Err(BootInfoError::BadMagic { found: magic });
    }
    let version = phys.u32(Physical::<M>::offset(addr, 4)?)?;
    if version == 0 {
        return Err(BootInfoError::PvhMemoryMapMissing { version });
    }
    let start_info: [u8; START_INFO_V1_SIZE] = phys.array(addr)?;
    let nr_modules = le_u32(&start_info, 12);
    let modlist_paddr = le_u64(&start_info, 16);
    let cmdline_paddr = le_u64(&start_info, 24);
    let rsdp_paddr = le_u64(&start_info, 32);
    let memmap_paddr = le_u64(&start_info, 40);
    let memmap_entries = le_u32(&start_info, 48);

    let mut info = BootInfo::empty(BootProtocol::Pvh);

    if memmap_paddr == 0 || memmap_entries == 0 {
        return Err(BootInfoError::PvhMemoryMapMissing { version });
    }
    if memmap_entries as usize > MAX_MEMORY_REGIONS {
        return Err(BootInfoError::TooManyMemoryRegions);
    }
    let mut raw = RawRegions::new();
    for index in 0..u64::from(memmap_entries) {
        let entry_addr = Physical::<M>::offset(memmap_paddr, index * MEMMAP_ENTRY_SIZE)?;
        let entry: [u8; MEMMAP_ENTRY_SIZE as usize] = phys.array(entry_addr)?;
        raw.push(MemoryRegion {
            start: le_u64(&entry, 0),
            length: le_u64(&entry, 8),
            kind: MemoryKind::from_e820(le_u32(&entry, 16)),
        })?;
    }
    info.set_memory_map(raw.normalise()?);

    if cmdline_paddr != 0 {
        let (text, complete) = phys.c_string::<COMMAND_LINE_CAPACITY>(cmdline_paddr, u64::MAX)?;
        info.set_command_line(text, complete);
    }

    if rsdp_paddr != 0 {
        info.acpi_rsdp = Some(rsdp_paddr);
        info.rsdp = read_rsdp(&phys, rsdp_paddr);
    }

    if nr_modules as usize > MAX_MODULES {
        return Err(BootInfoError::TooManyModules);
    }
    if nr_modules != 0 && modlist_paddr == 0 {
        return Err(BootInfoError::PvhModuleListMissing);
    }
    for index in 0..u64::from(nr_modules) {
        let entry_addr = Physical::<M>::offset(modlist_paddr, index * MODLIST_ENTRY_SIZE)?;
        let entry: [u8; MODLIST_ENTRY_SIZE as usize] = phys.array(entry_addr)?;
        let start = le_u64(&entry, 0);
        let length = le_u64(&entry, 8);
        let module_cmdline = le_u64(&entry, 16);
        if start.checked_add(length).is_none() {
            return Err(BootInfoError::BadModule {
                start,
                end: start.wrapping_add(length),
            });
        }
        let cmdline = if module_cmdline == 0 {
            Default::default()
        } else {
            phys.c_string::<MODULE_CMDLINE_CAPACITY>(module_cmdline, u64::MAX)?
                .0
        };
        info.push_module(BootModule {
            start,
            length,
            cmdline,
        })?;
    }
    Ok(info)
}
