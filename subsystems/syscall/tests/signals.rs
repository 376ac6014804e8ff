//! Signals as user space sees them: dispositions, masks, sending and its
//! permissions, delivery into handlers and back through `rt_sigreturn`,
//! restarts, waiting for signals, alternate stacks and alarms.

use crate::common::*;
use abi::{Errno, Itimerval, Sysno, Timespec, Timeval};
use process::wait::{WNOHANG, WUNTRACED};
use process::{Process, ProcessState, Termination, Thread};
use signal::{KernelSigAction, RawSigInfo, StackT};
use std::sync::Arc;
use syscall::signals::delivery::UserReturn;
use syscall::{Kernel, UserThreadData};

const SIGHUP: u64 = 1;
const SIGINT: u64 = 2;
const SIGKILL: u64 = 9;
const SIGUSR1: u64 = 10;
const SIGSEGV: u64 = 11;
const SIGUSR2: u64 = 12;
const SIGALRM: u64 = 14;
const SIGTERM: u64 = 15;
const SIGSTOP: u64 = 19;
const SIGRTMIN: u64 = 32;

const SIG_BLOCK: u64 = 0;
const SIG_UNBLOCK: u64 = 1;
const SIG_SETMASK: u64 = 2;

const SA_SIGINFO: u64 = 4;
const SA_RESTORER: u64 = 0x0400_0000;
const SA_ONSTACK: u64 = 0x0800_0000;
const SA_RESTART: u64 = 0x1000_0000;
const SA_RESETHAND: u64 = 0x8000_0000;

const SS_ONSTACK: i32 = 1;
const SS_DISABLE: i32 = 2;

const HANDLER: u64 = 0x40_1000;
const RESTORER: u64 = 0x40_2000;

fn bit(signal: u64) -> u64 {
    1 << (signal - 1)
}

/// Installs `handler` for `signal` with `flags` (always with a restorer,
/// as libc does).
fn handle(w: &World, signal: u64, handler: u64, flags: u64, mask: u64) {
    let act = w.put(&KernelSigAction {
        handler,
        flags: flags | SA_RESTORER,
        restorer: RESTORER,
        mask,
    });
    assert_eq!(w.call(Sysno::RtSigaction, &[signal, act, 0, 8]), 0);
}

fn mask(w: &World, how: u64, set: u64) -> u64 {
    let new = w.put(&set);
    let old = w.alloc(8);
    assert_eq!(w.call(Sysno::RtSigprocmask, &[how, new, old, 8]), 0);
    w.get(old)
}

fn blocked(w: &World) -> u64 {
    let old = w.alloc(8);
    assert_eq!(w.call(Sysno::RtSigprocmask, &[SIG_BLOCK, 0, old, 8]), 0);
    w.get(old)
}

fn pending(w: &World) -> u64 {
    let set = w.alloc(8);
    assert_eq!(w.call(Sysno::RtSigpending, &[set, 8]), 0);
    w.get(set)
}

fn raise(w: &World, signal: u64) {
    let pid = w.process.pid() as u64;
    let tid = w.thread.tid() as u64;
    assert_eq!(w.call(Sysno::Tgkill, &[pid, tid, signal]), 0);
}

/// The user program's state before the signal: somewhere in its code,
/// with a recognisable register file.
fn set_user_state(w: &World) {
    let mut regs = w.registers.borrow_mut();
    regs.registers.rip = 0x40_0100;
    regs.registers.rax = 0xaaaa;
    regs.registers.rbx = 0xbbbb;
    regs.registers.r12 = 0x1212;
    regs.registers.rflags = 0x202;
    regs.registers.cs = 0x33;
    regs.registers.ss = 0x2b;
}

/// What the handler does when it returns: `ret` into the restorer, which
/// calls `rt_sigreturn`.
fn return_from_handler(w: &World) -> i64 {
    {
        let mut regs = w.registers.borrow_mut();
        assert_eq!(regs.registers.rip, HANDLER, "not in the handler");
        let rsp = regs.registers.rsp;
        let return_address: u64 = w.get(rsp);
        assert_eq!(return_address, RESTORER);
        regs.registers.rsp = rsp + 8;
        regs.registers.rip = RESTORER;
    }
    w.call(Sysno::RtSigreturn, &[])
}

#[test]
fn sigaction_installs_a_handler_and_reports_the_previous_one() {
    let w = World::new();
    handle(&w, SIGUSR1, HANDLER, SA_SIGINFO, bit(SIGUSR2));
    let old = w.alloc(32);
    let act = w.put(&KernelSigAction {
        handler: 1, // SIG_IGN
        flags: 0,
        restorer: 0,
        mask: 0,
    });
    assert_eq!(w.call(Sysno::RtSigaction, &[SIGUSR1, act, old, 8]), 0);
    let previous: KernelSigAction = w.get(old);
    assert_eq!(previous.handler, HANDLER);
    assert_eq!(previous.flags, SA_SIGINFO | SA_RESTORER);
    assert_eq!(previous.restorer, RESTORER);
    assert_eq!(previous.mask, bit(SIGUSR2));
    assert_eq!(w.call(Sysno::RtSigaction, &[SIGUSR1, 0, old, 8]), 0);
    assert_eq!(w.get::<KernelSigAction>(old).handler, 1);
}

#[test]
fn sigaction_refuses_sigkill_sigstop_bad_numbers_and_sizes() {
    let w = World::new();
    let act = w.put(&KernelSigAction {
        handler: HANDLER,
        flags: SA_RESTORER,
        restorer: RESTORER,
        mask: 0,
    });
    for signal in [SIGKILL, SIGSTOP] {
        assert_eq!(
            w.call(Sysno::RtSigaction, &[signal, act, 0, 8]),
            err(Errno::EINVAL)
        );
        // Reading their action is allowed.
        let old = w.alloc(32);
        assert_eq!(w.call(Sysno::RtSigaction, &[signal, 0, old, 8]), 0);
    }
    assert_eq!(
        w.call(Sysno::RtSigaction, &[0, act, 0, 8]),
        err(Errno::EINVAL)
    );
    assert_eq!(
        w.call(Sysno::RtSigaction, &[65, act, 0, 8]),
        err(Errno::EINVAL)
    );
    assert_eq!(
        w.call(Sysno::RtSigaction, &[SIGUSR1, act, 0, 4]),
        err(Errno::EINVAL)
    );
    assert_eq!(
        w.call(Sysno::RtSigaction, &[SIGUSR1, 8, 0, 8]),
        err(Errno::EFAULT)
    );
}

