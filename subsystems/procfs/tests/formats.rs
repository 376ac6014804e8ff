//! File contents compared field by field with proc(5) and Linux's output.

mod common;

use common::{World, running_snapshot};
use procfs::process_format::stat_fields;
use procfs::{ProcessSnapshot, Rlimit, TaskState};

fn snapshot_5() -> ProcessSnapshot {
    let mut snapshot = running_snapshot(5, 1, "sh", 1000);
    snapshot.signals.ignored = 0x0000_0004 | (1 << 40);
    snapshot.signals.caught = 0x0001_0002;
    snapshot.nice = -5;
    snapshot.rlimits[3] = Rlimit {
        soft: 8 * 1024 * 1024,
        hard: u64::MAX,
    };
    snapshot
}

#[test]
fn stat_has_the_52_fields_of_proc5_in_order() {
    let w = World::new();
    w.spawn(snapshot_5());
    let line = w.read_text("/proc/5/stat");
    assert!(line.ends_with('\n') && !line.ends_with(" \n"));
    let (name, rest) = stat_fields(&line).unwrap();
    assert_eq!(name, "sh");
    assert!(line.starts_with("5 (sh) S "));
    let expected: [(&str, String); 50] = [
        ("state", "S".into()),
        ("ppid", "1".into()),
        ("pgrp", "5".into()),
        ("session", "1".into()),
        ("tty_nr", "1088".into()),
        ("tpgid", "5".into()),
        ("flags", "0".into()),
        ("minflt", "100".into()),
        ("cminflt", "0".into()),
        ("majflt", "2".into()),
        ("cmajflt", "0".into()),
        ("utime", "12".into()),
        ("stime", "34".into()),
        ("cutime", "5".into()),
        ("cstime", "6".into()),
        ("priority", "15".into()),
        ("nice", "-5".into()),
        ("num_threads", "1".into()),
        ("itrealvalue", "0".into()),
        ("starttime", "4242".into()),
        ("vsize", (8u64 * 1024 * 1024).to_string()),
        ("rss", "300".into()),
        ("rsslim", u64::MAX.to_string()),
        ("startcode", 0x400000.to_string()),
        ("endcode", 0x414000.to_string()),
        ("startstack", 0x7ffd_0000_0000u64.to_string()),
        ("kstkesp", "0".into()),
        ("kstkeip", "0".into()),
        ("signal", "0".into()),
        ("blocked", (1 << 16).to_string()),
        ("sigignore", "4".into()),
        ("sigcatch", 0x0001_0002.to_string()),
        ("wchan", "0".into()),
        ("nswap", "0".into()),
        ("cnswap", "0".into()),
        ("exit_signal", "17".into()),
        ("processor", "0".into()),
        ("rt_priority", "0".into()),
        ("policy", "0".into()),
        ("delayacct_blkio_ticks", "0".into()),
        ("guest_time", "0".into()),
        ("cguest_time", "0".into()),
        ("start_data", 0x600000.to_string()),
        ("end_data", 0x601000.to_string()),
        ("start_brk", 0x602000.to_string()),
        ("arg_start", 0x7ffd_0000_1000u64.to_string()),
        ("arg_end", 0x7ffd_0000_1010u64.to_string()),
        ("env_start", 0x7ffd_0000_1010u64.to_string()),
        ("env_end", 0x7ffd_0000_1020u64.to_string()),
        ("exit_code", "0".into()),
    ];
    assert_eq!(rest.len(), expected.len(), "{line}");
    for (index, ((field, want), got)) in expected.iter().zip(&rest).enumerate() {
        assert_eq!(got, want, "field {} ({field})", index + 3);
    }
}

#[test]
fn stat_keeps_a_name_with_spaces_and_parentheses_parseable_at_the_last_paren() {
    let w = World::new();
    w.spawn(running_snapshot(6, 1, "a) (b c", 0));
    let line = w.read_text("/proc/6/stat");
    let (name, rest) = stat_fields(&line).unwrap();
    assert_eq!(name, "a) (b c");
    assert_eq!(rest.len(), 50);
    assert_eq!(rest[1], "1", "ppid");
}

