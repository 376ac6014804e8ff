//! Where each segment of a program (and of its interpreter) goes in the new
//! address space: the plan the kernel's exec follows, as plain data.
//!
//! The kernel maps each [`Segment`] as described and never has to look at
//! the ELF file again: bytes `[vaddr, zero_from)` come from the file at
//! `file_offset`, bytes `[zero_from, vaddr + mem_len)` are zero (including
//! the tail of the last file page, which holds unrelated file bytes).

use alloc::vec::Vec;

use abi::{Errno, KernelResult};

use crate::header::{ElfFile, ElfKind};
use crate::layout::{
    DEFAULT_INTERP_BASE, DEFAULT_PIE_BASE, PAGE_SIZE, USER_END, USER_MIN, page_down, page_offset,
    page_up,
};
use crate::prot::Prot;
use crate::raw::PHDR_SIZE;

/// One mapping to create, page aligned, in final (biased) addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// First address, page aligned.
    pub vaddr: u64,
    /// Length of the mapping in bytes, a multiple of the page size.
    pub mem_len: u64,
    /// File offset that `vaddr` maps, page aligned.
    pub file_offset: u64,
    /// Bytes to take from the file starting at `file_offset` (may be 0).
    pub file_len: u64,
    /// Protection of the whole mapping.
    pub prot: Prot,
    /// `vaddr + file_len`: where zero-filled memory (.bss) starts. The rest
    /// of the page holding `zero_from` must be zeroed, not read from the file.
    pub zero_from: u64,
}

/// Where one ELF image goes: its mappings and the addresses derived from
/// its headers, all biased.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadPlan {
    /// The mappings, sorted by address and disjoint.
    pub segments: Vec<Segment>,
    /// Added to every address in the file (0 for `ET_EXEC`).
    pub bias: u64,
    /// Lowest mapped address (`AT_BASE` when this is the interpreter).
    pub base: u64,
    /// One past the highest mapped address, page aligned.
    pub end: u64,
    /// Entry point.
    pub entry: u64,
    /// Address of the program header table (`AT_PHDR`), 0 if not mapped.
    pub phdr_addr: u64,
    /// Size of one program header (`AT_PHENT`).
    pub phent: u64,
    /// Number of program headers (`AT_PHNUM`).
    pub phnum: u64,
    /// Initial program break: the page-aligned end of the highest segment.
    pub brk_start: u64,
}

impl LoadPlan {
    /// Plans `elf`'s mappings. An `ET_EXEC` image goes where its headers
    /// say; an `ET_DYN` image's lowest page goes at `dyn_base`.
    ///
    /// Errors: `EINVAL` if `dyn_base` is not page aligned (a kernel bug);
    /// `ENOMEM` if an `ET_DYN` image does not fit at `dyn_base`; `ENOEXEC`
    /// if the entry point lands outside user space.
    pub fn new(elf: &ElfFile, dyn_base: u64) -> KernelResult<LoadPlan> {
        if page_offset(dyn_base) != 0 {
            return Err(Errno::EINVAL);
        }
        let bias = match elf.kind() {
            ElfKind::Fixed => 0,
            ElfKind::PositionIndependent => {
                let span = elf.image_end() - elf.image_start();
                let end = dyn_base.checked_add(span).ok_or(Errno::ENOMEM)?;
                if dyn_base < USER_MIN || end > USER_END {
                    return Err(Errno::ENOMEM);
                }
                // Wrapping: the bias is an offset modulo 2^64 (images linked
                // high and loaded low have a "negative" bias).
                dyn_base.wrapping_sub(elf.image_start())
            }
        };
        let segments: Vec<Segment> = elf
            .segments()
            .iter()
            .map(|s| {
                let start = page_down(s.vaddr);
                let in_page = s.vaddr - start;
                // Cannot overflow: the segment's page-rounded end was checked.
                let mem_len = page_up(s.end()).unwrap_or(u64::MAX) - start;
                let file_len = if s.file_size == 0 {
                    0
                } else {
                    in_page + s.file_size
                };
                let vaddr = start.wrapping_add(bias);
                Segment {
                    vaddr,
                    mem_len,
                    file_offset: s.file_offset - in_page,
                    file_len,
                    prot: s.prot,
                    zero_from: vaddr + file_len,
                }
            })
            .collect();
        let entry = elf.entry().wrapping_add(bias);
        // Linux's BAD_ADDR check. It also keeps a non-canonical address out
        // of the user RIP, which `sysretq` would fault on in ring 0.
        if entry >= USER_END {
            return Err(Errno::ENOEXEC);
        }
        let base = elf.image_start().wrapping_add(bias);
        let end = elf.image_end().wrapping_add(bias);
        Ok(LoadPlan {
            segments,
            bias,
            base,
            end,
            entry,
            phdr_addr: elf.phdr_vaddr().map_or(0, |a| a.wrapping_add(bias)),
            phent: PHDR_SIZE as u64,
            phnum: u64::from(elf.phnum()),
            brk_start: end,
        })
    }

