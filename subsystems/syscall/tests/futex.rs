//! `futex` as threads see it: value checks, timeouts on each clock,
//! interruption, argument errors, and a table that keeps nothing once
//! nobody waits.

use crate::common::*;
use abi::{Errno, Sysno, Timespec};

const FUTEX_WAIT: u64 = 0;
const FUTEX_WAKE: u64 = 1;
const FUTEX_REQUEUE: u64 = 3;
const FUTEX_CMP_REQUEUE: u64 = 4;
const FUTEX_WAIT_BITSET: u64 = 9;
const FUTEX_WAKE_BITSET: u64 = 10;
const FUTEX_PRIVATE_FLAG: u64 = 128;
const FUTEX_CLOCK_REALTIME: u64 = 256;

/// The deadlines the futex queues' waits had, in order.
fn deadlines(w: &World) -> Vec<Option<u64>> {
    w.machine.queue_deadlines.lock().unwrap().clone()
}

fn word(w: &World, value: u32) -> u64 {
    w.put(&value)
}

#[test]
fn wait_on_a_changed_value_fails_at_once_with_eagain() {
    let w = World::new();
    let futex = word(&w, 5);
    assert_eq!(
        w.call(Sysno::Futex, &[futex, FUTEX_WAIT, 4, 0, 0, 0]),
        err(Errno::EAGAIN)
    );
    assert_eq!(
        w.machine.sleeps.load(std::sync::atomic::Ordering::SeqCst),
        0
    );
    assert!(w.machine.futexes.is_empty());
}

#[test]
fn a_relative_timeout_is_counted_from_now() {
    let w = World::new();
    let futex = word(&w, 5);
    let timeout = w.put(&Timespec { sec: 1, nsec: 500 });
    w.machine.advance(7_000);
    assert_eq!(
        w.call(
            Sysno::Futex,
            &[futex, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 5, timeout, 0, 0]
        ),
        err(Errno::ETIMEDOUT)
    );
    // The queue slept until now + 1 s + 500 ns, and is gone again.
    assert_eq!(deadlines(&w), [Some(7_000 + 1_000_000_500)]);
    assert!(w.machine.futexes.is_empty());
}

#[test]
fn an_interrupted_wait_says_eintr_and_leaves_no_queue_behind() {
    let w = World::new();
    let futex = word(&w, 0);
    assert_eq!(
        w.call(Sysno::Futex, &[futex, FUTEX_WAIT, 0, 0, 0, 0]),
        err(Errno::EINTR)
    );
    assert_eq!(deadlines(&w), [None], "no timeout: it would wait for ever");
    assert!(w.machine.futexes.is_empty());
    for _ in 0..100 {
        w.call(Sysno::Futex, &[futex, FUTEX_WAIT, 0, 0, 0, 0]);
        w.call(Sysno::Futex, &[futex + 4, FUTEX_WAIT, 1, 0, 0, 0]);
    }
    assert_eq!(
        w.machine.futexes.len(),
        0,
        "one queue per waited-on word, freed"
    );
}

#[test]
fn bitset_waits_take_absolute_deadlines_on_either_clock() {
    let w = World::new();
    let futex = word(&w, 7);
    w.machine.advance(10_000_000_000);
    // Monotonic 5 s is in the past: the wait times out.
    let past = w.put(&Timespec { sec: 5, nsec: 0 });
    assert_eq!(
        w.call(
            Sysno::Futex,
            &[futex, FUTEX_WAIT_BITSET, 7, past, 0, u32::MAX as u64]
        ),
        err(Errno::ETIMEDOUT)
    );
    // Wall-clock deadlines are measured against the wall clock (EPOCH + 10 s).
    let wall = w.put(&Timespec {
        sec: EPOCH + 11,
        nsec: 0,
    });
    assert_eq!(
        w.call(
            Sysno::Futex,
            &[
                futex,
                FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME,
                7,
                wall,
                0,
                1
            ]
        ),
        err(Errno::ETIMEDOUT)
    );
    // Monotonic 5 s as it was; wall-clock EPOCH + 11 s is monotonic 11 s.
    assert_eq!(deadlines(&w), [Some(5_000_000_000), Some(11_000_000_000)]);
    assert!(w.machine.futexes.is_empty());
}

