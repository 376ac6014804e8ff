//! What fork copies, what exec resets, and how threads come and go.

mod common;

use std::sync::Arc;

use abi::Errno;
use common::*;
use process::fd_table::O_CLOEXEC;
use process::{FdReservation, ThreadState};

#[test]
fn fork_copies_credentials_fds_cwd_umask_signals_and_tty() {
    let table = Table::default();
    let init = boot_init(&table);
    {
        let mut d = init.data();
        d.fs_mut()
            .unwrap()
            .chdir(Dir("/home"), &process::Credentials::root())
            .unwrap();
        d.fs_mut().unwrap().set_umask(0o077);
        d.signals_mut().handled.push(2);
        d.signals_mut().pending.push(10);
        d.change_credentials(|c| c.setgroups(&[5, 6])).unwrap();
    }
    init.fds().lock().set_cloexec(2, true).unwrap();
    let child = fork(&table, &init);
    let d = child.data();
    assert_eq!(d.fs().unwrap().cwd(), &Dir("/home"));
    assert_eq!(d.fs().unwrap().root(), &Dir("/"));
    assert_eq!(d.fs().unwrap().umask(), 0o077);
    assert_eq!(d.signals().handled, [2]);
    assert!(
        d.signals().pending.is_empty(),
        "pending signals are not inherited"
    );
    assert_eq!(d.credentials().groups(), [5, 6]);
    assert_eq!(d.tty(), Some(&1));
    assert_eq!(d.address_space().unwrap().forks, 1);
    assert_eq!(d.name(), "init");
    drop(d);
    // One descriptor table at a time (the lock order allows no two).
    let parent_stdin = init.fds().lock().get(0).unwrap().clone();
    let fds = child.fds().lock();
    assert_eq!(fds.open_count(), 3);
    assert_eq!(fds.cloexec(2), Ok(true));
    // The same description is shared, not copied.
    assert!(Arc::ptr_eq(fds.get(0).unwrap(), &parent_stdin));
}

#[test]
fn make_it_fail_is_inherited_by_children_forked_while_set() {
    let table = Table::default();
    let init = boot_init(&table);
    let before = fork(&table, &init);
    assert!(!init.make_it_fail() && !before.make_it_fail());
    init.set_make_it_fail(true);
    let after = fork(&table, &init);
    assert!(after.make_it_fail());
    assert!(!before.make_it_fail(), "only children forked from now on");
    init.set_make_it_fail(false);
    assert!(after.make_it_fail(), "a child keeps its own flag");
    assert!(!fork(&table, &init).make_it_fail());
}

#[test]
fn fork_duplicates_only_the_calling_thread() {
    let table = Table::default();
    let init = boot_init(&table);
    table.add_thread(&init, ()).unwrap();
    table.add_thread(&init, ()).unwrap();
    assert_eq!(init.thread_count(), 3);
    let child = fork(&table, &init);
    assert_eq!(child.thread_count(), 1);
    let thread = &child.threads()[0];
    assert_eq!(thread.tid(), child.pid());
    assert_eq!(table.from_tid(child.pid()).unwrap().pid(), child.pid());
}

#[test]
fn exec_closes_cloexec_fds_kills_other_threads_and_resets_handlers() {
    let table = Table::default();
    let init = boot_init(&table);
    let child = fork(&table, &init);
    let main = child.threads()[0].clone();
    let other = table.add_thread(&child, ()).unwrap();
    other.set_state(ThreadState::Running).unwrap();
    other.set_state(ThreadState::Blocked).unwrap();
    main.set_tid_address(0x1000);
    main.set_robust_list(0x2000, 24).unwrap();
    {
        let mut d = child.data();
        d.signals_mut().handled.push(10);
        d.signals_mut().ignored.push(13);
        d.set_dumpable(false);
    }
    child.fds().lock().dup3(1, 5, O_CLOEXEC).unwrap();

    let outcome = child.exec(
        &main,
        FakeSpace {
            regions: 2,
            forks: 0,
        },
        "sh".into(),
    );

    assert_eq!(outcome.closed.len(), 1);
    assert_eq!(outcome.old_address_space.unwrap().forks, 1, "the fork copy");
    assert_eq!(
        outcome.threads_to_wake.len(),
        1,
        "the blocked thread must be woken"
    );
    assert!(other.should_die());
    assert!(!main.should_die());
    assert_eq!((main.clear_child_tid(), main.robust_list_head()), (0, 0));
    let d = child.data();
    assert!(d.signals().handled.is_empty());
    assert_eq!(d.signals().ignored, [13], "ignored signals stay ignored");
    assert_eq!(d.name(), "sh");
    assert!(d.did_exec());
    assert!(d.is_dumpable());
    assert_eq!(d.address_space().unwrap().regions, 2);
    assert_eq!(child.fds().lock().get(5), Err(Errno::EBADF));
    assert_eq!(child.fds().lock().open_count(), 3);
}

