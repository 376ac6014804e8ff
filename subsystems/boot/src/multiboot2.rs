//! Multiboot2 boot information, as GRUB passes it in `ebx`.
//!
//! Layout: `total_size u32, reserved u32`, then tags `{type u32, size u32,
//! payload}` each starting 8-byte aligned, until a tag of type 0. `size`
//! counts the 8-byte tag header but not the padding.
//!
//! Every tag is checked against `total_size` before it is read and each step
//! advances by at least 8 bytes, so malformed information ends in an error,
//! never a panic or an endless loop.

use crate::acpi::{RSDP_V2_SIZE, Rsdp};
use crate::boot_info::{BOOTLOADER_NAME_CAPACITY, BootInfo, BootProtocol, COMMAND_LINE_CAPACITY};
use crate::error::BootInfoError;
use crate::framebuffer::{ColorChannel, Framebuffer, FramebufferKind};
use crate::memory_map::{MAX_MEMORY_REGIONS, MemoryKind, MemoryRegion, RawRegions};
use crate::memory_reader::{Physical, PhysicalMemoryReader, le_u32, le_u64};
use crate::module::{BootModule, MODULE_CMDLINE_CAPACITY};

/// The value a multiboot2 loader leaves in `eax`.
pub const MULTIBOOT2_BOOTLOADER_MAGIC: u32 = 0x36d7_6289;

/// Largest `total_size` accepted. GRUB's information is a few KiB (an EFI
/// memory map tag is the biggest part); the bound keeps garbage from making
/// the parser walk gigabytes.
pub const MULTIBOOT2_MAX_INFO_SIZE: u32 = 1 << 20;

const TAG_END: u32 = 0;
const TAG_CMDLINE: u32 = 1;
const TAG_BOOTLOADER_NAME: u32 = 2;
const TAG_MODULE: u32 = 3;
const TAG_BASIC_MEMINFO: u32 = 4;
const TAG_MMAP: u32 = 6;
const TAG_FRAMEBUFFER: u32 = 8;
const TAG_ACPI_OLD: u32 = 14;
const TAG_ACPI_NEW: u32 = 15;

const TAG_HEADER_SIZE: u32 = 8;
/// A memory map entry: base_addr u64, length u64, type u32, reserved u32.
const MMAP_ENTRY_SIZE: u32 = 24;
/// Framebuffer tag up to and including the colour channel layout of type 1.
const FRAMEBUFFER_RGB_TAG_SIZE: u32 = 38;
/// Framebuffer tag up to and including `framebuffer_type`.
const FRAMEBUFFER_TAG_MIN_SIZE: u32 = 30;

/// One tag's header, with its place in the information.
#[derive(Clone, Copy)]
struct Tag {
    kind: u32,
    size: u32,
    offset: u32,
    /// Physical address of the tag header.
    addr: u64,
}

impl Tag {
    fn payload_addr(&self) -> u64 {
        // Cannot wrap: the whole tag was checked to lie inside the info.
        self.addr + u64::from(TAG_HEADER_SIZE)
    }

    fn payload_len(&self) -> u32 {
        self.size - TAG_HEADER_SIZE
    }

    /// An error unless the tag is at least `size` bytes long.
    fn require(&self, size: u32) -> Result<(), BootInfoError> {
        if self.size < size {
            return Err(self.malformed());
        }
        Ok(())
    }

    fn malformed(&self) -> BootInfoError {
        BootInfoError::BadTag {
            tag_type: self.kind,
            size: self.size,
            offset: self.offset,
        }
    }
}

/// What the walk found that needs a decision after all tags are seen.
#[derive(Default)]
struct Seen {
    cmdline: bool,
    memory_map: bool,
    new_rsdp: bool,
    /// `mem_lower` and `mem_upper` in KiB, from the basic memory info tag.
    basic_meminfo: Option<(u32, u32)>,
}

