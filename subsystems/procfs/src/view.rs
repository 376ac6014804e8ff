//! The read-only view of processes and of the system that procfs renders:
//! the traits a kernel implements ([`ProcessView`], [`ProcessInfo`]) and
//! the plain values they hand over.
//!
//! Every value here is a copy taken under the implementer's own locks, so a
//! file generated from one [`ProcessSnapshot`] is never torn between two
//! states of the process.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::{Errno, KernelResult};
use fs::{Custody, FileDescription, Owner};

/// Bytes in a page, the unit of `statm` and of the `rss` field of `stat`.
pub const PAGE_SIZE: u64 = 4096;

/// `RLIM_INFINITY`: a limit that is not one.
pub const RLIM_INFINITY: u64 = u64::MAX;

/// The number of resource limits Linux has (`RLIM_NLIMITS`).
pub const RLIMIT_COUNT: usize = 16;

/// The system: processes, memory, CPUs, mounts, host name. The kernel
/// implements it once over its process table and drivers; procfs holds it
/// as `Arc<dyn ProcessView>` and asks it on every lookup and open.
///
/// It must not own the VFS that mounts this procfs (that would be an `Arc`
/// cycle through the mount table).
pub trait ProcessView: Send + Sync {
    /// Every registered process, live or zombie, in increasing order; a
    /// process leaves this list when it is reaped.
    fn pids(&self) -> Vec<u32>;

    /// The smallest registered pid that is at least `from` (readdir resumes
    /// there). The default scans [`pids`](Self::pids); a kernel with an
    /// ordered pid index overrides it.
    fn next_pid(&self, from: u32) -> Option<u32> {
        self.pids().into_iter().filter(|&pid| pid >= from).min()
    }

    /// A number that moves whenever a process is registered or reaped, so
    /// that `/proc` and `/proc/<pid>` lookups may be cached while it stays
    /// the same; `None` (the default) if the kernel keeps none, and then
    /// nothing of procfs is cached.
    fn membership_generation(&self) -> Option<u64> {
        None
    }

    /// The process `pid`, or `None` once it has been reaped (or never was).
    fn process(&self, pid: u32) -> Option<Arc<dyn ProcessInfo>>;

    /// The calling thread, for `/proc/self`, `/proc/thread-self` and the
    /// access checks of magic links; `None` when no process is current
    /// (kernel context, which may inspect everything).
    fn current(&self) -> Option<Caller>;

    /// Counters and clocks for `uptime`, `loadavg`, `stat` and `pid_max`.
    fn system(&self) -> SystemInfo;

    /// Memory figures for `meminfo`, from the frame allocator and heap.
    fn meminfo(&self) -> MemInfo;

    /// One description per CPU for `cpuinfo` (from CPUID).
    fn cpus(&self) -> Vec<CpuDescription>;

    /// The `version` line without its newline (`Linux version ...`-style).
    fn version(&self) -> String;

    /// The kernel command line (`/proc/cmdline`), without its newline.
    fn command_line(&self) -> String {
        String::new()
    }

    /// The host name (`uname -n`).
    fn hostname(&self) -> Vec<u8>;

    /// Replaces the host name as the calling process: `EPERM` unless it is
    /// privileged, `EINVAL` if longer than 64 bytes. The default refuses.
    fn set_hostname(&self, _name: &[u8]) -> KernelResult<()> {
        Err(Errno::EPERM)
    }

    /// Where core files go (`sys/kernel/core_pattern`), `core` by default.
    fn core_pattern(&self) -> Vec<u8> {
        b"core".to_vec()
    }

    /// Sets a system-wide limit as the calling process: `EPERM` unless it
    /// is privileged, `EINVAL` out of range. The default refuses.
    fn set_system_limit(&self, _limit: SystemLimit, _value: u64) -> KernelResult<()> {
        Err(Errno::EPERM)
    }

    /// Replaces the core pattern as the calling process: `EPERM` unless it
    /// is privileged. The default refuses.
    fn set_core_pattern(&self, _pattern: &[u8]) -> KernelResult<()> {
        Err(Errno::EPERM)
    }

