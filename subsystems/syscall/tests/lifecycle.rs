//! Whole lives of processes across the process, signal, fs and mm crates:
//! pipes between parent and child, exec closing descriptors, SIGCHLD and
//! auto-reaping, job control seen by wait, thread exit clearing its tid.

use std::sync::Arc;

use crate::common::*;
use abi::{Errno, Sysno};
use process::{Process, Thread};
use signal::KernelSigAction;
use syscall::signals::delivery::UserReturn;

const SIGCHLD: u64 = 17;
const SIGCONT: u64 = 18;
const SIGSTOP: u64 = 19;
const WNOHANG: u64 = 1;
const WUNTRACED: u64 = 2;
const WCONTINUED: u64 = 8;

type Child = (Arc<Process<Env>>, Arc<Thread<Env>>);

fn fork(w: &World) -> Child {
    let pid = w.call(Sysno::Fork, &[]);
    assert!(pid > 1, "fork: {pid}");
    let child = w.machine.processes.from_pid(pid as i32).unwrap();
    let thread = child.threads()[0].clone();
    (child, thread)
}

fn exit(w: &World, child: &Child, status: u64) {
    w.call_as(&child.0, &child.1, Sysno::ExitGroup, &[status]);
    assert_eq!(
        w.return_to_user_as(&child.0, &child.1, None),
        UserReturn::ExitThread
    );
}

fn pipe(w: &World, flags: u32) -> (i64, i64) {
    let fds = w.alloc(8);
    assert_eq!(w.call(Sysno::Pipe2, &[fds, flags as u64]), 0);
    let [r, wr] = w.get::<[i32; 2]>(fds);
    (r as i64, wr as i64)
}

fn pending_bits(process: &Process<Env>) -> u64 {
    process.data().signals().shared_pending().set().bits()
}

#[test]
fn a_child_writes_through_a_pipe_and_its_exit_is_the_parents_end_of_file() {
    let w = World::new();
    let (r, wr) = pipe(&w, 0);
    let child = fork(&w);
    // Each closes the end it does not use, as a shell does.
    assert_eq!(w.call(Sysno::Close, &[wr as u64]), 0);
    assert_eq!(w.call_as(&child.0, &child.1, Sysno::Close, &[r as u64]), 0);
    let message = w.string("hello from the child");
    assert_eq!(
        w.call_as(&child.0, &child.1, Sysno::Write, &[wr as u64, message, 20]),
        20
    );
    assert_eq!(w.read(r, 100).unwrap(), b"hello from the child");
    exit(&w, &child, 0);
    assert_eq!(
        w.read(r, 100).unwrap(),
        b"",
        "the last writer left with the child"
    );
}

#[test]
fn exec_closes_a_cloexec_pipe_end_so_the_parent_learns_it_succeeded() {
    let w = World::new();
    let fd = w.open("/prog", O_CREAT | O_WRONLY);
    w.write(fd, b"#!fake");
    w.call(Sysno::Close, &[fd as u64]);
    let p = w.string("/prog");
    w.call(Sysno::Chmod, &[p, 0o755]);
    let (r, wr) = pipe(&w, O_CLOEXEC);
    let child = fork(&w);
    w.call(Sysno::Close, &[wr as u64]);
    let argv = w.put(&[0u64]);
    assert_eq!(
        w.call_as(&child.0, &child.1, Sysno::Execve, &[p, argv, 0]),
        0
    );
    assert_eq!(
        w.read(r, 10).unwrap(),
        b"",
        "EOF: exec closed the child's end"
    );
    assert_eq!(child.0.data().name(), "prog");
}

#[test]
fn a_child_exit_sends_sigchld_to_its_parent() {
    let w = World::new();
    // SIGCHLD's default action is to ignore it, and an ignored signal is
    // discarded: a handler makes it stay.
    let handler = w.put(&KernelSigAction {
        handler: 0x40_1000,
        flags: 0x0400_0000,
        restorer: 0x40_2000,
        mask: 0,
    });
    assert_eq!(w.call(Sysno::RtSigaction, &[SIGCHLD, handler, 0, 8]), 0);
    let child = fork(&w);
    exit(&w, &child, 1);
    assert_ne!(pending_bits(&w.process) & (1 << (SIGCHLD - 1)), 0);
    let status = w.alloc(4);
    assert_eq!(
        w.call(Sysno::Wait4, &[u64::MAX, status, WNOHANG, 0]),
        child.0.pid() as i64
    );
    assert_eq!(w.get::<i32>(status), 1 << 8);
}

#[test]
fn ignoring_sigchld_reaps_children_automatically() {
    let w = World::new();
    let ignore = w.put(&KernelSigAction {
        handler: 1,
        flags: 0,
        restorer: 0,
        mask: 0,
    });
    assert_eq!(w.call(Sysno::RtSigaction, &[SIGCHLD, ignore, 0, 8]), 0);
    let child = fork(&w);
    let pid = child.0.pid();
    exit(&w, &child, 0);
    assert!(
        w.machine.processes.from_pid(pid).is_none(),
        "no zombie left"
    );
    assert_eq!(
        w.call(Sysno::Wait4, &[u64::MAX, 0, WNOHANG, 0]),
        err(Errno::ECHILD)
    );
}

