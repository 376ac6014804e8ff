//! POSIX timers: `timer_create`, `timer_settime`, `timer_gettime`,
//! `timer_getoverrun`, `timer_delete`. The timers are the `signal`
//! crate's [`PosixTimers`], kept in the process's signal state; wall and
//! monotonic ones fire from the kernel's alarm thread
//! ([`crate::signals::timers::fire_real_timers`]), CPU-time ones as CPU
//! time is charged ([`crate::signals::timers::charge_cpu_timers`]).

use abi::clock::{
    CLOCK_BOOTTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_REALTIME,
    CLOCK_THREAD_CPUTIME_ID, TIMER_ABSTIME,
};
use abi::{Errno, KernelResult, Timespec};
use alloc::sync::Arc;
use process::Process;
use signal::{Expiry, PosixTimers, SigInfo, Signal, TimerClock, TimerNotify};
use zerocopy::{FromBytes, Immutable, IntoBytes};

use crate::SyscallResult;
use crate::args::UserPtr;
use crate::context::Context;
use crate::kernel::{Kernel, UserThreadData};
use crate::signals::send::{send, send_to_thread};

/// `struct itimerspec`: interval, then value.
type Itimerspec = [Timespec; 2];

/// `CLOCK_TAI`: kept equal to the wall clock here (no leap-second table).
const CLOCK_TAI: u32 = 11;

const SIGEV_SIGNAL: i32 = 0;
const SIGEV_NONE: i32 = 1;
/// Handled by libc with a helper thread; the kernel treats it as
/// `SIGEV_SIGNAL`, as Linux does.
const SIGEV_THREAD: i32 = 2;
const SIGEV_THREAD_ID: i32 = 4;

/// The kernel's `struct sigevent` (64 bytes).
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, Immutable)]
#[repr(C)]
pub struct SigEvent {
    /// `sigev_value`.
    pub value: u64,
    /// `sigev_signo`.
    pub signo: i32,
    /// `sigev_notify`.
    pub notify: i32,
    /// `_sigev_un._tid` for `SIGEV_THREAD_ID`, then padding.
    pub thread: i32,
    /// Rest of the union.
    pub pad: [i32; 11],
}

const _: () = assert!(core::mem::size_of::<SigEvent>() == 64);

fn nanos(ts: Timespec) -> KernelResult<u64> {
    let ts = ts.validate()?;
    u64::try_from(ts.as_nanos_i128()).map_err(|_| Errno::EINVAL)
}

/// The time now on `clock`, in nanoseconds, for the calling thread. The
/// CPU clocks are read as the timers are charged, everything run so far
/// charged first ([`crate::signals::timers::catch_up_cpu_timers`]).
fn now_on<K: Kernel>(ctx: &Context<'_, K>, clock: TimerClock) -> u64 {
    match clock {
        TimerClock::Realtime => realtime_ns(ctx.kernel),
        TimerClock::Monotonic => ctx.kernel.now_ns(),
        TimerClock::ProcessCpu => {
            crate::signals::timers::catch_up_cpu_timers(ctx.kernel, ctx.process)
        }
        // The clock of the thread that created it, whichever thread asks.
        TimerClock::ThreadCpu(owner) => {
            crate::signals::timers::catch_up_cpu_timers(ctx.kernel, ctx.process);
            ctx.process
                .threads()
                .iter()
                .find(|thread| thread.tid() == owner)
                .map_or(0, |thread| thread.cpu_ns_charged())
        }
    }
}

/// The wall clock in nanoseconds since the epoch (0 before it).
pub(crate) fn realtime_ns<K: Kernel>(kernel: &K) -> u64 {
    u64::try_from(kernel.realtime().as_nanos_i128()).unwrap_or(0)
}

