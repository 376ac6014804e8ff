//! A terminal's state as the file layer holds it: the `tty` crate's line
//! discipline and job control, each behind its own lock. Devices that are
//! terminals (the serial console today) own one and hand it out through
//! [`File::terminal`](crate::file::File::terminal), so the system-call
//! layer can apply `termios` and job-control `ioctl`s to it.

use ::tty::{JobControl, LineDiscipline};
use lock::Mutex;

/// One terminal: its line discipline and its job-control state. Lock
/// order: `line` before `jobs` when both are needed.
pub struct Terminal {
    /// Input editing, echo, translations, settings.
    pub line: Mutex<LineDiscipline>,
    /// The session it controls and the foreground group.
    pub jobs: Mutex<JobControl>,
}

impl Default for Terminal {
    fn default() -> Self {
        Self::new()
    }
}

impl Terminal {
    /// A terminal with Linux's default settings that no session controls.
    pub fn new() -> Terminal {
        Terminal {
            line: Mutex::new(LineDiscipline::new()),
            jobs: Mutex::new(JobControl::new()),
        }
    }
}
