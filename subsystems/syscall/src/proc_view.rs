//! The processes `/proc` shows: the `procfs` crate's [`ProcessInfo`] and
//! the process half of its [`ProcessView`](procfs::ProcessView) over the
//! process table, so a kernel's view only adds what the hardware knows
//! (memory, CPUs, uptime). Snapshots are taken under one process lock at a
//! time; the address space is read with no process lock held.

use abi::capability::{CAP_SYS_PTRACE, CAP_SYS_RESOURCE};
use alloc::format;
use alloc::string::String;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;

use abi::{Errno, KernelResult};
use fs::{Custody, Owner};
use process::{Pid, Process, Thread};
use procfs::{
    Caller, CpuTimes, IdSet, MemoryStats, OpenFd, ProcessInfo, ProcessSnapshot, TaskState,
    ThreadSnapshot,
};

use crate::kernel::Kernel;
use crate::kernel::UserThreadData;

/// Ticks of `/proc`'s 100 Hz clock in `ns`.
fn ns_to_ticks(ns: u64) -> u64 {
    ns / 10_000_000
}

/// Every pid in the table, for `/proc`'s directory listing.
pub fn pids<K: Kernel>(kernel: &K) -> Vec<u32> {
    kernel
        .processes()
        .all_processes()
        .iter()
        .map(|p| p.pid() as u32)
        .collect()
}

/// Threads on a CPU or waiting for one, and threads in uninterruptible
/// waits (`procs_running` and `procs_blocked` of `/proc/stat`), over
/// `processes`, from what the scheduler has each doing.
pub fn running_and_blocked<K: Kernel>(
    kernel: &K,
    processes: &[Arc<Process<K::Env>>],
) -> (u32, u32) {
    let (mut running, mut blocked) = (0, 0);
    for process in processes {
        for thread in process.threads().iter() {
            match kernel.scheduler_state(thread) {
                Some(sched::ThreadState::Running | sched::ThreadState::Runnable) => running += 1,
                Some(sched::ThreadState::Blocked(reason)) if !reason.is_interruptible() => {
                    blocked += 1
                }
                _ => {}
            }
        }
    }
    (running, blocked)
}

/// Sets a system-wide limit from `/proc/sys` on behalf of `caller`:
/// `EPERM` unless privileged, `EINVAL` out of range.
pub fn set_system_limit<K: Kernel>(
    kernel: &K,
    caller: &Process<K::Env>,
    limit: procfs::SystemLimit,
    value: u64,
) -> KernelResult<()> {
    // Linux's sysctl permission is the file's mode against the effective
    // uid, not a capability.
    if caller.data().credentials().euid() != 0 {
        return Err(Errno::EPERM);
    }
    let value = usize::try_from(value).map_err(|_| Errno::EINVAL)?;
    match limit {
        procfs::SystemLimit::ThreadsMax => kernel.processes().set_thread_max(value),
        procfs::SystemLimit::InotifyMaxQueuedEvents => {
            fs::inotify::set_limit(fs::inotify::Limit::QueuedEvents, value)
        }
        procfs::SystemLimit::InotifyMaxUserInstances => {
            fs::inotify::set_limit(fs::inotify::Limit::UserInstances, value)
        }
        procfs::SystemLimit::InotifyMaxUserWatches => {
            fs::inotify::set_limit(fs::inotify::Limit::UserWatches, value)
        }
        procfs::SystemLimit::FileMax => {
            fs::set_file_max(value);
            Ok(())
        }
    }
}

/// Sets the seccomp actions the kernel logs on behalf of `caller`: the
/// file's mode against the effective uid, then `CAP_SYS_ADMIN`, as Linux
/// checks a write to `actions_logged`.
pub fn set_seccomp_actions_logged<E: process::ProcessEnv>(
    caller: &Process<E>,
    names: &[u8],
) -> KernelResult<()> {
    {
        let data = caller.data();
        let credentials = data.credentials();
        if credentials.euid() != 0 || !credentials.capable(abi::capability::CAP_SYS_ADMIN) {
            return Err(Errno::EPERM);
        }
    }
    seccomp::set_actions_logged(names)
}

