//! seccomp through system calls: installing filters with Linux's checks,
//! and what the entry work does with a call each answer covers.

use crate::common::*;
use abi::{Errno, Sysno};
use process::Termination;
use seccomp::{SockFilter, ret};
use syscall::signals::delivery::UserReturn;

const SET_MODE_STRICT: u64 = 0;
const SET_MODE_FILTER: u64 = 1;
const FLAG_TSYNC: u64 = 1;
const FLAG_TSYNC_ESRCH: u64 = 16;
const PR_SET_NO_NEW_PRIVS: u64 = 38;
const PR_GET_SECCOMP: u64 = 21;

/// A filter answering `action` to call `nr` and allowing the rest, put
/// in user memory as a `struct sock_fprog`.
fn filter(w: &World, nr: Sysno, action: u32) -> u64 {
    let insns = [
        SockFilter::statement(0x20, 0),
        SockFilter::jump(0x15, nr as u32, 0, 1),
        SockFilter::statement(0x06, action),
        SockFilter::statement(0x06, ret::ALLOW),
    ];
    let at = w.put(&insns);
    w.put(&[insns.len() as u64, at])
}

/// The entry work for call `nr` of the world's thread: the call to run,
/// or `None` with what rax then holds.
fn enter(w: &World, nr: Sysno) -> Result<u64, i64> {
    let thread = &w.thread;
    let mut registers = w.registers.borrow_mut();
    match syscall::entry_work(&*w.machine, &w.process, thread, &mut *registers, nr as u64) {
        Some(number) => Ok(number),
        None => Err(registers.registers.rax as i64),
    }
}

#[test]
fn filters_are_checked_in_linux_order() {
    let w = World::new();
    let good = filter(&w, Sysno::Getppid, ret::ERRNO | 1);
    assert_eq!(
        w.call(Sysno::Seccomp, &[SET_MODE_FILTER, 1 << 20, good]),
        err(Errno::EINVAL)
    );
    assert_eq!(
        w.call(Sysno::Seccomp, &[SET_MODE_FILTER, 0, 8]),
        err(Errno::EFAULT)
    );
    let empty = w.put(&[0u64, 0]);
    assert_eq!(
        w.call(Sysno::Seccomp, &[SET_MODE_FILTER, 0, empty]),
        err(Errno::EINVAL)
    );
    // An unprivileged caller needs no_new_privs, checked before the
    // instructions are read.
    w.become_user(1000, 1000);
    let unreadable = w.put(&[1u64, 8]);
    assert_eq!(
        w.call(Sysno::Seccomp, &[SET_MODE_FILTER, 0, unreadable]),
        err(Errno::EACCES)
    );
    assert_eq!(w.call(Sysno::Prctl, &[PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0]), 0);
    assert_eq!(
        w.call(Sysno::Seccomp, &[SET_MODE_FILTER, 0, unreadable]),
        err(Errno::EFAULT)
    );
    let unaligned = w.put(&[
        SockFilter::statement(0x20, 2),
        SockFilter::statement(0x06, 0),
    ]);
    let bad = w.put(&[2u64, unaligned]);
    assert_eq!(
        w.call(Sysno::Seccomp, &[SET_MODE_FILTER, 0, bad]),
        err(Errno::EINVAL)
    );
    assert_eq!(w.call(Sysno::Prctl, &[PR_GET_SECCOMP, 0, 0, 0, 0]), 0);
    assert_eq!(w.call(Sysno::Seccomp, &[SET_MODE_FILTER, 0, good]), 0);
    assert_eq!(w.call(Sysno::Prctl, &[PR_GET_SECCOMP, 0, 0, 0, 0]), 2);
    assert!(w.thread.under_seccomp());
    // Filter mode never becomes strict.
    assert_eq!(
        w.call(Sysno::Seccomp, &[SET_MODE_STRICT, 0, 0]),
        err(Errno::EINVAL)
    );
}

#[test]
fn an_errno_answer_skips_the_call_and_others_run() {
    let w = World::new();
    let fprog = filter(&w, Sysno::Getppid, ret::ERRNO | 25);
    assert_eq!(w.call(Sysno::Seccomp, &[SET_MODE_FILTER, 0, fprog]), 0);
    assert_eq!(enter(&w, Sysno::Getppid), Err(-25));
    assert_eq!(enter(&w, Sysno::Getpid), Ok(Sysno::Getpid as u64));
    // No tracer: a trace answer is ENOSYS.
    let trace = filter(&w, Sysno::Getuid, ret::TRACE | 1);
    assert_eq!(w.call(Sysno::Seccomp, &[SET_MODE_FILTER, 0, trace]), 0);
    assert_eq!(enter(&w, Sysno::Getuid), Err(err(Errno::ENOSYS)));
}

