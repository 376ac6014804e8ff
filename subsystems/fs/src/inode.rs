//! The traits a file system implements: [`FileSystem`] and [`Inode`].
//!
//! Every method that a kind of inode does not support has a default that
//! returns the errno Linux gives, so a file system writes only what it has.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::any::Any;

use abi::{Errno, KernelResult};

use crate::custody::Custody;
use crate::device::CharacterDevice;
use crate::types::{FileType, Stat, Timespec};

/// An inode's identity across the whole VFS: its file system's device number
/// and its inode number there. Mounts are keyed by it and `..` at a chroot
/// root is detected by comparing it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InodeId {
    /// The file system's device number (`st_dev`).
    pub dev: u64,
    /// The inode number (`st_ino`).
    pub ino: u64,
}

/// The owner a new inode gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Owner {
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
}

/// One directory entry as `readdir` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    /// Inode number of the entry.
    pub ino: u64,
    /// The entry's name (`.` and `..` included).
    pub name: String,
    /// The entry's type (`d_type`).
    pub file_type: FileType,
}

/// How `utimensat` changes one timestamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeChange {
    /// `UTIME_OMIT`: leave it.
    Omit,
    /// `UTIME_NOW`: the file system's clock.
    Now,
    /// An explicit time.
    Set(Timespec),
}

/// What a default directory-changing method returns: `ENOTDIR` when the
/// inode is no directory, `EPERM` when it is one whose file system does not
/// allow the change.
fn unsupported_entry_change(kind: FileType) -> Errno {
    if kind == FileType::Directory {
        Errno::EPERM
    } else {
        Errno::ENOTDIR
    }
}

/// A mounted file system.
pub trait FileSystem: Send + Sync {
    /// The root directory.
    fn root(&self) -> Arc<dyn Inode>;
    /// The type name `/proc/mounts` shows (`"tmpfs"`, `"proc"`).
    fn name(&self) -> &'static str;

    /// A new regular file with no name (`memfd_create`): link count 0, so
    /// it lives as long as something holds it. With `sealable` its seals
    /// start empty; otherwise `F_SEAL_SEAL` is set. `EOPNOTSUPP` where the
    /// file system cannot.
    fn create_unnamed(
        &self,
        _perm: u32,
        _owner: Owner,
        _sealable: bool,
    ) -> KernelResult<Arc<dyn Inode>> {
        Err(Errno::EOPNOTSUPP)
    }
}

/// `F_SEAL_SEAL`: no more seals may be added.
pub const F_SEAL_SEAL: u32 = 0x1;
/// `F_SEAL_SHRINK`: the file may not shrink.
pub const F_SEAL_SHRINK: u32 = 0x2;
/// `F_SEAL_GROW`: the file may not grow.
pub const F_SEAL_GROW: u32 = 0x4;
/// `F_SEAL_WRITE`: the contents may not change.
pub const F_SEAL_WRITE: u32 = 0x8;
/// `F_SEAL_FUTURE_WRITE`: no new writes, existing mappings stay writable.
pub const F_SEAL_FUTURE_WRITE: u32 = 0x10;
/// Every seal `F_ADD_SEALS` knows.
pub const F_SEAL_ALL: u32 = 0x1f;

/// What a rename does with an existing target name (`renameat2`'s flags).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RenameMode {
    /// Replace a compatible target (plain `rename`).
    Replace,
    /// Fail with `EEXIST` if the target exists (`RENAME_NOREPLACE`).
    NoReplace,
    /// Swap the two names, which must both exist (`RENAME_EXCHANGE`).
    Exchange,
}

/// A file, directory, symbolic link or device node inside a file system.
///
/// Directory methods never receive `.` or `..`, nor names with `/` or longer
/// than `NAME_MAX`: the VFS resolves those through custodies and rejects the
/// rest before calling in. Permission checks are the VFS's too; an inode only
/// enforces what the file system's own structure demands (`EEXIST`,
/// `ENOTEMPTY`, `EISDIR`, ...).
pub trait Inode: Send + Sync {
    /// Identity (device and inode number).
    fn id(&self) -> InodeId;

    /// The type; fixed for the inode's life, so cheap to ask.
    fn file_type(&self) -> FileType;

