//! Plain Linux ABI values: open flags, file modes and types, `struct stat`,
//! timestamps, poll bits and the limits paths must respect.

pub use abi::{Stat, Timespec};
use bitflags::bitflags;

/// Longest path, including its terminating NUL, Linux accepts (`PATH_MAX`).
pub const PATH_MAX: usize = 4096;
/// Longest single path component (`NAME_MAX`).
pub const NAME_MAX: usize = 255;
/// Writes up to this many bytes to a pipe are atomic (`PIPE_BUF`).
pub const PIPE_BUF: usize = 4096;
/// Most symbolic links one lookup may follow before `ELOOP` (Linux `MAXSYMLINKS`).
pub const MAX_SYMLINKS: u32 = 40;

bitflags! {
    /// `open(2)` flags with Linux x86_64 values. The access mode (`O_RDONLY` 0,
    /// `O_WRONLY` 1, `O_RDWR` 2) lives in the low two bits: read it with
    /// [`OpenFlags::access_mode`].
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct OpenFlags: u32 {
        /// Open for writing only.
        const O_WRONLY = 0o1;
        /// Open for reading and writing.
        const O_RDWR = 0o2;
        /// Create the file if it does not exist.
        const O_CREAT = 0o100;
        /// With `O_CREAT`: fail with `EEXIST` if the name exists.
        const O_EXCL = 0o200;
        /// Do not make a terminal the controlling terminal.
        const O_NOCTTY = 0o400;
        /// Truncate a regular file to length 0.
        const O_TRUNC = 0o1000;
        /// Every write goes to the end of the file.
        const O_APPEND = 0o2000;
        /// Reads and writes return `EAGAIN` instead of blocking.
        const O_NONBLOCK = 0o4000;
        /// Synchronous data writes (accepted, nothing to flush in memory).
        const O_DSYNC = 0o10000;
        /// Signal-driven I/O (accepted, not delivered yet).
        const O_ASYNC = 0o20000;
        /// Direct I/O (accepted, meaningless for memory file systems).
        const O_DIRECT = 0o40000;
        /// Large file offsets (always on for 64-bit).
        const O_LARGEFILE = 0o100000;
        /// Fail with `ENOTDIR` unless the path names a directory.
        const O_DIRECTORY = 0o200000;
        /// Fail with `ELOOP` if the last component is a symbolic link.
        const O_NOFOLLOW = 0o400000;
        /// Do not update the access time.
        const O_NOATIME = 0o1000000;
        /// Close on exec: an fd flag, kept by the fd table, not the description.
        const O_CLOEXEC = 0o2000000;
        /// Synchronous writes (accepted).
        const O_SYNC = 0o4010000;
        /// A handle that names the file without allowing I/O.
        const O_PATH = 0o10000000;
    }
}

/// Which of read and write an open file description allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessMode {
    /// `O_RDONLY`.
    ReadOnly,
    /// `O_WRONLY`.
    WriteOnly,
    /// `O_RDWR`.
    ReadWrite,
}

impl AccessMode {
    /// Whether reads are allowed.
    pub const fn readable(self) -> bool {
        matches!(self, AccessMode::ReadOnly | AccessMode::ReadWrite)
    }

    /// Whether writes are allowed.
    pub const fn writable(self) -> bool {
        matches!(self, AccessMode::WriteOnly | AccessMode::ReadWrite)
    }

    /// The `O_ACCMODE` bits for this mode.
    pub const fn bits(self) -> u32 {
        match self {
            AccessMode::ReadOnly => 0,
            AccessMode::WriteOnly => 1,
            AccessMode::ReadWrite => 2,
        }
    }
}

impl OpenFlags {
    /// The mask of the access-mode bits (`O_ACCMODE`).
    pub const ACCMODE: u32 = 0o3;
    /// The flags `fcntl(F_SETFL)` may change; the rest are fixed at open.
    pub const SETTABLE_STATUS: OpenFlags = OpenFlags::O_APPEND
        .union(OpenFlags::O_NONBLOCK)
        .union(OpenFlags::O_ASYNC)
        .union(OpenFlags::O_DIRECT)
        .union(OpenFlags::O_NOATIME);

    /// The access mode; the value 3 is not one Courage accepts (`EINVAL`).
    pub fn access_mode(self) -> Option<AccessMode> {
        match self.bits() & Self::ACCMODE {
            0 => Some(AccessMode::ReadOnly),
            1 => Some(AccessMode::WriteOnly),
            2 => Some(AccessMode::ReadWrite),
            _ => None,
        }
    }
}