#[test]
fn sigprocmask_blocks_unblocks_and_never_blocks_kill_or_stop() {
    let w = World::new();
    assert_eq!(
        mask(&w, SIG_BLOCK, bit(SIGUSR1) | bit(SIGKILL) | bit(SIGSTOP)),
        0
    );
    assert_eq!(blocked(&w), bit(SIGUSR1));
    assert_eq!(mask(&w, SIG_BLOCK, bit(SIGUSR2)), bit(SIGUSR1));
    assert_eq!(
        mask(&w, SIG_UNBLOCK, bit(SIGUSR1)),
        bit(SIGUSR1) | bit(SIGUSR2)
    );
    assert_eq!(mask(&w, SIG_SETMASK, bit(SIGHUP)), bit(SIGUSR2));
    assert_eq!(blocked(&w), bit(SIGHUP));
    let set = w.put(&0u64);
    assert_eq!(
        w.call(Sysno::RtSigprocmask, &[3, set, 0, 8]),
        err(Errno::EINVAL)
    );
    assert_eq!(
        w.call(Sysno::RtSigprocmask, &[SIG_BLOCK, set, 0, 16]),
        err(Errno::EINVAL)
    );
    assert_eq!(
        w.call(Sysno::RtSigprocmask, &[SIG_BLOCK, 8, 0, 8]),
        err(Errno::EFAULT)
    );
}

#[test]
fn a_blocked_signal_stays_pending_until_unblocked_then_runs_its_handler() {
    let w = World::new();
    handle(&w, SIGUSR1, HANDLER, 0, 0);
    mask(&w, SIG_BLOCK, bit(SIGUSR1));
    raise(&w, SIGUSR1);
    assert_eq!(pending(&w), bit(SIGUSR1));
    set_user_state(&w);
    assert_eq!(w.return_to_user(None), UserReturn::Resume);
    assert_eq!(
        w.registers.borrow().registers.rip,
        0x40_0100,
        "blocked: no handler"
    );

    mask(&w, SIG_UNBLOCK, bit(SIGUSR1));
    set_user_state(&w);
    assert_eq!(w.return_to_user(None), UserReturn::Resume);
    let regs = w.registers.borrow().registers;
    assert_eq!(regs.rip, HANDLER);
    assert_eq!(regs.rdi, SIGUSR1);
    assert_eq!(pending(&w), 0);
}

#[test]
fn kill_of_its_own_process_reaches_the_thread_that_does_not_block_it() {
    // One thread: the sender takes it, interrupted and requested to look.
    let w = World::new();
    handle(&w, SIGUSR1, HANDLER, 0, 0);
    let own = w.process.pid() as u64;
    assert_eq!(w.call(Sysno::Kill, &[own, SIGUSR1]), 0);
    assert_eq!(*w.machine.interrupts.lock().unwrap(), [w.thread.tid()]);
    set_user_state(&w);
    assert_eq!(w.return_to_user(None), UserReturn::Resume);
    assert_eq!(w.registers.borrow().registers.rip, HANDLER);

    // Two threads, the sender blocking it: the other one is woken for it.
    let TwoThreads {
        child,
        first,
        second,
        pid,
    } = child_with_two_threads(&w);
    let block = w.put(&bit(SIGUSR2));
    assert_eq!(
        w.call_as(
            &child,
            &first,
            Sysno::RtSigprocmask,
            &[SIG_BLOCK, block, 0, 8]
        ),
        0
    );
    w.machine.interrupts.lock().unwrap().clear();
    assert_eq!(w.call_as(&child, &first, Sysno::Kill, &[pid, SIGUSR2]), 0);
    assert_eq!(*w.machine.interrupts.lock().unwrap(), [second.tid()]);
}

#[test]
fn a_second_pending_signal_gets_its_frame_at_the_next_return_over_the_first() {
    let w = World::new();
    handle(&w, SIGUSR1, HANDLER, 0, 0);
    handle(&w, SIGUSR2, HANDLER, 0, 0);
    mask(&w, SIG_BLOCK, bit(SIGUSR1) | bit(SIGUSR2));
    raise(&w, SIGUSR2);
    raise(&w, SIGUSR1);
    mask(&w, SIG_SETMASK, 0);
    set_user_state(&w);
    let stack = w.registers.borrow().registers.rsp;
    w.return_to_user(None);
    let first = w.registers.borrow().registers;
    assert_eq!((first.rip, first.rdi), (HANDLER, SIGUSR1));
    // The next return (the handler's first system call or interrupt)
    // builds the second frame on top of the first, with nothing else
    // asking for a look.
    w.return_to_user(None);
    let second = w.registers.borrow().registers;
    assert_eq!((second.rip, second.rdi), (HANDLER, SIGUSR2));
    assert!(second.rsp < first.rsp);
    // Nothing is left: the return after it changes nothing.
    w.return_to_user(None);
    assert_eq!(w.registers.borrow().registers, second);
    // Unwinding: back into the first handler, then into the program.
    return_from_handler(&w);
    w.return_to_user(Some(Sysno::RtSigreturn));
    assert_eq!(w.registers.borrow().registers, first);
    assert_eq!(return_from_handler(&w), 0xaaaa);
    w.return_to_user(Some(Sysno::RtSigreturn));
    let regs = w.registers.borrow().registers;
    assert_eq!((regs.rip, regs.rsp), (0x40_0100, stack));
    assert_eq!(blocked(&w), 0);
}

#[test]
fn the_handler_frame_follows_the_abi_and_sigreturn_restores_everything() {
    let w = World::new();
    handle(&w, SIGUSR1, HANDLER, SA_SIGINFO, bit(SIGUSR2));
    raise(&w, SIGUSR1);
    // The signal interrupts the program here.
    set_user_state(&w);
    let stack = w.registers.borrow().registers.rsp;
    w.return_to_user(None);
    let regs = w.registers.borrow().registers;
    assert_eq!(regs.rip, HANDLER);
    assert_eq!(regs.rdi, SIGUSR1);
    // The frame sits below the red zone; at entry the stack is as after a
    // call: rsp + 8 is 16-byte aligned.
    assert!(regs.rsp < stack - 128);
    assert_eq!((regs.rsp + 8) % 16, 0);
    let info: RawSigInfo = w.get(regs.rsi);
    assert_eq!(info.si_signo, SIGUSR1 as i32);
    assert_eq!(info.si_code, -6, "SI_TKILL");
    assert_eq!(info.union[0] as u32, w.process.pid() as u32, "si_pid");
    assert!(regs.rdx > regs.rsp, "ucontext on the frame");
    // During the handler its signal and sa_mask are blocked.
    assert_eq!(blocked(&w), bit(SIGUSR1) | bit(SIGUSR2));

    let rax = return_from_handler(&w);
    assert_eq!(rax, 0xaaaa, "the interrupted rax comes back");
    let regs = w.registers.borrow().registers;
    assert_eq!(regs.rip, 0x40_0100);
    assert_eq!(regs.rsp, stack);
    assert_eq!(regs.rbx, 0xbbbb);
    assert_eq!(regs.r12, 0x1212);
    assert_eq!(blocked(&w), 0);
}

#[test]
fn standard_signals_coalesce_real_time_signals_queue_and_lower_numbers_go_first() {
    let w = World::new();
    for signal in [SIGUSR1, SIGUSR2, SIGRTMIN + 2] {
        handle(&w, signal, HANDLER, 0, 0);
    }
    mask(&w, SIG_BLOCK, u64::MAX);
    for signal in [SIGRTMIN + 2, SIGUSR2, SIGUSR1, SIGUSR2, SIGRTMIN + 2] {
        raise(&w, signal);
    }
    mask(&w, SIG_SETMASK, 0);
    let mut delivered = Vec::new();
    for _ in 0..6 {
        set_user_state(&w);
        w.return_to_user(None);
        let regs = w.registers.borrow().registers;
        if regs.rip != HANDLER {
            break;
        }
        delivered.push(regs.rdi);
        // Unwind the handler without returning through it, so the next
        // signal is not blocked by this one.
        mask(&w, SIG_SETMASK, 0);
    }
    assert_eq!(delivered, [SIGUSR1, SIGUSR2, SIGRTMIN + 2, SIGRTMIN + 2]);
}

