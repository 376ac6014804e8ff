//! Tracing as the process table keeps it: who may trace whom, and how a
//! trace stop reaches the tracer's wait once.

mod common;

use abi::Errno;
use common::*;
use process::ptrace::{PTRACE_O_TRACESYSGOOD, TraceStop};
use process::wait::WNOHANG;
use process::{ChildCode, Resume};

#[test]
fn a_child_asks_its_parent_to_trace_it_once() {
    let table = Table::default();
    let init = boot_init(&table);
    let child = fork(&table, &init);
    assert!(!child.is_traced());
    table.trace_me(&child).unwrap();
    assert!(child.is_traced());
    assert_eq!(child.data().tracing().unwrap().tracer, init.pid());
    assert_eq!(table.trace_me(&child), Err(Errno::EPERM));
    // init has no parent to trace it.
    assert_eq!(table.trace_me(&init), Err(Errno::EPERM));
    assert_eq!(table.tracees_of(init.pid()).len(), 1);
    assert!(!table.detach(&child), "it was running");
    assert!(!child.is_traced());
    assert!(table.tracees_of(init.pid()).is_empty());
}

#[test]
fn a_tracer_that_is_not_the_parent_sees_stops_and_the_end_and_the_parent_reaps() {
    let table = Table::default();
    let init = boot_init(&table);
    let tracer = fork(&table, &init);
    let tracee = fork(&table, &init);
    assert_eq!(table.attach(&tracer, &tracer), Err(Errno::EPERM), "itself");
    table.attach(&tracer, &tracee).unwrap();
    assert_eq!(table.attach(&init, &tracee), Err(Errno::EPERM), "twice");
    // The tracer may wait for it although it is not its child.
    assert_eq!(wait4(&table, &tracer, tracee.pid(), WNOHANG), Ok(None));
    table
        .enter_trace_stop(&tracee, TraceStop::Signal(19), |_| {})
        .unwrap();
    let info = wait4(&table, &tracer, -1, 0).unwrap().unwrap();
    assert_eq!((info.code, info.wait_status), (ChildCode::Trapped, 0x137f));
    // The parent does not see the trace stop.
    assert_eq!(wait4(&table, &init, tracee.pid(), WNOHANG | 2), Ok(None));
    table.resume_tracee(&tracee, Resume::Continue, 0).unwrap();
    exit(&table, &tracee, 4);
    // The tracer learns of the end first; the parent then reaps.
    let info = wait4(&table, &tracer, -1, 0).unwrap().unwrap();
    assert_eq!((info.pid, info.code), (tracee.pid(), ChildCode::Exited));
    assert_eq!(wait4(&table, &tracer, -1, WNOHANG), Err(Errno::ECHILD));
    let info = wait4(&table, &init, tracee.pid(), 0).unwrap().unwrap();
    assert_eq!(info.status, 4);
}

#[test]
fn a_trace_stop_is_reported_once_whatever_the_options() {
    let table = Table::default();
    let init = boot_init(&table);
    let child = fork(&table, &init);
    table.trace_me(&child).unwrap();
    assert_eq!(wait4(&table, &init, child.pid(), WNOHANG), Ok(None));
    child.data().tracing_mut().unwrap().options = PTRACE_O_TRACESYSGOOD;
    let notice = table
        .enter_trace_stop(&child, TraceStop::SyscallEntry, |t| t.event_message = 9)
        .unwrap();
    assert_eq!(notice.parent, Some(init.pid()));
    // No WUNTRACED needed: a ptrace stop always reaches the tracer.
    let info = wait4(&table, &init, child.pid(), 0).unwrap().unwrap();
    assert_eq!(info.code, ChildCode::Trapped);
    assert_eq!(info.wait_status, 0x857f);
    assert_eq!(wait4(&table, &init, child.pid(), WNOHANG), Ok(None), "once");
    // Resuming needs a stop; then the tracee runs on.
    table.resume_tracee(&child, Resume::Syscall, 0).unwrap();
    assert_eq!(
        table.resume_tracee(&child, Resume::Continue, 0),
        Err(Errno::ESRCH)
    );
    assert!(child.data().tracing().unwrap().stops_at_syscalls());
    // A traced zombie is reaped like any child and stops counting.
    exit(&table, &child, 3);
    let info = wait4(&table, &init, child.pid(), 0).unwrap().unwrap();
    assert_eq!(info.code, ChildCode::Exited);
    assert!(table.tracees_of(init.pid()).is_empty());
}
