//! Directories: the root, `sys/` and `sys/kernel/`, and per process the
//! `<pid>` directory, `task/`, `task/<tid>/`, `fd/` and `fdinfo/`.
//!
//! A directory lists `.` and `..`, then its fixed entries, then its
//! numbered ones (pids, tids, fds) in increasing order. Readdir cookies
//! are `2 + fixed entries + number`, so a cookie stays valid while
//! processes, threads and fds come and go: listing resumes at the first
//! number still present at or after it.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::any::Any;

use abi::{Errno, KernelResult};
use fs::{DirEntry, FileType, Inode, InodeId, Owner, Stat};

use crate::context::{Attributes, Context};
use crate::generated::{GeneratedFile, Source};
use crate::ino::{MAX_SHOWN_FD, ProcessEntry, ROOT_INO, Scope, SystemEntry, process_ino};
use crate::link::{LinkTarget, ProcLink};
use crate::view::ProcessInfo;

/// Which directory an inode is.
pub enum DirectoryKind {
    /// `/proc`.
    Root,
    /// `/proc/sys`.
    Sys,
    /// `/proc/sys/kernel`.
    SysKernel,
    /// `/proc/sys/fs`.
    SysFs,
    /// `/proc/sys/fs/inotify`.
    SysFsInotify,
    /// `/proc/sys/kernel/seccomp`.
    SysKernelSeccomp,
    /// `/proc/sysvipc`.
    Sysvipc,
    /// `/proc/<pid>` (scope `Process`) or `/proc/<pid>/task/<tid>` (scope `Thread`).
    Process(Arc<dyn ProcessInfo>, Scope),
    /// `/proc/<pid>/task`.
    Task(Arc<dyn ProcessInfo>),
    /// `fd/` of a process or thread.
    Fd(Arc<dyn ProcessInfo>, Scope),
    /// `fdinfo/` of a process or thread.
    Fdinfo(Arc<dyn ProcessInfo>, Scope),
}

/// A procfs directory.
pub struct ProcDirectory {
    context: Arc<Context>,
    attributes: Attributes,
    kind: DirectoryKind,
}

/// Entries of the root besides the pids, in listing order.
const ROOT_ENTRIES: [(&str, SystemEntry); 14] = [
    ("self", SystemEntry::SelfLink),
    ("thread-self", SystemEntry::ThreadSelfLink),
    ("uptime", SystemEntry::Uptime),
    ("loadavg", SystemEntry::Loadavg),
    ("meminfo", SystemEntry::Meminfo),
    ("cpuinfo", SystemEntry::Cpuinfo),
    ("version", SystemEntry::Version),
    ("mounts", SystemEntry::Mounts),
    ("filesystems", SystemEntry::Filesystems),
    ("stat", SystemEntry::Stat),
    ("sys", SystemEntry::SysDir),
    ("sysvipc", SystemEntry::SysvipcDir),
    ("profiling", SystemEntry::Profiling),
    ("cmdline", SystemEntry::Cmdline),
];

const SYS_ENTRIES: [(&str, SystemEntry); 2] = [
    ("fs", SystemEntry::SysFsDir),
    ("kernel", SystemEntry::SysKernelDir),
];

const SYS_KERNEL_ENTRIES: [(&str, SystemEntry); 5] = [
    ("core_pattern", SystemEntry::CorePattern),
    ("hostname", SystemEntry::Hostname),
    ("pid_max", SystemEntry::PidMax),
    ("seccomp", SystemEntry::SysKernelSeccompDir),
    ("threads-max", SystemEntry::ThreadsMax),
];

const SYS_KERNEL_SECCOMP_ENTRIES: [(&str, SystemEntry); 2] = [
    ("actions_avail", SystemEntry::SeccompActionsAvail),
    ("actions_logged", SystemEntry::SeccompActionsLogged),
];

