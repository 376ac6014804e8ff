//! Firing `ITIMER_REAL` (and `alarm`): each timer lives in its process's
//! signal state; the kernel calls [`fire_real_timers`] from thread context
//! whenever the earliest deadline passes or a timer changes
//! ([`Kernel::alarms_changed`]). `ITIMER_VIRTUAL` and `ITIMER_PROF` are
//! charged with CPU time as the kernel folds it into the process
//! ([`charge_cpu_timers`]). POSIX timers fire in the same two places.

use alloc::sync::Arc;
use alloc::vec::Vec;
use process::{Process, Thread};

use signal::{SigInfo, Signal};

use crate::kernel::Kernel;
use crate::signals::send::send;

/// Sends SIGALRM to every process whose real timer expired at `now`
/// (re-arming interval timers), and returns the earliest deadline still
/// armed, for the kernel to sleep until.
pub fn fire_real_timers<K: Kernel>(kernel: &K, now: u64) -> Option<u64> {
    let mut next: Option<u64> = None;
    let mut due = Vec::new();
    let realtime_now = crate::signals::posix_timers::realtime_ns(kernel);
    for process in kernel.processes().all_processes() {
        // POSIX timers on the wall and monotonic clocks.
        if let Some(deadline) =
            crate::signals::posix_timers::fire(kernel, &process, now, realtime_now)
        {
            next = Some(next.map_or(deadline, |n| n.min(deadline)));
        }
        let mut data = process.data();
        let timer = data.signals_mut().real_timer_mut();
        if timer.expire(now) {
            due.push(process.clone());
        }
        if let Some(deadline) = timer.deadline() {
            next = Some(next.map_or(deadline, |n| n.min(deadline)));
        }
    }
    // Sent after the scan: `send` locks the process data again.
    for process in due {
        // A process exiting meanwhile just does not get it.
        let _ = send(kernel, &process, SigInfo::kernel(Signal::SIGALRM));
    }
    next
}

/// Thread `thread` of `process` ran `user_ns` in user mode and
/// `system_ns` in the kernel (what the kernel folds into the process's
/// times): its CPU-time interval timers count down, and SIGVTALRM or
/// SIGPROF go out for those that expired. Its POSIX CPU-time timers count
/// down what its CPU clock, which reads `cpu_ns` now (the kernel read it
/// for the fold), advanced since they were last charged: a timer never
/// fires before the clock it counts reads its expiry.
pub fn charge_cpu_timers<K: Kernel>(
    kernel: &K,
    process: &Arc<Process<K::Env>>,
    thread: &Thread<K::Env>,
    cpu_ns: u64,
    user_ns: u64,
    system_ns: u64,
) {
    let cpu_ns = thread.charge_cpu_ns(cpu_ns);
    let posix_notify = crate::signals::posix_timers::TIMER_NOTIFY.lock();
    let (virtual_due, prof_due, posix_due) = {
        let mut data = process.data();
        let signals = data.signals_mut();
        let (virtual_due, prof_due) = signals.charge_cpu_timers(user_ns, system_ns);
        let posix_due = if cpu_ns == 0 {
            Vec::new()
        } else {
            // The time is this thread's: it counts for the process and
            // for the thread's own CPU clock.
            signals
                .posix_timers_mut()
                .charge(thread.tid(), cpu_ns, cpu_ns)
        };
        (virtual_due, prof_due, posix_due)
    };
    crate::signals::posix_timers::notify_expiries(kernel, process, posix_due);
    drop(posix_notify);
    if virtual_due {
        let _ = send(kernel, process, SigInfo::kernel(Signal::SIGVTALRM));
    }
    if prof_due {
        let _ = send(kernel, process, SigInfo::kernel(Signal::SIGPROF));
    }
}

/// Charges `process`'s POSIX CPU-time timers with what each of its threads
/// has run and they were not yet charged with (the kernel charges a
/// thread as it folds its ticks, every few of them), and returns the
/// process's CPU clock as charged: a timer set or read now counts from the
/// clocks as they read now, not from a fold some milliseconds back.
pub(crate) fn catch_up_cpu_timers<K: Kernel>(kernel: &K, process: &Arc<Process<K::Env>>) -> u64 {
    let mut charges: Vec<(i32, u64)> = Vec::new();
    let clock = process.cpu_ns(|thread| {
        let spent = thread.charge_cpu_ns(kernel.thread_cpu_ns(thread));
        if spent > 0 {
            charges.push((thread.tid(), spent));
        }
        thread.cpu_ns_charged()
    });
    if charges.is_empty() {
        return clock;
    }
    let _notify = crate::signals::posix_timers::TIMER_NOTIFY.lock();
    let due = {
        let mut data = process.data();
        let timers = data.signals_mut().posix_timers_mut();
        let mut due = Vec::new();
        for (tid, spent) in charges {
            due.extend(timers.charge(tid, spent, spent));
        }
        due
    };
    crate::signals::posix_timers::notify_expiries(kernel, process, due);
    clock
}
