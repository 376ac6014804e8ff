//! A lock whose holder may sleep: what a description's offset lock must be,
//! since a regular file's or directory's read holds it and may sleep (a
//! procfs file renders under the process's address-space lock, which the
//! kernel takes with a sleeping lock). A spin lock there would keep every
//! other reader of the description spinning, preemption off, on a holder
//! that waits for its CPU (Linux's `f_pos_lock` is a mutex too).
//!
//! Uncontended, taking and releasing it is one atomic exchange each and
//! touches no queue. A thread that finds it held marks it contended and
//! sleeps on one of a few wait queues shared by every such lock (chosen by
//! the lock's address, as Linux's bit wait queues); the release of a
//! contended lock wakes that queue, and every sleeper there tries again.
//! Until the kernel installs its wait queues ([`set_wait_queue_factory`];
//! host tests run without), a waiter spins instead.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU8, Ordering};

use crate::wait::WaitQueue;

const FREE: u8 = 0;
const HELD: u8 = 1;
/// Held, and someone may sleep waiting for it.
const CONTENDED: u8 = 2;

/// How many queues the locks share.
const QUEUES: usize = 16;

static FACTORY: spin::Once<fn() -> Arc<dyn WaitQueue>> = spin::Once::new();
static SHARED_QUEUES: spin::Once<Vec<Arc<dyn WaitQueue>>> = spin::Once::new();

/// Gives the locks a way to make the queues they sleep on; the first call
/// wins (the kernel's [`crate::Vfs::set_wait_queue_factory`] makes it).
pub fn set_wait_queue_factory(make: fn() -> Arc<dyn WaitQueue>) {
    FACTORY.call_once(|| make);
}

/// The queue the waiters of the lock at `address` sleep on, if the kernel
/// gave the locks queues.
fn queue_for(address: usize) -> Option<&'static Arc<dyn WaitQueue>> {
    let queues = match SHARED_QUEUES.get() {
        Some(queues) => queues,
        None => {
            let make = FACTORY.get()?;
            SHARED_QUEUES.call_once(|| (0..QUEUES).map(|_| make()).collect())
        }
    };
    // Locks live in heap objects of at least 64 bytes: skip the bits
    // every address shares.
    queues.get((address >> 6) % QUEUES)
}

/// A mutual-exclusion lock over nothing but the section it guards, whose
/// holder may sleep. Not for interrupt context.
#[derive(Debug, Default)]
pub struct SleepLock {
    state: AtomicU8,
}

/// A held [`SleepLock`]; dropping it releases the lock.
#[must_use = "the lock is released when the guard is dropped"]
#[derive(Debug)]
pub struct SleepLockGuard<'a> {
    lock: &'a SleepLock,
}

impl SleepLock {
    /// A free lock.
    pub const fn new() -> SleepLock {
        SleepLock {
            state: AtomicU8::new(FREE),
        }
    }

    /// Takes the lock, sleeping (uninterruptibly) while another thread
    /// holds it.
    pub fn lock(&self) -> SleepLockGuard<'_> {
        if self
            .state
            .compare_exchange(FREE, HELD, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.lock_contended();
        }
        SleepLockGuard { lock: self }
    }

    #[cold]
    fn lock_contended(&self) {
        let queue = queue_for(self as *const SleepLock as usize);
        loop {
            // Taken while marking it contended: the release then wakes the
            // queue, for whoever else sleeps there.
            if self.state.swap(CONTENDED, Ordering::Acquire) == FREE {
                return;
            }
            let Some(queue) = queue else {
                core::hint::spin_loop();
                continue;
            };
            // The count is read before the last look, so a release in
            // between ends the sleep at once (see `WaitQueue`).
            let seen = queue.event_count();
            if self.state.load(Ordering::Relaxed) == FREE {
                continue;
            }
            if queue.wait_for_event(seen, false).is_err() {
                core::hint::spin_loop();
            }
        }
    }

    /// Whether some thread holds the lock (for tests and assertions).
    pub fn is_locked(&self) -> bool {
        self.state.load(Ordering::Relaxed) != FREE
    }
}

impl Drop for SleepLockGuard<'_> {
    fn drop(&mut self) {
        if self.lock.state.swap(FREE, Ordering::Release) == CONTENDED
            && let Some(queue) = queue_for(self.lock as *const SleepLock as usize)
        {
            queue.wake_all();
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::thread;

    #[test]
    fn it_excludes_and_frees() {
        let lock = SleepLock::new();
        {
            let _held = lock.lock();
            assert!(lock.is_locked());
        }
        assert!(!lock.is_locked());
        let _again = lock.lock();
    }

    #[test]
    fn threads_take_turns_without_losing_an_update() {
        // A read-modify-write split around a yield: without exclusion the
        // threads overwrite each other's increments.
        static LOCK: SleepLock = SleepLock::new();
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let threads: std::vec::Vec<_> = (0..4)
            .map(|_| {
                thread::spawn(|| {
                    for _ in 0..2_000 {
                        let _held = LOCK.lock();
                        let seen = COUNT.load(Ordering::Relaxed);
                        thread::yield_now();
                        COUNT.store(seen + 1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(COUNT.load(Ordering::Relaxed), 8_000);
        assert!(!LOCK.is_locked());
    }
}
