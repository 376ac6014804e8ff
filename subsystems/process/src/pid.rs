//! Process and thread id allocation.
//!
//! Pids and tids share one number space (a process's first thread has
//! `tid == pid`). The allocator hands out ids in increasing order from 1,
//! wraps at `pid_max` back to [`RESERVED_PIDS`] (as Linux does: the ids of
//! the daemons started at boot are not handed out again, so a stale pid
//! below 300 in a script or a pid file never names a newcomer), skips every
//! id the caller reports in use (as a pid, tid, pgid or sid), and fails
//! with `EAGAIN` when a full lap finds none.

use core::sync::atomic::{AtomicI32, Ordering};

use abi::{Errno, KernelResult};

/// A process id, as user space sees it (`pid_t`).
pub type Pid = i32;
/// A thread id; the same number space as [`Pid`].
pub type Tid = i32;

/// Linux's default `/proc/sys/kernel/pid_max`: ids are below this.
pub const DEFAULT_PID_MAX: Pid = 32768;
/// Linux's upper bound for `pid_max` on 64-bit (`PID_MAX_LIMIT`).
pub const PID_MAX_LIMIT: Pid = 4 * 1024 * 1024;
/// Where ids start again after `pid_max` (Linux's `RESERVED_PIDS`); the
/// ids below it are handed out once, at boot.
pub const RESERVED_PIDS: Pid = 300;
/// The smallest `pid_max` Linux accepts (`pid_max_min`): above the
/// reserved ids.
pub const PID_MAX_MIN: Pid = RESERVED_PIDS + 1;

/// Hands out ids below `pid_max`, in order, wrapping around.
///
/// The cursor is atomic so concurrent callers never receive the same
/// candidate; whether a candidate is free is the caller's answer, given under
/// whatever lock makes that answer stable (the process table's).
#[derive(Debug)]
pub struct PidAllocator {
    /// The next candidate; always in `1..pid_max` once normalised.
    next: AtomicI32,
    /// Ids are strictly below this.
    pid_max: AtomicI32,
}

impl PidAllocator {
    /// An allocator whose first id is 1 and whose ids stay below `pid_max`.
    ///
    /// `pid_max` is clamped to `2..=PID_MAX_LIMIT` so at least id 1 exists.
    /// A `pid_max` of [`RESERVED_PIDS`] or less (small tables in tests)
    /// wraps back to 1.
    pub const fn new(pid_max: Pid) -> Self {
        let pid_max = if pid_max < 2 {
            2
        } else if pid_max > PID_MAX_LIMIT {
            PID_MAX_LIMIT
        } else {
            pid_max
        };
        Self {
            next: AtomicI32::new(1),
            pid_max: AtomicI32::new(pid_max),
        }
    }

    /// Ids are strictly below this value.
    pub fn pid_max(&self) -> Pid {
        self.pid_max.load(Ordering::Relaxed)
    }

    /// Change the limit, as writing `/proc/sys/kernel/pid_max` does.
    /// `EINVAL` outside `PID_MAX_MIN..=PID_MAX_LIMIT`, as on Linux. Live ids
    /// above the new limit stay.
    pub fn set_pid_max(&self, pid_max: Pid) -> KernelResult<()> {
        if !(PID_MAX_MIN..=PID_MAX_LIMIT).contains(&pid_max) {
            return Err(Errno::EINVAL);
        }
        self.pid_max.store(pid_max, Ordering::Relaxed);
        Ok(())
    }

    /// The next id for which `in_use` is false, or `EAGAIN` after one full lap.
    pub fn allocate(&self, mut in_use: impl FnMut(Pid) -> bool) -> KernelResult<Pid> {
        let pid_max = self.pid_max();
        // Ids 1..pid_max: one lap is pid_max - 1 candidates.
        for _ in 1..pid_max {
            let candidate = self.take_candidate(pid_max);
            if !in_use(candidate) {
                return Ok(candidate);
            }
        }
        Err(Errno::EAGAIN)
    }

    /// Atomically claim the cursor's value and advance it, wrapping to
    /// [`RESERVED_PIDS`].
    fn take_candidate(&self, pid_max: Pid) -> Pid {
        let wrap_to = if pid_max > RESERVED_PIDS {
            RESERVED_PIDS
        } else {
            1
        };
        let normalise = |n: Pid| {
            if n < 1 {
                1
            } else if n >= pid_max {
                wrap_to
            } else {
                n
            }
        };
        let previous = self
            .next
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                Some(normalise(normalise(n) + 1))
            })
            // The closure always returns Some, so this is the Ok value.
            .unwrap_or_else(|n| n);
        normalise(previous)
    }
}

