//! Directories come and go with processes; open files of a reaped process
//! fail cleanly; inode numbers are stable and unique.

mod common;

use std::collections::HashMap;

use abi::Errno;
use common::{World, entries_in, running_snapshot};
use fs::{FileType, OpenFlags};

#[test]
fn root_lists_system_entries_then_pids_in_increasing_order() {
    let w = World::new();
    w.spawn(running_snapshot(12, 1, "sh", 0));
    w.spawn(running_snapshot(1, 0, "init", 0));
    assert_eq!(
        w.list("/proc").unwrap(),
        [
            ".",
            "..",
            "self",
            "thread-self",
            "uptime",
            "loadavg",
            "meminfo",
            "cpuinfo",
            "version",
            "mounts",
            "filesystems",
            "stat",
            "sys",
            "sysvipc",
            "profiling",
            "cmdline",
            "1",
            "12"
        ]
    );
    assert_eq!(
        w.list("/proc/sys/kernel").unwrap(),
        [
            ".",
            "..",
            "core_pattern",
            "hostname",
            "pid_max",
            "seccomp",
            "threads-max"
        ]
    );
    assert_eq!(
        w.list("/proc/sys/kernel/seccomp").unwrap(),
        [".", "..", "actions_avail", "actions_logged"]
    );
    assert_eq!(w.list("/proc/sys").unwrap(), [".", "..", "fs", "kernel"]);
    assert_eq!(
        w.list("/proc/sys/fs").unwrap(),
        [".", "..", "file-max", "file-nr", "inotify"]
    );
    assert_eq!(
        w.list("/proc/sys/fs/inotify").unwrap(),
        [
            ".",
            "..",
            "max_queued_events",
            "max_user_instances",
            "max_user_watches"
        ]
    );
}

#[test]
fn process_directory_lists_linux_entries() {
    let w = World::new();
    w.spawn(running_snapshot(5, 1, "sh", 0));
    assert_eq!(
        w.list("/proc/5").unwrap(),
        [
            ".",
            "..",
            "task",
            "fd",
            "fdinfo",
            "environ",
            "status",
            "limits",
            "comm",
            "cmdline",
            "stat",
            "statm",
            "maps",
            "cwd",
            "root",
            "exe",
            "mounts",
            "mountinfo",
            "io",
            "mem",
            "oom_score",
            "oom_score_adj",
            "make-it-fail"
        ]
    );
}

#[test]
fn directory_appears_on_register_stays_for_zombie_and_goes_after_reap() {
    let w = World::new();
    assert_eq!(w.read("/proc/9/stat"), Err(Errno::ENOENT));
    let process = w.spawn(running_snapshot(9, 1, "worker", 0));
    assert!(w.list("/proc").unwrap().contains(&"9".to_string()));
    assert!(w.read_text("/proc/9/stat").starts_with("9 (worker) S 1 "));

    w.exit(&process, 3 << 8);
    assert!(w.list("/proc").unwrap().contains(&"9".to_string()));
    let stat = w.read_text("/proc/9/stat");
    assert!(stat.starts_with("9 (worker) Z 1 "), "{stat}");
    assert!(
        stat.ends_with(" 768\n"),
        "zombie shows its wait status: {stat}"
    );
    assert_eq!(w.read("/proc/9/cmdline").unwrap(), b"");

    drop(process);
    w.reap(9);
    assert!(!w.list("/proc").unwrap().contains(&"9".to_string()));
    assert_eq!(w.read("/proc/9/stat"), Err(Errno::ENOENT));
    assert_eq!(
        w.vfs.stat(&w.ctx(&w.su), "/proc/9", true).unwrap_err(),
        Errno::ENOENT
    );
}

#[test]
fn reading_an_open_file_of_a_reaped_process_gives_esrch() {
    let w = World::new();
    let process = w.spawn(running_snapshot(20, 1, "victim", 0));
    let stat = w.open_as(&w.su, "/proc/20/stat").unwrap();
    let status = w.open_as(&w.su, "/proc/20/status").unwrap();
    let dir = w
        .vfs
        .open(&w.ctx(&w.su), "/proc/20", OpenFlags::O_DIRECTORY, 0)
        .unwrap();
    drop(process);
    w.reap(20);
    let mut buf = [0u8; 512];
    assert_eq!(stat.read(&mut buf), Err(Errno::ESRCH));
    assert_eq!(status.read(&mut buf), Err(Errno::ESRCH));
    assert_eq!(entries_in(&dir).unwrap_err(), Errno::ENOENT);
}

