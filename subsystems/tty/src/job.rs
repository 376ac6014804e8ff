//! Job control on one terminal: the session it controls, that session's
//! foreground process group, and the rules for processes outside it.

use abi::{Errno, KernelResult, WinSize};

/// Signals a terminal sends to a process group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobSignal {
    /// `SIGHUP`: the terminal hung up.
    Hangup,
    /// `SIGINT` (`VINTR`).
    Interrupt,
    /// `SIGQUIT` (`VQUIT`).
    Quit,
    /// `SIGCONT`, after a hangup.
    Continue,
    /// `SIGTSTP` (`VSUSP`).
    Suspend,
    /// `SIGTTIN`: a background group read.
    TtyIn,
    /// `SIGTTOU`: a background group wrote under `TOSTOP`, or changed the
    /// terminal.
    TtyOut,
    /// `SIGWINCH`: the window size changed.
    WindowChange,
}

impl JobSignal {
    /// The Linux signal number.
    pub fn number(self) -> u8 {
        match self {
            JobSignal::Hangup => 1,
            JobSignal::Interrupt => 2,
            JobSignal::Quit => 3,
            JobSignal::Continue => 18,
            JobSignal::Suspend => 20,
            JobSignal::TtyIn => 21,
            JobSignal::TtyOut => 22,
            JobSignal::WindowChange => 28,
        }
    }
}

/// The process asking, as job control sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member {
    /// Its process group.
    pub pgid: i32,
    /// Its session.
    pub sid: i32,
    /// Whether it leads its session (its pid is the sid).
    pub session_leader: bool,
}

/// What a read, write or settings change from a process may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Go ahead.
    Allowed,
    /// Send this signal to the caller's process group and fail the call
    /// with `EINTR` (restarted once the job is in the foreground).
    Stop(JobSignal),
    /// Fail with this error (an orphaned group, or one that ignores or
    /// blocks the stop signal, reading).
    Denied(Errno),
}

/// One terminal's session, foreground group and window size.
#[derive(Clone, Debug, Default)]
pub struct JobControl {
    session: Option<i32>,
    foreground: Option<i32>,
    window: WinSize,
}

impl JobControl {
    /// A terminal no session controls, its window size unknown (0 by 0).
    pub fn new() -> Self {
        JobControl {
            session: None,
            foreground: None,
            // 0 by 0 until someone says (Linux's pty and serial default;
            // programs then assume 80 by 24).
            window: WinSize::default(),
        }
    }

    /// The session this terminal controls.
    pub fn session(&self) -> Option<i32> {
        self.session
    }

    /// The foreground process group.
    pub fn foreground(&self) -> Option<i32> {
        self.foreground
    }

    /// Whether this is `member`'s controlling terminal.
    pub fn controls(&self, member: &Member) -> bool {
        self.session == Some(member.sid)
    }

    /// `open` without `O_NOCTTY` by a session leader that has no
    /// controlling terminal, of a terminal no session has: it becomes the
    /// session's, with the leader's group in the foreground. Whether it
    /// did.
    pub fn acquire_on_open(&mut self, member: &Member, member_has_terminal: bool) -> bool {
        if member.session_leader && !member_has_terminal && self.session.is_none() {
            self.session = Some(member.sid);
            self.foreground = Some(member.pgid);
            true
        } else {
            false
        }
    }

    /// `TIOCSCTTY`: a session leader without a controlling terminal takes
    /// this one. A terminal another session has is `EPERM` unless `steal`
    /// and the caller is privileged (that session loses it).
    pub fn set_controlling(
        &mut self,
        member: &Member,
        member_has_terminal: bool,
        steal: bool,
        privileged: bool,
    ) -> KernelResult<()> {
        if self.controls(member) {
            return Ok(());
        }
        if !member.session_leader || member_has_terminal {
            return Err(Errno::EPERM);
        }
        if self.session.is_some() && !(steal && privileged) {
            return Err(Errno::EPERM);
        }
        self.session = Some(member.sid);
        self.foreground = Some(member.pgid);
        Ok(())
    }

    /// The terminal hangs up (its session leader left, or `TIOCNOTTY` by
    /// the leader): the session loses it, and the foreground group to
    /// send `SIGHUP` then `SIGCONT` is returned.
    pub fn hang_up(&mut self) -> Option<i32> {
        self.session = None;
        self.foreground.take()
    }

