//! POSIX capabilities (`capability.h`): the numbers, the sets a process
//! holds (one bit each, as Linux's `kernel_cap_t`), and the
//! `capget`/`capset` header and data layouts.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// One capability, by Linux's number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Capability(pub u32);

macro_rules! capabilities {
    ($($(#[$doc:meta])* $name:ident = $value:expr;)*) => {
        $($(#[$doc])* pub const $name: Capability = Capability($value);)*
    };
}

capabilities! {
    /// Change any file's owner and group.
    CAP_CHOWN = 0;
    /// Bypass read, write and execute permission checks.
    CAP_DAC_OVERRIDE = 1;
    /// Bypass read checks on files and read and search checks on directories.
    CAP_DAC_READ_SEARCH = 2;
    /// Act as the owner of any file (mode, times, sticky directories).
    CAP_FOWNER = 3;
    /// Keep set-user-id and set-group-id bits when changing a file.
    CAP_FSETID = 4;
    /// Signal any process.
    CAP_KILL = 5;
    /// Set any group id, and the supplementary groups.
    CAP_SETGID = 6;
    /// Set any user id.
    CAP_SETUID = 7;
    /// Change the bounding set and grant inheritable capabilities.
    CAP_SETPCAP = 8;
    /// Set immutable and append-only file flags.
    CAP_LINUX_IMMUTABLE = 9;
    /// Bind ports below 1024.
    CAP_NET_BIND_SERVICE = 10;
    /// Broadcast and listen to multicast.
    CAP_NET_BROADCAST = 11;
    /// Network administration.
    CAP_NET_ADMIN = 12;
    /// Raw and packet sockets.
    CAP_NET_RAW = 13;
    /// Lock memory beyond `RLIMIT_MEMLOCK`.
    CAP_IPC_LOCK = 14;
    /// Bypass System V IPC permission checks.
    CAP_IPC_OWNER = 15;
    /// Load kernel modules.
    CAP_SYS_MODULE = 16;
    /// Raw I/O.
    CAP_SYS_RAWIO = 17;
    /// `chroot`.
    CAP_SYS_CHROOT = 18;
    /// Trace any process.
    CAP_SYS_PTRACE = 19;
    /// Process accounting.
    CAP_SYS_PACCT = 20;
    /// System administration: mounts, host name, `trusted.` attributes, ...
    CAP_SYS_ADMIN = 21;
    /// `reboot`.
    CAP_SYS_BOOT = 22;
    /// Raise priorities, set other processes' priorities and affinities.
    CAP_SYS_NICE = 23;
    /// Override resource limits.
    CAP_SYS_RESOURCE = 24;
    /// Set the system clock.
    CAP_SYS_TIME = 25;
    /// Configure terminals (`vhangup`, ...).
    CAP_SYS_TTY_CONFIG = 26;
    /// Make device nodes.
    CAP_MKNOD = 27;
    /// File leases.
    CAP_LEASE = 28;
    /// Write the audit log.
    CAP_AUDIT_WRITE = 29;
    /// Configure auditing.
    CAP_AUDIT_CONTROL = 30;
    /// Set file capabilities.
    CAP_SETFCAP = 31;
    /// Override mandatory access control.
    CAP_MAC_OVERRIDE = 32;
    /// Configure mandatory access control.
    CAP_MAC_ADMIN = 33;
    /// Privileged `syslog` operations.
    CAP_SYSLOG = 34;
    /// Wake-up alarms.
    CAP_WAKE_ALARM = 35;
    /// Block system suspend.
    CAP_BLOCK_SUSPEND = 36;
    /// Read the audit log.
    CAP_AUDIT_READ = 37;
    /// Performance monitoring.
    CAP_PERFMON = 38;
    /// BPF.
    CAP_BPF = 39;
    /// Checkpoint and restore.
    CAP_CHECKPOINT_RESTORE = 40;
}

/// The highest capability number (Linux 6.1's `CAP_LAST_CAP`).
pub const CAP_LAST_CAP: u32 = 40;

impl Capability {
    /// The capability numbered `number`, if it exists.
    pub fn new(number: u64) -> Option<Capability> {
        (number <= u64::from(CAP_LAST_CAP)).then_some(Capability(number as u32))
    }
}

/// A set of capabilities.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct CapSet(u64);

impl CapSet {
    /// No capability.
    pub const EMPTY: CapSet = CapSet(0);
    /// Every capability.
    pub const FULL: CapSet = CapSet((1 << (CAP_LAST_CAP + 1)) - 1);
    /// What a change of the file-system uid to or from 0 raises or drops
    /// (Linux's `CAP_FS_SET`).
    pub const FILE_SYSTEM: CapSet = CapSet(
        1 << CAP_CHOWN.0
            | 1 << CAP_DAC_OVERRIDE.0
            | 1 << CAP_DAC_READ_SEARCH.0
            | 1 << CAP_FOWNER.0
            | 1 << CAP_FSETID.0
            | 1 << CAP_LINUX_IMMUTABLE.0
            | 1 << CAP_MKNOD.0
            | 1 << CAP_MAC_OVERRIDE.0,
    );

    /// The set with these bits, those past [`CAP_LAST_CAP`] dropped.
    pub const fn from_bits_truncate(bits: u64) -> CapSet {
        CapSet(bits & CapSet::FULL.0)
    }

    /// The set from `capget`'s two 32-bit words.
    pub const fn from_words(low: u32, high: u32) -> CapSet {
        CapSet::from_bits_truncate((high as u64) << 32 | low as u64)
    }

    /// The bits, one per capability number.
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// Whether `cap` is in the set.
    pub const fn contains(self, cap: Capability) -> bool {
        self.0 & (1 << cap.0) != 0
    }

    /// The set with `cap` added.
    #[must_use]
    pub const fn with(self, cap: Capability) -> CapSet {
        CapSet(self.0 | 1 << cap.0)
    }

    /// The set with `cap` removed.
    #[must_use]
    pub const fn without(self, cap: Capability) -> CapSet {
        CapSet(self.0 & !(1 << cap.0))
    }

    /// Both sets' capabilities.
    #[must_use]
    pub const fn union(self, other: CapSet) -> CapSet {
        CapSet(self.0 | other.0)
    }

    /// The capabilities in both sets.
    #[must_use]
    pub const fn intersection(self, other: CapSet) -> CapSet {
        CapSet(self.0 & other.0)
    }

    /// This set without `other`'s capabilities.
    #[must_use]
    pub const fn difference(self, other: CapSet) -> CapSet {
        CapSet(self.0 & !other.0)
    }

    /// Whether every capability here is also in `other`.
    pub const fn is_subset_of(self, other: CapSet) -> bool {
        self.0 & !other.0 == 0
    }
}

/// `_LINUX_CAPABILITY_VERSION_1`: one 32-bit word per set.
pub const LINUX_CAPABILITY_VERSION_1: u32 = 0x1998_0330;
/// `_LINUX_CAPABILITY_VERSION_2` (deprecated, read as version 3).
pub const LINUX_CAPABILITY_VERSION_2: u32 = 0x2007_1026;
/// `_LINUX_CAPABILITY_VERSION_3`: two 32-bit words per set.
pub const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;

/// `struct __user_cap_header_struct`.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct CapUserHeader {
    /// One of the `LINUX_CAPABILITY_VERSION_*`.
    pub version: u32,
    /// The process asked about (0: the caller).
    pub pid: i32,
}

/// `struct __user_cap_data_struct`: one 32-bit word of each set.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct CapUserData {
    /// The effective set's word.
    pub effective: u32,
    /// The permitted set's word.
    pub permitted: u32,
    /// The inheritable set's word.
    pub inheritable: u32,
}

/// How many [`CapUserData`] words `version` uses; `None` for a version
/// Linux does not know.
pub fn capability_words(version: u32) -> Option<usize> {
    match version {
        LINUX_CAPABILITY_VERSION_1 => Some(1),
        LINUX_CAPABILITY_VERSION_2 | LINUX_CAPABILITY_VERSION_3 => Some(2),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_hold_the_numbers_linux_uses() {
        assert_eq!(CapSet::FULL.bits(), 0x1ff_ffff_ffff);
        assert!(CapSet::FULL.contains(CAP_CHECKPOINT_RESTORE));
        assert_eq!(CapSet::from_words(u32::MAX, u32::MAX), CapSet::FULL);
        let set = CapSet::EMPTY.with(CAP_KILL).with(CAP_MAC_OVERRIDE);
        assert_eq!(set.bits(), 1 << 5 | 1 << 32);
        assert!(set.is_subset_of(CapSet::FULL));
        assert!(!CapSet::FULL.is_subset_of(set));
        assert_eq!(
            set.without(CAP_KILL).difference(CapSet::FILE_SYSTEM),
            CapSet::EMPTY
        );
        assert_eq!(Capability::new(41), None);
        assert_eq!(capability_words(0x1234), None);
        assert_eq!(size_of::<CapUserData>(), 12);
    }
}
