//! `membarrier`: a memory barrier on the CPUs running other threads, so
//! that one side of a lock-free algorithm can leave out its fences (RCU in
//! user space, managed runtimes' safepoints). Every command but those for
//! restartable sequences (`rseq` is absent) is served: the expedited ones
//! interrupt the CPUs that run the caller's address space, or every CPU
//! for the global ones, and wait until each has taken the interrupt (a
//! full barrier, and a serializing return for the `SYNC_CORE` kind).

use abi::Errno;

use crate::SyscallResult;
use crate::context::Context;
use crate::kernel::{BarrierScope, Kernel};

/// `MEMBARRIER_CMD_QUERY`: which commands are served.
pub const MEMBARRIER_CMD_QUERY: i32 = 0;
/// `MEMBARRIER_CMD_GLOBAL`: every thread of the machine.
pub const MEMBARRIER_CMD_GLOBAL: i32 = 1;
/// `MEMBARRIER_CMD_GLOBAL_EXPEDITED`: threads of registered processes.
pub const MEMBARRIER_CMD_GLOBAL_EXPEDITED: i32 = 2;
/// `MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED`.
pub const MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED: i32 = 4;
/// `MEMBARRIER_CMD_PRIVATE_EXPEDITED`: the caller's other threads.
pub const MEMBARRIER_CMD_PRIVATE_EXPEDITED: i32 = 8;
/// `MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED`.
pub const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED: i32 = 16;
/// `MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE`: also serializes.
pub const MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE: i32 = 32;
/// `MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE`.
pub const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE: i32 = 64;
/// `MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ`: needs `rseq`, so refused.
const MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ: i32 = 128;
/// `MEMBARRIER_CMD_FLAG_CPU`: only with the `RSEQ` command.
const MEMBARRIER_CMD_FLAG_CPU: u32 = 1;

/// What `MEMBARRIER_CMD_QUERY` answers: every command above but the
/// restartable-sequence ones (Linux without `CONFIG_RSEQ`).
pub const SERVED: i32 = MEMBARRIER_CMD_GLOBAL
    | MEMBARRIER_CMD_GLOBAL_EXPEDITED
    | MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED
    | MEMBARRIER_CMD_PRIVATE_EXPEDITED
    | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED
    | MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE
    | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE;

/// `membarrier(cmd, flags, cpu_id)`. A private command before its
/// registration is `EPERM`; an unknown command or flag `EINVAL`.
pub fn membarrier<K: Kernel>(
    ctx: &Context<'_, K>,
    cmd: i32,
    flags: u32,
    _cpu_id: i32,
) -> SyscallResult {
    let allowed_flags = if cmd == MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ {
        MEMBARRIER_CMD_FLAG_CPU
    } else {
        0
    };
    if flags & !allowed_flags != 0 {
        return Err(Errno::EINVAL);
    }
    let registered = || ctx.process.data().membarrier_registrations();
    let private = |registration: i32| {
        if registered() & registration as u32 == 0 {
            return Err(Errno::EPERM);
        }
        ctx.kernel.memory_barrier(BarrierScope::OwnAddressSpace);
        Ok(0)
    };
    match cmd {
        MEMBARRIER_CMD_QUERY => Ok(SERVED as u64),
        MEMBARRIER_CMD_GLOBAL | MEMBARRIER_CMD_GLOBAL_EXPEDITED => {
            ctx.kernel.memory_barrier(BarrierScope::EveryCpu);
            Ok(0)
        }
        MEMBARRIER_CMD_PRIVATE_EXPEDITED => private(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED),
        MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE => {
            private(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE)
        }
        MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED
        | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED
        | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE => {
            ctx.process.data().register_membarrier(cmd as u32);
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}
