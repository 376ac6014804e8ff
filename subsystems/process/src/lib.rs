//! Courage's process model: processes, threads, pid allocation, credentials,
//! descriptor tables, resource limits, fork/exec/exit/wait and reaping,
//! process groups and sessions, each thread's seccomp state (the `seccomp`
//! crate's, kept and inherited here), and the `uname` data. Semantics follow
//! SerenityOS's `Process` and Linux's user-visible rules; errors are Linux
//! errno values ([`abi::Errno`]).
//!
//! Design principles:
//! 1. No globals. A [`ProcessTable`] value owns every process and thread;
//!    the kernel image holds the one instance, tests make their own.
//! 2. One seam. A reuser implements [`ProcessEnv`] on a marker type of its
//!    own, naming its address space, directory custody, open file
//!    description, signal state, tty handle and per-thread scheduler data,
//!    plus four operations: fork an address space, fork signal state, reset
//!    signal state for exec, and check that a custody may become the cwd or
//!    root. Everything here is generic over that one parameter, and the
//!    named types may be other crates' types as they are. Its `Protected`
//!    type is where credentials and dumpable live: memory the kernel keeps
//!    read-only outside a write window ([`protected`]), or [`Unprotected`].
//! 3. State machines are types: [`Lifecycle`] for processes (Running,
//!    Stopped, Dying, Zombie, plus one unreported stop/continue event that
//!    `wait` consumes once) and [`ThreadState`] for threads; their methods are
//!    the only transitions.
//! 4. This crate decides, the caller acts: it sends no signals and blocks no
//!    one. Exit returns an [`ExitNotice`] (whom to `SIGCHLD`, whom to wake);
//!    `wait` returns [`WaitPoll::NotYet`] when the caller should block.
//!    Dropped descriptions and address spaces are handed back so their last
//!    reference goes away outside every lock here.
//!
//! Invariants: every process in the table has a pid unique among live pids,
//! tids, pgids and sids; a zombie stays in the table (so its pid stays
//! taken) until reaped; a process's children set names exactly the table
//! entries whose ppid is that process; orphans belong to init (pid 1).
//!
//! Locking: the table lock, then a process's data lock, then its fd table
//! lock, then its thread list lock; the table never holds two processes'
//! data locks at once. Relationship fields (ppid, children, pgid, sid) change
//! only under the table lock. `uname` data has its own lock. Each lock
//! carries its rank ([`lock`]); the `lock-order-check` feature makes every
//! acquisition check the order and panic on an inversion. All are spin
//! locks, so nothing that may sleep runs under them: fork copies the
//! parent's address space after letting its data lock go.
//!
//! Collections: all processes live in a `BTreeMap` keyed by pid, which is
//! both the list of every process and the O(log n) `from_pid` index; each
//! process's threads are a small vector in creation order (inline for up to
//! four), so a signal's look at them allocates nothing.
//!
//! Modules: [`pid`] ids; [`credentials`] ids and set*id rules; [`rlimit`]
//! limits; [`fd_table`] descriptors; [`fs_context`] cwd/root/umask;
//! [`thread`] threads; [`lifecycle`] process states and wait statuses;
//! [`wait`] wait options and results; [`process`] one process; [`table`]
//! the table; [`uts`] `uname`; [`coredump`] coredump notes; [`protected`]
//! the read-only process fields;
//! [`path_argument`] the empty-path rule.

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod coredump;
pub mod credentials;
pub mod env;
pub mod fd_table;
pub mod fs_context;
pub mod io_accounting;
pub mod lifecycle;
pub mod lock;
pub mod oom;
pub mod path_argument;
pub mod pid;
pub mod process;
pub mod program;
pub mod protected;
pub mod ptrace;
pub mod rlimit;
pub mod table;
pub mod thread;
pub mod uts;
pub mod wait;

pub use coredump::{CoreNameFields, CorePattern};
pub use credentials::{Capabilities, Credentials, Gid, Uid};
pub use env::ProcessEnv;
pub use fd_table::{Fd, FdReservation, FileDescriptions};
pub use fs_context::FsContext;
pub use io_accounting::{IoAccounting, IoCounts};
pub use lifecycle::{JobEvent, Lifecycle, ProcessState, Termination};
pub use pid::{Pid, PidAllocator, Tid};
pub use process::{
    CpuTimes, ExecOutcome, ForkMemory, NewProcess, Process, ProcessData, ThreadList,
};
pub use program::Program;
pub use protected::{ProtectedData, ProtectedStorage, Unprotected};
pub use ptrace::{Resume, TraceStop, Tracing};
pub use rlimit::{Resource, Rlimit, Rlimits};
pub use table::{
    ChildNotice, ExitNotice, ManySignals, ProcessAndThread, ProcessTable, THREADS_MAX_CEILING,
    THREADS_MAX_FLOOR, default_thread_max,
};
pub use thread::{Thread, ThreadState};
pub use uts::UtsName;
pub use wait::{ChildCode, WaitInfo, WaitOptions, WaitPoll, WaitTarget};