    /// `struct stat` for this inode.
    fn stat(&self) -> Stat;

    /// A regular file's pages, when the file keeps its content in memory
    /// (tmpfs); `None` for everything else (the default).
    fn file_pages(&self) -> Option<Arc<dyn crate::file_pages::FilePages>> {
        None
    }

    /// Reads at `offset`; returns 0 at or past the end.
    fn read_at(&self, _offset: u64, _buf: &mut [u8]) -> KernelResult<usize> {
        Err(match self.file_type() {
            FileType::Directory => Errno::EISDIR,
            _ => Errno::EINVAL,
        })
    }

    /// Writes at `offset`, growing the file (and leaving a hole) as needed.
    fn write_at(&self, _offset: u64, _buf: &[u8]) -> KernelResult<usize> {
        Err(match self.file_type() {
            FileType::Directory => Errno::EISDIR,
            _ => Errno::EINVAL,
        })
    }

    /// Writes at the current end of file as one step (for `O_APPEND`),
    /// returning the bytes written and the offset just past them. The default
    /// reads the size and then writes; file systems with a lock override it
    /// so concurrent appenders never overwrite each other.
    fn append(&self, buf: &[u8]) -> KernelResult<(usize, u64)> {
        let end = u64::try_from(self.stat().size).unwrap_or(0);
        let written = self.write_at(end, buf)?;
        Ok((written, end + written as u64))
    }

    /// The process this inode stands for, for a `/proc/<pid>` directory
    /// (which `pidfd_send_signal` takes as a pidfd); `None` for the rest.
    fn process_id(&self) -> Option<i32> {
        None
    }

    /// The file's seals (`F_GET_SEALS`); `EINVAL` where files cannot be
    /// sealed.
    fn seals(&self) -> KernelResult<u32> {
        Err(Errno::EINVAL)
    }

    /// Adds seals (`F_ADD_SEALS`): `EPERM` once `F_SEAL_SEAL` is set,
    /// `EINVAL` where files cannot be sealed.
    fn add_seals(&self, _seals: u32) -> KernelResult<()> {
        Err(Errno::EINVAL)
    }

    /// Sets the size, dropping or zero-extending data.
    fn truncate(&self, _size: u64) -> KernelResult<()> {
        Err(match self.file_type() {
            FileType::Directory => Errno::EISDIR,
            _ => Errno::EINVAL,
        })
    }

    /// For a directory whose entries change only through this file
    /// system's own create, link, unlink, rmdir and rename: a number that
    /// every such change moves, so the VFS may cache what [`Inode::lookup`]
    /// answered while it stays the same (procfs gives the process table's
    /// membership generation). `None` (the default) for directories whose
    /// entries change with nothing to count them by (a process's fd
    /// directory) and for everything that is no directory: nothing of
    /// theirs is cached.
    fn entries_version(&self) -> Option<u64> {
        None
    }

    /// Finds `name` in this directory.
    fn lookup(&self, _name: &str) -> KernelResult<Arc<dyn Inode>> {
        Err(Errno::ENOTDIR)
    }

    /// Creates `name` as a new file, directory, device node, FIFO or socket
    /// with permission bits `perm` (the caller applied the umask).
    fn create(
        &self,
        _name: &str,
        _kind: FileType,
        _perm: u32,
        _owner: Owner,
        _rdev: u64,
    ) -> KernelResult<Arc<dyn Inode>> {
        Err(unsupported_entry_change(self.file_type()))
    }

    /// Creates `name` as a symbolic link to `target`.
    fn symlink(&self, _name: &str, _target: &str, _owner: Owner) -> KernelResult<Arc<dyn Inode>> {
        Err(unsupported_entry_change(self.file_type()))
    }

    /// Adds `name` as a new hard link to `target` (never a directory).
    fn link(&self, _name: &str, _target: &Arc<dyn Inode>) -> KernelResult<()> {
        Err(unsupported_entry_change(self.file_type()))
    }

    /// Removes the non-directory entry `name`.
    fn unlink(&self, _name: &str) -> KernelResult<()> {
        Err(unsupported_entry_change(self.file_type()))
    }

    /// Removes the empty directory `name`.
    fn rmdir(&self, _name: &str) -> KernelResult<()> {
        Err(unsupported_entry_change(self.file_type()))
    }

