//! One CPU's run queue: a weighted fair queue ordered by virtual runtime.
//!
//! Every thread carries a *virtual runtime*: the CPU time it received,
//! scaled by `NORMAL_WEIGHT / weight`, so a heavier (higher-priority) thread's
//! clock runs slower. The queue always runs the thread with the smallest
//! virtual runtime, so over time each runnable thread gets CPU in proportion
//! to its weight, and none starves: a waiting thread's virtual runtime stands
//! still while the running one's grows past it (this is CFS, simplified to a
//! fixed time slice). Equal virtual runtimes go to the higher priority, then
//! to whoever was queued first, which makes equals round-robin.
//!
//! The queue holds the running thread (`current`, with its accounting,
//! outside the set of waiting ones, as CFS keeps `curr`: charging it,
//! blocking it and waking another cost no lookup of it) and the runnable
//! ones (a `ReadySet`, whose smallest member needs no
//! tree either); blocked threads leave it with [`RunQueue::depart`],
//! keeping their virtual runtime ([`Departure`]) while the others' grows,
//! so that a sleeper comes back behind the threads that ran meanwhile (by
//! at most [`RunQueueConfig::sleeper_credit_ns`]) and preempts a CPU-bound
//! one. Threads that move or stop leave with [`RunQueue::dequeue`] and keep
//! their [`Lag`], their place relative to the minimum. Nothing here is shared
//! between CPUs: an SMP kernel gives each CPU its own `RunQueue` and moves a
//! thread by `dequeue` on one and `enqueue_with_lag` on the other, the lag
//! being relative to each queue's own minimum.

use crate::priority::Priority;
use crate::ready_set::{Entity, ReadySet};
use crate::thread_id::ThreadId;
use abi::{Errno, KernelResult};

/// Tunables of a run queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunQueueConfig {
    /// How long a thread runs before a waiting one may preempt it.
    pub slice_ns: u64,
    /// How far (in nice-0 nanoseconds of virtual runtime) a woken thread must
    /// be behind the running one to preempt it at once rather than at the
    /// end of the slice; keeps wake-ups from thrashing the CPU.
    pub wakeup_granularity_ns: u64,
    /// The most a woken thread is placed behind the queue's minimum. A
    /// sleeper keeps its virtual runtime while the others' grow (see
    /// [`Departure`]), so one that slept while a CPU-bound thread ran comes
    /// back behind it and preempts it at once instead of waiting out its
    /// slice (a pipe or futex partner on a busy CPU); the bound keeps a
    /// long sleep from being owed back in full, as CFS's
    /// `GENTLE_FAIR_SLEEPERS` half-latency bound does.
    pub sleeper_credit_ns: u64,
}

impl Default for RunQueueConfig {
    /// A 10 ms slice, 1 ms wake-up granularity, 5 ms sleeper credit.
    fn default() -> Self {
        RunQueueConfig {
            slice_ns: 10_000_000,
            wakeup_granularity_ns: 1_000_000,
            sleeper_credit_ns: 5_000_000,
        }
    }
}

/// How far ahead of its queue's minimum (positive) or behind it (negative)
/// a thread's virtual runtime is: what a thread moving between queues
/// (migrating, or stopped and continued) takes along, so that it keeps its
/// place in the fair share. New threads have zero lag.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Lag(i128);

/// A blocked thread's virtual runtime as it left its queue. It stands
/// still while the queue's minimum moves on with the threads that run, so
/// [`RunQueue::lag_since`] at the wake-up tells how far behind them the
/// sleep left it (as CFS keeps a sleeper's absolute virtual runtime): a
/// thread that sleeps often while a CPU-bound one runs keeps a deficit,
/// however briefly each sleep lasts, and preempts it on every wake-up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Departure(u128);

