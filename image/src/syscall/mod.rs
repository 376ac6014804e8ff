//! System calls: the Linux x86_64 ABI.
//!
//! [`dispatch`] decodes the number and arguments from the trap frame (rax;
//! rdi, rsi, rdx, r10, r8, r9), calls the handler of its family (one file
//! each, like SerenityOS's `Kernel/Syscalls/`), and writes the result or
//! `-errno` back to rax. An unknown number is `ENOSYS`, logged once per
//! number. On the way out, a thread whose process is dying leaves here.

pub mod fs;
pub mod futex;
pub mod info;
pub mod memory;
pub mod process;
pub mod signal;
pub mod time;
pub mod user;

use abi::{Errno, KernelResult};
use arch::trap::{FpuState, TrapFrame};
use core::sync::atomic::{AtomicU64, Ordering};

/// One system call being served.
pub struct Call<'a> {
    /// The caller's registers (rax becomes the result).
    pub frame: &'a mut TrapFrame,
    /// The caller's FPU state.
    pub fpu: &'a mut FpuState,
    /// The six arguments.
    pub args: [u64; 6],
}

impl Call<'_> {
    /// Argument `i` as a signed int (fds, pids, dirfds).
    pub fn int(&self, i: usize) -> i32 {
        self.args[i] as i32
    }
}

/// The result of a handler: a non-negative value, or an errno.
pub type SyscallResult = KernelResult<u64>;

static REPORTED_UNKNOWN: [AtomicU64; 8] = [const { AtomicU64::new(0) }; 8];

fn report_unknown(number: u64) {
    if number < 512 {
        let (word, bit) = ((number / 64) as usize, number % 64);
        if REPORTED_UNKNOWN[word].fetch_or(1 << bit, Ordering::Relaxed) & (1 << bit) != 0 {
            return;
        }
    }
    let name = crate::userland::current()
        .map(|l| alloc::string::String::from(l.process.data().name()))
        .unwrap_or_default();
    log::warn!("unknown system call {number} (from {name}): ENOSYS");
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
    let result = match number {
        0..=1 | 3 | 8 | 16..=20 | 32 | 33 | 40 | 72 | 74 | 75 | 77 | 78 | 217 | 292 => {
            fs::io(&mut call, number)
        }
        2
        | 4..=6
        | 21
        | 22
        | 76
        | 79..=95
        | 132
        | 133
        | 137
        | 138
        | 161
        | 165
        | 166
        | 235
        | 257..=269
        | 280
        | 293
        | 316
        | 332
        | 439 => fs::paths(&mut call, number),
        7 | 23 | 270 | 271 => fs::poll(&mut call, number),
        9..=12 | 25 | 26 | 28 => memory::dispatch(&mut call, number),
        13..=15 | 34 | 36..=38 | 62 | 127..=131 | 200 | 234 => signal::dispatch(&mut call, number),
        35 | 96 | 201 | 227..=230 => time::dispatch(&mut call, number),
        202 => futex::futex(&mut call),
        24
        | 39
        | 56..=61
        | 102..=124
        | 158
        | 186
        | 203
        | 204
        | 218
        | 231
        | 247
        | 273
        | 274
        | 309
        | 334
        | 435 => process::dispatch(&mut call, number),
        63 | 97..=100 | 160 | 169..=171 | 302 | 318 | 140 | 141 | 157 | 135 | 125 => {
            info::dispatch(&mut call, number)
        }
        // sync/syncfs: every file system here is in memory, so there is
        // no dirty data to write back.
        162 | 306 => Ok(0),
        _ => {
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
    let exit = (number != 15).then_some(crate::userland::signals::SyscallExit { number });
    crate::userland::signals::on_return_to_user(frame, fpu, exit);
    x86_64::instructions::interrupts::disable();
}
