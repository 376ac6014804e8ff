//! The hook between state changes in this crate and threads sleeping elsewhere.

use alloc::sync::Weak;

use abi::{Errno, KernelResult};

/// A queue of sleeping threads, owned by the scheduler. Objects that can
/// make a blocked read or write possible (pipes, the serial console) call
/// [`WaitQueue::wake_all`] after every change; the sleeper re-checks readiness
/// and retries the operation, which returns `EAGAIN` again if it still would
/// block.
///
/// A sleeper avoids the lost wake-up (the change lands between its failed
/// attempt and its sleep) with the event count: read
/// [`WaitQueue::event_count`] *before* the attempt, then
/// [`WaitQueue::wait_for_event`] sleeps only if no wake happened since.
pub trait WaitQueue: Send + Sync {
    /// Wakes every thread waiting on this queue.
    fn wake_all(&self);

    /// [`WaitQueue::wake_all`] for a caller likely to sleep next (Linux's
    /// sync wake-up): a pipe's reader woken by a write, whose writer
    /// usually goes on to wait for the answer. The kernel may then run a
    /// woken thread on the caller's CPU rather than wake another CPU.
    /// The default is [`WaitQueue::wake_all`].
    fn wake_all_sync(&self) {
        self.wake_all();
    }

    /// How many wakes have happened so far. A queue nobody can sleep on
    /// always says 0.
    fn event_count(&self) -> u64 {
        0
    }

    /// Sleeps until a wake after `seen` (from [`WaitQueue::event_count`]).
    /// `EINTR` if a signal cut the sleep short (when `interruptible`); the
    /// default, for queues nobody can sleep on, is `EAGAIN`: the caller
    /// cannot block and reports would-block instead.
    fn wait_for_event(&self, seen: u64, interruptible: bool) -> KernelResult<()> {
        let _ = (seen, interruptible);
        Err(Errno::EAGAIN)
    }

    /// As [`WaitQueue::wait_for_event`], but also ends (with `Ok`) at the
    /// monotonic time `deadline_ns`; the caller looks at the clock to tell
    /// a timeout from a wake. The default, for queues without timers,
    /// ignores the deadline.
    fn wait_for_event_until(
        &self,
        seen: u64,
        interruptible: bool,
        deadline_ns: Option<u64>,
    ) -> KernelResult<()> {
        let _ = deadline_ns;
        self.wait_for_event(seen, interruptible)
    }

    /// From now on, every wake of this queue also wakes `listener`, until
    /// [`WaitQueue::remove_listener`] (or the listener is gone: it is held
    /// weakly). `poll`, `select` and `epoll` watch many queues through one
    /// of their own this way. The default keeps no listeners: a queue
    /// nobody sleeps on is never woken.
    fn add_listener(&self, listener: Weak<dyn WaitQueue>) {
        let _ = listener;
    }

    /// Stops waking `listener` (compared by address).
    fn remove_listener(&self, listener: &Weak<dyn WaitQueue>) {
        let _ = listener;
    }
}

/// A wait queue that nobody sleeps on, for objects no one will block on.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoWaiters;

impl WaitQueue for NoWaiters {
    fn wake_all(&self) {}
}