    /// Replaces the seccomp actions the kernel logs
    /// (`sys/kernel/seccomp/actions_logged`, space-separated names) as the
    /// calling process: `EPERM` unless it is privileged, `EINVAL` for a
    /// name seccomp does not log. The default refuses.
    fn set_seccomp_actions_logged(&self, _names: &[u8]) -> KernelResult<()> {
        Err(Errno::EPERM)
    }

    /// The sampling profiler's report (`/proc/profiling`); the default
    /// has no profiler (`ENODEV`).
    fn profile_report(&self) -> KernelResult<String> {
        Err(Errno::ENODEV)
    }

    /// One command to the sampling profiler, as written to
    /// `/proc/profiling` (`pid <n>`, `all`, `off`, `clear`): `EPERM` unless
    /// the caller is privileged. The default has no profiler (`ENODEV`).
    fn control_profiling(&self, _command: &[u8]) -> KernelResult<()> {
        Err(Errno::ENODEV)
    }

    /// The mount table as `/proc/mounts` lists it.
    fn mounts(&self) -> Vec<MountEntry>;

    /// The System V IPC objects (`/proc/sysvipc`); the default has none.
    fn sysv_ipc(&self) -> SysvIpc {
        SysvIpc::default()
    }

    /// File system types the kernel knows, for `/proc/filesystems`.
    fn filesystems(&self) -> Vec<FilesystemEntry>;
}

/// One process as procfs sees it. Implementations hold a weak reference or
/// an id, never a strong reference to the process: procfs keeps this object
/// alive for as long as a file under `/proc/<pid>` is open, and it must not
/// keep the process (or an `Arc` cycle) alive with it.
///
/// Methods that return a `KernelResult` give `ESRCH` once the process has
/// been reaped; the others return nothing or `None` then.
pub trait ProcessInfo: Send + Sync {
    /// Who owns the process's `/proc` entries: its effective uid and gid,
    /// or root's if the process is not dumpable, as on Linux.
    fn owner(&self) -> KernelResult<Owner>;

    /// One consistent copy of the process's state, taken under its locks.
    fn snapshot(&self) -> KernelResult<ProcessSnapshot>;

    /// The argument strings, each ending in NUL, as `cmdline` shows them;
    /// empty for zombies and kernel processes.
    fn cmdline(&self) -> KernelResult<Vec<u8>>;

    /// The environment strings, each ending in NUL; empty for zombies.
    fn environ(&self) -> KernelResult<Vec<u8>>;

    /// One line per memory region in Linux's `maps` format, without
    /// newlines (the mm crate's `Region` prints itself so); empty for
    /// zombies and kernel processes.
    fn maps(&self) -> KernelResult<Vec<String>>;

    /// Reads the process's memory at `address` for the calling process
    /// (`/proc/<pid>/mem`): `EPERM` without ptrace access to it, `EIO`
    /// where nothing can be read. Returns the bytes read (a read stops at
    /// the first page that cannot be). The default refuses.
    fn read_memory(&self, _address: u64, _buf: &mut [u8]) -> KernelResult<usize> {
        Err(Errno::EIO)
    }

    /// Writes the process's memory at `address` as a debugger does (read-
    /// only private pages included), with [`ProcessInfo::read_memory`]'s
    /// rules. The default refuses.
    fn write_memory(&self, _address: u64, _buf: &[u8]) -> KernelResult<usize> {
        Err(Errno::EIO)
    }

    /// The current directory.
    fn cwd(&self) -> Option<Custody>;

    /// The root directory (differs from `/` after `chroot`).
    fn root(&self) -> Option<Custody>;

    /// The executable that was last `execve`d.
    fn exe(&self) -> Option<Custody>;

    /// The open fds, in increasing order.
    fn fds(&self) -> Vec<u32>;

    /// The description behind fd `fd`, if it is open.
    fn fd(&self, fd: u32) -> Option<OpenFd>;

    /// `oom_score_adj` (-1000 to 1000) and `oom_score` (the out-of-memory
    /// killer's badness now, on Linux's 0 to 1333 scale).
    fn oom_scores(&self) -> KernelResult<(i16, u32)>;

    /// Sets `oom_score_adj` for the calling process: `EACCES` if it may
    /// not (another user's process, or a lower value without privilege).
    fn set_oom_score_adj(&self, adj: i16) -> KernelResult<()>;

    /// `make-it-fail`: whether fault injection may fail this process's
    /// kernel allocations. The default: never.
    fn make_it_fail(&self) -> KernelResult<bool> {
        Ok(false)
    }

