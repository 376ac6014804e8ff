//! `self`, `thread-self` and the magic links `exe`, `cwd`, `root`, `fd/<n>`.

mod common;

use std::sync::Arc;

use abi::Errno;
use common::{NoWaiters, World, running_snapshot};
use fs::{Credentials, OpenFlags, Owner, pipe::create_pipe};
use procfs::OpenFd;

#[test]
fn self_and_thread_self_name_the_calling_thread() {
    let w = World::new();
    let mut snapshot = running_snapshot(70, 1, "app", 0);
    let mut worker = snapshot.threads[0].clone();
    worker.tid = 72;
    snapshot.threads.push(worker);
    w.spawn(snapshot);
    assert_eq!(
        w.readlink("/proc/self"),
        Err(Errno::ENOENT),
        "no current process"
    );
    w.set_current(70, 72);
    assert_eq!(w.readlink("/proc/self").unwrap(), "70");
    assert_eq!(w.readlink("/proc/thread-self").unwrap(), "70/task/72");
    assert!(w.read_text("/proc/self/stat").starts_with("70 (app) "));
    assert!(
        w.read_text("/proc/thread-self/stat")
            .starts_with("72 (app) ")
    );
}

#[test]
fn proc_self_exe_reads_and_opens_the_executable() {
    let w = World::new();
    w.spawn(running_snapshot(71, 1, "busybox", 0));
    w.set_current(71, 71);
    assert_eq!(w.readlink("/proc/self/exe").unwrap(), "/bin/busybox");
    // What busybox does to run an applet: open /proc/self/exe and read the ELF.
    assert_eq!(w.read("/proc/self/exe").unwrap(), b"\x7fELF busybox");
    assert_eq!(w.readlink("/proc/71/cwd").unwrap(), "/home");
    assert_eq!(w.readlink("/proc/71/root").unwrap(), "/");
}

#[test]
fn cwd_link_leads_to_the_directory_itself() {
    let w = World::new();
    w.spawn(running_snapshot(73, 1, "sh", 0));
    let through_link = w
        .vfs
        .resolve(&w.ctx(&w.su), "/proc/73/cwd/user", true)
        .unwrap();
    assert_eq!(through_link.absolute_path(&w.root), "/home/user");
    let parent = w
        .vfs
        .resolve(&w.ctx(&w.su), "/proc/73/cwd/..", true)
        .unwrap();
    assert!(parent.is_same_file(&w.root));
}

#[test]
fn link_paths_are_relative_to_the_readers_root() {
    let w = World::new();
    let process = w.spawn(running_snapshot(74, 1, "sh", 0));
    w.spawn(running_snapshot(75, 1, "jailed", 0));
    w.set_current(75, 75);
    w.kernel.processes.lock().unwrap()[&75]
        .state
        .lock()
        .unwrap()
        .root = Some(w.custody("/home"));
    process.state.lock().unwrap().cwd = Some(w.custody("/home/user"));
    assert_eq!(w.readlink("/proc/74/cwd").unwrap(), "/user");
}

#[test]
fn fd_links_name_paths_devices_and_pipes_like_linux() {
    let w = World::new();
    let process = w.spawn(running_snapshot(80, 1, "sh", 0));
    let tty = w
        .vfs
        .open(&w.ctx(&w.su), "/dev/ttyS0", OpenFlags::O_RDWR, 0)
        .unwrap();
    let file = w.open_as(&w.su, "/bin/busybox").unwrap();
    let (read_end, write_end) = create_pipe(
        Arc::new(NoWaiters),
        OpenFlags::empty(),
        4242,
        Owner::default(),
    )
    .unwrap();
    let pipe_ino = read_end.stat().unwrap().ino;
    {
        let mut state = process.state.lock().unwrap();
        for (fd, description) in [(0, tty), (3, file), (4, read_end), (5, write_end)] {
            state.fds.insert(
                fd,
                OpenFd {
                    description,
                    close_on_exec: false,
                },
            );
        }
    }
    assert_eq!(
        w.list("/proc/80/fd").unwrap(),
        [".", "..", "0", "3", "4", "5"]
    );
    assert_eq!(w.readlink("/proc/80/fd/0").unwrap(), "/dev/ttyS0");
    assert_eq!(w.readlink("/proc/80/fd/3").unwrap(), "/bin/busybox");
    assert_eq!(
        w.readlink("/proc/80/fd/4").unwrap(),
        format!("pipe:[{pipe_ino}]")
    );
    // Following an fd link reaches the open file, not a path lookup of its name.
    assert_eq!(w.read("/proc/80/fd/3").unwrap(), b"\x7fELF busybox");
    // Link modes show the access mode, as Linux's lr-x------ / l-wx------.
    let mode = |fd: u32| {
        w.vfs
            .stat(&w.ctx(&w.su), &format!("/proc/80/fd/{fd}"), false)
            .unwrap()
            .mode
            & 0o777
    };
    assert_eq!((mode(0), mode(3), mode(5)), (0o700, 0o500, 0o300));
    assert_eq!(w.readlink("/proc/80/fd/9"), Err(Errno::ENOENT));
    assert_eq!(
        w.readlink("/proc/80/fd/03"),
        Err(Errno::ENOENT),
        "not a canonical number"
    );
}

