//! Waiting for descriptors: poll, ppoll, select, pselect6, and the
//! sleeping on several wait queues at once that they and `epoll_wait`
//! share (`Watch`).

use alloc::collections::BTreeSet;
use alloc::sync::{Arc, Weak};
use alloc::vec;
use alloc::vec::Vec;

use abi::{Errno, KernelResult, PollFd, Timespec, Timeval};
use fs::{PollEvents, WaitQueue};
use sched::WakeReason;
use signal::{RestartBlock, SigSet};
use zerocopy::{Immutable, IntoBytes};

use crate::SyscallResult;
use crate::args::{Fd, UserPtr};
use crate::context::Context;
use crate::kernel::{Kernel, UserThreadData};

/// Most entries one `poll` takes (Linux allows up to `RLIMIT_NOFILE`).
const MAX_POLL_FDS: usize = 4096;
/// `select`'s `FD_SETSIZE`.
const FD_SETSIZE: usize = 1024;
/// How often a wait looks again when its queue cannot be slept on (a
/// kernel whose queues never block, as the host tests' fake).
const RECHECK_NS: u64 = 10_000_000;

/// Several wait queues watched through one of the caller's own: each
/// watched queue wakes it ([`WaitQueue::add_listener`]) until the watch
/// is dropped. The sleeper reads [`Watch::seen`] before checking
/// readiness, so a wake in between is never lost.
pub(crate) struct Watch {
    own: Arc<dyn WaitQueue>,
    watched: Vec<Arc<dyn WaitQueue>>,
    addresses: BTreeSet<usize>,
}

impl Watch {
    pub(crate) fn new<K: Kernel>(kernel: &K) -> Watch {
        Watch {
            own: kernel.new_wait_queue(),
            watched: Vec::new(),
            addresses: BTreeSet::new(),
        }
    }

    /// A watch that sleeps on `own` directly (an epoll's queue, which its
    /// items already wake).
    pub(crate) fn on(own: Arc<dyn WaitQueue>) -> Watch {
        Watch {
            own,
            watched: Vec::new(),
            addresses: BTreeSet::new(),
        }
    }

    fn listener(&self) -> Weak<dyn WaitQueue> {
        Arc::downgrade(&self.own)
    }

    /// Also wake on `queue` (once per queue).
    pub(crate) fn watch(&mut self, queue: Arc<dyn WaitQueue>) {
        let address = Arc::as_ptr(&queue) as *const u8 as usize;
        if self.addresses.insert(address) {
            queue.add_listener(self.listener());
            self.watched.push(queue);
        }
    }

    /// The event count to pass to [`Watch::sleep`], read before checking.
    pub(crate) fn seen(&self) -> u64 {
        self.own.event_count()
    }

