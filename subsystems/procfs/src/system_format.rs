//! The text of the system-wide files (`uptime`, `loadavg`, `meminfo`,
//! `cpuinfo`, `stat`, `mounts`, `filesystems`), as Linux prints them.

use alloc::string::String;
use core::fmt::Write;

use crate::view::{CpuDescription, CpuTicks, FilesystemEntry, MemInfo, MountEntry, SystemInfo};

/// Hundredths as `seconds.hundredths`.
fn centis(value: u64) -> String {
    let mut out = String::new();
    let _ = write!(out, "{}.{:02}", value / 100, value % 100);
    out
}

/// `/proc/uptime`: seconds since boot and idle seconds, two decimals each.
pub fn uptime(system: &SystemInfo) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {}",
        centis(system.uptime_centiseconds),
        centis(system.idle_centiseconds)
    );
    out
}

/// `/proc/loadavg`: three load averages, `running/threads` and the last pid.
pub fn loadavg(system: &SystemInfo) -> String {
    let [one, five, fifteen] = system.load_centis;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} {} {}/{} {}",
        centis(one),
        centis(five),
        centis(fifteen),
        system.running,
        system.threads,
        system.last_pid
    );
    out
}

/// `x86_64`'s vmalloc area size as Linux's meminfo reports it (kB).
const VMALLOC_TOTAL_KB: u64 = 34_359_738_367;

/// `/proc/meminfo`: `Label:` padded to 16 columns, kB right-aligned in 8.
pub fn meminfo(mem: &MemInfo) -> String {
    let kb = |bytes: u64| bytes / 1024;
    let rows: [(&str, u64); 26] = [
        ("MemTotal", kb(mem.total)),
        ("MemFree", kb(mem.free)),
        ("MemAvailable", kb(mem.available)),
        ("Buffers", 0),
        ("Cached", kb(mem.cached)),
        ("SwapCached", 0),
        ("Active", kb(mem.anonymous)),
        ("Inactive", kb(mem.cached)),
        ("SwapTotal", 0),
        ("SwapFree", 0),
        ("Dirty", 0),
        ("Writeback", 0),
        ("AnonPages", kb(mem.anonymous)),
        ("Mapped", 0),
        ("Shmem", kb(mem.shared)),
        ("KReclaimable", 0),
        ("Slab", kb(mem.kernel_heap)),
        ("SReclaimable", 0),
        ("SUnreclaim", kb(mem.kernel_heap)),
        ("KernelStack", kb(mem.kernel_stacks)),
        ("PageTables", kb(mem.page_tables)),
        // Overcommit ratio 50 and no swap, Linux's defaults.
        ("CommitLimit", kb(mem.total) / 2),
        ("Committed_AS", kb(mem.committed)),
        ("VmallocTotal", VMALLOC_TOTAL_KB),
        ("VmallocUsed", 0),
        ("VmallocChunk", 0),
    ];
    let mut out = String::new();
    for (label, value) in rows {
        let _ = writeln!(out, "{:<16}{value:>8} kB", [label, ":"].concat());
    }
    out
}