    /// Sets `make-it-fail` (Linux wants `CAP_SYS_RESOURCE`: `EPERM`
    /// otherwise). The default refuses.
    fn set_make_it_fail(&self, _make_it_fail: bool) -> KernelResult<()> {
        Err(Errno::EPERM)
    }
}

/// The thread on whose behalf procfs is asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caller {
    /// Its process id.
    pub pid: u32,
    /// Its thread id.
    pub tid: u32,
    /// Its effective user id: the owner of a process (see
    /// [`ProcessInfo::owner`]), may follow and read that process's magic
    /// links and see its memory layout in `stat`, as Linux's
    /// `ptrace_may_access` allows.
    pub euid: u32,
    /// Whether it holds `CAP_SYS_PTRACE`, which may inspect any process.
    pub traces_any: bool,
}

/// An open fd: its description and the fd's own flag.
#[derive(Clone, Debug)]
pub struct OpenFd {
    /// The shared open file description.
    pub description: Arc<FileDescription>,
    /// Whether `FD_CLOEXEC` is set (shown as `O_CLOEXEC` in `fdinfo`).
    pub close_on_exec: bool,
}

/// A task's scheduling state, as the third field of `stat` encodes it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TaskState {
    /// `R (running)`: running or runnable.
    #[default]
    Running,
    /// `S (sleeping)`: interruptible sleep.
    Sleeping,
    /// `D (disk sleep)`: uninterruptible sleep.
    DiskSleep,
    /// `T (stopped)`: stopped by a signal.
    Stopped,
    /// `t (tracing stop)`: stopped by a tracer.
    TracingStop,
    /// `Z (zombie)`: exited, not yet reaped.
    Zombie,
    /// `X (dead)`: being reaped.
    Dead,
    /// `I (idle)`: an idle kernel thread.
    Idle,
}

impl TaskState {
    /// The one-letter code of `stat` and `ps`.
    pub const fn letter(self) -> char {
        match self {
            TaskState::Running => 'R',
            TaskState::Sleeping => 'S',
            TaskState::DiskSleep => 'D',
            TaskState::Stopped => 'T',
            TaskState::TracingStop => 't',
            TaskState::Zombie => 'Z',
            TaskState::Dead => 'X',
            TaskState::Idle => 'I',
        }
    }

    /// The `State:` line of `status`, as Linux spells it.
    pub const fn description(self) -> &'static str {
        match self {
            TaskState::Running => "R (running)",
            TaskState::Sleeping => "S (sleeping)",
            TaskState::DiskSleep => "D (disk sleep)",
            TaskState::Stopped => "T (stopped)",
            TaskState::TracingStop => "t (tracing stop)",
            TaskState::Zombie => "Z (zombie)",
            TaskState::Dead => "X (dead)",
            TaskState::Idle => "I (idle)",
        }
    }
}

/// Real, effective, saved and file-system ids (the `Uid:`/`Gid:` columns).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IdSet {
    /// Real id.
    pub real: u32,
    /// Effective id.
    pub effective: u32,
    /// Saved set-id.
    pub saved: u32,
    /// File-system id.
    pub filesystem: u32,
}

impl IdSet {
    /// All four ids equal to `id`.
    pub const fn all(id: u32) -> IdSet {
        IdSet {
            real: id,
            effective: id,
            saved: id,
            filesystem: id,
        }
    }
}

/// CPU time in clock ticks (`USER_HZ`, 100 per second).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuTimes {
    /// Ticks in user mode.
    pub user: u64,
    /// Ticks in kernel mode.
    pub system: u64,
}

/// Signal sets as bit masks (bit `n - 1` is signal `n`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SignalMasks {
    /// Pending for the whole process (`ShdPnd`).
    pub shared_pending: u64,
    /// Signals whose disposition is `SIG_IGN` (`SigIgn`).
    pub ignored: u64,
    /// Signals with a handler (`SigCgt`).
    pub caught: u64,
}

/// A soft and a hard limit; [`RLIM_INFINITY`] is unlimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rlimit {
    /// Soft limit (`rlim_cur`).
    pub soft: u64,
    /// Hard limit (`rlim_max`).
    pub hard: u64,
}