/// The per-CPU run queue. The idle thread is never in it: when
/// [`RunQueue::pick_next`] returns `None` the CPU runs its idle thread.
#[derive(Debug)]
pub struct RunQueue {
    config: RunQueueConfig,
    /// The waiting threads, not the running one.
    ready: ReadySet,
    /// The running thread and its entity.
    current: Option<(ThreadId, Entity)>,
    /// The time up to which `current`'s virtual runtime is charged.
    accounted_until: u64,
    /// When `current` was picked.
    slice_start: u64,
    /// Never decreases; no thread in the queue has a smaller virtual runtime.
    min_vruntime: u128,
    next_seq: u64,
    need_resched: bool,
    /// The weights of every thread here, the running one included: what
    /// balancing compares between CPUs.
    load: u64,
}

impl RunQueue {
    /// An empty queue.
    pub fn new(config: RunQueueConfig) -> Self {
        RunQueue {
            config,
            ready: ReadySet::default(),
            current: None,
            accounted_until: 0,
            slice_start: 0,
            min_vruntime: 0,
            next_seq: 0,
            need_resched: false,
            load: 0,
        }
    }

    /// The tunables.
    pub fn config(&self) -> RunQueueConfig {
        self.config
    }

    fn scaled(ns: u64, priority: Priority) -> u128 {
        let weight = priority.weight();
        // Most threads run at the normal weight: no 128-bit division.
        if weight == Priority::NORMAL_WEIGHT {
            return u128::from(ns);
        }
        u128::from(ns) * u128::from(Priority::NORMAL_WEIGHT) / u128::from(weight)
    }

    /// Charges the running thread for the time since it was last charged.
    fn account(&mut self, now: u64) {
        let Some((_, running)) = &mut self.current else {
            return;
        };
        let delta = now.saturating_sub(self.accounted_until);
        self.accounted_until = self.accounted_until.max(now);
        running.vruntime += Self::scaled(delta, running.priority);
        let running = running.vruntime;
        self.advance_min_vruntime(Some(running));
    }

    fn update_min_vruntime(&mut self) {
        let running = self.current.map(|(_, e)| e.vruntime);
        self.advance_min_vruntime(running);
    }

