//! Parsing and validating an ELF64 executable's file header and program
//! headers into an [`ElfFile`], the only trusted description of a program
//! the rest of the loader works from.
//!
//! Every check here guards the kernel against a hostile file: offsets and
//! sizes are added with overflow checks, every segment must lie inside the
//! file and inside user space, and loadable segments must be sorted and
//! disjoint at page granularity so the mapping plan never maps a page twice.
//! Any violation is `ENOEXEC`; think twice before loosening one.

use alloc::vec::Vec;

use abi::{Errno, KernelResult};
use zerocopy::FromBytes;

use crate::layout::{USER_END, USER_MIN, page_down, page_offset, page_up};
use crate::prot::Prot;
use crate::raw::{
    EHDR_SIZE, ELF_MAGIC, ELFCLASS64, ELFDATA2LSB, EM_X86_64, ET_DYN, ET_EXEC, EV_CURRENT,
    Elf64Header, Elf64ProgramHeader, PF_X, PHDR_SIZE, PN_XNUM, PT_GNU_STACK, PT_INTERP, PT_LOAD,
    PT_PHDR,
};
use crate::source::{ReadAt, read_exact_at};

/// Most program headers accepted. Linux caps the table at 64 KiB; real
/// programs have about a dozen, so a small cap bounds the work a hostile
/// file can cause.
pub const MAX_PHNUM: u16 = 128;

/// Longest `PT_INTERP` path accepted, including its NUL (`PATH_MAX`).
pub const MAX_INTERP_LEN: u64 = 4096;

/// Whether the program wants a fixed address or can be placed anywhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfKind {
    /// `ET_EXEC`: segments load at the addresses the file names.
    Fixed,
    /// `ET_DYN`: static-PIE, PIE or a dynamic linker; loads at a chosen bias.
    PositionIndependent,
}

/// One validated `PT_LOAD` segment, in the file's own (unbiased) addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadSegment {
    /// Virtual address of the first byte (not page aligned in general).
    pub vaddr: u64,
    /// Bytes in memory; `mem_size >= file_size`, the rest is zero.
    pub mem_size: u64,
    /// File offset of the first byte; congruent to `vaddr` modulo the page.
    pub file_offset: u64,
    /// Bytes backed by the file.
    pub file_size: u64,
    /// Access the segment asks for.
    pub prot: Prot,
}

impl LoadSegment {
    /// One past the last byte in memory (cannot overflow: checked at parse).
    pub fn end(&self) -> u64 {
        self.vaddr + self.mem_size
    }
}

/// A validated ELF64 x86_64 executable: what exec needs to know to load it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElfFile {
    kind: ElfKind,
    entry: u64,
    phnum: u16,
    phdr_vaddr: Option<u64>,
    segments: Vec<LoadSegment>,
    interpreter: Option<Vec<u8>>,
    executable_stack: bool,
}

impl ElfFile {
    /// True if `prefix` (the first bytes of a file) starts with the ELF magic:
    /// the test exec uses to pick this loader over `#!` scripts.
    pub fn has_magic(prefix: &[u8]) -> bool {
        prefix.starts_with(&ELF_MAGIC)
    }

