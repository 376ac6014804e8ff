//! The process table: every process and thread, pid allocation, the parent
//! and child links, process groups and sessions, and the exit/wait/reap
//! protocol.
//!
//! Exit, step by step, as the kernel drives it:
//! 1. [`Process::die`] (exit_group, fatal signal, crash): the first caller's
//!    termination is kept; threads are told to die.
//! 2. Each thread leaves through [`ProcessTable::remove_thread`]; the last one
//!    out triggers [`ProcessTable::finalize`], which releases the process's
//!    resources, makes it a zombie, hands its children to init (pid 1) and
//!    either reaps it at once (no parent, or the parent ignores `SIGCHLD` /
//!    set `SA_NOCLDWAIT`: the caller says so) or leaves it for `wait`.
//! 3. The returned [`ExitNotice`] tells the caller whom to send `SIGCHLD` and
//!    whose waiters to wake: this crate sends no signals and blocks no one.
//! 4. [`ProcessTable::wait`] reports a zombie, a stop or a continue once, and
//!    reaps zombies (unless `WNOWAIT`), adding their CPU time to the parent's
//!    children's time.

use abi::capability::CAP_SYS_RESOURCE;
use alloc::boxed::Box;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use abi::{Errno, KernelResult};
use lock::Mutex;

use crate::lock::{Rank, RankedMutex};

use crate::coredump::CorePattern;
use crate::credentials::Credentials;
use crate::env::ProcessEnv;
use crate::lifecycle::{JobEvent, ProcessState};
use crate::pid::{DEFAULT_PID_MAX, Pid, PidAllocator, Tid};
use crate::process::{NewProcess, Process};
use crate::ptrace::{Resume, TraceStop, Tracing};
use crate::rlimit::{Resource, Rlimit};
use crate::thread::{Thread, ThreadState};
use crate::uts::UtsName;
use crate::wait::{
    WCONTINUED, WEXITED, WNOWAIT, WUNTRACED, WaitInfo, WaitOptions, WaitPoll, WaitTarget,
};

/// The pid that adopts orphans.
pub const INIT_PID: Pid = 1;

/// The lowest default `threads-max` (Linux's `MIN_THREADS`).
pub const THREADS_MAX_FLOOR: usize = 20;

/// The highest `threads-max` Linux accepts (`FUTEX_TID_MASK`), and the
/// default until the kernel sets one from its memory.
pub const THREADS_MAX_CEILING: usize = 0x3fff_ffff;

/// Linux's default `threads-max`: as many threads as would fill an
/// eighth of `memory_bytes` with their kernel stacks.
pub fn default_thread_max(memory_bytes: u64, kernel_stack_bytes: u64) -> usize {
    let threads = memory_bytes / kernel_stack_bytes.max(1) / 8;
    usize::try_from(threads)
        .unwrap_or(THREADS_MAX_CEILING)
        .clamp(THREADS_MAX_FLOOR, THREADS_MAX_CEILING)
}

/// One process group's bookkeeping.
#[derive(Clone, Copy, Debug)]
struct GroupEntry {
    session: Pid,
    members: usize,
}

/// Everything behind the table lock.
struct TableInner<E: ProcessEnv> {
    /// Every process, zombies included, keyed and ordered by pid.
    processes: BTreeMap<Pid, Arc<Process<E>>>,
    count: usize,
    threads: BTreeMap<Tid, Arc<Thread<E>>>,
    groups: BTreeMap<Pid, GroupEntry>,
    /// Session id -> members.
    sessions: BTreeMap<Pid, usize>,
    /// How many processes in the table are traced: exits skip looking
    /// for tracees while there are none.
    traced: usize,
    /// Pids of children being forked: taken, not yet in the table (the
    /// copy of the parent runs outside the lock).
    reserved: BTreeSet<Pid>,
}

impl<E: ProcessEnv> TableInner<E> {
    fn find(&self, pid: Pid) -> Option<Arc<Process<E>>> {
        self.processes.get(&pid).cloned()
    }

    /// Who adopts the children of `dying` (whose parent is `ppid`), as
    /// Linux's `find_new_reaper`: the nearest ancestor that is a child
    /// subreaper and not dying itself, else init (unless init is the one
    /// dying).
    fn adopter_for(&self, dying: Pid, ppid: Pid) -> Option<Arc<Process<E>>> {
        let mut next = ppid;
        // Bounded: a parent chain never loops, but a corrupt one must not hang.
        for _ in 0..self.processes.len() {
            let Some(ancestor) = self.find(next).filter(|a| a.pid() != dying) else {
                break;
            };
            let (subreaper, alive, parent) = {
                let d = ancestor.data();
                (
                    d.is_child_subreaper(),
                    d.lifecycle.is_alive(),
                    d.family.ppid,
                )
            };
            if subreaper && alive {
                return Some(ancestor);
            }
            next = parent;
        }
        self.find(INIT_PID).filter(|init| init.pid() != dying)
    }

    /// Whether `id` is taken as a pid, tid, pgid or sid.
    fn id_in_use(&self, id: Pid) -> bool {
        self.processes.contains_key(&id)
            || self.reserved.contains(&id)
            || self.threads.contains_key(&id)
            || self.groups.contains_key(&id)
            || self.sessions.contains_key(&id)
    }

    /// Registers `process`; moves `membership` (see
    /// [`ProcessTable::membership_generation`]).
    fn insert(
        &mut self,
        process: Arc<Process<E>>,
        thread: Arc<Thread<E>>,
        pgid: Pid,
        sid: Pid,
        membership: &AtomicU64,
    ) {
        self.threads.insert(thread.tid(), thread.clone());
        process.add_thread(thread, None);
        self.processes.insert(process.pid(), process);
        membership.fetch_add(1, Ordering::Release);
        self.count += 1;
        self.join(pgid, sid);
    }

    fn join(&mut self, pgid: Pid, sid: Pid) {
        self.groups
            .entry(pgid)
            .or_insert(GroupEntry {
                session: sid,
                members: 0,
            })
            .members += 1;
        *self.sessions.entry(sid).or_insert(0) += 1;
    }

    fn leave(&mut self, pgid: Pid, sid: Pid) {
        if let Some(group) = self.groups.get_mut(&pgid) {
            group.members -= 1;
            if group.members == 0 {
                self.groups.remove(&pgid);
            }
        }
        if let Some(members) = self.sessions.get_mut(&sid) {
            *members -= 1;
            if *members == 0 {
                self.sessions.remove(&sid);
            }
        }
    }

