//! ELF core files, as Linux writes them and gdb reads them: an `ET_CORE`
//! header, a `PT_NOTE` segment (the threads' registers, the process, the
//! signal, the auxiliary vector, the mapped files) and one `PT_LOAD` per
//! mapping with the memory worth keeping.
//!
//! What is dumped follows Linux's default `coredump_filter`: anonymous and
//! written memory in full; mappings of files that were never writable only
//! as their first page if it starts an ELF header (debuggers read the rest
//! from the file); nothing of unreadable mappings.

use alloc::vec::Vec;

use abi::{Errno, KernelResult, USER_FPREGS_SIZE, UserRegs};
use zerocopy::IntoBytes;

/// `NT_PRSTATUS`: a thread's registers and signal state.
pub const NT_PRSTATUS: u32 = 1;
/// `NT_PRFPREG` (`NT_FPREGSET`): a thread's `fxsave` area.
pub const NT_PRFPREG: u32 = 2;
/// `NT_PRPSINFO`: the process.
pub const NT_PRPSINFO: u32 = 3;
/// `NT_AUXV`: the auxiliary vector.
pub const NT_AUXV: u32 = 6;
/// `NT_SIGINFO`: the `siginfo_t` of the killing signal.
pub const NT_SIGINFO: u32 = 0x5349_4749;
/// `NT_FILE`: which files are mapped where.
pub const NT_FILE: u32 = 0x4649_4c45;
/// Courage's own note (name `COURAGE`): the coredump properties, as
/// `key=value` strings each ending in NUL.
pub const NT_COURAGE_PROPERTIES: u32 = 1;

const PAGE: u64 = 4096;
const EHDR_SIZE: u64 = 64;
const PHDR_SIZE: u64 = 56;
const PRSTATUS_SIZE: usize = 336;
const PRPSINFO_SIZE: usize = 136;

/// One thread at the time of the crash.
#[derive(Clone, Debug)]
pub struct CoreThread {
    /// Thread id.
    pub tid: i32,
    /// General registers.
    pub registers: UserRegs,
    /// The `fxsave` area.
    pub fpregs: [u8; USER_FPREGS_SIZE],
    /// Pending signals (bit `n - 1` for signal `n`).
    pub pending: u64,
    /// Blocked signals.
    pub blocked: u64,
}

/// The process as a whole.
#[derive(Clone, Debug)]
pub struct CoreProcess<'a> {
    /// Process id, parent, group, session.
    pub pid: i32,
    /// Parent's process id.
    pub ppid: i32,
    /// Process group.
    pub pgrp: i32,
    /// Session.
    pub sid: i32,
    /// Real user and group ids.
    pub uid: u32,
    /// Real group id.
    pub gid: u32,
    /// The command name (`comm`, at most 16 bytes kept).
    pub comm: &'a [u8],
    /// The arguments joined by spaces (at most 80 bytes kept).
    pub args: &'a [u8],
    /// The signal that killed it.
    pub signal: i32,
    /// Its `siginfo_t` (128 bytes).
    pub siginfo: &'a [u8],
    /// The auxiliary vector the program started with, as bytes.
    pub auxv: &'a [u8],
    /// Coredump properties, `key=value` each (the seed's note).
    pub properties: &'a [&'a str],
}

/// One mapping of the address space.
#[derive(Clone, Debug)]
pub struct CoreMapping<'a> {
    /// First address (page-aligned).
    pub start: u64,
    /// End address (page-aligned, exclusive).
    pub end: u64,
    /// `PROT_READ`.
    pub readable: bool,
    /// `PROT_WRITE`.
    pub writable: bool,
    /// `PROT_EXEC`.
    pub executable: bool,
    /// The file mapped and the offset of `start` in it, if any.
    pub file: Option<(&'a [u8], u64)>,
}

/// Reads the dumped process's memory.
pub trait CoreMemory {
    /// Fills `buffer` from `address`; `false` if any of it is unreadable
    /// or was never touched (the dump then has a hole of zeros there).
    fn read(&mut self, address: u64, buffer: &mut [u8]) -> bool;
}

/// Where the core file goes.
pub trait CoreSink {
    /// Appends `bytes`.
    fn write(&mut self, bytes: &[u8]) -> KernelResult<()>;

    /// Appends `len` zero bytes; a file sink seeks instead, leaving a hole
    /// (untouched memory costs no space, as in Linux's sparse cores).
    fn skip(&mut self, len: u64) -> KernelResult<()> {
        let zeros = [0u8; 512];
        let mut left = len;
        while left > 0 {
            let n = left.min(zeros.len() as u64) as usize;
            self.write(&zeros[..n])?;
            left -= n as u64;
        }
        Ok(())
    }
}

/// A core built in memory.
impl CoreSink for Vec<u8> {
    fn write(&mut self, bytes: &[u8]) -> KernelResult<()> {
        fault_injection::reserve(self, bytes.len())?;
        self.extend_from_slice(bytes);
        Ok(())
    }
}

