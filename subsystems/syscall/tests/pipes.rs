//! Pipes and waiting for descriptors: data order, end-of-file, broken
//! pipes, non-blocking ends, poll and select readiness and timeouts.

use crate::common::*;
use abi::{Errno, IoVec, PollFd, Sysno, Timespec, Timeval};

const POLLIN: i16 = 0x1;
const POLLOUT: i16 = 0x4;
const POLLHUP: i16 = 0x10;
const POLLNVAL: i16 = 0x20;
const F_GETFD: u64 = 1;
const F_GETFL: u64 = 3;

fn pipe(w: &World, flags: u32) -> (i64, i64) {
    let fds = w.alloc(8);
    assert_eq!(w.call(Sysno::Pipe2, &[fds, flags as u64]), 0);
    let [r, w_] = w.get::<[i32; 2]>(fds);
    (r as i64, w_ as i64)
}

fn poll(w: &World, entries: &[(i64, i16)], timeout_ms: i32) -> (i64, Vec<i16>) {
    let fds: Vec<PollFd> = entries
        .iter()
        .map(|&(fd, events)| PollFd {
            fd: fd as i32,
            events,
            revents: -1,
        })
        .collect();
    let array = w.alloc(fds.len() * 8);
    for (i, entry) in fds.iter().enumerate() {
        w.poke(array + 8 * i as u64, zerocopy::IntoBytes::as_bytes(entry));
    }
    let n = w.call(
        Sysno::Poll,
        &[array, fds.len() as u64, timeout_ms as i64 as u64],
    );
    let revents = (0..fds.len())
        .map(|i| w.get::<PollFd>(array + 8 * i as u64).revents)
        .collect();
    (n, revents)
}

#[test]
fn bytes_come_out_of_a_pipe_in_the_order_they_went_in() {
    let w = World::new();
    let (r, wr) = pipe(&w, 0);
    assert_eq!(w.write(wr, b"first "), 6);
    assert_eq!(w.write(wr, b"second"), 6);
    assert_eq!(w.read(r, 4).unwrap(), b"firs");
    assert_eq!(w.read(r, 100).unwrap(), b"t second");
}

#[test]
fn reading_after_every_writer_closed_is_end_of_file() {
    let w = World::new();
    let (r, wr) = pipe(&w, 0);
    w.write(wr, b"last");
    assert_eq!(w.call(Sysno::Close, &[wr as u64]), 0);
    assert_eq!(w.read(r, 10).unwrap(), b"last");
    assert_eq!(w.read(r, 10).unwrap(), b"", "EOF");
}

#[test]
fn writing_with_no_reader_is_epipe_and_raises_sigpipe() {
    let w = World::new();
    let (r, wr) = pipe(&w, 0);
    w.call(Sysno::Close, &[r as u64]);
    assert_eq!(w.write(wr, b"lost"), err(Errno::EPIPE));
    assert_eq!(
        w.machine.sigpipes.load(std::sync::atomic::Ordering::SeqCst),
        1
    );
}

#[test]
fn an_empty_nonblocking_pipe_says_eagain() {
    let w = World::new();
    let (r, _wr) = pipe(&w, O_NONBLOCK | O_CLOEXEC);
    assert_eq!(w.read(r, 10).unwrap_err(), err(Errno::EAGAIN));
    assert_eq!(
        w.call(Sysno::Fcntl, &[r as u64, F_GETFD, 0]),
        1,
        "FD_CLOEXEC"
    );
    assert_ne!(
        w.call(Sysno::Fcntl, &[r as u64, F_GETFL, 0]) & O_NONBLOCK as i64,
        0
    );
}

#[test]
fn a_full_nonblocking_pipe_takes_what_fits_then_says_eagain() {
    let w = World::new();
    let (_r, wr) = pipe(&w, O_NONBLOCK);
    let chunk = vec![7u8; 4096];
    let mut total = 0;
    loop {
        let n = w.write(wr, &chunk);
        if n < 0 {
            assert_eq!(n, err(Errno::EAGAIN));
            break;
        }
        total += n;
        assert!(total <= 1 << 20, "a pipe never fills");
    }
    assert!(total >= 4096, "a pipe holds at least a page");
}

#[test]
fn a_pipe_read_whose_copy_out_faults_loses_no_bytes() {
    let w = World::new();
    let (r, wr) = pipe(&w, 0);
    assert_eq!(w.write(wr, b"abcdef"), 6);
    assert_eq!(
        w.call(Sysno::Read, &[r as u64, 0x10, 3]),
        err(Errno::EFAULT)
    );
    // readv takes the same way.
    let iov = w.put(&IoVec { base: 0x10, len: 4 });
    assert_eq!(
        w.call(Sysno::Readv, &[r as u64, iov, 1]),
        err(Errno::EFAULT)
    );
    assert_eq!(w.write(wr, b"gh"), 2);
    assert_eq!(w.read(r, 16).unwrap(), b"abcdefgh", "all there, in order");
}

