//! `/proc`: the procfs crate over this kernel's processes.
//!
//! procfs sees processes only through [`ProcessView`]; the process half is
//! `syscall::proc_view` (weak references, as SerenityOS's
//! `ProcessProcFSTraits`, so a `/proc` file never keeps a process alive);
//! this module adds what only the machine knows: uptime, memory, CPUs,
//! mounts.

use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};

use abi::KernelResult;
use procfs::{
    Caller, CpuDescription, FilesystemEntry, MemInfo, MountEntry, ProcFs, ProcessInfo, ProcessView,
    SystemInfo,
};
use syscall::proc_view;

use super::processes;
use crate::syscall::RunningKernel;

static FORKS: AtomicU64 = AtomicU64::new(0);

/// Counts a fork, for `/proc/stat`'s `processes` line.
pub fn count_fork() {
    FORKS.fetch_add(1, Ordering::Relaxed);
}

/// The device numbers of every procfs made, whose dentries of a reaped
/// process are forgotten (a few at most: one per `mount -t proc`).
static DEVICES: lock::Mutex<Vec<u64>> = lock::Mutex::new(Vec::new());

/// A new procfs instance for `mount -t proc`.
pub fn filesystem() -> Option<Arc<dyn fs::FileSystem>> {
    let view: Arc<dyn ProcessView> = Arc::new(KernelView);
    let dev = super::vfs::next_device();
    DEVICES.lock().push(dev);
    Some(ProcFs::new(dev, view, super::vfs::clock()))
}

/// `pid` was reaped: the dentry cache lets go of its `/proc/<pid>`
/// entries in every procfs.
pub fn forget_process(pid: u32) {
    let dentries = super::vfs::vfs().dentries();
    for &dev in DEVICES.lock().iter() {
        ProcFs::forget_process(dentries, dev, pid);
    }
}

struct KernelView;

impl ProcessView for KernelView {
    fn pids(&self) -> Vec<u32> {
        proc_view::pids(&RunningKernel)
    }

    fn membership_generation(&self) -> Option<u64> {
        Some(processes().membership_generation())
    }

    fn process(&self, pid: u32) -> Option<Arc<dyn ProcessInfo>> {
        static KERNEL: spin::Once<Arc<RunningKernel>> = spin::Once::new();
        proc_view::process(KERNEL.call_once(|| Arc::new(RunningKernel)), pid)
    }

    fn current(&self) -> Option<Caller> {
        let link = super::current().ok()?;
        Some(proc_view::caller::<RunningKernel>(
            &link.process,
            &link.thread,
        ))
    }

    fn system(&self) -> SystemInfo {
        let uptime = crate::time::now_ns();
        let all = processes().all_processes();
        let threads = all.iter().map(|p| p.thread_count()).sum::<usize>() as u32;
        let (running, blocked) = proc_view::running_and_blocked(&RunningKernel, &all);
        // Timer ticks (HZ) to USER_HZ clock ticks, and to centiseconds.
        let clock = |ticks: u64| ticks * syscall::info::USER_HZ / crate::time::HZ;
        let cpu_times: Vec<procfs::view::CpuTicks> = (0..crate::task::cpu_count())
            .map(|cpu| {
                let (user, system, idle) = crate::task::cpu_ticks(cpu);
                procfs::view::CpuTicks {
                    user: clock(user),
                    system: clock(system),
                    idle: clock(idle),
                    ..procfs::view::CpuTicks::default()
                }
            })
            .collect();
        let idle: u64 = (0..crate::task::cpu_count())
            .map(|cpu| crate::task::cpu_ticks(cpu).2)
            .sum();
        SystemInfo {
            uptime_centiseconds: uptime / 10_000_000,
            idle_centiseconds: idle * 100 / crate::time::HZ,
            boot_time: (crate::time::realtime().sec.max(0) as u64)
                .saturating_sub(uptime / 1_000_000_000),
            load_centis: crate::task::load_average(),
            running,
            blocked,
            threads,
            last_pid: all.iter().map(|p| p.pid() as u32).max().unwrap_or(0),
            pid_max: 32768,
            threads_max: processes().thread_max() as u64,
            file_max: fs::file_max() as u64,
            open_files: fs::open_files() as u64,
            context_switches: crate::task::context_switches(),
            forks: FORKS.load(Ordering::Relaxed),
            interrupts: crate::time::ticks(),
            cpu_times,
        }
    }

