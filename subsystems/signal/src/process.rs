//! `ProcessSignalState`: what the threads of one process share: the
//! dispositions table and the process-directed pending queue.

use crate::action::{Disposition, KernelSigAction, SaFlags, SigAction};
use crate::itimer::{CpuTimer, RealTimer};
use crate::pending::{DEFAULT_QUEUE_LIMIT, PendingSignals};
use crate::posix_timer::PosixTimers;
use crate::siginfo::{SigFields, SigInfo};
use crate::signal::{DefaultAction, Signal};
use crate::sigset::{SIGSET_SIZE, SigSet};
use crate::thread::ThreadSignalState;
use abi::{Errno, KernelResult};

/// How a parent wants to hear about its children, from its SIGCHLD action.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ChildPolicy {
    /// SIGCHLD is `SIG_IGN` or has `SA_NOCLDWAIT`: exiting children are
    /// reaped at once, never become zombies, and `wait` ends with `ECHILD`.
    pub auto_reap: bool,
    /// No `SA_NOCLDSTOP`: send SIGCHLD when a child stops or continues.
    pub notify_stop: bool,
}

/// A process's shared signal state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessSignalState {
    /// Index `n - 1` holds signal `n`'s action.
    actions: [SigAction; 64],
    shared: PendingSignals,
    queue_limit: usize,
    /// Init: signals whose disposition is `SIG_DFL` are discarded, even
    /// SIGKILL, so user space cannot kill pid 1 (Linux `SIGNAL_UNKILLABLE`).
    unkillable: bool,
    /// `ITIMER_REAL`: kept with the process so that it goes when the
    /// process does; a forked child starts with it disarmed.
    real_timer: RealTimer,
    /// `ITIMER_VIRTUAL` and `ITIMER_PROF`, charged with the process's CPU
    /// time; a forked child starts with them disarmed.
    cpu_timers: [CpuTimer; 2],
    /// POSIX timers (`timer_create`); a forked child starts with none.
    posix_timers: PosixTimers,
    /// A tracer sees every signal: ignored ones are queued and delivered
    /// (as [`crate::Action::Ignore`]) instead of dropped, as Linux does for
    /// ptraced tasks.
    traced: bool,
}

impl Default for ProcessSignalState {
    fn default() -> Self {
        Self::new()
    }
}

impl ProcessSignalState {
    /// Every signal at `SIG_DFL`, nothing pending.
    pub const fn new() -> ProcessSignalState {
        ProcessSignalState {
            actions: [SigAction::DEFAULT; 64],
            shared: PendingSignals::new(),
            queue_limit: DEFAULT_QUEUE_LIMIT,
            unkillable: false,
            real_timer: RealTimer::new(),
            cpu_timers: [CpuTimer::new(); 2],
            posix_timers: PosixTimers::new(),
            traced: false,
        }
    }

    /// The child of `fork`: same actions and limits, nothing pending.
    pub fn for_fork(&self) -> ProcessSignalState {
        ProcessSignalState {
            actions: self.actions,
            shared: PendingSignals::new(),
            queue_limit: self.queue_limit,
            unkillable: false,
            real_timer: RealTimer::new(),
            cpu_timers: [CpuTimer::new(); 2],
            posix_timers: PosixTimers::new(),
            traced: false,
        }
    }

    /// The process's `ITIMER_REAL` (`alarm`, `setitimer`).
    pub fn real_timer(&self) -> &RealTimer {
        &self.real_timer
    }

    /// The process's `ITIMER_REAL`, to arm, read or expire.
    pub fn real_timer_mut(&mut self) -> &mut RealTimer {
        &mut self.real_timer
    }

    /// `execve`: caught signals go back to `SIG_DFL`, ignored ones stay
    /// ignored, flags, masks and restorers are cleared; pending signals stay.
    pub fn reset_for_exec(&mut self) {
        for action in &mut self.actions {
            let handler = match action.handler {
                Disposition::Ignore => Disposition::Ignore,
                _ => Disposition::Default,
            };
            *action = SigAction {
                handler,
                ..SigAction::DEFAULT
            };
        }
    }

    /// Marks the process as init (or not): see [`Self::is_unkillable`].
    pub fn set_unkillable(&mut self, unkillable: bool) {
        self.unkillable = unkillable;
    }

