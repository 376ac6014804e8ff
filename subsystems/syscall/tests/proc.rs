//! `/proc` mounted on the fake machine: the procfs crate renders the
//! process table the syscall crate shows it, read back through `open` and
//! `read` as `ps` and `top` do.

use crate::common::*;
use abi::{Errno, Sysno};

fn mount_proc(w: &World) {
    let target = w.string("/proc");
    assert_eq!(w.call(Sysno::Mkdir, &[target, 0o555]), 0);
    let (source, kind) = (w.string("proc"), w.string("proc"));
    assert_eq!(w.call(Sysno::Mount, &[source, target, kind, 0, 0]), 0);
}

fn read_file(w: &World, path: &str) -> Result<String, i64> {
    let fd = w.open(path, O_RDONLY);
    if fd < 0 {
        return Err(fd);
    }
    let bytes = w.read(fd, 16384)?;
    w.call(Sysno::Close, &[fd as u64]);
    Ok(String::from_utf8(bytes).unwrap())
}

fn field<'a>(status: &'a str, name: &str) -> &'a str {
    status
        .lines()
        .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(':')))
        .unwrap_or_else(|| panic!("no {name} in {status}"))
        .trim()
}

#[test]
fn status_shows_ids_and_credentials_as_they_are_now() {
    let w = World::new();
    mount_proc(&w);
    let (child, thread) = w.fork();
    let pid = child.pid();
    assert_eq!(
        w.call_as(&child, &thread, Sysno::Setresuid, &[1000, 1001, 1002]),
        0
    );
    let status = read_file(&w, &format!("/proc/{pid}/status")).unwrap();
    assert_eq!(field(&status, "Pid"), pid.to_string());
    assert_eq!(field(&status, "PPid"), "1");
    assert_eq!(
        field(&status, "Uid").split_whitespace().collect::<Vec<_>>(),
        ["1000", "1001", "1002", "1001"]
    );
    assert_eq!(field(&status, "Name"), "init");
}

#[test]
fn cmdline_and_comm_follow_execve() {
    let w = World::new();
    mount_proc(&w);
    let fd = w.open("/prog", O_CREAT | O_WRONLY);
    w.write(fd, b"#!fake");
    let path = w.string("/prog");
    w.call(Sysno::Chmod, &[path, 0o755]);
    let (a, b) = (w.string("prog"), w.string("--flag"));
    let argv = w.put(&[a, b, 0u64]);
    assert_eq!(w.call(Sysno::Execve, &[path, argv, 0]), 0);
    assert_eq!(read_file(&w, "/proc/1/cmdline").unwrap(), "prog\0--flag\0");
    assert_eq!(read_file(&w, "/proc/1/comm").unwrap(), "prog\n");
}

#[test]
fn proc_self_is_the_caller() {
    let w = World::new();
    mount_proc(&w);
    let (link, buf) = (w.string("/proc/self"), w.alloc(32));
    assert_eq!(w.call(Sysno::Readlink, &[link, buf, 32]), 1);
    assert_eq!(w.peek(buf, 1), b"1");
    assert!(
        read_file(&w, "/proc/self/status")
            .unwrap()
            .contains("Pid:\t1\n")
    );
}

fn state_letter(stat: &str) -> &str {
    stat.rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
}

#[test]
fn stat_shows_what_the_scheduler_has_each_thread_doing() {
    use sched::{BlockReason, ThreadState, WaitQueueId};
    let w = World::new();
    mount_proc(&w);
    let (child, thread) = w.fork();
    let pid = child.pid();
    let tid = thread.tid();
    let stat = |path: &str| read_file(&w, path).unwrap();
    let set = |state| {
        w.machine
            .scheduler_states
            .lock()
            .unwrap()
            .insert(tid, state);
    };
    let cases = [
        (ThreadState::Runnable, "R", "R (running)"),
        (ThreadState::Running, "R", "R (running)"),
        (
            ThreadState::Blocked(BlockReason::Sleep),
            "S",
            "S (sleeping)",
        ),
        (
            ThreadState::Blocked(BlockReason::Queue(WaitQueueId(3))),
            "S",
            "S (sleeping)",
        ),
        (
            ThreadState::Blocked(BlockReason::QueueUninterruptible(WaitQueueId(3))),
            "D",
            "D (disk sleep)",
        ),
    ];
    for (state, letter, description) in cases {
        set(state);
        let process_stat = stat(&format!("/proc/{pid}/stat"));
        assert_eq!(
            state_letter(&process_stat),
            letter,
            "{state:?}: {process_stat}"
        );
        let thread_stat = stat(&format!("/proc/{pid}/task/{tid}/stat"));
        assert_eq!(
            state_letter(&thread_stat),
            letter,
            "{state:?}: {thread_stat}"
        );
        let status = stat(&format!("/proc/{pid}/status"));
        assert_eq!(field(&status, "State"), description);
    }
    // A stopped process is T whatever its threads were doing.
    set(ThreadState::Blocked(BlockReason::Sleep));
    w.call(Sysno::Kill, &[pid as u64, 19]);
    w.return_to_user_as(&child, &thread, None);
    assert_eq!(state_letter(&stat(&format!("/proc/{pid}/stat"))), "T");
}

