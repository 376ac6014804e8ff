//! The threads that wait for one CPU, ordered by their [`ReadyKey`].
//!
//! An ordered set of keys (a B-tree) with each thread's [`Entity`] in a
//! map beside it, plus the smallest one kept out of both, as CFS caches
//! its leftmost node. Most queues hold one waiter or none (a pipe or futex
//! pair on a CPU hands the CPU back and forth), so a switch there touches
//! only that slot: no tree search, no node shifting, no hashing. Larger
//! queues keep the tree's logarithmic costs.

use crate::priority::Priority;
use crate::thread_id::{ThreadId, ThreadMap};
use alloc::collections::BTreeSet;

/// A thread's place in the fair queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Entity {
    pub(crate) priority: Priority,
    pub(crate) vruntime: u128,
    /// Queueing order among equal virtual runtimes; fresh on every insert.
    pub(crate) seq: u64,
}

/// Ordering of waiting threads: smallest virtual runtime, then highest
/// priority (smallest nice), then first queued.
pub(crate) type ReadyKey = (u128, i8, u64, ThreadId);

fn key(id: ThreadId, e: &Entity) -> ReadyKey {
    (e.vruntime, e.priority.nice(), e.seq, id)
}

/// Waiting threads with their entities, smallest key first.
#[derive(Debug, Default)]
pub(crate) struct ReadySet {
    /// The thread with the smallest key, if any waits; never in `rest`.
    first: Option<(ThreadId, Entity)>,
    /// Every other waiting thread's key...
    rest: BTreeSet<ReadyKey>,
    /// ... and its entity.
    entities: ThreadMap<Entity>,
}

impl ReadySet {
    /// Adds `id`, which must not be here yet.
    pub(crate) fn insert(&mut self, id: ThreadId, entity: Entity) {
        match self.first {
            None => self.first = Some((id, entity)),
            Some((first, first_entity)) => {
                if key(id, &entity) < key(first, &first_entity) {
                    self.first = Some((id, entity));
                    self.push_rest(first, first_entity);
                } else {
                    self.push_rest(id, entity);
                }
            }
        }
    }

    fn push_rest(&mut self, id: ThreadId, entity: Entity) {
        self.rest.insert(key(id, &entity));
        self.entities.insert(id, entity);
    }

    /// Takes the thread with the smallest key out.
    pub(crate) fn pop_first(&mut self) -> Option<(ThreadId, Entity)> {
        let first = self.first.take()?;
        self.refill_first();
        Some(first)
    }

    /// Moves the smallest of `rest` into the empty `first` slot.
    fn refill_first(&mut self) {
        if let Some((_, _, _, id)) = self.rest.pop_first() {
            // Every key in `rest` has its entity in `entities`.
            self.first = self.entities.remove(&id).map(|e| (id, e));
        }
    }

    /// Takes `id` out, returning its entity; `None` if it is not here.
    pub(crate) fn remove(&mut self, id: ThreadId) -> Option<Entity> {
        match self.first {
            Some((first, entity)) if first == id => {
                self.first = None;
                self.refill_first();
                Some(entity)
            }
            _ => {
                let entity = self.entities.remove(&id)?;
                self.rest.remove(&key(id, &entity));
                Some(entity)
            }
        }
    }

    /// The entity of `id`, if it waits here.
    pub(crate) fn get(&self, id: ThreadId) -> Option<&Entity> {
        match &self.first {
            Some((first, entity)) if *first == id => Some(entity),
            _ => self.entities.get(&id),
        }
    }

    /// Whether `id` waits here.
    pub(crate) fn contains(&self, id: ThreadId) -> bool {
        self.get(id).is_some()
    }

    /// How many threads wait.
    pub(crate) fn len(&self) -> usize {
        usize::from(self.first.is_some()) + self.rest.len()
    }