/// `timer_create(clock, sevp, timerid)`.
pub fn timer_create<K: Kernel>(
    ctx: &Context<'_, K>,
    clock: u32,
    event: UserPtr<SigEvent>,
    id_out: UserPtr<i32>,
) -> SyscallResult {
    let clock = match clock {
        CLOCK_REALTIME | CLOCK_TAI => TimerClock::Realtime,
        CLOCK_MONOTONIC | CLOCK_BOOTTIME => TimerClock::Monotonic,
        CLOCK_PROCESS_CPUTIME_ID => TimerClock::ProcessCpu,
        CLOCK_THREAD_CPUTIME_ID => TimerClock::ThreadCpu(ctx.thread.tid()),
        // The raw and coarse clocks have no timers on Linux either.
        4..=6 => return Err(Errno::EOPNOTSUPP),
        _ => return Err(Errno::EINVAL),
    };
    let requested = if event.is_null() {
        None
    } else {
        Some(decode(ctx, &ctx.read(event)?)?)
    };
    let id = {
        let mut data = ctx.process.data();
        let timers = data.signals_mut().posix_timers_mut();
        let id = timers.create(clock, requested.unwrap_or(TimerNotify::None))?;
        if requested.is_none() {
            // Without a sigevent: SIGALRM carrying the timer's id.
            let default = TimerNotify::Signal {
                signal: Signal::SIGALRM,
                value: id as u64,
                thread: None,
            };
            timers.set_notify(id, default)?;
        }
        id
    };
    if let Err(error) = ctx.write(id_out, &id) {
        let _ = ctx
            .process
            .data()
            .signals_mut()
            .posix_timers_mut()
            .delete(id);
        return Err(error);
    }
    Ok(0)
}

/// What a `sigevent` asks for: `EINVAL` for an unknown notification, a
/// bad signal, or a thread outside the caller's process.
fn decode<K: Kernel>(ctx: &Context<'_, K>, event: &SigEvent) -> KernelResult<TimerNotify> {
    let signal = || Signal::from_raw(event.signo).map_err(|_| Errno::EINVAL);
    match event.notify {
        SIGEV_NONE => Ok(TimerNotify::None),
        SIGEV_SIGNAL | SIGEV_THREAD => Ok(TimerNotify::Signal {
            signal: signal()?,
            value: event.value,
            thread: None,
        }),
        SIGEV_THREAD_ID => {
            let in_process = ctx
                .process
                .threads()
                .iter()
                .any(|thread| thread.tid() == event.thread);
            if !in_process {
                return Err(Errno::EINVAL);
            }
            Ok(TimerNotify::Signal {
                signal: signal()?,
                value: event.value,
                thread: Some(event.thread),
            })
        }
        _ => Err(Errno::EINVAL),
    }
}

/// Held from taking a timer's expiries to queueing their signals, and by
/// `timer_settime` and `timer_delete`: an expiry taken on one CPU then
/// cannot queue its signal after another CPU disarmed or deleted the timer
/// (the signal would outlive `timer_delete`'s discard). Only thread
/// context takes it, never across a sleep; it comes before any process
/// lock.
pub(crate) static TIMER_NOTIFY: lock::Mutex<()> = lock::Mutex::new(());

/// `timer_settime(id, flags, new, old)`.
pub fn timer_settime<K: Kernel>(
    ctx: &Context<'_, K>,
    id: i32,
    flags: u32,
    new: UserPtr<Itimerspec>,
    old: UserPtr<Itimerspec>,
) -> SyscallResult {
    if new.is_null() {
        return Err(Errno::EINVAL);
    }
    let [interval, value] = ctx.read(new)?;
    let (interval, value) = (nanos(interval)?, nanos(value)?);
    let clock = ctx.process.data().signals().posix_timers().clock(id)?;
    let now = now_on(ctx, clock);
    let previous = {
        let _notify = TIMER_NOTIFY.lock();
        let mut data = ctx.process.data();
        let timers = data.signals_mut().posix_timers_mut();
        timers.set(id, now, value, interval, flags & TIMER_ABSTIME != 0)?
    };
    ctx.kernel.alarms_changed();
    let previous = [
        Timespec::from_nanos(previous.interval),
        Timespec::from_nanos(previous.remaining),
    ];
    ctx.write_optional(old, &previous)?;
    Ok(0)
}

