//! Clocks and sleeps as programs see them on a machine whose clock moves
//! only when someone sleeps.

use crate::common::*;
use abi::{Errno, Sysno, Timespec, Timeval};
use syscall::Kernel;

const CLOCK_REALTIME: u64 = 0;
const CLOCK_MONOTONIC: u64 = 1;
const CLOCK_BOOTTIME: u64 = 7;
const TIMER_ABSTIME: u64 = 1;

fn gettime(w: &World, clock: u64) -> Timespec {
    let ts = w.alloc(16);
    assert_eq!(w.call(Sysno::ClockGettime, &[clock, ts]), 0);
    w.get(ts)
}

#[test]
fn realtime_is_the_epoch_plus_monotonic_time() {
    let w = World::new();
    w.machine.advance(1_500_000_000);
    assert_eq!(
        gettime(&w, CLOCK_MONOTONIC),
        Timespec {
            sec: 1,
            nsec: 500_000_000
        }
    );
    assert_eq!(
        gettime(&w, CLOCK_BOOTTIME),
        Timespec {
            sec: 1,
            nsec: 500_000_000
        }
    );
    assert_eq!(
        gettime(&w, CLOCK_REALTIME),
        Timespec {
            sec: EPOCH + 1,
            nsec: 500_000_000
        }
    );
    let tv = w.alloc(16);
    assert_eq!(w.call(Sysno::Gettimeofday, &[tv, 0]), 0);
    assert_eq!(
        w.get::<Timeval>(tv),
        Timeval {
            tv_sec: EPOCH + 1,
            tv_usec: 500_000
        }
    );
    let t = w.alloc(8);
    assert_eq!(w.call(Sysno::Time, &[t]), EPOCH + 1);
    assert_eq!(w.get::<i64>(t), EPOCH + 1);
    assert_eq!(w.call(Sysno::Time, &[0]), EPOCH + 1);
}

#[test]
fn unknown_clocks_and_bad_pointers_are_refused() {
    let w = World::new();
    let ts = w.alloc(16);
    assert_eq!(w.call(Sysno::ClockGettime, &[99, ts]), err(Errno::EINVAL));
    assert_eq!(
        w.call(Sysno::ClockGettime, &[CLOCK_MONOTONIC, 8]),
        err(Errno::EFAULT)
    );
    assert_eq!(w.call(Sysno::ClockGetres, &[CLOCK_MONOTONIC, ts]), 0);
    assert_eq!(w.get::<Timespec>(ts), Timespec { sec: 0, nsec: 1 });
    assert_eq!(w.call(Sysno::ClockGetres, &[CLOCK_REALTIME, 0]), 0);
    assert_eq!(w.call(Sysno::ClockGetres, &[1234, 0]), err(Errno::EINVAL));
    assert_eq!(w.call(Sysno::Gettimeofday, &[8, 0]), err(Errno::EFAULT));
}

/// A CPU-time clock id as `pthread_getcpuclockid` (`thread`) and
/// `clock_getcpuclockid` make them: `which` 2 is the scheduled time.
fn cpu_clock(id: i32, thread: bool, which: i32) -> u64 {
    ((!id) << 3 | if thread { 4 } else { 0 } | which) as u32 as u64
}

#[test]
fn cpu_clock_ids_read_a_thread_of_the_caller_or_any_process() {
    let w = World::new();
    let (child, child_thread) = w.fork();
    let sibling = w
        .machine
        .processes
        .add_thread(&child, ThreadData::default())
        .unwrap();
    let ms = |n: i32| Timespec::from_nanos(n as u64 * 1_000_000);
    let as_child = |clock: u64| {
        let ts = w.alloc(16);
        let result = w.call_as(&child, &child_thread, Sysno::ClockGettime, &[clock, ts]);
        (result == 0).then(|| w.get::<Timespec>(ts)).ok_or(result)
    };
    // The fake counts each thread's CPU time as its tid in milliseconds.
    let (me, other) = (child_thread.tid(), sibling.tid());
    assert_eq!(as_child(cpu_clock(me, true, 2)), Ok(ms(me)));
    assert_eq!(as_child(cpu_clock(0, true, 2)), Ok(ms(me)), "0: the caller");
    assert_eq!(as_child(cpu_clock(other, true, 2)), Ok(ms(other)));
    assert_eq!(
        as_child(cpu_clock(other, true, 0)),
        Ok(ms(other)),
        "user+system"
    );
    // A process's clock is the sum of its threads'; any process's, but
    // no thread of another process.
    assert_eq!(as_child(cpu_clock(0, false, 2)), Ok(ms(me + other)));
    assert_eq!(
        as_child(cpu_clock(w.process.pid(), false, 2)),
        Ok(ms(w.thread.tid()))
    );
    let refused = err(Errno::EINVAL);
    assert_eq!(as_child(cpu_clock(w.thread.tid(), true, 2)), Err(refused));
    assert_eq!(
        as_child(cpu_clock(4321, false, 2)),
        Err(refused),
        "no process"
    );
    assert_eq!(
        as_child(cpu_clock(me, true, 1)),
        Err(refused),
        "no thread user time"
    );
    assert_eq!(
        as_child(cpu_clock(me, false, 3)),
        Err(refused),
        "no fd clocks"
    );
}

