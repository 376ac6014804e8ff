//! Ids, process groups and sessions, and the per-thread odds and ends
//! (`set_tid_address`, robust futex lists, affinity, `getcpu`, yield).

use abi::capability::{CAP_SYS_NICE, CAP_SYS_PTRACE};
use abi::{Errno, KernelResult, SCHED_ATTR_SIZE_VER0, SchedAttr};
use zerocopy::{FromBytes, IntoBytes};

use crate::SyscallResult;
use crate::args::{UserBuffer, UserPtr};
use crate::context::Context;
use crate::kernel::Kernel;

/// Size of `struct robust_list_head`, the only length Linux accepts.
const ROBUST_LIST_HEAD_SIZE: u64 = 24;

/// `getpid()`: the thread group id.
pub fn getpid<K: Kernel>(ctx: &Context<'_, K>) -> SyscallResult {
    Ok(ctx.process.pid() as u64)
}

/// `getppid()`.
pub fn getppid<K: Kernel>(ctx: &Context<'_, K>) -> SyscallResult {
    Ok(ctx.process.data().ppid() as u64)
}

/// `gettid()`.
pub fn gettid<K: Kernel>(ctx: &Context<'_, K>) -> SyscallResult {
    Ok(ctx.thread.tid() as u64)
}

/// `getpgrp()`.
pub fn getpgrp<K: Kernel>(ctx: &Context<'_, K>) -> SyscallResult {
    Ok(ctx.process.data().pgid() as u64)
}

/// `setpgid(pid, pgid)`: the process table applies POSIX's rules.
pub fn setpgid<K: Kernel>(ctx: &Context<'_, K>, pid: i32, pgid: i32) -> SyscallResult {
    ctx.kernel.processes().setpgid(ctx.process, pid, pgid)?;
    Ok(0)
}

/// `getpgid(pid)`.
pub fn getpgid<K: Kernel>(ctx: &Context<'_, K>, pid: i32) -> SyscallResult {
    Ok(ctx.kernel.processes().getpgid(ctx.process, pid)? as u64)
}

/// `setsid()`: the new session's id.
pub fn setsid<K: Kernel>(ctx: &Context<'_, K>) -> SyscallResult {
    Ok(ctx.kernel.processes().setsid(ctx.process)? as u64)
}

/// `getsid(pid)`.
pub fn getsid<K: Kernel>(ctx: &Context<'_, K>, pid: i32) -> SyscallResult {
    Ok(ctx.kernel.processes().getsid(ctx.process, pid)? as u64)
}

/// `set_tid_address(tidptr)`: where the thread's exit writes 0 and wakes
/// a futex; returns the tid.
pub fn set_tid_address<K: Kernel>(ctx: &Context<'_, K>, address: u64) -> SyscallResult {
    Ok(ctx.thread.set_tid_address(address) as u64)
}

/// `set_robust_list(head, len)`.
pub fn set_robust_list<K: Kernel>(ctx: &Context<'_, K>, head: u64, len: usize) -> SyscallResult {
    ctx.thread.set_robust_list(head, len)?;
    Ok(0)
}

/// `get_robust_list(tid, head_ptr, len_ptr)`: the caller's own (tid 0),
/// or another thread's if the caller may look at it (same user, or `CAP_SYS_PTRACE`).
pub fn get_robust_list<K: Kernel>(
    ctx: &Context<'_, K>,
    tid: i32,
    head: UserPtr<u64>,
    len: UserPtr<u64>,
) -> SyscallResult {
    let address = if tid == 0 {
        ctx.thread.robust_list_head()
    } else {
        let processes = ctx.kernel.processes();
        let thread = processes.from_tid(tid).ok_or(Errno::ESRCH)?;
        let owner = processes.from_pid(thread.pid()).ok_or(Errno::ESRCH)?;
        let caller = ctx.process.data().credentials().clone();
        let target_uid = owner.data().credentials().uid();
        if !caller.capable(CAP_SYS_PTRACE) && caller.uid() != target_uid {
            return Err(Errno::EPERM);
        }
        thread.robust_list_head()
    };
    ctx.write(head, &address)?;
    ctx.write(len, &ROBUST_LIST_HEAD_SIZE)?;
    Ok(0)
}

