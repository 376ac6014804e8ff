//! Fork trees, exits, waits and reaping as a parent observes them.

mod common;

use abi::Errno;
use common::*;
use process::wait::{P_ALL, P_PID, WCONTINUED, WEXITED, WNOHANG, WNOWAIT, WSTOPPED, WUNTRACED};
use process::{ChildCode, ProcessState, Termination};

#[test]
fn fork_tree_of_depth_5_with_statuses_collected() {
    let table = Table::default();
    let init = boot_init(&table);
    // A chain init -> p1 -> ... -> p5. Each process exits with one more than
    // the status it collected from its child; the leaf exits with 10.
    let mut chain = vec![init.clone()];
    for _ in 0..5 {
        let child = fork(&table, chain.last().unwrap());
        chain.push(child);
    }
    let pids: Vec<_> = chain.iter().map(|p| p.pid()).collect();
    assert_eq!(pids, [1, 2, 3, 4, 5, 6]);
    for (parent, child) in chain.iter().zip(chain.iter().skip(1)) {
        assert_eq!(child.data().ppid(), parent.pid());
    }

    let mut code = 10u8;
    let mut collected = Vec::new();
    for depth in (1..=5).rev() {
        let notice = exit(&table, &chain[depth], code);
        assert_eq!(notice.parent, Some(chain[depth - 1].pid()));
        let info = wait4(&table, &chain[depth - 1], -1, 0).unwrap().unwrap();
        assert_eq!(info.pid, chain[depth].pid());
        assert_eq!(info.code, ChildCode::Exited);
        collected.push((info.status, info.wait_status));
        code = info.status as u8 + 1;
    }
    assert_eq!(
        collected,
        [
            (10, 0xa00),
            (11, 0xb00),
            (12, 0xc00),
            (13, 0xd00),
            (14, 0xe00)
        ]
    );
    assert_eq!(table.process_count(), 1);
}

#[test]
fn orphan_is_reparented_to_init() {
    let table = Table::default();
    let init = boot_init(&table);
    let parent = fork(&table, &init);
    let orphan = fork(&table, &parent);
    let notice = exit(&table, &parent, 0);
    assert!(!notice.init_adopted_zombies);
    assert_eq!(
        (notice.info.pid, notice.info.code),
        (parent.pid(), ChildCode::Exited)
    );
    assert_eq!(orphan.data().ppid(), 1);
    assert!(init.data().children().any(|c| c == orphan.pid()));
    // Init can now wait for it.
    exit(&table, &orphan, 3);
    let info = wait4(&table, &init, orphan.pid(), 0).unwrap().unwrap();
    assert_eq!(info.status, 3);
}

#[test]
fn exit_lists_the_groups_of_adopted_children_it_may_orphan() {
    let table = Table::default();
    let init = boot_init(&table);
    let parent = fork(&table, &init);
    // Children in the parent's own group, in two other groups of its
    // session (one twice), and in a session of their own.
    let same_group = fork(&table, &parent);
    let other_group = fork(&table, &parent);
    let other_group_too = fork(&table, &parent);
    let third_group = fork(&table, &parent);
    let own_session = fork(&table, &parent);
    table.setpgid(&other_group, 0, 0).unwrap();
    table
        .setpgid(&other_group_too, 0, other_group.pid())
        .unwrap();
    table.setpgid(&third_group, 0, 0).unwrap();
    table.setsid(&own_session).unwrap();
    let childless = exit(&table, &same_group, 0);
    assert!(childless.adopted_groups.is_empty());
    let notice = exit(&table, &parent, 0);
    assert_eq!(
        notice.adopted_groups,
        [other_group.pid(), third_group.pid()]
    );
}

#[test]
fn orphaned_zombie_is_reported_to_init() {
    let table = Table::default();
    let init = boot_init(&table);
    let parent = fork(&table, &init);
    let child = fork(&table, &parent);
    exit(&table, &child, 4);
    let notice = exit(&table, &parent, 0);
    assert!(notice.init_adopted_zombies);
    wait4(&table, &init, parent.pid(), 0).unwrap().unwrap();
    let info = wait4(&table, &init, child.pid(), 0).unwrap().unwrap();
    assert_eq!(info.status, 4);
}

