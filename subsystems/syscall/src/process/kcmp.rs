//! `kcmp(pid1, pid2, type, idx1, idx2)`: whether two threads share a
//! kernel object (an open file description, their memory, descriptor
//! table, file-system context, signal handlers, I/O context or System V
//! semaphore undo list), with an order between objects that are not the
//! same, so that a checkpointing tool (CRIU) or a graphics stack (Mesa's
//! "same file description" test) can sort and deduplicate them.
//!
//! The order is Linux's: each object's address mixed with two per-boot
//! random cookies of its kind, so that answers never reveal kernel
//! addresses yet stay consistent within a boot. Courage shares the
//! descriptor table, file-system context, signal handlers, I/O context
//! and undo list only between the threads of one process, so for those
//! the process stands for the object; memory can also be shared by a
//! `CLONE_VM` child, so its address space is compared itself.

use alloc::sync::Arc;
use core::sync::atomic::{AtomicU64, Ordering};

use abi::{Errno, KernelResult};
use fs::FileDescription;
use process::{Process, ProcessEnv};
use zerocopy::{FromBytes, Immutable, IntoBytes};

use crate::SyscallResult;
use crate::args::UserPtr;
use crate::context::Context;
use crate::kernel::Kernel;

const KCMP_FILE: i32 = 0;
const KCMP_VM: i32 = 1;
const KCMP_FILES: i32 = 2;
const KCMP_FS: i32 = 3;
const KCMP_SIGHAND: i32 = 4;
const KCMP_IO: i32 = 5;
const KCMP_SYSVSEM: i32 = 6;
const KCMP_EPOLL_TFD: i32 = 7;
const KCMP_TYPES: usize = 8;

/// `struct kcmp_epoll_slot`: which target of which epoll instance.
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, Immutable)]
#[repr(C)]
pub struct KcmpEpollSlot {
    /// The epoll instance, a descriptor of the second thread's process.
    pub efd: u32,
    /// The descriptor number the target was added under.
    pub tfd: u32,
    /// Which of the targets added under that number (from 0).
    pub toff: u32,
}

/// `kcmp`: 0 when both name the same object, else 1 or 2 as the first
/// orders before or after the second. `ESRCH` for an unknown thread,
/// `EPERM` unless the caller could trace both, `EBADF` for a descriptor
/// that is not open, `EINVAL` for an unknown type or an `efd` that is
/// no epoll instance, `ENOENT` for an epoll slot that holds no target,
/// `EFAULT` for an unreadable slot.
pub fn kcmp<K: Kernel>(
    ctx: &Context<'_, K>,
    pid1: i32,
    pid2: i32,
    kind: i32,
    idx1: u64,
    idx2: u64,
) -> SyscallResult {
    let first = process_of_thread(ctx, pid1)?;
    let second = process_of_thread(ctx, pid2)?;
    crate::process::remote_memory::check_access(ctx, &first)?;
    crate::process::remote_memory::check_access(ctx, &second)?;
    let (a, b) = match kind {
        KCMP_FILE => (
            address(&file(&first, idx1)?),
            address(&file(&second, idx2)?),
        ),
        KCMP_VM => (memory(&first), memory(&second)),
        KCMP_FILES | KCMP_FS | KCMP_SIGHAND | KCMP_IO | KCMP_SYSVSEM => {
            (address(&first), address(&second))
        }
        KCMP_EPOLL_TFD => {
            // Linux's order: the first file, the slot, the epoll instance.
            let compared = file(&first, idx1)?;
            let slot = ctx.read(UserPtr::<KcmpEpollSlot>::new(idx2))?;
            let epoll = file(&second, u64::from(slot.efd))?;
            let epoll = epoll.file().epoll().ok_or(Errno::EINVAL)?;
            let target = i32::try_from(slot.tfd)
                .ok()
                .and_then(|fd| epoll.target(fd, slot.toff as usize))
                .ok_or(Errno::ENOENT)?;
            (address(&compared), address(&target))
        }
        _ => return Err(Errno::EINVAL),
    };
    Ok(order(ctx.kernel, kind as usize, a, b))
}

/// The process of thread `tid` (any thread's id, as Linux looks tasks up).
fn process_of_thread<K: Kernel>(
    ctx: &Context<'_, K>,
    tid: i32,
) -> KernelResult<Arc<Process<K::Env>>> {
    let processes = ctx.kernel.processes();
    let thread = processes.from_tid(tid).ok_or(Errno::ESRCH)?;
    processes.from_pid(thread.pid()).ok_or(Errno::ESRCH)
}

/// The description open as `fd` in `process`; `EBADF` if none.
fn file<E: ProcessEnv<Description = Arc<FileDescription>>>(
    process: &Process<E>,
    fd: u64,
) -> KernelResult<Arc<FileDescription>> {
    let fd = i32::try_from(fd).map_err(|_| Errno::EBADF)?;
    process.fds().lock().get(fd).cloned()
}

/// What names `process`'s memory: its address space where the
/// environment can tell (shared by `CLONE_VM` children), else the process.
fn memory<E: ProcessEnv>(process: &Arc<Process<E>>) -> usize {
    process
        .data()
        .address_space()
        .and_then(E::address_space_identity)
        .unwrap_or_else(|| address(process))
}

fn address<T>(object: &Arc<T>) -> usize {
    Arc::as_ptr(object) as *const u8 as usize
}

/// Per-boot cookies for each type: an exclusive or, then an odd factor
/// with the top bit set (Linux's `kptr_obfuscate`); zero until first use.
static COOKIES: [[AtomicU64; 2]; KCMP_TYPES] =
    [const { [AtomicU64::new(0), AtomicU64::new(0)] }; KCMP_TYPES];

/// Linux's answer for two addresses of objects of type `kind`: 0 equal,
/// 1 first before second, 2 after, in the cookies' mixed order.
fn order<K: Kernel>(kernel: &K, kind: usize, a: usize, b: usize) -> u64 {
    let [mix, factor] = &COOKIES[kind];
    let mix = cookie(kernel, mix, 1 << 62);
    let factor = cookie(kernel, factor, (1 << 63) | 1);
    let key = |address: usize| ((address as u64 ^ mix).wrapping_mul(factor)) as i64;
    let (a, b) = (key(a), key(b));
    u64::from(a < b) | (u64::from(a > b) << 1)
}

/// The cookie in `slot`, drawn on first use with the `forced` bits set (so
/// it is never zero, which means unset); one value wins any race.
fn cookie<K: Kernel>(kernel: &K, slot: &AtomicU64, forced: u64) -> u64 {
    let seen = slot.load(Ordering::Relaxed);
    if seen != 0 {
        return seen;
    }
    let mut bytes = [0u8; 8];
    kernel.fill_random(&mut bytes);
    let fresh = u64::from_ne_bytes(bytes) | forced;
    match slot.compare_exchange(0, fresh, Ordering::Relaxed, Ordering::Relaxed) {
        Ok(_) => fresh,
        Err(winner) => winner,
    }
}