const SYSVIPC_ENTRIES: [(&str, SystemEntry); 3] = [
    ("msg", SystemEntry::SysvipcMsg),
    ("sem", SystemEntry::SysvipcSem),
    ("shm", SystemEntry::SysvipcShm),
];

const SYS_FS_ENTRIES: [(&str, SystemEntry); 3] = [
    ("file-max", SystemEntry::FileMax),
    ("file-nr", SystemEntry::FileNr),
    ("inotify", SystemEntry::SysFsInotifyDir),
];

const SYS_FS_INOTIFY_ENTRIES: [(&str, SystemEntry); 3] = [
    ("max_queued_events", SystemEntry::InotifyMaxQueuedEvents),
    ("max_user_instances", SystemEntry::InotifyMaxUserInstances),
    ("max_user_watches", SystemEntry::InotifyMaxUserWatches),
];

/// Entries of a process directory in Linux's order; a thread directory
/// has all but `task`.
const PROCESS_ENTRIES: [(&str, ProcessEntry); 21] = [
    ("task", ProcessEntry::Task),
    ("fd", ProcessEntry::FdDir),
    ("fdinfo", ProcessEntry::FdinfoDir),
    ("environ", ProcessEntry::Environ),
    ("status", ProcessEntry::Status),
    ("limits", ProcessEntry::Limits),
    ("comm", ProcessEntry::Comm),
    ("cmdline", ProcessEntry::Cmdline),
    ("stat", ProcessEntry::Stat),
    ("statm", ProcessEntry::Statm),
    ("maps", ProcessEntry::Maps),
    ("cwd", ProcessEntry::Cwd),
    ("root", ProcessEntry::Root),
    ("exe", ProcessEntry::Exe),
    ("mounts", ProcessEntry::Mounts),
    ("mountinfo", ProcessEntry::Mountinfo),
    ("io", ProcessEntry::Io),
    ("mem", ProcessEntry::Mem),
    ("oom_score", ProcessEntry::OomScore),
    ("oom_score_adj", ProcessEntry::OomScoreAdj),
    ("make-it-fail", ProcessEntry::MakeItFail),
];

/// The root's owner.
const ROOT_OWNER: Owner = Owner { uid: 0, gid: 0 };

/// Parses a directory name as a pid, tid or fd the way Linux does: plain
/// decimal digits, no sign, no leading zero (so `01` is not `1`).
fn parse_number(name: &str) -> Option<u32> {
    let canonical = !name.is_empty()
        && name.bytes().all(|byte| byte.is_ascii_digit())
        && (name == "0" || !name.starts_with('0'));
    if canonical { name.parse().ok() } else { None }
}

impl ProcDirectory {
    /// The root directory of a procfs over `context`.
    pub fn root(context: Arc<Context>) -> ProcDirectory {
        let attributes =
            Attributes::new(&context, ROOT_INO, FileType::Directory, 0o555, ROOT_OWNER);
        ProcDirectory {
            context,
            attributes,
            kind: DirectoryKind::Root,
        }
    }

    fn inode(
        context: &Arc<Context>,
        attributes: Attributes,
        kind: DirectoryKind,
    ) -> Arc<dyn Inode> {
        Arc::new(ProcDirectory {
            context: context.clone(),
            attributes,
            kind,
        })
    }

