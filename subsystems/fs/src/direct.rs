//! Reads and writes that move no bytes through a kernel buffer: a file
//! whose bytes are made, not stored (`/dev/zero`, `/dev/null`,
//! `/dev/full`) puts them straight into the caller's memory, or takes a
//! write without reading it (Linux's `read_iter` over an `iov_iter`). The
//! system-call layer implements [`ReadTarget`] over user memory; a file
//! says it reads and writes this way with [`File::is_direct`].
//!
//! [`File::is_direct`]: crate::File::is_direct

use abi::KernelResult;

/// The caller's buffer that a direct read fills ([`File::read_direct`]).
///
/// [`File::read_direct`]: crate::File::read_direct
pub trait ReadTarget {
    /// Zeroes the buffer and says how many bytes that was (a read of
    /// `/dev/zero` or `/dev/full` is this one call): all of it, or the
    /// bytes before the first that cannot be written, `EFAULT` if that is
    /// the first (Linux's `read_iter_zero`).
    fn fill_zeros(&self) -> KernelResult<usize>;
}
