//! Processes as user space sees them: fork and clone, execve, exit and
//! wait, ids, groups and sessions, credentials, the thread pointer and
//! affinity. The process table, VFS, signal state and address spaces are
//! the real crates'; only thread start-up is recorded instead of run.

use std::sync::Arc;

use crate::common::*;
use abi::{Errno, Sysno};
use process::{Process, Termination, Thread};
use signal::{KernelSigAction, RawSigInfo};
use syscall::signals::delivery::UserReturn;

const CLONE_VM: u64 = 0x100;
const CLONE_FS: u64 = 0x200;
const CLONE_FILES: u64 = 0x400;
const CLONE_SIGHAND: u64 = 0x800;
const CLONE_VFORK: u64 = 0x4000;
const CLONE_THREAD: u64 = 0x10000;
const CLONE_NEWNS: u64 = 0x20000;
const CLONE_SETTLS: u64 = 0x80000;
const CLONE_PARENT_SETTID: u64 = 0x100000;
const CLONE_CHILD_CLEARTID: u64 = 0x200000;
const CLONE_CHILD_SETTID: u64 = 0x1000000;
const SIGCHLD: u64 = 17;
const PTHREAD_FLAGS: u64 = CLONE_VM
    | CLONE_FS
    | CLONE_FILES
    | CLONE_SIGHAND
    | CLONE_THREAD
    | CLONE_SETTLS
    | CLONE_PARENT_SETTID
    | CLONE_CHILD_CLEARTID;

const WNOHANG: u64 = 1;
const WEXITED: u64 = 4;
const WNOWAIT: u64 = 0x0100_0000;
const P_PID: u64 = 1;
const CLD_EXITED: i32 = 1;
const CLD_KILLED: i32 = 2;

const ARCH_SET_FS: u64 = 0x1002;
const ARCH_GET_FS: u64 = 0x1003;
const ARCH_SET_GS: u64 = 0x1001;

type Child = (Arc<Process<Env>>, Arc<Thread<Env>>);

/// `fork()` from the world's process; the child as the table has it.
fn fork(w: &World) -> Child {
    let pid = w.call(Sysno::Fork, &[]);
    assert!(pid > 1, "fork returned {pid}");
    let child = w.machine.processes.from_pid(pid as i32).unwrap();
    let thread = child.threads()[0].clone();
    (child, thread)
}

fn exit_group(w: &World, child: &Child, status: u64) {
    assert_eq!(
        w.call_as(&child.0, &child.1, Sysno::ExitGroup, &[status]),
        0
    );
    assert_eq!(
        w.return_to_user_as(&child.0, &child.1, Some(Sysno::ExitGroup)),
        UserReturn::ExitThread
    );
}

/// Writes an executable fake program at `path`.
fn program(w: &World, path: &str, mode: u64) {
    let fd = w.open(path, O_CREAT | O_WRONLY | O_TRUNC);
    assert!(fd >= 0);
    w.write(fd, b"#!fake\n");
    w.call(Sysno::Close, &[fd as u64]);
    let p = w.string(path);
    assert_eq!(w.call(Sysno::Chmod, &[p, mode]), 0);
}

/// A NULL-terminated array of strings in user memory.
fn strings(w: &World, items: &[&str]) -> u64 {
    let mut pointers: Vec<u64> = items.iter().map(|s| w.string(s)).collect();
    pointers.push(0);
    let array = w.alloc(pointers.len() * 8);
    for (i, p) in pointers.iter().enumerate() {
        w.poke(array + 8 * i as u64, &p.to_le_bytes());
    }
    array
}

#[test]
fn fork_returns_the_child_pid_and_the_child_resumes_with_zero() {
    let w = World::new();
    {
        let mut regs = w.registers.borrow_mut();
        regs.registers.rip = 0x40_1234;
        regs.registers.rbx = 77;
        regs.fpu[100] = 0x5a;
    }
    let (child, thread) = fork(&w);
    assert_eq!(child.data().ppid(), w.process.pid());
    assert_eq!(w.call_as(&child, &thread, Sysno::Getppid, &[]), 1);
    assert_eq!(
        w.call_as(&child, &thread, Sysno::Getpid, &[]),
        child.pid() as i64
    );
    assert_eq!(
        w.call_as(&child, &thread, Sysno::Gettid, &[]),
        thread.tid() as i64
    );
    let started = w.machine.started.lock().unwrap();
    let (tid, start) = started.last().unwrap();
    assert_eq!(*tid, thread.tid());
    assert_eq!(start.registers.rax, 0, "fork returns 0 in the child");
    assert_eq!(start.registers.rip, 0x40_1234);
    assert_eq!(start.registers.rbx, 77);
    assert_eq!(start.fpu[100], 0x5a, "the FPU state is copied");
}