/// `timer_gettime(id, current)`.
pub fn timer_gettime<K: Kernel>(
    ctx: &Context<'_, K>,
    id: i32,
    current: UserPtr<Itimerspec>,
) -> SyscallResult {
    let clock = ctx.process.data().signals().posix_timers().clock(id)?;
    let now = now_on(ctx, clock);
    let setting = ctx.process.data().signals().posix_timers().get(id, now)?;
    let value = [
        Timespec::from_nanos(setting.interval),
        Timespec::from_nanos(setting.remaining),
    ];
    ctx.write(current, &value)?;
    Ok(0)
}

/// `timer_getoverrun(id)`.
pub fn timer_getoverrun<K: Kernel>(ctx: &Context<'_, K>, id: i32) -> SyscallResult {
    let overrun = ctx.process.data().signals().posix_timers().overrun(id)?;
    Ok(overrun as u64)
}

/// `timer_delete(id)`: a signal it queued and nobody took yet goes too.
pub fn timer_delete<K: Kernel>(ctx: &Context<'_, K>, id: i32) -> SyscallResult {
    let _notify = TIMER_NOTIFY.lock();
    {
        let mut data = ctx.process.data();
        let signals = data.signals_mut();
        signals.posix_timers_mut().delete(id)?;
        signals.shared_pending_mut().discard_timer(id);
    }
    for thread in ctx.process.threads() {
        thread
            .data()
            .signals()
            .lock()
            .pending_mut()
            .discard_timer(id);
    }
    Ok(0)
}

/// Signals the expiries of one process's timers: an expiry whose signal
/// still waits in a queue adds to its overrun count instead of queueing
/// another.
pub(crate) fn notify_expiries<K: Kernel>(
    kernel: &K,
    process: &Arc<Process<K::Env>>,
    expiries: alloc::vec::Vec<Expiry>,
) {
    for expiry in expiries {
        let TimerNotify::Signal {
            signal,
            value,
            thread,
        } = expiry.notify
        else {
            continue;
        };
        let added = expiry.overruns.saturating_add(1);
        if process
            .data()
            .signals_mut()
            .shared_pending_mut()
            .add_timer_overrun(expiry.id, added)
        {
            continue;
        }
        let target = thread.and_then(|tid| process.threads().into_iter().find(|t| t.tid() == tid));
        if let Some(target) = &target
            && target
                .data()
                .signals()
                .lock()
                .pending_mut()
                .add_timer_overrun(expiry.id, added)
        {
            continue;
        }
        let overrun = i32::try_from(expiry.overruns).unwrap_or(signal::DELAYTIMER_MAX);
        let info = SigInfo::timer(signal, expiry.id, overrun, value);
        // A target thread that exited meanwhile: the process gets it.
        let _ = match &target {
            Some(target) => send_to_thread(kernel, process, target, info),
            None => send(kernel, process, info),
        };
    }
}

/// Expires the wall and monotonic POSIX timers of `process` due at
/// monotonic `now`; returns the earliest monotonic deadline left.
pub(crate) fn fire<K: Kernel>(
    kernel: &K,
    process: &Arc<Process<K::Env>>,
    now: u64,
    realtime_now: u64,
) -> Option<u64> {
    let notify = TIMER_NOTIFY.lock();
    let (expiries, next) = {
        let mut data = process.data();
        let timers: &mut PosixTimers = data.signals_mut().posix_timers_mut();
        if timers.is_empty() {
            return None;
        }
        let expiries = timers.expire(|clock| match clock {
            TimerClock::Realtime => realtime_now,
            _ => now,
        });
        let next = timers.next_deadline(|clock, deadline| match clock {
            // A wall deadline is as far away as it is on the wall clock.
            TimerClock::Realtime => now.saturating_add(deadline.saturating_sub(realtime_now)),
            _ => deadline,
        });
        (expiries, next)
    };
    notify_expiries(kernel, process, expiries);
    drop(notify);
    next
}
