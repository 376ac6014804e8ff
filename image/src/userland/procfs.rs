//! `/proc`: the procfs crate over this kernel's processes.
//!
//! procfs sees processes only through [`ProcessView`]; this module
//! implements it over the process table, holding nothing but `Weak`
//! references (as SerenityOS's `ProcessProcFSTraits` does), so a `/proc`
//! file never keeps a process alive. What the process crate does not keep
//! (the executable, the arguments and environment exec passed, the start
//! time) the process crate keeps with the process.

use alloc::format;
use alloc::string::String;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};

use abi::{Errno, KernelResult};
use fs::{Custody, Owner};
use procfs::{
    Caller, CpuDescription, CpuTimes, FilesystemEntry, IdSet, MemInfo, MemoryStats, MountEntry,
    OpenFd, ProcFs, ProcessInfo, ProcessSnapshot, ProcessView, SystemInfo, TaskState,
    ThreadSnapshot,
};

use super::{Process, processes};

static FORKS: AtomicU64 = AtomicU64::new(0);

/// Counts a fork, for `/proc/stat`'s `processes` line.
pub fn count_fork() {
    FORKS.fetch_add(1, Ordering::Relaxed);
}

/// A new procfs instance for `mount -t proc`.
pub fn filesystem() -> Option<Arc<dyn fs::FileSystem>> {
    let view: Arc<dyn ProcessView> = Arc::new(KernelView);
    Some(ProcFs::new(
        super::vfs::next_device(),
        view,
        super::vfs::clock(),
    ))
}

struct KernelView;

fn ns_to_ticks(ns: u64) -> u64 {
    ns / 10_000_000
}

impl ProcessView for KernelView {
    fn pids(&self) -> Vec<u32> {
        processes()
            .all_processes()
            .iter()
            .map(|p| p.pid() as u32)
            .collect()
    }

    fn process(&self, pid: u32) -> Option<Arc<dyn ProcessInfo>> {
        let process = processes().from_pid(i32::try_from(pid).ok()?)?;
        Some(Arc::new(KernelProcess {
            pid: process.pid(),
            process: Arc::downgrade(&process),
        }))
    }

    fn current(&self) -> Option<Caller> {
        let link = super::current().ok()?;
        let euid = link.process.data().credentials().euid();
        Some(Caller {
            pid: link.process.pid() as u32,
            tid: link.thread.tid() as u32,
            euid,
        })
    }

    fn system(&self) -> SystemInfo {
        let uptime = crate::time::now_ns();
        let all = processes().all_processes();
        let threads = all.iter().map(|p| p.thread_count()).sum::<usize>() as u32;
        SystemInfo {
            uptime_centiseconds: uptime / 10_000_000,
            idle_centiseconds: 0,
            boot_time: (crate::time::realtime().sec.max(0) as u64)
                .saturating_sub(uptime / 1_000_000_000),
            load_centis: [0; 3],
            running: 1,
            blocked: 0,
            threads,
            last_pid: all.iter().map(|p| p.pid() as u32).max().unwrap_or(0),
            pid_max: 32768,
            context_switches: crate::task::context_switches(),
            forks: FORKS.load(Ordering::Relaxed),
            interrupts: crate::time::ticks(),
            cpu_times: Vec::new(),
        }
    }

    fn meminfo(&self) -> MemInfo {
        let stats = crate::memory::frames::stats();
        let total = stats.map_or(0, |s| s.total_frames * 4096);
        let free = stats.map_or(0, |s| s.free_frames * 4096);
        MemInfo {
            total,
            free,
            available: free,
            kernel_heap: crate::memory::heap::in_use(),
            ..MemInfo::default()
        }
    }