#[test]
fn a_pipe_fd_link_opens_the_pipe_anew_in_any_mode_for_its_owner() {
    let w = World::new();
    let process = w.spawn(running_snapshot(82, 1, "sh", 1000));
    let user = Credentials::user(1000, 1000);
    let mine = Owner {
        uid: 1000,
        gid: 1000,
    };
    let (read_end, write_end) =
        create_pipe(Arc::new(NoWaiters), OpenFlags::empty(), 77, mine).unwrap();
    let (roots, _roots_writer) = create_pipe(
        Arc::new(NoWaiters),
        OpenFlags::empty(),
        78,
        Owner::default(),
    )
    .unwrap();
    let counter = fs::eventfd::create_eventfd(0, 0, Arc::new(NoWaiters)).unwrap();
    {
        let mut state = process.state.lock().unwrap();
        let fds = [
            (0, read_end.clone()),
            (1, write_end),
            (2, roots),
            (3, counter),
        ];
        for (fd, description) in fds {
            let close_on_exec = false;
            state.fds.insert(
                fd,
                OpenFd {
                    description,
                    close_on_exec,
                },
            );
        }
    }
    let open = |path: &str, flags| w.vfs.open(&w.ctx(&user), path, flags, 0);
    // The read end's link opened for writing: a new write end of that pipe,
    // as pathless as the first (its own link reads pipe:[77]).
    let writer = open("/proc/82/fd/0", OpenFlags::O_WRONLY).unwrap();
    assert!(writer.custody().is_none());
    assert_eq!(writer.stat().unwrap().ino, 77);
    assert_eq!(writer.stat().unwrap().uid, 1000);
    assert_eq!(writer.write(b"hi").unwrap(), 2);
    drop(writer);
    process.state.lock().unwrap().fds.remove(&1);
    // Every writer is gone: a reader opened now does not wait for one (it
    // is no named FIFO) and reads what is left, then the end.
    let reader = open("/proc/82/fd/0", OpenFlags::empty()).unwrap();
    let mut buf = [0u8; 8];
    assert_eq!(reader.read(&mut buf).unwrap(), 2);
    assert_eq!(&buf[..2], b"hi");
    assert_eq!(reader.read(&mut buf).unwrap(), 0);
    assert_eq!(read_end.read(&mut buf).unwrap(), 0);
    // Both ways at once, as Linux allows for pipes.
    assert!(open("/proc/82/fd/0", OpenFlags::O_RDWR).is_ok());
    // A pipe root made is root's, mode 0600, even in this user's process.
    assert_eq!(
        open("/proc/82/fd/2", OpenFlags::empty()).err(),
        Some(Errno::EACCES)
    );
    // Nothing else without a path opens again (sockets, anonymous inodes),
    // but the link leads to it: stat follows it, a path through it is no
    // directory, and O_PATH holds it with its name.
    let su = |path: &str, flags| w.vfs.open(&w.ctx(&w.su), path, flags, 0);
    assert_eq!(
        su("/proc/82/fd/3", OpenFlags::O_RDWR).err(),
        Some(Errno::ENXIO)
    );
    let stat = |path: &str| w.vfs.stat(&w.ctx(&w.su), path, true);
    assert_eq!(
        stat("/proc/82/fd/0").unwrap().mode & 0o170000,
        0o010000,
        "a FIFO"
    );
    assert_eq!(stat("/proc/82/fd/0/x").err(), Some(Errno::ENOTDIR));
    let held = su("/proc/82/fd/0", OpenFlags::O_PATH).unwrap();
    assert!(held.custody().is_none());
}

#[test]
fn closed_fds_and_exited_processes_leave_dangling_links_not_panics() {
    let w = World::new();
    let process = w.spawn(running_snapshot(81, 1, "sh", 0));
    let file = w.open_as(&w.su, "/bin/busybox").unwrap();
    process.state.lock().unwrap().fds.insert(
        3,
        OpenFd {
            description: file,
            close_on_exec: false,
        },
    );
    let link = w
        .vfs
        .resolve(&w.ctx(&w.su), "/proc/81/fd/3", false)
        .unwrap();
    let exe = w.vfs.resolve(&w.ctx(&w.su), "/proc/81/exe", false).unwrap();
    process.state.lock().unwrap().fds.clear();
    assert_eq!(link.inode().readlink(), Err(Errno::ENOENT));
    assert!(link.inode().magic_link().is_none());
    w.exit(&process, 0);
    assert_eq!(exe.inode().readlink(), Err(Errno::ENOENT));
    assert_eq!(w.read("/proc/81/exe"), Err(Errno::ENOENT));
    drop(process);
    w.reap(81);
    assert_eq!(exe.inode().readlink(), Err(Errno::ENOENT));
}

#[test]
fn fd_entries_open_with_o_path_and_nofollow_see_the_link() {
    let w = World::new();
    w.spawn(running_snapshot(82, 1, "sh", 0));
    assert_eq!(
        w.vfs
            .open(&w.ctx(&w.su), "/proc/82/exe", OpenFlags::O_NOFOLLOW, 0)
            .unwrap_err(),
        Errno::ELOOP
    );
    let handle = w
        .vfs
        .open(
            &w.ctx(&w.su),
            "/proc/82/exe",
            OpenFlags::O_NOFOLLOW | OpenFlags::O_PATH,
            0,
        )
        .unwrap();
    assert_eq!(handle.stat().unwrap().mode & 0o170000, 0o120000);
}