#[test]
fn zombie_stays_until_reaped() {
    let table = Table::default();
    let init = boot_init(&table);
    let child = fork(&table, &init);
    let pid = child.pid();
    let notice = exit(&table, &child, 0);
    assert!(!notice.reaped);
    assert_eq!(notice.closed.len(), 3, "the console fds were closed");
    assert_eq!(
        notice.address_space.map(|s| s.regions),
        Some(3),
        "handed back for teardown"
    );
    let zombie = table.from_pid(pid).expect("zombie is still in the table");
    assert_eq!(
        zombie.data().state(),
        ProcessState::Zombie(Termination::Exited(0))
    );
    assert!(zombie.data().fs().is_none());
    // Its pid is not handed out again while it is a zombie.
    let other = fork(&table, &init);
    assert_ne!(other.pid(), pid);
    wait4(&table, &init, pid, 0).unwrap().unwrap();
    assert!(table.from_pid(pid).is_none());
    assert_eq!(wait4(&table, &init, pid, 0), Err(Errno::ECHILD));
}

#[test]
fn wnohang_returns_zero_with_running_children() {
    let table = Table::default();
    let init = boot_init(&table);
    let _child = fork(&table, &init);
    assert_eq!(wait4(&table, &init, -1, WNOHANG), Ok(None));
}

#[test]
fn waitpid_of_non_child_is_echild() {
    let table = Table::default();
    let init = boot_init(&table);
    let a = fork(&table, &init);
    let b = fork(&table, &init);
    assert_eq!(wait4(&table, &a, b.pid(), WNOHANG), Err(Errno::ECHILD));
    assert_eq!(wait4(&table, &a, -1, 0), Err(Errno::ECHILD));
    assert_eq!(wait4(&table, &init, 999, 0), Err(Errno::ECHILD));
}

#[test]
fn wnowait_leaves_zombie() {
    let table = Table::default();
    let init = boot_init(&table);
    let child = fork(&table, &init);
    exit(&table, &child, 7);
    let peek = waitid(&table, &init, P_PID, child.pid(), WEXITED | WNOWAIT)
        .unwrap()
        .unwrap();
    assert_eq!((peek.code, peek.status), (ChildCode::Exited, 7));
    assert!(table.from_pid(child.pid()).is_some());
    let reaped = waitid(&table, &init, P_ALL, 0, WEXITED).unwrap().unwrap();
    assert_eq!(reaped, peek);
    assert!(table.from_pid(child.pid()).is_none());
}

#[test]
fn stopped_and_continued_are_reported_once_each() {
    let table = Table::default();
    let init = boot_init(&table);
    let child = fork(&table, &init);
    assert!(!child.is_stopped());
    let notice = stop(&table, &child, 19).unwrap();
    assert!(child.is_stopped(), "the lock-free hint follows the stop");
    assert_eq!(notice.parent, Some(1));
    assert_eq!(
        (notice.info.code, notice.info.status),
        (ChildCode::Stopped, 19)
    );
    assert!(!table.stop_process(&child, 19), "already stopped");
    // Without WUNTRACED the stop is invisible.
    assert_eq!(wait4(&table, &init, -1, WNOHANG), Ok(None));
    let stopped = wait4(&table, &init, -1, WUNTRACED | WNOHANG)
        .unwrap()
        .unwrap();
    assert_eq!(
        (stopped.code, stopped.status, stopped.wait_status),
        (ChildCode::Stopped, 19, 0x137f)
    );
    assert_eq!(wait4(&table, &init, -1, WUNTRACED | WNOHANG), Ok(None));

    let notice = table.continue_process(&child).unwrap();
    assert!(!child.is_stopped(), "and the continue");
    assert_eq!(
        (notice.parent, notice.info.code),
        (Some(1), ChildCode::Continued)
    );
    assert_eq!(table.continue_process(&child), None, "not stopped any more");
    let continued = wait4(&table, &init, -1, WCONTINUED | WNOHANG)
        .unwrap()
        .unwrap();
    assert_eq!(
        (continued.code, continued.status, continued.wait_status),
        (ChildCode::Continued, 18, 0xffff)
    );
    assert_eq!(wait4(&table, &init, -1, WCONTINUED | WNOHANG), Ok(None));
}