    /// The system entry `entry` (never the root).
    fn system_inode(&self, entry: SystemEntry) -> Arc<dyn Inode> {
        let context = &self.context;
        let attributes =
            |file_type, perm| Attributes::new(context, entry.ino(), file_type, perm, ROOT_OWNER);
        let link = |target| -> Arc<dyn Inode> {
            Arc::new(ProcLink::new(
                context.clone(),
                attributes(FileType::Symlink, 0o777),
                target,
            ))
        };
        match entry {
            SystemEntry::SelfLink => link(LinkTarget::CurrentProcess),
            SystemEntry::ThreadSelfLink => link(LinkTarget::CurrentThread),
            SystemEntry::Mounts => link(LinkTarget::Text("self/mounts")),
            SystemEntry::SysDir => Self::inode(
                context,
                attributes(FileType::Directory, 0o555),
                DirectoryKind::Sys,
            ),
            SystemEntry::SysKernelDir => Self::inode(
                context,
                attributes(FileType::Directory, 0o555),
                DirectoryKind::SysKernel,
            ),
            SystemEntry::SysFsDir => Self::inode(
                context,
                attributes(FileType::Directory, 0o555),
                DirectoryKind::SysFs,
            ),
            SystemEntry::SysFsInotifyDir => Self::inode(
                context,
                attributes(FileType::Directory, 0o555),
                DirectoryKind::SysFsInotify,
            ),
            SystemEntry::SysKernelSeccompDir => Self::inode(
                context,
                attributes(FileType::Directory, 0o555),
                DirectoryKind::SysKernelSeccomp,
            ),
            SystemEntry::SysvipcDir => Self::inode(
                context,
                attributes(FileType::Directory, 0o555),
                DirectoryKind::Sysvipc,
            ),
            SystemEntry::Hostname
            | SystemEntry::CorePattern
            | SystemEntry::ThreadsMax
            | SystemEntry::FileMax
            | SystemEntry::InotifyMaxQueuedEvents
            | SystemEntry::InotifyMaxUserInstances
            | SystemEntry::InotifyMaxUserWatches
            | SystemEntry::SeccompActionsLogged => Arc::new(GeneratedFile::new(
                context.clone(),
                attributes(FileType::Regular, 0o644),
                Source::System(entry),
            )),
            // Kernel addresses and every process's code: root's alone.
            SystemEntry::Profiling => Arc::new(GeneratedFile::new(
                context.clone(),
                attributes(FileType::Regular, 0o600),
                Source::System(entry),
            )),
            _ => Arc::new(GeneratedFile::new(
                context.clone(),
                attributes(FileType::Regular, 0o444),
                Source::System(entry),
            )),
        }
    }

    /// Forgets what `dentries` holds of process `pid` in the procfs with
    /// device `dev`: `/proc/<pid>` and the entries under it. The kernel
    /// calls it when `pid` is reaped (as Linux's `proc_flush_pid`), so the
    /// cache does not keep a dead process's inodes, and through them its
    /// memory, until their slots are reused. Most processes were never
    /// looked at: when `/proc/<pid>` was not cached, nothing under it is
    /// looked for (an entry under it whose parent's slot was taken by
    /// another name stays until its own slot is reused).
    pub fn forget_process(dentries: &fs::dentry_cache::DentryCache, dev: u64, pid: u32) {
        let mut digits = [0u8; 10];
        let name = decimal(pid, &mut digits);
        if !dentries.forget(InodeId { dev, ino: ROOT_INO }, name) {
            return;
        }
        let directory = InodeId {
            dev,
            ino: process_ino(Scope::Process(pid), ProcessEntry::Directory, 0),
        };
        for (entry_name, _) in PROCESS_ENTRIES {
            let _ = dentries.forget(directory, entry_name);
        }
    }

    /// `/proc/<pid>`, or `ENOENT` if there is no such process (any more).
    fn process_directory(&self, pid: u32) -> KernelResult<Arc<dyn Inode>> {
        let process = self.context.view.process(pid).ok_or(Errno::ENOENT)?;
        let owner = process.owner().map_err(|_| Errno::ENOENT)?;
        let scope = Scope::Process(pid);
        let attributes = Attributes::new(
            &self.context,
            process_ino(scope, ProcessEntry::Directory, 0),
            FileType::Directory,
            0o555,
            owner,
        );
        Ok(Self::inode(
            &self.context,
            attributes,
            DirectoryKind::Process(process, scope),
        ))
    }

