//! A parser for cpio "newc" archives (the initramfs format): a 110-byte
//! ASCII header, the NUL-terminated name padded to 4 bytes, the data padded
//! to 4 bytes, and a final `TRAILER!!!` entry. Archives may be concatenated,
//! with zero padding between them, as Linux accepts.
//!
//! Every length comes from the archive, so every offset is checked; a
//! malformed archive yields a [`CpioError`] naming where and what.

use alloc::vec::Vec;
use core::fmt;

/// Header length in bytes.
pub const HEADER_LEN: usize = 110;
const MAGIC_NEWC: &[u8; 6] = b"070701";
const MAGIC_CRC: &[u8; 6] = b"070702";
const TRAILER: &str = "TRAILER!!!";

/// What is wrong with an archive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CpioErrorKind {
    /// The data ends inside a header, name or file body.
    Truncated,
    /// A header does not start with `070701` or `070702`.
    BadMagic,
    /// A header field holds something other than 8 hex digits.
    BadNumber,
    /// The name size is 0 or the name is not NUL-terminated exactly there.
    BadName,
    /// The name is not UTF-8.
    NameNotUtf8,
    /// The archive is gzip/xz/zstd/... compressed, which is not supported.
    Compressed,
    /// The data ends without a `TRAILER!!!` entry.
    MissingTrailer,
}

/// A malformed archive: the byte offset of the offending entry and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CpioError {
    /// Offset of the header of the entry that failed.
    pub offset: usize,
    /// What failed.
    pub kind: CpioErrorKind,
}

impl fmt::Display for CpioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            CpioErrorKind::Truncated => "archive truncated",
            CpioErrorKind::BadMagic => "bad header magic (not cpio newc)",
            CpioErrorKind::BadNumber => "header field is not 8 hex digits",
            CpioErrorKind::BadName => "name size does not match a NUL-terminated name",
            CpioErrorKind::NameNotUtf8 => "name is not UTF-8",
            CpioErrorKind::Compressed => "compressed archive (only uncompressed newc is supported)",
            CpioErrorKind::MissingTrailer => "no TRAILER!!! entry",
        };
        write!(f, "cpio: {what} at byte {}", self.offset)
    }
}

/// One archive member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CpioEntry<'a> {
    /// Path inside the archive, as stored (often `./`-prefixed or relative).
    pub name: &'a str,
    /// Inode number (links members that share data).
    pub ino: u32,
    /// `st_mode`: type and permissions.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Link count.
    pub nlink: u32,
    /// Modification time, seconds since the epoch.
    pub mtime: u32,
    /// Device of the archived file (with `ino`, identifies hard links).
    pub dev_major: u32,
    /// Device of the archived file, minor.
    pub dev_minor: u32,
    /// For device nodes: the device, major.
    pub rdev_major: u32,
    /// For device nodes: the device, minor.
    pub rdev_minor: u32,
    /// File contents, or a symbolic link's target.
    pub data: &'a [u8],
}

/// Iterates over the members of an archive, stopping at the first error.
pub struct CpioReader<'a> {
    archive: &'a [u8],
    position: usize,
    finished: bool,
}

impl<'a> CpioReader<'a> {
    /// A reader over `archive`.
    pub fn new(archive: &'a [u8]) -> CpioReader<'a> {
        CpioReader {
            archive,
            position: 0,
            finished: false,
        }
    }

    fn fail(
        &mut self,
        offset: usize,
        kind: CpioErrorKind,
    ) -> Option<Result<CpioEntry<'a>, CpioError>> {
        self.finished = true;
        Some(Err(CpioError { offset, kind }))
    }

    /// Skips zero padding between concatenated archives; whether data follows.
    fn skip_padding(&mut self) -> bool {
        while self.position < self.archive.len() && self.archive[self.position] == 0 {
            self.position += 1;
        }
        self.position < self.archive.len()
    }
}