    fn overlaps(&self, other: &LoadPlan) -> bool {
        self.base < other.end && other.base < self.end
    }
}

/// Where position-independent images go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadBases {
    /// Base of an `ET_DYN` main program.
    pub program: u64,
    /// Base of the program interpreter.
    pub interpreter: u64,
}

impl Default for LoadBases {
    /// Linux's addresses without address-space randomisation.
    fn default() -> LoadBases {
        LoadBases {
            program: DEFAULT_PIE_BASE,
            interpreter: DEFAULT_INTERP_BASE,
        }
    }
}

/// The whole image plan of one exec: the program, its interpreter if it is
/// dynamically linked, and where execution starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecPlan {
    /// The main program (its `entry` is `AT_ENTRY`).
    pub program: LoadPlan,
    /// The dynamic linker, if the program named one in `PT_INTERP`.
    pub interpreter: Option<LoadPlan>,
    /// Where the new thread starts: the interpreter's entry if there is one,
    /// else the program's.
    pub start_address: u64,
    /// Initial program break (the program's, never the interpreter's).
    pub brk_start: u64,
    /// True if the stack must be executable (`PT_GNU_STACK` with `PF_X`).
    pub executable_stack: bool,
}

impl ExecPlan {
    /// Plans a program and, if it has one, its interpreter.
    ///
    /// Errors: `ENOEXEC` if `interpreter` is given for a program without
    /// `PT_INTERP` or missing for one with it; `ENOMEM` if the images do not
    /// fit or would overlap; `EINVAL` for unaligned bases.
    pub fn new(
        program: &ElfFile,
        interpreter: Option<&ElfFile>,
        bases: LoadBases,
    ) -> KernelResult<ExecPlan> {
        if program.interpreter().is_some() != interpreter.is_some() {
            return Err(Errno::ENOEXEC);
        }
        let program_plan = LoadPlan::new(program, bases.program)?;
        let interpreter_plan = match interpreter {
            Some(elf) => {
                let plan = LoadPlan::new(elf, bases.interpreter)?;
                if plan.overlaps(&program_plan) {
                    return Err(Errno::ENOMEM);
                }
                Some(plan)
            }
            None => None,
        };
        let start_address = interpreter_plan
            .as_ref()
            .map_or(program_plan.entry, |p| p.entry);
        Ok(ExecPlan {
            brk_start: program_plan.brk_start,
            start_address,
            executable_stack: program.executable_stack(),
            program: program_plan,
            interpreter: interpreter_plan,
        })
    }

    /// `AT_BASE`: the interpreter's load address, or 0 without one.
    pub fn interpreter_base(&self) -> u64 {
        self.interpreter.as_ref().map_or(0, |p| p.base)
    }
}

const _: () = assert!(PAGE_SIZE.is_power_of_two());
