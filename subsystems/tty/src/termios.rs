//! Terminal settings: Linux's `struct termios` bits and defaults.

pub use abi::Termios;

/// Input flags (`c_iflag`).
pub mod iflag {
    /// Ignore a break condition.
    pub const IGNBRK: u32 = 0o1;
    /// Strip the eighth bit.
    pub const ISTRIP: u32 = 0o40;
    /// Map NL to CR on input.
    pub const INLCR: u32 = 0o100;
    /// Ignore CR on input.
    pub const IGNCR: u32 = 0o200;
    /// Map CR to NL on input.
    pub const ICRNL: u32 = 0o400;
    /// XON/XOFF output flow control.
    pub const IXON: u32 = 0o2000;
    /// Input is UTF-8 (erase removes a whole character).
    pub const IUTF8: u32 = 0o40000;
}

/// Output flags (`c_oflag`).
pub mod oflag {
    /// Post-process output.
    pub const OPOST: u32 = 0o1;
    /// Map NL to CR-NL on output.
    pub const ONLCR: u32 = 0o4;
    /// Map CR to NL on output.
    pub const OCRNL: u32 = 0o10;
    /// Do not output CR at column 0.
    pub const ONOCR: u32 = 0o20;
    /// NL performs the CR function.
    pub const ONLRET: u32 = 0o40;
}

/// Local flags (`c_lflag`).
pub mod lflag {
    /// Signal characters generate signals.
    pub const ISIG: u32 = 0o1;
    /// Canonical (line-by-line) input.
    pub const ICANON: u32 = 0o2;
    /// Echo input.
    pub const ECHO: u32 = 0o10;
    /// `VERASE` erases the previous character on screen.
    pub const ECHOE: u32 = 0o20;
    /// `VKILL` echoes a newline.
    pub const ECHOK: u32 = 0o40;
    /// Echo NL even without `ECHO`.
    pub const ECHONL: u32 = 0o100;
    /// No flush after a signal character.
    pub const NOFLSH: u32 = 0o200;
    /// Background writes get `SIGTTOU`.
    pub const TOSTOP: u32 = 0o400;
    /// Echo control characters as `^X`.
    pub const ECHOCTL: u32 = 0o1000;
    /// `VKILL` erases the line on screen.
    pub const ECHOKE: u32 = 0o4000;
    /// Implementation-defined input processing (`VWERASE`, `VLNEXT`).
    pub const IEXTEN: u32 = 0o100000;
}

/// Control-character slots (`c_cc`).
pub mod cc {
    /// Interrupt (`^C`): SIGINT.
    pub const VINTR: usize = 0;
    /// Quit (`^\`): SIGQUIT.
    pub const VQUIT: usize = 1;
    /// Erase (DEL).
    pub const VERASE: usize = 2;
    /// Kill the line (`^U`).
    pub const VKILL: usize = 3;
    /// End of file (`^D`).
    pub const VEOF: usize = 4;
    /// Non-canonical read timeout, in tenths of a second.
    pub const VTIME: usize = 5;
    /// Non-canonical read minimum.
    pub const VMIN: usize = 6;
    /// Suspend (`^Z`): SIGTSTP.
    pub const VSUSP: usize = 10;
    /// Extra end of line.
    pub const VEOL: usize = 11;
    /// Reprint the line (`^R`).
    pub const VREPRINT: usize = 12;
    /// Erase a word (`^W`).
    pub const VWERASE: usize = 14;
    /// Take the next character literally (`^V`).
    pub const VLNEXT: usize = 15;
    /// Second extra end of line.
    pub const VEOL2: usize = 16;
}

/// A disabled control-character slot (`_POSIX_VDISABLE`).
pub const DISABLED: u8 = 0;

/// `B38400 | CS8 | CREAD | HUPCL`: what Linux's console reports.
const DEFAULT_CFLAG: u32 = 0o2277;

/// Linux's defaults for a new terminal: canonical mode with echo and
/// signals, CR mapped to NL on input, NL to CR-NL on output.
pub fn linux_default() -> Termios {
    let mut cc = [DISABLED; abi::NCCS];
    cc[cc::VINTR] = 0x03;
    cc[cc::VQUIT] = 0x1c;
    cc[cc::VERASE] = 0x7f;
    cc[cc::VKILL] = 0x15;
    cc[cc::VEOF] = 0x04;
    cc[cc::VTIME] = 0;
    cc[cc::VMIN] = 1;
    cc[cc::VSUSP] = 0x1a;
    cc[cc::VREPRINT] = 0x12;
    cc[cc::VWERASE] = 0x17;
    cc[cc::VLNEXT] = 0x16;
    Termios {
        iflag: iflag::ICRNL | iflag::IXON,
        oflag: oflag::OPOST | oflag::ONLCR,
        cflag: DEFAULT_CFLAG,
        lflag: lflag::ISIG
            | lflag::ICANON
            | lflag::ECHO
            | lflag::ECHOE
            | lflag::ECHOK
            | lflag::ECHOCTL
            | lflag::ECHOKE
            | lflag::IEXTEN,
        line: 0,
        cc,
    }
}