#[test]
fn long_names_are_cut_to_fifteen_bytes_in_comm_and_stat() {
    let w = World::new();
    w.spawn(running_snapshot(8, 1, "a-very-long-program-name", 0));
    assert_eq!(w.read_text("/proc/8/comm"), "a-very-long-pro\n");
    assert!(
        w.read_text("/proc/8/stat")
            .starts_with("8 (a-very-long-pro) ")
    );
}

#[test]
fn zombie_and_kernel_stat_show_zero_memory_fields() {
    let w = World::new();
    let process = w.spawn(running_snapshot(9, 1, "z", 0));
    w.exit(&process, 0);
    let line = w.read_text("/proc/9/stat");
    let (_, rest) = stat_fields(&line).unwrap();
    assert_eq!(rest[0], "Z");
    assert_eq!(rest[17], "1", "num_threads is at least 1");
    assert_eq!(rest[20], "0", "vsize");
    assert_eq!(rest[21], "0", "rss");
    assert!(rest[42..49].iter().all(|field| *field == "0"));
}

#[test]
fn status_matches_linux_lines() {
    let w = World::new();
    w.spawn(snapshot_5());
    let text = w.read_text("/proc/5/status");
    let expected_prefix = "Name:\tsh\n\
        Umask:\t0022\n\
        State:\tS (sleeping)\n\
        Tgid:\t5\n\
        Ngid:\t0\n\
        Pid:\t5\n\
        PPid:\t1\n\
        TracerPid:\t0\n\
        Uid:\t1000\t1000\t1000\t1000\n\
        Gid:\t1000\t1000\t1000\t1000\n\
        FDSize:\t64\n\
        Groups:\t1000 27 \n\
        NStgid:\t5\n\
        NSpid:\t5\n\
        NSpgid:\t5\n\
        NSsid:\t1\n\
        VmPeak:\t    9216 kB\n\
        VmSize:\t    8192 kB\n\
        VmLck:\t       0 kB\n\
        VmPin:\t       0 kB\n\
        VmHWM:\t    1440 kB\n\
        VmRSS:\t    1200 kB\n\
        RssAnon:\t     400 kB\n\
        RssFile:\t     800 kB\n\
        RssShmem:\t       0 kB\n\
        VmData:\t     200 kB\n\
        VmStk:\t     132 kB\n\
        VmExe:\t      80 kB\n\
        VmLib:\t       0 kB\n\
        VmPTE:\t       0 kB\n\
        VmSwap:\t       0 kB\n\
        HugetlbPages:\t       0 kB\n\
        CoreDumping:\t0\n\
        Threads:\t1\n";
    assert!(text.starts_with(expected_prefix), "{text}");
    assert!(text.contains("\nSigBlk:\t0000000000010000\n"));
    assert!(text.contains("\nSigIgn:\t0000010000000004\n"));
    assert!(
        text.contains("\nCapEff:\t0000000000000000\n"),
        "uid 1000 has none"
    );
    assert!(text.ends_with("voluntary_ctxt_switches:\t150\nnonvoluntary_ctxt_switches:\t7\n"));
    for line in text.lines() {
        let (key, _) = line.split_once(":\t").unwrap_or_else(|| panic!("{line:?}"));
        assert!(!key.is_empty() && !key.contains(' '), "{line:?}");
    }
}

#[test]
fn root_has_every_capability_and_zombies_have_no_vm_lines() {
    let w = World::new();
    let process = w.spawn(running_snapshot(10, 1, "rootd", 0));
    assert!(
        w.read_text("/proc/10/status")
            .contains("\nCapEff:\t000001ffffffffff\n")
    );
    w.exit(&process, 0);
    let text = w.read_text("/proc/10/status");
    assert!(text.contains("State:\tZ (zombie)\n"));
    assert!(!text.contains("Vm"), "{text}");
}

