//! Kernel threads, scheduling and blocking: the hardware shell around the
//! `sched` crate's policy.
//!
//! One [`sched::Scheduler`] serves every CPU (each CPU's share of it
//! behind a lock of its own, inside the `sched` crate); this module
//! owns the threads it schedules ([`Thread`]: name, guarded kernel stack,
//! saved context with FPU state), the idle thread, the freeing of exited
//! threads (by the next thread to spawn or exit, outside their own
//! context), and the primitives built
//! on it: [`WaitQueue`] (with an event count, so a wake between "check" and
//! "sleep" is never lost), [`sleep_until`], [`yield_now`], join.
//!
//! # Locking rules
//! - The scheduler's locks keep interrupts off while held; code calls it
//!   with interrupts already off ([`InterruptsOff`]) and keeps them off
//!   from the call that returns a `Decision` until the context switch
//!   completes.
//! - Lock order: an object's own lock (a pipe, a process), then the
//!   scheduler's, then the frame allocator and heap. The heap never calls
//!   the scheduler.
//! - Interrupt handlers may wake threads but never block; only the tick
//!   preempts, at the end of its handler.
//! - The switch happens after the scheduler lock is released. A thread's
//!   `on_cpu` flag stays up until the CPU leaving it has stored its
//!   registers; a CPU that picked a thread still going down elsewhere
//!   waits for the flag on its idle thread's stack (see `carry_out`), and
//!   whoever frees a dead thread waits for it before freeing the stack.
//! - Every CPU has its own run queue, idle thread and current thread
//!   (`arch::percpu`); an idle CPU pulls waiting threads from the busiest
//!   one (a busy one, every 20 ms, from a queue two threads longer than its
//!   own), and a wake-up that queues a thread on another CPU sends that CPU
//!   a reschedule IPI.

mod core;
mod mutex;
mod thread;
mod wait_queue;

pub use self::core::{
    RESCHEDULE_VECTOR, affinity, charge_tick, clear_interrupt, context_switches, cpu_count,
    cpu_online, cpu_ticks, cpu_time_ns, current, current_unchecked, dead_threads,
    free_dead_threads, init, interrupt, load_average, on_reschedule_ipi, on_tick, preempt,
    prepare_idle, priority, set_affinity, set_priority, settle_off_cpu, sleep_until, start,
    start_hung_task_detector, state, thread, yield_now,
};
pub use mutex::{Mutex, MutexGuard};
pub use thread::{JoinHandle, UserEntry, exit, spawn, spawn_user};
pub use wait_queue::WaitQueue;
