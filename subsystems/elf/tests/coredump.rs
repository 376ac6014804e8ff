//! Core files read back the way a debugger reads them: the header, the
//! notes and the memory segments.

use abi::UserRegs;
use elf::coredump::*;

struct Memory {
    base: u64,
    bytes: Vec<u8>,
}

impl CoreMemory for Memory {
    fn read(&mut self, address: u64, buffer: &mut [u8]) -> bool {
        let Some(start) = address.checked_sub(self.base) else {
            return false;
        };
        match self
            .bytes
            .get(start as usize..start as usize + buffer.len())
        {
            Some(bytes) => {
                buffer.copy_from_slice(bytes);
                true
            }
            None => false,
        }
    }
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(b[at..at + 2].try_into().unwrap())
}
fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}
fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

/// (type, flags, offset, vaddr, filesz, memsz) of every program header.
fn segments(core: &[u8]) -> Vec<(u32, u32, u64, u64, u64, u64)> {
    let (phoff, phnum) = (u64_at(core, 32) as usize, u16_at(core, 56) as usize);
    (0..phnum)
        .map(|i| {
            let h = phoff + i * 56;
            (
                u32_at(core, h),
                u32_at(core, h + 4),
                u64_at(core, h + 8),
                u64_at(core, h + 16),
                u64_at(core, h + 32),
                u64_at(core, h + 40),
            )
        })
        .collect()
}

/// (name, type, desc) of every note.
fn notes_of(core: &[u8]) -> Vec<(String, u32, Vec<u8>)> {
    let (_, _, offset, _, size, _) = segments(core)[0];
    let mut at = offset as usize;
    let end = at + size as usize;
    let mut out = Vec::new();
    while at < end {
        let (namesz, descsz, kind) = (
            u32_at(core, at) as usize,
            u32_at(core, at + 4) as usize,
            u32_at(core, at + 8),
        );
        let name = String::from_utf8(core[at + 12..at + 12 + namesz - 1].to_vec()).unwrap();
        let desc_at = at + 12 + namesz.next_multiple_of(4);
        out.push((name, kind, core[desc_at..desc_at + descsz].to_vec()));
        at = desc_at + descsz.next_multiple_of(4);
    }
    out
}

fn sample() -> (Vec<CoreThread>, Memory) {
    let registers = UserRegs {
        rip: 0x40_1234,
        rsp: 0x7fff_f000,
        rax: 42,
        ..UserRegs::default()
    };
    let thread = |tid| CoreThread {
        tid,
        registers,
        fpregs: [0x5a; 512],
        pending: 0,
        blocked: 1 << 1,
    };
    let mut bytes = vec![0u8; 4 * 4096];
    bytes[..4].copy_from_slice(b"\x7fELF");
    bytes[2 * 4096..2 * 4096 + 5].copy_from_slice(b"heap!");
    (
        vec![thread(7), thread(8)],
        Memory {
            base: 0x40_0000,
            bytes,
        },
    )
}

const SIGINFO: [u8; 128] = [11; 128];

fn process<'a>(properties: &'a [&'a str]) -> CoreProcess<'a> {
    CoreProcess {
        pid: 7,
        ppid: 1,
        pgrp: 7,
        sid: 1,
        uid: 1000,
        gid: 1000,
        comm: b"crasher",
        args: b"./crasher --now",
        signal: 11,
        siginfo: &SIGINFO,
        auxv: &[6, 0, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0],
        properties,
    }
}

fn mappings() -> Vec<CoreMapping<'static>> {
    vec![
        // Text of the executable: only its header page is kept.
        CoreMapping {
            start: 0x40_0000,
            end: 0x40_2000,
            readable: true,
            writable: false,
            executable: true,
            file: Some((b"/bin/crasher", 0)),
        },
        // The heap: all of it.
        CoreMapping {
            start: 0x40_2000,
            end: 0x40_4000,
            readable: true,
            writable: true,
            executable: false,
            file: None,
        },
        // A guard page: nothing.
        CoreMapping {
            start: 0x40_4000,
            end: 0x40_5000,
            readable: false,
            writable: false,
            executable: false,
            file: None,
        },
    ]
}

