//! Waiting for descriptors: poll, ppoll, select, pselect6.

use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;

use abi::{Errno, KernelResult, PollFd, Timespec, Timeval};
use fs::PollEvents;
use sched::WakeReason;

use crate::SyscallResult;
use crate::args::{Fd, UserPtr};
use crate::context::Context;
use crate::kernel::Kernel;

/// Most entries one `poll` takes (Linux allows up to `RLIMIT_NOFILE`).
const MAX_POLL_FDS: usize = 4096;
/// `select`'s `FD_SETSIZE`.
const FD_SETSIZE: usize = 1024;
/// How often a wait on several queues looks again (one queue is slept on).
const RECHECK_NS: u64 = 10_000_000;

fn poll_once<K: Kernel>(
    ctx: &Context<'_, K>,
    fds: &mut [PollFd],
) -> (usize, Vec<Arc<dyn fs::WaitQueue>>) {
    let mut ready = 0;
    let mut queues = Vec::new();
    for entry in fds.iter_mut() {
        entry.revents = 0;
        if entry.fd < 0 {
            continue;
        }
        match ctx.description(Fd(entry.fd)) {
            Err(_) => entry.revents = PollEvents::POLLNVAL.bits() as i16,
            Ok(description) => {
                let wanted = PollEvents::from_bits_truncate(entry.events as u16)
                    | PollEvents::POLLERR
                    | PollEvents::POLLHUP;
                entry.revents = (description.poll() & wanted).bits() as i16;
                if let Some(queue) = description.wait_queue() {
                    queues.push(queue);
                }
            }
        }
        if entry.revents != 0 {
            ready += 1;
        }
    }
    (ready, queues)
}

/// Polls `fds` until one is ready or `deadline` (monotonic ns) passes.
fn poll_fds<K: Kernel>(
    ctx: &Context<'_, K>,
    fds: &mut [PollFd],
    deadline: Option<u64>,
) -> KernelResult<usize> {
    loop {
        let (ready, queues) = poll_once(ctx, fds);
        let seen: Vec<u64> = queues.iter().map(|q| q.event_count()).collect();
        if ready > 0 {
            return Ok(ready);
        }
        let now = ctx.kernel.now_ns();
        if deadline.is_some_and(|d| d <= now) {
            return Ok(0);
        }
        // One queue: sleep on it. Several: re-check every 10 ms.
        if let ([queue], [seen], None) = (&queues[..], &seen[..], deadline) {
            match queue.wait_for_event(*seen, true) {
                Err(Errno::EINTR) => return Err(Errno::EINTR),
                _ => continue,
            }
        }
        let wake = deadline.map_or(now + RECHECK_NS, |d| d.min(now + RECHECK_NS));
        if ctx.kernel.sleep_until(wake) == WakeReason::Interrupted {
            return Err(Errno::EINTR);
        }
    }
}

fn read_pollfds<K: Kernel>(
    ctx: &Context<'_, K>,
    fds: UserPtr<PollFd>,
    count: usize,
) -> KernelResult<Vec<PollFd>> {
    if count > MAX_POLL_FDS {
        return Err(Errno::EINVAL);
    }
    (0..count).map(|i| ctx.read(fds.element(i))).collect()
}

fn finish_poll<K: Kernel>(
    ctx: &Context<'_, K>,
    user: UserPtr<PollFd>,
    mut fds: Vec<PollFd>,
    deadline: Option<u64>,
) -> SyscallResult {
    let ready = poll_fds(ctx, &mut fds, deadline)?;
    for (i, entry) in fds.iter().enumerate() {
        ctx.write(user.element(i), entry)?;
    }
    Ok(ready as u64)
}

/// `poll(fds, nfds, timeout_ms)`; a negative timeout waits for ever.
pub fn poll<K: Kernel>(
    ctx: &Context<'_, K>,
    fds: UserPtr<PollFd>,
    count: usize,
    timeout_ms: i32,
) -> SyscallResult {
    let entries = read_pollfds(ctx, fds, count)?;
    let deadline = (timeout_ms >= 0).then(|| ctx.kernel.now_ns() + timeout_ms as u64 * 1_000_000);
    finish_poll(ctx, fds, entries, deadline)
}

fn relative_deadline<K: Kernel>(
    ctx: &Context<'_, K>,
    timeout: UserPtr<Timespec>,
) -> KernelResult<Option<u64>> {
    if timeout.is_null() {
        return Ok(None);
    }
    let ts = ctx.read(timeout)?;
    Ok(Some(ts.validate()?.deadline_after(ctx.kernel.now_ns())?))
}