#[test]
fn a_forked_child_inherits_descriptors_and_signal_dispositions() {
    let w = World::new();
    let fd = w.open("/shared", O_CREAT | O_RDWR);
    w.write(fd, b"parent");
    let act = w.put(&KernelSigAction {
        handler: 1,
        flags: 0,
        restorer: 0,
        mask: 0,
    });
    assert_eq!(w.call(Sysno::RtSigaction, &[2, act, 0, 8]), 0);
    let (child, thread) = fork(&w);
    // The descriptor is shared: the child's write moves the parent's offset.
    let buffer = w.string("+child");
    assert_eq!(
        w.call_as(&child, &thread, Sysno::Write, &[fd as u64, buffer, 6]),
        6
    );
    assert_eq!(w.call(Sysno::Lseek, &[fd as u64, 0, 1]), 12);
    let old = w.alloc(32);
    assert_eq!(
        w.call_as(&child, &thread, Sysno::RtSigaction, &[2, 0, old, 8]),
        0
    );
    assert_eq!(
        w.get::<KernelSigAction>(old).handler,
        1,
        "SIGINT still ignored"
    );
}

#[test]
fn clone_starts_a_thread_with_its_stack_tls_and_tid_addresses() {
    let w = World::new();
    let parent_tid = w.alloc(4);
    let child_tid = w.alloc(4);
    let tid = w.call(
        Sysno::Clone,
        &[
            PTHREAD_FLAGS,
            0x7000_0000,
            parent_tid,
            child_tid,
            0xdead_0000,
        ],
    );
    assert!(tid > 1);
    assert_eq!(w.process.thread_count(), 2);
    assert_eq!(w.get::<i32>(parent_tid), tid as i32);
    let thread = w.machine.processes.from_tid(tid as i32).unwrap();
    assert_eq!(thread.pid(), w.process.pid(), "same thread group");
    assert_eq!(thread.clear_child_tid(), child_tid);
    let started = w.machine.started.lock().unwrap();
    let (_, start) = started.last().unwrap();
    assert_eq!(start.registers.rsp, 0x7000_0000);
    assert_eq!(start.registers.rax, 0);
    assert_eq!(start.tls, Some(0xdead_0000));
}

#[test]
fn clone_refuses_inconsistent_and_unsupported_flags() {
    let w = World::new();
    for flags in [
        CLONE_THREAD | CLONE_VM,
        CLONE_THREAD | CLONE_SIGHAND,
        CLONE_SIGHAND,
        // A descriptor table shared between processes is not supported.
        CLONE_FILES | SIGCHLD,
        CLONE_NEWNS | SIGCHLD,
        1 << 40,
    ] {
        assert_eq!(
            w.call(Sysno::Clone, &[flags, 0, 0, 0, 0]),
            err(Errno::EINVAL),
            "{flags:#x}"
        );
    }
    assert!(w.machine.started.lock().unwrap().is_empty());
    assert_eq!(w.machine.processes.all_processes().len(), 1);
}

#[test]
fn vfork_and_glibc_style_fork_through_clone_make_processes() {
    let w = World::new();
    let child_tid = w.alloc(4);
    let pid = w.call(
        Sysno::Clone,
        &[
            CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD,
            0,
            0,
            child_tid,
            0,
        ],
    );
    assert!(pid > 1);
    let (_, start) = w.machine.started.lock().unwrap().last().unwrap().clone();
    assert!(start.child_tid.set && start.child_tid.clear);
    assert_eq!(start.child_tid.address, child_tid);
    let pid2 = w.call(
        Sysno::Clone,
        &[CLONE_VM | CLONE_VFORK | SIGCHLD, 0x1234, 0, 0, 0],
    );
    assert!(pid2 > pid);
    let (_, start) = w.machine.started.lock().unwrap().last().unwrap().clone();
    assert_eq!(start.registers.rsp, 0x1234, "the stack clone was given");
    assert!(start.share_memory, "CLONE_VM shares the parent's memory");
    assert!(w.call(Sysno::Vfork, &[]) > pid2);
    assert_eq!(w.machine.processes.all_processes().len(), 4);
}