#[test]
fn a_core_has_the_header_notes_and_memory_a_debugger_reads() {
    let (threads, mut memory) = sample();
    let properties = ["executable_path=/bin/crasher", "pid=7"];
    let mut core = Vec::new();
    let written = write_core(
        &process(&properties),
        &threads,
        &mappings(),
        &mut memory,
        &mut core,
        u64::MAX,
    )
    .unwrap();
    assert_eq!(written, core.len() as u64);
    assert_eq!(&core[..4], b"\x7fELF");
    assert_eq!(u16_at(&core, 16), 4, "ET_CORE");
    assert_eq!(u16_at(&core, 18), 62, "EM_X86_64");

    let segments = segments(&core);
    assert_eq!(segments.len(), 4);
    assert_eq!(segments[0].0, 4, "PT_NOTE first");
    let (kind, flags, offset, vaddr, filesz, memsz) = segments[1];
    assert_eq!(
        (kind, flags, vaddr, filesz, memsz),
        (1, 5, 0x40_0000, 4096, 0x2000)
    );
    assert_eq!(&core[offset as usize..offset as usize + 4], b"\x7fELF");
    let (_, flags, offset, _, filesz, _) = segments[2];
    assert_eq!((flags, filesz), (6, 0x2000));
    assert_eq!(offset % 4096, 0);
    assert_eq!(&core[offset as usize..offset as usize + 5], b"heap!");
    assert_eq!(segments[3].4, 0, "unreadable memory is not dumped");
    assert_eq!(segments[3].5, 0x1000);

    let notes = notes_of(&core);
    let kinds: Vec<u32> = notes.iter().map(|n| n.1).collect();
    assert_eq!(
        kinds,
        [
            NT_PRSTATUS,
            NT_PRPSINFO,
            NT_SIGINFO,
            NT_AUXV,
            NT_FILE,
            NT_PRFPREG,
            NT_PRSTATUS,
            NT_PRFPREG,
            NT_COURAGE_PROPERTIES
        ]
    );
    let prstatus = &notes[0].2;
    assert_eq!(prstatus.len(), 336);
    assert_eq!(u16_at(prstatus, 12), 11, "pr_cursig");
    assert_eq!(u32_at(prstatus, 32), 7, "pr_pid is the thread id");
    assert_eq!(u64_at(prstatus, 112 + 16 * 8), 0x40_1234, "rip in pr_reg");
    assert_eq!(u32_at(&notes[6].2, 32), 8, "the second thread");
    let psinfo = &notes[1].2;
    assert_eq!(&psinfo[40..47], b"crasher");
    assert_eq!(&psinfo[56..71], b"./crasher --now");
    let file = &notes[4].2;
    assert_eq!((u64_at(file, 0), u64_at(file, 8)), (1, 4096));
    assert_eq!(u64_at(file, 16), 0x40_0000);
    assert_eq!(&file[40..53], b"/bin/crasher\0");
    assert_eq!(notes[8].0, "COURAGE");
    assert_eq!(notes[8].2, b"executable_path=/bin/crasher\0pid=7\0");
}

#[test]
fn the_size_limit_cuts_the_memory_and_a_tiny_one_writes_nothing() {
    let (threads, mut memory) = sample();
    let mut core = Vec::new();
    let written = write_core(
        &process(&[]),
        &threads,
        &mappings(),
        &mut memory,
        &mut core,
        4096 + 100,
    )
    .unwrap();
    assert_eq!(written, 4196);
    assert_eq!(core.len(), 4196);
    let mut core = Vec::new();
    assert_eq!(
        write_core(
            &process(&[]),
            &threads,
            &mappings(),
            &mut memory,
            &mut core,
            100
        ),
        Err(abi::Errno::EFBIG)
    );
    assert!(core.is_empty());
}
