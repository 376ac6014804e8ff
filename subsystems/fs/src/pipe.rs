//! Anonymous pipes: a bounded byte queue with a read end and a write end.
//!
//! Neither end blocks: an operation that would block returns `EAGAIN` and
//! the caller sleeps on the pipe's [`WaitQueue`] (woken after every change)
//! and retries, unless the description is `O_NONBLOCK`. Retrying gives Linux's
//! semantics: a write of at most `PIPE_BUF` bytes goes in whole or not at all;
//! a larger one writes what fits and the caller loops on the rest. A write
//! with no reader left returns `EPIPE`, and the caller also raises `SIGPIPE`
//! ([`raises_sigpipe`]). A read with no writer left and nothing buffered
//! returns 0 (end of file).
//!
//! Lock: one mutex per pipe around the buffer and the end counts; the wait
//! queue is woken after it is released. A read of an empty pipe with a
//! writer left (every blocking reader's first attempt) says `EAGAIN`
//! without the lock, from two counts the lock's holders publish before
//! they wake the queue, so a reader that read the queue's event count
//! first either sees the change or is woken by it.

use core::sync::atomic::{AtomicUsize, Ordering};

use alloc::collections::VecDeque;
use alloc::sync::Arc;

use abi::{Errno, KernelResult};
use lock::Mutex;

use crate::description::FileDescription;
use crate::file::File;
use crate::inode::Owner;
use crate::types::{OpenFlags, PIPE_BUF, PollEvents, Stat, mode};
use crate::wait::WaitQueue;

/// Bytes a pipe holds before writers must wait (Linux's default, 16 pages).
pub const PIPE_CAPACITY: usize = 64 * 1024;

/// The largest capacity an unprivileged `F_SETPIPE_SZ` may ask for
/// (Linux's `/proc/sys/fs/pipe-max-size` default, 1 MiB).
pub const PIPE_MAX_SIZE: usize = 1 << 20;

/// Whether a write that failed with `errno` must also send `SIGPIPE` to the
/// writing thread (it must for `EPIPE`, as Linux does).
pub fn raises_sigpipe(errno: Errno) -> bool {
    errno == Errno::EPIPE
}

struct Buffer {
    bytes: VecDeque<u8>,
    /// Bytes held before writers wait (`F_SETPIPE_SZ`).
    capacity: usize,
    readers: usize,
    writers: usize,
    /// How many read and write ends were ever opened (a FIFO's opener
    /// waits for the other side to have opened, even if it closed since).
    opens: (u64, u64),
}

/// The shared state of one pipe.
pub struct Pipe {
    buffer: Mutex<Buffer>,
    /// `buffer`'s byte and writer counts as of its last change.
    published_len: AtomicUsize,
    published_writers: AtomicUsize,
    waiters: Arc<dyn WaitQueue>,
    /// Its inode number on the (virtual) pipe file system, chosen by the
    /// caller so each live pipe has its own (`/proc/<pid>/fd` shows
    /// `pipe:[ino]`).
    ino: u64,
    /// Who made it (`pipe(2)`'s caller; a FIFO's node has its own owner).
    owner: Owner,
    /// Made by `pipe(2)`, not a FIFO's: its ends exist from the start, so
    /// an open through `/proc/<pid>/fd` never waits for a partner.
    anonymous: bool,
}

/// The device number pipes report, as Linux's pipefs (an anonymous device).
pub const PIPE_DEVICE: u64 = 12;

impl Pipe {
    fn wake(&self) {
        self.waiters.wake_all();
    }

    /// Wakes after a read or write: the other end's thread is likely to
    /// answer while this one waits for it, so they may share a CPU
    /// (Linux's pipes wake with `WF_SYNC` too).
    fn wake_sync(&self) {
        self.waiters.wake_all_sync();
    }

    /// Publishes `buffer`'s counts; called under the lock after every
    /// change to them, before the wake.
    fn publish(&self, buffer: &Buffer) {
        self.published_len
            .store(buffer.bytes.len(), Ordering::Release);
        self.published_writers
            .store(buffer.writers, Ordering::Release);
    }

    /// Whether the pipe was empty with a writer left when last changed.
    fn seems_empty_with_writers(&self) -> bool {
        self.published_len.load(Ordering::Acquire) == 0
            && self.published_writers.load(Ordering::Acquire) != 0
    }