    /// The POSIX timers.
    pub fn posix_timers(&self) -> &PosixTimers {
        &self.posix_timers
    }

    /// The POSIX timers, to create, arm, expire or delete.
    pub fn posix_timers_mut(&mut self) -> &mut PosixTimers {
        &mut self.posix_timers
    }

    /// Notes that `info` is being delivered or taken: for a POSIX timer's
    /// signal, its overrun count becomes what `timer_getoverrun` reports.
    pub fn note_taken(&mut self, info: &SigInfo) {
        if let SigFields::Timer { id, overrun, .. } = info.fields {
            self.posix_timers.delivered(id, overrun);
        }
    }

    /// `ITIMER_VIRTUAL` (`prof` false) or `ITIMER_PROF`.
    pub fn cpu_timer_mut(&mut self, prof: bool) -> &mut CpuTimer {
        &mut self.cpu_timers[usize::from(prof)]
    }

    /// Charges CPU time run: `user` nanoseconds to `ITIMER_VIRTUAL`,
    /// `user + system` to `ITIMER_PROF`. Whether each expired (SIGVTALRM,
    /// SIGPROF due).
    pub fn charge_cpu_timers(&mut self, user: u64, system: u64) -> (bool, bool) {
        (
            self.cpu_timers[0].charge(user),
            self.cpu_timers[1].charge(user.saturating_add(system)),
        )
    }

    /// Whether a tracer watches the process (the caller keeps this current
    /// before sending and delivering).
    pub fn set_traced(&mut self, traced: bool) {
        self.traced = traced;
    }

    /// Whether ignored signals are kept for a tracer.
    pub fn is_traced(&self) -> bool {
        self.traced
    }

    /// True for init: user-sent signals it has not caught are discarded.
    pub fn is_unkillable(&self) -> bool {
        self.unkillable
    }

    /// The cap on queued infos per pending queue of this process.
    pub fn queue_limit(&self) -> usize {
        self.queue_limit
    }

    /// Sets the queue cap (`RLIMIT_SIGPENDING`).
    pub fn set_queue_limit(&mut self, limit: usize) {
        self.queue_limit = limit;
    }

    /// The action for `signal`.
    pub fn action(&self, signal: Signal) -> SigAction {
        self.actions[signal.number() as usize - 1]
    }

    pub(crate) fn action_mut(&mut self, signal: Signal) -> &mut SigAction {
        &mut self.actions[signal.number() as usize - 1]
    }

    /// True if the disposition discards `signal` whatever the mask:
    /// `SIG_IGN`, or `SIG_DFL` for a signal whose default is to ignore
    /// (SIGCHLD, SIGURG, SIGWINCH, and SIGCONT, whose work happens at send).
    pub fn ignores(&self, signal: Signal) -> bool {
        match self.action(signal).handler {
            Disposition::Ignore => true,
            Disposition::Default => matches!(
                signal.default_action(),
                DefaultAction::Ignore | DefaultAction::Continue
            ),
            Disposition::Handler(_) => false,
        }
    }

    /// The SIGCHLD policy the process crate applies when a child changes state.
    pub fn child_policy(&self) -> ChildPolicy {
        let action = self.action(Signal::SIGCHLD);
        ChildPolicy {
            auto_reap: action.handler == Disposition::Ignore
                || action.flags.contains(SaFlags::NOCLDWAIT),
            notify_stop: !action.flags.contains(SaFlags::NOCLDSTOP),
        }
    }

