//! CPU numbers and affinity masks.

use abi::{Errno, KernelResult};

/// The largest number of CPUs an affinity mask can name.
pub const MAX_CPUS: u32 = 64;

/// The index of a CPU, `0..cpu_count`, as the kernel numbers them at boot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CpuId(pub u32);

impl CpuId {
    /// The bootstrap processor.
    pub const BSP: CpuId = CpuId(0);
}

/// A set of CPUs a thread may run on (its affinity mask), one bit per CPU,
/// laid out like the first word of Linux's `cpu_set_t`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CpuSet(u64);

impl CpuSet {
    /// No CPU at all: never a valid affinity.
    pub const EMPTY: CpuSet = CpuSet(0);
    /// Every CPU that can exist.
    pub const ALL: CpuSet = CpuSet(u64::MAX);

    /// The set whose bit `n` is set for CPU `n`.
    pub const fn from_bits(bits: u64) -> CpuSet {
        CpuSet(bits)
    }

    /// The raw mask, bit `n` for CPU `n`.
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// The set holding just `cpu`; `EINVAL` if it is beyond [`MAX_CPUS`].
    pub fn single(cpu: CpuId) -> KernelResult<CpuSet> {
        if cpu.0 >= MAX_CPUS {
            return Err(Errno::EINVAL);
        }
        Ok(CpuSet(1 << cpu.0))
    }

    /// The first `count` CPUs (the online set of a machine with `count` CPUs).
    pub fn first(count: u32) -> CpuSet {
        if count >= MAX_CPUS {
            CpuSet::ALL
        } else {
            CpuSet((1u64 << count) - 1)
        }
    }

    /// Whether `cpu` is in the set.
    pub fn contains(self, cpu: CpuId) -> bool {
        cpu.0 < MAX_CPUS && self.0 & (1 << cpu.0) != 0
    }

    /// The CPUs in both sets.
    pub fn intersection(self, other: CpuSet) -> CpuSet {
        CpuSet(self.0 & other.0)
    }

    /// Whether no CPU is in the set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The CPUs in the set, lowest first (one step per member, not per
    /// possible CPU: placement runs this on every wake-up).
    pub fn iter(self) -> impl Iterator<Item = CpuId> {
        let mut rest = self.0;
        core::iter::from_fn(move || {
            if rest == 0 {
                return None;
            }
            let lowest = rest.trailing_zeros();
            rest &= rest - 1;
            Some(CpuId(lowest))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_n_cpus_holds_exactly_those() {
        let set = CpuSet::first(3);
        assert!(set.contains(CpuId(0)) && set.contains(CpuId(2)));
        assert!(!set.contains(CpuId(3)));
        assert_eq!(CpuSet::first(64), CpuSet::ALL);
    }

    #[test]
    fn cpu_beyond_mask_is_rejected() {
        assert_eq!(CpuSet::single(CpuId(64)), Err(Errno::EINVAL));
        assert!(!CpuSet::ALL.contains(CpuId(64)));
    }
}
