//! Process and thread calls: ids, fork/clone, execve, exit, wait,
//! credentials, thread-local storage.

use alloc::vec::Vec;

use abi::{Errno, KernelResult};
use process::{Termination, WaitInfo, WaitOptions, WaitPoll, WaitTarget};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use super::user::{read_path, read_string_array, write};
use super::{Call, SyscallResult};
use crate::task;
use crate::userland::exec::{ExecIds, load};
use crate::userland::lifecycle::{self, initial_frame};
use crate::userland::{self, processes};
use abi::AT_FDCWD;

const CLONE_VM: u64 = 0x100;
const CLONE_FS: u64 = 0x200;
const CLONE_FILES: u64 = 0x400;
const CLONE_SIGHAND: u64 = 0x800;
const CLONE_VFORK: u64 = 0x4000;
const CLONE_THREAD: u64 = 0x10000;
const CLONE_SETTLS: u64 = 0x80000;
const CLONE_PARENT_SETTID: u64 = 0x100000;
const CLONE_CHILD_CLEARTID: u64 = 0x200000;
const CLONE_CHILD_SETTID: u64 = 0x1000000;
const SIGCHLD: u64 = 17;

fn clone(call: &mut Call<'_>) -> SyscallResult {
    let [flags, stack, parent_tid, child_tid, tls, _] = call.args;
    let known = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_VFORK | CLONE_THREAD
        | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID
        | 0x40_0000 /* CLONE_DETACHED: ignored since Linux 2.6 */
        | 0x4_0000 /* CLONE_SYSVSEM: there are no SysV semaphores to share */
        | 0xff /* the exit signal */;
    if flags & !known != 0 {
        log::warn!("clone: unsupported flags {:#x}", flags & !known);
        return Err(Errno::EINVAL);
    }
    if flags & CLONE_THREAD != 0 {
        // Threads share everything (Linux requires SIGHAND and VM with it).
        if flags & (CLONE_VM | CLONE_SIGHAND) != CLONE_VM | CLONE_SIGHAND {
            return Err(Errno::EINVAL);
        }
        let tls = (flags & CLONE_SETTLS != 0).then_some(tls);
        let clear = (flags & CLONE_CHILD_CLEARTID != 0).then_some(child_tid);
        let tid = lifecycle::spawn_thread(call.frame, call.fpu, stack, tls, clear)?;
        if flags & CLONE_PARENT_SETTID != 0 {
            write(parent_tid, &tid)?;
        }
        if flags & CLONE_CHILD_SETTID != 0 {
            write(child_tid, &tid)?;
        }
        return Ok(tid as u64);
    }
    if flags & CLONE_VM != 0 && flags & CLONE_VFORK == 0 {
        // Shared memory without a shared thread group is not supported.
        return Err(Errno::EINVAL);
    }
    // fork or vfork (CLONE_VM|CLONE_VFORK is served as a copy-on-write fork,
    // which is what vfork's callers may rely on).
    let mut frame = *call.frame;
    if stack != 0 && flags & CLONE_VM == 0 {
        frame.rsp = stack;
    }
    let child = lifecycle::ChildTid {
        address: child_tid,
        set: flags & CLONE_CHILD_SETTID != 0,
        clear: flags & CLONE_CHILD_CLEARTID != 0,
    };
    let pid = lifecycle::fork(&frame, call.fpu, child)?;
    if flags & CLONE_PARENT_SETTID != 0 {
        write(parent_tid, &pid)?;
    }
    Ok(pid as u64)
}

fn execve(call: &mut Call<'_>, dirfd: i32) -> SyscallResult {
    let (path, argv, envp) = if dirfd == AT_FDCWD {
        (call.args[0], call.args[1], call.args[2])
    } else {
        (call.args[1], call.args[2], call.args[3])
    };
    let path = read_path(path, false)?;
    let argv = read_string_array(argv)?;
    let envp = read_string_array(envp)?;
    let environment = envp.clone();
    let link = userland::current()?;
    let ids = {
        let data = link.process.data();
        let c = data.credentials();
        ExecIds {
            uid: c.uid(),
            euid: c.euid(),
            gid: c.gid(),
            egid: c.egid(),
        }
    };
    let base = {
        use syscall::args::{DirFd, FromArg};
        let registers = core::cell::RefCell::new(crate::userland::signals::TrapRegisters {
            frame: &mut *call.frame,
            fpu: &mut *call.fpu,
        });
        let ctx = syscall::Context {
            kernel: &super::RunningKernel,
            process: &link.process,
            thread: &link.thread,
            registers: &registers,
        };
        ctx.path_base(DirFd::from_arg(dirfd as u64), &path)?
    };
    let image = load(base.context(), path.as_bytes(), argv, envp, ids)?;
    // The point of no return: the old image goes.
    link.process.data().set_program(process::Program::new(
        image.exe.clone(),
        &image.argv,
        &environment,
    ));
    let space = crate::memory::user::share(image.space);
    let outcome = link.process.exec(&link.thread, space.clone(), image.name);
    for thread in &outcome.threads_to_wake {
        if let Some(id) = thread.data().task() {
            task::interrupt(id);
        }
    }
    link.thread.data().signals.lock().reset_for_exec();
    let current = task::current();
    current.set_address_space(Some(space));
    current.set_fs_base(0);
    drop(outcome);
    *call.frame = initial_frame(image.entry, image.stack_pointer);
    call.fpu.0 = arch::context::FpuArea::initial().0;
    // rax of the fresh image is 0, like every other register.
    Ok(0)
}