#[test]
fn wait4_reaps_an_exited_child_with_its_status() {
    let w = World::new();
    let child = fork(&w);
    let pid = child.0.pid() as i64;
    exit_group(&w, &child, 3);
    let status = w.alloc(4);
    assert_eq!(w.call(Sysno::Wait4, &[u64::MAX, status, 0, 0]), pid);
    assert_eq!(w.get::<i32>(status), 3 << 8, "WIFEXITED, WEXITSTATUS 3");
    assert!(w.machine.processes.from_pid(pid as i32).is_none(), "reaped");
    assert_eq!(
        w.call(Sysno::Wait4, &[u64::MAX, status, 0, 0]),
        err(Errno::ECHILD)
    );
}

#[test]
fn a_child_exit_wakes_its_parents_queue_and_leaves_unrelated_ones_asleep() {
    use syscall::EventQueue;
    let w = World::new();
    let child = fork(&w);
    let queues = &w.machine.child_events;
    let bucket = |pid: i32| pid as usize % queues.len();
    let before: Vec<u64> = queues.iter().map(EventQueue::sequence).collect();
    exit_group(&w, &child, 0);
    let after: Vec<u64> = queues.iter().map(EventQueue::sequence).collect();
    let parent = bucket(w.process.pid());
    assert!(after[parent] > before[parent], "the parent's queue woke");
    for index in 0..queues.len() {
        if index != parent && index != bucket(child.0.pid()) {
            assert_eq!(after[index], before[index], "queue {index} stayed asleep");
        }
    }
}

#[test]
fn wait4_reports_the_signal_that_killed_a_child() {
    let w = World::new();
    let child = fork(&w);
    assert_eq!(w.call(Sysno::Kill, &[child.0.pid() as u64, 15]), 0);
    assert_eq!(
        w.return_to_user_as(&child.0, &child.1, None),
        UserReturn::ExitThread
    );
    let status = w.alloc(4);
    let rusage = w.alloc(size_of::<abi::Rusage>());
    w.poke(rusage, &[0xff; 16]);
    assert_eq!(
        w.call(Sysno::Wait4, &[child.0.pid() as u64, status, 0, rusage]),
        child.0.pid() as i64
    );
    assert_eq!(w.get::<i32>(status), 15, "WIFSIGNALED, WTERMSIG 15");
    assert_eq!(w.peek(rusage, 16), vec![0; 16]);
}

#[test]
fn wait4_with_wnohang_does_not_block_and_without_children_says_echild() {
    let w = World::new();
    assert_eq!(
        w.call(Sysno::Wait4, &[u64::MAX, 0, WNOHANG, 0]),
        err(Errno::ECHILD)
    );
    let child = fork(&w);
    assert_eq!(w.call(Sysno::Wait4, &[u64::MAX, 0, WNOHANG, 0]), 0);
    // Blocking: nobody else runs on the fake, so the wait is interrupted.
    assert_eq!(
        w.call(Sysno::Wait4, &[child.0.pid() as u64, 0, 0, 0]),
        err(Errno::EINTR)
    );
    assert_eq!(
        w.call(Sysno::Wait4, &[99_999, 0, WNOHANG, 0]),
        err(Errno::ECHILD)
    );
    assert_eq!(
        w.call(Sysno::Wait4, &[u64::MAX, 0, WEXITED, 0]),
        err(Errno::EINVAL)
    );
    let status = w.alloc(4);
    exit_group(&w, &child, 0x1ff);
    assert_eq!(
        w.call(Sysno::Wait4, &[u64::MAX, status, WNOHANG, 0]),
        child.0.pid() as i64
    );
    assert_eq!(
        w.get::<i32>(status),
        0xff << 8,
        "only the low byte of the status"
    );
}

#[test]
fn waitid_fills_a_sigchld_siginfo_and_wnowait_leaves_the_zombie() {
    let w = World::new();
    let child = fork(&w);
    let pid = child.0.pid();
    exit_group(&w, &child, 42);
    let info = w.alloc(128);
    assert_eq!(
        w.call(Sysno::Waitid, &[P_PID, pid as u64, info, WEXITED | WNOWAIT]),
        0
    );
    let si: RawSigInfo = w.get(info);
    assert_eq!(si.si_signo, SIGCHLD as i32);
    assert_eq!(si.si_code, CLD_EXITED);
    assert_eq!(si.union[0] as u32, pid as u32, "si_pid");
    assert_eq!(si.union[1] as u32, 42, "si_status");
    assert!(
        w.machine.processes.from_pid(pid).is_some(),
        "still a zombie"
    );
    assert_eq!(
        w.call(Sysno::Waitid, &[P_PID, pid as u64, info, WEXITED]),
        0
    );
    assert!(w.machine.processes.from_pid(pid).is_none());
    assert_eq!(
        w.call(Sysno::Waitid, &[P_PID, pid as u64, info, 0]),
        err(Errno::EINVAL),
        "no WEXITED"
    );
}

