//! The lifecycle of a thread as the scheduler sees it.
//!
//! ```text
//! spawn -> Runnable --run----> Running --preempt--> Runnable
//!                              Running --block----> Blocked(reason) --wake---> Runnable
//!                              Running --stop-----> Stopped         --resume-> Runnable
//!                              Running --exit-----> Dying           --finalize-> Dead
//! ```
//!
//! Only a running thread blocks, stops or exits, because each of those
//! happens in the thread's own context (a syscall that waits, the signal
//! code stopping on the way back to user mode, `exit`). Others act on a
//! thread only by waking, interrupting or resuming it; a kill interrupts the
//! victim, which then exits itself, as in SerenityOS. `Dead` is final.

use crate::thread_id::ThreadId;
use crate::wait_queue::WaitQueueId;
use abi::{Errno, KernelResult};
use core::sync::atomic::{AtomicU8, Ordering};

/// What a blocked thread waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockReason {
    /// A plain sleep (`nanosleep`): ends at its deadline or on interruption.
    Sleep,
    /// A wait queue, interruptibly: a signal ends the wait with `EINTR`.
    Queue(WaitQueueId),
    /// A wait queue that signals must not cut short (a sleeping mutex, I/O
    /// that has to finish): only a wake or the deadline ends it.
    QueueUninterruptible(WaitQueueId),
    /// Another thread's exit (`join`), through that thread's exit queue.
    Join(ThreadId, WaitQueueId),
}

impl BlockReason {
    /// Whether an interruption (a signal) may end the wait early.
    pub fn is_interruptible(self) -> bool {
        !matches!(self, BlockReason::QueueUninterruptible(_))
    }

    /// The wait queue the thread sits in, if any.
    pub fn queue(self) -> Option<WaitQueueId> {
        match self {
            BlockReason::Sleep => None,
            BlockReason::Queue(q) | BlockReason::QueueUninterruptible(q) => Some(q),
            BlockReason::Join(_, q) => Some(q),
        }
    }
}

/// Why a blocked thread became runnable again; the kernel turns it into the
/// syscall's result (`Ok`, `ETIMEDOUT`, `EINTR`) once the thread runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WakeReason {
    /// The awaited event happened (the queue was woken).
    Woken,
    /// The deadline passed first. For a plain sleep this is success.
    TimedOut,
    /// An interruption (a signal) ended the wait early.
    Interrupted,
}

impl WakeReason {
    /// The errno a wait reports for this outcome: `Ok` when woken,
    /// `ETIMEDOUT` when the deadline passed, `EINTR` when interrupted.
    pub fn as_result(self) -> KernelResult<()> {
        match self {
            WakeReason::Woken => Ok(()),
            WakeReason::TimedOut => Err(Errno::ETIMEDOUT),
            WakeReason::Interrupted => Err(Errno::EINTR),
        }
    }
}

/// A thread's last [`WakeReason`], kept with the thread itself: the CPU
/// that resumes it puts the reason here (taken from the scheduler with
/// [`crate::Scheduler::take_resumed_wake_reason`] in the same hold of the
/// scheduler's lock as the decision), and the thread takes it once it
/// runs, without going back into the scheduler.
#[derive(Debug, Default)]
pub struct WakeReasonSlot(AtomicU8);

impl WakeReasonSlot {
    const EMPTY: u8 = 0;

    /// An empty slot.
    pub const fn new() -> Self {
        WakeReasonSlot(AtomicU8::new(Self::EMPTY))
    }

    /// Puts `reason` (or nothing) in the slot, replacing what was there.
    pub fn put(&self, reason: Option<WakeReason>) {
        let code = match reason {
            None => Self::EMPTY,
            Some(WakeReason::Woken) => 1,
            Some(WakeReason::TimedOut) => 2,
            Some(WakeReason::Interrupted) => 3,
        };
        self.0.store(code, Ordering::Release);
    }

    /// Takes the reason out, leaving the slot empty.
    pub fn take(&self) -> Option<WakeReason> {
        match self.0.swap(Self::EMPTY, Ordering::Acquire) {
            1 => Some(WakeReason::Woken),
            2 => Some(WakeReason::TimedOut),
            3 => Some(WakeReason::Interrupted),
            _ => None,
        }
    }
}

