//! A file's space and access advice: fallocate, fadvise64.

use abi::Errno;

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
