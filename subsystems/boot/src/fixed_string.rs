//! A string with a fixed byte capacity and no heap.

use core::fmt;

/// A UTF-8 string of at most `N` bytes, stored inline.
///
/// Boot information is parsed before the kernel has a heap and may live in
/// memory the kernel later reuses, so every string is copied into one of these.
/// Invariant: `bytes[..len]` is always valid UTF-8 (only `push_str` and
/// `push_lossy` write to it, and both cut on character boundaries).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct FixedString<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> FixedString<N> {
    /// An empty string.
    pub const fn new() -> Self {
        FixedString {
            bytes: [0; N],
            len: 0,
        }
    }

    /// The capacity in bytes.
    pub const fn capacity(&self) -> usize {
        N
    }

    /// The length in bytes.
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether the string is empty.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The contents.
    pub fn as_str(&self) -> &str {
        // The invariant makes this always `Ok`; "" is a harmless fallback
        // that avoids a panic path.
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }

    /// Appends as much of `text` as fits, cutting on a character boundary.
    /// Returns `false` if anything was cut off.
    pub fn push_str(&mut self, text: &str) -> bool {
        let room = N - self.len;
        let mut end = text.len().min(room);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        self.bytes[self.len..self.len + end].copy_from_slice(&text.as_bytes()[..end]);
        self.len += end;
        end == text.len()
    }

    /// Appends `bytes`, replacing each invalid UTF-8 sequence with U+FFFD as
    /// `String::from_utf8_lossy` does. Returns `false` if anything was cut off.
    pub fn push_lossy(&mut self, bytes: &[u8]) -> bool {
        for chunk in bytes.utf8_chunks() {
            if !self.push_str(chunk.valid()) {
                return false;
            }
            if !chunk.invalid().is_empty() && !self.push_str("\u{FFFD}") {
                return false;
            }
        }
        true
    }

    /// A string holding `bytes` decoded lossily, and whether all of it fitted.
    pub fn from_lossy(bytes: &[u8]) -> (Self, bool) {
        let mut string = Self::new();
        let complete = string.push_lossy(bytes);
        (string, complete)
    }
}

impl<const N: usize> Default for FixedString<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> fmt::Debug for FixedString<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl<const N: usize> fmt::Display for FixedString<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<const N: usize> PartialEq<str> for FixedString<N> {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl<const N: usize> PartialEq<&str> for FixedString<N> {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::FixedString;

    #[test]
    fn text_longer_than_capacity_is_cut_on_a_char_boundary() {
        let mut s = FixedString::<4>::new();
        assert!(!s.push_str("abé!"));
        assert_eq!(s.as_str(), "ab\u{e9}");
        assert_eq!(s.len(), 4);
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        let (s, complete) = FixedString::<16>::from_lossy(b"a\xffb");
        assert!(complete);
        assert_eq!(s.as_str(), "a\u{FFFD}b");
    }

    #[test]
    fn replacement_that_does_not_fit_reports_truncation() {
        let (s, complete) = FixedString::<3>::from_lossy(b"ab\xff");
        assert!(!complete);
        assert_eq!(s.as_str(), "ab");
    }
}
