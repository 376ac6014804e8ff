//! The Linux x86_64 system-call layer of Courage.
//!
//! This crate owns what happens between a `syscall` instruction's decoded
//! registers and the subsystem crates: which handler serves a number, how
//! raw registers become typed arguments, and the handlers' bodies, one
//! family per file. It owns no state of its own: the process table, the
//! VFS and the calling thread come in through a [`Context`].
//!
//! 1. **One table.** [`table`] has one row per call: the [`abi::Sysno`], the
//!    handler, and its arguments with their types ([`args`]: descriptors,
//!    directory descriptors, user pointers, paths, flag sets). A handler's
//!    body never sees a bare register.
//! 2. **One seam.** A kernel implements [`Kernel`] once: its process table
//!    and VFS, the calling thread's user memory, clocks, sleeping, a wait
//!    queue factory, the file systems `mount` can create, and `SIGPIPE`.
//!    Host tests implement it over fakes and run whole call sequences.
//! 3. **Policy stays where it lives.** Permission checks and path rules are
//!    `fs`'s, descriptor tables and credentials `process`'s, time
//!    arithmetic `abi`'s; handlers decode, call them, and copy results out.
//! 4. **Errors are Linux's.** Arguments are checked in the order Linux's
//!    handlers check them, so a bad descriptor is `EBADF` even when a
//!    pointer is bad too; a bad pointer is `EFAULT`, never a panic.
//!
//! Locking: a handler holds at most one process lock at a time and never
//! across a VFS call or a sleep; [`Context::path_base`] takes owned copies
//! of the cwd, root and credentials for that reason.
//!
//! Families served here: descriptor I/O ([`fs::io`]), paths ([`fs::path`]),
//! attributes ([`fs::attr`]), directories and mounts ([`fs::dir`]), pipes
//! ([`fs::pipe`]), readiness ([`fs::poll`]), clocks ([`time`]) and system
//! information ([`info`]) and the address space ([`memory`]). The kernel
//! still serves processes, signals and futexes itself; they move here
//! next (see NOTES.md).

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod args;
pub mod context;
pub mod fs;
pub mod futex;
pub mod info;
pub mod kernel;
pub mod memory;
pub mod process;
pub mod registers;
pub mod signals;
pub mod table;
pub mod time;
pub mod unknown;

pub use context::{Context, PathBase};
pub use kernel::{EventQueue, Kernel, MemoryStats, UserThreadData};
pub use registers::{PlainRegisters, SavedRegisters};
pub use table::{ROWS, Row, serve};
pub use unknown::UnknownCalls;

/// What a handler returns: a non-negative value for `rax`, or an errno.
pub type SyscallResult = abi::KernelResult<u64>;