#[test]
fn an_ignored_signal_is_discarded_and_a_default_one_terminates() {
    let w = World::new();
    let (child, thread) = w.fork();
    let act = w.put(&KernelSigAction {
        handler: 1,
        flags: 0,
        restorer: 0,
        mask: 0,
    });
    assert_eq!(
        w.call_as(&child, &thread, Sysno::RtSigaction, &[SIGINT, act, 0, 8]),
        0
    );
    let pid = child.pid() as u64;
    assert_eq!(w.call(Sysno::Kill, &[pid, SIGINT]), 0);
    assert!(child.data().termination().is_none());
    assert_eq!(
        w.return_to_user_as(&child, &thread, None),
        UserReturn::Resume
    );
    assert!(child.data().termination().is_none());

    assert_eq!(w.call(Sysno::Kill, &[pid, SIGTERM]), 0);
    assert_eq!(
        w.return_to_user_as(&child, &thread, None),
        UserReturn::ExitThread
    );
    assert_eq!(
        child.data().termination(),
        Some(Termination::Killed {
            signal: SIGTERM as u8,
            core_dumped: false
        })
    );
}

#[test]
fn sigkill_ends_a_process_at_once_even_if_it_blocks_everything() {
    let w = World::new();
    let (child, thread) = w.fork();
    let all = w.put(&u64::MAX);
    assert_eq!(
        w.call_as(
            &child,
            &thread,
            Sysno::RtSigprocmask,
            &[SIG_BLOCK, all, 0, 8]
        ),
        0
    );
    assert_eq!(w.call(Sysno::Kill, &[child.pid() as u64, SIGKILL]), 0);
    assert!(thread.should_die());
    assert_eq!(
        child.data().termination(),
        Some(Termination::Killed {
            signal: SIGKILL as u8,
            core_dumped: false
        })
    );
    assert_eq!(
        w.return_to_user_as(&child, &thread, None),
        UserReturn::ExitThread
    );
}

#[test]
fn kill_checks_permission_existence_and_signal_numbers() {
    let w = World::new();
    let (other, _) = w.fork();
    let (caller, caller_thread) = w.fork();
    {
        let mut data = caller.data();
        data.change_credentials(|c| {
            *c = process::Credentials::new(1000, 1000);
            Ok(())
        })
        .unwrap();
    }
    let call = |sysno, args: &[u64]| w.call_as(&caller, &caller_thread, sysno, args);
    let other_pid = other.pid() as u64;
    assert_eq!(call(Sysno::Kill, &[other_pid, SIGTERM]), err(Errno::EPERM));
    assert_eq!(call(Sysno::Kill, &[other_pid, 0]), err(Errno::EPERM));
    assert!(other.data().termination().is_none());
    assert_eq!(call(Sysno::Kill, &[caller.pid() as u64, 0]), 0, "itself");
    assert_eq!(call(Sysno::Kill, &[30_000, 0]), err(Errno::ESRCH));
    assert_eq!(
        call(Sysno::Kill, &[caller.pid() as u64, 65]),
        err(Errno::EINVAL)
    );
    assert_eq!(
        call(Sysno::Kill, &[caller.pid() as u64, u64::MAX]),
        err(Errno::EINVAL)
    );
    // Root may signal anyone.
    assert_eq!(w.call(Sysno::Kill, &[other_pid, 0]), 0);
}

#[test]
fn kill_zero_and_negative_pids_reach_process_groups() {
    let w = World::new();
    let (a, a_thread) = w.fork();
    let (b, _) = w.fork();
    let (c, _) = w.fork();
    // a leads a new group and b joins it; c stays in init's group.
    let table = &w.machine.processes;
    table.setpgid(&a, 0, 0).unwrap();
    table.setpgid(&w.process, b.pid(), a.pid()).unwrap();
    assert_eq!(w.call_as(&a, &a_thread, Sysno::Kill, &[0, SIGTERM]), 0);
    for (process, hit) in [(&a, true), (&b, true), (&c, false)] {
        let pending = process.data().signals().shared_pending().set().bits();
        assert_eq!(pending & bit(SIGTERM) != 0, hit, "pid {}", process.pid());
    }
    assert_eq!(
        w.call(Sysno::Kill, &[(-(c.pid() as i64)) as u64, 0]),
        err(Errno::ESRCH)
    );
    assert_eq!(
        w.call(Sysno::Kill, &[(-(a.pid() as i64)) as u64, SIGHUP]),
        0
    );
    assert_ne!(
        b.data().signals().shared_pending().set().bits() & bit(SIGHUP),
        0
    );
}

#[test]
fn tgkill_checks_its_ids() {
    let w = World::new();
    let (child, thread) = w.fork();
    let pid = child.pid() as u64;
    let tid = thread.tid() as u64;
    assert_eq!(
        w.call(Sysno::Tgkill, &[pid, 0, SIGUSR1]),
        err(Errno::EINVAL)
    );
    assert_eq!(
        w.call(Sysno::Tgkill, &[0, tid, SIGUSR1]),
        err(Errno::EINVAL)
    );
    assert_eq!(
        w.call(Sysno::Tgkill, &[1, tid, SIGUSR1]),
        err(Errno::ESRCH),
        "wrong group"
    );
    assert_eq!(
        w.call(Sysno::Tgkill, &[pid, 30_000, SIGUSR1]),
        err(Errno::ESRCH)
    );
    assert_eq!(
        w.call(Sysno::Tkill, &[u64::MAX, SIGUSR1]),
        err(Errno::EINVAL)
    );
    assert_eq!(w.call(Sysno::Tgkill, &[pid, tid, SIGUSR1]), 0);
    assert_ne!(
        thread.data().signals.lock().pending().set().bits() & bit(SIGUSR1),
        0
    );
    assert!(w.machine.interrupts.lock().unwrap().contains(&thread.tid()));
}

#[test]
fn rt_sigqueueinfo_refuses_kernel_codes_towards_others() {
    let w = World::new();
    let (child, _) = w.fork();
    let mut info = RawSigInfo {
        si_signo: SIGUSR1 as i32,
        si_errno: 0,
        si_code: 0, // SI_USER: only the kernel may claim it
        pad: 0,
        union: [0; 14],
    };
    let pointer = w.put(&info);
    let pid = child.pid() as u64;
    assert_eq!(
        w.call(Sysno::RtSigqueueinfo, &[pid, SIGUSR1, pointer]),
        err(Errno::EPERM)
    );
    info.si_code = -1; // SI_QUEUE
    info.union[1] = 77; // sigval
    let pointer = w.put(&info);
    assert_eq!(w.call(Sysno::RtSigqueueinfo, &[pid, SIGUSR1, pointer]), 0);
    assert_eq!(
        w.call(Sysno::RtSigqueueinfo, &[pid, SIGUSR1, 8]),
        err(Errno::EFAULT)
    );
}

