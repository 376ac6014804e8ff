//! A reader-writer spin lock.

use core::fmt;
use core::ops::{Deref, DerefMut};

use crate::preemption::PreemptionOff;

/// A spin lock that many readers or one writer hold; no holder is
/// preempted.
pub struct RwLock<T: ?Sized> {
    inner: spin::RwLock<T>,
}

/// A [`RwLock`] held for reading.
pub struct RwLockReadGuard<'a, T: ?Sized + 'a> {
    guard: spin::RwLockReadGuard<'a, T>,
    _preemption: PreemptionOff,
}

/// A [`RwLock`] held for writing.
pub struct RwLockWriteGuard<'a, T: ?Sized + 'a> {
    guard: spin::RwLockWriteGuard<'a, T>,
    _preemption: PreemptionOff,
}

impl<T> RwLock<T> {
    /// A free lock around `value`.
    pub const fn new(value: T) -> Self {
        RwLock {
            inner: spin::RwLock::new(value),
        }
    }

    /// The value, taking the lock apart.
    pub fn into_inner(self) -> T {
        self.inner.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Takes the lock for reading, spinning while a writer holds it.
    pub fn read(&self) -> RwLockReadGuard<'_, T> {
        let preemption = PreemptionOff::new();
        RwLockReadGuard {
            guard: self.inner.read(),
            _preemption: preemption,
        }
    }

    /// Takes the lock for writing, spinning while anyone holds it.
    pub fn write(&self) -> RwLockWriteGuard<'_, T> {
        let preemption = PreemptionOff::new();
        RwLockWriteGuard {
            guard: self.inner.write(),
            _preemption: preemption,
        }
    }

    /// Takes the lock for reading if no writer holds it.
    pub fn try_read(&self) -> Option<RwLockReadGuard<'_, T>> {
        let preemption = PreemptionOff::new();
        let guard = self.inner.try_read()?;
        Some(RwLockReadGuard {
            guard,
            _preemption: preemption,
        })
    }

    /// Takes the lock for writing if nobody holds it.
    pub fn try_write(&self) -> Option<RwLockWriteGuard<'_, T>> {
        let preemption = PreemptionOff::new();
        let guard = self.inner.try_write()?;
        Some(RwLockWriteGuard {
            guard,
            _preemption: preemption,
        })
    }

    /// The value, through exclusive access to the lock itself: no locking.
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut()
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> Self {
        RwLock::new(T::default())
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}