impl Default for Rlimit {
    fn default() -> Rlimit {
        Rlimit {
            soft: RLIM_INFINITY,
            hard: RLIM_INFINITY,
        }
    }
}

/// A process's memory, in bytes (addresses are user addresses). Kernel
/// processes and zombies have none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemoryStats {
    /// Mapped virtual memory (`VmSize`, `vsize`).
    pub size: u64,
    /// Largest `size` so far (`VmPeak`).
    pub peak: u64,
    /// Resident memory (`VmRSS`, `rss`).
    pub resident: u64,
    /// Largest `resident` so far (`VmHWM`).
    pub resident_peak: u64,
    /// Resident anonymous memory (`RssAnon`).
    pub resident_anonymous: u64,
    /// Resident file-backed memory (`RssFile`).
    pub resident_file: u64,
    /// Resident shared memory (`RssShmem`).
    pub resident_shared: u64,
    /// Locked memory (`VmLck`).
    pub locked: u64,
    /// Private writable non-stack mappings (`VmData`).
    pub data: u64,
    /// The stack (`VmStk`).
    pub stack: u64,
    /// The program text (`VmExe`).
    pub text: u64,
    /// Shared libraries' text (`VmLib`).
    pub libraries: u64,
    /// Page tables (`VmPTE`).
    pub page_tables: u64,
    /// Start of the program text.
    pub start_code: u64,
    /// End of the program text.
    pub end_code: u64,
    /// Start of initialised data.
    pub start_data: u64,
    /// End of initialised data.
    pub end_data: u64,
    /// Start of the heap (`brk` at exec).
    pub start_brk: u64,
    /// Bottom (highest address) of the main stack.
    pub start_stack: u64,
    /// Start of the argument strings.
    pub arg_start: u64,
    /// End of the argument strings.
    pub arg_end: u64,
    /// Start of the environment strings.
    pub env_start: u64,
    /// End of the environment strings.
    pub env_end: u64,
}

/// One thread of a process.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ThreadSnapshot {
    /// Thread id.
    pub tid: u32,
    /// The thread's name (`comm`); the process name if it has none.
    pub name: String,
    /// Scheduling state.
    pub state: TaskState,
    /// CPU time this thread used.
    pub times: CpuTimes,
    /// The CPU it last ran on.
    pub processor: u32,
    /// Signals pending for this thread only (`SigPnd`).
    pub pending: u64,
    /// The thread's signal mask (`SigBlk`).
    pub blocked: u64,
    /// Voluntary context switches.
    pub voluntary_switches: u64,
    /// Involuntary context switches.
    pub involuntary_switches: u64,
    /// Its seccomp mode: 0 none, 1 strict, 2 filter (`Seccomp`).
    pub seccomp_mode: u32,
    /// How many seccomp filters apply to it (`Seccomp_filters`).
    pub seccomp_filters: usize,
}

/// A process's capability sets, one bit per capability number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CapabilitySets {
    /// Inheritable.
    pub inheritable: u64,
    /// Permitted.
    pub permitted: u64,
    /// Effective.
    pub effective: u64,
    /// Bounding.
    pub bounding: u64,
    /// Ambient.
    pub ambient: u64,
}