#[test]
fn statm_counts_pages() {
    let w = World::new();
    w.spawn(running_snapshot(11, 1, "m", 0));
    // size 8 MiB = 2048 pages, resident 300, shared (file) 200, text 20, data+stack 83.
    assert_eq!(w.read_text("/proc/11/statm"), "2048 300 200 20 0 83 0\n");
}

#[test]
fn cmdline_and_environ_are_nul_separated_as_in_memory() {
    let w = World::new();
    w.spawn(running_snapshot(12, 1, "sh", 0));
    assert_eq!(
        w.read("/proc/12/cmdline").unwrap(),
        b"busybox\0sh\0-c\0echo hi\0"
    );
    assert_eq!(
        w.read("/proc/12/environ").unwrap(),
        b"HOME=/home\0PATH=/bin\0"
    );
}

#[test]
fn limits_is_a_fixed_width_table() {
    let w = World::new();
    w.spawn(snapshot_5());
    let text = w.read_text("/proc/5/limits");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 17);
    assert_eq!(
        lines[0],
        "Limit                     Soft Limit           Hard Limit           Units     "
    );
    assert_eq!(
        lines[1],
        "Max cpu time              unlimited            unlimited            seconds   "
    );
    assert_eq!(
        lines[4],
        "Max stack size            8388608              unlimited            bytes     "
    );
    assert_eq!(
        lines[14],
        "Max nice priority         unlimited            unlimited            "
    );
}

#[test]
fn maps_lists_the_regions_one_per_line() {
    let w = World::new();
    w.spawn(running_snapshot(13, 1, "sh", 0));
    let text = w.read_text("/proc/13/maps");
    assert_eq!(text.lines().count(), 2);
    assert!(text.starts_with("00400000-00414000 r-xp 00000000 00:00 0\n"));
    assert!(text.ends_with("[stack]\n"));
}

#[test]
fn task_entries_show_the_thread_not_the_process() {
    let w = World::new();
    let mut snapshot = running_snapshot(60, 1, "app", 0);
    let mut worker = snapshot.threads[0].clone();
    worker.tid = 61;
    worker.name = "worker".into();
    worker.state = TaskState::Running;
    worker.times = procfs::CpuTimes { user: 1, system: 2 };
    worker.processor = 3;
    snapshot.threads.push(worker);
    w.spawn(snapshot);
    let line = w.read_text("/proc/60/task/61/stat");
    let (name, rest) = stat_fields(&line).unwrap();
    assert!(line.starts_with("61 (worker) R 1 60 "), "{line}");
    assert_eq!(name, "worker");
    assert_eq!((rest[11], rest[12]), ("1", "2"), "thread's utime, stime");
    assert_eq!(rest[17], "2", "num_threads");
    assert_eq!(rest[36], "3", "processor");
    let status = w.read_text("/proc/60/task/61/status");
    assert!(status.contains("\nTgid:\t60\n") && status.contains("\nPid:\t61\n"));
    assert!(w.read_text("/proc/60/stat").starts_with("60 (app) S "));
    assert_eq!(
        w.list("/proc/60/task/61").unwrap().len(),
        2 + 20,
        "no task/ in a thread"
    );
}

#[test]
fn uptime_and_loadavg() {
    let w = World::new();
    assert_eq!(w.read_text("/proc/uptime"), "123.45 110.02\n");
    assert_eq!(w.read_text("/proc/loadavg"), "0.05 1.10 12.34 1/12 57\n");
}

#[test]
fn meminfo_pads_labels_to_sixteen_and_numbers_to_eight() {
    let w = World::new();
    let text = w.read_text("/proc/meminfo");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "MemTotal:         524288 kB");
    assert_eq!(lines[1], "MemFree:          409600 kB");
    assert_eq!(lines[2], "MemAvailable:     460800 kB");
    assert!(lines.contains(&"Cached:            10240 kB"));
    assert!(lines.contains(&"SwapTotal:             0 kB"));
    assert!(lines.contains(&"Shmem:              1024 kB"));
    assert!(lines.contains(&"Slab:               4096 kB"));
    assert!(lines.contains(&"VmallocTotal:   34359738367 kB"));
    for line in lines {
        assert!(line.ends_with(" kB"), "{line}");
        assert_eq!(line.find(':').map(|colon| colon < 16), Some(true));
    }
}

