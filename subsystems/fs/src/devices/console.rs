//! The console terminals: a terminal over a [`ConsolePort`], which is a
//! UART (`/dev/ttyS0`) or a screen with a keyboard (`/dev/tty1`); one of
//! them is `/dev/console`. Received bytes go through the line discipline
//! ([`ConsoleTerminal::receive_input`], from thread context), which echoes
//! and says which signals the foreground group gets; programs read what
//! it cooked, and what they write is output-processed (`ONLCR`, ...).

use alloc::sync::Arc;
use alloc::vec::Vec;

use ::tty::{JobSignal, ReadOutcome};
use abi::{Errno, KernelResult};

use crate::devices::terminal::Terminal;
use crate::file::File;
use crate::types::PollEvents;
use crate::wait::WaitQueue;

/// The hardware end of a console: a UART, or a screen and a keyboard.
pub trait ConsolePort: Send + Sync {
    /// Sends bytes (to the line, or draws them), waiting as needed.
    fn write_bytes(&self, bytes: &[u8]);
    /// One received byte (from the line, or typed), if one is waiting.
    fn read_byte(&self) -> Option<u8>;
}

/// A console terminal device.
pub struct ConsoleTerminal {
    port: Arc<dyn ConsolePort>,
    waiters: Arc<dyn WaitQueue>,
    terminal: Terminal,
}

impl ConsoleTerminal {
    /// A console over `port`; readers sleep on `waiters`.
    pub fn new(port: Arc<dyn ConsolePort>, waiters: Arc<dyn WaitQueue>) -> ConsoleTerminal {
        ConsoleTerminal {
            port,
            waiters,
            terminal: Terminal::new(),
        }
    }

    /// Sets the window size the terminal reports (a screen's text size).
    pub fn with_window_size(self, cols: u16, rows: u16) -> ConsoleTerminal {
        self.terminal.jobs.lock().set_window(abi::WinSize {
            rows,
            cols,
            ..abi::WinSize::default()
        });
        self
    }

    /// Runs every byte the port received through the line discipline:
    /// echoes, wakes readers, and returns the signals for the foreground
    /// group with that group (the kernel sends them; this runs in thread
    /// context, never in the interrupt handler).
    pub fn receive_input(&self) -> Vec<(JobSignal, i32)> {
        let mut signals = Vec::new();
        let mut readable = false;
        while let Some(byte) = self.port.read_byte() {
            let input = self.terminal.line.lock().receive(byte);
            if !input.echo.is_empty() {
                self.port.write_bytes(&input.echo);
            }
            readable |= input.readable;
            if let Some(signal) = input.signal {
                if let Some(group) = self.terminal.jobs.lock().foreground() {
                    signals.push((signal, group));
                }
                // A flushed line may have woken nobody; readers re-check.
                readable = true;
            }
        }
        if readable {
            self.waiters.wake_all();
        }
        signals
    }
}

impl File for ConsoleTerminal {
    fn read(&self, _offset: u64, buf: &mut [u8]) -> KernelResult<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let mut line = self.terminal.line.lock();
        match line.read(buf) {
            ReadOutcome::Data(n) => Ok(n),
            ReadOutcome::EndOfFile => Ok(0),
            // VMIN 0 VTIME 0: a read returns at once. Other VMIN/VTIME
            // waits are the reader's (`tty::LineDiscipline::read_wait`).
            ReadOutcome::Empty if !line.canonical() && line.min_and_time() == (0, 0) => Ok(0),
            ReadOutcome::Empty => Err(Errno::EAGAIN),
        }
    }

    fn write(&self, _offset: u64, buf: &[u8]) -> KernelResult<usize> {
        let out = self.terminal.line.lock().output(buf);
        self.port.write_bytes(&out);
        Ok(buf.len())
    }

    fn poll(&self) -> PollEvents {
        let mut events = PollEvents::POLLOUT | PollEvents::POLLWRNORM;
        if self.terminal.line.lock().readable() {
            events |= PollEvents::POLLIN | PollEvents::POLLRDNORM;
        }
        events
    }

    fn terminal(&self) -> Option<&Terminal> {
        Some(&self.terminal)
    }

    fn wait_queue(&self) -> Option<Arc<dyn WaitQueue>> {
        Some(self.waiters.clone())
    }
}
