//! Boot information: reading the loader's structures through the early
//! direct map and keeping one normalised copy for the kernel's lifetime.

use ::boot::cmdline::KernelOptions;
use ::boot::{BootInfo, PhysicalMemoryReader, ReadError};
use spin::Once;

use crate::boot::PHYSICAL_MEMORY_OFFSET;

/// How much physical memory the early page tables map at
/// [`PHYSICAL_MEMORY_OFFSET`].
const EARLY_DIRECT_MAP_BYTES: u64 = 4 << 30;

/// Reads physical memory through the early direct map.
struct EarlyPhysicalMemory;

impl PhysicalMemoryReader for EarlyPhysicalMemory {
    fn read(&self, address: u64, buffer: &mut [u8]) -> Result<(), ReadError> {
        let end = address.checked_add(buffer.len() as u64).ok_or(ReadError)?;
        if end > EARLY_DIRECT_MAP_BYTES {
            return Err(ReadError);
        }
        // SAFETY: the boot page tables map physical [0, 4 GiB) at
        // PHYSICAL_MEMORY_OFFSET, the range was checked to lie inside it, and
        // the loader's structures are not written concurrently.
        let source = unsafe {
            core::slice::from_raw_parts(
                (PHYSICAL_MEMORY_OFFSET + address) as *const u8,
                buffer.len(),
            )
        };
        buffer.copy_from_slice(source);
        Ok(())
    }
}

static BOOT_INFO: Once<BootInfo> = Once::new();

fn keep(result: Result<BootInfo, ::boot::BootInfoError>, what: &str) -> &'static BootInfo {
    match result {
        Ok(info) => BOOT_INFO.call_once(|| info),
        Err(error) => panic!("cannot read the {what} boot information: {error}"),
    }
}

/// Parses the PVH start info at `address`.
pub fn parse_pvh(address: u64) -> &'static BootInfo {
    keep(BootInfo::from_pvh(address, &EarlyPhysicalMemory), "PVH")
}

/// Parses the multiboot2 information at `address`.
pub fn parse_multiboot2(address: u64) -> &'static BootInfo {
    keep(
        BootInfo::from_multiboot2(address, &EarlyPhysicalMemory),
        "multiboot2",
    )
}

/// The boot information, once parsed.
pub fn get() -> Option<&'static BootInfo> {
    BOOT_INFO.get()
}

/// The kernel options from the command line (defaults before boot info).
pub fn options() -> KernelOptions<'static> {
    get().map_or_else(KernelOptions::default, |info| {
        KernelOptions::parse(info.command_line())
    })
}

/// Logs the memory map, modules and ignored options at debug level.
pub fn log_details(info: &BootInfo, options: &KernelOptions<'_>) {
    for region in info.memory_map() {
        log::debug!(
            "memory {:#014x}..{:#014x} {:?}",
            region.start,
            region.end(),
            region.kind
        );
    }
    for module in info.modules() {
        log::info!(
            "boot module at {:#x}, {} bytes, \"{}\"",
            module.start,
            module.length,
            module.cmdline.as_str()
        );
    }
    if let Some(rsdp) = info.acpi_rsdp {
        log::debug!("ACPI RSDP at {rsdp:#x}");
    }
    if let Some(name) = &info.bootloader_name {
        log::debug!("boot loader: {}", name.as_str());
    }
    for ignored in options.unknown() {
        log::warn!("command line: {ignored}");
    }
}
