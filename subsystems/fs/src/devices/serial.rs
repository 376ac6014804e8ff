//! The serial console (`/dev/console`, `/dev/ttyS0`), raw: bytes in and out
//! with no line discipline yet, except `\n` going out as `\r\n` so a
//! terminal on the other end shows lines.

use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::{Errno, KernelResult};
use spin::Mutex;

use crate::file::File;
use crate::types::PollEvents;
use crate::wait::WaitQueue;

/// A UART as the arch crate drives it.
pub trait SerialPort: Send + Sync {
    /// Sends bytes, waiting for the transmitter as needed.
    fn write_bytes(&self, bytes: &[u8]);
    /// One received byte, if one is waiting.
    fn read_byte(&self) -> Option<u8>;
}

/// The console device. The serial interrupt handler must call
/// `wake_all` on the wait queue given here when a byte arrives.
pub struct SerialConsole {
    port: Arc<dyn SerialPort>,
    waiters: Arc<dyn WaitQueue>,
    /// Bytes taken from the port by `poll` but not yet read.
    pending: Mutex<VecDeque<u8>>,
}

impl SerialConsole {
    /// A console over `port`; readers sleep on `waiters`.
    pub fn new(port: Arc<dyn SerialPort>, waiters: Arc<dyn WaitQueue>) -> SerialConsole {
        SerialConsole {
            port,
            waiters,
            pending: Mutex::new(VecDeque::new()),
        }
    }
}

impl File for SerialConsole {
    fn read(&self, _offset: u64, buf: &mut [u8]) -> KernelResult<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let mut pending = self.pending.lock();
        let mut count = 0;
        while count < buf.len() {
            let Some(byte) = pending.pop_front().or_else(|| self.port.read_byte()) else {
                break;
            };
            buf[count] = byte;
            count += 1;
        }
        if count == 0 {
            Err(Errno::EAGAIN)
        } else {
            Ok(count)
        }
    }

    fn write(&self, _offset: u64, buf: &[u8]) -> KernelResult<usize> {
        if !buf.contains(&b'\n') {
            self.port.write_bytes(buf);
            return Ok(buf.len());
        }
        let mut translated = Vec::with_capacity(buf.len() + 8);
        for &byte in buf {
            if byte == b'\n' {
                translated.push(b'\r');
            }
            translated.push(byte);
        }
        self.port.write_bytes(&translated);
        Ok(buf.len())
    }

    fn poll(&self) -> PollEvents {
        let mut pending = self.pending.lock();
        if pending.is_empty() {
            if let Some(byte) = self.port.read_byte() {
                pending.push_back(byte);
            }
        }
        let mut events = PollEvents::POLLOUT | PollEvents::POLLWRNORM;
        if !pending.is_empty() {
            events |= PollEvents::POLLIN | PollEvents::POLLRDNORM;
        }
        events
    }

    fn wait_queue(&self) -> Option<Arc<dyn WaitQueue>> {
        Some(self.waiters.clone())
    }
}
