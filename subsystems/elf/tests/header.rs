//! Validating ELF headers: real binaries load, malformed ones are ENOEXEC.

mod common;

use abi::Errno;
use common::{Ph, STATIC_LEN, header, image, image_with, static_image, static_segments};
use elf::raw::{ET_DYN, ET_EXEC, PF_R, PF_W, PF_X, PT_GNU_STACK, PT_INTERP, PT_LOAD, PT_PHDR};
use elf::{ElfFile, ElfKind, MAX_PHNUM, Prot, USER_END};
use zerocopy::little_endian::{U16, U32};

fn parse(bytes: &[u8]) -> Result<ElfFile, Errno> {
    ElfFile::parse_bytes(bytes)
}

#[test]
fn hand_built_static_executable_is_accepted() {
    let elf = parse(&static_image()).unwrap();
    assert_eq!(elf.kind(), ElfKind::Fixed);
    assert_eq!(elf.entry(), 0x40_1000);
    assert_eq!(elf.phnum(), 4);
    assert_eq!(elf.segments().len(), 3);
    assert_eq!(elf.segments()[1].prot, Prot::READ | Prot::EXEC);
    assert_eq!(elf.interpreter(), None);
    assert!(!elf.executable_stack());
    // No PT_PHDR: the table is found through the first PT_LOAD (offset 0).
    assert_eq!(elf.phdr_vaddr(), Some(0x40_0040));
}

#[test]
fn pt_phdr_wins_over_computed_address() {
    let mut phdrs = static_segments();
    phdrs.insert(0, Ph::other(PT_PHDR, PF_R, 64, 0x40_0040 + 0x1000, 56 * 5));
    let elf = parse(&image(ET_EXEC, 0x40_1000, &phdrs, STATIC_LEN)).unwrap();
    assert_eq!(elf.phdr_vaddr(), Some(0x40_1040));
}

#[test]
fn unmapped_program_headers_have_no_address() {
    let phdrs = [Ph::load(PF_R | PF_X, 0x1000, 0x40_1000, 0x100, 0x100)];
    let elf = parse(&image(ET_EXEC, 0x40_1000, &phdrs, 0x1100)).unwrap();
    assert_eq!(elf.phdr_vaddr(), None);
}

#[test]
fn executable_stack_follows_gnu_stack() {
    let mut phdrs = static_segments();
    phdrs[3] = Ph::other(PT_GNU_STACK, PF_R | PF_W | PF_X, 0, 0, 0);
    let elf = parse(&image(ET_EXEC, 0x40_1000, &phdrs, STATIC_LEN)).unwrap();
    assert!(elf.executable_stack());
}

#[test]
fn interpreter_path_is_read_without_its_nul() {
    let mut phdrs = static_segments();
    let path = b"/lib/ld-musl-x86_64.so.1\0";
    phdrs.push(Ph::other(
        PT_INTERP,
        PF_R,
        0x300,
        0x40_0300,
        path.len() as u64,
    ));
    let mut bytes = image(ET_EXEC, 0x40_1000, &phdrs, STATIC_LEN);
    bytes[0x300..0x300 + path.len()].copy_from_slice(path);
    let elf = parse(&bytes).unwrap();
    assert_eq!(elf.interpreter(), Some(&b"/lib/ld-musl-x86_64.so.1"[..]));
}

#[test]
fn interpreter_path_without_nul_or_too_long_is_enoexec() {
    for (len, terminated) in [(10u64, false), (1, true), (4097, true)] {
        let mut phdrs = static_segments();
        phdrs.push(Ph::other(PT_INTERP, PF_R, 0x300, 0x40_0300, len));
        let file_len = STATIC_LEN.max(0x300 + len as usize);
        let mut bytes = image(ET_EXEC, 0x40_1000, &phdrs, file_len);
        bytes[0x300..0x300 + len as usize].fill(b'a');
        if terminated {
            bytes[0x300 + len as usize - 1] = 0;
        }
        assert_eq!(parse(&bytes), Err(Errno::ENOEXEC), "len {len}");
    }
}

#[test]
fn empty_segments_are_skipped() {
    let mut phdrs = static_segments();
    phdrs.push(Ph::load(PF_R, 0, 0x40_0000, 0, 0));
    let elf = parse(&image(ET_EXEC, 0x40_1000, &phdrs, STATIC_LEN)).unwrap();
    assert_eq!(elf.segments().len(), 3);
}

fn assert_enoexec(bytes: &[u8], what: &str) {
    assert_eq!(parse(bytes), Err(Errno::ENOEXEC), "{what}");
}

#[test]
fn truncated_files_are_enoexec() {
    let good = static_image();
    for len in [0, 1, 4, 63, 64, 100, 64 + 56 * 4 - 1] {
        assert_enoexec(&good[..len], "truncated header or table");
    }
    // Segment data past the end of the file.
    assert_enoexec(&good[..0x2040], "segment past EOF");
}