    /// Remove a zombie for good. With `charge_parent`, its CPU time and its
    /// reaped descendants' go to the parent's children's time (a `wait`
    /// reap; Linux does not charge auto-reaped children).
    /// Ends the tracing of `target` (detach, reap): off its tracer's list.
    /// Whether it was in a trace stop.
    fn untrace(&mut self, target: &Process<E>) -> bool {
        let tracing = target.data().tracing.take();
        target.set_traced(false);
        let Some(tracing) = tracing else {
            return false;
        };
        self.traced -= 1;
        if let Some(tracer) = self.find(tracing.tracer) {
            tracer.data().family.tracees.remove(&target.pid());
        }
        tracing.stop.is_some()
    }

    /// Removes `child` from the table; moves `membership`.
    fn reap(&mut self, child: &Process<E>, charge_parent: bool, membership: &AtomicU64) {
        if self.processes.remove(&child.pid()).is_none() {
            // Already reaped: nothing left to release.
            return;
        }
        membership.fetch_add(1, Ordering::Release);
        E::reaped(child.pid());
        self.count -= 1;
        self.untrace(child);
        for thread in child.threads() {
            self.threads.remove(&thread.tid());
        }
        let (ppid, pgid, sid, times, children_times) = {
            let d = child.data();
            (d.ppid(), d.pgid(), d.sid(), d.times(), d.children_times())
        };
        self.leave(pgid, sid);
        if let Some(parent) = self.find(ppid) {
            let mut p = parent.data();
            p.family.children.remove(&child.pid());
            if charge_parent {
                p.add_children_times(times, children_times);
            }
        }
    }
}

/// A stop or continue the parent should hear about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChildNotice {
    /// The parent to send `SIGCHLD` (unless it set `SA_NOCLDSTOP`) and whose
    /// waiters to wake; `None` if there is no parent.
    pub parent: Option<Pid>,
    /// The `SIGCHLD` siginfo (`CLD_STOPPED` or `CLD_CONTINUED`).
    pub info: WaitInfo,
}

/// How many counters of signals to process groups a table keeps: forks
/// in groups of other buckets go on while a group is signalled.
const GROUP_SIGNAL_BUCKETS: usize = 64;

/// The counter of signals to process group `group`.
fn group_signal_bucket(group: Pid) -> usize {
    group as u32 as usize % GROUP_SIGNAL_BUCKETS
}

/// A signal to many processes in progress ([`ProcessTable::signalling_many`]).
#[must_use = "the signal counts as sent once this is dropped"]
pub struct ManySignals<'a> {
    counter: &'a AtomicU64,
}

impl Drop for ManySignals<'_> {
    fn drop(&mut self) {
        // One more begin-or-end, one fewer in progress.
        self.counter.fetch_add((1 << 32) - 1, Ordering::SeqCst);
    }
}

/// A new process and its first thread (whose tid is the pid).
pub type ProcessAndThread<E> = (Arc<Process<E>>, Arc<Thread<E>>);

/// What [`ProcessTable::finalize`] leaves the caller to do.
pub struct ExitNotice<E: ProcessEnv> {
    /// The parent to send `SIGCHLD` (with the child's [`WaitInfo`]) and whose
    /// waiters to wake; `None` if the process had no parent.
    pub parent: Option<Pid>,
    /// The `SIGCHLD` siginfo (`CLD_EXITED`/`CLD_KILLED`/`CLD_DUMPED`).
    pub info: WaitInfo,
    /// Whether the process was reaped at once (no one will wait for it).
    pub reaped: bool,
    /// Whether init (or the subreaper that adopted the children) adopted
    /// children that are already zombies: send it `SIGCHLD` and wake its
    /// waiters too.
    pub init_adopted_zombies: bool,
    /// Who adopted the children: the nearest living ancestor that is a
    /// child subreaper, else init; `None` when there were no children or
    /// nobody could.
    pub adopter: Option<Pid>,
    /// Children that asked for a signal when this process ended
    /// (`PR_SET_PDEATHSIG`), with the signal, for the caller to send.
    pub parent_death_signals: Vec<(Pid, u8)>,
    /// The process groups of the adopted children that are in this
    /// process's session but not its group, each once: the groups whose
    /// link to the session this exit may have cut (POSIX orphaned groups;
    /// Linux's `reparent_leader`).
    pub adopted_groups: Vec<Pid>,
    /// The descriptions of the fds still open; drop them outside locks.
    /// The process is a zombie by then, so a caller that wants them closed
    /// before a waiter can reap it (as Linux's `exit_files`) clears
    /// [`Process::fds`] before finalizing, and this is empty.
    pub closed: Vec<E::Description>,
    /// The address space, for the caller to tear down (mm's teardown needs
    /// the frame allocator) once no CPU runs on its page tables.
    pub address_space: Option<E::AddressSpace>,
}

/// Every process and thread of one kernel. The kernel image holds one;
/// tests make as many as they like.
pub struct ProcessTable<E: ProcessEnv> {
    inner: RankedMutex<TableInner<E>>,
    pids: PidAllocator,
    /// Moved every time a process enters or leaves the table.
    membership: AtomicU64,
    /// Signals sent to many processes at once ([`ManySignals`]), one
    /// counter per bucket of process groups (hashed) and a last one for
    /// signals to every process: how many are being sent (low 32 bits)
    /// and how often one began or ended (high 32 bits). A fork that
    /// overlapped one to its group, or to everyone, starts again.
    many_signals: [AtomicU64; GROUP_SIGNAL_BUCKETS + 1],
    /// The system-wide thread limit (`/proc/sys/kernel/threads-max`).
    thread_max: AtomicUsize,
    uts: Mutex<UtsName>,
    core_pattern: Mutex<CorePattern>,
}

impl<E: ProcessEnv> Default for ProcessTable<E> {
    fn default() -> Self {
        Self::new(DEFAULT_PID_MAX)
    }
}

impl<E: ProcessEnv> ProcessTable<E> {
    /// An empty table handing out ids below `pid_max`, hostname "courage".
    pub fn new(pid_max: Pid) -> Self {
        Self {
            inner: RankedMutex::new(
                Rank::Table,
                TableInner {
                    processes: BTreeMap::new(),
                    count: 0,
                    threads: BTreeMap::new(),
                    groups: BTreeMap::new(),
                    sessions: BTreeMap::new(),
                    traced: 0,
                    reserved: BTreeSet::new(),
                },
            ),
            pids: PidAllocator::new(pid_max),
            membership: AtomicU64::new(0),
            many_signals: [const { AtomicU64::new(0) }; GROUP_SIGNAL_BUCKETS + 1],
            thread_max: AtomicUsize::new(THREADS_MAX_CEILING),
            uts: Mutex::new(UtsName::default()),
            core_pattern: Mutex::new(CorePattern::default()),
        }
    }

