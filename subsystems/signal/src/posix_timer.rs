//! POSIX per-process timers (`timer_create` and kin) as data.
//!
//! A process owns its timers, so they go when it does (and a forked child
//! starts with none). The kernel supplies the time: wall and monotonic
//! timers hold an absolute deadline on their clock and are expired with
//! [`PosixTimers::expire`]; CPU-time timers hold the CPU time left and are
//! charged with [`PosixTimers::charge`] as the process runs. Expiries come
//! back as [`Expiry`] values for the caller to turn into signals: a timer
//! whose signal is still queued when it fires again does not queue a
//! second one but counts an overrun in the queued one
//! ([`crate::PendingSignals::add_timer_overrun`]), and the count of the
//! last delivered signal is what `timer_getoverrun` reports
//! ([`PosixTimers::delivered`]).

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use abi::{Errno, KernelResult};

use crate::signal::Signal;

/// Most timers one process may hold (Linux bounds them by
/// `RLIMIT_SIGPENDING`); past it `timer_create` says `EAGAIN`.
pub const MAX_TIMERS_PER_PROCESS: usize = 4096;

/// Linux's `DELAYTIMER_MAX`: overrun counts stop here.
pub const DELAYTIMER_MAX: i32 = i32::MAX;

/// The clock a timer measures.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TimerClock {
    /// `CLOCK_REALTIME`: the wall clock (moves when it is set).
    Realtime,
    /// `CLOCK_MONOTONIC` (and `CLOCK_BOOTTIME`: nothing here suspends).
    Monotonic,
    /// `CLOCK_PROCESS_CPUTIME_ID`: CPU time of the whole process.
    ProcessCpu,
    /// `CLOCK_THREAD_CPUTIME_ID`: CPU time of the creating thread.
    ThreadCpu(i32),
}

impl TimerClock {
    /// Whether the timer counts CPU time (charged, not expired by time).
    pub const fn is_cpu(self) -> bool {
        matches!(self, TimerClock::ProcessCpu | TimerClock::ThreadCpu(_))
    }
}

/// What an expiry does (`sigevent`'s `sigev_notify`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TimerNotify {
    /// `SIGEV_NONE`: nothing; the program polls with `timer_gettime`.
    None,
    /// `SIGEV_SIGNAL` (thread `None`) or `SIGEV_THREAD_ID` (that thread).
    Signal {
        /// The signal sent.
        signal: Signal,
        /// `sigev_value`, passed back in `si_value`.
        value: u64,
        /// The target thread for `SIGEV_THREAD_ID`.
        thread: Option<i32>,
    },
}

/// One timer.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct PosixTimer {
    clock: TimerClock,
    notify: TimerNotify,
    /// Wall and monotonic clocks: the absolute deadline. CPU clocks: the
    /// CPU time left. `None` when disarmed.
    armed: Option<u64>,
    /// Period after an expiry; 0 for one-shot.
    interval: u64,
    /// The overrun count of the last signal delivered.
    overrun_last: i32,
}

/// A timer that expired, for the caller to signal.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Expiry {
    /// The timer id.
    pub id: i32,
    /// What to do.
    pub notify: TimerNotify,
    /// Expiries beyond the first since the last check (a late check of a
    /// periodic timer).
    pub overruns: u32,
}

/// A timer's setting as `timer_gettime` reports it: time left and period,
/// in nanoseconds.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct TimerSetting {
    /// Time to the next expiry (0 when disarmed).
    pub remaining: u64,
    /// The period (0 for one-shot).
    pub interval: u64,
}

/// A process's timers, by id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PosixTimers {
    timers: BTreeMap<i32, PosixTimer>,
}

impl PosixTimers {
    /// No timers.
    pub const fn new() -> PosixTimers {
        PosixTimers {
            timers: BTreeMap::new(),
        }
    }

    /// `timer_create`: a disarmed timer; its id is the lowest free one,
    /// as Linux hands them out for a new process.
    pub fn create(&mut self, clock: TimerClock, notify: TimerNotify) -> KernelResult<i32> {
        if self.timers.len() >= MAX_TIMERS_PER_PROCESS {
            return Err(Errno::EAGAIN);
        }
        let id = (0..)
            .find(|id| !self.timers.contains_key(id))
            .ok_or(Errno::EAGAIN)?;
        self.timers.insert(
            id,
            PosixTimer {
                clock,
                notify,
                armed: None,
                interval: 0,
                overrun_last: 0,
            },
        );
        Ok(id)
    }

    /// Replaces what timer `id` does when it expires.
    pub fn set_notify(&mut self, id: i32, notify: TimerNotify) -> KernelResult<()> {
        self.timers.get_mut(&id).ok_or(Errno::EINVAL)?.notify = notify;
        Ok(())
    }