#[test]
fn a_zombie_shows_as_z_and_a_reaped_process_is_gone() {
    let w = World::new();
    mount_proc(&w);
    let (child, thread) = w.fork();
    let pid = child.pid();
    let stat_path = format!("/proc/{pid}/stat");
    let open_stat = w.open(&stat_path, O_RDONLY);
    assert!(open_stat >= 0);
    w.call_as(&child, &thread, Sysno::ExitGroup, &[0]);
    w.return_to_user_as(&child, &thread, None);
    let stat = read_file(&w, &stat_path).unwrap();
    let state = stat
        .rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    assert_eq!(state, "Z", "{stat}");
    assert_eq!(w.call(Sysno::Wait4, &[pid as u64, 0, 0, 0]), pid as i64);
    assert_eq!(read_file(&w, &stat_path), Err(err(Errno::ENOENT)));
    // A file opened while it lived now says the process is gone.
    assert_eq!(w.read(open_stat, 100), Err(err(Errno::ESRCH)));
}

#[test]
fn the_fd_directory_lists_open_descriptors_with_their_paths() {
    let w = World::new();
    mount_proc(&w);
    let fd = w.open("/notes", O_CREAT | O_RDWR);
    let (link, buf) = (w.string(&format!("/proc/self/fd/{fd}")), w.alloc(64));
    let n = w.call(Sysno::Readlink, &[link, buf, 64]);
    assert_eq!(w.peek(buf, n as usize), b"/notes");
    let dir = w.open("/proc/self/fd", O_RDONLY | O_DIRECTORY);
    let listing = w.alloc(4096);
    let n = w.call(Sysno::Getdents64, &[dir as u64, listing, 4096]);
    assert!(n > 0);
    let bytes = w.peek(listing, n as usize);
    let names: Vec<String> = {
        let mut names = Vec::new();
        let mut at = 0;
        while at < bytes.len() {
            let reclen = u16::from_le_bytes([bytes[at + 16], bytes[at + 17]]) as usize;
            let name = &bytes[at + 19..at + reclen];
            let end = name.iter().position(|&c| c == 0).unwrap();
            names.push(String::from_utf8(name[..end].to_vec()).unwrap());
            at += reclen;
        }
        names
    };
    assert!(names.contains(&fd.to_string()), "{names:?}");
    assert!(names.contains(&dir.to_string()), "{names:?}");
}

#[test]
fn maps_lists_the_regions_of_the_address_space() {
    let w = World::new();
    mount_proc(&w);
    let address = w.call(Sysno::Mmap, &[0, 8192, 3, 0x22, u64::MAX, 0]);
    assert!(address > 0);
    let maps = read_file(&w, "/proc/self/maps").unwrap();
    let start = format!("{address:x}-{:x}", address + 8192);
    assert!(
        maps.lines()
            .any(|l| l.starts_with(&start) && l.contains("rw-p")),
        "{maps}"
    );
}

#[test]
fn running_and_blocked_count_what_the_scheduler_has_threads_doing() {
    use sched::{BlockReason, ThreadState, WaitQueueId};
    let w = World::new();
    let (child, thread) = w.fork();
    let (other, other_thread) = w.fork();
    let all = [w.process.clone(), child.clone(), other.clone()];
    // Unset threads run in the fake: three of them.
    assert_eq!(
        syscall::proc_view::running_and_blocked(w.machine.as_ref(), &all),
        (3, 0)
    );
    let mut states = w.machine.scheduler_states.lock().unwrap();
    states.insert(
        thread.tid(),
        ThreadState::Blocked(BlockReason::QueueUninterruptible(WaitQueueId(1))),
    );
    states.insert(other_thread.tid(), ThreadState::Blocked(BlockReason::Sleep));
    drop(states);
    assert_eq!(
        syscall::proc_view::running_and_blocked(w.machine.as_ref(), &all),
        (1, 1)
    );
}

#[test]
fn system_limits_are_set_by_root_only_and_in_range() {
    use procfs::SystemLimit;
    use syscall::Kernel;
    let w = World::new();
    let kernel = w.machine.as_ref();
    syscall::proc_view::set_system_limit(kernel, &w.process, SystemLimit::ThreadsMax, 500).unwrap();
    assert_eq!(kernel.processes().thread_max(), 500);
    assert_eq!(
        syscall::proc_view::set_system_limit(kernel, &w.process, SystemLimit::ThreadsMax, 0),
        Err(Errno::EINVAL)
    );
    let (user, user_thread) = w.fork();
    w.call_as(&user, &user_thread, Sysno::Setuid, &[1000]);
    assert_eq!(
        syscall::proc_view::set_system_limit(kernel, &user, SystemLimit::ThreadsMax, 600),
        Err(Errno::EPERM)
    );
    assert_eq!(kernel.processes().thread_max(), 500);
}