/// Mode bits of `st_mode` (file type and permissions): `abi`'s, plus the
/// mask `chmod` applies.
pub mod mode {
    pub use abi::{
        S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, S_ISGID, S_ISUID,
        S_ISVTX,
    };
    /// Every permission bit `chmod` may set.
    pub const PERMISSION_MASK: u32 = 0o7777;
}

/// The type of a file, as the `S_IFMT` bits and `d_type` encode it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileType {
    /// Regular file.
    Regular,
    /// Directory.
    Directory,
    /// Symbolic link.
    Symlink,
    /// Character device.
    CharDevice,
    /// Block device.
    BlockDevice,
    /// FIFO (named or anonymous pipe).
    Fifo,
    /// Unix domain socket.
    Socket,
}

impl FileType {
    /// The type encoded in `st_mode`, if the bits name one.
    pub const fn from_mode(st_mode: u32) -> Option<FileType> {
        match st_mode & mode::S_IFMT {
            mode::S_IFREG => Some(FileType::Regular),
            mode::S_IFDIR => Some(FileType::Directory),
            mode::S_IFLNK => Some(FileType::Symlink),
            mode::S_IFCHR => Some(FileType::CharDevice),
            mode::S_IFBLK => Some(FileType::BlockDevice),
            mode::S_IFIFO => Some(FileType::Fifo),
            mode::S_IFSOCK => Some(FileType::Socket),
            _ => None,
        }
    }

    /// The `S_IF*` bits for this type.
    pub const fn mode_bits(self) -> u32 {
        match self {
            FileType::Regular => mode::S_IFREG,
            FileType::Directory => mode::S_IFDIR,
            FileType::Symlink => mode::S_IFLNK,
            FileType::CharDevice => mode::S_IFCHR,
            FileType::BlockDevice => mode::S_IFBLK,
            FileType::Fifo => mode::S_IFIFO,
            FileType::Socket => mode::S_IFSOCK,
        }
    }

    /// The `d_type` value `getdents64` reports (`DT_REG` 8, `DT_DIR` 4, ...).
    pub const fn dirent_type(self) -> u8 {
        match self {
            FileType::Fifo => 1,
            FileType::CharDevice => 2,
            FileType::Directory => 4,
            FileType::BlockDevice => 6,
            FileType::Regular => 8,
            FileType::Symlink => 10,
            FileType::Socket => 12,
        }
    }
}

/// A device number split as Linux's `makedev` does.
pub const fn make_dev(major: u32, minor: u32) -> u64 {
    let (major, minor) = (major as u64, minor as u64);
    ((major & 0xfffff000) << 32)
        | ((major & 0xfff) << 8)
        | ((minor & 0xffffff00) << 12)
        | (minor & 0xff)
}

bitflags! {
    /// `poll(2)` event bits with Linux values.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct PollEvents: u16 {
        /// Data to read.
        const POLLIN = 0x001;
        /// Urgent data.
        const POLLPRI = 0x002;
        /// Writing will not block.
        const POLLOUT = 0x004;
        /// Error condition (a pipe's write end with no readers).
        const POLLERR = 0x008;
        /// Hang up (a pipe's read end with no writers).
        const POLLHUP = 0x010;
        /// Invalid descriptor.
        const POLLNVAL = 0x020;
        /// Normal data to read.
        const POLLRDNORM = 0x040;
        /// Normal data may be written.
        const POLLWRNORM = 0x100;
        /// The peer closed its writing half (stream sockets).
        const POLLRDHUP = 0x2000;
    }
}

/// `lseek(2)` whence values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Whence {
    /// `SEEK_SET` (0): from the start.
    Set,
    /// `SEEK_CUR` (1): from the current offset.
    Current,
    /// `SEEK_END` (2): from the end of the file.
    End,
    /// `SEEK_DATA` (3): the next offset holding data.
    Data,
    /// `SEEK_HOLE` (4): the next hole (the end, for memory files).
    Hole,
}

impl Whence {
    /// The whence for a raw value; unknown values are `EINVAL` for the caller.
    pub const fn from_raw(raw: u32) -> Option<Whence> {
        match raw {
            0 => Some(Whence::Set),
            1 => Some(Whence::Current),
            2 => Some(Whence::End),
            3 => Some(Whence::Data),
            4 => Some(Whence::Hole),
            _ => None,
        }
    }
}