#[test]
fn wait_sees_a_child_stop_and_continue() {
    let w = World::new();
    let child = fork(&w);
    let pid = child.0.pid() as u64;
    assert_eq!(w.call(Sysno::Kill, &[pid, SIGSTOP]), 0);
    w.return_to_user_as(&child.0, &child.1, None);
    let status = w.alloc(4);
    assert_eq!(
        w.call(Sysno::Wait4, &[pid, status, WNOHANG, 0]),
        0,
        "stops need WUNTRACED"
    );
    assert_eq!(
        w.call(Sysno::Wait4, &[pid, status, WUNTRACED | WNOHANG, 0]),
        pid as i64
    );
    assert_eq!(w.get::<i32>(status), 0x137f, "WIFSTOPPED, WSTOPSIG 19");
    assert_eq!(w.call(Sysno::Kill, &[pid, SIGCONT]), 0);
    assert_eq!(
        w.call(Sysno::Wait4, &[pid, status, WCONTINUED | WNOHANG, 0]),
        pid as i64
    );
    assert_eq!(w.get::<i32>(status), 0xffff, "WIFCONTINUED");
    assert!(child.0.data().termination().is_none());
}

#[test]
fn a_stopped_group_orphaned_by_its_parents_exit_gets_sighup_and_sigcont() {
    let w = World::new();
    let parent = fork(&w);
    // A session of its own, so init (the new parent) is outside it.
    assert_eq!(
        w.call_as(&parent.0, &parent.1, Sysno::Setsid, &[]),
        parent.0.pid() as i64
    );
    // The middle process makes a child in a new group of its session, stops
    // it, and exits: the group is orphaned with a stopped member.
    let grandchild_pid = w.call_as(&parent.0, &parent.1, Sysno::Fork, &[]);
    let grandchild = w.machine.processes.from_pid(grandchild_pid as i32).unwrap();
    let thread = grandchild.threads()[0].clone();
    assert_eq!(w.call_as(&grandchild, &thread, Sysno::Setpgid, &[0, 0]), 0);
    assert_eq!(
        w.call_as(
            &parent.0,
            &parent.1,
            Sysno::Kill,
            &[grandchild_pid as u64, SIGSTOP]
        ),
        0
    );
    w.return_to_user_as(&grandchild, &thread, None);
    assert!(matches!(
        grandchild.data().state(),
        process::ProcessState::Stopped(_)
    ));
    exit(&w, &parent, 0);
    let pending = pending_bits(&grandchild);
    assert_ne!(pending & 1, 0, "SIGHUP");
    assert!(
        !matches!(grandchild.data().state(), process::ProcessState::Stopped(_)),
        "continued"
    );
    assert_eq!(grandchild.data().ppid(), 1, "re-parented to init");
}

#[test]
fn a_thread_that_exits_clears_its_tid_word() {
    let w = World::new();
    let word = w.put(&0x55u32);
    let flags = 0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x200000;
    let tid = w.call(Sysno::Clone, &[flags, 0x7000_0000, 0, word, 0]);
    let thread = w.machine.processes.from_tid(tid as i32).unwrap();
    assert_eq!(w.call_as(&w.process, &thread, Sysno::Exit, &[0]), 0);
    assert_eq!(
        w.return_to_user_as(&w.process, &thread, None),
        UserReturn::ExitThread
    );
    assert_eq!(w.get::<u32>(word), 0, "what pthread_join waits for");
    assert_eq!(w.process.thread_count(), 1);
    assert!(w.process.data().termination().is_none());
}

#[test]
fn resource_limits_and_the_working_directory_are_inherited_by_fork() {
    let w = World::new();
    let limit = w.put(&abi::RawRlimit {
        current: 5,
        max: 100,
    });
    assert_eq!(w.call(Sysno::Setrlimit, &[7, limit]), 0);
    let d = w.string("/work");
    assert_eq!(w.call(Sysno::Mkdir, &[d, 0o755]), 0);
    assert_eq!(w.call(Sysno::Chdir, &[d]), 0);
    let child = fork(&w);
    let out = w.alloc(16);
    assert_eq!(
        w.call_as(&child.0, &child.1, Sysno::Getrlimit, &[7, out]),
        0
    );
    assert_eq!(w.get::<abi::RawRlimit>(out).current, 5);
    let buf = w.alloc(32);
    assert_eq!(w.call_as(&child.0, &child.1, Sysno::Getcwd, &[buf, 32]), 6);
    assert_eq!(w.peek(buf, 6), b"/work\0");
    // The child's chdir is its own.
    let root = w.string("/");
    assert_eq!(w.call_as(&child.0, &child.1, Sysno::Chdir, &[root]), 0);
    assert_eq!(w.call(Sysno::Getcwd, &[buf, 32]), 6);
}
