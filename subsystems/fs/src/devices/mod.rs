//! Character devices that need no hardware (`null`, `zero`, `full`,
//! `random`), the terminals (the serial console over a
//! [`console::ConsolePort`] and pseudo-terminals, each with a
//! [`terminal::Terminal`] from the `tty` crate), and `/dev/tty` over a
//! [`tty::ControllingTerminal`].

pub mod console;
pub mod kmsg;
pub mod memory;
pub mod pty;
pub mod random;

pub mod terminal;
pub mod tty;
