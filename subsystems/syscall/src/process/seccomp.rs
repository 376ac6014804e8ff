//! `seccomp(2)`, `prctl(PR_SET_SECCOMP)` and the check at system-call
//! entry of a thread that has a seccomp mode.
//!
//! The `seccomp` crate owns the programs, the chains and which answer
//! wins; this module installs them, follows `SECCOMP_FILTER_FLAG_TSYNC`
//! across the process's threads, and carries out an answer: failing the
//! call, raising `SIGSYS`, stopping for a tracer or killing.

use abi::Errno;
use abi::capability::CAP_SYS_ADMIN;
use alloc::vec::Vec;
use process::{Process, Thread};
use seccomp::{Action, Filter, Program, SeccompData, SockFilter, Verdict};
use signal::SigInfo;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::SyscallResult;
use crate::args::UserPtr;
use crate::context::Context;
use crate::kernel::{Kernel, UserThreadData};
use crate::registers::SavedRegisters;

const SECCOMP_SET_MODE_STRICT: u32 = 0;
const SECCOMP_SET_MODE_FILTER: u32 = 1;
const SECCOMP_GET_ACTION_AVAIL: u32 = 2;
const SECCOMP_GET_NOTIF_SIZES: u32 = 3;

const SECCOMP_FILTER_FLAG_TSYNC: u32 = 1;
const SECCOMP_FILTER_FLAG_LOG: u32 = 2;
const SECCOMP_FILTER_FLAG_SPEC_ALLOW: u32 = 4;
const SECCOMP_FILTER_FLAG_TSYNC_ESRCH: u32 = 16;

/// `struct sock_fprog`: the program's length and where it is.
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
struct SockFprog {
    len: u16,
    pad: [u8; 6],
    filter: u64,
}

/// `struct seccomp_notif_sizes`.
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
struct NotifSizes {
    notif: u16,
    response: u16,
    data: u16,
}

