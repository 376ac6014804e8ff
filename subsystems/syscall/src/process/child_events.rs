//! Where processes sleep for their children's changes (an end, a stop, a
//! continue, a vfork child's `execve`) and how a change wakes them.
//!
//! The kernel keeps a fixed set of queues ([`Kernel::child_events`]); a
//! process sleeps on the one its pid picks, and a change wakes the queues
//! of the processes that can care (the parent, the tracer, an adopter), so
//! an exit does not wake every waiting process of the machine. A wake of
//! a queue that two pids share is a spurious wake-up, which every waiter
//! re-checks for.

use process::Pid;

use crate::kernel::{EventQueue, Kernel};

/// The queue process `waiter` sleeps on for its children.
pub fn queue_of<K: Kernel>(kernel: &K, waiter: Pid) -> &K::Events {
    let queues = kernel.child_events();
    &queues[waiter.unsigned_abs() as usize % queues.len()]
}

/// Wakes whatever of process `waiter` sleeps for its children.
pub fn wake<K: Kernel>(kernel: &K, waiter: Pid) {
    queue_of(kernel, waiter).wake_all();
}

/// Wakes every process sleeping for its children: for rare changes whose
/// interested processes are not all known (stops and continues, which a
/// parent and a tracer may both wait for).
pub fn wake_every<K: Kernel>(kernel: &K) {
    for queue in kernel.child_events() {
        queue.wake_all();
    }
}
