//! Open file descriptions: what `open` returns and fds point at. One
//! description is shared by every fd that `dup` or `fork` made from the
//! first, so they share the offset and status flags; close-on-exec is per fd
//! and lives in the process crate's fd table.

use alloc::sync::Arc;
use core::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};

use abi::{Errno, KernelResult};

use crate::custody::Custody;
use crate::dirent::{DirentLayout, encode_dirent};
use crate::file::File;
use crate::inode::Inode;
use crate::inotify;
use crate::sleep_lock::SleepLock;
use crate::types::{AccessMode, FileType, OpenFlags, PollEvents, Stat, Whence, mode};
use crate::wait::WaitQueue;

/// Open file descriptions, system-wide (`/proc/sys/fs/file-nr`).
static OPEN_FILES: AtomicUsize = AtomicUsize::new(0);

/// The system-wide limit on them (`/proc/sys/fs/file-max`).
static FILE_MAX: AtomicUsize = AtomicUsize::new(usize::MAX);

/// Linux's floor for `file-max` (`NR_FILE`).
pub const NR_FILE: usize = 8192;

/// Open file descriptions now, system-wide.
pub fn open_files() -> usize {
    OPEN_FILES.load(Ordering::Relaxed)
}

/// The system-wide limit on open file descriptions: opening one more
/// fails with `ENFILE` (no limit until the kernel sets one).
pub fn file_max() -> usize {
    FILE_MAX.load(Ordering::Relaxed)
}

/// Sets [`file_max`]. Lowering it below [`open_files`] closes nothing;
/// new opens fail until enough are closed.
pub fn set_file_max(max: usize) {
    FILE_MAX.store(max, Ordering::Relaxed);
}

/// Linux's default `file-max` for `total_kib` of memory: a tenth of it in
/// KiB, at least [`NR_FILE`].
pub fn default_file_max(total_kib: u64) -> usize {
    usize::try_from(total_kib / 10)
        .unwrap_or(usize::MAX)
        .max(NR_FILE)
}

/// An open file: what it reads and writes through, how it was opened, and
/// the shared offset.
pub struct FileDescription {
    file: Arc<dyn File>,
    nature: FileNature,
    inode: Option<Arc<dyn Inode>>,
    /// Whether `inode` is a directory (an inode's type never changes):
    /// every read asks, so not through the inode's vtable.
    directory: bool,
    custody: Option<Custody>,
    access: AccessMode,
    path_only: bool,
    /// What `read` and `write` fail with before they start, if anything
    /// (`EBADF` for the access mode or `O_PATH`, `EISDIR`): all of it is
    /// fixed at open, so every call tests one word, not three fields.
    refusals: (Option<Errno>, Option<Errno>),
    /// The shared offset.
    position: Position,
    /// `O_APPEND`, `O_NONBLOCK`, ... (never the access mode or creation
    /// flags): read on every blocking call, so not behind the offset's lock.
    status: AtomicU32,
}

/// A description's shared offset. Reads, writes and seeks of a regular
/// file or directory hold its lock across the operation, so that two
/// threads reading one description each get their own bytes (Linux's
/// `FMODE_ATOMIC_POS`). Other seekable files (devices such as
/// `/dev/zero`) read and update it without the lock, as Linux does for
/// them: their offset seldom means anything, and their I/O is hot.
struct Position {
    value: AtomicU64,
    /// A sleeping lock: a read it covers may sleep ([`crate::sleep_lock`]).
    lock: Option<SleepLock>,
}

impl Position {
    fn new(serialized: bool) -> Position {
        Position {
            value: AtomicU64::new(0),
            lock: serialized.then(SleepLock::new),
        }
    }

    fn get(&self) -> u64 {
        self.value.load(Ordering::Relaxed)
    }

