//! Where executable bytes come from: the one trait a kernel implements to let
//! the loader read a file.

use abi::{Errno, KernelResult};

/// Random-access reads from an executable file.
///
/// The kernel implements this for an open inode or file description; tests
/// and small images use the `&[u8]` implementation.
pub trait ReadAt {
    /// The file's size in bytes, as `stat` reports it.
    fn size(&self) -> u64;

    /// Reads up to `buf.len()` bytes starting at `offset`; returns how many
    /// were read (0 at or past the end). Errors (`EIO`, ...) are passed on
    /// to the caller of exec unchanged.
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> KernelResult<usize>;
}

impl ReadAt for &[u8] {
    fn size(&self) -> u64 {
        self.len() as u64
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> KernelResult<usize> {
        let Ok(start) = usize::try_from(offset) else {
            return Ok(0);
        };
        let Some(rest) = self.get(start..) else {
            return Ok(0);
        };
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        Ok(n)
    }
}

/// Fills `buf` from `offset`, or fails with `ENOEXEC` if the file ends first
/// (a header that points past the end of its file is malformed).
pub(crate) fn read_exact_at<R: ReadAt + ?Sized>(
    file: &mut R,
    mut offset: u64,
    mut buf: &mut [u8],
) -> KernelResult<()> {
    while !buf.is_empty() {
        let n = file.read_at(offset, buf)?;
        if n == 0 || n > buf.len() {
            return Err(Errno::ENOEXEC);
        }
        offset = offset.checked_add(n as u64).ok_or(Errno::ENOEXEC)?;
        buf = &mut buf[n..];
    }
    Ok(())
}

/// Reads as much of `buf` as the file holds from `offset`, returning the
/// count (short only at end of file).
pub(crate) fn read_prefix_at<R: ReadAt + ?Sized>(
    file: &mut R,
    mut offset: u64,
    buf: &mut [u8],
) -> KernelResult<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        let n = file.read_at(offset, &mut buf[filled..])?;
        if n == 0 || n > buf.len() - filled {
            break;
        }
        filled += n;
        offset = offset.checked_add(n as u64).ok_or(Errno::ENOEXEC)?;
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file that hands out at most one byte per read, like a slow device.
    struct Trickle<'a>(&'a [u8]);

    impl ReadAt for Trickle<'_> {
        fn size(&self) -> u64 {
            self.0.len() as u64
        }
        fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> KernelResult<usize> {
            let mut one = self.0;
            let len = buf.len().min(1);
            one.read_at(offset, &mut buf[..len])
        }
    }

    #[test]
    fn short_reads_are_retried_until_full() {
        let data = [1u8, 2, 3, 4, 5];
        let mut buf = [0u8; 3];
        read_exact_at(&mut Trickle(&data), 1, &mut buf).unwrap();
        assert_eq!(buf, [2, 3, 4]);
    }

    #[test]
    fn reading_past_end_of_file_is_enoexec() {
        let data = [1u8, 2, 3];
        let mut buf = [0u8; 4];
        assert_eq!(
            read_exact_at(&mut &data[..], 0, &mut buf),
            Err(Errno::ENOEXEC)
        );
        assert_eq!(read_prefix_at(&mut &data[..], 1, &mut buf), Ok(2));
        assert_eq!(read_prefix_at(&mut &data[..], u64::MAX, &mut buf), Ok(0));
    }
}