    /// Moves the minimum up to the smaller of `running` (the running
    /// thread's virtual runtime, if one runs) and the first waiter's.
    fn advance_min_vruntime(&mut self, running: Option<u128>) {
        let waiting = self.ready.first_vruntime();
        let smallest = match (running, waiting) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => return,
        };
        self.min_vruntime = self.min_vruntime.max(smallest);
    }

    /// The lag of a thread at `vruntime` against this queue's minimum.
    fn lag_at(&self, vruntime: u128) -> Lag {
        Lag(vruntime as i128 - self.min_vruntime as i128)
    }

    /// Makes `id` a waiting thread, behind the equals already there.
    fn insert_ready(&mut self, id: ThreadId, mut entity: Entity) {
        entity.seq = self.next_seq;
        self.next_seq += 1;
        self.ready.insert(id, entity);
    }

    /// Adds a new runnable thread, placed level with the most-served thread
    /// that waits (it neither jumps the queue nor waits behind everyone's
    /// history). `EEXIST` if it is already here.
    pub fn enqueue(&mut self, id: ThreadId, priority: Priority, now: u64) -> KernelResult<()> {
        self.enqueue_with_lag(id, priority, Lag::default(), now)
    }

    /// Adds a thread that left a queue with `lag` (woken, or migrated).
    /// Sets [`RunQueue::need_resched`] when the CPU is idle or the newcomer
    /// is far enough behind the running thread. `EEXIST` if already here.
    pub fn enqueue_with_lag(
        &mut self,
        id: ThreadId,
        priority: Priority,
        lag: Lag,
        now: u64,
    ) -> KernelResult<()> {
        self.enqueue_placed(id, priority, now, |_| lag)
    }

    /// Adds a thread woken with `lag` (from [`RunQueue::lag_since`] of
    /// the queue it slept from), placed no further behind the minimum than
    /// [`RunQueueConfig::sleeper_credit_ns`]. `EEXIST` if already here.
    pub fn enqueue_woken(
        &mut self,
        id: ThreadId,
        priority: Priority,
        lag: Lag,
        now: u64,
    ) -> KernelResult<()> {
        self.enqueue_placed(id, priority, now, |queue| queue.woken_lag(lag))
    }

    /// [`RunQueue::enqueue_woken`] for a thread that blocked in this very
    /// queue at `departure`: the queue is charged once, not once for
    /// [`RunQueue::lag_since`] and again for the enqueue.
    pub fn enqueue_departed(
        &mut self,
        id: ThreadId,
        priority: Priority,
        departure: Departure,
        now: u64,
    ) -> KernelResult<()> {
        self.enqueue_placed(id, priority, now, |queue| {
            queue.woken_lag(queue.lag_at(departure.0))
        })
    }

    /// `lag` bounded by the sleeper credit.
    fn woken_lag(&self, lag: Lag) -> Lag {
        Lag(lag.0.max(-i128::from(self.config.sleeper_credit_ns)))
    }

    /// Inserts `id` at the lag `place` gives once the running thread is
    /// charged up to `now`.
    fn enqueue_placed(
        &mut self,
        id: ThreadId,
        priority: Priority,
        now: u64,
        place: impl FnOnce(&Self) -> Lag,
    ) -> KernelResult<()> {
        if self.contains(id) {
            return Err(Errno::EEXIST);
        }
        self.account(now);
        let lag = place(self);
        let vruntime = (self.min_vruntime as i128 + lag.0).max(0) as u128;
        let entity = Entity {
            priority,
            vruntime,
            seq: 0,
        };
        self.insert_ready(id, entity);
        self.load += u64::from(priority.weight());
        match &self.current {
            None => self.need_resched = true,
            Some((_, running)) => {
                let granularity = Self::scaled(self.config.wakeup_granularity_ns, priority);
                if running.vruntime > vruntime + granularity {
                    self.need_resched = true;
                }
            }
        }
        Ok(())
    }

    /// Takes `id` out (it blocked, stopped, exited or migrates) and returns
    /// its lag. If it was running, the CPU needs a new pick. `ESRCH` if it
    /// is not here.
    pub fn dequeue(&mut self, id: ThreadId, now: u64) -> KernelResult<Lag> {
        self.remove(id, now).map(|(lag, _)| lag)
    }

    /// Takes `id` out as [`RunQueue::dequeue`] does, for a thread that
    /// blocks: its [`Departure`], to be measured against this queue at the
    /// wake-up.
    pub fn depart(&mut self, id: ThreadId, now: u64) -> KernelResult<Departure> {
        self.remove(id, now).map(|(_, departure)| departure)
    }

    /// Takes `id` out: its lag against the minimum it leaves, and its
    /// virtual runtime.
    fn remove(&mut self, id: ThreadId, now: u64) -> KernelResult<(Lag, Departure)> {
        let mut e = match self.current {
            Some((running, e)) if running == id => e,
            _ => {
                self.account(now);
                let e = self.ready.remove(id).ok_or(Errno::ESRCH)?;
                self.load -= u64::from(e.priority.weight());
                let lag = self.lag_at(e.vruntime);
                self.update_min_vruntime();
                return Ok((lag, Departure(e.vruntime)));
            }
        };
        // The running thread (it blocks, most often): charged and taken
        // out with no lookup; nothing runs here until the next pick.
        let delta = now.saturating_sub(self.accounted_until);
        self.accounted_until = self.accounted_until.max(now);
        e.vruntime += Self::scaled(delta, e.priority);
        self.current = None;
        self.load -= u64::from(e.priority.weight());
        self.need_resched = true;
        self.advance_min_vruntime(Some(e.vruntime));
        let lag = self.lag_at(e.vruntime);
        // With nothing running, the first waiter sets the minimum.
        self.advance_min_vruntime(None);
        Ok((lag, Departure(e.vruntime)))
    }

    /// The lag at `now` of a thread that left this queue at `departure`:
    /// behind the minimum by what the others ran meanwhile (and whatever
    /// deficit it left with). Charges the running thread up to `now` first.
    pub fn lag_since(&mut self, departure: Departure, now: u64) -> Lag {
        self.account(now);
        self.lag_at(departure.0)
    }

    /// The threads that wait for this CPU (not the running one), the next
    /// to run first: candidates for another CPU to pull.
    pub fn waiting_threads(&self) -> impl Iterator<Item = ThreadId> + '_ {
        self.ready.iter()
    }

    /// Chooses the thread to run from `now` on and makes it `current`; the
    /// previous `current`, still runnable, competes like the others. `None`
    /// means run the idle thread.
    pub fn pick_next(&mut self, now: u64) -> Option<ThreadId> {
        self.account(now);
        if let Some((prev, entity)) = self.current.take() {
            self.insert_ready(prev, entity);
        }
        self.need_resched = false;
        let (next, entity) = self.ready.pop_first()?;
        let vruntime = entity.vruntime;
        self.current = Some((next, entity));
        self.accounted_until = now;
        self.slice_start = now;
        self.advance_min_vruntime(Some(vruntime));
        Some(next)
    }

    /// The timer tick: charges the running thread and returns whether the
    /// CPU should reschedule (its slice is used up and another thread
    /// waits, or a thread waits while the CPU idles).
    pub fn tick(&mut self, now: u64) -> bool {
        self.account(now);
        if !self.ready.is_empty() {
            let slice_over = now.saturating_sub(self.slice_start) >= self.config.slice_ns;
            if self.current.is_none() || slice_over {
                self.need_resched = true;
            }
        }
        self.need_resched
    }

    /// `sched_yield`: puts the running thread behind every waiting one and
    /// asks for a reschedule. It keeps the virtual runtime it is moved to,
    /// so a yield costs at most the spread between waiting threads. `ESRCH`
    /// if nothing is running.
    pub fn yield_current(&mut self, now: u64) -> KernelResult<()> {
        self.account(now);
        let last = self.ready.last_vruntime();
        let (_, e) = self.current.as_mut().ok_or(Errno::ESRCH)?;
        if let Some(last) = last
            && e.vruntime <= last
        {
            e.vruntime = last + 1;
        }
        self.need_resched = true;
        Ok(())
    }

    /// Changes the weight of `id` from now on. `ESRCH` if it is not here.
    pub fn set_priority(&mut self, id: ThreadId, priority: Priority, now: u64) -> KernelResult<()> {
        self.account(now);
        if let Some((running, e)) = &mut self.current
            && *running == id
        {
            self.load = self.load - u64::from(e.priority.weight()) + u64::from(priority.weight());
            e.priority = priority;
            return Ok(());
        }
        let mut e = self.ready.remove(id).ok_or(Errno::ESRCH)?;
        self.load = self.load - u64::from(e.priority.weight()) + u64::from(priority.weight());
        e.priority = priority;
        self.insert_ready(id, e);
        Ok(())
    }

    /// The thread this CPU runs, if it is not idle.
    pub fn current(&self) -> Option<ThreadId> {
        self.current.map(|(id, _)| id)
    }

    /// When the running thread's slice ends, if another thread waits to
    /// take over then; `None` if nothing would preempt it.
    pub fn slice_end(&self) -> Option<u64> {
        if self.current.is_some() && !self.ready.is_empty() {
            Some(self.slice_start.saturating_add(self.config.slice_ns))
        } else {
            None
        }
    }

    /// Whether the CPU should call the scheduler at its next chance.
    pub fn need_resched(&self) -> bool {
        self.need_resched
    }

    /// Asks for a reschedule at the next chance.
    pub fn set_need_resched(&mut self) {
        self.need_resched = true;
    }

    /// Whether `id` is in this queue (running or waiting).
    pub fn contains(&self, id: ThreadId) -> bool {
        self.current() == Some(id) || self.ready.contains(id)
    }

    /// Threads in the queue, the running one included.
    pub fn len(&self) -> usize {
        self.ready.len() + usize::from(self.current.is_some())
    }

    /// Whether the queue holds no thread at all.
    pub fn is_empty(&self) -> bool {
        self.current.is_none() && self.ready.is_empty()
    }

    /// Threads waiting for the CPU (the running one excluded).
    pub fn waiting(&self) -> usize {
        self.ready.len()
    }

    /// The sum of the weights ([`Priority::weight`]) of the threads in
    /// the queue, the running one included: a nice-19 thread loads a CPU
    /// a seventieth as much as a nice-0 one.
    pub fn load(&self) -> u64 {
        self.load
    }

    /// The virtual runtime of `id` in nice-0 nanoseconds, relative to the
    /// queue's minimum (its current lag); for statistics and tests.
    pub fn lag_of(&self, id: ThreadId) -> Option<Lag> {
        let e = match &self.current {
            Some((running, e)) if *running == id => e,
            _ => self.ready.get(id)?,
        };
        Some(self.lag_at(e.vruntime))
    }
}

