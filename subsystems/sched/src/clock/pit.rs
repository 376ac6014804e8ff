//! The 8254 programmable interval timer's arithmetic.

use abi::NANOS_PER_SEC;
use abi::{Errno, KernelResult};

/// The PIT's input clock: 1.193182 MHz.
pub const PIT_HZ: u64 = 1_193_182;

/// The 16-bit reload value for a periodic interrupt at `hz` (0 stands for
/// 65536, the slowest rate, about 18.2 Hz). `EINVAL` if the PIT cannot
/// produce that rate.
pub fn pit_divisor_for_hz(hz: u64) -> KernelResult<u16> {
    if hz == 0 {
        return Err(Errno::EINVAL);
    }
    let divisor = (PIT_HZ + hz / 2) / hz;
    match divisor {
        0 => Err(Errno::EINVAL),
        65_536 => Ok(0),
        d => u16::try_from(d).map_err(|_| Errno::EINVAL),
    }
}

/// The one-shot count that makes the PIT measure `ns` (for calibrating the
/// TSC or the APIC timer against it). `EINVAL` if longer than 65535 ticks
/// (about 55 ms) or zero.
pub fn pit_count_for_ns(ns: u64) -> KernelResult<u16> {
    let count = u128::from(ns) * u128::from(PIT_HZ) / u128::from(NANOS_PER_SEC);
    match u16::try_from(count) {
        Ok(0) | Err(_) => Err(Errno::EINVAL),
        Ok(count) => Ok(count),
    }
}

/// How long `count` PIT ticks take, in nanoseconds: the reference interval
/// to pass to [`super::calibrate`].
pub fn pit_count_to_ns(count: u16) -> u64 {
    u64::from(count) * NANOS_PER_SEC / PIT_HZ
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pit_divisors_of_common_rates() {
        assert_eq!(pit_divisor_for_hz(1000), Ok(1193));
        assert_eq!(pit_divisor_for_hz(100), Ok(11932));
        assert_eq!(pit_divisor_for_hz(19), Ok(62799));
        assert_eq!(pit_divisor_for_hz(0), Err(Errno::EINVAL));
        assert_eq!(pit_divisor_for_hz(10), Err(Errno::EINVAL), "too slow");
        assert_eq!(
            pit_divisor_for_hz(10_000_000),
            Err(Errno::EINVAL),
            "too fast"
        );
    }

    #[test]
    fn ten_ms_calibration_window() {
        let count = pit_count_for_ns(10_000_000).unwrap();
        assert_eq!(count, 11931);
        let ns = pit_count_to_ns(count);
        assert!(ns <= 10_000_000 && 10_000_000 - ns < 1_000, "{ns}");
        assert_eq!(pit_count_for_ns(60_000_000), Err(Errno::EINVAL));
    }
}
