//! `ThreadSignalState`: what each thread owns: its mask, its own pending
//! queue, its alternate stack, and the mask saved by `rt_sigsuspend`.

use crate::altstack::AltStack;
use crate::pending::PendingSignals;
use crate::process::ProcessSignalState;
use crate::restart::RestartBlock;
use crate::siginfo::SigInfo;
use crate::sigreturn::RestoredContext;
use crate::sigset::{SIGSET_SIZE, SigSet};
use abi::{Errno, KernelResult};

/// `rt_sigprocmask`'s `how`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum MaskHow {
    /// `SIG_BLOCK` (0): add to the mask.
    Block,
    /// `SIG_UNBLOCK` (1): remove from the mask.
    Unblock,
    /// `SIG_SETMASK` (2): replace the mask.
    SetMask,
}

impl MaskHow {
    /// The operation for a raw `how`; `EINVAL` otherwise.
    pub const fn from_raw(how: i32) -> KernelResult<MaskHow> {
        match how {
            0 => Ok(MaskHow::Block),
            1 => Ok(MaskHow::Unblock),
            2 => Ok(MaskHow::SetMask),
            _ => Err(Errno::EINVAL),
        }
    }
}

/// A thread's signal state.
///
/// Invariant: `blocked` never contains SIGKILL or SIGSTOP.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ThreadSignalState {
    blocked: SigSet,
    pending: PendingSignals,
    altstack: AltStack,
    /// The mask to restore after `rt_sigsuspend` (and `ppoll`/`pselect`):
    /// saved in the frame if a handler runs, else restored on return.
    saved_mask: Option<SigSet>,
    /// Signals an `rt_sigtimedwait` in progress is waiting for: they wake
    /// the thread even though they are blocked.
    waiting_for: SigSet,
    /// What `restart_syscall` resumes, left by the last call interrupted
    /// with `ERESTART_RESTARTBLOCK`.
    restart: Option<RestartBlock>,
}

impl ThreadSignalState {
    /// Nothing blocked, nothing pending, no alternate stack.
    pub const fn new() -> ThreadSignalState {
        ThreadSignalState {
            blocked: SigSet::EMPTY,
            pending: PendingSignals::new(),
            altstack: AltStack::DISABLED,
            saved_mask: None,
            waiting_for: SigSet::EMPTY,
            restart: None,
        }
    }

    /// The state of the child of `fork`: same mask and alternate stack,
    /// nothing pending.
    pub fn for_fork(&self) -> ThreadSignalState {
        ThreadSignalState {
            blocked: self.blocked,
            altstack: self.altstack,
            ..ThreadSignalState::new()
        }
    }

    /// The state of a new thread (`clone` with `CLONE_VM` and without
    /// `CLONE_VFORK`): same mask, nothing pending, no alternate stack,
    /// since the creator's would be shared by two running threads.
    pub fn for_new_thread(&self) -> ThreadSignalState {
        ThreadSignalState {
            blocked: self.blocked,
            ..ThreadSignalState::new()
        }
    }

    /// What `execve` keeps: the mask and pending signals. The alternate
    /// stack is gone with the old address space.
    pub fn reset_for_exec(&mut self) {
        self.altstack = AltStack::DISABLED;
        self.saved_mask = None;
        self.waiting_for = SigSet::EMPTY;
        self.restart = None;
    }

    /// Leaves `block` for `restart_syscall`, replacing any earlier one: the
    /// call about to fail with `EINTR` asks to be resumed through it when
    /// no handler runs (Linux's `ERESTART_RESTARTBLOCK`).
    pub fn set_restart(&mut self, block: RestartBlock) {
        self.restart = Some(block);
    }

    /// Whether a call left something for `restart_syscall`.
    pub fn has_restart(&self) -> bool {
        self.restart.is_some()
    }

    /// Takes what `restart_syscall` resumes; `None` if nothing was left
    /// (the call then fails with `EINTR`, as Linux's does).
    pub fn take_restart(&mut self) -> Option<RestartBlock> {
        self.restart.take()
    }

    /// The blocked mask.
    pub fn blocked(&self) -> SigSet {
        self.blocked
    }

