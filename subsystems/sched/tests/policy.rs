//! Scheduling policy as a kernel would observe it: fake threads, a fake
//! clock, one CPU driven by timer ticks.

use sched::{
    BlockReason, CpuId, CpuSet, Decision, NoInterrupts, Priority, RunQueueConfig, Scheduler,
    ThreadId, ThreadState, WaitQueueId, WakeReason,
};
use std::collections::BTreeMap;

const MS: u64 = 1_000_000;
const CPU: CpuId = CpuId::BSP;

fn t(n: u64) -> ThreadId {
    ThreadId(n)
}

fn nice(n: i32) -> Priority {
    Priority::from_nice(n).unwrap()
}

/// One CPU, a clock, and the kernel's side of the bargain: tick, and
/// reschedule when told to.
struct Machine {
    sched: Scheduler<NoInterrupts>,
    now: u64,
}

impl Machine {
    fn new() -> Self {
        Machine {
            sched: Scheduler::<NoInterrupts>::new(1, RunQueueConfig::default()).unwrap(),
            now: 0,
        }
    }

    fn spawn(&mut self, id: u64, priority: Priority) {
        self.sched
            .spawn(t(id), priority, CpuSet::ALL, self.now)
            .unwrap();
    }

    fn schedule(&mut self) -> Decision {
        self.sched.schedule(CPU, self.now).unwrap()
    }

    fn running(&self) -> Option<ThreadId> {
        self.sched.current(CPU)
    }

    /// The running thread waits on `q`, interruptibly.
    fn wait(&mut self, q: WaitQueueId, deadline: Option<u64>) -> Decision {
        self.sched
            .wait_on(CPU, q, true, deadline, self.now)
            .unwrap()
    }

    /// The running thread calls `sched_yield`.
    fn yield_now(&mut self) -> Decision {
        self.sched.yield_current(CPU, self.now).unwrap()
    }

    /// Advances the clock by `dt`, takes the timer interrupt, and
    /// reschedules if asked. Returns who ran during the interval.
    fn tick(&mut self, dt: u64) -> Option<ThreadId> {
        let ran = self.running();
        self.now += dt;
        let resched = self.sched.on_timer_tick(CPU, self.now, |_, _| {}).unwrap();
        if resched {
            self.schedule();
        }
        ran
    }

    /// CPU time per thread over `ticks` ticks of `dt`.
    fn run(&mut self, ticks: u64, dt: u64) -> BTreeMap<ThreadId, u64> {
        let mut time = BTreeMap::new();
        for _ in 0..ticks {
            if let Some(id) = self.tick(dt) {
                *time.entry(id).or_insert(0) += dt;
            }
        }
        time
    }
}

#[test]
fn higher_priority_runs_first() {
    let mut m = Machine::new();
    m.spawn(1, nice(10));
    m.spawn(2, nice(-5));
    m.spawn(3, Priority::NORMAL);
    assert_eq!(m.schedule(), Decision::SwitchTo(t(2)));
    assert_eq!(m.sched.state(t(2)), Some(ThreadState::Running));
    assert_eq!(m.sched.state(t(1)), Some(ThreadState::Runnable));
}

#[test]
fn higher_priority_gets_the_larger_share() {
    let mut m = Machine::new();
    m.spawn(1, Priority::NORMAL);
    m.spawn(2, nice(-5)); // weight 3121 against 1024
    m.schedule();
    let time = m.run(3000, MS);
    let share = time[&t(2)] as f64 / (3000 * MS) as f64;
    let expected = 3121.0 / (3121.0 + 1024.0);
    assert!(
        (share - expected).abs() < 0.01,
        "share {share}, expected {expected}"
    );
}

#[test]
fn low_priority_thread_still_runs() {
    let mut m = Machine::new();
    m.spawn(1, Priority::NORMAL);
    m.spawn(2, nice(10)); // weight 110 against 1024
    m.schedule();
    let time = m.run(10_000, MS);
    let low = time[&t(2)] as f64 / (10_000 * MS) as f64;
    let expected = 110.0 / (110.0 + 1024.0);
    assert!(
        (low - expected).abs() < 0.01,
        "low got {low}, expected {expected}"
    );
}

#[test]
fn lowest_priority_is_not_starved_by_highest() {
    let mut m = Machine::new();
    m.spawn(1, Priority::HIGHEST);
    m.spawn(2, Priority::LOWEST);
    m.schedule();
    // Weights 88761 and 15: the low thread is owed one 10 ms slice for
    // every ~5917 of the high one's, so within 120 s it runs 1 or 2 slices.
    let time = m.run(12_000, 10 * MS);
    let low = time.get(&t(2)).copied().unwrap_or(0);
    assert!(low >= 10 * MS, "starved: ran {low} ns");
    assert!(low <= 30 * MS, "ran {low} ns, more than its share");
}

#[test]
fn round_robin_among_equals() {
    let mut m = Machine::new();
    for id in 1..=3 {
        m.spawn(id, Priority::NORMAL);
    }
    assert_eq!(m.schedule(), Decision::SwitchTo(t(1)));
    let order: Vec<u64> = (0..9).map(|_| m.tick(10 * MS).unwrap().0).collect();
    assert_eq!(order, [1, 2, 3, 1, 2, 3, 1, 2, 3]);
}

