//! System information and limits: uname, host and domain names, resource
//! limits, usage and times, sysinfo, getrandom, priorities, prctl,
//! personality, capget and reboot.

use abi::capability::{CAP_SYS_ADMIN, CAP_SYS_BOOT, CAP_SYS_NICE, CAP_SYSLOG};
use alloc::string::String;
use alloc::vec::Vec;

use abi::{Errno, KernelResult, RawRlimit, Rusage, Sysinfo, Timeval, rusage_who};
use process::{CpuTimes, Process, Resource, Rlimit};

use crate::SyscallResult;
use crate::args::{UserBuffer, UserPtr};
use crate::context::Context;
use crate::kernel::Kernel;

/// Scheduler ticks per second in `times` and `/proc` (Linux's `USER_HZ`).
pub const USER_HZ: u64 = 100;

/// `uname(buf)`.
pub fn uname<K: Kernel>(ctx: &Context<'_, K>, buf: UserPtr<abi::Utsname>) -> SyscallResult {
    let bytes = ctx.kernel.processes().uts().to_linux_bytes();
    ctx.write_bytes(UserBuffer(buf.address()), &bytes)?;
    Ok(0)
}

fn read_name<K: Kernel>(
    ctx: &Context<'_, K>,
    name: UserBuffer,
    len: usize,
) -> KernelResult<Vec<u8>> {
    if len > 64 {
        return Err(Errno::EINVAL);
    }
    ctx.read_bytes(name, len)
        .map(crate::context::IoBuffer::into_vec)
}

/// `sethostname(name, len)`: `CAP_SYS_ADMIN` only.
pub fn sethostname<K: Kernel>(ctx: &Context<'_, K>, name: UserBuffer, len: usize) -> SyscallResult {
    let name = read_name(ctx, name, len)?;
    let credentials = ctx.process.data().credentials().clone();
    ctx.kernel.processes().sethostname(&credentials, &name)?;
    Ok(0)
}

/// `setdomainname(name, len)`: `CAP_SYS_ADMIN` only.
pub fn setdomainname<K: Kernel>(
    ctx: &Context<'_, K>,
    name: UserBuffer,
    len: usize,
) -> SyscallResult {
    let name = read_name(ctx, name, len)?;
    let credentials = ctx.process.data().credentials().clone();
    ctx.kernel.processes().setdomainname(&credentials, &name)?;
    Ok(0)
}

/// `prlimit64(pid, resource, new, old)`: reads and changes a limit of the
/// caller or, with permission, of another process.
pub fn prlimit64<K: Kernel>(
    ctx: &Context<'_, K>,
    pid: i32,
    resource: u32,
    new: UserPtr<RawRlimit>,
    old: UserPtr<RawRlimit>,
) -> SyscallResult {
    let resource = Resource::from_raw(resource)?;
    let new = if new.is_null() {
        None
    } else {
        let raw = ctx.read(new)?;
        Some(Rlimit {
            soft: raw.current,
            hard: raw.max,
        })
    };
    let previous = ctx
        .kernel
        .processes()
        .prlimit(ctx.process, pid, resource, new)?;
    let previous = RawRlimit {
        current: previous.soft,
        max: previous.hard,
    };
    ctx.write_optional(old, &previous)?;
    Ok(0)
}

/// `getrlimit(resource, old)`.
pub fn getrlimit<K: Kernel>(
    ctx: &Context<'_, K>,
    resource: u32,
    old: UserPtr<RawRlimit>,
) -> SyscallResult {
    if old.is_null() {
        return Err(Errno::EFAULT);
    }
    prlimit64(ctx, 0, resource, UserPtr::new(0), old)
}

/// `setrlimit(resource, new)`.
pub fn setrlimit<K: Kernel>(
    ctx: &Context<'_, K>,
    resource: u32,
    new: UserPtr<RawRlimit>,
) -> SyscallResult {
    if new.is_null() {
        return Err(Errno::EFAULT);
    }
    prlimit64(ctx, 0, resource, new, UserPtr::new(0))
}