    /// Replaces the mask (SIGKILL and SIGSTOP are silently kept unblocked).
    pub fn set_blocked(&mut self, mask: SigSet) {
        self.blocked = mask.without_unblockable();
    }

    /// `rt_sigprocmask(how, set, oldset, sigsetsize)`: returns the old mask.
    /// With `set` absent only the old mask is read (and `how` is not checked,
    /// as on Linux).
    pub fn sigprocmask(
        &mut self,
        how: i32,
        set: Option<SigSet>,
        sigsetsize: usize,
    ) -> KernelResult<SigSet> {
        if sigsetsize != SIGSET_SIZE {
            return Err(Errno::EINVAL);
        }
        let old = self.blocked;
        if let Some(set) = set {
            let new = match MaskHow::from_raw(how)? {
                MaskHow::Block => old | set,
                MaskHow::Unblock => old - set,
                MaskHow::SetMask => set,
            };
            self.set_blocked(new);
        }
        Ok(old)
    }

    /// The thread's own pending queue.
    pub fn pending(&self) -> &PendingSignals {
        &self.pending
    }

    /// The thread's own pending queue, for posting thread-directed signals.
    pub fn pending_mut(&mut self) -> &mut PendingSignals {
        &mut self.pending
    }

    /// `rt_sigpending`: signals pending for this thread or its process that
    /// the thread blocks.
    pub fn sigpending(&self, process: &ProcessSignalState) -> SigSet {
        (self.pending.set() | process.shared_pending().set()) & self.blocked
    }

    /// True if a pending signal is not blocked: one that delivery will act
    /// on when the thread returns to user mode.
    pub fn has_deliverable(&self, process: &ProcessSignalState) -> bool {
        !((self.pending.set() | process.shared_pending().set()) & !self.blocked).is_empty()
    }

    /// The signals that do not wake this thread: its mask less what its
    /// `rt_sigtimedwait` waits for (Linux unblocks those for the wait), for
    /// choosing the thread a process-directed signal wakes.
    pub fn blocked_for_wakeup(&self) -> SigSet {
        self.blocked - self.waiting_for
    }

    /// True if a pending signal should interrupt this thread: one it does
    /// not block, or one its `rt_sigtimedwait` waits for. The scheduler
    /// checks this to wake an interruptible sleep.
    pub fn has_wakeup_signal(&self, process: &ProcessSignalState) -> bool {
        let interesting = !self.blocked | self.waiting_for;
        !((self.pending.set() | process.shared_pending().set()) & interesting).is_empty()
    }

    /// The alternate stack.
    pub fn altstack(&self) -> &AltStack {
        &self.altstack
    }

    /// The alternate stack, for `sigaltstack` and `SS_AUTODISARM`.
    pub fn altstack_mut(&mut self) -> &mut AltStack {
        &mut self.altstack
    }

    /// `rt_sigsuspend(mask)` begins: the current mask is saved and `mask`
    /// installed until a signal arrives. The syscall then sleeps until
    /// [`Self::has_wakeup_signal`] and returns `ERESTARTNOHAND`.
    pub fn begin_sigsuspend(&mut self, mask: SigSet) {
        self.saved_mask = Some(self.blocked);
        self.set_blocked(mask);
    }

    /// The mask a signal frame must record for restoring at `rt_sigreturn`:
    /// the one saved by `rt_sigsuspend` if any, else the current one.
    pub fn mask_to_save(&self) -> SigSet {
        self.saved_mask.unwrap_or(self.blocked)
    }

    /// Called on the way back to user space when no handler ran: puts back
    /// the mask `rt_sigsuspend` saved, if any.
    pub fn restore_saved_mask(&mut self) {
        if let Some(mask) = self.saved_mask.take() {
            self.blocked = mask;
        }
    }

    /// A handler's frame was written: install the handler's mask (see
    /// [`crate::HandlerInvocation::new_mask`]) and forget the saved mask,
    /// which now lives in the frame. Disarms an `SS_AUTODISARM` stack the
    /// frame was placed on.
    pub fn handler_entered(&mut self, new_mask: SigSet, disarm_altstack: bool) {
        self.saved_mask = None;
        self.set_blocked(new_mask);
        if disarm_altstack {
            self.altstack = AltStack::DISABLED;
        }
    }

