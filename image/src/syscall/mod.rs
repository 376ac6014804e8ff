//! System calls: the Linux x86_64 ABI.
//!
//! [`dispatch`] decodes the number and arguments from the trap frame (rax;
//! rdi, rsi, rdx, r10, r8, r9), calls the handler of its family (one file
//! each, like SerenityOS's `Kernel/Syscalls/`), and writes the result or
//! `-errno` back to rax. An unknown number is `ENOSYS`, logged once per
//! number. On the way out, a thread whose process is dying leaves here.

pub mod kernel;
pub mod process;
pub mod user;

use abi::{Errno, KernelResult, Sysno};
use arch::trap::{FpuState, TrapFrame};
use core::cell::RefCell;

use crate::userland::signals::TrapRegisters;

pub use kernel::RunningKernel;

/// One system call being served.
pub struct Call<'a> {
    /// The caller's registers (rax becomes the result).
    pub frame: &'a mut TrapFrame,
    /// The caller's FPU state.
    pub fpu: &'a mut FpuState,
    /// The six arguments.
    pub args: [u64; 6],
}

/// The result of a handler: a non-negative value, or an errno.
pub type SyscallResult = KernelResult<u64>;

static UNKNOWN: syscall::UnknownCalls = syscall::UnknownCalls::new();

fn report_unknown(number: u64) {
    let name = crate::userland::current()
        .map(|l| alloc::string::String::from(l.process.data().name()))
        .unwrap_or_default();
    UNKNOWN.report(number, &name);
}

/// The calls the `syscall` crate's table serves, with the caller as its
/// context; `None` for the families still served here. The caller's
/// process and thread references are dropped before returning, so no
/// reference is held on the stack of a call that never returns (exit).
fn serve_from_table(call: &mut Call<'_>, sysno: Sysno) -> Option<SyscallResult> {
    let link = match crate::userland::current() {
        Ok(link) => link,
        Err(errno) => return Some(Err(errno)),
    };
    let registers = RefCell::new(TrapRegisters {
        frame: &mut *call.frame,
        fpu: &mut *call.fpu,
    });
    let ctx = syscall::Context {
        kernel: &RunningKernel,
        process: &link.process,
        thread: &link.thread,
        registers: &registers,
    };
    syscall::serve(&ctx, sysno, call.args)
}

/// The families not yet in the `syscall` crate, by typed number.
fn serve_here(call: &mut Call<'_>, sysno: Sysno) -> SyscallResult {
    use Sysno::*;
    let number = sysno.number();
    match sysno {
        SchedYield | Getpid | Clone | Fork | Vfork | Execve | Exit | Wait4 | Getuid | Getgid
        | Setuid | Setgid | Geteuid | Getegid | Setpgid | Getppid | Getpgrp | Setsid | Setreuid
        | Setregid | Getgroups | Setgroups | Setresuid | Getresuid | Setresgid | Getresgid
        | Getpgid | Setfsuid | Setfsgid | Getsid | ArchPrctl | Gettid | SchedSetaffinity
        | SchedGetaffinity | SetTidAddress | ExitGroup | Waitid | SetRobustList | GetRobustList
        | Getcpu | Rseq | Clone3 => process::dispatch(call, number),
        _ => {
            report_unknown(number);
            Err(Errno::ENOSYS)
        }
    }
}

/// Serves the system call in `frame`.
pub fn dispatch(frame: &mut TrapFrame, fpu: &mut FpuState) {
    x86_64::instructions::interrupts::enable();
    let number = frame.rax;
    let args = [
        frame.rdi, frame.rsi, frame.rdx, frame.r10, frame.r8, frame.r9,
    ];
    log::trace!("syscall {number} {args:x?}");
    let mut call = Call { frame, fpu, args };
    let result = match Sysno::try_from(number) {
        Ok(sysno) => match serve_from_table(&mut call, sysno) {
            Some(result) => result,
            None => serve_here(&mut call, sysno),
        },
        Err(_) => {
            report_unknown(number);
            Err(Errno::ENOSYS)
        }
    };
    log::trace!("syscall {number} -> {result:?}");
    let Call { frame, fpu, .. } = call;
    frame.rax = match result {
        Ok(value) => value,
        Err(errno) => errno.to_syscall_return() as u64,
    };
    // rt_sigreturn restored a whole context: nothing to restart.
    let exit = Sysno::try_from(number)
        .ok()
        .filter(|&sysno| sysno != Sysno::RtSigreturn);
    crate::userland::signals::on_return_to_user(frame, fpu, exit);
    x86_64::instructions::interrupts::disable();
}
