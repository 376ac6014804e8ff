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

/// [`wake`] by an exiting child, whose CPU the woken parent may take.
pub fn wake_from_exit<K: Kernel>(kernel: &K, waiter: Pid) {
    queue_of(kernel, waiter).wake_all_sync();
}

/// Wakes every process sleeping for its children: for rare changes whose
/// interested processes are not all known (stops and continues, which a
/// parent and a tracer may both wait for).
pub fn wake_every<K: Kernel>(kernel: &K) {
    for queue in kernel.child_events() {
        queue.wake_all();
    }
}

/// How many locks serialize children's changes against their waiters'
/// polls (one per waiter pid, hashed, as the queues are).
const NOTIFY_LOCKS: usize = 64;

/// Taken shared with one of [`NOTIFY`] by an end and by a wait, and
/// exclusively by the rarer changes: stops, continues and trace stops
/// (whose waiters are the parent and perhaps a tracer), and ends that
/// hand children to an adopter (which changes those children's parents).
static EVERY_NOTIFY: lock::RwLock<()> = lock::RwLock::new(());
static NOTIFY: [lock::Mutex<()>; NOTIFY_LOCKS] = [const { lock::Mutex::new(()) }; NOTIFY_LOCKS];

fn notify_index(waiter: Pid) -> usize {
    waiter.unsigned_abs() as usize % NOTIFY_LOCKS
}

/// Held from a child's change of state (stop, continue, end) until its
/// `SIGCHLD` is queued, and by a wait while it looks for changes: a wait
/// that reports a change (perhaps on another CPU than the child's) then
/// returns with the signal already pending, as on Linux, where both happen
/// under the tasklist lock. Only the locks of the waiters concerned are
/// taken, so unrelated families do not meet. Never held across a sleep.
pub struct ChildNotifyGuard {
    _every: ChildNotifyScope,
    _waiters: [Option<lock::MutexGuard<'static, ()>>; 2],
}

enum ChildNotifyScope {
    Waiters {
        _shared: lock::RwLockReadGuard<'static, ()>,
    },
    Every {
        _exclusive: lock::RwLockWriteGuard<'static, ()>,
    },
}

/// The guard for a change that `waiters` (pids; 0 for none) may report:
/// an end is reported to the parent and a tracer, a wait polls for its
/// own pid alone.
pub fn lock_for_waiters(waiters: [Pid; 2]) -> ChildNotifyGuard {
    let every = ChildNotifyScope::Waiters {
        _shared: EVERY_NOTIFY.read(),
    };
    // In index order, each lock once: two changes never wait for each
    // other's second lock.
    let mut indexes = waiters.map(|pid| (pid > 0).then(|| notify_index(pid)));
    if indexes[0] > indexes[1] {
        indexes.swap(0, 1);
    }
    if indexes[0] == indexes[1] {
        indexes[1] = None;
    }
    ChildNotifyGuard {
        _every: every,
        _waiters: indexes.map(|index| index.map(|i| NOTIFY[i].lock())),
    }
}

/// The guard for a change any waiter may report (the rarer ones, see
/// `EVERY_NOTIFY`).
pub fn lock_for_every_waiter() -> ChildNotifyGuard {
    ChildNotifyGuard {
        _every: ChildNotifyScope::Every {
            _exclusive: EVERY_NOTIFY.write(),
        },
        _waiters: [None, None],
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, mpsc};
    use std::time::Duration;

    /// Runs `lock` on another thread; whether it got its guard within
    /// `patience`.
    fn acquires_within(lock: fn() -> ChildNotifyGuard, patience: Duration) -> bool {
        let (sender, receiver) = mpsc::channel();
        let acquired = Arc::new(AtomicBool::new(false));
        let flag = acquired.clone();
        std::thread::spawn(move || {
            let guard = lock();
            flag.store(true, Ordering::SeqCst);
            let _ = sender.send(());
            drop(guard);
        });
        receiver.recv_timeout(patience).is_ok() && acquired.load(Ordering::SeqCst)
    }

    #[test]
    fn unrelated_families_do_not_wait_for_each_other_but_a_stop_waits_for_both() {
        // Pids no other test of this crate uses.
        let held = lock_for_waiters([7001, 0]);
        assert!(acquires_within(
            || lock_for_waiters([7002, 0]),
            Duration::from_secs(20)
        ));
        assert!(!acquires_within(
            || lock_for_waiters([7001, 0]),
            Duration::from_millis(100)
        ));
        assert!(!acquires_within(
            lock_for_every_waiter,
            Duration::from_millis(100)
        ));
        drop(held);
        assert!(acquires_within(
            lock_for_every_waiter,
            Duration::from_secs(20)
        ));
    }

    #[test]
    fn an_end_reported_to_two_waiters_sharing_a_lock_takes_it_once() {
        let guard = lock_for_waiters([7101, 7101 + NOTIFY_LOCKS as Pid]);
        drop(guard);
        let guard = lock_for_waiters([7201, 7201]);
        drop(guard);
    }
}
