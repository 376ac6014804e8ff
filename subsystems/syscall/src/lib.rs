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
//!    and VFS, the calling thread's user memory, clocks, sleeping, event
//!    queues, the futex table and key, starting threads and processes,
//!    loading a program and switching to its address space, the thread
//!    pointer, waking a thread for a signal, and memory barriers on the
//!    other CPUs (`membarrier`). A kernel also implements
//!    [`UserThreadData`] (each thread's signal state) and, for the calling
//!    thread's saved context, [`SavedRegisters`]. Host tests implement all
//!    three over fakes and run whole call sequences.
//! 3. **Policy stays where it lives.** Permission checks and path rules are
//!    `fs`'s, descriptor tables and credentials `process`'s, time
//!    arithmetic `abi`'s; handlers decode, call them, and copy results out.
//! 4. **Errors are Linux's.** Arguments are checked in the order Linux's
//!    handlers check them, so a bad descriptor is `EBADF` even when a
//!    pointer is bad too; a bad pointer is `EFAULT`, never a panic.
//!
//! Locking: a handler holds at most one process's data lock at a time
//! and never across a VFS call or a sleep; [`Context::path_base`] takes
//! owned copies of the cwd, root and credentials for that reason. Where
//! locks nest, the order is: each thread's signal state (several in the
//! process's thread-list order), then the process table's lock, then a
//! process's data, then its descriptor table and thread list (the
//! `process` crate's order, which its `lock-order-check` feature enforces
//! in this crate's host tests), then a thread's seccomp state (several
//! only under the thread list, for `SECCOMP_FILTER_FLAG_TSYNC`); an
//! address space's lock and the futex table's are taken with no process
//! lock held.
//!
//! Families, one module each: descriptor I/O ([`fs::io`]), paths
//! ([`fs::path`]), attributes ([`fs::attr`]), directories and mounts
//! ([`fs::dir`]), pipes ([`fs::pipe`]), readiness ([`fs::poll`]), clocks
//! ([`time`]), system information ([`info`]), the address space
//! ([`memory`], locked in memory: [`memory_lock`]), signals ([`signals`]), futexes ([`futex`]), and processes:
//! ids, credentials, wait, seccomp and the life cycle ([`process`]); the
//! work before a call of a traced or filtered thread is [`entry_work`].
//! [`proc_view`]
//! shows the process table to `/proc`. A number with
//! no row is the kernel's to log ([`UnknownCalls`]) and fail with
//! `ENOSYS`.

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod args;
pub mod context;
pub mod entry;
pub mod fs;
pub mod futex;
pub mod info;
pub mod ipc;
pub mod kernel;
pub mod membarrier;
pub mod memory;
pub mod memory_lock;
pub mod net;
pub mod proc_view;
pub mod process;
pub mod registers;
pub mod signals;
pub mod table;
pub mod time;
pub mod unknown;

pub use context::{Context, PathBase};
pub use entry::entry_work;
pub use kernel::{EventQueue, Kernel, MemoryStats, UserThreadData};
pub use registers::{PlainRegisters, SavedRegisters};
pub use table::{ROWS, Row, from_rax, serve, serve_number, serve_number_with, to_rax};
pub use unknown::UnknownCalls;

/// What a handler returns: a non-negative value for `rax`, or an errno.
pub type SyscallResult = abi::KernelResult<u64>;