    fn new(
        buffer: Buffer,
        waiters: Arc<dyn WaitQueue>,
        ino: u64,
        owner: Owner,
        anonymous: bool,
    ) -> Arc<Pipe> {
        let pipe = Pipe {
            published_len: AtomicUsize::new(0),
            published_writers: AtomicUsize::new(buffer.writers),
            buffer: Mutex::new(buffer),
            waiters,
            ino,
            owner,
            anonymous,
        };
        Arc::new(pipe)
    }

    /// Whether `pipe(2)` made it (see [`open_fifo`](crate::fifo::open_fifo)).
    pub fn is_anonymous(&self) -> bool {
        self.anonymous
    }

    /// Bytes buffered now.
    pub fn len(&self) -> usize {
        self.buffer.lock().bytes.len()
    }

    /// Whether nothing is buffered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes a write could add now without waiting.
    pub fn space(&self) -> usize {
        let buffer = self.buffer.lock();
        buffer.capacity.saturating_sub(buffer.bytes.len())
    }

    /// The capacity (`F_GETPIPE_SZ`).
    pub fn capacity(&self) -> usize {
        self.buffer.lock().capacity
    }

    /// `F_SETPIPE_SZ`: rounds `size` up to a power-of-two number of pages
    /// (at least one); `EPERM` past [`PIPE_MAX_SIZE`] unless `privileged`,
    /// `EBUSY` if fewer bytes than are buffered. The capacity set.
    pub fn set_capacity(&self, size: usize, privileged: bool) -> KernelResult<usize> {
        const PAGE: usize = 4096;
        let pages = size.div_ceil(PAGE).max(1);
        let capacity = pages
            .checked_next_power_of_two()
            .and_then(|pages| pages.checked_mul(PAGE))
            .ok_or(Errno::EINVAL)?;
        if capacity > PIPE_MAX_SIZE && !privileged {
            return Err(Errno::EPERM);
        }
        // A bound on kernel memory even for root.
        if capacity > 1 << 30 {
            return Err(Errno::EINVAL);
        }
        {
            let mut buffer = self.buffer.lock();
            if buffer.bytes.len() > capacity {
                return Err(Errno::EBUSY);
            }
            buffer.capacity = capacity;
        }
        self.wake();
        Ok(capacity)
    }

    /// Copies buffered bytes into `buf` without consuming them (`tee`,
    /// and `splice`, which consumes only what its output took): 0 at end
    /// of file, `EAGAIN` while empty with a writer left.
    pub fn peek(&self, buf: &mut [u8]) -> KernelResult<usize> {
        let buffer = self.buffer.lock();
        if buffer.bytes.is_empty() {
            return if buffer.writers == 0 || buf.is_empty() {
                Ok(0)
            } else {
                Err(Errno::EAGAIN)
            };
        }
        let count = buf.len().min(buffer.bytes.len());
        for (slot, byte) in buf.iter_mut().zip(buffer.bytes.iter()) {
            *slot = *byte;
        }
        Ok(count)
    }

    /// Drops the first `count` buffered bytes, after [`Pipe::peek`]
    /// showed them, and wakes writers.
    pub fn consume(&self, count: usize) {
        {
            let mut buffer = self.buffer.lock();
            let count = count.min(buffer.bytes.len());
            buffer.bytes.drain(..count);
            self.publish(&buffer);
        }
        self.wake();
    }

    /// Its status as `fstat` reports it for either end.
    pub fn stat(&self) -> Stat {
        Stat {
            dev: PIPE_DEVICE,
            ino: self.ino,
            mode: mode::S_IFIFO | 0o600,
            nlink: 1,
            uid: self.owner.uid,
            gid: self.owner.gid,
            blksize: PIPE_BUF as i64,
            ..Stat::default()
        }
    }
}

/// The read end; dropping the last description holding it closes the end.
pub struct PipeReader(Arc<Pipe>);

/// The write end; dropping the last description holding it closes the end.
pub struct PipeWriter(Arc<Pipe>);