#[test]
fn bad_words_timeouts_bitsets_and_operations_are_refused() {
    let w = World::new();
    let futex = word(&w, 0);
    assert_eq!(
        w.call(Sysno::Futex, &[futex + 1, FUTEX_WAIT, 0, 0, 0, 0]),
        err(Errno::EINVAL)
    );
    assert_eq!(
        w.call(Sysno::Futex, &[0x1000, FUTEX_WAIT, 0, 0, 0, 0]),
        err(Errno::EFAULT)
    );
    assert_eq!(
        w.call(Sysno::Futex, &[0x1000, FUTEX_WAKE, 1, 0, 0, 0]),
        err(Errno::EFAULT)
    );
    let bad = w.put(&Timespec {
        sec: 0,
        nsec: 1_000_000_000,
    });
    assert_eq!(
        w.call(Sysno::Futex, &[futex, FUTEX_WAIT, 0, bad, 0, 0]),
        err(Errno::EINVAL)
    );
    let negative = w.put(&Timespec { sec: -1, nsec: 0 });
    assert_eq!(
        w.call(Sysno::Futex, &[futex, FUTEX_WAIT, 0, negative, 0, 0]),
        err(Errno::EINVAL)
    );
    assert_eq!(
        w.call(Sysno::Futex, &[futex, FUTEX_WAIT_BITSET, 0, 0, 0, 0]),
        err(Errno::EINVAL)
    );
    assert_eq!(
        w.call(Sysno::Futex, &[futex, FUTEX_WAKE_BITSET, 1, 0, 0, 0]),
        err(Errno::EINVAL)
    );
    assert_eq!(
        w.call(Sysno::Futex, &[futex, 99, 0, 0, 0, 0]),
        err(Errno::ENOSYS)
    );
    assert!(w.machine.futexes.is_empty());
}

#[test]
fn waking_a_word_nobody_waits_on_wakes_nobody() {
    let w = World::new();
    let futex = word(&w, 0);
    assert_eq!(w.call(Sysno::Futex, &[futex, FUTEX_WAKE, 1, 0, 0, 0]), 0);
    assert_eq!(
        w.call(
            Sysno::Futex,
            &[futex, FUTEX_WAKE_BITSET, i32::MAX as u64, 0, 0, 1]
        ),
        0
    );
    assert!(w.machine.futexes.is_empty());
}

#[test]
fn requeue_checks_its_counts_words_and_expected_value() {
    let w = World::new();
    let from = word(&w, 3);
    let to = word(&w, 0);
    // Nobody waits: nothing woken or moved.
    assert_eq!(w.call(Sysno::Futex, &[from, FUTEX_REQUEUE, 1, 1, to, 0]), 0);
    assert_eq!(
        w.call(Sysno::Futex, &[from, FUTEX_CMP_REQUEUE, 1, 1, to, 3]),
        0
    );
    // The word moved on: the caller must look again.
    assert_eq!(
        w.call(Sysno::Futex, &[from, FUTEX_CMP_REQUEUE, 1, 1, to, 4]),
        err(Errno::EAGAIN)
    );
    // Counts are C ints.
    assert_eq!(
        w.call(
            Sysno::Futex,
            &[from, FUTEX_REQUEUE, u32::MAX as u64, 1, to, 0]
        ),
        err(Errno::EINVAL)
    );
    assert_eq!(
        w.call(
            Sysno::Futex,
            &[from, FUTEX_REQUEUE, 1, u32::MAX as u64, to, 0]
        ),
        err(Errno::EINVAL)
    );
    // The second word must be aligned and mapped.
    assert_eq!(
        w.call(Sysno::Futex, &[from, FUTEX_REQUEUE, 1, 1, to + 2, 0]),
        err(Errno::EINVAL)
    );
    assert_eq!(
        w.call(Sysno::Futex, &[from, FUTEX_REQUEUE, 1, 1, 0x1000, 0]),
        err(Errno::EFAULT)
    );
    assert!(w.machine.futexes.is_empty());
}