#[test]
fn pipe2_refuses_unknown_flags_and_bad_pointers() {
    let w = World::new();
    let fds = w.alloc(8);
    assert_eq!(w.call(Sysno::Pipe2, &[fds, 0x1]), err(Errno::EINVAL));
    assert_eq!(w.call(Sysno::Pipe2, &[8, 0]), err(Errno::EFAULT));
    assert_eq!(w.call(Sysno::Pipe, &[fds]), 0);
}

#[test]
fn poll_reports_readable_writable_and_hung_up_ends() {
    let w = World::new();
    let (r, wr) = pipe(&w, 0);
    let (n, revents) = poll(&w, &[(r, POLLIN), (wr, POLLOUT)], 0);
    assert_eq!(n, 1);
    assert_eq!(revents, [0, POLLOUT]);
    w.write(wr, b"x");
    let (n, revents) = poll(&w, &[(r, POLLIN), (wr, POLLOUT)], 0);
    assert_eq!((n, revents), (2, vec![POLLIN, POLLOUT]));
    w.call(Sysno::Close, &[wr as u64]);
    let (n, revents) = poll(&w, &[(r, POLLIN)], 0);
    assert_eq!(n, 1);
    assert_eq!(revents[0] & POLLHUP, POLLHUP, "the writer is gone");
}

#[test]
fn poll_marks_bad_descriptors_and_skips_negative_ones() {
    let w = World::new();
    let (n, revents) = poll(&w, &[(40, POLLIN), (-1, POLLIN)], 0);
    assert_eq!(n, 1);
    assert_eq!(revents, [POLLNVAL, 0]);
    assert_eq!(w.call(Sysno::Poll, &[8, 1, 0]), err(Errno::EFAULT));
    assert_eq!(w.call(Sysno::Poll, &[0, 1 << 20, 0]), err(Errno::EINVAL));
}

#[test]
fn poll_with_a_timeout_waits_that_long_when_nothing_is_ready() {
    let w = World::new();
    let (r, _wr) = pipe(&w, 0);
    let before = syscall::Kernel::now_ns(&*w.machine);
    let (n, revents) = poll(&w, &[(r, POLLIN)], 250);
    assert_eq!((n, revents), (0, vec![0]));
    assert!(syscall::Kernel::now_ns(&*w.machine) - before >= 250_000_000);
    let timeout = w.put(&Timespec {
        sec: 0,
        nsec: 2_000_000_000,
    });
    let array = w.put(&PollFd {
        fd: r as i32,
        events: POLLIN,
        revents: 0,
    });
    assert_eq!(
        w.call(Sysno::Ppoll, &[array, 1, timeout, 0, 8]),
        err(Errno::EINVAL)
    );
}

#[test]
fn select_returns_the_ready_descriptors_in_its_sets() {
    let w = World::new();
    let (r, wr) = pipe(&w, 0);
    let read_set = w.put(&(1u64 << r));
    let write_set = w.put(&(1u64 << wr));
    let zero = w.put(&Timeval {
        tv_sec: 0,
        tv_usec: 0,
    });
    let nfds = (wr.max(r) + 1) as u64;
    assert_eq!(
        w.call(Sysno::Select, &[nfds, read_set, write_set, 0, zero]),
        1
    );
    assert_eq!(w.get::<u64>(read_set), 0, "nothing to read yet");
    assert_eq!(w.get::<u64>(write_set), 1 << wr);
    w.write(wr, b"data");
    w.poke(read_set, &(1u64 << r).to_le_bytes());
    assert_eq!(w.call(Sysno::Select, &[nfds, read_set, 0, 0, zero]), 1);
    assert_eq!(w.get::<u64>(read_set), 1 << r);
    let bad = w.put(&(1u64 << 30));
    assert_eq!(
        w.call(Sysno::Select, &[31, bad, 0, 0, zero]),
        err(Errno::EBADF)
    );
    assert_eq!(
        w.call(Sysno::Select, &[u64::MAX, 0, 0, 0, zero]),
        err(Errno::EINVAL)
    );
}

const EPOLL_CTL_ADD: u64 = 1;
const EPOLLET: u32 = 1 << 31;

/// Registers `fd` with `epfd` for `events`, its data being `fd`.
fn watch(w: &World, epfd: i64, fd: i64, events: u32) {
    let event = w.alloc(12);
    let mut bytes = events.to_ne_bytes().to_vec();
    bytes.extend_from_slice(&(fd as u64).to_ne_bytes());
    w.poke(event, &bytes);
    assert_eq!(
        w.call(
            Sysno::EpollCtl,
            &[epfd as u64, EPOLL_CTL_ADD, fd as u64, event]
        ),
        0
    );
}