/// How much of `mapping` the dump holds, from its start.
fn dumped_size(mapping: &CoreMapping<'_>, memory: &mut dyn CoreMemory) -> u64 {
    if !mapping.readable || mapping.end <= mapping.start {
        return 0;
    }
    match mapping.file {
        // Anonymous, or a private file mapping that may have been written.
        None => mapping.end - mapping.start,
        Some(_) if mapping.writable => mapping.end - mapping.start,
        // Text and read-only data: the ELF header page, for build ids.
        Some((_, 0)) => {
            let mut magic = [0u8; 4];
            if memory.read(mapping.start, &mut magic) && magic == *b"\x7fELF" {
                PAGE.min(mapping.end - mapping.start)
            } else {
                0
            }
        }
        Some(_) => 0,
    }
}

fn note(out: &mut Vec<u8>, name: &[u8], kind: u32, desc: &[u8]) {
    let name_size = name.len() + 1;
    out.extend_from_slice(&(name_size as u32).to_le_bytes());
    out.extend_from_slice(&(desc.len() as u32).to_le_bytes());
    out.extend_from_slice(&kind.to_le_bytes());
    out.extend_from_slice(name);
    out.push(0);
    out.resize(out.len().next_multiple_of(4), 0);
    out.extend_from_slice(desc);
    out.resize(out.len().next_multiple_of(4), 0);
}

fn put(bytes: &mut [u8], at: usize, value: &[u8]) {
    bytes[at..at + value.len()].copy_from_slice(value);
}

fn prstatus(process: &CoreProcess<'_>, thread: &CoreThread) -> [u8; PRSTATUS_SIZE] {
    let mut b = [0u8; PRSTATUS_SIZE];
    put(&mut b, 0, &process.signal.to_le_bytes()); // pr_info.si_signo
    put(&mut b, 12, &(process.signal as u16).to_le_bytes()); // pr_cursig
    put(&mut b, 16, &thread.pending.to_le_bytes());
    put(&mut b, 24, &thread.blocked.to_le_bytes());
    put(&mut b, 32, &thread.tid.to_le_bytes());
    put(&mut b, 36, &process.ppid.to_le_bytes());
    put(&mut b, 40, &process.pgrp.to_le_bytes());
    put(&mut b, 44, &process.sid.to_le_bytes());
    put(&mut b, 112, thread.registers.as_bytes());
    put(&mut b, 328, &1u32.to_le_bytes()); // pr_fpvalid
    b
}

fn prpsinfo(process: &CoreProcess<'_>) -> [u8; PRPSINFO_SIZE] {
    let mut b = [0u8; PRPSINFO_SIZE];
    b[1] = b'R'; // pr_sname: it was running when it died
    put(&mut b, 16, &process.uid.to_le_bytes());
    put(&mut b, 20, &process.gid.to_le_bytes());
    put(&mut b, 24, &process.pid.to_le_bytes());
    put(&mut b, 28, &process.ppid.to_le_bytes());
    put(&mut b, 32, &process.pgrp.to_le_bytes());
    put(&mut b, 36, &process.sid.to_le_bytes());
    let comm = &process.comm[..process.comm.len().min(15)];
    put(&mut b, 40, comm);
    let args = &process.args[..process.args.len().min(79)];
    put(&mut b, 56, args);
    b
}

