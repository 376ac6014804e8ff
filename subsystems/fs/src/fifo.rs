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
/// unless non-blocking. `EINTR` if a signal cuts the wait short. An
/// anonymous pipe (`pipe(2)`'s, opened through `/proc/<pid>/fd`) opens at
/// once in any mode, as on Linux: its other end is open or gone for good.
pub fn open_fifo(pipe: &Arc<Pipe>, flags: OpenFlags) -> KernelResult<Arc<dyn File>> {
    let access = flags.access_mode().ok_or(Errno::EINVAL)?;
    let nonblocking = flags.contains(OpenFlags::O_NONBLOCK) || pipe.is_anonymous();
    match (access.readable(), access.writable()) {
        (true, true) => Ok(Arc::new(FifoBothEnds {
            reader: pipe.open_reader().0,
            writer: pipe.open_writer().0,
        })),
        (true, false) => {
            let (reader, (_, writers_closed)) = pipe.open_reader();
            if !nonblocking {
                // A writer open when this reader opened, or one since (even
                // if it closed again by now).
                wait_for(pipe, |(_, writers_opened)| writers_opened > writers_closed)?;
            }
            Ok(reader)
        }
        (false, true) => {
            if nonblocking && !pipe.is_anonymous() && pipe.ends().0 == 0 {
                return Err(Errno::ENXIO);
            }
            let (writer, (readers_closed, _)) = pipe.open_writer();
            if !nonblocking {
                wait_for(pipe, |(readers_opened, _)| readers_opened > readers_closed)?;
            }
            Ok(writer)
        }
        (false, false) => Err(Errno::EINVAL),
    }
}

/// Sleeps on the pipe until `ready(ends ever opened)`.
fn wait_for(pipe: &Pipe, ready: impl Fn((u64, u64)) -> bool) -> KernelResult<()> {
    loop {
        let seen = pipe.waiters().event_count();
        if ready(pipe.opens()) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::file::File;
    use std::sync::Mutex;

    /// A queue on which a wait would last forever (`EAGAIN` stands for
    /// it), and whose first wake runs `on_wake`: what another CPU does
    /// right after this open made its end.
    #[derive(Default)]
    struct OtherCpu {
        on_wake: Mutex<Option<Arc<dyn File>>>,
    }

    impl WaitQueue for OtherCpu {
        fn wake_all(&self) {
            // The partner closes its end (taken out first: its close wakes
            // this queue again).
            let partner = self.on_wake.lock().unwrap().take();
            drop(partner);
        }

        fn wait_for_event(&self, _seen: u64, _interruptible: bool) -> KernelResult<()> {
            Err(Errno::EAGAIN)
        }
    }

    #[test]
    fn a_reader_sees_a_writer_that_closes_right_after_the_readers_open() {
        // The writer is open (it waits for a reader); the reader's open
        // lets it go, and it writes and closes before the reader looks:
        // the reader must not wait for another writer.
        let queue = Arc::new(OtherCpu::default());
        let pipe = Pipe::named(queue.clone(), 1);
        let (writer, _) = pipe.open_writer();
        *queue.on_wake.lock().unwrap() = Some(writer);
        let reader = open_fifo(&pipe, OpenFlags::empty());
        assert!(reader.is_ok(), "{:?}", reader.err());
        assert_eq!(pipe.ends(), (1, 0));
    }

    #[test]
    fn a_writer_sees_a_reader_that_closes_right_after_the_writers_open() {
        let queue = Arc::new(OtherCpu::default());
        let pipe = Pipe::named(queue.clone(), 1);
        let (reader, _) = pipe.open_reader();
        *queue.on_wake.lock().unwrap() = Some(reader);
        let writer = open_fifo(&pipe, OpenFlags::O_WRONLY);
        assert!(writer.is_ok(), "{:?}", writer.err());
    }

    #[test]
    fn an_open_waits_while_no_partner_came() {
        let queue = Arc::new(OtherCpu::default());
        let pipe = Pipe::named(queue, 1);
        // A writer that came and went before this open does not count.
        drop(pipe.open_writer());
        assert_eq!(
            open_fifo(&pipe, OpenFlags::empty()).err(),
            Some(Errno::EAGAIN)
        );
        assert_eq!(
            open_fifo(&pipe, OpenFlags::O_WRONLY).err(),
            Some(Errno::EAGAIN)
        );
    }
}
