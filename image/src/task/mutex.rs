//! A sleeping mutex: waiters block on a wait queue instead of spinning, so
//! the holder may itself sleep (I/O, `sleep_until`, a page fault's frame
//! allocation) or be preempted while holding it, with interrupts on.
//!
//! Never take one in interrupt context or with interrupts off, and never
//! while holding an `IrqMutex` (the waiter would sleep with a spin lock
//! held); [`Mutex::try_lock`] is for those places. Waits are
//! uninterruptible: a signal does not abandon a lock.
//!
//! The state word follows Drepper's "futexes are tricky" mutex: 0 free, 1
//! held, 2 held with possible waiters. Taking a free lock and releasing
//! one nobody waits for are one atomic instruction each; only contention
//! touches the wait queue (and so the scheduler lock), which is made on
//! first contention: an address space has one of these locks, and fork
//! and exec should not pay for a queue that is rarely used.

use core::cell::UnsafeCell;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicU8, AtomicU64, Ordering};

use super::WaitQueue;

const FREE: u8 = 0;
const HELD: u8 = 1;
const CONTENDED: u8 = 2;

/// No owner (thread ids start at 1).
const NO_OWNER: u64 = 0;

/// Data that one thread at a time may use, sleeping while it waits.
pub struct Mutex<T> {
    state: AtomicU8,
    /// The holder's thread id, for [`Mutex::is_held_by_current`]: a page
    /// fault taken while its own thread holds the lock must not wait.
    owner: AtomicU64,
    waiters: spin::Once<WaitQueue>,
    value: UnsafeCell<T>,
}

// SAFETY: the state word gives one thread at a time access to `value`.
unsafe impl<T: Send> Sync for Mutex<T> {}
// SAFETY: moving the mutex moves the value; `T: Send` is enough.
unsafe impl<T: Send> Send for Mutex<T> {}

/// Access to a [`Mutex`]'s data; unlocks (and wakes a waiter) on drop.
pub struct MutexGuard<'a, T> {
    mutex: &'a Mutex<T>,
}

impl<T> Mutex<T> {
    /// A new, unlocked mutex.
    pub fn new(value: T) -> Self {
        Self {
            state: AtomicU8::new(FREE),
            owner: AtomicU64::new(NO_OWNER),
            waiters: spin::Once::new(),
            value: UnsafeCell::new(value),
        }
    }

    /// Takes the lock, sleeping while another thread holds it.
    pub fn lock(&self) -> MutexGuard<'_, T> {
        #[cfg(debug_assertions)]
        report_if_interrupts_off();
        if self
            .state
            .compare_exchange(FREE, HELD, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            // Marked contended before sleeping, so the holder's unlock
            // wakes; a lock taken this way stays marked (at worst one wake
            // too many).
            while self.state.swap(CONTENDED, Ordering::SeqCst) != FREE {
                let waiters = self.waiters.call_once(WaitQueue::new);
                // An unlock that found no queue yet woke nobody: the word,
                // read after the queue is published, shows it free.
                core::sync::atomic::fence(Ordering::SeqCst);
                // Uninterruptible and without deadline: it returns once the
                // word was seen changed (a wake or a free lock).
                let _ = waiters.wait_until(false, None, || {
                    self.state.load(Ordering::SeqCst) != CONTENDED
                });
            }
        }
        self.owner
            .store(super::core::current_id().0, Ordering::Relaxed);
        MutexGuard { mutex: self }
    }

    /// Takes the lock if it is free, without sleeping (for interrupt
    /// context and code running with interrupts off).
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        self.state
            .compare_exchange(FREE, HELD, Ordering::Acquire, Ordering::Relaxed)
            .ok()?;
        self.owner
            .store(super::core::current_id().0, Ordering::Relaxed);
        Some(MutexGuard { mutex: self })
    }

    /// Whether the running thread holds the lock.
    pub fn is_held_by_current(&self) -> bool {
        self.state.load(Ordering::Relaxed) != FREE
            && self.owner.load(Ordering::Relaxed) == super::core::current_id().0
    }
}

/// The lock discipline's check (debug builds): a sleeping lock taken with
/// interrupts off could sleep where nothing may. Reported once, with the
/// caller's backtrace, rather than panicking a kernel that may still work.
#[cfg(debug_assertions)]
fn report_if_interrupts_off() {
    use core::sync::atomic::AtomicBool;
    static REPORTED: AtomicBool = AtomicBool::new(false);
    if !x86_64::instructions::interrupts::are_enabled() && !REPORTED.swap(true, Ordering::Relaxed) {
        log::error!("a sleeping lock was taken with interrupts off");
        crate::ksyms::print_backtrace(
            &mut arch::serial::emergency_writer(),
            None,
            arch::backtrace::current_frame_pointer(),
        );
    }
}

impl<T> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard exists only while this thread holds the lock.
        unsafe { &*self.mutex.value.get() }
    }
}

impl<T> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as above, and the guard is borrowed mutably.
        unsafe { &mut *self.mutex.value.get() }
    }
}

impl<T> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.mutex.owner.store(NO_OWNER, Ordering::Relaxed);
        if self.mutex.state.swap(FREE, Ordering::SeqCst) == CONTENDED
            && let Some(waiters) = self.mutex.waiters.get()
        {
            waiters.wake_one();
        }
    }
}
