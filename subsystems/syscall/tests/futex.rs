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