#[test]
fn stop_marks_threads_stopped_and_continue_makes_them_runnable() {
    let table = Table::default();
    let init = boot_init(&table);
    let child = fork(&table, &init);
    let thread = table.add_thread(&child, ()).unwrap();
    stop(&table, &child, 20);
    assert!(
        child
            .threads()
            .iter()
            .all(|t| t.state() == process::ThreadState::Stopped)
    );
    table.continue_process(&child);
    assert_eq!(thread.state(), process::ThreadState::Runnable);
}

#[test]
fn a_stop_is_reported_once_its_last_thread_has_stopped() {
    let table = Table::default();
    let init = boot_init(&table);
    let child = fork(&table, &init);
    let second = table.add_thread(&child, ()).unwrap();
    let third = table.add_thread(&child, ()).unwrap();
    let first = child
        .threads()
        .into_iter()
        .find(|t| t.tid() == child.pid())
        .unwrap();
    assert!(table.stop_process(&child, 19));
    // The thread that took the signal stops; the others still run.
    assert!(table.park_for_stop(&child, &first).is_none());
    assert!(table.park_for_stop(&child, &second).is_none());
    assert_eq!(wait4(&table, &init, -1, WUNTRACED | WNOHANG), Ok(None));
    // The last one exits instead of stopping: that completes the stop.
    table.remove_thread(&third);
    let notice = table.complete_stop(&child).unwrap();
    assert_eq!(
        (notice.parent, notice.info.code, notice.info.status),
        (Some(1), ChildCode::Stopped, 19)
    );
    assert!(table.complete_stop(&child).is_none(), "announced once");
    let stopped = wait4(&table, &init, -1, WUNTRACED | WNOHANG)
        .unwrap()
        .unwrap();
    assert_eq!((stopped.code, stopped.status), (ChildCode::Stopped, 19));
    // Continued before every thread stopped: as if it stopped and went
    // on. The parent's one SIGCHLD says stopped; wait sees the continue.
    let continued = table.continue_process(&child).unwrap();
    assert_eq!(continued.info.code, ChildCode::Continued);
    assert!(table.stop_process(&child, 20));
    assert!(table.park_for_stop(&child, &first).is_none());
    let notice = table.continue_process(&child).unwrap();
    assert_eq!(
        (notice.info.code, notice.info.status),
        (ChildCode::Stopped, 20)
    );
    assert!(table.park_for_stop(&child, &second).is_none());
    let continued = wait4(&table, &init, -1, WUNTRACED | WCONTINUED | WNOHANG)
        .unwrap()
        .unwrap();
    assert_eq!(continued.code, ChildCode::Continued);
    assert_eq!(wait4(&table, &init, -1, WUNTRACED | WNOHANG), Ok(None));
    // A traced process's stop is announced at once.
    assert!(table.stop_process(&child, 21));
    let notice = table.announce_stop_now(&child).unwrap();
    assert_eq!(notice.info.status, 21);
}

#[test]
fn no_thread_is_made_while_a_stop_is_in_progress() {
    let table = Table::default();
    let init = boot_init(&table);
    let child = fork(&table, &init);
    let second = table.add_thread(&child, ()).unwrap();
    assert!(table.stop_process(&child, 19));
    // The stop waits for the threads it has; one made now would run on.
    assert_eq!(table.add_thread(&child, ()).err(), Some(Errno::EINTR));
    assert_eq!(child.thread_count(), 2);
    let first = child
        .threads()
        .into_iter()
        .find(|t| t.tid() == child.pid())
        .unwrap();
    assert!(table.park_for_stop(&child, &first).is_none());
    assert!(table.park_for_stop(&child, &second).is_some());
    table.continue_process(&child).unwrap();
    assert!(table.add_thread(&child, ()).is_ok());
    assert_eq!(child.thread_count(), 3);
}

#[test]
fn a_fork_during_a_signal_to_many_processes_starts_again() {
    let table = Table::default();
    let init = boot_init(&table);
    let before = table.all_processes().len();
    let group = init.data().pgid();
    for target in [Some(group), None] {
        // A ^C to the parent's group (or a kill(-1)) is being sent: the
        // list it made may lack the child, so no child is made.
        let _many = table.signalling_many(target);
        assert_eq!(table.fork(&init, ()).err(), Some(Errno::EINTR));
        assert_eq!(table.all_processes().len(), before);
    }
    {
        // One to another group leaves this fork alone.
        let _many = table.signalling_many(Some(group + 1));
        fork(&table, &init);
        assert_eq!(table.all_processes().len(), before + 1);
    }
    // Sent: the next fork (the same call, made again) goes through.
    let child = fork(&table, &init);
    assert_eq!(child.data().ppid(), init.pid());
    assert_eq!(table.all_processes().len(), before + 2);
}

