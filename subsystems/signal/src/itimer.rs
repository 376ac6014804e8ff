//! `ITIMER_REAL` bookkeeping (`alarm`, `setitimer`, `getitimer`) as data.
//! The scheduler owns the clock and the timer interrupt: it passes `now`
//! (nanoseconds on a monotonic clock), arms a wake-up at
//! [`RealTimer::deadline`] and calls [`RealTimer::expire`], then sends
//! SIGALRM (`SigInfo::kernel`) to the process when it fires.

use abi::{Errno, KernelResult};
pub use abi::{Itimerval, Timeval};

const NANOS_PER_USEC: u64 = 1_000;

/// Which interval timer `setitimer`/`getitimer` address.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ItimerWhich {
    /// `ITIMER_REAL` (0): wall-clock time, SIGALRM.
    Real,
    /// `ITIMER_VIRTUAL` (1): user CPU time, SIGVTALRM.
    Virtual,
    /// `ITIMER_PROF` (2): user+system CPU time, SIGPROF.
    Prof,
}

impl ItimerWhich {
    /// The timer for a raw `which`; `EINVAL` otherwise.
    pub const fn from_raw(which: i32) -> KernelResult<ItimerWhich> {
        match which {
            0 => Ok(ItimerWhich::Real),
            1 => Ok(ItimerWhich::Virtual),
            2 => Ok(ItimerWhich::Prof),
            _ => Err(Errno::EINVAL),
        }
    }
}

/// A process's `ITIMER_REAL`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct RealTimer {
    /// When it next fires, if armed.
    deadline: Option<u64>,
    /// Period after firing, 0 for one-shot.
    interval: u64,
}

impl RealTimer {
    /// A disarmed timer.
    pub const fn new() -> RealTimer {
        RealTimer {
            deadline: None,
            interval: 0,
        }
    }

    /// When the scheduler must call [`Self::expire`], if armed.
    pub fn deadline(&self) -> Option<u64> {
        self.deadline
    }

    /// `getitimer(ITIMER_REAL)`. An armed timer whose deadline has passed
    /// but has not fired yet reports 1 µs left, as Linux does.
    pub fn get(&self, now: u64) -> Itimerval {
        let remaining = match self.deadline {
            None => 0,
            Some(deadline) if deadline <= now => NANOS_PER_USEC,
            Some(deadline) => deadline - now,
        };
        Itimerval {
            it_interval: Timeval::from_nanos(self.interval),
            it_value: Timeval::from_nanos(remaining),
        }
    }

    /// `setitimer(ITIMER_REAL, new)`: returns the old setting. A negative
    /// or out-of-range field is `EINVAL`; a zero `it_value` disarms.
    pub fn set(&mut self, now: u64, new: &Itimerval) -> KernelResult<Itimerval> {
        let value = new.it_value.to_nanos()?;
        let interval = new.it_interval.to_nanos()?;
        let old = self.get(now);
        if value == 0 {
            *self = RealTimer::new();
        } else {
            self.deadline = Some(now.saturating_add(value));
            self.interval = interval;
        }
        Ok(old)
    }

    /// `alarm(seconds)`: a one-shot timer (0 cancels). Returns the seconds
    /// left on the previous one, rounded to nearest, and at least 1 if any
    /// time was left (so a caller can tell an alarm was pending).
    pub fn alarm(&mut self, now: u64, seconds: u32) -> u32 {
        let old = self.get(now).it_value;
        let value = Timeval {
            tv_sec: seconds as i64,
            tv_usec: 0,
        };
        // Cannot fail: the value is in range.
        let _ = self.set(
            now,
            &Itimerval {
                it_interval: Timeval::default(),
                it_value: value,
            },
        );
        let mut secs = old.tv_sec as u32;
        if (secs == 0 && old.tv_usec != 0) || old.tv_usec >= 500_000 {
            secs += 1;
        }
        secs
    }