    /// Sleeps until a watched queue is woken after `seen`, a signal
    /// (`EINTR`), or `deadline` (monotonic ns; the caller checks the time).
    pub(crate) fn sleep<K: Kernel>(
        &self,
        kernel: &K,
        seen: u64,
        deadline: Option<u64>,
    ) -> KernelResult<()> {
        match self.own.wait_for_event_until(seen, true, deadline) {
            Err(Errno::EAGAIN) => {
                let now = kernel.now_ns();
                let wake = deadline.map_or(now + RECHECK_NS, |d| d.min(now + RECHECK_NS));
                match kernel.sleep_until(wake) {
                    WakeReason::Interrupted => Err(Errno::EINTR),
                    _ => Ok(()),
                }
            }
            other => other,
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let listener = self.listener();
        for queue in &self.watched {
            queue.remove_listener(&listener);
        }
    }
}

/// Runs `f` with the thread's signal mask replaced by `mask` (when given),
/// as `ppoll`, `pselect6` and `epoll_pwait` do: if `f` ends with `EINTR`
/// the old mask comes back after the handler runs (as for `sigsuspend`),
/// otherwise at once.
pub(crate) fn with_temporary_mask<K: Kernel, T>(
    ctx: &Context<'_, K>,
    mask: Option<SigSet>,
    f: impl FnOnce() -> KernelResult<T>,
) -> KernelResult<T> {
    let Some(mask) = mask else {
        return f();
    };
    ctx.thread.data().signals().lock().begin_sigsuspend(mask);
    ctx.thread.request_signal_check();
    let result = f();
    if result.as_ref().err() != Some(&Errno::EINTR) {
        ctx.thread.data().signals().lock().restore_saved_mask();
        ctx.thread.request_signal_check();
    }
    result
}

/// The `sigset_t` at `mask` (`None` for a null pointer); `EINVAL` unless
/// `size` is 8.
pub(crate) fn read_sigmask<K: Kernel>(
    ctx: &Context<'_, K>,
    mask: UserPtr<u64>,
    size: usize,
) -> KernelResult<Option<SigSet>> {
    if mask.is_null() {
        return Ok(None);
    }
    if size != 8 {
        return Err(Errno::EINVAL);
    }
    Ok(Some(SigSet::from_bits(ctx.read(mask)?)))
}

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

/// Polls `fds` until one is ready or `deadline` (monotonic ns) passes,
/// sleeping on every descriptor's wait queue at once.
fn poll_fds<K: Kernel>(
    ctx: &Context<'_, K>,
    fds: &mut [PollFd],
    deadline: Option<u64>,
) -> KernelResult<usize> {
    let mut watch = Watch::new(ctx.kernel);
    loop {
        let seen = watch.seen();
        let (ready, queues) = poll_once(ctx, fds);
        if ready > 0 {
            return Ok(ready);
        }
        if deadline.is_some_and(|d| d <= ctx.kernel.now_ns()) {
            return Ok(0);
        }
        // Watched from before this poll's first check would be better, but
        // the queues are known only now: a queue new to the watch may have
        // been woken since `seen`, so look once more before sleeping.
        let before = watch.watched.len();
        for queue in queues {
            watch.watch(queue);
        }
        if watch.watched.len() != before {
            continue;
        }
        watch.sleep(ctx.kernel, seen, deadline)?;
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
    let deadline = (timeout_ms >= 0).then(|| ctx.kernel.now_ns() + timeout_ms as u64 * 1_000_000);
    restart_poll(ctx, fds, count, deadline)
}

/// `poll` to a fixed deadline (`None`: for ever), and `restart_syscall`
/// for one a signal interrupted: a poll stopped and continued goes on to
/// the deadline it had, not for its whole timeout again (Linux's
/// `do_restart_poll`); a handler ends it with `EINTR`.
pub fn restart_poll<K: Kernel>(
    ctx: &Context<'_, K>,
    fds: UserPtr<PollFd>,
    count: usize,
    deadline: Option<u64>,
) -> SyscallResult {
    let entries = read_pollfds(ctx, fds, count)?;
    let result = finish_poll(ctx, fds, entries, deadline);
    if result == Err(Errno::EINTR) {
        let block = RestartBlock::Poll {
            fds: fds.address(),
            count: count as u64,
            deadline_ns: deadline,
        };
        ctx.thread.data().signals().lock().set_restart(block);
    }
    result
}

/// Writes the time left before `deadline` to the caller's timeout, as
/// Linux does for `select`, `pselect6` and `ppoll` whatever they return
/// (`poll_select_finish`): the caller sees how long it did not wait, and
/// one restarted after a stop waits only for what is left. A timeout in
/// read-only memory is left as it was, as on Linux (there the call then
/// fails with `EINTR` rather than restart; here it restarts with it).
fn write_time_left<K: Kernel, T: IntoBytes + Immutable>(
    ctx: &Context<'_, K>,
    timeout: UserPtr<T>,
    deadline: Option<u64>,
    time_left: impl FnOnce(u64) -> T,
) {
    if let Some(deadline) = deadline {
        let left = deadline.saturating_sub(ctx.kernel.now_ns());
        let _ = ctx.write(timeout, &time_left(left));
    }
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

/// `ppoll(fds, nfds, timeout, sigmask, sigsetsize)`: `poll` with a
/// timespec and, while it waits, the signal mask `sigmask`.
pub fn ppoll<K: Kernel>(
    ctx: &Context<'_, K>,
    fds: UserPtr<PollFd>,
    count: usize,
    timeout: UserPtr<Timespec>,
    sigmask: UserPtr<u64>,
    sigsetsize: usize,
) -> SyscallResult {
    let entries = read_pollfds(ctx, fds, count)?;
    let deadline = relative_deadline(ctx, timeout)?;
    let mask = read_sigmask(ctx, sigmask, sigsetsize)?;
    let result = with_temporary_mask(ctx, mask, || finish_poll(ctx, fds, entries, deadline));
    write_time_left(ctx, timeout, deadline, Timespec::from_nanos);
    result
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
    let result = select_common(ctx, nfds, [readfds, writefds, exceptfds], deadline);
    write_time_left(ctx, timeout, deadline, Timeval::from_nanos);
    result
}

/// `pselect6(nfds, readfds, writefds, exceptfds, timeout, sigmask)`:
/// `sigmask` points at `{ const sigset_t *ss; size_t ss_len; }`, the mask
/// in place while it waits.
pub fn pselect6<K: Kernel>(
    ctx: &Context<'_, K>,
    nfds: i32,
    readfds: UserPtr<u64>,
    writefds: UserPtr<u64>,
    exceptfds: UserPtr<u64>,
    timeout: UserPtr<Timespec>,
    sigmask: UserPtr<[u64; 2]>,
) -> SyscallResult {
    let deadline = relative_deadline(ctx, timeout)?;
    let mask = if sigmask.is_null() {
        None
    } else {
        let [set, size] = ctx.read(sigmask)?;
        read_sigmask(ctx, UserPtr::new(set), size as usize)?
    };
    let result = with_temporary_mask(ctx, mask, || {
        select_common(ctx, nfds, [readfds, writefds, exceptfds], deadline)
    });
    write_time_left(ctx, timeout, deadline, Timespec::from_nanos);
    result
}
