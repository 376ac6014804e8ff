//! The life cycle: `clone`/`fork`/`vfork` (flags decoded here, the new
//! thread started by the kernel), `execve`/`execveat` (the program loaded
//! by the kernel, the process switched over here), `exit`/`exit_group`,
//! and the thread pointer (`arch_prctl`).

use alloc::string::String;
use alloc::vec::Vec;

use abi::{AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW, Errno, S_IFLNK, S_IFMT};
use process::Termination;
use signal::UserRegisters;

use crate::SyscallResult;
use crate::args::{AtFlags, DirFd, UserPath, UserPtr};
use crate::context::Context;
use crate::kernel::{Kernel, UserThreadData};
use crate::registers::FPU_AREA_SIZE;
use crate::signals::send::kill_process;

const CLONE_VM: u64 = 0x100;
const CLONE_FS: u64 = 0x200;
const CLONE_FILES: u64 = 0x400;
const CLONE_SIGHAND: u64 = 0x800;
const CLONE_VFORK: u64 = 0x4000;
const CLONE_THREAD: u64 = 0x10000;
const CLONE_SYSVSEM: u64 = 0x4_0000;
const CLONE_SETTLS: u64 = 0x8_0000;
const CLONE_PARENT_SETTID: u64 = 0x10_0000;
const CLONE_CHILD_CLEARTID: u64 = 0x20_0000;
const CLONE_DETACHED: u64 = 0x40_0000;
const CLONE_CHILD_SETTID: u64 = 0x100_0000;
const EXIT_SIGNAL_MASK: u64 = 0xff;

/// `rflags` a program starts with: interrupts on, bit 1 set.
const INITIAL_RFLAGS: u64 = 0x202;

/// Where `clone` asked for the child's tid: written into the child
/// (`CLONE_CHILD_SETTID`) and cleared with a futex wake when its thread
/// exits (`CLONE_CHILD_CLEARTID`), as glibc's `fork` requests.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct ChildTid {
    /// The address in the child's memory.
    pub address: u64,
    /// `CLONE_CHILD_SETTID`.
    pub set: bool,
    /// `CLONE_CHILD_CLEARTID`.
    pub clear: bool,
}

/// How a new thread or process starts: the caller's user context with
/// `rax` 0 and, if asked, a new stack and thread pointer.
#[derive(Clone, Debug)]
pub struct ChildStart {
    /// The registers it resumes user mode with.
    pub registers: UserRegisters,
    /// Its FPU/SSE state (a copy of the caller's).
    pub fpu: [u8; FPU_AREA_SIZE],
    /// Its thread pointer (`CLONE_SETTLS`); the caller's otherwise.
    pub tls: Option<u64>,
    /// Where its tid goes.
    pub child_tid: ChildTid,
}

/// A program the kernel loaded for `execve`, not yet switched to.
pub struct LoadedProgram<S> {
    /// Its address space.
    pub space: S,
    /// The first user instruction.
    pub entry: u64,
    /// The initial stack pointer (pointing at `argc`).
    pub stack_pointer: u64,
    /// The command name (the file name's last component).
    pub name: String,
    /// The executable, for `/proc/<pid>/exe`.
    pub exe: Option<fs::Custody>,
    /// The arguments as the program sees them (after `#!` rewriting).
    pub argv: Vec<Vec<u8>>,
    /// Its auxiliary vector, as on its stack.
    pub auxv: Vec<u8>,
}

fn child_start<K: Kernel>(
    ctx: &Context<'_, K>,
    stack: u64,
    tls: Option<u64>,
    child_tid: ChildTid,
) -> ChildStart {
    let saved = ctx.registers.borrow();
    let mut registers = saved.registers();
    registers.rax = 0;
    if stack != 0 {
        registers.rsp = stack;
    }
    ChildStart {
        registers,
        fpu: *saved.fpu(),
        tls,
        child_tid,
    }
}