    /// The scheduler's timer went off at `now`: returns true if SIGALRM is
    /// due, and re-arms a periodic timer (skipping missed periods).
    pub fn expire(&mut self, now: u64) -> bool {
        let Some(deadline) = self.deadline else {
            return false;
        };
        if now < deadline {
            return false;
        }
        // A one-shot timer has no interval to divide by: it disarms.
        self.deadline = (now - deadline)
            .checked_div(self.interval)
            .map(|missed| deadline.saturating_add((missed + 1).saturating_mul(self.interval)));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: u64 = abi::NANOS_PER_SEC;

    fn tv(sec: i64, usec: i64) -> Timeval {
        Timeval {
            tv_sec: sec,
            tv_usec: usec,
        }
    }

    #[test]
    fn alarm_returns_remaining_seconds_rounded() {
        let mut timer = RealTimer::new();
        assert_eq!(timer.alarm(0, 10), 0);
        assert_eq!(timer.alarm(3 * SEC + SEC / 2, 5), 7); // 6.5 s left rounds up
        assert_eq!(timer.deadline(), Some(8 * SEC + SEC / 2));
        assert_eq!(timer.alarm(8 * SEC + SEC / 2 - 1000, 0), 1); // 1 µs left still reports 1
        assert_eq!(timer.deadline(), None);
    }

    #[test]
    fn setitimer_rejects_bad_timevals() {
        let mut timer = RealTimer::new();
        let bad = Itimerval {
            it_interval: tv(0, 0),
            it_value: tv(0, 1_000_000),
        };
        assert_eq!(timer.set(0, &bad), Err(Errno::EINVAL));
        let negative = Itimerval {
            it_interval: tv(-1, 0),
            it_value: tv(1, 0),
        };
        assert_eq!(timer.set(0, &negative), Err(Errno::EINVAL));
        assert_eq!(ItimerWhich::from_raw(3), Err(Errno::EINVAL));
    }

    #[test]
    fn periodic_timer_rearms_and_getitimer_reports_remaining() {
        let mut timer = RealTimer::new();
        let periodic = Itimerval {
            it_interval: tv(0, 250_000),
            it_value: tv(1, 0),
        };
        timer.set(0, &periodic).unwrap();
        assert_eq!(timer.get(SEC / 2).it_value, tv(0, 500_000));
        assert!(!timer.expire(SEC - 1));
        assert!(timer.expire(SEC + SEC / 10));
        assert_eq!(timer.deadline(), Some(SEC + SEC / 4));
        assert_eq!(timer.get(SEC + SEC / 10).it_interval, tv(0, 250_000));
        // Overdue but not yet fired: 1 µs.
        assert_eq!(timer.get(2 * SEC).it_value, tv(0, 1));
    }
}

/// A process's `ITIMER_VIRTUAL` or `ITIMER_PROF`: a count-down of CPU time
/// (user time, or user and system time) that the kernel charges as the
/// process runs.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct CpuTimer {
    /// CPU nanoseconds left to the next expiry; 0: disarmed.
    left: u64,
    /// Reload after an expiry; 0: one-shot.
    interval: u64,
}

impl CpuTimer {
    /// A disarmed timer.
    pub const fn new() -> CpuTimer {
        CpuTimer {
            left: 0,
            interval: 0,
        }
    }

    /// `getitimer`.
    pub fn get(&self) -> Itimerval {
        Itimerval {
            it_interval: Timeval::from_nanos(self.interval),
            it_value: Timeval::from_nanos(self.left),
        }
    }

    /// `setitimer`: returns the old setting; `EINVAL` for a bad field; a
    /// zero `it_value` disarms.
    pub fn set(&mut self, new: &Itimerval) -> KernelResult<Itimerval> {
        let value = new.it_value.to_nanos()?;
        let interval = new.it_interval.to_nanos()?;
        let old = self.get();
        self.left = value;
        self.interval = if value == 0 { 0 } else { interval };
        Ok(old)
    }

    /// Charges `ns` of CPU time: whether the timer expired (once, however
    /// many periods passed, as a signal is sent once), re-armed or not.
    pub fn charge(&mut self, ns: u64) -> bool {
        if self.left == 0 || ns == 0 {
            return false;
        }
        if ns < self.left {
            self.left -= ns;
            return false;
        }
        let over = ns - self.left;
        self.left = match over.checked_rem(self.interval) {
            None => 0,
            Some(rest) => self.interval - rest,
        };
        true
    }
}

#[cfg(test)]
mod cpu_timer_tests {
    use super::*;

    fn itimer(value_ms: i64, interval_ms: i64) -> Itimerval {
        Itimerval {
            it_interval: Timeval {
                tv_sec: 0,
                tv_usec: interval_ms * 1000,
            },
            it_value: Timeval {
                tv_sec: 0,
                tv_usec: value_ms * 1000,
            },
        }
    }

    #[test]
    fn a_cpu_timer_counts_down_charged_time_and_reloads() {
        let mut timer = CpuTimer::new();
        assert!(!timer.charge(1_000_000_000), "disarmed");
        timer.set(&itimer(50, 20)).unwrap();
        assert!(!timer.charge(30_000_000));
        assert_eq!(timer.get(), itimer(20, 20));
        assert!(timer.charge(25_000_000), "fires past the value");
        assert_eq!(timer.get(), itimer(15, 20), "reloaded less the overshoot");
        assert_eq!(timer.set(&itimer(0, 20)), Ok(itimer(15, 20)));
        assert_eq!(timer.get(), itimer(0, 0));
        timer.set(&itimer(10, 0)).unwrap();
        assert!(timer.charge(10_000_000));
        assert!(!timer.charge(10_000_000), "one-shot");
    }
}