/// The `/proc/<pid>` entry of `pid`, if it exists.
pub fn process<K: Kernel + Send + Sync + 'static>(
    kernel: &Arc<K>,
    pid: u32,
) -> Option<Arc<dyn ProcessInfo>> {
    let process = kernel.processes().from_pid(i32::try_from(pid).ok()?)?;
    Some(Arc::new(ProcessEntry {
        kernel: kernel.clone(),
        pid: process.pid(),
        process: Arc::downgrade(&process),
    }))
}

/// Who is asking (`/proc/self`, `/proc/thread-self`, permission checks).
pub fn caller<K: Kernel>(process: &Process<K::Env>, thread: &Thread<K::Env>) -> Caller {
    let (euid, traces_any) = {
        let data = process.data();
        let credentials = data.credentials();
        (credentials.euid(), credentials.capable(CAP_SYS_PTRACE))
    };
    Caller {
        pid: process.pid() as u32,
        tid: thread.tid() as u32,
        euid,
        traces_any,
    }
}

/// One process as `/proc` sees it, held weakly: a `/proc` file never
/// keeps a process alive, and a reaped process is `ESRCH` even while an
/// `Arc` to it survives somewhere.
pub struct ProcessEntry<K: Kernel> {
    kernel: Arc<K>,
    pid: Pid,
    process: Weak<Process<K::Env>>,
}

impl<K: Kernel> ProcessEntry<K> {
    /// The process writing or reading a procfs file, if a process is
    /// running (not a kernel context).
    fn caller(&self) -> Option<Arc<Process<K::Env>>> {
        self.kernel
            .running_pid()
            .and_then(|pid| self.kernel.processes().from_pid(pid))
    }

    /// The process, if the caller may look at its memory: itself, its
    /// tracer, or anyone with ptrace access (`EPERM` otherwise).
    fn for_memory_access(&self) -> KernelResult<Arc<Process<K::Env>>> {
        let target = self.get()?;
        let caller = self.caller();
        let Some(caller) = caller else {
            // The kernel itself.
            return Ok(target);
        };
        let allowed = caller.pid() == target.pid() || {
            let credentials = caller.data().credentials().clone();
            let data = target.data();
            data.tracing().is_some_and(|t| t.tracer == caller.pid())
                || credentials.may_trace(data.credentials(), data.is_dumpable())
        };
        if allowed {
            Ok(target)
        } else {
            Err(Errno::EPERM)
        }
    }

    fn get(&self) -> KernelResult<Arc<Process<K::Env>>> {
        let process = self.process.upgrade().ok_or(Errno::ESRCH)?;
        // Reaped processes leave the table even while an Arc survives.
        if self
            .kernel
            .processes()
            .from_pid(self.pid)
            .is_none_or(|p| !Arc::ptr_eq(&p, &process))
        {
            return Err(Errno::ESRCH);
        }
        Ok(process)
    }
}

/// How `/proc` shows a thread: the process's stop or exit first, then
/// what the scheduler has the thread doing.
fn task_state(process: process::ProcessState, scheduler: Option<sched::ThreadState>) -> TaskState {
    use sched::ThreadState as Sched;
    match process {
        process::ProcessState::Stopped(_) => return TaskState::Stopped,
        process::ProcessState::Zombie(_) => return TaskState::Zombie,
        process::ProcessState::Running | process::ProcessState::Dying(_) => {}
    }
    match scheduler {
        Some(Sched::Running | Sched::Runnable | Sched::Dying) => TaskState::Running,
        Some(Sched::Blocked(reason)) if !reason.is_interruptible() => TaskState::DiskSleep,
        Some(Sched::Stopped) => TaskState::Stopped,
        Some(Sched::Dead) => TaskState::Dead,
        Some(Sched::Blocked(_)) | None => TaskState::Sleeping,
    }
}

