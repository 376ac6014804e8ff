//! System calls: the Linux x86_64 ABI.
//!
//! [`dispatch`] takes the number and arguments from the trap frame (rax;
//! rdi, rsi, rdx, r10, r8, r9), has the `syscall` crate's table serve
//! them with the caller as context, and writes the result or `-errno`
//! back to rax. An unknown number is `ENOSYS`, logged once per number
//! with its name. On the way out signals are delivered, and a thread that
//! exited or whose process is dying leaves here.

pub mod kernel;

use abi::{Errno, KernelResult};
use arch::trap::{FpuState, TrapFrame};

use crate::userland::signals::TrapRegisters;

pub use kernel::RunningKernel;

/// The result of a handler: a non-negative value, or an errno.
pub type SyscallResult = KernelResult<u64>;

static UNKNOWN: syscall::UnknownCalls = syscall::UnknownCalls::new();

fn report_unknown(number: u64) {
    let name = crate::userland::current()
        .map(|l| alloc::string::String::from(l.process.data().name()))
        .unwrap_or_default();
    UNKNOWN.report(number, &name);
}

/// Serves call `number` from the `syscall` crate's table with the caller
/// as its context. The caller's process and thread references are dropped
/// before returning, so none is left behind when the thread then exits.
#[inline(always)]
fn serve(
    link: &crate::userland::UserLink,
    frame: &mut TrapFrame,
    fpu: &mut FpuState,
    number: u64,
    args: [u64; 6],
) -> u64 {
    let registers = TrapRegisters { frame, fpu };
    let served = syscall::serve_number_with(
        &RunningKernel,
        &link.process,
        &link.thread,
        registers,
        number,
        args,
    );
    match served {
        Some(rax) => rax,
        None => syscall::to_rax(unknown(number)),
    }
}

/// A number no handler serves: `ENOSYS`, and the log says which.
#[cold]
#[inline(never)]
fn unknown(number: u64) -> SyscallResult {
    report_unknown(number);
    Err(Errno::ENOSYS)
}

/// Serves the system call in `frame` (with interrupts on: the entry
/// enables them around this call). The common case (an untraced
/// caller) is one function from the entry to the way out: serving,
/// writing rax and the return checks are inlined here.
pub extern "C" fn dispatch(frame: &mut TrapFrame, fpu: &mut FpuState) {
    // One lookup of the calling thread serves the whole call; a thread
    // that executes `syscall` is always a user thread.
    let link = crate::userland::syscall_caller_link();
    // Tracing, seccomp filters and `log=trace`: the slow way.
    if link.process.has_entry_work() || log::log_enabled!(log::Level::Trace) {
        dispatch_with_entry_work(link, frame, fpu);
        return;
    }
    let number = frame.rax;
    serve_into(link, frame, fpu, number);
    leave(link, frame, fpu, number);
}

/// Serves call `number` for `link` and puts the result or `-errno` in
/// rax. The arguments are not kept (nothing takes their address), so each
/// handler's are read from the frame where its arm needs them.
#[inline(always)]
fn serve_into(
    link: &crate::userland::UserLink,
    frame: &mut TrapFrame,
    fpu: &mut FpuState,
    number: u64,
) {
    let args = [
        frame.rdi, frame.rsi, frame.rdx, frame.r10, frame.r8, frame.r9,
    ];
    frame.rax = serve(link, frame, fpu, number, args);
}

#[cold]
#[inline(never)]
fn trace_call(number: u64, args: &[u64; 6], rax: u64) {
    let result = syscall::from_rax(rax);
    log::trace!("syscall {number} {args:x?} -> {result:?}");
}

/// The way back to user mode after call `number`: signals are delivered,
/// and a thread that exited or whose process is dying leaves here and
/// never comes back (the link is borrowed from the kernel thread:
/// nothing to drop).
#[inline(always)]
fn leave(link: &crate::userland::UserLink, frame: &mut TrapFrame, fpu: &mut FpuState, number: u64) {
    crate::userland::signals::return_from_syscall(link, frame, fpu, number);
}

/// A call of a traced process or of a thread under seccomp: it may stop
/// for its tracer on the way in, which may change the call or skip it,
/// then go through the thread's filters, which may skip it too, and it
/// may stop for the tracer on the way out. With `log=trace` on the
/// command line every call comes this way and is logged.
#[cold]
fn dispatch_with_entry_work(
    link: &crate::userland::UserLink,
    frame: &mut TrapFrame,
    fpu: &mut FpuState,
) {
    let mut number = frame.rax;
    let entry_work = link.process.has_entry_work();
    let entered = if entry_work {
        let mut regs = TrapRegisters {
            frame: &mut *frame,
            fpu: &mut *fpu,
        };
        syscall::entry_work(
            &RunningKernel,
            &link.process,
            &link.thread,
            &mut regs,
            number,
        )
    } else {
        Some(number)
    };
    if let Some(changed) = entered {
        number = changed;
        let args = [
            frame.rdi, frame.rsi, frame.rdx, frame.r10, frame.r8, frame.r9,
        ];
        serve_into(link, frame, fpu, number);
        // `log=trace` on the command line shows every call.
        if log::log_enabled!(log::Level::Trace) {
            trace_call(number, &args, frame.rax);
        }
    }
    if entry_work {
        let mut regs = TrapRegisters {
            frame: &mut *frame,
            fpu: &mut *fpu,
        };
        syscall::process::ptrace::syscall_exit(
            &RunningKernel,
            &link.process,
            &link.thread,
            &mut regs,
            number,
        );
    }
    leave(link, frame, fpu, number);
}
