//! `ptrace`: a tracer stops a traced process at signals, system calls and
//! events, reads and changes its registers and memory, and resumes it.
//!
//! The tracee's side ([`trace_stop`] and the system-call hooks) publishes
//! its registers into its tracing state (`process::Tracing`), tells its
//! tracer (`SIGCHLD`, a wake of `wait`), and sleeps until resumed, then
//! takes back the registers the tracer may have changed. The tracer's
//! side ([`ptrace`]) reads and writes that state and the tracee's memory.
//!
//! Supported: `TRACEME`, `ATTACH` (the tracer's `wait` sees its tracees'
//! stops and ends; their parents reap them), `DETACH`, `CONT`,
//! `SYSCALL`, `SINGLESTEP`, `KILL`, `PEEK`/`POKE` of text, data and the user
//! area's registers, `GETREGS`/`SETREGS`, `GETFPREGS`/`SETFPREGS`,
//! `GETREGSET`/`SETREGSET` (`NT_PRSTATUS`, `NT_PRFPREG`), `GETSIGINFO`,
//! `SETSIGINFO` (the signal is delivered with the tracer's `siginfo_t`),
//! `SETOPTIONS` (`TRACESYSGOOD`, `TRACEEXEC`, `TRACEEXIT`, `EXITKILL`),
//! `GETEVENTMSG`, `GET_SYSCALL_INFO`, and fork, vfork and clone events
//! (`TRACEFORK` and kin: the child is traced too), and `SEIZE`, `INTERRUPT`
//! and `LISTEN` with `PTRACE_EVENT_STOP` for interrupts, group-stops,
//! `SIGCONT` notifications and auto-attached children. The threads of a
//! traced process stop with it rather than one by one.

use abi::{Errno, IoVec, KernelResult, USER_FPREGS_SIZE, UserRegs};
use mm::UserSlice;
use process::ptrace::{
    PTRACE_EVENT_EXEC, PTRACE_EVENT_EXIT, PTRACE_EVENT_FORK, PTRACE_EVENT_VFORK, PTRACE_O_EXITKILL,
    PTRACE_O_MASK, PTRACE_O_TRACECLONE, PTRACE_O_TRACEEXEC, PTRACE_O_TRACEEXIT, PTRACE_O_TRACEFORK,
    PTRACE_O_TRACEVFORK,
};
use process::{Process, Resume, Termination, Thread, TraceStop};
use signal::{SigInfo, Signal, UserRegisters, UserSelectors, rflags};
use zerocopy::IntoBytes;

use crate::SyscallResult;
use crate::args::UserPtr;
use crate::context::Context;
use crate::kernel::{EventQueue, Kernel};
use crate::registers::SavedRegisters;
use crate::signals::send::{kill_process, send, send_to_thread, sigchld};

const PTRACE_TRACEME: i64 = 0;
const PTRACE_PEEKTEXT: i64 = 1;
const PTRACE_PEEKDATA: i64 = 2;
const PTRACE_PEEKUSER: i64 = 3;
const PTRACE_POKETEXT: i64 = 4;
const PTRACE_POKEDATA: i64 = 5;
const PTRACE_POKEUSER: i64 = 6;
const PTRACE_CONT: i64 = 7;
const PTRACE_KILL: i64 = 8;
const PTRACE_SINGLESTEP: i64 = 9;
const PTRACE_GETREGS: i64 = 12;
const PTRACE_SETREGS: i64 = 13;
const PTRACE_GETFPREGS: i64 = 14;
const PTRACE_SETFPREGS: i64 = 15;
const PTRACE_ATTACH: i64 = 16;
const PTRACE_DETACH: i64 = 17;
const PTRACE_SYSCALL: i64 = 24;
const PTRACE_SETOPTIONS: i64 = 0x4200;
const PTRACE_GETEVENTMSG: i64 = 0x4201;
const PTRACE_GETSIGINFO: i64 = 0x4202;
const PTRACE_SETSIGINFO: i64 = 0x4203;
const PTRACE_GETREGSET: i64 = 0x4204;
const PTRACE_SETREGSET: i64 = 0x4205;
const PTRACE_SEIZE: i64 = 0x4206;
const PTRACE_INTERRUPT: i64 = 0x4207;
const PTRACE_LISTEN: i64 = 0x4208;
const PTRACE_GET_SYSCALL_INFO: i64 = 0x420e;

