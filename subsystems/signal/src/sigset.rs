//! `SigSet`: a set of signals in Linux's `sigset_t` layout.

use crate::signal::Signal;
use core::ops::{BitAnd, BitOr, Not, Sub};

/// A set of signals, stored as Linux stores the kernel `sigset_t` on x86_64:
/// one `u64` where signal `n` is bit `n - 1`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub struct SigSet(u64);

/// The size in bytes of the kernel's `sigset_t`; `rt_sig*` syscalls reject
/// any other `sigsetsize` with `EINVAL`.
pub const SIGSET_SIZE: usize = 8;

const fn bit(signal: Signal) -> u64 {
    1u64 << (signal.number() - 1)
}

impl SigSet {
    /// The empty set.
    pub const EMPTY: SigSet = SigSet(0);
    /// Every signal 1..=64.
    pub const FULL: SigSet = SigSet(u64::MAX);
    /// SIGKILL and SIGSTOP, which no mask may contain.
    pub const UNBLOCKABLE: SigSet = SigSet(bit(Signal::SIGKILL) | bit(Signal::SIGSTOP));
    /// The stop signals SIGSTOP, SIGTSTP, SIGTTIN and SIGTTOU.
    pub const STOP_SIGNALS: SigSet = SigSet(
        bit(Signal::SIGSTOP) | bit(Signal::SIGTSTP) | bit(Signal::SIGTTIN) | bit(Signal::SIGTTOU),
    );
    /// Signals raised by CPU faults, which Linux delivers first.
    pub const SYNCHRONOUS: SigSet = SigSet(
        bit(Signal::SIGSEGV)
            | bit(Signal::SIGBUS)
            | bit(Signal::SIGILL)
            | bit(Signal::SIGTRAP)
            | bit(Signal::SIGFPE)
            | bit(Signal::SIGSYS),
    );

    /// The set with the raw Linux bits (`sigset_t` as user space passes it).
    pub const fn from_bits(bits: u64) -> SigSet {
        SigSet(bits)
    }

    /// The raw Linux bits.
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// The set holding only `signal`.
    pub const fn single(signal: Signal) -> SigSet {
        SigSet(bit(signal))
    }

    /// True if `signal` is in the set.
    pub const fn contains(self, signal: Signal) -> bool {
        self.0 & bit(signal) != 0
    }

    /// Adds `signal`.
    pub fn add(&mut self, signal: Signal) {
        self.0 |= bit(signal);
    }

    /// Removes `signal`.
    pub fn remove(&mut self, signal: Signal) {
        self.0 &= !bit(signal);
    }

    /// The set plus `signal`.
    #[must_use]
    pub const fn with(self, signal: Signal) -> SigSet {
        SigSet(self.0 | bit(signal))
    }

    /// The set minus `signal`.
    #[must_use]
    pub const fn without(self, signal: Signal) -> SigSet {
        SigSet(self.0 & !bit(signal))
    }

    /// Signals in either set.
    #[must_use]
    pub const fn union(self, other: SigSet) -> SigSet {
        SigSet(self.0 | other.0)
    }

    /// Signals in both sets.
    #[must_use]
    pub const fn intersection(self, other: SigSet) -> SigSet {
        SigSet(self.0 & other.0)
    }

    /// Signals in `self` but not in `other`.
    #[must_use]
    pub const fn difference(self, other: SigSet) -> SigSet {
        SigSet(self.0 & !other.0)
    }

    /// Signals not in the set.
    #[must_use]
    pub const fn complement(self) -> SigSet {
        SigSet(!self.0)
    }

    /// The set with SIGKILL and SIGSTOP taken out: what any mask stored on
    /// behalf of user space becomes (Linux removes them silently).
    #[must_use]
    pub const fn without_unblockable(self) -> SigSet {
        self.difference(Self::UNBLOCKABLE)
    }

    /// True if no signal is in the set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// How many signals the set holds.
    pub const fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// The lowest-numbered signal in the set.
    pub const fn lowest(self) -> Option<Signal> {
        if self.0 == 0 {
            None
        } else {
            match Signal::from_raw(self.0.trailing_zeros() as i32 + 1) {
                Ok(signal) => Some(signal),
                Err(_) => None,
            }
        }
    }

