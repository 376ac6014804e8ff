//! The Courage virtual file system.
//!
//! This crate owns everything between a path or a file descriptor and the
//! bytes behind it: inodes and the traits file systems implement, custodies
//! (resolved paths) and path resolution, the mount table, open file
//! descriptions, tmpfs (also the root file system, devfs and the initramfs
//! target), the standard character devices, anonymous pipes, sockets (Unix,
//! loopback Internet, netlink) and the cpio newc initramfs unpacker. It is
//! `no_std` + `alloc` and `forbid(unsafe_code)`. The kernel owns one
//! [`Vfs`] value and passes it in; the global state is the page-cache
//! maker the kernel installs once at boot ([`file_pages::set_page_cache`]),
//! without which files keep their pages on the heap, and the machine's
//! inotify watches ([`inotify`]), which descriptions report to without a
//! [`Vfs`] at hand.
//!
//! # Modules
//!
//! [`types`] (ABI values, `Stat`), [`credentials`] (permission checks),
//! [`inode`] and [`file`](mod@file) (the traits), [`custody`], [`path`] (resolution),
//! [`dentry_cache`] (recently resolved components),
//! [`mount`], [`description`], [`direct`] (I/O without a kernel buffer),
//! [`vfs`] (path-level operations), [`tmpfs`],
//! [`devfs`] with [`devices`] and [`csprng`], [`pipe`], [`cpio`] and
//! [`initramfs`], [`dirent`] (`getdents64` records), [`clock`], [`wait`],
//! [`file_pages`] (where file content lives), [`name`] (file names as
//! bytes), [`socket`] with [`unix`], [`inet`] and [`netlink`] (naming),
//! [`inotify`] (watches and their event queues).
//!
//! # What a reuser implements
//!
//! - [`FileSystem`] and [`Inode`] for a new file system (procfs does);
//!   every inode method has a default returning Linux's errno.
//! - [`File`] for anything an open description reads and writes; [`CharacterDevice`]
//!   to make it reachable through a device node.
//! - [`file_pages::FilePages`] to keep regular files' content in the
//!   kernel's page cache, shared with mappings.
//! - [`direct::ReadTarget`]: the caller's memory, for a file that
//!   reads without a kernel buffer (the system-call layer implements it).
//! - [`Clock`] (timestamps), [`WaitQueue`] (sleeping on `EAGAIN`),
//!   [`EntropySource`] (seeding `/dev/urandom`), [`ConsolePort`] (console),
//!   [`ControllingTerminal`] (`/dev/tty`).
//!
//! # Invariants
//!
//! 1. Errors are Linux errno values; nothing a user program passes (paths,
//!    offsets, flags, archives from the boot loader) panics.
//! 2. Nothing blocks here: an operation that would block returns `EAGAIN`,
//!    and the caller sleeps on the object's [`WaitQueue`] unless
//!    `O_NONBLOCK`, then retries.
//! 3. Path resolution never climbs above the caller's root custody with
//!    `..`, follows at most 40 symbolic links (`ELOOP`), and enforces
//!    `PATH_MAX`/`NAME_MAX` (`ENAMETOOLONG`).
//! 4. A file's memory is freed when its last link and its last open
//!    description (or custody) are gone: ownership is `Arc`, parent links
//!    are `Weak`.
//! 5. A [`FileDescription`] is shared by `dup`/`fork`; offset and status flags
//!    live in it. `FD_CLOEXEC` lives in the fd table, not here.
//!
//! # Locking
//!
//! Lock order, outermost first; never acquire one while holding a later one:
//!
//! 1. a description's offset lock (held across one read, write or
//!    getdents of a regular file or directory): a [`sleep_lock::SleepLock`],
//!    the only lock here whose holder may sleep (a procfs read does);
//! 2. tmpfs's per-file-system namespace mutex (entry changes only);
//! 3. one tmpfs inode mutex (never two at once);
//! 4. leaf locks: the mount table's `RwLock`, a dentry-cache slot, a pipe's buffer, the RNG, the
//!    console's pending bytes, a socket's state, and whatever a
//!    [`file_pages::FilePages`] takes (called under the inode mutex);
//! 5. the inotify watch table, then one instance's event queue (events
//!    are reported after the operation, with no other lock of this crate
//!    held).
//!
//! Wait queues are woken after the leaf lock is released.

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

#[cfg(test)]
extern crate std;

pub mod clock;
pub mod cpio;
pub mod credentials;
pub mod csprng;
pub mod custody;
pub mod dentry_cache;
pub mod description;
pub mod devfs;
pub mod device;
pub mod devices;
pub mod direct;
pub mod dirent;
pub mod epoll;
pub mod eventfd;
pub mod fifo;
pub mod file;
pub mod file_pages;
pub mod inet;
pub mod initramfs;
pub mod inode;
pub mod inotify;
pub mod lock;
pub mod mount;
pub mod name;
pub mod netlink;
pub mod path;
pub mod pathless;
pub mod pipe;
pub mod sleep_lock;
pub mod socket;
pub mod timerfd;
pub mod tmpfs;
pub mod types;
pub mod unix;
pub mod vfs;
pub mod wait;
pub mod xattr;

pub use clock::Clock;
pub use credentials::{Access, Credentials};
pub use csprng::EntropySource;
pub use custody::Custody;
pub use description::{FileDescription, FileNature, file_max, open_files, set_file_max};
pub use device::CharacterDevice;
pub use devices::console::ConsolePort;
pub use devices::tty::ControllingTerminal;
pub use file::File;
pub use inode::{DirEntry, FileSystem, Inode, InodeId, Owner, RenameMode, TimeChange};
pub use path::Restrictions;
pub use tmpfs::Tmpfs;
pub use types::{AccessMode, FileType, OpenFlags, PollEvents, Stat, Timespec};
pub use vfs::{PathContext, Vfs};
pub use wait::WaitQueue;