impl<K: Kernel + Send + Sync + 'static> ProcessInfo for ProcessEntry<K> {
    fn owner(&self) -> KernelResult<Owner> {
        let process = self.get()?;
        let data = process.data();
        if !data.is_dumpable() {
            return Ok(Owner { uid: 0, gid: 0 });
        }
        let c = data.credentials();
        Ok(Owner {
            uid: c.euid(),
            gid: c.egid(),
        })
    }

    fn snapshot(&self) -> KernelResult<ProcessSnapshot> {
        let process = self.get()?;
        let threads = process.threads();
        // The address-space lock is taken with no process lock held.
        let memory = self
            .kernel
            .with_address_space(&process, |space, _| {
                let size = space.mapped_bytes();
                let (anonymous, file, shared) = space.resident_bytes();
                let resident = anonymous + file + shared;
                let stack = space
                    .regions()
                    .filter(|r| r.name() == Some("[stack]"))
                    .map(|r| r.range().len())
                    .sum();
                Ok(MemoryStats {
                    size,
                    peak: size,
                    resident,
                    resident_peak: resident,
                    resident_anonymous: anonymous,
                    resident_file: file,
                    resident_shared: shared,
                    stack,
                    locked: space.locked_bytes(),
                    ..MemoryStats::default()
                })
            })
            .ok();
        let fd_table_size = process.fds().lock().open_count() as u32;
        // The scheduler's lock is taken with no process lock held.
        let thread_states: Vec<Option<sched::ThreadState>> = threads
            .iter()
            .map(|t| self.kernel.scheduler_state(t))
            .collect();
        // Each thread's signal lock before the process's data lock, the
        // order signal delivery takes them in.
        let thread_signals: Vec<(u64, u64)> = threads
            .iter()
            .map(|t| {
                let signals = t.data().signals().lock();
                (signals.pending().set().bits(), signals.blocked().bits())
            })
            .collect();
        let data = process.data();
        let c = data.credentials();
        let process_state = data.state();
        // The process shows its leader's state, as on Linux (the first
        // thread left once the leader is gone).
        let leader = threads
            .iter()
            .position(|t| t.tid() == process.pid())
            .unwrap_or(0);
        let state = task_state(process_state, thread_states.get(leader).copied().flatten());
        let times = data.times();
        let children = data.children_times();
        let exit_code = match data.termination() {
            Some(process::Termination::Exited(code)) => i32::from(code) << 8,
            Some(process::Termination::Killed { signal, .. }) => i32::from(signal),
            None => 0,
        };
        let mut rlimits = [procfs::Rlimit::default(); procfs::RLIMIT_COUNT];
        for (index, slot) in rlimits.iter_mut().enumerate() {
            if let Ok(resource) = process::Resource::from_raw(index as u32) {
                let limit = data.rlimits().get(resource);
                *slot = procfs::Rlimit {
                    soft: limit.soft,
                    hard: limit.hard,
                };
            }
        }
        Ok(ProcessSnapshot {
            pid: process.pid() as u32,
            ppid: data.ppid() as u32,
            pgid: data.pgid() as u32,
            sid: data.sid() as u32,
            tty_nr: (4 << 8) | 64,
            tpgid: -1,
            name: String::from(data.name()),
            state,
            uid: IdSet {
                real: c.uid(),
                effective: c.euid(),
                saved: c.suid(),
                filesystem: c.fsuid(),
            },
            gid: IdSet {
                real: c.gid(),
                effective: c.egid(),
                saved: c.sgid(),
                filesystem: c.fsgid(),
            },
            groups: c.groups().to_vec(),
            umask: data.fs().map_or(0o022, |f| f.umask()),
            times: CpuTimes {
                user: times.user,
                system: times.kernel,
            },
            children_times: CpuTimes {
                user: children.user,
                system: children.kernel,
            },
            start_ticks: ns_to_ticks(data.start_time()),
            memory,
            threads: threads
                .iter()
                .zip(&thread_signals)
                .zip(&thread_states)
                .map(|((t, &(pending, blocked)), &scheduler)| {
                    let (seccomp_mode, seccomp_filters) = crate::process::seccomp::status(t);
                    ThreadSnapshot {
                        tid: t.tid() as u32,
                        name: String::from(data.name()),
                        state: task_state(process_state, scheduler),
                        pending,
                        blocked,
                        seccomp_mode,
                        seccomp_filters,
                        ..ThreadSnapshot::default()
                    }
                })
                .collect(),
            signals: {
                let signals = data.signals();
                let mut masks = procfs::SignalMasks {
                    shared_pending: signals.shared_pending().set().bits(),
                    ..procfs::SignalMasks::default()
                };
                for number in 1..=64 {
                    let Ok(signal) = signal::Signal::from_raw(number) else {
                        continue;
                    };
                    let bit = 1u64 << (number - 1);
                    match signals.action(signal).handler {
                        signal::Disposition::Ignore => masks.ignored |= bit,
                        signal::Disposition::Handler(_) => masks.caught |= bit,
                        signal::Disposition::Default => {}
                    }
                }
                masks
            },
            exit_signal: 17,
            exit_code,
            fd_table_size,
            rlimits,
            tracer_pid: data.tracing().map_or(0, |t| t.tracer as u32),
            no_new_privs: data.no_new_privs(),
            capabilities: {
                let caps = data.credentials().capabilities();
                procfs::CapabilitySets {
                    inheritable: caps.inheritable.bits(),
                    permitted: caps.permitted.bits(),
                    effective: caps.effective.bits(),
                    bounding: caps.bounding.bits(),
                    ambient: caps.ambient.bits(),
                }
            },
            io: {
                let counts = process.io().counts();
                procfs::IoStats {
                    read_chars: counts.read_bytes,
                    written_chars: counts.written_bytes,
                    read_calls: counts.read_calls,
                    write_calls: counts.write_calls,
                    // Every file system here is in memory: no storage I/O.
                    ..procfs::IoStats::default()
                }
            },
            ..ProcessSnapshot::default()
        })
    }

    fn cmdline(&self) -> KernelResult<Vec<u8>> {
        let process = self.get()?;
        Ok(process.data().program().cmdline.clone())
    }

    fn environ(&self) -> KernelResult<Vec<u8>> {
        let process = self.get()?;
        Ok(process.data().program().environ.clone())
    }

    fn maps(&self) -> KernelResult<Vec<String>> {
        let process = self.get()?;
        Ok(self
            .kernel
            .with_address_space(&process, |space, _| {
                Ok(space.regions().map(|r| format!("{r}")).collect())
            })
            .unwrap_or_default())
    }

    fn read_memory(&self, address: u64, buf: &mut [u8]) -> KernelResult<usize> {
        let process = self.for_memory_access()?;
        let mut done = 0;
        while done < buf.len() {
            let at = address.saturating_add(done as u64);
            let n = ((4096 - at % 4096) as usize).min(buf.len() - done);
            let chunk = &mut buf[done..done + n];
            let copied = self.kernel.with_process_memory(&process, |memory| {
                memory.copy_from_user(chunk, mm::UserSlice::new(at, n)?)
            });
            if copied.is_err() {
                break;
            }
            done += n;
        }
        if done == 0 && !buf.is_empty() {
            return Err(Errno::EIO);
        }
        Ok(done)
    }

    fn write_memory(&self, address: u64, buf: &[u8]) -> KernelResult<usize> {
        let process = self.for_memory_access()?;
        let mut done = 0;
        while done < buf.len() {
            let at = address.saturating_add(done as u64);
            let n = ((4096 - at % 4096) as usize).min(buf.len() - done);
            if self
                .kernel
                .force_write_process_memory(&process, at, &buf[done..done + n])
                .is_err()
            {
                break;
            }
            done += n;
        }
        if done == 0 && !buf.is_empty() {
            return Err(Errno::EIO);
        }
        Ok(done)
    }

    fn cwd(&self) -> Option<Custody> {
        let process = self.get().ok()?;
        let data = process.data();
        data.fs().map(|f| f.cwd().clone())
    }

    fn root(&self) -> Option<Custody> {
        let process = self.get().ok()?;
        let data = process.data();
        data.fs().map(|f| f.root().clone())
    }

    fn exe(&self) -> Option<Custody> {
        let process = self.get().ok()?;
        process.data().program().exe.clone()
    }

    fn fds(&self) -> Vec<u32> {
        let Ok(process) = self.get() else {
            return Vec::new();
        };
        let table = process.fds().lock();
        table.enumerate().map(|open| open.fd as u32).collect()
    }

    fn oom_scores(&self) -> KernelResult<(i16, u32)> {
        let process = self.get()?;
        let adj = process.data().oom_score_adj();
        let total_pages = self.kernel.memory_stats().total_bytes / 4096;
        let candidate = process::oom::Candidate {
            pid: process.pid(),
            resident_pages: crate::process::oom::resident_pages(self.kernel.as_ref(), &process),
            adj,
        };
        Ok((adj, process::oom::oom_score(&candidate, total_pages)))
    }

    /// The owner (or a holder of `CAP_SYS_RESOURCE`) may raise it; only
    /// `CAP_SYS_RESOURCE` may lower it (Linux's rule is "below the lowest
    /// value set so far").
    fn set_oom_score_adj(&self, adj: i16) -> KernelResult<()> {
        let target = self.get()?;
        let caller = self.caller();
        if let Some(caller) = caller {
            let credentials = caller.data().credentials().clone();
            let data = target.data();
            let owner = credentials.euid() == data.credentials().uid()
                || credentials.euid() == data.credentials().euid();
            if !credentials.capable(CAP_SYS_RESOURCE) && (!owner || adj < data.oom_score_adj()) {
                return Err(Errno::EACCES);
            }
        }
        target.data().set_oom_score_adj(adj);
        Ok(())
    }

    fn make_it_fail(&self) -> KernelResult<bool> {
        Ok(self.get()?.make_it_fail())
    }

    /// `CAP_SYS_RESOURCE` only, as Linux.
    fn set_make_it_fail(&self, make_it_fail: bool) -> KernelResult<()> {
        let target = self.get()?;
        let caller = self.caller();
        if let Some(caller) = caller
            && !caller.data().credentials().capable(CAP_SYS_RESOURCE)
        {
            return Err(Errno::EPERM);
        }
        target.set_make_it_fail(make_it_fail);
        Ok(())
    }

    fn fd(&self, fd: u32) -> Option<OpenFd> {
        let process = self.get().ok()?;
        let table = process.fds().lock();
        let fd = i32::try_from(fd).ok()?;
        let description = table.get(fd).ok()?.clone();
        let close_on_exec = table.cloexec(fd).unwrap_or(false);
        Some(OpenFd {
            description,
            close_on_exec,
        })
    }
}

/// The System V IPC objects, for `/proc/sysvipc`.
pub fn sysv_ipc<K: Kernel>(kernel: &K) -> procfs::view::SysvIpc {
    procfs::view::SysvIpc {
        shm: kernel
            .shm_segments()
            .lock()
            .segments()
            .map(|(id, status, pages)| (id, status, pages * mm::PAGE_SIZE))
            .collect(),
        msg: kernel.message_queues().lock().queues().collect(),
        sem: kernel.semaphores().lock().sets().collect(),
    }
}