#[test]
fn a_reused_pid_never_shows_through_an_old_descriptor() {
    let w = World::new();
    let old = w.spawn(running_snapshot(30, 1, "old", 0));
    let stat = w.open_as(&w.su, "/proc/30/stat").unwrap();
    drop(old);
    w.reap(30);
    w.spawn(running_snapshot(30, 1, "new", 0));
    let mut buf = [0u8; 512];
    assert_eq!(stat.read(&mut buf), Err(Errno::ESRCH));
    assert!(w.read_text("/proc/30/stat").starts_with("30 (new) "));
}

#[test]
fn a_file_read_in_pieces_is_one_snapshot_and_rereading_from_zero_is_fresh() {
    let w = World::new();
    let process = w.spawn(running_snapshot(40, 1, "before", 0));
    let file = w.open_as(&w.su, "/proc/40/status").unwrap();
    let mut first = [0u8; 10];
    assert_eq!(file.read(&mut first).unwrap(), 10);
    {
        let mut state = process.state.lock().unwrap();
        state.snapshot.name = "after".into();
        state.snapshot.state = fs_state_running();
        state.snapshot.ppid = 777;
    }
    let mut text = first.to_vec();
    text.extend(common::read_all(&file).unwrap());
    let text = String::from_utf8(text).unwrap();
    assert!(text.starts_with("Name:\tbefore\n"), "{text}");
    assert!(text.contains("State:\tS (sleeping)\n"));
    assert!(text.contains("PPid:\t1\n"));

    // Back to offset 0 renders again, as top does with lseek.
    file.lseek(0, 0).unwrap();
    let again = String::from_utf8(common::read_all(&file).unwrap()).unwrap();
    assert!(again.starts_with("Name:\tafter\n"), "{again}");
    assert!(again.contains("PPid:\t777\n"));
}

#[test]
fn two_opens_of_one_file_keep_their_own_snapshots() {
    // The dentry cache gives both opens the same inode: the snapshot must
    // belong to each open, not to the inode.
    let w = World::new();
    let process = w.spawn(running_snapshot(41, 1, "before", 0));
    let first = w.open_as(&w.su, "/proc/41/status").unwrap();
    let mut start = [0u8; 10];
    assert_eq!(first.read(&mut start).unwrap(), 10);
    process.state.lock().unwrap().snapshot.name = "after".into();
    let second = w.open_as(&w.su, "/proc/41/status").unwrap();
    let other = String::from_utf8(common::read_all(&second).unwrap()).unwrap();
    assert!(other.starts_with("Name:\tafter\n"), "{other}");
    let mut text = start.to_vec();
    text.extend(common::read_all(&first).unwrap());
    let text = String::from_utf8(text).unwrap();
    assert!(text.starts_with("Name:\tbefore\n"), "{text}");
}

#[test]
fn a_cached_process_directory_goes_with_its_process_and_a_reused_pid_is_new() {
    let w = World::new();
    let old = w.spawn(running_snapshot(42, 1, "old", 0));
    let first = w.custody("/proc/42/stat");
    assert!(first.is_same_custody(&w.custody("/proc/42/stat")));
    drop(old);
    w.reap(42);
    assert_eq!(w.read("/proc/42/stat"), Err(Errno::ENOENT));
    w.spawn(running_snapshot(42, 1, "new", 0));
    assert!(!first.is_same_custody(&w.custody("/proc/42/stat")));
    assert!(w.read_text("/proc/42/stat").starts_with("42 (new) "));
}

#[test]
fn forgetting_a_reaped_process_lets_go_of_its_cached_inodes() {
    let w = World::new();
    let process = w.spawn(running_snapshot(43, 1, "gone", 0));
    let directory: std::sync::Weak<dyn fs::Inode> =
        std::sync::Arc::downgrade(w.custody("/proc/43").inode());
    let stat: std::sync::Weak<dyn fs::Inode> =
        std::sync::Arc::downgrade(w.custody("/proc/43/stat").inode());
    drop(process);
    w.reap(43);
    assert!(stat.upgrade().is_some(), "cached until forgotten");
    procfs::ProcFs::forget_process(w.vfs.dentries(), common::PROC_DEV, 43);
    assert!(directory.upgrade().is_none());
    assert!(stat.upgrade().is_none());
}

fn fs_state_running() -> procfs::TaskState {
    procfs::TaskState::Running
}

