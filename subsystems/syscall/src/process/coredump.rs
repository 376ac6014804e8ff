//! Core dumps: what a process killed by a core-dumping signal leaves in
//! its working directory, for gdb. The `elf` crate writes the file's
//! bytes; this gathers the process (registers, signal, mappings, memory)
//! and applies the rules for whether and where to write it.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::{Errno, KernelResult, S_IFMT, S_IFREG};
use elf::coredump::{CoreMapping, CoreMemory, CoreProcess, CoreSink, CoreThread, write_core};
use fs::{OpenFlags, PathContext};
use mm::{AddressSpace, PageTable, UserMemory, UserSlice, VirtAddr};
use process::{CoreNameFields, Process, Resource, Thread};
use signal::SigInfo;
use zerocopy::IntoBytes;

use crate::kernel::{Kernel, UserThreadData};
use crate::registers::{SavedRegisters, SavedUserContext};

const PAGE: u64 = 4096;

/// Writes the core of `process`, killed by `info` while `thread` (the
/// caller) was running with `regs`. Whether a file was written: `false`
/// when `RLIMIT_CORE` is 0, the process is not dumpable, the pattern
/// pipes to a program, or the file cannot be made (all as on Linux).
pub fn dump_core<K: Kernel>(
    kernel: &K,
    process: &Process<K::Env>,
    thread: &Thread<K::Env>,
    regs: &dyn SavedRegisters,
    info: &SigInfo,
) -> bool {
    match try_dump_core(kernel, process, thread, regs, info) {
        Ok(name) => {
            log::info!("pid {}: core dumped to {name}", process.pid());
            true
        }
        Err(Errno::ENOEXEC) => false,
        Err(error) => {
            log::info!("pid {}: no core dump: {error}", process.pid());
            false
        }
    }
}

/// `ENOEXEC`: no dump is wanted (a limit under a page, not dumpable, a
/// pipe pattern).
fn try_dump_core<K: Kernel>(
    kernel: &K,
    process: &Process<K::Env>,
    thread: &Thread<K::Env>,
    regs: &dyn SavedRegisters,
    info: &SigInfo,
) -> KernelResult<String> {
    let (limit, dumpable) = {
        let data = process.data();
        (data.rlimits().get(Resource::Core).soft, data.is_dumpable())
    };
    let pattern = kernel.processes().core_pattern();
    // Below a page not even the headers fit (Linux's `min_coredump`).
    if limit < PAGE || !dumpable || pattern.is_pipe() {
        return Err(Errno::ENOEXEC);
    }
    let signal = info.signal.number();
    let (name, fields, cmdline, auxv, properties, base, root, creds) = {
        let data = process.data();
        let credentials = data.credentials();
        let comm = String::from(data.name());
        let hostname = String::from_utf8_lossy(kernel.processes().uts().hostname()).into_owned();
        let name = pattern.file_name(&CoreNameFields {
            pid: process.pid(),
            uid: credentials.uid(),
            gid: credentials.gid(),
            signal: u32::from(signal),
            time: kernel.realtime().sec,
            hostname: &hostname,
            comm: &comm,
        });
        let fs = data.fs().ok_or(Errno::ESRCH)?;
        let program = data.program();
        let mut properties: Vec<String> = Vec::new();
        if let Some(exe) = &program.exe {
            let path = exe.absolute_path(fs.root());
            properties.push(alloc::format!("executable_path={path}"));
        }
        properties.extend(
            data.coredump_properties()
                .iter()
                .map(|(k, v)| alloc::format!("{k}={v}")),
        );
        (
            name,
            (
                process.pid(),
                data.ppid(),
                data.pgid(),
                data.sid(),
                credentials.uid(),
                credentials.gid(),
                comm,
            ),
            program.cmdline.clone(),
            program.auxv.clone(),
            properties,
            fs.cwd().clone(),
            fs.root().clone(),
            crate::context::file_system_credentials(credentials),
        )
    };
    let (pid, ppid, pgrp, sid, uid, gid, comm) = fields;
    // The arguments as `ps` shows them: NULs become spaces.
    let args: Vec<u8> = cmdline
        .strip_suffix(&[0])
        .unwrap_or(&cmdline)
        .iter()
        .map(|&b| if b == 0 { b' ' } else { b })
        .collect();
    let siginfo = info.to_raw();
    let properties: Vec<&str> = properties.iter().map(String::as_str).collect();
    let core_process = CoreProcess {
        pid,
        ppid,
        pgrp,
        sid,
        uid,
        gid,
        comm: comm.as_bytes(),
        args: &args,
        signal: i32::from(signal),
        siginfo: siginfo.as_bytes(),
        auxv: &auxv,
        properties: &properties,
    };
    // The crashing thread first (gdb shows it as the current one), then
    // the others as they last entered the kernel.
    let mut threads = alloc::vec![core_thread(kernel, thread, regs)];
    for other in process.threads() {
        if other.tid() == thread.tid() {
            continue;
        }
        if let Some(context) = kernel.saved_user_context(&other) {
            threads.push(other_thread::<K>(&other, &context));
        }
    }
    let memory = kernel.user_memory();
    let description = create_file(
        kernel,
        &PathContext {
            base: &base,
            root: &root,
            creds: &creds,
        },
        &name,
    )?;
    // The file is written under the address-space lock (the memory cannot
    // change under the dump); the file system never takes that lock.
    let written = kernel.with_address_space(process, |space, _| {
        let files: Vec<Option<(String, u64)>> = space.regions().map(mapped_file).collect();
        let mappings: Vec<CoreMapping<'_>> = space
            .regions()
            .zip(&files)
            .map(|(region, file)| {
                let perms = region.perms();
                CoreMapping {
                    start: region.range().start().0,
                    end: region.range().end().0,
                    readable: perms.contains(mm::Perms::READ),
                    writable: perms.contains(mm::Perms::WRITE),
                    executable: perms.contains(mm::Perms::EXEC),
                    file: file
                        .as_ref()
                        .map(|(path, offset)| (path.as_bytes(), *offset)),
                }
            })
            .collect();
        let mut reader = PresentPages { space, memory };
        let mut sink = DescriptionSink(&description);
        write_core(
            &core_process,
            &threads,
            &mappings,
            &mut reader,
            &mut sink,
            limit,
        )
    })?;
    // A trailing hole still counts in the file's size.
    description.truncate(written as i64)?;
    Ok(name)
}