pub(crate) fn parse<M: PhysicalMemoryReader + ?Sized>(
    addr: u64,
    mem: &M,
) -> Result<BootInfo, BootInfoError> {
    if addr % 8 != 0 {
        return Err(BootInfoError::Misaligned { addr });
    }
    let phys = Physical::new(mem);
    let total_size = phys.u32(addr)?;
    // The fixed header plus an end tag at the least.
    if !(16..=MULTIBOOT2_MAX_INFO_SIZE).contains(&total_size) {
        return Err(BootInfoError::BadTotalSize { total_size });
    }
    Physical::<M>::offset(addr, u64::from(total_size))?;

    let mut info = BootInfo::empty(BootProtocol::Multiboot2);
    let mut raw_map = RawRegions::new();
    let mut seen = Seen::default();
    let mut offset: u32 = 8;
    loop {
        if total_size - offset < TAG_HEADER_SIZE {
            return Err(BootInfoError::MissingEndTag);
        }
        let tag_addr = addr + u64::from(offset);
        let header: [u8; 8] = phys.array(tag_addr)?;
        let tag = Tag {
            kind: le_u32(&header, 0),
            size: le_u32(&header, 4),
            offset,
            addr: tag_addr,
        };
        if tag.size < TAG_HEADER_SIZE || tag.size > total_size - offset {
            return Err(tag.malformed());
        }
        match tag.kind {
            TAG_END => break,
            TAG_CMDLINE if !seen.cmdline => {
                seen.cmdline = true;
                let (text, complete) = phys.c_string::<COMMAND_LINE_CAPACITY>(
                    tag.payload_addr(),
                    u64::from(tag.payload_len()),
                )?;
                info.set_command_line(text, complete);
            }
            TAG_BOOTLOADER_NAME if info.bootloader_name.is_none() => {
                let (name, _) = phys.c_string::<BOOTLOADER_NAME_CAPACITY>(
                    tag.payload_addr(),
                    u64::from(tag.payload_len()),
                )?;
                info.bootloader_name = Some(name);
            }
            TAG_MODULE => info.push_module(read_module(&phys, &tag)?)?,
            TAG_BASIC_MEMINFO => {
                tag.require(16)?;
                let fields: [u8; 8] = phys.array(tag.payload_addr())?;
                seen.basic_meminfo = Some((le_u32(&fields, 0), le_u32(&fields, 4)));
            }
            TAG_MMAP if !seen.memory_map => {
                seen.memory_map = true;
                read_memory_map(&phys, &tag, &mut raw_map)?;
            }
            TAG_FRAMEBUFFER => info.framebuffer = Some(read_framebuffer(&phys, &tag)?),
            TAG_ACPI_OLD | TAG_ACPI_NEW => {
                let is_new = tag.kind == TAG_ACPI_NEW;
                // An ACPI 2.0 copy wins over a 1.0 one, whatever the order.
                if is_new || !seen.new_rsdp {
                    seen.new_rsdp |= is_new;
                    info.acpi_rsdp = Some(tag.payload_addr());
                    info.rsdp = read_rsdp_copy(&phys, &tag)?;
                }
            }
            _ => {}
        }
        // `size <= total_size - offset <= 1 MiB`, so this cannot overflow;
        // it advances by at least 8.
        offset += tag.size.next_multiple_of(8);
        if offset > total_size {
            return Err(BootInfoError::MissingEndTag);
        }
    }

    if !seen.memory_map {
        let (mem_lower, mem_upper) = seen.basic_meminfo.ok_or(BootInfoError::MemoryMapMissing)?;
        raw_map.push(MemoryRegion {
            start: 0,
            length: u64::from(mem_lower) * 1024,
            kind: MemoryKind::Usable,
        })?;
        raw_map.push(MemoryRegion {
            start: 0x10_0000,
            length: u64::from(mem_upper) * 1024,
            kind: MemoryKind::Usable,
        })?;
    }
    info.set_memory_map(raw_map.normalise()?);
    Ok(info)
}

