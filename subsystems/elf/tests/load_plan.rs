//! Load plans: where segments go, and that mapping them as told reproduces
//! the program's memory image.

mod common;

use abi::Errno;
use common::{Ph, STATIC_LEN, image, static_image};
use elf::raw::{ET_DYN, PF_R, PF_W, PF_X, PT_INTERP};
use elf::{
    AuxValues, DEFAULT_INTERP_BASE, DEFAULT_PIE_BASE, ElfFile, ExecPlan, LoadBases, LoadPlan,
    PAGE_SIZE, Prot, Segment,
};
use proptest::prelude::*;

fn pie_segments() -> Vec<Ph> {
    vec![
        Ph::load(PF_R, 0, 0, 0x300, 0x300),
        Ph::load(PF_R | PF_X, 0x1000, 0x1000, 0x180, 0x180),
        Ph::load(PF_R | PF_W, 0x1e10, 0x2e10, 0x100, 0x5000),
    ]
}

fn pie() -> ElfFile {
    ElfFile::parse_bytes(&image(ET_DYN, 0x1010, &pie_segments(), 0x1f10)).unwrap()
}

fn dynamic_pie(interp: &[u8]) -> ElfFile {
    let mut phdrs = pie_segments();
    phdrs.push(Ph::other(
        PT_INTERP,
        PF_R,
        0x200,
        0x200,
        interp.len() as u64 + 1,
    ));
    let mut bytes = image(ET_DYN, 0x1010, &phdrs, 0x1f10);
    bytes[0x200..0x200 + interp.len()].copy_from_slice(interp);
    ElfFile::parse_bytes(&bytes).unwrap()
}

#[test]
fn static_executable_loads_where_its_headers_say() {
    let elf = ElfFile::parse_bytes(&static_image()).unwrap();
    let plan = LoadPlan::new(&elf, DEFAULT_PIE_BASE).unwrap();
    assert_eq!(plan.bias, 0);
    assert_eq!(plan.entry, 0x40_1000);
    assert_eq!(plan.phdr_addr, 0x40_0040);
    assert_eq!((plan.phent, plan.phnum), (56, 4));
    assert_eq!(plan.base, 0x40_0000);
    assert_eq!(plan.brk_start, 0x40_6000);
    assert_eq!(
        plan.segments[2],
        Segment {
            vaddr: 0x40_3000,
            mem_len: 0x3000,
            file_offset: 0x2000,
            file_len: 0x50,
            prot: Prot::READ | Prot::WRITE,
            zero_from: 0x40_3050,
        }
    );
    assert_eq!(plan.segments[1].prot, Prot::READ | Prot::EXEC);
}

#[test]
fn static_pie_is_placed_at_the_base_linux_uses() {
    let plan = LoadPlan::new(&pie(), DEFAULT_PIE_BASE).unwrap();
    assert_eq!(plan.bias, 0x5555_5555_4000);
    assert_eq!(plan.base, 0x5555_5555_4000);
    assert_eq!(plan.entry, 0x5555_5555_5010);
    assert_eq!(plan.phdr_addr, 0x5555_5555_4040);
    assert_eq!(plan.segments[2].vaddr, 0x5555_5555_6000);
    assert_eq!(plan.segments[2].zero_from, 0x5555_5555_6f10);
    assert_eq!(plan.brk_start, 0x5555_5555_c000);
}

#[test]
fn position_independent_image_linked_high_can_load_low() {
    let phdrs = [Ph::load(PF_R | PF_X, 0x1000, 0x7000_0000_1000, 0x10, 0x10)];
    let elf = ElfFile::parse_bytes(&image(ET_DYN, 0x7000_0000_1000, &phdrs, 0x1010)).unwrap();
    let plan = LoadPlan::new(&elf, 0x10_0000).unwrap();
    assert_eq!(plan.segments[0].vaddr, 0x10_0000);
    assert_eq!(plan.entry, 0x10_0000);
}

#[test]
fn entry_point_outside_user_space_is_enoexec() {
    let segments = common::static_segments();
    for entry in [elf::USER_END, 0xffff_8000_0000_0000, u64::MAX] {
        let bytes = image(elf::raw::ET_EXEC, entry, &segments, STATIC_LEN);
        let elf = ElfFile::parse_bytes(&bytes).unwrap();
        assert_eq!(LoadPlan::new(&elf, 0), Err(Errno::ENOEXEC), "{entry:#x}");
    }
    // A position-independent entry that the bias pushes past the top.
    let bytes = image(ET_DYN, 0x7fff_0000_0000, &pie_segments(), 0x1f10);
    let elf = ElfFile::parse_bytes(&bytes).unwrap();
    assert_eq!(LoadPlan::new(&elf, DEFAULT_PIE_BASE), Err(Errno::ENOEXEC));
}

