//! System V IPC: shared-memory segments (`shm.rs`), message queues
//! (`msg.rs`) and semaphore sets (`sem.rs`). The `ipc` crate owns the
//! namespace's rules; these handlers hold segments' pages, map them, and
//! sleep for queues and semaphores.

pub mod msg;
pub mod sem;
pub mod shm;

use abi::capability::{CAP_IPC_LOCK, CAP_IPC_OWNER, CAP_SYS_ADMIN};
use ipc::Requester;

use crate::context::Context;
use crate::kernel::Kernel;

/// Runs `f` with the caller as the namespace's checks see it.
fn with_requester<K: Kernel, R>(ctx: &Context<'_, K>, f: impl FnOnce(&Requester<'_>) -> R) -> R {
    let data = ctx.process.data();
    let credentials = data.credentials();
    f(&Requester {
        pid: ctx.process.pid(),
        euid: credentials.euid(),
        egid: credentials.egid(),
        groups: credentials.groups(),
        ipc_owner: credentials.capable(CAP_IPC_OWNER),
        sys_admin: credentials.capable(CAP_SYS_ADMIN),
        ipc_lock: credentials.capable(CAP_IPC_LOCK),
    })
}

/// The time IPC objects record: seconds since the epoch.
fn now<K: Kernel>(ctx: &Context<'_, K>) -> i64 {
    ctx.kernel.realtime().sec
}
