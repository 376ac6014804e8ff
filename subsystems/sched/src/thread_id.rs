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

/// A map keyed by [`ThreadId`]: the scheduler looks a thread up on every
/// block, wake and switch, so a hash table (ids are a counter; one
/// multiplication spreads them) rather than an ordered tree.
pub(crate) type ThreadMap<V> = hashbrown::HashMap<ThreadId, V, BuildIdHasher>;

/// Builds [`IdHasher`]s.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct BuildIdHasher;

impl core::hash::BuildHasher for BuildIdHasher {
    type Hasher = IdHasher;

    fn build_hasher(&self) -> IdHasher {
        IdHasher(0)
    }
}

/// Fibonacci hashing of a `u64` id: the multiplication by 2^64 / phi
/// carries every bit of the id into the high bits the table's tags use.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct IdHasher(u64);

impl core::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write_u64(&mut self, id: u64) {
        self.0 = (self.0 ^ id).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(u64::from(byte));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_map_finds_what_it_holds_across_growth_and_removal() {
        let mut map: ThreadMap<u64> = ThreadMap::default();
        for id in 1..=1_000u64 {
            map.insert(ThreadId(id), id * 2);
        }
        for id in (1..=1_000u64).step_by(2) {
            assert_eq!(map.remove(&ThreadId(id)), Some(id * 2));
        }
        assert_eq!(map.len(), 500);
        assert_eq!(map.get(&ThreadId(10)), Some(&20));
        assert_eq!(map.get(&ThreadId(11)), None);
    }

    #[test]
    fn consecutive_ids_differ_in_the_high_bits() {
        use core::hash::BuildHasher;
        let tag = |id: u64| BuildIdHasher.hash_one(ThreadId(id)) >> 57;
        let tags: alloc::collections::BTreeSet<u64> = (0..64).map(tag).collect();
        assert!(tags.len() > 32, "{} distinct tags", tags.len());
    }
}
