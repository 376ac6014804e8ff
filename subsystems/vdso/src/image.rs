//! The vDSO's ELF image: a prelinked shared object of one page, laid out
//! as dynamic linkers expect to find the kernel's (Linux's x86_64 vDSO is
//! the model).
//!
//! ```text
//! 0x000  ELF header, program headers (PT_LOAD of the page, PT_DYNAMIC)
//!        .hash .dynsym .dynstr .gnu.version .gnu.version_d .dynamic
//! 0x400  .text: the functions (TEXT_OFFSET)
//!        .shstrtab, section headers
//! ```
//!
//! Addresses in the image are offsets from its first byte: glibc takes the
//! load bias as the header's address minus the first `PT_LOAD`'s `p_vaddr`
//! (0), musl the same from `p_offset - p_vaddr`. Each function `f` is
//! exported twice, as the global `__vdso_f` and the weak `f`, both with the
//! version `LINUX_2.6`, as Linux does; symbols carry a real section index
//! (musl skips undefined ones, glibc adds no bias to `SHN_ABS` ones).

use alloc::vec::Vec;

use abi::{Errno, KernelResult};

/// The image's size: one page.
pub const IMAGE_SIZE: usize = 4096;
/// Where the code starts in the image.
pub const TEXT_OFFSET: usize = 0x400;
/// How far before the code's first byte the data page starts: the data
/// page is mapped right below the image.
pub const DATA_DISTANCE: usize = IMAGE_SIZE + TEXT_OFFSET;
/// `DT_SONAME`, and the name of the base version.
pub const SONAME: &str = "linux-vdso.so.1";
/// The version every function is defined in.
pub const VERSION: &str = "LINUX_2.6";

/// One function of the code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Function {
    /// The C name (`clock_gettime`); exported as `__vdso_<name>` and `<name>`.
    pub name: &'static str,
    /// Byte offset in the code.
    pub offset: usize,
    /// Length in bytes.
    pub len: usize,
}

const EHDR_SIZE: usize = 64;
const PHDR_SIZE: usize = 56;
const SHDR_SIZE: usize = 64;
const SYM_SIZE: usize = 24;
const DYN_SIZE: usize = 16;
const VERDEF_SIZE: usize = 20;
const VERDAUX_SIZE: usize = 8;

const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const PF_X: u32 = 1;
const PF_R: u32 = 4;

const DT_NULL: u64 = 0;
const DT_HASH: u64 = 4;
const DT_STRTAB: u64 = 5;
const DT_SYMTAB: u64 = 6;
const DT_STRSZ: u64 = 10;
const DT_SYMENT: u64 = 11;
const DT_SONAME: u64 = 14;
const DT_VERSYM: u64 = 0x6fff_fff0;
const DT_VERDEF: u64 = 0x6fff_fffc;
const DT_VERDEFNUM: u64 = 0x6fff_fffd;

const SHT_PROGBITS: u32 = 1;
const SHT_STRTAB: u32 = 3;
const SHT_HASH: u32 = 5;
const SHT_DYNAMIC: u32 = 6;
const SHT_DYNSYM: u32 = 11;
const SHT_GNU_VERDEF: u32 = 0x6fff_fffd;
const SHT_GNU_VERSYM: u32 = 0x6fff_ffff;
const SHF_ALLOC: u64 = 2;
const SHF_EXECINSTR: u64 = 4;

const STB_GLOBAL: u8 = 1;
const STB_WEAK: u8 = 2;
const STT_FUNC: u8 = 2;
const VER_FLG_BASE: u16 = 1;
/// Section index of `.text` (see `sections` in [`build_image`]).
const TEXT_SECTION: u16 = 7;
/// Version index of [`VERSION`] (1 is the base version).
const VERSION_INDEX: u16 = 2;