#[test]
fn wnowait_leaves_stop_event_for_next_wait() {
    let table = Table::default();
    let init = boot_init(&table);
    let child = fork(&table, &init);
    stop(&table, &child, 19);
    assert!(
        waitid(&table, &init, P_ALL, 0, WSTOPPED | WNOWAIT)
            .unwrap()
            .is_some()
    );
    assert!(waitid(&table, &init, P_ALL, 0, WSTOPPED).unwrap().is_some());
    assert_eq!(
        waitid(&table, &init, P_ALL, 0, WSTOPPED | WNOHANG),
        Ok(None)
    );
}

#[test]
fn killed_child_reports_signal_and_core() {
    let table = Table::default();
    let init = boot_init(&table);
    let child = fork(&table, &init);
    terminate(
        &table,
        &child,
        Termination::Killed {
            signal: 11,
            core_dumped: true,
        },
        false,
    );
    let info = wait4(&table, &init, child.pid(), 0).unwrap().unwrap();
    assert_eq!(
        (info.code, info.status, info.wait_status),
        (ChildCode::Dumped, 11, 0x8b)
    );
    let other = fork(&table, &init);
    terminate(
        &table,
        &other,
        Termination::Killed {
            signal: 9,
            core_dumped: false,
        },
        false,
    );
    let info = wait4(&table, &init, -1, 0).unwrap().unwrap();
    assert_eq!(
        (info.code, info.status, info.wait_status),
        (ChildCode::Killed, 9, 9)
    );
}

#[test]
fn waitid_without_wexited_ignores_zombies() {
    let table = Table::default();
    let init = boot_init(&table);
    let child = fork(&table, &init);
    exit(&table, &child, 0);
    assert_eq!(
        waitid(&table, &init, P_ALL, 0, WCONTINUED | WNOHANG),
        Ok(None)
    );
}

#[test]
fn die_is_taken_once_and_the_first_status_wins() {
    let table = Table::default();
    let init = boot_init(&table);
    let child = fork(&table, &init);
    let mut wake = Vec::new();
    assert!(child.die(Termination::Exited(1), &mut wake));
    assert!(!child.die(
        Termination::Killed {
            signal: 9,
            core_dumped: false
        },
        &mut wake
    ));
    for t in child.threads() {
        table.remove_thread(&t);
    }
    table.finalize(&child, false).unwrap();
    assert_eq!(table.finalize(&child, false).err(), Some(Errno::EINVAL));
    assert_eq!(wait4(&table, &init, -1, 0).unwrap().unwrap().status, 1);
}

#[test]
fn child_is_auto_reaped_when_parent_ignores_sigchld() {
    let table = Table::default();
    let init = boot_init(&table);
    let child = fork(&table, &init);
    let notice = terminate(&table, &child, Termination::Exited(0), true);
    assert!(notice.reaped);
    assert_eq!(
        notice.parent,
        Some(1),
        "the parent's waiters still need waking"
    );
    assert!(table.from_pid(child.pid()).is_none());
    assert_eq!(wait4(&table, &init, -1, 0), Err(Errno::ECHILD));
}

#[test]
fn wait_selects_by_process_group() {
    let table = Table::default();
    let init = boot_init(&table);
    let a = fork(&table, &init);
    let b = fork(&table, &init);
    table.setpgid(&init, b.pid(), b.pid()).unwrap();
    exit(&table, &a, 1);
    exit(&table, &b, 2);
    // Group b only.
    let info = wait4(&table, &init, -b.pid(), 0).unwrap().unwrap();
    assert_eq!(info.pid, b.pid());
    assert_eq!(wait4(&table, &init, -b.pid(), 0), Err(Errno::ECHILD));
    // 0 = the waiter's own group (init's is 0, which a inherited).
    let info = wait4(&table, &init, 0, 0).unwrap().unwrap();
    assert_eq!(info.pid, a.pid());
}

