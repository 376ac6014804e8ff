//! The life cycle: `clone`/`fork`/`vfork` (flags decoded here, the new
//! thread started by the kernel), `execve`/`execveat` (the program loaded
//! by the kernel, the process switched over here), `exit`/`exit_group`,
//! and the thread pointer (`arch_prctl`).

use alloc::string::String;
use alloc::vec::Vec;

use abi::{AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW, Errno, KernelResult, S_IFLNK, S_IFMT};
use process::Termination;
use signal::UserRegisters;

use crate::SyscallResult;
use crate::args::{AtFlags, DirFd, UserPath, UserPtr};
use crate::context::Context;
use crate::kernel::{EventQueue, Kernel, UserThreadData};
use crate::registers::FPU_AREA_SIZE;
use crate::signals::send::kill_process;

const CLONE_VM: u64 = 0x100;
const CLONE_FS: u64 = 0x200;
const CLONE_FILES: u64 = 0x400;
const CLONE_SIGHAND: u64 = 0x800;
const CLONE_PIDFD: u64 = 0x1000;
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
    /// A new process that shares its parent's address space
    /// (`CLONE_VM` without `CLONE_THREAD`) instead of copying it.
    pub share_memory: bool,
    /// For a thread, where the caller wants its tid too
    /// (`CLONE_PARENT_SETTID`).
    pub parent_tid: Option<u64>,
}

impl ChildStart {
    /// Writes a new thread's `tid` where `CLONE_CHILD_SETTID` and
    /// `CLONE_PARENT_SETTID` ask, in the memory the caller shares with it.
    /// The kernel calls this before the thread can run: on another CPU it
    /// could otherwise run and exit (clearing its `clear_child_tid` word,
    /// the same word) before the tid lands, and a joiner would wait
    /// forever. Words that are not mapped are skipped, as on Linux.
    pub fn write_thread_ids(&self, memory: &dyn mm::UserMemory, tid: i32) {
        let bytes = tid.to_ne_bytes();
        let child = self.child_tid.set.then_some(self.child_tid.address);
        for address in [child, self.parent_tid].into_iter().flatten() {
            if let Ok(slice) = mm::UserSlice::new(address, 4) {
                let _ = memory.copy_to_user(slice, &bytes);
            }
        }
    }
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
        share_memory: false,
        parent_tid: None,
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
    // The old call returns a pidfd where the parent's tid would go.
    if flags & CLONE_PIDFD != 0 && flags & CLONE_PARENT_SETTID != 0 {
        return Err(Errno::EINVAL);
    }
    let pidfd = (flags & CLONE_PIDFD != 0).then_some(parent_tid);
    spawn(ctx, flags, stack, parent_tid, child_tid, tls, pidfd)
}

/// `clone_args`, as `clone3` reads it: 64 bytes in its first version.
#[derive(
    Clone, Copy, Debug, Default, zerocopy::FromBytes, zerocopy::IntoBytes, zerocopy::Immutable,
)]
#[repr(C)]
pub struct CloneArgs {
    /// `CLONE_*` flags (no signal in the low byte).
    pub flags: u64,
    /// Where the pidfd goes (`CLONE_PIDFD`).
    pub pidfd: u64,
    /// The child's tid address (`CLONE_CHILD_SETTID`/`CLEARTID`).
    pub child_tid: u64,
    /// The parent's tid address (`CLONE_PARENT_SETTID`).
    pub parent_tid: u64,
    /// The signal the parent gets when the child ends.
    pub exit_signal: u64,
    /// Lowest address of the child's stack.
    pub stack: u64,
    /// Its size.
    pub stack_size: u64,
    /// The child's thread pointer (`CLONE_SETTLS`).
    pub tls: u64,
    /// `set_tid` array (version 1).
    pub set_tid: u64,
    /// Its length.
    pub set_tid_size: u64,
    /// Target cgroup (version 2).
    pub cgroup: u64,
}

