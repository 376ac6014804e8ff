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
