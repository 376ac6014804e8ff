//! The scheduler: run queues, timers, wait queues and thread states in one
//! value that the kernel drives.
//!
//! The kernel keeps one `Scheduler` behind its IRQ-safe spinlock and calls
//! it at a handful of points: thread creation ([`Scheduler::spawn`]), the
//! timer interrupt ([`Scheduler::on_timer_tick`]), whenever a CPU should
//! reschedule ([`Scheduler::schedule`], which says which thread to switch
//! to), and from the blocking primitives ([`Scheduler::block_current`],
//! [`Scheduler::wake`], [`Scheduler::wake_one`], [`Scheduler::interrupt`]).
//! Each operation costs O(log n) in the number of threads and timers per
//! thread it touches, except taking a waiter out of the middle of a wait
//! queue (linear in that queue's length) and choosing a CPU (linear in the
//! number of CPUs).

use crate::cpu::{CpuId, CpuSet, MAX_CPUS};
use crate::priority::Priority;
use crate::run_queue::{Departure, Lag, RunQueue, RunQueueConfig};
use crate::state::{BlockReason, ThreadState, WakeReason};
use crate::thread_id::{ThreadId, ThreadMap};
use crate::timer_queue::{TimerId, TimerQueue};
use crate::wait_queue::{WaitQueueId, WaitQueues};
use abi::{Errno, KernelResult};
use alloc::collections::VecDeque;
use alloc::vec::Vec;

/// How often each CPU's timer tick compares its run queue's load with
/// the others' and takes a waiting thread from a busier one when that
/// narrows the gap (Linux balances busy CPUs every few to some tens of
/// ms, by scheduling domain).
pub const BALANCE_INTERVAL_NS: u64 = 20_000_000;

/// What a CPU should do after [`Scheduler::schedule`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Keep running what runs now (a thread, or the idle thread).
    Continue,
    /// Switch to this thread.
    SwitchTo(ThreadId),
    /// Nothing is runnable: switch to this CPU's idle thread, which halts
    /// until the next interrupt.
    Idle,
}

/// What a thread has consumed, for `getrusage`, `times` and `/proc`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ThreadStats {
    /// CPU time used, in nanoseconds.
    pub cpu_time_ns: u64,
    /// Switches away because the thread blocked, stopped or exited
    /// (Linux's `nvcsw`).
    pub voluntary_switches: u64,
    /// Switches away while it could still run: preemption or `sched_yield`
    /// (Linux's `nivcsw`).
    pub involuntary_switches: u64,
}

/// Why a timer was armed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TimerEvent {
    /// A blocked thread's deadline.
    Timeout(ThreadId),
    /// A kernel alarm, with the token the kernel chose.
    Alarm(u64),
}

/// What the scheduler remembers of one thread.
#[derive(Clone, Copy, Debug)]
struct ThreadRecord {
    state: ThreadState,
    priority: Priority,
    affinity: CpuSet,
    /// The run queue it is in, or was last in.
    cpu: CpuId,
    /// Where it stands in the fair share while out of every queue
    /// (stopped, or between queues), relative to a queue's minimum.
    lag: Lag,
    /// Where a blocked thread left `cpu`'s queue: its lag is measured
    /// when it wakes.
    departure: Departure,
    /// When it last blocked (hung-task reports).
    blocked_at: u64,
    timeout: Option<TimerId>,
    wake_reason: Option<WakeReason>,
    /// Set by [`Scheduler::interrupt`] until the kernel has handled it.
    interrupt_pending: bool,
    stats: ThreadStats,
}

/// Scheduling policy for a machine: one [`RunQueue`] per CPU, the timer
/// queue, every wait queue and the state of every thread.
///
/// Pure data with no lock inside; see the crate documentation for the rule
/// the kernel follows when sharing it.
#[derive(Debug)]
pub struct Scheduler {
    run_queues: Vec<RunQueue>,
    /// What each CPU actually executes (as of the last `schedule`); differs
    /// from its run queue's `current` between a block and the next switch.
    on_cpu: Vec<Option<ThreadId>>,
    /// When each CPU switched to what it runs now.
    on_cpu_since: Vec<u64>,
    /// When each CPU last compared its queue with the others' (a tick's
    /// balancing, [`BALANCE_INTERVAL_NS`]).
    balanced_at: Vec<u64>,
    online: CpuSet,
    threads: ThreadMap<ThreadRecord>,
    timers: TimerQueue<TimerEvent>,
    wait_queues: WaitQueues,
    finalizable: VecDeque<ThreadId>,
}

impl Scheduler {
    /// A scheduler for `cpu_count` CPUs, numbered from 0. `EINVAL` for zero
    /// CPUs or more than [`MAX_CPUS`].
    pub fn new(cpu_count: u32, config: RunQueueConfig) -> KernelResult<Self> {
        if cpu_count == 0 || cpu_count > MAX_CPUS {
            return Err(Errno::EINVAL);
        }
        Ok(Scheduler {
            run_queues: (0..cpu_count).map(|_| RunQueue::new(config)).collect(),
            on_cpu: (0..cpu_count).map(|_| None).collect(),
            on_cpu_since: (0..cpu_count).map(|_| 0).collect(),
            balanced_at: (0..cpu_count).map(|_| 0).collect(),
            online: CpuSet::first(cpu_count),
            threads: ThreadMap::default(),
            timers: TimerQueue::new(),
            wait_queues: WaitQueues::new(),
            finalizable: VecDeque::new(),
        })
    }

    // ---- lookups -------------------------------------------------------

    fn cpu_index(&self, cpu: CpuId) -> KernelResult<usize> {
        let index = cpu.0 as usize;
        if index < self.run_queues.len() {
            Ok(index)
        } else {
            Err(Errno::EINVAL)
        }
    }

    fn record(&self, id: ThreadId) -> KernelResult<&ThreadRecord> {
        self.threads.get(&id).ok_or(Errno::ESRCH)
    }

