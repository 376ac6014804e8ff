//! Threads, the scheduler, blocking and time.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use sched::{Priority, WakeReason};

use crate::ktest::{check, check_eq, ktest};
use crate::task::{self, WaitQueue};
use crate::time;

/// Two threads hitting a ball back and forth through two wait queues:
/// the pinger serves the odd balls, the ponger returns the even ones, and
/// each sleeps until the ball comes back, so a lost wake-up stops the
/// game (the one-CPU ping-pong here, the cross-CPU one in `smp`).
pub(super) struct Court {
    ball: AtomicU64,
    to_ponger: WaitQueue,
    to_pinger: WaitQueue,
}

impl Court {
    pub(super) fn new() -> Arc<Court> {
        Arc::new(Court {
            ball: AtomicU64::new(0),
            to_ponger: WaitQueue::new(),
            to_pinger: WaitQueue::new(),
        })
    }

    /// The pinger's `round`: serves, then waits (until `deadline`) for
    /// the return.
    pub(super) fn serve(&self, round: u64, deadline: Option<u64>) -> abi::KernelResult<()> {
        self.ball.fetch_add(1, Ordering::SeqCst);
        self.to_ponger.wake_one();
        self.to_pinger
            .wait_until(false, deadline, || self.balls() == 2 * round + 2)
    }

    /// The ponger's `round`: waits for the serve, then returns it.
    pub(super) fn return_serve(&self, round: u64) {
        let _ = self
            .to_ponger
            .wait_until(false, None, || self.balls() == 2 * round + 1);
        self.ball.fetch_add(1, Ordering::SeqCst);
        self.to_pinger.wake_one();
    }

    /// The balls hit so far.
    pub(super) fn balls(&self) -> u64 {
        self.ball.load(Ordering::SeqCst)
    }
}

ktest! {
    fn threads_ping_pong_ten_thousand_times_through_wait_queues() {
        const ROUNDS: u64 = 10_000;
        let court = Court::new();
        let ponger = {
            let court = court.clone();
            task::spawn("ponger", Priority::NORMAL, move || {
                for round in 0..ROUNDS {
                    court.return_serve(round);
                }
            })
        };
        check!(ponger.is_ok());
        let start = arch::cpu::rdtsc();
        for round in 0..ROUNDS {
            let waited = court.serve(round, Some(time::now_ns() + 5_000_000_000));
            check_eq!(waited, Ok(()));
        }
        let cycles = arch::cpu::rdtsc() - start;
        ponger.unwrap_or_else(|_| unreachable!()).join();
        check_eq!(court.balls(), 2 * ROUNDS);
        arch::serial::write_fmt(format_args!(
            "\n    figures: context switch {} cycles (round trip / 2) ... ",
            cycles / ROUNDS / 2
        ));
        Ok(())
    }
}

ktest! {
    fn sleeping_fifty_milliseconds_takes_fifty_to_a_hundred() {
        let start = time::now_ns();
        let reason = task::sleep_until(start + 50_000_000);
        let slept = time::now_ns() - start;
        check_eq!(reason, WakeReason::TimedOut);
        check!(slept >= 50_000_000, "woke after {} ns", slept);
        check!(slept < 100_000_000, "woke after {} ns", slept);
        Ok(())
    }
}

ktest! {
    fn the_clock_is_monotonic_and_ticks() {
        let first = time::now_ns();
        let ticks = time::ticks();
        task::sleep_until(first + 3 * time::TICK_NS);
        check!(time::now_ns() > first);
        check!(time::ticks() > ticks, "no timer interrupt in three tick periods");
        // The wall clock was read from the RTC: some time after 2020.
        check!(time::realtime().sec > 1_577_836_800, "realtime {}", time::realtime().sec);
        Ok(())
    }
}

/// Floating-point work whose result is exact: summing k/2 for k < n.
fn float_work(seed: f64, n: u64) -> f64 {
    let mut sum = 0.0f64;
    for k in 0..n {
        sum += core::hint::black_box(seed * k as f64 / 2.0);
    }
    sum
}

ktest! {
    fn fpu_state_survives_preemption() {
        // Two threads doing floating point across many ticks each; a lost
        // FPU register would change their (exactly representable) sums.
        const N: u64 = 400_000;
        let expected = |seed: f64| seed * (N * (N - 1) / 2) as f64 / 2.0;
        let results: Arc<[AtomicU64; 2]> = Arc::new([AtomicU64::new(0), AtomicU64::new(0)]);
        let ticks = time::ticks();
        let handles: Vec<_> = (0..2)
            .map(|i| {
                let results = results.clone();
                task::spawn("fpu-worker", Priority::NORMAL, move || {
                    let value = float_work(if i == 0 { 1.0 } else { 3.0 }, N);
                    results[i].store(value.to_bits(), Ordering::SeqCst);
                })
            })
            .collect();
        for handle in handles {
            check!(handle.is_ok());
            handle.unwrap_or_else(|_| unreachable!()).join();
        }
        check_eq!(f64::from_bits(results[0].load(Ordering::SeqCst)), expected(1.0));
        check_eq!(f64::from_bits(results[1].load(Ordering::SeqCst)), expected(3.0));
        check!(time::ticks() > ticks + 2, "the work did not span several ticks");
        Ok(())
    }
}

