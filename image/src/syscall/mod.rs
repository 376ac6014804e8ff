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
    let mut number = frame.rax;
    // One lookup of the calling thread serves the whole call.
    let link = crate::userland::current_link().ok();
    // A traced process may stop for its tracer here, which may change the
    // call or skip it.
    let traced = link.filter(|link| link.process.is_traced());
    let mut skip = false;
    if let Some(link) = traced {
        let mut regs = TrapRegisters {
            frame: &mut *frame,
            fpu: &mut *fpu,
        };
        match syscall::process::ptrace::syscall_entry(
            &RunningKernel,
            &link.process,
            &link.thread,
            &mut regs,
            number,
        ) {
            Some(changed) => number = changed,
            None => skip = true,
        }
    }
    let args = [
        frame.rdi, frame.rsi, frame.rdx, frame.r10, frame.r8, frame.r9,
    ];
    log::trace!("syscall {number} {args:x?}");
    let sysno = Sysno::try_from(number).ok();
    if !skip {
        let result = match (sysno, link) {
            (Some(sysno), Some(link)) => serve(link, frame, fpu, sysno, args),
            (Some(_), None) => Err(Errno::ESRCH),
            (None, _) => {
                report_unknown(number);
                Err(Errno::ENOSYS)
            }
        };
        log::trace!("syscall {number} -> {result:?}");
        frame.rax = match result {
            Ok(value) => value,
            Err(errno) => errno.to_syscall_return() as u64,
        };
    }
    if let Some(link) = traced {
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
    // The thread may end on its way out and never come back here (the
    // link is borrowed from the kernel thread: nothing to drop).
    let exit = sysno.filter(|&sysno| sysno != Sysno::RtSigreturn);
    if let Some(link) = link {
        crate::userland::signals::return_to_user(link, frame, fpu, exit);
    }
    x86_64::instructions::interrupts::disable();
}
