//! Clocks and sleeping: clock_gettime, clock_getres, gettimeofday, time,
//! nanosleep, clock_nanosleep, and restart_syscall, which resumes an
//! interrupted sleep.
//!
//! The CPU-time clocks count timer ticks: a process's in `USER_HZ` units
//! (its `times`), a thread's in scheduler ticks (see NOTES.md).

use abi::clock::{
    CLOCK_BOOTTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_COARSE, CLOCK_MONOTONIC_RAW,
    CLOCK_PROCESS_CPUTIME_ID, CLOCK_REALTIME, CLOCK_REALTIME_COARSE, CLOCK_THREAD_CPUTIME_ID,
    TIMER_ABSTIME,
};
use abi::{Errno, KernelResult, Timespec, Timeval, Timezone};
use sched::WakeReason;
use signal::RestartBlock;

use crate::SyscallResult;
use crate::args::UserPtr;
use crate::context::Context;
use crate::kernel::{Kernel, UserThreadData};

fn is_realtime(clock: u32) -> bool {
    matches!(clock, CLOCK_REALTIME | CLOCK_REALTIME_COARSE)
}

fn clock_now<K: Kernel>(ctx: &Context<'_, K>, clock: u32) -> KernelResult<Timespec> {
    match clock {
        CLOCK_REALTIME | CLOCK_REALTIME_COARSE => Ok(ctx.kernel.realtime()),
        CLOCK_MONOTONIC | CLOCK_MONOTONIC_RAW | CLOCK_MONOTONIC_COARSE | CLOCK_BOOTTIME => {
            Ok(Timespec::from_nanos(ctx.kernel.now_ns()))
        }
        CLOCK_PROCESS_CPUTIME_ID => Ok(Timespec::from_nanos(
            process_cpu_ns(ctx.kernel, ctx.process).1,
        )),
        CLOCK_THREAD_CPUTIME_ID => Ok(Timespec::from_nanos(ctx.kernel.thread_cpu_ns(ctx.thread))),
        _ if (clock as i32) < 0 => cpu_clock_now(ctx, clock as i32).map(Timespec::from_nanos),
        _ => Err(Errno::EINVAL),
    }
}

/// The process's CPU time, user part and total, in nanoseconds: the total
/// to the nanosecond from the scheduler's accounting of every thread
/// ([`Kernel::thread_cpu_ns`], and what the threads that left had run);
/// the user part from the sampled ticks (`times`), which the caller folds
/// its own running thread's into first, bounded by the total.
pub(crate) fn process_cpu_ns<K: Kernel>(
    kernel: &K,
    process: &process::Process<K::Env>,
) -> (u64, u64) {
    let total = process.cpu_ns(|thread| kernel.thread_cpu_ns(thread));
    let user = process.data().times().user * (1_000_000_000 / crate::info::USER_HZ);
    (user.min(total), total)
}

/// A CPU-time clock named by id, as `clock_getcpuclockid` and
/// `pthread_getcpuclockid` make them (Linux's `CPUCLOCK_*` encoding): the
/// complement of a pid (or, with bit 2, of a tid of the caller's own
/// process; 0 is the caller) shifted left by 3, and in the low two bits
/// which time: 0 user and system, 1 user, 2 scheduled. The clock of an
/// unknown process or of another process's thread is `EINVAL`, as on
/// Linux; so is a thread's user time, which is not kept apart here.
fn cpu_clock_now<K: Kernel>(ctx: &Context<'_, K>, clock: i32) -> KernelResult<u64> {
    const PER_THREAD: i32 = 4;
    const USER: i32 = 1;
    let id = !(clock >> 3);
    let which = clock & 3;
    if which == 3 {
        // A clock of a file descriptor (dynamic POSIX clocks): none here.
        return Err(Errno::EINVAL);
    }
    if clock & PER_THREAD != 0 {
        if which == USER {
            return Err(Errno::EINVAL);
        }
        if id == 0 || id == ctx.thread.tid() {
            return Ok(ctx.kernel.thread_cpu_ns(ctx.thread));
        }
        let threads = ctx.process.threads();
        let thread = threads
            .iter()
            .find(|t| t.tid() == id)
            .ok_or(Errno::EINVAL)?;
        return Ok(ctx.kernel.thread_cpu_ns(thread));
    }
    let (user, total) = if id == 0 || id == ctx.process.pid() {
        ctx.kernel.fold_cpu_time();
        process_cpu_ns(ctx.kernel, ctx.process)
    } else {
        let process = ctx.kernel.processes().from_pid(id).ok_or(Errno::EINVAL)?;
        process_cpu_ns(ctx.kernel, &process)
    };
    Ok(if which == USER { user } else { total })
}