#[test]
fn rt_tgsigqueueinfo_queues_on_one_thread_with_the_callers_info() {
    let w = World::new();
    let second = w
        .machine
        .processes
        .add_thread(&w.process, ThreadData::default())
        .unwrap();
    let (pid, tid) = (w.process.pid() as u64, second.tid() as u64);
    let me = w.thread.tid() as u64;
    let mut info = RawSigInfo {
        si_signo: SIGUSR1 as i32,
        si_errno: 0,
        si_code: -1, // SI_QUEUE
        pad: 0,
        union: [0; 14],
    };
    info.union[1] = 77; // sigval
    let queued = w.put(&info);
    let call = |tgid: u64, tid: u64, signal: u64, info: u64| {
        w.call(Sysno::RtTgsigqueueinfo, &[tgid, tid, signal, info])
    };
    assert_eq!(call(pid, tid, SIGUSR1, queued), 0);
    // Pending on the second thread only, with its info.
    assert_eq!(pending(&w), 0);
    let taken = second
        .data()
        .signals()
        .lock()
        .pending_mut()
        .take_next(signal::SigSet::from_bits(bit(SIGUSR1)))
        .unwrap();
    assert_eq!(taken.to_raw().union[1], 77);
    // Kernel codes (SI_USER, SI_TKILL) only to the caller itself.
    info.si_code = 0;
    let user = w.put(&info);
    assert_eq!(call(pid, tid, SIGUSR1, user), err(Errno::EPERM));
    mask(&w, SIG_BLOCK, bit(SIGUSR2));
    assert_eq!(call(pid, me, SIGUSR2, user), 0);
    assert_eq!(pending(&w), bit(SIGUSR2));
    // Signal 0 checks only; wrong group, bad ids and pointers fail.
    assert_eq!(call(pid, tid, 0, queued), 0);
    assert_eq!(call(pid + 1000, tid, SIGUSR1, queued), err(Errno::ESRCH));
    assert_eq!(call(0, tid, SIGUSR1, queued), err(Errno::EINVAL));
    assert_eq!(call(pid, tid, SIGUSR1, 8), err(Errno::EFAULT));
}

#[test]
fn sigtimedwait_takes_a_blocked_signal_with_its_info_or_times_out() {
    let w = World::new();
    mask(&w, SIG_BLOCK, bit(SIGUSR2));
    raise(&w, SIGUSR2);
    let set = w.put(&bit(SIGUSR2));
    let info = w.alloc(128);
    assert_eq!(
        w.call(Sysno::RtSigtimedwait, &[set, info, 0, 8]),
        SIGUSR2 as i64
    );
    let info: RawSigInfo = w.get(info);
    assert_eq!(info.si_signo, SIGUSR2 as i32);
    assert_eq!(pending(&w), 0);

    let timeout = w.put(&abi::Timespec {
        sec: 2,
        nsec: 500_000_000,
    });
    let before = w.machine.now_ns();
    assert_eq!(
        w.call(Sysno::RtSigtimedwait, &[set, 0, timeout, 8]),
        err(Errno::EAGAIN)
    );
    assert!(w.machine.now_ns() - before >= 2_500_000_000, "it waited");
    let bad = w.put(&abi::Timespec {
        sec: 0,
        nsec: 1_000_000_000,
    });
    assert_eq!(
        w.call(Sysno::RtSigtimedwait, &[set, 0, bad, 8]),
        err(Errno::EINVAL)
    );
}

/// A `pause` interrupted by SIGUSR1 (handled with `SA_RESTART`), up to
/// the handler's first instruction; returns where the program was.
fn pause_into_handler(w: &World) -> u64 {
    handle(w, SIGUSR1, HANDLER, SA_RESTART, 0);
    raise(w, SIGUSR1);
    set_user_state(w);
    let rip = w.registers.borrow().registers.rip;
    assert_eq!(w.call(Sysno::Pause, &[]), err(Errno::EINTR));
    w.return_to_user(Some(Sysno::Pause));
    assert_eq!(w.registers.borrow().registers.rip, HANDLER);
    rip
}

#[test]
fn pause_returns_eintr_once_the_handler_has_run() {
    let w = World::new();
    let rip = pause_into_handler(&w);
    // pause is never restarted after a handler, SA_RESTART or not.
    assert_eq!(return_from_handler(&w), err(Errno::EINTR));
    assert_eq!(w.registers.borrow().registers.rip, rip);
}

#[test]
fn a_context_restored_with_eintr_in_rax_is_not_restarted_by_the_next_signal() {
    let w = World::new();
    let rip = pause_into_handler(&w);
    // rt_sigreturn puts pause's -EINTR back in rax: that is the restored
    // context, not a call that failed, so the next signal must not turn
    // it into a restart of rt_sigreturn.
    assert_eq!(return_from_handler(&w), err(Errno::EINTR));
    // The signal comes from elsewhere meanwhile: rax stays as restored.
    raise(&w, SIGUSR1);
    w.registers.borrow_mut().registers.rax = err(Errno::EINTR) as u64;
    w.return_to_user(Some(Sysno::RtSigreturn));
    assert_eq!(w.registers.borrow().registers.rip, HANDLER);
    assert_eq!(return_from_handler(&w), err(Errno::EINTR));
    assert_eq!(w.registers.borrow().registers.rip, rip);
}

#[test]
fn sa_restart_restarts_an_interrupted_read_and_no_handler_restarts_silently() {
    let w = World::new();
    handle(&w, SIGUSR1, HANDLER, SA_RESTART, 0);
    handle(&w, SIGUSR2, HANDLER, 0, 0);
    let interrupted_read = |signal: u64| {
        raise(&w, signal);
        set_user_state(&w);
        let mut regs = w.registers.borrow_mut();
        // The read's `syscall` instruction ends at rip; it was interrupted.
        regs.registers.rax = err(Errno::EINTR) as u64;
        drop(regs);
        w.return_to_user(Some(Sysno::Read));
        assert_eq!(w.registers.borrow().registers.rip, HANDLER);
        return_from_handler(&w)
    };
    // With SA_RESTART the handler returns into the `syscall` again.
    let rax = interrupted_read(SIGUSR1);
    assert_eq!(rax, Sysno::Read.number() as i64);
    assert_eq!(w.registers.borrow().registers.rip, 0x40_0100 - 2);
    // Without it, the read fails with EINTR.
    let rax = interrupted_read(SIGUSR2);
    assert_eq!(rax, err(Errno::EINTR));
    assert_eq!(w.registers.borrow().registers.rip, 0x40_0100);
}

