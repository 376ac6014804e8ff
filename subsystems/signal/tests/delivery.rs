//! Sending, queueing and taking signals, as a process would observe them.

use abi::Errno;
use signal::*;

const HANDLER: u64 = 0x40_1000;

fn handler(flags: SaFlags, mask: SigSet) -> SigAction {
    SigAction {
        handler: Disposition::Handler(HANDLER),
        flags,
        mask,
        restorer: 0,
    }
}

fn rt(offset: i32) -> Signal {
    Signal::from_raw(32 + offset).unwrap()
}

/// A single-threaded process.
fn process_with_thread() -> (ProcessSignalState, ThreadSignalState) {
    (ProcessSignalState::new(), ThreadSignalState::new())
}

fn deliver_all(thread: &mut ThreadSignalState, process: &mut ProcessSignalState) -> Vec<Delivery> {
    std::iter::from_fn(|| next_signal_to_deliver(thread, process)).collect()
}

#[test]
fn sigkill_cannot_be_blocked_or_caught() {
    let (mut process, mut thread) = process_with_thread();
    let catch = handler(SaFlags::empty(), SigSet::EMPTY);
    assert_eq!(
        process.set_action(Signal::SIGKILL, catch, []),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        process.set_action(Signal::SIGSTOP, catch, []),
        Err(Errno::EINVAL)
    );
    let ignore = KernelSigAction {
        handler: 1,
        ..Default::default()
    };
    assert_eq!(
        process.sigaction(9, Some(ignore), 8, []),
        Err(Errno::EINVAL)
    );

    thread.sigprocmask(2, Some(SigSet::FULL), 8).unwrap();
    assert!(!thread.blocked().contains(Signal::SIGKILL));
    assert!(!thread.blocked().contains(Signal::SIGSTOP));
    assert!(thread.blocked().contains(Signal::SIGTERM));

    let sent = send_to_process(
        &mut process,
        &mut [&mut thread],
        SigInfo::kill(Signal::SIGKILL, 50, 0),
    );
    assert_eq!(sent, Ok(PostOutcome::Queued));
    let delivery = next_signal_to_deliver(&mut thread, &mut process).unwrap();
    assert_eq!(delivery.signal, Signal::SIGKILL);
    assert_eq!(delivery.action, Action::Terminate { core_dump: false });
}

#[test]
fn standard_signals_coalesce() {
    let (mut process, mut thread) = process_with_thread();
    process
        .set_action(
            Signal::SIGUSR1,
            handler(SaFlags::empty(), SigSet::EMPTY),
            [],
        )
        .unwrap();
    thread.set_blocked(SigSet::single(Signal::SIGUSR1));
    let first = send_to_process(
        &mut process,
        &mut [&mut thread],
        SigInfo::kill(Signal::SIGUSR1, 100, 0),
    );
    let second = send_to_process(
        &mut process,
        &mut [&mut thread],
        SigInfo::kill(Signal::SIGUSR1, 200, 0),
    );
    assert_eq!(
        (first, second),
        (Ok(PostOutcome::Queued), Ok(PostOutcome::Coalesced))
    );
    assert_eq!(thread.sigpending(&process), SigSet::single(Signal::SIGUSR1));

    thread.set_blocked(SigSet::EMPTY);
    let delivered = deliver_all(&mut thread, &mut process);
    assert_eq!(delivered.len(), 1);
    assert_eq!(
        delivered[0].info.pid(),
        Some(100),
        "the first sender's info is kept"
    );
}

#[test]
fn realtime_signals_queue_in_order_with_values() {
    let (mut process, mut thread) = process_with_thread();
    for sig in [rt(0), rt(1)] {
        process
            .set_action(sig, handler(SaFlags::SIGINFO, SigSet::EMPTY), [])
            .unwrap();
    }
    thread.set_blocked(SigSet::FULL);
    for (sig, value) in [(rt(1), 1), (rt(1), 2), (rt(0), 9), (rt(1), 3)] {
        let sent = send_to_process(
            &mut process,
            &mut [&mut thread],
            SigInfo::queue(sig, 7, 1000, value),
        );
        assert_eq!(sent, Ok(PostOutcome::Queued));
    }
    thread.set_blocked(SigSet::EMPTY);
    let order: Vec<(Signal, Option<u64>)> = deliver_all(&mut thread, &mut process)
        .iter()
        .map(|d| (d.signal, d.info.value()))
        .collect();
    assert_eq!(
        order,
        [
            (rt(0), Some(9)),
            (rt(1), Some(1)),
            (rt(1), Some(2)),
            (rt(1), Some(3))
        ]
    );
}