#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, Default)]
#[repr(C)]
struct Rusage {
    utime: [i64; 2],
    stime: [i64; 2],
    rest: [i64; 14],
}

/// Waits for a child per `target` and `options`; `None` for `WNOHANG`
/// with nothing to report.
fn wait_for_child(
    target: WaitTarget,
    options: WaitOptions,
    nohang: bool,
) -> KernelResult<Option<WaitInfo>> {
    let link = userland::current()?;
    let events = lifecycle::child_events();
    loop {
        let seen = events.sequence();
        match processes().wait(&link.process, target, options)? {
            WaitPoll::Ready(info) => return Ok(Some(info)),
            WaitPoll::NotYet if nohang => return Ok(None),
            WaitPoll::NotYet => {
                if events.wait_since(seen, true, None) == sched::WakeReason::Interrupted {
                    return Err(Errno::EINTR);
                }
                if link.thread.should_die() {
                    return Err(Errno::EINTR);
                }
            }
        }
    }
}

fn wait4(call: &mut Call<'_>) -> SyscallResult {
    const WNOHANG: u32 = 1;
    let [pid, status, options, rusage, _, _] = call.args;
    let target = WaitTarget::from_wait4(pid as i32)?;
    let options_bits = options as u32;
    let options = WaitOptions::for_wait4(options_bits)?;
    match wait_for_child(target, options, options_bits & WNOHANG != 0)? {
        None => Ok(0),
        Some(info) => {
            if status != 0 {
                write(status, &info.wait_status)?;
            }
            if rusage != 0 {
                write(rusage, &Rusage::default())?;
            }
            Ok(info.pid as u64)
        }
    }
}

fn waitid(call: &mut Call<'_>) -> SyscallResult {
    const WNOHANG: u32 = 1;
    let [idtype, id, infop, options, _, _] = call.args;
    let target = WaitTarget::from_waitid(idtype as u32, id as i32)?;
    let options_bits = options as u32;
    let options = WaitOptions::for_waitid(options_bits)?;
    let result = wait_for_child(target, options, options_bits & WNOHANG != 0)?;
    if infop != 0 {
        let mut siginfo = [0u8; 128];
        if let Some(info) = &result {
            siginfo[0..4].copy_from_slice(&(SIGCHLD as i32).to_ne_bytes());
            siginfo[8..12].copy_from_slice(&(info.code as i32).to_ne_bytes());
            siginfo[16..20].copy_from_slice(&info.pid.to_ne_bytes());
            siginfo[20..24].copy_from_slice(&info.uid.to_ne_bytes());
            siginfo[24..28].copy_from_slice(&info.status.to_ne_bytes());
        }
        write(infop, &siginfo)?;
    }
    Ok(0)
}

fn credentials(call: &mut Call<'_>, number: u64) -> SyscallResult {
    let link = userland::current()?;
    let a = call.args;
    let id = |v: u64| v as u32;
    let mut data = link.process.data();
    let c = data.credentials();
    match number {
        102 => return Ok(u64::from(c.uid())),
        104 => return Ok(u64::from(c.gid())),
        107 => return Ok(u64::from(c.euid())),
        108 => return Ok(u64::from(c.egid())),
        118 | 120 => {
            let ids = if number == 118 {
                [c.uid(), c.euid(), c.suid()]
            } else {
                [c.gid(), c.egid(), c.sgid()]
            };
            drop(data);
            for (i, value) in ids.iter().enumerate() {
                write(a[i], value)?;
            }
            return Ok(0);
        }
        115 => {
            let groups: Vec<u32> = c.groups().to_vec();
            drop(data);
            let size = a[0] as i32;
            if size < 0 {
                return Err(Errno::EINVAL);
            }
            if size == 0 {
                return Ok(groups.len() as u64);
            }
            if (size as usize) < groups.len() {
                return Err(Errno::EINVAL);
            }
            for (i, gid) in groups.iter().enumerate() {
                write(a[1] + 4 * i as u64, gid)?;
            }
            return Ok(groups.len() as u64);
        }
        _ => {}
    }
    let result = match number {
        105 => data.change_credentials(|c| c.setuid(id(a[0]))),
        106 => data.change_credentials(|c| c.setgid(id(a[0]))),
        113 => data.change_credentials(|c| c.setreuid(id(a[0]), id(a[1]))),
        114 => data.change_credentials(|c| c.setregid(id(a[0]), id(a[1]))),
        117 => data.change_credentials(|c| c.setresuid(id(a[0]), id(a[1]), id(a[2]))),
        119 => data.change_credentials(|c| c.setresgid(id(a[0]), id(a[1]), id(a[2]))),
        122 => {
            return Ok(u64::from(
                data.change_credentials(|c| Ok::<u32, Errno>(c.setfsuid(id(a[0]))))?,
            ));
        }
        123 => {
            return Ok(u64::from(
                data.change_credentials(|c| Ok::<u32, Errno>(c.setfsgid(id(a[0]))))?,
            ));
        }
        116 => {
            drop(data);
            let count = a[0] as usize;
            if count > 65536 {
                return Err(Errno::EINVAL);
            }
            let groups: Vec<u32> = (0..count)
                .map(|i| super::user::read::<u32>(a[1] + 4 * i as u64))
                .collect::<KernelResult<_>>()?;
            let mut data = link.process.data();
            return data
                .change_credentials(|c| c.setgroups(&groups))
                .map(|()| 0);
        }
        _ => return Err(Errno::ENOSYS),
    };
    result.map(|()| 0)
}