#[test]
fn unaligned_or_unfitting_base_is_rejected() {
    assert_eq!(
        LoadPlan::new(&pie(), DEFAULT_PIE_BASE + 8),
        Err(Errno::EINVAL)
    );
    assert_eq!(LoadPlan::new(&pie(), 0x7fff_ffff_a000), Err(Errno::ENOMEM));
    assert_eq!(LoadPlan::new(&pie(), 0), Err(Errno::ENOMEM));
}

#[test]
fn dynamic_program_starts_in_its_interpreter() {
    let program = dynamic_pie(b"/lib/ld.so");
    let interp = pie();
    let plan = ExecPlan::new(&program, Some(&interp), LoadBases::default()).unwrap();
    assert_eq!(plan.start_address, DEFAULT_INTERP_BASE + 0x1010);
    assert_eq!(plan.interpreter_base(), DEFAULT_INTERP_BASE);
    assert_eq!(plan.brk_start, plan.program.brk_start);
    let aux = AuxValues::for_plan(&plan);
    assert_eq!(aux.entry, DEFAULT_PIE_BASE + 0x1010);
    assert_eq!(aux.base, DEFAULT_INTERP_BASE);
    assert_eq!(aux.phdr, DEFAULT_PIE_BASE + 0x40);
    assert_eq!(
        (aux.phnum, aux.phent, aux.pagesz, aux.clktck),
        (4, 56, 4096, 100)
    );
}

#[test]
fn static_program_starts_at_its_own_entry_with_no_base() {
    let plan = ExecPlan::new(&pie(), None, LoadBases::default()).unwrap();
    assert_eq!(plan.start_address, DEFAULT_PIE_BASE + 0x1010);
    assert_eq!(plan.interpreter_base(), 0);
    assert!(!plan.executable_stack);
}

#[test]
fn interpreter_must_match_pt_interp_and_not_overlap() {
    let program = dynamic_pie(b"/lib/ld.so");
    assert_eq!(
        ExecPlan::new(&program, None, LoadBases::default()),
        Err(Errno::ENOEXEC)
    );
    assert_eq!(
        ExecPlan::new(&pie(), Some(&pie()), LoadBases::default()),
        Err(Errno::ENOEXEC)
    );
    let same = LoadBases {
        program: DEFAULT_PIE_BASE,
        interpreter: DEFAULT_PIE_BASE + PAGE_SIZE,
    };
    assert_eq!(
        ExecPlan::new(&program, Some(&pie()), same),
        Err(Errno::ENOMEM)
    );
}

/// Maps `plan` the way the kernel must (file bytes up to `zero_from`,
/// zeros after) into a sparse memory model.
fn map(plan: &LoadPlan, file: &[u8]) -> std::collections::BTreeMap<u64, u8> {
    let mut memory = std::collections::BTreeMap::new();
    for s in &plan.segments {
        assert_eq!(s.vaddr % PAGE_SIZE, 0);
        assert_eq!(s.mem_len % PAGE_SIZE, 0);
        assert_eq!(s.file_offset % PAGE_SIZE, 0);
        assert!(s.zero_from <= s.vaddr + s.mem_len);
        for addr in s.vaddr..s.vaddr + s.mem_len {
            let byte = if addr < s.zero_from {
                file[(s.file_offset + (addr - s.vaddr)) as usize]
            } else {
                0
            };
            assert!(memory.insert(addr, byte).is_none(), "page mapped twice");
        }
    }
    memory
}

/// Checks that mapping the plan gives every PT_LOAD its file bytes and
/// zeroed .bss, and that the program headers are where AT_PHDR says.
fn check_plan_reproduces_image(file: &[u8], base: u64) {
    let elf = ElfFile::parse_bytes(file).unwrap();
    let plan = LoadPlan::new(&elf, base).unwrap();
    let memory = map(&plan, file);
    for s in elf.segments() {
        for i in 0..s.mem_size {
            let expected = if i < s.file_size {
                file[(s.file_offset + i) as usize]
            } else {
                0
            };
            assert_eq!(memory[&(s.vaddr + plan.bias + i)], expected);
        }
    }
    let phoff = u64::from_le_bytes(file[32..40].try_into().unwrap());
    let phdrs_mapped = elf.phdr_vaddr().is_some();
    assert_eq!(phdrs_mapped, plan.phdr_addr != 0);
    for i in (0..plan.phent * plan.phnum).filter(|_| phdrs_mapped) {
        assert_eq!(memory[&(plan.phdr_addr + i)], file[(phoff + i) as usize]);
    }
    assert!(memory.range(plan.brk_start..).next().is_none());
}