const NT_PRSTATUS: u64 = 1;
const NT_PRFPREG: u64 = 2;

/// `sizeof(struct user)` on x86_64; `PEEKUSER` past it is `EIO`.
const USER_AREA_SIZE: u64 = 912;
const USER_REGS_SIZE: u64 = size_of::<UserRegs>() as u64;

/// `ptrace(request, pid, addr, data)`.
pub fn ptrace<K: Kernel>(
    ctx: &Context<'_, K>,
    request: i64,
    pid: i32,
    addr: u64,
    data: u64,
) -> SyscallResult {
    match request {
        PTRACE_TRACEME => {
            ctx.kernel.processes().trace_me(ctx.process)?;
            return Ok(0);
        }
        PTRACE_ATTACH => return attach(ctx, pid),
        PTRACE_SEIZE => return seize(ctx, pid, addr, data),
        _ => {}
    }
    let tracee = ctx.kernel.processes().from_pid(pid).ok_or(Errno::ESRCH)?;
    let (traced_by_caller, stopped) = {
        let data = tracee.data();
        match data.tracing() {
            Some(t) => (t.tracer == ctx.process.pid(), t.stop),
            None => (false, None),
        }
    };
    if !traced_by_caller {
        return Err(Errno::ESRCH);
    }
    if request == PTRACE_INTERRUPT {
        if ctx.kernel.processes().interrupt_tracee(&tracee)? {
            wake_tracee(ctx.kernel, &tracee);
        }
        return Ok(0);
    }
    if request == PTRACE_KILL {
        kill_process(
            ctx.kernel,
            &tracee,
            Termination::Killed {
                signal: 9,
                core_dumped: false,
            },
        );
        ctx.kernel.stop_events().wake_all();
        return Ok(0);
    }
    // Everything else needs the tracee stopped for its tracer.
    let stop = stopped.ok_or(Errno::ESRCH)?;
    match request {
        PTRACE_PEEKTEXT | PTRACE_PEEKDATA => {
            let mut word = [0u8; 8];
            ctx.kernel
                .with_process_memory(&tracee, |memory| {
                    memory.copy_from_user(&mut word, UserSlice::new(addr, 8)?)
                })
                .map_err(|_| Errno::EIO)?;
            ctx.write(UserPtr::<u64>::new(data), &u64::from_le_bytes(word))?;
            Ok(0)
        }
        PTRACE_POKETEXT | PTRACE_POKEDATA => {
            // Breakpoints go into read-only text: a debugger's write.
            ctx.kernel
                .force_write_process_memory(&tracee, addr, &data.to_le_bytes())
                .map_err(|_| Errno::EIO)?;
            Ok(0)
        }
        PTRACE_PEEKUSER => {
            if addr % 8 != 0 || addr >= USER_AREA_SIZE {
                return Err(Errno::EIO);
            }
            let value = if addr < USER_REGS_SIZE {
                let registers = registers_of(&tracee);
                let bytes = registers.as_bytes();
                let at = addr as usize;
                u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap_or([0; 8]))
            } else {
                // The rest of `struct user` (debug registers, ...) reads 0.
                0
            };
            ctx.write(UserPtr::<u64>::new(data), &value)?;
            Ok(0)
        }
        PTRACE_POKEUSER => {
            if addr % 8 != 0 || addr >= USER_REGS_SIZE {
                return Err(Errno::EIO);
            }
            let mut registers = registers_of(&tracee);
            let at = addr as usize;
            registers.as_mut_bytes()[at..at + 8].copy_from_slice(&data.to_le_bytes());
            set_registers_of(&tracee, registers, K::SELECTORS)
        }
        PTRACE_GETREGS => {
            ctx.write(UserPtr::<UserRegs>::new(data), &registers_of(&tracee))?;
            Ok(0)
        }
        PTRACE_SETREGS => {
            let registers: UserRegs = ctx.read(UserPtr::new(data))?;
            set_registers_of(&tracee, registers, K::SELECTORS)
        }
        PTRACE_GETFPREGS => {
            let fpregs = fpregs_of(&tracee);
            ctx.write_bytes(crate::args::UserBuffer(data), &fpregs)?;
            Ok(0)
        }
        PTRACE_SETFPREGS => {
            let bytes = ctx.read_bytes(crate::args::UserBuffer(data), USER_FPREGS_SIZE)?;
            set_fpregs_of(&tracee, &bytes);
            Ok(0)
        }
        PTRACE_GETREGSET | PTRACE_SETREGSET => {
            regset(ctx, &tracee, request == PTRACE_SETREGSET, addr, data)
        }
        PTRACE_GETSIGINFO => {
            let siginfo = tracee
                .data()
                .tracing()
                .map(|t| t.siginfo)
                .ok_or(Errno::ESRCH)?;
            ctx.write_bytes(crate::args::UserBuffer(data), &siginfo)?;
            Ok(0)
        }
        PTRACE_SETSIGINFO => {
            use zerocopy::IntoBytes;
            let mut raw: signal::RawSigInfo = ctx.read(UserPtr::new(data))?;
            // Kept as Linux keeps it: what lies past the kernel's part of
            // the union is refused or reads back as zeros.
            signal::check_siginfo_expansion(raw.si_signo, &raw)?;
            raw.union.as_mut_bytes()[signal::KEPT_UNION_BYTES..].fill(0);
            if let Some(t) = tracee.data().tracing_mut() {
                t.siginfo.copy_from_slice(raw.as_bytes());
            }
            Ok(0)
        }
        PTRACE_GETEVENTMSG => {
            let message = tracee
                .data()
                .tracing()
                .map(|t| t.event_message)
                .ok_or(Errno::ESRCH)?;
            ctx.write(UserPtr::<u64>::new(data), &message)?;
            Ok(0)
        }
        PTRACE_SETOPTIONS => {
            let options = u32::try_from(data).map_err(|_| Errno::EINVAL)?;
            if options & !PTRACE_O_MASK != 0 {
                return Err(Errno::EINVAL);
            }
            if let Some(t) = tracee.data().tracing_mut() {
                t.options = options;
            }
            Ok(0)
        }
        PTRACE_GET_SYSCALL_INFO => syscall_info(ctx, &tracee, stop, addr, data),
        PTRACE_LISTEN => {
            ctx.kernel.processes().listen(&tracee)?;
            ctx.kernel.stop_events().wake_all();
            Ok(0)
        }
        PTRACE_CONT => resume(ctx, &tracee, Resume::Continue, data),
        PTRACE_SYSCALL => resume(ctx, &tracee, Resume::Syscall, data),
        PTRACE_SINGLESTEP => resume(ctx, &tracee, Resume::SingleStep, data),
        PTRACE_DETACH => {
            let inject = signal_argument(data)?;
            ctx.kernel.processes().detach(&tracee);
            if inject != 0
                && let Ok(signal) = Signal::from_raw(i32::from(inject))
            {
                let _ = send(ctx.kernel, &tracee, SigInfo::kernel(signal));
            }
            ctx.kernel.stop_events().wake_all();
            Ok(0)
        }
        _ => Err(Errno::EIO),
    }
}