#[test]
fn cpuinfo_uses_linux_keys_and_tabs() {
    let w = World::new();
    let text = w.read_text("/proc/cpuinfo");
    assert!(text.starts_with(
        "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 85\n\
         model name\t: QEMU Virtual CPU version 2.5+\nstepping\t: 7\ncpu MHz\t\t: 2995.200\n\
         cache size\t: 16384 KB\n"
    ));
    assert!(text.contains("\nflags\t\t: fpu sse2 syscall lm\nbugs\t\t:\nbogomips\t: 5990.40\n"));
    assert!(text.contains("\naddress sizes\t: 40 bits physical, 48 bits virtual\n"));
    assert!(text.ends_with("power management:\n\n"));
}

#[test]
fn version_pid_max_and_hostname_end_in_newline() {
    let w = World::new();
    assert_eq!(
        w.read_text("/proc/version"),
        "Linux version 6.1.0-courage (courage@build) #1 SMP\n"
    );
    assert_eq!(w.read_text("/proc/sys/kernel/pid_max"), "32768\n");
    assert_eq!(w.read_text("/proc/sys/kernel/hostname"), "courage\n");
    assert_eq!(w.read_text("/proc/sys/kernel/threads-max"), "3934\n");
    assert_eq!(w.read_text("/proc/sys/fs/file-max"), "49152\n");
    // Allocated, free (always 0 since Linux 2.6), maximum.
    assert_eq!(w.read_text("/proc/sys/fs/file-nr"), "640\t0\t49152\n");
}

#[test]
fn system_stat_has_cpu_lines_and_counters() {
    let w = World::new();
    assert_eq!(
        w.read_text("/proc/stat"),
        "cpu  10 1 20 300 2 3 4 0 0 0\n\
         cpu0 10 1 20 300 2 3 4 0 0 0\n\
         intr 4321\n\
         ctxt 9876\n\
         btime 1700000000\n\
         processes 58\n\
         procs_running 1\n\
         procs_blocked 0\n\
         softirq 0 0 0 0 0 0 0 0 0 0 0\n"
    );
}

#[test]
fn mounts_escape_spaces_and_filesystems_mark_nodev() {
    let w = World::new();
    w.spawn(running_snapshot(14, 1, "sh", 0));
    w.set_current(14, 14);
    let expected = "rootfs / tmpfs rw 0 0\n\
        proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n\
        my\\040disk /mnt/a\\040b tmpfs ro 0 0\n";
    assert_eq!(w.readlink("/proc/mounts").unwrap(), "self/mounts");
    assert_eq!(w.read_text("/proc/mounts"), expected);
    assert_eq!(w.read_text("/proc/14/mounts"), expected);
    assert_eq!(
        w.read_text("/proc/filesystems"),
        "nodev\ttmpfs\nnodev\tproc\n\text2\n"
    );
}

#[test]
fn mountinfo_lists_ids_parents_and_device_numbers() {
    let w = World::new();
    w.spawn(running_snapshot(14, 1, "sh", 0));
    w.set_current(14, 14);
    assert_eq!(
        w.read_text("/proc/14/mountinfo"),
        "1 1 0:1 / / rw - tmpfs rootfs rw\n\
         2 1 0:5 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw,nosuid,nodev,noexec,relatime\n\
         3 1 8:1 / /mnt/a\\040b ro - tmpfs my\\040disk ro\n"
    );
}

