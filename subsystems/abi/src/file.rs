//! File structures: `stat`, `statx`, `statfs`, `iovec`, `pollfd`, and the
//! path and mode constants (`AT_*`, `S_IF*`, `PATH_MAX`).

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::Timespec;

/// Linux's `PATH_MAX`: the longest path, terminating NUL included.
pub const PATH_MAX: usize = 4096;
/// Linux's `UIO_MAXIOV`: most `iovec`s one `readv`/`writev` takes.
pub const IOV_MAX: usize = 1024;

/// `*at` calls: relative paths start at the working directory.
pub const AT_FDCWD: i32 = -100;
/// Do not follow a final symbolic link.
pub const AT_SYMLINK_NOFOLLOW: u32 = 0x100;
/// `unlinkat`: remove a directory.
pub const AT_REMOVEDIR: u32 = 0x200;
/// `faccessat`: check with the effective ids.
pub const AT_EACCESS: u32 = 0x200;
/// `linkat`: follow a final symbolic link.
pub const AT_SYMLINK_FOLLOW: u32 = 0x400;
/// An empty path names the descriptor itself.
pub const AT_EMPTY_PATH: u32 = 0x1000;
/// `utimensat`: the nanoseconds field asks for the current time.
pub const UTIME_NOW: i64 = (1 << 30) - 1;
/// `utimensat`: the nanoseconds field leaves this time alone.
pub const UTIME_OMIT: i64 = (1 << 30) - 2;

/// File-type bits of a mode.
pub const S_IFMT: u32 = 0o170000;
/// Socket.
pub const S_IFSOCK: u32 = 0o140000;
/// Symbolic link.
pub const S_IFLNK: u32 = 0o120000;
/// Regular file.
pub const S_IFREG: u32 = 0o100000;
/// Block device.
pub const S_IFBLK: u32 = 0o060000;
/// Directory.
pub const S_IFDIR: u32 = 0o040000;
/// Character device.
pub const S_IFCHR: u32 = 0o020000;
/// FIFO.
pub const S_IFIFO: u32 = 0o010000;
/// Set-user-ID on execution.
pub const S_ISUID: u32 = 0o4000;
/// Set-group-ID on execution.
pub const S_ISGID: u32 = 0o2000;
/// Sticky: in a directory, only owners may remove or rename entries.
pub const S_ISVTX: u32 = 0o1000;

/// Linux x86_64 `struct stat`, byte for byte (144 bytes), ready to copy out.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct Stat {
    /// Device holding the file.
    pub dev: u64,
    /// Inode number.
    pub ino: u64,
    /// Number of hard links.
    pub nlink: u64,
    /// Type and permission bits.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Padding Linux leaves here.
    pub pad0: u32,
    /// Device this node stands for (character and block devices).
    pub rdev: u64,
    /// Size in bytes.
    pub size: i64,
    /// Preferred I/O size.
    pub blksize: i64,
    /// Allocated 512-byte blocks.
    pub blocks: i64,
    /// Last access, seconds.
    pub atime_sec: i64,
    /// Last access, nanoseconds.
    pub atime_nsec: i64,
    /// Last modification, seconds.
    pub mtime_sec: i64,
    /// Last modification, nanoseconds.
    pub mtime_nsec: i64,
    /// Last status change, seconds.
    pub ctime_sec: i64,
    /// Last status change, nanoseconds.
    pub ctime_nsec: i64,
    /// Reserved by Linux.
    pub unused: [i64; 3],
}

impl Stat {
    /// Last access time.
    pub const fn atime(&self) -> Timespec {
        Timespec {
            sec: self.atime_sec,
            nsec: self.atime_nsec,
        }
    }

    /// Last modification time.
    pub const fn mtime(&self) -> Timespec {
        Timespec {
            sec: self.mtime_sec,
            nsec: self.mtime_nsec,
        }
    }

    /// Last status change time.
    pub const fn ctime(&self) -> Timespec {
        Timespec {
            sec: self.ctime_sec,
            nsec: self.ctime_nsec,
        }
    }

    /// Sets all three timestamps to the given values.
    pub fn set_times(&mut self, atime: Timespec, mtime: Timespec, ctime: Timespec) {
        self.atime_sec = atime.sec;
        self.atime_nsec = atime.nsec;
        self.mtime_sec = mtime.sec;
        self.mtime_nsec = mtime.nsec;
        self.ctime_sec = ctime.sec;
        self.ctime_nsec = ctime.nsec;
    }
}

