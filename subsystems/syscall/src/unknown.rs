//! Calls nobody serves: `ENOSYS`, logged once per number; and the few
//! calls deliberately absent, which libc probes at every start and falls
//! back from, answered `ENOSYS` without a log line.

use core::sync::atomic::{AtomicU64, Ordering};

use abi::Sysno;

/// Remembers which unserved numbers were already logged, so a program
/// that probes a missing call in a loop logs it once.
pub struct UnknownCalls {
    seen: [AtomicU64; 8],
}

impl Default for UnknownCalls {
    fn default() -> Self {
        Self::new()
    }
}

impl UnknownCalls {
    /// Nothing logged yet.
    pub const fn new() -> Self {
        UnknownCalls {
            seen: [const { AtomicU64::new(0) }; 8],
        }
    }

    /// Logs `unknown system call N (name)` the first time `number` comes
    /// (numbers past 511 every time); returns whether it logged.
    pub fn report(&self, number: u64, caller: &str) -> bool {
        if let Some(word) = self.seen.get((number / 64) as usize) {
            let bit = 1 << (number % 64);
            if word.fetch_or(bit, Ordering::Relaxed) & bit != 0 {
                return false;
            }
        }
        match Sysno::try_from(number) {
            Ok(sysno) => log::warn!("unknown system call {number} ({sysno}) from {caller}: ENOSYS"),
            Err(_) => log::warn!("unknown system call {number} from {caller}: ENOSYS"),
        }
        true
    }
}

/// `ENOSYS` for a call this kernel deliberately lacks and libc falls back
/// from (`rseq`: glibc registers restartable sequences when it can).
/// Not logged: every
/// program start would warn.
pub fn absent<K: crate::Kernel>(_ctx: &crate::Context<'_, K>) -> crate::SyscallResult {
    Err(abi::Errno::ENOSYS)
}