    /// Installs `action` for `signal` and returns the old one. SIGKILL and
    /// SIGSTOP cannot be changed (`EINVAL`). If the new action ignores the
    /// signal, pending instances are discarded from the process and from
    /// every thread in `threads` (POSIX requires it).
    pub fn set_action<'a>(
        &mut self,
        signal: Signal,
        action: SigAction,
        threads: impl IntoIterator<Item = &'a mut ThreadSignalState>,
    ) -> KernelResult<SigAction> {
        if signal.is_unblockable() {
            return Err(Errno::EINVAL);
        }
        let old = self.action(signal);
        *self.action_mut(signal) = SigAction {
            mask: action.mask.without_unblockable(),
            ..action
        };
        if self.ignores(signal) {
            let discard = SigSet::single(signal);
            self.shared.discard(discard);
            for thread in threads {
                thread.pending_mut().discard(discard);
            }
        }
        Ok(old)
    }

    /// `rt_sigaction(signum, act, oldact, sigsetsize)` on raw values:
    /// returns what to store in `oldact`. `EINVAL` for a bad signal number,
    /// a `sigsetsize` other than 8, or an `act` for SIGKILL/SIGSTOP (reading
    /// their action is allowed).
    pub fn sigaction<'a>(
        &mut self,
        signum: i32,
        act: Option<KernelSigAction>,
        sigsetsize: usize,
        threads: impl IntoIterator<Item = &'a mut ThreadSignalState>,
    ) -> KernelResult<KernelSigAction> {
        if sigsetsize != SIGSET_SIZE {
            return Err(Errno::EINVAL);
        }
        let signal = Signal::from_raw(signum)?;
        match act {
            None => Ok(self.action(signal).to_raw()),
            Some(raw) => Ok(self
                .set_action(signal, SigAction::from_raw(raw), threads)?
                .to_raw()),
        }
    }

    /// The process-directed pending queue.
    pub fn shared_pending(&self) -> &PendingSignals {
        &self.shared
    }

    /// The process-directed pending queue, mutable.
    pub fn shared_pending_mut(&mut self) -> &mut PendingSignals {
        &mut self.shared
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::siginfo::SigInfo;

    fn handler(address: u64) -> SigAction {
        SigAction {
            handler: Disposition::Handler(address),
            ..SigAction::DEFAULT
        }
    }

    #[test]
    fn exec_resets_handlers_but_keeps_ignored() {
        let mut process = ProcessSignalState::new();
        process
            .set_action(Signal::SIGINT, handler(0x1000), [])
            .unwrap();
        let ignore = SigAction {
            handler: Disposition::Ignore,
            flags: SaFlags::RESTART,
            ..SigAction::DEFAULT
        };
        process.set_action(Signal::SIGHUP, ignore, []).unwrap();
        process.reset_for_exec();
        assert_eq!(process.action(Signal::SIGINT), SigAction::DEFAULT);
        assert_eq!(process.action(Signal::SIGHUP).handler, Disposition::Ignore);
        assert_eq!(process.action(Signal::SIGHUP).flags, SaFlags::empty());
    }

    #[test]
    fn ignoring_a_pending_signal_discards_it_everywhere() {
        let mut process = ProcessSignalState::new();
        let mut thread = ThreadSignalState::new();
        thread.set_blocked(SigSet::single(Signal::SIGUSR1));
        process
            .shared_pending_mut()
            .post(SigInfo::kernel(Signal::SIGUSR1), 8)
            .unwrap();
        thread
            .pending_mut()
            .post(SigInfo::kernel(Signal::SIGUSR1), 8)
            .unwrap();
        let ignore = SigAction {
            handler: Disposition::Ignore,
            ..SigAction::DEFAULT
        };
        process
            .set_action(Signal::SIGUSR1, ignore, [&mut thread])
            .unwrap();
        assert!(thread.sigpending(&process).is_empty());
    }

    #[test]
    fn sigchld_ignore_or_nocldwait_means_auto_reap() {
        let mut process = ProcessSignalState::new();
        assert_eq!(
            process.child_policy(),
            ChildPolicy {
                auto_reap: false,
                notify_stop: true
            }
        );
        let flags = SaFlags::NOCLDWAIT | SaFlags::NOCLDSTOP;
        process
            .set_action(
                Signal::SIGCHLD,
                SigAction {
                    flags,
                    ..handler(0x1000)
                },
                [],
            )
            .unwrap();
        assert_eq!(
            process.child_policy(),
            ChildPolicy {
                auto_reap: true,
                notify_stop: false
            }
        );
    }

    #[test]
    fn sigaction_checks_size_and_signal_number() {
        let mut process = ProcessSignalState::new();
        assert_eq!(process.sigaction(10, None, 4, []), Err(Errno::EINVAL));
        assert_eq!(process.sigaction(0, None, 8, []), Err(Errno::EINVAL));
        assert_eq!(process.sigaction(65, None, 8, []), Err(Errno::EINVAL));
        assert_eq!(
            process.sigaction(9, None, 8, []),
            Ok(KernelSigAction::default())
        );
    }
}
