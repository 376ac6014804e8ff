//! Locking memory: `mlock`, `mlock2`, `munlock`, `mlockall`,
//! `munlockall`, and what `mmap` and `brk` share with them (the limit
//! `MAP_LOCKED` checks, making locked and `MAP_POPULATE` mappings
//! present).
//!
//! There is no swap, so a page once present stays present: locking marks
//! the regions (`VmLck` in `/proc/<pid>/status`, what `RLIMIT_MEMLOCK`
//! limits) and makes their pages present at once, so a locked range takes
//! no page fault later, which is what programs lock memory for.

use abi::{Errno, KernelResult};
use mm::{MapRequest, PAGE_SIZE, VirtAddr};
use process::Resource;

use crate::SyscallResult;
use crate::context::Context;
use crate::kernel::Kernel;

/// `mlock2`'s and `mlockall`'s "lock pages as they are faulted in".
const MLOCK_ONFAULT: u32 = 1;
const MCL_CURRENT: u32 = 1;
const MCL_FUTURE: u32 = 2;
const MCL_ONFAULT: u32 = 4;

/// The caller's `RLIMIT_MEMLOCK` in bytes, `None` when it may lock without
/// limit (`CAP_IPC_LOCK`). `EPERM` for a zero limit without
/// that privilege (Linux's `can_do_mlock`).
fn lock_limit<K: Kernel>(ctx: &Context<'_, K>) -> KernelResult<Option<u64>> {
    let data = ctx.process.data();
    if data.credentials().capable(abi::capability::CAP_IPC_LOCK) {
        return Ok(None);
    }
    match data.rlimits().get(Resource::Memlock).soft {
        0 => Err(Errno::EPERM),
        limit => Ok(Some(limit)),
    }
}

/// Makes `[address, address + len)` present, with the errors `mlock`
/// gives: `ENOMEM` for pages the process cannot read, `EAGAIN` when
/// memory runs out (Linux's `__mlock_posix_error_return`); the pages made
/// present before stay so.
fn populate<K: Kernel>(ctx: &Context<'_, K>, address: u64, len: u64) -> KernelResult<()> {
    ctx.kernel
        .populate_memory(ctx.process, address, len)
        .map_err(|error| match error {
            Errno::EFAULT => Errno::ENOMEM,
            Errno::ENOMEM => Errno::EAGAIN,
            other => other,
        })
}

/// Locks `[address, address + len)` within the caller's limit (`ENOMEM`
/// past it), making its pages present unless `on_fault`.
fn lock_range<K: Kernel>(
    ctx: &Context<'_, K>,
    address: u64,
    len: u64,
    on_fault: bool,
) -> SyscallResult {
    let limit = lock_limit(ctx)?;
    ctx.kernel.with_address_space(ctx.process, |space, _| {
        if let Some(limit) = limit {
            let locked = space.locked_bytes() + space.unlocked_bytes_in(VirtAddr(address), len);
            if locked > limit {
                return Err(Errno::ENOMEM);
            }
        }
        space.set_locked(VirtAddr(address), len, true)
    })?;
    if !on_fault {
        populate(ctx, address, len)?;
    }
    Ok(0)
}

/// `mlock(addr, len)`: locks the pages of the range (`addr` need not be
/// aligned) and makes them present. `ENOMEM` if part of it is unmapped or
/// cannot be read (then it stays locked, as on Linux), or past the
/// caller's `RLIMIT_MEMLOCK`; `EPERM` with a zero limit.
pub fn mlock<K: Kernel>(ctx: &Context<'_, K>, address: u64, len: u64) -> SyscallResult {
    lock_range(ctx, address, len, false)
}

/// `mlock2(addr, len, flags)`: `mlock`, or with `MLOCK_ONFAULT` a lock
/// that leaves absent pages to their first touch.
pub fn mlock2<K: Kernel>(
    ctx: &Context<'_, K>,
    address: u64,
    len: u64,
    flags: u32,
) -> SyscallResult {
    if flags & !MLOCK_ONFAULT != 0 {
        return Err(Errno::EINVAL);
    }
    lock_range(ctx, address, len, flags & MLOCK_ONFAULT != 0)
}

