//! Spin locks that keep their holder on its CPU.
//!
//! A kernel that preempts kernel code must not switch away from a thread
//! that holds a spin lock: every other CPU that wants the lock would spin
//! through the holder's whole time off the CPU, and a thread that then
//! runs on the holder's own CPU and wants the lock would spin forever if
//! the holder cannot come back (Linux's `spin_lock` disables preemption
//! for this reason). [`Mutex`] and [`RwLock`] are `spin`'s locks with that
//! rule added: while a guard lives, preemption is off on the holder's CPU.
//!
//! This crate owns the rule, not the mechanism. A reuser whose kernel
//! preempts kernel code fills in [`PreemptionHooks`] (typically a
//! per-CPU count, with a preemption the timer deferred carried out when
//! the count returns to zero) and installs them once with
//! [`set_preemption_hooks`]. Until then, and in host tests, the locks
//! are plain spin locks. Every subsystem crate takes its spin locks from
//! here, so no lock of any crate can be held by a preempted thread.
//!
//! Locks that interrupt handlers also take are not this crate's business:
//! they keep interrupts off while held (the kernel's `IrqMutex`), which
//! already keeps the holder on its CPU.

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod mutex;
mod preemption;
mod rwlock;

pub use mutex::{Mutex, MutexGuard};
pub use preemption::{PreemptionHooks, set_preemption_hooks};
pub use rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};