#[test]
fn slice_is_not_cut_short_by_ticks() {
    let mut m = Machine::new();
    m.spawn(1, Priority::NORMAL);
    m.spawn(2, Priority::NORMAL);
    m.schedule();
    let order: Vec<u64> = (0..20).map(|_| m.tick(MS).unwrap().0).collect();
    assert_eq!(&order[..10], [1; 10]);
    assert_eq!(&order[10..], [2; 10]);
}

#[test]
fn yield_moves_to_back() {
    let mut m = Machine::new();
    for id in 1..=3 {
        m.spawn(id, Priority::NORMAL);
    }
    assert_eq!(m.schedule(), Decision::SwitchTo(t(1)));
    assert_eq!(m.yield_now(), Decision::SwitchTo(t(2)));
    assert_eq!(m.yield_now(), Decision::SwitchTo(t(3)));
    assert_eq!(m.yield_now(), Decision::SwitchTo(t(1)));
    assert_eq!(m.sched.state(t(3)), Some(ThreadState::Runnable));
}

#[test]
fn yield_alone_keeps_running() {
    let mut m = Machine::new();
    m.spawn(1, Priority::NORMAL);
    m.schedule();
    assert_eq!(m.yield_now(), Decision::Continue);
    assert_eq!(m.running(), Some(t(1)));
}

#[test]
fn idle_when_nothing_runnable() {
    let mut m = Machine::new();
    assert_eq!(m.schedule(), Decision::Continue, "already idle");
    m.spawn(1, Priority::NORMAL);
    assert!(m.sched.need_resched(CPU), "idle CPU has work");
    assert_eq!(m.schedule(), Decision::SwitchTo(t(1)));
    let decision = m.sched.block_current(CPU, BlockReason::Sleep, None, m.now);
    assert_eq!(decision, Ok(Decision::Idle));
    assert_eq!(m.running(), None);
    assert_eq!(m.tick(10 * MS), None, "idle, nobody ran");
}

#[test]
fn blocked_thread_never_picked() {
    let mut m = Machine::new();
    let q = m.sched.create_wait_queue();
    m.spawn(1, Priority::HIGHEST);
    m.spawn(2, Priority::LOWEST);
    assert_eq!(m.schedule(), Decision::SwitchTo(t(1)));
    assert_eq!(m.wait(q, None), Decision::SwitchTo(t(2)));
    assert_eq!(
        m.sched.state(t(1)),
        Some(ThreadState::Blocked(BlockReason::Queue(q)))
    );
    let time = m.run(1000, MS);
    assert_eq!(time.get(&t(1)), None);
    assert_eq!(time[&t(2)], 1000 * MS);

    assert_eq!(m.sched.wake_one(q, m.now).unwrap(), Some(t(1)));
    assert_eq!(m.tick(MS), Some(t(2)));
    assert_eq!(m.tick(MS), Some(t(1)), "woken thread runs again");
}

#[test]
fn wake_with_timeout_reports_timed_out() {
    let mut m = Machine::new();
    let q = m.sched.create_wait_queue();
    m.spawn(1, Priority::NORMAL);
    m.schedule();
    assert_eq!(m.wait(q, Some(m.now + 5 * MS)), Decision::Idle);
    assert_eq!(m.sched.next_deadline(), Some(5 * MS));
    m.tick(4 * MS);
    assert_eq!(m.running(), None, "deadline not reached yet");
    m.tick(MS);
    assert_eq!(m.running(), Some(t(1)));
    let reason = m.sched.take_wake_reason(t(1)).unwrap();
    assert_eq!(reason, Some(WakeReason::TimedOut));
    assert_eq!(reason.unwrap().as_result(), Err(abi::Errno::ETIMEDOUT));
    assert_eq!(m.sched.waiters(q), Ok(0), "timed-out waiter left the queue");
    assert_eq!(m.sched.take_wake_reason(t(1)).unwrap(), None, "consumed");
}

#[test]
fn woken_before_deadline_reports_woken_and_timer_is_disarmed() {
    let mut m = Machine::new();
    let q = m.sched.create_wait_queue();
    m.spawn(1, Priority::NORMAL);
    m.schedule();
    m.wait(q, Some(m.now + 5 * MS));
    m.tick(2 * MS);
    assert_eq!(m.sched.wake_one(q, m.now), Ok(Some(t(1))));
    assert_eq!(m.sched.next_deadline(), None);
    assert_eq!(m.schedule(), Decision::SwitchTo(t(1)));
    assert_eq!(m.sched.take_wake_reason(t(1)), Ok(Some(WakeReason::Woken)));
    // Block again without a deadline: the old timeout must not end it.
    m.wait(q, None);
    m.tick(10 * MS);
    assert!(matches!(m.sched.state(t(1)), Some(ThreadState::Blocked(_))));
}

