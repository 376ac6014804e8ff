//! Posting a signal: the sender's side of the delivery decision.
//!
//! Mirrors Linux's `prepare_signal` + `__send_signal`: SIGCONT discards
//! pending stop signals and a stop signal discards a pending SIGCONT (in
//! the whole process, whatever the disposition), then a signal the
//! receiver ignores and does not block is dropped, then the rest is queued
//! on the process's shared queue or the target thread's own one.

use crate::action::Disposition;
use crate::pending::PostOutcome;
use crate::process::ProcessSignalState;
use crate::siginfo::SigInfo;
use crate::signal::Signal;
use crate::sigset::SigSet;
use crate::thread::ThreadSignalState;
use abi::KernelResult;
use core::ops::DerefMut;

/// Sends a process-directed signal (`kill`, `sigqueue`, SIGCHLD, SIGALRM):
/// it goes to the shared queue; wake a thread picked by
/// [`crate::choose_target_thread`]. `threads` must hold every thread of
/// the process (the kernel's lock guards, or plain references). A signal
/// blocked by any thread is kept even if ignored (a thread may be about
/// to `sigwait` for it). If the signal is SIGCONT the caller also resumes
/// the process if it was stopped, whatever the outcome.
pub fn send_to_process<T: DerefMut<Target = ThreadSignalState>>(
    process: &mut ProcessSignalState,
    threads: &mut [T],
    info: SigInfo,
) -> KernelResult<PostOutcome> {
    let blocked = threads.iter().any(|t| t.blocked().contains(info.signal));
    discard_conflicting(process, threads.iter_mut().map(|t| &mut **t), info.signal);
    if !should_queue(process, &info, blocked) {
        return Ok(PostOutcome::Ignored);
    }
    let limit = process.queue_limit();
    process.shared_pending_mut().post(info, limit)
}

/// Sends a thread-directed signal (`tkill`, `tgkill`) to `target`;
/// `others` holds the process's other threads (for the SIGCONT/stop
/// discarding, which is process-wide).
pub fn send_to_thread<T: DerefMut<Target = ThreadSignalState>>(
    process: &mut ProcessSignalState,
    target: &mut ThreadSignalState,
    others: &mut [T],
    info: SigInfo,
) -> KernelResult<PostOutcome> {
    let blocked = target.blocked().contains(info.signal);
    let everyone = others
        .iter_mut()
        .map(|t| &mut **t)
        .chain(core::iter::once(&mut *target));
    discard_conflicting(process, everyone, info.signal);
    if !should_queue(process, &info, blocked) {
        return Ok(PostOutcome::Ignored);
    }
    let limit = process.queue_limit();
    target.pending_mut().post(info, limit)
}

/// Sends a synchronous fault signal (SIGSEGV, SIGILL, ...) to the thread
/// that faulted. A blocked or ignored fault signal cannot be survived: the
/// disposition is reset to `SIG_DFL` and the signal unblocked, as Linux's
/// `force_sig_info` does, so the fault kills the process instead of
/// looping forever. Even init dies of its own faults.
pub fn force_fault_signal(
    process: &mut ProcessSignalState,
    thread: &mut ThreadSignalState,
    info: SigInfo,
) -> KernelResult<PostOutcome> {
    let signal = info.signal;
    let blocked = thread.blocked().contains(signal);
    let action = process.action_mut(signal);
    if blocked || action.handler == Disposition::Ignore {
        action.handler = Disposition::Default;
        thread.set_blocked(thread.blocked().without(signal));
    }
    if action.handler == Disposition::Default {
        process.set_unkillable(false);
    }
    let limit = process.queue_limit();
    thread.pending_mut().post(info, limit)
}

/// Sends a signal that must kill (seccomp's `SECCOMP_RET_KILL_*`, Linux's
/// `force_sig_info_to_task` with `HANDLER_EXIT`): the disposition becomes
/// `SIG_DFL` whatever it was, and the signal is unblocked, so even a
/// handler cannot keep the process alive.
pub fn force_fatal_signal(
    process: &mut ProcessSignalState,
    thread: &mut ThreadSignalState,
    info: SigInfo,
) -> KernelResult<PostOutcome> {
    let signal = info.signal;
    process.action_mut(signal).handler = Disposition::Default;
    thread.set_blocked(thread.blocked().without(signal));
    process.set_unkillable(false);
    let limit = process.queue_limit();
    thread.pending_mut().post(info, limit)
}

/// The process-wide side effect of sending `signal`: SIGCONT discards
/// pending stop signals and a stop signal a pending SIGCONT, from the
/// shared queue and every thread's (`threads`: all of them).
fn discard_conflicting<'a>(
    process: &mut ProcessSignalState,
    threads: impl Iterator<Item = &'a mut ThreadSignalState>,
    signal: Signal,
) {
    let discard = if signal == Signal::SIGCONT {
        SigSet::STOP_SIGNALS
    } else if signal.is_stop() {
        SigSet::single(Signal::SIGCONT)
    } else {
        return;
    };
    process.shared_pending_mut().discard(discard);
    for thread in threads {
        thread.pending_mut().discard(discard);
    }
}

/// Whether `info` is queued at all (`blocked`: some thread, or the
/// target thread, blocks it).
fn should_queue(process: &ProcessSignalState, info: &SigInfo, blocked: bool) -> bool {
    let signal = info.signal;
    // Blocked signals are never dropped: the handler may change before
    // they are unblocked.
    if blocked {
        return true;
    }
    let force = !info.is_from_user();
    let default = process.action(signal).handler == Disposition::Default;
    if process.is_unkillable() && default && !(force && signal.is_unblockable()) {
        return false;
    }
    // A tracer sees even ignored signals (Linux's `sig_ignored`).
    process.is_traced() || !process.ignores(signal)
}