fn ticks_to_timeval(ticks: u64) -> Timeval {
    Timeval {
        tv_sec: (ticks / USER_HZ) as i64,
        tv_usec: ((ticks % USER_HZ) * (1_000_000 / USER_HZ)) as i64,
    }
}

/// The `rusage` for CPU times `times`.
pub fn rusage_of(times: CpuTimes) -> Rusage {
    Rusage {
        utime: ticks_to_timeval(times.user),
        stime: ticks_to_timeval(times.kernel),
        ..Rusage::default()
    }
}

/// `getrusage(who, usage)`: CPU times of the process, its reaped
/// children, or (as on Linux for a single-threaded process) the thread.
pub fn getrusage<K: Kernel>(
    ctx: &Context<'_, K>,
    who: i32,
    usage: UserPtr<Rusage>,
) -> SyscallResult {
    ctx.kernel.fold_cpu_time();
    let times = {
        let data = ctx.process.data();
        match who {
            rusage_who::RUSAGE_SELF | rusage_who::RUSAGE_THREAD => data.times(),
            rusage_who::RUSAGE_CHILDREN => data.children_times(),
            _ => return Err(Errno::EINVAL),
        }
    };
    ctx.write(usage, &rusage_of(times))?;
    Ok(0)
}

/// `times(buf)`: the process's and its reaped children's CPU ticks; the
/// result is ticks since boot.
pub fn times<K: Kernel>(ctx: &Context<'_, K>, buf: UserPtr<[u64; 4]>) -> SyscallResult {
    ctx.kernel.fold_cpu_time();
    let (own, children) = {
        let data = ctx.process.data();
        (data.times(), data.children_times())
    };
    let tms = [own.user, own.kernel, children.user, children.kernel];
    ctx.write_optional(buf, &tms)?;
    Ok(ctx.kernel.now_ns() / (1_000_000_000 / USER_HZ))
}

/// `sysinfo(info)`.
pub fn sysinfo<K: Kernel>(ctx: &Context<'_, K>, info: UserPtr<Sysinfo>) -> SyscallResult {
    let memory = ctx.kernel.memory_stats();
    let value = Sysinfo {
        uptime: (ctx.kernel.now_ns() / 1_000_000_000) as i64,
        totalram: memory.total_bytes,
        freeram: memory.free_bytes,
        procs: ctx
            .kernel
            .processes()
            .process_count()
            .min(u16::MAX as usize) as u16,
        mem_unit: 1,
        ..Sysinfo::default()
    };
    ctx.write(info, &value)?;
    Ok(0)
}

/// `getrandom(buf, count, flags)`: the kernel's CSPRNG never blocks once
/// booted, so `GRND_NONBLOCK` and `GRND_RANDOM` change nothing.
pub fn getrandom<K: Kernel>(
    ctx: &Context<'_, K>,
    buf: UserBuffer,
    count: usize,
    flags: u32,
) -> SyscallResult {
    const GRND_NONBLOCK: u32 = 1;
    const GRND_RANDOM: u32 = 2;
    const GRND_INSECURE: u32 = 4;
    if flags & !(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) != 0 {
        return Err(Errno::EINVAL);
    }
    let count = count.min(crate::fs::io::MAX_IO);
    mm::UserSlice::new(buf.0, count)?;
    let mut bytes = Vec::new();
    fault_injection::reserve_exact(&mut bytes, count)?;
    bytes.resize(count, 0);
    ctx.kernel.fill_random(&mut bytes);
    ctx.write_bytes(buf, &bytes)?;
    Ok(count as u64)
}