    /// Reads and validates the headers of `file`, reading only the file
    /// header, the program header table and the `PT_INTERP` path.
    ///
    /// Errors: `ENOEXEC` for anything malformed or not an x86_64 ELF64
    /// executable; errors from `file.read_at` are returned unchanged.
    pub fn parse<R: ReadAt + ?Sized>(file: &mut R) -> KernelResult<ElfFile> {
        let file_size = file.size();
        let mut ehdr_bytes = [0u8; EHDR_SIZE];
        read_exact_at(file, 0, &mut ehdr_bytes)?;
        let ehdr = Elf64Header::read_from_bytes(&ehdr_bytes).map_err(|_| Errno::ENOEXEC)?;
        let kind = check_file_header(&ehdr)?;

        let phnum = ehdr.e_phnum.get();
        let phoff = ehdr.e_phoff.get();
        let table_len = u64::from(phnum) * PHDR_SIZE as u64;
        let table_end = phoff.checked_add(table_len).ok_or(Errno::ENOEXEC)?;
        if table_end > file_size {
            return Err(Errno::ENOEXEC);
        }
        let mut table = alloc::vec![0u8; table_len as usize];
        read_exact_at(file, phoff, &mut table)?;

        let mut segments = Vec::new();
        let mut phdr_vaddr = None;
        let mut interp_header = None;
        let mut executable_stack = false;
        for raw in table.chunks_exact(PHDR_SIZE) {
            let phdr = Elf64ProgramHeader::read_from_bytes(raw).map_err(|_| Errno::ENOEXEC)?;
            match phdr.p_type.get() {
                PT_LOAD => {
                    if let Some(segment) = check_load_segment(&phdr, file_size)? {
                        segments.push(segment);
                    }
                }
                // Linux uses the first PT_INTERP and PT_PHDR it meets.
                PT_INTERP if interp_header.is_none() => interp_header = Some(phdr),
                PT_PHDR if phdr_vaddr.is_none() => phdr_vaddr = Some(phdr.p_vaddr.get()),
                PT_GNU_STACK => executable_stack = phdr.p_flags.get() & PF_X != 0,
                // PT_TLS, PT_DYNAMIC, notes...: the C library's business.
                _ => {}
            }
        }
        check_segment_layout(kind, &segments)?;

        // Without PT_PHDR (static glibc has none) the table is visible to the
        // program only through the PT_LOAD whose file bytes cover it.
        let phdr_vaddr = phdr_vaddr.or_else(|| {
            segments
                .iter()
                .find(|s| s.file_offset <= phoff && table_end <= s.file_offset + s.file_size)
                .map(|s| s.vaddr + (phoff - s.file_offset))
        });

        let interpreter = match interp_header {
            Some(phdr) => Some(read_interpreter_path(file, &phdr, file_size)?),
            None => None,
        };

        Ok(ElfFile {
            kind,
            entry: ehdr.e_entry.get(),
            phnum,
            phdr_vaddr,
            segments,
            interpreter,
            executable_stack,
        })
    }

    /// [`ElfFile::parse`] over a file already in memory.
    pub fn parse_bytes(bytes: &[u8]) -> KernelResult<ElfFile> {
        let mut source = bytes;
        ElfFile::parse(&mut source)
    }

    /// Fixed-address or position-independent.
    pub fn kind(&self) -> ElfKind {
        self.kind
    }

    /// Entry point in the file's own addresses (unbiased).
    pub fn entry(&self) -> u64 {
        self.entry
    }

    /// Number of program headers (`AT_PHNUM`).
    pub fn phnum(&self) -> u16 {
        self.phnum
    }

    /// Unbiased address of the program header table in memory: `PT_PHDR`'s,
    /// or computed from the `PT_LOAD` that maps the table; `None` if no
    /// segment maps it.
    pub fn phdr_vaddr(&self) -> Option<u64> {
        self.phdr_vaddr
    }

    /// The non-empty `PT_LOAD` segments, sorted by address and disjoint.
    pub fn segments(&self) -> &[LoadSegment] {
        &self.segments
    }

    /// The `PT_INTERP` path (without its NUL), if the program is dynamically
    /// linked.
    pub fn interpreter(&self) -> Option<&[u8]> {
        self.interpreter.as_deref()
    }

    /// True if `PT_GNU_STACK` asks for an executable stack. Without
    /// `PT_GNU_STACK` the stack is not executable, as on Linux x86_64.
    pub fn executable_stack(&self) -> bool {
        self.executable_stack
    }

    /// Lowest page the image occupies (unbiased).
    pub fn image_start(&self) -> u64 {
        // At least one segment exists: checked at parse.
        self.segments.first().map_or(0, |s| page_down(s.vaddr))
    }

    /// One past the last page the image occupies (unbiased).
    pub fn image_end(&self) -> u64 {
        // Rounding cannot overflow: checked at parse.
        self.segments
            .last()
            .map_or(0, |s| page_up(s.end()).unwrap_or(u64::MAX))
    }
}