#[test]
fn deadline_in_the_past_does_not_block() {
    let mut m = Machine::new();
    let q = m.sched.create_wait_queue();
    m.spawn(1, Priority::NORMAL);
    m.schedule();
    m.tick(MS);
    assert_eq!(m.wait(q, Some(MS)), Decision::Continue);
    assert_eq!(
        m.sched.take_wake_reason(t(1)),
        Ok(Some(WakeReason::TimedOut))
    );
    assert_eq!(m.sched.waiters(q), Ok(0));
}

#[test]
fn sleep_ends_at_its_deadline() {
    let mut m = Machine::new();
    m.spawn(1, Priority::NORMAL);
    m.spawn(2, Priority::NORMAL);
    m.schedule();
    let decision = m.sched.sleep_until(CPU, 30 * MS, m.now);
    assert_eq!(decision, Ok(Decision::SwitchTo(t(2))));
    let time = m.run(29, MS);
    assert_eq!(time.get(&t(1)), None);
    m.run(1, MS);
    // t2 has had the CPU for longer than a slice: t1 takes over at once.
    assert_eq!(m.running(), Some(t(1)));
    assert_eq!(
        m.sched.take_wake_reason(t(1)),
        Ok(Some(WakeReason::TimedOut))
    );
}

#[test]
fn interrupted_wait_reports_interrupted() {
    let mut m = Machine::new();
    let q = m.sched.create_wait_queue();
    m.spawn(1, Priority::NORMAL);
    m.schedule();
    assert_eq!(m.wait(q, Some(100 * MS)), Decision::Idle);
    assert_eq!(m.sched.interrupt(t(1), m.now), Ok(true));
    assert_eq!(m.schedule(), Decision::SwitchTo(t(1)));
    let reason = m.sched.take_wake_reason(t(1)).unwrap().unwrap();
    assert_eq!(reason, WakeReason::Interrupted);
    assert_eq!(reason.as_result(), Err(abi::Errno::EINTR));
    assert_eq!(m.sched.waiters(q), Ok(0));
    assert_eq!(m.sched.next_deadline(), None, "timeout disarmed");
}

#[test]
fn interruption_before_blocking_is_not_lost() {
    let mut m = Machine::new();
    let q = m.sched.create_wait_queue();
    m.spawn(1, Priority::NORMAL);
    m.schedule();
    // The signal arrives between the kernel's check and the block.
    assert_eq!(m.sched.interrupt(t(1), m.now), Ok(false));
    assert_eq!(m.wait(q, None), Decision::Continue);
    assert_eq!(
        m.sched.take_wake_reason(t(1)),
        Ok(Some(WakeReason::Interrupted))
    );
    // Once the kernel has handled the signal, waits block again.
    m.sched.clear_interrupt(t(1)).unwrap();
    assert_eq!(m.wait(q, None), Decision::Idle);
}

#[test]
fn the_decision_that_resumes_a_thread_hands_over_its_wake_reason() {
    let mut m = Machine::new();
    let q = m.sched.create_wait_queue();
    m.spawn(1, Priority::NORMAL);
    m.spawn(2, Priority::NORMAL);
    assert_eq!(m.schedule(), Decision::SwitchTo(t(1)));
    assert_eq!(
        m.sched
            .take_resumed_wake_reason(CPU, Decision::SwitchTo(t(1))),
        None
    );
    let decision = m.wait(q, None);
    assert_eq!(decision, Decision::SwitchTo(t(2)));
    // Thread 2 never blocked: nothing to hand over.
    assert_eq!(m.sched.take_resumed_wake_reason(CPU, decision), None);
    assert_eq!(m.sched.wake_one(q, m.now), Ok(Some(t(1))));
    let decision = m.sched.yield_current(CPU, m.now).unwrap();
    assert_eq!(decision, Decision::SwitchTo(t(1)));
    assert_eq!(
        m.sched.take_resumed_wake_reason(CPU, decision),
        Some(WakeReason::Woken)
    );
    // Taken once: the scheduler keeps no copy.
    assert_eq!(m.sched.take_wake_reason(t(1)), Ok(None));
    // A wait that does not block (a pending interruption) continues the
    // running thread, which gets its reason the same way.
    m.sched.interrupt(t(1), m.now).unwrap();
    let decision = m.wait(q, None);
    assert_eq!(decision, Decision::Continue);
    assert_eq!(
        m.sched.take_resumed_wake_reason(CPU, decision),
        Some(WakeReason::Interrupted)
    );
    assert_eq!(m.sched.take_resumed_wake_reason(CPU, Decision::Idle), None);
}