#[test]
fn realtime_queue_limit_gives_eagain_to_sigqueue() {
    let (mut process, mut thread) = process_with_thread();
    process.set_queue_limit(2);
    thread.set_blocked(SigSet::FULL);
    let mut send = |value| {
        send_to_process(
            &mut process,
            &mut [&mut thread],
            SigInfo::queue(rt(3), 1, 0, value),
        )
    };
    assert_eq!(send(1), Ok(PostOutcome::Queued));
    assert_eq!(send(2), Ok(PostOutcome::Queued));
    assert_eq!(send(3), Err(Errno::EAGAIN));
}

#[test]
fn sigcont_discards_pending_stops() {
    let (mut process, mut thread) = process_with_thread();
    let mut other = ThreadSignalState::new();
    thread.set_blocked(SigSet::single(Signal::SIGTSTP).with(Signal::SIGCONT));
    send_to_process(
        &mut process,
        &mut [&mut thread, &mut other],
        SigInfo::kill(Signal::SIGTSTP, 1, 0),
    )
    .unwrap();
    send_to_thread(
        &mut process,
        &mut other,
        &mut [&mut thread],
        SigInfo::tkill(Signal::SIGSTOP, 1, 0),
    )
    .unwrap();
    assert!(process.shared_pending().set().contains(Signal::SIGTSTP));
    assert!(other.pending().set().contains(Signal::SIGSTOP));

    send_to_process(
        &mut process,
        &mut [&mut thread, &mut other],
        SigInfo::kill(Signal::SIGCONT, 1, 0),
    )
    .unwrap();
    assert_eq!(
        process.shared_pending().set(),
        SigSet::single(Signal::SIGCONT)
    );
    assert!(other.pending().set().is_empty());

    // And a stop signal discards a pending SIGCONT.
    send_to_process(
        &mut process,
        &mut [&mut thread, &mut other],
        SigInfo::kill(Signal::SIGTTIN, 1, 0),
    )
    .unwrap();
    assert!(!process.shared_pending().set().contains(Signal::SIGCONT));
    assert!(process.shared_pending().set().contains(Signal::SIGTTIN));
}

#[test]
fn stop_signal_default_action_is_stop_and_sigcont_default_is_discarded() {
    let (mut process, mut thread) = process_with_thread();
    send_to_process(
        &mut process,
        &mut [&mut thread],
        SigInfo::kill(Signal::SIGTSTP, 1, 0),
    )
    .unwrap();
    let delivery = next_signal_to_deliver(&mut thread, &mut process).unwrap();
    assert_eq!(delivery.action, Action::Stop);
    // SIGCONT with SIG_DFL does its work at send time and is not queued.
    let sent = send_to_process(
        &mut process,
        &mut [&mut thread],
        SigInfo::kill(Signal::SIGCONT, 1, 0),
    );
    assert_eq!(sent, Ok(PostOutcome::Ignored));
}

#[test]
fn ignored_signal_is_dropped_unless_blocked() {
    let (mut process, mut thread) = process_with_thread();
    let sent = send_to_process(
        &mut process,
        &mut [&mut thread],
        SigInfo::kernel(Signal::SIGCHLD),
    );
    assert_eq!(sent, Ok(PostOutcome::Ignored));
    let ignore = SigAction {
        handler: Disposition::Ignore,
        ..SigAction::DEFAULT
    };
    process.set_action(Signal::SIGTERM, ignore, []).unwrap();
    assert_eq!(
        send_to_process(
            &mut process,
            &mut [&mut thread],
            SigInfo::kill(Signal::SIGTERM, 1, 0)
        ),
        Ok(PostOutcome::Ignored)
    );
    thread.set_blocked(SigSet::single(Signal::SIGTERM));
    assert_eq!(
        send_to_process(
            &mut process,
            &mut [&mut thread],
            SigInfo::kill(Signal::SIGTERM, 1, 0)
        ),
        Ok(PostOutcome::Queued)
    );
    // Still ignored when it is finally unblocked.
    thread.set_blocked(SigSet::EMPTY);
    assert_eq!(next_signal_to_deliver(&mut thread, &mut process), None);
}