#[test]
fn listing_resumes_correctly_while_processes_come_and_go() {
    let w = World::new();
    for pid in [2, 4, 6, 8] {
        w.spawn(running_snapshot(pid, 1, "p", 0));
    }
    let dir = w
        .vfs
        .open(&w.ctx(&w.su), "/proc", OpenFlags::O_DIRECTORY, 0)
        .unwrap();
    // Read records one small buffer at a time until pid 4 has been listed.
    let mut seen = Vec::new();
    let mut buf = [0u8; 32];
    while !seen.contains(&"4".to_string()) {
        let n = dir.getdents64(&mut buf).unwrap();
        assert!(n > 0);
        seen.extend(common::names_from(&buf[..n]));
    }
    w.reap(4);
    w.reap(6);
    w.spawn(running_snapshot(7, 1, "late", 0));
    w.spawn(running_snapshot(3, 1, "early", 0));
    let rest = common::names_in(&dir).unwrap();
    assert_eq!(
        rest,
        ["7", "8"],
        "no repeat, nothing skipped past the cookie"
    );
}

#[test]
fn inode_numbers_are_stable_across_lookups_and_unique_across_the_tree() {
    let w = World::new();
    let a = w.spawn(running_snapshot(1, 0, "init", 0));
    let mut multi = running_snapshot(300, 1, "threads", 0);
    let mut second = multi.threads[0].clone();
    second.tid = 301;
    multi.threads.push(second);
    w.spawn(multi);
    let file = w.open_as(&w.su, "/bin/busybox").unwrap();
    a.state.lock().unwrap().fds.insert(
        0,
        procfs::OpenFd {
            description: file,
            close_on_exec: false,
        },
    );

    // Walk every directory (not following links) and record each entry's number.
    let mut seen: HashMap<u64, String> = HashMap::new();
    let mut pending = vec!["/proc".to_string()];
    while let Some(dir) = pending.pop() {
        let description = w
            .vfs
            .open(&w.ctx(&w.su), &dir, OpenFlags::O_DIRECTORY, 0)
            .unwrap();
        for (name, ino) in entries_in(&description).unwrap() {
            if name == "." || name == ".." {
                continue;
            }
            let path = format!("{dir}/{name}");
            let stat = w.vfs.stat(&w.ctx(&w.su), &path, false).unwrap();
            assert_eq!(stat.ino, ino, "getdents and stat agree for {path}");
            assert_eq!(stat.dev, common::PROC_DEV);
            let again = w.vfs.stat(&w.ctx(&w.su), &path, false).unwrap();
            assert_eq!(again.ino, ino, "stable for {path}");
            if let Some(other) = seen.insert(ino, path.clone()) {
                panic!("{path} and {other} share inode {ino}");
            }
            if FileType::from_mode(stat.mode) == Some(FileType::Directory) {
                pending.push(path);
            }
        }
    }
    let root = w.vfs.stat(&w.ctx(&w.su), "/proc", true).unwrap();
    assert!(!seen.contains_key(&root.ino));
    assert!(
        seen.contains_key(
            &w.vfs
                .stat(&w.ctx(&w.su), "/proc/300/task/301/stat", false)
                .unwrap()
                .ino
        )
    );
    assert!(seen.len() > 60, "walked {} entries", seen.len());
}

#[test]
fn a_thread_that_exits_disappears_from_task_and_its_open_files_give_esrch() {
    let w = World::new();
    let mut snapshot = running_snapshot(50, 1, "app", 0);
    let mut worker = snapshot.threads[0].clone();
    worker.tid = 51;
    worker.name = "worker".into();
    worker.state = procfs::TaskState::Running;
    snapshot.threads.push(worker);
    let process = w.spawn(snapshot);
    assert_eq!(w.list("/proc/50/task").unwrap(), [".", "..", "50", "51"]);
    assert_eq!(w.read_text("/proc/50/task/51/comm"), "worker\n");
    let stat = w.open_as(&w.su, "/proc/50/task/51/stat").unwrap();
    process.state.lock().unwrap().snapshot.threads.pop();
    let mut buf = [0u8; 256];
    assert_eq!(stat.read(&mut buf), Err(Errno::ESRCH));
    assert_eq!(w.list("/proc/50/task").unwrap(), [".", "..", "50"]);
    assert_eq!(w.read("/proc/50/task/51/stat"), Err(Errno::ENOENT));
}