/// A thread's pending interruption as the kernel keeps it beside the
/// scheduler's flag ([`crate::Scheduler::interrupt`]), so that the common
/// case, a thread interrupting itself (a signal to itself: `raise`,
/// `kill(getpid())`, its own `exit_group`), takes no scheduler lock.
///
/// The protocol: a thread interrupting itself is running, not waiting,
/// so nothing needs waking; it [`InterruptRequest::defer`]s the request.
/// Right before it blocks interruptibly, under the scheduler's lock, the
/// kernel asks [`InterruptRequest::take_deferred`] and, if so, calls
/// `Scheduler::interrupt` for it first, so the block returns at once as
/// it would have. Another thread interrupting it calls
/// `Scheduler::interrupt` (to wake it) and then, under the same hold of
/// the lock, [`InterruptRequest::note_in_scheduler`]. When the thread's
/// signals are handled, [`InterruptRequest::clear`] forgets a deferred
/// request and says whether the scheduler's flag must be cleared too
/// (under the lock); a noted flag is seen by a clear that comes after the
/// note, and one that comes before leaves the new flag set and noted.
#[derive(Debug, Default)]
pub struct InterruptRequest(AtomicU8);

impl InterruptRequest {
    const DEFERRED: u8 = 1;
    const IN_SCHEDULER: u8 = 2;

    /// Nothing pending.
    pub const fn new() -> Self {
        InterruptRequest(AtomicU8::new(0))
    }

    /// The thread interrupts itself: the request waits for its next
    /// interruptible block.
    pub fn defer(&self) {
        self.0.fetch_or(Self::DEFERRED, Ordering::SeqCst);
    }

    /// Before an interruptible block, under the scheduler's lock: whether
    /// a deferred request must go to the scheduler first (it is then
    /// noted as being there).
    pub fn take_deferred(&self) -> bool {
        if self.0.load(Ordering::SeqCst) & Self::DEFERRED == 0 {
            return false;
        }
        self.0.fetch_and(!Self::DEFERRED, Ordering::SeqCst);
        self.0.fetch_or(Self::IN_SCHEDULER, Ordering::SeqCst);
        true
    }

    /// Another thread has set the scheduler's flag (call it under the
    /// same hold of the lock, after `Scheduler::interrupt`).
    pub fn note_in_scheduler(&self) {
        self.0.fetch_or(Self::IN_SCHEDULER, Ordering::SeqCst);
    }

    /// The thread's signals are handled: forgets a deferred request;
    /// returns whether the scheduler's flag must be cleared as well.
    pub fn clear(&self) -> bool {
        self.0.swap(0, Ordering::SeqCst) & Self::IN_SCHEDULER != 0
    }
}

/// Where a thread is in its life. Change it only through the transition
/// methods: each returns `EINVAL` and leaves the state as it was when the
/// transition is not in the diagram above.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreadState {
    /// Ready to run, waiting in a run queue.
    Runnable,
    /// On a CPU now.
    Running,
    /// Waiting for something; not in any run queue.
    Blocked(BlockReason),
    /// Stopped by job control (`SIGSTOP`); waits for [`ThreadState::resume`].
    Stopped,
    /// Has exited but may still be on its CPU (its kernel stack in use).
    Dying,
    /// Switched away from for the last time; its resources can go.
    Dead,
}

impl ThreadState {
    fn step(&mut self, allowed: bool, next: ThreadState) -> KernelResult<()> {
        if !allowed {
            return Err(Errno::EINVAL);
        }
        *self = next;
        Ok(())
    }

    /// Runnable -> Running: a CPU picked the thread.
    pub fn run(&mut self) -> KernelResult<()> {
        self.step(*self == ThreadState::Runnable, ThreadState::Running)
    }

    /// Running -> Runnable: preempted or yielded.
    pub fn preempt(&mut self) -> KernelResult<()> {
        self.step(*self == ThreadState::Running, ThreadState::Runnable)
    }

    /// Running -> Blocked.
    pub fn block(&mut self, reason: BlockReason) -> KernelResult<()> {
        self.step(*self == ThreadState::Running, ThreadState::Blocked(reason))
    }

    /// Blocked -> Runnable.
    pub fn wake(&mut self) -> KernelResult<()> {
        self.step(
            matches!(self, ThreadState::Blocked(_)),
            ThreadState::Runnable,
        )
    }

    /// Running -> Stopped: the thread stops itself for job control.
    pub fn stop(&mut self) -> KernelResult<()> {
        self.step(*self == ThreadState::Running, ThreadState::Stopped)
    }