#[test]
fn waitid_reports_a_killed_child() {
    let w = World::new();
    let child = fork(&w);
    assert_eq!(w.call(Sysno::Kill, &[child.0.pid() as u64, 9]), 0);
    w.return_to_user_as(&child.0, &child.1, None);
    let info = w.alloc(128);
    assert_eq!(w.call(Sysno::Waitid, &[0, 0, info, WEXITED]), 0, "P_ALL");
    let si: RawSigInfo = w.get(info);
    assert_eq!(si.si_code, CLD_KILLED);
    assert_eq!(si.union[1] as u32, 9);
}

#[test]
fn exit_of_the_last_thread_ends_the_process_and_exit_of_another_only_itself() {
    let w = World::new();
    let child = fork(&w);
    let flags = PTHREAD_FLAGS & !CLONE_PARENT_SETTID;
    let tid = w.call_as(&child.0, &child.1, Sysno::Clone, &[flags, 0x7000, 0, 0, 0]);
    let second = w.machine.processes.from_tid(tid as i32).unwrap();
    assert_eq!(w.call_as(&child.0, &second, Sysno::Exit, &[5]), 0);
    assert!(second.should_die());
    assert!(!child.1.should_die());
    assert!(
        child.0.data().termination().is_none(),
        "the process lives on"
    );
    w.machine.processes.remove_thread(&second);

    assert_eq!(w.call_as(&child.0, &child.1, Sysno::Exit, &[7]), 0);
    assert!(child.1.should_die());
    assert_eq!(child.0.data().termination(), Some(Termination::Exited(7)));
}

#[test]
fn execve_switches_to_the_new_program_with_a_clean_context() {
    let w = World::new();
    program(&w, "/prog", 0o755);
    let act = w.put(&KernelSigAction {
        handler: 0x40_1000,
        flags: 0x0400_0000,
        restorer: 0x40_2000,
        mask: 0,
    });
    assert_eq!(w.call(Sysno::RtSigaction, &[10, act, 0, 8]), 0);
    let kept = w.open("/kept", O_CREAT | O_RDWR);
    let closed = w.open("/closed", O_CREAT | O_RDWR | O_CLOEXEC);
    w.machine
        .fs_base
        .store(0x1234, std::sync::atomic::Ordering::SeqCst);
    w.registers.borrow_mut().registers.rbx = 99;
    let path = w.string("/prog");
    let argv = strings(&w, &["prog", "-x"]);
    let envp = strings(&w, &["HOME=/"]);
    assert_eq!(w.call(Sysno::Execve, &[path, argv, envp]), 0);

    let regs = w.registers.borrow().registers;
    assert_eq!(
        (regs.rip, regs.rsp, regs.rbx, regs.rax),
        (PROGRAM_ENTRY, PROGRAM_STACK, 0, 0)
    );
    assert_eq!((regs.cs, regs.ss), (0x33, 0x2b));
    assert_eq!(
        w.machine.fs_base.load(std::sync::atomic::Ordering::SeqCst),
        0
    );
    assert_eq!(
        w.machine
            .address_space_switches
            .load(std::sync::atomic::Ordering::SeqCst),
        1
    );
    assert_eq!(w.process.data().name(), "prog");
    assert_eq!(w.process.data().program().cmdline, b"prog\0-x\0");
    assert_eq!(w.process.data().program().environ, b"HOME=/\0");
    let old = w.alloc(32);
    assert_eq!(w.call(Sysno::RtSigaction, &[10, 0, old, 8]), 0);
    assert_eq!(
        w.get::<KernelSigAction>(old).handler,
        0,
        "handlers reset to SIG_DFL"
    );
    assert_eq!(w.call(Sysno::Fcntl, &[kept as u64, 1, 0]), 0, "kept open");
    assert_eq!(
        w.call(Sysno::Fcntl, &[closed as u64, 1, 0]),
        err(Errno::EBADF),
        "closed on exec"
    );
}

