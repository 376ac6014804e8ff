//! Pipes: capacity, atomicity, EOF, EPIPE and blocking through a fake
//! scheduler wait queue.

mod common;

use std::sync::{Arc, Condvar, Mutex};
use std::thread;

use abi::Errno;
use common::{CountingWaitQueue, WakeKinds};
use fs::pipe::{PIPE_CAPACITY, create_pipe, raises_sigpipe};
use fs::types::PIPE_BUF;
use fs::{FileDescription, OpenFlags, Owner, PollEvents, WaitQueue};

/// A wait queue threads really sleep on: a generation counter and a condvar,
/// as a scheduler would use (check, sleep until woken, retry).
#[derive(Default)]
struct CondvarQueue {
    generation: Mutex<u64>,
    woken: Condvar,
}

impl WaitQueue for CondvarQueue {
    fn wake_all(&self) {
        *self.generation.lock().unwrap() += 1;
        self.woken.notify_all();
    }
}

impl CondvarQueue {
    /// What the syscall layer does for a blocking description: retry `op`
    /// until it stops returning EAGAIN, sleeping between attempts.
    fn block_on<T>(&self, mut op: impl FnMut() -> Result<T, Errno>) -> Result<T, Errno> {
        loop {
            let seen = *self.generation.lock().unwrap();
            match op() {
                Err(Errno::EAGAIN) => {
                    let guard = self.generation.lock().unwrap();
                    let _guard = self.woken.wait_while(guard, |g| *g == seen).unwrap();
                }
                other => return other,
            }
        }
    }

    fn write_all(&self, file: &FileDescription, mut data: &[u8]) -> Result<usize, Errno> {
        let total = data.len();
        while !data.is_empty() {
            let n = self.block_on(|| file.write(data))?;
            data = &data[n..];
        }
        Ok(total)
    }
}

fn pipe_pair() -> (
    Arc<FileDescription>,
    Arc<FileDescription>,
    Arc<CountingWaitQueue>,
) {
    let queue = Arc::new(CountingWaitQueue::default());
    let (r, w) = create_pipe(queue.clone(), OpenFlags::empty(), 7, Owner::default()).unwrap();
    (r, w, queue)
}

#[test]
fn reads_and_writes_wake_the_other_end_as_sync_wakes_and_closes_do_not() {
    let queue = Arc::new(WakeKinds::default());
    let (r, w) = create_pipe(queue.clone(), OpenFlags::empty(), 7, Owner::default()).unwrap();
    assert_eq!(w.write(b"ping").unwrap(), 4);
    assert_eq!(queue.counts(), (0, 1));
    let mut buf = [0u8; 4];
    assert_eq!(r.read(&mut buf).unwrap(), 4);
    assert_eq!(queue.counts(), (0, 2));
    // A closing end does not wait for an answer: a plain wake.
    drop(w);
    assert_eq!(queue.counts(), (1, 2));
    assert_eq!(r.read(&mut buf).unwrap(), 0);
}

#[test]
fn bytes_come_out_in_order_and_each_change_wakes_waiters() {
    let (r, w, queue) = pipe_pair();
    assert_eq!(w.write(b"hello ").unwrap(), 6);
    assert_eq!(w.write(b"world").unwrap(), 5);
    assert_eq!(queue.wakes(), 2);
    let mut buf = [0u8; 8];
    assert_eq!(r.read(&mut buf).unwrap(), 8);
    assert_eq!(&buf, b"hello wo");
    assert_eq!(r.read(&mut buf).unwrap(), 3);
    assert_eq!(queue.wakes(), 4);
}

#[test]
fn empty_pipe_with_a_writer_would_block_and_without_one_is_eof() {
    let (r, w, queue) = pipe_pair();
    assert_eq!(r.read(&mut [0u8; 4]).unwrap_err(), Errno::EAGAIN);
    assert!(r.wait_queue().is_some());
    drop(w);
    assert_eq!(queue.wakes(), 1, "closing the write end wakes readers");
    assert_eq!(r.read(&mut [0u8; 4]).unwrap(), 0);
    assert_eq!(r.poll(), PollEvents::POLLHUP);
}

