//! Linux's access rules: private files belong to the process's owner and
//! root; the host name is written by root only.

mod common;

use abi::Errno;
use common::{World, running_snapshot};
use fs::{Credentials, OpenFlags};

#[test]
fn environ_maps_and_fd_are_for_the_owner_and_root_only() {
    let w = World::new();
    w.spawn(running_snapshot(90, 1, "secret", 1000));
    let owner = Credentials::user(1000, 1000);
    let stranger = Credentials::user(1001, 1001);
    for path in ["/proc/90/environ", "/proc/90/maps"] {
        assert!(w.read_as(&owner, path).is_ok(), "{path}");
        assert!(w.read_as(&w.su, path).is_ok(), "{path}");
        assert_eq!(w.read_as(&stranger, path), Err(Errno::EACCES), "{path}");
    }
    let list = |creds: &Credentials| {
        w.vfs
            .open(&w.ctx(creds), "/proc/90/fd", OpenFlags::O_DIRECTORY, 0)
            .map(|dir| common::names_in(&dir).unwrap())
    };
    assert!(list(&owner).is_ok());
    assert_eq!(list(&stranger).unwrap_err(), Errno::EACCES);
    assert_eq!(
        w.vfs
            .resolve(&w.ctx(&stranger), "/proc/90/fd/0", false)
            .unwrap_err(),
        Errno::EACCES,
        "fd/ cannot be searched by others"
    );
    // Public files stay public.
    for path in ["/proc/90/stat", "/proc/90/status", "/proc/90/cmdline"] {
        assert!(w.read_as(&stranger, path).is_ok(), "{path}");
    }
}

#[test]
fn entries_are_owned_by_the_process_owner() {
    let w = World::new();
    w.spawn(running_snapshot(91, 1, "user", 1000));
    for path in ["/proc/91", "/proc/91/stat", "/proc/91/fd", "/proc/91/exe"] {
        let stat = w.vfs.stat(&w.ctx(&w.su), path, false).unwrap();
        assert_eq!((stat.uid, stat.gid), (1000, 1000), "{path}");
    }
    let mode = |path: &str| w.vfs.stat(&w.ctx(&w.su), path, false).unwrap().mode;
    assert_eq!(mode("/proc/91"), 0o040555);
    assert_eq!(mode("/proc/91/fd"), 0o040500);
    assert_eq!(mode("/proc/91/environ"), 0o100400);
    assert_eq!(mode("/proc/91/stat"), 0o100444);
    assert_eq!(mode("/proc/91/exe"), 0o120777);
}

#[test]
fn entries_follow_their_owner_when_the_process_changes_its_ids() {
    let w = World::new();
    let process = w.spawn(running_snapshot(92, 1, "user", 1000));
    let stat = |path: &str| w.vfs.stat(&w.ctx(&w.su), path, false).unwrap();
    for path in ["/proc/92", "/proc/92/stat", "/proc/92/mem", "/proc/92/cwd"] {
        assert_eq!(stat(path).uid, 1000, "{path}");
    }
    // setuid(0), or a dump flag cleared: Linux shows root at once.
    process.state.lock().unwrap().owner = fs::Owner { uid: 0, gid: 0 };
    for path in ["/proc/92", "/proc/92/stat", "/proc/92/mem", "/proc/92/cwd"] {
        assert_eq!((stat(path).uid, stat(path).gid), (0, 0), "{path}");
    }
}

#[test]
fn system_limits_are_written_by_root_as_numbers_and_refused_to_others() {
    let w = World::new();
    let user = Credentials::user(1000, 1000);
    for (path, limit) in [
        ("/proc/sys/kernel/threads-max", "threads_max"),
        ("/proc/sys/fs/file-max", "file_max"),
        ("/proc/sys/fs/inotify/max_user_watches", "max_user_watches"),
        (
            "/proc/sys/fs/inotify/max_queued_events",
            "max_queued_events",
        ),
        (
            "/proc/sys/fs/inotify/max_user_instances",
            "max_user_instances",
        ),
    ] {
        assert_eq!(
            w.vfs
                .open(&w.ctx(&user), path, OpenFlags::O_WRONLY, 0)
                .unwrap_err(),
            Errno::EACCES,
            "{path}"
        );
        let file = w
            .vfs
            .open(&w.ctx(&w.su), path, OpenFlags::O_WRONLY, 0)
            .unwrap();
        assert_eq!(file.write(b" 500\n").unwrap(), 5);
        assert_eq!(w.read_text(path), "500\n", "{limit}");
        assert_eq!(file.write(b"many").unwrap_err(), Errno::EINVAL);
        // Root's write goes to the kernel, which may still refuse.
        *w.kernel.caller_privileged.lock().unwrap() = false;
        assert_eq!(file.write(b"600").unwrap_err(), Errno::EPERM);
        *w.kernel.caller_privileged.lock().unwrap() = true;
    }
    assert_eq!(w.read_text("/proc/sys/fs/file-nr"), "640\t0\t500\n");
}