    /// `timer_delete`: `EINVAL` for an unknown id.
    pub fn delete(&mut self, id: i32) -> KernelResult<()> {
        self.timers.remove(&id).map(|_| ()).ok_or(Errno::EINVAL)
    }

    /// The clock of timer `id` (`EINVAL` for an unknown id).
    pub fn clock(&self, id: i32) -> KernelResult<TimerClock> {
        Ok(self.timers.get(&id).ok_or(Errno::EINVAL)?.clock)
    }

    /// `timer_gettime`; `now` is the timer's clock (ignored for CPU timers).
    pub fn get(&self, id: i32, now: u64) -> KernelResult<TimerSetting> {
        let timer = self.timers.get(&id).ok_or(Errno::EINVAL)?;
        let remaining = match timer.armed {
            None => 0,
            Some(left) if timer.clock.is_cpu() => left,
            Some(deadline) if deadline > now => deadline - now,
            // A periodic timer past its deadline but not yet expired (the
            // alarm thread is late, or nothing is notified): the time to
            // its next period, as Linux computes it.
            Some(deadline) if timer.interval > 0 => {
                timer.interval - (now - deadline) % timer.interval
            }
            // Due but not yet expired: 1 ns left, never 0 (0 means disarmed).
            Some(_) => 1,
        };
        Ok(TimerSetting {
            remaining,
            interval: timer.interval,
        })
    }

    /// `timer_settime`: arms timer `id` to expire at `value` (absolute on
    /// its clock when `absolute`, else from `now`) and then every
    /// `interval`; `value` 0 disarms. Returns the old setting.
    pub fn set(
        &mut self,
        id: i32,
        now: u64,
        value: u64,
        interval: u64,
        absolute: bool,
    ) -> KernelResult<TimerSetting> {
        let old = self.get(id, now)?;
        let timer = self.timers.get_mut(&id).ok_or(Errno::EINVAL)?;
        timer.interval = interval;
        timer.armed = if value == 0 {
            None
        } else if timer.clock.is_cpu() {
            // A CPU deadline already passed expires at the next charge.
            Some(if absolute {
                value.saturating_sub(now).max(1)
            } else {
                value
            })
        } else if absolute {
            Some(value)
        } else {
            Some(now.saturating_add(value))
        };
        Ok(old)
    }

    /// `timer_getoverrun`: the overrun count of the last signal delivered.
    pub fn overrun(&self, id: i32) -> KernelResult<i32> {
        Ok(self.timers.get(&id).ok_or(Errno::EINVAL)?.overrun_last)
    }

    /// A signal of timer `id` carrying `overrun` was delivered (or taken
    /// by `sigwaitinfo`, `signalfd`).
    pub fn delivered(&mut self, id: i32, overrun: i32) {
        if let Some(timer) = self.timers.get_mut(&id) {
            timer.overrun_last = overrun;
        }
    }

    /// Expires the wall and monotonic timers that are due; `now` gives
    /// each clock's time. Periodic ones are re-armed past `now`.
    pub fn expire(&mut self, now: impl Fn(TimerClock) -> u64) -> Vec<Expiry> {
        let mut expired = Vec::new();
        for (&id, timer) in &mut self.timers {
            if timer.clock.is_cpu() {
                continue;
            }
            let now = now(timer.clock);
            let Some(deadline) = timer.armed.filter(|&deadline| deadline <= now) else {
                continue;
            };
            let mut overruns = 0;
            timer.armed = match (now - deadline).checked_div(timer.interval) {
                // One-shot: done.
                None => None,
                Some(late) => {
                    overruns = u32::try_from(late).unwrap_or(u32::MAX);
                    Some(deadline.saturating_add((late + 1).saturating_mul(timer.interval)))
                }
            };
            expired.push(Expiry {
                id,
                notify: timer.notify,
                overruns,
            });
        }
        expired
    }

    /// Charges CPU time: `process_ns` to every process-CPU timer,
    /// `thread_ns` to the thread-CPU timers of thread `tid`. The timers
    /// that ran out.
    pub fn charge(&mut self, tid: i32, process_ns: u64, thread_ns: u64) -> Vec<Expiry> {
        let mut expired = Vec::new();
        for (&id, timer) in &mut self.timers {
            let spent = match timer.clock {
                TimerClock::ProcessCpu => process_ns,
                TimerClock::ThreadCpu(owner) if owner == tid => thread_ns,
                _ => continue,
            };
            let Some(left) = timer.armed else {
                continue;
            };
            if spent < left {
                timer.armed = Some(left - spent);
                continue;
            }
            let past = spent - left;
            let mut overruns = 0;
            timer.armed = match past.checked_div(timer.interval) {
                None => None,
                Some(periods) => {
                    overruns = u32::try_from(periods).unwrap_or(u32::MAX);
                    Some(timer.interval - past % timer.interval)
                }
            };
            expired.push(Expiry {
                id,
                notify: timer.notify,
                overruns,
            });
        }
        expired
    }