/// `sched_yield()`.
pub fn sched_yield<K: Kernel>(ctx: &Context<'_, K>) -> SyscallResult {
    ctx.kernel.yield_now();
    Ok(0)
}

/// The CPUs threads may run on, as a mask of `cpus` bits.
fn all_cpus(cpus: usize) -> u64 {
    if cpus >= 64 {
        u64::MAX
    } else {
        (1 << cpus) - 1
    }
}

/// `ESRCH` unless `tid` is 0 (the caller) or an existing thread.
fn check_thread<K: Kernel>(ctx: &Context<'_, K>, tid: i32) -> abi::KernelResult<()> {
    let exists = tid == 0 || (tid > 0 && ctx.kernel.processes().from_tid(tid).is_some());
    if exists { Ok(()) } else { Err(Errno::ESRCH) }
}

/// `sched_setaffinity(pid, len, mask)`: restricts the thread to the CPUs
/// of the mask that exist; `EINVAL` if that leaves none, `EPERM` for
/// another user's thread without `CAP_SYS_NICE`.
pub fn sched_setaffinity<K: Kernel>(
    ctx: &Context<'_, K>,
    tid: i32,
    len: usize,
    mask: UserPtr<u64>,
) -> SyscallResult {
    check_thread(ctx, tid)?;
    if len == 0 {
        return Err(Errno::EINVAL);
    }
    // The first word covers up to 64 CPUs, all this kernel schedules on.
    let first = if len >= 8 {
        ctx.read(mask)?
    } else {
        let mut bytes = [0u8; 8];
        let bytes_in = ctx.read_bytes(crate::args::UserBuffer(mask.address()), len)?;
        bytes[..len].copy_from_slice(&bytes_in);
        u64::from_le_bytes(bytes)
    };
    let effective = first & all_cpus(ctx.kernel.cpu_count());
    if effective == 0 {
        return Err(Errno::EINVAL);
    }
    let thread = target_thread(ctx, tid)?;
    if !ctx.capable(CAP_SYS_NICE) {
        check_same_owner(ctx, &thread)?;
    }
    ctx.kernel.set_thread_affinity(&thread, effective)?;
    Ok(0)
}

/// `sched_getaffinity(pid, len, mask)`: the CPUs the thread may run on
/// (of those that exist); returns the bytes written (one word).
pub fn sched_getaffinity<K: Kernel>(
    ctx: &Context<'_, K>,
    tid: i32,
    len: usize,
    mask: UserPtr<u64>,
) -> SyscallResult {
    check_thread(ctx, tid)?;
    if len < 8 || len % 8 != 0 {
        return Err(Errno::EINVAL);
    }
    let thread = target_thread(ctx, tid)?;
    let affinity = ctx.kernel.thread_affinity(&thread)? & all_cpus(ctx.kernel.cpu_count());
    ctx.write(mask, &affinity)?;
    Ok(8)
}

/// `getcpu(cpu, node, cache)`: the CPU the caller runs on, node 0.
pub fn getcpu<K: Kernel>(
    ctx: &Context<'_, K>,
    cpu: UserPtr<u32>,
    node: UserPtr<u32>,
) -> SyscallResult {
    ctx.write_optional(cpu, &ctx.kernel.current_cpu())?;
    ctx.write_optional(node, &0)?;
    Ok(0)
}

/// `SCHED_OTHER`, `SCHED_FIFO`, `SCHED_RR`, `SCHED_BATCH`, `SCHED_IDLE`.
const SCHED_POLICIES: [u32; 5] = [0, 1, 2, 3, 5];
/// `SCHED_RESET_ON_FORK`, or-ed into a policy.
const SCHED_RESET_ON_FORK: u32 = 0x4000_0000;

/// The real-time policies (`SCHED_FIFO`, `SCHED_RR`) take priorities
/// 1..=99, the others only 0; `EINVAL` for an unknown policy.
fn priority_range(policy: u32) -> abi::KernelResult<(u32, u32)> {
    match policy {
        1 | 2 => Ok((1, 99)),
        p if SCHED_POLICIES.contains(&p) => Ok((0, 0)),
        _ => Err(Errno::EINVAL),
    }
}