impl Lag {
    /// The lag in nice-0 nanoseconds of virtual runtime (negative: behind
    /// the queue's minimum).
    pub fn as_nanos(self) -> i128 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    fn t(n: u64) -> ThreadId {
        ThreadId(n)
    }

    #[test]
    fn empty_queue_picks_idle() {
        let mut rq = RunQueue::new(RunQueueConfig::default());
        assert_eq!(rq.pick_next(0), None);
        assert!(!rq.tick(10 * MS));
    }

    #[test]
    fn duplicate_enqueue_is_eexist_and_unknown_dequeue_is_esrch() {
        let mut rq = RunQueue::new(RunQueueConfig::default());
        rq.enqueue(t(1), Priority::NORMAL, 0).unwrap();
        assert_eq!(rq.enqueue(t(1), Priority::NORMAL, 0), Err(Errno::EEXIST));
        assert_eq!(rq.dequeue(t(2), 0), Err(Errno::ESRCH));
        assert_eq!(rq.yield_current(0), Err(Errno::ESRCH));
    }

    #[test]
    fn slice_expiry_requests_preemption_only_when_someone_waits() {
        let mut rq = RunQueue::new(RunQueueConfig::default());
        rq.enqueue(t(1), Priority::NORMAL, 0).unwrap();
        assert_eq!(rq.pick_next(0), Some(t(1)));
        assert!(!rq.tick(50 * MS), "alone: keeps the CPU");
        rq.enqueue(t(2), Priority::NORMAL, 50 * MS).unwrap();
        assert!(rq.tick(51 * MS));
        assert_eq!(rq.pick_next(51 * MS), Some(t(2)));
    }

