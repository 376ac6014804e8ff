//! Why boot information could not be parsed.

use abi::Errno;
use core::fmt;

/// Why [`BootInfo::from_pvh`](crate::BootInfo::from_pvh) or
/// [`BootInfo::from_multiboot2`](crate::BootInfo::from_multiboot2) failed.
///
/// Each variant carries what the kernel should print before it halts: boot
/// information is the one input the kernel cannot do without.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BootInfoError {
    /// The [`PhysicalMemoryReader`](crate::PhysicalMemoryReader) refused a
    /// read starting at `addr`.
    Unreadable {
        /// First physical address of the refused read.
        addr: u64,
    },
    /// An address computed from the boot information wraps past `u64::MAX`.
    AddressOverflow {
        /// The base address the computation started from.
        addr: u64,
    },
    /// The structure does not start with the protocol's magic number.
    BadMagic {
        /// The value found instead.
        found: u32,
    },
    /// PVH start info version 0 has no memory map (QEMU gives version 1).
    PvhMemoryMapMissing {
        /// The `hvm_start_info.version` found.
        version: u32,
    },
    /// A PVH start info names modules but gives no module list address.
    PvhModuleListMissing,
    /// The multiboot2 information is not 8-byte aligned.
    Misaligned {
        /// The address given.
        addr: u64,
    },
    /// The multiboot2 `total_size` is smaller than the header plus an end
    /// tag, not a multiple of 8, or larger than this crate accepts.
    BadTotalSize {
        /// The `total_size` found.
        total_size: u32,
    },
    /// A multiboot2 tag is smaller than its type requires (every tag is at
    /// least 8 bytes) or runs past `total_size`.
    BadTag {
        /// The tag's type.
        tag_type: u32,
        /// The tag's size field.
        size: u32,
        /// The tag's offset from the start of the information.
        offset: u32,
    },
    /// The multiboot2 tags reach `total_size` without an end tag.
    MissingEndTag,
    /// A multiboot2 memory map's `entry_size` is too small to hold an entry.
    BadMemoryMapEntrySize {
        /// The `entry_size` found.
        entry_size: u32,
    },
    /// Neither a memory map nor basic memory information was given.
    MemoryMapMissing,
    /// More memory regions than [`MAX_MEMORY_REGIONS`](crate::MAX_MEMORY_REGIONS)
    /// were given, or they do not fit once overlaps are resolved.
    TooManyMemoryRegions,
    /// More modules than [`MAX_MODULES`](crate::MAX_MODULES) were given.
    TooManyModules,
    /// A module ends before it starts.
    BadModule {
        /// The module's start address.
        start: u64,
        /// The module's (exclusive) end address.
        end: u64,
    },
}

impl BootInfoError {
    /// The errno that best describes this error, for callers that speak
    /// only [`Errno`].
    pub const fn errno(self) -> Errno {
        match self {
            BootInfoError::Unreadable { .. } | BootInfoError::AddressOverflow { .. } => {
                Errno::EFAULT
            }
            BootInfoError::TooManyMemoryRegions | BootInfoError::TooManyModules => Errno::E2BIG,
            _ => Errno::EINVAL,
        }
    }
}

impl From<BootInfoError> for Errno {
    fn from(error: BootInfoError) -> Errno {
        error.errno()
    }
}

impl fmt::Display for BootInfoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            BootInfoError::Unreadable { addr } => {
                write!(f, "cannot read boot information at {addr:#x}")
            }
            BootInfoError::AddressOverflow { addr } => {
                write!(f, "boot information address past {addr:#x} wraps")
            }
            BootInfoError::BadMagic { found } => write!(f, "bad boot magic {found:#x}"),
            BootInfoError::PvhMemoryMapMissing { version } => write!(
                f,
                "PVH start info version {version} has no memory map (need version 1)"
            ),
            BootInfoError::PvhModuleListMissing => {
                write!(f, "PVH start info has modules but no module list")
            }
            BootInfoError::Misaligned { addr } => {
                write!(
                    f,
                    "multiboot2 information at {addr:#x} is not 8-byte aligned"
                )
            }
            BootInfoError::BadTotalSize { total_size } => {
                write!(f, "bad multiboot2 total_size {total_size}")
            }
            BootInfoError::BadTag {
                tag_type,
                size,
                offset,
            } => write!(
                f,
                "bad multiboot2 tag type {tag_type} size {size} at offset {offset}"
            ),
            BootInfoError::MissingEndTag => write!(f, "multiboot2 information has no end tag"),
            BootInfoError::BadMemoryMapEntrySize { entry_size } => {
                write!(f, "bad memory map entry size {entry_size}")
            }
            BootInfoError::MemoryMapMissing => write!(f, "no memory map"),
            BootInfoError::TooManyMemoryRegions => {
                write!(f, "more than {} memory regions", crate::MAX_MEMORY_REGIONS)
            }
            BootInfoError::TooManyModules => {
                write!(f, "more than {} boot modules", crate::MAX_MODULES)
            }
            BootInfoError::BadModule { start, end } => {
                write!(
                    f,
                    "boot module ends at {end:#x} before it starts at {start:#x}"
                )
            }
        }
    }
}