#[test]
fn last_thread_out_is_reported() {
    let table = Table::default();
    let init = boot_init(&table);
    let second = table.add_thread(&init, ()).unwrap();
    assert_eq!(init.thread_count(), 2);
    assert_eq!(table.from_tid(second.tid()).unwrap().tid(), second.tid());
    assert!(!table.remove_thread(&second));
    assert_eq!(second.state(), ThreadState::Dead);
    assert!(table.from_tid(second.tid()).is_none());
    let main = init.threads()[0].clone();
    assert!(table.remove_thread(&main));
    assert_eq!(init.thread_count(), 0);
}

#[test]
fn cpu_time_of_threads_that_left_stays_with_the_process() {
    let table = Table::default();
    let init = boot_init(&table);
    let second = table.add_thread(&init, ()).unwrap();
    let third = table.add_thread(&init, ()).unwrap();
    // Each running thread has run 100 ns so far.
    assert_eq!(init.cpu_ns(|_| 100), 300);
    second.set_exit_cpu_ns(250);
    assert!(!table.remove_thread(&second));
    assert_eq!(init.cpu_ns(|_| 100), 250 + 200);
    third.set_exit_cpu_ns(40);
    assert!(!table.remove_thread(&third));
    assert_eq!(init.cpu_ns(|_| 0), 290, "only the threads that left");
}

#[test]
fn dying_process_tells_every_thread_to_die() {
    let table = Table::default();
    let init = boot_init(&table);
    let child = fork(&table, &init);
    let t2 = table.add_thread(&child, ()).unwrap();
    t2.set_state(ThreadState::Running).unwrap();
    let mut wake = Vec::new();
    assert!(child.die(process::Termination::Exited(0), &mut wake));
    assert!(child.threads().iter().all(|t| t.should_die()));
    assert!(
        wake.is_empty(),
        "runnable and running threads notice on their own"
    );
    assert_eq!(child.data().tty(), None);
    assert_eq!(table.add_thread(&child, ()).err(), Some(Errno::ESRCH));
}

#[test]
fn set_tid_address_returns_tid_and_robust_list_checks_length() {
    let table = Table::default();
    let init = boot_init(&table);
    let t = init.threads()[0].clone();
    assert_eq!(t.set_tid_address(0xdead), 1);
    assert_eq!(t.clear_child_tid(), 0xdead);
    assert_eq!(t.set_robust_list(0x100, 16), Err(Errno::EINVAL));
}

#[test]
fn thread_state_machine_refuses_invalid_transitions() {
    let table = Table::default();
    let init = boot_init(&table);
    let t = init.threads()[0].clone();
    assert_eq!(t.state(), ThreadState::Runnable);
    let err = t.set_state(ThreadState::Blocked).unwrap_err();
    assert_eq!(
        (err.from, err.to),
        (ThreadState::Runnable, ThreadState::Blocked)
    );
    t.set_state(ThreadState::Running).unwrap();
    t.set_state(ThreadState::Blocked).unwrap();
    t.set_state(ThreadState::Runnable).unwrap();
    t.set_state(ThreadState::Dying).unwrap();
    t.set_state(ThreadState::Dead).unwrap();
    assert!(t.set_state(ThreadState::Runnable).is_err());
}

#[test]
fn fd_reservation_in_a_process_is_released_on_failure() {
    let table = Table::default();
    let init = boot_init(&table);
    let failed_open = || -> Result<i32, Errno> {
        let slot = FdReservation::reserve(init.fds(), 0)?;
        assert_eq!(slot.fd(), 3);
        Err(Errno::ENOENT) // the path did not resolve; the slot is dropped
    };
    assert_eq!(failed_open(), Err(Errno::ENOENT));
    let slot = FdReservation::reserve(init.fds(), 0).unwrap();
    assert_eq!(slot.commit(Arc::new("file"), false), 3);
}