    /// Runs `operation` on the offset, which it advances in place. A
    /// serialized offset keeps whatever it was advanced to; an unlocked
    /// one only what a successful operation left (as Linux writes
    /// `f_pos` back only on success), so a failure does not undo a
    /// concurrent update.
    // Always inlined: left to itself, LLVM outlines it (with its closure)
    // from the reads and writes of devices, the hottest callers.
    #[inline(always)]
    fn update<T>(&self, operation: impl FnOnce(&mut u64) -> KernelResult<T>) -> KernelResult<T> {
        let _serialized = self.lock.as_ref().map(SleepLock::lock);
        let mut at = self.value.load(Ordering::Relaxed);
        let result = operation(&mut at);
        if self.lock.is_some() || result.is_ok() {
            self.value.store(at, Ordering::Relaxed);
        }
        result
    }
}

/// What kind of object a description's file is, asked once when the
/// description is made ([`File::nature`]; none of it changes over a
/// file's life): the I/O
/// paths test these bits instead of asking the file through its vtable on
/// every `read` and `write`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FileNature {
    /// `lseek` and positional I/O apply ([`File::is_seekable`]).
    pub seekable: bool,
    /// A terminal ([`File::terminal`]): reads and writes follow job control.
    pub terminal: bool,
    /// A signalfd ([`File::signal_mask`]).
    pub signalfd: bool,
    /// Part of a pseudo-terminal pair ([`File::pseudo_terminal`]): a
    /// master's writes may type job-control keys.
    pub pseudo_terminal: bool,
    /// It has a wait queue ([`File::wait_queue`]; which queue may change,
    /// as a socket's does when it connects, but not whether there is one):
    /// its operations may say `EAGAIN` and be retried after a wake.
    pub waitable: bool,
    /// Plain reads and writes move no bytes through a kernel buffer
    /// ([`File::is_direct`]: the memory devices); its offset stays 0.
    pub direct: bool,
}

impl core::fmt::Debug for FileDescription {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FileDescription")
            .field("custody", &self.custody)
            .field("access", &self.access)
            .field("path_only", &self.path_only)
            .finish()
    }
}

impl Drop for FileDescription {
    fn drop(&mut self) {
        OPEN_FILES.fetch_sub(1, Ordering::Relaxed);
        crate::inotify::closed(self);
    }
}

