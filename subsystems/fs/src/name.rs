//! File names as bytes: Linux takes any bytes but `/` and NUL in a name,
//! while this VFS keeps names and paths as `str`. The two meet here, with
//! a mapping that loses nothing: a name that is valid UTF-8 is kept as it
//! is, and each byte that is not part of valid UTF-8 is kept as the code
//! point `U+10FF00 + byte`, from the last 256 of plane 16's private use
//! area. Those code points, if a name really contains them, are escaped the
//! same way (byte by byte), so every byte string has exactly one stored
//! form and comes back unchanged from `getdents64`, `readlink` and
//! `getcwd` (Python's "surrogateescape" and Rust's WTF-8 solve the same
//! problem).
//!
//! The price: a stored name may be longer than the bytes it stands for
//! (four bytes for each escaped one), which only limits checks on lengths,
//! and must count [`byte_len`].

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

/// The first code point of the escape range.
const ESCAPE_BASE: u32 = 0x10_FF00;

fn escaped(c: char) -> bool {
    u32::from(c) >= ESCAPE_BASE
}

fn push_escape(out: &mut String, byte: u8) {
    out.push(char::from_u32(ESCAPE_BASE + u32::from(byte)).expect("in plane 16"));
}

/// Whether `bytes` may hold an escape-range code point: they all encode
/// with the lead byte `0xF4` (a byte test, not a decode, for the common
/// case of a name without any).
fn may_hold_escapes(bytes: &[u8]) -> bool {
    bytes.contains(&0xF4)
}

/// The stored form of the name or path `bytes`.
pub fn from_bytes(bytes: &[u8]) -> Cow<'_, str> {
    if let Ok(text) = core::str::from_utf8(bytes)
        && (!may_hold_escapes(bytes) || !text.chars().any(escaped))
    {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(bytes.len() * 2);
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if escaped(c) {
                let mut utf8 = [0u8; 4];
                for &byte in c.encode_utf8(&mut utf8).as_bytes() {
                    push_escape(&mut out, byte);
                }
            } else {
                out.push(c);
            }
        }
        for &byte in chunk.invalid() {
            push_escape(&mut out, byte);
        }
    }
    Cow::Owned(out)
}

/// [`from_bytes`] for an owned buffer, which becomes the stored form
/// itself when it needs no escaping (validated once, not copied).
pub fn from_vec(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(text) if !may_hold_escapes(text.as_bytes()) || !text.chars().any(escaped) => text,
        Ok(text) => from_bytes(text.as_bytes()).into_owned(),
        Err(error) => from_bytes(error.as_bytes()).into_owned(),
    }
}

/// The bytes a stored name or path stands for.
pub fn to_bytes(name: &str) -> Cow<'_, [u8]> {
    if !name.chars().any(escaped) {
        return Cow::Borrowed(name.as_bytes());
    }
    let mut out = Vec::with_capacity(name.len());
    for c in name.chars() {
        if escaped(c) {
            out.push((u32::from(c) - ESCAPE_BASE) as u8);
        } else {
            let mut utf8 = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
        }
    }
    Cow::Owned(out)
}

/// How many bytes the stored `name` stands for.
pub fn byte_len(name: &str) -> usize {
    name.chars()
        .map(|c| if escaped(c) { 1 } else { c.len_utf8() })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn utf8_names_are_kept_as_they_are() {
        assert!(matches!(from_bytes(b"caf\xc3\xa9"), Cow::Borrowed("café")));
        assert!(matches!(to_bytes("café"), Cow::Borrowed(b"caf\xc3\xa9")));
        assert_eq!(byte_len("café"), 5);
    }

    #[test]
    fn other_bytes_come_back_unchanged() {
        let latin1 = b"caf\xe9-\xff\x80";
        let stored = from_bytes(latin1);
        assert!(core::str::from_utf8(stored.as_bytes()).is_ok());
        assert_eq!(&*to_bytes(&stored), latin1);
        assert_eq!(byte_len(&stored), latin1.len());
        assert!(!stored.contains('/'), "no escape looks like a separator");
    }

    #[test]
    fn a_real_escape_code_point_is_escaped_too() {
        let real = "\u{10ff41}";
        let stored = from_bytes(real.as_bytes());
        assert_ne!(&*stored, real, "would read back as the byte 0x41");
        assert_eq!(&*to_bytes(&stored), real.as_bytes());
        assert_eq!(from_vec(real.as_bytes().to_vec()), stored);
    }

    proptest! {
        #[test]
        fn every_byte_string_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let stored = from_bytes(&bytes);
            prop_assert_eq!(&*to_bytes(&stored), &bytes[..]);
            prop_assert_eq!(byte_len(&stored), bytes.len());
            // '/' and NUL stay themselves, so paths split where Linux's do.
            prop_assert_eq!(stored.matches('/').count(), bytes.iter().filter(|&&b| b == b'/').count());
        }

        #[test]
        fn an_owned_buffer_gets_the_same_stored_form(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            prop_assert_eq!(from_vec(bytes.clone()), from_bytes(&bytes).into_owned());
        }

    }
}