    /// `entry` of `process` in `scope`, owned by `owner`.
    fn process_inode(
        &self,
        process: &Arc<dyn ProcessInfo>,
        scope: Scope,
        entry: ProcessEntry,
        owner: Owner,
    ) -> Arc<dyn Inode> {
        let context = &self.context;
        let ino = process_ino(scope, entry, 0);
        let attributes = |file_type, perm| Attributes::new(context, ino, file_type, perm, owner);
        let tid = match scope {
            Scope::Process(_) => None,
            Scope::Thread(tid) => Some(tid),
        };
        let link = |target| -> Arc<dyn Inode> {
            Arc::new(ProcLink::new(
                context.clone(),
                attributes(FileType::Symlink, 0o777),
                target,
            ))
        };
        let file = |perm| -> Arc<dyn Inode> {
            Arc::new(GeneratedFile::new(
                context.clone(),
                attributes(FileType::Regular, perm),
                Source::Process {
                    process: process.clone(),
                    tid,
                    entry,
                },
            ))
        };
        let process = process.clone();
        match entry {
            ProcessEntry::Task => Self::inode(
                context,
                attributes(FileType::Directory, 0o555),
                DirectoryKind::Task(process),
            ),
            // Only the owner (and root) may see which files a process has open.
            ProcessEntry::FdDir => Self::inode(
                context,
                attributes(FileType::Directory, 0o500),
                DirectoryKind::Fd(process, scope),
            ),
            ProcessEntry::FdinfoDir => Self::inode(
                context,
                attributes(FileType::Directory, 0o555),
                DirectoryKind::Fdinfo(process, scope),
            ),
            ProcessEntry::Cwd => link(LinkTarget::WorkingDirectory(process)),
            ProcessEntry::Root => link(LinkTarget::RootDirectory(process)),
            ProcessEntry::Exe => link(LinkTarget::Executable(process)),
            // Linux checks ptrace access on open; procfs has only the mode.
            ProcessEntry::Environ | ProcessEntry::Maps | ProcessEntry::Io => file(0o400),
            ProcessEntry::Mem => Arc::new(crate::memory_file::MemoryFile::new(
                attributes(FileType::Regular, 0o600),
                process.clone(),
            )),
            ProcessEntry::OomScoreAdj | ProcessEntry::MakeItFail => file(0o644),
            _ => file(0o444),
        }
    }

    /// `task/<tid>`, if the process has that thread.
    fn thread_directory(
        &self,
        process: &Arc<dyn ProcessInfo>,
        tid: u32,
    ) -> KernelResult<Arc<dyn Inode>> {
        let snapshot = process.snapshot().map_err(|_| Errno::ENOENT)?;
        snapshot.thread(tid).ok_or(Errno::ENOENT)?;
        let owner = process.owner().map_err(|_| Errno::ENOENT)?;
        let scope = Scope::Thread(tid);
        let attributes = Attributes::new(
            &self.context,
            process_ino(scope, ProcessEntry::Directory, 0),
            FileType::Directory,
            0o555,
            owner,
        );
        Ok(Self::inode(
            &self.context,
            attributes,
            DirectoryKind::Process(process.clone(), scope),
        ))
    }

    /// `fd/<fd>` or `fdinfo/<fd>`, if the fd is open.
    fn fd_inode(
        &self,
        process: &Arc<dyn ProcessInfo>,
        scope: Scope,
        fd: u32,
        info: bool,
    ) -> KernelResult<Arc<dyn Inode>> {
        let owner = process.owner().map_err(|_| Errno::ENOENT)?;
        if fd >= MAX_SHOWN_FD {
            return Err(Errno::ENOENT);
        }
        let open = process.fd(fd).ok_or(Errno::ENOENT)?;
        if info {
            let attributes = Attributes::new(
                &self.context,
                process_ino(scope, ProcessEntry::FdinfoFile, fd),
                FileType::Regular,
                0o400,
                owner,
            );
            return Ok(Arc::new(GeneratedFile::new(
                self.context.clone(),
                attributes,
                Source::Fdinfo {
                    process: process.clone(),
                    fd,
                },
            )));
        }
        // Linux shows the access mode in the owner's bits of the link.
        let access = open.description.access_mode();
        let perm = if access.readable() { 0o500 } else { 0o100 }
            | if access.writable() { 0o200 } else { 0 };
        let attributes = Attributes::new(
            &self.context,
            process_ino(scope, ProcessEntry::FdLink, fd),
            FileType::Symlink,
            perm,
            owner,
        );
        Ok(Arc::new(ProcLink::new(
            self.context.clone(),
            attributes,
            LinkTarget::Fd(process.clone(), fd),
        )))
    }