/// The processes `which` and `who` name: `PRIO_PROCESS`, one process (0
/// the caller); `PRIO_PGRP`, a process group (0 the caller's);
/// `PRIO_USER`, every process whose real uid is `who` (0 the caller's).
/// `EINVAL` for another `which` or a negative `who`, `ESRCH` when none.
fn priority_targets<K: Kernel>(
    ctx: &Context<'_, K>,
    which: i32,
    who: i32,
) -> KernelResult<Vec<alloc::sync::Arc<Process<K::Env>>>> {
    const PRIO_PROCESS: i32 = 0;
    const PRIO_PGRP: i32 = 1;
    const PRIO_USER: i32 = 2;
    if who < 0 {
        return Err(Errno::EINVAL);
    }
    let table = ctx.kernel.processes();
    let targets = match (which, who) {
        (PRIO_PROCESS, 0) => alloc::vec![ctx.process.clone()],
        (PRIO_PROCESS, pid) => table.from_pid(pid).into_iter().collect(),
        (PRIO_PGRP, group) => crate::process::ids::group_members(ctx, group),
        (PRIO_USER, uid) => {
            let uid = if uid == 0 {
                ctx.process.data().credentials().uid()
            } else {
                uid as u32
            };
            crate::process::ids::processes_of_user(ctx, uid)
        }
        _ => return Err(Errno::EINVAL),
    };
    // A zombie has no threads left to have a priority.
    let targets: Vec<_> = targets
        .into_iter()
        .filter(|process| process.thread_count() > 0)
        .collect();
    if targets.is_empty() {
        return Err(Errno::ESRCH);
    }
    Ok(targets)
}

/// `getpriority(which, who)`: the highest priority (lowest nice value) of
/// the threads named (`priority_targets`); the raw call returns
/// `20 - nice` (1..=40), libc converts.
pub fn getpriority<K: Kernel>(ctx: &Context<'_, K>, which: i32, who: i32) -> SyscallResult {
    let mut best = None;
    for process in priority_targets(ctx, which, who)? {
        for thread in process.threads() {
            let nice = ctx.kernel.thread_priority(&thread)?.nice();
            best = best.max(Some(20 - i64::from(nice)));
        }
    }
    best.map(|value| value as u64).ok_or(Errno::ESRCH)
}

/// `setpriority(which, who, nice)`: every thread of every process named
/// (`priority_targets`). Only the owner (the caller's effective uid is
/// the process's real or effective one) or a holder of `CAP_SYS_NICE`
/// may change a process (`EPERM`), and lowering a nice value (raising
/// priority) needs `CAP_SYS_NICE` (`EACCES`). As Linux's `set_one_prio`,
/// every process is tried; the answer is the last refusal, or success.
pub fn setpriority<K: Kernel>(
    ctx: &Context<'_, K>,
    which: i32,
    who: i32,
    nice: i32,
) -> SyscallResult {
    let targets = priority_targets(ctx, which, who)?;
    let nice = nice.clamp(-20, 19);
    let priority = sched::Priority::from_nice(nice)?;
    let privileged = ctx.capable(CAP_SYS_NICE);
    // One process lock at a time: caller and target may be the same.
    let euid = ctx.process.data().credentials().euid();
    let mut answer = Ok(0);
    for process in targets {
        let threads = process.threads();
        let Some(first) = threads.first() else {
            continue;
        };
        let owner = {
            let data = process.data();
            let credentials = data.credentials();
            euid == credentials.uid() || euid == credentials.euid()
        };
        let current = i32::from(ctx.kernel.thread_priority(first)?.nice());
        if !privileged && !owner {
            answer = Err(Errno::EPERM);
            continue;
        }
        if !privileged && nice < current {
            answer = Err(Errno::EACCES);
            continue;
        }
        for thread in &threads {
            ctx.kernel.set_thread_priority(thread, priority)?;
        }
    }
    answer
}

