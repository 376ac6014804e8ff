//! The policy of a sleeping mutex: ownership and direct hand-off.

use crate::cpu::CpuId;
use crate::irq_lock::InterruptControl;
use crate::scheduler::{Decision, Scheduler};
use crate::thread_id::ThreadId;
use crate::wait_queue::WaitQueueId;
use abi::{Errno, KernelResult};

/// What [`SleepMutex::lock`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockOutcome {
    /// The caller owns the mutex now.
    Acquired,
    /// The caller is blocked in the mutex's queue and the CPU should do
    /// what the decision says; when the thread runs again it owns the mutex
    /// (ownership is handed to it by [`SleepMutex::unlock`]).
    Blocked(Decision),
}

/// A mutex whose waiters sleep instead of spinning, for kernel code that
/// may block while holding it (file system, process table).
///
/// Unlock hands the mutex straight to the longest waiter, so a thread
/// that unlocks and relocks in a loop cannot starve the others. Waiting is
/// uninterruptible and has no deadline: a holder always finishes. The state
/// is plain data; the kernel keeps it where the scheduler lock covers it
/// (for example inside the same lock, or under a spinlock taken before it).
#[derive(Debug)]
pub struct SleepMutex {
    owner: Option<ThreadId>,
    queue: WaitQueueId,
}

impl SleepMutex {
    /// A free mutex, with its wait queue created in `sched`.
    pub fn new<I: InterruptControl>(sched: &Scheduler<I>) -> Self {
        SleepMutex {
            owner: None,
            queue: sched.create_wait_queue(),
        }
    }

    /// The thread holding the mutex.
    pub fn owner(&self) -> Option<ThreadId> {
        self.owner
    }

    /// The queue its waiters sleep in.
    pub fn queue(&self) -> WaitQueueId {
        self.queue
    }

    /// Takes the mutex for the thread running on `cpu` if it is free.
    /// Returns whether it did; `EDEADLK` if that thread already holds it,
    /// `ESRCH` if the CPU idles.
    pub fn try_lock<I: InterruptControl>(
        &mut self,
        sched: &Scheduler<I>,
        cpu: CpuId,
    ) -> KernelResult<bool> {
        let me = sched.current(cpu).ok_or(Errno::ESRCH)?;
        match self.owner {
            Some(owner) if owner == me => Err(Errno::EDEADLK),
            Some(_) => Ok(false),
            None => {
                self.owner = Some(me);
                Ok(true)
            }
        }
    }

    /// Takes the mutex for the thread running on `cpu`, blocking it if
    /// another thread holds it. `EDEADLK` if it already holds it, `ESRCH`
    /// if the CPU idles.
    pub fn lock<I: InterruptControl>(
        &mut self,
        sched: &Scheduler<I>,
        cpu: CpuId,
        now: u64,
    ) -> KernelResult<LockOutcome> {
        if self.try_lock(sched, cpu)? {
            return Ok(LockOutcome::Acquired);
        }
        let decision = sched.wait_on(cpu, self.queue, false, None, now)?;
        Ok(LockOutcome::Blocked(decision))
    }

    /// Releases the mutex held by the thread running on `cpu`, handing it to
    /// the longest waiter, which is returned. `EPERM` if that thread is not
    /// the owner.
    pub fn unlock<I: InterruptControl>(
        &mut self,
        sched: &Scheduler<I>,
        cpu: CpuId,
        now: u64,
    ) -> KernelResult<Option<ThreadId>> {
        let me = sched.current(cpu).ok_or(Errno::EPERM)?;
        if self.owner != Some(me) {
            return Err(Errno::EPERM);
        }
        self.owner = sched.wake_one(self.queue, now)?;
        Ok(self.owner)
    }

    /// Frees the mutex's wait queue; the mutex must not be used afterwards.
    /// `EBUSY` while it is held.
    pub fn destroy<I: InterruptControl>(&self, sched: &Scheduler<I>) -> KernelResult<()> {
        if self.owner.is_some() {
            return Err(Errno::EBUSY);
        }
        sched.destroy_wait_queue(self.queue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CpuSet, Priority, RunQueueConfig};

    const CPU: CpuId = CpuId::BSP;

    #[test]
    fn unlock_hands_the_mutex_to_the_longest_waiter() {
        let s = Scheduler::<crate::NoInterrupts>::new(1, RunQueueConfig::default()).unwrap();
        let mut m = SleepMutex::new(&s);
        for id in 1..=3 {
            s.spawn(ThreadId(id), Priority::NORMAL, CpuSet::ALL, 0)
                .unwrap();
        }
        assert_eq!(s.schedule(CPU, 0), Ok(Decision::SwitchTo(ThreadId(1))));
        assert_eq!(m.lock(&s, CPU, 0), Ok(LockOutcome::Acquired));
        assert_eq!(m.lock(&s, CPU, 0), Err(Errno::EDEADLK));
        assert_eq!(s.yield_current(CPU, 0), Ok(Decision::SwitchTo(ThreadId(2))));
        assert_eq!(m.unlock(&s, CPU, 0), Err(Errno::EPERM));
        assert_eq!(
            m.lock(&s, CPU, 0),
            Ok(LockOutcome::Blocked(Decision::SwitchTo(ThreadId(3))))
        );
        assert_eq!(
            m.lock(&s, CPU, 0),
            Ok(LockOutcome::Blocked(Decision::SwitchTo(ThreadId(1))))
        );
        assert_eq!(
            s.interrupt(ThreadId(2), 0),
            Ok(false),
            "lock waits ignore signals"
        );

        assert_eq!(m.unlock(&s, CPU, 0), Ok(Some(ThreadId(2))));
        assert_eq!(m.owner(), Some(ThreadId(2)));
        // Thread 1 cannot take it back before thread 2 ran.
        assert_eq!(m.try_lock(&s, CPU), Ok(false));
        assert_eq!(m.destroy(&s), Err(Errno::EBUSY));
    }
}
