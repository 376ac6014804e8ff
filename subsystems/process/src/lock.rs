//! The crate's locks, each with its place in the lock order.
//!
//! Order (a lock may be taken only while every lock held ranks lower):
//! the threads' signal states (the kernel's per-thread data, several at
//! once in thread-list order), then the process table, then one process's
//! data, then its descriptor table, then its thread list. Apart from
//! thread signal states, two locks of one rank are never held together:
//! no code holds two processes' data at once, and a guard kept alive in an
//! expression while a callee locks the same process is the same-rank case.
//!
//! Each is a `lock::Mutex` with a rank: a thread holding one keeps its
//! CPU until it lets go, as with every lock of the `lock` crate, so other
//! CPUs do not spin through the holder's preemption.
//!
//! With the `lock-order-check` feature (host tests; it needs `std`), every
//! acquisition is checked against the locks the current thread holds and
//! an inversion panics with both ranks, where the kernel would deadlock.
//! Without it the checks compile to nothing.

use core::ops::{Deref, DerefMut};

/// A lock's place in the order; lower ranks are taken first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rank {
    /// A thread's signal state (mask, pending signals): the kernel's
    /// per-thread data, locked before its process's. Several may be held
    /// at once (every thread of a process, for process-wide effects).
    ThreadSignals = 0,
    /// The process table's relationships and indexes.
    Table = 1,
    /// A process's data (credentials, state, signal state, ...).
    ProcessData = 2,
    /// A process's descriptor table.
    Descriptors = 3,
    /// A process's thread list.
    Threads = 4,
}

/// A spin lock with a [`Rank`].
pub struct RankedMutex<T> {
    rank: Rank,
    inner: lock::Mutex<T>,
}

impl<T> RankedMutex<T> {
    /// A lock of `rank` around `value`.
    pub const fn new(rank: Rank, value: T) -> Self {
        RankedMutex {
            rank,
            inner: lock::Mutex::new(value),
        }
    }

    /// Takes the lock (checking the order first, with `lock-order-check`).
    pub fn lock(&self) -> RankedGuard<'_, T> {
        order::acquire(self.rank);
        RankedGuard {
            rank: self.rank,
            guard: self.inner.lock(),
        }
    }
}

/// A held [`RankedMutex`].
pub struct RankedGuard<'a, T> {
    rank: Rank,
    guard: lock::MutexGuard<'a, T>,
}

impl<T> Deref for RankedGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> DerefMut for RankedGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}

impl<T> Drop for RankedGuard<'_, T> {
    fn drop(&mut self) {
        order::release(self.rank);
    }
}

#[cfg(any(test, feature = "lock-order-check"))]
mod order {
    extern crate std;

    use super::Rank;
    use std::cell::RefCell;
    use std::vec::Vec;

    std::thread_local! {
        static HELD: RefCell<Vec<Rank>> = const { RefCell::new(Vec::new()) };
    }

    pub fn acquire(rank: Rank) {
        HELD.with(|held| {
            let mut held = held.borrow_mut();
            let nests = rank == Rank::ThreadSignals;
            if let Some(&highest) = held.iter().max()
                && (highest > rank || (highest == rank && !nests))
            {
                // Drop the record first, so the unwinding guards' releases
                // find a consistent list.
                let held_now = held.clone();
                drop(held);
                panic!("lock order: {rank:?} taken while holding {held_now:?}");
            }
            held.push(rank);
        });
    }

    pub fn release(rank: Rank) {
        HELD.with(|held| {
            let mut held = held.borrow_mut();
            if let Some(at) = held.iter().rposition(|&r| r == rank) {
                held.remove(at);
            }
        });
    }
}

#[cfg(not(any(test, feature = "lock-order-check")))]
mod order {
    use super::Rank;

    #[inline(always)]
    pub fn acquire(_rank: Rank) {}

    #[inline(always)]
    pub fn release(_rank: Rank) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use lock::{PreemptionHooks, set_preemption_hooks};

