//! `timerfd_create`, `timerfd_settime`, `timerfd_gettime`: timers as
//! descriptors (the `fs` crate's `TimerFd`), read and polled by event loops.

use abi::{Errno, KernelResult, Timespec};
use fs::OpenFlags;

use crate::SyscallResult;
use crate::args::{Fd, UserPtr};
use crate::context::Context;
use crate::kernel::Kernel;

/// `struct itimerspec`: interval, then value.
type Itimerspec = [Timespec; 2];

fn nanos(ts: Timespec) -> KernelResult<u64> {
    let ts = ts.validate()?;
    u64::try_from(ts.as_nanos_i128()).map_err(|_| Errno::EINVAL)
}

/// `timerfd_create(clockid, flags)`: `TFD_NONBLOCK`, `TFD_CLOEXEC`.
pub fn timerfd_create<K: Kernel>(ctx: &Context<'_, K>, clock: i32, flags: u32) -> SyscallResult {
    let description = fs::timerfd::create_timerfd(
        clock,
        flags,
        ctx.kernel.timer_clock(),
        ctx.kernel.new_wait_queue(),
    )?;
    let cloexec = flags & OpenFlags::O_CLOEXEC.bits() != 0;
    Ok(ctx.install(description, cloexec)? as u64)
}

fn timer(description: &fs::FileDescription) -> KernelResult<&fs::timerfd::TimerFd> {
    description.file().timerfd().ok_or(Errno::EINVAL)
}

fn write_setting<K: Kernel>(
    ctx: &Context<'_, K>,
    out: UserPtr<Itimerspec>,
    (value, interval): (u64, u64),
) -> KernelResult<()> {
    if out.is_null() {
        return Ok(());
    }
    ctx.write(
        out,
        &[Timespec::from_nanos(interval), Timespec::from_nanos(value)],
    )
}

/// `timerfd_settime(fd, flags, new, old)`: `TFD_TIMER_ABSTIME`,
/// `TFD_TIMER_CANCEL_ON_SET` (accepted; the clock is not set under it).
pub fn timerfd_settime<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    flags: u32,
    new: UserPtr<Itimerspec>,
    old: UserPtr<Itimerspec>,
) -> SyscallResult {
    let description = ctx.description(fd)?;
    let timer = timer(&description)?;
    let [interval, value] = ctx.read(new)?;
    let previous = timer.set(flags, nanos(value)?, nanos(interval)?)?;
    write_setting(ctx, old, previous)?;
    Ok(0)
}

/// `timerfd_gettime(fd, current)`.
pub fn timerfd_gettime<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    current: UserPtr<Itimerspec>,
) -> SyscallResult {
    let description = ctx.description(fd)?;
    let setting = timer(&description)?.get();
    write_setting(ctx, current, setting)?;
    Ok(0)
}
