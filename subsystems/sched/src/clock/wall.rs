//! Wall-clock time: the monotonic clock shifted to the Unix epoch.

use abi::Timespec;
use abi::{Errno, KernelResult};

/// `CLOCK_REALTIME`: Unix time as an offset from the monotonic clock, read
/// from the RTC at boot and moved by `clock_settime`. Moving it never moves
/// the monotonic clock, so sleeps and timeouts are unaffected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WallClock {
    /// Unix nanoseconds at monotonic zero.
    offset_ns: i128,
}

impl WallClock {
    /// The latest time the clock may be set to, in seconds: Linux's
    /// `TIME_SETTOD_SEC_MAX` (the 64-bit nanosecond limit, year 2262,
    /// less 30 years of uptime), so programs never see an absurd date.
    pub const LATEST: i64 = 9_223_372_036 - 30 * 31_536_000;

    /// A clock that read `unix_seconds` (from the RTC) when the monotonic
    /// clock read `monotonic_ns`.
    pub fn from_rtc(unix_seconds: i64, monotonic_ns: u64) -> WallClock {
        WallClock {
            offset_ns: i128::from(unix_seconds) * 1_000_000_000 - i128::from(monotonic_ns),
        }
    }

    /// Unix time in nanoseconds when the monotonic clock read zero.
    pub fn offset_ns(&self) -> i128 {
        self.offset_ns
    }

    /// Unix time at monotonic time `monotonic_ns`. Saturates at the ends
    /// of `i64` seconds, far beyond any real date.
    pub fn now(&self, monotonic_ns: u64) -> Timespec {
        let ns = self.offset_ns + i128::from(monotonic_ns);
        Timespec::from_nanos_i128(ns).unwrap_or(if ns < 0 {
            Timespec {
                sec: i64::MIN,
                nsec: 0,
            }
        } else {
            Timespec {
                sec: i64::MAX,
                nsec: 999_999_999,
            }
        })
    }

    /// `clock_settime(CLOCK_REALTIME)`: from now on, `monotonic_ns` reads as
    /// `now`. `EINVAL` if `now` is malformed, before the epoch, or past
    /// what Linux accepts ([`WallClock::LATEST`]).
    pub fn set(&mut self, now: Timespec, monotonic_ns: u64) -> KernelResult<()> {
        let now = now.validate()?;
        if now.sec < 0 || now.sec > Self::LATEST {
            return Err(Errno::EINVAL);
        }
        self.offset_ns = now.as_nanos_i128() - i128::from(monotonic_ns);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absurd_dates_are_refused_as_linux_does() {
        let mut clock = WallClock::from_rtc(0, 0);
        let far = Timespec {
            sec: 1 << 40,
            nsec: 0,
        };
        assert_eq!(clock.set(far, 0), Err(Errno::EINVAL));
        let latest = Timespec {
            sec: WallClock::LATEST,
            nsec: 0,
        };
        assert_eq!(clock.set(latest, 0), Ok(()));
    }

    #[test]
    fn wall_clock_advances_with_the_monotonic_clock() {
        let boot = 1_795_775_400;
        let clock = WallClock::from_rtc(boot, 2_000_000_000);
        assert_eq!(clock.now(2_000_000_000), Timespec { sec: boot, nsec: 0 });
        assert_eq!(
            clock.now(3_500_000_001),
            Timespec {
                sec: boot + 1,
                nsec: 500_000_001
            }
        );
    }

    #[test]
    fn settime_moves_only_the_wall_clock() {
        let mut clock = WallClock::from_rtc(1_000, 0);
        clock
            .set(Timespec { sec: 50, nsec: 0 }, 10_000_000_000)
            .unwrap();
        assert_eq!(clock.now(11_000_000_000), Timespec { sec: 51, nsec: 0 });
        assert_eq!(
            clock.set(Timespec { sec: -1, nsec: 0 }, 0),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            clock.set(Timespec { sec: 1, nsec: -5 }, 0),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            clock.now(11_000_000_000),
            Timespec { sec: 51, nsec: 0 },
            "unchanged by errors"
        );
    }
}