/// `clone3(args, size)`: `clone` with its arguments in a structure. Picking
/// the child's tid (`set_tid`) and cgroups are not supported: `EINVAL`.
pub fn clone3<K: Kernel>(ctx: &Context<'_, K>, args: u64, size: usize) -> SyscallResult {
    const VERSION_0_SIZE: usize = 64;
    let full = core::mem::size_of::<CloneArgs>();
    if size < VERSION_0_SIZE {
        return Err(Errno::EINVAL);
    }
    if size > 4096 {
        return Err(Errno::E2BIG);
    }
    let bytes = ctx.read_bytes(crate::args::UserBuffer(args), size)?;
    // A newer caller's extra fields must be zero, as Linux checks.
    if bytes
        .get(full..)
        .is_some_and(|extra| extra.iter().any(|&b| b != 0))
    {
        return Err(Errno::E2BIG);
    }
    let mut raw = [0u8; core::mem::size_of::<CloneArgs>()];
    let n = size.min(full);
    raw[..n].copy_from_slice(&bytes[..n]);
    let args: CloneArgs = zerocopy::transmute!(raw);
    if args.flags & EXIT_SIGNAL_MASK != 0
        || args.exit_signal > 64
        || args.set_tid != 0
        || args.set_tid_size != 0
        || args.cgroup != 0
        || (args.stack == 0) != (args.stack_size == 0)
    {
        return Err(Errno::EINVAL);
    }
    let stack = if args.stack == 0 {
        0
    } else {
        args.stack
            .checked_add(args.stack_size)
            .ok_or(Errno::EINVAL)?
    };
    let pidfd = (args.flags & CLONE_PIDFD != 0).then_some(UserPtr::new(args.pidfd));
    spawn(
        ctx,
        args.flags | args.exit_signal,
        stack,
        UserPtr::new(args.parent_tid),
        args.child_tid,
        args.tls,
        pidfd,
    )
}

/// The common half of `clone` and `clone3`.
fn spawn<K: Kernel>(
    ctx: &Context<'_, K>,
    flags: u64,
    stack: u64,
    parent_tid: UserPtr<i32>,
    child_tid: u64,
    tls: u64,
    pidfd: Option<UserPtr<i32>>,
) -> SyscallResult {
    let known = CLONE_PIDFD
        | CLONE_VM
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
    // A pidfd names a process, not a thread.
    if flags & CLONE_PIDFD != 0 && flags & CLONE_THREAD != 0 {
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
        let mut start = child_start(ctx, stack, tls, tid_request);
        start.parent_tid = (flags & CLONE_PARENT_SETTID != 0).then_some(parent_tid.address());
        // The kernel writes both tids before the thread can run.
        return ctx.kernel.spawn_thread(ctx, &start).map(|tid| tid as u64);
    } else {
        if flags & CLONE_FILES != 0 {
            // Nor is a descriptor table shared between processes: refused
            // rather than silently copied.
            return Err(Errno::EINVAL);
        }
        // With CLONE_VM the child runs in its parent's memory (a vfork
        // child on the parent's stack until it execs, the parent waiting).
        let mut start = child_start(ctx, stack, tls, tid_request);
        start.share_memory = flags & CLONE_VM != 0;
        let event = if flags & CLONE_VFORK != 0 {
            process::ptrace::PTRACE_EVENT_VFORK
        } else if flags & EXIT_SIGNAL_MASK == 17 {
            process::ptrace::PTRACE_EVENT_FORK
        } else {
            process::ptrace::PTRACE_EVENT_CLONE
        };
        let pid = fork_followed(ctx, &start, event, 56)?;
        if flags & CLONE_VFORK != 0 {
            wait_for_vfork_child(ctx, pid);
        }
        pid
    };
    if flags & CLONE_PARENT_SETTID != 0 {
        ctx.write(parent_tid, &id)?;
    }
    if let Some(pointer) = pidfd {
        let fd = crate::process::pidfd::pidfd_open(ctx, id, 0)?;
        ctx.write(pointer, &(fd as i32))?;
    }
    Ok(id as u64)
}

/// A vfork parent sleeps until its child has called `execve` or ended,
/// as Linux's parent does (callers rely on the order, such as a child
/// that reports to the parent before exec). Only a fatal signal ends the
/// wait, as on Linux (the parent then dies without running user code): the
/// child runs on the parent's stack, so a parent woken by any other signal
/// (the SIGCHLD of an older child, say) would run on the same stack at the
/// same time, and both crash.
fn wait_for_vfork_child<K: Kernel>(ctx: &Context<'_, K>, pid: i32) {
    let table = ctx.kernel.processes();
    let released = || {
        ctx.thread.should_die()
            || table.from_pid(pid).is_none_or(|child| {
                let data = child.data();
                data.did_exec() || data.termination().is_some()
            })
    };
    let events = super::child_events::queue_of(ctx.kernel, ctx.process.pid());
    let _ = events.wait_until(false, None, released);
}

