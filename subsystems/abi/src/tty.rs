//! Terminal structures: `termios` (the kernel's `struct termios`, as the
//! `TCGETS` family copies it) and `winsize`.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// Control characters in a kernel `termios`.
pub const NCCS: usize = 19;

/// The kernel's `struct termios` (36 bytes; libc's is larger and converts).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct Termios {
    /// Input modes.
    pub iflag: u32,
    /// Output modes.
    pub oflag: u32,
    /// Control modes.
    pub cflag: u32,
    /// Local modes.
    pub lflag: u32,
    /// Line discipline.
    pub line: u8,
    /// Control characters (`VINTR`, ...).
    pub cc: [u8; NCCS],
}

/// `struct winsize`.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct WinSize {
    /// Rows.
    pub rows: u16,
    /// Columns.
    pub cols: u16,
    /// Width in pixels.
    pub xpixel: u16,
    /// Height in pixels.
    pub ypixel: u16,
}

/// Terminal `ioctl` requests.
pub mod ioctl {
    /// Get the `termios`.
    pub const TCGETS: u32 = 0x5401;
    /// Set the `termios` now.
    pub const TCSETS: u32 = 0x5402;
    /// Set after output drains.
    pub const TCSETSW: u32 = 0x5403;
    /// Set after output drains, flushing input.
    pub const TCSETSF: u32 = 0x5404;
    /// Get the foreground process group.
    pub const TIOCGPGRP: u32 = 0x540f;
    /// Set the foreground process group.
    pub const TIOCSPGRP: u32 = 0x5410;
    /// Get the window size.
    pub const TIOCGWINSZ: u32 = 0x5413;
    /// Set the window size.
    pub const TIOCSWINSZ: u32 = 0x5414;
    /// Bytes ready to read.
    pub const FIONREAD: u32 = 0x541b;
    /// Set or clear non-blocking mode.
    pub const FIONBIO: u32 = 0x5421;
    /// Set close-on-exec.
    pub const FIOCLEX: u32 = 0x5451;
    /// Clear close-on-exec.
    pub const FIONCLEX: u32 = 0x5450;
}

static_assertions::assert_eq_size!(Termios, [u8; 36]);
static_assertions::const_assert_eq!(core::mem::offset_of!(Termios, cc), 17);
static_assertions::assert_eq_size!(WinSize, [u8; 8]);