    /// The fixed entries of this directory: name, inode number and type.
    fn fixed_entries(&self) -> Vec<(&'static str, u64, FileType)> {
        let system = |entries: &[(&'static str, SystemEntry)]| {
            entries
                .iter()
                .map(|&(name, entry)| (name, entry.ino(), system_type(entry)))
                .collect()
        };
        match &self.kind {
            DirectoryKind::Root => system(&ROOT_ENTRIES),
            DirectoryKind::Sys => system(&SYS_ENTRIES),
            DirectoryKind::SysKernel => system(&SYS_KERNEL_ENTRIES),
            DirectoryKind::SysFs => system(&SYS_FS_ENTRIES),
            DirectoryKind::SysFsInotify => system(&SYS_FS_INOTIFY_ENTRIES),
            DirectoryKind::SysKernelSeccomp => system(&SYS_KERNEL_SECCOMP_ENTRIES),
            DirectoryKind::Sysvipc => system(&SYSVIPC_ENTRIES),
            DirectoryKind::Process(_, scope) => PROCESS_ENTRIES
                .iter()
                .filter(|(_, entry)| {
                    !(matches!(scope, Scope::Thread(_)) && *entry == ProcessEntry::Task)
                })
                .map(|&(name, entry)| (name, process_ino(*scope, entry, 0), process_type(entry)))
                .collect(),
            DirectoryKind::Task(_) | DirectoryKind::Fd(..) | DirectoryKind::Fdinfo(..) => {
                Vec::new()
            }
        }
    }

    /// The first numbered entry at or after `from`: its number, inode
    /// number and type. `ENOENT` when this directory's process is gone.
    fn numbered_entry(&self, from: u32) -> KernelResult<Option<(u32, u64, FileType)>> {
        let first_at_or_after =
            |numbers: Vec<u32>| numbers.into_iter().filter(|&n| n >= from).min();
        Ok(match &self.kind {
            DirectoryKind::Root => self.context.view.next_pid(from).map(|pid| {
                let ino = process_ino(Scope::Process(pid), ProcessEntry::Directory, 0);
                (pid, ino, FileType::Directory)
            }),
            DirectoryKind::Task(process) => {
                let snapshot = process.snapshot().map_err(|_| Errno::ENOENT)?;
                first_at_or_after(snapshot.threads.iter().map(|t| t.tid).collect()).map(|tid| {
                    let ino = process_ino(Scope::Thread(tid), ProcessEntry::Directory, 0);
                    (tid, ino, FileType::Directory)
                })
            }
            DirectoryKind::Fd(process, scope) | DirectoryKind::Fdinfo(process, scope) => {
                process.owner().map_err(|_| Errno::ENOENT)?;
                let fds = process.fds().into_iter().filter(|&fd| fd < MAX_SHOWN_FD);
                let is_info = matches!(self.kind, DirectoryKind::Fdinfo(..));
                first_at_or_after(fds.collect()).map(|fd| {
                    if is_info {
                        let ino = process_ino(*scope, ProcessEntry::FdinfoFile, fd);
                        (fd, ino, FileType::Regular)
                    } else {
                        let ino = process_ino(*scope, ProcessEntry::FdLink, fd);
                        (fd, ino, FileType::Symlink)
                    }
                })
            }
            DirectoryKind::Process(process, _) => {
                process.owner().map_err(|_| Errno::ENOENT)?;
                None
            }
            DirectoryKind::Sys
            | DirectoryKind::SysKernel
            | DirectoryKind::SysFs
            | DirectoryKind::SysFsInotify
            | DirectoryKind::SysKernelSeccomp
            | DirectoryKind::Sysvipc => None,
        })
    }
}

fn system_type(entry: SystemEntry) -> FileType {
    match entry {
        SystemEntry::SelfLink | SystemEntry::ThreadSelfLink | SystemEntry::Mounts => {
            FileType::Symlink
        }
        SystemEntry::SysDir
        | SystemEntry::SysKernelDir
        | SystemEntry::SysFsDir
        | SystemEntry::SysFsInotifyDir
        | SystemEntry::SysKernelSeccompDir
        | SystemEntry::SysvipcDir => FileType::Directory,
        _ => FileType::Regular,
    }
}

fn process_type(entry: ProcessEntry) -> FileType {
    match entry {
        ProcessEntry::Directory
        | ProcessEntry::Task
        | ProcessEntry::FdDir
        | ProcessEntry::FdinfoDir => FileType::Directory,
        ProcessEntry::Cwd | ProcessEntry::Root | ProcessEntry::Exe | ProcessEntry::FdLink => {
            FileType::Symlink
        }
        _ => FileType::Regular,
    }
}

impl Inode for ProcDirectory {
    fn process_id(&self) -> Option<i32> {
        match &self.kind {
            DirectoryKind::Process(_, Scope::Process(pid)) => i32::try_from(*pid).ok(),
            _ => None,
        }
    }

