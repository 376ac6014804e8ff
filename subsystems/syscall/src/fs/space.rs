//! A file's space, access advice and write-back: fallocate, fadvise64,
//! readahead, sync_file_range.

use abi::Errno;
use fs::FileType;

use crate::SyscallResult;
use crate::args::Fd;
use crate::context::Context;
use crate::kernel::Kernel;

/// `fallocate(fd, mode, offset, len)`: see
/// [`fs::FileDescription::fallocate`] (every file system here is in
/// memory: nothing is reserved, sizes and zeroed ranges are what a caller
/// sees).
pub fn fallocate<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    mode: u32,
    offset: i64,
    len: i64,
) -> SyscallResult {
    ctx.description(fd)?.fallocate(mode, offset, len)?;
    Ok(0)
}

/// `fadvise64(fd, offset, len, advice)`: a hint about how the range will
/// be read, which an in-memory file system has no use for. Checked as
/// Linux's `generic_fadvise`: `ESPIPE` on a pipe or FIFO, `EINVAL` for a
/// negative length or advice other than `POSIX_FADV_NORMAL` (0) to
/// `POSIX_FADV_NOREUSE` (5).
pub fn fadvise64<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    _offset: i64,
    len: i64,
    advice: u32,
) -> SyscallResult {
    let description = ctx.description(fd)?;
    if description.file().pipe().is_some() {
        return Err(Errno::ESPIPE);
    }
    if len < 0 || advice > 5 {
        return Err(Errno::EINVAL);
    }
    Ok(0)
}

/// `readahead(fd, offset, count)`: start reading a range into the page
/// cache. A file here is all in memory already, so once the checks of
/// Linux's `ksys_readahead` pass (`EBADF` unless open for reading,
/// `EINVAL` unless a regular file) there is nothing left to start.
pub fn readahead<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    _offset: i64,
    _count: usize,
) -> SyscallResult {
    let description = ctx.description(fd)?;
    if !description.access_mode().readable() {
        return Err(Errno::EBADF);
    }
    match description.inode().map(|inode| inode.file_type()) {
        Some(FileType::Regular) => Ok(0),
        _ => Err(Errno::EINVAL),
    }
}

/// `SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
/// SYNC_FILE_RANGE_WAIT_AFTER`.
const SYNC_FILE_RANGE_FLAGS: u32 = 1 | 2 | 4;

/// `sync_file_range(fd, offset, nbytes, flags)`: write a range's dirty
/// pages back. Every file system here is in memory, so, as `fsync`, a
/// call that passes Linux's checks has nothing to write: `EINVAL` for
/// unknown flags or a negative or overflowing range (before the
/// descriptor is looked at), `EBADF`, and `ESPIPE` for anything but a
/// regular file, directory or symlink.
pub fn sync_file_range<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    offset: i64,
    nbytes: i64,
    flags: u32,
) -> SyscallResult {
    if flags & !SYNC_FILE_RANGE_FLAGS != 0 || offset < 0 || nbytes < 0 {
        return Err(Errno::EINVAL);
    }
    offset.checked_add(nbytes).ok_or(Errno::EINVAL)?;
    let description = ctx.description(fd)?;
    match description.inode().map(|inode| inode.file_type()) {
        Some(FileType::Regular | FileType::Directory | FileType::Symlink) => Ok(0),
        _ => Err(Errno::ESPIPE),
    }
}