/// A new pipe with both ends open; `waiters` is woken on every change;
/// `ino` is its inode number, `owner` its maker (what `fstat` reports).
pub fn pipe(
    waiters: Arc<dyn WaitQueue>,
    ino: u64,
    owner: Owner,
) -> (Arc<PipeReader>, Arc<PipeWriter>) {
    let pipe = Pipe::new(
        Buffer {
            bytes: VecDeque::new(),
            capacity: PIPE_CAPACITY,
            readers: 1,
            writers: 1,
            opens: (1, 1),
        },
        waiters,
        ino,
        owner,
        true,
    );
    (
        Arc::new(PipeReader(pipe.clone())),
        Arc::new(PipeWriter(pipe)),
    )
}

/// `pipe2`: two descriptions, read end first. `flags` may hold `O_NONBLOCK`,
/// `O_CLOEXEC` (for the caller's fd table) and `O_DIRECT`; else `EINVAL`.
/// `ino` is the pipe's inode number (the caller keeps them unique),
/// `owner` the caller's file-system ids.
pub fn create_pipe(
    waiters: Arc<dyn WaitQueue>,
    flags: OpenFlags,
    ino: u64,
    owner: Owner,
) -> KernelResult<(Arc<FileDescription>, Arc<FileDescription>)> {
    let allowed = OpenFlags::O_NONBLOCK | OpenFlags::O_CLOEXEC | OpenFlags::O_DIRECT;
    if !allowed.contains(flags) {
        return Err(Errno::EINVAL);
    }
    let status = flags & (OpenFlags::O_NONBLOCK | OpenFlags::O_DIRECT);
    let (reader, writer) = pipe(waiters, ino, owner);
    let read_end = FileDescription::new(reader, None, status)?;
    let write_end = FileDescription::new(writer, None, status | OpenFlags::O_WRONLY)?;
    Ok((read_end, write_end))
}

impl Pipe {
    /// A pipe with no end open yet: a FIFO's, whose ends come and go with
    /// `open` ([`Pipe::open_reader`], [`Pipe::open_writer`]).
    pub fn named(waiters: Arc<dyn WaitQueue>, ino: u64) -> Arc<Pipe> {
        Pipe::new(
            Buffer {
                bytes: VecDeque::new(),
                capacity: PIPE_CAPACITY,
                readers: 0,
                writers: 0,
                opens: (0, 0),
            },
            waiters,
            ino,
            Owner::default(),
            false,
        )
    }

    /// A new read end (an `open` of the FIFO for reading), with how many
    /// read and write ends had opened and closed again by the moment it
    /// opened (see [`Pipe::opens`]).
    pub fn open_reader(self: &Arc<Self>) -> (Arc<PipeReader>, (u64, u64)) {
        let closed = self.add_ends(1, 0);
        (Arc::new(PipeReader(self.clone())), closed)
    }

    /// A new write end (an `open` of the FIFO for writing), with the
    /// counts [`Pipe::open_reader`] gives.
    pub fn open_writer(self: &Arc<Self>) -> (Arc<PipeWriter>, (u64, u64)) {
        let closed = self.add_ends(0, 1);
        (Arc::new(PipeWriter(self.clone())), closed)
    }

    /// Adds ends; returns the ends of each kind already closed again, read
    /// in the same step: an open waiting for its partner compares
    /// [`Pipe::opens`] with it, and a partner that opens and closes between
    /// this open and that check is still seen.
    fn add_ends(&self, readers: usize, writers: usize) -> (u64, u64) {
        let closed = {
            let mut buffer = self.buffer.lock();
            // A FIFO nobody had open starts empty, as on Linux.
            if buffer.readers == 0 && buffer.writers == 0 {
                buffer.bytes.clear();
            }
            buffer.readers += readers;
            buffer.writers += writers;
            buffer.opens.0 += readers as u64;
            buffer.opens.1 += writers as u64;
            self.publish(&buffer);
            (
                buffer.opens.0 - buffer.readers as u64,
                buffer.opens.1 - buffer.writers as u64,
            )
        };
        self.wake();
        closed
    }

    /// How many read and write ends are open.
    pub fn ends(&self) -> (usize, usize) {
        let buffer = self.buffer.lock();
        (buffer.readers, buffer.writers)
    }

    /// How many read and write ends were ever opened.
    pub fn opens(&self) -> (u64, u64) {
        self.buffer.lock().opens
    }

