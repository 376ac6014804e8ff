//! FIFOs (named pipes): a pipe that lives with a file-system node, its
//! ends made by `open`. Opening one end blocks until the other is open
//! (`O_NONBLOCK`: a reader opens at once, a writer without a reader gets
//! `ENXIO`); opening for both reads and writes never blocks (Linux allows
//! it). Data left when the last end closes is dropped.

use alloc::sync::Arc;

use abi::{Errno, KernelResult};

use crate::file::File;
use crate::pipe::{Pipe, PipeReader, PipeWriter};
use crate::types::{OpenFlags, PollEvents, Stat};
use crate::wait::WaitQueue;

/// Opens `pipe` (a FIFO's) as `flags` say, waiting for the other end
/// unless non-blocking. `EINTR` if a signal cuts the wait short.
pub fn open_fifo(pipe: &Arc<Pipe>, flags: OpenFlags) -> KernelResult<Arc<dyn File>> {
    let access = flags.access_mode().ok_or(Errno::EINVAL)?;
    let nonblocking = flags.contains(OpenFlags::O_NONBLOCK);
    match (access.readable(), access.writable()) {
        (true, true) => Ok(Arc::new(FifoBothEnds {
            reader: pipe.open_reader(),
            writer: pipe.open_writer(),
        })),
        (true, false) => {
            let writers_before = pipe.opens().1;
            let reader = pipe.open_reader();
            if !nonblocking {
                // A writer that opened (even one that closed since).
                wait_for(pipe, |(_, writers), (_, opened)| {
                    writers > 0 || opened != writers_before
                })?;
            }
            Ok(reader)
        }
        (false, true) => {
            if nonblocking && pipe.ends().0 == 0 {
                return Err(Errno::ENXIO);
            }
            let readers_before = pipe.opens().0;
            let writer = pipe.open_writer();
            if !nonblocking {
                wait_for(pipe, |(readers, _), (opened, _)| {
                    readers > 0 || opened != readers_before
                })?;
            }
            Ok(writer)
        }
        (false, false) => Err(Errno::EINVAL),
    }
}

/// Sleeps on the pipe until `ready(ends open, ends ever opened)`.
fn wait_for(pipe: &Pipe, ready: impl Fn((usize, usize), (u64, u64)) -> bool) -> KernelResult<()> {
    loop {
        let seen = pipe.waiters().event_count();
        if ready(pipe.ends(), pipe.opens()) {
            return Ok(());
        }
        pipe.waiters().wait_for_event(seen, true)?;
    }
}

/// A FIFO opened `O_RDWR`: both ends in one file.
struct FifoBothEnds {
    reader: Arc<PipeReader>,
    writer: Arc<PipeWriter>,
}

impl File for FifoBothEnds {
    fn pipe(&self) -> Option<&Arc<Pipe>> {
        Some(self.reader.pipe())
    }

    fn read(&self, offset: u64, buf: &mut [u8]) -> KernelResult<usize> {
        self.reader.read(offset, buf)
    }

    fn write(&self, offset: u64, buf: &[u8]) -> KernelResult<usize> {
        self.writer.write(offset, buf)
    }

    fn poll(&self) -> PollEvents {
        self.reader.poll() | self.writer.poll()
    }

    fn stat(&self) -> KernelResult<Stat> {
        self.reader.stat()
    }

    fn wait_queue(&self) -> Option<Arc<dyn WaitQueue>> {
        self.reader.wait_queue()
    }
}
