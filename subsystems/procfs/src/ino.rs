//! Inode numbers: derived from what an entry names, so they are stable for
//! the life of the entry (every lookup of the same name gives the same
//! number) and unique across the file system.
//!
//! Layout of a per-process number, most significant bit first:
//!
//! ```text
//! | id + 1 (32 bits) | thread scope (1) | kind (7) | index (24) |
//! ```
//!
//! `id` is the pid (under `/proc/<pid>`) or the tid (under
//! `/proc/<pid>/task/<tid>`); pids and tids share one number space, and the
//! scope bit keeps a main thread's entries apart from its process's. The
//! index is the fd number for `fd/` and `fdinfo/` entries. Because `id + 1`
//! is at least 1, every per-process number is at least 2^32, above the
//! small fixed numbers of the root and the system files.

/// The root directory's inode number.
pub const ROOT_INO: u64 = 1;

/// Fd numbers this many or more do not fit the index field and are not
/// shown under `fd/` and `fdinfo/` (Linux's own ceiling, `nr_open`, is 2^20).
pub const MAX_SHOWN_FD: u32 = 1 << 24;

/// The fixed entries outside process directories.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SystemEntry {
    /// `/proc/self`.
    SelfLink,
    /// `/proc/thread-self`.
    ThreadSelfLink,
    /// `/proc/uptime`.
    Uptime,
    /// `/proc/loadavg`.
    Loadavg,
    /// `/proc/meminfo`.
    Meminfo,
    /// `/proc/cpuinfo`.
    Cpuinfo,
    /// `/proc/version`.
    Version,
    /// `/proc/mounts`.
    Mounts,
    /// `/proc/filesystems`.
    Filesystems,
    /// `/proc/stat`.
    Stat,
    /// `/proc/sys`.
    SysDir,
    /// `/proc/sys/kernel`.
    SysKernelDir,
    /// `/proc/sys/kernel/hostname`.
    Hostname,
    /// `/proc/sys/kernel/pid_max`.
    PidMax,
    /// `/proc/sys/kernel/core_pattern`.
    CorePattern,
    /// `/proc/profiling`: the sampling profiler's control and report.
    Profiling,
    /// `/proc/cmdline`.
    Cmdline,
    /// `/proc/sys/fs`.
    SysFsDir,
    /// `/proc/sys/kernel/threads-max`.
    ThreadsMax,
    /// `/proc/sys/fs/file-max`.
    FileMax,
    /// `/proc/sys/fs/file-nr`.
    FileNr,
    /// `/proc/sys/fs/inotify`.
    SysFsInotifyDir,
    /// `/proc/sys/fs/inotify/max_queued_events`.
    InotifyMaxQueuedEvents,
    /// `/proc/sys/fs/inotify/max_user_instances`.
    InotifyMaxUserInstances,
    /// `/proc/sys/fs/inotify/max_user_watches`.
    InotifyMaxUserWatches,
    /// `/proc/sys/kernel/seccomp`.
    SysKernelSeccompDir,
    /// `/proc/sys/kernel/seccomp/actions_avail`.
    SeccompActionsAvail,
    /// `/proc/sys/kernel/seccomp/actions_logged`.
    SeccompActionsLogged,
    /// `/proc/sysvipc`.
    SysvipcDir,
    /// `/proc/sysvipc/msg`.
    SysvipcMsg,
    /// `/proc/sysvipc/sem`.
    SysvipcSem,
    /// `/proc/sysvipc/shm`.
    SysvipcShm,
}

impl SystemEntry {
    /// The entry's inode number: small, fixed, never [`ROOT_INO`].
    pub const fn ino(self) -> u64 {
        2 + self as u64
    }
}

/// What an entry inside a process or thread directory is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProcessEntry {
    /// The `<pid>` or `task/<tid>` directory itself.
    Directory,
    /// `task/`.
    Task,
    /// `fd/`.
    FdDir,
    /// `fd/<n>`.
    FdLink,
    /// `fdinfo/`.
    FdinfoDir,
    /// `fdinfo/<n>`.
    FdinfoFile,
    /// `environ`.
    Environ,
    /// `status`.
    Status,
    /// `limits`.
    Limits,
    /// `comm`.
    Comm,
    /// `cmdline`.
    Cmdline,
    /// `stat`.
    Stat,
    /// `statm`.
    Statm,
    /// `maps`.
    Maps,
    /// `cwd`.
    Cwd,
    /// `root`.
    Root,
    /// `exe`.
    Exe,
    /// `mounts`.
    Mounts,
    /// `mem`.
    Mem,
    /// `mountinfo`.
    Mountinfo,
    /// `io`.
    Io,
    /// `oom_score_adj`.
    OomScoreAdj,
    /// `oom_score`.
    OomScore,
    /// `make-it-fail`.
    MakeItFail,
}

