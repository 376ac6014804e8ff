//! Sending signals: to a process, to one thread, with Linux's permission
//! rule, and the job-control side effects (continue, stop notices).
//!
//! The `signal` crate decides where a signal goes and what it does; this
//! module takes the locks in the documented order (every thread's signal
//! state, then the process's data), asks it, and wakes the thread that
//! should notice.

use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::KernelResult;
use process::{ChildNotice, Process, Termination, Thread, WaitInfo};
use signal::{PostOutcome, SigInfo, Signal};

use crate::kernel::{EventQueue, Kernel, UserThreadData};
use crate::process::child_events::{ChildNotifyGuard, lock_for_every_waiter};

/// Linux's permission rule for `sender` signalling `target`.
#[inline]
pub fn may_signal<K: Kernel>(
    sender: &Process<K::Env>,
    target: &Process<K::Env>,
    signal: Option<Signal>,
) -> bool {
    // A process may always signal itself: no credentials to read, and no
    // call (`raise`, `abort` and the like take this way).
    sender.pid() == target.pid() || may_signal_other::<K>(sender, target, signal)
}

/// [`may_signal`] of another process: both processes' credentials and
/// sessions, one process lock at a time.
#[inline(never)]
fn may_signal_other<K: Kernel>(
    sender: &Process<K::Env>,
    target: &Process<K::Env>,
    signal: Option<Signal>,
) -> bool {
    let ids = |p: &Process<K::Env>| {
        let data = p.data();
        let c = data.credentials();
        (
            signal::SignalCredentials {
                uid: c.uid(),
                euid: c.euid(),
                suid: c.suid(),
                kill_any: c.capable(abi::capability::CAP_KILL),
            },
            data.sid(),
        )
    };
    let (sender_ids, sender_sid) = ids(sender);
    let (target_ids, target_sid) = ids(target);
    let relation = signal::TargetRelation {
        same_process: false,
        same_session: sender_sid == target_sid,
    };
    signal::check_kill_permission(signal, true, sender_ids, target_ids, relation).is_ok()
}

/// Marks `process` dying with `termination` and interrupts its threads so
/// each leaves at its next return towards user mode.
pub fn kill_process<K: Kernel>(kernel: &K, process: &Process<K::Env>, termination: Termination) {
    let mut to_wake = Vec::new();
    process.die(termination, &mut to_wake);
    for thread in process.threads() {
        thread.set_should_die();
        kernel.interrupt(&thread);
    }
    // Stopped threads sleep on the stop events, uninterruptibly, and a
    // vfork parent on its child events: both wake to die.
    kernel.stop_events().wake_all();
    crate::process::child_events::wake(kernel, process.pid());
}

/// Tells the parent a child stopped or continued (`SIGCHLD`, unless it
/// asked for `SA_NOCLDSTOP`) and wakes waiters.
/// `notify` is the guard ([`lock_for_every_waiter`]) taken before the
/// change of state; it is released once the signal is queued.
pub fn report_job_event<K: Kernel>(
    kernel: &K,
    notice: Option<ChildNotice>,
    notify: ChildNotifyGuard,
) {
    if let Some(notice) = notice {
        if let Some(parent) = notice
            .parent
            .and_then(|pid| kernel.processes().from_pid(pid))
            && parent.data().signals().child_policy().notify_stop
        {
            let _ = send(kernel, &parent, sigchld(&notice.info));
        }
        drop(notify);
        // The parent and a tracer may both wait for a stop (rare: wake
        // every waiter rather than work out which).
        crate::process::child_events::wake_every(kernel);
    }
}

/// The `SIGCHLD` a parent gets for a child's change of state.
pub fn sigchld(info: &WaitInfo) -> SigInfo {
    SigInfo::child(info.code as i32, info.pid, info.uid, info.status, 0, 0)
}

fn continue_process<K: Kernel>(kernel: &K, process: &Process<K::Env>) {
    let notify = lock_for_every_waiter();
    let notice = kernel.processes().continue_process(process);
    if notice.is_some() {
        kernel.stop_events().wake_all();
    }
    report_job_event(kernel, notice, notify);
}

/// Sends a process-directed signal: SIGKILL kills at once, SIGCONT
/// continues a stopped process, anything else is queued for a thread
/// that does not block it, which is woken. A dying process ignores it.
pub fn send<K: Kernel>(
    kernel: &K,
    process: &Arc<Process<K::Env>>,
    info: SigInfo,
) -> KernelResult<()> {
    send_to_process(kernel, process, info, None)
}