#[test]
fn child_cpu_time_is_added_to_parent_on_reap() {
    let table = Table::default();
    let init = boot_init(&table);
    let child = fork(&table, &init);
    let grandchild = fork(&table, &child);
    grandchild.data().add_ticks(5, 1);
    exit(&table, &grandchild, 0);
    wait4(&table, &child, -1, 0).unwrap();
    child.data().add_ticks(10, 2);
    assert_eq!(child.data().children_times().user, 5);
    exit(&table, &child, 0);
    assert_eq!(init.data().children_times().user, 0, "not before the reap");
    wait4(&table, &init, -1, 0).unwrap();
    let t = init.data().children_times();
    assert_eq!((t.user, t.kernel), (15, 3));
}

#[test]
fn wait_reports_uid_of_the_child() {
    let table = Table::default();
    let init = boot_init(&table);
    let child = fork(&table, &init);
    child.data().change_credentials(|c| c.setuid(1000)).unwrap();
    exit(&table, &child, 0);
    assert_eq!(wait4(&table, &init, -1, 0).unwrap().unwrap().uid, 1000);
}

#[test]
fn wait_options_outside_the_syscalls_rules_are_einval() {
    let table = Table::default();
    let init = boot_init(&table);
    assert_eq!(wait4(&table, &init, -1, WNOWAIT), Err(Errno::EINVAL));
    assert_eq!(waitid(&table, &init, P_ALL, 0, WNOHANG), Err(Errno::EINVAL));
    assert_eq!(wait4(&table, &init, i32::MIN, 0), Err(Errno::ESRCH));
}

#[test]
fn auto_reaping_init_drops_adopted_zombies() {
    let table = Table::default();
    let init = boot_init(&table);
    let parent = fork(&table, &init);
    let child = fork(&table, &parent);
    let _running = fork(&table, &parent);
    exit(&table, &child, 0);
    let notice = terminate(&table, &parent, Termination::Exited(0), true);
    assert!(notice.init_adopted_zombies);
    assert_eq!(table.reap_zombie_children(&init), 1);
    assert!(table.from_pid(child.pid()).is_none());
    assert_eq!(
        init.data().children().count(),
        1,
        "the running orphan stays"
    );
}

#[test]
fn process_table_is_shareable_between_cpus() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Table>();
    assert_send_sync::<Proc>();
    assert_send_sync::<std::sync::Arc<process::Thread<Fake>>>();
}

#[test]
fn concurrent_forks_get_distinct_pids() {
    let table = std::sync::Arc::new(Table::default());
    let init = boot_init(&table);
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let table = table.clone();
            let init = init.clone();
            std::thread::spawn(move || {
                (0..250)
                    .map(|_| fork(&table, &init).pid())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut pids: Vec<_> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    pids.sort_unstable();
    pids.dedup();
    assert_eq!(pids.len(), 1000);
    assert_eq!(init.data().children().count(), 1000);
}

#[test]
fn wait_reports_the_childs_cpu_time_with_its_reaped_descendants() {
    let table = Table::default();
    let init = boot_init(&table);
    let child = fork(&table, &init);
    let grandchild = fork(&table, &child);
    grandchild.data().add_ticks(5, 1);
    exit(&table, &grandchild, 0);
    assert!(
        wait4(&table, &child, grandchild.pid(), 0)
            .unwrap()
            .is_some()
    );
    child.data().add_ticks(20, 3);
    exit(&table, &child, 0);
    let info = wait4(&table, &init, child.pid(), 0).unwrap().unwrap();
    assert_eq!(
        (info.times.user, info.times.kernel),
        (25, 4),
        "its own and its reaped child's"
    );
}

#[test]
fn the_membership_generation_moves_on_fork_and_reap_only() {
    let table = Table::default();
    let init = boot_init(&table);
    let before_fork = table.membership_generation();
    let child = fork(&table, &init);
    let after_fork = table.membership_generation();
    assert_ne!(after_fork, before_fork);
    // A zombie still holds its pid: nothing moves until it is reaped.
    exit(&table, &child, 0);
    assert_eq!(table.membership_generation(), after_fork);
    assert!(REAPED.with(|reaped| reaped.borrow().is_empty()));
    wait4(&table, &init, child.pid(), 0).unwrap().unwrap();
    assert_ne!(table.membership_generation(), after_fork);
    // The kernel hears of it (to drop procfs's dentries).
    assert_eq!(REAPED.with(|reaped| reaped.borrow().clone()), [child.pid()]);
}