/// `clock_gettime(clock, tp)`.
pub fn clock_gettime<K: Kernel>(
    ctx: &Context<'_, K>,
    clock: u32,
    tp: UserPtr<Timespec>,
) -> SyscallResult {
    ctx.write(tp, &clock_now(ctx, clock)?)?;
    Ok(0)
}

/// `clock_getres(clock, res)`: nanosecond resolution for every clock.
pub fn clock_getres<K: Kernel>(
    ctx: &Context<'_, K>,
    clock: u32,
    res: UserPtr<Timespec>,
) -> SyscallResult {
    clock_now(ctx, clock)?;
    ctx.write_optional(res, &Timespec::from_nanos(1))?;
    Ok(0)
}

/// `gettimeofday(tv, tz)`: the time zone is always UTC.
pub fn gettimeofday<K: Kernel>(
    ctx: &Context<'_, K>,
    tv: UserPtr<Timeval>,
    tz: UserPtr<Timezone>,
) -> SyscallResult {
    let now = ctx.kernel.realtime();
    let value = Timeval {
        tv_sec: now.sec,
        tv_usec: now.nsec / 1000,
    };
    ctx.write_optional(tv, &value)?;
    ctx.write_optional(tz, &Timezone::default())?;
    Ok(0)
}

/// Sets the wall clock as the caller: `EPERM` without `CAP_SYS_TIME`.
fn set_wall_clock<K: Kernel>(ctx: &Context<'_, K>, now: Timespec) -> SyscallResult {
    if !ctx.capable(abi::capability::CAP_SYS_TIME) {
        return Err(Errno::EPERM);
    }
    ctx.kernel.set_realtime(now)?;
    Ok(0)
}

/// `clock_settime(clock, tp)`: only `CLOCK_REALTIME` can be set (the
/// others are `EINVAL`, as on Linux), and only by root.
pub fn clock_settime<K: Kernel>(
    ctx: &Context<'_, K>,
    clock: u32,
    tp: UserPtr<Timespec>,
) -> SyscallResult {
    let now = ctx.read(tp)?;
    if clock != CLOCK_REALTIME {
        return Err(Errno::EINVAL);
    }
    set_wall_clock(ctx, now)
}

/// `settimeofday(tv, tz)`: `tv` sets the wall clock (`CAP_SYS_TIME` only); the time
/// zone is not kept (Linux keeps it only for a few file systems).
pub fn settimeofday<K: Kernel>(
    ctx: &Context<'_, K>,
    tv: UserPtr<Timeval>,
    tz: UserPtr<Timezone>,
) -> SyscallResult {
    if !tz.is_null() {
        let zone: Timezone = ctx.read(tz)?;
        if zone.minuteswest.unsigned_abs() > 15 * 60 {
            return Err(Errno::EINVAL);
        }
    }
    if tv.is_null() {
        return if ctx.capable(abi::capability::CAP_SYS_TIME) {
            Ok(0)
        } else {
            Err(Errno::EPERM)
        };
    }
    let value = ctx.read(tv)?;
    if !(0..1_000_000).contains(&value.tv_usec) {
        return Err(Errno::EINVAL);
    }
    set_wall_clock(
        ctx,
        Timespec {
            sec: value.tv_sec,
            nsec: value.tv_usec * 1000,
        },
    )
}