fn file_note(mappings: &[CoreMapping<'_>]) -> Vec<u8> {
    let files: Vec<_> = mappings
        .iter()
        .filter_map(|m| m.file.map(|(path, offset)| (m, path, offset)))
        .collect();
    let mut desc = Vec::new();
    desc.extend_from_slice(&(files.len() as u64).to_le_bytes());
    desc.extend_from_slice(&PAGE.to_le_bytes());
    for (mapping, _, offset) in &files {
        desc.extend_from_slice(&mapping.start.to_le_bytes());
        desc.extend_from_slice(&mapping.end.to_le_bytes());
        desc.extend_from_slice(&(offset / PAGE).to_le_bytes());
    }
    for (_, path, _) in &files {
        desc.extend_from_slice(path);
        desc.push(0);
    }
    desc
}

/// The `PT_NOTE` segment's contents.
pub fn notes(
    process: &CoreProcess<'_>,
    threads: &[CoreThread],
    mappings: &[CoreMapping<'_>],
) -> Vec<u8> {
    let mut out = Vec::new();
    for (index, thread) in threads.iter().enumerate() {
        note(&mut out, b"CORE", NT_PRSTATUS, &prstatus(process, thread));
        if index == 0 {
            note(&mut out, b"CORE", NT_PRPSINFO, &prpsinfo(process));
            note(&mut out, b"CORE", NT_SIGINFO, process.siginfo);
            note(&mut out, b"CORE", NT_AUXV, process.auxv);
            note(&mut out, b"CORE", NT_FILE, &file_note(mappings));
        }
        note(&mut out, b"CORE", NT_PRFPREG, &thread.fpregs);
    }
    let mut properties = Vec::new();
    for property in process.properties {
        properties.extend_from_slice(property.as_bytes());
        properties.push(0);
    }
    note(&mut out, b"COURAGE", NT_COURAGE_PROPERTIES, &properties);
    out
}

fn program_header(
    kind: u32,
    flags: u32,
    offset: u64,
    vaddr: u64,
    filesz: u64,
    memsz: u64,
) -> [u8; 56] {
    let mut b = [0u8; 56];
    put(&mut b, 0, &kind.to_le_bytes());
    put(&mut b, 4, &flags.to_le_bytes());
    put(&mut b, 8, &offset.to_le_bytes());
    put(&mut b, 16, &vaddr.to_le_bytes());
    put(&mut b, 32, &filesz.to_le_bytes());
    put(&mut b, 40, &memsz.to_le_bytes());
    put(
        &mut b,
        48,
        &(if kind == 1 { PAGE } else { 4 }).to_le_bytes(),
    );
    b
}

/// Writes the core file of `process` to `sink`, at most `limit` bytes
/// (`RLIMIT_CORE`: a longer dump is cut, as Linux cuts it). Returns the
/// file's length (holes included).
pub fn write_core(
    process: &CoreProcess<'_>,
    threads: &[CoreThread],
    mappings: &[CoreMapping<'_>],
    memory: &mut dyn CoreMemory,
    sink: &mut dyn CoreSink,
    limit: u64,
) -> KernelResult<u64> {
    let notes = notes(process, threads, mappings);
    let sizes: Vec<u64> = mappings.iter().map(|m| dumped_size(m, memory)).collect();
    let phnum = 1 + mappings.len();
    let headers = EHDR_SIZE + PHDR_SIZE * phnum as u64;
    let data_start = (headers + notes.len() as u64).next_multiple_of(PAGE);
    if limit < data_start {
        // Not even the registers fit: no core at all (Linux's rule).
        return Err(Errno::EFBIG);
    }
    let mut out = Limited {
        sink,
        left: limit,
        written: 0,
    };

    let mut ehdr = [0u8; 64];
    put(&mut ehdr, 0, b"\x7fELF\x02\x01\x01"); // 64-bit, little-endian, v1, SysV
    put(&mut ehdr, 16, &4u16.to_le_bytes()); // ET_CORE
    put(&mut ehdr, 18, &62u16.to_le_bytes()); // EM_X86_64
    put(&mut ehdr, 20, &1u32.to_le_bytes());
    put(&mut ehdr, 32, &EHDR_SIZE.to_le_bytes()); // e_phoff
    put(&mut ehdr, 52, &(EHDR_SIZE as u16).to_le_bytes());
    put(&mut ehdr, 54, &(PHDR_SIZE as u16).to_le_bytes());
    put(&mut ehdr, 56, &(phnum as u16).to_le_bytes());
    out.write(&ehdr)?;

    let notes_offset = headers;
    out.write(&program_header(
        4,
        0,
        notes_offset,
        0,
        notes.len() as u64,
        0,
    ))?;
    let mut offset = data_start;
    for (mapping, &size) in mappings.iter().zip(&sizes) {
        let flags = u32::from(mapping.executable)
            | u32::from(mapping.writable) << 1
            | u32::from(mapping.readable) << 2;
        let memsz = mapping.end.saturating_sub(mapping.start);
        out.write(&program_header(
            1,
            flags,
            offset,
            mapping.start,
            size,
            memsz,
        ))?;
        offset += size;
    }
    out.write(&notes)?;
    out.pad_to(data_start)?;

    let mut page = alloc::vec![0u8; PAGE as usize];
    for (mapping, &size) in mappings.iter().zip(&sizes) {
        let mut address = mapping.start;
        while address < mapping.start + size {
            if out.left == 0 {
                return Ok(out.written);
            }
            if memory.read(address, &mut page) {
                out.write(&page)?;
            } else {
                out.skip(PAGE)?;
            }
            address += PAGE;
        }
    }
    Ok(out.written)
}

/// A sink that stops quietly at the size limit.
struct Limited<'a> {
    sink: &'a mut dyn CoreSink,
    left: u64,
    written: u64,
}

impl Limited<'_> {
    fn write(&mut self, bytes: &[u8]) -> KernelResult<()> {
        let n = bytes.len().min(self.left as usize);
        if n > 0 {
            self.sink.write(&bytes[..n])?;
        }
        self.left -= n as u64;
        self.written += n as u64;
        Ok(())
    }

    fn skip(&mut self, len: u64) -> KernelResult<()> {
        let n = len.min(self.left);
        if n > 0 {
            self.sink.skip(n)?;
        }
        self.left -= n;
        self.written += n;
        Ok(())
    }

    fn pad_to(&mut self, offset: u64) -> KernelResult<()> {
        let zeros = [0u8; 512];
        while self.written < offset && self.left > 0 {
            let n = ((offset - self.written) as usize).min(zeros.len());
            self.write(&zeros[..n])?;
        }
        Ok(())
    }
}