impl FileDescription {
    /// A description of `file` opened with `flags`, reached through
    /// `custody` (and its inode) when it has a name. `EINVAL` for access
    /// mode 3; `ENFILE` when [`file_max`] are open. (Linux lets
    /// `CAP_SYS_ADMIN` past the limit; here it holds for everyone.)
    pub fn new(
        file: Arc<dyn File>,
        custody: Option<Custody>,
        flags: OpenFlags,
    ) -> KernelResult<Arc<FileDescription>> {
        let access = flags.access_mode().ok_or(Errno::EINVAL)?;
        OPEN_FILES
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |open| {
                (open < file_max()).then_some(open + 1)
            })
            .map_err(|_| Errno::ENFILE)?;
        let inode = custody.as_ref().map(|custody| custody.inode().clone());
        let file_type = inode.as_ref().map(|inode| inode.file_type());
        let directory = file_type == Some(FileType::Directory);
        let serialized = directory || file_type == Some(FileType::Regular);
        let path_only = flags.contains(OpenFlags::O_PATH);
        let read_refusal = if path_only || !access.readable() {
            Some(Errno::EBADF)
        } else if directory {
            Some(Errno::EISDIR)
        } else {
            None
        };
        let write_refusal = (path_only || !access.writable()).then_some(Errno::EBADF);
        Ok(Arc::new(FileDescription {
            nature: file.nature(),
            file,
            inode,
            directory,
            custody,
            access,
            path_only,
            refusals: (read_refusal, write_refusal),
            position: Position::new(serialized),
            status: AtomicU32::new((flags & OpenFlags::SETTABLE_STATUS).bits()),
        }))
    }

    /// The object I/O goes to.
    pub fn file(&self) -> &Arc<dyn File> {
        &self.file
    }

    /// What kind of object the file is.
    pub fn nature(&self) -> FileNature {
        self.nature
    }

    /// The inode, for descriptions opened by path.
    pub fn inode(&self) -> Option<&Arc<dyn Inode>> {
        self.inode.as_ref()
    }

    /// The custody it was opened through (for `fchdir`, `/proc/self/fd`).
    pub fn custody(&self) -> Option<&Custody> {
        self.custody.as_ref()
    }

    /// The access mode fixed at open.
    pub fn access_mode(&self) -> AccessMode {
        self.access
    }

    /// Whether this is an `O_PATH` handle (no I/O).
    pub fn is_path_only(&self) -> bool {
        self.path_only
    }

    /// Whether it names a directory.
    pub fn is_directory(&self) -> bool {
        self.directory
    }

    /// `F_GETFL`: access mode plus status flags (plus `O_PATH`).
    pub fn status_flags(&self) -> OpenFlags {
        let mut flags = self.status() | OpenFlags::from_bits_retain(self.access.bits());
        if self.path_only {
            flags |= OpenFlags::O_PATH;
        }
        flags
    }

    /// `F_SETFL`: replaces the settable status flags, ignores the rest.
    pub fn set_status_flags(&self, flags: OpenFlags) {
        let settable = flags & OpenFlags::SETTABLE_STATUS;
        self.status.store(settable.bits(), Ordering::Relaxed);
    }

    fn status(&self) -> OpenFlags {
        OpenFlags::from_bits_retain(self.status.load(Ordering::Relaxed))
    }

    /// Whether `O_NONBLOCK` is set: the caller returns `EAGAIN` to user space
    /// instead of sleeping.
    pub fn is_nonblocking(&self) -> bool {
        self.status().contains(OpenFlags::O_NONBLOCK)
    }

    /// The current offset (always 0 for a file whose reads and writes
    /// are direct, as `lseek` says: what its vectored forms advance is
    /// not a position).
    pub fn offset(&self) -> u64 {
        if self.nature.direct {
            return 0;
        }
        self.position.get()
    }

    fn check_readable(&self) -> KernelResult<()> {
        match self.refusals.0 {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    fn check_writable(&self) -> KernelResult<()> {
        match self.refusals.1 {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// `read`: at the shared offset, advancing it.
    pub fn read(&self, buf: &mut [u8]) -> KernelResult<usize> {
        self.check_readable()?;
        // Nothing without a name can be watched (pipes, sockets, event
        // counters): their hot path stays a tail call.
        if self.custody.is_none() {
            return self.read_at_offset(buf);
        }
        let result = self.read_at_offset(buf);
        self.report_transfer(&result, inotify::IN_ACCESS);
        result
    }

    /// `read` of a file that [`File::is_direct`] ([`FileNature::direct`]):
    /// straight into `target`, the offset untouched.
    #[inline]
    pub fn read_direct(&self, target: &dyn crate::direct::ReadTarget) -> KernelResult<usize> {
        self.check_readable()?;
        let result = self.file.read_direct(target);
        self.report_transfer(&result, inotify::IN_ACCESS);
        result
    }

    #[inline]
    fn read_at_offset(&self, buf: &mut [u8]) -> KernelResult<usize> {
        if !self.nature.seekable {
            return self.file.read(0, buf);
        }
        self.position.update(|at| {
            let read = self.file.read(*at, buf)?;
            *at = at.saturating_add(read as u64);
            Ok(read)
        })
    }

    /// Tells inotify watches of a read or write that moved bytes (one
    /// load when nothing in the machine is watched).
    #[inline]
    fn report_transfer(&self, result: &KernelResult<usize>, mask: u32) {
        if inotify::watching() {
            self.report_moved(result, mask);
        }
    }

    /// The rest of [`FileDescription::report_transfer`] once something in
    /// the machine is watched: out of line, so the common case is one load
    /// and one branch.
    #[inline(never)]
    fn report_moved(&self, result: &KernelResult<usize>, mask: u32) {
        if matches!(result, Ok(moved) if *moved > 0) {
            self.report(mask);
        }
    }

    /// Tells inotify watches that `mask` (one `fs::inotify::IN_*` event)
    /// happened to this file: its own methods report reads, writes,
    /// truncation and the close; the caller reports what it changes
    /// through the inode (`fchmod`, `fchown`, `futimens`, `fsetxattr`).
    pub fn report(&self, mask: u32) {
        // Only a named description has an inode: its custody says it all.
        if let Some(custody) = &self.custody {
            inotify::custody_event(custody, mask);
        }
    }

    /// Gives a stream back the bytes a [`FileDescription::read`] took,
    /// whose copy to user memory failed ([`File::unread`]); a seekable
    /// file's caller moves the offset back instead. Returns whether they
    /// were kept.
    pub fn unread(&self, bytes: &[u8]) -> bool {
        !self.nature.seekable && self.file.unread(bytes)
    }

    /// `write`: at the shared offset, or the end with `O_APPEND`. `EPIPE`
    /// means the caller must also raise `SIGPIPE` (see [`crate::pipe`]).
    /// `O_APPEND` writes go through [`File::append`], atomic in tmpfs, so
    /// concurrent appenders never overwrite each other.
    pub fn write(&self, buf: &[u8]) -> KernelResult<usize> {
        self.check_writable()?;
        if self.custody.is_none() {
            return self.write_at_offset(buf);
        }
        let result = self.write_at_offset(buf);
        self.report_transfer(&result, inotify::IN_MODIFY);
        result
    }

    /// `write` of `len` bytes to a file that [`File::is_direct`]
    /// ([`FileNature::direct`]): the bytes are not read, the offset is
    /// untouched.
    #[inline]
    pub fn write_direct(&self, len: usize) -> KernelResult<usize> {
        self.check_writable()?;
        let result = self.file.write_direct(len);
        self.report_transfer(&result, inotify::IN_MODIFY);
        result
    }

    #[inline]
    fn write_at_offset(&self, buf: &[u8]) -> KernelResult<usize> {
        if !self.nature.seekable {
            return self.file.write(0, buf);
        }
        self.position.update(|at| {
            let (written, end) = if self.status().contains(OpenFlags::O_APPEND) {
                self.file.append(buf)?
            } else {
                let written = self.file.write(*at, buf)?;
                (written, at.saturating_add(written as u64))
            };
            *at = end;
            Ok(written)
        })
    }

    /// `pread64`: at `offset`, leaving the shared offset alone.
    pub fn pread(&self, buf: &mut [u8], offset: i64) -> KernelResult<usize> {
        self.check_readable()?;
        if !self.nature.seekable {
            return Err(Errno::ESPIPE);
        }
        let offset = u64::try_from(offset).map_err(|_| Errno::EINVAL)?;
        let result = self.file.read(offset, buf);
        self.report_transfer(&result, inotify::IN_ACCESS);
        result
    }

    /// `pwrite64`: at `offset`; with `O_APPEND` Linux appends anyway, and so
    /// does this.
    pub fn pwrite(&self, buf: &[u8], offset: i64) -> KernelResult<usize> {
        self.check_writable()?;
        if !self.nature.seekable {
            return Err(Errno::ESPIPE);
        }
        let offset = u64::try_from(offset).map_err(|_| Errno::EINVAL)?;
        let result = if self.status().contains(OpenFlags::O_APPEND) {
            self.file.append(buf).map(|(written, _)| written)
        } else {
            self.file.write(offset, buf)
        };
        self.report_transfer(&result, inotify::IN_MODIFY);
        result
    }

    /// `lseek`: `ESPIPE` on pipes and devices without positions, `EINVAL` for
    /// an unknown whence or a negative or overflowing result, `ENXIO` for
    /// `SEEK_DATA`/`SEEK_HOLE` at or past the end.
    pub fn lseek(&self, offset: i64, whence: u32) -> KernelResult<u64> {
        if self.path_only {
            return Err(Errno::EBADF);
        }
        if let Some(result) = self.file.seek_positions(offset, whence) {
            return result;
        }
        if !self.nature.seekable {
            return Err(Errno::ESPIPE);
        }
        let whence = Whence::from_raw(whence).ok_or(Errno::EINVAL)?;
        self.position.update(|position| {
            let current = i64::try_from(*position).map_err(|_| Errno::EOVERFLOW)?;
            let new = if self.is_directory() {
                // Directory offsets are readdir cookies: only absolute and relative moves.
                match whence {
                    Whence::Set => offset,
                    Whence::Current => current.checked_add(offset).ok_or(Errno::EINVAL)?,
                    _ => return Err(Errno::EINVAL),
                }
            } else {
                let size = i64::try_from(self.file.size()?).map_err(|_| Errno::EOVERFLOW)?;
                match whence {
                    Whence::Set => offset,
                    Whence::Current => current.checked_add(offset).ok_or(Errno::EINVAL)?,
                    Whence::End => size.checked_add(offset).ok_or(Errno::EINVAL)?,
                    Whence::Data | Whence::Hole if offset < 0 || offset >= size => {
                        return Err(Errno::ENXIO);
                    }
                    Whence::Data => offset,
                    Whence::Hole => size,
                }
            };
            let new = u64::try_from(new).map_err(|_| Errno::EINVAL)?;
            *position = new;
            Ok(new)
        })
    }

    /// `getdents64`: fills `buf` with `linux_dirent64` records from the
    /// current cookie; 0 at the end, `EINVAL` if even one record does not fit.
    pub fn getdents64(&self, buf: &mut [u8]) -> KernelResult<usize> {
        self.getdents(buf, DirentLayout::Dirent64)
    }

    /// [`FileDescription::getdents64`] with records in `layout` (the old
    /// `getdents` fills `linux_dirent` records).
    /// Every successful call is an `IN_ACCESS` for inotify, the last one
    /// (0 bytes) too, as Linux's `iterate_dir` reports.
    pub fn getdents(&self, buf: &mut [u8], layout: DirentLayout) -> KernelResult<usize> {
        let result = self.read_directory(buf, layout);
        if inotify::watching() && result.is_ok() {
            self.report(inotify::IN_ACCESS);
        }
        result
    }

    fn read_directory(&self, buf: &mut [u8], layout: DirentLayout) -> KernelResult<usize> {
        if self.path_only {
            return Err(Errno::EBADF);
        }
        let inode = self.inode.as_ref().ok_or(Errno::ENOTDIR)?;
        if inode.file_type() != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        self.position.update(|offset| {
            let mut filled = 0;
            while let Some((entry, next)) = inode.readdir(*offset)? {
                let next_offset = i64::try_from(next).map_err(|_| Errno::EOVERFLOW)?;
                let d_type = entry.file_type.dirent_type();
                match encode_dirent(
                    layout,
                    &mut buf[filled..],
                    entry.ino,
                    next_offset,
                    d_type,
                    &crate::name::to_bytes(&entry.name),
                ) {
                    Some(len) => filled += len,
                    None if filled == 0 => return Err(Errno::EINVAL),
                    None => break,
                }
                *offset = next;
            }
            Ok(filled)
        })
    }

    /// `ftruncate`: `EINVAL` unless open for writing and a regular file.
    pub fn truncate(&self, size: i64) -> KernelResult<()> {
        if self.path_only {
            return Err(Errno::EBADF);
        }
        if !self.access.writable() {
            return Err(Errno::EINVAL);
        }
        if self.is_directory() {
            return Err(Errno::EISDIR);
        }
        let size = u64::try_from(size).map_err(|_| Errno::EINVAL)?;
        self.file.truncate(size)?;
        self.report(inotify::IN_MODIFY);
        Ok(())
    }

    /// `fallocate(fd, mode, offset, len)` on an in-memory file system:
    /// mode 0 makes the file at least `offset + len` long (the new bytes
    /// read as zeros), [`fallocate::KEEP_SIZE`] alone changes nothing
    /// (there are no blocks to reserve), [`fallocate::PUNCH_HOLE`] (with
    /// `KEEP_SIZE`) and [`fallocate::ZERO_RANGE`] zero the range inside
    /// the file, and `ZERO_RANGE` without `KEEP_SIZE` extends it too.
    /// Errors as Linux's `vfs_fallocate`: `EINVAL` for a negative offset,
    /// a length below 1 or `PUNCH_HOLE` with `ZERO_RANGE`, `EOPNOTSUPP`
    /// for other modes or `PUNCH_HOLE` without `KEEP_SIZE`, `EBADF`
    /// unless open for writing, `ESPIPE` on a pipe, `EISDIR` on a
    /// directory, `ENODEV` on anything else that is not a regular file,
    /// `EFBIG` past the largest offset.
    pub fn fallocate(&self, flags: u32, offset: i64, len: i64) -> KernelResult<()> {
        use fallocate::{KEEP_SIZE, PUNCH_HOLE, ZERO_RANGE};
        if offset < 0 || len <= 0 {
            return Err(Errno::EINVAL);
        }
        if flags & !(KEEP_SIZE | PUNCH_HOLE | ZERO_RANGE) != 0 {
            return Err(Errno::EOPNOTSUPP);
        }
        if flags & PUNCH_HOLE != 0 {
            if flags & ZERO_RANGE != 0 {
                return Err(Errno::EINVAL);
            }
            if flags & KEEP_SIZE == 0 {
                return Err(Errno::EOPNOTSUPP);
            }
        }
        self.check_writable()?;
        let end = offset.checked_add(len).ok_or(Errno::EFBIG)? as u64;
        let stat = self.stat()?;
        match stat.mode & mode::S_IFMT {
            mode::S_IFREG => {}
            mode::S_IFIFO => return Err(Errno::ESPIPE),
            mode::S_IFDIR => return Err(Errno::EISDIR),
            _ => return Err(Errno::ENODEV),
        }
        let size = u64::try_from(stat.size).unwrap_or(0);
        if flags & (PUNCH_HOLE | ZERO_RANGE) != 0 {
            const ZEROS: [u8; 4096] = [0; 4096];
            let mut at = offset as u64;
            let stop = end.min(size);
            while at < stop {
                let chunk = (stop - at).min(ZEROS.len() as u64) as usize;
                let written = self.file.write(at, &ZEROS[..chunk])?;
                if written == 0 {
                    return Err(Errno::EIO);
                }
                at += written as u64;
            }
        }
        if flags & KEEP_SIZE == 0 && end > size {
            self.file.truncate(end)?;
        }
        self.report(inotify::IN_MODIFY);
        Ok(())
    }

    /// `ioctl`, passed to the file.
    pub fn ioctl(&self, request: u32, arg: usize) -> KernelResult<usize> {
        if self.path_only {
            return Err(Errno::EBADF);
        }
        self.file.ioctl(request, arg)
    }

    /// `poll` readiness.
    pub fn poll(&self) -> PollEvents {
        if self.path_only {
            return PollEvents::POLLNVAL;
        }
        self.file.poll()
    }

    /// Where to sleep after `EAGAIN` when not `O_NONBLOCK`.
    pub fn wait_queue(&self) -> Option<Arc<dyn WaitQueue>> {
        self.file.wait_queue()
    }

    /// `fstat`: the inode's if opened by path, else the file's own.
    pub fn stat(&self) -> KernelResult<Stat> {
        match &self.inode {
            Some(inode) => Ok(inode.stat()),
            None => self.file.stat(),
        }
    }
}

/// `fallocate`'s mode bits ([`FileDescription::fallocate`]).
pub mod fallocate {
    /// `FALLOC_FL_KEEP_SIZE`: the file's size stays as it is.
    pub const KEEP_SIZE: u32 = 0x01;
    /// `FALLOC_FL_PUNCH_HOLE`: the range reads as zeros afterwards.
    pub const PUNCH_HOLE: u32 = 0x02;
    /// `FALLOC_FL_ZERO_RANGE`: the range reads as zeros afterwards.
    pub const ZERO_RANGE: u32 = 0x10;
}