/// `prctl(option, arg2, ...)`: the name, dumpable flag, parent-death
/// signal, child subreaper and no-new-privileges; the capability options
/// are `process::capabilities::prctl`'s.
pub fn prctl<K: Kernel>(
    ctx: &Context<'_, K>,
    option: u32,
    arg2: u64,
    arg3: u64,
    arg4: u64,
    arg5: u64,
) -> SyscallResult {
    if let Some(result) = crate::process::capabilities::prctl(ctx, option, [arg2, arg3, arg4, arg5])
    {
        return result;
    }
    if let Some(result) = crate::process::seccomp::prctl(ctx, option, [arg2, arg3]) {
        return result;
    }
    let rest_zero = arg3 == 0 && arg4 == 0 && arg5 == 0;
    const PR_SET_PDEATHSIG: u32 = 1;
    const PR_GET_PDEATHSIG: u32 = 2;
    const PR_SET_CHILD_SUBREAPER: u32 = 36;
    const PR_GET_CHILD_SUBREAPER: u32 = 37;
    const PR_SET_NO_NEW_PRIVS: u32 = 38;
    const PR_GET_NO_NEW_PRIVS: u32 = 39;
    const PR_GET_DUMPABLE: u32 = 3;
    const PR_SET_DUMPABLE: u32 = 4;
    const PR_SET_NAME: u32 = 15;
    const PR_GET_NAME: u32 = 16;
    match option {
        PR_SET_NAME => {
            // Up to 15 bytes; a longer name is cut, as Linux does.
            let mut name = Vec::new();
            for i in 0..15 {
                let byte: u8 = ctx.read(UserPtr::new(arg2.wrapping_add(i)))?;
                if byte == 0 {
                    break;
                }
                name.push(byte);
            }
            ctx.process
                .data()
                .set_name(String::from_utf8_lossy(&name).into_owned());
            Ok(0)
        }
        PR_GET_NAME => {
            let mut name = [0u8; 16];
            {
                let data = ctx.process.data();
                let bytes = data.name().as_bytes();
                let n = bytes.len().min(15);
                name[..n].copy_from_slice(&bytes[..n]);
            }
            ctx.write(UserPtr::new(arg2), &name)?;
            Ok(0)
        }
        PR_SET_DUMPABLE => {
            if arg2 > 1 {
                return Err(Errno::EINVAL);
            }
            ctx.process.data().set_dumpable(arg2 == 1);
            Ok(0)
        }
        PR_GET_DUMPABLE => Ok(u64::from(ctx.process.data().is_dumpable())),
        PR_SET_PDEATHSIG => {
            if arg2 != 0 {
                signal::Signal::from_raw(i32::try_from(arg2).map_err(|_| Errno::EINVAL)?)?;
            }
            ctx.process.data().set_parent_death_signal(arg2 as u8);
            Ok(0)
        }
        PR_GET_PDEATHSIG => {
            let signal = i32::from(ctx.process.data().parent_death_signal());
            ctx.write(UserPtr::new(arg2), &signal)?;
            Ok(0)
        }
        PR_SET_CHILD_SUBREAPER => {
            ctx.process.data().set_child_subreaper(arg2 != 0);
            Ok(0)
        }
        PR_GET_CHILD_SUBREAPER => {
            let subreaper = i32::from(ctx.process.data().is_child_subreaper());
            ctx.write(UserPtr::new(arg2), &subreaper)?;
            Ok(0)
        }
        // Set-id bits are not honoured, and under the flag an exec keeps
        // the permitted capabilities inside the old ones (root's exec
        // regains none it dropped): the promise holds. It is kept,
        // inherited and reported.
        PR_SET_NO_NEW_PRIVS => {
            if arg2 != 1 || !rest_zero {
                return Err(Errno::EINVAL);
            }
            ctx.process.data().set_no_new_privs();
            Ok(0)
        }
        PR_GET_NO_NEW_PRIVS if arg2 != 0 || !rest_zero => Err(Errno::EINVAL),
        PR_GET_NO_NEW_PRIVS => Ok(u64::from(ctx.process.data().no_new_privs())),
        _ => Err(Errno::EINVAL),
    }
}