/// The file a region maps and the offset of its start, for `NT_FILE`.
fn mapped_file(region: &mm::Region) -> Option<(String, u64)> {
    match region.backing() {
        mm::Backing::Object { .. } => region
            .name()
            .filter(|name| name.starts_with('/'))
            .map(|name| (String::from(name), region.offset_of(region.range().start()))),
        mm::Backing::Anonymous => None,
    }
}

/// The dying thread as `NT_PRSTATUS` and `NT_PRFPREG` show it.
fn core_thread<K: Kernel>(
    kernel: &K,
    thread: &Thread<K::Env>,
    regs: &dyn SavedRegisters,
) -> CoreThread {
    let registers =
        crate::process::ptrace::to_user_regs(&regs.registers(), kernel.fs_base(), u64::MAX);
    let (pending, blocked) = {
        let signals = thread.data().signals().lock();
        (signals.pending().set().bits(), signals.blocked().bits())
    };
    CoreThread {
        tid: thread.tid(),
        registers,
        fpregs: *regs.fpu(),
        pending,
        blocked,
    }
}

/// Another thread, from the context it saved.
fn other_thread<K: Kernel>(thread: &Thread<K::Env>, context: &SavedUserContext) -> CoreThread {
    let registers =
        crate::process::ptrace::to_user_regs(&context.registers, context.fs_base, u64::MAX);
    let (pending, blocked) = {
        let signals = thread.data().signals().lock();
        (signals.pending().set().bits(), signals.blocked().bits())
    };
    CoreThread {
        tid: thread.tid(),
        registers,
        fpregs: context.fpu,
        pending,
        blocked,
    }
}

/// Memory of the (active) address space, page by page, without faulting
/// anything in: pages never touched read as zeros, as Linux leaves holes.
struct PresentPages<'a, P: PageTable> {
    space: &'a AddressSpace<P>,
    memory: &'a dyn UserMemory,
}

impl<P: PageTable> CoreMemory for PresentPages<'_, P> {
    fn read(&mut self, address: u64, buffer: &mut [u8]) -> bool {
        let mut all_there = true;
        let mut done = 0;
        while done < buffer.len() {
            let at = address + done as u64;
            let page = at & !(PAGE - 1);
            let n = ((page + PAGE - at) as usize).min(buffer.len() - done);
            let chunk = &mut buffer[done..done + n];
            let present = self.space.page_table().translate(VirtAddr(page)).is_some();
            let copied = present
                && UserSlice::new(at, n)
                    .and_then(|slice| self.memory.copy_from_user(chunk, slice))
                    .is_ok();
            if !copied {
                chunk.fill(0);
                all_there = false;
            }
            done += n;
        }
        all_there
    }
}

/// Creates (or truncates) the core file as the process's filesystem user:
/// a regular file with one link, owned by that user (Linux's checks, so a
/// crash cannot write through a planted link or into someone's file).
fn create_file<K: Kernel>(
    kernel: &K,
    at: &PathContext<'_>,
    name: &str,
) -> KernelResult<Arc<fs::FileDescription>> {
    let flags = OpenFlags::O_WRONLY | OpenFlags::O_CREAT | OpenFlags::O_NOFOLLOW;
    let description = kernel.vfs().open(at, name, flags, 0o600)?;
    let stat = description.stat()?;
    if stat.mode & S_IFMT != S_IFREG || stat.nlink > 1 || stat.uid != at.creds.uid {
        return Err(Errno::EPERM);
    }
    description.truncate(0)?;
    Ok(description)
}

struct DescriptionSink<'a>(&'a fs::FileDescription);

impl CoreSink for DescriptionSink<'_> {
    fn write(&mut self, mut bytes: &[u8]) -> KernelResult<()> {
        while !bytes.is_empty() {
            let n = self.0.write(bytes)?;
            if n == 0 {
                return Err(Errno::ENOSPC);
            }
            bytes = &bytes[n..];
        }
        Ok(())
    }

    fn skip(&mut self, len: u64) -> KernelResult<()> {
        self.0.lseek(len as i64, 1).map(|_| ())
    }
}