/// The thread `tid` names (0: the caller); `ESRCH` if none, `EINVAL` for a
/// negative id.
fn target_thread<K: Kernel>(
    ctx: &Context<'_, K>,
    tid: i32,
) -> abi::KernelResult<alloc::sync::Arc<process::Thread<K::Env>>> {
    match tid {
        0 => Ok(ctx.thread.clone()),
        t if t < 0 => Err(Errno::EINVAL),
        t => ctx.kernel.processes().from_tid(t).ok_or(Errno::ESRCH),
    }
}

/// Linux's `check_same_owner`, for a caller without `CAP_SYS_NICE`: a
/// thread of another process may be rescheduled only if the caller's
/// effective uid is that process's real or effective one (`EPERM`).
fn check_same_owner<K: Kernel>(
    ctx: &Context<'_, K>,
    thread: &process::Thread<K::Env>,
) -> KernelResult<()> {
    if thread.pid() == ctx.process.pid() {
        return Ok(());
    }
    let euid = ctx.process.data().credentials().euid();
    let owner = ctx
        .kernel
        .processes()
        .from_pid(thread.pid())
        .ok_or(Errno::ESRCH)?;
    let data = owner.data();
    let credentials = data.credentials();
    if euid == credentials.uid() || euid == credentials.euid() {
        Ok(())
    } else {
        Err(Errno::EPERM)
    }
}

/// `sched_get_priority_max(policy)`.
pub fn sched_get_priority_max<K: Kernel>(_ctx: &Context<'_, K>, policy: i32) -> SyscallResult {
    Ok(u64::from(priority_range(policy as u32)?.1))
}

/// `sched_get_priority_min(policy)`.
pub fn sched_get_priority_min<K: Kernel>(_ctx: &Context<'_, K>, policy: i32) -> SyscallResult {
    Ok(u64::from(priority_range(policy as u32)?.0))
}

/// `sched_setscheduler(pid, policy, param)`: the policy and priority are
/// kept and reported (`sched_getscheduler`, `/proc`); the scheduler itself
/// runs every policy as `SCHED_OTHER` (see NOTES.md). Real-time policies
/// need `CAP_SYS_NICE` (`EPERM`), as with Linux's default `RLIMIT_RTPRIO`
/// of 0, and so does another user's thread.
pub fn sched_setscheduler<K: Kernel>(
    ctx: &Context<'_, K>,
    tid: i32,
    policy: i32,
    param: UserPtr<i32>,
) -> SyscallResult {
    if param.is_null() || policy < 0 {
        return Err(Errno::EINVAL);
    }
    let priority = ctx.read(param)?;
    let policy = policy as u32;
    let (min, max) = priority_range(policy & !SCHED_RESET_ON_FORK)?;
    if priority < 0 || !(min..=max).contains(&(priority as u32)) {
        return Err(Errno::EINVAL);
    }
    let thread = target_thread(ctx, tid)?;
    if !ctx.capable(CAP_SYS_NICE) {
        check_same_owner(ctx, &thread)?;
        if max > 0 {
            return Err(Errno::EPERM);
        }
    }
    thread.set_scheduling(policy, priority as u32);
    Ok(0)
}

/// `sched_getscheduler(pid)`.
pub fn sched_getscheduler<K: Kernel>(ctx: &Context<'_, K>, tid: i32) -> SyscallResult {
    Ok(u64::from(target_thread(ctx, tid)?.scheduling().0))
}

/// `sched_setparam(pid, param)`: a new priority within the thread's policy.
pub fn sched_setparam<K: Kernel>(
    ctx: &Context<'_, K>,
    tid: i32,
    param: UserPtr<i32>,
) -> SyscallResult {
    if param.is_null() {
        return Err(Errno::EINVAL);
    }
    let thread = target_thread(ctx, tid)?;
    let policy = thread.scheduling().0;
    sched_setscheduler(ctx, thread.tid(), policy as i32, param)
}

/// `sched_getparam(pid, param)`.
pub fn sched_getparam<K: Kernel>(
    ctx: &Context<'_, K>,
    tid: i32,
    param: UserPtr<i32>,
) -> SyscallResult {
    if param.is_null() {
        return Err(Errno::EINVAL);
    }
    let priority = target_thread(ctx, tid)?.scheduling().1;
    ctx.write(param, &(priority as i32))?;
    Ok(0)
}