#[test]
fn nanosleep_sleeps_the_requested_time_and_checks_it() {
    let w = World::new();
    let request = w.put(&Timespec { sec: 2, nsec: 250 });
    assert_eq!(w.call(Sysno::Nanosleep, &[request, 0]), 0);
    assert_eq!(w.machine.now_ns(), 2_000_000_250);
    for bad in [
        Timespec {
            sec: 0,
            nsec: 1_000_000_000,
        },
        Timespec { sec: -1, nsec: 0 },
        Timespec { sec: 0, nsec: -1 },
    ] {
        let bad = w.put(&bad);
        assert_eq!(w.call(Sysno::Nanosleep, &[bad, 0]), err(Errno::EINVAL));
    }
    assert_eq!(w.call(Sysno::Nanosleep, &[8, 0]), err(Errno::EFAULT));
}

#[test]
fn an_interrupted_nanosleep_reports_the_time_left() {
    let w = World::new();
    // The fake interrupts every 1000th sleep.
    w.machine
        .sleeps
        .store(999, std::sync::atomic::Ordering::SeqCst);
    let request = w.put(&Timespec { sec: 5, nsec: 0 });
    let left = w.alloc(16);
    assert_eq!(
        w.call(Sysno::Nanosleep, &[request, left]),
        err(Errno::EINTR)
    );
    assert_eq!(w.get::<Timespec>(left), Timespec { sec: 5, nsec: 0 });
}

#[test]
fn clock_nanosleep_takes_absolute_deadlines_on_both_clocks() {
    let w = World::new();
    w.machine.advance(10_000_000_000);
    let at = w.put(&Timespec { sec: 12, nsec: 0 });
    assert_eq!(
        w.call(
            Sysno::ClockNanosleep,
            &[CLOCK_MONOTONIC, TIMER_ABSTIME, at, 0]
        ),
        0
    );
    assert_eq!(w.machine.now_ns(), 12_000_000_000);
    let wall = w.put(&Timespec {
        sec: EPOCH + 15,
        nsec: 0,
    });
    assert_eq!(
        w.call(
            Sysno::ClockNanosleep,
            &[CLOCK_REALTIME, TIMER_ABSTIME, wall, 0]
        ),
        0
    );
    assert_eq!(w.machine.now_ns(), 15_000_000_000);
    // A deadline in the past returns at once.
    assert_eq!(
        w.call(
            Sysno::ClockNanosleep,
            &[CLOCK_MONOTONIC, TIMER_ABSTIME, at, 0]
        ),
        0
    );
    assert_eq!(w.machine.now_ns(), 15_000_000_000);
    let relative = w.put(&Timespec { sec: 1, nsec: 0 });
    assert_eq!(
        w.call(Sysno::ClockNanosleep, &[CLOCK_MONOTONIC, 0, relative, 0]),
        0
    );
    assert_eq!(w.machine.now_ns(), 16_000_000_000);
    assert_eq!(
        w.call(Sysno::ClockNanosleep, &[77, 0, relative, 0]),
        err(Errno::EINVAL)
    );
}

#[test]
fn root_sets_the_wall_clock_and_the_monotonic_clock_stays() {
    let w = World::new();
    w.machine.advance(2_000_000_000);
    let set = w.put(&Timespec {
        sec: 2_000_000_000,
        nsec: 5,
    });
    assert_eq!(w.call(Sysno::ClockSettime, &[CLOCK_REALTIME, set]), 0);
    assert_eq!(gettime(&w, CLOCK_REALTIME).sec, 2_000_000_000);
    assert_eq!(gettime(&w, CLOCK_MONOTONIC).sec, 2, "unmoved");
    assert_eq!(
        w.call(Sysno::ClockSettime, &[CLOCK_MONOTONIC, set]),
        err(Errno::EINVAL)
    );
    let before_epoch = w.put(&Timespec { sec: -5, nsec: 0 });
    assert_eq!(
        w.call(Sysno::ClockSettime, &[CLOCK_REALTIME, before_epoch]),
        err(Errno::EINVAL)
    );
    let tv = w.put(&Timeval {
        tv_sec: 1_000_000_000,
        tv_usec: 250_000,
    });
    assert_eq!(w.call(Sysno::Settimeofday, &[tv, 0]), 0);
    assert_eq!(
        gettime(&w, CLOCK_REALTIME),
        Timespec {
            sec: 1_000_000_000,
            nsec: 250_000_000
        }
    );
    let bad = w.put(&Timeval {
        tv_sec: 1,
        tv_usec: 1_000_000,
    });
    assert_eq!(w.call(Sysno::Settimeofday, &[bad, 0]), err(Errno::EINVAL));
    // Anyone else may not.
    let (other, thread) = w.fork();
    assert_eq!(w.call_as(&other, &thread, Sysno::Setuid, &[1000]), 0);
    assert_eq!(
        w.call_as(&other, &thread, Sysno::ClockSettime, &[CLOCK_REALTIME, set]),
        err(Errno::EPERM)
    );
    assert_eq!(
        w.call_as(&other, &thread, Sysno::Settimeofday, &[tv, 0]),
        err(Errno::EPERM)
    );
}
