//! A fake kernel for procfs's tests: a process table behind the
//! `ProcessView` trait, a tmpfs root with procfs mounted at `/proc`, and
//! helpers that act as a user program would (open, read, getdents).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use abi::{Errno, KernelResult};
use fs::{
    Clock, Credentials, Custody, FileDescription, OpenFlags, Owner, PathContext, Timespec, Tmpfs,
    Vfs, WaitQueue,
};
use procfs::{
    Caller, CpuDescription, CpuTicks, FilesystemEntry, IdSet, MemInfo, MemoryStats, MountEntry,
    OpenFd, ProcFs, ProcessInfo, ProcessSnapshot, ProcessView, SystemInfo, TaskState,
    ThreadSnapshot,
};

/// The device number procfs is given.
pub const PROC_DEV: u64 = 7;

pub struct FixedClock;

impl Clock for FixedClock {
    fn now(&self) -> Timespec {
        Timespec {
            sec: 1_700_000_000,
            nsec: 0,
        }
    }
}

pub struct NoWaiters;

impl WaitQueue for NoWaiters {
    fn wake_all(&self) {}
}

/// What a fake process holds; tests change it directly.
pub struct ProcessState {
    pub snapshot: ProcessSnapshot,
    pub owner: Owner,
    pub cmdline: Vec<u8>,
    pub environ: Vec<u8>,
    pub maps: Vec<String>,
    pub cwd: Option<Custody>,
    pub root: Option<Custody>,
    pub exe: Option<Custody>,
    pub fds: BTreeMap<u32, OpenFd>,
    pub oom_score_adj: i16,
    /// Whether the caller may lower `oom_score_adj`.
    pub may_lower_oom_score_adj: bool,
    /// `make-it-fail`.
    pub make_it_fail: bool,
}

pub struct FakeProcess {
    pub pid: u32,
    pub state: Mutex<ProcessState>,
}

/// What procfs gets: a weak reference, like SerenityOS's ProcessProcFSTraits.
struct FakeInfo {
    process: Weak<FakeProcess>,
}

impl FakeInfo {
    fn with<T>(&self, f: impl FnOnce(&ProcessState) -> T) -> KernelResult<T> {
        let process = self.process.upgrade().ok_or(Errno::ESRCH)?;
        let state = process.state.lock().unwrap();
        Ok(f(&state))
    }
}

impl ProcessInfo for FakeInfo {
    fn owner(&self) -> KernelResult<Owner> {
        self.with(|s| s.owner)
    }
    fn snapshot(&self) -> KernelResult<ProcessSnapshot> {
        self.with(|s| s.snapshot.clone())
    }
    fn cmdline(&self) -> KernelResult<Vec<u8>> {
        self.with(|s| s.cmdline.clone())
    }
    fn environ(&self) -> KernelResult<Vec<u8>> {
        self.with(|s| s.environ.clone())
    }
    fn maps(&self) -> KernelResult<Vec<String>> {
        self.with(|s| s.maps.clone())
    }
    fn cwd(&self) -> Option<Custody> {
        self.with(|s| s.cwd.clone()).ok().flatten()
    }
    fn root(&self) -> Option<Custody> {
        self.with(|s| s.root.clone()).ok().flatten()
    }
    fn exe(&self) -> Option<Custody> {
        self.with(|s| s.exe.clone()).ok().flatten()
    }
    fn fds(&self) -> Vec<u32> {
        self.with(|s| s.fds.keys().copied().collect())
            .unwrap_or_default()
    }
    fn fd(&self, fd: u32) -> Option<OpenFd> {
        self.with(|s| s.fds.get(&fd).cloned()).ok().flatten()
    }
    fn oom_scores(&self) -> KernelResult<(i16, u32)> {
        // The fake's badness: 666 plus the bias's share, as for a process
        // holding nothing.
        self.with(|s| {
            (
                s.oom_score_adj,
                (666 + i32::from(s.oom_score_adj) * 2 / 3) as u32,
            )
        })
    }
    fn set_oom_score_adj(&self, adj: i16) -> KernelResult<()> {
        let process = self.process.upgrade().ok_or(Errno::ESRCH)?;
        let mut state = process.state.lock().unwrap();
        if adj < state.oom_score_adj && !state.may_lower_oom_score_adj {
            return Err(Errno::EACCES);
        }
        state.oom_score_adj = adj;
        Ok(())
    }
    fn make_it_fail(&self) -> KernelResult<bool> {
        self.with(|s| s.make_it_fail)
    }
    fn set_make_it_fail(&self, make_it_fail: bool) -> KernelResult<()> {
        let process = self.process.upgrade().ok_or(Errno::ESRCH)?;
        process.state.lock().unwrap().make_it_fail = make_it_fail;
        Ok(())
    }
}

