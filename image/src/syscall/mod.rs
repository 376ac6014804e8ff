//! System calls: the Linux x86_64 ABI.
//!
//! [`dispatch`] takes the number and arguments from the trap frame (rax;
//! rdi, rsi, rdx, r10, r8, r9), has the `syscall` crate's table serve
//! them with the caller as context, and writes the result or `-errno`
//! back to rax. An unknown number is `ENOSYS`, logged once per number
//! with its name. On the way out signals are delivered, and a thread that
//! exited or whose process is dying leaves here.

pub mod kernel;

use abi::{Errno, KernelResult, Sysno};
use arch::trap::{FpuState, TrapFrame};
use core::cell::RefCell;

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

/// Serves `sysno` from the `syscall` crate's table with the caller as its
/// context. The caller's process and thread references are dropped before
/// returning, so none is left behind when the thread then exits.
fn serve(
    link: &crate::userland::UserLink,
    frame: &mut TrapFrame,
    fpu: &mut FpuState,
    sysno: Sysno,
    args: [u64; 6],
) -> SyscallResult {
    let registers = RefCell::new(TrapRegisters { frame, fpu });
    let ctx = syscall::Context {
        kernel: &RunningKernel,
        process: &link.process,
        thread: &link.thread,
        registers: &registers,
    };
    syscall::serve(&ctx, sysno, args).unwrap_or_else(|| {
        report_unknown(sysno.number());
        Err(Errno::ENOSYS)
    })
}

/// Serves the system call in `frame`.
pub fn dispatch(frame: &mut TrapFrame, fpu: &mut FpuState) {
    x86_64::instructions::interrupts::enable();
    // One lookup of the calling thread serves the whole call.
    match crate::userland::current_link() {
        Ok(link) if link.process.is_traced() => dispatch_traced(link, frame, fpu),
        Ok(link) => {
            let sysno = serve_into(Some(link), frame, fpu, frame.rax);
            leave(link, frame, fpu, sysno);
        }
        Err(_) => {
            serve_into(None, frame, fpu, frame.rax);
        }
    }
    x86_64::instructions::interrupts::disable();
}

/// Serves call `number` for `link` and puts the result or `-errno` in
/// rax; the call's number if it has one.
fn serve_into(
    link: Option<&crate::userland::UserLink>,
    frame: &mut TrapFrame,
    fpu: &mut FpuState,
    number: u64,
) -> Option<Sysno> {
    let args = [
        frame.rdi, frame.rsi, frame.rdx, frame.r10, frame.r8, frame.r9,
    ];
    let sysno = Sysno::try_from(number).ok();
    let result = match (sysno, link) {
        (Some(sysno), Some(link)) => serve(link, frame, fpu, sysno, args),
        (Some(_), None) => Err(Errno::ESRCH),
        (None, _) => {
            report_unknown(number);
            Err(Errno::ENOSYS)
        }
    };
    // `log=trace` on the command line shows every call.
    if log::log_enabled!(log::Level::Trace) {
        log::trace!("syscall {number} {args:x?} -> {result:?}");
    }
    frame.rax = match result {
        Ok(value) => value,
        Err(errno) => errno.to_syscall_return() as u64,
    };
    sysno
}

/// The way back to user mode: signals are delivered, and a thread that
/// exited or whose process is dying leaves here and never comes back
/// (the link is borrowed from the kernel thread: nothing to drop).
fn leave(
    link: &crate::userland::UserLink,
    frame: &mut TrapFrame,
    fpu: &mut FpuState,
    sysno: Option<Sysno>,
) {
    let exit = sysno.filter(|&sysno| sysno != Sysno::RtSigreturn);
    crate::userland::signals::return_from_syscall(link, frame, fpu, exit);
}

/// A call of a traced process: it may stop for its tracer on the way in,
/// which may change the call or skip it, and on the way out.
#[cold]
fn dispatch_traced(link: &crate::userland::UserLink, frame: &mut TrapFrame, fpu: &mut FpuState) {
    let mut number = frame.rax;
    let mut regs = TrapRegisters {
        frame: &mut *frame,
        fpu: &mut *fpu,
    };
    let entered = syscall::process::ptrace::syscall_entry(
        &RunningKernel,
        &link.process,
        &link.thread,
        &mut regs,
        number,
    );
    let sysno = match entered {
        Some(changed) => {
            number = changed;
            serve_into(Some(link), frame, fpu, number)
        }
        None => Sysno::try_from(number).ok(),
    };
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
    leave(link, frame, fpu, sysno);
}