/// Tag 3: mod_start u32, mod_end u32 (exclusive, as GRUB writes it), then
/// the NUL-terminated command line.
fn read_module<M: PhysicalMemoryReader + ?Sized>(
    phys: &Physical<'_, M>,
    tag: &Tag,
) -> Result<BootModule, BootInfoError> {
    tag.require(16)?;
    let bounds: [u8; 8] = phys.array(tag.payload_addr())?;
    let start = u64::from(le_u32(&bounds, 0));
    let end = u64::from(le_u32(&bounds, 4));
    if end < start {
        return Err(BootInfoError::BadModule { start, end });
    }
    let (cmdline, _) = phys.c_string::<MODULE_CMDLINE_CAPACITY>(
        tag.payload_addr() + 8,
        u64::from(tag.payload_len() - 8),
    )?;
    Ok(BootModule {
        start,
        length: end - start,
        cmdline,
    })
}

/// Tag 6: entry_size u32, entry_version u32, then entries of `entry_size`
/// bytes each (only the first 24 are defined).
fn read_memory_map<M: PhysicalMemoryReader + ?Sized>(
    phys: &Physical<'_, M>,
    tag: &Tag,
    raw: &mut RawRegions,
) -> Result<(), BootInfoError> {
    tag.require(16)?;
    let header: [u8; 8] = phys.array(tag.payload_addr())?;
    let entry_size = le_u32(&header, 0);
    if entry_size < MMAP_ENTRY_SIZE {
        return Err(BootInfoError::BadMemoryMapEntrySize { entry_size });
    }
    let count = (tag.size - 16) / entry_size;
    if count as usize > MAX_MEMORY_REGIONS {
        return Err(BootInfoError::TooManyMemoryRegions);
    }
    let entries_addr = tag.payload_addr() + 8;
    for index in 0..u64::from(count) {
        let entry: [u8; MMAP_ENTRY_SIZE as usize] =
            phys.array(entries_addr + index * u64::from(entry_size))?;
        // Multiboot2 calls type 1 "available" and every unlisted type
        // reserved; the E820 numbering is the same.
        raw.push(MemoryRegion {
            start: le_u64(&entry, 0),
            length: le_u64(&entry, 8),
            kind: MemoryKind::from_e820(le_u32(&entry, 16)),
        })?;
    }
    Ok(())
}

/// Tag 8: addr u64, pitch u32, width u32, height u32, bpp u8, type u8,
/// reserved u16, then colour information that depends on the type.
fn read_framebuffer<M: PhysicalMemoryReader + ?Sized>(
    phys: &Physical<'_, M>,
    tag: &Tag,
) -> Result<Framebuffer, BootInfoError> {
    tag.require(FRAMEBUFFER_TAG_MIN_SIZE)?;
    let mut fields = [0u8; (FRAMEBUFFER_RGB_TAG_SIZE - TAG_HEADER_SIZE) as usize];
    let available = fields.len().min(tag.payload_len() as usize);
    phys.bytes(tag.payload_addr(), &mut fields[..available])?;
    let kind = match fields[21] {
        0 => FramebufferKind::Indexed,
        1 => {
            tag.require(FRAMEBUFFER_RGB_TAG_SIZE)?;
            let channel = |at: usize| ColorChannel {
                position: fields[at],
                size: fields[at + 1],
            };
            FramebufferKind::Rgb {
                red: channel(24),
                green: channel(26),
                blue: channel(28),
            }
        }
        2 => FramebufferKind::EgaText,
        other => FramebufferKind::Unknown(other),
    };
    Ok(Framebuffer {
        address: le_u64(&fields, 0),
        pitch: le_u32(&fields, 8),
        width: le_u32(&fields, 12),
        height: le_u32(&fields, 16),
        bpp: fields[20],
        kind,
    })
}

/// Tags 14 and 15: a byte copy of the RSDP (20 or 36 bytes).
fn read_rsdp_copy<M: PhysicalMemoryReader + ?Sized>(
    phys: &Physical<'_, M>,
    tag: &Tag,
) -> Result<Option<Rsdp>, BootInfoError> {
    let mut bytes = [0u8; RSDP_V2_SIZE];
    let available = bytes.len().min(tag.payload_len() as usize);
    phys.bytes(tag.payload_addr(), &mut bytes[..available])?;
    Ok(Rsdp::parse(&bytes[..available]))
}
