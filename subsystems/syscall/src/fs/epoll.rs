//! `epoll`: the `fs` crate's interest lists (`fs::epoll::Epoll`) as
//! descriptors: create, control, and wait with a timeout and, for
//! `epoll_pwait`/`epoll_pwait2`, a temporary signal mask.

use abi::{Errno, Timespec};
use alloc::vec::Vec;
use fs::OpenFlags;
use fs::epoll::{Collected, Epoll};

use super::poll::{Watch, read_sigmask, with_temporary_mask};
use crate::SyscallResult;
use crate::args::{Fd, UserBuffer, UserPtr};
use crate::context::Context;
use crate::kernel::Kernel;

/// `sizeof(struct epoll_event)` on x86_64: packed `u32` events, `u64` data.
const EVENT_SIZE: usize = 12;
/// The most events one wait returns (Linux: `INT_MAX / EVENT_SIZE`).
const MAX_EVENTS: i32 = i32::MAX / EVENT_SIZE as i32;

/// `epoll_create1(flags)`: `EPOLL_CLOEXEC` only.
pub fn epoll_create1<K: Kernel>(ctx: &Context<'_, K>, flags: u32) -> SyscallResult {
    let description = fs::epoll::create_epoll(flags, ctx.kernel.new_wait_queue())?;
    let cloexec = flags & OpenFlags::O_CLOEXEC.bits() != 0;
    Ok(ctx.install(description, cloexec)? as u64)
}

/// `epoll_create(size)`: `size` must be positive and is otherwise ignored.
pub fn epoll_create<K: Kernel>(ctx: &Context<'_, K>, size: i32) -> SyscallResult {
    if size <= 0 {
        return Err(Errno::EINVAL);
    }
    epoll_create1(ctx, 0)
}

/// `epoll_ctl(epfd, op, fd, event)`: `EBADF` for a closed descriptor,
/// `EINVAL` when `epfd` is no epoll, the rest as `fs::epoll::Epoll::control`.
pub fn epoll_ctl<K: Kernel>(
    ctx: &Context<'_, K>,
    epfd: Fd,
    op: i32,
    fd: Fd,
    event: UserBuffer,
) -> SyscallResult {
    let epoll_description = ctx.description(epfd)?;
    let target = ctx.description(fd)?;
    let epoll = epoll_description.file().epoll().ok_or(Errno::EINVAL)?;
    // DEL ignores the event (which may be null).
    let (events, data) = if op == fs::epoll::EPOLL_CTL_DEL {
        (0, 0)
    } else {
        let bytes = ctx.read_bytes(event, EVENT_SIZE)?;
        let events = u32::from_ne_bytes(bytes[..4].try_into().map_err(|_| Errno::EFAULT)?);
        let data = u64::from_ne_bytes(bytes[4..].try_into().map_err(|_| Errno::EFAULT)?);
        (events, data)
    };
    epoll.control(op, fd.0, &target, events, data)?;
    Ok(0)
}

/// The wait every variant shares: up to `max` events into `events`, until
/// one is ready, `deadline` passes (monotonic ns; `Some(0)`-like past
/// deadlines poll once) or a signal interrupts (`EINTR`).
fn wait<K: Kernel>(
    ctx: &Context<'_, K>,
    epfd: Fd,
    events: UserBuffer,
    max: i32,
    deadline: Option<u64>,
) -> SyscallResult {
    if max <= 0 || max > MAX_EVENTS {
        return Err(Errno::EINVAL);
    }
    let description = ctx.description(epfd)?;
    let epoll = description.file().epoll().ok_or(Errno::EINVAL)?;
    // A buffer outside user space fails before anything is taken.
    mm::UserSlice::new(events.0, max as usize * EVENT_SIZE)?;
    let watch = Watch::on(epoll.waiters().clone());
    loop {
        let seen = watch.seen();
        let ready = epoll.collect(max as usize);
        if !ready.is_empty() {
            return report(ctx, epoll, events, &ready);
        }
        if deadline.is_some_and(|d| d <= ctx.kernel.now_ns()) {
            return Ok(0);
        }
        watch.sleep(ctx.kernel, seen, deadline)?;
    }
}