/// The fake kernel's process table and system figures.
pub struct FakeKernel {
    pub processes: Mutex<BTreeMap<u32, Arc<FakeProcess>>>,
    pub current: Mutex<Option<Caller>>,
    pub hostname: Mutex<Vec<u8>>,
    /// Whether the caller of `set_hostname` counts as privileged.
    pub caller_privileged: Mutex<bool>,
    pub system: Mutex<SystemInfo>,
    pub meminfo: Mutex<MemInfo>,
    /// Moved by every spawn and reap.
    pub membership: AtomicU64,
}

impl ProcessView for FakeKernel {
    fn membership_generation(&self) -> Option<u64> {
        Some(self.membership.load(Ordering::SeqCst))
    }
    fn pids(&self) -> Vec<u32> {
        self.processes.lock().unwrap().keys().copied().collect()
    }
    fn process(&self, pid: u32) -> Option<Arc<dyn ProcessInfo>> {
        let processes = self.processes.lock().unwrap();
        let process = processes.get(&pid)?;
        Some(Arc::new(FakeInfo {
            process: Arc::downgrade(process),
        }))
    }
    fn current(&self) -> Option<Caller> {
        *self.current.lock().unwrap()
    }
    fn system(&self) -> SystemInfo {
        self.system.lock().unwrap().clone()
    }
    fn meminfo(&self) -> MemInfo {
        *self.meminfo.lock().unwrap()
    }
    fn cpus(&self) -> Vec<CpuDescription> {
        vec![CpuDescription {
            vendor_id: "GenuineIntel".into(),
            family: 6,
            model: 85,
            model_name: "QEMU Virtual CPU version 2.5+".into(),
            stepping: 7,
            khz: 2_995_200,
            cache_size_kb: 16384,
            apic_id: 0,
            cpuid_level: 13,
            flags: vec!["fpu".into(), "sse2".into(), "syscall".into(), "lm".into()],
            clflush_size: 64,
            physical_address_bits: 40,
            virtual_address_bits: 48,
        }]
    }
    fn version(&self) -> String {
        "Linux version 6.1.0-courage (courage@build) #1 SMP".into()
    }
    fn command_line(&self) -> String {
        "quiet init=/bin/sh".into()
    }
    fn hostname(&self) -> Vec<u8> {
        self.hostname.lock().unwrap().clone()
    }
    fn set_seccomp_actions_logged(&self, names: &[u8]) -> KernelResult<()> {
        if !*self.caller_privileged.lock().unwrap() {
            return Err(Errno::EPERM);
        }
        // The set is seccomp's own, as the kernel's view sets it.
        seccomp::set_actions_logged(names)
    }
    fn set_system_limit(&self, limit: procfs::SystemLimit, value: u64) -> KernelResult<()> {
        if !*self.caller_privileged.lock().unwrap() {
            return Err(Errno::EPERM);
        }
        let mut system = self.system.lock().unwrap();
        match limit {
            procfs::SystemLimit::ThreadsMax => system.threads_max = value,
            procfs::SystemLimit::FileMax => system.file_max = value,
            // The limits are fs::inotify's own, as the kernel's view sets them.
            procfs::SystemLimit::InotifyMaxQueuedEvents => {
                return fs::inotify::set_limit(fs::inotify::Limit::QueuedEvents, value as usize);
            }
            procfs::SystemLimit::InotifyMaxUserInstances => {
                return fs::inotify::set_limit(fs::inotify::Limit::UserInstances, value as usize);
            }
            procfs::SystemLimit::InotifyMaxUserWatches => {
                return fs::inotify::set_limit(fs::inotify::Limit::UserWatches, value as usize);
            }
        }
        Ok(())
    }
    fn set_hostname(&self, name: &[u8]) -> KernelResult<()> {
        if !*self.caller_privileged.lock().unwrap() {
            return Err(Errno::EPERM);
        }
        *self.hostname.lock().unwrap() = name.to_vec();
        Ok(())
    }
    fn mounts(&self) -> Vec<MountEntry> {
        vec![
            MountEntry {
                id: 1,
                parent_id: 1,
                dev: 1,
                source: "rootfs".into(),
                mount_point: "/".into(),
                fs_type: "tmpfs".into(),
                options: "rw".into(),
            },
            MountEntry {
                id: 2,
                parent_id: 1,
                dev: 5,
                source: "proc".into(),
                mount_point: "/proc".into(),
                fs_type: "proc".into(),
                options: "rw,nosuid,nodev,noexec,relatime".into(),
            },
            MountEntry {
                id: 3,
                parent_id: 1,
                // major 8, minor 1 in glibc's dev_t encoding (/dev/sda1)
                dev: 0x801,
                source: "my disk".into(),
                mount_point: "/mnt/a b".into(),
                fs_type: "tmpfs".into(),
                options: "ro".into(),
            },
        ]
    }
    fn filesystems(&self) -> Vec<FilesystemEntry> {
        vec![
            FilesystemEntry {
                name: "tmpfs".into(),
                needs_device: false,
            },
            FilesystemEntry {
                name: "proc".into(),
                needs_device: false,
            },
            FilesystemEntry {
                name: "ext2".into(),
                needs_device: true,
            },
        ]
    }
}