fn check_file_header(ehdr: &Elf64Header) -> KernelResult<ElfKind> {
    let ident = &ehdr.e_ident;
    if ident[..4] != ELF_MAGIC
        || ident[4] != ELFCLASS64
        || ident[5] != ELFDATA2LSB
        || ident[6] != EV_CURRENT
        || ehdr.e_version.get() != u32::from(EV_CURRENT)
        || ehdr.e_machine.get() != EM_X86_64
        || usize::from(ehdr.e_phentsize.get()) != PHDR_SIZE
    {
        return Err(Errno::ENOEXEC);
    }
    let phnum = ehdr.e_phnum.get();
    if phnum == 0 || phnum == PN_XNUM || phnum > MAX_PHNUM {
        return Err(Errno::ENOEXEC);
    }
    match ehdr.e_type.get() {
        ET_EXEC => Ok(ElfKind::Fixed),
        ET_DYN => Ok(ElfKind::PositionIndependent),
        _ => Err(Errno::ENOEXEC),
    }
}

/// Validates one `PT_LOAD` on its own; `None` for an empty (zero `p_memsz`)
/// segment, which maps nothing.
fn check_load_segment(
    phdr: &Elf64ProgramHeader,
    file_size: u64,
) -> KernelResult<Option<LoadSegment>> {
    let segment = LoadSegment {
        vaddr: phdr.p_vaddr.get(),
        mem_size: phdr.p_memsz.get(),
        file_offset: phdr.p_offset.get(),
        file_size: phdr.p_filesz.get(),
        prot: Prot::from_segment_flags(phdr.p_flags.get()),
    };
    let file_end = segment
        .file_offset
        .checked_add(segment.file_size)
        .ok_or(Errno::ENOEXEC)?;
    if file_end > file_size || segment.file_size > segment.mem_size {
        return Err(Errno::ENOEXEC);
    }
    if page_offset(segment.file_offset) != page_offset(segment.vaddr) {
        return Err(Errno::ENOEXEC);
    }
    let end = segment
        .vaddr
        .checked_add(segment.mem_size)
        .ok_or(Errno::ENOEXEC)?;
    page_up(end).ok_or(Errno::ENOEXEC)?;
    Ok((segment.mem_size != 0).then_some(segment))
}

/// Checks the segments as a whole: at least one, sorted, page-disjoint, and
/// inside user space (for `ET_DYN`, small enough to fit there somewhere).
fn check_segment_layout(kind: ElfKind, segments: &[LoadSegment]) -> KernelResult<()> {
    let (Some(first), Some(last)) = (segments.first(), segments.last()) else {
        return Err(Errno::ENOEXEC);
    };
    for pair in segments.windows(2) {
        let previous_end = page_up(pair[0].end()).ok_or(Errno::ENOEXEC)?;
        if page_down(pair[1].vaddr) < previous_end {
            return Err(Errno::ENOEXEC);
        }
    }
    let start = page_down(first.vaddr);
    let end = page_up(last.end()).ok_or(Errno::ENOEXEC)?;
    let fits = match kind {
        ElfKind::Fixed => start >= USER_MIN && end <= USER_END,
        ElfKind::PositionIndependent => end - start <= USER_END - USER_MIN,
    };
    if fits { Ok(()) } else { Err(Errno::ENOEXEC) }
}

fn read_interpreter_path<R: ReadAt + ?Sized>(
    file: &mut R,
    phdr: &Elf64ProgramHeader,
    file_size: u64,
) -> KernelResult<Vec<u8>> {
    let len = phdr.p_filesz.get();
    let offset = phdr.p_offset.get();
    if !(2..=MAX_INTERP_LEN).contains(&len) {
        return Err(Errno::ENOEXEC);
    }
    let end = offset.checked_add(len).ok_or(Errno::ENOEXEC)?;
    if end > file_size {
        return Err(Errno::ENOEXEC);
    }
    let mut path = alloc::vec![0u8; len as usize];
    read_exact_at(file, offset, &mut path)?;
    if path.last() != Some(&0) {
        return Err(Errno::ENOEXEC);
    }
    // Like Linux, the path is a C string: it ends at its first NUL.
    let nul = path.iter().position(|&b| b == 0).unwrap_or(path.len());
    path.truncate(nul);
    Ok(path)
}