/// `PTRACE_ATTACH`: traces a process the caller may trace (same user and
/// dumpable, or `CAP_SYS_PTRACE`) and stops it with `SIGSTOP`, which the caller's
/// `wait` then sees.
fn attach<K: Kernel>(ctx: &Context<'_, K>, pid: i32) -> SyscallResult {
    let target = traceable(ctx, pid)?;
    ctx.kernel.processes().attach(ctx.process, &target)?;
    send(ctx.kernel, &target, SigInfo::kernel(Signal::SIGSTOP))?;
    Ok(0)
}

/// The process `pid` if the caller may trace it (same user and dumpable,
/// or `CAP_SYS_PTRACE`): `ESRCH`, `EPERM`.
fn traceable<K: Kernel>(
    ctx: &Context<'_, K>,
    pid: i32,
) -> KernelResult<alloc::sync::Arc<Process<K::Env>>> {
    let target = ctx.kernel.processes().from_pid(pid).ok_or(Errno::ESRCH)?;
    let allowed = {
        let caller = ctx.process.data().credentials().clone();
        let data = target.data();
        caller.may_trace(data.credentials(), data.is_dumpable())
    };
    if allowed {
        Ok(target)
    } else {
        Err(Errno::EPERM)
    }
}

/// `PTRACE_SEIZE`: traces like `ATTACH` (same permission rules) but does
/// not stop the target; `data` holds the options (`addr` must be 0).
fn seize<K: Kernel>(ctx: &Context<'_, K>, pid: i32, addr: u64, data: u64) -> SyscallResult {
    if addr != 0 {
        return Err(Errno::EIO);
    }
    let options = u32::try_from(data).map_err(|_| Errno::EIO)?;
    if options & !PTRACE_O_MASK != 0 {
        return Err(Errno::EIO);
    }
    let target = traceable(ctx, pid)?;
    ctx.kernel
        .processes()
        .seize(ctx.process, &target, options)?;
    // A target in a group-stop reports it now.
    ctx.kernel.stop_events().wake_all();
    Ok(0)
}