/// A typical running process snapshot for `pid`, owned by `uid`.
pub fn running_snapshot(pid: u32, ppid: u32, name: &str, uid: u32) -> ProcessSnapshot {
    ProcessSnapshot {
        pid,
        ppid,
        pgid: pid,
        sid: 1,
        tty_nr: 0x440, // makedev(4, 64): ttyS0
        tpgid: pid as i32,
        name: name.into(),
        state: TaskState::Sleeping,
        uid: IdSet::all(uid),
        capabilities: {
            let held = if uid == 0 { (1 << 41) - 1 } else { 0 };
            procfs::CapabilitySets {
                permitted: held,
                effective: held,
                bounding: (1 << 41) - 1,
                ..Default::default()
            }
        },
        gid: IdSet::all(uid),
        groups: vec![uid, 27],
        umask: 0o022,
        times: procfs::CpuTimes {
            user: 12,
            system: 34,
        },
        children_times: procfs::CpuTimes { user: 5, system: 6 },
        minor_faults: 100,
        major_faults: 2,
        nice: 0,
        start_ticks: 4242,
        memory: Some(MemoryStats {
            size: 8 * 1024 * 1024,
            peak: 9 * 1024 * 1024,
            resident: 3 * 4096 * 100,
            resident_peak: 3 * 4096 * 120,
            resident_anonymous: 4096 * 100,
            resident_file: 2 * 4096 * 100,
            resident_shared: 0,
            data: 4096 * 50,
            stack: 4096 * 33,
            text: 4096 * 20,
            start_code: 0x400000,
            end_code: 0x414000,
            start_data: 0x600000,
            end_data: 0x601000,
            start_brk: 0x602000,
            start_stack: 0x7ffd_0000_0000,
            arg_start: 0x7ffd_0000_1000,
            arg_end: 0x7ffd_0000_1010,
            env_start: 0x7ffd_0000_1010,
            env_end: 0x7ffd_0000_1020,
            ..MemoryStats::default()
        }),
        threads: vec![ThreadSnapshot {
            tid: pid,
            name: name.into(),
            state: TaskState::Sleeping,
            times: procfs::CpuTimes {
                user: 12,
                system: 34,
            },
            processor: 0,
            pending: 0,
            blocked: 1 << 16,
            voluntary_switches: 150,
            involuntary_switches: 7,
            ..ThreadSnapshot::default()
        }],
        exit_signal: 17,
        fd_table_size: 64,
        ..ProcessSnapshot::default()
    }
}

/// A VFS with a tmpfs root, `/proc` mounted, and a few files to open.
pub struct World {
    pub vfs: Vfs,
    pub root: Custody,
    pub kernel: Arc<FakeKernel>,
    pub su: Credentials,
}