    /// The system-wide thread limit: `fork` and `clone` fail with
    /// `EAGAIN` once this many threads live, whoever calls.
    pub fn thread_max(&self) -> usize {
        self.thread_max.load(Ordering::Relaxed)
    }

    /// Sets [`ProcessTable::thread_max`] (`EINVAL` outside Linux's range,
    /// 1 to [`THREADS_MAX_CEILING`]).
    pub fn set_thread_max(&self, max: usize) -> KernelResult<()> {
        if !(1..=THREADS_MAX_CEILING).contains(&max) {
            return Err(Errno::EINVAL);
        }
        self.thread_max.store(max, Ordering::Relaxed);
        Ok(())
    }

    /// Live threads, system-wide.
    pub fn thread_count(&self) -> usize {
        self.inner.lock().threads.len()
    }

    /// A number that moves every time a process is registered or reaped,
    /// read without the table lock: while it stays the same, every pid
    /// names the process it named (what `/proc`'s dentries are checked
    /// against).
    pub fn membership_generation(&self) -> u64 {
        self.membership.load(Ordering::Acquire)
    }

    /// The pid allocator (for `pid_max` in procfs).
    pub fn pid_allocator(&self) -> &PidAllocator {
        &self.pids
    }

    /// An id free as pid, tid, pgid and sid right now. It is not reserved:
    /// process and thread creation allocate under the table lock themselves.
    pub fn allocate_pid(&self) -> KernelResult<Pid> {
        let inner = self.inner.lock();
        self.pids.allocate(|id| inner.id_in_use(id))
    }

    /// Register a parentless process (init, kernel processes) with one
    /// thread whose tid is the pid. It starts in session 0 and process
    /// group 0, as Linux's init does, so it may call `setsid`.
    pub fn create_process(
        &self,
        new: NewProcess<E>,
        thread_data: E::ThreadData,
    ) -> KernelResult<ProcessAndThread<E>> {
        let mut inner = self.inner.lock();
        let pid = self.pids.allocate(|id| inner.id_in_use(id))?;
        let process = Arc::new(Process::from_new(pid, new, self.thread_max())?);
        let thread = Arc::new(Thread::new(pid, pid, thread_data));
        inner.insert(process.clone(), thread.clone(), 0, 0, &self.membership);
        Ok((process, thread))
    }

    /// `fork`: a child of `parent` with a copy of its resources (see
    /// [`Process`]'s fields) and one thread, whose scheduler state is
    /// `thread_data` (the forking thread's registers with `rax = 0`). Only
    /// the forking thread is duplicated. `EAGAIN` when ids run out,
    /// `ENOMEM` from the address space copy.
    ///
    /// The new pid is reserved under the table lock; the copy of the
    /// parent (its memory, descriptors) runs outside it, so forks and
    /// exits elsewhere do not wait for it. `EINTR` if the parent began to
    /// die meanwhile (the forking thread never sees it).
    pub fn fork(
        &self,
        parent: &Arc<Process<E>>,
        thread_data: E::ThreadData,
    ) -> KernelResult<ProcessAndThread<E>> {
        self.fork_with(parent, None, thread_data, crate::process::ForkMemory::Copy)
    }

    /// [`ProcessTable::fork`], with the child's memory a copy of its
    /// parent's or the same address space (`memory`), its thread taking
    /// the seccomp state of the forking thread `creator`.
    ///
    /// `EINTR` (the caller makes the call again) if a signal to the
    /// parent's process group (or one sharing its bucket) or to every
    /// process was being sent at any time during the fork: it may have
    /// listed the group before the child joined it and reached only the
    /// parent, and a `^C` must not leave a child running (Linux restarts
    /// such a fork too). So does a fork whose parent changed groups
    /// meanwhile.
    pub fn fork_with(
        &self,
        parent: &Arc<Process<E>>,
        creator: Option<&Thread<E>>,
        thread_data: E::ThreadData,
        memory: crate::process::ForkMemory,
    ) -> KernelResult<ProcessAndThread<E>> {
        let (pid, group_before, signals_before) = {
            let mut inner = self.inner.lock();
            self.check_task_limits(&inner, parent)?;
            let pid = self.pids.allocate(|id| inner.id_in_use(id))?;
            inner.reserved.insert(pid);
            let group = parent.data().pgid();
            (pid, group, self.group_signals(group))
        };
        let built = Process::forked_from(pid, parent, memory);
        let mut inner = self.inner.lock();
        inner.reserved.remove(&pid);
        let child = Arc::new(built?);
        // The group and session are the parent's as they are now, under
        // the lock (a setpgid or setsid may have come meanwhile), as Linux
        // attaches the child under its tasklist lock.
        let family = {
            let mut p = parent.data();
            let (pgid, sid) = (p.pgid(), p.sid());
            // Under the lock the senders list processes under: either the
            // list had the child, or its sender began or ended since the
            // fork did, or it is still sending.
            let signals_now = self.group_signals(pgid);
            let quiet = pgid == group_before
                && signals_now == signals_before
                && signals_now.iter().all(|&count| count as u32 == 0);
            (quiet && p.lifecycle.is_alive()).then(|| {
                p.family.children.insert(pid);
                (pgid, sid)
            })
        };
        let Some((pgid, sid)) = family else {
            drop(inner);
            // Its memory goes back outside the lock.
            drop(child);
            return Err(Errno::EINTR);
        };
        {
            let mut c = child.data();
            c.family.pgid = pgid;
            c.family.sid = sid;
        }
        let thread = Arc::new(Thread::new(pid, pid, thread_data));
        if let Some(creator) = creator {
            child.inherit_seccomp(&thread, creator);
            thread.inherit_from(creator);
        }
        inner.insert(child.clone(), thread.clone(), pgid, sid, &self.membership);
        Ok((child, thread))
    }

