//! Reading a symbol table in place.

use crate::MAGIC;

const HEADER_LEN: usize = 8;
const ENTRY_LEN: usize = 16;

/// A symbol table borrowed from the kernel image.
#[derive(Clone, Copy, Debug)]
pub struct SymbolTable<'a> {
    entries: &'a [u8],
    names: &'a [u8],
    count: usize,
}

/// Where an address falls: the enclosing symbol and the offset into it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location<'a> {
    /// The symbol's (demangled) name.
    pub name: &'a str,
    /// The symbol's start address.
    pub start: u64,
    /// `address - start`.
    pub offset: u64,
}

fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let raw = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(raw.try_into().ok()?))
}

fn read_u64(bytes: &[u8], at: usize) -> Option<u64> {
    let raw = bytes.get(at..at.checked_add(8)?)?;
    Some(u64::from_le_bytes(raw.try_into().ok()?))
}

impl<'a> SymbolTable<'a> {
    /// Interprets `blob` as a symbol table; `None` if it is empty or malformed.
    pub fn parse(blob: &'a [u8]) -> Option<Self> {
        if blob.get(..4)? != MAGIC {
            return None;
        }
        let count = usize::try_from(read_u32(blob, 4)?).ok()?;
        let entries_len = count.checked_mul(ENTRY_LEN)?;
        let entries = blob.get(HEADER_LEN..HEADER_LEN.checked_add(entries_len)?)?;
        let names_start = HEADER_LEN + entries_len;
        let trailer = blob.len().checked_sub(4)?;
        let names_len = usize::try_from(read_u32(blob, trailer)?).ok()?;
        let names = blob.get(names_start..names_start.checked_add(names_len)?)?;
        if names_start + names_len > trailer {
            return None;
        }
        Some(Self {
            entries,
            names,
            count,
        })
    }

    /// Number of symbols.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the table holds no symbols.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    fn address(&self, index: usize) -> Option<u64> {
        read_u64(self.entries, index * ENTRY_LEN)
    }

    fn size(&self, index: usize) -> Option<u64> {
        read_u32(self.entries, index * ENTRY_LEN + 8).map(u64::from)
    }

    fn name(&self, index: usize) -> Option<&'a str> {
        let start = usize::try_from(read_u32(self.entries, index * ENTRY_LEN + 12)?).ok()?;
        let end = if index + 1 < self.count {
            usize::try_from(read_u32(self.entries, (index + 1) * ENTRY_LEN + 12)?).ok()?
        } else {
            self.names.len()
        };
        core::str::from_utf8(self.names.get(start..end)?).ok()
    }

    /// The symbol containing `address`, if any.
    ///
    /// A symbol with a recorded size contains `[start, start + size)`; one
    /// without (size 0, e.g. assembly labels) extends to the next symbol.
    pub fn lookup(&self, address: u64) -> Option<Location<'a>> {
        // Binary search for the last symbol starting at or below `address`.
        let (mut low, mut high) = (0usize, self.count);
        while low < high {
            let mid = low + (high - low) / 2;
            if self.address(mid)? <= address {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        let index = low.checked_sub(1)?;
        let start = self.address(index)?;
        let size = self.size(index)?;
        let offset = address - start;
        if size != 0 && offset >= size {
            return None;
        }
        Some(Location {
            name: self.name(index)?,
            start,
            offset,
        })
    }

    /// The start address of the first symbol named exactly `name`.
    pub fn address_of(&self, name: &str) -> Option<u64> {
        (0..self.count).find_map(|i| (self.name(i)? == name).then(|| self.address(i)).flatten())
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    extern crate std;
    use crate::{Symbol, encode};
    use std::string::ToString;
    use std::vec;

    use super::*;

    fn sample() -> std::vec::Vec<u8> {
        encode(vec![
            Symbol {
                address: 0x3000,
                size: 0,
                name: "asm_label".to_string(),
            },
            Symbol {
                address: 0x1000,
                size: 0x100,
                name: "kernel::main".to_string(),
            },
            Symbol {
                address: 0x2000,
                size: 0x10,
                name: "arch::idt::load".to_string(),
            },
        ])
    }

    #[test]
    fn address_inside_a_function_names_it_with_offset() {
        let blob = sample();
        let table = SymbolTable::parse(&blob).unwrap();
        assert_eq!(table.len(), 3);
        let hit = table.lookup(0x1042).unwrap();
        assert_eq!(hit.name, "kernel::main");
        assert_eq!(hit.offset, 0x42);
    }

    #[test]
    fn address_past_a_sized_symbol_is_unknown() {
        let blob = sample();
        let table = SymbolTable::parse(&blob).unwrap();
        assert_eq!(table.lookup(0x1100), None);
        assert_eq!(table.lookup(0xfff), None);
    }

    #[test]
    fn unsized_symbol_extends_to_the_next() {
        let blob = sample();
        let table = SymbolTable::parse(&blob).unwrap();
        assert_eq!(table.lookup(0x9999).unwrap().name, "asm_label");
        assert_eq!(table.address_of("arch::idt::load"), Some(0x2000));
    }

    #[test]
    fn corrupt_tables_are_rejected_not_trusted() {
        let blob = sample();
        assert!(SymbolTable::parse(&[]).is_none());
        assert!(SymbolTable::parse(b"KSYM").is_none());
        for cut in 0..blob.len() {
            // Any truncation must parse to None or to a table that answers
            // lookups without panicking.
            if let Some(table) = SymbolTable::parse(&blob[..cut]) {
                let _ = table.lookup(0x1042);
            }
        }
        let mut lying = blob.clone();
        lying[4] = 0xff; // count far past the end
        assert!(SymbolTable::parse(&lying).is_none());
    }
}