/// `clone(flags, stack, parent_tid, child_tid, tls)`: a thread
/// (`CLONE_THREAD`, which needs `CLONE_VM | CLONE_SIGHAND`), or a process
/// (a copy-on-write fork, also for `CLONE_VM | CLONE_VFORK`).
pub fn clone<K: Kernel>(
    ctx: &Context<'_, K>,
    flags: u64,
    stack: u64,
    parent_tid: UserPtr<i32>,
    child_tid: u64,
    tls: u64,
) -> SyscallResult {
    let known = CLONE_VM
        | CLONE_FS
        | CLONE_FILES
        | CLONE_SIGHAND
        | CLONE_VFORK
        | CLONE_THREAD
        | CLONE_SETTLS
        | CLONE_PARENT_SETTID
        | CLONE_CHILD_CLEARTID
        | CLONE_CHILD_SETTID
        // Ignored since Linux 2.6.
        | CLONE_DETACHED
        // There are no SysV semaphores to share.
        | CLONE_SYSVSEM
        | EXIT_SIGNAL_MASK;
    if flags & !known != 0 {
        log::warn!("clone: unsupported flags {:#x}", flags & !known);
        return Err(Errno::EINVAL);
    }
    // Linux's own consistency rules.
    if flags & CLONE_SIGHAND != 0 && flags & CLONE_VM == 0 {
        return Err(Errno::EINVAL);
    }
    let tid_request = ChildTid {
        address: child_tid,
        set: flags & CLONE_CHILD_SETTID != 0,
        clear: flags & CLONE_CHILD_CLEARTID != 0,
    };
    let tls = (flags & CLONE_SETTLS != 0).then_some(tls);
    let id = if flags & CLONE_THREAD != 0 {
        if flags & (CLONE_VM | CLONE_SIGHAND) != CLONE_VM | CLONE_SIGHAND {
            return Err(Errno::EINVAL);
        }
        let start = child_start(ctx, stack, tls, tid_request);
        let tid = ctx.kernel.spawn_thread(ctx, &start)?;
        if tid_request.set {
            // Threads share the address space: the parent may write it.
            ctx.write(UserPtr::<i32>::new(child_tid), &tid)?;
        }
        tid
    } else {
        if flags & CLONE_VM != 0 && flags & CLONE_VFORK == 0 {
            // Shared memory without a shared thread group is not supported.
            return Err(Errno::EINVAL);
        }
        // A vfork child borrows the parent's stack until it execs; a
        // copy-on-write fork gives it its own copy of it instead.
        let stack = if flags & CLONE_VM != 0 { 0 } else { stack };
        let start = child_start(ctx, stack, tls, tid_request);
        let pid = ctx.kernel.fork(ctx, &start)?;
        let event = if flags & CLONE_VFORK != 0 {
            process::ptrace::PTRACE_EVENT_VFORK
        } else if flags & EXIT_SIGNAL_MASK == 17 {
            process::ptrace::PTRACE_EVENT_FORK
        } else {
            process::ptrace::PTRACE_EVENT_CLONE
        };
        crate::process::ptrace::after_fork(
            ctx.kernel,
            ctx.process,
            ctx.thread,
            &mut *ctx.registers.borrow_mut(),
            pid,
            event,
            56,
        );
        pid
    };
    if flags & CLONE_PARENT_SETTID != 0 {
        ctx.write(parent_tid, &id)?;
    }
    Ok(id as u64)
}

/// `fork()` and `vfork()` (served as a copy-on-write fork, which is all
/// vfork's callers may rely on).
pub fn fork<K: Kernel>(ctx: &Context<'_, K>) -> SyscallResult {
    let start = child_start(ctx, 0, None, ChildTid::default());
    let pid = ctx.kernel.fork(ctx, &start)?;
    crate::process::ptrace::after_fork(
        ctx.kernel,
        ctx.process,
        ctx.thread,
        &mut *ctx.registers.borrow_mut(),
        pid,
        process::ptrace::PTRACE_EVENT_FORK,
        57,
    );
    Ok(pid as u64)
}

/// `execve(path, argv, envp)`.
pub fn execve<K: Kernel>(
    ctx: &Context<'_, K>,
    path: UserPath,
    argv: u64,
    envp: u64,
) -> SyscallResult {
    exec(ctx, DirFd::Cwd, path, argv, envp, AtFlags(0))
}

/// `execveat(dirfd, path, argv, envp, flags)`: `path` relative to
/// `dirfd`; `AT_SYMLINK_NOFOLLOW` refuses a final symbolic link with
/// `ELOOP`. Running the descriptor itself (`AT_EMPTY_PATH` with an empty
/// path, glibc's `fexecve`) is not supported yet and fails with `ENOENT`:
/// the loader opens by path, and a path rebuilt from the descriptor would
/// be wrong once the file is renamed (see NOTES.md).
pub fn execveat<K: Kernel>(
    ctx: &Context<'_, K>,
    dirfd: DirFd,
    path: UserPath,
    argv: u64,
    envp: u64,
    flags: AtFlags,
) -> SyscallResult {
    let flags = flags.only(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)?;
    // An empty path stays ENOENT, as without AT_EMPTY_PATH.
    exec(
        ctx,
        dirfd,
        path,
        argv,
        envp,
        AtFlags(flags.0 & !AT_EMPTY_PATH),
    )
}