#[test]
fn an_interrupted_sleep_resumes_to_its_deadline_unless_a_handler_ran() {
    let w = World::new();
    handle(&w, SIGUSR1, HANDLER, SA_RESTART, 0);
    let request = w.put(&Timespec { sec: 5, nsec: 0 });
    let left = w.alloc(16);
    let start = w.machine.now_ns();
    let interrupted_sleep = |sysno: Sysno, args: &[u64]| {
        // The fake interrupts every 1000th sleep: this one, 2 s in.
        w.machine
            .sleeps
            .store(999, std::sync::atomic::Ordering::SeqCst);
        w.machine.advance(2_000_000_000);
        set_user_state(&w);
        assert_eq!(w.call(sysno, args), err(Errno::EINTR));
    };
    // Stopped and continued, or an ignored signal: no handler runs, and
    // the kernel makes the thread call restart_syscall in its place.
    interrupted_sleep(Sysno::Nanosleep, &[request, left]);
    w.return_to_user(Some(Sysno::Nanosleep));
    let regs = w.registers.borrow().registers;
    assert_eq!((regs.rax, regs.rip), (219, 0x40_0100 - 2));
    // Interrupted again, it goes on the same way.
    interrupted_sleep(Sysno::RestartSyscall, &[]);
    w.return_to_user(Some(Sysno::RestartSyscall));
    assert_eq!(w.registers.borrow().registers.rax, 219);
    // The restarted sleep ends at the first deadline (begun 2 s in, for
    // 5 s), not 5 s from now.
    assert_eq!(w.call(Sysno::RestartSyscall, &[]), 0);
    assert_eq!(w.machine.now_ns(), start + 7_000_000_000);
    // After a handler the sleep fails with EINTR, whatever SA_RESTART
    // says, and nothing is left to restart.
    raise(&w, SIGUSR1);
    interrupted_sleep(Sysno::Nanosleep, &[request, left]);
    w.return_to_user(Some(Sysno::Nanosleep));
    assert_eq!(w.registers.borrow().registers.rip, HANDLER);
    assert_eq!(return_from_handler(&w), err(Errno::EINTR));
    // With nothing to resume, restart_syscall fails, once (it is not
    // restarted in turn, which would loop).
    set_user_state(&w);
    assert_eq!(w.call(Sysno::RestartSyscall, &[]), err(Errno::EINTR));
    w.return_to_user(Some(Sysno::RestartSyscall));
    let regs = w.registers.borrow().registers;
    assert_eq!((regs.rax, regs.rip), (err(Errno::EINTR) as u64, 0x40_0100));
}

#[test]
fn an_interrupted_poll_resumes_to_its_deadline_unless_a_handler_ran() {
    let w = World::new();
    handle(&w, SIGUSR1, HANDLER, SA_RESTART, 0);
    let fds = w.alloc(8);
    assert_eq!(w.call(Sysno::Pipe2, &[fds, 0]), 0);
    let read_end: i32 = w.get(fds);
    let entry = w.put(&abi::PollFd {
        fd: read_end,
        events: 1,
        revents: 0,
    });
    let start = w.machine.now_ns();
    let interrupted_poll = |sysno: Sysno, args: &[u64]| {
        // The fake cuts this poll's first sleep short, at once.
        w.machine
            .sleeps
            .store(999, std::sync::atomic::Ordering::SeqCst);
        set_user_state(&w);
        assert_eq!(w.call(sysno, args), err(Errno::EINTR));
    };
    // poll(fds, 1, 5000) on an empty pipe, stopped and continued 2 s in:
    // it goes on through restart_syscall to the deadline it had.
    interrupted_poll(Sysno::Poll, &[entry, 1, 5000]);
    w.machine.advance(2_000_000_000);
    w.return_to_user(Some(Sysno::Poll));
    let regs = w.registers.borrow().registers;
    assert_eq!((regs.rax, regs.rip), (219, 0x40_0100 - 2));
    assert_eq!(w.call(Sysno::RestartSyscall, &[]), 0);
    assert_eq!(w.machine.now_ns(), start + 5_000_000_000);
    // After a handler it fails with EINTR, SA_RESTART or not, and leaves
    // nothing to resume.
    raise(&w, SIGUSR1);
    interrupted_poll(Sysno::Poll, &[entry, 1, 5000]);
    w.return_to_user(Some(Sysno::Poll));
    assert_eq!(w.registers.borrow().registers.rip, HANDLER);
    assert_eq!(return_from_handler(&w), err(Errno::EINTR));
    assert_eq!(w.call(Sysno::RestartSyscall, &[]), err(Errno::EINTR));
    // An untimed poll left a block too: restarted after a stop, it polls
    // again (and the fake's next sleep is cut short in turn).
    interrupted_poll(Sysno::Poll, &[entry, 1, u32::MAX as u64]);
    w.return_to_user(Some(Sysno::Poll));
    assert_eq!(w.registers.borrow().registers.rax, 219);
}

#[test]
fn select_and_ppoll_write_back_the_time_they_did_not_wait() {
    let w = World::new();
    let fds = w.alloc(8);
    assert_eq!(w.call(Sysno::Pipe2, &[fds, 0]), 0);
    let read_end: i32 = w.get(fds);
    // select(read_end + 1, {read_end}, 0, 0, 3 s) interrupted 10 ms in
    // (the fake's first sleep passes, its second is cut short): the
    // timeval says what is left, and the restart after the stop (no
    // handler ran) waits only that, as on Linux.
    w.machine
        .sleeps
        .store(998, std::sync::atomic::Ordering::SeqCst);
    let set = w.put(&(1u64 << read_end));
    let timeout = w.put(&Timeval {
        tv_sec: 3,
        tv_usec: 0,
    });
    let start = w.machine.now_ns();
    let nfds = read_end as u64 + 1;
    set_user_state(&w);
    assert_eq!(
        w.call(Sysno::Select, &[nfds, set, 0, 0, timeout]),
        err(Errno::EINTR)
    );
    let left: Timeval = w.get(timeout);
    assert_eq!((left.tv_sec, left.tv_usec), (2, 990_000));
    w.machine.advance(1_000_000_000);
    w.return_to_user(Some(Sysno::Select));
    let regs = w.registers.borrow().registers;
    assert_eq!(
        (regs.rax, regs.rip),
        (Sysno::Select.number(), 0x40_0100 - 2)
    );
    let set = w.put(&(1u64 << read_end));
    assert_eq!(w.call(Sysno::Select, &[nfds, set, 0, 0, timeout]), 0);
    assert_eq!(w.machine.now_ns(), start + 4_000_000_000);
    let left: Timeval = w.get(timeout);
    assert_eq!((left.tv_sec, left.tv_usec), (0, 0));
    // ppoll that returns at once, ready, leaves its whole timeout.
    assert_eq!(w.write(fds_write(&w, fds), b"x"), 1);
    let entry = w.put(&abi::PollFd {
        fd: read_end,
        events: 1,
        revents: 0,
    });
    let timeout = w.put(&Timespec { sec: 4, nsec: 5 });
    assert_eq!(w.call(Sysno::Ppoll, &[entry, 1, timeout, 0, 8]), 1);
    let left: Timespec = w.get(timeout);
    assert_eq!((left.sec, left.nsec), (4, 5));
}

fn fds_write(w: &World, fds: u64) -> i64 {
    i64::from(w.get::<i32>(fds + 4))
}