#[test]
fn writing_with_no_reader_is_epipe_which_raises_sigpipe() {
    let (r, w, _) = pipe_pair();
    drop(r);
    let err = w.write(b"x").unwrap_err();
    assert_eq!(err, Errno::EPIPE);
    assert!(raises_sigpipe(err));
    assert!(!raises_sigpipe(Errno::EAGAIN));
    assert!(w.poll().contains(PollEvents::POLLERR));
}

#[test]
fn capacity_is_64_kib_and_small_writes_are_all_or_nothing() {
    let (r, w, _) = pipe_pair();
    let block = vec![7u8; PIPE_CAPACITY - 100];
    assert_eq!(w.write(&block).unwrap(), PIPE_CAPACITY - 100);
    assert!(!w.poll().contains(PollEvents::POLLOUT));
    assert_eq!(
        w.write(&[1u8; 200]).unwrap_err(),
        Errno::EAGAIN,
        "atomic write does not fit"
    );
    assert_eq!(w.write(&[1u8; 100]).unwrap(), 100);
    assert_eq!(w.write(&[1u8; 1]).unwrap_err(), Errno::EAGAIN);
    let mut buf = vec![0u8; PIPE_BUF];
    assert_eq!(r.read(&mut buf).unwrap(), PIPE_BUF);
    assert!(w.poll().contains(PollEvents::POLLOUT));
    assert_eq!(w.write(&vec![2u8; PIPE_BUF]).unwrap(), PIPE_BUF);
}

#[test]
fn large_writes_may_be_partial() {
    let (r, w, _) = pipe_pair();
    w.write(&vec![0u8; PIPE_CAPACITY - 10]).unwrap();
    assert_eq!(w.write(&vec![1u8; PIPE_BUF + 1]).unwrap(), 10);
    assert!(r.poll().contains(PollEvents::POLLIN));
}

#[test]
fn pipe2_flags_are_checked_and_nonblock_is_shared_status() {
    let queue = Arc::new(CountingWaitQueue::default());
    assert_eq!(
        create_pipe(queue.clone(), OpenFlags::O_APPEND, 7, Owner::default()).unwrap_err(),
        Errno::EINVAL
    );
    let (r, w) = create_pipe(
        queue,
        OpenFlags::O_NONBLOCK | OpenFlags::O_CLOEXEC,
        7,
        Owner::default(),
    )
    .unwrap();
    assert!(r.is_nonblocking() && w.is_nonblocking());
    assert_eq!(r.status_flags(), OpenFlags::O_NONBLOCK);
    assert_eq!(
        w.status_flags(),
        OpenFlags::O_WRONLY | OpenFlags::O_NONBLOCK
    );
    assert_eq!(r.write(b"x").unwrap_err(), Errno::EBADF);
    assert_eq!(r.stat().unwrap().mode & 0o170000, 0o010000);
}

#[test]
fn a_blocked_reader_wakes_when_a_writer_writes_and_sees_eof_after_close() {
    let queue = Arc::new(CondvarQueue::default());
    let (r, w) = create_pipe(queue.clone(), OpenFlags::empty(), 7, Owner::default()).unwrap();
    let reader_queue = queue.clone();
    let reader = thread::spawn(move || {
        let mut got = Vec::new();
        let mut buf = [0u8; 3];
        loop {
            let n = reader_queue.block_on(|| r.read(&mut buf)).unwrap();
            if n == 0 {
                return got;
            }
            got.extend_from_slice(&buf[..n]);
        }
    });
    for chunk in [&b"one "[..], b"two ", b"three"] {
        queue.write_all(&w, chunk).unwrap();
        thread::yield_now();
    }
    drop(w);
    assert_eq!(reader.join().unwrap(), b"one two three");
}

