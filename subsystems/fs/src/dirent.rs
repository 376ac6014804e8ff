//! `struct linux_dirent64` encoding for `getdents64`.

/// Bytes before the name: `d_ino` (8), `d_off` (8), `d_reclen` (2), `d_type` (1).
const HEADER_LEN: usize = 19;

/// The record length for a name of `name_len` bytes: header, name, NUL,
/// padded to 8.
pub const fn dirent64_len(name_len: usize) -> usize {
    (HEADER_LEN + name_len + 1).next_multiple_of(8)
}

/// Writes one record at the start of `buf`; `None` if it does not fit.
/// `next_offset` is the cookie of the following entry (`d_off`).
pub fn encode_dirent64(
    buf: &mut [u8],
    ino: u64,
    next_offset: i64,
    d_type: u8,
    name: &[u8],
) -> Option<usize> {
    let len = dirent64_len(name.len());
    let record = buf.get_mut(..len)?;
    let reclen = u16::try_from(len).ok()?;
    record[0..8].copy_from_slice(&ino.to_ne_bytes());
    record[8..16].copy_from_slice(&next_offset.to_ne_bytes());
    record[16..18].copy_from_slice(&reclen.to_ne_bytes());
    record[18] = d_type;
    record[HEADER_LEN..HEADER_LEN + name.len()].copy_from_slice(name);
    record[HEADER_LEN + name.len()..].fill(0);
    Some(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_is_padded_to_8_with_nul_terminated_name() {
        let mut buf = [0xaau8; 40];
        assert_eq!(encode_dirent64(&mut buf, 7, 3, 8, b"hello"), Some(32));
        assert_eq!(u64::from_ne_bytes(buf[0..8].try_into().unwrap()), 7);
        assert_eq!(i64::from_ne_bytes(buf[8..16].try_into().unwrap()), 3);
        assert_eq!(u16::from_ne_bytes(buf[16..18].try_into().unwrap()), 32);
        assert_eq!(buf[18], 8);
        assert_eq!(&buf[19..24], b"hello");
        assert!(buf[24..32].iter().all(|&b| b == 0));
        assert_eq!(buf[32], 0xaa, "bytes after the record are untouched");
        assert_eq!(dirent64_len(4), 24);
        assert_eq!(dirent64_len(12), 32);
        assert_eq!(dirent64_len(13), 40);
    }

    #[test]
    fn record_that_does_not_fit_writes_nothing() {
        let mut buf = [0u8; 23];
        assert_eq!(encode_dirent64(&mut buf, 1, 1, 4, b"."), None);
        assert_eq!(buf, [0u8; 23]);
    }
}