fn arch_prctl(call: &mut Call<'_>) -> SyscallResult {
    const ARCH_SET_GS: u64 = 0x1001;
    const ARCH_SET_FS: u64 = 0x1002;
    const ARCH_GET_FS: u64 = 0x1003;
    const ARCH_GET_GS: u64 = 0x1004;
    let [code, address, ..] = call.args;
    let canonical = address < mm::USER_SPACE_END;
    match code {
        ARCH_SET_FS => {
            if !canonical {
                return Err(Errno::EPERM);
            }
            task::current().set_fs_base(address);
            Ok(0)
        }
        ARCH_GET_FS => {
            write(address, &task::current().fs_base())?;
            Ok(0)
        }
        ARCH_SET_GS | ARCH_GET_GS => Err(Errno::EINVAL),
        _ => Err(Errno::EINVAL),
    }
}

/// Ids, fork/clone/exec/exit/wait, credentials, TLS, yield, affinity.
pub fn dispatch(call: &mut Call<'_>, number: u64) -> SyscallResult {
    let a = call.args;
    match number {
        24 => {
            task::yield_now();
            Ok(0)
        }
        39 => Ok(userland::current()?.process.pid() as u64),
        110 => Ok(userland::current()?.process.data().ppid() as u64),
        186 => Ok(userland::current()?.thread.tid() as u64),
        56 => clone(call),
        57 | 58 => {
            let frame = *call.frame;
            Ok(lifecycle::fork(&frame, call.fpu, lifecycle::ChildTid::default())? as u64)
        }
        59 => execve(call, AT_FDCWD),
        60 => {
            // No reference may stay on this stack: the thread never returns.
            let last = userland::current()?.process.thread_count() <= 1;
            if last {
                lifecycle::exit_group(Termination::Exited(a[0] as u8));
            }
            lifecycle::exit_thread()
        }
        231 => lifecycle::exit_group(Termination::Exited(a[0] as u8)),
        61 => wait4(call),
        247 => waitid(call),
        102 | 104 | 105..=108 | 113..=120 | 122 | 123 => credentials(call, number),
        109 => {
            let link = userland::current()?;
            processes().setpgid(&link.process, a[0] as i32, a[1] as i32)?;
            Ok(0)
        }
        111 => Ok(userland::current()?.process.data().pgid() as u64),
        112 => Ok(processes().setsid(&userland::current()?.process)? as u64),
        121 => Ok(processes().getpgid(&userland::current()?.process, a[0] as i32)? as u64),
        124 => Ok(processes().getsid(&userland::current()?.process, a[0] as i32)? as u64),
        158 => arch_prctl(call),
        218 => {
            let link = userland::current()?;
            Ok(link.thread.set_tid_address(a[0]) as u64)
        }
        273 => {
            userland::current()?
                .thread
                .set_robust_list(a[0], a[1] as usize)?;
            Ok(0)
        }
        274 => Err(Errno::ENOSYS),
        203 => {
            // One CPU: a mask must include CPU 0, and then changes nothing.
            let size = a[1] as usize;
            if size == 0 {
                return Err(Errno::EINVAL);
            }
            let first: u8 = super::user::read(a[2])?;
            if first & 1 == 0 {
                return Err(Errno::EINVAL);
            }
            Ok(0)
        }
        204 => {
            // One CPU: CPU 0 only.
            let size = a[1] as usize;
            if size < 8 || size % 8 != 0 {
                return Err(Errno::EINVAL);
            }
            write(a[2], &1u64)?;
            Ok(8)
        }
        309 => {
            if a[0] != 0 {
                write(a[0], &0u32)?;
            }
            if a[1] != 0 {
                write(a[1], &0u32)?;
            }
            Ok(0)
        }
        // rseq and clone3: absent, as glibc and musl expect from older kernels.
        334 | 435 => Err(Errno::ENOSYS),
        _ => Err(Errno::ENOSYS),
    }
}