    fn record_mut(&mut self, id: ThreadId) -> KernelResult<&mut ThreadRecord> {
        self.threads.get_mut(&id).ok_or(Errno::ESRCH)
    }

    /// The thread `cpu` runs as far as its run queue knows; `ESRCH` if the
    /// CPU idles or its thread already left the queue.
    fn running_on(&self, cpu: CpuId) -> KernelResult<ThreadId> {
        let index = self.cpu_index(cpu)?;
        self.run_queues[index].current().ok_or(Errno::ESRCH)
    }

    /// The state of `id`, or `None` if the scheduler does not know it.
    pub fn state(&self, id: ThreadId) -> Option<ThreadState> {
        self.threads.get(&id).map(|r| r.state)
    }

    /// Threads in an uninterruptible wait that began at or before
    /// `since` (ns), with when it began, oldest first: what a hung-task
    /// detector reports (no signal can end such a wait).
    pub fn blocked_uninterruptibly_since(&self, since: u64) -> Vec<(ThreadId, u64)> {
        let mut hung: Vec<(ThreadId, u64)> = self
            .threads
            .iter()
            .filter(|(_, r)| {
                matches!(r.state, ThreadState::Blocked(reason) if !reason.is_interruptible())
                    && r.blocked_at <= since
            })
            .map(|(&id, r)| (id, r.blocked_at))
            .collect();
        hung.sort_by_key(|&(id, at)| (at, id));
        hung
    }

    /// The priority of `id`; `ESRCH` if unknown.
    pub fn priority(&self, id: ThreadId) -> KernelResult<Priority> {
        Ok(self.record(id)?.priority)
    }

    /// The affinity mask of `id` as set (not intersected with the online
    /// CPUs); `ESRCH` if unknown.
    pub fn affinity(&self, id: ThreadId) -> KernelResult<CpuSet> {
        Ok(self.record(id)?.affinity)
    }

    /// The CPU whose run queue holds `id`, or held it last; `ESRCH` if unknown.
    pub fn cpu_of(&self, id: ThreadId) -> KernelResult<CpuId> {
        Ok(self.record(id)?.cpu)
    }

    /// The thread `cpu` executes, as of the last [`Scheduler::schedule`];
    /// `None` while it idles.
    pub fn current(&self, cpu: CpuId) -> Option<ThreadId> {
        self.on_cpu.get(cpu.0 as usize).copied().flatten()
    }

    /// What `id` has consumed up to `now`, the slice it is running included;
    /// `ESRCH` if unknown.
    pub fn stats(&self, id: ThreadId, now: u64) -> KernelResult<ThreadStats> {
        let rec = self.record(id)?;
        let mut stats = rec.stats;
        let index = rec.cpu.0 as usize;
        if self.on_cpu.get(index) == Some(&Some(id)) {
            let running = now.saturating_sub(self.on_cpu_since[index]);
            stats.cpu_time_ns = stats.cpu_time_ns.saturating_add(running);
        }
        Ok(stats)
    }