#[test]
fn a_failed_execve_leaves_the_caller_as_it_was() {
    let w = World::new();
    program(&w, "/noexec", 0o644);
    let fd = w.open("/text", O_CREAT | O_WRONLY);
    w.write(fd, b"plain text");
    let p = w.string("/text");
    w.call(Sysno::Chmod, &[p, 0o755]);
    let argv = strings(&w, &["x"]);
    let cases = [
        ("/missing", err(Errno::ENOENT)),
        ("/noexec", err(Errno::EACCES)),
        ("/text", err(Errno::ENOEXEC)),
        ("", err(Errno::ENOENT)),
    ];
    w.registers.borrow_mut().registers.rip = 0x40_0abc;
    for (path, expected) in cases {
        let path = w.string(path);
        assert_eq!(w.call(Sysno::Execve, &[path, argv, 0]), expected);
    }
    let path = w.string("/noexec");
    assert_eq!(
        w.call(Sysno::Execve, &[path, 8, 0]),
        err(Errno::EFAULT),
        "bad argv"
    );
    assert_eq!(
        w.call(Sysno::Execve, &[8, argv, 0]),
        err(Errno::EFAULT),
        "bad path"
    );
    assert_eq!(w.process.data().name(), "init");
    assert_eq!(w.registers.borrow().registers.rip, 0x40_0abc);
    assert_eq!(
        w.machine
            .address_space_switches
            .load(std::sync::atomic::Ordering::SeqCst),
        0
    );
}

#[test]
fn execveat_resolves_relative_to_a_directory_descriptor() {
    let w = World::new();
    let dir = w.string("/bin");
    assert_eq!(w.call(Sysno::Mkdir, &[dir, 0o755]), 0);
    program(&w, "/bin/prog", 0o755);
    let fd = w.open("/bin", O_RDONLY | O_DIRECTORY);
    let name = w.string("prog");
    let argv = strings(&w, &["prog"]);
    assert_eq!(
        w.call(Sysno::Execveat, &[fd as u64, name, argv, 0, 0x8000]),
        err(Errno::EINVAL)
    );
    assert_eq!(
        w.call(Sysno::Execveat, &[99, name, argv, 0, 0]),
        err(Errno::EBADF)
    );
    let link = w.string("link");
    let target = w.string("/bin/prog");
    assert_eq!(w.call(Sysno::Symlinkat, &[target, fd as u64, link]), 0);
    assert_eq!(
        w.call(Sysno::Execveat, &[fd as u64, link, argv, 0, 0x100]),
        err(Errno::ELOOP)
    );
    assert_eq!(
        w.call(Sysno::Execveat, &[fd as u64, name, argv, 0, 0x100]),
        0
    );
    assert_eq!(w.registers.borrow().registers.rip, PROGRAM_ENTRY);
    assert_eq!(w.process.data().name(), "prog");
}

#[test]
fn setuid_as_root_drops_every_id_and_there_is_no_way_back() {
    let w = World::new();
    assert_eq!(w.call(Sysno::Setuid, &[1000]), 0);
    let (r, e, s) = (w.alloc(4), w.alloc(4), w.alloc(4));
    assert_eq!(w.call(Sysno::Getresuid, &[r, e, s]), 0);
    assert_eq!(
        (w.get::<u32>(r), w.get::<u32>(e), w.get::<u32>(s)),
        (1000, 1000, 1000)
    );
    assert_eq!(w.call(Sysno::Getuid, &[]), 1000);
    assert_eq!(w.call(Sysno::Geteuid, &[]), 1000);
    assert_eq!(w.call(Sysno::Setuid, &[0]), err(Errno::EPERM));
    assert_eq!(w.call(Sysno::Setresuid, &[0, 0, 0]), err(Errno::EPERM));
    let groups = w.put(&[5u32, 6]);
    assert_eq!(w.call(Sysno::Setgroups, &[2, groups]), err(Errno::EPERM));
    assert_eq!(w.call(Sysno::Getresuid, &[8, e, s]), err(Errno::EFAULT));
}

#[test]
fn saved_ids_let_a_process_swap_back_and_forth() {
    let w = World::new();
    assert_eq!(w.call(Sysno::Setresuid, &[1000, 1000, 0]), 0);
    assert_eq!(w.call(Sysno::Geteuid, &[]), 1000);
    // The saved uid 0 may come back as the effective one.
    assert_eq!(w.call(Sysno::Setreuid, &[u32::MAX as u64, 0]), 0);
    assert_eq!(w.call(Sysno::Geteuid, &[]), 0);
    assert_eq!(w.call(Sysno::Setresgid, &[100, 200, 300]), 0);
    let (r, e, s) = (w.alloc(4), w.alloc(4), w.alloc(4));
    assert_eq!(w.call(Sysno::Getresgid, &[r, e, s]), 0);
    assert_eq!(
        (w.get::<u32>(r), w.get::<u32>(e), w.get::<u32>(s)),
        (100, 200, 300)
    );
    assert_eq!(w.call(Sysno::Getgid, &[]), 100);
    assert_eq!(w.call(Sysno::Getegid, &[]), 200);
}