#[test]
fn faults_are_delivered_before_lower_numbered_signals() {
    let (mut process, mut thread) = process_with_thread();
    for sig in [Signal::SIGINT, Signal::SIGSEGV] {
        process
            .set_action(sig, handler(SaFlags::NODEFER, SigSet::EMPTY), [])
            .unwrap();
    }
    send_to_process(
        &mut process,
        &mut [&mut thread],
        SigInfo::kill(Signal::SIGINT, 1, 0),
    )
    .unwrap();
    force_fault_signal(
        &mut process,
        &mut thread,
        SigInfo::fault(Signal::SIGSEGV, codes::SEGV_MAPERR, 0xdead),
    )
    .unwrap();
    let order: Vec<Signal> = deliver_all(&mut thread, &mut process)
        .iter()
        .map(|d| d.signal)
        .collect();
    assert_eq!(order, [Signal::SIGSEGV, Signal::SIGINT]);
}

#[test]
fn blocked_fault_signal_kills_despite_handler() {
    let (mut process, mut thread) = process_with_thread();
    process
        .set_action(
            Signal::SIGSEGV,
            handler(SaFlags::empty(), SigSet::EMPTY),
            [],
        )
        .unwrap();
    thread.set_blocked(SigSet::single(Signal::SIGSEGV));
    force_fault_signal(
        &mut process,
        &mut thread,
        SigInfo::fault(Signal::SIGSEGV, codes::SEGV_ACCERR, 0x1000),
    )
    .unwrap();
    let delivery = next_signal_to_deliver(&mut thread, &mut process).unwrap();
    assert_eq!(delivery.action, Action::Terminate { core_dump: true });
    assert_eq!(delivery.info.addr(), Some(0x1000));
}

#[test]
fn a_fatal_signal_kills_through_an_unblocked_handler() {
    let (mut process, mut thread) = process_with_thread();
    process
        .set_action(Signal::SIGSYS, handler(SaFlags::empty(), SigSet::EMPTY), [])
        .unwrap();
    force_fatal_signal(
        &mut process,
        &mut thread,
        SigInfo::seccomp(0x401000, 39, 0xc000_003e, 0),
    )
    .unwrap();
    let delivery = next_signal_to_deliver(&mut thread, &mut process).unwrap();
    assert_eq!(delivery.action, Action::Terminate { core_dump: true });
    assert_eq!(delivery.info.code, codes::SYS_SECCOMP);
}

#[test]
fn init_ignores_user_sigkill_but_not_its_own_faults() {
    let (mut process, mut thread) = process_with_thread();
    process.set_unkillable(true);
    let sent = send_to_process(
        &mut process,
        &mut [&mut thread],
        SigInfo::kill(Signal::SIGKILL, 5, 0),
    );
    assert_eq!(sent, Ok(PostOutcome::Ignored));
    assert_eq!(
        send_to_process(
            &mut process,
            &mut [&mut thread],
            SigInfo::kill(Signal::SIGTERM, 5, 0)
        ),
        Ok(PostOutcome::Ignored)
    );
    force_fault_signal(
        &mut process,
        &mut thread,
        SigInfo::fault(Signal::SIGFPE, codes::FPE_INTDIV, 0x40),
    )
    .unwrap();
    let delivery = next_signal_to_deliver(&mut thread, &mut process).unwrap();
    assert_eq!(delivery.action, Action::Terminate { core_dump: true });
}

#[test]
fn handler_mask_includes_signal_unless_nodefer() {
    let (mut process, mut thread) = process_with_thread();
    thread.set_blocked(SigSet::single(Signal::SIGHUP));
    let sa_mask = SigSet::single(Signal::SIGUSR2).with(Signal::SIGKILL);
    process
        .set_action(Signal::SIGUSR1, handler(SaFlags::empty(), sa_mask), [])
        .unwrap();
    process
        .set_action(Signal::SIGTERM, handler(SaFlags::NODEFER, sa_mask), [])
        .unwrap();

    let Some(Action::Handler(deferred)) = action_for_delivery(
        &mut process,
        Signal::SIGUSR1,
        thread.blocked(),
        thread.mask_to_save(),
    ) else {
        panic!("SIGUSR1 should run its handler");
    };
    let expected: SigSet = [Signal::SIGHUP, Signal::SIGUSR2, Signal::SIGUSR1]
        .into_iter()
        .collect();
    assert_eq!(deferred.new_mask, expected);
    assert_eq!(deferred.saved_mask, SigSet::single(Signal::SIGHUP));

    let Some(Action::Handler(nodefer)) = action_for_delivery(
        &mut process,
        Signal::SIGTERM,
        thread.blocked(),
        thread.mask_to_save(),
    ) else {
        panic!("SIGTERM should run its handler");
    };
    assert_eq!(
        nodefer.new_mask,
        SigSet::single(Signal::SIGHUP).with(Signal::SIGUSR2)
    );
}