#[test]
fn mapping_the_plan_reproduces_hand_built_images() {
    check_plan_reproduces_image(&static_image(), 0);
    // Fill the file with a pattern so misplaced bytes show.
    let mut bytes = image(ET_DYN, 0x1010, &pie_segments(), 0x1f10);
    for (i, b) in bytes.iter_mut().enumerate().skip(0x300) {
        *b = (i % 251) as u8;
    }
    check_plan_reproduces_image(&bytes, DEFAULT_PIE_BASE);
    assert_eq!(STATIC_LEN, static_image().len());
}

#[test]
fn mapping_the_plan_reproduces_real_static_binaries() {
    let builds: [(&str, &[&str]); 3] = [
        ("cc", &["-static", "-O1"]),
        ("cc", &["-static-pie", "-fPIE", "-O1"]),
        ("musl-gcc", &["-static", "-O1"]),
    ];
    for (i, (compiler, flags)) in builds.into_iter().enumerate() {
        if let Some(bytes) = common::compile_c(compiler, flags, &format!("plan-{i}")) {
            check_plan_reproduces_image(&bytes, DEFAULT_PIE_BASE);
        }
    }
}

proptest! {
    #[test]
    fn plans_are_page_aligned_disjoint_and_cover_each_segment(
        gaps in proptest::collection::vec((0u64..4, 0u64..0x3000, 0u64..0x3000, 0u64..0x1000), 1..6),
        base_page in 0x10u64..0x1000,
    ) {
        // Build sorted, page-disjoint segments with random sizes and offsets.
        let mut phdrs = Vec::new();
        let mut next_page = 0x1000u64;
        let mut file_len = 0x1000u64;
        for (gap_pages, filesz, extra, in_page) in gaps {
            let vaddr = next_page + gap_pages * PAGE_SIZE + in_page;
            let offset = ((file_len + PAGE_SIZE - 1) & !(PAGE_SIZE - 1)) + in_page;
            phdrs.push(Ph::load(PF_R | PF_W, offset, vaddr, filesz, filesz + extra + 1));
            file_len = offset + filesz;
            next_page = (vaddr + filesz + extra + 1 + PAGE_SIZE - 1) & !(PAGE_SIZE - 1);
        }
        let mut bytes = image(ET_DYN, 0x1000, &phdrs, file_len as usize);
        for (i, b) in bytes.iter_mut().enumerate().skip(0x200) {
            *b = (i % 253) as u8 | 1;
        }
        let elf = ElfFile::parse_bytes(&bytes).unwrap();
        let plan = LoadPlan::new(&elf, base_page * PAGE_SIZE).unwrap();
        prop_assert_eq!(plan.segments.len(), phdrs.len());
        prop_assert_eq!(plan.base, base_page * PAGE_SIZE);
        check_plan_reproduces_image(&bytes, base_page * PAGE_SIZE);
    }
}

#[test]
fn system_ls_and_its_dynamic_linker_plan_side_by_side() {
    let (Ok(ls), Ok(ld)) = (
        std::fs::read("/usr/bin/ls"),
        std::fs::read("/lib64/ld-linux-x86-64.so.2"),
    ) else {
        println!("note: skipping, no dynamically linked ls here");
        return;
    };
    let program = ElfFile::parse_bytes(&ls).unwrap();
    let interp = ElfFile::parse_bytes(&ld).unwrap();
    let plan = ExecPlan::new(&program, Some(&interp), LoadBases::default()).unwrap();
    let interp_plan = plan.interpreter.as_ref().unwrap();
    assert_eq!(plan.program.base, DEFAULT_PIE_BASE);
    assert_eq!(interp_plan.base, DEFAULT_INTERP_BASE);
    assert_eq!(plan.start_address, interp_plan.entry);
    assert!(
        interp_plan
            .segments
            .iter()
            .any(|s| s.prot.contains(Prot::EXEC)
                && (s.vaddr..s.vaddr + s.mem_len).contains(&plan.start_address))
    );
    assert!(interp_plan.end <= elf::USER_END);
    check_plan_reproduces_image(&ls, DEFAULT_PIE_BASE);
    check_plan_reproduces_image(&ld, DEFAULT_INTERP_BASE);
}