/// The System V ELF hash (`DT_HASH` buckets, `vd_hash`).
pub fn elf_hash(name: &[u8]) -> u32 {
    let mut hash: u32 = 0;
    for &byte in name {
        hash = (hash << 4).wrapping_add(u32::from(byte));
        let high = hash & 0xf000_0000;
        if high != 0 {
            hash ^= high >> 24;
        }
        hash &= !high;
    }
    hash
}

/// Little-endian appends and alignment on a growing byte buffer.
struct Writer(Vec<u8>);

impl Writer {
    fn align(&mut self, to: usize) -> usize {
        let aligned = self.0.len().next_multiple_of(to);
        self.0.resize(aligned, 0);
        aligned
    }
    fn u8(&mut self, value: u8) {
        self.0.push(value);
    }
    fn u16(&mut self, value: u16) {
        self.0.extend_from_slice(&value.to_le_bytes());
    }
    fn u32(&mut self, value: u32) {
        self.0.extend_from_slice(&value.to_le_bytes());
    }
    fn u64(&mut self, value: u64) {
        self.0.extend_from_slice(&value.to_le_bytes());
    }
    fn usize(&mut self, value: usize) {
        self.u64(value as u64);
    }
}

/// A string table under construction.
struct Strings(Vec<u8>);

impl Strings {
    fn new() -> Strings {
        Strings(alloc::vec![0])
    }
    fn add(&mut self, parts: &[&str]) -> u32 {
        let at = self.0.len() as u32;
        for part in parts {
            self.0.extend_from_slice(part.as_bytes());
        }
        self.0.push(0);
        at
    }
}

struct Section {
    name: u32,
    kind: u32,
    flags: u64,
    offset: usize,
    size: usize,
    link: u32,
    info: u32,
    align: u64,
    entry_size: u64,
}