impl World {
    pub fn new() -> World {
        let clock = Arc::new(FixedClock);
        let vfs = Vfs::new(Tmpfs::new(1, clock.clone()));
        let root = vfs.root_custody();
        let kernel = Arc::new(FakeKernel {
            processes: Mutex::new(BTreeMap::new()),
            current: Mutex::new(None),
            hostname: Mutex::new(b"courage".to_vec()),
            caller_privileged: Mutex::new(true),
            system: Mutex::new(SystemInfo {
                uptime_centiseconds: 12_345,
                idle_centiseconds: 11_002,
                boot_time: 1_700_000_000,
                load_centis: [5, 110, 1234],
                running: 1,
                blocked: 0,
                threads: 12,
                last_pid: 57,
                pid_max: 32768,
                threads_max: 3934,
                file_max: 49152,
                open_files: 640,
                context_switches: 9876,
                forks: 58,
                interrupts: 4321,
                cpu_times: vec![CpuTicks {
                    user: 10,
                    nice: 1,
                    system: 20,
                    idle: 300,
                    iowait: 2,
                    irq: 3,
                    softirq: 4,
                }],
            }),
            meminfo: Mutex::new(MemInfo {
                total: 512 * 1024 * 1024,
                free: 400 * 1024 * 1024,
                available: 450 * 1024 * 1024,
                cached: 10 * 1024 * 1024,
                shared: 1024 * 1024,
                anonymous: 20 * 1024 * 1024,
                kernel_heap: 4 * 1024 * 1024,
                kernel_stacks: 256 * 1024,
                page_tables: 128 * 1024,
                committed: 30 * 1024 * 1024,
            }),
            membership: AtomicU64::new(0),
        });
        let su = Credentials::root();
        let world = World {
            vfs,
            root,
            kernel,
            su,
        };
        let ctx = world.ctx(&world.su);
        for dir in ["/proc", "/bin", "/home", "/home/user", "/dev"] {
            world.vfs.mkdir(&ctx, dir, 0o755).unwrap();
        }
        world.write_file("/bin/busybox", b"\x7fELF busybox");
        world.write_file("/dev/ttyS0", b"");
        let procfs = ProcFs::new(PROC_DEV, world.kernel.clone(), clock);
        world.vfs.mount("/proc", procfs, &world.su).unwrap();
        world
    }

    pub fn ctx<'a>(&'a self, creds: &'a Credentials) -> PathContext<'a> {
        PathContext {
            base: &self.root,
            root: &self.root,
            creds,
        }
    }

    pub fn write_file(&self, path: &str, contents: &[u8]) {
        let file = self
            .vfs
            .open(
                &self.ctx(&self.su),
                path,
                OpenFlags::O_CREAT | OpenFlags::O_WRONLY | OpenFlags::O_TRUNC,
                0o644,
            )
            .unwrap();
        file.write(contents).unwrap();
    }

    pub fn custody(&self, path: &str) -> Custody {
        self.vfs.resolve(&self.ctx(&self.su), path, true).unwrap()
    }

    /// Registers a process (as `register_new` would) with cwd `/home`,
    /// root `/`, exe `/bin/busybox` and no fds.
    pub fn spawn(&self, snapshot: ProcessSnapshot) -> Arc<FakeProcess> {
        let pid = snapshot.pid;
        let uid = snapshot.uid.effective;
        let process = Arc::new(FakeProcess {
            pid,
            state: Mutex::new(ProcessState {
                owner: Owner { uid, gid: uid },
                cmdline: b"busybox\0sh\0-c\0echo hi\0".to_vec(),
                environ: b"HOME=/home\0PATH=/bin\0".to_vec(),
                maps: vec![
                    "00400000-00414000 r-xp 00000000 00:00 0".into(),
                    "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]".into(),
                ],
                cwd: Some(self.custody("/home")),
                root: Some(self.root.clone()),
                exe: Some(self.custody("/bin/busybox")),
                fds: BTreeMap::new(),
                oom_score_adj: 0,
                may_lower_oom_score_adj: false,
                make_it_fail: false,
                snapshot,
            }),
        });
        self.kernel
            .processes
            .lock()
            .unwrap()
            .insert(pid, process.clone());
        self.kernel.membership.fetch_add(1, Ordering::SeqCst);
        process
    }

