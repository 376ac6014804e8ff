//! The receiver's side: which pending signal a thread acts on next when it
//! returns to user space, and what it does with it.

use crate::action::{Disposition, SaFlags, SigAction};
use crate::process::ProcessSignalState;
use crate::siginfo::SigInfo;
use crate::signal::{DefaultAction, Signal};
use crate::sigset::SigSet;
use crate::thread::ThreadSignalState;

/// A handler about to run.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct HandlerInvocation {
    /// The action as it was when the signal was taken (before
    /// `SA_RESETHAND` reset the stored one).
    pub action: SigAction,
    /// The mask while the handler runs: the thread's mask, plus `sa_mask`,
    /// plus the signal itself unless `SA_NODEFER`.
    pub new_mask: SigSet,
    /// The mask `rt_sigreturn` restores, recorded in the frame.
    pub saved_mask: SigSet,
}

impl HandlerInvocation {
    /// The handler's entry point.
    pub fn handler_address(&self) -> u64 {
        self.action.handler.to_raw()
    }

    /// Where the handler returns: the restorer or the kernel trampoline.
    pub fn return_address(&self, trampoline: u64) -> u64 {
        self.action.return_address(trampoline)
    }
}

/// What the thread must do with a signal it took.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Action {
    /// Kill the whole process with this signal (`core_dump`: dump core too).
    Terminate {
        /// The default action is "terminate and dump core".
        core_dump: bool,
    },
    /// Stop the whole process. For SIGTSTP, SIGTTIN and SIGTTOU the caller
    /// discards the signal instead if the process group is orphaned.
    Stop,
    /// Run a user handler: build a frame with [`crate::plan_signal_frame`].
    Handler(HandlerInvocation),
    /// Nothing: an ignored signal a traced process takes only so that its
    /// tracer sees it (then it is dropped).
    Ignore,
}

/// A signal taken off a queue, and what to do with it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Delivery {
    /// The signal.
    pub signal: Signal,
    /// Its info.
    pub info: SigInfo,
    /// What to do.
    pub action: Action,
}

/// What taking `signal` does under the process's current action, given the
/// thread's `blocked` mask and the `saved_mask` its frame would record.
/// `None` if it is discarded (ignored, default-ignore, SIGCONT's default,
/// or init's immunity). Applies `SA_RESETHAND`: the stored action goes back
/// to `SIG_DFL`.
pub fn action_for_delivery(
    process: &mut ProcessSignalState,
    signal: Signal,
    blocked: SigSet,
    saved_mask: SigSet,
) -> Option<Action> {
    let action = process.action(signal);
    match action.handler {
        Disposition::Ignore => None,
        Disposition::Handler(_) => {
            if action.flags.contains(SaFlags::RESETHAND) {
                // Linux resets only the handler; the flags stay.
                process.action_mut(signal).handler = Disposition::Default;
            }
            let mut new_mask = blocked | action.mask;
            if !action.flags.contains(SaFlags::NODEFER) {
                new_mask.add(signal);
            }
            Some(Action::Handler(HandlerInvocation {
                action,
                new_mask: new_mask.without_unblockable(),
                saved_mask,
            }))
        }
        Disposition::Default => {
            if process.is_unkillable() && !signal.is_unblockable() {
                return None;
            }
            match signal.default_action() {
                DefaultAction::Ignore | DefaultAction::Continue => None,
                DefaultAction::Stop => Some(Action::Stop),
                DefaultAction::Terminate => Some(Action::Terminate { core_dump: false }),
                DefaultAction::CoreDump => Some(Action::Terminate { core_dump: true }),
            }
        }
    }
}

/// Takes the next signal the thread must act on: from its own queue first,
/// then the process's, never a blocked one; faults before other signals,
/// lower numbers first, real-time instances in arrival order. Discarded
/// signals are consumed on the way. `None` when nothing deliverable is
/// pending: the caller then restores a `rt_sigsuspend` mask with
/// [`ThreadSignalState::restore_saved_mask`].
#[inline]
pub fn next_signal_to_deliver(
    thread: &mut ThreadSignalState,
    process: &mut ProcessSignalState,
) -> Option<Delivery> {
    // The common case, on every return to user mode: nothing to take.
    let pending = thread.pending().set() | process.shared_pending().set();
    if (pending & !thread.blocked()).bits() == 0 {
        return None;
    }
    loop {
        let allowed = !thread.blocked();
        // The thread's own queue first, then the process's: chosen before
        // anything is taken, so the info moves once, straight out.
        let queue = if (thread.pending().set() & allowed).is_empty() {
            process.shared_pending_mut()
        } else {
            thread.pending_mut()
        };
        let info = queue.take_next(allowed)?;
        process.note_taken(&info);
        let signal = info.signal;
        let action = action_for_delivery(process, signal, thread.blocked(), thread.mask_to_save())
            .or(process.is_traced().then_some(Action::Ignore));
        if let Some(action) = action {
            return Some(Delivery {
                signal,
                info,
                action,
            });
        }
    }
}
