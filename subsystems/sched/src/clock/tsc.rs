//! The time-stamp counter as a nanosecond clock.

use abi::NANOS_PER_SEC;
use abi::{Errno, KernelResult};

/// A counter that advances at a fixed, known rate (the TSC, the local APIC
/// timer, the PIT), and conversions between its ticks and nanoseconds.
///
/// Conversions are exact (a 128-bit product then a division), so they
/// neither drift nor overflow for any `u64` input; results beyond `u64`
/// saturate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TickRate {
    hz: u64,
}

impl TickRate {
    /// A counter running at `hz`; `EINVAL` for zero.
    pub fn new(hz: u64) -> KernelResult<TickRate> {
        if hz == 0 {
            return Err(Errno::EINVAL);
        }
        Ok(TickRate { hz })
    }

    /// Ticks per second.
    pub fn hz(self) -> u64 {
        self.hz
    }

    /// How long `ticks` take, in nanoseconds.
    pub fn ticks_to_ns(self, ticks: u64) -> u64 {
        let ns = u128::from(ticks) * u128::from(NANOS_PER_SEC) / u128::from(self.hz);
        u64::try_from(ns).unwrap_or(u64::MAX)
    }

    /// How many ticks elapse in `ns` nanoseconds (rounded down): what to
    /// program into a one-shot timer.
    pub fn ns_to_ticks(self, ns: u64) -> u64 {
        let ticks = u128::from(ns) * u128::from(self.hz) / u128::from(NANOS_PER_SEC);
        u64::try_from(ticks).unwrap_or(u64::MAX)
    }
}

/// Fractional bits of [`TscClock::mult`].
pub const TSC_MULT_SHIFT: u32 = 32;

/// The monotonic clock: nanoseconds since boot, read from the TSC.
///
/// A reading is `((tsc - tsc_at_boot) * mult) >> 32` with a 128-bit
/// product, the formula a vDSO can compute in user mode with one `mul`:
/// the kernel reads its clock the same way so that user-mode and
/// system-call readings never disagree.
///
/// Only trustworthy when the TSC is invariant ([`invariant_tsc`]); without
/// it the kernel should count timer ticks instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TscClock {
    tsc_at_boot: u64,
    rate: TickRate,
    mult: u64,
}

impl TscClock {
    /// A clock reading zero at TSC value `tsc_at_boot`, the TSC running at
    /// `freq_hz`. `EINVAL` for a zero frequency.
    pub fn new(tsc_at_boot: u64, freq_hz: u64) -> KernelResult<TscClock> {
        let rate = TickRate::new(freq_hz)?;
        let mult = (u128::from(NANOS_PER_SEC) << TSC_MULT_SHIFT) / u128::from(freq_hz);
        Ok(TscClock {
            tsc_at_boot,
            rate,
            // At 1 Hz or more the factor fits (1e9 << 32 < 2^64).
            mult: u64::try_from(mult).map_err(|_| Errno::EINVAL)?,
        })
    }

    /// The TSC value at which the clock reads zero.
    pub fn tsc_at_boot(&self) -> u64 {
        self.tsc_at_boot
    }

    /// Nanoseconds per TSC tick with [`TSC_MULT_SHIFT`] fractional bits.
    pub fn mult(&self) -> u64 {
        self.mult
    }

    /// The TSC's rate.
    pub fn rate(&self) -> TickRate {
        self.rate
    }

    /// Nanoseconds since boot at TSC value `tsc`. A value before boot (a
    /// CPU whose TSC lags the boot CPU's) reads as zero rather than wrapping.
    pub fn now_ns(&self, tsc: u64) -> u64 {
        let ticks = tsc.saturating_sub(self.tsc_at_boot);
        let ns = (u128::from(ticks) * u128::from(self.mult)) >> TSC_MULT_SHIFT;
        u64::try_from(ns).unwrap_or(u64::MAX)
    }

    /// The first TSC value at which the clock reads `ns` or more.
    pub fn tsc_at(&self, ns: u64) -> u64 {
        let ticks = (u128::from(ns) << TSC_MULT_SHIFT).div_ceil(u128::from(self.mult.max(1)));
        self.tsc_at_boot
            .saturating_add(u64::try_from(ticks).unwrap_or(u64::MAX))
    }
}

/// The frequency of a counter that advanced `ticks` while a reference clock
/// (the PIT or the HPET) measured `reference_ns`. `EINVAL` if the reference
/// interval is zero or the result is zero or beyond `u64`.
pub fn calibrate(ticks: u64, reference_ns: u64) -> KernelResult<u64> {
    if reference_ns == 0 {
        return Err(Errno::EINVAL);
    }
    let hz = u128::from(ticks) * u128::from(NANOS_PER_SEC) / u128::from(reference_ns);
    match u64::try_from(hz) {
        Ok(0) | Err(_) => Err(Errno::EINVAL),
        Ok(hz) => Ok(hz),
    }
}