/// A change to an otherwise valid file header.
type HeaderEdit = fn(&mut elf::raw::Elf64Header);

#[test]
fn wrong_identity_is_enoexec() {
    let cases: [(&str, HeaderEdit); 9] = [
        ("magic", |h| h.e_ident[1] = b'X'),
        ("32-bit class", |h| h.e_ident[4] = 1),
        ("big endian", |h| h.e_ident[5] = 2),
        ("ident version", |h| h.e_ident[6] = 0),
        ("e_version", |h| h.e_version = U32::new(2)),
        ("machine i386", |h| h.e_machine = U16::new(3)),
        ("relocatable object", |h| h.e_type = U16::new(1)),
        ("core file", |h| h.e_type = U16::new(4)),
        ("phentsize", |h| h.e_phentsize = U16::new(32)),
    ];
    for (what, mutate) in cases {
        let mut ehdr = header(ET_EXEC, 0x40_1000, 4);
        mutate(&mut ehdr);
        assert_enoexec(&image_with(&ehdr, &static_segments(), STATIC_LEN), what);
    }
}

#[test]
fn phnum_zero_huge_or_past_eof_is_enoexec() {
    for phnum in [0, MAX_PHNUM + 1, 0xffff] {
        let ehdr = header(ET_EXEC, 0x40_1000, phnum);
        assert_enoexec(&image_with(&ehdr, &static_segments(), 0x10_0000), "phnum");
    }
    assert_enoexec(
        &image_with(&header(ET_EXEC, 0, 4), &[], STATIC_LEN),
        "no loads",
    );
    let mut bytes = image_with(
        &header(ET_EXEC, 0x40_1000, 4),
        &static_segments(),
        STATIC_LEN,
    );
    bytes[32..40].copy_from_slice(&(u64::MAX - 10).to_le_bytes());
    assert_enoexec(&bytes, "phoff overflows");
    bytes[32..40].copy_from_slice(&(STATIC_LEN as u64 - 100).to_le_bytes());
    assert_enoexec(&bytes, "table past EOF");
}

#[test]
fn no_loadable_segment_is_enoexec() {
    let phdrs = [Ph::other(PT_GNU_STACK, PF_R | PF_W, 0, 0, 0)];
    assert_enoexec(&image(ET_EXEC, 0, &phdrs, 0x1000), "no PT_LOAD");
}

fn with_load(index: usize, load: Ph) -> Vec<u8> {
    let mut phdrs = static_segments();
    phdrs[index] = load;
    image(ET_EXEC, 0x40_1000, &phdrs, STATIC_LEN)
}

#[test]
fn bad_load_segments_are_enoexec() {
    let cases = [
        (
            "filesz > memsz",
            Ph::load(PF_R | PF_W, 0x2040, 0x40_3040, 0x10, 0x8),
        ),
        (
            "offset and vaddr misaligned",
            Ph::load(PF_R | PF_W, 0x2040, 0x40_3048, 0x10, 0x100),
        ),
        (
            "file range past EOF",
            Ph::load(PF_R | PF_W, 0x2040, 0x40_3040, 0x1000, 0x2000),
        ),
        (
            "file range overflows",
            Ph::load(PF_R | PF_W, u64::MAX - 0xfbf, 0x40_3040, 0x2000, 0x2000),
        ),
        (
            "memory range overflows",
            Ph::load(PF_R | PF_W, 0x2040, u64::MAX - 0xfbf, 0x10, 0x2000),
        ),
        (
            "above user space",
            Ph::load(PF_R | PF_W, 0x2040, USER_END - 0xfc0, 0x10, 0x2000),
        ),
        (
            "kernel address",
            Ph::load(PF_R | PF_W, 0x2040, 0xffff_8000_0000_0040, 0x10, 0x10),
        ),
        (
            "overlaps text",
            Ph::load(PF_R | PF_W, 0x2040, 0x40_1040, 0x10, 0x10),
        ),
        (
            "shares text's page",
            Ph::load(PF_R | PF_W, 0x2140, 0x40_1140, 0x10, 0x10),
        ),
        (
            "out of order",
            Ph::load(PF_R | PF_W, 0x2040, 0x30_0040, 0x10, 0x10),
        ),
    ];
    for (what, load) in cases {
        assert_enoexec(&with_load(2, load), what);
    }
    assert_enoexec(
        &with_load(0, Ph::load(PF_R, 0, 0x0, 0x200, 0x200)),
        "page zero",
    );
}

#[test]
fn position_independent_image_may_start_at_zero() {
    let phdrs = [
        Ph::load(PF_R, 0, 0, 0x200, 0x200),
        Ph::load(PF_R | PF_X, 0x1000, 0x1000, 0x100, 0x100),
    ];
    let elf = parse(&image(ET_DYN, 0x1000, &phdrs, 0x1100)).unwrap();
    assert_eq!(elf.kind(), ElfKind::PositionIndependent);
    assert_eq!(elf.phdr_vaddr(), Some(0x40));
}