#[test]
fn resethand_restores_default() {
    let (mut process, mut thread) = process_with_thread();
    let oneshot = handler(SaFlags::RESETHAND | SaFlags::SIGINFO, SigSet::EMPTY);
    process.set_action(Signal::SIGINT, oneshot, []).unwrap();
    send_to_process(
        &mut process,
        &mut [&mut thread],
        SigInfo::kill(Signal::SIGINT, 1, 0),
    )
    .unwrap();
    let first = next_signal_to_deliver(&mut thread, &mut process).unwrap();
    let Action::Handler(invocation) = first.action else {
        panic!("first SIGINT runs the handler");
    };
    assert_eq!(invocation.handler_address(), HANDLER);
    assert_eq!(process.action(Signal::SIGINT).handler, Disposition::Default);

    thread.handler_entered(invocation.new_mask, false);
    thread.set_blocked(SigSet::EMPTY);
    send_to_process(
        &mut process,
        &mut [&mut thread],
        SigInfo::kill(Signal::SIGINT, 1, 0),
    )
    .unwrap();
    let second = next_signal_to_deliver(&mut thread, &mut process).unwrap();
    assert_eq!(second.action, Action::Terminate { core_dump: false });
}

#[test]
fn sigsuspend_frame_records_the_mask_before_suspend() {
    let (mut process, mut thread) = process_with_thread();
    process
        .set_action(
            Signal::SIGUSR1,
            handler(SaFlags::empty(), SigSet::EMPTY),
            [],
        )
        .unwrap();
    thread.set_blocked(SigSet::single(Signal::SIGUSR1));
    send_to_process(
        &mut process,
        &mut [&mut thread],
        SigInfo::kill(Signal::SIGUSR1, 1, 0),
    )
    .unwrap();
    assert!(!thread.has_wakeup_signal(&process));

    thread.begin_sigsuspend(SigSet::EMPTY);
    assert!(thread.has_wakeup_signal(&process));
    let delivery = next_signal_to_deliver(&mut thread, &mut process).unwrap();
    let Action::Handler(invocation) = delivery.action else {
        panic!("handler expected");
    };
    assert_eq!(invocation.saved_mask, SigSet::single(Signal::SIGUSR1));
    assert_eq!(invocation.new_mask, SigSet::single(Signal::SIGUSR1));
    thread.handler_entered(invocation.new_mask, false);
    thread.restore_saved_mask(); // nothing saved any more: the frame has it
    assert_eq!(thread.blocked(), SigSet::single(Signal::SIGUSR1));
}

#[test]
fn sigtimedwait_takes_blocked_signals_without_running_handlers() {
    let (mut process, mut thread) = process_with_thread();
    process
        .set_action(
            Signal::SIGUSR2,
            handler(SaFlags::empty(), SigSet::EMPTY),
            [],
        )
        .unwrap();
    thread.set_blocked(SigSet::single(Signal::SIGUSR2));
    let wanted = SigSet::single(Signal::SIGUSR2);
    assert_eq!(thread.take_waited(&mut process, wanted), None);
    thread.begin_wait(wanted);
    assert!(!thread.has_wakeup_signal(&process));
    send_to_process(
        &mut process,
        &mut [&mut thread],
        SigInfo::queue(Signal::SIGUSR2, 3, 0, 77),
    )
    .unwrap();
    assert!(thread.has_wakeup_signal(&process));
    thread.end_wait();
    let info = thread.take_waited(&mut process, wanted).unwrap();
    assert_eq!((info.signal, info.value()), (Signal::SIGUSR2, Some(77)));
    assert_eq!(next_signal_to_deliver(&mut thread, &mut process), None);
}

