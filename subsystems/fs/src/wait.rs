//! The hook between state changes in this crate and threads sleeping elsewhere.

/// A queue of sleeping threads, owned by the scheduler crate. Objects that can
/// make a blocked read or write possible (pipes, the serial console) call
/// [`WaitQueue::wake_all`] after every change; the sleeper re-checks readiness
/// and retries the operation, which returns `EAGAIN` again if it still would
/// block.
pub trait WaitQueue: Send + Sync {
    /// Wakes every thread waiting on this queue.
    fn wake_all(&self);
}

/// A wait queue that nobody sleeps on, for objects no one will block on.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoWaiters;

impl WaitQueue for NoWaiters {
    fn wake_all(&self) {}
}