    fn id(&self) -> InodeId {
        self.attributes.id
    }

    fn file_type(&self) -> FileType {
        FileType::Directory
    }

    fn stat(&self) -> Stat {
        match &self.kind {
            DirectoryKind::Process(process, _)
            | DirectoryKind::Task(process)
            | DirectoryKind::Fd(process, _)
            | DirectoryKind::Fdinfo(process, _) => self.attributes.stat_of(process.as_ref()),
            DirectoryKind::Root
            | DirectoryKind::Sys
            | DirectoryKind::SysKernel
            | DirectoryKind::SysFs
            | DirectoryKind::SysFsInotify
            | DirectoryKind::SysKernelSeccomp
            | DirectoryKind::Sysvipc => self.attributes.stat(),
        }
    }

    /// `/proc` and `/proc/<pid>` keep their entries while no process comes
    /// or goes (their owners follow the process at every `stat`); the
    /// `sys` directories always do. Threads, `task/` and the fd
    /// directories change by themselves and are never cached.
    fn entries_version(&self) -> Option<u64> {
        match &self.kind {
            DirectoryKind::Root | DirectoryKind::Process(_, Scope::Process(_)) => {
                self.context.view.membership_generation()
            }
            DirectoryKind::Sys
            | DirectoryKind::SysKernel
            | DirectoryKind::SysFs
            | DirectoryKind::SysFsInotify
            | DirectoryKind::SysKernelSeccomp
            | DirectoryKind::Sysvipc => Some(0),
            DirectoryKind::Process(_, Scope::Thread(_))
            | DirectoryKind::Task(_)
            | DirectoryKind::Fd(..)
            | DirectoryKind::Fdinfo(..) => None,
        }
    }