fn align4(value: usize) -> Option<usize> {
    value.checked_add(3).map(|v| v & !3)
}

fn hex_field(header: &[u8], index: usize) -> Option<u32> {
    let field = header.get(6 + index * 8..6 + (index + 1) * 8)?;
    let mut value: u32 = 0;
    for &digit in field {
        let nibble = (digit as char).to_digit(16)?;
        value = (value << 4) | nibble;
    }
    Some(value)
}

impl<'a> Iterator for CpioReader<'a> {
    type Item = Result<CpioEntry<'a>, CpioError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.finished {
                return None;
            }
            let start = self.position;
            let Some(header) = self.archive.get(start..start + HEADER_LEN) else {
                return self.fail(
                    start,
                    if start == self.archive.len() {
                        CpioErrorKind::MissingTrailer
                    } else {
                        CpioErrorKind::Truncated
                    },
                );
            };
            let magic = &header[..6];
            if magic != MAGIC_NEWC && magic != MAGIC_CRC {
                let kind = match header {
                    [0x1f, 0x8b, ..]
                    | [0xfd, b'7', b'z', b'X', b'Z', ..]
                    | [0x28, 0xb5, 0x2f, 0xfd, ..]
                    | [b'B', b'Z', b'h', ..] => CpioErrorKind::Compressed,
                    [0x02, 0x21, 0x4c, 0x18, ..]
                    | [0x89, b'L', b'Z', b'O', ..]
                    | [0x5d, 0x00, 0x00, ..] => CpioErrorKind::Compressed,
                    _ => CpioErrorKind::BadMagic,
                };
                return self.fail(start, kind);
            }
            let mut fields = [0u32; 13];
            for (index, field) in fields.iter_mut().enumerate() {
                match hex_field(header, index) {
                    Some(value) => *field = value,
                    None => return self.fail(start, CpioErrorKind::BadNumber),
                }
            }
            let [
                ino,
                mode,
                uid,
                gid,
                nlink,
                mtime,
                file_size,
                dev_major,
                dev_minor,
                rdev_major,
                rdev_minor,
                name_size,
                _check,
            ] = fields;
            let name_size = name_size as usize;
            if name_size == 0 {
                return self.fail(start, CpioErrorKind::BadName);
            }
            let name_start = start + HEADER_LEN;
            let Some(name_bytes) = name_start
                .checked_add(name_size)
                .and_then(|end| self.archive.get(name_start..end))
            else {
                return self.fail(start, CpioErrorKind::Truncated);
            };
            let name_bytes = match name_bytes.split_last() {
                Some((&0, rest)) if !rest.contains(&0) => rest,
                _ => return self.fail(start, CpioErrorKind::BadName),
            };
            let Ok(name) = core::str::from_utf8(name_bytes) else {
                return self.fail(start, CpioErrorKind::NameNotUtf8);
            };
            let Some(data_start) = align4(name_start + name_size) else {
                return self.fail(start, CpioErrorKind::Truncated);
            };
            let Some(data) = data_start
                .checked_add(file_size as usize)
                .and_then(|end| self.archive.get(data_start..end))
            else {
                return self.fail(start, CpioErrorKind::Truncated);
            };
            self.position = align4(data_start + data.len())
                .unwrap_or(usize::MAX)
                .min(self.archive.len());
            if name == TRAILER {
                // Another archive may follow; otherwise we are done.
                if !self.skip_padding() {
                    self.finished = true;
                    return None;
                }
                continue;
            }
            return Some(Ok(CpioEntry {
                name,
                ino,
                mode,
                uid,
                gid,
                nlink,
                mtime,
                dev_major,
                dev_minor,
                rdev_major,
                rdev_minor,
                data,
            }));
        }
    }
}

/// Parses a whole archive, so nothing is applied from a malformed one.
pub fn parse_archive(archive: &[u8]) -> Result<Vec<CpioEntry<'_>>, CpioError> {
    CpioReader::new(archive).collect()
}