    /// `rt_sigreturn` read a valid frame: reinstall its mask and alternate
    /// stack (errors from the latter are ignored, as on Linux).
    #[inline]
    pub fn finish_sigreturn(&mut self, restored: &RestoredContext) {
        // Whatever the handler interrupted returned EINTR: nothing is
        // left to restart (Linux's `do_no_restart_syscall`).
        self.restart = None;
        self.set_blocked(restored.mask);
        let _ = self
            .altstack
            .sigaltstack(Some(&restored.altstack), restored.registers.rsp);
    }

    /// `rt_sigtimedwait`: takes the next pending signal in `set` (from the
    /// thread's queue, then the process's), ignoring the mask.
    pub fn take_waited(
        &mut self,
        process: &mut ProcessSignalState,
        set: SigSet,
    ) -> Option<SigInfo> {
        let set = set.without_unblockable();
        let info = self
            .pending
            .take_next(set)
            .or_else(|| process.shared_pending_mut().take_next(set))?;
        process.note_taken(&info);
        Some(info)
    }

    /// `rt_sigtimedwait` is about to sleep waiting for `set`: signals in it
    /// now wake the thread. Undo with [`Self::end_wait`].
    pub fn begin_wait(&mut self, set: SigSet) {
        self.waiting_for = set.without_unblockable();
    }

    /// `rt_sigtimedwait` woke up (signal, timeout or interruption).
    pub fn end_wait(&mut self) {
        self.waiting_for = SigSet::EMPTY;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::Signal;

    #[test]
    fn sigprocmask_block_unblock_setmask() {
        let mut thread = ThreadSignalState::new();
        let usr1 = SigSet::single(Signal::SIGUSR1);
        let usr2 = SigSet::single(Signal::SIGUSR2);
        assert_eq!(
            thread.sigprocmask(0, Some(usr1 | usr2), 8),
            Ok(SigSet::EMPTY)
        );
        assert_eq!(thread.sigprocmask(1, Some(usr1), 8), Ok(usr1 | usr2));
        assert_eq!(thread.sigprocmask(2, Some(usr1), 8), Ok(usr2));
        assert_eq!(thread.blocked(), usr1);
    }

    #[test]
    fn sigprocmask_rejects_bad_how_and_size() {
        let mut thread = ThreadSignalState::new();
        assert_eq!(
            thread.sigprocmask(3, Some(SigSet::EMPTY), 8),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            thread.sigprocmask(0, Some(SigSet::EMPTY), 16),
            Err(Errno::EINVAL)
        );
        assert_eq!(thread.sigprocmask(99, None, 8), Ok(SigSet::EMPTY));
    }

    #[test]
    fn sigsuspend_mask_is_saved_and_restored() {
        let mut thread = ThreadSignalState::new();
        thread.set_blocked(SigSet::single(Signal::SIGINT));
        thread.begin_sigsuspend(SigSet::single(Signal::SIGTERM));
        assert_eq!(thread.blocked(), SigSet::single(Signal::SIGTERM));
        assert_eq!(thread.mask_to_save(), SigSet::single(Signal::SIGINT));
        thread.restore_saved_mask();
        assert_eq!(thread.blocked(), SigSet::single(Signal::SIGINT));
    }

    #[test]
    fn new_thread_inherits_mask_but_not_altstack_or_pending() {
        let mut thread = ThreadSignalState::new();
        thread.set_blocked(SigSet::single(Signal::SIGHUP));
        thread.altstack_mut().size = 8192;
        thread
            .pending_mut()
            .post(SigInfo::kernel(Signal::SIGHUP), 8)
            .unwrap();
        let child = thread.for_new_thread();
        assert_eq!(child.blocked(), SigSet::single(Signal::SIGHUP));
        assert_eq!(child.altstack().size, 0);
        assert!(child.pending().set().is_empty());
        assert_eq!(thread.for_fork().altstack().size, 8192);
    }
}