/// Gets a tracee with a trap due to it: its threads leave interruptible
/// sleeps (the call restarts after the stop) and stopped ones wake.
fn wake_tracee<K: Kernel>(kernel: &K, tracee: &Process<K::Env>) {
    for thread in tracee.threads() {
        kernel.interrupt(&thread);
    }
    kernel.stop_events().wake_all();
}

/// A `SIGCONT` sent to `process`: a seized tracee is due a notification
/// stop (and a listening one wakes for it).
pub fn notify_continue<K: Kernel>(kernel: &K, process: &Process<K::Env>) {
    if process.is_traced() && kernel.processes().notify_tracee_of_continue(process) {
        wake_tracee(kernel, process);
    }
}

/// The `PTRACE_EVENT_STOP` due to a seized tracee, if any, reported now
/// (from the return path to user mode, before signals are delivered).
/// Whether there was one.
pub fn due_trap<K: Kernel>(
    kernel: &K,
    process: &Process<K::Env>,
    thread: &Thread<K::Env>,
    regs: &mut dyn SavedRegisters,
) -> bool {
    let Some(stop) = kernel.processes().take_due_trap(process) else {
        return false;
    };
    let inject = trace_stop(kernel, process, thread, regs, stop, u64::MAX, (None, 0));
    queue_injected(kernel, process, thread, inject);
    true
}

/// The `siginfo_t` of the signal-delivery-stop `process` just left, as
/// its tracer left it; `None` once it is no longer traced.
pub fn siginfo_at_stop<E: process::ProcessEnv>(process: &Process<E>) -> Option<signal::RawSigInfo> {
    use zerocopy::FromBytes;
    let bytes = process.data().tracing()?.siginfo;
    signal::RawSigInfo::read_from_bytes(&bytes).ok()
}

/// Whether a `PTRACE_EVENT_STOP` is due to `process` (a sleep that only
/// signals end must end for it too).
pub fn trap_due<E: process::ProcessEnv>(process: &Process<E>) -> bool {
    process.is_traced() && process.data().tracing().is_some_and(|t| t.trap_pending)
}

/// Whether `process` is traced with `PTRACE_SEIZE`.
pub fn is_seized<E: process::ProcessEnv>(process: &Process<E>) -> bool {
    process.is_traced() && process.data().tracing().is_some_and(|t| t.seized)
}

fn signal_argument(data: u64) -> KernelResult<u8> {
    match data {
        0 => Ok(0),
        n if n < 65 => Ok(n as u8),
        _ => Err(Errno::EIO),
    }
}

fn resume<K: Kernel>(
    ctx: &Context<'_, K>,
    tracee: &Process<K::Env>,
    how: Resume,
    data: u64,
) -> SyscallResult {
    let inject = signal_argument(data)?;
    {
        let mut d = tracee.data();
        if let Some(t) = d.tracing_mut() {
            // Single-stepping is the trap flag; anything else clears it.
            if how == Resume::SingleStep {
                t.registers.eflags |= rflags::TF;
            } else {
                t.registers.eflags &= !rflags::TF;
            }
        }
    }
    ctx.kernel.processes().resume_tracee(tracee, how, inject)?;
    ctx.kernel.stop_events().wake_all();
    Ok(0)
}

fn registers_of<E: process::ProcessEnv>(tracee: &Process<E>) -> UserRegs {
    tracee
        .data()
        .tracing()
        .map(|t| t.registers)
        .unwrap_or_default()
}

fn fpregs_of<E: process::ProcessEnv>(tracee: &Process<E>) -> [u8; USER_FPREGS_SIZE] {
    tracee
        .data()
        .tracing()
        .map(|t| t.fpregs)
        .unwrap_or([0; USER_FPREGS_SIZE])
}

