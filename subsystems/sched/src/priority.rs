//! Thread priority, as a Linux nice value, and its scheduling weight.

use abi::{Errno, KernelResult};

/// Linux's `sched_prio_to_weight`: the CPU share of each nice value, -20
/// first. Neighbouring values differ by about 1.25x, so one nice step moves
/// roughly 10% of the CPU between two competing threads.
const WEIGHTS: [u32; 40] = [
    88761, 71755, 56483, 46273, 36291, // -20
    29154, 23254, 18705, 14949, 11916, // -15
    9548, 7620, 6100, 4904, 3906, // -10
    3121, 2501, 1991, 1586, 1277, // -5
    1024, 820, 655, 526, 423, // 0
    335, 272, 215, 172, 137, // 5
    110, 87, 70, 56, 45, // 10
    36, 29, 23, 18, 15, // 15
];

/// A thread's priority: a Linux nice value, `-20` (most favoured) to `19`.
///
/// The scheme is Linux's rather than SerenityOS's 1..=99 because user space
/// speaks the Linux ABI (`nice`, `setpriority`, `sched_setattr`). Priority is
/// a *weight*, not a strict rank: a runnable thread at nice 19 still gets
/// 15/1024 of the CPU next to one nice-0 thread, so nothing starves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Priority(i8);

impl Priority {
    /// The most favoured priority (nice -20).
    pub const HIGHEST: Priority = Priority(-20);
    /// The default priority of new threads (nice 0).
    pub const NORMAL: Priority = Priority(0);
    /// The least favoured priority (nice 19).
    pub const LOWEST: Priority = Priority(19);
    /// The weight of [`Priority::NORMAL`]; virtual time runs at wall speed
    /// for a thread of this weight.
    pub const NORMAL_WEIGHT: u32 = 1024;

    /// The priority of nice value `nice`; `EINVAL` outside `-20..=19`.
    pub fn from_nice(nice: i32) -> KernelResult<Priority> {
        if !(-20..=19).contains(&nice) {
            return Err(Errno::EINVAL);
        }
        Ok(Priority(nice as i8))
    }

    /// The priority of `nice`, clamped into range as `setpriority(2)` does.
    pub fn from_nice_clamped(nice: i64) -> Priority {
        Priority(nice.clamp(-20, 19) as i8)
    }

    /// The nice value, `-20..=19`.
    pub fn nice(self) -> i8 {
        self.0
    }

    /// The scheduling weight: the CPU share relative to other threads.
    pub fn weight(self) -> u32 {
        WEIGHTS[(i32::from(self.0) + 20) as usize]
    }

    /// Whether `self` is favoured over `other`.
    pub fn is_higher_than(self, other: Priority) -> bool {
        self.0 < other.0
    }
}

impl Default for Priority {
    fn default() -> Self {
        Priority::NORMAL
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_out_of_range_is_einval() {
        assert_eq!(Priority::from_nice(-21), Err(Errno::EINVAL));
        assert_eq!(Priority::from_nice(20), Err(Errno::EINVAL));
        assert_eq!(Priority::from_nice(19), Ok(Priority::LOWEST));
    }

    #[test]
    fn setpriority_clamps_like_linux() {
        assert_eq!(Priority::from_nice_clamped(-100), Priority::HIGHEST);
        assert_eq!(Priority::from_nice_clamped(100), Priority::LOWEST);
    }

    #[test]
    fn weight_falls_as_nice_rises() {
        assert_eq!(Priority::NORMAL.weight(), Priority::NORMAL_WEIGHT);
        for nice in -20..19 {
            let a = Priority::from_nice(nice).unwrap();
            let b = Priority::from_nice(nice + 1).unwrap();
            assert!(a.weight() > b.weight(), "nice {nice}");
        }
    }
}