/// `SCHED_FLAG_RESET_ON_FORK`.
const SCHED_FLAG_RESET_ON_FORK: u64 = 0x01;
/// `SCHED_FLAG_KEEP_POLICY`: keep the thread's policy.
const SCHED_FLAG_KEEP_POLICY: u64 = 0x08;
/// `SCHED_FLAG_KEEP_PARAMS`: keep its nice value or priority.
const SCHED_FLAG_KEEP_PARAMS: u64 = 0x10;
/// `SCHED_FLAG_UTIL_CLAMP_MIN` and `_MAX`.
const SCHED_FLAG_UTIL_CLAMP: u64 = 0x60;
/// Every flag Linux 6.1 knows (`SCHED_FLAG_ALL`).
const SCHED_FLAG_ALL: u64 = 0x7f;
/// `SCHED_DEADLINE`.
const SCHED_DEADLINE: u32 = 6;
/// The largest `sched_attr` a caller may pass (a page, as Linux).
const SCHED_ATTR_SIZE_MAX: usize = 4096;

/// Reads a `sched_attr` of the size its first word gives (0: version 0),
/// with Linux's rule for sizes it does not know: `E2BIG` (and this
/// kernel's size written back) below version 0, past a page, or past
/// this structure with a byte that is not zero.
fn read_sched_attr<K: Kernel>(
    ctx: &Context<'_, K>,
    attr: UserPtr<SchedAttr>,
) -> KernelResult<SchedAttr> {
    let size = match ctx.read(attr.cast::<u32>())? as usize {
        0 => SCHED_ATTR_SIZE_VER0,
        size => size,
    };
    let known = size_of::<SchedAttr>();
    let too_big = |ctx: &Context<'_, K>| {
        ctx.write(attr.cast::<u32>(), &(known as u32))?;
        Err(Errno::E2BIG)
    };
    if !(SCHED_ATTR_SIZE_VER0..=SCHED_ATTR_SIZE_MAX).contains(&size) {
        return too_big(ctx);
    }
    let bytes = ctx.read_bytes(UserBuffer(attr.address()), size)?;
    if bytes
        .get(known..)
        .is_some_and(|rest| rest.iter().any(|&b| b != 0))
    {
        return too_big(ctx);
    }
    let mut full = [0u8; size_of::<SchedAttr>()];
    let taken = size.min(known);
    full[..taken].copy_from_slice(&bytes[..taken]);
    SchedAttr::read_from_bytes(&full).map_err(|_| Errno::EFAULT)
}

/// `sched_setattr(pid, attr, flags)`: policy, nice value or real-time
/// priority, and `SCHED_FLAG_RESET_ON_FORK`, `KEEP_POLICY` and
/// `KEEP_PARAMS`, with `sched_setscheduler`'s and `setpriority`'s rules
/// (a lower nice value or a real-time policy needs `CAP_SYS_NICE`;
/// another user's thread too). `SCHED_DEADLINE` is `EINVAL`: there is no
/// deadline scheduler to admit it; the utilisation clamps are
/// `EOPNOTSUPP`, as on a Linux built without them.
pub fn sched_setattr<K: Kernel>(
    ctx: &Context<'_, K>,
    tid: i32,
    attr: UserPtr<SchedAttr>,
    flags: u32,
) -> SyscallResult {
    if attr.is_null() || tid < 0 || flags != 0 {
        return Err(Errno::EINVAL);
    }
    let attr = read_sched_attr(ctx, attr)?;
    let thread = target_thread(ctx, tid)?;
    let (current_policy, current_priority) = thread.scheduling();
    let policy = if attr.flags & SCHED_FLAG_KEEP_POLICY != 0 {
        current_policy & !SCHED_RESET_ON_FORK
    } else {
        attr.policy
    };
    if attr.flags & !SCHED_FLAG_ALL != 0 || policy == SCHED_DEADLINE {
        return Err(Errno::EINVAL);
    }
    if attr.flags & SCHED_FLAG_UTIL_CLAMP != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    // KEEP_PARAMS checks the request with the thread's own priority and
    // nice value (Linux's get_params), then changes only the flags.
    let keep_params = attr.flags & SCHED_FLAG_KEEP_PARAMS != 0;
    let current_nice = i32::from(ctx.kernel.thread_priority(&thread)?.nice());
    let (priority, nice) = if keep_params {
        (current_priority, current_nice)
    } else {
        (attr.priority, attr.nice.clamp(-20, 19))
    };
    let (min, max) = priority_range(policy)?;
    if !(min..=max).contains(&priority) {
        return Err(Errno::EINVAL);
    }
    if !ctx.capable(CAP_SYS_NICE) {
        check_same_owner(ctx, &thread)?;
        if max > 0 || (nice < current_nice) {
            return Err(Errno::EPERM);
        }
    }
    // Keeping the policy keeps its reset-on-fork flag too, as Linux.
    let reset = if attr.flags & SCHED_FLAG_KEEP_POLICY != 0 {
        current_policy & SCHED_RESET_ON_FORK
    } else if attr.flags & SCHED_FLAG_RESET_ON_FORK != 0 {
        SCHED_RESET_ON_FORK
    } else {
        0
    };
    if keep_params {
        thread.set_scheduling(
            current_policy & !SCHED_RESET_ON_FORK | reset,
            current_priority,
        );
        return Ok(0);
    }
    if max == 0 {
        ctx.kernel
            .set_thread_priority(&thread, sched::Priority::from_nice(nice)?)?;
    }
    thread.set_scheduling(policy | reset, priority);
    Ok(0)
}