    /// Moves entry `old_name` of this directory to `new_name` in `new_dir`
    /// (same file system); `mode` says what happens to an existing
    /// `new_name` (replaced if compatible, as Linux does; refused; or
    /// swapped with the source). The check and the change are one step
    /// against other changes of the file system's names.
    fn rename(
        &self,
        _old_name: &str,
        _new_dir: &Arc<dyn Inode>,
        _new_name: &str,
        _mode: RenameMode,
    ) -> KernelResult<()> {
        Err(unsupported_entry_change(self.file_type()))
    }

    /// A symbolic link's target.
    fn readlink(&self) -> KernelResult<String> {
        Err(Errno::EINVAL)
    }

    /// For procfs-style "magic" links (`/proc/self/cwd`, `/proc/self/fd/3`):
    /// the custody the link leads to, which path resolution then uses
    /// instead of resolving the text `readlink` returns.
    fn magic_link(&self) -> Option<Custody> {
        None
    }

    /// The entry at `cookie` (0 is the start) and the cookie of the next one,
    /// or `None` at the end. A cookie stays valid while other entries come and
    /// go, so `telldir`/`seekdir` and partial `getdents64` calls work.
    fn readdir(&self, _cookie: u64) -> KernelResult<Option<(DirEntry, u64)>> {
        Err(Errno::ENOTDIR)
    }

    /// Sets the permission bits (`mode & 0o7777`).
    fn chmod(&self, _perm: u32) -> KernelResult<()> {
        Err(Errno::EPERM)
    }

    /// Changes owner and/or group.
    fn chown(&self, _uid: Option<u32>, _gid: Option<u32>) -> KernelResult<()> {
        Err(Errno::EPERM)
    }

    /// Changes access and modification times.
    fn set_times(&self, _atime: TimeChange, _mtime: TimeChange) -> KernelResult<()> {
        Err(Errno::EPERM)
    }

    /// The pipe of a FIFO node, made with `make` on first use; `None` for
    /// anything else (and for file systems without FIFOs).
    fn fifo_pipe(
        &self,
        make: &dyn Fn() -> Arc<crate::pipe::Pipe>,
    ) -> Option<Arc<crate::pipe::Pipe>> {
        let _ = make;
        None
    }

    /// The file an `open` of this regular file does its I/O through, for
    /// inodes that keep state per open (procfs's snapshot of what it
    /// rendered, as Linux's `seq_file`); `None` (the default) for the
    /// plain [`InodeFile`](crate::file::InodeFile) over the inode.
    fn open_file(self: Arc<Self>) -> Option<Arc<dyn crate::file::File>> {
        None
    }

    /// The device a character-device node opens, if one is attached.
    fn character_device(&self) -> Option<Arc<dyn CharacterDevice>> {
        None
    }

    /// The value of extended attribute `name` (`ENODATA` if unset); the
    /// caller has checked the name and the caller's rights
    /// ([`crate::xattr`]). `EOPNOTSUPP` where the file system keeps none
    /// (the default).
    fn get_xattr(&self, _name: &[u8]) -> KernelResult<Vec<u8>> {
        Err(Errno::EOPNOTSUPP)
    }

    /// Sets extended attribute `name` under `flags` (see
    /// [`crate::xattr::ExtendedAttributes::set`]); `EOPNOTSUPP` by default.
    fn set_xattr(&self, _name: &[u8], _value: &[u8], _flags: u32) -> KernelResult<()> {
        Err(Errno::EOPNOTSUPP)
    }

    /// Removes extended attribute `name`; `EOPNOTSUPP` by default.
    fn remove_xattr(&self, _name: &[u8]) -> KernelResult<()> {
        Err(Errno::EOPNOTSUPP)
    }

    /// The names of the extended attributes `visible` accepts, each
    /// followed by a NUL; `EOPNOTSUPP` by default.
    fn list_xattrs(&self, _visible: &dyn Fn(&[u8]) -> bool) -> KernelResult<Vec<u8>> {
        Err(Errno::EOPNOTSUPP)
    }

    /// `self` as `Any`, so a file system can recognise its own inodes in
    /// `link` and `rename` (implement as `{ self }`).
    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;
}