fn set_fpregs_of<E: process::ProcessEnv>(tracee: &Process<E>, bytes: &[u8]) {
    if let Some(t) = tracee.data().tracing_mut() {
        let n = bytes.len().min(USER_FPREGS_SIZE);
        t.fpregs[..n].copy_from_slice(&bytes[..n]);
        // Reserved MXCSR bits would make fxrstor fault in the kernel.
        let mxcsr = u32::from_le_bytes([t.fpregs[24], t.fpregs[25], t.fpregs[26], t.fpregs[27]]);
        t.fpregs[24..28].copy_from_slice(&(mxcsr & 0xffff).to_le_bytes());
    }
}

/// Stores registers a tracer wrote, after Linux's checks: the segment
/// selectors must stay the user ones, `rip` and `fs_base` in user space
/// (`EIO` otherwise); only the user-settable flags change.
fn set_registers_of<E: process::ProcessEnv>(
    tracee: &Process<E>,
    registers: UserRegs,
    selectors: UserSelectors,
) -> SyscallResult {
    let user = signal::USER_ADDRESS_END;
    if registers.cs != u64::from(selectors.code)
        || registers.ss != u64::from(selectors.data)
        || registers.rip >= user
        || registers.fs_base >= user
    {
        return Err(Errno::EIO);
    }
    let mut d = tracee.data();
    let t = d.tracing_mut().ok_or(Errno::ESRCH)?;
    let eflags = rflags::USER_BASE | (registers.eflags & (rflags::USER_SETTABLE | rflags::TF));
    t.registers = UserRegs {
        eflags,
        ..registers
    };
    Ok(0)
}

fn regset<K: Kernel>(
    ctx: &Context<'_, K>,
    tracee: &Process<K::Env>,
    set: bool,
    kind: u64,
    iov_address: u64,
) -> SyscallResult {
    let iov: IoVec = ctx.read(UserPtr::new(iov_address))?;
    let size = match kind {
        NT_PRSTATUS => size_of::<UserRegs>(),
        NT_PRFPREG => USER_FPREGS_SIZE,
        _ => return Err(Errno::EINVAL),
    };
    let n = (iov.len as usize).min(size);
    if set {
        let bytes = ctx.read_bytes(crate::args::UserBuffer(iov.base), n)?;
        match kind {
            NT_PRSTATUS => {
                let mut registers = registers_of(tracee);
                registers.as_mut_bytes()[..n].copy_from_slice(&bytes);
                set_registers_of(tracee, registers, K::SELECTORS)?;
            }
            _ => set_fpregs_of(tracee, &bytes),
        }
    } else {
        let registers = registers_of(tracee);
        let fpregs = fpregs_of(tracee);
        let bytes = match kind {
            NT_PRSTATUS => registers.as_bytes(),
            _ => &fpregs[..],
        };
        ctx.write_bytes(crate::args::UserBuffer(iov.base), &bytes[..n])?;
    }
    ctx.write(
        UserPtr::<IoVec>::new(iov_address),
        &IoVec {
            base: iov.base,
            len: n as u64,
        },
    )?;
    Ok(0)
}

/// `PTRACE_GET_SYSCALL_INFO`: `struct ptrace_syscall_info` for the stop;
/// returns its full size, writing at most `size` bytes.
fn syscall_info<K: Kernel>(
    ctx: &Context<'_, K>,
    tracee: &Process<K::Env>,
    stop: TraceStop,
    size: u64,
    address: u64,
) -> SyscallResult {
    let r = registers_of(tracee);
    let mut info = [0u8; 88];
    info[4..8].copy_from_slice(&seccomp::AUDIT_ARCH_X86_64.to_le_bytes());
    info[8..16].copy_from_slice(&r.rip.to_le_bytes());
    info[16..24].copy_from_slice(&r.rsp.to_le_bytes());
    let length = match stop {
        TraceStop::SyscallEntry => {
            info[0] = 1; // PTRACE_SYSCALL_INFO_ENTRY
            put_call(&mut info, &r);
            80
        }
        TraceStop::SyscallExit => {
            info[0] = 2; // PTRACE_SYSCALL_INFO_EXIT
            info[24..32].copy_from_slice(&r.rax.to_le_bytes());
            info[32] = u8::from((r.rax as i64) < 0 && (r.rax as i64) >= -4095);
            33
        }
        TraceStop::Event(process::ptrace::PTRACE_EVENT_SECCOMP) => {
            info[0] = 3; // PTRACE_SYSCALL_INFO_SECCOMP
            put_call(&mut info, &r);
            // The filter's data (the event message).
            let data = tracee.data().tracing().map_or(0, |t| t.event_message) as u32;
            info[80..84].copy_from_slice(&data.to_le_bytes());
            84
        }
        _ => 24, // PTRACE_SYSCALL_INFO_NONE
    };
    let n = (size as usize).min(length);
    ctx.write_bytes(crate::args::UserBuffer(address), &info[..n])?;
    Ok(length as u64)
}