    fn sysv_ipc(&self) -> procfs::view::SysvIpc {
        proc_view::sysv_ipc(&RunningKernel)
    }

    fn meminfo(&self) -> MemInfo {
        let stats = crate::memory::frames::stats();
        let total = stats.map_or(0, |s| s.total_frames * 4096);
        let free = stats.map_or(0, |s| s.free_frames * 4096);
        // Anonymous pages, once per address space (threads and vfork
        // children share theirs).
        let mut spaces: Vec<usize> = Vec::new();
        let mut anonymous = 0;
        for process in processes().all_processes() {
            let Some(space) = process.data().address_space().cloned() else {
                continue;
            };
            let key = alloc::sync::Arc::as_ptr(&space) as *const () as usize;
            if spaces.contains(&key) {
                continue;
            }
            spaces.push(key);
            anonymous += space.lock().resident_bytes().0;
        }
        MemInfo {
            total,
            free,
            available: free,
            anonymous,
            kernel_heap: crate::memory::heap::in_use(),
            kernel_stacks: crate::memory::kstack::in_use_bytes(),
            page_tables: arch::paging::page_table_bytes(),
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
        let description = CpuDescription {
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
        };
        (0..crate::task::cpu_count())
            .filter_map(arch::percpu::cpu)
            .filter(|cpu| cpu.is_online())
            .map(|cpu| CpuDescription {
                apic_id: cpu.apic_id(),
                ..description.clone()
            })
            .collect()
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

    fn core_pattern(&self) -> Vec<u8> {
        processes().core_pattern().as_str().as_bytes().to_vec()
    }

    fn set_system_limit(&self, limit: procfs::SystemLimit, value: u64) -> KernelResult<()> {
        let link = super::current()?;
        proc_view::set_system_limit(&RunningKernel, &link.process, limit, value)
    }

    fn set_core_pattern(&self, pattern: &[u8]) -> KernelResult<()> {
        let link = super::current()?;
        let credentials = link.process.data().credentials().clone();
        processes().set_core_pattern(&credentials, pattern)
    }

    fn set_seccomp_actions_logged(&self, names: &[u8]) -> KernelResult<()> {
        let link = super::current()?;
        proc_view::set_seccomp_actions_logged(&link.process, names)
    }

    fn profile_report(&self) -> KernelResult<String> {
        crate::profiler::report()
    }

    fn control_profiling(&self, command: &[u8]) -> KernelResult<()> {
        crate::profiler::control(command)
    }

    fn mounts(&self) -> Vec<MountEntry> {
        let vfs = super::vfs::vfs();
        let root_dev = vfs.root_custody().inode().stat().dev;
        let mut mounts = alloc::vec![MountEntry {
            id: 1,
            parent_id: 1,
            dev: root_dev,
            source: String::from("rootfs"),
            mount_point: String::from("/"),
            fs_type: String::from("tmpfs"),
            options: String::from("rw"),
        }];
        let mut points = vfs.mounts().mount_points();
        // Parents before what is mounted under them, as mount order would.
        points.sort_by(|a, b| a.path.cmp(&b.path));
        for point in points {
            // The parent is the deepest mount whose point contains this one.
            let parent_id = mounts
                .iter()
                .filter(|m| {
                    m.mount_point == "/"
                        || point
                            .path
                            .starts_with(&alloc::format!("{}/", m.mount_point))
                })
                .max_by_key(|m| m.mount_point.len())
                .map_or(1, |m| m.id);
            mounts.push(MountEntry {
                id: mounts.len() as u32 + 1,
                parent_id,
                dev: point.dev,
                source: String::from(point.fs_type),
                mount_point: point.path,
                fs_type: String::from(point.fs_type),
                options: String::from("rw"),
            });
        }
        mounts
    }

    fn command_line(&self) -> String {
        crate::boot_info::get().map_or_else(String::new, |info| String::from(info.command_line()))
    }

    fn filesystems(&self) -> Vec<FilesystemEntry> {
        ["tmpfs", "ramfs", "proc", "devtmpfs", "devpts"]
            .iter()
            .map(|name| FilesystemEntry {
                name: String::from(*name),
                needs_device: false,
            })
            .collect()
    }
}