    #[test]
    fn woken_thread_behind_the_runner_preempts_it() {
        let mut rq = RunQueue::new(RunQueueConfig::default());
        for n in 1..=3 {
            rq.enqueue(t(n), Priority::NORMAL, 0).unwrap();
        }
        assert_eq!(rq.pick_next(0), Some(t(1)));
        let lag = rq.dequeue(t(3), 0).unwrap();
        assert!(!rq.tick(9 * MS), "slice not over yet");
        // t3 comes back level with t2, 9 ms of virtual runtime behind t1.
        rq.enqueue_with_lag(t(3), Priority::NORMAL, lag, 9 * MS)
            .unwrap();
        assert!(rq.need_resched());
        assert_eq!(rq.pick_next(9 * MS), Some(t(2)));
        assert_eq!(rq.pick_next(9 * MS), Some(t(3)));
    }

    #[test]
    fn wake_level_with_the_runner_waits_for_the_slice_end() {
        let mut rq = RunQueue::new(RunQueueConfig::default());
        rq.enqueue(t(1), Priority::NORMAL, 0).unwrap();
        rq.enqueue(t(2), Priority::NORMAL, 0).unwrap();
        assert_eq!(rq.pick_next(0), Some(t(1)));
        let lag = rq.dequeue(t(2), 0).unwrap();
        // t1 runs alone, so the queue's minimum follows it: t2 earns nothing
        // by sleeping and returns level with t1.
        rq.enqueue_with_lag(t(2), Priority::NORMAL, lag, 5 * MS)
            .unwrap();
        assert!(!rq.need_resched());
        assert!(rq.tick(10 * MS));
        assert_eq!(rq.pick_next(10 * MS), Some(t(2)));
    }