/// The image for `code` (placed at [`TEXT_OFFSET`]) exporting `functions`.
/// `EINVAL` if a function lies outside the code or the whole does not fit
/// in [`IMAGE_SIZE`].
pub fn build_image(code: &[u8], functions: &[Function]) -> KernelResult<Vec<u8>> {
    if functions.iter().any(|f| {
        f.name.is_empty()
            || f.offset
                .checked_add(f.len)
                .is_none_or(|end| end > code.len())
    }) {
        return Err(Errno::EINVAL);
    }
    // Symbol 0 is the null symbol; then each function twice.
    let symbol_count = 1 + 2 * functions.len();
    let mut dynstr = Strings::new();
    let soname = dynstr.add(&[SONAME]);
    let version = dynstr.add(&[VERSION]);
    let names: Vec<(u32, u32)> = functions
        .iter()
        .map(|f| (dynstr.add(&["__vdso_", f.name]), dynstr.add(&[f.name])))
        .collect();

    let mut out = Writer(Vec::with_capacity(IMAGE_SIZE));
    out.0.resize(EHDR_SIZE + 2 * PHDR_SIZE, 0);

    // .hash: one bucket per symbol keeps every chain short.
    let hash_at = out.align(8);
    let buckets = symbol_count as u32;
    let mut bucket = alloc::vec![0u32; symbol_count];
    let mut chain = alloc::vec![0u32; symbol_count];
    for (index, &(global, weak)) in names.iter().enumerate() {
        for (k, name) in [global, weak].into_iter().enumerate() {
            let symbol = (1 + 2 * index + k) as u32;
            let name = &dynstr.0[name as usize..];
            let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
            let slot = (elf_hash(name) % buckets) as usize;
            // Prepend to the bucket's chain.
            chain[symbol as usize] = bucket[slot];
            bucket[slot] = symbol;
        }
    }
    out.u32(buckets);
    out.u32(symbol_count as u32);
    bucket.iter().for_each(|&b| out.u32(b));
    chain.iter().for_each(|&c| out.u32(c));
    let hash_size = out.0.len() - hash_at;

    let dynsym_at = out.align(8);
    out.0.resize(out.0.len() + SYM_SIZE, 0);
    for (f, &(global, weak)) in functions.iter().zip(&names) {
        for (name, binding) in [(global, STB_GLOBAL), (weak, STB_WEAK)] {
            out.u32(name);
            out.u8(binding << 4 | STT_FUNC);
            out.u8(0);
            out.u16(TEXT_SECTION);
            out.usize(TEXT_OFFSET + f.offset);
            out.usize(f.len);
        }
    }
    let dynsym_size = out.0.len() - dynsym_at;

    let dynstr_at = out.0.len();
    out.0.extend_from_slice(&dynstr.0);
    let dynstr_size = dynstr.0.len();

    let versym_at = out.align(2);
    out.u16(0);
    (1..symbol_count).for_each(|_| out.u16(VERSION_INDEX));
    let versym_size = out.0.len() - versym_at;

    let verdef_at = out.align(8);
    for (index, (flags, name, text)) in [(VER_FLG_BASE, soname, SONAME), (0, version, VERSION)]
        .into_iter()
        .enumerate()
    {
        out.u16(1);
        out.u16(flags);
        out.u16(index as u16 + 1);
        out.u16(1);
        out.u32(elf_hash(text.as_bytes()));
        out.u32(VERDEF_SIZE as u32);
        out.u32(if index == 0 {
            (VERDEF_SIZE + VERDAUX_SIZE) as u32
        } else {
            0
        });
        out.u32(name);
        out.u32(0);
    }
    let verdef_size = out.0.len() - verdef_at;

    let dynamic_at = out.align(8);
    for (tag, value) in [
        (DT_HASH, hash_at),
        (DT_STRTAB, dynstr_at),
        (DT_SYMTAB, dynsym_at),
        (DT_STRSZ, dynstr_size),
        (DT_SYMENT, SYM_SIZE),
        (DT_SONAME, soname as usize),
        (DT_VERSYM, versym_at),
        (DT_VERDEF, verdef_at),
        (DT_VERDEFNUM, 2),
        (DT_NULL, 0),
    ] {
        out.u64(tag);
        out.usize(value);
    }
    let dynamic_size = out.0.len() - dynamic_at;
    if out.0.len() > TEXT_OFFSET {
        return Err(Errno::EINVAL);
    }

    out.0.resize(TEXT_OFFSET, 0);
    out.0.extend_from_slice(code);

    let mut shstrtab = Strings::new();
    let mut sections = Vec::new();
    let mut section = |name: &str, kind, flags, offset, size, link, info, align, entry_size| {
        sections.push(Section {
            name: shstrtab.add(&[name]),
            kind,
            flags,
            offset,
            size,
            link,
            info,
            align,
            entry_size,
        })
    };
    section(".hash", SHT_HASH, SHF_ALLOC, hash_at, hash_size, 2, 0, 8, 4);
    section(
        ".dynsym",
        SHT_DYNSYM,
        SHF_ALLOC,
        dynsym_at,
        dynsym_size,
        3,
        1,
        8,
        24,
    );
    section(
        ".dynstr",
        SHT_STRTAB,
        SHF_ALLOC,
        dynstr_at,
        dynstr_size,
        0,
        0,
        1,
        0,
    );
    section(
        ".gnu.version",
        SHT_GNU_VERSYM,
        SHF_ALLOC,
        versym_at,
        versym_size,
        2,
        0,
        2,
        2,
    );
    section(
        ".gnu.version_d",
        SHT_GNU_VERDEF,
        SHF_ALLOC,
        verdef_at,
        verdef_size,
        3,
        2,
        8,
        0,
    );
    section(
        ".dynamic",
        SHT_DYNAMIC,
        SHF_ALLOC,
        dynamic_at,
        dynamic_size,
        3,
        0,
        8,
        DYN_SIZE as u64,
    );
    section(
        ".text",
        SHT_PROGBITS,
        SHF_ALLOC | SHF_EXECINSTR,
        TEXT_OFFSET,
        code.len(),
        0,
        0,
        16,
        0,
    );
    let shstrtab_name = shstrtab.add(&[".shstrtab"]);
    let shstrtab_at = out.0.len();
    out.0.extend_from_slice(&shstrtab.0);
    sections.push(Section {
        name: shstrtab_name,
        kind: SHT_STRTAB,
        flags: 0,
        offset: shstrtab_at,
        size: shstrtab.0.len(),
        link: 0,
        info: 0,
        align: 1,
        entry_size: 0,
    });
    debug_assert_eq!(sections.len(), usize::from(TEXT_SECTION) + 1);

    let shdrs_at = out.align(8);
    out.0.resize(out.0.len() + SHDR_SIZE, 0);
    for s in &sections {
        out.u32(s.name);
        out.u32(s.kind);
        out.u64(s.flags);
        out.usize(if s.flags & SHF_ALLOC != 0 {
            s.offset
        } else {
            0
        });
        out.usize(s.offset);
        out.usize(s.size);
        out.u32(s.link);
        out.u32(s.info);
        out.u64(s.align);
        out.u64(s.entry_size);
    }
    let section_count = sections.len() + 1;
    if out.0.len() > IMAGE_SIZE {
        return Err(Errno::EINVAL);
    }
    out.0.resize(IMAGE_SIZE, 0);

    // The headers, now that every offset is known.
    let mut header = Writer(Vec::with_capacity(EHDR_SIZE + 2 * PHDR_SIZE));
    header
        .0
        .extend_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0]);
    header.0.resize(16, 0);
    header.u16(3); // ET_DYN
    header.u16(62); // EM_X86_64
    header.u32(1);
    header.u64(0); // no entry point
    header.usize(EHDR_SIZE);
    header.usize(shdrs_at);
    header.u32(0);
    header.u16(EHDR_SIZE as u16);
    header.u16(PHDR_SIZE as u16);
    header.u16(2);
    header.u16(SHDR_SIZE as u16);
    header.u16(section_count as u16);
    header.u16(section_count as u16 - 1);
    for (kind, flags, offset, size, align) in [
        (PT_LOAD, PF_R | PF_X, 0, IMAGE_SIZE, IMAGE_SIZE),
        (PT_DYNAMIC, PF_R, dynamic_at, dynamic_size, 8),
    ] {
        header.u32(kind);
        header.u32(flags);
        header.usize(offset);
        header.usize(offset);
        header.usize(offset);
        header.usize(size);
        header.usize(size);
        header.usize(align);
    }
    out.0[..header.0.len()].copy_from_slice(&header.0);
    Ok(out.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;

    extern crate std;

    fn u16_at(b: &[u8], at: usize) -> u16 {
        u16::from_le_bytes(b[at..at + 2].try_into().unwrap())
    }
    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
    }
    fn u64_at(b: &[u8], at: usize) -> usize {
        u64::from_le_bytes(b[at..at + 8].try_into().unwrap()) as usize
    }
    fn c_str(b: &[u8], at: usize) -> String {
        let end = b[at..].iter().position(|&c| c == 0).unwrap();
        String::from_utf8(b[at..at + end].to_vec()).unwrap()
    }

    /// Looks `name@version` up the way musl's `__vdsosym` does: program
    /// headers, then the dynamic section, the hash table's symbol count,
    /// and a version check through versym and verdef. Gives the symbol's
    /// offset in the image.
    fn musl_lookup(image: &[u8], name: &str, version: &str) -> Option<usize> {
        assert_eq!(&image[..4], b"\x7fELF");
        let phoff = u64_at(image, 32);
        let phnum = u16_at(image, 56) as usize;
        let (mut base, mut dynamic) = (None, None);
        for i in 0..phnum {
            let ph = phoff + i * 56;
            match u32_at(image, ph) {
                1 => base = Some(u64_at(image, ph + 8) as isize - u64_at(image, ph + 16) as isize),
                2 => dynamic = Some(u64_at(image, ph + 8)),
                _ => {}
            }
        }
        let (base, dynamic) = (base?, dynamic?);
        let at = |vaddr: usize| (vaddr as isize + base) as usize;
        let (mut strtab, mut symtab, mut hash, mut versym, mut verdef) = (0, 0, 0, 0, 0);
        let mut entry = dynamic;
        loop {
            let (tag, value) = (u64_at(image, entry) as u64, u64_at(image, entry + 8));
            match tag {
                0 => break,
                DT_STRTAB => strtab = at(value),
                DT_SYMTAB => symtab = at(value),
                DT_HASH => hash = at(value),
                DT_VERSYM => versym = at(value),
                DT_VERDEF => verdef = at(value),
                _ => {}
            }
            entry += 16;
        }
        let count = u32_at(image, hash + 4) as usize;
        for i in 0..count {
            let sym = symtab + i * 24;
            let info = image[sym + 4];
            if !matches!(info & 0xf, 0..=2) || !matches!(info >> 4, 1 | 2) {
                continue;
            }
            if u16_at(image, sym + 6) == 0 {
                continue;
            }
            if c_str(image, strtab + u32_at(image, sym) as usize) != name {
                continue;
            }
            // Version: the verdef with vd_ndx == versym[i].
            let wanted = u16_at(image, versym + 2 * i) & 0x7fff;
            let mut def = verdef;
            let found = loop {
                if u16_at(image, def + 2) & VER_FLG_BASE == 0
                    && u16_at(image, def + 4) & 0x7fff == wanted
                {
                    let aux = def + u32_at(image, def + 12) as usize;
                    break c_str(image, strtab + u32_at(image, aux) as usize) == version;
                }
                let next = u32_at(image, def + 16) as usize;
                if next == 0 {
                    break false;
                }
                def += next;
            };
            if found {
                return Some(u64_at(image, sym + 8));
            }
        }
        None
    }

    /// Looks `name` up through the `DT_HASH` buckets, as glibc does.
    fn hash_lookup(image: &[u8], name: &str) -> Option<usize> {
        let dynamic = (0..u16_at(image, 56) as usize)
            .map(|i| 64 + i * 56)
            .find(|&ph| u32_at(image, ph) == 2)
            .map(|ph| u64_at(image, ph + 16))?;
        let tag = |wanted: u64| {
            (0..)
                .map(|i| dynamic + 16 * i)
                .find(|&e| u64_at(image, e) as u64 == wanted)
                .map(|e| u64_at(image, e + 8))
                .unwrap()
        };
        let (hash, symtab, strtab) = (tag(DT_HASH), tag(DT_SYMTAB), tag(DT_STRTAB));
        let buckets = u32_at(image, hash) as usize;
        let chains = hash + 8 + 4 * buckets;
        let mut symbol = u32_at(
            image,
            hash + 8 + 4 * (elf_hash(name.as_bytes()) as usize % buckets),
        );
        while symbol != 0 {
            let sym = symtab + 24 * symbol as usize;
            if c_str(image, strtab + u32_at(image, sym) as usize) == name {
                return Some(u64_at(image, sym + 8));
            }
            symbol = u32_at(image, chains + 4 * symbol as usize);
        }
        None
    }

    fn sample() -> Vec<u8> {
        let code = [0xc3u8; 64];
        build_image(
            &code,
            &[
                Function {
                    name: "clock_gettime",
                    offset: 0,
                    len: 16,
                },
                Function {
                    name: "getcpu",
                    offset: 16,
                    len: 8,
                },
                Function {
                    name: "time",
                    offset: 32,
                    len: 32,
                },
            ],
        )
        .unwrap()
    }

    #[test]
    fn musl_finds_each_function_with_its_version() {
        let image = sample();
        assert_eq!(image.len(), IMAGE_SIZE);
        assert_eq!(
            musl_lookup(&image, "__vdso_clock_gettime", "LINUX_2.6"),
            Some(TEXT_OFFSET)
        );
        assert_eq!(
            musl_lookup(&image, "__vdso_getcpu", "LINUX_2.6"),
            Some(TEXT_OFFSET + 16)
        );
        assert_eq!(
            musl_lookup(&image, "time", "LINUX_2.6"),
            Some(TEXT_OFFSET + 32)
        );
        assert_eq!(
            musl_lookup(&image, "__vdso_clock_gettime", "LINUX_2.5"),
            None
        );
        assert_eq!(
            musl_lookup(&image, "__vdso_gettimeofday", "LINUX_2.6"),
            None
        );
    }

    #[test]
    fn the_hash_table_reaches_every_symbol() {
        let image = sample();
        for (name, offset) in [
            ("__vdso_clock_gettime", 0),
            ("clock_gettime", 0),
            ("__vdso_getcpu", 16),
            ("getcpu", 16),
            ("__vdso_time", 32),
            ("time", 32),
        ] {
            assert_eq!(
                hash_lookup(&image, name),
                Some(TEXT_OFFSET + offset),
                "{name}"
            );
        }
        assert_eq!(hash_lookup(&image, "gettimeofday"), None);
    }

    #[test]
    fn the_headers_describe_a_prelinked_x86_64_shared_object() {
        let image = sample();
        assert_eq!(u16_at(&image, 16), 3, "ET_DYN");
        assert_eq!(u16_at(&image, 18), 62, "EM_X86_64");
        // One PT_LOAD at offset and address 0 covering the page, executable.
        assert_eq!(u32_at(&image, 64), 1);
        assert_eq!(u32_at(&image, 68), PF_R | PF_X);
        assert_eq!(u64_at(&image, 64 + 8), 0);
        assert_eq!(u64_at(&image, 64 + 16), 0);
        assert_eq!(u64_at(&image, 64 + 32), IMAGE_SIZE);
        // The code is where the functions say.
        assert_eq!(image[TEXT_OFFSET..TEXT_OFFSET + 64], [0xc3; 64]);
        // Section headers name .text as section 7, where symbols point.
        let shoff = u64_at(&image, 40);
        let shstrndx = u16_at(&image, 62) as usize;
        let shstr = u64_at(&image, shoff + 64 * shstrndx + 24);
        let text = shoff + 64 * usize::from(TEXT_SECTION);
        assert_eq!(
            c_str(&image, shstr + u32_at(&image, text) as usize),
            ".text"
        );
        assert_eq!(u64_at(&image, text + 24), TEXT_OFFSET);
        // The soname.
        let dynstr = hash_lookup_tag(&image, DT_STRTAB);
        let soname = hash_lookup_tag(&image, DT_SONAME);
        assert_eq!(c_str(&image, dynstr + soname), SONAME);
    }

    fn hash_lookup_tag(image: &[u8], tag: u64) -> usize {
        let dynamic = u64_at(image, 64 + 56 + 8);
        (0..)
            .map(|i| dynamic + 16 * i)
            .find(|&e| u64_at(image, e) as u64 == tag)
            .map(|e| u64_at(image, e + 8))
            .unwrap()
    }

    #[test]
    fn the_elf_crate_accepts_it_as_a_shared_object() {
        let parsed = elf::ElfFile::parse_bytes(&sample()).expect("a valid ELF file");
        assert_eq!(parsed.kind(), elf::ElfKind::PositionIndependent);
    }

    #[test]
    fn functions_outside_the_code_or_too_much_code_are_refused() {
        let outside = Function {
            name: "f",
            offset: 8,
            len: 16,
        };
        assert_eq!(build_image(&[0; 16], &[outside]), Err(Errno::EINVAL));
        let huge = alloc::vec![0u8; IMAGE_SIZE];
        assert_eq!(build_image(&huge, &[]), Err(Errno::EINVAL));
    }

    #[test]
    fn elf_hash_matches_known_values() {
        // Values from the System V ABI's algorithm, as binutils computes them.
        assert_eq!(elf_hash(b""), 0);
        assert_eq!(elf_hash(b"LINUX_2.6"), 0x3ae75f6);
        assert_eq!(elf_hash(b"printf"), 0x077905a6);
    }
}
