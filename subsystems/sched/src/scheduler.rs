//! The scheduler: per-CPU run queues, timers, wait queues and thread
//! states, each CPU's share behind a lock of its own.
//!
//! Each CPU has a *shard*: its run queue, what it runs, the records of the
//! threads *homed* on it (the ones in its run queue, and the ones that
//! blocked, stopped or exited on it) and the deadlines of those blocked
//! there, behind that CPU's lock. A CPU that schedules, blocks or takes
//! its tick locks its own shard only, so CPUs do not meet on one lock. A
//! wake-up locks the sleeper's home; a thread moving to another CPU (a
//! wake-up placed elsewhere, balancing, an affinity change) is taken out
//! of one shard and put into the other with interrupts off, and no CPU
//! ever holds two shards' locks, so no order between them is needed (a
//! CPU that looks for a thread in transit waits the few instructions until
//! it lands). Which shard holds a thread is kept in a map spread over
//! locks of its own; wait queues are spread over locks of their own too.
//!
//! Lock order, for the kernel's information: a shard's lock may be held
//! while taking a wait-queue lock or a home-map lock, never the other way
//! round; no two locks of one kind are ever held together.
//!
//! Waiting without losing a wake-up: a thread that waits on a queue holds
//! its shard's lock from before it enters the queue until it is marked
//! blocked, and checks the caller's condition in between
//! ([`Scheduler::wait_on_unless`]). A waker changes the condition first,
//! then takes waiters out of the queue and wakes each under its home's
//! lock, so it either finds the condition changed or the thread blocked.
//! Each wait has a token no other wait shares, kept with the waiter in the
//! queue: a waker that took out a waiter whose wait ended meanwhile (it
//! timed out, was interrupted, or waits again) wakes nobody, and a
//! wake-one goes on to the next waiter.
//!
//! Each operation costs O(log n) in the number of threads and timers of
//! the shards it touches, except taking a waiter out of the middle of a
//! wait queue (linear in that queue's length) and choosing a CPU (linear
//! in the number of CPUs).

use crate::cpu::{CpuId, CpuSet, MAX_CPUS};
use crate::irq_lock::{InterruptControl, InterruptsOff, IrqSpinLock, IrqSpinLockGuard};
use crate::priority::Priority;
use crate::run_queue::{Departure, Lag, RunQueue, RunQueueConfig};
use crate::state::{BlockReason, ThreadState, WakeReason, WakeReasonSlot};
use crate::thread_id::{ThreadId, ThreadMap};
use crate::timer_queue::{TimerId, TimerQueue};
use crate::wait_queue::{WaitQueueId, WaitQueues, Waiter};
use abi::{Errno, KernelResult};
use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

/// How often each CPU's timer tick compares its run queue's load with
/// the others' and takes a waiting thread from a busier one when that
/// narrows the gap (Linux balances busy CPUs every few to some tens of
/// ms, by scheduling domain).
pub const BALANCE_INTERVAL_NS: u64 = 20_000_000;

/// How many locks the map from thread to home CPU is spread over.
const HOME_BUCKETS: usize = 64;
/// How many locks the wait queues are spread over (a power of two: a
/// queue id's low bits name its lock).
const WAIT_SHARDS: usize = 16;
const WAIT_SHARD_BITS: u32 = WAIT_SHARDS.trailing_zeros();

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

/// What the scheduler remembers of one thread, in its home shard.
#[derive(Clone, Copy, Debug)]
struct ThreadRecord {
    state: ThreadState,
    priority: Priority,
    affinity: CpuSet,
    /// Its home: the CPU whose shard holds this record.
    cpu: CpuId,
    /// Where it stands in the fair share while out of every queue
    /// (stopped), relative to a queue's minimum.
    lag: Lag,
    /// Where a blocked thread left its home's queue: its lag is measured
    /// when it wakes.
    departure: Departure,
    /// When it last blocked (hung-task reports).
    blocked_at: u64,
    /// Its deadline while blocked, in its home's timers.
    timeout: Option<TimerId>,
    /// The token of its last wait (see the module documentation).
    wait_token: u64,
    wake_reason: Option<WakeReason>,
    /// Set by [`Scheduler::interrupt`] until the kernel has handled it.
    interrupt_pending: bool,
    stats: ThreadStats,
}

impl ThreadRecord {
    fn new(priority: Priority, affinity: CpuSet, cpu: CpuId) -> Self {
        ThreadRecord {
            state: ThreadState::Runnable,
            priority,
            affinity,
            cpu,
            lag: Lag::default(),
            departure: Departure::default(),
            blocked_at: 0,
            timeout: None,
            wait_token: 0,
            wake_reason: None,
            interrupt_pending: false,
            stats: ThreadStats::default(),
        }
    }
}

/// One CPU's share of the scheduler, under that CPU's lock.
#[derive(Debug)]
struct Shard {
    run_queue: RunQueue,
    /// What the CPU executes (as of the last `schedule`); differs from
    /// the run queue's `current` between a block and the next switch.
    on_cpu: Option<ThreadId>,
    /// Up to when `on_cpu` was charged for its time.
    on_cpu_since: u64,
    /// When the CPU last compared its queue with the others'.
    balanced_at: u64,
    /// The threads homed here.
    threads: ThreadMap<ThreadRecord>,
    /// The deadlines of the threads blocked here.
    timeouts: TimerQueue<ThreadId>,
    /// Threads that exited here and that the CPU has left.
    finalizable: VecDeque<ThreadId>,
    /// The next wait token of this CPU (its number in the top byte keeps
    /// every CPU's tokens apart).
    next_token: u64,
}

impl Shard {
    fn new(cpu: u32, config: RunQueueConfig) -> Self {
        Shard {
            run_queue: RunQueue::new(config),
            on_cpu: None,
            on_cpu_since: 0,
            balanced_at: 0,
            threads: ThreadMap::default(),
            timeouts: TimerQueue::new(),
            finalizable: VecDeque::new(),
            next_token: u64::from(cpu) << 56 | 1,
        }
    }

    fn take_token(&mut self) -> u64 {
        let token = self.next_token;
        self.next_token += 1;
        token
    }
}

/// A CPU's shard, and what other CPUs read of it without its lock (as of
/// the last change): what placement and balancing compare.
struct CpuSlot<I: InterruptControl> {
    shard: IrqSpinLock<Shard, I>,
    load: AtomicU64,
    len: AtomicUsize,
    waiting: AtomicUsize,
    /// Inside [`Scheduler::resuming`] (this CPU's only): a decision
    /// takes the wake reason of the thread it has the CPU run into
    /// `resumed`.
    handing_over: AtomicBool,
    resumed: WakeReasonSlot,
}

type ShardGuard<'a, I> = IrqSpinLockGuard<'a, Shard, I>;

/// A thread taken out of one shard, on its way into another.
struct Carried {
    id: ThreadId,
    rec: ThreadRecord,
    entry: Entry,
}

/// How a carried thread enters its new run queue.
#[derive(Clone, Copy)]
enum Entry {
    /// A new thread.
    New,
    /// A thread that moves or resumes, with its lag.
    Lag(Lag),
    /// A woken thread, with its lag at the wake-up (bounded by the sleeper
    /// credit on entry).
    Woken(Lag),
}

/// A thread's move to another CPU, decided under its old home's lock; the
/// record is taken out ([`Scheduler::take_moving`]) in that hold and put
/// into `target`'s shard once the lock is released. Small on purpose: it
/// passes back through the wake and schedule paths on every call, and the
/// record itself is copied only when a thread really moves.
struct PendingMove {
    id: ThreadId,
    entry: Entry,
    target: CpuId,
}

/// A move to make, if any (see [`PendingMove`]).
type Move = Option<PendingMove>;

/// Scheduling for a machine: one shard per CPU, the wait queues, the
/// kernel's alarms. Every method takes `&self` and locks what it touches;
/// `I` turns interrupts off around each lock (an interrupt handler on the
/// same CPU may call in).
pub struct Scheduler<I: InterruptControl> {
    cpus: Vec<CpuSlot<I>>,
    online: AtomicU64,
    /// Each thread's home CPU, spread over locks by id.
    homes: Vec<IrqSpinLock<ThreadMap<CpuId>, I>>,
    wait_queues: Vec<IrqSpinLock<WaitQueues, I>>,
    /// Where the next wait queue goes.
    next_wait_shard: AtomicUsize,
    alarms: IrqSpinLock<TimerQueue<u64>, I>,
    /// CPUs whose run queue another CPU asked to reschedule since the
    /// kernel last looked ([`Scheduler::take_resched_cpus`]).
    kicks: AtomicU64,
    thread_count: AtomicUsize,
}