/// `/proc/cpuinfo`: one block per CPU, blank-line separated, with Linux's
/// x86 keys and tab alignment.
pub fn cpuinfo(cpus: &[CpuDescription]) -> String {
    let mut out = String::new();
    let count = cpus.len();
    for (index, cpu) in cpus.iter().enumerate() {
        let bogo = cpu.khz.saturating_mul(2) / 10;
        let _ = write!(
            out,
            "processor\t: {index}\n\
             vendor_id\t: {}\n\
             cpu family\t: {}\n\
             model\t\t: {}\n\
             model name\t: {}\n\
             stepping\t: {}\n\
             cpu MHz\t\t: {}.{:03}\n\
             cache size\t: {} KB\n\
             physical id\t: 0\n\
             siblings\t: {count}\n\
             core id\t\t: {index}\n\
             cpu cores\t: {count}\n\
             apicid\t\t: {}\n\
             initial apicid\t: {}\n\
             fpu\t\t: yes\n\
             fpu_exception\t: yes\n\
             cpuid level\t: {}\n\
             wp\t\t: yes\n\
             flags\t\t:",
            cpu.vendor_id,
            cpu.family,
            cpu.model,
            cpu.model_name,
            cpu.stepping,
            cpu.khz / 1000,
            cpu.khz % 1000,
            cpu.cache_size_kb,
            cpu.apic_id,
            cpu.apic_id,
            cpu.cpuid_level,
        );
        for flag in &cpu.flags {
            let _ = write!(out, " {flag}");
        }
        let _ = write!(
            out,
            "\nbugs\t\t:\n\
             bogomips\t: {}.{:02}\n\
             clflush size\t: {}\n\
             cache_alignment\t: {}\n\
             address sizes\t: {} bits physical, {} bits virtual\n\
             power management:\n\n",
            bogo / 100,
            bogo % 100,
            cpu.clflush_size,
            cpu.clflush_size,
            cpu.physical_address_bits,
            cpu.virtual_address_bits,
        );
    }
    out
}

fn cpu_line(out: &mut String, label: &str, ticks: &CpuTicks) {
    let _ = writeln!(
        out,
        "{label} {} {} {} {} {} {} {} 0 0 0",
        ticks.user, ticks.nice, ticks.system, ticks.idle, ticks.iowait, ticks.irq, ticks.softirq
    );
}

/// `/proc/stat`: the summed `cpu` line (two spaces after `cpu`, as Linux),
/// one `cpuN` line per CPU, then `intr`, `ctxt`, `btime`, `processes`,
/// `procs_running`, `procs_blocked` and `softirq`.
pub fn stat(system: &SystemInfo) -> String {
    let total = system
        .cpu_times
        .iter()
        .fold(CpuTicks::default(), |sum, cpu| CpuTicks {
            user: sum.user.saturating_add(cpu.user),
            nice: sum.nice.saturating_add(cpu.nice),
            system: sum.system.saturating_add(cpu.system),
            idle: sum.idle.saturating_add(cpu.idle),
            iowait: sum.iowait.saturating_add(cpu.iowait),
            irq: sum.irq.saturating_add(cpu.irq),
            softirq: sum.softirq.saturating_add(cpu.softirq),
        });
    let mut out = String::new();
    cpu_line(&mut out, "cpu ", &total);
    for (index, cpu) in system.cpu_times.iter().enumerate() {
        let mut label = String::new();
        let _ = write!(label, "cpu{index}");
        cpu_line(&mut out, &label, cpu);
    }
    let _ = write!(
        out,
        "intr {}\nctxt {}\nbtime {}\nprocesses {}\nprocs_running {}\nprocs_blocked {}\n\
         softirq 0 0 0 0 0 0 0 0 0 0 0\n",
        system.interrupts,
        system.context_switches,
        system.boot_time,
        system.forks,
        system.running,
        system.blocked,
    );
    out
}

/// Escapes a mount field as Linux does: space, tab, newline and backslash
/// become three-digit octal escapes.
fn mangle(field: &str) -> String {
    let mut out = String::new();
    for c in field.chars() {
        match c {
            ' ' => out.push_str("\\040"),
            '\t' => out.push_str("\\011"),
            '\n' => out.push_str("\\012"),
            '\\' => out.push_str("\\134"),
            c => out.push(c),
        }
    }
    out
}

/// `/proc/mounts` (and `/proc/<pid>/mounts`): `source point type options 0 0`.
pub fn mounts(entries: &[MountEntry]) -> String {
    let mut out = String::new();
    for entry in entries {
        let _ = writeln!(
            out,
            "{} {} {} {} 0 0",
            mangle(&entry.source),
            mangle(&entry.mount_point),
            mangle(&entry.fs_type),
            mangle(&entry.options)
        );
    }
    out
}

