//! Wait queues with an event count.
//!
//! The classic lost wake-up: a thread checks a condition (pipe empty),
//! another changes it and wakes the queue, then the first goes to sleep and
//! never wakes. The event count closes the gap: read [`WaitQueue::sequence`]
//! before checking the condition, and [`WaitQueue::wait_since`] sleeps only
//! if no wake happened since: the count is checked once the thread is in
//! the queue, where a wake that moved the count after the check finds it
//! (a queue counts its sleepers, so a wake of an empty queue is two atomic
//! operations).

use alloc::sync::Weak;
use alloc::vec::Vec;
use arch::sync::IrqMutex;
use core::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};

use abi::{Errno, KernelResult};
use sched::{WaitQueueId, WakeReason};

use super::core::{InterruptsOff, block_on, with_scheduler};

/// Threads waiting for something.
pub struct WaitQueue {
    id: WaitQueueId,
    sequence: AtomicU64,
    /// Threads inside [`WaitQueue::wait_since`]: a wake that finds none
    /// (and no listeners) has nobody to wake and takes no scheduler lock.
    sleepers: AtomicU32,
    /// Queues woken with this one (`poll`, `epoll`): see
    /// [`fs::WaitQueue::add_listener`]. Interrupt-safe: interrupt handlers
    /// wake queues.
    listeners: IrqMutex<Vec<Weak<dyn fs::WaitQueue>>>,
    /// How many `listeners` there are, read without their lock.
    listener_count: AtomicUsize,
}

impl WaitQueue {
    /// A new, empty queue.
    pub fn new() -> Self {
        let _off = InterruptsOff::new();
        Self {
            id: with_scheduler(super::core::Scheduler::create_wait_queue),
            sequence: AtomicU64::new(0),
            sleepers: AtomicU32::new(0),
            listeners: IrqMutex::new(Vec::new()),
            listener_count: AtomicUsize::new(0),
        }
    }

    /// The event count: read it before checking the condition.
    pub fn sequence(&self) -> u64 {
        self.sequence.load(Ordering::SeqCst)
    }

    /// Sleeps unless the queue was woken since `seen` (from
    /// [`WaitQueue::sequence`]). `deadline` is monotonic ns.
    pub fn wait_since(&self, seen: u64, interruptible: bool, deadline: Option<u64>) -> WakeReason {
        // Counted before the check, which comes once the thread is in the
        // queue: a wake either moved the count before the check (no
        // sleep) or sees this sleeper (see `has_nobody_to_wake`) and takes
        // it out of the queue to wake it.
        self.sleepers.fetch_add(1, Ordering::SeqCst);
        let reason = block_on(self.id, interruptible, deadline, || {
            self.sequence.load(Ordering::SeqCst) == seen
        });
        self.sleepers.fetch_sub(1, Ordering::SeqCst);
        reason
    }

    /// Counts the event, then whether nobody sleeps here or listens: a
    /// sleeper counted itself before it checked the count, so one not
    /// seen here will see the new count and not sleep.
    fn has_nobody_to_wake(&self) -> bool {
        self.sequence.fetch_add(1, Ordering::SeqCst);
        self.sleepers.load(Ordering::SeqCst) == 0 && self.listener_count.load(Ordering::SeqCst) == 0
    }

    /// Sleeps until `condition` holds: `EINTR` if interrupted (when
    /// `interruptible`), `ETIMEDOUT` past `deadline`.
    pub fn wait_until(
        &self,
        interruptible: bool,
        deadline: Option<u64>,
        mut condition: impl FnMut() -> bool,
    ) -> KernelResult<()> {
        loop {
            let seen = self.sequence();
            if condition() {
                return Ok(());
            }
            match self.wait_since(seen, interruptible, deadline) {
                WakeReason::Woken => {}
                WakeReason::Interrupted => return Err(Errno::EINTR),
                WakeReason::TimedOut => return Err(Errno::ETIMEDOUT),
            }
        }
    }

    /// Wakes every waiter, and the listeners.
    #[inline]
    pub fn wake_all(&self) {
        self.wake_all_from(None);
    }

    /// [`WaitQueue::wake_all`] for a caller about to sleep or exit: a
    /// woken thread may take this CPU (the scheduler's sync wake-up).
    #[inline]
    pub fn wake_all_sync(&self) {
        self.wake_all_from(Some(super::core::this_cpu()));
    }

    /// Wakes every waiter; `waker`: the CPU of a sync wake-up. Most wakes
    /// find nobody (a pipe written with no reader asleep, a signal nobody
    /// waits for): that test is inlined into the caller, the rest is not,
    /// so it costs no stack frame.
    #[inline(always)]
    fn wake_all_from(&self, waker: Option<sched::CpuId>) {
        if self.has_nobody_to_wake() {
            return;
        }
        self.wake_all_waiting(waker);
    }

