//! ptrace requests from the tracer's side, against a tracee put in a
//! trace stop by the process table (a real stop would sleep).

use crate::common::*;
use abi::{Errno, Sysno, UserRegs};
use process::TraceStop;

const TRACEME: u64 = 0;
const PEEKUSER: u64 = 3;
const CONT: u64 = 7;
const GETREGS: u64 = 12;
const SETREGS: u64 = 13;
const ATTACH: u64 = 16;
const SETOPTIONS: u64 = 0x4200;
const SEIZE: u64 = 0x4206;
const INTERRUPT: u64 = 0x4207;
const LISTEN: u64 = 0x4208;
const GET_SYSCALL_INFO: u64 = 0x420e;

#[test]
fn a_tracee_in_a_syscall_stop_shows_its_registers_to_its_tracer_only() {
    let w = World::new();
    let (child, thread) = w.fork();
    let pid = child.pid() as u64;
    assert_eq!(
        w.call_as(&child, &thread, Sysno::Ptrace, &[TRACEME, 0, 0, 0]),
        0
    );
    assert_eq!(
        w.call_as(&child, &thread, Sysno::Ptrace, &[TRACEME, 0, 0, 0]),
        err(Errno::EPERM)
    );
    // Running: nothing to read yet.
    let regs = w.alloc(size_of::<UserRegs>());
    assert_eq!(
        w.call(Sysno::Ptrace, &[GETREGS, pid, 0, regs]),
        err(Errno::ESRCH)
    );

    let published = UserRegs {
        orig_rax: 39,
        rdi: 7,
        rip: 0x40_1000,
        rsp: 0x7fff_0000,
        cs: 0x33,
        ss: 0x2b,
        ..UserRegs::default()
    };
    w.machine
        .processes
        .enter_trace_stop(&child, TraceStop::SyscallEntry, |t| t.registers = published)
        .unwrap();
    assert_eq!(w.call(Sysno::Ptrace, &[GETREGS, pid, 0, regs]), 0);
    assert_eq!(w.get::<UserRegs>(regs), published);
    let word = w.alloc(8);
    assert_eq!(w.call(Sysno::Ptrace, &[PEEKUSER, pid, 16 * 8, word]), 0);
    assert_eq!(w.get::<u64>(word), 0x40_1000, "rip through the user area");
    assert_eq!(
        w.call(Sysno::Ptrace, &[PEEKUSER, pid, 3, word]),
        err(Errno::EIO)
    );
    let info = w.alloc(88);
    assert_eq!(
        w.call(Sysno::Ptrace, &[GET_SYSCALL_INFO, pid, 88, info]),
        80
    );
    let bytes = w.peek(info, 88);
    assert_eq!(bytes[0], 1, "entry");
    assert_eq!(u64::from_le_bytes(bytes[24..32].try_into().unwrap()), 39);
    assert_eq!(u64::from_le_bytes(bytes[32..40].try_into().unwrap()), 7);

    // A kernel code selector is refused; flags are filtered.
    let bad = w.put(&UserRegs {
        cs: 0x8,
        ..published
    });
    assert_eq!(
        w.call(Sysno::Ptrace, &[SETREGS, pid, 0, bad]),
        err(Errno::EIO)
    );
    let kernel_rip = w.put(&UserRegs {
        rip: 0xffff_8000_0000_0000,
        ..published
    });
    assert_eq!(
        w.call(Sysno::Ptrace, &[SETREGS, pid, 0, kernel_rip]),
        err(Errno::EIO)
    );
    let changed = w.put(&UserRegs {
        rax: 5,
        eflags: u64::MAX,
        ..published
    });
    assert_eq!(w.call(Sysno::Ptrace, &[SETREGS, pid, 0, changed]), 0);
    let stored = child.data().tracing().unwrap().registers;
    assert_eq!(stored.rax, 5);
    assert_eq!(
        stored.eflags & (1 << 12 | 1 << 13),
        0,
        "no IOPL for the tracee"
    );

    assert_eq!(
        w.call(Sysno::Ptrace, &[SETOPTIONS, pid, 0, 1 << 31]),
        err(Errno::EINVAL)
    );
    assert_eq!(w.call(Sysno::Ptrace, &[SETOPTIONS, pid, 0, 0x51]), 0);
    // Another process may not touch it.
    let (other, other_thread) = w.fork();
    assert_eq!(
        w.call_as(
            &other,
            &other_thread,
            Sysno::Ptrace,
            &[GETREGS, pid, 0, regs]
        ),
        err(Errno::ESRCH)
    );
    assert_eq!(w.call(Sysno::Ptrace, &[CONT, pid, 0, 0]), 0);
    assert_eq!(
        w.call(Sysno::Ptrace, &[CONT, pid, 0, 0]),
        err(Errno::ESRCH),
        "running"
    );
}