#[test]
fn sigsuspend_waits_with_its_mask_and_the_old_one_comes_back_after_the_handler() {
    let w = World::new();
    handle(&w, SIGUSR1, HANDLER, 0, 0);
    mask(&w, SIG_BLOCK, bit(SIGUSR1) | bit(SIGHUP));
    raise(&w, SIGUSR1);
    let during = w.put(&bit(SIGHUP));
    set_user_state(&w);
    assert_eq!(w.call(Sysno::RtSigsuspend, &[during, 8]), err(Errno::EINTR));
    w.return_to_user(Some(Sysno::RtSigsuspend));
    assert_eq!(w.registers.borrow().registers.rdi, SIGUSR1);
    assert_eq!(return_from_handler(&w), err(Errno::EINTR));
    assert_eq!(blocked(&w), bit(SIGUSR1) | bit(SIGHUP));
    assert_eq!(
        w.call(Sysno::RtSigsuspend, &[during, 4]),
        err(Errno::EINVAL)
    );
}

#[test]
fn sigaltstack_is_reported_used_by_sa_onstack_and_locked_while_on_it() {
    let w = World::new();
    let base = w.alloc(16384);
    let ss = w.put(&StackT {
        ss_sp: base,
        ss_flags: 0,
        pad: 0,
        ss_size: 16384,
    });
    assert_eq!(w.call(Sysno::Sigaltstack, &[ss, 0]), 0);
    let old = w.alloc(24);
    assert_eq!(w.call(Sysno::Sigaltstack, &[0, old]), 0);
    let current: StackT = w.get(old);
    assert_eq!(
        (current.ss_sp, current.ss_size, current.ss_flags),
        (base, 16384, 0)
    );
    let tiny = w.put(&StackT {
        ss_sp: base,
        ss_flags: 0,
        pad: 0,
        ss_size: 100,
    });
    assert_eq!(w.call(Sysno::Sigaltstack, &[tiny, 0]), err(Errno::ENOMEM));

    handle(&w, SIGSEGV, HANDLER, SA_ONSTACK, 0);
    set_user_state(&w);
    raise(&w, SIGSEGV);
    w.return_to_user(None);
    let rsp = w.registers.borrow().registers.rsp;
    assert!(
        (base..base + 16384).contains(&rsp),
        "handler runs on the alternate stack"
    );
    assert_eq!(w.call(Sysno::Sigaltstack, &[0, old]), 0);
    assert_eq!(w.get::<StackT>(old).ss_flags, SS_ONSTACK);
    assert_eq!(w.call(Sysno::Sigaltstack, &[ss, 0]), err(Errno::EPERM));
    return_from_handler(&w);
    let off = w.put(&StackT {
        ss_sp: 0,
        ss_flags: SS_DISABLE,
        pad: 0,
        ss_size: 0,
    });
    assert_eq!(w.call(Sysno::Sigaltstack, &[off, 0]), 0);
    assert_eq!(w.call(Sysno::Sigaltstack, &[0, old]), 0);
    assert_eq!(w.get::<StackT>(old).ss_flags, SS_DISABLE);
}

#[test]
fn sa_resethand_runs_the_handler_once() {
    let w = World::new();
    handle(&w, SIGUSR1, HANDLER, SA_RESETHAND, 0);
    raise(&w, SIGUSR1);
    set_user_state(&w);
    w.return_to_user(None);
    let old = w.alloc(32);
    assert_eq!(w.call(Sysno::RtSigaction, &[SIGUSR1, 0, old, 8]), 0);
    assert_eq!(w.get::<KernelSigAction>(old).handler, 0, "back to SIG_DFL");
}

#[test]
fn a_corrupt_frame_at_sigreturn_kills_with_sigsegv() {
    let w = World::new();
    let (child, thread) = w.fork();
    // A stack pointer nowhere near user memory, and an FPU state of the
    // caller's own.
    w.registers.borrow_mut().registers.rsp = 0x10;
    w.registers.borrow_mut().fpu[160..176].fill(0xab);
    w.registers.borrow_mut().fpu[24..28].copy_from_slice(&0x6000u32.to_le_bytes());
    w.call_as(&child, &thread, Sysno::RtSigreturn, &[]);
    // RLIMIT_CORE is 0 by default: no core, and the status says so.
    assert_eq!(
        child.data().termination(),
        Some(Termination::Killed {
            signal: SIGSEGV as u8,
            core_dumped: false
        })
    );
    // The FPU state is left clean, as Linux clears it for a bad frame.
    let registers = w.registers.borrow();
    assert_eq!(registers.fpu[160..176], [0; 16]);
    assert_eq!(registers.fpu[24..28], 0x1f80u32.to_le_bytes());
}

#[test]
fn a_crash_with_a_core_limit_writes_an_elf_core_named_by_the_pattern() {
    let w = World::new();
    let (child, thread) = w.fork();
    let call = |sysno, args: &[u64]| w.call_as(&child, &thread, sysno, args);
    let limit = w.put(&abi::RawRlimit {
        current: u64::MAX,
        max: u64::MAX,
    });
    assert_eq!(call(Sysno::Setrlimit, &[4, limit]), 0, "RLIMIT_CORE");
    let root = process::Credentials::root();
    w.machine
        .processes
        .set_core_pattern(&root, b"core.%p.%s\n")
        .unwrap();
    w.registers.borrow_mut().registers.rsp = 0x10;
    w.registers.borrow_mut().registers.rip = 0x40_1000;
    call(Sysno::RtSigreturn, &[]);
    assert_eq!(
        child.data().termination(),
        Some(Termination::Killed {
            signal: SIGSEGV as u8,
            core_dumped: true
        })
    );
    let path = format!("/core.{}.11", child.pid());
    let fd = w.open(&path, 0);
    assert!(fd >= 0, "{path} was written");
    let header = w.alloc(64);
    assert_eq!(w.call(Sysno::Read, &[fd as u64, header, 64]), 64);
    let header = w.peek(header, 64);
    assert_eq!(&header[..4], b"\x7fELF");
    assert_eq!(u16::from_le_bytes([header[16], header[17]]), 4, "ET_CORE");
    // A process that changed its uid is no longer dumpable: no core, and
    // the status does not claim one.
    let (child, thread) = w.fork();
    w.call_as(&child, &thread, Sysno::Setrlimit, &[4, limit]);
    w.call_as(&child, &thread, Sysno::Setuid, &[1000]);
    w.call_as(&child, &thread, Sysno::RtSigreturn, &[]);
    assert_eq!(
        child.data().termination(),
        Some(Termination::Killed {
            signal: SIGSEGV as u8,
            core_dumped: false
        })
    );
}

