//! The handle by which the scheduler names a thread.

use core::fmt;

/// A thread as the scheduler knows it: an opaque number chosen by the kernel.
///
/// The scheduler stores ids, never thread objects: the kernel keeps the map
/// from id to its thread structure (kernel stack, FPU area, registers), so
/// this crate needs no lifetimes, reference counts or generics over the
/// kernel's types. The kernel usually uses the Linux tid, widened to `u64`.
/// Ids must be unique among threads the scheduler currently knows; an id may
/// be reused once [`crate::Scheduler::take_finalizable`] has released it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ThreadId(pub u64);

impl fmt::Display for ThreadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "thread {}", self.0)
    }
}