/// The call's number and arguments, as the entry and seccomp layouts of
/// `struct ptrace_syscall_info` hold them.
fn put_call(info: &mut [u8; 88], r: &UserRegs) {
    info[24..32].copy_from_slice(&r.orig_rax.to_le_bytes());
    for (i, arg) in [r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9].iter().enumerate() {
        info[32 + 8 * i..40 + 8 * i].copy_from_slice(&arg.to_le_bytes());
    }
}

/// The tracee's side of a stop: publishes `regs` (with `orig_rax`), tells
/// the tracer, sleeps until it resumes (or the process is killed), and
/// takes back the registers. Returns the signal the tracer passed (0:
/// none), and 0 at once if the process is not traced.
pub fn trace_stop<K: Kernel>(
    kernel: &K,
    process: &Process<K::Env>,
    thread: &Thread<K::Env>,
    regs: &mut dyn SavedRegisters,
    stop: TraceStop,
    orig_rax: u64,
    details: (Option<&SigInfo>, u64),
) -> u8 {
    // A thread on its way out stops no more (Linux's `ptrace_stop` with a
    // fatal signal pending): `exit_group` has no syscall-exit stop.
    if thread.should_die() {
        return 0;
    }
    let (siginfo, event_message) = details;
    // The trap flag a single step set is the tracer's, not the tracee's.
    let stepping = process
        .data()
        .tracing()
        .is_some_and(|t| t.resume == Resume::SingleStep);
    if stepping {
        let mut user = regs.registers();
        user.rflags &= !rflags::TF;
        regs.set_registers(&user);
    }
    let published = to_user_regs(&regs.registers(), kernel.fs_base(), orig_rax);
    let fpregs = *regs.fpu();
    let notify = super::child_events::lock_for_every_waiter();
    let notice = kernel.processes().enter_trace_stop(process, stop, |t| {
        t.registers = published;
        t.fpregs = fpregs;
        t.event_message = event_message;
        t.siginfo = siginfo.map_or([0; 128], |info| {
            let raw = info.to_raw();
            let mut bytes = [0u8; 128];
            bytes.copy_from_slice(raw.as_bytes());
            bytes
        });
    });
    let Some(notice) = notice else {
        return 0;
    };
    if let Some(tracer) = notice
        .parent
        .and_then(|pid| kernel.processes().from_pid(pid))
    {
        let _ = send(kernel, &tracer, sigchld(&notice.info));
    }
    drop(notify);
    // The tracer waits for the stop; the parent's wait re-checks too.
    if let Some(tracer) = notice.parent {
        super::child_events::wake(kernel, tracer);
    }
    super::child_events::wake(kernel, process.data().ppid());
    let resumed =
        || thread.should_die() || process.data().tracing().is_none_or(|t| !t.holds_tracee());
    // Signals do not end a trace stop (only the tracer, or death, does):
    // an interrupted sleep sleeps again. Pending signals stay pending.
    while kernel
        .stop_events()
        .wait_until(true, None, resumed)
        .is_err()
        && !resumed()
    {
        kernel.clear_interrupt(thread);
    }
    // Take back what the tracer left (a detach keeps what was there).
    let (registers, fpregs, inject) = {
        let d = process.data();
        match d.tracing() {
            Some(t) => (t.registers, t.fpregs, t.inject),
            None => (published, fpregs, 0),
        }
    };
    regs.set_registers(&from_user_regs(&registers, &regs.registers()));
    regs.fpu_mut().copy_from_slice(&fpregs);
    if registers.fs_base != published.fs_base {
        let _ = kernel.set_fs_base(registers.fs_base);
    }
    inject
}

