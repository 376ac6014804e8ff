//! A sleeping mutex: waiters block on a wait queue instead of spinning, so
//! the holder may itself sleep (I/O, `sleep_until`) while holding it.
//!
//! Never take one in interrupt context or with interrupts off, and never
//! while holding an `IrqMutex` (the waiter would sleep with a spin lock
//! held). Waits are uninterruptible: a signal does not abandon a lock.

use core::cell::UnsafeCell;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicBool, Ordering};

use super::WaitQueue;

/// Data that one thread at a time may use, sleeping while it waits.
pub struct Mutex<T> {
    locked: AtomicBool,
    waiters: WaitQueue,
    value: UnsafeCell<T>,
}

// SAFETY: the `locked` flag gives one thread at a time access to `value`.
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
            locked: AtomicBool::new(false),
            waiters: WaitQueue::new(),
            value: UnsafeCell::new(value),
        }
    }

    /// Takes the lock, sleeping while another thread holds it.
    pub fn lock(&self) -> MutexGuard<'_, T> {
        loop {
            if !self.locked.swap(true, Ordering::Acquire) {
                return MutexGuard { mutex: self };
            }
            // Uninterruptible and without deadline, so it only returns once
            // the flag was seen clear.
            let _ = self
                .waiters
                .wait_until(false, None, || !self.locked.load(Ordering::Acquire));
        }
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
        self.mutex.locked.store(false, Ordering::Release);
        self.mutex.waiters.wake_one();
    }
}