/// `time(tloc)`.
pub fn time<K: Kernel>(ctx: &Context<'_, K>, tloc: UserPtr<i64>) -> SyscallResult {
    let now = ctx.kernel.realtime().sec;
    ctx.write_optional(tloc, &now)?;
    Ok(now as u64)
}

/// Sleeps until `deadline` (monotonic ns). Interrupted, it writes the
/// time left to `remaining` (when given), fails with `EINTR` and leaves
/// its deadline for [`restart_syscall`]: if no handler runs (a stop and
/// `SIGCONT`, an ignored signal), the sleep goes on to the same deadline,
/// not for its whole length again (Linux's `ERESTART_RESTARTBLOCK`).
fn sleep<K: Kernel>(
    ctx: &Context<'_, K>,
    deadline: u64,
    remaining: UserPtr<Timespec>,
) -> SyscallResult {
    match ctx.kernel.sleep_until(deadline) {
        WakeReason::Interrupted => {
            let left = deadline.saturating_sub(ctx.kernel.now_ns());
            ctx.write_optional(remaining, &Timespec::from_nanos(left))?;
            ctx.thread
                .data()
                .signals()
                .lock()
                .set_restart(RestartBlock::Sleep {
                    deadline_ns: deadline,
                    remaining: remaining.address(),
                });
            Err(Errno::EINTR)
        }
        _ => Ok(0),
    }
}

/// `restart_syscall()`: resumes what the last call interrupted with
/// `ERESTART_RESTARTBLOCK` left (the kernel makes this call in the
/// thread's place); `EINTR` if nothing was left, as on Linux.
pub fn restart_syscall<K: Kernel>(ctx: &Context<'_, K>) -> SyscallResult {
    let block = ctx.thread.data().signals().lock().take_restart();
    match block {
        Some(RestartBlock::Sleep {
            deadline_ns,
            remaining,
        }) => sleep(ctx, deadline_ns, UserPtr::new(remaining)),
        Some(RestartBlock::Poll {
            fds,
            count,
            deadline_ns,
        }) => crate::fs::poll::restart_poll(ctx, UserPtr::new(fds), count as usize, deadline_ns),
        Some(RestartBlock::FutexWait {
            address,
            value,
            bitset,
            private,
            deadline_ns,
        }) => {
            let word = crate::futex::Word::new(UserPtr::new(address), private);
            crate::futex::restart_wait(ctx, word, value, bitset, deadline_ns)
        }
        Some(RestartBlock::Never) | None => Err(Errno::EINTR),
    }
}

/// `nanosleep(req, rem)`.
pub fn nanosleep<K: Kernel>(
    ctx: &Context<'_, K>,
    request: UserPtr<Timespec>,
    remaining: UserPtr<Timespec>,
) -> SyscallResult {
    let request = ctx.read(request)?;
    let deadline = request.deadline_after(ctx.kernel.now_ns())?;
    sleep(ctx, deadline, remaining)
}

/// `clock_nanosleep(clock, flags, req, rem)`: an absolute realtime
/// deadline is converted to monotonic time when the sleep starts.
pub fn clock_nanosleep<K: Kernel>(
    ctx: &Context<'_, K>,
    clock: u32,
    flags: u32,
    request: UserPtr<Timespec>,
    remaining: UserPtr<Timespec>,
) -> SyscallResult {
    let request = ctx.read(request)?.validate()?;
    let absolute = flags & TIMER_ABSTIME != 0;
    let now = ctx.kernel.now_ns();
    let deadline = if absolute && is_realtime(clock) {
        let wall = ctx.kernel.realtime().as_nanos_i128();
        let wait = (request.as_nanos_i128() - wall).max(0);
        now.saturating_add(u64::try_from(wait).unwrap_or(u64::MAX))
    } else if absolute {
        clock_now(ctx, clock)?;
        request.duration_nanos()?
    } else {
        clock_now(ctx, clock)?;
        request.deadline_after(now)?
    };
    let remaining = if absolute { UserPtr::new(0) } else { remaining };
    sleep(ctx, deadline, remaining)
}