    #[test]
    fn a_thread_woken_after_a_sleep_preempts_a_runner_level_with_it() {
        let mut rq = RunQueue::new(RunQueueConfig::default());
        rq.enqueue(t(1), Priority::NORMAL, 0).unwrap();
        rq.enqueue(t(2), Priority::NORMAL, 0).unwrap();
        assert_eq!(rq.pick_next(0), Some(t(1)));
        let departure = rq.depart(t(2), 0).unwrap();
        // Asleep 3 ms while t1 ran: it comes back 3 ms behind, past the
        // 1 ms granularity, and takes the CPU without waiting 10 ms.
        let lag = rq.lag_since(departure, 3 * MS);
        assert_eq!(lag.as_nanos(), -i128::from(3 * MS));
        rq.enqueue_woken(t(2), Priority::NORMAL, lag, 3 * MS)
            .unwrap();
        assert!(rq.need_resched());
        assert_eq!(rq.pick_next(3 * MS), Some(t(2)));
    }

    #[test]
    fn a_thread_that_sleeps_briefly_and_often_does_not_starve_a_runner() {
        let mut rq = RunQueue::new(RunQueueConfig::default());
        rq.enqueue(t(1), Priority::NORMAL, 0).unwrap();
        rq.enqueue(t(2), Priority::NORMAL, 0).unwrap();
        let (mut now, mut ran) = (0, [0u64; 2]);
        let mut current = rq.pick_next(now);
        // t2 runs 2 ms then sleeps 10 us, over and over; t1 never sleeps.
        while now < 1000 * MS {
            match current {
                Some(id) if id == t(2) => {
                    now += 2 * MS;
                    ran[1] += 2 * MS;
                    let departure = rq.depart(t(2), now).unwrap();
                    current = rq.pick_next(now);
                    now += 10_000;
                    ran[0] += 10_000;
                    let lag = rq.lag_since(departure, now);
                    rq.enqueue_woken(t(2), Priority::NORMAL, lag, now).unwrap();
                }
                _ => {
                    now += MS;
                    ran[0] += MS;
                }
            }
            if rq.tick(now) {
                current = rq.pick_next(now);
            }
        }
        // t2 falls behind only by what t1 runs while it sleeps, 10 us a
        // time: t1 keeps at least its half (t2 gives the CPU up early and
        // waits for t1's slice).
        assert!(ran[0] > 500 * MS && ran[1] > 100 * MS, "{ran:?}");
    }