#[test]
fn position_independent_image_larger_than_user_space_is_enoexec() {
    let phdrs = [Ph::load(PF_R | PF_W, 0, 0, 0x200, USER_END)];
    assert_enoexec(&image(ET_DYN, 0, &phdrs, 0x200), "huge bss");
}

#[test]
fn segment_type_numbers_match_the_abi() {
    assert_eq!((PT_LOAD, PT_INTERP, PT_PHDR), (1, 3, 6));
    assert_eq!((PF_X, PF_W, PF_R), (1, 2, 4));
}

mod real_binaries {
    use super::*;
    use crate::common::compile_c;

    #[test]
    fn system_ls_names_the_glibc_dynamic_linker() {
        let Ok(bytes) = std::fs::read("/usr/bin/ls") else {
            println!("note: skipping, /usr/bin/ls not readable");
            return;
        };
        let elf = parse(&bytes).unwrap();
        assert_eq!(elf.interpreter(), Some(&b"/lib64/ld-linux-x86-64.so.2"[..]));
        assert_eq!(elf.kind(), ElfKind::PositionIndependent);
        assert!(elf.phdr_vaddr().is_some());
    }

    #[test]
    fn system_dynamic_linker_parses_as_position_independent() {
        let Ok(bytes) = std::fs::read("/lib64/ld-linux-x86-64.so.2") else {
            println!("note: skipping, no glibc dynamic linker");
            return;
        };
        let elf = parse(&bytes).unwrap();
        assert_eq!(elf.kind(), ElfKind::PositionIndependent);
        assert_eq!(elf.interpreter(), None);
    }

    fn check_static(bytes: &[u8], kind: ElfKind) {
        let elf = parse(bytes).unwrap();
        assert_eq!(elf.kind(), kind);
        assert_eq!(elf.interpreter(), None);
        assert!(!elf.executable_stack());
        assert!(
            elf.phdr_vaddr().is_some(),
            "AT_PHDR must be mapped for static libc"
        );
        assert!(elf.segments().iter().any(|s| s.prot.contains(Prot::EXEC)));
        // The last segment holds .data and the 100 kB .bss array.
        let data = elf.segments().last().unwrap();
        assert!(data.mem_size >= data.file_size + 100_000);
    }

    #[test]
    fn gcc_static_executable_parses() {
        if let Some(bytes) = compile_c("cc", &["-static", "-O1"], "gcc-static") {
            check_static(&bytes, ElfKind::Fixed);
        }
    }

    #[test]
    fn gcc_static_pie_executable_parses() {
        if let Some(bytes) = compile_c("cc", &["-static-pie", "-fPIE", "-O1"], "gcc-static-pie") {
            check_static(&bytes, ElfKind::PositionIndependent);
        }
    }

    #[test]
    fn musl_static_executable_parses() {
        if let Some(bytes) = compile_c("musl-gcc", &["-static", "-O1"], "musl-static") {
            check_static(&bytes, ElfKind::Fixed);
        }
    }
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn random_byte_mutations_never_panic(
            edits in proptest::collection::vec((0usize..STATIC_LEN, any::<u8>()), 1..12),
            cut in 0usize..=STATIC_LEN,
        ) {
            let mut bytes = static_image();
            for (at, value) in edits {
                bytes[at] = value;
            }
            bytes.truncate(cut.max(64));
            if let Ok(elf) = parse(&bytes) {
                // Whatever is accepted keeps the loader's invariants.
                let segments = elf.segments();
                prop_assert!(!segments.is_empty());
                for s in segments {
                    prop_assert!(s.file_size <= s.mem_size);
                    prop_assert!(s.file_offset + s.file_size <= bytes.len() as u64);
                    prop_assert!(s.end() <= USER_END);
                }
                for pair in segments.windows(2) {
                    prop_assert!(elf::page_up(pair[0].end()).unwrap() <= elf::page_down(pair[1].vaddr));
                }
            }
        }

        #[test]
        fn random_header_words_never_panic(
            words in proptest::collection::vec(any::<u64>(), 4 * 7),
            e_type in prop_oneof![Just(ET_EXEC), Just(ET_DYN)],
        ) {
            let mut bytes = image(e_type, 0x40_1000, &static_segments(), STATIC_LEN);
            for (i, w) in words.iter().enumerate() {
                // Overwrite program header words, keeping p_type often valid.
                let at = 64 + i * 8;
                if i % 7 == 0 {
                    bytes[at..at + 4].copy_from_slice(&[1, 0, 0, 0]);
                    bytes[at + 4..at + 8].copy_from_slice(&(*w as u32).to_le_bytes());
                } else {
                    bytes[at..at + 8].copy_from_slice(&w.to_le_bytes());
                }
            }
            let _ = parse(&bytes);
        }
    }
}
