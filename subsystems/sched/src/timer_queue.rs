//! Deadlines on the monotonic clock and the events due at them.

use alloc::collections::BTreeMap;

/// A handle to one armed timer, for cancelling it. Handles are never reused
/// within one queue, so a stale handle cannot cancel someone else's timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimerId(u64);

/// Events due at deadlines (monotonic nanoseconds), earliest first; equal
/// deadlines fire in the order they were armed.
///
/// Arming, cancelling and expiring one timer are O(log n): the queue keeps
/// one ordered map by `(deadline, id)` and one by id, so cancellation
/// removes the entry at once instead of leaving a tombstone.
#[derive(Debug)]
pub struct TimerQueue<E> {
    by_deadline: BTreeMap<(u64, TimerId), E>,
    deadline_of: BTreeMap<TimerId, u64>,
    next_id: u64,
}

impl<E> Default for TimerQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> TimerQueue<E> {
    /// An empty queue.
    pub const fn new() -> Self {
        TimerQueue {
            by_deadline: BTreeMap::new(),
            deadline_of: BTreeMap::new(),
            next_id: 0,
        }
    }

    /// Arms a timer that yields `event` once the clock reaches `deadline`.
    pub fn arm(&mut self, deadline: u64, event: E) -> TimerId {
        let id = TimerId(self.next_id);
        // 2^64 arms would take centuries at one per nanosecond.
        self.next_id = self.next_id.wrapping_add(1);
        self.by_deadline.insert((deadline, id), event);
        self.deadline_of.insert(id, deadline);
        id
    }

    /// Disarms `id` and returns its event, or `None` if it already fired or
    /// was cancelled.
    pub fn cancel(&mut self, id: TimerId) -> Option<E> {
        let deadline = self.deadline_of.remove(&id)?;
        self.by_deadline.remove(&(deadline, id))
    }

    /// The deadline of `id`, if it is still armed.
    pub fn deadline(&self, id: TimerId) -> Option<u64> {
        self.deadline_of.get(&id).copied()
    }

    /// The event `id` will yield, if it is still armed.
    pub fn event(&self, id: TimerId) -> Option<&E> {
        let deadline = self.deadline_of.get(&id)?;
        self.by_deadline.get(&(*deadline, id))
    }

    /// The earliest armed deadline: when a one-shot timer interrupt is next
    /// needed.
    pub fn next_deadline(&self) -> Option<u64> {
        self.by_deadline
            .keys()
            .next()
            .map(|&(deadline, _)| deadline)
    }

    /// Removes and returns the earliest event if it is due at `now`.
    pub fn pop_expired(&mut self, now: u64) -> Option<(TimerId, E)> {
        let entry = self.by_deadline.first_entry()?;
        let (deadline, id) = *entry.key();
        if deadline > now {
            return None;
        }
        let event = entry.remove();
        self.deadline_of.remove(&id);
        Some((id, event))
    }

    /// Every event due at `now`, earliest first, each removed as the
    /// iterator reaches it (events it does not reach stay armed).
    pub fn expire(&mut self, now: u64) -> impl Iterator<Item = (TimerId, E)> + '_ {
        core::iter::from_fn(move || self.pop_expired(now))
    }

    /// How many timers are armed.
    pub fn len(&self) -> usize {
        self.deadline_of.len()
    }

    /// Whether no timer is armed.
    pub fn is_empty(&self) -> bool {
        self.deadline_of.is_empty()
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use alloc::vec::Vec;
    use proptest::prelude::*;

    #[test]
    fn cancelled_timer_never_fires() {
        let mut q = TimerQueue::new();
        let a = q.arm(100, "a");
        let b = q.arm(50, "b");
        assert_eq!(q.cancel(b), Some("b"));
        assert_eq!(q.cancel(b), None, "second cancel is a no-op");
        let fired: Vec<_> = q.expire(1_000).map(|(_, e)| e).collect();
        assert_eq!(fired, ["a"]);
        assert_eq!(q.cancel(a), None, "cannot cancel a fired timer");
    }

    #[test]
    fn events_fire_in_deadline_then_arming_order() {
        let mut q = TimerQueue::new();
        q.arm(30, 1);
        q.arm(10, 2);
        q.arm(30, 3);
        q.arm(20, 4);
        assert_eq!(q.next_deadline(), Some(10));
        let fired: Vec<_> = q.expire(30).map(|(_, e)| e).collect();
        assert_eq!(fired, [2, 4, 1, 3]);
        assert!(q.is_empty());
    }

    #[test]
    fn future_deadlines_stay_armed() {
        let mut q = TimerQueue::new();
        q.arm(10, 'x');
        q.arm(11, 'y');
        assert_eq!(q.expire(10).count(), 1);
        assert_eq!(q.next_deadline(), Some(11));
        assert_eq!(q.len(), 1);
    }

    proptest! {
        #[test]
        fn expiry_yields_exactly_the_due_uncancelled_timers(
            deadlines in proptest::collection::vec(0u64..1000, 0..50),
            cancel_mask in proptest::collection::vec(any::<bool>(), 50),
            now in 0u64..1000,
        ) {
            let mut q = TimerQueue::new();
            let ids: Vec<_> = deadlines.iter().enumerate().map(|(i, &d)| q.arm(d, i)).collect();
            for (i, id) in ids.iter().enumerate() {
                if cancel_mask[i] {
                    q.cancel(*id);
                }
            }
            let fired: Vec<usize> = q.expire(now).map(|(_, e)| e).collect();
            let mut expected: Vec<usize> = (0..deadlines.len())
                .filter(|&i| !cancel_mask[i] && deadlines[i] <= now)
                .collect();
            expected.sort_by_key(|&i| (deadlines[i], i));
            prop_assert_eq!(fired, expected);
            prop_assert!(q.next_deadline().is_none_or(|d| d > now));
        }
    }
}