impl<I: InterruptControl> core::fmt::Debug for Scheduler<I> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Scheduler")
            .field("cpus", &self.cpus.len())
            .field("online", &self.online_cpus())
            .field("threads", &self.thread_count())
            .finish_non_exhaustive()
    }
}

impl<I: InterruptControl> Scheduler<I> {
    /// A scheduler for `cpu_count` CPUs, numbered from 0. `EINVAL` for zero
    /// CPUs or more than [`MAX_CPUS`].
    pub fn new(cpu_count: u32, config: RunQueueConfig) -> KernelResult<Self> {
        if cpu_count == 0 || cpu_count > MAX_CPUS {
            return Err(Errno::EINVAL);
        }
        Ok(Scheduler {
            cpus: (0..cpu_count)
                .map(|cpu| CpuSlot {
                    shard: IrqSpinLock::new(Shard::new(cpu, config)),
                    load: AtomicU64::new(0),
                    len: AtomicUsize::new(0),
                    waiting: AtomicUsize::new(0),
                    handing_over: AtomicBool::new(false),
                    resumed: WakeReasonSlot::new(),
                })
                .collect(),
            online: AtomicU64::new(CpuSet::first(cpu_count).bits()),
            homes: (0..HOME_BUCKETS)
                .map(|_| IrqSpinLock::new(ThreadMap::default()))
                .collect(),
            wait_queues: (0..WAIT_SHARDS)
                .map(|_| IrqSpinLock::new(WaitQueues::new()))
                .collect(),
            next_wait_shard: AtomicUsize::new(0),
            alarms: IrqSpinLock::new(TimerQueue::new()),
            kicks: AtomicU64::new(0),
            thread_count: AtomicUsize::new(0),
        })
    }

    // ---- shards, homes, mirrors ------------------------------------------

    fn slot(&self, cpu: CpuId) -> KernelResult<&CpuSlot<I>> {
        self.cpus.get(cpu.0 as usize).ok_or(Errno::EINVAL)
    }