/// `struct statx_timestamp`.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct StatxTimestamp {
    /// Seconds.
    pub sec: i64,
    /// Nanoseconds.
    pub nsec: u32,
    /// Reserved.
    pub reserved: i32,
}

impl From<Timespec> for StatxTimestamp {
    fn from(time: Timespec) -> Self {
        StatxTimestamp {
            sec: time.sec,
            nsec: time.nsec as u32,
            reserved: 0,
        }
    }
}

/// Linux's `struct statx` (256 bytes).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct Statx {
    /// Which fields are filled in (`STATX_*`).
    pub mask: u32,
    /// Preferred I/O size.
    pub blksize: u32,
    /// `STATX_ATTR_*` flags.
    pub attributes: u64,
    /// Hard links.
    pub nlink: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Type and permission bits.
    pub mode: u16,
    /// Reserved.
    pub spare0: u16,
    /// Inode number.
    pub ino: u64,
    /// Size in bytes.
    pub size: u64,
    /// Allocated 512-byte blocks.
    pub blocks: u64,
    /// Which attribute flags this file system supports.
    pub attributes_mask: u64,
    /// Last access.
    pub atime: StatxTimestamp,
    /// Creation.
    pub btime: StatxTimestamp,
    /// Last status change.
    pub ctime: StatxTimestamp,
    /// Last modification.
    pub mtime: StatxTimestamp,
    /// Device major number (device files).
    pub rdev_major: u32,
    /// Device minor number (device files).
    pub rdev_minor: u32,
    /// Major number of the device holding the file.
    pub dev_major: u32,
    /// Minor number of the device holding the file.
    pub dev_minor: u32,
    /// Reserved.
    pub spare: [u64; 14],
}

/// `statx` mask: every basic field (`STATX_BASIC_STATS`).
pub const STATX_BASIC_STATS: u32 = 0x7ff;
/// `statx` mask: the birth time.
pub const STATX_BTIME: u32 = 0x800;

/// Linux x86_64 `struct statfs` (120 bytes).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct Statfs {
    /// File-system magic (`TMPFS_MAGIC`, ...).
    pub f_type: i64,
    /// Block size.
    pub f_bsize: i64,
    /// Total blocks.
    pub f_blocks: u64,
    /// Free blocks.
    pub f_bfree: u64,
    /// Free blocks for unprivileged users.
    pub f_bavail: u64,
    /// Total inodes.
    pub f_files: u64,
    /// Free inodes.
    pub f_ffree: u64,
    /// File-system id.
    pub f_fsid: [i32; 2],
    /// Longest file name.
    pub f_namelen: i64,
    /// Fragment size.
    pub f_frsize: i64,
    /// Mount flags (`ST_*`).
    pub f_flags: i64,
    /// Reserved.
    pub f_spare: [i64; 4],
}

/// `struct iovec`: one buffer of a scatter/gather list.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct IoVec {
    /// User address of the buffer.
    pub base: u64,
    /// Its length in bytes.
    pub len: u64,
}

/// `struct pollfd`.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct PollFd {
    /// Descriptor, or negative to skip the entry.
    pub fd: i32,
    /// Events asked for (`POLLIN`, ...).
    pub events: i16,
    /// Events that happened.
    pub revents: i16,
}

/// `struct linux_dirent64` header (the name follows, NUL-terminated).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C, packed)]
pub struct Dirent64Header {
    /// Inode number.
    pub ino: u64,
    /// Offset of the next entry.
    pub off: i64,
    /// Length of this record.
    pub reclen: u16,
    /// File type (`DT_*`).
    pub kind: u8,
}

static_assertions::assert_eq_size!(Stat, [u8; 144]);
static_assertions::const_assert_eq!(core::mem::offset_of!(Stat, rdev), 40);
static_assertions::const_assert_eq!(core::mem::offset_of!(Stat, atime_sec), 72);
static_assertions::assert_eq_size!(Statx, [u8; 256]);
static_assertions::const_assert_eq!(core::mem::offset_of!(Statx, ino), 32);
static_assertions::const_assert_eq!(core::mem::offset_of!(Statx, atime), 64);
static_assertions::const_assert_eq!(core::mem::offset_of!(Statx, rdev_major), 128);
static_assertions::assert_eq_size!(Statfs, [u8; 120]);
static_assertions::const_assert_eq!(core::mem::offset_of!(Statfs, f_namelen), 64);
static_assertions::assert_eq_size!(IoVec, [u8; 16]);
static_assertions::assert_eq_size!(PollFd, [u8; 8]);
static_assertions::assert_eq_size!(Dirent64Header, [u8; 19]);
