//! Several CPUs at once: pinning, wake-ups across CPUs, threads coming
//! and going everywhere. On one CPU they still pass (there is one place to
//! run); `cargo xtask test` also runs them on four.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};

use sched::{CpuId, CpuSet, Priority};

use super::threads::Court;
use crate::ktest::{check, check_eq, ktest};
use crate::task;
use crate::time;

/// Runs `body` in a new kernel thread that may run only on `cpu` (it
/// inherits the affinity its creator has while spawning it).
fn spawn_on(
    cpu: u32,
    body: impl FnOnce() + Send + 'static,
) -> Result<task::JoinHandle, abi::Errno> {
    let me = task::current().id;
    let mine = task::affinity(me)?;
    task::set_affinity(me, CpuSet::single(CpuId(cpu))?)?;
    let handle = task::spawn("pinned", Priority::NORMAL, body);
    task::set_affinity(me, mine)?;
    handle
}

ktest! {
    fn smp_a_thread_pinned_to_each_cpu_runs_there() {
        for cpu in 0..task::cpu_count() {
            let seen = Arc::new(AtomicU64::new(u64::MAX));
            let record = seen.clone();
            let handle = spawn_on(cpu, move || {
                record.store(u64::from(arch::percpu::this_cpu()), Ordering::SeqCst);
            });
            check!(handle.is_ok());
            handle.unwrap_or_else(|_| unreachable!()).join();
            check_eq!(seen.load(Ordering::SeqCst), u64::from(cpu));
        }
        Ok(())
    }
}

ktest! {
    fn smp_ping_pong_between_the_first_and_last_cpu_loses_no_wake_up() {
        const ROUNDS: u64 = 5_000;
        let court = Court::new();
        let last = task::cpu_count() - 1;
        let pinger = {
            let court = court.clone();
            spawn_on(0, move || {
                for round in 0..ROUNDS {
                    let _ = court.serve(round, None);
                }
            })
        };
        let ponger = {
            let court = court.clone();
            spawn_on(last, move || {
                for round in 0..ROUNDS {
                    court.return_serve(round);
                }
            })
        };
        check!(pinger.is_ok() && ponger.is_ok());
        // A lost wake-up leaves both asleep: the deadline catches it.
        let deadline = time::now_ns() + 60_000_000_000;
        while court.balls() < 2 * ROUNDS && time::now_ns() < deadline {
            task::sleep_until(time::now_ns() + 10_000_000);
        }
        check_eq!(court.balls(), 2 * ROUNDS);
        pinger.unwrap_or_else(|_| unreachable!()).join();
        ponger.unwrap_or_else(|_| unreachable!()).join();
        Ok(())
    }
}

ktest! {
    fn smp_threads_spawned_and_joined_on_every_cpu_at_once_all_finish() {
        const SECONDS: u64 = 2;
        let done = Arc::new(AtomicU64::new(0));
        let spawned = Arc::new(AtomicU64::new(0));
        let mut spawners = Vec::new();
        for cpu in 0..task::cpu_count() {
            let (done, spawned) = (done.clone(), spawned.clone());
            let spawner = spawn_on(cpu, move || {
                // Started on its CPU, then free, so its children (which
                // inherit its mask) go anywhere.
                let _ = task::set_affinity(task::current().id, CpuSet::ALL);
                let end = time::now_ns() + SECONDS * 1_000_000_000;
                // Unbounded: each spawn frees the threads that died before
                // it, so memory cannot run out.
                while time::now_ns() < end {
                    // They exit (and are freed) while others run.
                    let children: Vec<_> = (0..4)
                        .filter_map(|_| {
                            let done = done.clone();
                            task::spawn("child", Priority::NORMAL, move || {
                                done.fetch_add(1, Ordering::SeqCst);
                            })
                            .ok()
                        })
                        .collect();
                    spawned.fetch_add(children.len() as u64, Ordering::SeqCst);
                    for child in children {
                        child.join();
                    }
                }
            });
            check!(spawner.is_ok());
            spawners.push(spawner.unwrap_or_else(|_| unreachable!()));
        }
        for spawner in spawners {
            spawner.join();
        }
        check_eq!(done.load(Ordering::SeqCst), spawned.load(Ordering::SeqCst));
        check!(done.load(Ordering::SeqCst) > 0);
        Ok(())
    }
}
