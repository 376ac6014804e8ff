//! Hand-built ELF images for the tests.

#![allow(dead_code)]

use elf::raw::{
    EHDR_SIZE, ET_EXEC, Elf64Header, Elf64ProgramHeader, PF_R, PF_W, PF_X, PHDR_SIZE, PT_GNU_STACK,
    PT_LOAD,
};
use zerocopy::IntoBytes;
use zerocopy::little_endian::{U16, U32, U64};

/// A program header to write.
#[derive(Clone, Copy, Debug)]
pub struct Ph {
    pub p_type: u32,
    pub flags: u32,
    pub offset: u64,
    pub vaddr: u64,
    pub filesz: u64,
    pub memsz: u64,
}

impl Ph {
    pub fn load(flags: u32, offset: u64, vaddr: u64, filesz: u64, memsz: u64) -> Ph {
        Ph {
            p_type: PT_LOAD,
            flags,
            offset,
            vaddr,
            filesz,
            memsz,
        }
    }

    pub fn other(p_type: u32, flags: u32, offset: u64, vaddr: u64, size: u64) -> Ph {
        Ph {
            p_type,
            flags,
            offset,
            vaddr,
            filesz: size,
            memsz: size,
        }
    }
}

/// A valid x86_64 file header for `e_type` with `phnum` headers at 64.
pub fn header(e_type: u16, entry: u64, phnum: u16) -> Elf64Header {
    let mut e_ident = [0u8; 16];
    e_ident[..4].copy_from_slice(b"\x7fELF");
    e_ident[4] = 2;
    e_ident[5] = 1;
    e_ident[6] = 1;
    Elf64Header {
        e_ident,
        e_type: U16::new(e_type),
        e_machine: U16::new(62),
        e_version: U32::new(1),
        e_entry: U64::new(entry),
        e_phoff: U64::new(EHDR_SIZE as u64),
        e_shoff: U64::new(0),
        e_flags: U32::new(0),
        e_ehsize: U16::new(EHDR_SIZE as u16),
        e_phentsize: U16::new(PHDR_SIZE as u16),
        e_phnum: U16::new(phnum),
        e_shentsize: U16::new(64),
        e_shnum: U16::new(0),
        e_shstrndx: U16::new(0),
    }
}

/// A file of `file_len` bytes holding `ehdr`, then `phdrs` at `e_phoff`.
pub fn image_with(ehdr: &Elf64Header, phdrs: &[Ph], file_len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; file_len];
    bytes[..EHDR_SIZE].copy_from_slice(ehdr.as_bytes());
    let phoff = ehdr.e_phoff.get() as usize;
    for (i, ph) in phdrs.iter().enumerate() {
        let raw = Elf64ProgramHeader {
            p_type: U32::new(ph.p_type),
            p_flags: U32::new(ph.flags),
            p_offset: U64::new(ph.offset),
            p_vaddr: U64::new(ph.vaddr),
            p_paddr: U64::new(ph.vaddr),
            p_filesz: U64::new(ph.filesz),
            p_memsz: U64::new(ph.memsz),
            p_align: U64::new(0x1000),
        };
        let at = phoff + i * PHDR_SIZE;
        bytes[at..at + PHDR_SIZE].copy_from_slice(raw.as_bytes());
    }
    bytes
}

/// A file with a standard header for `e_type` and the given headers.
pub fn image(e_type: u16, entry: u64, phdrs: &[Ph], file_len: usize) -> Vec<u8> {
    image_with(&header(e_type, entry, phdrs.len() as u16), phdrs, file_len)
}

/// The segments of a typical static executable: headers+rodata, text, and
/// data with .bss.
pub fn static_segments() -> Vec<Ph> {
    vec![
        Ph::load(PF_R, 0, 0x40_0000, 0x200, 0x200),
        Ph::load(PF_R | PF_X, 0x1000, 0x40_1000, 0x100, 0x100),
        Ph::load(PF_R | PF_W, 0x2040, 0x40_3040, 0x10, 0x2000),
        Ph::other(PT_GNU_STACK, PF_R | PF_W, 0, 0, 0),
    ]
}

/// Length of the files built from [`static_segments`].
pub const STATIC_LEN: usize = 0x2050;

/// A valid static `ET_EXEC` image.
pub fn static_image() -> Vec<u8> {
    image(ET_EXEC, 0x40_1000, &static_segments(), STATIC_LEN)
}

/// A small C program with data and a 100 kB .bss.
pub const HELLO_C: &str = "#include <stdio.h>\nint data = 1; char bss[100000];\nint main(void) { puts(\"hi\"); return data + bss[0]; }\n";

/// Compiles [`HELLO_C`] with `compiler` and `flags`, returning the binary,
/// or `None` (with a note) if that compiler does not work here.
pub fn compile_c(compiler: &str, flags: &[&str], name: &str) -> Option<Vec<u8>> {
    let path = compile_c_source(compiler, flags, name, HELLO_C)?;
    std::fs::read(path).ok()
}

/// Compiles `source` into a binary named `name` in the test scratch directory
/// and returns its path, or `None` (with a note) if the compiler fails.
pub fn compile_c_source(
    compiler: &str,
    flags: &[&str],
    name: &str,
    source: &str,
) -> Option<std::path::PathBuf> {
    // Cargo's per-crate scratch directory for integration tests.
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("c-programs");
    std::fs::create_dir_all(&dir).ok()?;
    let src = dir.join(format!("{name}.c"));
    std::fs::write(&src, source).ok()?;
    let out = dir.join(name);
    let status = std::process::Command::new(compiler)
        .args(flags)
        .arg("-o")
        .arg(&out)
        .arg(&src)
        .status();
    match status {
        Ok(s) if s.success() => Some(out),
        _ => {
            println!("note: skipping, `{compiler} {flags:?}` is not available");
            None
        }
    }
}
