//! The process lifecycle as a type, and Linux's wait status encoding.
//!
//! ```text
//! Running <--stop/continue--> Stopped
//! Running | Stopped --die--> Dying --finalize--> Zombie --reap--> (gone)
//! ```
//!
//! `die` is taken once: the first caller's [`Termination`] is kept and later
//! calls report `false` (several threads can fault at once). A zombie never
//! changes state again; reaping removes it from the process table.
//!
//! Stop and continue also leave one unreported [`JobEvent`] for the parent:
//! a `wait` with `WUNTRACED`/`WCONTINUED` consumes it exactly once (unless
//! `WNOWAIT`). A newer event replaces an unreported older one, and death
//! discards it: the parent then learns about the exit instead. A stop's
//! event waits until the stop is announced ([`Lifecycle::announce_stop`]),
//! once every thread has stopped, as Linux reports a group stop when its
//! last thread stops.

/// How a process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Termination {
    /// `exit`/`exit_group` with this code (only the low 8 bits survive).
    Exited(u8),
    /// Killed by `signal`; `core_dumped` if a core was written.
    Killed {
        /// The fatal signal.
        signal: u8,
        /// Whether the kernel dumped core.
        core_dumped: bool,
    },
}

impl Termination {
    /// The `wait4` status word: `code << 8` or `signal | 0x80 if core`.
    pub fn wait_status(self) -> i32 {
        match self {
            Termination::Exited(code) => wait_status::exited(code),
            Termination::Killed {
                signal,
                core_dumped,
            } => wait_status::killed(signal, core_dumped),
        }
    }
}

/// A job-control event not yet reported to the parent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobEvent {
    /// Stopped by this signal.
    Stopped(u8),
    /// Continued by `SIGCONT`.
    Continued,
}

/// The states of a process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcessState {
    /// Its threads may run.
    Running,
    /// Stopped by this job-control signal.
    Stopped(u8),
    /// Exiting: threads are being killed, resources not yet released.
    Dying(Termination),
    /// Dead and released; waiting for the parent to reap it.
    Zombie(Termination),
}

/// A process's state plus its unreported job-control event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lifecycle {
    state: ProcessState,
    unreported: Option<JobEvent>,
    /// Stopped, but not every thread has stopped yet: nothing to report.
    stop_unannounced: bool,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Self::new()
    }
}

impl Lifecycle {
    /// A running process with nothing to report.
    pub const fn new() -> Self {
        Self {
            state: ProcessState::Running,
            unreported: None,
            stop_unannounced: false,
        }
    }

    /// The current state.
    pub fn state(&self) -> ProcessState {
        self.state
    }

    /// How it ended, once dying or a zombie.
    pub fn termination(&self) -> Option<Termination> {
        match self.state {
            ProcessState::Dying(t) | ProcessState::Zombie(t) => Some(t),
            _ => None,
        }
    }

    /// Whether it is running or stopped (not dying or a zombie).
    pub fn is_alive(&self) -> bool {
        matches!(self.state, ProcessState::Running | ProcessState::Stopped(_))
    }

    /// Whether it is a zombie.
    pub fn is_zombie(&self) -> bool {
        matches!(self.state, ProcessState::Zombie(_))
    }

    /// Running -> Stopped(signal); returns whether it changed. The stop is
    /// reported once announced ([`Lifecycle::announce_stop`]).
    pub fn stop(&mut self, signal: u8) -> bool {
        if self.state != ProcessState::Running {
            return false;
        }
        self.state = ProcessState::Stopped(signal);
        self.stop_unannounced = true;
        true
    }

    /// Every thread has stopped: the stop becomes the unreported event.
    /// Returns its signal, or `None` if no stop waits to be announced
    /// (announced already, continued, or dying).
    pub fn announce_stop(&mut self) -> Option<u8> {
        match self.state {
            ProcessState::Stopped(signal) if self.stop_unannounced => {
                self.stop_unannounced = false;
                self.unreported = Some(JobEvent::Stopped(signal));
                Some(signal)
            }
            _ => None,
        }
    }

