//! `struct timespec`: seconds and nanoseconds, as Linux x86_64 lays it out.

use crate::{Errno, KernelResult};

/// Nanoseconds in a second.
pub const NANOS_PER_SEC: u64 = 1_000_000_000;
const NANOS: i64 = NANOS_PER_SEC as i64;

/// Linux x86_64 `struct timespec` (two 64-bit fields). A value read from
/// user space is unchecked until [`Timespec::validate`] accepts it; values
/// this crate builds are always normalised (`0 <= nsec < 1e9`).
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    zerocopy::FromBytes,
    zerocopy::IntoBytes,
    zerocopy::Immutable,
    zerocopy::KnownLayout,
)]
#[repr(C)]
pub struct Timespec {
    /// Whole seconds.
    pub sec: i64,
    /// Nanoseconds, `0..1_000_000_000` once normalised.
    pub nsec: i64,
}

impl Timespec {
    /// The duration or instant `ns` nanoseconds long.
    pub fn from_nanos(ns: u64) -> Timespec {
        Timespec {
            sec: (ns / NANOS_PER_SEC) as i64,
            nsec: (ns % NANOS_PER_SEC) as i64,
        }
    }

    /// The value `nanos` signed nanoseconds from zero (negative before the
    /// epoch: `-1 ns` is `{ sec: -1, nsec: 999_999_999 }`); `None` if the
    /// seconds do not fit.
    pub fn from_nanos_i128(nanos: i128) -> Option<Timespec> {
        // Every clock reading fits 64 bits: one hardware division then,
        // not the software 128-bit one (about a hundred instructions).
        if let Ok(nanos) = i64::try_from(nanos) {
            return Some(Timespec {
                sec: nanos.div_euclid(NANOS),
                nsec: nanos.rem_euclid(NANOS),
            });
        }
        let sec = i64::try_from(nanos.div_euclid(i128::from(NANOS))).ok()?;
        let nsec = nanos.rem_euclid(i128::from(NANOS)) as i64;
        Some(Timespec { sec, nsec })
    }

    /// `sec` seconds plus `nsec` nanoseconds of any sign, carried into
    /// normal form; `None` on overflow.
    pub fn normalized(sec: i64, nsec: i64) -> Option<Timespec> {
        let carry = nsec.div_euclid(NANOS);
        Some(Timespec {
            sec: sec.checked_add(carry)?,
            nsec: nsec.rem_euclid(NANOS),
        })
    }

    /// Accepts a value from user space as Linux does for `nanosleep` and
    /// friends: `EINVAL` if `nsec` is outside `0..1e9`.
    pub fn validate(self) -> KernelResult<Timespec> {
        if !(0..NANOS).contains(&self.nsec) {
            return Err(Errno::EINVAL);
        }
        Ok(self)
    }

    /// Total signed nanoseconds (never overflows `i128`).
    pub fn as_nanos_i128(self) -> i128 {
        i128::from(self.sec) * i128::from(NANOS) + i128::from(self.nsec)
    }

    /// A relative duration from user space as nanoseconds: `EINVAL` if
    /// malformed or negative; durations beyond `u64` (584 years) saturate,
    /// as Linux clamps to its maximum.
    pub fn duration_nanos(self) -> KernelResult<u64> {
        let valid = self.validate()?;
        if valid.sec < 0 {
            return Err(Errno::EINVAL);
        }
        Ok(u64::try_from(valid.as_nanos_i128()).unwrap_or(u64::MAX))
    }

    /// The monotonic deadline `self` (a relative timeout from user space)
    /// after `now`, saturating; `EINVAL` as for [`Timespec::duration_nanos`].
    pub fn deadline_after(self, now: u64) -> KernelResult<u64> {
        Ok(now.saturating_add(self.duration_nanos()?))
    }

    /// `self + other`, normalised; `None` on overflow.
    pub fn checked_add(self, other: Timespec) -> Option<Timespec> {
        Timespec::normalized(self.sec.checked_add(other.sec)?, self.nsec + other.nsec)
    }

    /// `self - other`, normalised; `None` on overflow.
    pub fn checked_sub(self, other: Timespec) -> Option<Timespec> {
        Timespec::normalized(self.sec.checked_sub(other.sec)?, self.nsec - other.nsec)
    }
}

static_assertions::assert_eq_size!(Timespec, [u64; 2]);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn normalisation_carries_both_ways() {
        assert_eq!(
            Timespec::normalized(1, 1_500_000_000),
            Some(Timespec {
                sec: 2,
                nsec: 500_000_000
            })
        );
        assert_eq!(
            Timespec::normalized(1, -1),
            Some(Timespec {
                sec: 0,
                nsec: 999_999_999
            })
        );
        assert_eq!(Timespec::normalized(i64::MAX, NANOS), None);
        assert_eq!(
            Timespec::from_nanos_i128(-1),
            Some(Timespec {
                sec: -1,
                nsec: 999_999_999
            })
        );
    }

    #[test]
    fn user_timespecs_are_checked_like_linux() {
        let bad_nsec = Timespec {
            sec: 1,
            nsec: NANOS,
        };
        assert_eq!(bad_nsec.duration_nanos(), Err(Errno::EINVAL));
        assert_eq!(Timespec { sec: 0, nsec: -1 }.validate(), Err(Errno::EINVAL));
        assert_eq!(
            Timespec { sec: -1, nsec: 0 }.duration_nanos(),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            Timespec { sec: 2, nsec: 5 }.duration_nanos(),
            Ok(2_000_000_005)
        );
        assert_eq!(
            Timespec {
                sec: i64::MAX,
                nsec: 0
            }
            .duration_nanos(),
            Ok(u64::MAX)
        );
        assert_eq!(
            Timespec {
                sec: i64::MAX,
                nsec: 0
            }
            .deadline_after(10),
            Ok(u64::MAX)
        );
    }

    #[test]
    fn subtraction_borrows_a_second() {
        let a = Timespec { sec: 5, nsec: 100 };
        let b = Timespec { sec: 2, nsec: 200 };
        assert_eq!(
            a.checked_sub(b),
            Some(Timespec {
                sec: 2,
                nsec: 999_999_900
            })
        );
        assert_eq!(
            b.checked_add(Timespec {
                sec: 0,
                nsec: 999_999_900
            }),
            Some(Timespec { sec: 3, nsec: 100 })
        );
    }

    proptest! {
        #[test]
        fn normalised_value_keeps_its_total(sec in -1_000_000i64..1_000_000, nsec in any::<i64>()) {
            let t = Timespec::normalized(sec, nsec).unwrap();
            prop_assert!((0..NANOS).contains(&t.nsec));
            prop_assert_eq!(t.as_nanos_i128(), i128::from(sec) * i128::from(NANOS) + i128::from(nsec));
        }
    }
}
