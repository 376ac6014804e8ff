//! A mutual-exclusion spin lock.

use core::fmt;
use core::ops::{Deref, DerefMut};

use crate::preemption::PreemptionOff;

/// A spin lock around a `T`; its holder is not preempted.
pub struct Mutex<T: ?Sized> {
    inner: spin::Mutex<T>,
}

/// A held [`Mutex`]: the value, until dropped.
pub struct MutexGuard<'a, T: ?Sized + 'a> {
    guard: spin::MutexGuard<'a, T>,
    // Dropped after `guard`: preemption comes back once the lock is free.
    _preemption: PreemptionOff,
}

impl<T> Mutex<T> {
    /// A free lock around `value`.
    pub const fn new(value: T) -> Self {
        Mutex {
            inner: spin::Mutex::new(value),
        }
    }

    /// The value, taking the lock apart.
    pub fn into_inner(self) -> T {
        self.inner.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Takes the lock, spinning while another holds it.
    pub fn lock(&self) -> MutexGuard<'_, T> {
        // Off before spinning: a holder preempted right after taking the
        // lock would leave the spinners waiting for its next turn.
        let preemption = PreemptionOff::new();
        MutexGuard {
            guard: self.inner.lock(),
            _preemption: preemption,
        }
    }

    /// Takes the lock if it is free.
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        let preemption = PreemptionOff::new();
        let guard = self.inner.try_lock()?;
        Some(MutexGuard {
            guard,
            _preemption: preemption,
        })
    }

    /// Whether someone holds the lock now (a hint: it may change at once).
    pub fn is_locked(&self) -> bool {
        self.inner.is_locked()
    }

    /// The value, through exclusive access to the lock itself: no locking.
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut()
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Self {
        Mutex::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