    /// The earliest deadline among the wall and monotonic timers, turned
    /// into monotonic time by `to_monotonic(clock, deadline)`.
    pub fn next_deadline(&self, to_monotonic: impl Fn(TimerClock, u64) -> u64) -> Option<u64> {
        self.timers
            .values()
            .filter(|timer| !timer.clock.is_cpu())
            .filter_map(|timer| {
                timer
                    .armed
                    .map(|deadline| to_monotonic(timer.clock, deadline))
            })
            .min()
    }

    /// How many timers exist.
    pub fn len(&self) -> usize {
        self.timers.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.timers.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    fn signal_notify() -> TimerNotify {
        TimerNotify::Signal {
            signal: Signal::SIGALRM,
            value: 7,
            thread: None,
        }
    }

    #[test]
    fn ids_are_lowest_free_and_reused_after_delete() {
        let mut timers = PosixTimers::new();
        assert_eq!(
            timers.create(TimerClock::Monotonic, TimerNotify::None),
            Ok(0)
        );
        assert_eq!(
            timers.create(TimerClock::Monotonic, TimerNotify::None),
            Ok(1)
        );
        assert_eq!(timers.delete(0), Ok(()));
        assert_eq!(timers.delete(0), Err(Errno::EINVAL));
        assert_eq!(
            timers.create(TimerClock::Realtime, TimerNotify::None),
            Ok(0)
        );
        assert_eq!(timers.get(9, 0), Err(Errno::EINVAL));
    }

    #[test]
    fn one_shot_expires_once_and_reads_zero_after() {
        let mut timers = PosixTimers::new();
        let id = timers
            .create(TimerClock::Monotonic, signal_notify())
            .unwrap();
        timers.set(id, 100 * MS, 10 * MS, 0, false).unwrap();
        assert_eq!(timers.get(id, 104 * MS).unwrap().remaining, 6 * MS);
        assert!(timers.expire(|_| 109 * MS).is_empty());
        assert_eq!(timers.next_deadline(|_, d| d), Some(110 * MS));
        let expired = timers.expire(|_| 110 * MS);
        assert_eq!(expired.len(), 1);
        assert_eq!(expired[0].overruns, 0);
        assert_eq!(timers.get(id, 111 * MS).unwrap(), TimerSetting::default());
        assert!(timers.expire(|_| 500 * MS).is_empty());
    }

    #[test]
    fn late_periodic_expiry_counts_overruns_and_stays_in_phase() {
        let mut timers = PosixTimers::new();
        let id = timers
            .create(TimerClock::Monotonic, signal_notify())
            .unwrap();
        timers.set(id, 0, MS, MS, false).unwrap();
        let expired = timers.expire(|_| 5 * MS + 500_000);
        assert_eq!(expired[0].overruns, 4);
        assert_eq!(timers.get(id, 5 * MS + 500_000).unwrap().remaining, 500_000);
    }

    #[test]
    fn absolute_settings_and_old_values() {
        let mut timers = PosixTimers::new();
        let id = timers
            .create(TimerClock::Realtime, TimerNotify::None)
            .unwrap();
        assert_eq!(
            timers.set(id, 1000, 5000, 0, true).unwrap(),
            TimerSetting::default()
        );
        let old = timers.set(id, 2000, 0, 0, false).unwrap();
        assert_eq!(old.remaining, 3000);
        assert_eq!(timers.next_deadline(|_, d| d), None);
    }

    #[test]
    fn cpu_timers_count_only_their_clock() {
        let mut timers = PosixTimers::new();
        let process = timers
            .create(TimerClock::ProcessCpu, signal_notify())
            .unwrap();
        let thread = timers
            .create(TimerClock::ThreadCpu(5), signal_notify())
            .unwrap();
        timers.set(process, 0, 10 * MS, 0, false).unwrap();
        timers.set(thread, 0, 10 * MS, 0, false).unwrap();
        // Another thread's time counts for the process, not for thread 5.
        let expired = timers.charge(6, 10 * MS, 10 * MS);
        assert_eq!(expired.iter().map(|e| e.id).collect::<Vec<_>>(), [process]);
        assert_eq!(timers.get(thread, 0).unwrap().remaining, 10 * MS);
        assert_eq!(timers.charge(5, 0, 10 * MS)[0].id, thread);
        // CPU timers are not expired by the passing of time.
        assert_eq!(timers.next_deadline(|_, d| d), None);
    }

    #[test]
    fn overrun_is_that_of_the_last_delivery() {
        let mut timers = PosixTimers::new();
        let id = timers
            .create(TimerClock::Monotonic, signal_notify())
            .unwrap();
        assert_eq!(timers.overrun(id), Ok(0));
        timers.delivered(id, 12);
        assert_eq!(timers.overrun(id), Ok(12));
        assert_eq!(timers.overrun(id + 1), Err(Errno::EINVAL));
    }
}