#[test]
fn alarm_returns_the_seconds_left_and_fires_sigalrm() {
    let w = World::new();
    let (child, thread) = w.fork();
    let call = |sysno, args: &[u64]| w.call_as(&child, &thread, sysno, args);
    assert_eq!(call(Sysno::Alarm, &[5]), 0);
    w.machine.advance(2_000_000_000);
    assert_eq!(call(Sysno::Alarm, &[10]), 3);
    assert!(
        w.machine
            .alarm_changes
            .load(std::sync::atomic::Ordering::SeqCst)
            >= 2
    );
    let fire =
        |w: &World| syscall::signals::timers::fire_real_timers(&*w.machine, w.machine.now_ns());
    let next = fire(&w);
    assert_eq!(next, Some(w.machine.now_ns() + 10_000_000_000));
    w.machine.advance(10_000_000_000);
    assert_eq!(fire(&w), None, "a one-shot alarm is spent");
    assert_ne!(
        child.data().signals().shared_pending().set().bits() & bit(SIGALRM),
        0
    );
    // alarm(0) cancels.
    assert_eq!(call(Sysno::Alarm, &[7]), 0);
    assert_eq!(call(Sysno::Alarm, &[0]), 7);
    assert_eq!(fire(&w), None);
}

#[test]
fn an_interval_timer_rearms_and_getitimer_reports_what_is_left() {
    let w = World::new();
    let (child, thread) = w.fork();
    let call = |sysno, args: &[u64]| w.call_as(&child, &thread, sysno, args);
    let timer = w.put(&Itimerval {
        it_interval: Timeval {
            tv_sec: 0,
            tv_usec: 250_000,
        },
        it_value: Timeval {
            tv_sec: 1,
            tv_usec: 0,
        },
    });
    assert_eq!(call(Sysno::Setitimer, &[0, timer, 0]), 0);
    w.machine.advance(400_000_000);
    let now = w.alloc(32);
    assert_eq!(call(Sysno::Getitimer, &[0, now]), 0);
    let left: Itimerval = w.get(now);
    assert_eq!(
        left.it_value,
        Timeval {
            tv_sec: 0,
            tv_usec: 600_000
        }
    );
    assert_eq!(
        left.it_interval,
        Timeval {
            tv_sec: 0,
            tv_usec: 250_000
        }
    );
    w.machine.advance(600_000_000);
    let next = syscall::signals::timers::fire_real_timers(&*w.machine, w.machine.now_ns());
    assert_eq!(next, Some(w.machine.now_ns() + 250_000_000), "re-armed");
    assert_ne!(
        child.data().signals().shared_pending().set().bits() & bit(SIGALRM),
        0
    );
    let bad = w.put(&Itimerval {
        it_interval: Timeval {
            tv_sec: 0,
            tv_usec: 0,
        },
        it_value: Timeval {
            tv_sec: 0,
            tv_usec: 1_000_000,
        },
    });
    assert_eq!(call(Sysno::Setitimer, &[0, bad, 0]), err(Errno::EINVAL));
    assert_eq!(call(Sysno::Setitimer, &[9, timer, 0]), err(Errno::EINVAL));
    assert_eq!(call(Sysno::Getitimer, &[0, 8]), err(Errno::EFAULT));
}

#[test]
fn a_stop_signal_stops_the_process_and_sigcont_resumes_it() {
    let w = World::new();
    let (child, thread) = w.fork();
    let pid = child.pid() as u64;
    assert_eq!(w.call(Sysno::Kill, &[pid, SIGSTOP]), 0);
    // The fake's stop wait ends at once; the state is what matters.
    let before = w
        .machine
        .stop_events
        .waits
        .load(std::sync::atomic::Ordering::SeqCst);
    w.return_to_user_as(&child, &thread, None);
    assert!(
        w.machine
            .stop_events
            .waits
            .load(std::sync::atomic::Ordering::SeqCst)
            > before
    );
    assert!(matches!(child.data().state(), ProcessState::Stopped(19)));
    assert_eq!(w.call(Sysno::Kill, &[pid, 18]), 0, "SIGCONT");
    assert!(!matches!(child.data().state(), ProcessState::Stopped(_)));
}

/// A forked child with a second thread.
struct TwoThreads {
    child: Arc<Process<Env>>,
    first: Arc<Thread<Env>>,
    second: Arc<Thread<Env>>,
    /// The child's pid, as a call's argument.
    pid: u64,
}

fn child_with_two_threads(w: &World) -> TwoThreads {
    let (child, first) = w.fork();
    let second = w
        .machine
        .processes
        .add_thread(&child, ThreadData::default())
        .unwrap();
    let pid = child.pid() as u64;
    TwoThreads {
        child,
        first,
        second,
        pid,
    }
}

#[test]
fn a_stop_is_reported_once_every_thread_has_joined_it() {
    let w = World::new();
    let TwoThreads {
        child,
        first,
        second,
        pid,
    } = child_with_two_threads(&w);
    let stopped_child = |w: &World| {
        let status = w.alloc(4);
        w.call(
            Sysno::Wait4,
            &[pid, status, (WNOHANG | WUNTRACED) as u64, 0],
        )
    };
    assert_eq!(w.call(Sysno::Kill, &[pid, SIGSTOP]), 0);
    // One thread takes the stop; the other is still in a call.
    w.return_to_user_as(&child, &first, None);
    assert!(matches!(child.data().state(), ProcessState::Stopped(19)));
    assert_eq!(stopped_child(&w), 0, "not reported while a thread runs");
    // That thread's pause ends (it would sleep again and spin, the
    // interruption still pending) and it joins the stop on its way out.
    assert_eq!(
        w.call_as(&child, &second, Sysno::Pause, &[]),
        err(Errno::EINTR)
    );
    w.return_to_user_as(&child, &second, Some(Sysno::Pause));
    assert_eq!(stopped_child(&w), pid as i64, "reported once both stopped");
    assert_eq!(w.call(Sysno::Kill, &[pid, 18]), 0, "SIGCONT");
}

#[test]
fn a_clone_during_a_stop_makes_no_thread_and_runs_again_once_continued() {
    const THREAD_FLAGS: u64 = 0x100 | 0x200 | 0x400 | 0x800 | 0x10000;
    let w = World::new();
    let TwoThreads {
        child,
        first,
        second,
        pid,
    } = child_with_two_threads(&w);
    assert_eq!(w.call(Sysno::Kill, &[pid, SIGSTOP]), 0);
    w.return_to_user_as(&child, &first, None);
    // The second thread was in clone when the stop came: a thread made
    // now would not be one the stop waits for.
    set_user_state(&w);
    let stack = w.alloc(64) + 64;
    assert_eq!(
        w.call_as(&child, &second, Sysno::Clone, &[THREAD_FLAGS, stack]),
        err(Errno::EINTR)
    );
    assert_eq!(child.thread_count(), 2);
    // It joins the stop on its way out and, once continued (the fake's
    // stop wait ends at once), is back at its `syscall` instruction with
    // the clone's number: the call runs again.
    w.return_to_user_as(&child, &second, Some(Sysno::Clone));
    let regs = w.registers.borrow().registers;
    assert_eq!(regs.rip, 0x40_0100 - 2);
    assert_eq!(regs.rax, Sysno::Clone.number());
}

