//! The on-disk ELF64 structures and constants, exactly as the System V ABI
//! lays them out (little endian, x86_64).
//!
//! These are plain ABI records read with `zerocopy`; nothing here is
//! validated. [`crate::ElfFile`] is the only thing that turns them into
//! trusted values.

use zerocopy::little_endian::{U16, U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

/// `\x7fELF`, the first four bytes of every ELF file.
pub const ELF_MAGIC: [u8; 4] = *b"\x7fELF";
/// `e_ident[EI_CLASS]` for 64-bit objects.
pub const ELFCLASS64: u8 = 2;
/// `e_ident[EI_DATA]` for little-endian objects.
pub const ELFDATA2LSB: u8 = 1;
/// The only ELF version (`EV_CURRENT`), in `e_ident[EI_VERSION]` and `e_version`.
pub const EV_CURRENT: u8 = 1;
/// `e_type` of a fixed-address executable.
pub const ET_EXEC: u16 = 2;
/// `e_type` of a position-independent object (static-PIE, PIE, `ld.so`).
pub const ET_DYN: u16 = 3;
/// `e_machine` for x86_64.
pub const EM_X86_64: u16 = 62;
/// `e_phnum` escape meaning "the real count is in section 0" (never accepted).
pub const PN_XNUM: u16 = 0xffff;

/// Program header type: loadable segment.
pub const PT_LOAD: u32 = 1;
/// Program header type: dynamic linking information.
pub const PT_DYNAMIC: u32 = 2;
/// Program header type: path of the program interpreter.
pub const PT_INTERP: u32 = 3;
/// Program header type: the program header table itself.
pub const PT_PHDR: u32 = 6;
/// Program header type: thread-local storage template (libc's business).
pub const PT_TLS: u32 = 7;
/// Program header type: stack permissions.
pub const PT_GNU_STACK: u32 = 0x6474_e551;

/// Segment flag: executable.
pub const PF_X: u32 = 1;
/// Segment flag: writable.
pub const PF_W: u32 = 2;
/// Segment flag: readable.
pub const PF_R: u32 = 4;

/// The ELF64 file header (`Elf64_Ehdr`), 64 bytes.
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout, Unaligned)]
#[repr(C)]
pub struct Elf64Header {
    /// Magic, class, data encoding, version, OS ABI and padding.
    pub e_ident: [u8; 16],
    /// Object file type (`ET_EXEC`, `ET_DYN`, ...).
    pub e_type: U16,
    /// Target machine.
    pub e_machine: U16,
    /// Object file version.
    pub e_version: U32,
    /// Entry point virtual address.
    pub e_entry: U64,
    /// File offset of the program header table.
    pub e_phoff: U64,
    /// File offset of the section header table.
    pub e_shoff: U64,
    /// Processor-specific flags.
    pub e_flags: U32,
    /// Size of this header.
    pub e_ehsize: U16,
    /// Size of one program header.
    pub e_phentsize: U16,
    /// Number of program headers.
    pub e_phnum: U16,
    /// Size of one section header.
    pub e_shentsize: U16,
    /// Number of section headers.
    pub e_shnum: U16,
    /// Section header index of the section name table.
    pub e_shstrndx: U16,
}

/// One ELF64 program header (`Elf64_Phdr`), 56 bytes.
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout, Unaligned)]
#[repr(C)]
pub struct Elf64ProgramHeader {
    /// Segment type (`PT_*`).
    pub p_type: U32,
    /// Segment flags (`PF_*`).
    pub p_flags: U32,
    /// File offset of the segment's first byte.
    pub p_offset: U64,
    /// Virtual address of the segment's first byte.
    pub p_vaddr: U64,
    /// Physical address (unused).
    pub p_paddr: U64,
    /// Bytes of the segment present in the file.
    pub p_filesz: U64,
    /// Bytes of the segment in memory (the rest is zero-filled).
    pub p_memsz: U64,
    /// Alignment.
    pub p_align: U64,
}

/// Size of [`Elf64Header`] in bytes.
pub const EHDR_SIZE: usize = core::mem::size_of::<Elf64Header>();
/// Size of [`Elf64ProgramHeader`] in bytes (the only `e_phentsize` accepted).
pub const PHDR_SIZE: usize = core::mem::size_of::<Elf64ProgramHeader>();

const _: () = assert!(EHDR_SIZE == 64);
const _: () = assert!(PHDR_SIZE == 56);