#[test]
fn fd_limit_follows_rlimit_nofile() {
    use process::{Resource, Rlimit};
    let table = Table::default();
    let init = boot_init(&table);
    let child = fork(&table, &init);
    child.data().change_credentials(|c| c.setuid(1000)).unwrap();
    table
        .prlimit(
            &child,
            0,
            Resource::Nofile,
            Some(Rlimit { soft: 4, hard: 8 }),
        )
        .unwrap();
    let mut fds = child.fds().lock();
    assert_eq!(fds.open(Arc::new("a"), false), Ok(3));
    assert_eq!(fds.open(Arc::new("b"), false), Err(Errno::EMFILE));
    assert_eq!(fds.dup2(0, 4), Err(Errno::EBADF));
    drop(fds);
    // An unprivileged process cannot raise its hard limit back.
    let raise = Rlimit {
        soft: 4,
        hard: 4096,
    };
    assert_eq!(
        table.prlimit(&child, 0, Resource::Nofile, Some(raise)),
        Err(Errno::EPERM)
    );
    assert_eq!(
        table.prlimit(&child, 0, Resource::Nofile, None),
        Ok(Rlimit { soft: 4, hard: 8 })
    );
    // Nor touch root's limits.
    assert_eq!(
        table.prlimit(&child, 1, Resource::Nofile, None),
        Err(Errno::EPERM)
    );
    assert_eq!(
        table.prlimit(&child, 999, Resource::Nofile, None),
        Err(Errno::ESRCH)
    );
    // Root may read anyone's.
    assert_eq!(
        table.prlimit(&init, child.pid(), Resource::Nofile, None),
        Ok(Rlimit { soft: 4, hard: 8 })
    );
}

#[test]
fn chdir_and_chroot_follow_permissions() {
    let table = Table::default();
    let init = boot_init(&table);
    let child = fork(&table, &init);
    child.data().change_credentials(|c| c.setuid(1000)).unwrap();
    let mut d = child.data();
    let creds = d.credentials().clone();
    let fs = d.fs_mut().unwrap();
    assert_eq!(
        fs.chdir(Dir("/etc/passwd.txt"), &creds),
        Err(Errno::ENOTDIR)
    );
    assert_eq!(fs.chdir(Dir("/secret"), &creds), Err(Errno::EACCES));
    assert_eq!(fs.chroot(Dir("/jail"), &creds), Err(Errno::EPERM));
    fs.chdir(Dir("/tmp"), &creds).unwrap();
    assert_eq!(fs.cwd(), &Dir("/tmp"));
}

#[test]
fn dropping_privilege_clears_dumpable() {
    let table = Table::default();
    let init = boot_init(&table);
    let child = fork(&table, &init);
    let mut d = child.data();
    assert!(d.is_dumpable());
    d.change_credentials(|c| c.setgroups(&[1])).unwrap();
    assert!(d.is_dumpable(), "supplementary groups do not matter");
    d.change_credentials(|c| c.setuid(1000)).unwrap();
    assert!(!d.is_dumpable());
    assert_eq!(d.change_credentials(|c| c.setuid(0)), Err(Errno::EPERM));
    assert_eq!(d.credentials().euid(), 1000);
}

#[test]
fn coredump_properties_fill_up() {
    let table = Table::default();
    let init = boot_init(&table);
    let mut d = init.data();
    for i in 0..4 {
        d.set_coredump_property(format!("k{i}"), "v".into())
            .unwrap();
    }
    assert_eq!(
        d.set_coredump_property("k".into(), "v".into()),
        Err(Errno::ENOBUFS)
    );
}

#[test]
fn hostname_is_per_table_and_root_only() {
    let table = Table::default();
    let other = Table::default();
    let user = process::Credentials::new(1000, 1000);
    assert_eq!(table.uts().hostname(), b"courage");
    assert_eq!(table.sethostname(&user, b"x"), Err(Errno::EPERM));
    assert_eq!(
        table.sethostname(&process::Credentials::root(), &[b'h'; 65]),
        Err(Errno::EINVAL)
    );
    table
        .sethostname(&process::Credentials::root(), b"box")
        .unwrap();
    assert_eq!(table.uts().hostname(), b"box");
    assert_eq!(other.uts().hostname(), b"courage");
}

#[test]
fn exec_records_the_program_fork_inherits_it_and_exit_drops_it() {
    let table = Table::new(1000);
    let init = boot_init(&table);
    init.data().set_program(process::Program::new(
        Some(Dir("/bin/sh")),
        &[b"sh".to_vec(), b"-c".to_vec()],
        &[b"HOME=/".to_vec()],
    ));
    assert_eq!(init.data().program().cmdline, b"sh\0-c\0");
    let child = fork(&table, &init);
    assert_eq!(
        child.data().program().exe,
        Some(Dir("/bin/sh")),
        "a child shows its parent's program"
    );
    assert_eq!(child.data().program().environ, b"HOME=/\0");
    exit(&table, &child, 0);
    assert_eq!(
        child.data().program().exe,
        None,
        "a zombie keeps no executable"
    );
    assert!(child.data().program().cmdline.is_empty());
}