#[test]
fn sigpending_reports_only_blocked_signals_of_thread_and_process() {
    let (mut process, mut thread) = process_with_thread();
    let mut other = ThreadSignalState::new();
    thread.set_blocked(SigSet::single(Signal::SIGUSR1).with(Signal::SIGUSR2));
    send_to_process(
        &mut process,
        &mut [&mut thread, &mut other],
        SigInfo::kill(Signal::SIGUSR1, 1, 0),
    )
    .unwrap();
    send_to_thread(
        &mut process,
        &mut thread,
        &mut [&mut other],
        SigInfo::tkill(Signal::SIGUSR2, 1, 0),
    )
    .unwrap();
    send_to_thread(
        &mut process,
        &mut other,
        &mut [&mut thread],
        SigInfo::tkill(Signal::SIGHUP, 1, 0),
    )
    .unwrap();
    assert_eq!(
        thread.sigpending(&process),
        SigSet::single(Signal::SIGUSR1).with(Signal::SIGUSR2)
    );
    assert!(other.sigpending(&process).is_empty());
}

#[test]
fn target_thread_skips_blocking_threads() {
    let usr1 = SigSet::single(Signal::SIGUSR1);
    let threads = [
        (10, usr1, false),
        (11, usr1, false),
        (12, SigSet::EMPTY, false),
    ];
    assert_eq!(choose_target_thread(Signal::SIGUSR1, 10, threads), Some(12));
    let exiting = [(10, usr1, false), (11, SigSet::EMPTY, true)];
    assert_eq!(choose_target_thread(Signal::SIGUSR1, 10, exiting), None);
}

#[test]
fn target_thread_prefers_main_thread() {
    let threads = [(11, SigSet::EMPTY, false), (10, SigSet::EMPTY, false)];
    assert_eq!(choose_target_thread(Signal::SIGTERM, 10, threads), Some(10));
}

#[test]
fn exec_keeps_mask_and_pending_but_resets_handlers() {
    let (mut process, mut thread) = process_with_thread();
    process
        .set_action(
            Signal::SIGUSR1,
            handler(SaFlags::empty(), SigSet::EMPTY),
            [],
        )
        .unwrap();
    thread.set_blocked(SigSet::single(Signal::SIGUSR1));
    send_to_process(
        &mut process,
        &mut [&mut thread],
        SigInfo::kill(Signal::SIGUSR1, 1, 0),
    )
    .unwrap();
    process.reset_for_exec();
    thread.reset_for_exec();
    assert_eq!(thread.sigpending(&process), SigSet::single(Signal::SIGUSR1));
    thread.set_blocked(SigSet::EMPTY);
    let delivery = next_signal_to_deliver(&mut thread, &mut process).unwrap();
    assert_eq!(delivery.action, Action::Terminate { core_dump: false });
}

#[test]
fn fork_child_has_no_pending_signals() {
    let (mut process, mut thread) = process_with_thread();
    thread.set_blocked(SigSet::single(Signal::SIGUSR1));
    send_to_process(
        &mut process,
        &mut [&mut thread],
        SigInfo::kill(Signal::SIGUSR1, 1, 0),
    )
    .unwrap();
    let child_process = process.for_fork();
    let child_thread = thread.for_fork();
    assert!(child_thread.sigpending(&child_process).is_empty());
    assert_eq!(child_thread.blocked(), SigSet::single(Signal::SIGUSR1));
}

#[test]
fn a_traced_process_keeps_ignored_signals_for_its_tracer() {
    let (mut process, mut thread) = process_with_thread();
    // Untraced: SIGCHLD (default ignore) and SIGCONT's default vanish.
    let sent = send_to_process(
        &mut process,
        &mut [&mut thread],
        SigInfo::kill(Signal::SIGCHLD, 9, 0),
    );
    assert_eq!(sent, Ok(PostOutcome::Ignored));
    // Traced: they are queued and taken, as "ignore" once the tracer saw them.
    process.set_traced(true);
    for signal in [Signal::SIGCHLD, Signal::SIGCONT] {
        let sent = send_to_process(
            &mut process,
            &mut [&mut thread],
            SigInfo::kill(signal, 9, 0),
        );
        assert_eq!(sent, Ok(PostOutcome::Queued), "{signal:?}");
    }
    let delivered: Vec<(Signal, Action)> = deliver_all(&mut thread, &mut process)
        .into_iter()
        .map(|d| (d.signal, d.action))
        .collect();
    assert_eq!(
        delivered,
        [
            (Signal::SIGCHLD, Action::Ignore),
            (Signal::SIGCONT, Action::Ignore)
        ]
    );
}