    fn lock(&self, cpu: CpuId) -> KernelResult<ShardGuard<'_, I>> {
        Ok(self.slot(cpu)?.shard.lock())
    }

    fn bucket(&self, id: ThreadId) -> &IrqSpinLock<ThreadMap<CpuId>, I> {
        &self.homes[(id.0 % HOME_BUCKETS as u64) as usize]
    }

    /// Locks the shard holding thread `id`'s record, waiting out a move
    /// between shards (made by another CPU with interrupts off, a few
    /// instructions long). `ESRCH` if the scheduler does not know it.
    fn lock_home(&self, id: ThreadId) -> KernelResult<(ShardGuard<'_, I>, CpuId)> {
        loop {
            let home = self
                .bucket(id)
                .lock()
                .get(&id)
                .copied()
                .ok_or(Errno::ESRCH)?;
            let shard = self.lock(home)?;
            if shard.threads.contains_key(&id) {
                return Ok((shard, home));
            }
            drop(shard);
            // Interrupts may be off: answer what other CPUs cannot wait
            // for, as a lock's spin does.
            I::relax();
            core::hint::spin_loop();
        }
    }

    /// Runs `f` on thread `id`'s record in its home shard, then makes the
    /// move to another CPU `f` decided, if any.
    fn with_record<R>(
        &self,
        id: ThreadId,
        now: u64,
        f: impl FnOnce(&Self, &mut Shard, CpuId) -> KernelResult<(R, Move)>,
    ) -> KernelResult<R> {
        let _off = InterruptsOff::<I>::new();
        let (mut shard, home) = self.lock_home(id)?;
        let (result, carry) = f(self, &mut shard, home)?;
        self.release_and_move(shard, home, carry, now)?;
        Ok(result)
    }

    /// Reads thread `id`'s record.
    fn read_record<R>(
        &self,
        id: ThreadId,
        f: impl FnOnce(&Shard, &ThreadRecord) -> R,
    ) -> Option<R> {
        let (shard, _) = self.lock_home(id).ok()?;
        let rec = shard.threads.get(&id)?;
        Some(f(&shard, rec))
    }

    /// Publishes `cpu`'s queue figures for other CPUs, and asks the CPU to
    /// reschedule when its queue wants it (the kernel sends it an IPI).
    fn publish(&self, cpu: CpuId, shard: &Shard) {
        let Some(slot) = self.cpus.get(cpu.0 as usize) else {
            return;
        };
        let queue = &shard.run_queue;
        slot.load.store(queue.load(), Ordering::Relaxed);
        slot.len.store(queue.len(), Ordering::Relaxed);
        slot.waiting.store(queue.waiting(), Ordering::Relaxed);
        if queue.need_resched() && self.cpus.len() > 1 {
            self.kicks.fetch_or(1 << cpu.0, Ordering::Relaxed);
        }
    }

    fn load_of(&self, cpu: CpuId) -> u64 {
        self.cpus
            .get(cpu.0 as usize)
            .map_or(u64::MAX, |slot| slot.load.load(Ordering::Relaxed))
    }

    /// Releases `guard`, the lock of `home`, making `pending`'s move if
    /// there is one: the record leaves `home` in this hold and enters its
    /// target's shard after (never two shard locks held). The record is
    /// copied here only, so the path without a move copies nothing big.
    fn release_and_move(
        &self,
        mut guard: ShardGuard<'_, I>,
        home: CpuId,
        pending: Move,
        now: u64,
    ) -> KernelResult<()> {
        let Some(PendingMove { id, entry, target }) = pending else {
            drop(guard);
            return Ok(());
        };
        let rec = guard.threads.remove(&id).ok_or(Errno::ESRCH)?;
        self.publish(home, &guard);
        drop(guard);
        self.attach(Carried { id, rec, entry }, target, now)
    }

    /// Puts a carried thread into `target`'s shard and run queue.
    fn attach(&self, carried: Carried, target: CpuId, now: u64) -> KernelResult<()> {
        let Carried { id, mut rec, entry } = carried;
        let mut guard = self.lock(target)?;
        let shard = &mut *guard;
        rec.cpu = target;
        rec.lag = Lag::default();
        let priority = rec.priority;
        shard.threads.insert(id, rec);
        self.bucket(id).lock().insert(id, target);
        let queued = match entry {
            Entry::New => shard.run_queue.enqueue(id, priority, now),
            Entry::Lag(lag) => shard.run_queue.enqueue_with_lag(id, priority, lag, now),
            Entry::Woken(lag) => shard.run_queue.enqueue_woken(id, priority, lag, now),
        };
        self.publish(target, shard);
        queued
    }

    // ---- lookups -------------------------------------------------------

    /// The state of `id`, or `None` if the scheduler does not know it.
    pub fn state(&self, id: ThreadId) -> Option<ThreadState> {
        self.read_record(id, |_, rec| rec.state)
    }

    /// Threads in an uninterruptible wait that began at or before
    /// `since` (ns), with when it began, oldest first: what a hung-task
    /// detector reports (no signal can end such a wait).
    pub fn blocked_uninterruptibly_since(&self, since: u64) -> Vec<(ThreadId, u64)> {
        let mut hung: Vec<(ThreadId, u64)> = Vec::new();
        for slot in &self.cpus {
            let shard = slot.shard.lock();
            hung.extend(
                shard
                    .threads
                    .iter()
                    .filter(|(_, r)| {
                        matches!(r.state, ThreadState::Blocked(reason) if !reason.is_interruptible())
                            && r.blocked_at <= since
                    })
                    .map(|(&id, r)| (id, r.blocked_at)),
            );
        }
        hung.sort_by_key(|&(id, at)| (at, id));
        hung
    }

    /// The priority of `id`; `ESRCH` if unknown.
    pub fn priority(&self, id: ThreadId) -> KernelResult<Priority> {
        self.read_record(id, |_, rec| rec.priority)
            .ok_or(Errno::ESRCH)
    }

    /// The affinity mask of `id` as set (not intersected with the online
    /// CPUs); `ESRCH` if unknown.
    pub fn affinity(&self, id: ThreadId) -> KernelResult<CpuSet> {
        self.read_record(id, |_, rec| rec.affinity)
            .ok_or(Errno::ESRCH)
    }

    /// The CPU whose run queue holds `id`, or held it last; `ESRCH` if unknown.
    pub fn cpu_of(&self, id: ThreadId) -> KernelResult<CpuId> {
        self.read_record(id, |_, rec| rec.cpu).ok_or(Errno::ESRCH)
    }

    /// The thread `cpu` executes, as of the last [`Scheduler::schedule`];
    /// `None` while it idles.
    pub fn current(&self, cpu: CpuId) -> Option<ThreadId> {
        self.lock(cpu).ok()?.on_cpu
    }

    /// What `id` has consumed up to `now`, the slice it is running included;
    /// `ESRCH` if unknown.
    pub fn stats(&self, id: ThreadId, now: u64) -> KernelResult<ThreadStats> {
        self.read_record(id, |shard, rec| {
            let mut stats = rec.stats;
            if shard.on_cpu == Some(id) {
                let running = now.saturating_sub(shard.on_cpu_since);
                stats.cpu_time_ns = stats.cpu_time_ns.saturating_add(running);
            }
            stats
        })
        .ok_or(Errno::ESRCH)
    }

    /// When `cpu` next needs a timer interrupt: the earliest deadline of
    /// its blocked threads (and of the alarms, on the boot CPU) or the end
    /// of the running thread's slice if another thread waits. `None` means
    /// no interrupt is needed (a one-shot timer may stay off).
    pub fn next_event(&self, cpu: CpuId) -> Option<u64> {
        let shard = self.lock(cpu).ok()?;
        let mut next = [shard.timeouts.next_deadline(), shard.run_queue.slice_end()]
            .into_iter()
            .flatten()
            .min();
        drop(shard);
        if cpu == CpuId::BSP
            && let Some(alarm) = self.alarms.lock().next_deadline()
        {
            next = Some(next.map_or(alarm, |n| n.min(alarm)));
        }
        next
    }

    /// The CPUs the scheduler manages.
    pub fn online_cpus(&self) -> CpuSet {
        CpuSet::from_bits(self.online.load(Ordering::Relaxed))
    }

    /// Whether `cpu` should call [`Scheduler::schedule`] at its next chance
    /// (on return from an interrupt or a syscall).
    pub fn need_resched(&self, cpu: CpuId) -> bool {
        self.lock(cpu)
            .is_ok_and(|shard| shard.run_queue.need_resched())
    }

    /// The CPUs that calls since the last look asked to reschedule (a
    /// thread woken, placed or moved onto their queue), for the kernel to
    /// send each one but itself a reschedule IPI. Each request is handed
    /// out once.
    pub fn take_resched_cpus(&self) -> CpuSet {
        if self.kicks.load(Ordering::Relaxed) == 0 {
            return CpuSet::EMPTY;
        }
        CpuSet::from_bits(self.kicks.swap(0, Ordering::AcqRel))
    }

    /// Threads known to the scheduler (every state but `Dead`).
    pub fn thread_count(&self) -> usize {
        self.thread_count.load(Ordering::Relaxed)
    }

    /// Threads in `cpu`'s run queue, the running one included.
    pub fn runnable_on(&self, cpu: CpuId) -> usize {
        self.cpus
            .get(cpu.0 as usize)
            .map_or(0, |slot| slot.len.load(Ordering::Relaxed))
    }

    /// The earliest deadline of any CPU's blocked threads or of the alarms.
    pub fn next_deadline(&self) -> Option<u64> {
        let threads = self
            .cpus
            .iter()
            .filter_map(|slot| slot.shard.lock().timeouts.next_deadline())
            .min();
        let alarm = self.alarms.lock().next_deadline();
        [threads, alarm].into_iter().flatten().min()
    }

    // ---- placement -----------------------------------------------------

    /// The CPU a runnable thread should queue on: the one it used last if
    /// allowed and free (warm caches), else the least loaded allowed CPU
    /// (the last one on a tie).
    fn place(&self, affinity: CpuSet, last: CpuId) -> CpuId {
        let allowed = affinity.intersection(self.online_cpus());
        if allowed.contains(last) && (self.load_of(last) == 0 || allowed.bits() == 1 << last.0) {
            return last;
        }
        allowed
            .iter()
            .min_by_key(|&cpu| (self.load_of(cpu), cpu != last))
            .unwrap_or(CpuId::BSP)
    }

    /// Where a woken thread goes: the CPU of a waker about to sleep or
    /// leave (a sync wake) when nothing else waits there, else
    /// [`Scheduler::place`].
    fn place_woken(&self, rec: &ThreadRecord, waker: Option<CpuId>) -> CpuId {
        match waker {
            Some(waker)
                if rec
                    .affinity
                    .intersection(self.online_cpus())
                    .contains(waker)
                    && self
                        .cpus
                        .get(waker.0 as usize)
                        .is_some_and(|slot| slot.len.load(Ordering::Relaxed) <= 1) =>
            {
                waker
            }
            _ => self.place(rec.affinity, rec.cpu),
        }
    }

    /// Makes `online` the CPUs that take threads (a CPU joins once it is
    /// up). Threads queued on CPUs that leave stay there until they come
    /// back; the boot CPU is always online.
    pub fn set_online_cpus(&self, online: CpuSet) {
        let all = CpuSet::first(self.cpus.len() as u32);
        let online = online.intersection(all);
        self.online.store(online.bits() | 1, Ordering::Relaxed);
    }

    /// Adds `cpu` to the CPUs that take threads (an application processor
    /// that has come up); CPUs coming up at once are all counted.
    pub fn add_online_cpu(&self, cpu: CpuId) {
        if (cpu.0 as usize) < self.cpus.len() {
            self.online.fetch_or(1 << cpu.0, Ordering::Relaxed);
        }
    }

    /// Moves one waiting thread to `cpu` from the busiest other CPU (by
    /// [`RunQueue::load`], the weights of its threads) that holds one
    /// whose affinity allows `cpu`: for an idle `cpu` any such thread, for
    /// a busy one only a thread lighter than the difference of the loads,
    /// so that the move narrows it (two equal threads against one stay:
    /// that gap cannot be closed, only moved; a nice-19 thread alone on a
    /// CPU takes one of two nice-0 threads from another). Returns whether
    /// it moved one. Interrupts must be off (a thread is in transit).
    fn pull_from_busier(&self, cpu: CpuId, idle: bool, now: u64) -> KernelResult<bool> {
        let here = self.load_of(cpu);
        let online = self.online_cpus();
        let mut tried = 0u64;
        loop {
            let source = online
                .iter()
                .filter(|&other| {
                    let slot = &self.cpus[other.0 as usize];
                    other != cpu
                        && tried & 1 << other.0 == 0
                        && slot.waiting.load(Ordering::Relaxed) > 0
                        && slot.load.load(Ordering::Relaxed) > here
                })
                .max_by_key(|&other| self.load_of(other));
            let Some(source) = source else {
                return Ok(false);
            };
            tried |= 1 << source.0;
            let mut guard = self.lock(source)?;
            let shard = &mut *guard;
            let load = shard.run_queue.load();
            if shard.run_queue.waiting() == 0 || load <= here {
                continue;
            }
            let surplus = load - here;
            let threads = &shard.threads;
            let candidate = shard.run_queue.waiting_threads().find(|id| {
                threads.get(id).is_some_and(|rec| {
                    rec.affinity.contains(cpu)
                        && (idle || u64::from(rec.priority.weight()) < surplus)
                })
            });
            let Some(id) = candidate else { continue };
            let lag = shard.run_queue.dequeue(id, now)?;
            let rec = shard.threads.remove(&id).ok_or(Errno::ESRCH)?;
            self.publish(source, shard);
            drop(guard);
            self.attach(
                Carried {
                    id,
                    rec,
                    entry: Entry::Lag(lag),
                },
                cpu,
                now,
            )?;
            return Ok(true);
        }
    }

    /// Puts runnable thread `id` of `shard` (its home, `home`) into
    /// `target`'s run queue: this shard's at once, another's once the
    /// caller has released this lock (the move returned). It enters at
    /// `lag`, or, woken, where it `departure`d from this queue (measured
    /// against this queue, bounded by the sleeper credit).
    #[allow(clippy::too_many_arguments)]
    fn requeue(
        &self,
        shard: &mut Shard,
        home: CpuId,
        id: ThreadId,
        target: CpuId,
        lag: Lag,
        departure: Option<Departure>,
        now: u64,
    ) -> KernelResult<Move> {
        if target == home {
            let rec = shard.threads.get_mut(&id).ok_or(Errno::ESRCH)?;
            let priority = rec.priority;
            rec.lag = Lag::default();
            let queue = &mut shard.run_queue;
            match departure {
                Some(departure) => queue.enqueue_departed(id, priority, departure, now)?,
                None => queue.enqueue_with_lag(id, priority, lag, now)?,
            }
            self.publish(home, shard);
            return Ok(None);
        }
        let entry = match departure {
            Some(departure) => Entry::Woken(shard.run_queue.lag_since(departure, now)),
            None => Entry::Lag(lag),
        };
        Ok(Some(PendingMove { id, entry, target }))
    }

    // ---- thread lifecycle ----------------------------------------------

    /// Registers a new thread, runnable at once. `EEXIST` if the id is in
    /// use, `EINVAL` if `affinity` names no online CPU.
    pub fn spawn(
        &self,
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
        &self,
        id: ThreadId,
        priority: Priority,
        affinity: CpuSet,
        creator: Option<CpuId>,
        now: u64,
    ) -> KernelResult<()> {
        let allowed = affinity.intersection(self.online_cpus());
        let Some(first) = allowed.iter().next() else {
            return Err(Errno::EINVAL);
        };
        let target = allowed
            .iter()
            .min_by_key(|&cpu| (self.load_of(cpu), Some(cpu) != creator))
            .unwrap_or(first);
        let _off = InterruptsOff::<I>::new();
        {
            let mut homes = self.bucket(id).lock();
            if homes.contains_key(&id) {
                return Err(Errno::EEXIST);
            }
            homes.insert(id, target);
        }
        self.thread_count.fetch_add(1, Ordering::Relaxed);
        let rec = ThreadRecord::new(priority, affinity, target);
        self.attach(
            Carried {
                id,
                rec,
                entry: Entry::New,
            },
            target,
            now,
        )
    }

    /// Decides what `cpu` runs from `now` on, and updates the states of the
    /// thread it leaves (`Running` -> `Runnable`; a `Dying` one becomes
    /// finalizable) and of the one it picks (`Runnable` -> `Running`).
    ///
    /// Call it when [`Scheduler::need_resched`] says so (the calls that
    /// take the current thread off its CPU call it themselves, so that no
    /// other CPU can pick a thread before its own CPU has left it). `EINVAL`
    /// for an unknown CPU.
    pub fn schedule(&self, cpu: CpuId, now: u64) -> KernelResult<Decision> {
        let _off = InterruptsOff::<I>::new();
        let shard = self.lock(cpu)?;
        self.schedule_locked(cpu, shard, now)
    }

    /// [`Scheduler::schedule`] for a caller holding `cpu`'s lock, which it
    /// releases (and takes again, to pull a thread from another CPU or
    /// send one away). Interrupts must be off.
    fn schedule_locked<'a>(
        &'a self,
        cpu: CpuId,
        mut guard: ShardGuard<'a, I>,
        now: u64,
    ) -> KernelResult<Decision> {
        let shard = &mut *guard;
        let previous = shard.on_cpu;
        // What ran is charged up to now, whatever runs next. Its record is
        // here: a running thread moves only through this CPU, and one
        // that left it (blocked, stopped, exited) did so in this hold.
        let ran = now.saturating_sub(shard.on_cpu_since);
        shard.on_cpu_since = now;
        if let Some(prev) = previous
            && let Some(rec) = shard.threads.get_mut(&prev)
        {
            rec.stats.cpu_time_ns = rec.stats.cpu_time_ns.saturating_add(ran);
            match rec.state {
                ThreadState::Running => {}
                ThreadState::Dying => {
                    rec.stats.voluntary_switches += 1;
                    shard.finalizable.push_back(prev);
                }
                _ => rec.stats.voluntary_switches += 1,
            }
        }

        // A running thread whose affinity no longer allows this CPU moves.
        let mut carry: Move = None;
        if let Some(running) = shard.run_queue.current()
            && let Some(rec) = shard.threads.get(&running)
            && !rec.affinity.intersection(self.online_cpus()).contains(cpu)
        {
            let target = self.place(rec.affinity, cpu);
            let lag = shard.run_queue.dequeue(running, now)?;
            let rec = shard.threads.get_mut(&running).ok_or(Errno::ESRCH)?;
            rec.state.preempt()?;
            rec.stats.involuntary_switches += 1;
            carry = self.requeue(shard, cpu, running, target, lag, None, now)?;
        }

        if carry.is_some() || shard.run_queue.is_empty() {
            self.publish(cpu, shard);
            self.release_and_move(guard, cpu, carry, now)?;
            if self.runnable_on(cpu) == 0 {
                self.pull_from_busier(cpu, true, now)?;
            }
            guard = self.lock(cpu)?;
        }
        let shard = &mut *guard;
        let next = shard.run_queue.pick_next(now);
        if let Some(prev) = previous
            && next != Some(prev)
            && let Some(rec) = shard.threads.get_mut(&prev)
            && rec.state == ThreadState::Running
        {
            rec.state.preempt()?;
            rec.stats.involuntary_switches += 1;
        }
        if let Some(next) = next {
            let rec = shard.threads.get_mut(&next).ok_or(Errno::ESRCH)?;
            if rec.state == ThreadState::Runnable {
                rec.state.run()?;
            }
        }
        shard.on_cpu = next;
        self.publish(cpu, shard);
        let slot = &self.cpus[cpu.0 as usize];
        if slot.handing_over.load(Ordering::Relaxed) {
            let reason = next
                .and_then(|id| shard.threads.get_mut(&id))
                .and_then(|rec| rec.wake_reason.take());
            slot.resumed.put(reason);
        }
        Ok(match next {
            _ if next == previous => Decision::Continue,
            Some(id) => Decision::SwitchTo(id),
            None => Decision::Idle,
        })
    }

    /// The timer interrupt on `cpu` at `now`: wakes the threads blocked
    /// here whose deadline passed, on the boot CPU passes each due alarm's
    /// id and token to `fire_alarm`, every [`BALANCE_INTERVAL_NS`] takes a
    /// waiting thread lighter than the gap from a queue loaded more than
    /// `cpu`'s ([`RunQueue::load`]), and charges the running thread.
    /// Returns whether `cpu` should reschedule before returning from the
    /// interrupt.
    pub fn on_timer_tick(
        &self,
        cpu: CpuId,
        now: u64,
        mut fire_alarm: impl FnMut(TimerId, u64),
    ) -> KernelResult<bool> {
        let _off = InterruptsOff::<I>::new();
        // One deadline per hold: a woken thread may move to another CPU.
        loop {
            let mut guard = self.lock(cpu)?;
            let shard = &mut *guard;
            let Some((timer, id)) = shard.timeouts.pop_expired(now) else {
                break;
            };
            let Some(rec) = shard.threads.get_mut(&id) else {
                continue;
            };
            if rec.timeout != Some(timer) {
                continue;
            }
            rec.timeout = None;
            let (_, carry) = self.wake_in(shard, cpu, id, WakeReason::TimedOut, None, None, now)?;
            self.release_and_move(guard, cpu, carry, now)?;
        }
        if cpu == CpuId::BSP {
            loop {
                let due = self.alarms.lock().pop_expired(now);
                let Some((timer, token)) = due else { break };
                fire_alarm(timer, token);
            }
        }
        // A busy CPU balances too, not only an idle one: a queue loaded
        // more than this one by more than a waiting thread's weight gives
        // that thread up.
        let balance = {
            let mut shard = self.lock(cpu)?;
            let due = now.saturating_sub(shard.balanced_at) >= BALANCE_INTERVAL_NS;
            if due {
                shard.balanced_at = now;
            }
            due
        };
        if balance {
            self.pull_from_busier(cpu, false, now)?;
        }
        let mut shard = self.lock(cpu)?;
        Ok(shard.run_queue.tick(now))
    }

    /// `sched_yield` for the thread running on `cpu`: it goes behind every
    /// waiting thread of its queue, and the CPU reschedules. `ESRCH` if the
    /// CPU idles.
    pub fn yield_current(&self, cpu: CpuId, now: u64) -> KernelResult<Decision> {
        let _off = InterruptsOff::<I>::new();
        let mut shard = self.lock(cpu)?;
        shard.run_queue.yield_current(now)?;
        self.schedule_locked(cpu, shard, now)
    }

    /// The thread running on `cpu` exits: it becomes `Dying`, leaves its run
    /// queue, and the CPU picks another thread; once the kernel has switched
    /// away, [`Scheduler::take_finalizable`] hands it back for freeing.
    /// `ESRCH` if the CPU idles.
    pub fn exit_current(&self, cpu: CpuId, now: u64) -> KernelResult<Decision> {
        self.leave_current(cpu, now, ThreadState::exit)
    }

    /// The thread running on `cpu` stops for job control (the signal code,
    /// in the thread's own context), and the CPU picks another thread.
    /// `ESRCH` if the CPU idles.
    pub fn stop_current(&self, cpu: CpuId, now: u64) -> KernelResult<Decision> {
        self.leave_current(cpu, now, ThreadState::stop)
    }

    /// Takes the thread running on `cpu` out of its queue through
    /// `transition` (exit or stop), keeping its lag, and reschedules.
    fn leave_current(
        &self,
        cpu: CpuId,
        now: u64,
        transition: fn(&mut ThreadState) -> KernelResult<()>,
    ) -> KernelResult<Decision> {
        let _off = InterruptsOff::<I>::new();
        let mut guard = self.lock(cpu)?;
        let shard = &mut *guard;
        let id = shard.run_queue.current().ok_or(Errno::ESRCH)?;
        let rec = shard.threads.get_mut(&id).ok_or(Errno::ESRCH)?;
        transition(&mut rec.state)?;
        rec.lag = shard.run_queue.dequeue(id, now)?;
        self.schedule_locked(cpu, guard, now)
    }

    /// The next thread that has exited and is off its CPU for good: it
    /// becomes `Dead` and the scheduler forgets it (its id may be reused).
    /// The kernel then frees the thread's stack and structures outside the
    /// context that killed it.
    pub fn take_finalizable(&self) -> Option<ThreadId> {
        let _off = InterruptsOff::<I>::new();
        for slot in &self.cpus {
            let mut guard = slot.shard.lock();
            let shard = &mut *guard;
            let Some(id) = shard.finalizable.pop_front() else {
                continue;
            };
            if let Some(mut rec) = shard.threads.remove(&id) {
                // Only Dying threads are ever queued here.
                let _ = rec.state.finalize();
                if let Some(timer) = rec.timeout {
                    shard.timeouts.cancel(timer);
                }
            }
            self.bucket(id).lock().remove(&id);
            self.thread_count.fetch_sub(1, Ordering::Relaxed);
            return Some(id);
        }
        None
    }

    /// Whether a dead thread waits to be taken.
    pub fn has_finalizable(&self) -> bool {
        self.cpus
            .iter()
            .any(|slot| !slot.shard.lock().finalizable.is_empty())
    }

    /// Resumes a stopped thread (`SIGCONT`, or `SIGKILL` so it can die).
    /// Returns whether it was stopped; `ESRCH` if unknown.
    pub fn resume(&self, id: ThreadId, now: u64) -> KernelResult<bool> {
        self.with_record(id, now, |this, shard, home| {
            let rec = shard.threads.get_mut(&id).ok_or(Errno::ESRCH)?;
            if rec.state != ThreadState::Stopped {
                return Ok((false, None));
            }
            rec.state.resume()?;
            let (lag, target) = (rec.lag, this.place(rec.affinity, rec.cpu));
            let carry = this.requeue(shard, home, id, target, lag, None, now)?;
            Ok((true, carry))
        })
    }

    /// Changes the priority of `id` (`setpriority`, `nice`). `ESRCH` if
    /// unknown.
    pub fn set_priority(&self, id: ThreadId, priority: Priority, now: u64) -> KernelResult<()> {
        self.with_record(id, now, |this, shard, home| {
            let rec = shard.threads.get_mut(&id).ok_or(Errno::ESRCH)?;
            rec.priority = priority;
            if shard.run_queue.contains(id) {
                shard.run_queue.set_priority(id, priority, now)?;
                this.publish(home, shard);
            }
            Ok(((), None))
        })
    }

    /// Changes the CPUs `id` may run on (`sched_setaffinity`). `EINVAL` if
    /// `affinity` names no online CPU, `ESRCH` if unknown. A waiting thread
    /// moves at once; a running one moves at its CPU's next reschedule.
    pub fn set_affinity(&self, id: ThreadId, affinity: CpuSet, now: u64) -> KernelResult<()> {
        if affinity.intersection(self.online_cpus()).is_empty() {
            return Err(Errno::EINVAL);
        }
        self.with_record(id, now, |this, shard, home| {
            let rec = shard.threads.get_mut(&id).ok_or(Errno::ESRCH)?;
            rec.affinity = affinity;
            if affinity.contains(rec.cpu) {
                return Ok(((), None));
            }
            match rec.state {
                ThreadState::Runnable => {
                    let target = this.place(affinity, rec.cpu);
                    let lag = shard.run_queue.dequeue(id, now)?;
                    let carry = this.requeue(shard, home, id, target, lag, None, now)?;
                    Ok(((), carry))
                }
                ThreadState::Running => {
                    shard.run_queue.set_need_resched();
                    this.publish(home, shard);
                    Ok(((), None))
                }
                _ => Ok(((), None)),
            }
        })
    }

    // ---- blocking --------------------------------------------------------

    /// The lock and the inner id of wait queue `queue`.
    fn wait_shard(&self, queue: WaitQueueId) -> (&IrqSpinLock<WaitQueues, I>, WaitQueueId) {
        let low = queue.0 as u32;
        let shard = (low as usize) & (WAIT_SHARDS - 1);
        let inner = (queue.0 & !0xffff_ffff) | u64::from(low >> WAIT_SHARD_BITS);
        (&self.wait_queues[shard], WaitQueueId(inner))
    }

    /// Creates an empty wait queue.
    pub fn create_wait_queue(&self) -> WaitQueueId {
        let shard = self.next_wait_shard.fetch_add(1, Ordering::Relaxed) % WAIT_SHARDS;
        let inner = self.wait_queues[shard].lock().create();
        let index = inner.0 as u32;
        assert!(
            index < 1 << (32 - WAIT_SHARD_BITS),
            "fewer than 2^28 wait queues per lock"
        );
        WaitQueueId((inner.0 & !0xffff_ffff) | u64::from(index << WAIT_SHARD_BITS) | shard as u64)
    }

    /// Destroys a wait queue. `EBUSY` while threads wait in it, `EINVAL` if
    /// unknown.
    pub fn destroy_wait_queue(&self, queue: WaitQueueId) -> KernelResult<()> {
        let (lock, inner) = self.wait_shard(queue);
        let mut queues = lock.lock();
        let q = queues.get(inner).ok_or(Errno::EINVAL)?;
        if !q.is_empty() {
            return Err(Errno::EBUSY);
        }
        queues.remove(inner);
        Ok(())
    }

    /// How many threads wait in `queue`; `EINVAL` if unknown.
    pub fn waiters(&self, queue: WaitQueueId) -> KernelResult<usize> {
        let (lock, inner) = self.wait_shard(queue);
        Ok(lock.lock().get(inner).ok_or(Errno::EINVAL)?.len())
    }

    /// Takes `waiter` out of `queue` if it is still there.
    fn leave_queue(&self, queue: WaitQueueId, waiter: Waiter) {
        let (lock, inner) = self.wait_shard(queue);
        if let Some(q) = lock.lock().get_mut(inner) {
            q.remove(waiter);
        }
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
        &self,
        cpu: CpuId,
        reason: BlockReason,
        deadline: Option<u64>,
        now: u64,
    ) -> KernelResult<Decision> {
        self.block_current_unless(cpu, reason, deadline, now, || true)
            .map(|decision| decision.unwrap_or(Decision::Continue))
    }

    /// [`Scheduler::block_current`] unless `still_waiting`, asked once the
    /// thread is in its wait queue (where a waker finds it) and before it
    /// blocks, says the reason to wait is gone: then it does not block and
    /// the result is `None`. A waker that changes the condition before it
    /// wakes the queue is then never missed (see the module documentation).
    pub fn block_current_unless(
        &self,
        cpu: CpuId,
        reason: BlockReason,
        deadline: Option<u64>,
        now: u64,
        still_waiting: impl FnOnce() -> bool,
    ) -> KernelResult<Option<Decision>> {
        let _off = InterruptsOff::<I>::new();
        let mut guard = self.lock(cpu)?;
        let shard = &mut *guard;
        let id = shard.run_queue.current().ok_or(Errno::ESRCH)?;
        let token = shard.take_token();
        let rec = shard.threads.get_mut(&id).ok_or(Errno::ESRCH)?;
        if rec.state != ThreadState::Running {
            return Err(Errno::EINVAL);
        }
        if reason.is_interruptible() && rec.interrupt_pending {
            rec.wake_reason = Some(WakeReason::Interrupted);
            return self.schedule_locked(cpu, guard, now).map(Some);
        }
        if deadline.is_some_and(|d| d <= now) {
            rec.wake_reason = Some(WakeReason::TimedOut);
            return self.schedule_locked(cpu, guard, now).map(Some);
        }
        let waiter = Waiter { id, token, cpu };
        if let Some(queue) = reason.queue() {
            let (lock, inner) = self.wait_shard(queue);
            lock.lock()
                .get_mut(inner)
                .ok_or(Errno::EINVAL)?
                .push(waiter);
        }
        if !still_waiting() {
            if let Some(queue) = reason.queue() {
                self.leave_queue(queue, waiter);
            }
            return Ok(None);
        }
        rec.state.block(reason)?;
        rec.wake_reason = None;
        rec.blocked_at = now;
        rec.wait_token = token;
        rec.departure = shard.run_queue.depart(id, now)?;
        if let Some(deadline) = deadline {
            rec.timeout = Some(shard.timeouts.arm(deadline, id));
        }
        self.schedule_locked(cpu, guard, now).map(Some)
    }

    /// Blocks the thread running on `cpu` in `queue`; shorthand for
    /// [`Scheduler::block_current`] with `Queue` or `QueueUninterruptible`.
    pub fn wait_on(
        &self,
        cpu: CpuId,
        queue: WaitQueueId,
        interruptible: bool,
        deadline: Option<u64>,
        now: u64,
    ) -> KernelResult<Decision> {
        self.wait_on_unless(cpu, queue, interruptible, deadline, now, || true)
            .map(|decision| decision.unwrap_or(Decision::Continue))
    }

    /// [`Scheduler::wait_on`] unless `still_waiting` says otherwise (see
    /// [`Scheduler::block_current_unless`]).
    pub fn wait_on_unless(
        &self,
        cpu: CpuId,
        queue: WaitQueueId,
        interruptible: bool,
        deadline: Option<u64>,
        now: u64,
        still_waiting: impl FnOnce() -> bool,
    ) -> KernelResult<Option<Decision>> {
        let reason = if interruptible {
            BlockReason::Queue(queue)
        } else {
            BlockReason::QueueUninterruptible(queue)
        };
        self.block_current_unless(cpu, reason, deadline, now, still_waiting)
    }

    /// Puts the thread running on `cpu` to sleep until `deadline`
    /// (`nanosleep`); it wakes with `TimedOut` (success for a sleep) or
    /// `Interrupted`.
    pub fn sleep_until(&self, cpu: CpuId, deadline: u64, now: u64) -> KernelResult<Decision> {
        self.block_current(cpu, BlockReason::Sleep, Some(deadline), now)
    }

    /// Makes thread `id` of `shard` (its home, `home`) runnable with
    /// `reason` if it is blocked (in the wait of `token`, if given: a
    /// waker that took it out of a queue): out of its wait queue, its
    /// deadline disarmed, into the run queue placement picks. Returns
    /// whether it was woken, and the move to another CPU to make once the
    /// home's lock is released.
    #[allow(clippy::too_many_arguments)]
    fn wake_in(
        &self,
        shard: &mut Shard,
        home: CpuId,
        id: ThreadId,
        reason: WakeReason,
        token: Option<u64>,
        waker: Option<CpuId>,
        now: u64,
    ) -> KernelResult<(bool, Move)> {
        let Some(rec) = shard.threads.get_mut(&id) else {
            return Ok((false, None));
        };
        let ThreadState::Blocked(block) = rec.state else {
            return Ok((false, None));
        };
        if token.is_some_and(|token| token != rec.wait_token) {
            return Ok((false, None));
        }
        rec.state.wake()?;
        rec.wake_reason = Some(reason);
        if let Some(timer) = rec.timeout.take() {
            shard.timeouts.cancel(timer);
        }
        // A waker with the token took the waiter out itself.
        if token.is_none()
            && let Some(queue) = block.queue()
        {
            self.leave_queue(
                queue,
                Waiter {
                    id,
                    token: rec.wait_token,
                    cpu: home,
                },
            );
        }
        let (target, departure) = (self.place_woken(rec, waker), rec.departure);
        let carry = self.requeue(
            shard,
            home,
            id,
            target,
            Lag::default(),
            Some(departure),
            now,
        )?;
        Ok((true, carry))
    }

    /// Wakes `id` if it is blocked, with `reason`, whatever it waits for.
    /// Returns whether it was blocked (a wake racing with another is not an
    /// error); `ESRCH` if unknown. To interrupt, prefer
    /// [`Scheduler::interrupt`], which respects uninterruptible waits.
    pub fn wake(&self, id: ThreadId, reason: WakeReason, now: u64) -> KernelResult<bool> {
        self.with_record(id, now, |this, shard, home| {
            this.wake_in(shard, home, id, reason, None, None, now)
        })
    }

    /// Wakes the longest waiter of `queue` with `Woken` and returns it;
    /// `EINVAL` if the queue is unknown.
    pub fn wake_one(&self, queue: WaitQueueId, now: u64) -> KernelResult<Option<ThreadId>> {
        self.wake_one_from(queue, None, now).map(|(woken, _)| woken)
    }

    /// Wakes every waiter of `queue` with `Woken`, in queue order, and
    /// returns how many; `EINVAL` if the queue is unknown.
    pub fn wake_all(&self, queue: WaitQueueId, now: u64) -> KernelResult<usize> {
        self.wake_all_from(queue, None, now)
    }

    /// [`Scheduler::wake_one`] by a thread on CPU `waker` that is about to
    /// sleep or exit (Linux's sync wake-up): the woken thread takes that
    /// CPU if nothing else waits there, rather than waking another one
    /// with an IPI.
    pub fn wake_one_sync(
        &self,
        queue: WaitQueueId,
        waker: CpuId,
        now: u64,
    ) -> KernelResult<Option<ThreadId>> {
        self.wake_one_from(queue, Some(waker), now)
            .map(|(woken, _)| woken)
    }

    /// [`Scheduler::wake_all`] as a sync wake-up from CPU `waker` (see
    /// [`Scheduler::wake_one_sync`]).
    pub fn wake_all_sync(&self, queue: WaitQueueId, waker: CpuId, now: u64) -> KernelResult<usize> {
        self.wake_all_from(queue, Some(waker), now)
    }

    /// Wakes the first waiter of `queue` still in its wait (skipping ones
    /// whose wait ended meanwhile); returns it and how many waiters the
    /// queue held after the one taken out.
    fn wake_one_from(
        &self,
        queue: WaitQueueId,
        waker: Option<CpuId>,
        now: u64,
    ) -> KernelResult<(Option<ThreadId>, usize)> {
        let _off = InterruptsOff::<I>::new();
        let (lock, inner) = self.wait_shard(queue);
        loop {
            let (waiter, left) = {
                let mut queues = lock.lock();
                let q = queues.get_mut(inner).ok_or(Errno::EINVAL)?;
                (q.pop(), q.len())
            };
            let Some(waiter) = waiter else {
                return Ok((None, 0));
            };
            // A waiting thread stays on the CPU it waits on: no need to
            // look its home up.
            let mut shard = self.lock(waiter.cpu)?;
            let (woken, carry) = self.wake_in(
                &mut shard,
                waiter.cpu,
                waiter.id,
                WakeReason::Woken,
                Some(waiter.token),
                waker,
                now,
            )?;
            self.release_and_move(shard, waiter.cpu, carry, now)?;
            if woken {
                return Ok((Some(waiter.id), left));
            }
        }
    }

    fn wake_all_from(
        &self,
        queue: WaitQueueId,
        waker: Option<CpuId>,
        now: u64,
    ) -> KernelResult<usize> {
        // The waiters there now; later ones came after the event.
        let (first, mut left) = self.wake_one_from(queue, waker, now)?;
        if first.is_none() {
            return Ok(0);
        }
        let mut woken = 1;
        while left > 0 {
            let (next, rest) = self.wake_one_from(queue, waker, now)?;
            if next.is_none() {
                break;
            }
            woken += 1;
            left = left.saturating_sub(1).min(rest);
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
    pub fn interrupt(&self, id: ThreadId, now: u64) -> KernelResult<bool> {
        self.with_record(id, now, |this, shard, home| {
            let rec = shard.threads.get_mut(&id).ok_or(Errno::ESRCH)?;
            rec.interrupt_pending = true;
            match rec.state {
                ThreadState::Blocked(reason) if reason.is_interruptible() => {
                    this.wake_in(shard, home, id, WakeReason::Interrupted, None, None, now)
                }
                // It may be running user code that makes no system call: its
                // CPU reschedules (on SMP, a reschedule IPI), which takes it
                // through the kernel's way back to user mode now rather than
                // at its next tick (Linux's `kick_process`).
                ThreadState::Running => {
                    shard.run_queue.set_need_resched();
                    this.publish(home, shard);
                    Ok((false, None))
                }
                _ => Ok((false, None)),
            }
        })
    }

    /// The kernel has dealt with `id`'s pending signals (typically on the
    /// way back to user mode): waits block normally again.
    pub fn clear_interrupt(&self, id: ThreadId) -> KernelResult<()> {
        self.with_record(id, 0, |_, shard, _| {
            let rec = shard.threads.get_mut(&id).ok_or(Errno::ESRCH)?;
            rec.interrupt_pending = false;
            Ok(((), None))
        })
    }

    /// Why `id` last woke (or did not block), consumed by the call: what the
    /// kernel turns into the waiting syscall's result with
    /// [`WakeReason::as_result`]. `ESRCH` if unknown.
    pub fn take_wake_reason(&self, id: ThreadId) -> KernelResult<Option<WakeReason>> {
        self.with_record(id, 0, |_, shard, _| {
            let rec = shard.threads.get_mut(&id).ok_or(Errno::ESRCH)?;
            Ok((rec.wake_reason.take(), None))
        })
    }

    /// Takes the wake reason of the thread `decision` (just returned for
    /// `cpu`) has it run: the thread switched to, or for
    /// [`Decision::Continue`] the one already running. That thread runs on
    /// `cpu`, so nothing else changes its reason in between; the kernel
    /// hands it over with the switch (see [`crate::WakeReasonSlot`]), so a
    /// thread back from a block needs no second call to learn why.
    pub fn take_resumed_wake_reason(&self, cpu: CpuId, decision: Decision) -> Option<WakeReason> {
        let mut guard = self.lock(cpu).ok()?;
        let shard = &mut *guard;
        let id = match decision {
            Decision::SwitchTo(id) => id,
            Decision::Continue => shard.on_cpu?,
            Decision::Idle => return None,
        };
        shard.threads.get_mut(&id)?.wake_reason.take()
    }

    /// Runs `decide` (a call on `cpu`'s behalf that returns a decision:
    /// schedule, block, yield, exit) and takes, in the same hold of the
    /// CPU's lock as the decision, the wake reason of the thread it has
    /// the CPU run: [`Scheduler::take_resumed_wake_reason`] without a
    /// second trip through the lock. With `decide`'s error, nothing is
    /// taken.
    pub fn resuming<T>(
        &self,
        cpu: CpuId,
        decide: impl FnOnce(&Self) -> KernelResult<T>,
    ) -> KernelResult<(T, Option<WakeReason>)> {
        let slot = self.slot(cpu)?;
        slot.resumed.put(None);
        slot.handing_over.store(true, Ordering::Relaxed);
        let result = decide(self);
        slot.handing_over.store(false, Ordering::Relaxed);
        let reason = slot.resumed.take();
        Ok((result?, reason))
    }

    // ---- alarms ----------------------------------------------------------

    /// Arms an alarm at `deadline`; [`Scheduler::on_timer_tick`] on the
    /// boot CPU passes its id and `token` to the kernel when it is due
    /// (`alarm`, `ITIMER_REAL`, timer-based wake-ups of kernel objects).
    pub fn set_alarm(&self, deadline: u64, token: u64) -> TimerId {
        self.alarms.lock().arm(deadline, token)
    }

    /// Cancels an alarm; returns its token, or `None` if it already fired
    /// or was cancelled.
    pub fn cancel_alarm(&self, alarm: TimerId) -> Option<u64> {
        self.alarms.lock().cancel(alarm)
    }

    /// The deadline of an armed alarm (for `getitimer`, `alarm`'s remaining
    /// time).
    pub fn alarm_deadline(&self, alarm: TimerId) -> Option<u64> {
        self.alarms.lock().deadline(alarm)
    }

    // ---- invariants, for tests -------------------------------------------

    /// Checks that every thread is in exactly the places its state implies;
    /// returns a description of the first violation. Takes every lock.
    #[cfg(test)]
    pub(crate) fn check_invariants(&self) -> Result<(), alloc::string::String> {
        use alloc::format;
        let shards: Vec<_> = self.cpus.iter().map(|slot| slot.shard.lock()).collect();
        let queues: Vec<_> = self.wait_queues.iter().map(|q| q.lock()).collect();
        let homes: Vec<_> = self.homes.iter().map(|b| b.lock()).collect();
        let mut known = 0;
        for (n, shard) in shards.iter().enumerate() {
            let rq = &shard.run_queue;
            if shard.on_cpu != rq.current() {
                return Err(format!(
                    "cpu {n} runs {:?}, queue says {:?}",
                    shard.on_cpu,
                    rq.current()
                ));
            }
            let weights: u64 = shard
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
            let slot = &self.cpus[n];
            if slot.load.load(Ordering::Relaxed) != rq.load()
                || slot.len.load(Ordering::Relaxed) != rq.len()
            {
                return Err(format!("cpu {n}'s published figures are stale"));
            }
            for (&id, rec) in &shard.threads {
                known += 1;
                if rec.cpu.0 as usize != n {
                    return Err(format!("{id:?} homed on {n}, recorded {:?}", rec.cpu));
                }
                if homes[(id.0 % HOME_BUCKETS as u64) as usize].get(&id) != Some(&rec.cpu) {
                    return Err(format!("{id:?}'s home map entry is not {n}"));
                }
                if shards
                    .iter()
                    .enumerate()
                    .any(|(m, other)| m != n && other.threads.contains_key(&id))
                {
                    return Err(format!("{id:?} recorded on two CPUs"));
                }
                let queued: Vec<usize> = (0..shards.len())
                    .filter(|&m| shards[m].run_queue.contains(id))
                    .collect();
                let expect_queued = rec.state.is_schedulable();
                if expect_queued != (queued.len() == 1) || queued.len() > 1 {
                    return Err(format!("{id:?} {:?} in run queues {queued:?}", rec.state));
                }
                if expect_queued && queued[0] != n {
                    return Err(format!("{id:?} queued on {queued:?}, homed on {n}"));
                }
                let entries: Vec<Waiter> = queues
                    .iter()
                    .flat_map(|q| q.iter().flat_map(|wq| wq.iter()))
                    .filter(|w| w.id == id)
                    .collect();
                let expected: Vec<Waiter> = match rec.state {
                    ThreadState::Blocked(reason) if reason.queue().is_some() => {
                        alloc::vec![Waiter {
                            id,
                            token: rec.wait_token,
                            cpu: rec.cpu,
                        }]
                    }
                    _ => Vec::new(),
                };
                if entries != expected {
                    return Err(format!("{id:?} {:?} waits as {entries:?}", rec.state));
                }
                let running = shards.iter().any(|s| s.run_queue.current() == Some(id));
                if running != (rec.state == ThreadState::Running) {
                    return Err(format!("{id:?} {:?} but current: {running}", rec.state));
                }
                match rec.timeout {
                    Some(_) if !matches!(rec.state, ThreadState::Blocked(_)) => {
                        return Err(format!("{id:?} {:?} with an armed timeout", rec.state));
                    }
                    Some(timer) if shard.timeouts.event(timer) != Some(&id) => {
                        return Err(format!("{id:?}'s timeout is not in its home's timers"));
                    }
                    _ => {}
                }
            }
        }
        let mapped: usize = homes.iter().map(|bucket| bucket.len()).sum();
        if mapped != known || known != self.thread_count() {
            return Err(format!(
                "{known} records, {mapped} home entries, {} counted",
                self.thread_count()
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::irq_lock::NoInterrupts;
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

    /// Four host threads play four CPUs at once, each doing what its CPU
    /// does (schedule, tick, block, sleep, yield, stop, exit) and what any
    /// CPU may do to any thread (wake, interrupt, resume, move, renice,
    /// spawn, finalize): no deadlock, and once they stop every thread is
    /// where its state says, none lost in a move between CPUs or a
    /// wake-up that raced with a timeout.
    #[test]
    fn cpus_working_at_once_keep_every_thread_in_place() {
        use std::sync::Arc;
        const CPUS: u32 = 4;
        let s = Arc::new(Scheduler::<NoInterrupts>::new(CPUS, RunQueueConfig::default()).unwrap());
        let queues: Arc<Vec<WaitQueueId>> =
            Arc::new((0..3).map(|_| s.create_wait_queue()).collect());
        let clock = Arc::new(AtomicU64::new(1));
        let next_id = Arc::new(AtomicU64::new(24));
        for id in 0..24 {
            s.spawn(ThreadId(id), Priority::NORMAL, CpuSet::ALL, 0)
                .unwrap();
        }
        let cpus: Vec<_> = (0..CPUS)
            .map(|n| {
                let (s, queues, clock, next_id) =
                    (s.clone(), queues.clone(), clock.clone(), next_id.clone());
                std::thread::spawn(move || {
                    let cpu = CpuId(n);
                    let mut seed = 0x9e37_79b9_7f4a_7c15u64 ^ u64::from(n + 1);
                    for _ in 0..20_000 {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        let r = seed;
                        let now = clock.fetch_add(10_000, Ordering::Relaxed);
                        let queue = queues[(r >> 8) as usize % queues.len()];
                        // Among the newest ids, where the live threads are.
                        let newest = next_id.load(Ordering::Relaxed);
                        let someone = ThreadId(newest.saturating_sub(1 + (r >> 16) % 32));
                        let running = s.current(cpu).is_some();
                        // What only a CPU's own thread does waits for one;
                        // an idle CPU takes its ticks and reschedules.
                        let op = match r % 16 {
                            0..=5 | 13 if !running => 4 + (r >> 50) % 2,
                            op => op,
                        };
                        let _ = match op {
                            4 if !running => s.schedule(cpu, now).map(|_| ()),
                            0 | 1 => {
                                let deadline = (r & 1 << 40 != 0).then_some(now + 50_000);
                                s.wait_on(cpu, queue, r & 1 << 41 != 0, deadline, now)
                                    .map(|_| ())
                            }
                            2 => s.sleep_until(cpu, now + 30_000, now).map(|_| ()),
                            3 => s.yield_current(cpu, now).map(|_| ()),
                            4 | 5 => match s.on_timer_tick(cpu, now, |_, _| {}) {
                                Ok(true) => s.schedule(cpu, now).map(|_| ()),
                                other => other.map(|_| ()),
                            },
                            6 => s.wake_one(queue, now).map(|_| ()),
                            7 => s.wake_all(queue, now).map(|_| ()),
                            8 => s.interrupt(someone, now).map(|_| ()),
                            9 => s.clear_interrupt(someone),
                            10 => {
                                s.set_affinity(someone, CpuSet::from_bits(1 + (r >> 32) % 15), now)
                            }
                            11 => s.set_priority(
                                someone,
                                Priority::from_nice_clamped((r >> 32) as i64 % 40 - 20),
                                now,
                            ),
                            12 => s.resume(someone, now).map(|_| ()),
                            13 if r & 7 << 45 == 0 => s.stop_current(cpu, now).map(|_| ()),
                            13 => {
                                let _ = s.exit_current(cpu, now);
                                let id = ThreadId(next_id.fetch_add(1, Ordering::Relaxed));
                                s.spawn_near(id, Priority::NORMAL, CpuSet::ALL, Some(cpu), now)
                            }
                            14 => {
                                while s.take_finalizable().is_some() {}
                                s.resume(ThreadId((r >> 16) % newest), now).map(|_| ())
                            }
                            _ => s.wake(someone, WakeReason::Woken, now).map(|_| ()),
                        };
                    }
                })
            })
            .collect();
        for cpu in cpus {
            cpu.join().unwrap();
        }
        if let Err(e) = s.check_invariants() {
            panic!("{e}");
        }
        // Everyone still blocked or stopped can be brought back and run.
        let now = clock.load(Ordering::Relaxed);
        for id in 0..next_id.load(Ordering::Relaxed) {
            let _ = s.resume(ThreadId(id), now);
            let _ = s.wake(ThreadId(id), WakeReason::Woken, now);
        }
        s.check_invariants().unwrap();
        let runnable: usize = (0..CPUS).map(|n| s.runnable_on(CpuId(n))).sum();
        let dying = (0..CPUS)
            .map(|n| s.cpus[n as usize].shard.lock().finalizable.len())
            .sum::<usize>();
        assert!(runnable + dying <= s.thread_count());
    }

    /// A thread pinned to CPU 0 waits for every event another CPU posts
    /// (an event count, then a wake of the queue): it is never left asleep
    /// with an event it did not see, whatever the interleaving.
    #[test]
    fn a_waiter_never_misses_a_wake_from_another_cpu() {
        use std::sync::Arc;
        use std::sync::atomic::AtomicBool;
        const EVENTS: u64 = 20_000;
        let s = Arc::new(Scheduler::<NoInterrupts>::new(2, RunQueueConfig::default()).unwrap());
        let q = s.create_wait_queue();
        let events = Arc::new(AtomicU64::new(0));
        let done = Arc::new(AtomicBool::new(false));
        let cpu0 = CpuId::BSP;
        s.spawn(
            ThreadId(1),
            Priority::NORMAL,
            CpuSet::single(cpu0).unwrap(),
            0,
        )
        .unwrap();
        let waker = {
            let (s, events, done) = (s.clone(), events.clone(), done.clone());
            std::thread::spawn(move || {
                for _ in 0..EVENTS {
                    events.fetch_add(1, Ordering::SeqCst);
                    s.wake_all(q, 0).unwrap();
                }
                done.store(true, Ordering::SeqCst);
            })
        };
        let mut idle_after_done = 0;
        loop {
            if s.current(cpu0).is_some() {
                let seen = events.load(Ordering::SeqCst);
                if seen == EVENTS {
                    break;
                }
                s.wait_on_unless(cpu0, q, false, None, 0, || {
                    events.load(Ordering::SeqCst) == seen
                })
                .unwrap();
            } else {
                s.schedule(cpu0, 0).unwrap();
                if done.load(Ordering::SeqCst) {
                    idle_after_done += 1;
                    assert!(idle_after_done < 1_000, "asleep with events unseen");
                }
            }
        }
        waker.join().unwrap();
        s.check_invariants().unwrap();
    }

    proptest! {
        #[test]
        fn every_thread_is_where_its_state_says(ops in proptest::collection::vec(op(), 1..200)) {
            let s = Scheduler::<NoInterrupts>::new(2, RunQueueConfig::default()).unwrap();
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
            let s = Scheduler::<NoInterrupts>::new(1, config).unwrap();
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