/// `munlock(addr, len)`: unlocks the range; `ENOMEM` if part of it is
/// unmapped.
pub fn munlock<K: Kernel>(ctx: &Context<'_, K>, address: u64, len: u64) -> SyscallResult {
    ctx.kernel.with_address_space(ctx.process, |space, _| {
        space.set_locked(VirtAddr(address), len, false)
    })?;
    Ok(0)
}

/// `mlockall(flags)`: `MCL_CURRENT` locks every mapping and makes what it
/// can present (a `PROT_NONE` mapping stays locked and absent),
/// `MCL_FUTURE` locks mappings made later, `MCL_ONFAULT` leaves pages to
/// their first touch. `EINVAL` for no flag, an unknown one or
/// `MCL_ONFAULT` alone; `ENOMEM` if the mappings pass `RLIMIT_MEMLOCK`.
pub fn mlockall<K: Kernel>(ctx: &Context<'_, K>, flags: u32) -> SyscallResult {
    if flags == 0 || flags & !(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) != 0 || flags == MCL_ONFAULT
    {
        return Err(Errno::EINVAL);
    }
    let limit = lock_limit(ctx)?;
    let regions = ctx.kernel.with_address_space(ctx.process, |space, _| {
        if limit.is_some_and(|limit| flags & MCL_CURRENT != 0 && space.mapped_bytes() > limit) {
            return Err(Errno::ENOMEM);
        }
        space.set_lock_future(flags & MCL_FUTURE != 0);
        if flags & MCL_CURRENT == 0 {
            return Ok(alloc::vec::Vec::new());
        }
        space.set_all_locked(true);
        Ok(space.regions().map(|region| region.range()).collect())
    })?;
    if flags & MCL_ONFAULT == 0 {
        for range in regions {
            populate_mapping(ctx, range.start().0, range.len());
        }
    }
    Ok(0)
}

/// `munlockall()`: unlocks every mapping, and those made later.
pub fn munlockall<K: Kernel>(ctx: &Context<'_, K>) -> SyscallResult {
    ctx.kernel.with_address_space(ctx.process, |space, _| {
        space.set_all_locked(false);
        space.set_lock_future(false);
        Ok(())
    })?;
    Ok(0)
}

/// `mmap` with `MAP_LOCKED`: `request` mapped, locked and made present as
/// far as it can be. `EAGAIN` past `RLIMIT_MEMLOCK`, checked before
/// anything is mapped, as on Linux.
#[cold]
pub(crate) fn map_locked<K: Kernel>(
    ctx: &Context<'_, K>,
    request: MapRequest,
    len: u64,
) -> SyscallResult {
    let limit = lock_limit(ctx)?;
    let mapped = ctx
        .kernel
        .with_address_space(ctx.process, |space, frames| {
            let pages = len.checked_next_multiple_of(PAGE_SIZE).unwrap_or(u64::MAX);
            let locked = space.locked_bytes().saturating_add(pages);
            if limit.is_some_and(|limit| locked > limit) {
                return Err(Errno::EAGAIN);
            }
            let mapped = space.mmap(request, frames)?;
            space.set_locked(mapped, len, true)?;
            Ok(mapped)
        })?;
    populate_mapping(ctx, mapped.0, len);
    Ok(mapped.0)
}

/// Makes a new mapping present as far as it can be (Linux's
/// `mm_populate` after `mmap`, whose errors it ignores): for a locked one
/// (`MAP_LOCKED`, `MCL_FUTURE`) or `MAP_POPULATE`. A mapping larger than
/// half the free memory is left to fault in as it is touched: mappings
/// here may be larger than memory (Linux's heuristic overcommit refuses
/// such a size), and filling one would leave the machine to the
/// out-of-memory killer for a hint.
pub(crate) fn populate_mapping<K: Kernel>(ctx: &Context<'_, K>, address: u64, len: u64) {
    if len > ctx.kernel.memory_stats().free_bytes / 2 {
        return;
    }
    let _ = ctx.kernel.populate_memory(ctx.process, address, len);
}