    /// The signal Linux picks first from this set of deliverable signals:
    /// the lowest synchronous (fault) signal if any, else the lowest signal.
    pub const fn next_to_deliver(self) -> Option<Signal> {
        let synchronous = self.intersection(Self::SYNCHRONOUS);
        if synchronous.is_empty() {
            self.lowest()
        } else {
            synchronous.lowest()
        }
    }

    /// The signals in ascending order.
    pub fn iter(self) -> Iter {
        Iter(self)
    }
}

/// Ascending iterator over a [`SigSet`].
#[derive(Clone, Debug)]
pub struct Iter(SigSet);

impl Iterator for Iter {
    type Item = Signal;
    fn next(&mut self) -> Option<Signal> {
        let signal = self.0.lowest()?;
        self.0.remove(signal);
        Some(signal)
    }
}

impl IntoIterator for SigSet {
    type Item = Signal;
    type IntoIter = Iter;
    fn into_iter(self) -> Iter {
        self.iter()
    }
}

impl FromIterator<Signal> for SigSet {
    fn from_iter<I: IntoIterator<Item = Signal>>(iter: I) -> SigSet {
        let mut set = SigSet::EMPTY;
        for signal in iter {
            set.add(signal);
        }
        set
    }
}

impl BitOr for SigSet {
    type Output = SigSet;
    fn bitor(self, rhs: SigSet) -> SigSet {
        self.union(rhs)
    }
}

impl BitAnd for SigSet {
    type Output = SigSet;
    fn bitand(self, rhs: SigSet) -> SigSet {
        self.intersection(rhs)
    }
}

impl Sub for SigSet {
    type Output = SigSet;
    fn sub(self, rhs: SigSet) -> SigSet {
        self.difference(rhs)
    }
}

impl Not for SigSet {
    type Output = SigSet;
    fn not(self) -> SigSet {
        self.complement()
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;
    use std::vec::Vec;

    #[test]
    fn signal_n_is_bit_n_minus_1() {
        assert_eq!(SigSet::single(Signal::SIGHUP).bits(), 1);
        assert_eq!(SigSet::single(Signal::SIGKILL).bits(), 1 << 8);
        assert_eq!(SigSet::single(Signal::SIGRTMAX).bits(), 1 << 63);
    }

    #[test]
    fn faults_are_picked_before_lower_signals() {
        let set = SigSet::single(Signal::SIGINT).with(Signal::SIGSEGV);
        assert_eq!(set.next_to_deliver(), Some(Signal::SIGSEGV));
        let set = SigSet::single(Signal::SIGINT).with(Signal::SIGTERM);
        assert_eq!(set.next_to_deliver(), Some(Signal::SIGINT));
    }

    fn signal() -> impl Strategy<Value = Signal> {
        (1..=64i32).prop_map(|n| Signal::from_raw(n).unwrap())
    }

    proptest! {
        #[test]
        fn set_behaves_like_a_set_of_numbers(ops in proptest::collection::vec((any::<bool>(), signal()), 0..80)) {
            let mut set = SigSet::EMPTY;
            let mut model = BTreeSet::new();
            for (add, sig) in ops {
                if add { set.add(sig); model.insert(sig); } else { set.remove(sig); model.remove(&sig); }
            }
            prop_assert_eq!(set.iter().collect::<Vec<_>>(), model.iter().copied().collect::<Vec<_>>());
            prop_assert_eq!(set.len(), model.len());
            prop_assert_eq!(set.lowest(), model.iter().next().copied());
        }

        #[test]
        fn set_algebra_matches_bits(a in any::<u64>(), b in any::<u64>()) {
            let (x, y) = (SigSet::from_bits(a), SigSet::from_bits(b));
            prop_assert_eq!((x | y).bits(), a | b);
            prop_assert_eq!((x & y).bits(), a & b);
            prop_assert_eq!((x - y).bits(), a & !b);
            prop_assert!(!x.without_unblockable().contains(Signal::SIGKILL));
            prop_assert!(!x.without_unblockable().contains(Signal::SIGSTOP));
        }
    }
}