#[test]
fn supplementary_groups_round_trip_and_fs_ids_report_the_old_value() {
    let w = World::new();
    let groups = w.put(&[10u32, 20, 30]);
    assert_eq!(w.call(Sysno::Setgroups, &[3, groups]), 0);
    assert_eq!(w.call(Sysno::Getgroups, &[0, 0]), 3);
    let out = w.alloc(12);
    assert_eq!(w.call(Sysno::Getgroups, &[3, out]), 3);
    assert_eq!(w.get::<[u32; 3]>(out), [10, 20, 30]);
    assert_eq!(w.call(Sysno::Getgroups, &[2, out]), err(Errno::EINVAL));
    assert_eq!(
        w.call(Sysno::Getgroups, &[u32::MAX as u64, out]),
        err(Errno::EINVAL)
    );
    assert_eq!(
        w.call(Sysno::Setgroups, &[70_000, groups]),
        err(Errno::EINVAL)
    );
    assert_eq!(w.call(Sysno::Setfsuid, &[500]), 0, "the old fsuid");
    assert_eq!(w.call(Sysno::Setfsuid, &[600]), 500);
    assert_eq!(w.call(Sysno::Setfsgid, &[7]), 0);
    assert_eq!(w.call(Sysno::Setfsgid, &[8]), 7);
}

#[test]
fn sessions_and_groups_follow_posix() {
    let w = World::new();
    let child = fork(&w);
    let pid = child.0.pid() as i64;
    let call = |sysno, args: &[u64]| w.call_as(&child.0, &child.1, sysno, args);
    let parent_group = w.call(Sysno::Getpgrp, &[]);
    assert_eq!(
        call(Sysno::Getpgrp, &[]),
        parent_group,
        "born in the parent's group"
    );
    assert_eq!(call(Sysno::Setsid, &[]), pid);
    assert_eq!(call(Sysno::Getsid, &[0]), pid);
    assert_eq!(call(Sysno::Getpgid, &[0]), pid);
    assert_eq!(
        call(Sysno::Setsid, &[]),
        err(Errno::EPERM),
        "already a group leader"
    );
    // The parent may not move a child that left its session.
    assert_eq!(
        w.call(Sysno::Setpgid, &[pid as u64, parent_group as u64]),
        err(Errno::EPERM)
    );
    assert_eq!(w.call(Sysno::Getpgid, &[99_999]), err(Errno::ESRCH));
    assert_eq!(w.call(Sysno::Getsid, &[pid as u64]), pid);
    assert_eq!(w.call(Sysno::Setpgid, &[0, u64::MAX]), err(Errno::EINVAL));
}

#[test]
fn a_parent_moves_its_child_into_a_new_group_that_kill_then_reaches() {
    let w = World::new();
    let a = fork(&w);
    let b = fork(&w);
    let a_pid = a.0.pid() as u64;
    assert_eq!(w.call(Sysno::Setpgid, &[a_pid, a_pid]), 0);
    assert_eq!(w.call(Sysno::Setpgid, &[b.0.pid() as u64, a_pid]), 0);
    assert_eq!(w.call_as(&b.0, &b.1, Sysno::Getpgrp, &[]), a_pid as i64);
    assert_eq!(w.call(Sysno::Kill, &[(-(a_pid as i64)) as u64, 9]), 0);
    for child in [&a, &b] {
        assert!(child.1.should_die());
        w.return_to_user_as(&child.0, &child.1, None);
    }
    assert!(!w.thread.should_die(), "the caller's group was not hit");
    let status = w.alloc(4);
    for _ in 0..2 {
        assert!(w.call(Sysno::Wait4, &[(-(a_pid as i64)) as u64, status, 0, 0]) > 0);
        assert_eq!(w.get::<i32>(status), 9);
    }
}