/// `fork()`.
pub fn fork<K: Kernel>(ctx: &Context<'_, K>) -> SyscallResult {
    let pid = fork_child(ctx, false)?;
    Ok(pid as u64)
}

/// `vfork()`: the child runs in its parent's memory, on its stack, and
/// the parent waits until the child has called `execve` or ended.
pub fn vfork<K: Kernel>(ctx: &Context<'_, K>) -> SyscallResult {
    let pid = fork_child(ctx, true)?;
    wait_for_vfork_child(ctx, pid);
    Ok(pid as u64)
}

/// The child of `fork` (`vfork` false) or `vfork`, reported to a tracer.
fn fork_child<K: Kernel>(ctx: &Context<'_, K>, vfork: bool) -> KernelResult<i32> {
    let mut start = child_start(ctx, 0, None, ChildTid::default());
    start.share_memory = vfork;
    let (event, number) = if vfork {
        (process::ptrace::PTRACE_EVENT_VFORK, 58)
    } else {
        (process::ptrace::PTRACE_EVENT_FORK, 57)
    };
    fork_followed(ctx, &start, event, number)
}

/// Forks as `start` says; a tracer that follows `event` gets the child
/// before it can run, and the caller (system call `number`) then stops
/// with the event.
fn fork_followed<K: Kernel>(
    ctx: &Context<'_, K>,
    start: &ChildStart,
    event: u8,
    number: u64,
) -> KernelResult<i32> {
    let mut followed = false;
    let pid = ctx.kernel.fork(ctx, start, &mut |pid| {
        followed = crate::process::ptrace::follow_child(ctx.kernel, ctx.process, pid, event);
    })?;
    if followed {
        crate::process::ptrace::after_fork(
            ctx.kernel,
            ctx.process,
            ctx.thread,
            &mut *ctx.registers.borrow_mut(),
            pid,
            event,
            number,
        );
    }
    Ok(pid)
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
/// `ELOOP`. With `AT_EMPTY_PATH` and an empty path the descriptor itself
/// runs (`fexecve`), under the name `/dev/fd/N` as Linux gives it (its
/// command name is then `N`, as on Linux 6.1).
pub fn execveat<K: Kernel>(
    ctx: &Context<'_, K>,
    dirfd: DirFd,
    path: UserPath,
    argv: u64,
    envp: u64,
    flags: AtFlags,
) -> SyscallResult {
    let known = flags.only(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
    if known.is_err() {
        // Linux reads the name first: a bad or empty one is its error.
        ctx.read_path(path, flags.has(AT_EMPTY_PATH))?;
    }
    exec(ctx, dirfd, path, argv, envp, known?)
}

fn exec<K: Kernel>(
    ctx: &Context<'_, K>,
    dirfd: DirFd,
    path: UserPath,
    argv: u64,
    envp: u64,
    flags: AtFlags,
) -> SyscallResult {
    let mut path = ctx.read_path(path, flags.has(AT_EMPTY_PATH))?;
    let argv = ctx.read_string_array(argv)?;
    let envp = ctx.read_string_array(envp)?;
    let mut opened = None;
    if path.is_empty() {
        // AT_EMPTY_PATH: the descriptor is the program (the working
        // directory for AT_FDCWD, which is no program: EACCES).
        let DirFd::Fd(fd) = dirfd else {
            return Err(Errno::EACCES);
        };
        opened = Some(ctx.description(fd)?);
        path = alloc::format!("/dev/fd/{}", fd.0);
    }
    let base = ctx.path_base(dirfd, &path)?;
    if opened.is_none() && flags.has(AT_SYMLINK_NOFOLLOW) {
        let stat = ctx.kernel.vfs().stat(&base.context(), &path, false)?;
        if stat.mode & S_IFMT == S_IFLNK {
            return Err(Errno::ELOOP);
        }
    }
    let credentials = ctx.process.data().credentials().clone();
    let program = ctx.kernel.load_program(
        base.context(),
        path.as_bytes(),
        opened,
        argv,
        envp.clone(),
        &credentials,
    )?;

    // The point of no return: the old image goes, and the robust futexes
    // it held with it (Linux's `exec_mm_release`), while it is still the
    // memory the calls reach.
    super::exit::release_robust_futexes(ctx.kernel, ctx.process, ctx.thread);
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
    ctx.thread.request_signal_check();
    // A vfork parent waits for this.
    let parent = ctx.process.data().ppid();
    super::child_events::wake(ctx.kernel, parent);
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