/// `user_regs_struct` of saved registers (ptrace stops, core files).
pub(crate) fn to_user_regs(r: &UserRegisters, fs_base: u64, orig_rax: u64) -> UserRegs {
    UserRegs {
        r15: r.r15,
        r14: r.r14,
        r13: r.r13,
        r12: r.r12,
        rbp: r.rbp,
        rbx: r.rbx,
        r11: r.r11,
        r10: r.r10,
        r9: r.r9,
        r8: r.r8,
        rax: r.rax,
        rcx: r.rcx,
        rdx: r.rdx,
        rsi: r.rsi,
        rdi: r.rdi,
        orig_rax,
        rip: r.rip,
        cs: u64::from(r.cs),
        eflags: r.rflags,
        rsp: r.rsp,
        ss: u64::from(r.ss),
        fs_base,
        ..UserRegs::default()
    }
}

fn from_user_regs(r: &UserRegs, old: &UserRegisters) -> UserRegisters {
    UserRegisters {
        r8: r.r8,
        r9: r.r9,
        r10: r.r10,
        r11: r.r11,
        r12: r.r12,
        r13: r.r13,
        r14: r.r14,
        r15: r.r15,
        rdi: r.rdi,
        rsi: r.rsi,
        rbp: r.rbp,
        rbx: r.rbx,
        rdx: r.rdx,
        rax: r.rax,
        rcx: r.rcx,
        rsp: r.rsp,
        rip: r.rip,
        rflags: r.eflags,
        // The selectors never change (the tracer's were checked equal).
        cs: old.cs,
        ss: old.ss,
    }
}

/// System-call entry of a traced process: a syscall-entry-stop if the
/// tracer asked for them. Returns the number to run (the tracer may change
/// it in `orig_rax`; `None`: skip the call, `rax` holds its result).
pub fn syscall_entry<K: Kernel>(
    kernel: &K,
    process: &Process<K::Env>,
    thread: &Thread<K::Env>,
    regs: &mut dyn SavedRegisters,
    number: u64,
) -> Option<u64> {
    if !stops_at_syscalls(process) {
        return Some(number);
    }
    // Linux shows -ENOSYS in rax at entry.
    let mut registers = regs.registers();
    registers.rax = Errno::ENOSYS.to_syscall_return() as u64;
    regs.set_registers(&registers);
    let inject = trace_stop(
        kernel,
        process,
        thread,
        regs,
        TraceStop::SyscallEntry,
        number,
        (None, 0),
    );
    queue_injected(kernel, process, thread, inject);
    let number = process
        .data()
        .tracing()
        .map_or(number, |t| t.registers.orig_rax);
    (number != u64::MAX).then_some(number)
}

/// System-call exit of a traced process: a syscall-exit-stop if the
/// tracer asked for them.
pub fn syscall_exit<K: Kernel>(
    kernel: &K,
    process: &Process<K::Env>,
    thread: &Thread<K::Env>,
    regs: &mut dyn SavedRegisters,
    number: u64,
) {
    if !stops_at_syscalls(process) {
        return;
    }
    let inject = trace_stop(
        kernel,
        process,
        thread,
        regs,
        TraceStop::SyscallExit,
        number,
        (None, 0),
    );
    queue_injected(kernel, process, thread, inject);
}

fn stops_at_syscalls<E: process::ProcessEnv>(process: &Process<E>) -> bool {
    process.is_traced()
        && process
            .data()
            .tracing()
            .is_some_and(|t| t.stops_at_syscalls())
}

/// A signal the tracer passed at a stop that was not a signal's: it is
/// sent to the tracee as if raised now (Linux delivers it likewise).
pub(crate) fn queue_injected<K: Kernel>(
    kernel: &K,
    process: &Process<K::Env>,
    thread: &Thread<K::Env>,
    inject: u8,
) {
    if inject == 0 {
        return;
    }
    if let (Ok(signal), Some(process)) = (
        Signal::from_raw(i32::from(inject)),
        kernel.processes().from_pid(process.pid()),
    ) {
        let _ = send_to_thread(kernel, &process, thread, SigInfo::kernel(signal));
    }
}