#[test]
fn only_an_absolute_wait_takes_the_realtime_clock() {
    let w = World::new();
    let futex = word(&w, 1);
    for op in [FUTEX_WAIT, FUTEX_WAKE, FUTEX_REQUEUE] {
        assert_eq!(
            w.call(
                Sysno::Futex,
                &[futex, op | FUTEX_CLOCK_REALTIME, 0, 0, futex, 0]
            ),
            err(Errno::ENOSYS),
            "op {op}"
        );
    }
}

const FUTEX_WAITERS: u32 = 0x8000_0000;
const FUTEX_OWNER_DIED: u32 = 0x4000_0000;

/// A robust list as glibc lays it out: each entry is the `__list.__next`
/// link inside a mutex, the lock word sits `offset` bytes from it
/// (negative: before it), and the list ends where it began, at the head.
struct RobustList {
    head: u64,
    entries: Vec<u64>,
}

impl RobustList {
    const OFFSET: i64 = -16;

    /// Entries for `words` (each a lock word's value), linked in order.
    fn new(w: &World, words: &[u32]) -> RobustList {
        let head = w.alloc(24);
        let entries: Vec<u64> = words
            .iter()
            .map(|&value| {
                let mutex = w.alloc(32);
                w.poke(mutex, &value.to_ne_bytes());
                mutex + 16
            })
            .collect();
        let list = RobustList { head, entries };
        list.link(w, &[]);
        w.poke(head + 8, &RobustList::OFFSET.to_ne_bytes());
        list
    }

    /// Links the entries in order, `pi` ones with the low bit set.
    fn link(&self, w: &World, pi: &[usize]) {
        let mut previous = self.head;
        for (n, &entry) in self.entries.iter().enumerate() {
            let link = entry | u64::from(pi.contains(&n));
            w.poke(previous, &link.to_ne_bytes());
            previous = entry;
        }
        w.poke(previous, &self.head.to_ne_bytes());
    }

    fn word(&self, w: &World, n: usize) -> u32 {
        w.get(self.entries[n].wrapping_add_signed(RobustList::OFFSET))
    }

    fn release(&self, w: &World) {
        assert_eq!(w.call(Sysno::SetRobustList, &[self.head, 24]), 0);
        syscall::process::exit::release_robust_futexes(&*w.machine, &w.process, &w.thread);
    }
}

#[test]
fn a_dying_thread_marks_the_robust_locks_it_holds_owner_dead() {
    let w = World::new();
    let tid = w.thread.tid() as u32;
    let list = RobustList::new(&w, &[tid | FUTEX_WAITERS, 77, tid, tid, 0]);
    list.link(&w, &[3]);
    list.release(&w);
    assert_eq!(
        list.word(&w, 0),
        FUTEX_OWNER_DIED | FUTEX_WAITERS,
        "held with waiters"
    );
    assert_eq!(list.word(&w, 1), 77, "another thread's lock is left alone");
    assert_eq!(list.word(&w, 2), FUTEX_OWNER_DIED, "held, nobody waiting");
    assert_eq!(
        list.word(&w, 3),
        FUTEX_OWNER_DIED,
        "a PI lock is marked too"
    );
    assert_eq!(list.word(&w, 4), 0, "free");
}

