//! The memory devices of Linux's major 1: `/dev/null`, `/dev/zero`, `/dev/full`.
//!
//! Their plain reads and writes are direct ([`File::is_direct`]): zeros go
//! straight to the caller's memory, written bytes are never read (a write
//! to `/dev/null` from any user buffer succeeds, as on Linux). Their offset
//! stays 0: `lseek` answers 0 whatever it is asked, as Linux's
//! `null_lseek`.

use abi::{Errno, KernelResult};

use crate::direct::ReadTarget;
use crate::file::File;

/// Linux's `null_lseek`: every seek of a memory device lands on 0 (an
/// unknown `whence` is still `EINVAL`).
fn seek_to_zero(whence: u32) -> Option<KernelResult<u64>> {
    const SEEK_MAX: u32 = 4;
    Some(if whence <= SEEK_MAX {
        Ok(0)
    } else {
        Err(Errno::EINVAL)
    })
}

/// `/dev/null`: reads end at once, writes vanish.
pub struct NullDevice;

/// `/dev/zero`: reads give zeros, writes vanish.
pub struct ZeroDevice;

/// `/dev/full`: reads give zeros, writes fail with `ENOSPC`.
pub struct FullDevice;

impl File for NullDevice {
    fn read(&self, _offset: u64, _buf: &mut [u8]) -> KernelResult<usize> {
        Ok(0)
    }

    fn write(&self, _offset: u64, buf: &[u8]) -> KernelResult<usize> {
        Ok(buf.len())
    }

    fn is_direct(&self) -> bool {
        true
    }

    fn read_direct(&self, _target: &dyn ReadTarget) -> KernelResult<usize> {
        Ok(0)
    }

    fn write_direct(&self, len: usize) -> KernelResult<usize> {
        Ok(len)
    }

    fn seek_positions(&self, _offset: i64, whence: u32) -> Option<KernelResult<u64>> {
        seek_to_zero(whence)
    }

    // Linux lets null and zero seek (to nowhere); programs rely on lseek succeeding.
    fn is_seekable(&self) -> bool {
        true
    }
}

impl File for ZeroDevice {
    fn read(&self, _offset: u64, buf: &mut [u8]) -> KernelResult<usize> {
        buf.fill(0);
        Ok(buf.len())
    }

    fn write(&self, _offset: u64, buf: &[u8]) -> KernelResult<usize> {
        Ok(buf.len())
    }

    fn is_direct(&self) -> bool {
        true
    }

    fn read_direct(&self, target: &dyn ReadTarget) -> KernelResult<usize> {
        target.fill_zeros()
    }

    fn write_direct(&self, len: usize) -> KernelResult<usize> {
        Ok(len)
    }

    fn seek_positions(&self, _offset: i64, whence: u32) -> Option<KernelResult<u64>> {
        seek_to_zero(whence)
    }

    fn is_seekable(&self) -> bool {
        true
    }
}

impl File for FullDevice {
    fn read(&self, _offset: u64, buf: &mut [u8]) -> KernelResult<usize> {
        buf.fill(0);
        Ok(buf.len())
    }

    fn write(&self, _offset: u64, _buf: &[u8]) -> KernelResult<usize> {
        Err(Errno::ENOSPC)
    }

    fn is_direct(&self) -> bool {
        true
    }

    fn read_direct(&self, target: &dyn ReadTarget) -> KernelResult<usize> {
        target.fill_zeros()
    }

    fn write_direct(&self, _len: usize) -> KernelResult<usize> {
        Err(Errno::ENOSPC)
    }

    fn seek_positions(&self, _offset: i64, whence: u32) -> Option<KernelResult<u64>> {
        seek_to_zero(whence)
    }

    fn is_seekable(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use alloc::sync::Arc;

    use super::*;
    use crate::description::FileDescription;
    use crate::types::OpenFlags;

    #[test]
    fn a_memory_device_s_offset_stays_at_zero_whatever_reads_it() {
        let zero = FileDescription::new(Arc::new(ZeroDevice), None, OpenFlags::O_RDWR).unwrap();
        assert!(zero.nature().direct);
        // The buffered read (what readv and sendfile use) gives zeros too...
        let mut buffer = [0xaa; 16];
        assert_eq!(zero.read(&mut buffer), Ok(16));
        assert_eq!(buffer, [0; 16]);
        // ...and moves no offset anyone can see.
        assert_eq!(zero.offset(), 0);
        assert_eq!(zero.lseek(0, 1), Ok(0));
        assert_eq!(zero.lseek(100, 0), Ok(0));
        assert_eq!(zero.lseek(0, 5), Err(Errno::EINVAL));
        assert_eq!(zero.write_direct(3), Ok(3));
        let full = FileDescription::new(Arc::new(FullDevice), None, OpenFlags::O_RDWR).unwrap();
        assert_eq!(full.write_direct(3), Err(Errno::ENOSPC));
        let null = FileDescription::new(Arc::new(NullDevice), None, OpenFlags::empty()).unwrap();
        assert_eq!(null.write_direct(3), Err(Errno::EBADF));
    }
}