    /// The process exits: a zombie keeps its entry, without memory or threads.
    pub fn exit(&self, process: &FakeProcess, status: i32) {
        let mut state = process.state.lock().unwrap();
        state.snapshot.state = TaskState::Zombie;
        state.snapshot.memory = None;
        state.snapshot.threads.clear();
        state.snapshot.exit_code = status;
        state.cmdline.clear();
        state.environ.clear();
        state.maps.clear();
        state.cwd = None;
        state.root = None;
        state.exe = None;
        state.fds.clear();
    }

    /// The parent reaped it (`unregister_process` in `finalize`).
    pub fn reap(&self, pid: u32) {
        self.kernel.processes.lock().unwrap().remove(&pid);
        self.kernel.membership.fetch_add(1, Ordering::SeqCst);
    }

    /// Makes `pid`/`tid` the caller, with the process's effective uid.
    pub fn set_current(&self, pid: u32, tid: u32) {
        let euid = self.kernel.processes.lock().unwrap()[&pid]
            .state
            .lock()
            .unwrap()
            .snapshot
            .uid
            .effective;
        *self.kernel.current.lock().unwrap() = Some(Caller {
            pid,
            tid,
            euid,
            traces_any: euid == 0,
        });
    }

    pub fn open_as(&self, creds: &Credentials, path: &str) -> KernelResult<Arc<FileDescription>> {
        self.vfs.open(&self.ctx(creds), path, OpenFlags::empty(), 0)
    }

    pub fn read_as(&self, creds: &Credentials, path: &str) -> KernelResult<Vec<u8>> {
        let file = self.open_as(creds, path)?;
        read_all(&file)
    }

    pub fn read(&self, path: &str) -> KernelResult<Vec<u8>> {
        self.read_as(&self.su, path)
    }

    pub fn read_text(&self, path: &str) -> String {
        String::from_utf8(self.read(path).unwrap()).unwrap()
    }

    pub fn readlink(&self, path: &str) -> KernelResult<String> {
        self.vfs.readlink(&self.ctx(&self.su), path)
    }

    pub fn list(&self, path: &str) -> KernelResult<Vec<String>> {
        let dir = self
            .vfs
            .open(&self.ctx(&self.su), path, OpenFlags::O_DIRECTORY, 0)?;
        names_in(&dir)
    }
}

/// Reads to the end in small chunks, as a careful reader would.
pub fn read_all(file: &FileDescription) -> KernelResult<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = [0u8; 64];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(out);
        }
        out.extend_from_slice(&buf[..n]);
    }
}

/// Names from getdents64 records, read with a small buffer so listings
/// take several calls.
pub fn names_in(file: &FileDescription) -> KernelResult<Vec<String>> {
    Ok(entries_in(file)?
        .into_iter()
        .map(|(name, _)| name)
        .collect())
}

/// `(name, d_ino)` pairs from getdents64.
pub fn entries_in(file: &FileDescription) -> KernelResult<Vec<(String, u64)>> {
    let mut entries = Vec::new();
    let mut buf = [0u8; 128];
    loop {
        let n = file.getdents64(&mut buf)?;
        if n == 0 {
            return Ok(entries);
        }
        let mut at = 0;
        while at < n {
            let ino = u64::from_ne_bytes(buf[at..at + 8].try_into().unwrap());
            let reclen = u16::from_ne_bytes([buf[at + 16], buf[at + 17]]) as usize;
            let name = &buf[at + 19..at + reclen];
            let end = name.iter().position(|&b| b == 0).unwrap();
            entries.push((String::from_utf8(name[..end].to_vec()).unwrap(), ino));
            at += reclen;
        }
    }
}

/// Names in one buffer of getdents64 records.
pub fn names_from(buf: &[u8]) -> Vec<String> {
    let mut names = Vec::new();
    let mut at = 0;
    while at < buf.len() {
        let reclen = u16::from_ne_bytes([buf[at + 16], buf[at + 17]]) as usize;
        let name = &buf[at + 19..at + reclen];
        let end = name.iter().position(|&b| b == 0).unwrap();
        names.push(String::from_utf8(name[..end].to_vec()).unwrap());
        at += reclen;
    }
    names
}