    /// Stopped -> Runnable (`SIGCONT`, or `SIGKILL` letting it die).
    pub fn resume(&mut self) -> KernelResult<()> {
        self.step(*self == ThreadState::Stopped, ThreadState::Runnable)
    }

    /// Running -> Dying: the thread exits.
    pub fn exit(&mut self) -> KernelResult<()> {
        self.step(*self == ThreadState::Running, ThreadState::Dying)
    }

    /// Dying -> Dead: the thread is off its CPU for good.
    pub fn finalize(&mut self) -> KernelResult<()> {
        self.step(*self == ThreadState::Dying, ThreadState::Dead)
    }

    /// Whether the thread may be put in a run queue or is already on a CPU.
    pub fn is_schedulable(self) -> bool {
        matches!(self, ThreadState::Runnable | ThreadState::Running)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_self_interruption_reaches_the_scheduler_only_if_the_thread_blocks() {
        let request = InterruptRequest::new();
        // Deferred and handled before any block: nothing to clear there.
        request.defer();
        assert!(!request.clear());
        // Deferred, then a block: handed over once, then cleared there.
        request.defer();
        assert!(request.take_deferred());
        assert!(!request.take_deferred());
        assert!(request.clear());
        assert!(!request.clear());
        // Another thread's interruption is always in the scheduler.
        request.note_in_scheduler();
        assert!(!request.take_deferred());
        assert!(request.clear());
        assert!(!request.take_deferred());
    }

    #[test]
    fn a_wake_reason_slot_gives_each_reason_back_once() {
        let slot = WakeReasonSlot::new();
        assert_eq!(slot.take(), None);
        for reason in [
            WakeReason::Woken,
            WakeReason::TimedOut,
            WakeReason::Interrupted,
        ] {
            slot.put(Some(reason));
            assert_eq!(slot.take(), Some(reason));
            assert_eq!(slot.take(), None);
        }
        slot.put(Some(WakeReason::Interrupted));
        slot.put(None);
        assert_eq!(slot.take(), None);
    }

    #[test]
    fn illegal_state_transition_rejected() {
        let mut s = ThreadState::Runnable;
        assert_eq!(s.block(BlockReason::Sleep), Err(Errno::EINVAL));
        assert_eq!(s, ThreadState::Runnable);
        assert_eq!(s.exit(), Err(Errno::EINVAL));
        assert_eq!(s.wake(), Err(Errno::EINVAL));

        let mut dead = ThreadState::Dead;
        for attempt in [
            ThreadState::run,
            ThreadState::preempt,
            ThreadState::wake,
            ThreadState::stop,
            ThreadState::resume,
            ThreadState::exit,
            ThreadState::finalize,
        ] {
            assert_eq!(attempt(&mut dead), Err(Errno::EINVAL));
            assert_eq!(dead, ThreadState::Dead);
        }

        let mut dying = ThreadState::Dying;
        assert_eq!(dying.run(), Err(Errno::EINVAL));
        assert_eq!(dying.finalize(), Ok(()));
    }

    #[test]
    fn full_lifecycle_is_accepted() {
        let mut s = ThreadState::Runnable;
        s.run().unwrap();
        s.block(BlockReason::Sleep).unwrap();
        s.wake().unwrap();
        s.run().unwrap();
        s.stop().unwrap();
        s.resume().unwrap();
        s.run().unwrap();
        s.preempt().unwrap();
        s.run().unwrap();
        s.exit().unwrap();
        s.finalize().unwrap();
        assert_eq!(s, ThreadState::Dead);
    }

    #[test]
    fn only_uninterruptible_queue_ignores_signals() {
        use crate::wait_queue::WaitQueueId;
        let q = WaitQueueId(1);
        assert!(BlockReason::Sleep.is_interruptible());
        assert!(BlockReason::Queue(q).is_interruptible());
        assert!(BlockReason::Join(ThreadId(3), q).is_interruptible());
        assert!(!BlockReason::QueueUninterruptible(q).is_interruptible());
    }

    #[test]
    fn wake_reasons_map_to_linux_errnos() {
        assert_eq!(WakeReason::Woken.as_result(), Ok(()));
        assert_eq!(WakeReason::TimedOut.as_result(), Err(Errno::ETIMEDOUT));
        assert_eq!(WakeReason::Interrupted.as_result(), Err(Errno::EINTR));
    }
}
