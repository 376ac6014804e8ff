//! A spin lock that keeps interrupts off on this CPU while it is held.
//!
//! Anything an interrupt or exception handler may also lock (the frame
//! allocator, the heap, the console, the scheduler) must be an [`IrqMutex`]:
//! a plain spin lock taken by the interrupted code would deadlock the
//! handler. Never block (sleep) while holding one.

use core::ops::{Deref, DerefMut};

use spin::{Mutex, MutexGuard};
use x86_64::instructions::interrupts;

/// A spin lock whose guard disables interrupts and restores them on drop.
#[derive(Debug, Default)]
pub struct IrqMutex<T> {
    inner: Mutex<T>,
}

/// Access to an [`IrqMutex`]'s data; interrupts are off while it lives.
pub struct IrqMutexGuard<'a, T> {
    guard: Option<MutexGuard<'a, T>>,
    interrupts_were_enabled: bool,
}

impl<T> IrqMutex<T> {
    /// A new, unlocked mutex.
    pub const fn new(value: T) -> Self {
        Self {
            inner: Mutex::new(value),
        }
    }

    /// The protected value, consuming the mutex.
    pub fn into_inner(self) -> T {
        self.inner.into_inner()
    }

    /// Disables interrupts, then spins until the lock is free.
    pub fn lock(&self) -> IrqMutexGuard<'_, T> {
        let interrupts_were_enabled = interrupts::are_enabled();
        interrupts::disable();
        IrqMutexGuard {
            guard: Some(self.inner.lock()),
            interrupts_were_enabled,
        }
    }

    /// The lock without waiting, or `None` if it is held.
    pub fn try_lock(&self) -> Option<IrqMutexGuard<'_, T>> {
        let interrupts_were_enabled = interrupts::are_enabled();
        interrupts::disable();
        match self.inner.try_lock() {
            Some(guard) => Some(IrqMutexGuard {
                guard: Some(guard),
                interrupts_were_enabled,
            }),
            None => {
                if interrupts_were_enabled {
                    interrupts::enable();
                }
                None
            }
        }
    }
}

impl<T> Deref for IrqMutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.guard.as_ref().expect("guard is present until drop")
    }
}

impl<T> DerefMut for IrqMutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.guard.as_mut().expect("guard is present until drop")
    }
}

impl<T> Drop for IrqMutexGuard<'_, T> {
    fn drop(&mut self) {
        // Release the lock before interrupts can arrive again.
        drop(self.guard.take());
        if self.interrupts_were_enabled {
            interrupts::enable();
        }
    }
}
