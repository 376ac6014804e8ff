//! Terminals: what sits between a serial line (or a keyboard and a screen)
//! and the programs that read and write it.
//!
//! This crate owns the POSIX terminal model and nothing of the hardware:
//!
//! - [`termios`]: the settings (`struct termios`, Linux's flag bits and
//!   control-character slots) with Linux's defaults.
//! - [`line`](mod@line): the line discipline. Bytes from the device go in through
//!   [`LineDiscipline::receive`], which edits the line (canonical mode:
//!   erase, word erase, kill, end-of-file, literal next), translates
//!   (`ICRNL`, `INLCR`, `IGNCR`, `ISTRIP`), and says what to echo and which
//!   signal the foreground group gets (`VINTR`, `VQUIT`, `VSUSP` under
//!   `ISIG`). Programs read cooked lines or raw bytes
//!   ([`LineDiscipline::read`]); what they write is translated for the
//!   device ([`LineDiscipline::output`]: `OPOST`, `ONLCR`, `OCRNL`).
//! - [`job`]: job control: the session the terminal controls, its
//!   foreground process group, and the rules that stop a background job
//!   that reads (`SIGTTIN`) or writes under `TOSTOP` (`SIGTTOU`).
//!
//! A kernel keeps one [`LineDiscipline`] and one [`JobControl`] per
//! terminal, feeds it received bytes from thread context, writes the echo
//! back to the device, and sends the signals it is told to, to the group
//! it is told. Nothing here sleeps, locks, or sends anything: the crate is
//! plain data and decisions, tested on the host.

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod job;
pub mod line;
pub mod termios;

pub use job::{Access, JobControl, JobSignal, Member};
pub use line::{Input, LineDiscipline, ReadOutcome, ReadWait};
pub use termios::Termios;