ktest! {
    fn a_busy_thread_does_not_starve_another() {
        let stop = Arc::new(AtomicBool::new(false));
        let spun = Arc::new(AtomicU64::new(0));
        let hog = {
            let (stop, spun) = (stop.clone(), spun.clone());
            task::spawn("hog", Priority::from_nice(-10).unwrap_or(Priority::NORMAL), move || {
                while !stop.load(Ordering::SeqCst) {
                    spun.fetch_add(1, Ordering::Relaxed);
                }
            })
        };
        check!(hog.is_ok());
        let ran = Arc::new(AtomicBool::new(false));
        let low = {
            let ran = ran.clone();
            task::spawn("low", Priority::from_nice(10).unwrap_or(Priority::NORMAL), move || {
                ran.store(true, Ordering::SeqCst);
            })
        };
        check!(low.is_ok());
        // The test thread itself only waits; the low-priority thread must
        // get the CPU despite the hog.
        let deadline = time::now_ns() + 2_000_000_000;
        while !ran.load(Ordering::SeqCst) && time::now_ns() < deadline {
            task::sleep_until(time::now_ns() + 10_000_000);
        }
        stop.store(true, Ordering::SeqCst);
        hog.unwrap_or_else(|_| unreachable!()).join();
        low.unwrap_or_else(|_| unreachable!()).join();
        check!(ran.load(Ordering::SeqCst), "the low-priority thread never ran");
        check!(spun.load(Ordering::SeqCst) > 0);
        Ok(())
    }
}

ktest! {
    fn exited_threads_are_freed_by_the_next_spawn_or_exit() {
        let free = || crate::memory::frames::stats().map_or(0, |s| s.free_frames);
        // Warm up the heap so its growth does not count.
        for _ in 0..4 {
            if let Ok(handle) = task::spawn("warm-up", Priority::NORMAL, || {}) {
                handle.join();
            }
        }
        task::sleep_until(time::now_ns() + 20_000_000);
        let before = free();
        for _ in 0..50 {
            let handle = task::spawn("short-lived", Priority::NORMAL, || {});
            check!(handle.is_ok());
            handle.unwrap_or_else(|_| unreachable!()).join();
            // The one just joined may wait; the ones before it were freed
            // by its spawn and exit.
            check!(
                task::dead_threads() <= task::cpu_count() as usize,
                "{} dead threads wait to be freed",
                task::dead_threads()
            );
        }
        task::free_dead_threads();
        check!(free() + 2 >= before, "stacks leaked: {} free before, {} after", before, free());
        arch::serial::write_fmt(format_args!(
            "\n    figures: timer interrupt {} cycles per tick (handler) ... ",
            time::average_tick_cycles()
        ));
        Ok(())
    }
}

ktest! {
    fn yielding_lets_an_equal_thread_run() {
        let ran = Arc::new(AtomicBool::new(false));
        let other = {
            let ran = ran.clone();
            task::spawn("yield-partner", Priority::NORMAL, move || {
                ran.store(true, Ordering::SeqCst);
            })
        };
        check!(other.is_ok());
        check_eq!(task::current().name.as_str(), "kernel_main");
        for _ in 0..100 {
            if ran.load(Ordering::SeqCst) {
                break;
            }
            task::yield_now();
        }
        check!(ran.load(Ordering::SeqCst), "yield never ran the other thread");
        other.unwrap_or_else(|_| unreachable!()).join();
        Ok(())
    }
}

ktest! {
    fn the_sleeping_mutex_is_held_across_sleep_and_excludes_others() {
        let shared = Arc::new(task::Mutex::new(0u64));
        let inside = Arc::new(AtomicBool::new(false));
        let overlap = Arc::new(AtomicBool::new(false));
        let workers: Vec<_> = (0..3)
            .map(|_| {
                let (shared, inside, overlap) = (shared.clone(), inside.clone(), overlap.clone());
                task::spawn("mutex-worker", Priority::NORMAL, move || {
                    for _ in 0..20 {
                        let mut value = shared.lock();
                        if inside.swap(true, Ordering::SeqCst) {
                            overlap.store(true, Ordering::SeqCst);
                        }
                        // Sleeping with the lock held is what a spin lock forbids.
                        task::sleep_until(time::now_ns() + 100_000);
                        *value += 1;
                        inside.store(false, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for worker in workers {
            check!(worker.is_ok());
            worker.unwrap_or_else(|_| unreachable!()).join();
        }
        check_eq!(*shared.lock(), 60);
        check!(!overlap.load(Ordering::SeqCst), "two threads were inside at once");
        Ok(())
    }
}

ktest! {
    fn heap_reuses_freed_blocks_and_its_throughput_is_measured() {
        use alloc::boxed::Box;
        const ROUNDS: u64 = 20_000;
        // Warm up, so the arena this needs is already claimed.
        drop(core::hint::black_box(Box::new([0u64; 8])));
        let (arenas_before, _) = crate::memory::heap::footprint();
        let start = arch::cpu::rdtsc();
        for i in 0..ROUNDS {
            let value = core::hint::black_box(Box::new([i; 8]));
            drop(value);
        }
        let pair = (arch::cpu::rdtsc() - start) / ROUNDS;
        arch::serial::write_fmt(format_args!(
            "\n    figures: heap alloc+free of 64 bytes {} cycles ... ",
            pair
        ));
        // 20,000 alloc/free pairs of 64 bytes reuse one block: no growth.
        check_eq!(crate::memory::heap::footprint().0, arenas_before);
        Ok(())
    }
}