/// A user's open of root's `path` for writing is refused by its mode.
fn refused_to_users(w: &World, path: &str) {
    let user = Credentials::user(1000, 1000);
    assert_eq!(
        w.vfs
            .open(&w.ctx(&user), path, OpenFlags::O_WRONLY, 0)
            .unwrap_err(),
        Errno::EACCES,
        "{path}"
    );
}

#[test]
fn seccomp_shows_its_actions_and_root_chooses_which_are_logged() {
    let w = World::new();
    assert_eq!(
        w.read_text("/proc/sys/kernel/seccomp/actions_avail"),
        "kill_process kill_thread trap errno trace log allow\n"
    );
    let path = "/proc/sys/kernel/seccomp/actions_logged";
    let default = "kill_process kill_thread trap errno user_notif trace log\n";
    assert_eq!(w.read_text(path), default);
    let mode = w.vfs.stat(&w.ctx(&w.su), path, false).unwrap().mode;
    assert_eq!(mode, 0o100644);
    refused_to_users(&w, path);
    let file = w
        .vfs
        .open(&w.ctx(&w.su), path, OpenFlags::O_WRONLY, 0)
        .unwrap();
    assert_eq!(file.write(b"allow\n"), Err(Errno::EINVAL));
    assert_eq!(file.write(b"kill_process errno\n").unwrap(), 19);
    assert_eq!(w.read_text(path), "kill_process errno\n");
    *w.kernel.caller_privileged.lock().unwrap() = false;
    let file = w
        .vfs
        .open(&w.ctx(&w.su), path, OpenFlags::O_WRONLY, 0)
        .unwrap();
    assert_eq!(file.write(b"log"), Err(Errno::EPERM));
    *w.kernel.caller_privileged.lock().unwrap() = true;
    assert_eq!(file.write(default.as_bytes()).unwrap(), default.len());
    assert_eq!(w.read_text(path), default);
}

#[test]
fn hostname_is_written_by_root_and_refused_to_others() {
    let w = World::new();
    let path = "/proc/sys/kernel/hostname";
    refused_to_users(&w, path);
    // As the shell's `echo name > hostname` does: O_CREAT | O_TRUNC, then a write.
    let file = w
        .vfs
        .open(
            &w.ctx(&w.su),
            path,
            OpenFlags::O_WRONLY | OpenFlags::O_CREAT | OpenFlags::O_TRUNC,
            0o644,
        )
        .unwrap();
    assert_eq!(file.write(b"newname\n").unwrap(), 8);
    assert_eq!(w.read_text(path), "newname\n");
    assert_eq!(w.kernel.hostname.lock().unwrap().as_slice(), b"newname");

    // A name past 64 bytes is cut, as Linux's proc_dostring does.
    let long = [b'x'; 80];
    let file = w
        .vfs
        .open(&w.ctx(&w.su), path, OpenFlags::O_WRONLY, 0)
        .unwrap();
    assert_eq!(file.write(&long).unwrap(), 80);
    assert_eq!(w.kernel.hostname.lock().unwrap().len(), 64);

    // The view has the last word on privilege (a descriptor passed on after setuid).
    *w.kernel.caller_privileged.lock().unwrap() = false;
    let file = w
        .vfs
        .open(&w.ctx(&w.su), path, OpenFlags::O_WRONLY, 0)
        .unwrap();
    assert_eq!(file.write(b"evil\n"), Err(Errno::EPERM));
    assert_eq!(w.kernel.hostname.lock().unwrap().len(), 64);
}

#[test]
fn other_files_refuse_writes_and_directory_changes() {
    let w = World::new();
    w.spawn(running_snapshot(92, 1, "sh", 0));
    let file = w
        .vfs
        .open(&w.ctx(&w.su), "/proc/92/comm", OpenFlags::O_WRONLY, 0)
        .unwrap();
    assert_eq!(file.write(b"x"), Err(Errno::EINVAL));
    assert_eq!(
        w.vfs.mkdir(&w.ctx(&w.su), "/proc/92/new", 0o755),
        Err(Errno::EPERM)
    );
    assert_eq!(
        w.vfs.unlink(&w.ctx(&w.su), "/proc/uptime"),
        Err(Errno::EPERM)
    );
    let pid_max = w
        .vfs
        .open(
            &w.ctx(&w.su),
            "/proc/sys/kernel/pid_max",
            OpenFlags::O_WRONLY,
            0,
        )
        .unwrap();
    assert_eq!(pid_max.write(b"5\n"), Err(Errno::EINVAL));
}