impl Default for PidAllocator {
    fn default() -> Self {
        Self::new(DEFAULT_PID_MAX)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn first_ids_count_up_from_one() {
        let pids = PidAllocator::default();
        let got: std::vec::Vec<Pid> = (0..3).map(|_| pids.allocate(|_| false).unwrap()).collect();
        assert_eq!(got, [1, 2, 3]);
    }

    #[test]
    fn pid_wraps_and_skips_live_ids() {
        let pids = PidAllocator::new(8);
        let mut live = BTreeSet::new();
        for _ in 1..8 {
            live.insert(pids.allocate(|p| live.contains(&p)).unwrap());
        }
        assert_eq!(
            live.iter().copied().collect::<std::vec::Vec<_>>(),
            [1, 2, 3, 4, 5, 6, 7]
        );
        // Free 3 and 6; the next two allocations wrap and find exactly those.
        live.remove(&3);
        live.remove(&6);
        let a = pids.allocate(|p| live.contains(&p)).unwrap();
        live.insert(a);
        let b = pids.allocate(|p| live.contains(&p)).unwrap();
        assert_eq!((a, b), (3, 6));
    }

    #[test]
    fn exhausted_ids_give_eagain() {
        let pids = PidAllocator::new(5);
        assert_eq!(pids.allocate(|_| true), Err(Errno::EAGAIN));
    }

    #[test]
    fn set_pid_max_rejects_out_of_range() {
        let pids = PidAllocator::default();
        assert_eq!(pids.set_pid_max(1), Err(Errno::EINVAL));
        assert_eq!(pids.set_pid_max(RESERVED_PIDS), Err(Errno::EINVAL));
        assert_eq!(pids.set_pid_max(PID_MAX_LIMIT + 1), Err(Errno::EINVAL));
        assert_eq!(pids.set_pid_max(PID_MAX_MIN), Ok(()));
        assert_eq!(pids.pid_max(), PID_MAX_MIN);
    }

    #[test]
    fn a_wrap_skips_the_ids_handed_out_at_boot() {
        let pids = PidAllocator::new(400);
        let first: std::vec::Vec<Pid> = (0..3).map(|_| pids.allocate(|_| false).unwrap()).collect();
        assert_eq!(first, [1, 2, 3]);
        // Ids 4..400 go by; 2 and 3 are free again, but the lap starts at
        // 300, and the ids below it are not offered even when 300.. is full.
        for expected in 4..400 {
            assert_eq!(pids.allocate(|_| false), Ok(expected));
        }
        assert_eq!(pids.allocate(|_| false), Ok(RESERVED_PIDS));
        assert_eq!(pids.allocate(|p| p < 350), Ok(350));
        assert_eq!(pids.allocate(|p| p >= RESERVED_PIDS), Err(Errno::EAGAIN));
    }

    #[test]
    fn concurrent_allocations_never_share_an_id() {
        let pids = std::sync::Arc::new(PidAllocator::new(100_000));
        let handles: std::vec::Vec<_> = (0..4)
            .map(|_| {
                let pids = pids.clone();
                std::thread::spawn(move || {
                    (0..1000)
                        .map(|_| pids.allocate(|_| false).unwrap())
                        .collect::<std::vec::Vec<_>>()
                })
            })
            .collect();
        let all: BTreeSet<Pid> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        assert_eq!(all.len(), 4000);
    }

    proptest::proptest! {
        #[test]
        fn allocated_ids_are_in_range_and_never_collide(
            pid_max in 2i32..64,
            frees in proptest::collection::vec(0usize..64, 0..200),
        ) {
            let pids = PidAllocator::new(pid_max);
            let mut live = BTreeSet::new();
            for free in frees {
                match pids.allocate(|p| live.contains(&p)) {
                    Ok(pid) => {
                        proptest::prop_assert!(pid >= 1 && pid < pid_max);
                        proptest::prop_assert!(live.insert(pid));
                    }
                    Err(e) => {
                        proptest::prop_assert_eq!(e, Errno::EAGAIN);
                        proptest::prop_assert_eq!(live.len() as i32, pid_max - 1);
                    }
                }
                if let Some(&victim) = live.iter().nth(free % (live.len() + 1)) {
                    live.remove(&victim);
                }
            }
        }
    }
}