    /// The queue woken on every change (an open waiting for its partner
    /// sleeps on it).
    pub fn waiters(&self) -> &Arc<dyn WaitQueue> {
        &self.waiters
    }
}

impl PipeReader {
    /// The pipe this end belongs to.
    pub fn pipe(&self) -> &Arc<Pipe> {
        &self.0
    }
}

impl PipeWriter {
    /// The pipe this end belongs to.
    pub fn pipe(&self) -> &Arc<Pipe> {
        &self.0
    }
}

impl Drop for PipeReader {
    fn drop(&mut self) {
        self.0.buffer.lock().readers -= 1;
        self.0.wake();
    }
}

impl Drop for PipeWriter {
    fn drop(&mut self) {
        {
            let mut buffer = self.0.buffer.lock();
            buffer.writers -= 1;
            self.0.publish(&buffer);
        }
        self.0.wake();
    }
}

impl File for PipeReader {
    fn pipe(&self) -> Option<&Arc<Pipe>> {
        Some(&self.0)
    }

    fn read(&self, _offset: u64, buf: &mut [u8]) -> KernelResult<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.0.seems_empty_with_writers() {
            return Err(Errno::EAGAIN);
        }
        let read = {
            let mut buffer = self.0.buffer.lock();
            if buffer.bytes.is_empty() {
                return if buffer.writers == 0 {
                    Ok(0)
                } else {
                    Err(Errno::EAGAIN)
                };
            }
            let count = buf.len().min(buffer.bytes.len());
            for (slot, byte) in buf.iter_mut().zip(buffer.bytes.drain(..count)) {
                *slot = byte;
            }
            self.0.publish(&buffer);
            count
        };
        self.0.wake_sync();
        Ok(read)
    }

    /// Back at the front, ahead of anything written since (the capacity
    /// may be passed for a moment): a lone reader reads on in order.
    fn unread(&self, bytes: &[u8]) -> bool {
        {
            let mut buffer = self.0.buffer.lock();
            for &byte in bytes.iter().rev() {
                buffer.bytes.push_front(byte);
            }
            self.0.publish(&buffer);
        }
        self.0.wake();
        true
    }

    fn poll(&self) -> PollEvents {
        let buffer = self.0.buffer.lock();
        let mut events = PollEvents::empty();
        if !buffer.bytes.is_empty() {
            events |= PollEvents::POLLIN | PollEvents::POLLRDNORM;
        }
        if buffer.writers == 0 {
            events |= PollEvents::POLLHUP;
        }
        events
    }

    fn stat(&self) -> KernelResult<Stat> {
        Ok(self.0.stat())
    }

    fn wait_queue(&self) -> Option<Arc<dyn WaitQueue>> {
        Some(self.0.waiters.clone())
    }
}

impl File for PipeWriter {
    fn pipe(&self) -> Option<&Arc<Pipe>> {
        Some(&self.0)
    }

    fn write(&self, _offset: u64, buf: &[u8]) -> KernelResult<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let written = {
            let mut buffer = self.0.buffer.lock();
            if buffer.readers == 0 {
                return Err(Errno::EPIPE);
            }
            let space = buffer.capacity.saturating_sub(buffer.bytes.len());
            // Small writes are atomic: all of it fits, or none is written.
            let needed = if buf.len() <= PIPE_BUF { buf.len() } else { 1 };
            if space < needed {
                return Err(Errno::EAGAIN);
            }
            let count = buf.len().min(space);
            buffer.bytes.extend(&buf[..count]);
            self.0.publish(&buffer);
            count
        };
        self.0.wake_sync();
        Ok(written)
    }

    fn poll(&self) -> PollEvents {
        let buffer = self.0.buffer.lock();
        let mut events = PollEvents::empty();
        if buffer.capacity.saturating_sub(buffer.bytes.len()) >= PIPE_BUF {
            events |= PollEvents::POLLOUT | PollEvents::POLLWRNORM;
        }
        if buffer.readers == 0 {
            events |= PollEvents::POLLERR;
        }
        events
    }

    fn stat(&self) -> KernelResult<Stat> {
        Ok(self.0.stat())
    }

    fn wait_queue(&self) -> Option<Arc<dyn WaitQueue>> {
        Some(self.0.waiters.clone())
    }
}