#[test]
fn io_shows_the_counters_and_is_private() {
    let w = World::new();
    let mut snapshot = running_snapshot(14, 1, "sh", 1000);
    snapshot.io = procfs::IoStats {
        read_chars: 4096,
        written_chars: 12,
        read_calls: 3,
        write_calls: 2,
        ..procfs::IoStats::default()
    };
    snapshot.no_new_privs = true;
    w.spawn(snapshot);
    w.set_current(14, 14);
    assert_eq!(
        w.read_text("/proc/14/io"),
        "rchar: 4096\nwchar: 12\nsyscr: 3\nsyscw: 2\nread_bytes: 0\nwrite_bytes: 0\ncancelled_write_bytes: 0\n"
    );
    assert!(w.read_text("/proc/14/status").contains("NoNewPrivs:\t1\n"));
    assert!(
        w.read_text("/proc/14/status")
            .contains("Seccomp:\t0\nSeccomp_filters:\t0\n")
    );
    let stat = w.vfs.stat(&w.ctx(&w.su), "/proc/14/io", true).unwrap();
    assert_eq!(stat.mode & 0o777, 0o400);
}

#[test]
fn status_shows_the_threads_seccomp_mode_and_filters() {
    let w = World::new();
    let mut snapshot = running_snapshot(15, 1, "sandboxed", 1000);
    snapshot.threads[0].seccomp_mode = 2;
    snapshot.threads[0].seccomp_filters = 3;
    w.spawn(snapshot);
    w.set_current(15, 15);
    let status = w.read_text("/proc/15/status");
    assert!(
        status.contains("Seccomp:\t2\nSeccomp_filters:\t3\n"),
        "{status}"
    );
}

#[test]
fn cmdline_is_the_kernel_command_line() {
    let w = World::new();
    assert_eq!(w.read_text("/proc/cmdline"), "quiet init=/bin/sh\n");
}

#[test]
fn fdinfo_shows_offset_flags_and_inode() {
    let w = World::new();
    let process = w.spawn(running_snapshot(15, 1, "sh", 0));
    let file = w
        .vfs
        .open(
            &w.ctx(&w.su),
            "/bin/busybox",
            fs::OpenFlags::O_RDWR | fs::OpenFlags::O_APPEND,
            0,
        )
        .unwrap();
    let mut buf = [0u8; 4];
    file.read(&mut buf).unwrap();
    let ino = file.stat().unwrap().ino;
    process.state.lock().unwrap().fds.insert(
        3,
        procfs::OpenFd {
            description: file,
            close_on_exec: true,
        },
    );
    assert_eq!(w.list("/proc/15/fdinfo").unwrap(), [".", "..", "3"]);
    assert_eq!(
        w.read_text("/proc/15/fdinfo/3"),
        format!("pos:\t4\nflags:\t02102002\nmnt_id:\t1\nino:\t{ino}\n")
    );
}

#[test]
fn sysvipc_rows_are_linuxs() {
    let mut segment = ipc::ShmidDs::default();
    segment.shm_perm.key = 0x2a;
    segment.shm_perm.mode = 0o1600;
    segment.shm_perm.uid = 1000;
    segment.shm_perm.cuid = 1000;
    segment.shm_segsz = 10000;
    segment.shm_cpid = 7;
    segment.shm_lpid = 8;
    segment.shm_nattch = 2;
    segment.shm_atime = 1_700_000_000;
    let text = procfs::system_format::sysvipc_shm(&[(32768, segment, 8192)]);
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap"
    );
    assert_eq!(
        lines.next().unwrap(),
        "        42      32768  1600                 10000     7     8      2  1000     0  1000     0 1700000000          0          0                  8192                     0"
    );
    let mut set = ipc::SemidDs::default();
    set.sem_perm.mode = 0o600;
    set.sem_nsems = 3;
    let text = procfs::system_format::sysvipc_sem(&[(5, set)]);
    assert_eq!(
        text.lines().nth(1).unwrap(),
        "         0          5   600          3     0     0     0     0          0          0"
    );
    let mut queue = ipc::MsqidDs::default();
    queue.msg_perm.mode = 0o644;
    queue.msg_cbytes = 6;
    queue.msg_qnum = 1;
    let text = procfs::system_format::sysvipc_msg(&[(1, queue)]);
    assert_eq!(
        text.lines().nth(1).unwrap(),
        "         0          1   644           6          1     0     0     0     0     0     0          0          0          0"
    );
}