/// `ppoll(fds, nfds, timeout, sigmask, sigsetsize)`. The temporary signal
/// mask is not applied (the signal layer owns masks; see NOTES.md).
pub fn ppoll<K: Kernel>(
    ctx: &Context<'_, K>,
    fds: UserPtr<PollFd>,
    count: usize,
    timeout: UserPtr<Timespec>,
) -> SyscallResult {
    let entries = read_pollfds(ctx, fds, count)?;
    let deadline = relative_deadline(ctx, timeout)?;
    finish_poll(ctx, fds, entries, deadline)
}

fn select_common<K: Kernel>(
    ctx: &Context<'_, K>,
    nfds: i32,
    sets: [UserPtr<u64>; 3],
    deadline: Option<u64>,
) -> SyscallResult {
    if nfds < 0 {
        return Err(Errno::EINVAL);
    }
    let nfds = (nfds as usize).min(FD_SETSIZE);
    let words = nfds.div_ceil(64);
    let read_set = |set: UserPtr<u64>| -> KernelResult<Vec<u64>> {
        if set.is_null() {
            Ok(vec![0; words])
        } else {
            (0..words).map(|i| ctx.read(set.element(i))).collect()
        }
    };
    let wanted = [read_set(sets[0])?, read_set(sets[1])?, read_set(sets[2])?];
    let mut fds = Vec::new();
    for fd in 0..nfds {
        let bit = |set: &Vec<u64>| set[fd / 64] & (1 << (fd % 64)) != 0;
        let mut events = PollEvents::empty();
        if bit(&wanted[0]) {
            events |= PollEvents::POLLIN;
        }
        if bit(&wanted[1]) {
            events |= PollEvents::POLLOUT;
        }
        if bit(&wanted[2]) {
            events |= PollEvents::POLLPRI;
        }
        if !events.is_empty() {
            fds.push(PollFd {
                fd: fd as i32,
                events: events.bits() as i16,
                revents: 0,
            });
        }
    }
    poll_fds(ctx, &mut fds, deadline)?;
    let mut out = [vec![0u64; words], vec![0u64; words], vec![0u64; words]];
    let mut count = 0;
    for entry in &fds {
        let has = |events: PollEvents| entry.revents & events.bits() as i16 != 0;
        if has(PollEvents::POLLNVAL) {
            return Err(Errno::EBADF);
        }
        let (word, bit) = ((entry.fd / 64) as usize, 1u64 << (entry.fd % 64));
        let ready = [
            has(PollEvents::POLLIN | PollEvents::POLLHUP | PollEvents::POLLERR),
            has(PollEvents::POLLOUT | PollEvents::POLLERR),
            has(PollEvents::POLLPRI),
        ];
        for (set, ready) in ready.into_iter().enumerate() {
            if ready && wanted[set][word] & bit != 0 {
                out[set][word] |= bit;
                count += 1;
            }
        }
    }
    for (set, user) in out.iter().zip(sets) {
        if !user.is_null() {
            for (i, word) in set.iter().enumerate() {
                ctx.write(user.element(i), word)?;
            }
        }
    }
    Ok(count)
}

/// `select(nfds, readfds, writefds, exceptfds, timeout)`.
pub fn select<K: Kernel>(
    ctx: &Context<'_, K>,
    nfds: i32,
    readfds: UserPtr<u64>,
    writefds: UserPtr<u64>,
    exceptfds: UserPtr<u64>,
    timeout: UserPtr<Timeval>,
) -> SyscallResult {
    let deadline = if timeout.is_null() {
        None
    } else {
        let wait = ctx.read(timeout)?.to_nanos()?;
        Some(ctx.kernel.now_ns().saturating_add(wait))
    };
    select_common(ctx, nfds, [readfds, writefds, exceptfds], deadline)
}

/// `pselect6(nfds, readfds, writefds, exceptfds, timeout, sigmask)`. As
/// with `ppoll`, the temporary mask is not applied.
pub fn pselect6<K: Kernel>(
    ctx: &Context<'_, K>,
    nfds: i32,
    readfds: UserPtr<u64>,
    writefds: UserPtr<u64>,
    exceptfds: UserPtr<u64>,
    timeout: UserPtr<Timespec>,
) -> SyscallResult {
    let deadline = relative_deadline(ctx, timeout)?;
    select_common(ctx, nfds, [readfds, writefds, exceptfds], deadline)
}
