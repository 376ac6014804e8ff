//! Resource limits (`getrlimit`, `setrlimit`, `prlimit64`).

use abi::{Errno, KernelResult};

/// `RLIM_INFINITY`: no limit.
pub const RLIM_INFINITY: u64 = u64::MAX;
/// Linux's `fs.nr_open` default: the highest `RLIMIT_NOFILE` hard limit allowed.
pub const NR_OPEN: u64 = 1024 * 1024;

/// A resource number, as `prlimit64` receives it (Linux's `RLIMIT_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u32)]
pub enum Resource {
    /// CPU time in seconds.
    Cpu = 0,
    /// Largest file size.
    Fsize = 1,
    /// Data segment size.
    Data = 2,
    /// Stack size.
    Stack = 3,
    /// Core file size.
    Core = 4,
    /// Resident set size.
    Rss = 5,
    /// Number of processes per user.
    Nproc = 6,
    /// Number of open files: one more than the highest fd that may be opened.
    Nofile = 7,
    /// Locked memory.
    Memlock = 8,
    /// Address space size.
    As = 9,
    /// File locks.
    Locks = 10,
    /// Pending signals.
    Sigpending = 11,
    /// POSIX message queue bytes.
    Msgqueue = 12,
    /// Nice ceiling.
    Nice = 13,
    /// Real-time priority ceiling.
    Rtprio = 14,
    /// Real-time CPU time in microseconds.
    Rttime = 15,
}

/// `RLIM_NLIMITS`: how many resources exist.
pub const RLIM_NLIMITS: usize = 16;

impl Resource {
    /// The resource with Linux number `value`, or `EINVAL`.
    pub fn from_raw(value: u32) -> KernelResult<Self> {
        use Resource::*;
        const ALL: [Resource; RLIM_NLIMITS] = [
            Cpu, Fsize, Data, Stack, Core, Rss, Nproc, Nofile, Memlock, As, Locks, Sigpending,
            Msgqueue, Nice, Rtprio, Rttime,
        ];
        ALL.get(value as usize).copied().ok_or(Errno::EINVAL)
    }
}

/// One soft/hard pair (`struct rlimit64`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rlimit {
    /// The limit enforced (`rlim_cur`).
    pub soft: u64,
    /// The ceiling for the soft limit (`rlim_max`).
    pub hard: u64,
}

impl Rlimit {
    /// Both limits set to `value`.
    pub const fn fixed(value: u64) -> Self {
        Self {
            soft: value,
            hard: value,
        }
    }
}

/// Every resource's limit for one process; inherited across fork and exec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rlimits {
    limits: [Rlimit; RLIM_NLIMITS],
}

impl Default for Rlimits {
    /// Linux's boot defaults for init.
    fn default() -> Self {
        let mut limits = [Rlimit::fixed(RLIM_INFINITY); RLIM_NLIMITS];
        limits[Resource::Stack as usize].soft = 8 * 1024 * 1024;
        limits[Resource::Core as usize].soft = 0;
        limits[Resource::Nofile as usize] = Rlimit {
            soft: 1024,
            hard: 4096,
        };
        limits[Resource::Memlock as usize] = Rlimit::fixed(8 * 1024 * 1024);
        limits[Resource::Msgqueue as usize] = Rlimit::fixed(819_200);
        limits[Resource::Nice as usize] = Rlimit::fixed(0);
        limits[Resource::Rtprio as usize] = Rlimit::fixed(0);
        Self { limits }
    }
}

impl Rlimits {
    /// Init's limits on a system that allows `thread_max` threads: the
    /// defaults, with `RLIMIT_NPROC` and `RLIMIT_SIGPENDING` at half of it,
    /// soft and hard, as Linux's `set_max_threads` gives `init_task`.
    pub fn for_init(thread_max: usize) -> Self {
        let mut limits = Self::default();
        let half = Rlimit::fixed((thread_max / 2) as u64);
        limits.limits[Resource::Nproc as usize] = half;
        limits.limits[Resource::Sigpending as usize] = half;
        limits
    }

    /// The current limit for `resource`.
    pub fn get(&self, resource: Resource) -> Rlimit {
        self.limits[resource as usize]
    }

    /// `prlimit64`'s write half: install `new` and return the old limit.
    ///
    /// `EINVAL` if the soft limit exceeds the hard one; `EPERM` if an
    /// unprivileged caller raises the hard limit, or anyone raises the
    /// `RLIMIT_NOFILE` hard limit above [`NR_OPEN`].
    pub fn set(
        &mut self,
        resource: Resource,
        new: Rlimit,
        privileged: bool,
    ) -> KernelResult<Rlimit> {
        if new.soft > new.hard {
            return Err(Errno::EINVAL);
        }
        let old = self.get(resource);
        if new.hard > old.hard && !privileged {
            return Err(Errno::EPERM);
        }
        if resource == Resource::Nofile && new.hard > NR_OPEN {
            return Err(Errno::EPERM);
        }
        self.limits[resource as usize] = new;
        Ok(old)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_linux() {
        let r = Rlimits::default();
        assert_eq!(
            r.get(Resource::Nofile),
            Rlimit {
                soft: 1024,
                hard: 4096
            }
        );
        assert_eq!(
            r.get(Resource::Stack),
            Rlimit {
                soft: 8 << 20,
                hard: RLIM_INFINITY
            }
        );
        assert_eq!(r.get(Resource::Core).soft, 0);
    }

    #[test]
    fn init_gets_half_of_threads_max_for_nproc_and_sigpending() {
        let r = Rlimits::for_init(3863);
        assert_eq!(r.get(Resource::Nproc), Rlimit::fixed(1931));
        assert_eq!(r.get(Resource::Sigpending), Rlimit::fixed(1931));
        assert_eq!(
            r.get(Resource::Nofile),
            Rlimits::default().get(Resource::Nofile)
        );
    }

    #[test]
    fn unknown_resource_is_einval() {
        assert_eq!(Resource::from_raw(16), Err(Errno::EINVAL));
        assert_eq!(Resource::from_raw(7), Ok(Resource::Nofile));
    }

    #[test]
    fn soft_above_hard_is_einval() {
        let mut r = Rlimits::default();
        let bad = Rlimit { soft: 10, hard: 5 };
        assert_eq!(r.set(Resource::Nofile, bad, true), Err(Errno::EINVAL));
    }

    #[test]
    fn only_root_raises_hard_limit() {
        let mut r = Rlimits::default();
        let lower = Rlimit {
            soft: 100,
            hard: 200,
        };
        assert_eq!(
            r.set(Resource::Nofile, lower, false),
            Ok(Rlimit {
                soft: 1024,
                hard: 4096
            })
        );
        let raise = Rlimit {
            soft: 100,
            hard: 300,
        };
        assert_eq!(r.set(Resource::Nofile, raise, false), Err(Errno::EPERM));
        assert_eq!(r.set(Resource::Nofile, raise, true), Ok(lower));
        let huge = Rlimit::fixed(NR_OPEN + 1);
        assert_eq!(r.set(Resource::Nofile, huge, true), Err(Errno::EPERM));
    }
}