/// `seccomp(operation, flags, args)`.
pub fn seccomp<K: Kernel>(
    ctx: &Context<'_, K>,
    operation: u32,
    flags: u32,
    args: u64,
) -> SyscallResult {
    match operation {
        SECCOMP_SET_MODE_STRICT => {
            if flags != 0 || args != 0 {
                return Err(Errno::EINVAL);
            }
            set_strict(ctx)
        }
        SECCOMP_SET_MODE_FILTER => set_filter(ctx, flags, args),
        SECCOMP_GET_ACTION_AVAIL => {
            if flags != 0 {
                return Err(Errno::EINVAL);
            }
            let action: u32 = ctx.read(UserPtr::new(args))?;
            if Action::is_available(action) {
                Ok(0)
            } else {
                Err(Errno::EOPNOTSUPP)
            }
        }
        SECCOMP_GET_NOTIF_SIZES => {
            if flags != 0 {
                return Err(Errno::EINVAL);
            }
            let sizes = NotifSizes {
                notif: 80,
                response: 24,
                data: core::mem::size_of::<SeccompData>() as u16,
            };
            ctx.write(UserPtr::new(args), &sizes)?;
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// `prctl(PR_GET_SECCOMP)` (21) and `prctl(PR_SET_SECCOMP, mode, filter)`
/// (22); `None` for other options.
pub fn prctl<K: Kernel>(
    ctx: &Context<'_, K>,
    option: u32,
    args: [u64; 2],
) -> Option<SyscallResult> {
    const PR_GET_SECCOMP: u32 = 21;
    const PR_SET_SECCOMP: u32 = 22;
    match option {
        PR_GET_SECCOMP => Some(Ok(u64::from(ctx.thread.seccomp().mode().number()))),
        PR_SET_SECCOMP => Some(match args[0] {
            1 => set_strict(ctx),
            2 => set_filter(ctx, 0, args[1]),
            _ => Err(Errno::EINVAL),
        }),
        _ => None,
    }
}

fn set_strict<K: Kernel>(ctx: &Context<'_, K>) -> SyscallResult {
    let mut state = ctx.thread.seccomp();
    state.enter_strict()?;
    ctx.thread.seccomp_changed(&state);
    ctx.process.note_seccomp();
    Ok(0)
}

/// `SECCOMP_SET_MODE_FILTER`, with Linux's checks in Linux's order.
fn set_filter<K: Kernel>(ctx: &Context<'_, K>, flags: u32, args: u64) -> SyscallResult {
    let known = SECCOMP_FILTER_FLAG_TSYNC
        | SECCOMP_FILTER_FLAG_LOG
        | SECCOMP_FILTER_FLAG_SPEC_ALLOW
        | SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
    // SECCOMP_FILTER_FLAG_NEW_LISTENER (8) and WAIT_KILLABLE_RECV (32)
    // belong to user notifications, which this kernel does not have: a
    // kernel without them says EINVAL too.
    if flags & !known != 0 {
        return Err(Errno::EINVAL);
    }
    let fprog: SockFprog = ctx.read(UserPtr::new(args))?;
    let len = usize::from(fprog.len);
    if len == 0 || len > seccomp::BPF_MAXINSNS {
        return Err(Errno::EINVAL);
    }
    if !ctx.process.data().no_new_privs() && !ctx.capable(CAP_SYS_ADMIN) {
        return Err(Errno::EACCES);
    }
    let mut instructions = Vec::new();
    instructions
        .try_reserve_exact(len)
        .map_err(|_| Errno::ENOMEM)?;
    let size = core::mem::size_of::<SockFilter>() as u64;
    for i in 0..len as u64 {
        let address = fprog.filter.wrapping_add(i * size);
        instructions.push(ctx.read::<SockFilter>(UserPtr::new(address))?);
    }
    let program = Program::new(&instructions)?;
    let log = flags & SECCOMP_FILTER_FLAG_LOG != 0;
    if flags & SECCOMP_FILTER_FLAG_TSYNC == 0 {
        let mut state = ctx.thread.seccomp();
        state.check_may_filter()?;
        let filter = Filter::attach(program, log, state.filter().cloned())?;
        state.enter_filter(filter)?;
        ctx.thread.seccomp_changed(&state);
        ctx.process.note_seccomp();
        return Ok(0);
    }
    synchronize(
        ctx,
        program,
        log,
        flags & SECCOMP_FILTER_FLAG_TSYNC_ESRCH != 0,
    )
}

/// `SECCOMP_FILTER_FLAG_TSYNC`: the new chain becomes every thread's of
/// the process, unless a thread has a mode or chain it does not descend
/// from; then nothing changes and the call returns that thread's id
/// (`ESRCH` under `SECCOMP_FILTER_FLAG_TSYNC_ESRCH`).
fn synchronize<K: Kernel>(
    ctx: &Context<'_, K>,
    program: Program,
    log: bool,
    esrch: bool,
) -> SyscallResult {
    // Under the thread list's lock no thread joins between the check and
    // the change (Linux holds its sighand lock for both).
    ctx.process.with_threads(|threads| {
        let mut mine = ctx.thread.seccomp();
        mine.check_may_filter()?;
        let filter = Filter::attach(program, log, mine.filter().cloned())?;
        let others = || {
            threads
                .iter()
                .filter(|t| t.tid() != ctx.thread.tid() && !t.should_die())
        };
        if let Some(refusing) = others().find(|t| !t.seccomp().may_synchronize_to(&filter)) {
            return if esrch {
                Err(Errno::ESRCH)
            } else {
                Ok(refusing.tid() as u64)
            };
        }
        mine.enter_filter(filter.clone())?;
        ctx.thread.seccomp_changed(&mine);
        ctx.process.note_seccomp();
        drop(mine);
        for thread in others() {
            let mut theirs = thread.seccomp();
            theirs.enter_filter(filter.clone())?;
            thread.seccomp_changed(&theirs);
        }
        Ok(0)
    })
}

/// What becomes of a call after the check.
enum Outcome {
    /// Run call `number` (a tracer may have changed it).
    Run(u64),
    /// Skip it: `rax` holds what the caller sees.
    Skip,
}

/// System-call entry of a thread with a seccomp mode: checks call
/// `number` (with the registers' arguments) and carries out the answer.
/// Returns the call to run, or `None` to skip it with `rax` as set here.
pub fn on_entry<K: Kernel>(
    kernel: &K,
    process: &Process<K::Env>,
    thread: &Thread<K::Env>,
    regs: &mut dyn SavedRegisters,
    number: u64,
) -> Option<u64> {
    match check(kernel, process, thread, regs, number, false) {
        Outcome::Run(number) => Some(number),
        Outcome::Skip => None,
    }
}

fn check<K: Kernel>(
    kernel: &K,
    process: &Process<K::Env>,
    thread: &Thread<K::Env>,
    regs: &mut dyn SavedRegisters,
    number: u64,
    after_tracer: bool,
) -> Outcome {
    let r = regs.registers();
    let data = SeccompData::new(number, r.rip, [r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9]);
    let verdict = thread.seccomp().check(&data);
    let (action, requested) = match verdict {
        Verdict::Allow { log: false } => return Outcome::Run(number),
        Verdict::Allow { log: true } => (Action::Log, true),
        // Linux logs strict mode's kill as a thread's.
        Verdict::KillStrict => (Action::KillThread, true),
        Verdict::Filtered { action, log } => (action, log),
    };
    // The second look after a tracer's stop is not a new answer.
    if !(after_tracer && matches!(action, Action::Trace(_))) {
        report(process, &data, action, requested);
    }
    match action {
        Action::Allow | Action::Log => Outcome::Run(number),
        _ if verdict == Verdict::KillStrict => {
            end_thread(kernel, process, thread, 9);
            Outcome::Skip
        }
        Action::Errno(errno) => {
            set_rax(regs, (-i64::from(errno)) as u64);
            Outcome::Skip
        }
        Action::Trap(reason) => {
            // The handler sees the number in rax, as Linux rolls the call
            // back.
            set_rax(regs, number);
            let info =
                SigInfo::seccomp(data.instruction_pointer, data.nr, data.arch, reason.into());
            post_sigsys::<K>(process, thread, info, false);
            Outcome::Skip
        }
        Action::UserNotif => {
            // No listener can exist here: what Linux does without one.
            set_rax(regs, Errno::ENOSYS.to_syscall_return() as u64);
            Outcome::Skip
        }
        // The second look after a tracer's stop lets a traced call run,
        // as Linux's recheck does.
        Action::Trace(_) if after_tracer => Outcome::Run(number),
        Action::Trace(message) => trace(kernel, process, thread, regs, number, message),
        Action::KillThread if process.thread_count() > 1 => {
            end_thread(kernel, process, thread, 31);
            Outcome::Skip
        }
        Action::KillThread | Action::KillProcess => {
            set_rax(regs, number);
            let info = SigInfo::seccomp(data.instruction_pointer, data.nr, data.arch, 0);
            post_sigsys::<K>(process, thread, info, true);
            Outcome::Skip
        }
    }
}

fn set_rax(regs: &mut dyn SavedRegisters, value: u64) {
    let mut registers = regs.registers();
    registers.rax = value;
    regs.set_registers(&registers);
}

/// `SECCOMP_RET_TRACE`: a tracer that asked for it (`PTRACE_O_TRACESECCOMP`)
/// gets a `PTRACE_EVENT_SECCOMP` stop and may change or skip the call, which
/// then goes through the filters again; without one the call fails with
/// `ENOSYS`.
fn trace<K: Kernel>(
    kernel: &K,
    process: &Process<K::Env>,
    thread: &Thread<K::Env>,
    regs: &mut dyn SavedRegisters,
    number: u64,
    message: u16,
) -> Outcome {
    let wanted = process.is_traced()
        && process
            .data()
            .tracing()
            .is_some_and(|t| t.options & process::ptrace::PTRACE_O_TRACESECCOMP != 0);
    // Without a tracer that asked, the call fails with ENOSYS; a tracer
    // sees -ENOSYS in rax, as at a syscall-entry stop.
    set_rax(regs, Errno::ENOSYS.to_syscall_return() as u64);
    if !wanted {
        return Outcome::Skip;
    }
    let inject = super::ptrace::trace_stop(
        kernel,
        process,
        thread,
        regs,
        process::ptrace::TraceStop::Event(process::ptrace::PTRACE_EVENT_SECCOMP),
        number,
        (None, u64::from(message)),
    );
    super::ptrace::queue_injected(kernel, process, thread, inject);
    if thread.should_die() {
        return Outcome::Skip;
    }
    let number = process
        .data()
        .tracing()
        .map_or(number, |t| t.registers.orig_rax);
    // A negative number (as the 32-bit int Linux reads it) skips it.
    if (number as i32) < 0 {
        return Outcome::Skip;
    }
    check(kernel, process, thread, regs, number, true)
}

/// Raises `SIGSYS` at the calling thread: a trap's (delivered like a fault:
/// a blocked or ignored `SIGSYS` kills) or a kill's (`fatal`: kills even
/// through a handler, with a core dump).
fn post_sigsys<K: Kernel>(
    process: &Process<K::Env>,
    thread: &Thread<K::Env>,
    info: SigInfo,
    fatal: bool,
) {
    let posted = {
        let mut thread_signals = thread.data().signals().lock();
        let mut data = process.data();
        if fatal {
            signal::force_fatal_signal(data.signals_mut(), &mut thread_signals, info)
        } else {
            signal::force_fault_signal(data.signals_mut(), &mut thread_signals, info)
        }
    };
    if posted.is_err() {
        log::warn!("seccomp: SIGSYS not queued for pid {}", process.pid());
    }
    thread.request_signal_check();
}

/// Ends the calling thread alone, as Linux's `do_exit(signal)`: the last
/// thread's end is the process's, killed by `signal`.
fn end_thread<K: Kernel>(
    kernel: &K,
    process: &Process<K::Env>,
    thread: &Thread<K::Env>,
    signal: u8,
) {
    if process.thread_count() <= 1 {
        crate::signals::send::kill_process(
            kernel,
            process,
            process::Termination::Killed {
                signal,
                core_dumped: false,
            },
        );
    } else {
        thread.set_should_die();
    }
}

/// The kernel log's line for a call seccomp acted on (Linux's audit
/// record, `type=SECCOMP`).
/// `requested`: the filter had `SECCOMP_FILTER_FLAG_LOG`; whether the line
/// is written is `seccomp::is_logged`'s rule and `actions_logged`.
fn report<E: process::ProcessEnv>(
    process: &Process<E>,
    data: &SeccompData,
    action: Action,
    requested: bool,
) {
    if !seccomp::is_logged(action, requested) {
        return;
    }
    log::info!(
        "seccomp: pid {} ({}): system call {} at {:#x}: {action:?}",
        process.pid(),
        process.data().name(),
        data.nr,
        data.instruction_pointer
    );
}

/// The seccomp mode and filter count of `thread`, for `/proc`.
pub fn status<E: process::ProcessEnv>(thread: &Thread<E>) -> (u32, usize) {
    let state = thread.seccomp();
    (state.mode().number(), state.filter_count())
}

const _: () = assert!(core::mem::size_of::<SockFprog>() == 16);
