//! Threads as the process model sees them: id, lifecycle state, the
//! `set_tid_address` and `set_robust_list` slots, and the scheduler's payload.
//!
//! State transitions (anything else is an [`InvalidTransition`], a kernel bug):
//!
//! ```text
//! Runnable --schedule--> Running --preempt--> Runnable
//! Running --block--> Blocked --wake--> Runnable
//! Runnable | Running | Blocked --stop--> Stopped --resume--> Runnable
//! any state but Dead --die--> Dying --finalize--> Dead
//! ```
//!
//! A blocked thread that is stopped resumes as runnable: the blocking code
//! re-checks its condition, as after any wake-up.

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use seccomp::Seccomp;

use abi::{Errno, KernelResult};
use lock::Mutex;

use crate::env::ProcessEnv;
use crate::pid::{Pid, Tid};

/// Where a thread is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreadState {
    /// Ready to run, waiting for a CPU.
    Runnable,
    /// On a CPU.
    Running,
    /// Waiting for an event.
    Blocked,
    /// Stopped by a job-control signal.
    Stopped,
    /// Told to die; will not return to user space.
    Dying,
    /// Finished; only its bookkeeping remains.
    Dead,
}

impl ThreadState {
    /// Whether `self -> next` is one of the transitions in the module doc.
    pub fn can_become(self, next: ThreadState) -> bool {
        use ThreadState::*;
        matches!(
            (self, next),
            (Runnable, Running)
                | (Running, Runnable)
                | (Running, Blocked)
                | (Blocked, Runnable)
                | (Runnable | Running | Blocked, Stopped)
                | (Stopped, Runnable)
                | (Runnable | Running | Blocked | Stopped, Dying)
                | (Dying, Dead)
        )
    }
}

/// A refused state change: a kernel bug, reported instead of panicking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidTransition {
    /// The state the thread was in (and still is).
    pub from: ThreadState,
    /// The state that was asked for.
    pub to: ThreadState,
}

/// `sizeof(struct robust_list_head)` on x86_64: the only length
/// `set_robust_list` accepts.
pub const ROBUST_LIST_HEAD_SIZE: usize = 24;

/// One thread of a process.
pub struct Thread<E: ProcessEnv> {
    tid: Tid,
    pid: Pid,
    state: Mutex<ThreadState>,
    should_die: AtomicBool,
    /// Whether the next return to user mode must look at the signal
    /// state (Linux's `TIF_SIGPENDING`, kept conservatively).
    signal_check: AtomicBool,
    /// `set_tid_address`: zeroed and futex-woken at thread exit (0 = none).
    clear_child_tid: AtomicU64,
    /// `set_robust_list` head (0 = none).
    robust_list_head: AtomicU64,
    /// The CPU time it had run when it left its process (nanoseconds).
    exit_cpu_ns: AtomicU64,
    /// How much of its CPU time (ns) its process's CPU-time timers have
    /// been charged with.
    cpu_ns_charged: AtomicU64,
    /// `ioprio_set`'s value: class in bits 13-15, level below; 0 (no
    /// class) until set.
    io_priority: core::sync::atomic::AtomicU16,
    /// `sched_setscheduler`: the policy (low half, with
    /// `SCHED_RESET_ON_FORK`) and the static priority (high half).
    scheduling: AtomicU64,
    /// Its seccomp mode and filters (kept across `execve`, given to the
    /// threads and processes it creates).
    seccomp: Mutex<Seccomp>,
    /// Whether it has a seccomp mode, read without the lock on every
    /// system call (a mode is never left).
    under_seccomp: AtomicBool,
    data: E::ThreadData,
}

impl<E: ProcessEnv> core::fmt::Debug for Thread<E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Thread")
            .field("tid", &self.tid)
            .field("pid", &self.pid)
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

