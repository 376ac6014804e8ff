//! A spinlock that keeps interrupts off on this CPU while it is held.

use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};

/// Switching interrupts off and on for the current CPU: the one seam to the
/// hardware (`arch` implements it with `pushfq; cli` and `sti`).
pub trait InterruptControl {
    /// Disables interrupts on this CPU and returns whether they were enabled.
    fn disable() -> bool;
    /// Enables interrupts again if `was_enabled`; otherwise leaves them off.
    fn restore(was_enabled: bool);
    /// Called on every turn of a lock's spin, with interrupts off: the
    /// place to answer requests from other CPUs that cannot wait (a TLB
    /// shootdown whose sender may hold the lock being waited for).
    fn relax() {}
}

/// Interrupt control that does nothing: for host tests and simulations
/// that drive a [`crate::Scheduler`] without interrupts. A kernel must use
/// one that really turns them off.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoInterrupts;

impl InterruptControl for NoInterrupts {
    fn disable() -> bool {
        false
    }

    fn restore(_was_enabled: bool) {}
}

/// Interrupts off on this CPU until dropped (then restored as they were):
/// for work that must not be interrupted between two locks.
pub(crate) struct InterruptsOff<I: InterruptControl> {
    was_enabled: bool,
    _interrupts: PhantomData<fn() -> I>,
}

impl<I: InterruptControl> InterruptsOff<I> {
    /// Turns interrupts off.
    pub(crate) fn new() -> Self {
        InterruptsOff {
            was_enabled: I::disable(),
            _interrupts: PhantomData,
        }
    }
}

impl<I: InterruptControl> Drop for InterruptsOff<I> {
    fn drop(&mut self) {
        I::restore(self.was_enabled);
    }
}

/// A spinlock whose holder cannot be interrupted on its own CPU, so an
/// interrupt handler that takes the same lock can never deadlock against the
/// code it interrupted. Use it for anything interrupt handlers touch (the
/// [`crate::Scheduler`], wait-queue owners, the timer state); the data lives
/// inside the lock.
///
/// Interrupts go off *before* spinning and come back (if they were on) only
/// after the unlock, and nested guards restore in reverse order, so the
/// outermost release re-enables them.
pub struct IrqSpinLock<T, I: InterruptControl> {
    inner: spin::Mutex<T>,
    _interrupts: PhantomData<fn() -> I>,
}

impl<T, I: InterruptControl> IrqSpinLock<T, I> {
    /// A lock around `value`.
    pub const fn new(value: T) -> Self {
        IrqSpinLock {
            inner: spin::Mutex::new(value),
            _interrupts: PhantomData,
        }
    }

    /// Disables interrupts, then spins until the lock is free.
    #[inline]
    pub fn lock(&self) -> IrqSpinLockGuard<'_, T, I> {
        let was_enabled = I::disable();
        let guard = match self.inner.try_lock() {
            Some(guard) => guard,
            None => self.lock_contended(),
        };
        IrqSpinLockGuard {
            guard: Some(guard),
            was_enabled,
            _interrupts: PhantomData,
        }
    }

    /// The spin, out of the uncontended path.
    #[cold]
    fn lock_contended(&self) -> spin::MutexGuard<'_, T> {
        loop {
            while self.inner.is_locked() {
                I::relax();
                core::hint::spin_loop();
            }
            if let Some(guard) = self.inner.try_lock() {
                return guard;
            }
        }
    }

    /// Takes the lock if it is free; interrupts are as before on failure.
    pub fn try_lock(&self) -> Option<IrqSpinLockGuard<'_, T, I>> {
        let was_enabled = I::disable();
        match self.inner.try_lock() {
            Some(guard) => Some(IrqSpinLockGuard {
                guard: Some(guard),
                was_enabled,
                _interrupts: PhantomData,
            }),
            None => {
                I::restore(was_enabled);
                None
            }
        }
    }

    /// Whether someone holds the lock (a hint: it may change at once).
    pub fn is_locked(&self) -> bool {
        self.inner.is_locked()
    }

    /// The value, through exclusive access (no locking needed).
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut()
    }

    /// The value, consuming the lock.
    pub fn into_inner(self) -> T {
        self.inner.into_inner()
    }
}

/// Access to the data of an [`IrqSpinLock`]; dropping it unlocks, then
/// restores interrupts.
pub struct IrqSpinLockGuard<'a, T, I: InterruptControl> {
    /// Always `Some` until `drop` takes it to unlock before restoring.
    guard: Option<spin::MutexGuard<'a, T>>,
    was_enabled: bool,
    _interrupts: PhantomData<fn() -> I>,
}

impl<T, I: InterruptControl> Deref for IrqSpinLockGuard<'_, T, I> {
    type Target = T;
    fn deref(&self) -> &T {
        match &self.guard {
            Some(guard) => guard,
            // `guard` is only taken in `drop`.
            None => unreachable!("guard used after drop"),
        }
    }
}

impl<T, I: InterruptControl> DerefMut for IrqSpinLockGuard<'_, T, I> {
    fn deref_mut(&mut self) -> &mut T {
        match &mut self.guard {
            Some(guard) => guard,
            None => unreachable!("guard used after drop"),
        }
    }
}

impl<T, I: InterruptControl> Drop for IrqSpinLockGuard<'_, T, I> {
    fn drop(&mut self) {
        // Unlock first: an interrupt arriving right after `restore` may
        // want this lock.
        drop(self.guard.take());
        I::restore(self.was_enabled);
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::cell::Cell;

    std::thread_local! {
        static ENABLED: Cell<bool> = const { Cell::new(true) };
    }

    /// A CPU's interrupt flag, one per test thread.
    struct FakeCpu;

    impl InterruptControl for FakeCpu {
        fn disable() -> bool {
            ENABLED.with(|e| e.replace(false))
        }
        fn restore(was_enabled: bool) {
            if was_enabled {
                ENABLED.with(|e| e.set(true));
            }
        }
    }

    fn enabled() -> bool {
        ENABLED.with(Cell::get)
    }

    #[test]
    fn interrupts_are_off_exactly_while_held() {
        let lock: IrqSpinLock<u32, FakeCpu> = IrqSpinLock::new(1);
        assert!(enabled());
        {
            let mut guard = lock.lock();
            *guard += 1;
            assert!(!enabled());
            assert!(lock.is_locked());
        }
        assert!(enabled());
        assert!(!lock.is_locked());
        assert_eq!(*lock.lock(), 2);
    }

    #[test]
    fn nested_locks_reenable_only_at_the_outermost_release() {
        let a: IrqSpinLock<(), FakeCpu> = IrqSpinLock::new(());
        let b: IrqSpinLock<(), FakeCpu> = IrqSpinLock::new(());
        let outer = a.lock();
        let inner = b.lock();
        drop(inner);
        assert!(!enabled(), "still inside the outer lock");
        drop(outer);
        assert!(enabled());
    }

    #[test]
    fn failed_try_lock_restores_interrupts() {
        let lock: IrqSpinLock<(), FakeCpu> = IrqSpinLock::new(());
        let held = lock.lock();
        // Pretend another CPU holds it: from here interrupts were off.
        assert!(lock.try_lock().is_none());
        assert!(!enabled());
        drop(held);
        assert!(enabled());
        assert!(lock.try_lock().is_some());
        assert!(enabled());
    }
}