    fn lookup(&self, name: &str) -> KernelResult<Arc<dyn Inode>> {
        let system = |entries: &[(&str, SystemEntry)]| {
            entries
                .iter()
                .find(|(entry_name, _)| *entry_name == name)
                .map(|&(_, entry)| self.system_inode(entry))
                .ok_or(Errno::ENOENT)
        };
        match &self.kind {
            DirectoryKind::Root => match parse_number(name) {
                Some(pid) => self.process_directory(pid),
                None => system(&ROOT_ENTRIES),
            },
            DirectoryKind::Sys => system(&SYS_ENTRIES),
            DirectoryKind::SysKernel => system(&SYS_KERNEL_ENTRIES),
            DirectoryKind::SysFs => system(&SYS_FS_ENTRIES),
            DirectoryKind::SysFsInotify => system(&SYS_FS_INOTIFY_ENTRIES),
            DirectoryKind::SysKernelSeccomp => system(&SYS_KERNEL_SECCOMP_ENTRIES),
            DirectoryKind::Sysvipc => system(&SYSVIPC_ENTRIES),
            DirectoryKind::Process(process, scope) => {
                let owner = process.owner().map_err(|_| Errno::ENOENT)?;
                let entry = PROCESS_ENTRIES
                    .iter()
                    .find(|(entry_name, _)| *entry_name == name)
                    .map(|&(_, entry)| entry)
                    .ok_or(Errno::ENOENT)?;
                if entry == ProcessEntry::Task && matches!(scope, Scope::Thread(_)) {
                    return Err(Errno::ENOENT);
                }
                Ok(self.process_inode(process, *scope, entry, owner))
            }
            DirectoryKind::Task(process) => {
                let tid = parse_number(name).ok_or(Errno::ENOENT)?;
                self.thread_directory(process, tid)
            }
            DirectoryKind::Fd(process, scope) => {
                let fd = parse_number(name).ok_or(Errno::ENOENT)?;
                self.fd_inode(process, *scope, fd, false)
            }
            DirectoryKind::Fdinfo(process, scope) => {
                let fd = parse_number(name).ok_or(Errno::ENOENT)?;
                self.fd_inode(process, *scope, fd, true)
            }
        }
    }

    fn readdir(&self, cookie: u64) -> KernelResult<Option<(DirEntry, u64)>> {
        let dot = |name: &str| DirEntry {
            // `..` of a mounted root is outside procfs; its own number stands in.
            ino: self.attributes.id.ino,
            name: String::from(name),
            file_type: FileType::Directory,
        };
        match cookie {
            0 => return Ok(Some((dot("."), 1))),
            1 => return Ok(Some((dot(".."), 2))),
            _ => {}
        }
        let fixed = self.fixed_entries();
        let numbered_base = 2 + fixed.len() as u64;
        if let Some(&(name, ino, file_type)) = usize::try_from(cookie - 2)
            .ok()
            .and_then(|index| fixed.get(index))
        {
            let entry = DirEntry {
                ino,
                name: String::from(name),
                file_type,
            };
            return Ok(Some((entry, cookie + 1)));
        }
        let Ok(from) = u32::try_from(cookie - numbered_base) else {
            return Ok(None);
        };
        Ok(self.numbered_entry(from)?.map(|(number, ino, file_type)| {
            let entry = DirEntry {
                ino,
                name: alloc::format!("{number}"),
                file_type,
            };
            (entry, numbered_base + u64::from(number) + 1)
        }))
    }

    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}

/// `number` in decimal, written into `digits`.
fn decimal(mut number: u32, digits: &mut [u8; 10]) -> &str {
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (number % 10) as u8;
        number /= 10;
        if number == 0 {
            break;
        }
    }
    // Only ASCII digits were written.
    core::str::from_utf8(&digits[start..]).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::{decimal, parse_number};

    #[test]
    fn decimal_writes_every_digit() {
        let mut digits = [0u8; 10];
        assert_eq!(decimal(0, &mut digits), "0");
        assert_eq!(decimal(42, &mut digits), "42");
        assert_eq!(decimal(u32::MAX, &mut digits), "4294967295");
    }

    #[test]
    fn only_canonical_decimal_names_are_numbers() {
        assert_eq!(parse_number("0"), Some(0));
        assert_eq!(parse_number("42"), Some(42));
        assert_eq!(parse_number("042"), None);
        assert_eq!(parse_number("+4"), None);
        assert_eq!(parse_number("-1"), None);
        assert_eq!(parse_number(""), None);
        assert_eq!(parse_number("4294967296"), None);
        assert_eq!(parse_number("self"), None);
    }
}