    /// When `cpu` next needs a timer interrupt: the earliest timer deadline
    /// or the end of the running thread's slice if another thread waits.
    /// `None` means no interrupt is needed (a one-shot timer may stay off).
    pub fn next_event(&self, cpu: CpuId) -> Option<u64> {
        let slice_end = self.run_queues.get(cpu.0 as usize)?.slice_end();
        match (self.timers.next_deadline(), slice_end) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The CPUs the scheduler manages.
    pub fn online_cpus(&self) -> CpuSet {
        self.online
    }

    /// Whether `cpu` should call [`Scheduler::schedule`] at its next chance
    /// (on return from an interrupt or a syscall).
    pub fn need_resched(&self, cpu: CpuId) -> bool {
        self.run_queues
            .get(cpu.0 as usize)
            .is_some_and(RunQueue::need_resched)
    }

    /// Every CPU that should reschedule: on SMP, the kernel sends each one
    /// other than itself a reschedule IPI after a wake-up.
    pub fn resched_cpus(&self) -> CpuSet {
        let bits = self
            .run_queues
            .iter()
            .enumerate()
            .filter(|(_, rq)| rq.need_resched())
            .fold(0u64, |bits, (n, _)| bits | 1 << n);
        CpuSet::from_bits(bits)
    }

    /// Threads known to the scheduler (every state but `Dead`).
    pub fn thread_count(&self) -> usize {
        self.threads.len()
    }

    /// Threads in `cpu`'s run queue, the running one included.
    pub fn runnable_on(&self, cpu: CpuId) -> usize {
        self.run_queues.get(cpu.0 as usize).map_or(0, RunQueue::len)
    }

    /// The earliest timer deadline: when the kernel must next take a timer
    /// interrupt (for a one-shot timer; a periodic tick just keeps ticking).
    pub fn next_deadline(&self) -> Option<u64> {
        self.timers.next_deadline()
    }

    // ---- placement -----------------------------------------------------

    /// The CPU a runnable thread should queue on: the one it used last if
    /// allowed and free (warm caches), else the least loaded allowed CPU
    /// (the last one on a tie).
    ///
    /// Takes the scheduler's fields, not `self`, so that a caller holding
    /// a thread's record can place it without a second lookup.
    fn place(run_queues: &[RunQueue], online: CpuSet, affinity: CpuSet, last: CpuId) -> CpuId {
        let allowed = affinity.intersection(online);
        let load = |cpu: CpuId| {
            run_queues
                .get(cpu.0 as usize)
                .map_or(u64::MAX, RunQueue::load)
        };
        if allowed.contains(last) && (load(last) == 0 || allowed.bits() == 1 << last.0) {
            return last;
        }
        allowed
            .iter()
            .min_by_key(|&cpu| (load(cpu), cpu != last))
            .unwrap_or(CpuId::BSP)
    }

    /// Makes `online` the CPUs that take threads (a CPU joins once it is
    /// up). Threads queued on CPUs that leave stay there until they come
    /// back; the boot CPU is always online.
    pub fn set_online_cpus(&mut self, online: CpuSet) {
        let all = CpuSet::first(self.run_queues.len() as u32);
        let online = online.intersection(all);
        self.online = CpuSet::from_bits(online.bits() | 1);
    }

    /// Moves one waiting thread from the busiest other CPU that has one
    /// (and whose affinity allows it) to idle `cpu`'s queue: an idle CPU
    /// pulls work. Returns whether it found one.
    fn pull_work(&mut self, cpu: CpuId, now: u64) -> KernelResult<bool> {
        self.pull_from_busier(cpu, true, now)
    }

    /// Moves one waiting thread to `cpu` from the busiest other CPU (by
    /// [`RunQueue::load`], the weights of its threads) that holds one
    /// whose affinity allows `cpu`: for an idle `cpu` any such thread, for
    /// a busy one only a thread lighter than the difference of the loads,
    /// so that the move narrows it (two equal threads against one stay:
    /// that gap cannot be closed, only moved; a nice-19 thread alone on a
    /// CPU takes one of two nice-0 threads from another). Returns whether
    /// it moved one.
    fn pull_from_busier(&mut self, cpu: CpuId, idle: bool, now: u64) -> KernelResult<bool> {
        let here = self.run_queues[self.cpu_index(cpu)?].load();
        let mut sources: Vec<CpuId> = self
            .online
            .iter()
            .filter(|&other| {
                let queue = &self.run_queues[other.0 as usize];
                other != cpu && queue.waiting() > 0 && queue.load() > here
            })
            .collect();
        sources.sort_by_key(|&other| core::cmp::Reverse(self.run_queues[other.0 as usize].load()));
        for source in sources {
            let surplus = self.run_queues[source.0 as usize].load() - here;
            let candidate = self.run_queues[source.0 as usize]
                .waiting_threads()
                .find(|id| {
                    self.threads.get(id).is_some_and(|rec| {
                        rec.affinity.contains(cpu)
                            && (idle || u64::from(rec.priority.weight()) < surplus)
                    })
                });
            if let Some(id) = candidate {
                self.dequeue(id, now)?;
                let rec = *self.record(id)?;
                let index = self.cpu_index(cpu)?;
                self.run_queues[index].enqueue_with_lag(id, rec.priority, rec.lag, now)?;
                let rec = self.record_mut(id)?;
                rec.cpu = cpu;
                rec.lag = Lag::default();
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Puts a thread whose state is already `Runnable` into a run queue
    /// with the lag in its record.
    /// `waker`: the CPU of a waker about to sleep or leave (a sync wake),
    /// which the thread takes when nothing else waits there.
    fn enqueue_runnable(
        &mut self,
        id: ThreadId,
        waker: Option<CpuId>,
        now: u64,
    ) -> KernelResult<()> {
        let rec = self.threads.get_mut(&id).ok_or(Errno::ESRCH)?;
        Self::enqueue_record(&mut self.run_queues, self.online, id, rec, None, waker, now)
    }

    /// [`Scheduler::enqueue_runnable`] for a caller that holds the
    /// thread's record `rec` (the run queues are another field): a wake-up
    /// looks the thread up once. `departure`: where a waking thread left
    /// `rec.cpu`'s queue (else it goes in with `rec.lag`).
    fn enqueue_record(
        run_queues: &mut [RunQueue],
        online: CpuSet,
        id: ThreadId,
        rec: &mut ThreadRecord,
        departure: Option<Departure>,
        waker: Option<CpuId>,
        now: u64,
    ) -> KernelResult<()> {
        let cpu = match waker {
            Some(waker)
                if rec.affinity.intersection(online).contains(waker)
                    && run_queues
                        .get(waker.0 as usize)
                        .is_some_and(|queue| queue.len() <= 1) =>
            {
                waker
            }
            _ => Self::place(run_queues, online, rec.affinity, rec.cpu),
        };
        match departure {
            Some(departure) if cpu == rec.cpu => run_queues
                .get_mut(cpu.0 as usize)
                .ok_or(Errno::EINVAL)?
                .enqueue_departed(id, rec.priority, departure, now)?,
            _ => {
                let lag = match departure {
                    Some(departure) => run_queues
                        .get_mut(rec.cpu.0 as usize)
                        .ok_or(Errno::EINVAL)?
                        .lag_since(departure, now),
                    None => rec.lag,
                };
                let queue = run_queues.get_mut(cpu.0 as usize).ok_or(Errno::EINVAL)?;
                queue.enqueue_woken(id, rec.priority, lag, now)?;
            }
        }
        rec.cpu = cpu;
        rec.lag = Lag::default();
        Ok(())
    }

    /// Takes a thread out of its run queue, remembering its lag.
    fn dequeue(&mut self, id: ThreadId, now: u64) -> KernelResult<()> {
        let cpu = self.record(id)?.cpu;
        let index = self.cpu_index(cpu)?;
        let lag = self.run_queues[index].dequeue(id, now)?;
        self.record_mut(id)?.lag = lag;
        Ok(())
    }

    // ---- thread lifecycle ----------------------------------------------

    /// Registers a new thread, runnable at once. `EEXIST` if the id is in
    /// use, `EINVAL` if `affinity` names no online CPU.
    pub fn spawn(
        &mut self,
        id: ThreadId,
        priority: Priority,
        affinity: CpuSet,
        now: u64,
    ) -> KernelResult<()> {
        self.spawn_near(id, priority, affinity, None, now)
    }

    /// [`Scheduler::spawn`] from a thread on CPU `creator`: among the least
    /// loaded allowed CPUs, the creator's own is preferred (a forking
    /// parent that goes on to wait leaves its CPU to the child, and two
    /// busy CPUs forking at once do not both send children to the first).
    pub fn spawn_near(
        &mut self,
        id: ThreadId,
        priority: Priority,
        affinity: CpuSet,
        creator: Option<CpuId>,
        now: u64,
    ) -> KernelResult<()> {
        if self.threads.contains_key(&id) {
            return Err(Errno::EEXIST);
        }
        let allowed = affinity.intersection(self.online);
        let Some(first) = allowed.iter().next() else {
            return Err(Errno::EINVAL);
        };
        self.threads.insert(
            id,
            ThreadRecord {
                state: ThreadState::Runnable,
                priority,
                affinity,
                cpu: first,
                lag: Lag::default(),
                departure: Departure::default(),
                blocked_at: 0,
                timeout: None,
                wake_reason: None,
                interrupt_pending: false,
                stats: ThreadStats::default(),
            },
        );
        // A new thread goes to the least loaded allowed CPU.
        let cpu = allowed
            .iter()
            .min_by_key(|&cpu| (self.run_queues[cpu.0 as usize].load(), Some(cpu) != creator))
            .unwrap_or(first);
        self.record_mut(id)?.cpu = cpu;
        if let Err(e) = self.enqueue_runnable(id, None, now) {
            self.threads.remove(&id);
            return Err(e);
        }
        Ok(())
    }

    /// Decides what `cpu` runs from `now` on, and updates the states of the
    /// thread it leaves (`Running` -> `Runnable`; a `Dying` one becomes
    /// finalizable) and of the one it picks (`Runnable` -> `Running`).
    ///
    /// Call it when [`Scheduler::need_resched`] says so (the calls that
    /// take the current thread off its CPU call it themselves, so that no
    /// other CPU can pick a thread before its own CPU has left it). `EINVAL`
    /// for an unknown CPU.
    pub fn schedule(&mut self, cpu: CpuId, now: u64) -> KernelResult<Decision> {
        let index = self.cpu_index(cpu)?;
        let previous = self.on_cpu[index];

        // A running thread whose affinity no longer allows this CPU moves.
        if let Some(running) = self.run_queues[index].current() {
            let allowed = self.record(running)?.affinity.intersection(self.online);
            if !allowed.contains(cpu) {
                self.dequeue(running, now)?;
                self.record_mut(running)?.state.preempt()?;
                self.enqueue_runnable(running, None, now)?;
            }
        }

        if self.run_queues[index].is_empty() {
            self.pull_work(cpu, now)?;
        }
        let next = self.run_queues[index].pick_next(now);

        if let Some(prev) = previous
            && next != Some(prev)
            && let Some(rec) = self.threads.get_mut(&prev)
        {
            let ran = now.saturating_sub(self.on_cpu_since[index]);
            rec.stats.cpu_time_ns = rec.stats.cpu_time_ns.saturating_add(ran);
            if rec.state == ThreadState::Running {
                rec.stats.involuntary_switches += 1;
            } else {
                rec.stats.voluntary_switches += 1;
            }
            match rec.state {
                // Running elsewhere already if it moved queues while this
                // CPU still ran it; then it is not ours to preempt.
                ThreadState::Running if rec.cpu == cpu => rec.state.preempt()?,
                ThreadState::Dying => self.finalizable.push_back(prev),
                _ => {}
            }
        }
        if let Some(next) = next {
            let rec = self.record_mut(next)?;
            if rec.state == ThreadState::Runnable {
                rec.state.run()?;
            }
        }
        if next != previous {
            self.on_cpu_since[index] = now;
        }
        self.on_cpu[index] = next;

        Ok(match next {
            _ if next == previous => Decision::Continue,
            Some(id) => Decision::SwitchTo(id),
            None => Decision::Idle,
        })
    }

    /// The timer interrupt on `cpu` at `now`: fires every due timer (waking
    /// timed-out threads, passing each due alarm's id and token to
    /// `fire_alarm`), every [`BALANCE_INTERVAL_NS`] takes a waiting thread
    /// lighter than the gap from a queue loaded more than `cpu`'s
    /// ([`RunQueue::load`]), and charges
    /// the running thread. Returns whether `cpu` should reschedule before
    /// returning from the interrupt.
    pub fn on_timer_tick(
        &mut self,
        cpu: CpuId,
        now: u64,
        mut fire_alarm: impl FnMut(TimerId, u64),
    ) -> KernelResult<bool> {
        let index = self.cpu_index(cpu)?;
        while let Some((timer, event)) = self.timers.pop_expired(now) {
            match event {
                TimerEvent::Timeout(id) => {
                    if let Some(rec) = self.threads.get_mut(&id)
                        && rec.timeout == Some(timer)
                    {
                        rec.timeout = None;
                        self.wake_blocked(id, WakeReason::TimedOut, None, now)?;
                    }
                }
                TimerEvent::Alarm(token) => fire_alarm(timer, token),
            }
        }
        // A busy CPU balances too, not only an idle one: a queue loaded
        // more than this one by more than a waiting thread's weight gives
        // that thread up.
        if now.saturating_sub(self.balanced_at[index]) >= BALANCE_INTERVAL_NS {
            self.balanced_at[index] = now;
            self.pull_from_busier(cpu, false, now)?;
        }
        Ok(self.run_queues[index].tick(now))
    }

    /// `sched_yield` for the thread running on `cpu`: it goes behind every
    /// waiting thread of its queue, and the CPU reschedules. `ESRCH` if the
    /// CPU idles.
    pub fn yield_current(&mut self, cpu: CpuId, now: u64) -> KernelResult<Decision> {
        let index = self.cpu_index(cpu)?;
        self.run_queues[index].yield_current(now)?;
        self.schedule(cpu, now)
    }

    /// The thread running on `cpu` exits: it becomes `Dying`, leaves its run
    /// queue, and the CPU picks another thread; once the kernel has switched
    /// away, [`Scheduler::take_finalizable`] hands it back for freeing.
    /// `ESRCH` if the CPU idles.
    pub fn exit_current(&mut self, cpu: CpuId, now: u64) -> KernelResult<Decision> {
        let id = self.running_on(cpu)?;
        self.record_mut(id)?.state.exit()?;
        self.dequeue(id, now)?;
        self.schedule(cpu, now)
    }

    /// The next thread that has exited and is off its CPU for good: it
    /// becomes `Dead` and the scheduler forgets it (its id may be reused).
    /// The kernel then frees the thread's stack and structures outside the
    /// context that killed it.
    pub fn take_finalizable(&mut self) -> Option<ThreadId> {
        let id = self.finalizable.pop_front()?;
        if let Some(mut rec) = self.threads.remove(&id) {
            // Only Dying threads are ever queued here.
            let _ = rec.state.finalize();
            if let Some(timer) = rec.timeout {
                self.timers.cancel(timer);
            }
        }
        Some(id)
    }

    /// Whether a dead thread waits to be taken.
    pub fn has_finalizable(&self) -> bool {
        !self.finalizable.is_empty()
    }

    /// The thread running on `cpu` stops for job control (the signal code,
    /// in the thread's own context), and the CPU picks another thread.
    /// `ESRCH` if the CPU idles.
    pub fn stop_current(&mut self, cpu: CpuId, now: u64) -> KernelResult<Decision> {
        let id = self.running_on(cpu)?;
        self.record_mut(id)?.state.stop()?;
        self.dequeue(id, now)?;
        self.schedule(cpu, now)
    }

    /// Resumes a stopped thread (`SIGCONT`, or `SIGKILL` so it can die).
    /// Returns whether it was stopped; `ESRCH` if unknown.
    pub fn resume(&mut self, id: ThreadId, now: u64) -> KernelResult<bool> {
        let rec = self.record_mut(id)?;
        if rec.state != ThreadState::Stopped {
            return Ok(false);
        }
        rec.state.resume()?;
        self.enqueue_runnable(id, None, now)?;
        Ok(true)
    }

    /// Changes the priority of `id` (`setpriority`, `nice`). `ESRCH` if
    /// unknown.
    pub fn set_priority(&mut self, id: ThreadId, priority: Priority, now: u64) -> KernelResult<()> {
        let rec = self.record_mut(id)?;
        rec.priority = priority;
        let cpu = rec.cpu;
        let index = self.cpu_index(cpu)?;
        if self.run_queues[index].contains(id) {
            self.run_queues[index].set_priority(id, priority, now)?;
        }
        Ok(())
    }

    /// Changes the CPUs `id` may run on (`sched_setaffinity`). `EINVAL` if
    /// `affinity` names no online CPU, `ESRCH` if unknown. A waiting thread
    /// moves at once; a running one moves at its CPU's next reschedule.
    pub fn set_affinity(&mut self, id: ThreadId, affinity: CpuSet, now: u64) -> KernelResult<()> {
        if affinity.intersection(self.online).is_empty() {
            return Err(Errno::EINVAL);
        }
        let rec = self.record_mut(id)?;
        rec.affinity = affinity;
        let (state, cpu) = (rec.state, rec.cpu);
        if affinity.contains(cpu) {
            return Ok(());
        }
        let index = self.cpu_index(cpu)?;
        match state {
            ThreadState::Runnable => {
                self.dequeue(id, now)?;
                self.enqueue_runnable(id, None, now)?;
            }
            ThreadState::Running => self.run_queues[index].set_need_resched(),
            _ => {}
        }
        Ok(())
    }

    // ---- blocking --------------------------------------------------------

    /// Creates an empty wait queue.
    pub fn create_wait_queue(&mut self) -> WaitQueueId {
        self.wait_queues.create()
    }

    /// Destroys a wait queue. `EBUSY` while threads wait in it, `EINVAL` if
    /// unknown.
    pub fn destroy_wait_queue(&mut self, queue: WaitQueueId) -> KernelResult<()> {
        let q = self.wait_queues.get(queue).ok_or(Errno::EINVAL)?;
        if !q.is_empty() {
            return Err(Errno::EBUSY);
        }
        self.wait_queues.remove(queue);
        Ok(())
    }

    /// How many threads wait in `queue`; `EINVAL` if unknown.
    pub fn waiters(&self, queue: WaitQueueId) -> KernelResult<usize> {
        Ok(self.wait_queues.get(queue).ok_or(Errno::EINVAL)?.len())
    }

    /// Blocks the thread running on `cpu` for `reason` until it is woken,
    /// its `deadline` (monotonic ns) passes, or, if the reason allows it, it
    /// is interrupted, and returns what the CPU runs instead. The outcome
    /// is taken with the decision that resumes the thread
    /// ([`Scheduler::take_resumed_wake_reason`]), or once it runs with
    /// [`Scheduler::take_wake_reason`].
    ///
    /// The thread does not block at all (the decision is usually
    /// [`Decision::Continue`]), and its wake reason is set at once,
    /// when the deadline has already passed (`TimedOut`) or when an
    /// interruption is pending and the wait is interruptible
    /// (`Interrupted`). `ESRCH` if the CPU idles, `EINVAL` for an unknown
    /// CPU or wait queue.
    pub fn block_current(
        &mut self,
        cpu: CpuId,
        reason: BlockReason,
        deadline: Option<u64>,
        now: u64,
    ) -> KernelResult<Decision> {
        let id = self.running_on(cpu)?;
        if let Some(queue) = reason.queue()
            && self.wait_queues.get(queue).is_none()
        {
            return Err(Errno::EINVAL);
        }
        let rec = self.threads.get_mut(&id).ok_or(Errno::ESRCH)?;
        if reason.is_interruptible() && rec.interrupt_pending {
            rec.wake_reason = Some(WakeReason::Interrupted);
            return self.schedule(cpu, now);
        }
        if deadline.is_some_and(|d| d <= now) {
            rec.wake_reason = Some(WakeReason::TimedOut);
            return self.schedule(cpu, now);
        }
        rec.state.block(reason)?;
        rec.wake_reason = None;
        rec.blocked_at = now;
        // The record stays borrowed through the rest (the run queues,
        // wait queues and timers are other fields): one lookup, not three.
        let queue_index = rec.cpu.0 as usize;
        let run_queue = self.run_queues.get_mut(queue_index).ok_or(Errno::EINVAL)?;
        rec.departure = run_queue.depart(id, now)?;
        if let Some(queue) = reason.queue()
            && let Some(q) = self.wait_queues.get_mut(queue)
        {
            q.push(id);
        }
        if let Some(deadline) = deadline {
            rec.timeout = Some(self.timers.arm(deadline, TimerEvent::Timeout(id)));
        }
        self.schedule(cpu, now)
    }

    /// Blocks the thread running on `cpu` in `queue`; shorthand for
    /// [`Scheduler::block_current`] with `Queue` or `QueueUninterruptible`.
    pub fn wait_on(
        &mut self,
        cpu: CpuId,
        queue: WaitQueueId,
        interruptible: bool,
        deadline: Option<u64>,
        now: u64,
    ) -> KernelResult<Decision> {
        let reason = if interruptible {
            BlockReason::Queue(queue)
        } else {
            BlockReason::QueueUninterruptible(queue)
        };
        self.block_current(cpu, reason, deadline, now)
    }

    /// Puts the thread running on `cpu` to sleep until `deadline`
    /// (`nanosleep`); it wakes with `TimedOut` (success for a sleep) or
    /// `Interrupted`.
    pub fn sleep_until(&mut self, cpu: CpuId, deadline: u64, now: u64) -> KernelResult<Decision> {
        self.block_current(cpu, BlockReason::Sleep, Some(deadline), now)
    }

    /// Makes a blocked thread runnable with `reason`: takes it out of its
    /// wait queue and disarms its deadline.
    fn wake_blocked(
        &mut self,
        id: ThreadId,
        reason: WakeReason,
        waker: Option<CpuId>,
        now: u64,
    ) -> KernelResult<()> {
        // One lookup: the record stays borrowed while the timers, wait
        // queues and run queues (other fields) are updated.
        let rec = self.threads.get_mut(&id).ok_or(Errno::ESRCH)?;
        let ThreadState::Blocked(block) = rec.state else {
            return Err(Errno::EINVAL);
        };
        rec.state.wake()?;
        rec.wake_reason = Some(reason);
        if let Some(timer) = rec.timeout.take() {
            self.timers.cancel(timer);
        }
        if let Some(queue) = block.queue()
            && let Some(q) = self.wait_queues.get_mut(queue)
        {
            q.remove(id);
        }
        let departure = Some(rec.departure);
        Self::enqueue_record(
            &mut self.run_queues,
            self.online,
            id,
            rec,
            departure,
            waker,
            now,
        )
    }

    /// Wakes `id` if it is blocked, with `reason`, whatever it waits for.
    /// Returns whether it was blocked (a wake racing with another is not an
    /// error); `ESRCH` if unknown. To interrupt, prefer
    /// [`Scheduler::interrupt`], which respects uninterruptible waits.
    pub fn wake(&mut self, id: ThreadId, reason: WakeReason, now: u64) -> KernelResult<bool> {
        if !matches!(self.record(id)?.state, ThreadState::Blocked(_)) {
            return Ok(false);
        }
        self.wake_blocked(id, reason, None, now)?;
        Ok(true)
    }

    /// Wakes the longest waiter of `queue` with `Woken` and returns it;
    /// `EINVAL` if the queue is unknown.
    pub fn wake_one(&mut self, queue: WaitQueueId, now: u64) -> KernelResult<Option<ThreadId>> {
        self.wake_one_from(queue, None, now)
    }

    /// Wakes every waiter of `queue` with `Woken`, in queue order, and
    /// returns how many; `EINVAL` if the queue is unknown.
    pub fn wake_all(&mut self, queue: WaitQueueId, now: u64) -> KernelResult<usize> {
        self.wake_all_from(queue, None, now)
    }

    /// [`Scheduler::wake_one`] by a thread on CPU `waker` that is about to
    /// sleep or exit (Linux's sync wake-up): the woken thread takes that
    /// CPU if nothing else waits there, rather than waking another one
    /// with an IPI.
    pub fn wake_one_sync(
        &mut self,
        queue: WaitQueueId,
        waker: CpuId,
        now: u64,
    ) -> KernelResult<Option<ThreadId>> {
        self.wake_one_from(queue, Some(waker), now)
    }

    /// [`Scheduler::wake_all`] as a sync wake-up from CPU `waker` (see
    /// [`Scheduler::wake_one_sync`]).
    pub fn wake_all_sync(
        &mut self,
        queue: WaitQueueId,
        waker: CpuId,
        now: u64,
    ) -> KernelResult<usize> {
        self.wake_all_from(queue, Some(waker), now)
    }

    fn wake_one_from(
        &mut self,
        queue: WaitQueueId,
        waker: Option<CpuId>,
        now: u64,
    ) -> KernelResult<Option<ThreadId>> {
        let q = self.wait_queues.get_mut(queue).ok_or(Errno::EINVAL)?;
        let Some(id) = q.pop() else {
            return Ok(None);
        };
        self.wake_blocked(id, WakeReason::Woken, waker, now)?;
        Ok(Some(id))
    }

    fn wake_all_from(
        &mut self,
        queue: WaitQueueId,
        waker: Option<CpuId>,
        now: u64,
    ) -> KernelResult<usize> {
        let mut woken = 0;
        while self.wake_one_from(queue, waker, now)?.is_some() {
            woken += 1;
        }
        Ok(woken)
    }

    /// A signal arrived for `id`: an interruptible wait ends at once with
    /// `Interrupted`, and until [`Scheduler::clear_interrupt`] every
    /// interruptible wait it starts returns `Interrupted` without blocking
    /// (so a signal sent just before the thread blocks is not lost). A
    /// running thread's CPU is asked to reschedule, so that it passes
    /// through the kernel now. Returns whether it was woken; `ESRCH` if
    /// unknown.
    pub fn interrupt(&mut self, id: ThreadId, now: u64) -> KernelResult<bool> {
        let rec = self.record_mut(id)?;
        rec.interrupt_pending = true;
        let cpu = rec.cpu;
        match rec.state {
            ThreadState::Blocked(reason) if reason.is_interruptible() => {
                self.wake_blocked(id, WakeReason::Interrupted, None, now)?;
                Ok(true)
            }
            // It may be running user code that makes no system call: its
            // CPU reschedules (on SMP, a reschedule IPI), which takes it
            // through the kernel's way back to user mode now rather than
            // at its next tick (Linux's `kick_process`).
            ThreadState::Running => {
                let index = self.cpu_index(cpu)?;
                self.run_queues[index].set_need_resched();
                Ok(false)
            }
            _ => Ok(false),
        }
    }

    /// The kernel has dealt with `id`'s pending signals (typically on the
    /// way back to user mode): waits block normally again.
    pub fn clear_interrupt(&mut self, id: ThreadId) -> KernelResult<()> {
        self.record_mut(id)?.interrupt_pending = false;
        Ok(())
    }

    /// Why `id` last woke (or did not block), consumed by the call: what the
    /// kernel turns into the waiting syscall's result with
    /// [`WakeReason::as_result`]. `ESRCH` if unknown.
    pub fn take_wake_reason(&mut self, id: ThreadId) -> KernelResult<Option<WakeReason>> {
        Ok(self.record_mut(id)?.wake_reason.take())
    }

    /// Takes the wake reason of the thread `decision` (just returned for
    /// `cpu`) has it run: the thread switched to, or for
    /// [`Decision::Continue`] the one already running. Called in the same
    /// hold of the lock as the decision, it lets the kernel hand the
    /// reason over with the switch (see [`crate::WakeReasonSlot`]), so a
    /// thread back from a block needs no second call to learn why.
    pub fn take_resumed_wake_reason(
        &mut self,
        cpu: CpuId,
        decision: Decision,
    ) -> Option<WakeReason> {
        let id = match decision {
            Decision::SwitchTo(id) => id,
            Decision::Continue => self.on_cpu[self.cpu_index(cpu).ok()?]?,
            Decision::Idle => return None,
        };
        self.threads.get_mut(&id)?.wake_reason.take()
    }

    // ---- alarms ----------------------------------------------------------

    /// Arms an alarm at `deadline`; [`Scheduler::on_timer_tick`] passes its
    /// id and `token` to the kernel when it is due (`alarm`, `ITIMER_REAL`,
    /// timer-based wake-ups of kernel objects).
    pub fn set_alarm(&mut self, deadline: u64, token: u64) -> TimerId {
        self.timers.arm(deadline, TimerEvent::Alarm(token))
    }

    /// Cancels an alarm; returns its token, or `None` if it already fired,
    /// was cancelled, or is not an alarm.
    pub fn cancel_alarm(&mut self, alarm: TimerId) -> Option<u64> {
        match self.timers.event(alarm) {
            Some(TimerEvent::Alarm(token)) => {
                let token = *token;
                self.timers.cancel(alarm);
                Some(token)
            }
            _ => None,
        }
    }

    /// The deadline of an armed alarm (for `getitimer`, `alarm`'s remaining
    /// time).
    pub fn alarm_deadline(&self, alarm: TimerId) -> Option<u64> {
        match self.timers.event(alarm) {
            Some(TimerEvent::Alarm(_)) => self.timers.deadline(alarm),
            _ => None,
        }
    }

    // ---- invariants, for tests -------------------------------------------

    /// Checks that every thread is in exactly the places its state implies;
    /// returns a description of the first violation.
    #[cfg(test)]
    pub(crate) fn check_invariants(&self) -> Result<(), alloc::string::String> {
        use alloc::format;
        for (n, rq) in self.run_queues.iter().enumerate() {
            if self.on_cpu[n] != rq.current() {
                return Err(format!(
                    "cpu {n} runs {:?}, queue says {:?}",
                    self.on_cpu[n],
                    rq.current()
                ));
            }
            let weights: u64 = self
                .threads
                .iter()
                .filter(|(id, _)| rq.contains(**id))
                .map(|(_, rec)| u64::from(rec.priority.weight()))
                .sum();
            if rq.load() != weights {
                return Err(format!(
                    "cpu {n} load {} but its threads weigh {weights}",
                    rq.load()
                ));
            }
        }
        for (&id, rec) in &self.threads {
            let queued: Vec<usize> = (0..self.run_queues.len())
                .filter(|&n| self.run_queues[n].contains(id))
                .collect();
            let in_wait_queues = self.wait_queues.iter().filter(|q| q.contains(id)).count();
            let expect_queued = rec.state.is_schedulable();
            if expect_queued != (queued.len() == 1) || queued.len() > 1 {
                return Err(format!("{id:?} {:?} in run queues {queued:?}", rec.state));
            }
            if expect_queued && queued[0] != rec.cpu.0 as usize {
                return Err(format!(
                    "{id:?} queued on {queued:?}, recorded {:?}",
                    rec.cpu
                ));
            }
            let expect_waiting = match rec.state {
                ThreadState::Blocked(reason) => usize::from(reason.queue().is_some()),
                _ => 0,
            };
            if in_wait_queues != expect_waiting {
                return Err(format!(
                    "{id:?} {:?} in {in_wait_queues} wait queues",
                    rec.state
                ));
            }
            let running = self.run_queues.iter().any(|rq| rq.current() == Some(id));
            if running != (rec.state == ThreadState::Running) {
                return Err(format!("{id:?} {:?} but current: {running}", rec.state));
            }
            if rec.timeout.is_some() && !matches!(rec.state, ThreadState::Blocked(_)) {
                return Err(format!("{id:?} {:?} with an armed timeout", rec.state));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use proptest::prelude::*;
    use std::vec;

    const MS: u64 = 1_000_000;

    #[derive(Clone, Debug)]
    enum Op {
        Spawn(u64, i32, u64),
        Schedule(u32),
        Tick(u32, u64),
        Wait(u32, usize, bool, Option<u64>),
        Sleep(u32, u64),
        WakeOne(usize),
        WakeAll(usize),
        Interrupt(u64),
        ClearInterrupt(u64),
        Yield(u32),
        Exit(u32),
        Stop(u32),
        Resume(u64),
        Finalize,
        SetPriority(u64, i32),
        SetAffinity(u64, u64),
    }

    fn op() -> impl Strategy<Value = Op> {
        let id = 0u64..8;
        let cpu = 0u32..2;
        prop_oneof![
            (id.clone(), -20i32..20, 1u64..4).prop_map(|(i, n, m)| Op::Spawn(i, n, m)),
            cpu.clone().prop_map(Op::Schedule),
            cpu.clone().prop_map(Op::Schedule),
            (cpu.clone(), 0u64..20 * MS).prop_map(|(c, d)| Op::Tick(c, d)),
            (
                cpu.clone(),
                0usize..2,
                any::<bool>(),
                proptest::option::of(0u64..30 * MS)
            )
                .prop_map(|(c, q, i, d)| Op::Wait(c, q, i, d)),
            (cpu.clone(), 0u64..30 * MS).prop_map(|(c, d)| Op::Sleep(c, d)),
            (0usize..2).prop_map(Op::WakeOne),
            (0usize..2).prop_map(Op::WakeAll),
            id.clone().prop_map(Op::Interrupt),
            id.clone().prop_map(Op::ClearInterrupt),
            cpu.clone().prop_map(Op::Yield),
            cpu.clone().prop_map(Op::Exit),
            cpu.clone().prop_map(Op::Stop),
            id.clone().prop_map(Op::Resume),
            Just(Op::Finalize),
            (id.clone(), -20i32..20).prop_map(|(i, n)| Op::SetPriority(i, n)),
            (id, 0u64..4).prop_map(|(i, m)| Op::SetAffinity(i, m)),
        ]
    }

    proptest! {
        #[test]
        fn every_thread_is_where_its_state_says(ops in proptest::collection::vec(op(), 1..200)) {
            let mut s = Scheduler::new(2, RunQueueConfig::default()).unwrap();
            let queues = [s.create_wait_queue(), s.create_wait_queue()];
            let mut now = 0u64;
            for op in ops {
                now += 100_000;
                // Errors are fine (ids that do not exist, idle CPUs, ...);
                // breaking an invariant is not.
                let _ = match op {
                    Op::Spawn(i, n, m) => s
                        .spawn(ThreadId(i), Priority::from_nice_clamped(n.into()), CpuSet::from_bits(m), now),
                    Op::Schedule(c) => s.schedule(CpuId(c), now).map(|_| ()),
                    Op::Tick(c, d) => {
                        now += d;
                        s.on_timer_tick(CpuId(c), now, |_, _| {}).map(|_| ())
                    }
                    Op::Wait(c, q, i, d) => s.wait_on(CpuId(c), queues[q], i, d.map(|d| now + d), now).map(|_| ()),
                    Op::Sleep(c, d) => s.sleep_until(CpuId(c), now + d, now).map(|_| ()),
                    Op::WakeOne(q) => s.wake_one(queues[q], now).map(|_| ()),
                    Op::WakeAll(q) => s.wake_all(queues[q], now).map(|_| ()),
                    Op::Interrupt(i) => s.interrupt(ThreadId(i), now).map(|_| ()),
                    Op::ClearInterrupt(i) => s.clear_interrupt(ThreadId(i)),
                    Op::Yield(c) => s.yield_current(CpuId(c), now).map(|_| ()),
                    Op::Exit(c) => s.exit_current(CpuId(c), now).map(|_| ()),
                    Op::Stop(c) => s.stop_current(CpuId(c), now).map(|_| ()),
                    Op::Resume(i) => s.resume(ThreadId(i), now).map(|_| ()),
                    Op::Finalize => {
                        s.take_finalizable();
                        Ok(())
                    }
                    Op::SetPriority(i, n) => s.set_priority(ThreadId(i), Priority::from_nice_clamped(n.into()), now),
                    Op::SetAffinity(i, m) => s.set_affinity(ThreadId(i), CpuSet::from_bits(m), now),
                };
                if let Err(e) = s.check_invariants() {
                    prop_assert!(false, "{}", e);
                }
                for cpu in 0..2 {
                    if let Some(id) = s.current(CpuId(cpu)) {
                        prop_assert!(s.state(id).is_some(), "finalized thread on cpu {}", cpu);
                    }
                }
            }
        }

        #[test]
        fn cpu_time_follows_weights_within_one_slice(
            nices in proptest::collection::vec(-5i32..=5, 2..6),
            ticks in 500u64..3000,
        ) {
            let config = RunQueueConfig::default();
            let mut s = Scheduler::new(1, config).unwrap();
            let cpu = CpuId::BSP;
            for (n, &nice) in nices.iter().enumerate() {
                s.spawn(ThreadId(n as u64), Priority::from_nice(nice).unwrap(), CpuSet::ALL, 0).unwrap();
            }
            s.schedule(cpu, 0).unwrap();
            let mut time = alloc::vec![0u64; nices.len()];
            let mut now = 0;
            for _ in 0..ticks {
                let running = s.current(cpu).unwrap();
                now += MS;
                time[running.0 as usize] += MS;
                if s.on_timer_tick(cpu, now, |_, _| {}).unwrap() {
                    s.schedule(cpu, now).unwrap();
                }
            }
            // Service normalised by weight: the same for everyone under
            // perfect fairness. CFS keeps the spread under one slice (plus a
            // tick of accounting granularity) of the lightest thread.
            let service: Vec<u128> = nices
                .iter()
                .zip(&time)
                .map(|(&n, &t)| u128::from(t) * 1024 / u128::from(Priority::from_nice(n).unwrap().weight()))
                .collect();
            let lightest = nices.iter().map(|&n| Priority::from_nice(n).unwrap().weight()).min().unwrap();
            let bound = u128::from(config.slice_ns + 2 * MS) * 1024 / u128::from(lightest);
            let spread = service.iter().max().unwrap() - service.iter().min().unwrap();
            prop_assert!(spread <= bound, "spread {} > bound {} (time {:?})", spread, bound, time);
        }
    }
}
