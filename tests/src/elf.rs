//! Just enough ELF64 to name code: the kernel's text symbols (for the
//! symbol table it embeds) and a user program's function symbols and load
//! segments (for the profiler's flame graphs).

use std::fmt;

use ksyms::Symbol;

/// Why an ELF file could not be read.
#[derive(Debug)]
pub struct ElfError(String);

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad ELF file: {}", self.0)
    }
}

fn error<T>(what: &str) -> Result<T, ElfError> {
    Err(ElfError(what.to_string()))
}

fn u16_at(data: &[u8], at: usize) -> Result<u16, ElfError> {
    data.get(at..at + 2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .ok_or_else(|| ElfError(format!("truncated at {at}")))
}

fn u32_at(data: &[u8], at: usize) -> Result<u32, ElfError> {
    data.get(at..at + 4)
        .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
        .ok_or_else(|| ElfError(format!("truncated at {at}")))
}

fn u64_at(data: &[u8], at: usize) -> Result<u64, ElfError> {
    data.get(at..at + 8)
        .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
        .ok_or_else(|| ElfError(format!("truncated at {at}")))
}

struct Section {
    kind: u32,
    offset: usize,
    size: usize,
    link: usize,
}

fn sections(data: &[u8]) -> Result<Vec<Section>, ElfError> {
    if data.get(..4) != Some(b"\x7fELF") || data.get(4) != Some(&2) {
        return error("not an ELF64 file");
    }
    let shoff = u64_at(data, 0x28)? as usize;
    let shentsize = u16_at(data, 0x3a)? as usize;
    let shnum = u16_at(data, 0x3c)? as usize;
    (0..shnum)
        .map(|i| {
            let at = shoff + i * shentsize;
            Ok(Section {
                kind: u32_at(data, at + 4)?,
                offset: u64_at(data, at + 0x18)? as usize,
                size: u64_at(data, at + 0x20)? as usize,
                link: u32_at(data, at + 0x28)? as usize,
            })
        })
        .collect()
}

fn c_str(data: &[u8], at: usize) -> &[u8] {
    let tail = data.get(at..).unwrap_or(&[]);
    &tail[..tail.iter().position(|&b| b == 0).unwrap_or(tail.len())]
}

/// Every symbol in the text section (`__text_start..__text_end`): functions
/// and assembly labels, demangled without their hashes.
pub fn text_symbols(data: &[u8]) -> Result<Vec<Symbol>, ElfError> {
    const SHT_SYMTAB: u32 = 2;
    const STT_NOTYPE: u8 = 0;
    const STT_FUNC: u8 = 2;
    let sections = sections(data)?;
    let Some(symtab) = sections.iter().find(|s| s.kind == SHT_SYMTAB) else {
        return error("no symbol table (was the kernel stripped?)");
    };
    let Some(strtab) = sections.get(symtab.link) else {
        return error("symbol table without string table");
    };
    let strings = data
        .get(strtab.offset..strtab.offset + strtab.size)
        .ok_or_else(|| ElfError("string table out of bounds".into()))?;
    let mut raw = Vec::new();
    let (mut text_start, mut text_end) = (None, None);
    for i in 1..symtab.size / 24 {
        let at = symtab.offset + i * 24;
        let name = String::from_utf8_lossy(c_str(strings, u32_at(data, at)? as usize)).into_owned();
        let info = data[at + 4];
        let section_index = u16_at(data, at + 6)?;
        let value = u64_at(data, at + 8)?;
        let size = u64_at(data, at + 16)?;
        match name.as_str() {
            "__text_start" => text_start = Some(value),
            "__text_end" => text_end = Some(value),
            _ => {}
        }
        let kind = info & 0xf;
        if section_index != 0 && (kind == STT_FUNC || kind == STT_NOTYPE) && !name.is_empty() {
            raw.push((name, value, size));
        }
    }
    let (Some(start), Some(end)) = (text_start, text_end) else {
        return error("__text_start/__text_end missing (linker script?)");
    };
    Ok(raw
        .into_iter()
        .filter(|(name, value, _)| (start..end).contains(value) && !name.starts_with("__"))
        .map(|(name, address, size)| Symbol {
            address,
            size: u32::try_from(size).unwrap_or(0),
            name: format!("{:#}", rustc_demangle::demangle(&name)),
        })
        .collect())
}

/// One `PT_LOAD` segment: file bytes `offset..offset + size` appear at
/// `address`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// File offset of the segment.
    pub offset: u64,
    /// Virtual address it is loaded at (before any load bias).
    pub address: u64,
    /// Bytes taken from the file.
    pub size: u64,
}

/// The `PT_LOAD` segments of an ELF64 file.
pub fn load_segments(data: &[u8]) -> Result<Vec<Segment>, ElfError> {
    const PT_LOAD: u32 = 1;
    if data.get(..4) != Some(b"\x7fELF") || data.get(4) != Some(&2) {
        return error("not an ELF64 file");
    }
    let phoff = u64_at(data, 0x20)? as usize;
    let phentsize = u16_at(data, 0x36)? as usize;
    let phnum = u16_at(data, 0x38)? as usize;
    let mut segments = Vec::new();
    for i in 0..phnum {
        let at = phoff + i * phentsize;
        if u32_at(data, at)? == PT_LOAD {
            segments.push(Segment {
                offset: u64_at(data, at + 8)?,
                address: u64_at(data, at + 0x10)?,
                size: u64_at(data, at + 0x20)?,
            });
        }
    }
    Ok(segments)
}

/// The function symbols of a program or library: from `.symtab`, or from
/// `.dynsym` when the file was stripped, demangled, sorted by address.
pub fn function_symbols(data: &[u8]) -> Result<Vec<Symbol>, ElfError> {
    const SHT_SYMTAB: u32 = 2;
    const SHT_DYNSYM: u32 = 11;
    const STT_FUNC: u8 = 2;
    let sections = sections(data)?;
    let table = sections
        .iter()
        .find(|s| s.kind == SHT_SYMTAB)
        .or_else(|| sections.iter().find(|s| s.kind == SHT_DYNSYM));
    let Some(table) = table else {
        return Ok(Vec::new());
    };
    let Some(strtab) = sections.get(table.link) else {
        return error("symbol table without string table");
    };
    let strings = data
        .get(strtab.offset..strtab.offset + strtab.size)
        .ok_or_else(|| ElfError("string table out of bounds".into()))?;
    let mut symbols = Vec::new();
    for i in 1..table.size / 24 {
        let at = table.offset + i * 24;
        let info = *data
            .get(at + 4)
            .ok_or_else(|| ElfError("symbol out of bounds".into()))?;
        let value = u64_at(data, at + 8)?;
        if info & 0xf != STT_FUNC || value == 0 || u16_at(data, at + 6)? == 0 {
            continue;
        }
        let name = String::from_utf8_lossy(c_str(strings, u32_at(data, at)? as usize));
        symbols.push(Symbol {
            address: value,
            size: u32::try_from(u64_at(data, at + 16)?).unwrap_or(0),
            name: format!("{:#}", rustc_demangle::demangle(&name)),
        });
    }
    symbols.sort_by_key(|symbol| symbol.address);
    Ok(symbols)
}
