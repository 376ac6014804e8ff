//! `eventfd` and `eventfd2`: event counters as descriptors (the `fs`
//! crate's `EventFd`), which event loops poll and wake one another with.

use fs::OpenFlags;

use crate::SyscallResult;
use crate::context::Context;
use crate::kernel::Kernel;

/// `eventfd2(initval, flags)`: `EFD_SEMAPHORE`, `EFD_NONBLOCK`,
/// `EFD_CLOEXEC`; anything else is `EINVAL`.
pub fn eventfd2<K: Kernel>(ctx: &Context<'_, K>, initial: u32, flags: u32) -> SyscallResult {
    let description = fs::eventfd::create_eventfd(initial, flags, ctx.kernel.new_wait_queue())?;
    let cloexec = flags & OpenFlags::O_CLOEXEC.bits() != 0;
    Ok(ctx.install(description, cloexec)? as u64)
}

/// `eventfd(initval)`: `eventfd2` without flags.
pub fn eventfd<K: Kernel>(ctx: &Context<'_, K>, initial: u32) -> SyscallResult {
    eventfd2(ctx, initial, 0)
}
