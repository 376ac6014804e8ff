//! Signal dispositions: `SigAction` and its Linux `struct kernel_sigaction`.

use crate::sigset::SigSet;
use bitflags::bitflags;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

bitflags! {
    /// `sa_flags` bits Linux x86_64 understands. Unknown bits are dropped
    /// when an action is installed, as Linux does, so a program can detect
    /// flags the kernel does not support by reading the action back.
    #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
    pub struct SaFlags: u64 {
        /// SIGCHLD only: no SIGCHLD when a child stops or continues.
        const NOCLDSTOP = 0x0000_0001;
        /// SIGCHLD only: children are reaped automatically, no zombies.
        const NOCLDWAIT = 0x0000_0002;
        /// The handler takes `(signo, siginfo_t *, ucontext_t *)`.
        const SIGINFO = 0x0000_0004;
        /// Accepted for arm64 compatibility; no effect on x86_64.
        const EXPOSE_TAGBITS = 0x0000_0800;
        /// `sa_restorer` holds the return address for the handler.
        const RESTORER = 0x0400_0000;
        /// Run the handler on the alternate signal stack.
        const ONSTACK = 0x0800_0000;
        /// Restart interrupted `ERESTARTSYS` system calls.
        const RESTART = 0x1000_0000;
        /// Do not block the signal while its handler runs.
        const NODEFER = 0x4000_0000;
        /// Reset the disposition to `SIG_DFL` when the handler is entered.
        const RESETHAND = 0x8000_0000;
    }
}

/// What happens to a signal: the `sa_handler` field.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub enum Disposition {
    /// `SIG_DFL` (0): the signal's default action.
    #[default]
    Default,
    /// `SIG_IGN` (1): discard the signal.
    Ignore,
    /// A user handler at this address.
    Handler(u64),
}

impl Disposition {
    /// The value of `sa_handler`.
    pub const fn to_raw(self) -> u64 {
        match self {
            Disposition::Default => 0,
            Disposition::Ignore => 1,
            Disposition::Handler(address) => address,
        }
    }

    /// The disposition for an `sa_handler` value. Linux does not check the
    /// address: a bad one faults when the handler is entered.
    pub const fn from_raw(raw: u64) -> Disposition {
        match raw {
            0 => Disposition::Default,
            1 => Disposition::Ignore,
            address => Disposition::Handler(address),
        }
    }
}

/// A signal action as the kernel keeps it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct SigAction {
    /// The disposition.
    pub handler: Disposition,
    /// `sa_flags`.
    pub flags: SaFlags,
    /// Signals blocked while the handler runs (never SIGKILL or SIGSTOP).
    pub mask: SigSet,
    /// `sa_restorer`; used as the handler's return address only when
    /// `flags` has `RESTORER`, otherwise the kernel's trampoline page is.
    pub restorer: u64,
}

/// Linux's `struct kernel_sigaction` on x86_64, as `rt_sigaction` reads and
/// writes it (field order differs from libc's `struct sigaction`).
#[derive(
    Clone, Copy, PartialEq, Eq, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct KernelSigAction {
    /// `sa_handler` / `sa_sigaction`.
    pub handler: u64,
    /// `sa_flags`.
    pub flags: u64,
    /// `sa_restorer`.
    pub restorer: u64,
    /// `sa_mask`.
    pub mask: u64,
}

static_assertions::const_assert_eq!(core::mem::size_of::<KernelSigAction>(), 32);
static_assertions::const_assert_eq!(core::mem::offset_of!(KernelSigAction, restorer), 16);
static_assertions::const_assert_eq!(core::mem::offset_of!(KernelSigAction, mask), 24);

impl SigAction {
    /// `SIG_DFL` with no flags: every signal's action at boot and after exec
    /// for caught signals.
    pub const DEFAULT: SigAction = SigAction {
        handler: Disposition::Default,
        flags: SaFlags::empty(),
        mask: SigSet::EMPTY,
        restorer: 0,
    };

    /// The action user space asked for, normalised as Linux does: unknown
    /// flags dropped, SIGKILL and SIGSTOP removed from the mask.
    pub fn from_raw(raw: KernelSigAction) -> SigAction {
        SigAction {
            handler: Disposition::from_raw(raw.handler),
            flags: SaFlags::from_bits_truncate(raw.flags),
            mask: SigSet::from_bits(raw.mask).without_unblockable(),
            restorer: raw.restorer,
        }
    }

    /// The Linux encoding, for `rt_sigaction`'s `oldact`.
    pub fn to_raw(self) -> KernelSigAction {
        KernelSigAction {
            handler: self.handler.to_raw(),
            flags: self.flags.bits(),
            restorer: self.restorer,
            mask: self.mask.bits(),
        }
    }

    /// The address the handler returns to: `sa_restorer` with `SA_RESTORER`
    /// (glibc and musl always pass one), else the kernel's trampoline page.
    pub fn return_address(&self, trampoline: u64) -> u64 {
        if self.flags.contains(SaFlags::RESTORER) {
            self.restorer
        } else {
            trampoline
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::Signal;

    #[test]
    fn raw_round_trip_drops_unknown_flags_and_unblockable_mask_bits() {
        let raw = KernelSigAction {
            handler: 0x40_1000,
            flags: (SaFlags::SIGINFO | SaFlags::RESTORER).bits() | 0x0100_0000,
            restorer: 0x40_2000,
            mask: SigSet::single(Signal::SIGKILL).with(Signal::SIGUSR1).bits(),
        };
        let action = SigAction::from_raw(raw);
        assert_eq!(action.handler, Disposition::Handler(0x40_1000));
        assert_eq!(action.flags, SaFlags::SIGINFO | SaFlags::RESTORER);
        assert_eq!(action.mask, SigSet::single(Signal::SIGUSR1));
        let back = action.to_raw();
        assert_eq!(back.flags, 0x0400_0004);
        assert_eq!(back.mask, 1 << 9);
        assert_eq!(back.restorer, 0x40_2000);
    }

    #[test]
    fn handler_without_restorer_returns_to_trampoline() {
        let mut action = SigAction {
            handler: Disposition::Handler(0x1000),
            restorer: 0x5000,
            ..SigAction::DEFAULT
        };
        assert_eq!(action.return_address(0x7000), 0x7000);
        action.flags |= SaFlags::RESTORER;
        assert_eq!(action.return_address(0x7000), 0x5000);
    }

    #[test]
    fn sig_dfl_and_sig_ign_are_0_and_1() {
        assert_eq!(Disposition::from_raw(0), Disposition::Default);
        assert_eq!(Disposition::from_raw(1), Disposition::Ignore);
        assert_eq!(Disposition::Ignore.to_raw(), 1);
    }
}