#[test]
fn a_decision_made_resuming_takes_the_reason_in_the_same_call() {
    let mut m = Machine::new();
    let q = m.sched.create_wait_queue();
    m.spawn(1, Priority::NORMAL);
    m.spawn(2, Priority::NORMAL);
    assert_eq!(
        m.sched.resuming(CPU, |s| s.schedule(CPU, 0)),
        Ok((Decision::SwitchTo(t(1)), None))
    );
    let blocked = m
        .sched
        .resuming(CPU, |s| s.wait_on(CPU, q, true, Some(5 * MS), 0));
    assert_eq!(blocked, Ok((Decision::SwitchTo(t(2)), None)));
    m.now = 6 * MS;
    m.sched.on_timer_tick(CPU, m.now, |_, _| {}).unwrap();
    let decision = m.sched.resuming(CPU, |s| s.yield_current(CPU, 6 * MS));
    assert_eq!(
        decision,
        Ok((Decision::SwitchTo(t(1)), Some(WakeReason::TimedOut)))
    );
    assert_eq!(m.sched.take_wake_reason(t(1)), Ok(None), "taken once");
    // A failed decision hands nothing over.
    assert_eq!(
        m.sched.resuming(CPU, |s| s.schedule(CpuId(7), 0)),
        Err(abi::Errno::EINVAL)
    );
    assert_eq!(
        m.sched.resuming(CpuId(7), |s| s.schedule(CPU, 0)),
        Err(abi::Errno::EINVAL)
    );
}

#[test]
fn uninterruptible_wait_ignores_interruption() {
    let mut m = Machine::new();
    let q = m.sched.create_wait_queue();
    m.spawn(1, Priority::NORMAL);
    m.schedule();
    let decision = m.sched.wait_on(CPU, q, false, None, m.now);
    assert_eq!(decision, Ok(Decision::Idle));
    assert_eq!(m.sched.interrupt(t(1), m.now), Ok(false));
    assert!(matches!(m.sched.state(t(1)), Some(ThreadState::Blocked(_))));
    assert_eq!(m.sched.wake_all(q, m.now), Ok(1));
    assert_eq!(m.sched.take_wake_reason(t(1)), Ok(Some(WakeReason::Woken)));
}

#[test]
fn wake_all_wakes_in_arrival_order() {
    let mut m = Machine::new();
    let q = m.sched.create_wait_queue();
    for id in 1..=3 {
        m.spawn(id, Priority::NORMAL);
    }
    assert_eq!(m.schedule(), Decision::SwitchTo(t(1)));
    assert_eq!(m.wait(q, None), Decision::SwitchTo(t(2)));
    assert_eq!(m.wait(q, None), Decision::SwitchTo(t(3)));
    assert_eq!(m.wait(q, None), Decision::Idle);
    assert_eq!(m.sched.destroy_wait_queue(q), Err(abi::Errno::EBUSY));
    assert_eq!(m.sched.wake_one(q, m.now), Ok(Some(t(1))));
    assert_eq!(m.sched.wake_all(q, m.now), Ok(2));
    assert_eq!(m.sched.wake_one(q, m.now), Ok(None));
    assert_eq!(m.sched.destroy_wait_queue(q), Ok(()));
    assert_eq!(m.sched.wake_one(q, m.now), Err(abi::Errno::EINVAL));
    // They run in the order they were woken.
    assert_eq!(m.schedule(), Decision::SwitchTo(t(1)));
    let order: Vec<u64> = (0..3).map(|_| m.tick(10 * MS).unwrap().0).collect();
    assert_eq!(order, [1, 2, 3]);
}

#[test]
fn cancelled_timer_never_fires() {
    let mut m = Machine::new();
    let kept = m.sched.set_alarm(10 * MS, 7);
    let cancelled = m.sched.set_alarm(5 * MS, 8);
    assert_eq!(m.sched.alarm_deadline(cancelled), Some(5 * MS));
    assert_eq!(m.sched.cancel_alarm(cancelled), Some(8));
    let mut fired = Vec::new();
    m.now = 20 * MS;
    m.sched
        .on_timer_tick(CPU, m.now, |id, token| fired.push((id, token)))
        .unwrap();
    assert_eq!(fired, [(kept, 7)]);
    assert_eq!(m.sched.cancel_alarm(kept), None, "already fired");
}

#[test]
fn exited_thread_is_finalized_after_the_switch() {
    let mut m = Machine::new();
    m.spawn(1, Priority::NORMAL);
    m.spawn(2, Priority::NORMAL);
    m.schedule();
    assert!(!m.sched.has_finalizable());
    assert_eq!(
        m.sched.exit_current(CPU, m.now),
        Ok(Decision::SwitchTo(t(2)))
    );
    assert_eq!(m.sched.state(t(1)), Some(ThreadState::Dying));
    assert_eq!(m.sched.take_finalizable(), Some(t(1)));
    assert_eq!(m.sched.state(t(1)), None);
    assert_eq!(m.sched.take_finalizable(), None);
    // The id can be reused.
    m.spawn(1, Priority::NORMAL);
    assert_eq!(m.sched.thread_count(), 2);
}

#[test]
fn stopped_thread_runs_again_only_after_resume() {
    let mut m = Machine::new();
    m.spawn(1, Priority::NORMAL);
    m.spawn(2, Priority::NORMAL);
    m.schedule();
    assert_eq!(
        m.sched.stop_current(CPU, m.now),
        Ok(Decision::SwitchTo(t(2)))
    );
    assert_eq!(m.sched.state(t(1)), Some(ThreadState::Stopped));
    assert_eq!(m.run(100, MS).get(&t(1)), None);
    assert_eq!(m.sched.resume(t(2), m.now), Ok(false), "not stopped");
    assert_eq!(m.sched.resume(t(1), m.now), Ok(true));
    let time = m.run(100, MS);
    assert!(time[&t(1)] > 0);
}