#[test]
fn rlimit_nproc_stops_a_users_fork_bomb_but_not_root() {
    use process::{Resource, Rlimit};
    let table = Table::default();
    let init = boot_init(&table);
    let user = fork(&table, &init);
    user.set_rlimit(Resource::Nproc, Some(Rlimit::fixed(4)), true)
        .unwrap();
    user.data()
        .change_credentials(|c| c.setresuid(1000, 1000, 1000))
        .unwrap();
    // The user has one task; three more fit, the fifth does not.
    let mut forked = vec![fork(&table, &user), fork(&table, &user)];
    table.add_thread(&user, ()).unwrap();
    assert_eq!(table.fork(&user, ()).err(), Some(Errno::EAGAIN));
    assert_eq!(table.add_thread(&user, ()).err(), Some(Errno::EAGAIN));
    // A zombie still counts until it is reaped.
    let zombie = forked.pop().unwrap();
    exit(&table, &zombie, 0);
    assert_eq!(table.fork(&user, ()).err(), Some(Errno::EAGAIN));
    assert!(wait4(&table, &user, zombie.pid(), 0).unwrap().is_some());
    forked.push(fork(&table, &user));
    // Another user, and root, are not counted against uid 1000.
    let root_child = fork(&table, &init);
    assert!(table.fork(&root_child, ()).is_ok());
}

#[test]
fn the_default_thread_limit_is_an_eighth_of_memory_in_kernel_stacks() {
    // Linux 6.1 under QEMU with 512 MiB and 16 KiB stacks says 4,096 (less
    // the memory the kernel keeps for itself).
    assert_eq!(process::default_thread_max(512 << 20, 16 << 10), 4096);
    assert_eq!(process::default_thread_max(512 << 20, 64 << 10), 1024);
    assert_eq!(process::default_thread_max(1 << 20, 64 << 10), 20);
}

#[test]
fn threads_max_stops_everyone_including_root() {
    let table = Table::default();
    let init = boot_init(&table);
    assert_eq!(table.set_thread_max(0), Err(Errno::EINVAL));
    table.set_thread_max(20).unwrap();
    assert_eq!(table.thread_max(), 20);
    let mut children = Vec::new();
    while table.thread_count() < 20 {
        children.push(fork(&table, &init));
    }
    assert_eq!(table.fork(&init, ()).err(), Some(Errno::EAGAIN));
    assert_eq!(table.add_thread(&init, ()).err(), Some(Errno::EAGAIN));
    // One exit (its thread gone) makes room again.
    exit(&table, &children.pop().unwrap(), 0);
    assert!(table.fork(&init, ()).is_ok());
}

#[test]
fn a_fork_copies_its_parent_outside_the_table_lock_and_keeps_its_pid() {
    use std::sync::{Arc, Mutex, mpsc};
    let table = Arc::new(Table::default());
    let init = boot_init(&table);
    let other = fork(&table, &init);
    // What a fork on another CPU got while the first one copied (None:
    // it did not finish in time, so it waited for the copy).
    let during_copy: Arc<Mutex<Option<Option<ForkResult>>>> = Arc::default();
    let (table_there, parent_there, result) = (table.clone(), other.clone(), during_copy.clone());
    common::DURING_FORK.with(|hook| {
        *hook.borrow_mut() = Some(Box::new(move || {
            let (sender, receiver) = mpsc::channel();
            let (table, parent) = (table_there.clone(), parent_there.clone());
            std::thread::spawn(move || {
                let _ = sender.send(table.fork(&parent, ()).map(|(child, _)| child.pid()));
            });
            let forked = receiver
                .recv_timeout(std::time::Duration::from_secs(10))
                .ok();
            *result.lock().unwrap() = Some(forked);
        }));
    });
    let (child, _) = table.fork(&init, ()).unwrap();
    common::DURING_FORK.with(|hook| *hook.borrow_mut() = None);
    let other_child = during_copy
        .lock()
        .unwrap()
        .take()
        .expect("the hook ran")
        .expect("the other fork finished while the first copied")
        .unwrap();
    assert_ne!(
        other_child,
        child.pid(),
        "the copying fork's pid stays reserved"
    );
    assert!(table.from_pid(child.pid()).is_some());
    assert!(table.from_pid(other_child).is_some());
    assert!(init.data().children().any(|pid| pid == child.pid()));
    assert!(other.data().children().any(|pid| pid == other_child));
}

type ForkResult = Result<process::Pid, Errno>;