/// Whether CPUID leaf `0x8000_0007`'s EDX says the TSC runs at a constant
/// rate in every power state (bit 8, "invariant TSC").
pub fn invariant_tsc(cpuid_8000_0007_edx: u32) -> bool {
    cpuid_8000_0007_edx & (1 << 8) != 0
}

/// The TSC frequency CPUID leaf `0x15` reports (`ecx` crystal Hz times
/// `ebx / eax`), or `None` when the CPU leaves any of them zero and the
/// kernel must calibrate against the PIT or HPET instead.
pub fn tsc_hz_from_cpuid_15h(eax: u32, ebx: u32, ecx: u32) -> Option<u64> {
    if eax == 0 || ebx == 0 || ecx == 0 {
        return None;
    }
    Some(u64::from(ecx) * u64::from(ebx) / u64::from(eax))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const YEAR_NS: u64 = 365 * 24 * 3600 * NANOS_PER_SEC;

    #[test]
    fn tsc_conversion_no_overflow_after_years() {
        let hz = 3_700_000_000; // 3.7 GHz
        let clock = TscClock::new(1_000, hz).unwrap();
        // Ten years of ticks: 1.17e18, whose product with 1e9 would
        // overflow 64 bits many times over.
        let ten_years_ticks = 10 * 365 * 24 * 3600 * hz;
        // The 32-bit fraction of ns per tick is off by less than one part
        // in 10^9: under a second in ten years.
        let ten_years = clock.now_ns(1_000 + ten_years_ticks);
        assert!(ten_years <= 10 * YEAR_NS && 10 * YEAR_NS - ten_years < NANOS_PER_SEC);
        assert!(NANOS_PER_SEC / 2 - clock.now_ns(1_000 + hz / 2) <= 1);
        assert!(clock.now_ns(u64::MAX) > 150 * YEAR_NS);
    }

    #[test]
    fn tsc_at_is_the_first_tick_reading_the_time() {
        let clock = TscClock::new(77, 2_593_000_000).unwrap();
        for ns in [0, 1, 999, 123_456_789, 86_400 * NANOS_PER_SEC] {
            let tsc = clock.tsc_at(ns);
            assert!(clock.now_ns(tsc) >= ns, "{ns}");
            assert!(clock.now_ns(tsc - 1) < ns || ns == 0, "{ns}");
        }
    }

    #[test]
    fn tsc_before_boot_reads_zero() {
        let clock = TscClock::new(5_000, 1_000_000_000).unwrap();
        assert_eq!(clock.now_ns(4_000), 0);
        assert_eq!(clock.now_ns(5_250), 250);
        assert_eq!(clock.tsc_at(250), 5_250);
    }

    #[test]
    fn calibration_against_the_pit_recovers_the_frequency() {
        // 10 ms of PIT time, 24 million TSC ticks: a 2.4 GHz TSC.
        assert_eq!(calibrate(24_000_000, 10_000_000), Ok(2_400_000_000));
        assert_eq!(calibrate(1, 0), Err(Errno::EINVAL));
        assert_eq!(calibrate(0, 10), Err(Errno::EINVAL));
        assert_eq!(TscClock::new(0, 0), Err(Errno::EINVAL));
    }

    #[test]
    fn cpuid_flags_and_leaf_15h() {
        assert!(invariant_tsc(0x100));
        assert!(!invariant_tsc(0xff));
        // A 24 MHz crystal times 250/2 is a 3 GHz TSC.
        assert_eq!(
            tsc_hz_from_cpuid_15h(2, 250, 24_000_000),
            Some(3_000_000_000)
        );
        assert_eq!(tsc_hz_from_cpuid_15h(2, 250, 0), None);
    }

    proptest! {
        #[test]
        fn ns_to_ticks_and_back_loses_less_than_a_tick(hz in 1_000_000u64..10_000_000_000, ns in any::<u64>()) {
            let rate = TickRate::new(hz).unwrap();
            let ticks = rate.ns_to_ticks(ns);
            // Beyond u64 ticks (centuries at GHz rates) the result saturates.
            prop_assume!(ticks < u64::MAX);
            let back = rate.ticks_to_ns(ticks);
            prop_assert!(back <= ns);
            prop_assert!(ns - back <= rate.ticks_to_ns(1) + 1);
        }
    }
}