#[test]
fn unknown_ids_are_reported_not_panicked() {
    let mut m = Machine::new();
    assert_eq!(
        m.sched.wake(t(9), WakeReason::Woken, 0),
        Err(abi::Errno::ESRCH)
    );
    assert_eq!(m.sched.interrupt(t(9), 0), Err(abi::Errno::ESRCH));
    assert_eq!(m.sched.exit_current(CPU, 0), Err(abi::Errno::ESRCH));
    assert_eq!(m.sched.schedule(CpuId(5), 0), Err(abi::Errno::EINVAL));
    assert_eq!(
        m.sched.spawn(t(1), Priority::NORMAL, CpuSet::EMPTY, 0),
        Err(abi::Errno::EINVAL)
    );
    m.spawn(1, Priority::NORMAL);
    assert_eq!(
        m.sched.spawn(t(1), Priority::NORMAL, CpuSet::ALL, 0),
        Err(abi::Errno::EEXIST)
    );
    assert_eq!(m.sched.wake(t(1), WakeReason::Woken, 0), Ok(false));
}

#[test]
fn pinned_threads_stay_on_their_cpu() {
    let s = Scheduler::<NoInterrupts>::new(2, RunQueueConfig::default()).unwrap();
    let cpu1 = CpuSet::single(CpuId(1)).unwrap();
    s.spawn(t(1), Priority::NORMAL, cpu1, 0).unwrap();
    s.spawn(t(2), Priority::NORMAL, cpu1, 0).unwrap();
    assert_eq!(
        s.schedule(CpuId(0), 0),
        Ok(Decision::Continue),
        "cpu 0 idles"
    );
    assert_eq!(s.schedule(CpuId(1), 0), Ok(Decision::SwitchTo(t(1))));
    assert_eq!(
        s.set_affinity(t(2), CpuSet::EMPTY, 0),
        Err(abi::Errno::EINVAL)
    );
    // Move the waiting thread to cpu 0.
    s.set_affinity(t(2), CpuSet::single(CpuId(0)).unwrap(), 0)
        .unwrap();
    assert_eq!(s.cpu_of(t(2)), Ok(CpuId(0)));
    assert_eq!(s.schedule(CpuId(0), 0), Ok(Decision::SwitchTo(t(2))));
    // Move the running one: it leaves cpu 1 at its next reschedule.
    s.set_affinity(t(1), CpuSet::single(CpuId(0)).unwrap(), 0)
        .unwrap();
    assert!(s.need_resched(CpuId(1)));
    assert_eq!(s.schedule(CpuId(1), MS), Ok(Decision::Idle));
    assert_eq!(s.cpu_of(t(1)), Ok(CpuId(0)));
    assert_eq!(s.state(t(1)), Some(ThreadState::Runnable));
}

#[test]
fn interrupting_a_thread_running_on_another_cpu_asks_that_cpu_to_reschedule() {
    let s = Scheduler::<NoInterrupts>::new(2, RunQueueConfig::default()).unwrap();
    let cpu1 = CpuSet::single(CpuId(1)).unwrap();
    s.spawn(t(1), Priority::NORMAL, cpu1, 0).unwrap();
    assert_eq!(s.schedule(CpuId(1), 0), Ok(Decision::SwitchTo(t(1))));
    // The spawn asked CPU 1 to reschedule; that request is handed out once.
    assert_eq!(s.take_resched_cpus(), cpu1);
    assert_eq!(s.take_resched_cpus(), CpuSet::EMPTY);
    // A signal for it while it runs user code: its CPU must take an
    // interrupt (the kernel sends the reschedule IPI) to deliver it now.
    assert_eq!(s.interrupt(t(1), MS), Ok(false));
    assert!(s.need_resched(CpuId(1)));
    assert_eq!(s.take_resched_cpus(), cpu1);
    // Nothing else to run there: it goes on running.
    assert_eq!(s.schedule(CpuId(1), MS), Ok(Decision::Continue));
    assert_eq!(s.state(t(1)), Some(ThreadState::Running));
    assert_eq!(s.take_resched_cpus(), CpuSet::EMPTY);
}

#[test]
fn new_threads_spread_over_cpus() {
    let s = Scheduler::<NoInterrupts>::new(2, RunQueueConfig::default()).unwrap();
    for id in 1..=4 {
        s.spawn(t(id), Priority::NORMAL, CpuSet::ALL, 0).unwrap();
    }
    assert_eq!(s.runnable_on(CpuId(0)), 2);
    assert_eq!(s.runnable_on(CpuId(1)), 2);
    assert_eq!(s.take_resched_cpus(), CpuSet::first(2));
}

