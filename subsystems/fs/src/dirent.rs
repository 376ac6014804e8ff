//! Directory records for `getdents64` (`struct linux_dirent64`) and the
//! old `getdents` (`struct linux_dirent`).

/// The two record layouts the `getdents` calls fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DirentLayout {
    /// `struct linux_dirent64`: `d_ino`, `d_off`, `d_reclen`, `d_type`,
    /// then the name.
    Dirent64,
    /// `struct linux_dirent`: `d_ino`, `d_off`, `d_reclen`, the name, and
    /// `d_type` in the record's last byte.
    Dirent,
}

/// Bytes before the name: `d_ino` (8), `d_off` (8), `d_reclen` (2), and in
/// `linux_dirent64` `d_type` (1).
const fn header_len(layout: DirentLayout) -> usize {
    match layout {
        DirentLayout::Dirent64 => 19,
        DirentLayout::Dirent => 18,
    }
}

/// The record length for a name of `name_len` bytes: header, name, NUL
/// (and the old layout's trailing type byte), padded to 8.
pub const fn record_len(layout: DirentLayout, name_len: usize) -> usize {
    let trailer = match layout {
        DirentLayout::Dirent64 => 1,
        DirentLayout::Dirent => 2,
    };
    (header_len(layout) + name_len + trailer).next_multiple_of(8)
}

/// Writes one record in `layout` at the start of `buf`; `None` if it does
/// not fit. `next_offset` is the cookie of the following entry (`d_off`).
pub fn encode_dirent(
    layout: DirentLayout,
    buf: &mut [u8],
    ino: u64,
    next_offset: i64,
    d_type: u8,
    name: &[u8],
) -> Option<usize> {
    let len = record_len(layout, name.len());
    let record = buf.get_mut(..len)?;
    let reclen = u16::try_from(len).ok()?;
    let name_at = header_len(layout);
    record[0..8].copy_from_slice(&ino.to_ne_bytes());
    record[8..16].copy_from_slice(&next_offset.to_ne_bytes());
    record[16..18].copy_from_slice(&reclen.to_ne_bytes());
    record[name_at..name_at + name.len()].copy_from_slice(name);
    record[name_at + name.len()..].fill(0);
    match layout {
        DirentLayout::Dirent64 => record[18] = d_type,
        DirentLayout::Dirent => record[len - 1] = d_type,
    }
    Some(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_is_padded_to_8_with_nul_terminated_name() {
        let mut buf = [0xaau8; 40];
        assert_eq!(
            encode_dirent(DirentLayout::Dirent64, &mut buf, 7, 3, 8, b"hello"),
            Some(32)
        );
        assert_eq!(u64::from_ne_bytes(buf[0..8].try_into().unwrap()), 7);
        assert_eq!(i64::from_ne_bytes(buf[8..16].try_into().unwrap()), 3);
        assert_eq!(u16::from_ne_bytes(buf[16..18].try_into().unwrap()), 32);
        assert_eq!(buf[18], 8);
        assert_eq!(&buf[19..24], b"hello");
        assert!(buf[24..32].iter().all(|&b| b == 0));
        assert_eq!(buf[32], 0xaa, "bytes after the record are untouched");
        assert_eq!(record_len(DirentLayout::Dirent64, 4), 24);
        assert_eq!(record_len(DirentLayout::Dirent64, 12), 32);
        assert_eq!(record_len(DirentLayout::Dirent64, 13), 40);
    }

    #[test]
    fn the_old_record_keeps_its_type_in_its_last_byte() {
        let mut buf = [0xaau8; 40];
        // 18 + 5 + NUL + type = 25, padded to 32.
        assert_eq!(
            encode_dirent(DirentLayout::Dirent, &mut buf, 7, 3, 4, b"hello"),
            Some(32)
        );
        assert_eq!(u16::from_ne_bytes(buf[16..18].try_into().unwrap()), 32);
        assert_eq!(&buf[18..23], b"hello");
        assert!(buf[23..31].iter().all(|&b| b == 0));
        assert_eq!(buf[31], 4, "d_type at d_reclen - 1");
        assert_eq!(record_len(DirentLayout::Dirent, 6), 32);
        assert_eq!(record_len(DirentLayout::Dirent, 5), 32);
        assert_eq!(record_len(DirentLayout::Dirent, 4), 24);
    }

    #[test]
    fn record_that_does_not_fit_writes_nothing() {
        let mut buf = [0u8; 23];
        assert_eq!(
            encode_dirent(DirentLayout::Dirent64, &mut buf, 1, 1, 4, b"."),
            None
        );
        assert_eq!(buf, [0u8; 23]);
    }
}