impl<E: ProcessEnv> Thread<E> {
    /// A new runnable thread of process `pid`.
    pub(crate) fn new(tid: Tid, pid: Pid, data: E::ThreadData) -> Self {
        Self {
            tid,
            pid,
            state: Mutex::new(ThreadState::Runnable),
            should_die: AtomicBool::new(false),
            // A new thread looks once, whatever it inherited.
            signal_check: AtomicBool::new(true),
            clear_child_tid: AtomicU64::new(0),
            robust_list_head: AtomicU64::new(0),
            exit_cpu_ns: AtomicU64::new(0),
            cpu_ns_charged: AtomicU64::new(0),
            io_priority: core::sync::atomic::AtomicU16::new(0),
            scheduling: AtomicU64::new(0),
            seccomp: Mutex::new(Seccomp::default()),
            under_seccomp: AtomicBool::new(false),
            data,
        }
    }

    /// Whether the thread has a seccomp mode: its system calls then go
    /// through [`Thread::seccomp`] first.
    #[inline(always)]
    pub fn under_seccomp(&self) -> bool {
        self.under_seccomp.load(Ordering::Acquire)
    }

    /// Its seccomp state, to read or change. A change of mode must be
    /// followed by [`Thread::seccomp_changed`].
    pub fn seccomp(&self) -> lock::MutexGuard<'_, Seccomp> {
        self.seccomp.lock()
    }

    /// Publishes a mode `state` (the thread's own, just changed) entered
    /// for the lock-free [`Thread::under_seccomp`].
    pub fn seccomp_changed(&self, state: &Seccomp) {
        if state.mode() != seccomp::Mode::Disabled {
            self.under_seccomp.store(true, Ordering::Release);
        }
    }

    /// Takes `creator`'s seccomp state (see [`crate::Process::inherit_seccomp`],
    /// which also marks the process); returns whether it has a mode.
    pub(crate) fn inherit_seccomp(&self, creator: &Thread<E>) -> bool {
        let state = creator.seccomp().clone();
        let mut mine = self.seccomp();
        *mine = state;
        self.seccomp_changed(&mine);
        mine.mode() != seccomp::Mode::Disabled
    }

    /// The scheduling policy and static priority `sched_setscheduler` set
    /// (`SCHED_OTHER`, 0 for a new thread).
    pub fn scheduling(&self) -> (u32, u32) {
        let value = self.scheduling.load(Ordering::Relaxed);
        (value as u32, (value >> 32) as u32)
    }

    /// Records the scheduling policy and static priority.
    pub fn set_scheduling(&self, policy: u32, priority: u32) {
        self.scheduling.store(
            u64::from(policy) | u64::from(priority) << 32,
            Ordering::Relaxed,
        );
    }

    /// The thread id (`gettid`).
    pub fn tid(&self) -> Tid {
        self.tid
    }

    /// The owning process's id (`getpid`).
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// The scheduler's and arch's per-thread state.
    pub fn data(&self) -> &E::ThreadData {
        &self.data
    }

    /// The current state.
    pub fn state(&self) -> ThreadState {
        *self.state.lock()
    }

    /// Move to `next` if the transition is allowed.
    pub fn set_state(&self, next: ThreadState) -> Result<(), InvalidTransition> {
        let mut state = self.state.lock();
        if !state.can_become(next) {
            return Err(InvalidTransition {
                from: *state,
                to: next,
            });
        }
        *state = next;
        Ok(())
    }

    /// Ask the thread to die the next time it is in the kernel; returns
    /// whether it needs waking (it is blocked or stopped) to notice.
    pub fn set_should_die(&self) -> bool {
        self.should_die.store(true, Ordering::Release);
        self.request_signal_check();
        matches!(self.state(), ThreadState::Blocked | ThreadState::Stopped)
    }

    /// Has the thread look at its signal state (and whether it should
    /// die) on its next return to user mode. Call it after a change that
    /// may give the thread something to do there: a signal posted to it
    /// or its process, a signal unblocked, a saved mask restored, or
    /// kernel work due on the way out (the kernel's CPU-time fold). Until
    /// then a return may skip the look, and its locks.
    pub fn request_signal_check(&self) {
        self.signal_check.store(true, Ordering::Release);
    }

    /// Whether a look was requested since the last call, clearing the
    /// request: the returning thread calls this before it looks, so a
    /// request made during the look is kept for the next return.
    pub fn take_signal_check(&self) -> bool {
        // A plain load first: most returns have nothing to take, and a
        // locked exchange costs more than the check it would skip.
        self.signal_check.load(Ordering::Acquire) && self.signal_check.swap(false, Ordering::AcqRel)
    }

    /// Whether [`Thread::set_should_die`] was called.
    pub fn should_die(&self) -> bool {
        self.should_die.load(Ordering::Acquire)
    }

    /// `set_tid_address(2)`: remember `address` and return the tid, which is
    /// what the syscall returns.
    pub fn set_tid_address(&self, address: u64) -> Tid {
        self.clear_child_tid.store(address, Ordering::Relaxed);
        self.tid
    }

    /// The `clear_child_tid` address (0 if none): at exit the kernel writes 0
    /// there and wakes one futex waiter.
    pub fn clear_child_tid(&self) -> u64 {
        self.clear_child_tid.load(Ordering::Relaxed)
    }

    /// `set_robust_list(2)`: `EINVAL` unless `len` is the x86_64 head size.
    pub fn set_robust_list(&self, head: u64, len: usize) -> KernelResult<()> {
        if len != ROBUST_LIST_HEAD_SIZE {
            return Err(Errno::EINVAL);
        }
        self.robust_list_head.store(head, Ordering::Relaxed);
        Ok(())
    }

    /// The robust futex list head (0 if none), for `get_robust_list` and exit.
    pub fn robust_list_head(&self) -> u64 {
        self.robust_list_head.load(Ordering::Relaxed)
    }

    /// Records the CPU time the thread has run, in nanoseconds, as it exits:
    /// the kernel sets it before the thread leaves its process, which then
    /// keeps it in [`Process::cpu_ns`](crate::Process::cpu_ns).
    pub fn set_exit_cpu_ns(&self, ns: u64) {
        self.exit_cpu_ns.store(ns, Ordering::Relaxed);
    }

    /// Marks the thread's CPU time up to `now_ns` (its CPU clock read
    /// now) as charged to its process's CPU-time timers, and returns what
    /// had not been: each nanosecond is charged once, whichever threads
    /// read clocks at the same time.
    pub fn charge_cpu_ns(&self, now_ns: u64) -> u64 {
        let before = self.cpu_ns_charged.fetch_max(now_ns, Ordering::Relaxed);
        now_ns.saturating_sub(before)
    }

    /// The thread's CPU time (ns) its process's timers were last charged
    /// up to ([`Thread::charge_cpu_ns`]).
    pub fn cpu_ns_charged(&self) -> u64 {
        self.cpu_ns_charged.load(Ordering::Relaxed)
    }

    /// The I/O priority (`ioprio_get`): class in bits 13-15, level below;
    /// 0, no class, until set.
    pub fn io_priority(&self) -> u16 {
        self.io_priority.load(Ordering::Relaxed)
    }

    /// Sets the I/O priority (`ioprio_set`, already checked).
    pub fn set_io_priority(&self, priority: u16) {
        self.io_priority.store(priority, Ordering::Relaxed);
    }

    /// What a new thread takes from the thread that creates it (in its
    /// process or a forked one): the I/O priority, as Linux's `copy_io`.
    pub(crate) fn inherit_from(&self, creator: &Thread<E>) {
        self.set_io_priority(creator.io_priority());
    }

    /// What [`Thread::set_exit_cpu_ns`] recorded (0 before the exit).
    pub(crate) fn exit_cpu_ns(&self) -> u64 {
        self.exit_cpu_ns.load(Ordering::Relaxed)
    }

    /// Forget both user addresses, as `execve` does for the surviving thread.
    pub(crate) fn clear_user_addresses(&self) {
        self.clear_child_tid.store(0, Ordering::Relaxed);
        self.robust_list_head.store(0, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ThreadState::*;

    #[test]
    fn dead_is_terminal_and_dying_only_leads_to_dead() {
        for next in [Runnable, Running, Blocked, Stopped, Dying, Dead] {
            assert!(!Dead.can_become(next));
            assert_eq!(Dying.can_become(next), next == Dead);
        }
    }

    #[test]
    fn stopped_resumes_as_runnable_only() {
        assert!(Blocked.can_become(Stopped));
        assert!(Stopped.can_become(Runnable));
        assert!(!Stopped.can_become(Running));
        assert!(!Stopped.can_become(Blocked));
    }
}
