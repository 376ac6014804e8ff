//! A FIFO of threads blocked on one event.

use crate::thread_id::ThreadId;
use alloc::collections::VecDeque;

/// Names a wait queue owned by a [`crate::Scheduler`]. Kernel objects (a
/// pipe, a futex bucket, a sleeping mutex) hold the id, not the queue, so
/// that a timeout or an interruption can take a waiter out of its queue under
/// the scheduler's lock alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WaitQueueId(pub u64);

/// The threads waiting on one event, first come first woken.
///
/// Pure data: it neither blocks nor wakes anybody. The [`crate::Scheduler`]
/// changes thread states around these operations.
#[derive(Debug, Default)]
pub struct WaitQueue {
    waiters: VecDeque<ThreadId>,
}

impl WaitQueue {
    /// An empty queue.
    pub const fn new() -> Self {
        WaitQueue {
            waiters: VecDeque::new(),
        }
    }

    /// Appends `id`, which will be woken after every thread already waiting.
    pub fn push(&mut self, id: ThreadId) {
        self.waiters.push_back(id);
    }

    /// Takes the longest-waiting thread (wake-one).
    pub fn pop(&mut self) -> Option<ThreadId> {
        self.waiters.pop_front()
    }

    /// Takes `id` out wherever it is (its wait timed out or was interrupted);
    /// returns whether it was there. O(n), and queues are short.
    pub fn remove(&mut self, id: ThreadId) -> bool {
        match self.waiters.iter().position(|&w| w == id) {
            Some(at) => {
                self.waiters.remove(at);
                true
            }
            None => false,
        }
    }

    /// Whether `id` is waiting here.
    pub fn contains(&self, id: ThreadId) -> bool {
        self.waiters.contains(&id)
    }

    /// How many threads wait.
    pub fn len(&self) -> usize {
        self.waiters.len()
    }

    /// Whether nobody waits.
    pub fn is_empty(&self) -> bool {
        self.waiters.is_empty()
    }

    /// The waiters, first to be woken first.
    pub fn iter(&self) -> impl Iterator<Item = ThreadId> + '_ {
        self.waiters.iter().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiters_are_woken_first_come_first_served() {
        let mut q = WaitQueue::new();
        q.push(ThreadId(3));
        q.push(ThreadId(1));
        q.push(ThreadId(2));
        assert_eq!(q.pop(), Some(ThreadId(3)));
        assert_eq!(q.pop(), Some(ThreadId(1)));
        assert_eq!(q.pop(), Some(ThreadId(2)));
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn removed_waiter_is_never_woken() {
        let mut q = WaitQueue::new();
        q.push(ThreadId(1));
        q.push(ThreadId(2));
        assert!(q.remove(ThreadId(1)));
        assert!(!q.remove(ThreadId(1)));
        assert_eq!(q.pop(), Some(ThreadId(2)));
        assert!(q.is_empty());
    }
}
