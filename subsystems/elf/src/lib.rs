//! Courage's program loader policy: everything `execve` decides, as pure
//! data, so that the kernel's exec is a thin shell that opens files, maps
//! what the plan says and copies the stack bytes.
//!
//! The crate owns:
//! 1. validating ELF64 x86_64 executables (`ET_EXEC`, static-PIE and PIE
//!    `ET_DYN`) from their headers ([`ElfFile`]);
//! 2. planning where their segments and their dynamic linker go
//!    ([`LoadPlan`], [`ExecPlan`]);
//! 3. `#!` scripts ([`Shebang`]) and the walk from the executed path to the
//!    program actually loaded ([`resolve_exec`]);
//! 4. the initial user stack: argv, envp and auxv laid out like Linux
//!    ([`build_initial_stack`]).
//!
//! A reuser implements two traits: [`ReadAt`] (random-access reads of an
//! open executable) and [`ExecFs`] (opening a path for execution). Nothing
//! here maps memory or knows processes.
//!
//! Invariants: every value derived from a file is checked before use; a
//! malformed file gives `ENOEXEC`, too many arguments `E2BIG`, and nothing a
//! user controls can panic. An [`ElfFile`]'s loadable segments are non-empty,
//! sorted, page-disjoint and inside user space (or, for `ET_DYN`, small
//! enough to fit there), so a [`LoadPlan`] never maps a page twice.
//!
//! Locking: the crate has no shared state and takes no locks; callers hold
//! whatever lock protects the file while [`ReadAt`] runs.

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod auxv;
pub mod coredump;
mod header;
mod layout;
mod load_plan;
mod prot;
pub mod raw;
mod resolve;
mod shebang;
mod source;
mod stack;

pub use auxv::AuxValues;
pub use header::{ElfFile, ElfKind, LoadSegment, MAX_INTERP_LEN, MAX_PHNUM};
pub use layout::{
    DEFAULT_INTERP_BASE, DEFAULT_PIE_BASE, PAGE_SIZE, USER_END, USER_MIN, page_down, page_up,
};
pub use load_plan::{ExecPlan, LoadBases, LoadPlan, Segment};
pub use prot::Prot;
pub use resolve::{ExecFs, Executable, MAX_SCRIPT_DEPTH, ResolvedExec, resolve_exec};
pub use shebang::{SHEBANG_BUF_LEN, Shebang};
pub use source::ReadAt;
pub use stack::{
    ArgLimits, DEFAULT_STACK_RLIMIT, InitialStack, MAX_ARG_STRLEN, MIN_ARG_SPACE, StackContents,
    build_initial_stack,
};
