//! `PendingSignals`: one pending queue (a thread's own or a process's
//! shared one).
//!
//! A standard signal is pending at most once: a second instance while the
//! first waits is dropped (they coalesce) and the first one's info is kept.
//! Real-time signals queue every instance with its info, in arrival order,
//! up to a limit; past it, `sigqueue`-style senders get `EAGAIN` while
//! `kill` and the kernel still set the signal pending but lose the info,
//! exactly as Linux does.

use crate::siginfo::{SigFields, SigInfo, codes};
use crate::signal::Signal;
use crate::sigset::SigSet;
use abi::{Errno, KernelResult};
use alloc::collections::VecDeque;

/// The default cap on queued instances per pending queue. Linux counts
/// `RLIMIT_SIGPENDING` per user; Courage caps each queue instead, which
/// bounds kernel memory the same way.
pub const DEFAULT_QUEUE_LIMIT: usize = 1024;

/// What posting a signal did.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PostOutcome {
    /// Now pending with its info.
    Queued,
    /// A standard signal that was already pending: this instance is dropped.
    Coalesced,
    /// Pending, but the queue was full so the receiver sees `SI_USER` with
    /// no sender (Linux's "silent loss of information").
    InfoLost,
    /// Discarded because the receiver ignores it.
    Ignored,
}

/// A set of pending signals with their queued infos.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PendingSignals {
    /// Which signals are pending. A signal can be in here with no entry in
    /// `queue` (info lost); every entry's signal is in here.
    set: SigSet,
    /// Queued infos, oldest first.
    queue: VecDeque<SigInfo>,
}

impl PendingSignals {
    /// No signal pending.
    pub const fn new() -> PendingSignals {
        PendingSignals {
            set: SigSet::EMPTY,
            queue: VecDeque::new(),
        }
    }

    /// The pending signals.
    pub fn set(&self) -> SigSet {
        self.set
    }

    /// How many infos are queued.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Makes `info.signal` pending, with at most `limit` queued infos.
    pub fn post(&mut self, info: SigInfo, limit: usize) -> KernelResult<PostOutcome> {
        let signal = info.signal;
        if !signal.is_realtime() && self.set.contains(signal) {
            return Ok(PostOutcome::Coalesced);
        }
        // Standard signals override the limit (at most 31 of them), as
        // Linux's `override_rlimit` does for legacy signals.
        let outcome = if !signal.is_realtime() || self.queue.len() < limit {
            self.queue.push_back(info);
            PostOutcome::Queued
        } else if info.code == codes::SI_USER || info.code == codes::SI_KERNEL {
            PostOutcome::InfoLost
        } else {
            return Err(Errno::EAGAIN);
        };
        self.set.add(signal);
        Ok(outcome)
    }

    /// Removes and returns the signal Linux would deliver next among
    /// `allowed`: a synchronous fault signal first, else the lowest number;
    /// for real-time signals, the oldest instance.
    #[inline]
    pub fn take_next(&mut self, allowed: SigSet) -> Option<SigInfo> {
        let signal = (self.set & allowed).next_to_deliver()?;
        Some(self.take(signal))
    }

    /// Removes and returns the oldest instance of `signal`, which must be
    /// pending (a signal whose info was lost yields `SI_USER` from pid 0).
    fn take(&mut self, signal: Signal) -> SigInfo {
        // Most often the oldest entry: popped without a search, and
        // without shifting the rest. A standard signal has one instance
        // at most (`post` coalesces): once it is taken the signal is no
        // longer pending, decided before the info moves so that it moves
        // once, straight to the caller.
        if self.queue.front().is_some_and(|info| info.signal == signal) && !signal.is_realtime() {
            self.set.remove(signal);
            if let Some(info) = self.queue.pop_front() {
                return info;
            }
        }
        self.take_searching(signal)
    }

    /// [`PendingSignals::take`] of a real-time signal, or of one not at
    /// the front of the queue.
    #[inline(never)]
    fn take_searching(&mut self, signal: Signal) -> SigInfo {
        let index = self.queue.iter().position(|info| info.signal == signal);
        let taken = index.and_then(|index| self.queue.remove(index));
        // Another instance (a real-time signal queues them) keeps it
        // pending; a standard signal has at most one.
        if !signal.is_realtime() || !self.queue.iter().any(|info| info.signal == signal) {
            self.set.remove(signal);
        }
        taken.unwrap_or_else(|| SigInfo::kill(signal, 0, 0))
    }