#[test]
fn attaching_and_seizing_need_ptrace_access() {
    let w = World::new();
    let (a, a_thread) = w.fork();
    let (b, b_thread) = w.fork();
    let b_pid = b.pid() as u64;
    // SEIZE takes its options in data; addr must be 0.
    assert_eq!(
        w.call(Sysno::Ptrace, &[SEIZE, b_pid, 1, 0]),
        err(Errno::EIO)
    );
    assert_eq!(
        w.call(Sysno::Ptrace, &[SEIZE, b_pid, 0, 1 << 31]),
        err(Errno::EIO)
    );
    assert_eq!(
        w.call(Sysno::Ptrace, &[ATTACH, 9999, 0, 0]),
        err(Errno::ESRCH)
    );
    // b belongs to another user now: a (not root) may not trace it.
    assert_eq!(w.call_as(&b, &b_thread, Sysno::Setuid, &[2000]), 0);
    assert_eq!(w.call_as(&a, &a_thread, Sysno::Setuid, &[1000]), 0);
    assert_eq!(
        w.call_as(&a, &a_thread, Sysno::Ptrace, &[ATTACH, b_pid, 0, 0]),
        err(Errno::EPERM)
    );
    // Root may (its tracer need not be its parent).
    assert_eq!(w.call(Sysno::Ptrace, &[ATTACH, b_pid, 0, 0]), 0);
    assert!(b.is_traced());
    assert_eq!(
        w.call(Sysno::Ptrace, &[ATTACH, b_pid, 0, 0]),
        err(Errno::EPERM)
    );
    // INTERRUPT and LISTEN are for seized tracees only.
    assert_eq!(
        w.call(Sysno::Ptrace, &[INTERRUPT, b_pid, 0, 0]),
        err(Errno::EIO)
    );
    // A seized process keeps running: requests that need a stop fail,
    // and INTERRUPT makes a PTRACE_EVENT_STOP due.
    let (c, _) = w.fork();
    let c_pid = c.pid() as u64;
    assert_eq!(
        w.call_as(&a, &a_thread, Sysno::Ptrace, &[SEIZE, c_pid, 0, 0]),
        err(Errno::EPERM),
        "c is root's"
    );
    assert_eq!(w.call(Sysno::Ptrace, &[SEIZE, c_pid, 0, 1]), 0);
    assert!(c.is_traced());
    assert_eq!(
        c.data().tracing().map(|t| (t.seized, t.options)),
        Some((true, 1))
    );
    assert!(c.data().tracing().is_some_and(|t| t.stop.is_none()));
    assert_eq!(
        w.call(Sysno::Ptrace, &[CONT, c_pid, 0, 0]),
        err(Errno::ESRCH)
    );
    assert_eq!(
        w.call(Sysno::Ptrace, &[LISTEN, c_pid, 0, 0]),
        err(Errno::ESRCH)
    );
    assert_eq!(w.call(Sysno::Ptrace, &[INTERRUPT, c_pid, 0, 0]), 0);
    assert!(c.data().tracing().is_some_and(|t| t.trap_pending));
}