#[test]
fn arch_prctl_sets_and_reads_the_thread_pointer() {
    let w = World::new();
    assert_eq!(w.call(Sysno::ArchPrctl, &[ARCH_SET_FS, 0x7fff_1000]), 0);
    let out = w.alloc(8);
    assert_eq!(w.call(Sysno::ArchPrctl, &[ARCH_GET_FS, out]), 0);
    assert_eq!(w.get::<u64>(out), 0x7fff_1000);
    assert_eq!(
        w.call(Sysno::ArchPrctl, &[ARCH_SET_FS, 0xffff_8000_0000_0000]),
        err(Errno::EPERM)
    );
    assert_eq!(
        w.call(Sysno::ArchPrctl, &[ARCH_SET_GS, 0x1000]),
        err(Errno::EINVAL)
    );
    assert_eq!(w.call(Sysno::ArchPrctl, &[0x9999, 0]), err(Errno::EINVAL));
    assert_eq!(
        w.call(Sysno::ArchPrctl, &[ARCH_GET_FS, 8]),
        err(Errno::EFAULT)
    );
}

#[test]
fn affinity_covers_every_cpu_and_getcpu_names_the_current_one() {
    let w = World::new();
    let mask = w.alloc(16);
    assert_eq!(w.call(Sysno::SchedGetaffinity, &[0, 16, mask]), 8);
    assert_eq!(w.get::<u64>(mask), 0b11, "two CPUs on the fake");
    assert_eq!(
        w.call(Sysno::SchedGetaffinity, &[0, 4, mask]),
        err(Errno::EINVAL)
    );
    assert_eq!(
        w.call(Sysno::SchedGetaffinity, &[99_999, 8, mask]),
        err(Errno::ESRCH)
    );
    let one = w.put(&0b10u64);
    assert_eq!(w.call(Sysno::SchedSetaffinity, &[0, 8, one]), 0);
    let none = w.put(&(1u64 << 5));
    assert_eq!(
        w.call(Sysno::SchedSetaffinity, &[0, 8, none]),
        err(Errno::EINVAL)
    );
    assert_eq!(
        w.call(Sysno::SchedSetaffinity, &[0, 0, one]),
        err(Errno::EINVAL)
    );
    let byte = w.put(&1u8);
    assert_eq!(
        w.call(Sysno::SchedSetaffinity, &[0, 1, byte]),
        0,
        "a one-byte mask"
    );
    let (cpu, node) = (w.alloc(4), w.alloc(4));
    w.poke(node, &[9; 4]);
    assert_eq!(w.call(Sysno::Getcpu, &[cpu, node, 0]), 0);
    assert_eq!((w.get::<u32>(cpu), w.get::<u32>(node)), (1, 0));
    assert_eq!(w.call(Sysno::Getcpu, &[0, 0, 0]), 0);
}

#[test]
fn only_the_owner_or_root_sets_a_threads_affinity() {
    let w = World::new();
    let one = w.put(&0b1u64);
    let (_, root_child) = fork(&w);
    let tid = root_child.tid() as u64;
    assert_eq!(w.call(Sysno::SchedSetaffinity, &[tid, 8, one]), 0, "root");
    w.become_user(1000, 1000);
    assert_eq!(
        w.call(Sysno::SchedSetaffinity, &[tid, 8, one]),
        err(Errno::EPERM),
        "another user's thread"
    );
    assert_eq!(w.call(Sysno::SchedSetaffinity, &[0, 8, one]), 0, "its own");
    let (_, own_child) = fork(&w);
    assert_eq!(
        w.call(Sysno::SchedSetaffinity, &[own_child.tid() as u64, 8, one]),
        0,
        "its own user's"
    );
    // Reading stays open to all, as on Linux.
    let mask = w.alloc(8);
    assert_eq!(w.call(Sysno::SchedGetaffinity, &[tid, 8, mask]), 8);
}

#[test]
fn tid_address_and_robust_lists_are_per_thread() {
    let w = World::new();
    assert_eq!(
        w.call(Sysno::SetTidAddress, &[0x1000]),
        w.thread.tid() as i64
    );
    assert_eq!(w.thread.clear_child_tid(), 0x1000);
    assert_eq!(w.call(Sysno::SetRobustList, &[0x2000, 24]), 0);
    assert_eq!(
        w.call(Sysno::SetRobustList, &[0x2000, 16]),
        err(Errno::EINVAL)
    );
    let (head, len) = (w.alloc(8), w.alloc(8));
    assert_eq!(w.call(Sysno::GetRobustList, &[0, head, len]), 0);
    assert_eq!((w.get::<u64>(head), w.get::<u64>(len)), (0x2000, 24));
    let child = fork(&w);
    assert_eq!(
        w.call(Sysno::GetRobustList, &[child.1.tid() as u64, head, len]),
        0,
        "root may look"
    );
    assert_eq!(
        w.call(Sysno::GetRobustList, &[99_999, head, len]),
        err(Errno::ESRCH)
    );
    w.become_user(1000, 1000);
    assert_eq!(
        w.call(Sysno::GetRobustList, &[child.1.tid() as u64, head, len]),
        err(Errno::EPERM)
    );
}