/// One consistent copy of a process, taken by [`ProcessInfo::snapshot`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProcessSnapshot {
    /// Process id.
    pub pid: u32,
    /// Parent's pid (0 for init).
    pub ppid: u32,
    /// Process group.
    pub pgid: u32,
    /// Session.
    pub sid: u32,
    /// Controlling terminal as Linux encodes a device (`makedev`), 0 if none.
    pub tty_nr: u32,
    /// The terminal's foreground process group, -1 if no terminal.
    pub tpgid: i32,
    /// The name (`comm`, at most 15 bytes shown).
    pub name: String,
    /// The process's state (its main thread's, or zombie).
    pub state: TaskState,
    /// User ids.
    pub uid: IdSet,
    /// Group ids.
    pub gid: IdSet,
    /// Supplementary groups.
    pub groups: Vec<u32>,
    /// The file mode creation mask.
    pub umask: u32,
    /// Linux `PF_*` flags (`PF_KTHREAD` 0x0020_0000 marks kernel processes).
    pub flags: u32,
    /// CPU time of all threads together.
    pub times: CpuTimes,
    /// CPU time of waited-for children.
    pub children_times: CpuTimes,
    /// Minor page faults.
    pub minor_faults: u64,
    /// Minor faults of waited-for children.
    pub children_minor_faults: u64,
    /// Major page faults.
    pub major_faults: u64,
    /// Major faults of waited-for children.
    pub children_major_faults: u64,
    /// Scheduling priority as `stat` shows it (20 for nice 0).
    pub priority: i32,
    /// Nice value, -20..=19.
    pub nice: i32,
    /// When it started, in clock ticks since boot.
    pub start_ticks: u64,
    /// Memory, `None` for kernel processes and zombies.
    pub memory: Option<MemoryStats>,
    /// Process-wide signal sets.
    pub signals: SignalMasks,
    /// Threads, main thread first; empty for a zombie.
    pub threads: Vec<ThreadSnapshot>,
    /// The signal sent to the parent at exit (17, `SIGCHLD`, normally).
    pub exit_signal: i32,
    /// For a zombie, its wait status; 0 otherwise.
    pub exit_code: i32,
    /// The tracer's pid, 0 if not traced.
    pub tracer_pid: u32,
    /// Slots in the fd table (`FDSize`).
    pub fd_table_size: u32,
    /// Resource limits, indexed by Linux's `RLIMIT_*` numbers.
    pub rlimits: [Rlimit; RLIMIT_COUNT],
    /// `PR_SET_NO_NEW_PRIVS` (`NoNewPrivs`).
    pub no_new_privs: bool,
    /// The capability sets (`CapInh` to `CapAmb`).
    pub capabilities: CapabilitySets,
    /// Bytes and calls read and written (`io`).
    pub io: IoStats,
}

/// What `/proc/<pid>/io` shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IoStats {
    /// Bytes read by read-like calls (`rchar`).
    pub read_chars: u64,
    /// Bytes written by write-like calls (`wchar`).
    pub written_chars: u64,
    /// Read-like calls (`syscr`).
    pub read_calls: u64,
    /// Write-like calls (`syscw`).
    pub write_calls: u64,
    /// Bytes fetched from storage (`read_bytes`; 0 for memory file systems).
    pub storage_read_bytes: u64,
    /// Bytes sent to storage (`write_bytes`).
    pub storage_write_bytes: u64,
}

impl ProcessSnapshot {
    /// The thread `tid`, if the process has it.
    pub fn thread(&self, tid: u32) -> Option<&ThreadSnapshot> {
        self.threads.iter().find(|thread| thread.tid == tid)
    }

    /// The main thread (the one whose tid is the pid), else the first one.
    pub fn main_thread(&self) -> Option<&ThreadSnapshot> {
        self.thread(self.pid).or(self.threads.first())
    }
}

/// A system-wide limit `/proc/sys` sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SystemLimit {
    /// `sys/kernel/threads-max`.
    ThreadsMax,
    /// `sys/fs/file-max`.
    FileMax,
    /// `sys/fs/inotify/max_queued_events`.
    InotifyMaxQueuedEvents,
    /// `sys/fs/inotify/max_user_instances`.
    InotifyMaxUserInstances,
    /// `sys/fs/inotify/max_user_watches`.
    InotifyMaxUserWatches,
}

/// Clocks and counters of the whole system.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SystemInfo {
    /// Time since boot, in hundredths of a second.
    pub uptime_centiseconds: u64,
    /// Idle time summed over CPUs, in hundredths of a second.
    pub idle_centiseconds: u64,
    /// Boot time, seconds since the epoch (`btime`).
    pub boot_time: u64,
    /// Load averages over 1, 5 and 15 minutes, in hundredths.
    pub load_centis: [u64; 3],
    /// Runnable threads now (`procs_running`).
    pub running: u32,
    /// Threads in uninterruptible sleep (`procs_blocked`).
    pub blocked: u32,
    /// Threads in the system.
    pub threads: u32,
    /// The most recently allocated pid.
    pub last_pid: u32,
    /// The largest pid plus one (`pid_max`).
    pub pid_max: u32,
    /// The system-wide thread limit (`sys/kernel/threads-max`).
    pub threads_max: u64,
    /// The system-wide limit on open file descriptions (`sys/fs/file-max`).
    pub file_max: u64,
    /// Open file descriptions now (`sys/fs/file-nr`'s first field).
    pub open_files: u64,
    /// Context switches since boot (`ctxt`).
    pub context_switches: u64,
    /// Processes and threads created since boot (`processes`).
    pub forks: u64,
    /// Interrupts serviced since boot (`intr`).
    pub interrupts: u64,
    /// Per-CPU time, one entry per CPU.
    pub cpu_times: Vec<CpuTicks>,
}

