//! Firing `ITIMER_REAL` (and `alarm`): each timer lives in its process's
//! signal state; the kernel calls [`fire_real_timers`] from thread context
//! whenever the earliest deadline passes or a timer changes
//! ([`Kernel::alarms_changed`]).

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
    for process in kernel.processes().all_processes() {
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
