//! Process and system structures: `rusage`, `rlimit`, `sysinfo`,
//! `utsname`.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::Timeval;

/// Linux's `struct rusage` (144 bytes).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct Rusage {
    /// User CPU time.
    pub utime: Timeval,
    /// System CPU time.
    pub stime: Timeval,
    /// Peak resident set, KiB.
    pub maxrss: i64,
    /// Unused by Linux.
    pub ixrss: i64,
    /// Unused by Linux.
    pub idrss: i64,
    /// Unused by Linux.
    pub isrss: i64,
    /// Page faults served without I/O.
    pub minflt: i64,
    /// Page faults that needed I/O.
    pub majflt: i64,
    /// Unused by Linux.
    pub nswap: i64,
    /// Blocks read.
    pub inblock: i64,
    /// Blocks written.
    pub oublock: i64,
    /// Unused by Linux.
    pub msgsnd: i64,
    /// Unused by Linux.
    pub msgrcv: i64,
    /// Unused by Linux.
    pub nsignals: i64,
    /// Voluntary context switches.
    pub nvcsw: i64,
    /// Involuntary context switches.
    pub nivcsw: i64,
}

/// `getrusage`/`wait4` targets.
pub mod rusage_who {
    /// The calling process.
    pub const RUSAGE_SELF: i32 = 0;
    /// Its waited-for children.
    pub const RUSAGE_CHILDREN: i32 = -1;
    /// The calling thread.
    pub const RUSAGE_THREAD: i32 = 1;
}

/// Linux's `struct rlimit` (`rlimit64` is the same on x86_64).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct RawRlimit {
    /// Soft limit.
    pub current: u64,
    /// Hard limit.
    pub max: u64,
}

/// Linux's `struct sysinfo` (112 bytes).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct Sysinfo {
    /// Seconds since boot.
    pub uptime: i64,
    /// 1, 5 and 15 minute load averages, scaled by 65536.
    pub loads: [u64; 3],
    /// Total usable memory, in `mem_unit`s.
    pub totalram: u64,
    /// Free memory.
    pub freeram: u64,
    /// Shared memory.
    pub sharedram: u64,
    /// Buffer memory.
    pub bufferram: u64,
    /// Swap size.
    pub totalswap: u64,
    /// Free swap.
    pub freeswap: u64,
    /// Number of processes.
    pub procs: u16,
    /// Padding.
    pub pad: [u16; 3],
    /// High memory size.
    pub totalhigh: u64,
    /// Free high memory.
    pub freehigh: u64,
    /// Unit of the memory fields, bytes.
    pub mem_unit: u32,
    /// Padding.
    pub padding: u32,
}

/// Length of each `utsname` field, NUL included.
pub const UTS_FIELD: usize = 65;

/// Linux's `struct new_utsname`: six NUL-padded 65-byte fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct Utsname {
    /// Operating-system name (`Linux`, for compatibility).
    pub sysname: [u8; UTS_FIELD],
    /// Host name.
    pub nodename: [u8; UTS_FIELD],
    /// Release.
    pub release: [u8; UTS_FIELD],
    /// Version.
    pub version: [u8; UTS_FIELD],
    /// Machine (`x86_64`).
    pub machine: [u8; UTS_FIELD],
    /// NIS domain name.
    pub domainname: [u8; UTS_FIELD],
}

/// `struct sched_attr` (`sched_setattr`, `sched_getattr`), as Linux 6.1
/// has it (`SCHED_ATTR_SIZE_VER1`; version 0 ends before `util_min`).
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct SchedAttr {
    /// The structure's size as the caller knows it.
    pub size: u32,
    /// The policy (`SCHED_OTHER`, `SCHED_FIFO`, ...).
    pub policy: u32,
    /// `SCHED_FLAG_*`.
    pub flags: u64,
    /// The nice value, for the fair policies.
    pub nice: i32,
    /// The static priority, for the real-time policies.
    pub priority: u32,
    /// `SCHED_DEADLINE`'s runtime, in ns.
    pub runtime: u64,
    /// `SCHED_DEADLINE`'s deadline, in ns.
    pub deadline: u64,
    /// `SCHED_DEADLINE`'s period, in ns.
    pub period: u64,
    /// The utilisation clamp's floor.
    pub util_min: u32,
    /// The utilisation clamp's ceiling.
    pub util_max: u32,
}

/// `SCHED_ATTR_SIZE_VER0`: the smallest `sched_attr` a caller may pass.
pub const SCHED_ATTR_SIZE_VER0: usize = 48;

static_assertions::assert_eq_size!(Rusage, [u8; 144]);
static_assertions::assert_eq_size!(SchedAttr, [u8; 56]);
static_assertions::const_assert_eq!(core::mem::offset_of!(Rusage, maxrss), 32);
static_assertions::assert_eq_size!(RawRlimit, [u8; 16]);
static_assertions::assert_eq_size!(Sysinfo, [u8; 112]);
static_assertions::const_assert_eq!(core::mem::offset_of!(Sysinfo, procs), 80);
static_assertions::const_assert_eq!(core::mem::offset_of!(Sysinfo, mem_unit), 104);
static_assertions::assert_eq_size!(Utsname, [u8; 390]);
