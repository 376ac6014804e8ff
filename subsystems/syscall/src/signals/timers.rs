//! Firing `ITIMER_REAL` (and `alarm`): each timer lives in its process's
//! signal state; the kernel calls [`fire_real_timers`] from thread context
//! whenever the earliest deadline passes or a timer changes
//! ([`Kernel::alarms_changed`]). `ITIMER_VIRTUAL` and `ITIMER_PROF` are
//! charged with CPU time as the kernel folds it into the process
//! ([`charge_cpu_timers`]). POSIX timers fire in the same two places.

use alloc::vec::Vec;

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

/// The process ran `user_ns` in user mode and `system_ns` in the kernel:
/// its CPU-time interval timers count down, and SIGVTALRM or SIGPROF go
/// out for those that expired.
pub fn charge_cpu_timers<K: Kernel>(
    kernel: &K,
    process: &alloc::sync::Arc<process::Process<K::Env>>,
    tid: i32,
    user_ns: u64,
    system_ns: u64,
) {
    let posix_notify = crate::signals::posix_timers::TIMER_NOTIFY.lock();
    let (virtual_due, prof_due, posix_due) = {
        let mut data = process.data();
        let signals = data.signals_mut();
        let (virtual_due, prof_due) = signals.charge_cpu_timers(user_ns, system_ns);
        let spent = user_ns.saturating_add(system_ns);
        let posix_due = if signals.posix_timers().is_empty() {
            Vec::new()
        } else {
            // The folded time is the calling thread's: it counts for the
            // process and for that thread's own CPU clock.
            signals.posix_timers_mut().charge(tid, spent, spent)
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
