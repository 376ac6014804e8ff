//! Rough cost of the hot paths on the host; run with
//! `cargo test -p sched --release --test throughput -- --ignored --nocapture`.

use sched::{CpuId, CpuSet, NoInterrupts, Priority, RunQueueConfig, Scheduler, ThreadId};
use std::time::Instant;

const CPU: CpuId = CpuId::BSP;

#[test]
#[ignore = "a measurement, not a check"]
fn cost_of_switch_and_block_wake() {
    for threads in [10u64, 1000] {
        let s = Scheduler::<NoInterrupts>::new(1, RunQueueConfig::default()).unwrap();
        for id in 0..threads {
            let prio = Priority::from_nice_clamped(id as i64 % 40 - 20);
            s.spawn(ThreadId(id), prio, CpuSet::ALL, 0).unwrap();
        }
        s.schedule(CPU, 0).unwrap();
        let rounds = 200_000u64;
        let mut now = 0;
        let start = Instant::now();
        for _ in 0..rounds {
            now += 10_000_000;
            if s.on_timer_tick(CPU, now, |_, _| {}).unwrap() {
                s.schedule(CPU, now).unwrap();
            }
        }
        let tick = start.elapsed().as_nanos() as f64 / rounds as f64;

        let q = s.create_wait_queue();
        let start = Instant::now();
        for _ in 0..rounds {
            now += 1_000;
            s.wait_on(CPU, q, true, Some(now + 1_000_000), now).unwrap();
            s.schedule(CPU, now).unwrap();
            s.wake_one(q, now).unwrap();
        }
        let block = start.elapsed().as_nanos() as f64 / rounds as f64;
        println!(
            "{threads} threads: tick+switch {tick:.0} ns, block+timeout+switch+wake {block:.0} ns"
        );
    }
}
