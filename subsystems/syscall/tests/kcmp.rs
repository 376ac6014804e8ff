//! `kcmp`: which objects two threads share, an order that is consistent
//! both ways, and Linux's errors.

use crate::common::*;
use abi::{Errno, Sysno};

const KCMP_FILE: u64 = 0;
const KCMP_VM: u64 = 1;
const KCMP_FILES: u64 = 2;
const KCMP_SIGHAND: u64 = 4;
const KCMP_EPOLL_TFD: u64 = 7;
const EPOLL_CTL_ADD: u64 = 1;

fn kcmp(w: &World, pid1: i32, pid2: i32, kind: u64, idx1: u64, idx2: u64) -> i64 {
    w.call(Sysno::Kcmp, &[pid1 as u64, pid2 as u64, kind, idx1, idx2])
}

/// Two different objects order one way and the other way round.
fn assert_ordered(forward: i64, backward: i64) {
    assert!(
        (forward, backward) == (1, 2) || (forward, backward) == (2, 1),
        "{forward} then {backward}"
    );
}

#[test]
fn descriptions_are_the_same_through_dup_and_fork_and_differ_when_opened_twice() {
    let w = World::new();
    let me = w.process.pid();
    let fd = w.open("/", 0) as u64;
    let copy = w.call(Sysno::Dup, &[fd]) as u64;
    let other = w.open("/", 0) as u64;
    assert_eq!(kcmp(&w, me, me, KCMP_FILE, fd, copy), 0);
    assert_ordered(
        kcmp(&w, me, me, KCMP_FILE, fd, other),
        kcmp(&w, me, me, KCMP_FILE, other, fd),
    );
    let (child, _) = w.fork();
    assert_eq!(kcmp(&w, me, child.pid(), KCMP_FILE, fd, fd), 0);
    assert_eq!(kcmp(&w, me, me, KCMP_FILE, fd, 99), err(Errno::EBADF));
}

#[test]
fn a_forked_child_has_its_own_memory_table_and_handlers_and_threads_share_them() {
    let w = World::new();
    let me = w.process.pid();
    let (child, _) = w.fork();
    let child = child.pid();
    for kind in [KCMP_VM, KCMP_FILES, KCMP_SIGHAND] {
        assert_eq!(kcmp(&w, me, me, kind, 0, 0), 0, "type {kind}");
        assert_ordered(
            kcmp(&w, me, child, kind, 0, 0),
            kcmp(&w, child, me, kind, 0, 0),
        );
    }
    // Any thread's id names its process's objects.
    assert_eq!(kcmp(&w, w.thread.tid(), me, KCMP_VM, 0, 0), 0);
    // A CLONE_VM child shares the memory, not the rest.
    const CLONE_VM: u64 = 0x100;
    const SIGCHLD: u64 = 17;
    let sharing = w.call(Sysno::Clone, &[CLONE_VM | SIGCHLD, 0x1234, 0, 0, 0]);
    assert!(sharing > 0);
    let sharing = sharing as i32;
    assert_eq!(kcmp(&w, me, sharing, KCMP_VM, 0, 0), 0);
    assert_ordered(
        kcmp(&w, me, sharing, KCMP_FILES, 0, 0),
        kcmp(&w, sharing, me, KCMP_FILES, 0, 0),
    );
}

#[test]
fn an_epoll_slot_names_the_description_added_under_that_number() {
    let w = World::new();
    let me = w.process.pid();
    let epfd = w.call(Sysno::EpollCreate1, &[0]) as u64;
    // Directories cannot be watched: a pipe's two ends can.
    let ends = w.alloc(8);
    assert_eq!(w.call(Sysno::Pipe2, &[ends, 0]), 0);
    let fd = u64::from(w.get::<u32>(ends));
    let other = u64::from(w.get::<u32>(ends + 4));
    let event = w.alloc(12);
    w.poke(event, &[1, 0, 0, 0]);
    assert_eq!(
        w.call(Sysno::EpollCtl, &[epfd, EPOLL_CTL_ADD, fd, event]),
        0
    );
    let slot = |efd: u64, tfd: u64, toff: u32| {
        let at = w.alloc(12);
        w.poke(at, &(efd as u32).to_ne_bytes());
        w.poke(at + 4, &(tfd as u32).to_ne_bytes());
        w.poke(at + 8, &toff.to_ne_bytes());
        at
    };
    assert_eq!(kcmp(&w, me, me, KCMP_EPOLL_TFD, fd, slot(epfd, fd, 0)), 0);
    assert_ne!(
        kcmp(&w, me, me, KCMP_EPOLL_TFD, other, slot(epfd, fd, 0)),
        0
    );
    assert_eq!(
        kcmp(&w, me, me, KCMP_EPOLL_TFD, fd, slot(epfd, fd, 1)),
        err(Errno::ENOENT)
    );
    assert_eq!(
        kcmp(&w, me, me, KCMP_EPOLL_TFD, fd, slot(fd, fd, 0)),
        err(Errno::EINVAL),
        "not an epoll instance"
    );
    assert_eq!(kcmp(&w, me, me, KCMP_EPOLL_TFD, fd, 8), err(Errno::EFAULT));
}

#[test]
fn unknown_threads_types_and_strangers_are_refused() {
    let w = World::new();
    let me = w.process.pid();
    assert_eq!(kcmp(&w, me, 9999, KCMP_VM, 0, 0), err(Errno::ESRCH));
    assert_eq!(kcmp(&w, -1, me, KCMP_VM, 0, 0), err(Errno::ESRCH));
    assert_eq!(kcmp(&w, me, me, 8, 0, 0), err(Errno::EINVAL));
    let (child, thread) = w.fork();
    assert_eq!(w.call_as(&child, &thread, Sysno::Setuid, &[2000]), 0);
    w.become_user(1000, 1000);
    assert_eq!(kcmp(&w, me, child.pid(), KCMP_VM, 0, 0), err(Errno::EPERM));
}