#[test]
fn a_new_thread_stays_on_its_creators_cpu_when_no_other_is_less_loaded() {
    let s = Scheduler::<NoInterrupts>::new(2, RunQueueConfig::default()).unwrap();
    // Two parents, one running on each CPU.
    s.spawn(t(1), Priority::NORMAL, CpuSet::ALL, 0).unwrap();
    s.spawn(t(2), Priority::NORMAL, CpuSet::ALL, 0).unwrap();
    assert_eq!(s.schedule(CpuId(0), 0), Ok(Decision::SwitchTo(t(1))));
    assert_eq!(s.schedule(CpuId(1), 0), Ok(Decision::SwitchTo(t(2))));
    // The second forks: its child queues beside it, not on the first CPU.
    s.spawn_near(t(3), Priority::NORMAL, CpuSet::ALL, Some(CpuId(1)), 0)
        .unwrap();
    assert_eq!(s.cpu_of(t(3)), Ok(CpuId(1)));
    // It forks again: the first CPU is less loaded now, and wins.
    s.spawn_near(t(4), Priority::NORMAL, CpuSet::ALL, Some(CpuId(1)), 0)
        .unwrap();
    assert_eq!(s.cpu_of(t(4)), Ok(CpuId(0)));
    // Two a CPU again: the first parent's child stays with it.
    s.spawn_near(t(5), Priority::NORMAL, CpuSet::ALL, Some(CpuId(0)), 0)
        .unwrap();
    assert_eq!(s.cpu_of(t(5)), Ok(CpuId(0)));
}

#[test]
fn a_sync_wake_puts_the_sleeper_on_the_wakers_cpu() {
    let setup = || {
        let s = Scheduler::<NoInterrupts>::new(2, RunQueueConfig::default()).unwrap();
        let q = s.create_wait_queue();
        s.spawn_near(t(1), Priority::NORMAL, CpuSet::ALL, Some(CpuId(0)), 0)
            .unwrap();
        s.spawn_near(t(2), Priority::NORMAL, CpuSet::ALL, Some(CpuId(1)), 0)
            .unwrap();
        assert_eq!(s.schedule(CpuId(0), 0), Ok(Decision::SwitchTo(t(1))));
        assert_eq!(s.schedule(CpuId(1), 0), Ok(Decision::SwitchTo(t(2))));
        // t2 sleeps on the queue; its CPU goes idle.
        s.block_current(CpuId(1), BlockReason::Queue(q), None, 0)
            .unwrap();
        (s, q)
    };
    // A plain wake sends it back to its own idle CPU.
    let (s, q) = setup();
    s.wake_all(q, MS).unwrap();
    assert_eq!(s.cpu_of(t(2)), Ok(CpuId(1)));
    // t1 wakes it on its way out: it takes t1's CPU, no IPI needed.
    let (s, q) = setup();
    assert_eq!(s.wake_all_sync(q, CpuId(0), MS), Ok(1));
    assert_eq!(s.cpu_of(t(2)), Ok(CpuId(0)));
    // Not when another thread already waits there.
    let (s, q) = setup();
    s.spawn(t(3), Priority::NORMAL, CpuSet::single(CpuId(0)).unwrap(), 0)
        .unwrap();
    assert_eq!(s.wake_one_sync(q, CpuId(0), MS), Ok(Some(t(2))));
    assert_eq!(s.cpu_of(t(2)), Ok(CpuId(1)));
}

#[test]
fn cpu_time_and_switches_are_counted() {
    let mut m = Machine::new();
    m.spawn(1, Priority::NORMAL);
    m.spawn(2, Priority::NORMAL);
    m.schedule();
    m.run(20, MS); // t1 10 ms, then t2 10 ms (preempted at the slice end)
    m.sched
        .block_current(CPU, BlockReason::Sleep, Some(m.now + 50 * MS), m.now)
        .unwrap(); // t1 sleeps, t2 takes over
    m.run(5, MS);
    let t1 = m.sched.stats(t(1), m.now).unwrap();
    let t2 = m.sched.stats(t(2), m.now).unwrap();
    assert_eq!(t1.cpu_time_ns, 10 * MS);
    assert_eq!(t2.cpu_time_ns, 15 * MS, "running slice included");
    assert_eq!((t1.voluntary_switches, t1.involuntary_switches), (1, 1));
    assert_eq!((t2.voluntary_switches, t2.involuntary_switches), (0, 1));
}

#[test]
fn next_event_is_the_earlier_of_deadline_and_slice_end() {
    let mut m = Machine::new();
    m.spawn(1, Priority::NORMAL);
    m.schedule();
    assert_eq!(
        m.sched.next_event(CPU),
        None,
        "alone and no timers: no tick needed"
    );
    m.sched.set_alarm(25 * MS, 0);
    assert_eq!(m.sched.next_event(CPU), Some(25 * MS));
    m.spawn(2, Priority::NORMAL);
    assert_eq!(
        m.sched.next_event(CPU),
        Some(10 * MS),
        "t1's slice ends first"
    );
}

