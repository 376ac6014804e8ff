//! Time structures besides `timespec`: `timeval`, `itimerval`, `timezone`.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::{Errno, KernelResult, NANOS_PER_SEC};

const NANOS_PER_USEC: u64 = 1_000;

/// Linux's `struct timeval` (`__kernel_old_timeval`) on x86_64.
#[derive(
    Clone, Copy, PartialEq, Eq, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct Timeval {
    /// Seconds.
    pub tv_sec: i64,
    /// Microseconds, 0..1_000_000.
    pub tv_usec: i64,
}

impl Timeval {
    /// A non-negative value from user space as nanoseconds: `EINVAL` for a
    /// negative second count or microseconds outside `0..1e6`; saturates.
    pub fn to_nanos(self) -> KernelResult<u64> {
        if self.tv_sec < 0 || !(0..1_000_000).contains(&self.tv_usec) {
            return Err(Errno::EINVAL);
        }
        Ok((self.tv_sec as u64)
            .saturating_mul(NANOS_PER_SEC)
            .saturating_add(self.tv_usec as u64 * NANOS_PER_USEC))
    }

    /// `nanos` as a timeval, truncated to microseconds.
    pub fn from_nanos(nanos: u64) -> Timeval {
        Timeval {
            tv_sec: (nanos / NANOS_PER_SEC) as i64,
            tv_usec: ((nanos % NANOS_PER_SEC) / NANOS_PER_USEC) as i64,
        }
    }
}

/// Linux's `struct itimerval`.
#[derive(
    Clone, Copy, PartialEq, Eq, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct Itimerval {
    /// Reload value after expiry; zero for one-shot.
    pub it_interval: Timeval,
    /// Time to the next expiry; zero disarms.
    pub it_value: Timeval,
}

/// Linux's `struct timezone` (always zero here: the kernel keeps UTC).
#[derive(
    Clone, Copy, PartialEq, Eq, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct Timezone {
    /// Minutes west of Greenwich.
    pub minuteswest: i32,
    /// Type of daylight-saving correction.
    pub dsttime: i32,
}

/// Clock ids for `clock_gettime` and friends.
pub mod clock {
    /// Wall time.
    pub const CLOCK_REALTIME: u32 = 0;
    /// Time since boot, not counting suspend.
    pub const CLOCK_MONOTONIC: u32 = 1;
    /// CPU time of the calling process.
    pub const CLOCK_PROCESS_CPUTIME_ID: u32 = 2;
    /// CPU time of the calling thread.
    pub const CLOCK_THREAD_CPUTIME_ID: u32 = 3;
    /// Monotonic time without NTP slewing.
    pub const CLOCK_MONOTONIC_RAW: u32 = 4;
    /// Wall time at tick resolution.
    pub const CLOCK_REALTIME_COARSE: u32 = 5;
    /// Monotonic time at tick resolution.
    pub const CLOCK_MONOTONIC_COARSE: u32 = 6;
    /// Monotonic time including suspend.
    pub const CLOCK_BOOTTIME: u32 = 7;
    /// `clock_nanosleep`: the time is absolute.
    pub const TIMER_ABSTIME: u32 = 1;
}

static_assertions::assert_eq_size!(Timeval, [u64; 2]);
static_assertions::assert_eq_size!(Itimerval, [u64; 4]);
static_assertions::assert_eq_size!(Timezone, u64);
