//! Pid allocation against a live table, process groups and sessions.

mod common;

use std::collections::BTreeSet;

use abi::Errno;
use common::*;

#[test]
fn pid_wraps_and_skips_live_ids() {
    let table = Table::new(12);
    let init = boot_init(&table);
    let mut children: Vec<Proc> = (0..6).map(|_| fork(&table, &init)).collect();
    let thread = table.add_thread(&children[0], ()).unwrap();
    assert_eq!(thread.tid(), 8);
    // Pid 4's process leads a group that outlives it.
    let leader = children.remove(2);
    table.setpgid(&init, leader.pid(), 0).unwrap();
    let member = children.remove(2);
    table.setpgid(&init, member.pid(), leader.pid()).unwrap();
    exit(&table, &leader, 0);
    wait4(&table, &init, leader.pid(), 0).unwrap();
    // Free pids 3 and 7 too.
    for victim in [children.remove(1), children.remove(2)] {
        exit(&table, &victim, 0);
        wait4(&table, &init, victim.pid(), 0).unwrap();
    }
    // 9, 10, 11 are fresh; then the wrap finds 3 and 7 but not 4 (a live
    // pgid) nor 8 (a live tid).
    let got: Vec<_> = (0..5).map(|_| fork(&table, &init).pid()).collect();
    assert_eq!(got, [9, 10, 11, 3, 7]);
    let all: BTreeSet<_> = table.all_processes().iter().map(|p| p.pid()).collect();
    assert_eq!(all.len(), table.process_count());
    assert_eq!(table.fork(&init, ()).err(), Some(Errno::EAGAIN));
}

#[test]
fn pids_exhausted_gives_eagain() {
    let table = Table::new(4);
    let init = boot_init(&table);
    fork(&table, &init);
    fork(&table, &init);
    assert_eq!(table.fork(&init, ()).err(), Some(Errno::EAGAIN));
    assert_eq!(table.add_thread(&init, ()).err(), Some(Errno::EAGAIN));
    assert_eq!(table.allocate_pid(), Err(Errno::EAGAIN));
}

#[test]
fn setsid_makes_a_new_session_and_group() {
    let table = Table::default();
    let init = boot_init(&table);
    let child = fork(&table, &init);
    assert_eq!(table.setsid(&child), Ok(child.pid()));
    let d = child.data();
    assert_eq!(
        (d.sid(), d.pgid(), d.tty()),
        (child.pid(), child.pid(), None)
    );
    drop(d);
    assert_eq!(
        table.setsid(&child),
        Err(Errno::EPERM),
        "already a group leader"
    );
    assert_eq!(table.getsid(&init, child.pid()), Ok(child.pid()));
    assert_eq!(table.getsid(&init, 0), Ok(0));
    assert_eq!(table.getpgid(&child, 0), Ok(child.pid()));
    assert_eq!(table.getsid(&init, 4242), Err(Errno::ESRCH));
}

#[test]
fn init_may_call_setsid() {
    let table = Table::default();
    let init = boot_init(&table);
    assert_eq!(table.setsid(&init), Ok(1));
}

#[test]
fn setpgid_rules_match_linux() {
    let table = Table::default();
    let init = boot_init(&table);
    let shell = fork(&table, &init);
    table.setsid(&shell).unwrap();
    let job = fork(&table, &shell);
    let job2 = fork(&table, &shell);

    assert_eq!(table.setpgid(&shell, job.pid(), -1), Err(Errno::EINVAL));
    // New group led by job, then job2 joins it.
    table.setpgid(&shell, job.pid(), 0).unwrap();
    assert_eq!(job.data().pgid(), job.pid());
    table.setpgid(&shell, job2.pid(), job.pid()).unwrap();
    assert_eq!(table.getpgid(&shell, job2.pid()), Ok(job.pid()));
    // Joining a group that does not exist.
    assert_eq!(table.setpgid(&shell, job2.pid(), 999), Err(Errno::EPERM));
    // A session leader cannot move.
    assert_eq!(table.setpgid(&shell, 0, job.pid()), Err(Errno::EPERM));
    // Not the caller nor its child.
    assert_eq!(table.setpgid(&job, shell.pid(), 0), Err(Errno::ESRCH));
    assert_eq!(table.setpgid(&shell, 4242, 0), Err(Errno::ESRCH));
    // A child in another session.
    table.setsid(&job2).unwrap();
    assert_eq!(
        table.setpgid(&shell, job2.pid(), job.pid()),
        Err(Errno::EPERM)
    );
    // A group in another session is not joinable: init (session 0) tries
    // to put itself into the shell's session's group.
    assert_eq!(table.setpgid(&init, 0, job.pid()), Err(Errno::EPERM));
    // A child that has exec'd.
    let job3 = fork(&table, &shell);
    let main = job3.threads()[0].clone();
    let _ = job3.exec(
        &main,
        FakeSpace {
            regions: 1,
            forks: 0,
        },
        "ls".into(),
    );
    assert_eq!(table.setpgid(&shell, job3.pid(), 0), Err(Errno::EACCES));
    // The process itself still may, after exec.
    assert_eq!(table.setpgid(&job3, 0, 0), Ok(()));
}

#[test]
fn processes_in_group_lists_members() {
    let table = Table::default();
    let init = boot_init(&table);
    let a = fork(&table, &init);
    let b = fork(&table, &init);
    let _c = fork(&table, &init);
    table.setpgid(&init, a.pid(), 0).unwrap();
    table.setpgid(&init, b.pid(), a.pid()).unwrap();
    let members: Vec<_> = table
        .processes_in_group(a.pid())
        .iter()
        .map(|p| p.pid())
        .collect();
    assert_eq!(members, [a.pid(), b.pid()]);
}