    /// Whether no thread waits.
    pub(crate) fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    /// The smallest virtual runtime here.
    pub(crate) fn first_vruntime(&self) -> Option<u128> {
        self.first.map(|(_, e)| e.vruntime)
    }

    /// The virtual runtime of the thread with the largest key.
    pub(crate) fn last_vruntime(&self) -> Option<u128> {
        match self.rest.last() {
            Some(last) => Some(last.0),
            None => self.first_vruntime(),
        }
    }

    /// The waiting threads, smallest key first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = ThreadId> + '_ {
        self.first
            .map(|(id, _)| id)
            .into_iter()
            .chain(self.rest.iter().map(|&(_, _, _, id)| id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;
    use proptest::prelude::*;

    fn t(n: u64) -> ThreadId {
        ThreadId(n)
    }

    fn entity(vruntime: u128, nice: i8, seq: u64) -> Entity {
        Entity {
            priority: Priority::from_nice(i32::from(nice)).unwrap(),
            vruntime,
            seq,
        }
    }

    #[test]
    fn a_smaller_newcomer_takes_the_first_slot_and_the_old_first_waits_behind() {
        let mut set = ReadySet::default();
        set.insert(t(1), entity(10, 0, 0));
        set.insert(t(2), entity(5, 0, 1));
        set.insert(t(3), entity(7, 0, 2));
        assert_eq!(set.len(), 3);
        assert!(set.iter().eq([t(2), t(3), t(1)]));
        assert_eq!(
            (set.first_vruntime(), set.last_vruntime()),
            (Some(5), Some(10))
        );
        assert_eq!(set.pop_first().map(|(id, _)| id), Some(t(2)));
        assert_eq!(set.remove(t(3)), Some(entity(7, 0, 2)));
        assert_eq!(set.pop_first().map(|(id, _)| id), Some(t(1)));
        assert!(set.is_empty() && set.pop_first().is_none());
        assert_eq!(set.remove(t(1)), None);
    }

    #[derive(Clone, Debug)]
    enum Op {
        Insert(u64, u8, i8),
        Pop,
        Remove(u64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u64..12, 0u8..4, -2i8..3).prop_map(|(id, v, n)| Op::Insert(id, v, n)),
            Just(Op::Pop),
            (0u64..12).prop_map(Op::Remove),
        ]
    }

    proptest! {
        /// The set behaves as one ordered set of keys holding every entity.
        #[test]
        fn matches_an_ordered_set(ops in proptest::collection::vec(op(), 1..80)) {
            let mut set = ReadySet::default();
            let mut model: Vec<(ReadyKey, Entity)> = Vec::new();
            for (seq, op) in ops.into_iter().enumerate() {
                match op {
                    Op::Insert(id, v, nice) => {
                        if model.iter().any(|(k, _)| k.3 == t(id)) {
                            continue;
                        }
                        let e = entity(u128::from(v), nice, seq as u64);
                        set.insert(t(id), e);
                        model.push((key(t(id), &e), e));
                        model.sort_by_key(|(k, _)| *k);
                    }
                    Op::Pop => {
                        let expected = (!model.is_empty()).then(|| model.remove(0));
                        prop_assert_eq!(set.pop_first(), expected.map(|(k, e)| (k.3, e)));
                    }
                    Op::Remove(id) => {
                        let at = model.iter().position(|(k, _)| k.3 == t(id));
                        let expected = at.map(|i| model.remove(i).1);
                        prop_assert_eq!(set.remove(t(id)), expected);
                    }
                }
                prop_assert_eq!(set.len(), model.len());
                prop_assert!(set.iter().eq(model.iter().map(|(k, _)| k.3)));
                prop_assert_eq!(set.first_vruntime(), model.first().map(|(k, _)| k.0));
                prop_assert_eq!(set.last_vruntime(), model.last().map(|(k, _)| k.0));
                for (k, e) in &model {
                    prop_assert_eq!(set.get(k.3), Some(e));
                }
            }
        }
    }
}