#[test]
fn the_pending_lock_counts_and_a_broken_list_ends_the_walk() {
    let w = World::new();
    let tid = w.thread.tid() as u32;
    // The pending entry (a lock being taken, not yet listed) is handled
    // once, after the list.
    let list = RobustList::new(&w, &[tid, tid]);
    let pending = RobustList::new(&w, &[tid]);
    w.poke(list.head + 16, &pending.entries[0].to_ne_bytes());
    list.release(&w);
    assert_eq!(list.word(&w, 0), FUTEX_OWNER_DIED);
    assert_eq!(pending.word(&w, 0), FUTEX_OWNER_DIED);
    // A link into unmapped memory ends the walk after its entry.
    let w = World::new();
    let list = RobustList::new(&w, &[tid, tid]);
    w.poke(list.entries[0], &0xdead_0000_0000u64.to_ne_bytes());
    list.release(&w);
    assert_eq!(list.word(&w, 0), FUTEX_OWNER_DIED);
    assert_eq!(list.word(&w, 1), tid, "not reached");
    // A cycle that never comes back to the head ends at the limit.
    let w = World::new();
    let list = RobustList::new(&w, &[tid, tid]);
    w.poke(list.entries[1], &list.entries[0].to_ne_bytes());
    list.release(&w);
    assert_eq!(list.word(&w, 1), FUTEX_OWNER_DIED);
    // A misaligned lock word ends it too, and nothing else is written.
    let w = World::new();
    let list = RobustList::new(&w, &[tid]);
    w.poke(list.head + 8, &(RobustList::OFFSET + 1).to_ne_bytes());
    list.release(&w);
    assert_eq!(list.word(&w, 0), tid);
}

const FUTEX_WAKE_OP: u64 = 5;

/// glibc's `FUTEX_OP(op, oparg, cmp, cmparg)`.
fn futex_op(op: u64, oparg: i64, cmp: u64, cmparg: i64) -> u64 {
    ((op & 0xf) << 28)
        | ((cmp & 0xf) << 24)
        | ((oparg as u64 & 0xfff) << 12)
        | (cmparg as u64 & 0xfff)
}

#[test]
fn wake_op_changes_the_second_word_atomically_and_checks_its_old_value() {
    let w = World::new();
    let first = word(&w, 0);
    let second = word(&w, 10);
    let wake_op = |op: u64| w.call(Sysno::Futex, &[first, FUTEX_WAKE_OP, 1, 1, second, op]);
    // Nobody waits: nothing woken, but the operation is done.
    assert_eq!(wake_op(futex_op(1, 5, 0, 10)), 0, "add 5, old == 10");
    assert_eq!(w.get::<u32>(second), 15);
    assert_eq!(wake_op(futex_op(0, -1, 2, 0)), 0, "set -1 (sign-extended)");
    assert_eq!(w.get::<u32>(second), u32::MAX);
    assert_eq!(wake_op(futex_op(3, 0xf0, 2, 0)), 0, "andn");
    assert_eq!(w.get::<u32>(second), !0xf0u32);
    assert_eq!(wake_op(futex_op(8, 3, 0, 0)), 0, "set (op 0) 1 << 3");
    assert_eq!(w.get::<u32>(second), 8);
    assert_eq!(wake_op(futex_op(2 | 8, 0, 0, 0)), 0, "or 1 << 0");
    assert_eq!(w.get::<u32>(second), 9);
    assert_eq!(wake_op(futex_op(4, 9, 0, 0)), 0, "xor");
    assert_eq!(w.get::<u32>(second), 0);
    // An unknown operation changes nothing; an unknown comparison fails
    // after the operation, as on Linux.
    assert_eq!(wake_op(futex_op(5, 1, 0, 0)), err(Errno::ENOSYS));
    assert_eq!(w.get::<u32>(second), 0);
    assert_eq!(wake_op(futex_op(1, 1, 6, 0)), err(Errno::ENOSYS));
    assert_eq!(w.get::<u32>(second), 1);
    // The second word must be aligned and mapped.
    assert_eq!(
        w.call(Sysno::Futex, &[first, FUTEX_WAKE_OP, 1, 1, second + 2, 0]),
        err(Errno::EINVAL)
    );
    assert_eq!(
        w.call(Sysno::Futex, &[first, FUTEX_WAKE_OP, 1, 1, 1 << 47, 0]),
        err(Errno::EFAULT)
    );
}