/// [`send`] from `sender`, the calling thread of `sender_process`. A
/// process signalling itself while it has one thread (`kill(getpid(),
/// ...)`, `raise` in a single-threaded program) takes no snapshot of its
/// thread list: its only thread is the sender, since only a thread of the
/// process could add another.
pub fn send_from<K: Kernel>(
    kernel: &K,
    process: &Arc<Process<K::Env>>,
    info: SigInfo,
    sender_process: &Arc<Process<K::Env>>,
    sender: &Arc<Thread<K::Env>>,
) -> KernelResult<()> {
    let only_thread = Arc::ptr_eq(process, sender_process) && process.thread_count() == 1;
    send_to_process(kernel, process, info, only_thread.then_some(sender))
}

/// [`send`], given the process's only thread when the caller knows it.
fn send_to_process<K: Kernel>(
    kernel: &K,
    process: &Arc<Process<K::Env>>,
    info: SigInfo,
    only_thread: Option<&Arc<Thread<K::Env>>>,
) -> KernelResult<()> {
    let signal = info.signal;
    // A dying process takes no more signals (checked below, under the
    // lock the posting takes anyway, for the others).
    if (signal == Signal::SIGKILL || signal == Signal::SIGCONT)
        && process.data().termination().is_some()
    {
        return Ok(());
    }
    if signal == Signal::SIGKILL {
        kill_process(
            kernel,
            process,
            Termination::Killed {
                signal: 9,
                core_dumped: false,
            },
        );
        continue_process(kernel, process);
        return Ok(());
    }
    if signal == Signal::SIGCONT {
        continue_process(kernel, process);
        crate::process::ptrace::notify_continue(kernel, process);
    }
    let snapshot;
    let threads: &[Arc<Thread<K::Env>>] = match only_thread {
        Some(thread) => core::slice::from_ref(thread),
        None => {
            snapshot = process.threads();
            &snapshot
        }
    };
    let (outcome, target) = {
        // Every thread's signal state, locked in list order; most
        // processes have one thread, whose guard needs no collection.
        let mut only;
        let mut many: smallvec::SmallVec<[_; 4]>;
        let guards: &mut [_] = match threads {
            [thread] => {
                only = [thread.data().signals().lock()];
                &mut only
            }
            _ => {
                many = threads.iter().map(|t| t.data().signals().lock()).collect();
                &mut many
            }
        };
        let mut data = process.data();
        if data.termination().is_some() {
            return Ok(());
        }
        data.signals_mut().set_traced(process.is_traced());
        let outcome = signal::send_to_process(data.signals_mut(), guards, info)?;
        // The thread to wake, chosen from the masks the signal was posted
        // against, while their locks are still held.
        let candidates = threads
            .iter()
            .zip(guards.iter())
            .map(|(t, g)| (t.tid(), g.blocked_for_wakeup(), t.should_die()));
        let target = match outcome {
            PostOutcome::Ignored => None,
            _ => signal::choose_target_thread(signal, process.pid(), candidates),
        };
        (outcome, target)
    };
    // An ignored signal is discarded and wakes no one.
    if outcome != PostOutcome::Ignored {
        // Any thread that does not block it may take it on its way out;
        // the target, asked to look first, is woken for it. One pass.
        for thread in threads {
            thread.request_signal_check();
            if target == Some(thread.tid()) {
                kernel.interrupt(thread);
            }
        }
        kernel.wake_signal_waiters();
    }
    Ok(())
}

/// Sends a process-directed signal to every live member of process group
/// `pgid` (a terminal's `^C`, a hangup); how many it reached.
pub fn send_to_group<K: Kernel>(kernel: &K, pgid: i32, info: SigInfo) -> usize {
    // A fork in the group meanwhile starts again (see `kill`).
    let _many = kernel.processes().signalling_many(Some(pgid));
    let members = kernel.processes().processes_in_group(pgid);
    let mut reached = 0;
    for member in members {
        if matches!(member.data().state(), process::ProcessState::Zombie(_)) {
            continue;
        }
        if send(kernel, &member, info).is_ok() {
            reached += 1;
        }
    }
    reached
}

/// Sends a signal to one thread (`tkill`, `tgkill`, `SIGPIPE`).
pub fn send_to_thread<K: Kernel>(
    kernel: &K,
    process: &Arc<Process<K::Env>>,
    thread: &Thread<K::Env>,
    info: SigInfo,
) -> KernelResult<()> {
    let signal = info.signal;
    if signal == Signal::SIGKILL || signal == Signal::SIGCONT {
        return send(kernel, process, info);
    }
    let threads = process.threads();
    {
        let mut target = thread.data().signals().lock();
        let mut others: smallvec::SmallVec<[_; 4]> = threads
            .iter()
            .filter(|t| t.tid() != thread.tid())
            .map(|t| t.data().signals().lock())
            .collect();
        let mut data = process.data();
        data.signals_mut().set_traced(process.is_traced());
        signal::send_to_thread(data.signals_mut(), &mut target, &mut others, info)?;
    }
    thread.request_signal_check();
    kernel.interrupt(thread);
    kernel.wake_signal_waiters();
    Ok(())
}