#[test]
fn only_long_uninterruptible_waits_count_as_hung() {
    let mut m = Machine::new();
    for id in 1..=3 {
        m.spawn(id, Priority::NORMAL);
    }
    let (q1, q2) = (m.sched.create_wait_queue(), m.sched.create_wait_queue());
    // One sleeps uninterruptibly at 0, one interruptibly, one
    // uninterruptibly at 50.
    m.schedule();
    let first = m.running().unwrap();
    m.sched.wait_on(CPU, q1, false, None, m.now).unwrap();
    m.schedule();
    let second = m.running().unwrap();
    m.wait(q2, None);
    m.now = 50;
    m.schedule();
    let third = m.running().unwrap();
    m.sched.wait_on(CPU, q1, false, None, m.now).unwrap();
    assert_ne!(first, second);
    assert_eq!(m.sched.blocked_uninterruptibly_since(10), [(first, 0)]);
    assert_eq!(
        m.sched.blocked_uninterruptibly_since(50),
        [(first, 0), (third, 50)]
    );
    // Woken, it is no longer hung.
    m.sched.wake_all(q1, m.now).unwrap();
    assert!(m.sched.blocked_uninterruptibly_since(100).is_empty());
}

#[test]
fn a_busy_cpu_takes_from_a_longer_queue_at_the_balance_interval() {
    let s = Scheduler::<NoInterrupts>::new(2, RunQueueConfig::default()).unwrap();
    let cpu0 = CpuSet::single(CpuId(0)).unwrap();
    let cpu1 = CpuSet::single(CpuId(1)).unwrap();
    // Four threads queued on CPU 0, one on CPU 1; then all may go anywhere.
    for id in 1..=4 {
        s.spawn(t(id), Priority::NORMAL, cpu0, 0).unwrap();
    }
    s.spawn(t(5), Priority::NORMAL, cpu1, 0).unwrap();
    assert_eq!(s.schedule(CpuId(0), 0), Ok(Decision::SwitchTo(t(1))));
    assert_eq!(s.schedule(CpuId(1), 0), Ok(Decision::SwitchTo(t(5))));
    for id in 1..=5 {
        s.set_affinity(t(id), CpuSet::ALL, 0).unwrap();
    }
    let loads = |s: &Scheduler<NoInterrupts>| (s.runnable_on(CpuId(0)), s.runnable_on(CpuId(1)));
    let interval = sched::BALANCE_INTERVAL_NS;
    // Before the interval, nothing moves: CPU 1 is busy, not idle.
    s.on_timer_tick(CpuId(1), MS, |_, _| {}).unwrap();
    assert_eq!(loads(&s), (4, 1));
    // At the interval, one waiting thread comes over.
    s.on_timer_tick(CpuId(1), interval, |_, _| {}).unwrap();
    assert_eq!(loads(&s), (3, 2));
    // A gap of one stays: moving another would only turn it around.
    s.on_timer_tick(CpuId(1), 2 * interval, |_, _| {}).unwrap();
    assert_eq!(loads(&s), (3, 2));
    s.on_timer_tick(CpuId(0), 2 * interval, |_, _| {}).unwrap();
    assert_eq!(loads(&s), (3, 2));
    // The moved thread runs on CPU 1 in its turn.
    let moved = (2..=4).find(|&id| s.cpu_of(t(id)) == Ok(CpuId(1))).unwrap();
    let mut ran_there = false;
    for n in 3..10 {
        s.on_timer_tick(CpuId(1), n * interval, |_, _| {}).unwrap();
        if let Ok(Decision::SwitchTo(id)) = s.schedule(CpuId(1), n * interval) {
            ran_there |= id == t(moved);
        }
    }
    assert!(ran_there);
}

#[test]
fn balancing_leaves_pinned_threads_where_they_are() {
    let s = Scheduler::<NoInterrupts>::new(2, RunQueueConfig::default()).unwrap();
    let cpu0 = CpuSet::single(CpuId(0)).unwrap();
    for id in 1..=4 {
        s.spawn(t(id), Priority::NORMAL, cpu0, 0).unwrap();
    }
    s.spawn(t(5), Priority::NORMAL, CpuSet::single(CpuId(1)).unwrap(), 0)
        .unwrap();
    assert_eq!(s.schedule(CpuId(0), 0), Ok(Decision::SwitchTo(t(1))));
    assert_eq!(s.schedule(CpuId(1), 0), Ok(Decision::SwitchTo(t(5))));
    for n in 1..5 {
        s.on_timer_tick(CpuId(1), n * sched::BALANCE_INTERVAL_NS, |_, _| {})
            .unwrap();
    }
    assert_eq!(s.runnable_on(CpuId(0)), 4);
    assert_eq!(s.runnable_on(CpuId(1)), 1);
}