/// Copies `ready` to the caller's `events` and says how many. When the
/// buffer faults, the events before the fault are reported (`EFAULT` if
/// none) and the rest go back to the epoll, as Linux's `ep_send_events`
/// puts them back on the ready list: an edge-triggered or one-shot event
/// is not lost.
fn report<K: Kernel>(
    ctx: &Context<'_, K>,
    epoll: &Epoll,
    events: UserBuffer,
    ready: &[Collected],
) -> SyscallResult {
    let event_bytes = |report: &Collected| {
        let mut bytes = [0u8; EVENT_SIZE];
        bytes[..4].copy_from_slice(&report.events.to_ne_bytes());
        bytes[4..].copy_from_slice(&report.data.to_ne_bytes());
        bytes
    };
    let all: Vec<u8> = ready.iter().flat_map(event_bytes).collect();
    if ctx.write_bytes(events, &all).is_ok() {
        return Ok(ready.len() as u64);
    }
    // One at a time, to find the first that does not fit.
    let copied = ready
        .iter()
        .enumerate()
        .take_while(|(index, report)| {
            let at = UserBuffer(events.0 + (index * EVENT_SIZE) as u64);
            ctx.write_bytes(at, &event_bytes(report)).is_ok()
        })
        .count();
    epoll.give_back(&ready[copied..]);
    if copied == 0 {
        Err(Errno::EFAULT)
    } else {
        Ok(copied as u64)
    }
}

fn millis_deadline<K: Kernel>(ctx: &Context<'_, K>, timeout_ms: i32) -> Option<u64> {
    (timeout_ms >= 0).then(|| {
        ctx.kernel
            .now_ns()
            .saturating_add(timeout_ms as u64 * 1_000_000)
    })
}

/// `epoll_wait(epfd, events, maxevents, timeout_ms)`; a negative timeout
/// waits for ever.
pub fn epoll_wait<K: Kernel>(
    ctx: &Context<'_, K>,
    epfd: Fd,
    events: UserBuffer,
    max: i32,
    timeout_ms: i32,
) -> SyscallResult {
    wait(ctx, epfd, events, max, millis_deadline(ctx, timeout_ms))
}

/// `epoll_pwait(epfd, events, maxevents, timeout_ms, sigmask, sigsetsize)`:
/// `epoll_wait` with `sigmask` in place while it waits.
pub fn epoll_pwait<K: Kernel>(
    ctx: &Context<'_, K>,
    epfd: Fd,
    events: UserBuffer,
    max: i32,
    timeout_ms: i32,
    sigmask: UserPtr<u64>,
    sigsetsize: usize,
) -> SyscallResult {
    let mask = read_sigmask(ctx, sigmask, sigsetsize)?;
    let deadline = millis_deadline(ctx, timeout_ms);
    with_temporary_mask(ctx, mask, || wait(ctx, epfd, events, max, deadline))
}

/// `epoll_pwait2(epfd, events, maxevents, timeout, sigmask, sigsetsize)`:
/// `epoll_pwait` with a `timespec` timeout (null: for ever).
pub fn epoll_pwait2<K: Kernel>(
    ctx: &Context<'_, K>,
    epfd: Fd,
    events: UserBuffer,
    max: i32,
    timeout: UserPtr<Timespec>,
    sigmask: UserPtr<u64>,
    sigsetsize: usize,
) -> SyscallResult {
    let deadline = if timeout.is_null() {
        None
    } else {
        let ts = ctx.read(timeout)?;
        Some(ts.validate()?.deadline_after(ctx.kernel.now_ns())?)
    };
    let mask = read_sigmask(ctx, sigmask, sigsetsize)?;
    with_temporary_mask(ctx, mask, || wait(ctx, epfd, events, max, deadline))
}