    /// The line itself hangs up (a pseudo-terminal's master closed, a modem
    /// dropped carrier): the session loses its terminal. Returns that
    /// session and the group that was in front, if any: Linux signals the
    /// session leader now and that group when the leader exits.
    pub fn hang_up_line(&mut self) -> Option<(i32, Option<i32>)> {
        let session = self.session.take()?;
        Some((session, self.foreground.take()))
    }

    /// `TIOCNOTTY`: the caller gives up its controlling terminal; when it
    /// is the session leader the terminal hangs up ([`JobControl::hang_up`]
    /// for the group to signal). `ENOTTY` if this is not its terminal.
    pub fn detach(&mut self, member: &Member) -> KernelResult<Option<i32>> {
        if !self.controls(member) {
            return Err(Errno::ENOTTY);
        }
        Ok(if member.session_leader {
            self.hang_up()
        } else {
            None
        })
    }

    /// `TIOCGPGRP`: the foreground group; `ENOTTY` unless this is the
    /// caller's controlling terminal.
    pub fn get_foreground(&self, member: &Member) -> KernelResult<i32> {
        if !self.controls(member) {
            return Err(Errno::ENOTTY);
        }
        // No foreground group: a pid no process has, as Linux reports.
        Ok(self.foreground.unwrap_or(i32::MAX))
    }

    /// `TIOCSPGRP`: makes `pgid` the foreground; `group_session` is the
    /// session of that group, `None` if no process is in it (`ESRCH`); a
    /// group of another session is `EPERM`, as on Linux. A caller in the
    /// background is treated as a writer under `TOSTOP`
    /// ([`JobControl::check_change`]).
    pub fn set_foreground(
        &mut self,
        member: &Member,
        pgid: i32,
        group_session: Option<i32>,
    ) -> KernelResult<()> {
        if !self.controls(member) {
            return Err(Errno::ENOTTY);
        }
        if pgid < 0 {
            return Err(Errno::EINVAL);
        }
        match group_session {
            None => return Err(Errno::ESRCH),
            Some(sid) if sid != member.sid => return Err(Errno::EPERM),
            Some(_) => {}
        }
        self.foreground = Some(pgid);
        Ok(())
    }

    /// Whether `member` belongs to the session this terminal controls but
    /// not to its foreground group (only then do the job-control rules
    /// apply to its reads, writes and changes).
    pub fn in_background(&self, member: &Member) -> bool {
        self.controls(member) && self.foreground != Some(member.pgid)
    }

    /// A read by `member`: a background group of the controlling session
    /// is stopped with `SIGTTIN`, or fails with `EIO` when it ignores or
    /// blocks `SIGTTIN` or is orphaned (nobody would continue it).
    pub fn check_read(&self, member: &Member, ttin_ignored: bool, orphaned: bool) -> Access {
        if !self.in_background(member) {
            Access::Allowed
        } else if ttin_ignored || orphaned {
            Access::Denied(Errno::EIO)
        } else {
            Access::Stop(JobSignal::TtyIn)
        }
    }

    /// A write by `member` when the terminal has `TOSTOP`: a background
    /// group is stopped with `SIGTTOU` unless it ignores or blocks it
    /// (then it writes), and fails with `EIO` when orphaned.
    pub fn check_write(
        &self,
        member: &Member,
        tostop: bool,
        ttou_ignored: bool,
        orphaned: bool,
    ) -> Access {
        if !tostop {
            return Access::Allowed;
        }
        self.check_change(member, ttou_ignored, orphaned)
    }

    /// A settings change (`TCSETS*`, `TIOCSPGRP`, ...) by `member`: as a
    /// write under `TOSTOP`, whatever `TOSTOP` says.
    pub fn check_change(&self, member: &Member, ttou_ignored: bool, orphaned: bool) -> Access {
        if !self.in_background(member) || ttou_ignored {
            Access::Allowed
        } else if orphaned {
            Access::Denied(Errno::EIO)
        } else {
            Access::Stop(JobSignal::TtyOut)
        }
    }

    /// `TIOCGWINSZ`.
    pub fn window(&self) -> WinSize {
        self.window
    }

    /// `TIOCSWINSZ`: the foreground group to send `SIGWINCH`, when the
    /// size changed.
    pub fn set_window(&mut self, window: WinSize) -> Option<i32> {
        if window == self.window {
            return None;
        }
        self.window = window;
        self.foreground
    }
}