    fn cpus(&self) -> Vec<CpuDescription> {
        let vendor = core::arch::x86_64::__cpuid(0);
        let mut vendor_id = [0u8; 12];
        vendor_id[..4].copy_from_slice(&vendor.ebx.to_le_bytes());
        vendor_id[4..8].copy_from_slice(&vendor.edx.to_le_bytes());
        vendor_id[8..].copy_from_slice(&vendor.ecx.to_le_bytes());
        let leaf1 = core::arch::x86_64::__cpuid(1);
        let family = (leaf1.eax >> 8) & 0xf;
        let model = ((leaf1.eax >> 4) & 0xf) | (((leaf1.eax >> 16) & 0xf) << 4);
        let mut brand = [0u8; 48];
        let model_name = String::from(arch::cpu::brand_string(&mut brand));
        let features = arch::cpu::Features::detect();
        let flags = [
            ("fpu", leaf1.edx & 1 != 0),
            ("tsc", leaf1.edx & (1 << 4) != 0),
            ("apic", features.apic),
            ("sse", leaf1.edx & (1 << 25) != 0),
            ("sse2", leaf1.edx & (1 << 26) != 0),
            ("nx", features.nx),
            ("pdpe1gb", features.huge_pages_1g),
            ("rdrand", features.rdrand),
            ("smep", features.smep),
            ("smap", features.smap),
            ("constant_tsc", features.invariant_tsc),
        ]
        .iter()
        .filter(|(_, present)| *present)
        .map(|(name, _)| String::from(*name))
        .collect();
        vec_one(CpuDescription {
            vendor_id: String::from_utf8_lossy(&vendor_id).into_owned(),
            family,
            model,
            model_name,
            stepping: leaf1.eax & 0xf,
            khz: crate::time::tsc_khz(),
            cpuid_level: vendor.eax,
            flags,
            clflush_size: ((leaf1.ebx >> 8) & 0xff) * 8,
            physical_address_bits: 48,
            virtual_address_bits: 48,
            ..CpuDescription::default()
        })
    }

    fn version(&self) -> String {
        format!(
            "Courage version {} (rustc, stable) #1 SMP PREEMPT\n",
            crate::VERSION
        )
    }

    fn hostname(&self) -> Vec<u8> {
        let bytes = processes().uts().to_linux_bytes();
        let field = &bytes[65..130];
        let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
        field[..end].to_vec()
    }

    fn set_hostname(&self, name: &[u8]) -> KernelResult<()> {
        let link = super::current()?;
        let credentials = link.process.data().credentials().clone();
        processes().sethostname(&credentials, name)
    }

    fn mounts(&self) -> Vec<MountEntry> {
        let entry = |source: &str, point: &str, kind: &str| MountEntry {
            source: String::from(source),
            mount_point: String::from(point),
            fs_type: String::from(kind),
            options: String::from("rw"),
        };
        let mut mounts = alloc::vec![entry("rootfs", "/", "tmpfs")];
        for (_, name) in super::vfs::vfs().mounts().list() {
            let point = match name {
                "proc" => "/proc",
                "devfs" | "devtmpfs" => "/dev",
                _ => "/tmp",
            };
            mounts.push(entry(name, point, name));
        }
        mounts
    }

    fn filesystems(&self) -> Vec<FilesystemEntry> {
        ["tmpfs", "ramfs", "proc", "devtmpfs"]
            .iter()
            .map(|name| FilesystemEntry {
                name: String::from(*name),
                needs_device: false,
            })
            .collect()
    }
}

fn vec_one<T>(value: T) -> Vec<T> {
    alloc::vec![value]
}

/// One process, weakly.
struct KernelProcess {
    pid: i32,
    process: Weak<Process>,
}

impl KernelProcess {
    fn get(&self) -> KernelResult<Arc<Process>> {
        let process = self.process.upgrade().ok_or(Errno::ESRCH)?;
        // Reaped processes leave the table even while an Arc survives.
        if processes()
            .from_pid(self.pid)
            .is_none_or(|p| !Arc::ptr_eq(&p, &process))
        {
            return Err(Errno::ESRCH);
        }
        Ok(process)
    }
}

fn task_state(state: process::ProcessState) -> TaskState {
    match state {
        process::ProcessState::Running | process::ProcessState::Dying(_) => TaskState::Sleeping,
        process::ProcessState::Stopped(_) => TaskState::Stopped,
        process::ProcessState::Zombie(_) => TaskState::Zombie,
    }
}

impl ProcessInfo for KernelProcess {
    fn owner(&self) -> KernelResult<Owner> {
        let process = self.get()?;
        let data = process.data();
        if !data.is_dumpable() {
            return Ok(Owner { uid: 0, gid: 0 });
        }
        let c = data.credentials();
        Ok(Owner {
            uid: c.euid(),
            gid: c.egid(),
        })
    }