/// `sched_getattr(pid, attr, size, flags)`: the policy (with
/// `SCHED_FLAG_RESET_ON_FORK`), the nice value and the priority, in as
/// much of this kernel's `sched_attr` as `size` holds (its `size` field
/// says how much). `EINVAL` for a size below version 0 or past a page.
pub fn sched_getattr<K: Kernel>(
    ctx: &Context<'_, K>,
    tid: i32,
    attr: UserPtr<SchedAttr>,
    size: u32,
    flags: u32,
) -> SyscallResult {
    let size = size as usize;
    if attr.is_null()
        || tid < 0
        || flags != 0
        || !(SCHED_ATTR_SIZE_VER0..=SCHED_ATTR_SIZE_MAX).contains(&size)
    {
        return Err(Errno::EINVAL);
    }
    let thread = target_thread(ctx, tid)?;
    let (policy, priority) = thread.scheduling();
    let shown = size.min(size_of::<SchedAttr>());
    let out = SchedAttr {
        size: shown as u32,
        policy: policy & !SCHED_RESET_ON_FORK,
        flags: if policy & SCHED_RESET_ON_FORK != 0 {
            SCHED_FLAG_RESET_ON_FORK
        } else {
            0
        },
        nice: i32::from(ctx.kernel.thread_priority(&thread)?.nice()),
        priority,
        ..SchedAttr::default()
    };
    ctx.write_bytes(UserBuffer(attr.address()), &out.as_bytes()[..shown])?;
    Ok(0)
}

/// `sched_rr_get_interval(pid, interval)`: `SCHED_RR`'s 100 ms slice, 0
/// for `SCHED_FIFO`, the tick for the others.
pub fn sched_rr_get_interval<K: Kernel>(
    ctx: &Context<'_, K>,
    tid: i32,
    interval: UserPtr<abi::Timespec>,
) -> SyscallResult {
    let slice = match target_thread(ctx, tid)?.scheduling().0 & !SCHED_RESET_ON_FORK {
        2 => 100_000_000,
        1 => 0,
        _ => 4_000_000,
    };
    ctx.write(interval, &abi::Timespec::from_nanos(slice))?;
    Ok(0)
}

/// The processes of group `pgid`, the caller's for 0 (what `PRIO_PGRP` and
/// `IOPRIO_WHO_PGRP` name).
pub(crate) fn group_members<K: Kernel>(
    ctx: &Context<'_, K>,
    pgid: i32,
) -> alloc::vec::Vec<alloc::sync::Arc<process::Process<K::Env>>> {
    let pgid = if pgid == 0 {
        ctx.process.data().pgid()
    } else {
        pgid
    };
    ctx.kernel.processes().processes_in_group(pgid)
}

/// The processes whose real uid is `uid` (what `PRIO_USER` and
/// `IOPRIO_WHO_USER` name).
pub(crate) fn processes_of_user<K: Kernel>(
    ctx: &Context<'_, K>,
    uid: u32,
) -> alloc::vec::Vec<alloc::sync::Arc<process::Process<K::Env>>> {
    let mut owned = ctx.kernel.processes().all_processes();
    owned.retain(|process| process.data().credentials().uid() == uid);
    owned
}