    /// Adds `count` overruns to the queued signal of POSIX timer `id`, if
    /// one waits here; whether one did (then the expiry needs no new
    /// signal, as Linux keeps one pending signal per timer).
    pub fn add_timer_overrun(&mut self, id: i32, count: u32) -> bool {
        for info in &mut self.queue {
            if let SigFields::Timer {
                id: queued,
                overrun,
                ..
            } = &mut info.fields
                && *queued == id
            {
                let added = i32::try_from(count).unwrap_or(i32::MAX);
                *overrun = overrun.saturating_add(added);
                return true;
            }
        }
        false
    }

    /// Drops the queued signal of POSIX timer `id`, if any (`timer_delete`).
    pub fn discard_timer(&mut self, id: i32) {
        let Some(index) = self.queue.iter().position(
            |info| matches!(info.fields, SigFields::Timer { id: queued, .. } if queued == id),
        ) else {
            return;
        };
        let signal = self.queue[index].signal;
        self.queue.remove(index);
        if !self.queue.iter().any(|info| info.signal == signal) {
            self.set.remove(signal);
        }
    }

    /// Discards every pending instance of the signals in `signals`.
    pub fn discard(&mut self, signals: SigSet) {
        if (self.set & signals).is_empty() {
            return;
        }
        self.set = self.set - signals;
        self.queue.retain(|info| !signals.contains(info.signal));
    }

    /// Discards everything (exit, or a new thread's empty queue).
    pub fn clear(&mut self) {
        self.set = SigSet::EMPTY;
        self.queue.clear();
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use proptest::prelude::*;
    use std::vec::Vec;

    fn rt(n: i32) -> Signal {
        Signal::from_raw(n).unwrap()
    }

    #[test]
    fn full_rt_queue_refuses_sigqueue_but_kill_still_pends_without_info() {
        let mut pending = PendingSignals::new();
        let sig = rt(40);
        assert_eq!(
            pending.post(SigInfo::queue(sig, 1, 0, 1), 1),
            Ok(PostOutcome::Queued)
        );
        assert_eq!(
            pending.post(SigInfo::queue(sig, 1, 0, 2), 1),
            Err(Errno::EAGAIN)
        );
        assert_eq!(
            pending.post(SigInfo::kill(sig, 5, 0), 1),
            Ok(PostOutcome::InfoLost)
        );
        // As on Linux, the info-less instance merges with the queued one.
        assert_eq!(pending.take_next(SigSet::FULL).unwrap().value(), Some(1));
        assert_eq!(pending.take_next(SigSet::FULL), None);
        // With no room at all, kill still makes it pending, as SI_USER from nobody.
        assert_eq!(
            pending.post(SigInfo::kill(sig, 5, 1000), 0),
            Ok(PostOutcome::InfoLost)
        );
        let lost = pending.take_next(SigSet::FULL).unwrap();
        assert_eq!(
            (lost.signal, lost.code, lost.pid(), lost.uid()),
            (sig, codes::SI_USER, Some(0), Some(0))
        );
        assert!(pending.set().is_empty());
    }

    #[test]
    fn blocked_signals_stay_pending() {
        let mut pending = PendingSignals::new();
        pending.post(SigInfo::kernel(Signal::SIGUSR1), 8).unwrap();
        assert_eq!(
            pending.take_next(SigSet::FULL.without(Signal::SIGUSR1)),
            None
        );
        assert!(pending.set().contains(Signal::SIGUSR1));
    }

    proptest! {
        #[test]
        fn queue_never_exceeds_limit_and_set_matches_entries(
            posts in proptest::collection::vec((1..=64i32, any::<bool>()), 0..100),
            limit in 0usize..8,
        ) {
            let mut pending = PendingSignals::new();
            for (n, by_kill) in posts {
                let sig = rt(n);
                let info = if by_kill { SigInfo::kill(sig, 1, 1) } else { SigInfo::queue(sig, 1, 1, 0) };
                let _ = pending.post(info, limit);
                let realtime = pending.queue.iter().filter(|i| i.signal.is_realtime()).count();
                prop_assert!(realtime <= limit);
                for info in &pending.queue {
                    prop_assert!(pending.set().contains(info.signal));
                }
            }
            let mut seen = Vec::new();
            while let Some(info) = pending.take_next(SigSet::FULL) {
                seen.push(info.signal);
            }
            prop_assert!(pending.set().is_empty());
            prop_assert_eq!(pending.queued(), 0);
            // Delivery order: synchronous faults first, then ascending.
            let key = |s: &Signal| (!s.is_synchronous(), s.number());
            prop_assert!(seen.windows(2).all(|w| key(&w[0]) <= key(&w[1])));
        }
    }
}
