//! Scheduling policy for Courage: which thread runs, when, and for how long.
//!
//! This crate owns the *decisions*; the kernel owns the *mechanism*. It keeps
//! thread states, per-CPU run queues, wait queues, the timer queue for sleeps,
//! timeouts and alarms, and the arithmetic of time (TSC, PIT, CMOS RTC,
//! `timespec`). It never switches stacks, programs a timer or reads a port:
//! the kernel (`image`, `arch`) does that and asks [`Scheduler`] what to do.
//!
//! The one trait to implement is [`InterruptControl`] (disable and restore
//! interrupts on this CPU), which the scheduler's locks use. A reuser:
//! 1. creates one [`Scheduler`] for its CPUs, shared by all of them (every
//!    method takes `&self`: each CPU's share has its own lock inside);
//! 2. names its threads by [`ThreadId`] (its tids) and keeps its own map from
//!    id to thread structure (stack, FPU area, registers);
//! 3. calls [`Scheduler::on_timer_tick`] from the timer interrupt and
//!    [`Scheduler::schedule`] whenever [`Scheduler::need_resched`] says so
//!    (on the way out of an interrupt or syscall), then performs the
//!    [`Decision`] (switch to a thread, to the idle thread, or continue);
//!    the calls that take the current thread off its CPU (block, stop,
//!    exit, yield) return their `Decision` directly; after a call it sends
//!    a reschedule IPI to the other CPUs [`Scheduler::take_resched_cpus`]
//!    names;
//! 4. builds its blocking primitives on [`Scheduler::wait_on_unless`]
//!    (which checks the caller's condition once the thread is where a
//!    waker finds it), [`Scheduler::wake_one`]/[`Scheduler::wake_all`],
//!    [`Scheduler::interrupt`] (signals; [`InterruptRequest`] keeps a
//!    thread's interruption of itself out of the scheduler) and the wake
//!    reason (the syscall's `Ok`/`ETIMEDOUT`/`EINTR`), taken with the
//!    decision that resumes the thread
//!    ([`Scheduler::take_resumed_wake_reason`], handed over in a
//!    [`WakeReasonSlot`]) or later with [`Scheduler::take_wake_reason`],
//!    and frees the threads [`Scheduler::take_finalizable`] hands back
//!    (Courage: the next thread to spawn or exit does).
//!
//! Design:
//! 1. Priorities are Linux nice values with Linux's weights; the run queue is
//!    a weighted fair queue (CFS, simplified to a fixed slice). A higher
//!    priority gets a larger share and wins ties; no runnable thread starves.
//! 2. The idle thread is never queued: an empty queue means "idle".
//! 3. Run queues are per CPU, each with its own lock, so SMP only adds
//!    placement, balancing and moves; on one CPU the whole machine is
//!    `CpuId::BSP`.
//! 4. Time is `u64` nanoseconds of the monotonic clock, passed in as `now`;
//!    nothing here reads a clock, so host tests drive a fake one.
//!
//! Invariants (checked by a property test after every random operation,
//! and after four host threads played four CPUs at once): a `Runnable` or
//! `Running` thread is in exactly one run queue, its home's, and is that
//! queue's current thread iff it is `Running`; a thread's record is in
//! exactly one CPU's share, the one the home map names; a thread blocked on
//! a queue is in exactly that wait queue, with its wait's token; a thread
//! has an armed timeout only while blocked, in its home's timers; `Dead` is
//! final and the scheduler then forgets the id. Nothing a user program controls can panic: bad ids,
//! CPUs, masks and times are `EINVAL`/`ESRCH`/`EEXIST`.
//!
//! Locking (see the `scheduler` module for the whole protocol):
//! - **Each CPU's share** (its run queue, the records of the threads homed
//!   on it, their deadlines) is behind that CPU's [`IrqSpinLock`]; wait
//!   queues and the map from thread to home CPU are spread over locks of
//!   their own. A CPU scheduling, blocking or taking its tick locks its own
//!   share; a wake-up locks the sleeper's; a thread moving between CPUs is
//!   taken out of one and put into the other with interrupts off, never
//!   two shares' locks at once. From the call that returns a [`Decision`]
//!   until the context switch completes, the kernel keeps interrupts off
//!   on that CPU, and a CPU must not resume a thread whose registers
//!   another CPU is still saving (Courage keeps an `on_cpu` flag per
//!   thread). A dying thread's stack is freed only after that switch,
//!   outside its context.
//! - **Interrupt context** may call only the waking side: `on_timer_tick`,
//!   `wake`, `wake_one`, `wake_all`, `interrupt`, `resume`, `set_alarm`,
//!   `cancel_alarm`, then `schedule` on return if `need_resched`. It never
//!   blocks, so it never calls `block_current`, `SleepMutex::lock`, etc.
//! - **Order**: a kernel object's own spinlock may be held across a call
//!   (the scheduler's locks come after it); the heap allocator's lock comes
//!   after the scheduler's (run queues and timers allocate), so the
//!   allocator must not call into the scheduler. To block without losing a
//!   wake-up, count events (or keep a condition) the waker changes before
//!   it wakes, and block with [`Scheduler::wait_on_unless`] checking it.
//! - **Sleeping** ([`SleepMutex`], any `block_current`) is allowed only in
//!   thread context, never with interrupts disabled by anything but the
//!   scheduler's own locks, and with no other spinlock held across the
//!   switch.

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

mod clock;
mod cpu;
mod irq_lock;
mod load;
mod mutex;
mod priority;
mod ready_set;
mod run_queue;
mod scheduler;
mod state;
mod thread_id;
mod timer_queue;
mod wait_queue;

pub use clock::{
    DateTime, NANOS_PER_SEC, PIT_HZ, RtcRegisters, TSC_MULT_SHIFT, TickRate, Timespec, TscClock,
    WallClock, bcd_to_binary, calibrate, date_to_unix_seconds, invariant_tsc, pit_count_for_ns,
    pit_count_to_ns, pit_divisor_for_hz, tsc_hz_from_cpuid_15h, unix_seconds_to_date,
};
pub use cpu::{CpuId, CpuSet, MAX_CPUS};
pub use irq_lock::{InterruptControl, IrqSpinLock, IrqSpinLockGuard, NoInterrupts};
pub use load::{LOAD_SAMPLE_SECONDS, LoadAverage};
pub use mutex::{LockOutcome, SleepMutex};
pub use priority::Priority;
pub use run_queue::{Departure, Lag, RunQueue, RunQueueConfig};
pub use scheduler::{BALANCE_INTERVAL_NS, Decision, Scheduler, ThreadStats};
pub use state::{BlockReason, InterruptRequest, ThreadState, WakeReason, WakeReasonSlot};
pub use thread_id::ThreadId;
pub use timer_queue::{TimerId, TimerQueue};
pub use wait_queue::{WaitQueue, WaitQueueId, Waiter};
