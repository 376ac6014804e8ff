//! Kernel threads, scheduling and blocking: the hardware shell around the
//! `sched` crate's policy.
//!
//! One [`sched::Scheduler`] lives behind an interrupt-safe lock; this module
//! owns the threads it schedules ([`Thread`]: name, guarded kernel stack,
//! saved context with FPU state), the idle thread, the finalizer thread that
//! frees exited threads outside their own context, and the primitives built
//! on it: [`WaitQueue`] (with an event count, so a wake between "check" and
//! "sleep" is never lost), [`sleep_until`], [`yield_now`], join.
//!
//! # Locking rules
//! - The scheduler lock is an `IrqMutex`; code takes it with interrupts
//!   already off ([`InterruptsOff`]) and keeps them off from the call that
//!   returns a `Decision` until the context switch completes.
//! - Lock order: an object's own lock (a pipe, a process), then the
//!   scheduler, then the frame allocator and heap. The heap never calls the
//!   scheduler.
//! - Interrupt handlers may wake threads but never block; only the tick
//!   preempts, at the end of its handler.
//! - One CPU for now: the switch happens after the scheduler lock is
//!   released (interrupts off make that safe here); SMP will hold it across.

mod core;
mod mutex;
mod thread;
mod wait_queue;

pub use self::core::{
    charge_tick, clear_interrupt, context_switches, cpu_ticks, current, init, interrupt,
    load_average, on_tick, preempt, priority, set_priority, sleep_until, start, thread, yield_now,
};
pub use mutex::Mutex;
pub use thread::{UserEntry, exit, spawn, spawn_user};
pub use wait_queue::WaitQueue;