/// `/proc/<pid>/mountinfo`: id, parent id, major:minor, root within the
/// file system (always `/`: no bind mounts), mount point, options, no
/// optional fields, then `-`, type, source and super-block options.
pub fn mountinfo(entries: &[MountEntry]) -> String {
    let mut out = String::new();
    for entry in entries {
        let (major, minor) = device_numbers(entry.dev);
        let _ = writeln!(
            out,
            "{} {} {major}:{minor} / {} {} - {} {} {}",
            entry.id,
            entry.parent_id,
            mangle(&entry.mount_point),
            mangle(&entry.options),
            mangle(&entry.fs_type),
            mangle(&entry.source),
            mangle(&entry.options)
        );
    }
    out
}

/// Linux's `MAJOR`/`MINOR` of a `dev_t` (the glibc encoding `stat`
/// returns).
pub fn device_numbers(dev: u64) -> (u64, u64) {
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    (major, minor)
}

/// `/proc/filesystems`: `nodev\tname` or `\tname` per type.
pub fn filesystems(entries: &[FilesystemEntry]) -> String {
    let mut out = String::new();
    for entry in entries {
        let nodev = if entry.needs_device { "" } else { "nodev" };
        let _ = writeln!(out, "{nodev}\t{}", entry.name);
    }
    out
}

/// `/proc/sysvipc/shm`: Linux's header and columns (`ipcs` reads them).
pub fn sysvipc_shm(segments: &[(i32, ipc::ShmidDs, u64)]) -> String {
    let mut out = String::from(
        "       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap\n",
    );
    for (id, s, rss) in segments {
        let p = &s.shm_perm;
        let _ = writeln!(
            out,
            "{:>10} {:>10}  {:>4o} {:>21} {:>5} {:>5}  {:>5} {:>5} {:>5} {:>5} {:>5} {:>10} {:>10} {:>10} {:>21} {:>21}",
            p.key,
            id,
            p.mode & 0o7777,
            s.shm_segsz,
            s.shm_cpid,
            s.shm_lpid,
            s.shm_nattch,
            p.uid,
            p.gid,
            p.cuid,
            p.cgid,
            s.shm_atime,
            s.shm_dtime,
            s.shm_ctime,
            rss,
            0
        );
    }
    out
}

/// `/proc/sysvipc/msg`.
pub fn sysvipc_msg(queues: &[(i32, ipc::MsqidDs)]) -> String {
    let mut out = String::from(
        "       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime\n",
    );
    for (id, q) in queues {
        let p = &q.msg_perm;
        let _ = writeln!(
            out,
            "{:>10} {:>10}  {:>4o}  {:>10} {:>10} {:>5} {:>5} {:>5} {:>5} {:>5} {:>5} {:>10} {:>10} {:>10}",
            p.key,
            id,
            p.mode & 0o7777,
            q.msg_cbytes,
            q.msg_qnum,
            q.msg_lspid,
            q.msg_lrpid,
            p.uid,
            p.gid,
            p.cuid,
            p.cgid,
            q.msg_stime,
            q.msg_rtime,
            q.msg_ctime
        );
    }
    out
}

/// `/proc/sysvipc/sem`.
pub fn sysvipc_sem(sets: &[(i32, ipc::SemidDs)]) -> String {
    let mut out = String::from(
        "       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n",
    );
    for (id, s) in sets {
        let p = &s.sem_perm;
        let _ = writeln!(
            out,
            "{:>10} {:>10}  {:>4o} {:>10} {:>5} {:>5} {:>5} {:>5} {:>10} {:>10}",
            p.key,
            id,
            p.mode & 0o7777,
            s.sem_nsems,
            p.uid,
            p.gid,
            p.cuid,
            p.cgid,
            s.sem_otime,
            s.sem_ctime
        );
    }
    out
}
