//! `/proc` for Courage: a file system on the `fs` crate's traits that shows
//! processes and system figures as Linux's procfs does, so `ps`, `top`,
//! `free` and `/proc/self/exe` work for unmodified programs.
//!
//! # What it owns
//!
//! The directory tree under `/proc` and the exact text of every file in
//! it: per process `<pid>/` (`stat`, `status`, `statm`, `cmdline`,
//! `environ`, `comm`, `limits`, `maps`, `mounts`, the magic links `exe`,
//! `cwd`, `root`, `fd/<n>`, plus `fdinfo/<n>` and `task/<tid>/`), the links
//! `self`, `thread-self` and `mounts`, and the system files `uptime`,
//! `loadavg`, `meminfo`, `cpuinfo`, `version`, `filesystems`, `stat`,
//! `sys/kernel/hostname`, `sys/kernel/core_pattern`, `sys/kernel/pid_max`,
//! `sys/kernel/threads-max`, `sys/fs/file-max`, `sys/fs/file-nr`, the
//! inotify limits in `sys/fs/inotify/`, seccomp's `actions_avail` and
//! `actions_logged` in `sys/kernel/seccomp/`, and
//! `profiling` (the sampling profiler's control file and report; see
//! [`ProcessView::control_profiling`]).
//!
//! # What a reuser implements
//!
//! [`ProcessView`] (the process table and system figures, once per kernel)
//! and [`ProcessInfo`] (one process, holding a weak reference). procfs
//! does not know the process, mm or scheduler crates; it renders the plain
//! values of [`view`]. Build it with [`ProcFs::new`] and mount it.
//!
//! # Invariants
//!
//! 1. A `<pid>` directory exists exactly while [`ProcessView::process`]
//!    returns the process, i.e. from registration until it is reaped;
//!    zombies are shown. Once reaped, lookups give `ENOENT` and reads
//!    through still-open files give `ESRCH`; nothing panics.
//! 2. A file is rendered from one snapshot at a read at offset 0 and kept
//!    for the following reads (module `generated`), so a reader never sees
//!    a mix of two states; an open file keeps its process object, never
//!    its pid, so a reused pid never shows through an old descriptor.
//! 3. Inode numbers are computed from what an entry names ([`ino`]): the
//!    same for every lookup during the entry's life, unique across the
//!    file system, never the root's.
//! 4. Permissions follow Linux. The modes, checked by the VFS at open,
//!    close `environ`, `maps`, `fdinfo/<n>` and the `fd/` directory to all
//!    but the process's owner (root if it is not dumpable) and root, and
//!    make the host name writable by root only (the view refuses
//!    unprivileged writers too). Magic links (`exe`, `cwd`, `root`,
//!    `fd/<n>`) and the address fields of `stat` are checked against the
//!    [`Caller`] the view reports, as Linux's `ptrace_may_access`: `EACCES`
//!    for a process of another user.
//!
//! # Locking
//!
//! procfs holds one leaf lock: a generated file's rendered copy, held only
//! to swap or clone an `Arc`. It never calls the view while holding it, so
//! the view may take any process lock it needs.
//!
//! # Modules
//!
//! Public: [`view`] (the traits and values), [`procfs`](mod@procfs) (the
//! file system), [`ino`] (inode numbering), [`process_format`] and
//! [`system_format`] (file contents, reusable by a kernel's own tests).
//! Internal: `directory`, `generated` (regular files rendered on read),
//! `link` (symbolic and magic links), `context` (shared state and inode
//! attributes).

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

#[cfg(test)]
extern crate std;

mod context;
mod directory;
mod generated;
pub mod ino;
mod link;
mod memory_file;
pub mod process_format;
pub mod procfs;
pub mod system_format;
pub mod view;

pub use procfs::ProcFs;
pub use view::{
    Caller, CapabilitySets, CpuDescription, CpuTicks, CpuTimes, FilesystemEntry, IdSet, IoStats,
    MemInfo, MemoryStats, MountEntry, OpenFd, ProcessInfo, ProcessSnapshot, ProcessView,
    RLIM_INFINITY, RLIMIT_COUNT, Rlimit, SignalMasks, SystemInfo, SystemLimit, TaskState,
    ThreadSnapshot,
};