    /// The signal of a stop not every thread has joined yet (nothing
    /// announced), if that is the state.
    pub fn stop_in_progress(&self) -> Option<u8> {
        match self.state {
            ProcessState::Stopped(signal) if self.stop_unannounced => Some(signal),
            _ => None,
        }
    }

    /// Stopped -> Running; returns whether it changed.
    pub fn resume(&mut self) -> bool {
        if !matches!(self.state, ProcessState::Stopped(_)) {
            return false;
        }
        self.state = ProcessState::Running;
        self.stop_unannounced = false;
        self.unreported = Some(JobEvent::Continued);
        true
    }

    /// Running | Stopped -> Dying(termination); `false` if already dying or dead.
    pub fn die(&mut self, termination: Termination) -> bool {
        if !self.is_alive() {
            return false;
        }
        self.state = ProcessState::Dying(termination);
        self.unreported = None;
        self.stop_unannounced = false;
        true
    }

    /// Dying -> Zombie; `false` in any other state.
    pub fn finalize(&mut self) -> bool {
        match self.state {
            ProcessState::Dying(t) => {
                self.state = ProcessState::Zombie(t);
                true
            }
            _ => false,
        }
    }

    /// The unreported event, if any; `consume` clears it (wait without `WNOWAIT`).
    pub fn job_event(&mut self, consume: bool) -> Option<JobEvent> {
        if consume {
            self.unreported.take()
        } else {
            self.unreported
        }
    }
}

/// Linux's `wait4` status words.
pub mod wait_status {
    /// Exited normally with `code`.
    pub const fn exited(code: u8) -> i32 {
        (code as i32) << 8
    }

    /// Killed by `signal`, with bit 0x80 if it dumped core.
    pub const fn killed(signal: u8, core_dumped: bool) -> i32 {
        (signal as i32 & 0x7f) | if core_dumped { 0x80 } else { 0 }
    }

    /// Stopped by `signal`.
    pub const fn stopped(signal: u8) -> i32 {
        ((signal as i32) << 8) | 0x7f
    }

    /// Continued by `SIGCONT`.
    pub const CONTINUED: i32 = 0xffff;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_status_words_match_linux_macros() {
        // WIFEXITED && WEXITSTATUS == 3
        assert_eq!(wait_status::exited(3), 0x300);
        // WIFSIGNALED, WTERMSIG == 11, WCOREDUMP
        assert_eq!(wait_status::killed(11, true), 0x8b);
        assert_eq!(wait_status::killed(9, false), 9);
        // WIFSTOPPED, WSTOPSIG == 19 (SIGSTOP)
        assert_eq!(wait_status::stopped(19), 0x137f);
        assert_eq!(wait_status::CONTINUED, 0xffff);
    }

    #[test]
    fn zombie_never_changes_again() {
        let mut l = Lifecycle::new();
        assert!(l.die(Termination::Exited(1)));
        assert!(!l.die(Termination::Exited(2)));
        assert!(l.finalize());
        assert!(!l.stop(19) && !l.resume() && !l.finalize());
        assert_eq!(l.announce_stop(), None);
        assert_eq!(l.state(), ProcessState::Zombie(Termination::Exited(1)));
    }

    #[test]
    fn job_events_are_consumed_once_and_replaced() {
        let mut l = Lifecycle::new();
        assert!(l.stop(19));
        assert_eq!(l.job_event(false), None, "not announced yet");
        assert_eq!(l.announce_stop(), Some(19));
        assert_eq!(l.announce_stop(), None, "announced once");
        assert_eq!(l.job_event(false), Some(JobEvent::Stopped(19)));
        assert!(l.resume());
        assert_eq!(l.job_event(true), Some(JobEvent::Continued));
        assert_eq!(l.job_event(true), None);
    }
}