    extern crate std;

    std::thread_local! {
        /// This thread's preemption-off depth, and whether the last
        /// `enable` found the lock it followed already free.
        static DEPTH: core::cell::Cell<u32> = const { core::cell::Cell::new(0) };
        static WATCHED: core::cell::Cell<Option<&'static RankedMutex<u32>>> =
            const { core::cell::Cell::new(None) };
        static FREE_AT_ENABLE: core::cell::Cell<bool> = const { core::cell::Cell::new(false) };
    }

    extern "C" fn disable() {
        DEPTH.with(|d| d.set(d.get() + 1));
    }

    extern "C" fn enable() {
        DEPTH.with(|d| d.set(d.get() - 1));
        if let Some(lock) = WATCHED.with(|w| w.get()) {
            FREE_AT_ENABLE.with(|f| f.set(!lock.inner.is_locked()));
        }
    }

    #[test]
    fn a_held_lock_keeps_preemption_off_until_it_is_free() {
        static WATCHED_LOCK: RankedMutex<u32> = RankedMutex::new(Rank::Table, 0);
        set_preemption_hooks(PreemptionHooks { disable, enable });
        let data = RankedMutex::new(Rank::ProcessData, 0);
        let table = WATCHED_LOCK.lock();
        assert_eq!(DEPTH.with(|d| d.get()), 1);
        let inner = data.lock();
        assert_eq!(DEPTH.with(|d| d.get()), 2, "nested locks nest");
        drop(inner);
        assert_eq!(DEPTH.with(|d| d.get()), 1);
        WATCHED.with(|w| w.set(Some(&WATCHED_LOCK)));
        drop(table);
        WATCHED.with(|w| w.set(None));
        assert_eq!(DEPTH.with(|d| d.get()), 0);
        assert!(
            FREE_AT_ENABLE.with(|f| f.get()),
            "preemption comes back after the unlock"
        );
    }

    #[test]
    fn locks_taken_in_rank_order_are_fine() {
        let table = RankedMutex::new(Rank::Table, 1);
        let data = RankedMutex::new(Rank::ProcessData, 2);
        let threads = RankedMutex::new(Rank::Threads, 3);
        let a = table.lock();
        let b = data.lock();
        let c = threads.lock();
        assert_eq!(*a + *b + *c, 6);
        drop(c);
        drop(b);
        // After releasing, a lower-ranked lock may be taken again.
        let again = data.lock();
        assert_eq!(*again, 2);
    }

    #[test]
    fn thread_signal_states_nest_before_their_process() {
        let first = RankedMutex::new(Rank::ThreadSignals, ());
        let second = RankedMutex::new(Rank::ThreadSignals, ());
        let data = RankedMutex::new(Rank::ProcessData, ());
        let _a = first.lock();
        let _b = second.lock();
        let _data = data.lock();
    }

    #[test]
    #[should_panic(expected = "lock order: ThreadSignals taken while holding [ProcessData]")]
    fn a_thread_signal_state_after_its_process_panics() {
        let signals = RankedMutex::new(Rank::ThreadSignals, ());
        let data = RankedMutex::new(Rank::ProcessData, ());
        let _data = data.lock();
        let _signals = signals.lock();
    }

    #[test]
    #[should_panic(expected = "lock order: Table taken while holding [ProcessData]")]
    fn taking_the_table_while_holding_a_process_panics() {
        let table = RankedMutex::new(Rank::Table, ());
        let data = RankedMutex::new(Rank::ProcessData, ());
        let _data = data.lock();
        let _table = table.lock();
    }

    #[test]
    #[should_panic(expected = "lock order: ProcessData taken while holding [ProcessData]")]
    fn two_process_data_locks_at_once_panic() {
        let first = RankedMutex::new(Rank::ProcessData, ());
        let second = RankedMutex::new(Rank::ProcessData, ());
        let _a = first.lock();
        let _b = second.lock();
    }
}