/// `personality(persona)`: `PER_LINUX` (0), with `ADDR_NO_RANDOMIZE` the
/// only flag; `0xffffffff` queries. Returns the previous value.
pub fn personality<K: Kernel>(ctx: &Context<'_, K>, persona: u32) -> SyscallResult {
    /// `ADDR_NO_RANDOMIZE`: honoured trivially, Courage does not randomize
    /// (debuggers set it for every program they start).
    const ADDR_NO_RANDOMIZE: u32 = 0x0004_0000;
    let mut data = ctx.process.data();
    if persona == 0xffff_ffff {
        return Ok(u64::from(data.personality()));
    }
    // Only PER_LINUX, with only the flags Courage keeps.
    if persona & !ADDR_NO_RANDOMIZE != 0 {
        return Err(Errno::EINVAL);
    }
    Ok(u64::from(data.set_personality(persona)))
}

/// `reboot(magic1, magic2, cmd, arg)`: `CAP_SYS_BOOT` only. Restart restarts;
/// power-off and halt both switch the machine off (Linux's halt stops the
/// CPUs with the power on, which leaves a virtual machine to be killed by
/// hand).
pub fn reboot<K: Kernel>(
    ctx: &Context<'_, K>,
    magic1: u32,
    magic2: u32,
    cmd: u32,
) -> SyscallResult {
    const MAGIC1: u32 = 0xfee1_dead;
    const MAGIC2: [u32; 4] = [672274793, 85072278, 369367448, 537993216];
    const POWER_OFF: u32 = 0x4321_fedc;
    const RESTART: u32 = 0x0123_4567;
    const HALT: u32 = 0xcdef_0123;
    if magic1 != MAGIC1 || !MAGIC2.contains(&magic2) {
        return Err(Errno::EINVAL);
    }
    if !ctx.capable(CAP_SYS_BOOT) {
        return Err(Errno::EPERM);
    }
    match cmd {
        POWER_OFF | HALT => ctx.kernel.power_off().map(|()| 0),
        RESTART => ctx.kernel.restart().map(|()| 0),
        _ => Err(Errno::EINVAL),
    }
}

/// `syslog(type, buf, len)` (`klogctl`): the kernel log as `dmesg` reads
/// it. Reading all (3) and the buffer size (10) are open to everyone (as
/// with Linux's default `dmesg_restrict` 0); clearing (4, 5) and the
/// console-level actions (6, 7, 8: accepted, the console level is the
/// command line's) need `CAP_SYSLOG`; open and close (0, 1) do nothing; the
/// destructive blocking read (2) is `EINVAL`.
pub fn syslog<K: Kernel>(
    ctx: &Context<'_, K>,
    action: i32,
    buffer: crate::args::UserBuffer,
    len: i32,
) -> SyscallResult {
    // Linux's check_syslog_permissions (CAP_SYS_ADMIN is the old name).
    let root = ctx.capable(CAP_SYSLOG) || ctx.capable(CAP_SYS_ADMIN);
    match action {
        0 | 1 => Ok(0),
        3 | 4 => {
            if action == 4 && !root {
                return Err(Errno::EPERM);
            }
            if len < 0 {
                return Err(Errno::EINVAL);
            }
            let log = ctx.kernel.kernel_log(action == 4);
            // The newest bytes that fit, as Linux returns.
            let n = log.len().min(len as usize);
            ctx.write_bytes(buffer, &log[log.len() - n..])?;
            Ok(n as u64)
        }
        5..=8 => {
            if !root {
                return Err(Errno::EPERM);
            }
            if action == 5 {
                ctx.kernel.kernel_log(true);
            }
            if action == 8 && !(1..=8).contains(&len) {
                return Err(Errno::EINVAL);
            }
            Ok(0)
        }
        9 => Ok(ctx.kernel.kernel_log(false).len() as u64),
        10 => Ok(ctx.kernel.kernel_log_size() as u64),
        _ => Err(Errno::EINVAL),
    }
}
