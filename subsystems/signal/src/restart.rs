//! Interrupted system calls: whether a syscall that a signal interrupted
//! returns `EINTR` or runs again, as Linux's x86 `handle_signal` and
//! `arch_do_signal_or_restart` decide.

use crate::action::SaFlags;
use crate::registers::UserRegisters;

/// `restart_syscall`'s number on x86_64.
pub const SYS_RESTART_SYSCALL: u64 = 219;

/// The length of the `syscall` instruction: backing `rip` up by this much
/// executes it again.
pub const SYSCALL_INSTRUCTION_LEN: u64 = 2;

/// Kernel-internal return codes (never seen by user space) with which a
/// blocking syscall says "a signal interrupted me".
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(i32)]
pub enum RestartCode {
    /// `ERESTARTSYS` (512): restart if no handler ran or it has `SA_RESTART`.
    RestartSys = 512,
    /// `ERESTARTNOINTR` (513): always restart.
    RestartNoIntr = 513,
    /// `ERESTARTNOHAND` (514): restart only if no handler ran.
    RestartNoHand = 514,
    /// `ERESTART_RESTARTBLOCK` (516): restart through `restart_syscall`
    /// (with the remaining time) if no handler ran, else `EINTR`.
    RestartBlock = 516,
}

impl RestartCode {
    /// The code a syscall's raw return value (`-512`...) carries, if any.
    pub const fn from_syscall_return(value: i64) -> Option<RestartCode> {
        match value {
            -512 => Some(RestartCode::RestartSys),
            -513 => Some(RestartCode::RestartNoIntr),
            -514 => Some(RestartCode::RestartNoHand),
            -516 => Some(RestartCode::RestartBlock),
            _ => None,
        }
    }

    /// The raw return value (`-512`...).
    pub const fn to_syscall_return(self) -> i64 {
        -(self as i32 as i64)
    }
}

/// What `restart_syscall` resumes (Linux's `restart_block`): a call that
/// returned `ERESTART_RESTARTBLOCK` leaves one with its thread, so that the
/// restarted call goes on from where it was, not from its start.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RestartBlock {
    /// A sleep (`nanosleep`, `clock_nanosleep`): it ends at `deadline_ns`
    /// (the kernel's monotonic clock), and an interruption writes the time
    /// left to `remaining` (a user address; 0 for none).
    Sleep {
        /// When the sleep ends.
        deadline_ns: u64,
        /// Where the time left goes if it is interrupted again.
        remaining: u64,
    },
    /// A `poll` (Linux's `do_restart_poll`): it polls the `count` entries
    /// at `fds` again, until `deadline_ns` (`None`: for ever).
    Poll {
        /// The user's `struct pollfd` array.
        fds: u64,
        /// How many entries it has.
        count: u64,
        /// When the poll gives up.
        deadline_ns: Option<u64>,
    },
    /// A `FUTEX_WAIT` with a timeout (Linux's `futex_wait_restart`): it
    /// waits again while the word at `address` holds `value`, until
    /// `deadline_ns`.
    FutexWait {
        /// The futex word.
        address: u64,
        /// The value the waiter expects there.
        value: u32,
        /// The wakes it waits for (`FUTEX_WAIT_BITSET`'s; every bit for
        /// `FUTEX_WAIT`).
        bitset: u32,
        /// Whether the wait was `FUTEX_PRIVATE_FLAG`'s (its key is the
        /// address space's word even in a shared mapping).
        private: bool,
        /// When the wait times out.
        deadline_ns: u64,
    },
    /// A call that fails with `EINTR` even when the handler has
    /// `SA_RESTART` or no handler runs: a socket wait bounded by
    /// `SO_RCVTIMEO` or `SO_SNDTIMEO` (Linux's `sock_intr_errno`).
    Never,
}

/// What becomes of an interrupted syscall.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RestartDecision {
    /// Not an interrupted syscall: return its value unchanged.
    Unchanged,
    /// Return `-EINTR` to user space.
    ReturnEintr,
    /// Execute the same syscall again with the same arguments.
    Restart,
    /// Execute `restart_syscall` instead.
    RestartViaRestartSyscall,
}

/// Decides for a syscall that returned `syscall_return` when the thread
/// goes back to user space: `handler` holds the flags of the handler about
/// to run, `None` if no handler runs (the signal was ignored, stopped and
/// continued the process, or nothing was pending).
pub fn restart_decision(syscall_return: i64, handler: Option<SaFlags>) -> RestartDecision {
    let Some(code) = RestartCode::from_syscall_return(syscall_return) else {
        return RestartDecision::Unchanged;
    };
    match (code, handler) {
        (RestartCode::RestartBlock, None) => RestartDecision::RestartViaRestartSyscall,
        (_, None) | (RestartCode::RestartNoIntr, Some(_)) => RestartDecision::Restart,
        (RestartCode::RestartSys, Some(flags)) if flags.contains(SaFlags::RESTART) => {
            RestartDecision::Restart
        }
        (_, Some(_)) => RestartDecision::ReturnEintr,
    }
}

/// Applies `decision` to the registers of a thread returning from a
/// syscall whose number was `orig_rax`: back `rip` up over the `syscall`
/// instruction and reload `rax`, or put `-EINTR` in `rax`. Do this before
/// building a handler's frame, so the frame records the fixed registers.
pub fn apply_restart(registers: &mut UserRegisters, decision: RestartDecision, orig_rax: u64) {
    match decision {
        RestartDecision::Unchanged => {}
        RestartDecision::ReturnEintr => {
            registers.rax = abi::Errno::EINTR.to_syscall_return() as u64;
        }
        RestartDecision::Restart => {
            registers.rax = orig_rax;
            registers.rip = registers.rip.wrapping_sub(SYSCALL_INSTRUCTION_LEN);
        }
        RestartDecision::RestartViaRestartSyscall => {
            registers.rax = SYS_RESTART_SYSCALL;
            registers.rip = registers.rip.wrapping_sub(SYSCALL_INSTRUCTION_LEN);
        }
    }
}
