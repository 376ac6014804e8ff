//! [`BootInfo`]: what either boot protocol told the kernel, normalised and
//! copied out of the loader's memory.

use crate::acpi::Rsdp;
use crate::error::BootInfoError;
use crate::fixed_string::FixedString;
use crate::framebuffer::Framebuffer;
use crate::memory_map::{MemoryMap, MemoryRegion};
use crate::memory_reader::PhysicalMemoryReader;
use crate::module::{BootModule, ModuleList};
use crate::{multiboot2, pvh};

/// Bytes of kernel command line kept; longer ones are cut (Linux cuts at
/// `COMMAND_LINE_SIZE` likewise).
pub const COMMAND_LINE_CAPACITY: usize = 4096;

/// Bytes of boot loader name kept.
pub const BOOTLOADER_NAME_CAPACITY: usize = 64;

/// The protocol the kernel was entered through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BootProtocol {
    /// Xen/QEMU PVH: `hvm_start_info` in `ebx`.
    Pvh,
    /// Multiboot2 (GRUB): the information structure in `ebx`, magic
    /// [`MULTIBOOT2_BOOTLOADER_MAGIC`](crate::MULTIBOOT2_BOOTLOADER_MAGIC) in `eax`.
    Multiboot2,
}

/// Everything the kernel needs from its boot loader, copied into fixed
/// capacity storage (no heap: it is parsed before the heap exists, and the
/// loader's structures may sit in memory the kernel reuses).
///
/// The value is about 12 KiB: keep it in a `static` or on a stack with room.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BootInfo {
    /// The protocol it came from.
    pub protocol: BootProtocol,
    memory_map: MemoryMap,
    modules: ModuleList,
    command_line: FixedString<COMMAND_LINE_CAPACITY>,
    /// Whether the command line was longer than [`COMMAND_LINE_CAPACITY`]
    /// bytes (or, for multiboot2, lacked its NUL) and was cut.
    pub command_line_truncated: bool,
    /// Physical address of an RSDP. PVH: `rsdp_paddr`, the firmware's own
    /// table. Multiboot2: the address of the *copy inside the multiboot2
    /// information* (tag 15 preferred over tag 14), valid only until the
    /// kernel reuses that memory; prefer [`BootInfo::rsdp`].
    pub acpi_rsdp: Option<u64>,
    /// The RSDP at [`BootInfo::acpi_rsdp`], validated and copied; `None` if
    /// absent or its signature or checksum is wrong.
    pub rsdp: Option<Rsdp>,
    /// The framebuffer (multiboot2 tag 8; PVH has none).
    pub framebuffer: Option<Framebuffer>,
    /// The boot loader's name (multiboot2 tag 2; PVH has none).
    pub bootloader_name: Option<FixedString<BOOTLOADER_NAME_CAPACITY>>,
}

impl BootInfo {
    /// Parses the PVH `hvm_start_info` at physical address `start_info_addr`.
    ///
    /// Needs version 1 or later (the memory map); QEMU's `-kernel` gives it.
    pub fn from_pvh(
        start_info_addr: u64,
        mem: &impl PhysicalMemoryReader,
    ) -> Result<BootInfo, BootInfoError> {
        pvh::parse(start_info_addr, mem)
    }

    /// Parses the multiboot2 information at physical address `info_addr`.
    /// The caller checks `eax` against
    /// [`MULTIBOOT2_BOOTLOADER_MAGIC`](crate::MULTIBOOT2_BOOTLOADER_MAGIC).
    pub fn from_multiboot2(
        info_addr: u64,
        mem: &impl PhysicalMemoryReader,
    ) -> Result<BootInfo, BootInfoError> {
        multiboot2::parse(info_addr, mem)
    }

    pub(crate) const fn empty(protocol: BootProtocol) -> BootInfo {
        BootInfo {
            protocol,
            memory_map: MemoryMap::new(),
            modules: ModuleList::new(),
            command_line: FixedString::new(),
            command_line_truncated: false,
            acpi_rsdp: None,
            rsdp: None,
            framebuffer: None,
            bootloader_name: None,
        }
    }

    pub(crate) fn set_memory_map(&mut self, map: MemoryMap) {
        self.memory_map = map;
    }

    pub(crate) fn push_module(&mut self, module: BootModule) -> Result<(), BootInfoError> {
        self.modules.push(module)
    }

    pub(crate) fn set_command_line(
        &mut self,
        text: FixedString<COMMAND_LINE_CAPACITY>,
        complete: bool,
    ) {
        self.command_line = text;
        self.command_line_truncated = !complete;
    }

    /// The normalised memory map: sorted by start, no overlaps, adjacent
    /// regions of one kind merged.
    pub fn memory_map(&self) -> &[MemoryRegion] {
        self.memory_map.regions()
    }

    /// The boot modules, in the loader's order.
    pub fn modules(&self) -> &[BootModule] {
        self.modules.as_slice()
    }

    /// The kernel command line ("" if none), invalid UTF-8 replaced by U+FFFD.
    pub fn command_line(&self) -> &str {
        self.command_line.as_str()
    }

    /// Total bytes of usable RAM in the memory map.
    pub fn usable_memory_bytes(&self) -> u64 {
        self.memory_map.usable_bytes()
    }

    /// The initial ramdisk: by convention the first module.
    pub fn initrd(&self) -> Option<&BootModule> {
        self.modules().first()
    }
}
