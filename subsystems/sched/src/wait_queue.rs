//! A FIFO of threads blocked on one event.

use crate::cpu::CpuId;
use crate::thread_id::ThreadId;
use alloc::collections::VecDeque;
use alloc::vec::Vec;

/// Names a wait queue owned by a [`crate::Scheduler`]. Kernel objects (a
/// pipe, a futex bucket, a sleeping mutex) hold the id, not the queue, so
/// that a timeout or an interruption can take a waiter out of its queue
/// inside the scheduler.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WaitQueueId(pub u64);

/// One wait of one thread: the thread, the token of that wait, which no
/// other wait of any thread shares, and the CPU whose share of the
/// scheduler holds the thread while it waits. A waker that took a waiter
/// out and finds its thread no longer in that wait (it timed out, was
/// interrupted, or waits again for something else) leaves it alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Waiter {
    /// The waiting thread.
    pub id: ThreadId,
    /// Its wait's token.
    pub token: u64,
    /// Its home CPU while it waits.
    pub cpu: CpuId,
}

/// The threads waiting on one event, first come first woken.
///
/// Pure data: it neither blocks nor wakes anybody. The [`crate::Scheduler`]
/// changes thread states around these operations.
#[derive(Debug, Default)]
pub struct WaitQueue {
    waiters: VecDeque<Waiter>,
}

impl WaitQueue {
    /// An empty queue.
    pub const fn new() -> Self {
        WaitQueue {
            waiters: VecDeque::new(),
        }
    }

    /// Appends `waiter`, which will be woken after every thread already
    /// waiting.
    pub fn push(&mut self, waiter: Waiter) {
        self.waiters.push_back(waiter);
    }

    /// Takes the longest-waiting thread (wake-one).
    pub fn pop(&mut self) -> Option<Waiter> {
        self.waiters.pop_front()
    }

    /// Takes `waiter` out wherever it is (its wait timed out or was
    /// interrupted); returns whether it was there. O(n), and queues are
    /// short; a waiter that ends its wait is most often the first.
    pub fn remove(&mut self, waiter: Waiter) -> bool {
        match self.waiters.iter().position(|&w| w == waiter) {
            Some(at) => {
                self.waiters.remove(at);
                true
            }
            None => false,
        }
    }

    /// Whether thread `id` is waiting here.
    pub fn contains(&self, id: ThreadId) -> bool {
        self.waiters.iter().any(|w| w.id == id)
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
    pub fn iter(&self) -> impl Iterator<Item = Waiter> + '_ {
        self.waiters.iter().copied()
    }
}

/// Every wait queue of a scheduler, by slot: a lookup is an index, not a
/// search, on every block and wake.
///
/// An id packs the slot (low 32 bits) and the slot's generation (high 32
/// bits), which a destroy advances: an id kept past its queue's end (a
/// waiter's record, a stale handle) names nothing rather than the slot's
/// next queue.
#[derive(Debug, Default)]
pub(crate) struct WaitQueues {
    slots: Vec<Slot>,
    /// Slots whose queue was destroyed, reused last-freed first.
    free: Vec<u32>,
}

#[derive(Debug, Default)]
struct Slot {
    generation: u32,
    queue: Option<WaitQueue>,
}

impl WaitQueues {
    /// No queues.
    pub(crate) const fn new() -> Self {
        WaitQueues {
            slots: Vec::new(),
            free: Vec::new(),
        }
    }

    /// A new empty queue's id.
    pub(crate) fn create(&mut self) -> WaitQueueId {
        let index = match self.free.pop() {
            Some(index) => index,
            None => {
                self.slots.push(Slot::default());
                u32::try_from(self.slots.len() - 1).expect("fewer than 2^32 wait queues")
            }
        };
        let slot = &mut self.slots[index as usize];
        slot.queue = Some(WaitQueue::new());
        WaitQueueId(u64::from(slot.generation) << 32 | u64::from(index))
    }

    fn slot(&self, id: WaitQueueId) -> Option<&Slot> {
        let slot = self.slots.get(id.0 as u32 as usize)?;
        (slot.generation == (id.0 >> 32) as u32).then_some(slot)
    }

    /// The queue `id` names, if it still exists.
    pub(crate) fn get(&self, id: WaitQueueId) -> Option<&WaitQueue> {
        self.slot(id)?.queue.as_ref()
    }

    /// The queue `id` names, if it still exists.
    pub(crate) fn get_mut(&mut self, id: WaitQueueId) -> Option<&mut WaitQueue> {
        let slot = self.slots.get_mut(id.0 as u32 as usize)?;
        if slot.generation != (id.0 >> 32) as u32 {
            return None;
        }
        slot.queue.as_mut()
    }

    /// Ends queue `id` and frees its slot; whether it existed.
    pub(crate) fn remove(&mut self, id: WaitQueueId) -> bool {
        if self.get(id).is_none() {
            return false;
        }
        let index = id.0 as u32;
        let slot = &mut self.slots[index as usize];
        slot.queue = None;
        slot.generation = slot.generation.wrapping_add(1);
        self.free.push(index);
        true
    }

    /// Every queue that exists (for the scheduler's invariant checks).
    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl Iterator<Item = &WaitQueue> + '_ {
        self.slots.iter().filter_map(|slot| slot.queue.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_destroyed_queue_id_never_names_the_next_queue_in_its_slot() {
        let mut queues = WaitQueues::new();
        let a = queues.create();
        let b = queues.create();
        queues.get_mut(a).unwrap().push(w(7, 1));
        assert!(queues.remove(a));
        assert!(!queues.remove(a));
        let c = queues.create();
        // `c` reuses `a`'s slot, under a new generation.
        assert_eq!(c.0 as u32, a.0 as u32);
        assert_ne!(c, a);
        assert!(queues.get(a).is_none());
        assert!(queues.get_mut(a).is_none());
        assert!(queues.get(c).is_some_and(WaitQueue::is_empty));
        assert!(queues.get(b).is_some());
        assert_eq!(queues.iter().count(), 2);
        // An id past every slot names nothing either.
        assert!(queues.get(WaitQueueId(1_000)).is_none());
    }

    fn w(id: u64, token: u64) -> Waiter {
        Waiter {
            id: ThreadId(id),
            token,
            cpu: CpuId::BSP,
        }
    }

    #[test]
    fn waiters_are_woken_first_come_first_served() {
        let mut q = WaitQueue::new();
        q.push(w(3, 1));
        q.push(w(1, 2));
        q.push(w(2, 3));
        assert_eq!(q.pop(), Some(w(3, 1)));
        assert_eq!(q.pop(), Some(w(1, 2)));
        assert_eq!(q.pop(), Some(w(2, 3)));
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn removed_waiter_is_never_woken() {
        let mut q = WaitQueue::new();
        q.push(w(1, 1));
        q.push(w(2, 2));
        assert!(!q.remove(w(1, 9)), "another wait of the same thread");
        assert!(q.remove(w(1, 1)));
        assert!(!q.remove(w(1, 1)));
        assert!(q.contains(ThreadId(2)));
        assert_eq!(q.pop(), Some(w(2, 2)));
        assert!(q.is_empty());
    }
}