/// One CPU's time in clock ticks, as the `cpu` lines of `/proc/stat` list it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuTicks {
    /// Normal user mode.
    pub user: u64,
    /// Niced user mode.
    pub nice: u64,
    /// Kernel mode.
    pub system: u64,
    /// Idle.
    pub idle: u64,
    /// Waiting for I/O.
    pub iowait: u64,
    /// Servicing interrupts.
    pub irq: u64,
    /// Servicing soft interrupts.
    pub softirq: u64,
}

/// The System V IPC objects, each with its identifier and status, as
/// `/proc/sysvipc/{shm,msg,sem}` list them.
#[derive(Clone, Debug, Default)]
pub struct SysvIpc {
    /// Shared-memory segments, with the bytes of each in memory.
    pub shm: Vec<(i32, ipc::ShmidDs, u64)>,
    /// Message queues.
    pub msg: Vec<(i32, ipc::MsqidDs)>,
    /// Semaphore sets.
    pub sem: Vec<(i32, ipc::SemidDs)>,
}

/// Memory figures in bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemInfo {
    /// Usable physical memory (`MemTotal`).
    pub total: u64,
    /// Free frames (`MemFree`).
    pub free: u64,
    /// Memory available for new work without swapping (`MemAvailable`).
    pub available: u64,
    /// File data in memory: tmpfs and the page cache (`Cached`).
    pub cached: u64,
    /// Shared memory and tmpfs (`Shmem`).
    pub shared: u64,
    /// Anonymous user pages (`AnonPages`).
    pub anonymous: u64,
    /// Kernel heap in use (`Slab`, all unreclaimable).
    pub kernel_heap: u64,
    /// Kernel stacks (`KernelStack`).
    pub kernel_stacks: u64,
    /// Page tables (`PageTables`).
    pub page_tables: u64,
    /// Memory promised to processes (`Committed_AS`).
    pub committed: u64,
}

/// One CPU as `cpuinfo` describes it (values from CPUID).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CpuDescription {
    /// `GenuineIntel`, `AuthenticAMD`, ...
    pub vendor_id: String,
    /// Family (with the extended family added, as Linux shows it).
    pub family: u32,
    /// Model (with the extended model).
    pub model: u32,
    /// The brand string.
    pub model_name: String,
    /// Stepping.
    pub stepping: u32,
    /// Clock in kHz (shown as MHz with three decimals).
    pub khz: u64,
    /// Last-level cache size in KiB.
    pub cache_size_kb: u32,
    /// Local APIC id.
    pub apic_id: u32,
    /// The highest standard CPUID leaf.
    pub cpuid_level: u32,
    /// Feature flags, lower case, Linux's names (`fpu`, `sse2`, ...).
    pub flags: Vec<String>,
    /// `clflush` line size in bytes.
    pub clflush_size: u32,
    /// Physical address bits.
    pub physical_address_bits: u32,
    /// Virtual address bits.
    pub virtual_address_bits: u32,
}

/// One mounted file system, as a line of `/proc/mounts` and
/// `/proc/<pid>/mountinfo`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MountEntry {
    /// Mount id (`mountinfo`'s first field).
    pub id: u32,
    /// The id of the mount it sits on (its own id for the root).
    pub parent_id: u32,
    /// The device number of its files (`st_dev`), shown as major:minor.
    pub dev: u64,
    /// The source (`proc`, `tmpfs`, `/dev/sda1`).
    pub source: String,
    /// Where it is mounted.
    pub mount_point: String,
    /// The file system type (`proc`, `tmpfs`).
    pub fs_type: String,
    /// Comma-separated options (`rw,nosuid`).
    pub options: String,
}

/// A known file system type, as a line of `/proc/filesystems`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FilesystemEntry {
    /// The type name.
    pub name: String,
    /// Whether it needs a block device (else it is listed as `nodev`).
    pub needs_device: bool,
}