    fn snapshot(&self) -> KernelResult<ProcessSnapshot> {
        let process = self.get()?;
        let threads = process.threads();
        let fd_table_size = process.fds().lock().open_count() as u32;
        let data = process.data();
        let c = data.credentials();
        let state = task_state(data.state());
        let running_pid = super::current().ok().map(|l| l.process.pid());
        let state = if running_pid == Some(process.pid()) {
            TaskState::Running
        } else {
            state
        };
        let times = data.times();
        let children = data.children_times();
        let memory = data.address_space().map(|space| {
            let space = space.lock();
            let size = space.mapped_bytes();
            MemoryStats {
                size,
                peak: size,
                ..MemoryStats::default()
            }
        });
        let exit_code = match data.termination() {
            Some(process::Termination::Exited(code)) => i32::from(code) << 8,
            Some(process::Termination::Killed { signal, .. }) => i32::from(signal),
            None => 0,
        };
        let mut rlimits = [procfs::Rlimit::default(); procfs::RLIMIT_COUNT];
        for (index, slot) in rlimits.iter_mut().enumerate() {
            if let Ok(resource) = process::Resource::from_raw(index as u32) {
                let limit = data.rlimits().get(resource);
                *slot = procfs::Rlimit {
                    soft: limit.soft,
                    hard: limit.hard,
                };
            }
        }
        Ok(ProcessSnapshot {
            pid: process.pid() as u32,
            ppid: data.ppid() as u32,
            pgid: data.pgid() as u32,
            sid: data.sid() as u32,
            tty_nr: (4 << 8) | 64,
            tpgid: -1,
            name: String::from(data.name()),
            state,
            uid: IdSet {
                real: c.uid(),
                effective: c.euid(),
                saved: c.suid(),
                filesystem: c.fsuid(),
            },
            gid: IdSet {
                real: c.gid(),
                effective: c.egid(),
                saved: c.sgid(),
                filesystem: c.fsgid(),
            },
            groups: c.groups().to_vec(),
            umask: data.fs().map_or(0o022, |f| f.umask()),
            times: CpuTimes {
                user: times.user,
                system: times.kernel,
            },
            children_times: CpuTimes {
                user: children.user,
                system: children.kernel,
            },
            start_ticks: ns_to_ticks(data.start_time()),
            memory,
            threads: threads
                .iter()
                .map(|t| ThreadSnapshot {
                    tid: t.tid() as u32,
                    name: String::from(data.name()),
                    state,
                    ..ThreadSnapshot::default()
                })
                .collect(),
            exit_signal: 17,
            exit_code,
            fd_table_size,
            rlimits,
            ..ProcessSnapshot::default()
        })
    }

    fn cmdline(&self) -> KernelResult<Vec<u8>> {
        let process = self.get()?;
        Ok(process.data().program().cmdline.clone())
    }

    fn environ(&self) -> KernelResult<Vec<u8>> {
        let process = self.get()?;
        Ok(process.data().program().environ.clone())
    }

    fn maps(&self) -> KernelResult<Vec<String>> {
        let process = self.get()?;
        let space = process.data().address_space().cloned();
        Ok(match space {
            Some(space) => space.lock().regions().map(|r| format!("{r}")).collect(),
            None => Vec::new(),
        })
    }

    fn cwd(&self) -> Option<Custody> {
        let process = self.get().ok()?;
        let data = process.data();
        data.fs().map(|f| f.cwd().clone())
    }

    fn root(&self) -> Option<Custody> {
        let process = self.get().ok()?;
        let data = process.data();
        data.fs().map(|f| f.root().clone())
    }

    fn exe(&self) -> Option<Custody> {
        let process = self.get().ok()?;
        process.data().program().exe.clone()
    }

    fn fds(&self) -> Vec<u32> {
        let Ok(process) = self.get() else {
            return Vec::new();
        };
        let table = process.fds().lock();
        table.enumerate().map(|open| open.fd as u32).collect()
    }

    fn fd(&self, fd: u32) -> Option<OpenFd> {
        let process = self.get().ok()?;
        let table = process.fds().lock();
        let fd = i32::try_from(fd).ok()?;
        let description = table.get(fd).ok()?.clone();
        let close_on_exec = table.cloexec(fd).unwrap_or(false);
        Some(OpenFd {
            description,
            close_on_exec,
        })
    }
}