#[test]
fn cpu_time_interval_timers_count_down_what_the_process_runs() {
    const SIGVTALRM: u64 = 26;
    const SIGPROF: u64 = 27;
    let w = World::new();
    // SIGVTALRM and SIGPROF blocked, so they stay pending to be seen.
    mask(&w, SIG_BLOCK, bit(SIGVTALRM) | bit(SIGPROF));
    let timer = |value_ms: i64| {
        w.put(&Itimerval {
            it_interval: Timeval::default(),
            it_value: Timeval {
                tv_sec: 0,
                tv_usec: value_ms * 1000,
            },
        })
    };
    assert_eq!(w.call(Sysno::Setitimer, &[1, timer(30), 0]), 0);
    assert_eq!(w.call(Sysno::Setitimer, &[2, timer(30), 0]), 0);
    let clock = || w.machine.thread_cpu_ns(&w.thread);
    // Sleeping (wall time) charges nothing.
    w.machine.advance(1_000_000_000);
    syscall::signals::timers::charge_cpu_timers(
        &*w.machine,
        &w.process,
        &w.thread,
        clock(),
        0,
        20_000_000,
    );
    assert_eq!(pending(&w), 0);
    let left = w.alloc(32);
    assert_eq!(w.call(Sysno::Getitimer, &[1, left]), 0);
    assert_eq!(
        w.get::<Itimerval>(left).it_value.tv_usec,
        30_000,
        "user time only"
    );
    assert_eq!(w.call(Sysno::Getitimer, &[2, left]), 0);
    assert_eq!(
        w.get::<Itimerval>(left).it_value.tv_usec,
        10_000,
        "prof counts both"
    );
    syscall::signals::timers::charge_cpu_timers(
        &*w.machine,
        &w.process,
        &w.thread,
        clock(),
        10_000_000,
        0,
    );
    assert_eq!(pending(&w), bit(SIGPROF));
    syscall::signals::timers::charge_cpu_timers(
        &*w.machine,
        &w.process,
        &w.thread,
        clock(),
        20_000_000,
        0,
    );
    assert_eq!(pending(&w), bit(SIGPROF) | bit(SIGVTALRM));
    // A forked child starts with them disarmed.
    assert_eq!(w.call(Sysno::Setitimer, &[1, timer(30), 0]), 0);
    let (child, thread) = w.fork();
    assert_eq!(w.call_as(&child, &thread, Sysno::Getitimer, &[1, left]), 0);
    assert_eq!(w.get::<Itimerval>(left), Itimerval::default());
}

#[test]
fn a_cpu_time_posix_timer_never_fires_before_its_clock_reads_the_expiry() {
    use syscall::signals::posix_timers::SigEvent;
    const CLOCK_PROCESS_CPUTIME_ID: u64 = 2;
    const TIMER_ABSTIME: u64 = 1;
    let w = World::new();
    let tid = w.thread.tid();
    let ran = |ms: u64| {
        w.machine.cpu_ns.lock().unwrap().insert(tid, ms * 1_000_000);
    };
    // The kernel folds a thread's time every few ticks: what it ran
    // since the last fold is charged to its timers at the next.
    let fold = || {
        syscall::signals::timers::charge_cpu_timers(
            &*w.machine,
            &w.process,
            &w.thread,
            w.machine.thread_cpu_ns(&w.thread),
            0,
            0,
        )
    };
    let ms = |n: i64| Timespec::from_nanos(n as u64 * 1_000_000);
    mask(&w, SIG_BLOCK, bit(SIGUSR1));
    let event = w.put(&SigEvent {
        value: 7,
        signo: SIGUSR1 as i32,
        notify: 0,
        thread: 0,
        pad: [0; 11],
    });
    let id_out = w.alloc(4);
    assert_eq!(
        w.call(
            Sysno::TimerCreate,
            &[CLOCK_PROCESS_CPUTIME_ID, event, id_out]
        ),
        0
    );
    let id = u64::from(w.get::<u32>(id_out));
    let setting = w.alloc(32);
    let left = || {
        assert_eq!(w.call(Sysno::TimerGettime, &[id, setting]), 0);
        w.get::<[Timespec; 2]>(setting)[1]
    };
    let clock = || {
        let ts = w.alloc(16);
        assert_eq!(
            w.call(Sysno::ClockGettime, &[CLOCK_PROCESS_CPUTIME_ID, ts]),
            0
        );
        w.get::<Timespec>(ts)
    };

    // 5 ms run and not yet folded when a 10 ms timer is armed: they are
    // before it, and do not count towards it.
    ran(5);
    let value = w.put(&[Timespec::default(), ms(10)]);
    assert_eq!(w.call(Sysno::TimerSettime, &[id, 0, value, 0]), 0);
    ran(12);
    fold();
    assert_eq!(pending(&w), 0, "7 ms of 10");
    assert_eq!(left(), ms(3));
    ran(14);
    assert_eq!(left(), ms(1), "a read counts what was not folded yet");
    ran(15);
    fold();
    assert_eq!(pending(&w), bit(SIGUSR1));
    assert_eq!(clock(), ms(15));
    assert_eq!(
        w.call(Sysno::RtSigtimedwait, &[w.put(&bit(SIGUSR1)), 0, 0, 8]),
        SIGUSR1 as i64
    );

    // An absolute expiry: the clock reads 15 ms, so it is 5 ms away.
    let value = w.put(&[Timespec::default(), ms(20)]);
    assert_eq!(
        w.call(Sysno::TimerSettime, &[id, TIMER_ABSTIME, value, 0]),
        0
    );
    assert_eq!(left(), ms(5));
    ran(19);
    fold();
    assert_eq!(pending(&w), 0);
    ran(20);
    fold();
    assert_eq!(pending(&w), bit(SIGUSR1));
    assert!(clock() >= ms(20));
}

#[test]
fn a_socket_call_restarts_unless_its_wait_had_a_timeout_and_a_stale_block_is_dropped() {
    let w = World::new();
    handle(&w, SIGUSR1, HANDLER, SA_RESTART, 0);
    let interrupted = |sysno: Sysno, timed: bool| {
        raise(&w, SIGUSR1);
        set_user_state(&w);
        if timed {
            // What a wait bounded by SO_RCVTIMEO leaves when cut short.
            w.thread
                .data()
                .signals()
                .lock()
                .set_restart(signal::RestartBlock::Never);
        }
        w.registers.borrow_mut().registers.rax = err(Errno::EINTR) as u64;
        w.return_to_user(Some(sysno));
        assert_eq!(w.registers.borrow().registers.rip, HANDLER);
        return_from_handler(&w)
    };
    assert_eq!(
        interrupted(Sysno::Recvfrom, false),
        Sysno::Recvfrom.number() as i64,
        "SA_RESTART restarts a socket call"
    );
    assert_eq!(interrupted(Sysno::Recvfrom, true), err(Errno::EINTR));
    assert!(!w.thread.data().signals().lock().has_restart());
    // A call that moved bytes before its timed wait was cut short
    // succeeds: the block it left must not fail the next interrupted call.
    w.thread
        .data()
        .signals()
        .lock()
        .set_restart(signal::RestartBlock::Never);
    raise(&w, SIGUSR1);
    set_user_state(&w);
    w.registers.borrow_mut().registers.rax = 5;
    w.return_to_user(Some(Sysno::Sendto));
    assert_eq!(return_from_handler(&w), 5);
    assert!(!w.thread.data().signals().lock().has_restart());
    assert_eq!(interrupted(Sysno::Read, false), Sysno::Read.number() as i64);
}