/// A traced process is making a child (`fork`, `vfork`, or `clone`
/// without `CLONE_THREAD`; `event` says which), now in the process table
/// and not yet able to run. If its tracer follows that kind
/// (`PTRACE_O_TRACEFORK`, `...VFORK`, `...CLONE`), the child is traced
/// too and will start stopped: with `PTRACE_EVENT_STOP` for a seizing
/// tracer, `SIGSTOP` for an attached one. Whether it is followed.
///
/// The kernel calls this before the child can run, as Linux attaches in
/// `copy_process`: on another CPU the child could otherwise run, even
/// exit, before its tracer had it.
pub fn follow_child<K: Kernel>(
    kernel: &K,
    process: &Process<K::Env>,
    child_pid: i32,
    event: u8,
) -> bool {
    if !process.is_traced() {
        return false;
    }
    let Some((tracer, options, seized)) = process
        .data()
        .tracing()
        .map(|t| (t.tracer, t.options, t.seized))
    else {
        return false;
    };
    let wanted = match event {
        PTRACE_EVENT_FORK => PTRACE_O_TRACEFORK,
        PTRACE_EVENT_VFORK => PTRACE_O_TRACEVFORK,
        _ => PTRACE_O_TRACECLONE,
    };
    if options & wanted == 0 {
        return false;
    }
    let Some(child) = kernel.processes().from_pid(child_pid) else {
        return false;
    };
    kernel
        .processes()
        .trace_child(&child, tracer, options, seized);
    // A seized tracer's child starts with a PTRACE_EVENT_STOP (due to it
    // already), an attached one's with a SIGSTOP.
    if !seized {
        let _ = send(kernel, &child, SigInfo::kernel(Signal::SIGSTOP));
    }
    true
}

/// After [`follow_child`] followed the new child: the parent stops with
/// the event, the child's pid as its message.
pub fn after_fork<K: Kernel>(
    kernel: &K,
    process: &Process<K::Env>,
    thread: &Thread<K::Env>,
    regs: &mut dyn SavedRegisters,
    child_pid: i32,
    event: u8,
    syscall: u64,
) {
    let stop = TraceStop::Event(event);
    let inject = trace_stop(
        kernel,
        process,
        thread,
        regs,
        stop,
        syscall,
        (None, child_pid as u64),
    );
    queue_injected(kernel, process, thread, inject);
}

/// After a successful `execve` by a traced process: the exec event stop
/// (`PTRACE_O_TRACEEXEC`), or the `SIGTRAP` a tracer without that option
/// expects.
pub fn after_exec<K: Kernel>(
    kernel: &K,
    process: &alloc::sync::Arc<Process<K::Env>>,
    thread: &Thread<K::Env>,
    regs: &mut dyn SavedRegisters,
) {
    if !process.is_traced() {
        return;
    }
    let (options, seized) = process
        .data()
        .tracing()
        .map_or((0, false), |t| (t.options, t.seized));
    if options & PTRACE_O_TRACEEXEC != 0 {
        let pid = process.pid() as u64;
        let event = TraceStop::Event(PTRACE_EVENT_EXEC);
        let inject = trace_stop(kernel, process, thread, regs, event, 59, (None, pid));
        queue_injected(kernel, process, thread, inject);
    } else if !seized {
        // The legacy SIGTRAP, which seized tracees do not get.
        let _ = send_to_thread(kernel, process, thread, SigInfo::kernel(Signal::SIGTRAP));
    }
}

/// Before a traced process exits with `status`: the exit event stop
/// (`PTRACE_O_TRACEEXIT`).
pub fn before_exit<K: Kernel>(
    kernel: &K,
    process: &Process<K::Env>,
    thread: &Thread<K::Env>,
    regs: &mut dyn SavedRegisters,
    status: i32,
) {
    if !process.is_traced() {
        return;
    }
    let options = process.data().tracing().map_or(0, |t| t.options);
    if options & PTRACE_O_TRACEEXIT != 0 {
        let event = TraceStop::Event(PTRACE_EVENT_EXIT);
        let message = (status as u64 & 0xff) << 8;
        trace_stop(kernel, process, thread, regs, event, 231, (None, message));
    }
}

/// The tracer `pid` exits: its tracees are detached and resumed, or
/// killed under `PTRACE_O_EXITKILL`.
pub fn tracer_exited<K: Kernel>(kernel: &K, pid: i32) {
    let tracees = kernel.processes().tracees_of(pid);
    if tracees.is_empty() {
        // Nothing was detached: no stopped tracee to wake (every exit
        // comes here).
        return;
    }
    for tracee in tracees {
        let exit_kill = tracee
            .data()
            .tracing()
            .is_some_and(|t| t.options & PTRACE_O_EXITKILL != 0);
        kernel.processes().detach(&tracee);
        if exit_kill {
            kill_process(
                kernel,
                &tracee,
                Termination::Killed {
                    signal: 9,
                    core_dumped: false,
                },
            );
        }
    }
    kernel.stop_events().wake_all();
}