/// Whether an entry lives under `/proc/<pid>` or `/proc/<pid>/task/<tid>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Under `/proc/<pid>`; the id is the pid.
    Process(u32),
    /// Under `/proc/<pid>/task/<tid>`; the id is the tid.
    Thread(u32),
}

/// The inode number of `entry` in `scope`, with `index` the fd number for
/// fd entries (0 otherwise; only its low 24 bits count).
pub const fn process_ino(scope: Scope, entry: ProcessEntry, index: u32) -> u64 {
    let (id, thread_bit) = match scope {
        Scope::Process(pid) => (pid, 0),
        Scope::Thread(tid) => (tid, 1),
    };
    ((id as u64 + 1) << 32)
        | (thread_bit << 31)
        | ((entry as u64) << 24)
        | (index as u64 & (MAX_SHOWN_FD as u64 - 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    const ENTRIES: [ProcessEntry; 24] = [
        ProcessEntry::Directory,
        ProcessEntry::Task,
        ProcessEntry::FdDir,
        ProcessEntry::FdLink,
        ProcessEntry::FdinfoDir,
        ProcessEntry::FdinfoFile,
        ProcessEntry::Environ,
        ProcessEntry::Status,
        ProcessEntry::Limits,
        ProcessEntry::Comm,
        ProcessEntry::Cmdline,
        ProcessEntry::Stat,
        ProcessEntry::Statm,
        ProcessEntry::Maps,
        ProcessEntry::Cwd,
        ProcessEntry::Root,
        ProcessEntry::Exe,
        ProcessEntry::Mounts,
        ProcessEntry::Mem,
        ProcessEntry::Mountinfo,
        ProcessEntry::Io,
        ProcessEntry::OomScoreAdj,
        ProcessEntry::OomScore,
        ProcessEntry::MakeItFail,
    ];

    #[test]
    fn system_entries_never_collide_with_root_or_processes() {
        let all = [
            SystemEntry::SelfLink,
            SystemEntry::ThreadSelfLink,
            SystemEntry::Uptime,
            SystemEntry::Loadavg,
            SystemEntry::Meminfo,
            SystemEntry::Cpuinfo,
            SystemEntry::Version,
            SystemEntry::Mounts,
            SystemEntry::Filesystems,
            SystemEntry::Stat,
            SystemEntry::SysDir,
            SystemEntry::SysKernelDir,
            SystemEntry::Hostname,
            SystemEntry::PidMax,
            SystemEntry::CorePattern,
            SystemEntry::Profiling,
            SystemEntry::Cmdline,
            SystemEntry::SysFsDir,
            SystemEntry::ThreadsMax,
            SystemEntry::FileMax,
            SystemEntry::FileNr,
            SystemEntry::SysFsInotifyDir,
            SystemEntry::InotifyMaxQueuedEvents,
            SystemEntry::InotifyMaxUserInstances,
            SystemEntry::InotifyMaxUserWatches,
            SystemEntry::SysKernelSeccompDir,
            SystemEntry::SeccompActionsAvail,
            SystemEntry::SeccompActionsLogged,
            SystemEntry::SysvipcDir,
            SystemEntry::SysvipcMsg,
            SystemEntry::SysvipcSem,
            SystemEntry::SysvipcShm,
        ];
        let numbers: HashSet<u64> = all.iter().map(|entry| entry.ino()).collect();
        assert_eq!(numbers.len(), all.len());
        assert!(!numbers.contains(&ROOT_INO));
        let smallest_process = process_ino(Scope::Process(0), ProcessEntry::Directory, 0);
        assert!(numbers.iter().all(|&ino| ino < smallest_process));
    }

    proptest! {
        #[test]
        fn distinct_entries_get_distinct_numbers(
            a in (any::<u32>(), any::<bool>(), 0..ENTRIES.len(), 0..MAX_SHOWN_FD),
            b in (any::<u32>(), any::<bool>(), 0..ENTRIES.len(), 0..MAX_SHOWN_FD),
        ) {
            let make = |(id, thread, kind, index): (u32, bool, usize, u32)| {
                let scope = if thread { Scope::Thread(id) } else { Scope::Process(id) };
                (scope, ENTRIES[kind], index)
            };
            let (a, b) = (make(a), make(b));
            prop_assume!(a != b);
            prop_assert_ne!(process_ino(a.0, a.1, a.2), process_ino(b.0, b.1, b.2));
        }
    }
}