#[test]
fn edge_triggered_events_an_epoll_wait_could_not_copy_are_reported_again() {
    let w = World::new();
    let epfd = w.call(Sysno::EpollCreate1, &[0]);
    assert!(epfd >= 0);
    let (first, first_writer) = pipe(&w, 0);
    let (second, second_writer) = pipe(&w, 0);
    watch(&w, epfd, first, 1 | EPOLLET);
    watch(&w, epfd, second, 1 | EPOLLET);
    w.write(first_writer, b"a");
    w.write(second_writer, b"b");
    // Room for one event before user memory ends: that one is reported,
    // the other goes back.
    let end = USER_BASE + USER_SIZE as u64;
    let events = [epfd as u64, end - 12, 2, 0];
    assert_eq!(w.call(Sysno::EpollWait, &events), 1);
    let reported = u64::from_ne_bytes(w.peek(end - 8, 8).try_into().unwrap());
    // No room at all: EFAULT, and nothing is lost.
    assert_eq!(
        w.call(Sysno::EpollWait, &[epfd as u64, end, 2, 0]),
        err(Errno::EFAULT)
    );
    let buffer = w.alloc(24);
    assert_eq!(w.call(Sysno::EpollWait, &[epfd as u64, buffer, 2, 0]), 1);
    let other = u64::from_ne_bytes(w.peek(buffer + 4, 8).try_into().unwrap());
    let mut both = [reported, other];
    both.sort();
    assert_eq!(both, [first as u64, second as u64]);
    assert_eq!(
        w.call(Sysno::EpollWait, &[epfd as u64, buffer, 2, 0]),
        0,
        "each edge once"
    );
}

const SPLICE_F_NONBLOCK: u64 = 2;

/// An `iovec` array for `parts` (each its own buffer): its address and
/// the buffers' addresses.
fn iovecs(w: &World, parts: &[&[u8]]) -> (u64, Vec<u64>) {
    let buffers: Vec<u64> = parts
        .iter()
        .map(|part| {
            let at = w.alloc(part.len());
            w.poke(at, part);
            at
        })
        .collect();
    let vectors: Vec<abi::IoVec> = buffers
        .iter()
        .zip(parts)
        .map(|(&base, part)| abi::IoVec {
            base,
            len: part.len() as u64,
        })
        .collect();
    let array = w.alloc(16 * vectors.len());
    for (n, vector) in vectors.iter().enumerate() {
        w.poke(
            array + 16 * n as u64,
            &[vector.base.to_ne_bytes(), vector.len.to_ne_bytes()].concat(),
        );
    }
    (array, buffers)
}

#[test]
fn vmsplice_moves_user_memory_into_and_out_of_a_pipe() {
    let w = World::new();
    let (r, wr) = pipe(&w, 0);
    let (gather, _) = iovecs(&w, &[b"user ", b"pages"]);
    assert_eq!(w.call(Sysno::Vmsplice, &[wr as u64, gather, 2, 0]), 10);
    // Out through the read end, scattered over two buffers.
    let (scatter, buffers) = iovecs(&w, &[b"......", b"......"]);
    assert_eq!(w.call(Sysno::Vmsplice, &[r as u64, scatter, 2, 0]), 10);
    assert_eq!(w.peek(buffers[0], 6), b"user p");
    assert_eq!(w.peek(buffers[1], 6), b"ages..");
    // Empty now: SPLICE_F_NONBLOCK says EAGAIN rather than wait.
    assert_eq!(
        w.call(Sysno::Vmsplice, &[r as u64, scatter, 2, SPLICE_F_NONBLOCK]),
        err(Errno::EAGAIN)
    );
    // Only pipe ends, known flags, and nothing to move is 0.
    let file = w.open("/tmp/plain", 0o102); // O_RDWR | O_CREAT
    assert_eq!(
        w.call(Sysno::Vmsplice, &[file as u64, gather, 2, 0]),
        err(Errno::EBADF)
    );
    assert_eq!(
        w.call(Sysno::Vmsplice, &[wr as u64, gather, 2, 0x10]),
        err(Errno::EINVAL)
    );
    assert_eq!(w.call(Sysno::Vmsplice, &[wr as u64, gather, 0, 0]), 0);
    // With no reader left: EPIPE and SIGPIPE.
    w.call(Sysno::Close, &[r as u64]);
    assert_eq!(
        w.call(Sysno::Vmsplice, &[wr as u64, gather, 2, 0]),
        err(Errno::EPIPE)
    );
}
