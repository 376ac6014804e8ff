//! Writing a symbol table (host side).

use alloc::string::String;
use alloc::vec::Vec;

use crate::MAGIC;

/// One symbol as the build tool found it in the ELF symbol table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    /// Start address.
    pub address: u64,
    /// Size in bytes, 0 when unknown.
    pub size: u32,
    /// Demangled name.
    pub name: String,
}

/// Encodes `symbols` (in any order) into the format [`crate::SymbolTable`] reads.
pub fn encode(mut symbols: Vec<Symbol>) -> Vec<u8> {
    symbols.sort_by(|a, b| a.address.cmp(&b.address).then(b.size.cmp(&a.size)));
    symbols.dedup_by_key(|s| s.address);
    let mut names = Vec::new();
    let mut out = Vec::new();
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&(symbols.len() as u32).to_le_bytes());
    for symbol in &symbols {
        out.extend_from_slice(&symbol.address.to_le_bytes());
        out.extend_from_slice(&symbol.size.to_le_bytes());
        out.extend_from_slice(&(names.len() as u32).to_le_bytes());
        names.extend_from_slice(symbol.name.as_bytes());
    }
    out.extend_from_slice(&names);
    out.extend_from_slice(&(names.len() as u32).to_le_bytes());
    out
}