fn exec<K: Kernel>(
    ctx: &Context<'_, K>,
    dirfd: DirFd,
    path: UserPath,
    argv: u64,
    envp: u64,
    flags: AtFlags,
) -> SyscallResult {
    let path = ctx.read_path(path, flags.has(AT_EMPTY_PATH))?;
    let argv = ctx.read_string_array(argv)?;
    let envp = ctx.read_string_array(envp)?;
    let base = ctx.path_base(dirfd, &path)?;
    if flags.has(AT_SYMLINK_NOFOLLOW) {
        let stat = ctx.kernel.vfs().stat(&base.context(), &path, false)?;
        if stat.mode & S_IFMT == S_IFLNK {
            return Err(Errno::ELOOP);
        }
    }
    let credentials = ctx.process.data().credentials().clone();
    let program = ctx.kernel.load_program(
        base.context(),
        path.as_bytes(),
        argv,
        envp.clone(),
        &credentials,
    )?;

    // The point of no return: the old image goes.
    let mut record = process::Program::new(program.exe.clone(), &program.argv, &envp);
    record.auxv = program.auxv.clone();
    ctx.process.data().set_program(record);
    let outcome = ctx
        .process
        .exec(ctx.thread, program.space.clone(), program.name);
    for thread in &outcome.threads_to_wake {
        ctx.kernel.interrupt(thread);
    }
    ctx.thread.data().signals().lock().reset_for_exec();
    ctx.kernel.enter_address_space(&program.space);
    ctx.kernel.set_fs_base(0)?;
    // The old address space goes only once the new one is active.
    drop(outcome);

    let registers = UserRegisters {
        rip: program.entry,
        rsp: program.stack_pointer,
        rflags: INITIAL_RFLAGS,
        cs: K::SELECTORS.code,
        ss: K::SELECTORS.data,
        ..UserRegisters::default()
    };
    let mut saved = ctx.registers.borrow_mut();
    saved.set_registers(&registers);
    saved.reset_fpu();
    crate::process::ptrace::after_exec(ctx.kernel, ctx.process, ctx.thread, &mut *saved);
    // rax of the fresh image is 0, like every other register.
    Ok(0)
}

/// `exit(status)`: the calling thread ends (the process with it when it
/// is the last) as it returns towards user mode.
pub fn exit<K: Kernel>(ctx: &Context<'_, K>, status: i32) -> SyscallResult {
    if ctx.process.thread_count() <= 1 {
        return exit_group(ctx, status);
    }
    ctx.thread.set_should_die();
    Ok(0)
}

/// `exit_group(status)`: every thread of the process ends; the parent
/// sees `status & 0xff`.
pub fn exit_group<K: Kernel>(ctx: &Context<'_, K>, status: i32) -> SyscallResult {
    crate::process::ptrace::before_exit(
        ctx.kernel,
        ctx.process,
        ctx.thread,
        &mut *ctx.registers.borrow_mut(),
        status,
    );
    kill_process(ctx.kernel, ctx.process, Termination::Exited(status as u8));
    Ok(0)
}

const ARCH_SET_GS: i32 = 0x1001;
const ARCH_SET_FS: i32 = 0x1002;
const ARCH_GET_FS: i32 = 0x1003;
const ARCH_GET_GS: i32 = 0x1004;

/// `arch_prctl(code, address)`: the `fs` thread pointer (`gs` belongs to
/// the kernel here, as user `gs` is not supported).
pub fn arch_prctl<K: Kernel>(ctx: &Context<'_, K>, code: i32, address: u64) -> SyscallResult {
    match code {
        ARCH_SET_FS => {
            if address >= mm::USER_SPACE_END {
                return Err(Errno::EPERM);
            }
            ctx.kernel.set_fs_base(address)?;
            Ok(0)
        }
        ARCH_GET_FS => {
            ctx.write(UserPtr::<u64>::new(address), &ctx.kernel.fs_base())?;
            Ok(0)
        }
        ARCH_SET_GS | ARCH_GET_GS => Err(Errno::EINVAL),
        _ => Err(Errno::EINVAL),
    }
}