#[test]
fn balancing_weighs_threads_by_priority_not_by_count() {
    // CPU 0: two nice-0 threads; CPU 1: one nice-19 thread. By count the
    // queues differ by one and nothing would move, leaving the two
    // normal threads half a CPU each while a background job has a whole
    // one; by weight (2,048 against 15) one of them moves.
    let s = Scheduler::<NoInterrupts>::new(2, RunQueueConfig::default()).unwrap();
    let cpu0 = CpuSet::single(CpuId(0)).unwrap();
    s.spawn(t(1), Priority::NORMAL, cpu0, 0).unwrap();
    s.spawn(t(2), Priority::NORMAL, cpu0, 0).unwrap();
    s.spawn(t(3), nice(19), CpuSet::single(CpuId(1)).unwrap(), 0)
        .unwrap();
    assert_eq!(s.schedule(CpuId(0), 0), Ok(Decision::SwitchTo(t(1))));
    assert_eq!(s.schedule(CpuId(1), 0), Ok(Decision::SwitchTo(t(3))));
    for id in 1..=3 {
        s.set_affinity(t(id), CpuSet::ALL, 0).unwrap();
    }
    s.on_timer_tick(CpuId(1), sched::BALANCE_INTERVAL_NS, |_, _| {})
        .unwrap();
    assert_eq!(s.cpu_of(t(2)), Ok(CpuId(1)));
    assert_eq!((s.runnable_on(CpuId(0)), s.runnable_on(CpuId(1))), (1, 2));
    // And it stays: moving either back would only widen the gap.
    for n in 2..6 {
        for cpu in [CpuId(0), CpuId(1)] {
            s.on_timer_tick(cpu, n * sched::BALANCE_INTERVAL_NS, |_, _| {})
                .unwrap();
        }
    }
    assert_eq!(s.cpu_of(t(2)), Ok(CpuId(1)));
    assert_eq!(s.cpu_of(t(1)), Ok(CpuId(0)));
}

#[test]
fn a_new_thread_goes_where_the_weight_is_least_not_the_count() {
    // CPU 0 runs one nice-0 thread, CPU 1 two nice-19 ones: a new thread
    // belongs on CPU 1 (30 against 1,024).
    let s = Scheduler::<NoInterrupts>::new(2, RunQueueConfig::default()).unwrap();
    s.spawn(t(1), Priority::NORMAL, CpuSet::single(CpuId(0)).unwrap(), 0)
        .unwrap();
    let cpu1 = CpuSet::single(CpuId(1)).unwrap();
    s.spawn(t(2), nice(19), cpu1, 0).unwrap();
    s.spawn(t(3), nice(19), cpu1, 0).unwrap();
    s.spawn(t(4), Priority::NORMAL, CpuSet::ALL, 0).unwrap();
    assert_eq!(s.cpu_of(t(4)), Ok(CpuId(1)));
}

/// Two threads pinned to two CPUs hand a token back and forth (a futex
/// ping-pong), each CPU also running a thread that never sleeps. Each
/// player runs a few microseconds and sleeps a little longer, far less
/// than the wake-up granularity: it still preempts the spinner at once,
/// because the deficit it builds up while sleeping outlives each sleep.
/// (When a sleeper's lag could not be negative, only the first two wakes
/// preempted; every later handoff waited for a tick.)
#[test]
fn a_pinned_ping_pong_preempts_spinners_on_both_cpus() {
    let s = Scheduler::<NoInterrupts>::new(2, RunQueueConfig::default()).unwrap();
    let (c0, c1) = (CpuId(0), CpuId(1));
    let on = |cpu| CpuSet::single(cpu).unwrap();
    let to_q = s.create_wait_queue();
    let to_p = s.create_wait_queue();
    let mut now = 0;
    s.spawn(t(1), Priority::NORMAL, on(c0), now).unwrap(); // spinner
    s.spawn(t(2), Priority::NORMAL, on(c1), now).unwrap(); // spinner
    s.spawn(t(3), Priority::NORMAL, on(c0), now).unwrap(); // player Q
    s.spawn(t(4), Priority::NORMAL, on(c1), now).unwrap(); // player P
    s.schedule(c0, now).unwrap();
    s.schedule(c1, now).unwrap();
    // Ticks until each player has had its turn and sleeps.
    for _ in 0..10 {
        now += 4 * MS;
        for cpu in [c0, c1] {
            if s.on_timer_tick(cpu, now, |_, _| {}).unwrap() {
                s.schedule(cpu, now).unwrap();
            }
        }
        for (cpu, player, queue) in [(c0, t(3), to_q), (c1, t(4), to_p)] {
            if s.current(cpu) == Some(player) {
                s.wait_on(cpu, queue, true, None, now).unwrap();
            }
        }
    }
    assert!(matches!(s.state(t(3)), Some(ThreadState::Blocked(_))));
    assert!(matches!(s.state(t(4)), Some(ThreadState::Blocked(_))));
    // Q is woken; it runs 20 us, wakes P on the other CPU and sleeps.
    let (mut cpu, mut player, mut wake, mut other) = (c0, t(3), to_q, to_p);
    for round in 0..1000 {
        now += 50_000;
        s.wake_one(wake, now).unwrap();
        assert!(s.need_resched(cpu), "round {round}: the spinner runs on");
        assert_eq!(s.schedule(cpu, now), Ok(Decision::SwitchTo(player)));
        now += 20_000;
        s.wait_on(cpu, wake, true, None, now).unwrap();
        (cpu, player) = if cpu == c0 { (c1, t(4)) } else { (c0, t(3)) };
        (wake, other) = (other, wake);
    }
}
