//! Character devices that need no hardware (`null`, `zero`, `full`,
//! `random`), the serial console over a [`serial::SerialPort`], and `/dev/tty`
//! over a [`tty::ControllingTerminal`].

pub mod memory;
pub mod pty;
pub mod random;
pub mod serial;
pub mod terminal;
pub mod tty;
