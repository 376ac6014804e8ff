//! The memory devices of Linux's major 1: `/dev/null`, `/dev/zero`, `/dev/full`.

use abi::{Errno, KernelResult};

use crate::file::File;

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

    fn is_seekable(&self) -> bool {
        true
    }
}