    /// [`WaitQueue::wake_all_from`] once someone waits or listens.
    #[inline(never)]
    fn wake_all_waiting(&self, waker: Option<sched::CpuId>) {
        let _off = InterruptsOff::new();
        let now = crate::time::now_ns();
        with_scheduler(|s| {
            let _ = match waker {
                Some(cpu) => s.wake_all_sync(self.id, cpu, now),
                None => s.wake_all(self.id, now),
            };
        });
        self.wake_listeners();
    }

    /// Wakes the listening queues (outside the scheduler lock, which their
    /// own wakes take); ones that went away are dropped. Listeners never
    /// form a cycle (epoll refuses one), so holding this queue's list while
    /// waking another's is safe.
    fn wake_listeners(&self) {
        // Most queues have none (only poll and epoll listen): no lock.
        if self.listener_count.load(Ordering::SeqCst) == 0 {
            return;
        }
        let mut listeners = self.listeners.lock();
        listeners.retain(|listener| match listener.upgrade() {
            Some(listener) => {
                listener.wake_all();
                true
            }
            None => false,
        });
        self.listener_count.store(listeners.len(), Ordering::SeqCst);
    }

    /// Wakes up to `count` waiters, longest first; returns how many woke.
    #[inline]
    pub fn wake(&self, count: usize) -> usize {
        if self.has_nobody_to_wake() {
            return 0;
        }
        self.wake_waiting(count)
    }

    /// [`WaitQueue::wake`] once someone waits or listens (out of line, as
    /// in `wake_all_from`).
    #[inline(never)]
    fn wake_waiting(&self, count: usize) -> usize {
        let _off = InterruptsOff::new();
        let now = crate::time::now_ns();
        let woken = with_scheduler(|s| {
            let mut woken = 0;
            while woken < count && matches!(s.wake_one(self.id, now), Ok(Some(_))) {
                woken += 1;
            }
            woken
        });
        self.wake_listeners();
        woken
    }

    /// Wakes the longest waiter.
    #[inline]
    pub fn wake_one(&self) {
        if self.has_nobody_to_wake() {
            return;
        }
        self.wake_one_waiting();
    }

    /// [`WaitQueue::wake_one`] once someone waits or listens.
    #[inline(never)]
    fn wake_one_waiting(&self) {
        let _off = InterruptsOff::new();
        let now = crate::time::now_ns();
        with_scheduler(|s| {
            let _ = s.wake_one(self.id, now);
        });
        self.wake_listeners();
    }
}

impl core::fmt::Debug for WaitQueue {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("WaitQueue")
            .field("id", &self.id)
            .field("sequence", &self.sequence())
            .finish_non_exhaustive()
    }
}

impl Default for WaitQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for WaitQueue {
    fn drop(&mut self) {
        let _off = InterruptsOff::new();
        with_scheduler(|s| {
            let _ = s.destroy_wait_queue(self.id);
        });
    }
}

impl fs::WaitQueue for WaitQueue {
    fn wake_all(&self) {
        WaitQueue::wake_all(self);
    }

    fn wake_all_sync(&self) {
        WaitQueue::wake_all_sync(self);
    }

    fn event_count(&self) -> u64 {
        self.sequence()
    }

    fn wait_for_event(&self, seen: u64, interruptible: bool) -> KernelResult<()> {
        fs::WaitQueue::wait_for_event_until(self, seen, interruptible, None)
    }

    fn wait_for_event_until(
        &self,
        seen: u64,
        interruptible: bool,
        deadline_ns: Option<u64>,
    ) -> KernelResult<()> {
        match self.wait_since(seen, interruptible, deadline_ns) {
            WakeReason::Interrupted => Err(Errno::EINTR),
            WakeReason::Woken | WakeReason::TimedOut => Ok(()),
        }
    }

    fn add_listener(&self, listener: Weak<dyn fs::WaitQueue>) {
        let mut listeners = self.listeners.lock();
        listeners.push(listener);
        self.listener_count.store(listeners.len(), Ordering::SeqCst);
    }

    fn remove_listener(&self, listener: &Weak<dyn fs::WaitQueue>) {
        let mut listeners = self.listeners.lock();
        listeners.retain(|other| !Weak::ptr_eq(other, listener));
        self.listener_count.store(listeners.len(), Ordering::SeqCst);
    }
}

impl syscall::EventQueue for WaitQueue {
    fn sequence(&self) -> u64 {
        WaitQueue::sequence(self)
    }

    fn wait_since(&self, seen: u64, interruptible: bool, deadline: Option<u64>) -> WakeReason {
        WaitQueue::wait_since(self, seen, interruptible, deadline)
    }

    fn wake_all(&self) {
        WaitQueue::wake_all(self);
    }

    fn wake_all_sync(&self) {
        WaitQueue::wake_all_sync(self);
    }

    fn wake(&self, count: usize) -> usize {
        WaitQueue::wake(self, count)
    }
}