    #[test]
    fn the_running_thread_is_counted_and_reweighted_in_place() {
        let mut rq = RunQueue::new(RunQueueConfig::default());
        rq.enqueue(t(1), Priority::NORMAL, 0).unwrap();
        rq.enqueue(t(2), Priority::NORMAL, 0).unwrap();
        assert_eq!(rq.pick_next(0), Some(t(1)));
        assert!(rq.contains(t(1)) && rq.contains(t(2)));
        assert_eq!((rq.len(), rq.waiting()), (2, 1));
        assert_eq!(rq.enqueue(t(1), Priority::NORMAL, 0), Err(Errno::EEXIST));
        // Heavier from now on (nice -10, weight 9548): 10 ms of CPU cost
        // it about 1.07 ms of virtual runtime, not the 10 ms of nice 0.
        let heavy = Priority::from_nice(-10).unwrap();
        rq.set_priority(t(1), heavy, 0).unwrap();
        rq.tick(10 * MS);
        let lag = rq.lag_of(t(1)).unwrap().as_nanos();
        assert!(lag > i128::from(MS) && lag < i128::from(2 * MS), "{lag}");
        // The waiting one can be reweighted too, and stays queued.
        rq.set_priority(t(2), heavy, 10 * MS).unwrap();
        assert!(rq.waiting_threads().eq([t(2)]));
        assert_eq!(rq.dequeue(t(1), 10 * MS).map(|_| ()), Ok(()));
        assert_eq!((rq.len(), rq.current()), (1, None));
        assert_eq!(rq.pick_next(10 * MS), Some(t(2)));
        assert!(!rq.is_empty() && rq.waiting() == 0);
    }

    #[test]
    fn sleeping_keeps_a_thread_behind_by_its_lag() {
        let mut rq = RunQueue::new(RunQueueConfig::default());
        rq.enqueue(t(1), Priority::NORMAL, 0).unwrap();
        rq.enqueue(t(2), Priority::NORMAL, 0).unwrap();
        assert_eq!(rq.pick_next(0), Some(t(1)));
        // t1 runs 30 ms (no tick), then blocks 30 ms ahead of t2.
        let lag = rq.dequeue(t(1), 30 * MS).unwrap();
        assert_eq!(lag.as_nanos(), i128::from(30 * MS));
        assert_eq!(rq.pick_next(30 * MS), Some(t(2)));
        rq.enqueue_with_lag(t(1), Priority::NORMAL, lag, 40 * MS)
            .unwrap();
        // t2 has run 10 ms; t1 comes back 30 ms ahead of it: no preemption.
        assert!(!rq.need_resched());
        assert_eq!(rq.lag_of(t(1)), Some(lag));
    }

    #[test]
    fn a_sleepers_deficit_outlives_its_sleep_down_to_one_credit() {
        let credit = RunQueueConfig::default().sleeper_credit_ns;
        let mut rq = RunQueue::new(RunQueueConfig::default());
        rq.enqueue(t(1), Priority::NORMAL, 0).unwrap();
        rq.enqueue(t(2), Priority::NORMAL, 0).unwrap();
        assert_eq!(rq.pick_next(0), Some(t(1)));
        // t2 sleeps 2 ms while t1 spins: back 2 ms behind, it preempts
        // (granularity 1 ms), runs 100 us and sleeps again.
        let departure = rq.depart(t(2), 0).unwrap();
        let lag = rq.lag_since(departure, 2 * MS);
        rq.enqueue_woken(t(2), Priority::NORMAL, lag, 2 * MS)
            .unwrap();
        assert!(rq.need_resched());
        assert_eq!(rq.pick_next(2 * MS), Some(t(2)));
        let departure = rq.depart(t(2), 2 * MS + 100_000).unwrap();
        assert_eq!(rq.pick_next(2 * MS + 100_000), Some(t(1)));
        // Back after only 50 us, far less than the granularity: the
        // deficit it left with still counts, so it preempts again.
        let lag = rq.lag_since(departure, 2 * MS + 150_000);
        assert_eq!(lag.as_nanos(), -i128::from(2 * MS - 100_000 + 50_000));
        rq.enqueue_woken(t(2), Priority::NORMAL, lag, 2 * MS + 150_000)
            .unwrap();
        assert!(rq.need_resched());
        // However long a sleep, a sleeper comes back at most one credit
        // behind.
        let departure = rq.depart(t(2), 2 * MS + 150_000).unwrap();
        let lag = rq.lag_since(departure, 1000 * MS);
        rq.enqueue_woken(t(2), Priority::NORMAL, lag, 1000 * MS)
            .unwrap();
        assert_eq!(rq.lag_of(t(2)).unwrap().as_nanos(), -i128::from(credit));
    }
}