    /// Marks a signal being sent to many processes (process group
    /// `group`, or every process for `None`) until the guard is dropped:
    /// take it before listing them, keep it until every one is sent to.
    /// Forks in that group (or any, for `None`) that overlap it start
    /// again ([`ProcessTable::fork_with`]), so none makes a child the list
    /// missed while its parent gets the signal.
    pub fn signalling_many(&self, group: Option<Pid>) -> ManySignals<'_> {
        let counter = &self.many_signals[group.map_or(GROUP_SIGNAL_BUCKETS, group_signal_bucket)];
        counter.fetch_add((1 << 32) + 1, Ordering::SeqCst);
        ManySignals { counter }
    }

    /// The counters a fork in process group `group` watches: its
    /// bucket's, and that of signals to every process.
    fn group_signals(&self, group: Pid) -> [u64; 2] {
        [
            self.many_signals[group_signal_bucket(group)].load(Ordering::SeqCst),
            self.many_signals[GROUP_SIGNAL_BUCKETS].load(Ordering::SeqCst),
        ]
    }

    /// `EAGAIN` when one more thread would pass the system-wide limit, or
    /// `creator`'s real user already has `RLIMIT_NPROC` threads (zombies
    /// count until reaped, as on Linux; root is exempt from the latter).
    fn check_task_limits(&self, inner: &TableInner<E>, creator: &Process<E>) -> KernelResult<()> {
        if inner.threads.len() + inner.reserved.len() >= self.thread_max() {
            return Err(Errno::EAGAIN);
        }
        let (uid, limit) = {
            let data = creator.data();
            let credentials = data.credentials();
            // Linux exempts root's user and CAP_SYS_RESOURCE or CAP_SYS_ADMIN.
            if credentials.uid() == 0
                || credentials.capable(abi::capability::CAP_SYS_RESOURCE)
                || credentials.capable(abi::capability::CAP_SYS_ADMIN)
            {
                return Ok(());
            }
            (credentials.uid(), data.rlimits().get(Resource::Nproc).soft)
        };
        if limit == crate::rlimit::RLIM_INFINITY {
            return Ok(());
        }
        // Counted when needed rather than kept per user: only limited,
        // unprivileged callers pay for the walk.
        let mut tasks: u64 = 0;
        for process in inner.processes.values() {
            if process.data().credentials().uid() == uid {
                tasks += process.thread_count().max(1) as u64;
                if tasks >= limit {
                    return Err(Errno::EAGAIN);
                }
            }
        }
        Ok(())
    }

    /// The process with `pid`, zombies included. O(log n).
    pub fn from_pid(&self, pid: Pid) -> Option<Arc<Process<E>>> {
        self.inner.lock().find(pid)
    }

    /// The same answer as [`ProcessTable::from_pid`] by walking every
    /// process: O(n), kept only to measure the index against.
    pub fn from_pid_by_scan(&self, pid: Pid) -> Option<Arc<Process<E>>> {
        let inner = self.inner.lock();
        inner
            .processes
            .values()
            .find(|process| process.pid() == pid)
            .cloned()
    }

    /// The thread with `tid`.
    pub fn from_tid(&self, tid: Tid) -> Option<Arc<Thread<E>>> {
        self.inner.lock().threads.get(&tid).cloned()
    }

    /// Every process, zombies included, in pid order.
    pub fn all_processes(&self) -> Vec<Arc<Process<E>>> {
        let inner = self.inner.lock();
        inner.processes.values().cloned().collect()
    }

    /// How many processes exist, zombies included.
    pub fn process_count(&self) -> usize {
        self.inner.lock().count
    }

    /// The members of process group `pgid` (for `kill(-pgid)`). O(n).
    pub fn processes_in_group(&self, pgid: Pid) -> Vec<Arc<Process<E>>> {
        self.all_processes()
            .into_iter()
            .filter(|p| p.data().pgid() == pgid)
            .collect()
    }

    /// `clone(CLONE_THREAD)`: a new thread in `process`. `ESRCH` if the
    /// process is exiting, `EAGAIN` when ids run out, and `EINTR` while a
    /// stop of an untraced process is in progress or in force: a thread
    /// made then would not be one the stop waits for, so the caller joins
    /// the stop and makes the call again once continued (Linux refuses a
    /// clone with a signal pending, `ERESTARTNOINTR`). Checked under the
    /// table lock, which orders it with [`ProcessTable::stop_process`].
    pub fn add_thread(
        &self,
        process: &Arc<Process<E>>,
        thread_data: E::ThreadData,
    ) -> KernelResult<Arc<Thread<E>>> {
        self.add_thread_from(process, None, thread_data)
    }

    /// [`ProcessTable::add_thread`] for a thread `creator` of the process
    /// makes (`clone(CLONE_THREAD)`): the new one takes its seccomp state.
    pub fn add_thread_from(
        &self,
        process: &Arc<Process<E>>,
        creator: Option<&Thread<E>>,
        thread_data: E::ThreadData,
    ) -> KernelResult<Arc<Thread<E>>> {
        let mut inner = self.inner.lock();
        match process.data().lifecycle.state() {
            ProcessState::Running => {}
            ProcessState::Stopped(_) if process.is_traced() => {}
            ProcessState::Stopped(_) => return Err(Errno::EINTR),
            ProcessState::Dying(_) | ProcessState::Zombie(_) => return Err(Errno::ESRCH),
        }
        self.check_task_limits(&inner, process)?;
        let tid = self.pids.allocate(|id| inner.id_in_use(id))?;
        let thread = Arc::new(Thread::new(tid, process.pid(), thread_data));
        inner.threads.insert(tid, thread.clone());
        process.add_thread(thread.clone(), creator);
        Ok(thread)
    }

    /// A thread has finished: detach it, mark it dead and release its tid.
    /// Returns whether it was its process's last thread; if so the caller
    /// makes sure the process is dying (`exit` of the last thread is
    /// `exit_group(0)`-like) and calls [`ProcessTable::finalize`].
    pub fn remove_thread(&self, thread: &Thread<E>) -> bool {
        let mut inner = self.inner.lock();
        inner.threads.remove(&thread.tid());
        if thread.state() != ThreadState::Dead {
            // Whatever state it was in, it is gone now; Dying first keeps
            // to the state machine (Dying is reachable from all but Dead).
            let _ = thread.set_state(ThreadState::Dying);
            let _ = thread.set_state(ThreadState::Dead);
        }
        let Some(process) = inner.find(thread.pid()) else {
            return false;
        };
        drop(inner);
        process
            .remove_thread(thread.tid())
            .is_some_and(|(_, was_last)| was_last)
    }

    /// Release a dying process's resources and make it a zombie (Serenity's
    /// `finalize`): fds closed, cwd and root dropped, tty let go, address
    /// space handed back for teardown; its children go to init (SerenityOS's
    /// `disowned_by_waiter`). The zombie is reaped at once if it has no
    /// parent or `parent_auto_reaps` (the parent's `SIGCHLD` is `SIG_IGN` or
    /// has `SA_NOCLDWAIT`). `EINVAL` if the process is not dying.
    pub fn finalize(
        &self,
        process: &Arc<Process<E>>,
        parent_auto_reaps: bool,
    ) -> KernelResult<ExitNotice<E>> {
        let mut inner = self.inner.lock();
        let (ppid, children, address_space, info, own_group, session) = {
            let mut d = process.data();
            if !d.lifecycle.finalize() {
                return Err(Errno::EINVAL);
            }
            let termination = d.termination().ok_or(Errno::EINVAL)?;
            let info = WaitInfo::terminated(process.pid(), d.credentials().uid(), termination);
            d.fs = None;
            d.tty = None;
            // The executable, arguments and environment go with the
            // address space; a zombie shows none, as on Linux.
            d.program = Default::default();
            let children = core::mem::take(&mut d.family.children);
            let (own_group, session) = (d.pgid(), d.sid());
            (
                d.ppid(),
                children,
                d.address_space.take(),
                info,
                own_group,
                session,
            )
        };
        let closed = process.fds().lock().clear();

        let adopter = if children.is_empty() {
            None
        } else {
            inner.adopter_for(process.pid(), ppid)
        };
        let mut init_adopted_zombies = false;
        let mut parent_death_signals = Vec::new();
        let mut adopted_groups = Vec::new();
        for pid in children {
            let Some(child) = inner.find(pid) else {
                continue;
            };
            let is_zombie = {
                let mut c = child.data();
                c.family.ppid = adopter.as_ref().map_or(0, |a| a.pid());
                if c.parent_death_signal() != 0 && !c.lifecycle.is_zombie() {
                    parent_death_signals.push((pid, c.parent_death_signal()));
                }
                let group = c.pgid();
                if adopter.is_some()
                    && group != own_group
                    && c.sid() == session
                    && !adopted_groups.contains(&group)
                {
                    adopted_groups.push(group);
                }
                c.lifecycle.is_zombie()
            };
            match &adopter {
                Some(adopter) => {
                    adopter.data().family.children.insert(child.pid());
                    init_adopted_zombies |= is_zombie;
                }
                // No one is left to wait for it.
                None if is_zombie => inner.reap(&child, false, &self.membership),
                None => {}
            }
        }

        let parent = inner.find(ppid).map(|p| p.pid());
        let reaped = parent.is_none() || parent_auto_reaps;
        if reaped {
            inner.reap(process, false, &self.membership);
        }
        Ok(ExitNotice {
            parent,
            info,
            reaped,
            init_adopted_zombies,
            adopter: adopter.map(|a| a.pid()),
            parent_death_signals,
            adopted_groups,
            closed,
            address_space,
        })
    }

    /// Reap every zombie child of `parent` without reporting them: for a
    /// parent that auto-reaps (`SIGCHLD` ignored or `SA_NOCLDWAIT`) when
    /// [`ExitNotice::init_adopted_zombies`] says it just adopted some.
    /// Returns how many were reaped.
    pub fn reap_zombie_children(&self, parent: &Process<E>) -> usize {
        let mut inner = self.inner.lock();
        let children: Vec<Pid> = parent.data().children().collect();
        let mut reaped = 0;
        for pid in children {
            let Some(child) = inner.find(pid) else {
                continue;
            };
            let is_zombie = child.data().lifecycle.is_zombie();
            if is_zombie {
                inner.reap(&child, false, &self.membership);
                reaped += 1;
            }
        }
        reaped
    }

    /// Job-control stop: Running -> Stopped(signal). Returns whether it
    /// changed. Nothing is reported yet: each thread stops on its way back
    /// to user mode ([`ProcessTable::park_for_stop`]), and the last one to
    /// stop announces it (Linux's group stop), so a parent that sees the
    /// stop never sees a thread of it still run.
    pub fn stop_process(&self, process: &Process<E>, signal: u8) -> bool {
        let _inner = self.inner.lock();
        let mut d = process.data();
        if !d.lifecycle.stop(signal) {
            return false;
        }
        process.stopped.store(true, Ordering::Release);
        true
    }

    /// `thread` of `process` has stopped for the process's stop. Returns
    /// what to tell the parent if that completes the stop (every other
    /// thread stopped or exiting), else `None`.
    pub fn park_for_stop(&self, process: &Process<E>, thread: &Thread<E>) -> Option<ChildNotice> {
        let _inner = self.inner.lock();
        if !matches!(process.data().state(), ProcessState::Stopped(_)) {
            return None;
        }
        let _ = thread.set_state(ThreadState::Stopped);
        Self::announce_stop(process, true)
    }

    /// A thread of `process` left it (exited): if the rest have stopped,
    /// the stop is complete. Returns what to tell the parent then.
    pub fn complete_stop(&self, process: &Process<E>) -> Option<ChildNotice> {
        let _inner = self.inner.lock();
        Self::announce_stop(process, true)
    }

    /// Announces `process`'s stop whatever its threads do (a traced
    /// process, whose threads stop for their tracer one by one).
    pub fn announce_stop_now(&self, process: &Process<E>) -> Option<ChildNotice> {
        let _inner = self.inner.lock();
        Self::announce_stop(process, false)
    }

    /// The stop's notice if it waits to be announced and, when
    /// `when_all_stopped`, every thread has stopped or is exiting. Called
    /// under the table lock, which orders it with the stop and continue.
    fn announce_stop(process: &Process<E>, when_all_stopped: bool) -> Option<ChildNotice> {
        if when_all_stopped
            && !process.threads().iter().all(|t| {
                matches!(
                    t.state(),
                    ThreadState::Stopped | ThreadState::Dying | ThreadState::Dead
                )
            })
        {
            return None;
        }
        let mut d = process.data();
        let signal = d.lifecycle.announce_stop()?;
        let ppid = d.ppid();
        Some(ChildNotice {
            parent: (ppid != 0).then_some(ppid),
            info: WaitInfo::stopped(process.pid(), d.credentials().uid(), signal),
        })
    }

    /// `PTRACE_TRACEME`: the parent of `process` becomes its tracer.
    /// `EPERM` if it is traced already or has no parent.
    pub fn trace_me(&self, process: &Process<E>) -> KernelResult<()> {
        let mut inner = self.inner.lock();
        let mut d = process.data();
        if d.tracing.is_some() || d.ppid() == 0 {
            return Err(Errno::EPERM);
        }
        let tracer = d.ppid();
        d.tracing = Some(Box::new(Tracing::new(tracer)));
        drop(d);
        process.set_traced(true);
        inner.traced += 1;
        if let Some(parent) = inner.find(tracer) {
            parent.data().family.tracees.insert(process.pid());
        }
        Ok(())
    }

    /// `PTRACE_ATTACH` of `target` by `tracer`: not itself, not a process
    /// that is traced or exiting already (`EPERM`). The caller checks
    /// permission and sends the `SIGSTOP` that stops it.
    pub fn attach(&self, tracer: &Process<E>, target: &Process<E>) -> KernelResult<()> {
        let mut inner = self.inner.lock();
        {
            let mut d = target.data();
            if target.pid() == tracer.pid()
                || d.tracing.is_some()
                || d.termination().is_some()
                || d.is_kernel_process()
            {
                return Err(Errno::EPERM);
            }
            d.tracing = Some(Box::new(Tracing::new(tracer.pid())));
        }
        target.set_traced(true);
        inner.traced += 1;
        tracer.data().family.tracees.insert(target.pid());
        Ok(())
    }

    /// `PTRACE_SEIZE` of `target` by `tracer` with `options`: as
    /// [`ProcessTable::attach`], without a `SIGSTOP`; a target already in a
    /// group-stop reports it at once (a trap is due; the caller wakes it).
    pub fn seize(
        &self,
        tracer: &Process<E>,
        target: &Process<E>,
        options: u32,
    ) -> KernelResult<()> {
        self.attach(tracer, target)?;
        let _inner = self.inner.lock();
        let mut d = target.data();
        let stopped = matches!(d.state(), ProcessState::Stopped(_));
        if let Some(tracing) = d.tracing.as_deref_mut() {
            tracing.seized = true;
            tracing.options = options;
            tracing.trap_pending = stopped;
        }
        Ok(())
    }

    /// `PTRACE_INTERRUPT`: `EIO` unless seized. The tracee is due a
    /// `PTRACE_EVENT_STOP`: at once if it runs or listens, after the
    /// tracer resumes it if it is in a trace stop (as Linux). Whether the
    /// caller must wake its threads.
    pub fn interrupt_tracee(&self, process: &Process<E>) -> KernelResult<bool> {
        let _inner = self.inner.lock();
        let mut d = process.data();
        let tracing = d.tracing.as_deref_mut().ok_or(Errno::ESRCH)?;
        if !tracing.seized {
            return Err(Errno::EIO);
        }
        tracing.trap_pending = true;
        if tracing.stop.is_some() {
            return Ok(false);
        }
        tracing.listening = false;
        Ok(true)
    }

    /// `PTRACE_LISTEN`: a seized tracee in a `PTRACE_EVENT_STOP` stop
    /// leaves it for its tracer but stays stopped until a trap is due
    /// (`EIO` for any other tracee or stop).
    pub fn listen(&self, process: &Process<E>) -> KernelResult<()> {
        let _inner = self.inner.lock();
        let mut d = process.data();
        let tracing = d.tracing.as_deref_mut().ok_or(Errno::ESRCH)?;
        let event_stop = matches!(
            tracing.stop,
            Some(TraceStop::GroupStop(_) | TraceStop::Event(crate::ptrace::PTRACE_EVENT_STOP))
        );
        if !tracing.seized || !event_stop {
            return Err(Errno::EIO);
        }
        tracing.stop = None;
        tracing.inject = 0;
        tracing.listening = !tracing.trap_pending;
        Ok(())
    }

    /// A `SIGCONT` reached a seized tracee: a notification stop is due
    /// and a listening wait ends. Whether it is seized (the caller wakes).
    pub fn notify_tracee_of_continue(&self, process: &Process<E>) -> bool {
        let _inner = self.inner.lock();
        let mut d = process.data();
        match d.tracing.as_deref_mut() {
            Some(tracing) if tracing.seized => {
                tracing.listening = false;
                tracing.trap_pending = true;
                true
            }
            _ => false,
        }
    }

    /// The `PTRACE_EVENT_STOP` due for `process`, taken: a group-stop (with
    /// its signal) while the process is stopped, else an interrupt stop.
    pub fn take_due_trap(&self, process: &Process<E>) -> Option<TraceStop> {
        let _inner = self.inner.lock();
        let mut d = process.data();
        let stopped = match d.state() {
            ProcessState::Stopped(signal) => Some(signal),
            _ => None,
        };
        let tracing = d.tracing.as_deref_mut()?;
        if !tracing.trap_pending {
            return None;
        }
        tracing.trap_pending = false;
        Some(match stopped {
            Some(signal) => TraceStop::GroupStop(signal),
            None => TraceStop::Event(crate::ptrace::PTRACE_EVENT_STOP),
        })
    }

    /// A new child of a tracee whose tracer follows forks: traced by the
    /// same tracer with the same options (`PTRACE_O_TRACEFORK` and kin);
    /// a seized tracer's child is seized too, with its first stop due.
    pub fn trace_child(&self, child: &Process<E>, tracer: Pid, options: u32, seized: bool) {
        let mut inner = self.inner.lock();
        {
            let mut d = child.data();
            if d.tracing.is_some() {
                return;
            }
            let mut tracing = Tracing::new(tracer);
            tracing.options = options;
            tracing.seized = seized;
            tracing.trap_pending = seized;
            d.tracing = Some(Box::new(tracing));
        }
        child.set_traced(true);
        inner.traced += 1;
        if let Some(tracer) = inner.find(tracer) {
            tracer.data().family.tracees.insert(child.pid());
        }
    }

    /// Ends the tracing of `target` (`PTRACE_DETACH`, the tracer's exit).
    /// Returns whether it was in a trace stop (the caller wakes it).
    pub fn detach(&self, target: &Process<E>) -> bool {
        let mut inner = self.inner.lock();
        inner.untrace(target)
    }

    /// The processes `tracer` traces (for its exit). O(n).
    pub fn tracees_of(&self, tracer: Pid) -> Vec<Arc<Process<E>>> {
        if self.inner.lock().traced == 0 {
            return Vec::new();
        }
        self.all_processes()
            .into_iter()
            .filter(|p| p.is_traced() && p.data().tracing().is_some_and(|t| t.tracer == tracer))
            .collect()
    }

    /// `process` enters a trace stop; `set` fills in what the tracer will
    /// see (registers, event message, siginfo). Returns what to tell the
    /// tracer, or `None` if it is not traced.
    pub fn enter_trace_stop(
        &self,
        process: &Process<E>,
        stop: TraceStop,
        set: impl FnOnce(&mut Tracing),
    ) -> Option<ChildNotice> {
        let _inner = self.inner.lock();
        let mut d = process.data();
        let uid = d.credentials().uid();
        let tracing = d.tracing.as_deref_mut()?;
        set(tracing);
        tracing.stop = Some(stop);
        tracing.reported = false;
        tracing.inject = 0;
        let options = tracing.options;
        let tracer = tracing.tracer;
        Some(ChildNotice {
            parent: Some(tracer),
            info: WaitInfo::trapped(
                process.pid(),
                uid,
                stop.signal(options),
                stop.wait_status(options),
            ),
        })
    }

    /// The tracer resumes `process` from its trace stop (`ESRCH` if it is
    /// not in one), delivering `inject` (0: no signal).
    pub fn resume_tracee(
        &self,
        process: &Process<E>,
        resume: Resume,
        inject: u8,
    ) -> KernelResult<()> {
        let _inner = self.inner.lock();
        let mut d = process.data();
        let tracing = d.tracing.as_deref_mut().ok_or(Errno::ESRCH)?;
        if tracing.stop.is_none() {
            return Err(Errno::ESRCH);
        }
        tracing.stop = None;
        tracing.listening = false;
        tracing.resume = resume;
        tracing.inject = inject;
        Ok(())
    }

    /// `SIGCONT`: Stopped -> Running, stopped threads runnable again.
    /// Returns what to tell the parent, or `None` if it was not stopped.
    /// A stop not every thread had joined counts as finished and then
    /// continued: `wait` reports the continue, and the parent's `SIGCHLD`
    /// says `CLD_STOPPED`, as Linux's does (one `SIGCHLD` for both).
    pub fn continue_process(&self, process: &Process<E>) -> Option<ChildNotice> {
        let _inner = self.inner.lock();
        let (ppid, uid, unannounced) = {
            let mut d = process.data();
            let unannounced = d.lifecycle.stop_in_progress();
            if !d.lifecycle.resume() {
                return None;
            }
            process.stopped.store(false, Ordering::Release);
            (d.ppid(), d.credentials().uid(), unannounced)
        };
        for thread in process.threads() {
            if thread.state() == ThreadState::Stopped {
                let _ = thread.set_state(ThreadState::Runnable);
            }
        }
        let info = match unannounced {
            Some(signal) => WaitInfo::stopped(process.pid(), uid, signal),
            None => WaitInfo::continued(process.pid(), uid),
        };
        Some(ChildNotice {
            parent: (ppid != 0).then_some(ppid),
            info,
        })
    }

    /// One poll of `wait4`/`waitid` by `waiter`: `ECHILD` if no child
    /// matches `target`; otherwise the first matching child (in pid order)
    /// with something `options` asks for, consuming it unless `WNOWAIT`
    /// (a zombie is reaped), or [`WaitPoll::NotYet`].
    pub fn wait(
        &self,
        waiter: &Process<E>,
        target: WaitTarget,
        options: WaitOptions,
    ) -> KernelResult<WaitPoll> {
        let mut inner = self.inner.lock();
        let (children, own_pgid): (Vec<Pid>, Pid) = {
            let d = waiter.data();
            let mut pids: Vec<Pid> = d.children().collect();
            // Tracees that are not children: their trace stops and exits.
            pids.extend(
                d.family
                    .tracees
                    .iter()
                    .filter(|p| !d.family.children.contains(p)),
            );
            (pids, d.pgid())
        };
        let consume = !options.contains(WNOWAIT);
        let mut matched = false;
        for pid in children {
            let Some(child) = inner.find(pid) else {
                continue;
            };
            let mut c = child.data();
            let selected = match target {
                WaitTarget::Child(pid) => child.pid() == pid,
                WaitTarget::AnyChild => true,
                WaitTarget::Group(pgid) => c.pgid() == pgid,
                WaitTarget::OwnGroup => c.pgid() == own_pgid,
            };
            if !selected {
                continue;
            }
            matched = true;
            let uid = c.credentials().uid();
            // A tracee that is not the waiter's child: its tracer sees its
            // trace stops and its end, and its parent reaps it.
            let own_child = c.ppid() == waiter.pid();
            // The parent reaps a traced child only after its tracer has
            // seen the end (as on Linux).
            let tracer_pending = c
                .tracing
                .as_deref()
                .is_some_and(|t| t.tracer != waiter.pid());
            if let (ProcessState::Zombie(termination), true, false) =
                (c.state(), options.contains(WEXITED), tracer_pending)
            {
                let mut times = c.times();
                times.add(c.children_times());
                drop(c);
                if consume {
                    if own_child {
                        inner.reap(&child, true, &self.membership);
                    } else {
                        inner.untrace(&child);
                    }
                }
                let info = WaitInfo {
                    times,
                    ..WaitInfo::terminated(child.pid(), uid, termination)
                };
                // The reaped process's last reference may be this one:
                // it is freed (its protected page, its threads) outside
                // the lock.
                drop(inner);
                drop(child);
                return Ok(WaitPoll::Ready(info));
            }
            // A trace stop goes to the tracer whatever the options say.
            if let Some(tracing) = c.tracing.as_deref_mut()
                && let Some(stop) = tracing.stop
                && !tracing.reported
                && tracing.tracer == waiter.pid()
            {
                let options = tracing.options;
                if consume {
                    tracing.reported = true;
                }
                return Ok(WaitPoll::Ready(WaitInfo::trapped(
                    child.pid(),
                    uid,
                    stop.signal(options),
                    stop.wait_status(options),
                )));
            }
            if !own_child {
                continue;
            }
            let wanted = match c.lifecycle.job_event(false) {
                Some(JobEvent::Stopped(signal)) if options.contains(WUNTRACED) => {
                    Some(WaitInfo::stopped(child.pid(), uid, signal))
                }
                Some(JobEvent::Continued) if options.contains(WCONTINUED) => {
                    Some(WaitInfo::continued(child.pid(), uid))
                }
                _ => None,
            };
            if let Some(info) = wanted {
                c.lifecycle.job_event(consume);
                return Ok(WaitPoll::Ready(info));
            }
        }
        if matched {
            Ok(WaitPoll::NotYet)
        } else {
            Err(Errno::ECHILD)
        }
    }

    /// `setpgid(2)` by `caller`. `pid`/`pgid` 0 mean the caller / the
    /// target's own pid. `EINVAL` for a negative pgid; `ESRCH` unless the
    /// target is the caller or its child; `EPERM` for a child in another
    /// session, a session leader, or a group that does not exist in the
    /// caller's session; `EACCES` for a child that has called `execve`.
    pub fn setpgid(&self, caller: &Process<E>, pid: Pid, pgid: Pid) -> KernelResult<()> {
        if pgid < 0 || pid < 0 {
            return Err(if pgid < 0 {
                Errno::EINVAL
            } else {
                Errno::ESRCH
            });
        }
        let mut inner = self.inner.lock();
        let target_pid = if pid == 0 { caller.pid() } else { pid };
        let pgid = if pgid == 0 { target_pid } else { pgid };
        let target = inner.find(target_pid).ok_or(Errno::ESRCH)?;
        let caller_sid = caller.data().sid();
        let (old_pgid, sid) = {
            let t = target.data();
            if t.ppid() == caller.pid() {
                if t.sid() != caller_sid {
                    return Err(Errno::EPERM);
                }
                if t.did_exec() {
                    return Err(Errno::EACCES);
                }
            } else if target_pid != caller.pid() {
                return Err(Errno::ESRCH);
            }
            if t.sid() == target_pid {
                return Err(Errno::EPERM);
            }
            (t.pgid(), t.sid())
        };
        if pgid != target_pid
            && inner
                .groups
                .get(&pgid)
                .is_none_or(|group| group.session != caller_sid)
        {
            return Err(Errno::EPERM);
        }
        if pgid != old_pgid {
            inner.leave(old_pgid, sid);
            inner.join(pgid, sid);
            target.data().family.pgid = pgid;
        }
        Ok(())
    }

    /// `setsid(2)`: the caller leads a new session and group with its pid
    /// as id and no controlling tty. `EPERM` if a process group with that
    /// id exists (the caller leads one).
    pub fn setsid(&self, caller: &Process<E>) -> KernelResult<Pid> {
        let mut inner = self.inner.lock();
        let pid = caller.pid();
        if inner.groups.contains_key(&pid) {
            return Err(Errno::EPERM);
        }
        let mut d = caller.data();
        inner.leave(d.pgid(), d.sid());
        inner.join(pid, pid);
        d.family.pgid = pid;
        d.family.sid = pid;
        d.tty = None;
        Ok(pid)
    }

    /// `getpgid(2)`: `pid` 0 is the caller; `ESRCH` if there is no such process.
    pub fn getpgid(&self, caller: &Process<E>, pid: Pid) -> KernelResult<Pid> {
        self.with_target(caller, pid, |t| t.data().pgid())
    }

    /// `getsid(2)`: `pid` 0 is the caller; `ESRCH` if there is no such process.
    pub fn getsid(&self, caller: &Process<E>, pid: Pid) -> KernelResult<Pid> {
        self.with_target(caller, pid, |t| t.data().sid())
    }

    fn with_target<R>(
        &self,
        caller: &Process<E>,
        pid: Pid,
        read: impl FnOnce(&Process<E>) -> R,
    ) -> KernelResult<R> {
        if pid == 0 || pid == caller.pid() {
            return Ok(read(caller));
        }
        let target = self.from_pid(pid).ok_or(Errno::ESRCH)?;
        Ok(read(&target))
    }

    /// `prlimit64(pid, resource, new, old)` by `caller`: `pid` 0 is the
    /// caller. Another process's limits need root or matching real,
    /// effective and saved uids and gids (`EPERM`); `ESRCH` if it does not
    /// exist. Returns the old limit.
    pub fn prlimit(
        &self,
        caller: &Process<E>,
        pid: Pid,
        resource: Resource,
        new: Option<Rlimit>,
    ) -> KernelResult<Rlimit> {
        let credentials = caller.data().credentials().clone();
        if pid == 0 || pid == caller.pid() {
            return caller.set_rlimit(resource, new, credentials.capable(CAP_SYS_RESOURCE));
        }
        let target = self.from_pid(pid).ok_or(Errno::ESRCH)?;
        let allowed = {
            let t = target.data();
            may_change_limits_of(&credentials, t.credentials())
        };
        if !allowed {
            return Err(Errno::EPERM);
        }
        target.set_rlimit(resource, new, credentials.capable(CAP_SYS_RESOURCE))
    }

    /// The `uname` data.
    pub fn uts(&self) -> UtsName {
        self.uts.lock().clone()
    }

    /// `sethostname(2)`: `CAP_SYS_ADMIN` only (`EPERM`), at most 64 bytes (`EINVAL`).
    pub fn sethostname(&self, credentials: &Credentials, name: &[u8]) -> KernelResult<()> {
        self.uts.lock().set_hostname(name, credentials)
    }

    /// Where core files go (`/proc/sys/kernel/core_pattern`).
    pub fn core_pattern(&self) -> CorePattern {
        self.core_pattern.lock().clone()
    }

    /// Sets the core pattern: effective uid 0 only (`EPERM`), as a
    /// `/proc/sys` file's mode is checked.
    pub fn set_core_pattern(&self, credentials: &Credentials, pattern: &[u8]) -> KernelResult<()> {
        if credentials.euid() != 0 {
            return Err(Errno::EPERM);
        }
        *self.core_pattern.lock() = CorePattern::new(pattern)?;
        Ok(())
    }

    /// `setdomainname(2)`, with the rules of `sethostname`.
    pub fn setdomainname(&self, credentials: &Credentials, name: &[u8]) -> KernelResult<()> {
        self.uts.lock().set_domainname(name, credentials)
    }
}

/// Linux's `check_prlimit_permission`: `CAP_SYS_RESOURCE`, or the caller's
/// real uid and gid equal all three of the target's.
fn may_change_limits_of(caller: &Credentials, target: &Credentials) -> bool {
    caller.capable(CAP_SYS_RESOURCE)
        || ([target.uid(), target.euid(), target.suid()] == [caller.uid(); 3]
            && [target.gid(), target.egid(), target.sgid()] == [caller.gid(); 3])
}
