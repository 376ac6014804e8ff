//! Time calls: clocks, sleeping.

use abi::{Errno, KernelResult};
use sched::{Timespec, WakeReason};

use super::user::{read, write};
use super::{Call, SyscallResult};
use crate::time;

const CLOCK_REALTIME: u64 = 0;
const CLOCK_MONOTONIC: u64 = 1;
const CLOCK_PROCESS_CPUTIME_ID: u64 = 2;
const CLOCK_THREAD_CPUTIME_ID: u64 = 3;
const CLOCK_MONOTONIC_RAW: u64 = 4;
const CLOCK_REALTIME_COARSE: u64 = 5;
const CLOCK_MONOTONIC_COARSE: u64 = 6;
const CLOCK_BOOTTIME: u64 = 7;
const TIMER_ABSTIME: u64 = 1;

fn clock_now(clock: u64) -> KernelResult<Timespec> {
    match clock {
        CLOCK_REALTIME | CLOCK_REALTIME_COARSE => Ok(time::realtime()),
        CLOCK_MONOTONIC
        | CLOCK_MONOTONIC_RAW
        | CLOCK_MONOTONIC_COARSE
        | CLOCK_BOOTTIME
        | CLOCK_PROCESS_CPUTIME_ID
        | CLOCK_THREAD_CPUTIME_ID => Ok(Timespec::from_nanos(time::now_ns())),
        _ => Err(Errno::EINVAL),
    }
}

/// Sleeps until monotonic `deadline`; on interruption writes the time left
/// to `remaining` (when given) and fails with `EINTR`.
fn sleep(deadline: u64, remaining: u64) -> SyscallResult {
    match crate::task::sleep_until(deadline) {
        WakeReason::Interrupted => {
            if remaining != 0 {
                let left = deadline.saturating_sub(time::now_ns());
                write(remaining, &Timespec::from_nanos(left))?;
            }
            Err(Errno::EINTR)
        }
        _ => Ok(0),
    }
}

/// clock_gettime, clock_getres, gettimeofday, time, nanosleep, ...
pub fn dispatch(call: &mut Call<'_>, number: u64) -> SyscallResult {
    let a = call.args;
    match number {
        228 => {
            write(a[1], &clock_now(a[0])?)?;
            Ok(0)
        }
        229 => {
            clock_now(a[0])?;
            if a[1] != 0 {
                write(a[1], &Timespec::from_nanos(1))?;
            }
            Ok(0)
        }
        96 => {
            let now = time::realtime();
            if a[0] != 0 {
                write(a[0], &[now.sec, now.nsec / 1000])?;
            }
            if a[1] != 0 {
                write(a[1], &[0i32, 0])?;
            }
            Ok(0)
        }
        201 => {
            let now = time::realtime().sec;
            if a[0] != 0 {
                write(a[0], &now)?;
            }
            Ok(now as u64)
        }
        35 => {
            let request: Timespec = read(a[0])?;
            let deadline = request.validate()?.deadline_after(time::now_ns())?;
            sleep(deadline, a[1])
        }
        230 => {
            let request: Timespec = read(a[2])?;
            let request = request.validate()?;
            let deadline = match a[0] {
                CLOCK_REALTIME | CLOCK_REALTIME_COARSE if a[1] & TIMER_ABSTIME != 0 => {
                    let now = time::realtime().as_nanos_i128();
                    let wait = (request.as_nanos_i128() - now).max(0) as u64;
                    time::now_ns() + wait
                }
                _ if a[1] & TIMER_ABSTIME != 0 => {
                    clock_now(a[0])?;
                    request.duration_nanos()?
                }
                _ => {
                    clock_now(a[0])?;
                    request.deadline_after(time::now_ns())?
                }
            };
            let remaining = if a[1] & TIMER_ABSTIME != 0 { 0 } else { a[3] };
            sleep(deadline, remaining)
        }
        _ => Err(Errno::ENOSYS),
    }
}