#[test]
fn magic_links_of_another_users_process_are_refused() {
    let w = World::new();
    w.spawn(running_snapshot(93, 1, "victim", 1000));
    w.spawn(running_snapshot(94, 1, "snoop", 1001));
    w.spawn(running_snapshot(95, 1, "self", 1000));
    let snoop = Credentials::user(1001, 1001);
    w.set_current(94, 94);
    for link in ["exe", "cwd", "root"] {
        let path = format!("/proc/93/{link}");
        assert_eq!(
            w.vfs.readlink(&w.ctx(&snoop), &path),
            Err(Errno::EACCES),
            "{path}"
        );
        assert_eq!(
            w.vfs.resolve(&w.ctx(&snoop), &path, true).unwrap_err(),
            Errno::EACCES,
            "{path}"
        );
    }
    assert_eq!(w.read_as(&snoop, "/proc/93/exe"), Err(Errno::EACCES));
    // Its own process's links work, and another process of the same user's too.
    assert_eq!(
        w.vfs.readlink(&w.ctx(&snoop), "/proc/self/exe").unwrap(),
        "/bin/busybox"
    );
    w.set_current(95, 95);
    let owner = Credentials::user(1000, 1000);
    assert_eq!(
        w.vfs.readlink(&w.ctx(&owner), "/proc/93/cwd").unwrap(),
        "/home"
    );
}

#[test]
fn stat_hides_addresses_from_readers_who_may_not_inspect() {
    let w = World::new();
    w.spawn(running_snapshot(96, 1, "victim", 1000));
    w.spawn(running_snapshot(97, 1, "snoop", 1001));
    w.set_current(97, 97);
    let line = String::from_utf8(
        w.read_as(&Credentials::user(1001, 1001), "/proc/96/stat")
            .unwrap(),
    )
    .unwrap();
    let (_, fields) = procfs::process_format::stat_fields(&line).unwrap();
    assert_eq!(
        (fields[23], fields[24], fields[25]),
        ("1", "1", "0"),
        "startcode endcode startstack"
    );
    assert!(fields[42..].iter().all(|field| *field == "0"), "{line}");
    assert_eq!(fields[20], (8u64 << 20).to_string(), "vsize stays public");
    w.set_current(96, 96);
    let line = w.read_text("/proc/96/stat");
    let (_, fields) = procfs::process_format::stat_fields(&line).unwrap();
    assert_eq!(fields[23], 0x400000.to_string());
}

#[test]
fn oom_score_adj_reads_writes_and_refuses_what_linux_refuses() {
    let w = World::new();
    let process = w.spawn(running_snapshot(5, 1, "sh", 0));
    assert_eq!(w.read_text("/proc/5/oom_score_adj"), "0\n");
    assert_eq!(w.read_text("/proc/5/oom_score"), "666\n");
    let write = |text: &[u8]| {
        let file = w
            .vfs
            .open(
                &w.ctx(&w.su),
                "/proc/5/oom_score_adj",
                OpenFlags::O_WRONLY,
                0,
            )
            .unwrap();
        file.write(text)
    };
    assert_eq!(write(b"300\n"), Ok(4));
    assert_eq!(w.read_text("/proc/5/oom_score_adj"), "300\n");
    assert_eq!(w.read_text("/proc/5/oom_score"), "866\n");
    // Out of range or not a number.
    assert_eq!(write(b"1001"), Err(Errno::EINVAL));
    assert_eq!(write(b"-1001"), Err(Errno::EINVAL));
    assert_eq!(write(b"ten"), Err(Errno::EINVAL));
    // Lowering needs the right the view grants.
    assert_eq!(write(b"-5"), Err(Errno::EACCES));
    process.state.lock().unwrap().may_lower_oom_score_adj = true;
    assert_eq!(write(b" -1000 \n"), Ok(8));
    assert_eq!(w.read_text("/proc/5/oom_score_adj"), "-1000\n");
    // Only the owner writes it (mode 0644).
    let stat = w
        .vfs
        .stat(&w.ctx(&w.su), "/proc/5/oom_score_adj", true)
        .unwrap();
    assert_eq!(stat.mode & 0o777, 0o644);
}

#[test]
fn make_it_fail_takes_zero_or_one_and_reads_back() {
    let w = World::new();
    let process = w.spawn(running_snapshot(5, 1, "sh", 0));
    assert_eq!(w.read_text("/proc/5/make-it-fail"), "0\n");
    let write = |text: &[u8]| {
        let file = w
            .vfs
            .open(
                &w.ctx(&w.su),
                "/proc/5/make-it-fail",
                OpenFlags::O_WRONLY,
                0,
            )
            .unwrap();
        file.write(text)
    };
    assert_eq!(write(b"1\n"), Ok(2));
    assert!(process.state.lock().unwrap().make_it_fail);
    assert_eq!(w.read_text("/proc/5/make-it-fail"), "1\n");
    for bad in [&b"2"[..], b"-1", b"yes", b""] {
        assert_eq!(write(bad), Err(Errno::EINVAL), "{bad:?}");
    }
    assert_eq!(write(b" 0 "), Ok(3));
    assert_eq!(w.read_text("/proc/5/make-it-fail"), "0\n");
    let stat = w
        .vfs
        .stat(&w.ctx(&w.su), "/proc/5/make-it-fail", true)
        .unwrap();
    assert_eq!(stat.mode & 0o777, 0o644);
}
