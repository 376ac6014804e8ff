//! The seam to physical memory: the kernel image implements
//! [`PhysicalMemoryReader`]; the parsers read only through it.

use crate::error::BootInfoError;
use crate::fixed_string::FixedString;

/// The reader could not copy the requested range (not mapped, out of range).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadError;

/// Copies bytes out of physical memory.
///
/// The kernel image implements this over its identity or direct map (the only
/// raw memory access of boot parsing); tests implement it over a `Vec`.
pub trait PhysicalMemoryReader {
    /// Copies `buf.len()` bytes starting at physical address `addr` into
    /// `buf`, or fails with [`ReadError`] if any byte of the range is out of
    /// range. Must not panic for any `addr`.
    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), ReadError>;
}

impl<T: PhysicalMemoryReader + ?Sized> PhysicalMemoryReader for &T {
    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), ReadError> {
        (**self).read(addr, buf)
    }
}

/// Typed little-endian reads on top of a [`PhysicalMemoryReader`], turning
/// failures and address overflow into [`BootInfoError`]s.
pub(crate) struct Physical<'m, M: PhysicalMemoryReader + ?Sized> {
    mem: &'m M,
}

impl<'m, M: PhysicalMemoryReader + ?Sized> Physical<'m, M> {
    pub(crate) fn new(mem: &'m M) -> Self {
        Physical { mem }
    }

    /// `base + offset`, or an error if it wraps.
    pub(crate) fn offset(base: u64, offset: u64) -> Result<u64, BootInfoError> {
        base.checked_add(offset)
            .ok_or(BootInfoError::AddressOverflow { addr: base })
    }

    pub(crate) fn bytes(&self, addr: u64, buf: &mut [u8]) -> Result<(), BootInfoError> {
        // Reject ranges that wrap before asking the reader.
        Self::offset(addr, buf.len() as u64)?;
        self.mem
            .read(addr, buf)
            .map_err(|ReadError| BootInfoError::Unreadable { addr })
    }

    pub(crate) fn array<const N: usize>(&self, addr: u64) -> Result<[u8; N], BootInfoError> {
        let mut buf = [0; N];
        self.bytes(addr, &mut buf)?;
        Ok(buf)
    }

    pub(crate) fn u32(&self, addr: u64) -> Result<u32, BootInfoError> {
        self.array(addr).map(u32::from_le_bytes)
    }

    /// Copies a string of at most `limit` bytes starting at `addr`, ending at
    /// the first NUL (or at `limit`), decoded lossily into a
    /// `FixedString<N>`. Returns the string and whether it was complete
    /// (neither cut at `N` bytes nor at `limit` without a NUL).
    pub(crate) fn c_string<const N: usize>(
        &self,
        addr: u64,
        limit: u64,
    ) -> Result<(FixedString<N>, bool), BootInfoError> {
        // One byte past the capacity is enough to know the string was cut.
        let scan = limit.min(N as u64 + 1);
        let mut text = [0u8; N];
        let mut len = 0usize;
        let mut found_nul = false;
        let mut pos = 0u64;
        'scan: while pos < scan {
            let mut chunk = [0u8; 64];
            let want = (scan - pos).min(chunk.len() as u64) as usize;
            let chunk_addr = Self::offset(addr, pos)?;
            let got = self.chunk_or_prefix(chunk_addr, &mut chunk[..want])?;
            for &byte in &chunk[..got] {
                if byte == 0 {
                    found_nul = true;
                    break 'scan;
                }
                if len == N {
                    break 'scan;
                }
                text[len] = byte;
                len += 1;
            }
            pos += got as u64;
        }
        let (string, fitted) = FixedString::from_lossy(&text[..len]);
        let complete = fitted && (found_nul || (len as u64 == limit && len <= N));
        Ok((string, complete))
    }

    /// Reads `buf`, or if the whole chunk is not readable (a string close to
    /// the end of memory), as many leading bytes as are readable up to the
    /// first NUL. Returns how many bytes of `buf` are valid (at least one).
    fn chunk_or_prefix(&self, addr: u64, buf: &mut [u8]) -> Result<usize, BootInfoError> {
        if self.bytes(addr, buf).is_ok() {
            return Ok(buf.len());
        }
        for i in 0..buf.len() {
            let byte_addr = Self::offset(addr, i as u64)?;
            match self.bytes(byte_addr, &mut buf[i..=i]) {
                Ok(()) if buf[i] == 0 => return Ok(i + 1),
                Ok(()) => {}
                Err(error) if i == 0 => return Err(error),
                Err(_) => return Ok(i),
            }
        }
        Ok(buf.len())
    }
}

/// Little-endian field reads from an already copied buffer; out-of-range
/// offsets read as zero so callers that checked sizes first stay panic-free.
pub(crate) fn le_u32(bytes: &[u8], offset: usize) -> u32 {
    let mut field = [0u8; 4];
    if let Some(src) = bytes.get(offset..offset + 4) {
        field.copy_from_slice(src);
    }
    u32::from_le_bytes(field)
}

/// See [`le_u32`].
pub(crate) fn le_u64(bytes: &[u8], offset: usize) -> u64 {
    let mut field = [0u8; 8];
    if let Some(src) = bytes.get(offset..offset + 8) {
        field.copy_from_slice(src);
    }
    u64::from_le_bytes(field)
}