#[test]
fn a_blocked_writer_of_a_megabyte_finishes_as_the_reader_drains() {
    let queue = Arc::new(CondvarQueue::default());
    let (r, w) = create_pipe(queue.clone(), OpenFlags::empty(), 7, Owner::default()).unwrap();
    let data: Vec<u8> = (0..1_048_576u32).map(|i| (i % 251) as u8).collect();
    let expected = data.clone();
    let writer_queue = queue.clone();
    let writer = thread::spawn(move || writer_queue.write_all(&w, &data));
    let mut got = Vec::new();
    let mut buf = vec![0u8; 10_000];
    loop {
        let n = queue.block_on(|| r.read(&mut buf)).unwrap();
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(writer.join().unwrap(), Ok(1_048_576));
    assert_eq!(got, expected);
}

#[test]
fn atomic_writes_from_two_writers_never_interleave() {
    let queue = Arc::new(CondvarQueue::default());
    let (r, w) = create_pipe(queue.clone(), OpenFlags::empty(), 7, Owner::default()).unwrap();
    let writers: Vec<_> = [b'a', b'b']
        .into_iter()
        .map(|byte| {
            let (w, queue) = (w.clone(), queue.clone());
            thread::spawn(move || {
                for _ in 0..64 {
                    queue.write_all(&w, &[byte; PIPE_BUF]).unwrap();
                }
            })
        })
        .collect();
    drop(w);
    let mut got = Vec::new();
    let mut buf = vec![0u8; 1000];
    loop {
        let n = queue.block_on(|| r.read(&mut buf)).unwrap();
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    for writer in writers {
        writer.join().unwrap();
    }
    assert_eq!(got.len(), 2 * 64 * PIPE_BUF);
    for chunk in got.chunks(PIPE_BUF) {
        assert!(
            chunk.iter().all(|&b| b == chunk[0]),
            "a PIPE_BUF write was split"
        );
    }
}

#[test]
fn peek_shows_without_taking_and_consume_takes() {
    let (reader, writer) = create_pipe(
        Arc::new(CountingWaitQueue::default()),
        OpenFlags::empty(),
        1,
        Owner::default(),
    )
    .unwrap();
    let pipe = reader.file().pipe().unwrap().clone();
    assert!(Arc::ptr_eq(writer.file().pipe().unwrap(), &pipe));
    let mut buf = [0u8; 8];
    assert_eq!(
        pipe.peek(&mut buf),
        Err(Errno::EAGAIN),
        "empty, writer open"
    );
    assert_eq!(writer.write(b"hello").unwrap(), 5);
    assert_eq!(pipe.peek(&mut buf[..3]).unwrap(), 3);
    assert_eq!(&buf[..3], b"hel");
    assert_eq!(pipe.len(), 5, "peeking takes nothing");
    assert_eq!(pipe.space(), PIPE_CAPACITY - 5);
    pipe.consume(2);
    assert_eq!(reader.read(&mut buf).unwrap(), 3);
    assert_eq!(&buf[..3], b"llo");
    drop(writer);
    assert_eq!(pipe.peek(&mut buf).unwrap(), 0, "end of file");
}

#[test]
fn capacity_rounds_to_pages_bounds_writes_and_refuses_shrinking_below_data() {
    let (reader, writer) = create_pipe(
        Arc::new(CountingWaitQueue::default()),
        OpenFlags::O_NONBLOCK,
        1,
        Owner::default(),
    )
    .unwrap();
    let pipe = reader.file().pipe().unwrap().clone();
    assert_eq!(pipe.capacity(), PIPE_CAPACITY);
    assert_eq!(pipe.set_capacity(5000, false), Ok(8192));
    assert_eq!(pipe.set_capacity(0, false), Ok(4096));
    assert_eq!(
        writer.write(&[7u8; 8192]).unwrap(),
        4096,
        "a full page, no more"
    );
    assert_eq!(writer.write(b"x"), Err(Errno::EAGAIN));
    assert_eq!(pipe.set_capacity(2 << 20, false), Err(Errno::EPERM));
    assert_eq!(pipe.set_capacity(2 << 20, true), Ok(2 << 20));
    assert_eq!(pipe.set_capacity(1, true), Ok(4096));
    assert_eq!(writer.write(b"y"), Err(Errno::EAGAIN));
    let mut buf = [0u8; 100];
    assert_eq!(reader.read(&mut buf).unwrap(), 100);
    assert_eq!(pipe.set_capacity(1, false), Ok(4096));
    drop(writer);
}