#[test]
fn a_trap_leaves_the_number_in_rax_and_raises_sigsys() {
    let w = World::new();
    let fprog = filter(&w, Sysno::Getuid, ret::TRAP | 3);
    assert_eq!(w.call(Sysno::Seccomp, &[SET_MODE_FILTER, 0, fprog]), 0);
    assert_eq!(enter(&w, Sysno::Getuid), Err(Sysno::Getuid as i64));
    // No handler: SIGSYS's default action, a core dump.
    assert_eq!(
        w.return_to_user(Some(Sysno::Getuid)),
        UserReturn::ExitThread
    );
    assert!(matches!(
        w.process.data().termination(),
        Some(Termination::Killed { signal: 31, .. })
    ));
}

#[test]
fn kill_thread_kills_a_lone_thread_by_sigsys_and_one_of_two_alone() {
    let w = World::new();
    let fprog = filter(&w, Sysno::Getppid, ret::KILL_THREAD);
    assert_eq!(w.call(Sysno::Seccomp, &[SET_MODE_FILTER, 0, fprog]), 0);
    let other = w
        .machine
        .processes
        .add_thread_from(&w.process, Some(&w.thread), ThreadData::default())
        .unwrap();
    // The new thread has the filter: it dies alone.
    {
        let mut registers = w.registers.borrow_mut();
        let entry = syscall::entry_work(
            &*w.machine,
            &w.process,
            &other,
            &mut *registers,
            Sysno::Getppid as u64,
        );
        assert_eq!(entry, None);
    }
    assert!(other.should_die());
    assert!(!w.thread.should_die());
    assert!(w.process.data().termination().is_none());
    syscall::process::exit::finish_thread(&*w.machine, &w.process, &other);
    // Now alone, the first thread takes the process with it.
    assert_eq!(enter(&w, Sysno::Getppid), Err(Sysno::Getppid as i64));
    assert_eq!(
        w.return_to_user(Some(Sysno::Getppid)),
        UserReturn::ExitThread
    );
    assert!(matches!(
        w.process.data().termination(),
        Some(Termination::Killed { signal: 31, .. })
    ));
}

#[test]
fn strict_mode_allows_four_calls_and_kills_on_others() {
    let w = World::new();
    assert_eq!(
        w.call(Sysno::Seccomp, &[SET_MODE_STRICT, 1, 0]),
        err(Errno::EINVAL)
    );
    assert_eq!(w.call(Sysno::Seccomp, &[SET_MODE_STRICT, 0, 0]), 0);
    assert_eq!(enter(&w, Sysno::Write), Ok(Sysno::Write as u64));
    assert_eq!(enter(&w, Sysno::RtSigreturn), Ok(Sysno::RtSigreturn as u64));
    assert!(enter(&w, Sysno::Getpid).is_err());
    assert_eq!(
        w.process.data().termination(),
        Some(Termination::Killed {
            signal: 9,
            core_dumped: false
        })
    );
}

#[test]
fn tsync_gives_every_thread_the_chain_or_names_the_one_that_refuses() {
    let w = World::new();
    let other = w
        .machine
        .processes
        .add_thread_from(&w.process, Some(&w.thread), ThreadData::default())
        .unwrap();
    assert!(!other.under_seccomp());
    let first = filter(&w, Sysno::Getppid, ret::ERRNO | 1);
    assert_eq!(
        w.call(Sysno::Seccomp, &[SET_MODE_FILTER, FLAG_TSYNC, first]),
        0
    );
    assert!(other.under_seccomp());
    assert_eq!(other.seccomp().filter_count(), 1);
    // The other thread grows its own chain: it no longer descends from
    // this thread's next one.
    let second = filter(&w, Sysno::Getuid, ret::ERRNO | 2);
    assert_eq!(
        w.call_as(
            &w.process,
            &other,
            Sysno::Seccomp,
            &[SET_MODE_FILTER, 0, second]
        ),
        0
    );
    let third = filter(&w, Sysno::Getgid, ret::ERRNO | 3);
    assert_eq!(
        w.call(Sysno::Seccomp, &[SET_MODE_FILTER, FLAG_TSYNC, third]),
        other.tid() as i64
    );
    assert_eq!(
        w.call(
            Sysno::Seccomp,
            &[SET_MODE_FILTER, FLAG_TSYNC | FLAG_TSYNC_ESRCH, third]
        ),
        err(Errno::ESRCH)
    );
    assert_eq!(w.thread.seccomp().filter_count(), 1, "nothing installed");
    // Without TSYNC only the caller's chain grows.
    assert_eq!(w.call(Sysno::Seccomp, &[SET_MODE_FILTER, 0, third]), 0);
    assert_eq!(w.thread.seccomp().filter_count(), 2);
    assert_eq!(other.seccomp().filter_count(), 2);
}