#[test]
fn sched_yield_gives_up_the_cpu() {
    let w = World::new();
    assert_eq!(w.call(Sysno::SchedYield, &[]), 0);
    assert_eq!(
        w.machine.yields.load(std::sync::atomic::Ordering::SeqCst),
        1
    );
}

#[test]
fn rseq_says_enosys_so_libc_falls_back() {
    let w = World::new();
    assert_eq!(
        w.call(Sysno::Rseq, &[0x1000, 32, 0, 0x53053053]),
        err(Errno::ENOSYS)
    );
}

#[test]
fn clone3_checks_its_structure_as_linux_does() {
    let w = World::new();
    let args = w.put(&[0u64; 11]);
    // Shorter than the first version, or past a page: refused.
    assert_eq!(w.call(Sysno::Clone3, &[args, 56]), err(Errno::EINVAL));
    assert_eq!(w.call(Sysno::Clone3, &[args, 4097]), err(Errno::E2BIG));
    assert_eq!(w.call(Sysno::Clone3, &[0, 88]), err(Errno::EFAULT));
    // A signal in the flags, an exit signal past 64, a stack without a size.
    let mut bad = [0u64; 11];
    bad[0] = 17;
    assert_eq!(
        w.call(Sysno::Clone3, &[w.put(&bad), 88]),
        err(Errno::EINVAL)
    );
    let mut bad = [0u64; 11];
    bad[4] = 65;
    assert_eq!(
        w.call(Sysno::Clone3, &[w.put(&bad), 88]),
        err(Errno::EINVAL)
    );
    let mut bad = [0u64; 11];
    bad[5] = 0x10_0000;
    assert_eq!(
        w.call(Sysno::Clone3, &[w.put(&bad), 88]),
        err(Errno::EINVAL)
    );
    // Bytes past the known structure must be zero.
    let mut longer = [0u64; 12];
    longer[11] = 1;
    assert_eq!(
        w.call(Sysno::Clone3, &[w.put(&longer), 96]),
        err(Errno::E2BIG)
    );
    assert!(
        w.machine.started.lock().unwrap().is_empty(),
        "nothing started"
    );
}

#[test]
fn pidfd_getfd_duplicates_another_process_s_descriptor() {
    const F_GETFD: u64 = 1;
    let w = World::new();
    let (child, child_thread) = w.fork();
    let path = w.string("/shared");
    let child_fd = w.call_as(
        &child,
        &child_thread,
        Sysno::Open,
        &[path, u64::from(O_CREAT | O_RDWR), 0o644],
    );
    assert!(child_fd >= 0);
    let pidfd = w.call(Sysno::PidfdOpen, &[child.pid() as u64, 0]);
    assert!(pidfd >= 0);
    let got = w.call(Sysno::PidfdGetfd, &[pidfd as u64, child_fd as u64, 0]);
    assert!(got >= 0);
    assert_eq!(
        w.call(Sysno::Fcntl, &[got as u64, F_GETFD]),
        1,
        "close-on-exec"
    );
    // One open file description: the child's offset moves with ours.
    assert_eq!(w.write(got, b"abc"), 3);
    assert_eq!(
        w.call_as(
            &child,
            &child_thread,
            Sysno::Lseek,
            &[child_fd as u64, 0, 1]
        ),
        3
    );
    assert_eq!(
        w.call(Sysno::PidfdGetfd, &[pidfd as u64, child_fd as u64, 1]),
        err(Errno::EINVAL)
    );
    assert_eq!(
        w.call(Sysno::PidfdGetfd, &[pidfd as u64, 77, 0]),
        err(Errno::EBADF)
    );
    assert_eq!(
        w.call(Sysno::PidfdGetfd, &[got as u64, child_fd as u64, 0]),
        err(Errno::EBADF),
        "not a pidfd"
    );
    // Another user's process is out of reach.
    let (other, other_thread) = w.fork();
    w.call_as(&other, &other_thread, Sysno::Setuid, &[1234]);
    w.become_user(1000, 1000);
    let other_pidfd = w.call(Sysno::PidfdOpen, &[other.pid() as u64, 0]);
    assert!(other_pidfd >= 0);
    assert_eq!(
        w.call(Sysno::PidfdGetfd, &[other_pidfd as u64, 0, 0]),
        err(Errno::EPERM)
    );
}
