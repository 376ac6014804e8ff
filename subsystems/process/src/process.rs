//! One process: its identity, resources, lifecycle and threads.
//!
//! Relationship fields (parent, children, process group, session) are
//! written only by [`crate::ProcessTable`] while it holds its lock; everything
//! else is the process's own, behind its data lock.

use alloc::boxed::Box;
use alloc::collections::BTreeSet;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicUsize, Ordering};

use crate::lock::{Rank, RankedGuard, RankedMutex};
use abi::KernelResult;

use crate::coredump::CoredumpProperties;
use crate::credentials::Credentials;
use crate::env::ProcessEnv;
use crate::fd_table::FileDescriptions;
use crate::fs_context::FsContext;
use crate::lifecycle::{Lifecycle, ProcessState, Termination};
use crate::pid::Pid;
use crate::program::Program;
use crate::protected::{ProtectedData, ProtectedStorage};
use crate::ptrace::Tracing;
use crate::rlimit::Rlimits;
use crate::thread::Thread;

/// CPU time in `USER_HZ` ticks (hundredths of a second).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuTimes {
    /// Ticks spent in user mode.
    pub user: u64,
    /// Ticks spent in the kernel on the process's behalf.
    pub kernel: u64,
}

impl CpuTimes {
    /// `ticks` of CPU time split between user mode and the kernel as
    /// `user_samples` and `kernel_samples` (timer ticks that found the
    /// thread in each) are, as Linux scales its sampled split to the
    /// precise total; all user time without samples (Linux's choice when
    /// it saw no system time).
    pub fn split(ticks: u64, user_samples: u64, kernel_samples: u64) -> CpuTimes {
        let samples = u128::from(user_samples) + u128::from(kernel_samples);
        let user = match samples {
            0 => ticks,
            _ => (u128::from(ticks) * u128::from(user_samples) / samples) as u64,
        };
        CpuTimes {
            user,
            kernel: ticks - user,
        }
    }

    pub(crate) fn add(&mut self, other: CpuTimes) {
        self.user = self.user.saturating_add(other.user);
        self.kernel = self.kernel.saturating_add(other.kernel);
    }
}

/// Where a process sits in the tree and in job control.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Family {
    /// Parent pid; 0 for a process without one (init, kernel processes).
    pub(crate) ppid: Pid,
    pub(crate) pgid: Pid,
    pub(crate) sid: Pid,
    pub(crate) children: BTreeSet<Pid>,
    /// Processes this one traces (its `wait` sees their stops and exits).
    pub(crate) tracees: BTreeSet<Pid>,
}

/// What a forked child gets of its parent's memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForkMemory {
    /// A copy-on-write copy (`fork`).
    Copy,
    /// The same address space (`clone(CLONE_VM)`, `vfork`).
    Share,
}

/// What a process is made of, behind its data lock.
pub struct ProcessData<E: ProcessEnv> {
    name: String,
    pub(crate) family: Family,
    /// Credentials, dumpable, personality: read-only outside a write window.
    protected: E::Protected,
    /// `None` once the process has exited (no cwd or root to keep alive).
    pub(crate) fs: Option<FsContext<E>>,
    signals: E::Signals,
    /// `None` for kernel processes and once the process has exited.
    pub(crate) address_space: Option<E::AddressSpace>,
    pub(crate) tty: Option<E::Tty>,
    pub(crate) rlimits: Rlimits,
    pub(crate) lifecycle: Lifecycle,
    times: CpuTimes,
    pub(crate) children_times: CpuTimes,
    coredump_properties: CoredumpProperties,
    pub(crate) did_exec: bool,
    pub(crate) program: Program<E>,
    start_time_ns: u64,
    pub(crate) tracing: Option<Box<Tracing>>,
    /// For a session leader whose terminal hung up: the group that was in
    /// front, which gets `SIGHUP` when the leader exits (Linux's
    /// `tty_old_pgrp`).
    hung_up_foreground: Option<Pid>,
    /// `PR_SET_PDEATHSIG`: the signal this process gets when its parent
    /// exits (0 for none); not inherited.
    parent_death_signal: u8,
    /// `PR_SET_CHILD_SUBREAPER`: orphaned descendants are re-parented
    /// here rather than to init; not inherited.
    child_subreaper: bool,
    /// `/proc/<pid>/oom_score_adj`: the out-of-memory killer's bias,
    /// -1000 (never) to 1000; inherited by children, kept across exec.
    oom_score_adj: i16,
    /// The `membarrier` registrations made (`MEMBARRIER_CMD_REGISTER_*`
    /// bits). Linux keeps them with the address space: a fork copies
    /// them, an exec starts without any.
    membarrier_registrations: u32,
}

impl<E: ProcessEnv> ProcessData<E> {
    /// The program the last `execve` started (a forked child shows its
    /// parent's until it execs).
    pub fn program(&self) -> &Program<E> {
        &self.program
    }

    /// Records the program an `execve` started.
    pub fn set_program(&mut self, program: Program<E>) {
        self.program = program;
    }

    /// When the process was created (the kernel's monotonic nanoseconds,
    /// as stored by [`ProcessData::set_start_time`]).
    pub fn start_time(&self) -> u64 {
        self.start_time_ns
    }

    /// Records when the process was created.
    pub fn set_start_time(&mut self, ns: u64) {
        self.start_time_ns = ns;
    }

    /// The command name (`comm`, at most what the caller stored).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Rename, as `execve` and `prctl(PR_SET_NAME)` do.
    pub fn set_name(&mut self, name: String) {
        self.name = name;
    }

    /// Parent pid (`getppid`); 0 when there is none.
    pub fn ppid(&self) -> Pid {
        self.family.ppid
    }

    /// Process group id.
    pub fn pgid(&self) -> Pid {
        self.family.pgid
    }

    /// Session id.
    pub fn sid(&self) -> Pid {
        self.family.sid
    }

    /// Pids of the children not yet reaped, in increasing order.
    pub fn children(&self) -> impl Iterator<Item = Pid> + '_ {
        self.family.children.iter().copied()
    }

    /// The process's credentials.
    pub fn credentials(&self) -> &Credentials {
        &self.protected.get().credentials
    }

    /// Run one of the `set*id` calls on the credentials. If the effective or
    /// filesystem ids change the process stops being dumpable, as on Linux
    /// (its memory may hold secrets of the old identity).
    pub fn change_credentials<R>(
        &mut self,
        change: impl FnOnce(&mut Credentials) -> KernelResult<R>,
    ) -> KernelResult<R> {
        let mut next = self.credentials().clone();
        let result = change(&mut next)?;
        let mut window = self.protected.unprotect();
        if window.credentials.effective_ids_differ(&next) {
            window.dumpable = false;
        }
        window.credentials = next;
        Ok(result)
    }

    /// Cwd, root and umask; `None` once the process has exited.
    pub fn fs(&self) -> Option<&FsContext<E>> {
        self.fs.as_ref()
    }

    /// Mutable cwd, root and umask (`chdir`, `chroot`, `umask`).
    pub fn fs_mut(&mut self) -> Option<&mut FsContext<E>> {
        self.fs.as_mut()
    }

    /// Signal state (dispositions, masks, pending).
    pub fn signals(&self) -> &E::Signals {
        &self.signals
    }

    /// Mutable signal state.
    pub fn signals_mut(&mut self) -> &mut E::Signals {
        &mut self.signals
    }

    /// The address space; `None` for kernel processes and after exit.
    pub fn address_space(&self) -> Option<&E::AddressSpace> {
        self.address_space.as_ref()
    }

    /// Mutable address space (`mmap`, `brk`, page faults).
    pub fn address_space_mut(&mut self) -> Option<&mut E::AddressSpace> {
        self.address_space.as_mut()
    }

    /// Takes the address space away for teardown: the last thread of an
    /// exiting process does this before the process becomes a zombie, so
    /// a parent that reaps it finds the memory already back (Linux's
    /// `exit_mm` before `exit_notify`).
    pub fn release_address_space(&mut self) -> Option<E::AddressSpace> {
        self.address_space.take()
    }

    /// The controlling terminal, if any.
    pub fn tty(&self) -> Option<&E::Tty> {
        self.tty.as_ref()
    }

    /// Set or clear the controlling terminal (`TIOCSCTTY`, `TIOCNOTTY`).
    pub fn set_tty(&mut self, tty: Option<E::Tty>) {
        self.tty = tty;
    }

    /// Resource limits.
    pub fn rlimits(&self) -> &Rlimits {
        &self.rlimits
    }

    /// The lifecycle state.
    pub fn state(&self) -> ProcessState {
        self.lifecycle.state()
    }

    /// How the process ended, once it is dying or a zombie.
    pub fn termination(&self) -> Option<Termination> {
        self.lifecycle.termination()
    }

    /// Own CPU time (`times`, `RUSAGE_SELF`).
    pub fn times(&self) -> CpuTimes {
        self.times
    }

    /// Charge CPU time; the scheduler calls this on each tick.
    pub fn add_ticks(&mut self, user: u64, kernel: u64) {
        self.times.add(CpuTimes { user, kernel });
    }

    /// CPU time of reaped children and their reaped descendants
    /// (`times`' `tms_cutime`/`tms_cstime`, `RUSAGE_CHILDREN`).
    pub fn children_times(&self) -> CpuTimes {
        self.children_times
    }

    /// The `personality(2)` value (inherited by children, kept by exec).
    pub fn personality(&self) -> u32 {
        self.protected.get().personality
    }

    /// Sets the `personality(2)` value; returns the old one.
    pub fn set_personality(&mut self, persona: u32) -> u32 {
        core::mem::replace(&mut self.protected.unprotect().personality, persona)
    }

    /// Records the group in front when this session leader's terminal
    /// hung up.
    pub fn set_hung_up_foreground(&mut self, group: Option<Pid>) {
        self.hung_up_foreground = group;
    }

    /// Takes the group recorded by [`ProcessData::set_hung_up_foreground`].
    pub fn take_hung_up_foreground(&mut self) -> Option<Pid> {
        self.hung_up_foreground.take()
    }

    /// The tracing state, if a tracer traces this process.
    pub fn tracing(&self) -> Option<&Tracing> {
        self.tracing.as_deref()
    }

    /// The tracing state, to change.
    pub fn tracing_mut(&mut self) -> Option<&mut Tracing> {
        self.tracing.as_deref_mut()
    }

    /// Whether a core dump and ptrace/procfs access by others are allowed.
    pub fn is_dumpable(&self) -> bool {
        self.protected.get().dumpable
    }

    /// `PR_GET_NO_NEW_PRIVS`.
    pub fn no_new_privs(&self) -> bool {
        self.protected.get().no_new_privs
    }

    /// `PR_SET_NO_NEW_PRIVS`: one way only.
    pub fn set_no_new_privs(&mut self) {
        if !self.no_new_privs() {
            self.protected.unprotect().no_new_privs = true;
        }
    }

    /// `PR_GET_PDEATHSIG`: the signal for the parent's exit, 0 for none.
    pub fn parent_death_signal(&self) -> u8 {
        self.parent_death_signal
    }

    /// `PR_SET_PDEATHSIG`.
    pub fn set_parent_death_signal(&mut self, signal: u8) {
        self.parent_death_signal = signal;
    }

    /// The out-of-memory killer's bias (`/proc/<pid>/oom_score_adj`).
    pub fn oom_score_adj(&self) -> i16 {
        self.oom_score_adj
    }

    /// Sets the out-of-memory bias, clamped to -1000..=1000 (the caller
    /// checked the right to lower it).
    pub fn set_oom_score_adj(&mut self, adj: i16) {
        self.oom_score_adj =
            adj.clamp(crate::oom::OOM_SCORE_ADJ_MIN, crate::oom::OOM_SCORE_ADJ_MAX);
    }

    /// The `membarrier` registrations made (`MEMBARRIER_CMD_REGISTER_*`
    /// bits; the `membarrier` call gives them their meaning).
    pub fn membarrier_registrations(&self) -> u32 {
        self.membarrier_registrations
    }

    /// Records `MEMBARRIER_CMD_REGISTER_*` bits.
    pub fn register_membarrier(&mut self, registrations: u32) {
        self.membarrier_registrations |= registrations;
    }

    /// `PR_GET_CHILD_SUBREAPER`.
    pub fn is_child_subreaper(&self) -> bool {
        self.child_subreaper
    }

    /// `PR_SET_CHILD_SUBREAPER`.
    pub fn set_child_subreaper(&mut self, subreaper: bool) {
        self.child_subreaper = subreaper;
    }

    /// `prctl(PR_SET_DUMPABLE)`.
    pub fn set_dumpable(&mut self, dumpable: bool) {
        if self.is_dumpable() != dumpable {
            self.protected.unprotect().dumpable = dumpable;
        }
    }

    /// Notes for the coredump.
    pub fn coredump_properties(&self) -> &CoredumpProperties {
        &self.coredump_properties
    }

    /// Add a coredump note; `ENOBUFS` when the slots are full.
    pub fn set_coredump_property(&mut self, key: String, value: String) -> KernelResult<()> {
        self.coredump_properties.set(key, value)
    }

    /// Whether the process has called `execve` since fork (`setpgid` on it
    /// from the parent is then `EACCES`).
    pub fn did_exec(&self) -> bool {
        self.did_exec
    }

    /// Whether this is a kernel process (no user address space).
    pub fn is_kernel_process(&self) -> bool {
        self.protected.get().is_kernel_process
    }
}

/// What a new, parentless process starts with (boot's init, kernel processes).
pub struct NewProcess<E: ProcessEnv> {
    /// Command name.
    pub name: String,
    /// Initial credentials.
    pub credentials: Credentials,
    /// Cwd, root, umask.
    pub fs: FsContext<E>,
    /// Initial signal state.
    pub signals: E::Signals,
    /// The user address space; `None` makes a kernel process.
    pub address_space: Option<E::AddressSpace>,
    /// Controlling terminal.
    pub tty: Option<E::Tty>,
    /// Initial descriptors (for init: the console as 0, 1 and 2).
    pub fds: FileDescriptions<E::Description>,
}

/// The threads of a process as [`Process::threads`] gives them.
pub type ThreadList<E> = smallvec::SmallVec<[Arc<Thread<E>>; 4]>;

/// [`Process::has_entry_work`]: a tracer traces the process.
const ENTRY_TRACED: u8 = 1;
/// [`Process::has_entry_work`]: a thread may have a seccomp mode.
const ENTRY_SECCOMP: u8 = 2;

/// A process. Shared as `Arc<Process<E>>`; the table holds one reference
/// until the process is reaped.
///
/// Locks, always taken in this order: the table's, then `data`, then `fds`,
/// then `threads`.
pub struct Process<E: ProcessEnv> {
    pid: Pid,
    data: RankedMutex<ProcessData<E>>,
    fds: RankedMutex<FileDescriptions<E::Description>>,
    threads: RankedMutex<ThreadList<E>>,
    thread_count: AtomicUsize,
    /// The CPU time of the threads that left, changed under `threads`.
    exited_threads_cpu_ns: core::sync::atomic::AtomicU64,
    /// Mirrors `ProcessData::tracing.is_some()`, for the signal paths to
    /// check without a lock.
    traced: core::sync::atomic::AtomicBool,
    /// What every system call must look at before it runs, read without
    /// a lock in one load: [`ENTRY_TRACED`] mirrors `traced`,
    /// [`ENTRY_SECCOMP`] says a thread of the process may have a seccomp
    /// mode (never cleared: a mode is never left).
    entry_work: core::sync::atomic::AtomicU8,
    /// Set when a stop signal stops the process, cleared when `SIGCONT`
    /// continues it: for a thread's way back to user mode to learn,
    /// without a lock, that it may have a stop to join.
    pub(crate) stopped: core::sync::atomic::AtomicBool,
    /// Whether a profiling session samples this process (inherited by
    /// children forked while it is set); lock-free for the timer interrupt.
    profiled: core::sync::atomic::AtomicBool,
    /// `/proc/<pid>/make-it-fail`: whether fault injection may fail this
    /// process's kernel allocations (inherited by children forked while it
    /// is set); lock-free, as allocation paths ask it under any lock.
    make_it_fail: core::sync::atomic::AtomicBool,
    /// Bytes and calls read and written (`/proc/<pid>/io`).
    io: crate::io_accounting::IoAccounting,
}

impl<E: ProcessEnv> core::fmt::Debug for Process<E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Process")
            .field("pid", &self.pid)
            .field("threads", &self.thread_count())
            .finish_non_exhaustive()
    }
}

impl<E: ProcessEnv> Process<E> {
    /// A parentless process from `new` (session 0, group 0, as Linux's init).
    /// `thread_max` is the system's thread limit, which sets init's
    /// `RLIMIT_NPROC`.
    pub(crate) fn from_new(pid: Pid, new: NewProcess<E>, thread_max: usize) -> KernelResult<Self> {
        let mut fds = new.fds;
        let rlimits = Rlimits::for_init(thread_max);
        fds.set_limit(rlimits.get(crate::rlimit::Resource::Nofile).soft as usize);
        let is_kernel_process = new.address_space.is_none();
        let protected =
            E::Protected::protect(ProtectedData::new(new.credentials, is_kernel_process))?;
        Ok(Self::assemble(
            pid,
            ProcessData {
                name: new.name,
                family: Family::default(),
                protected,
                fs: Some(new.fs),
                signals: new.signals,
                address_space: new.address_space,
                tty: new.tty,
                rlimits,
                lifecycle: Lifecycle::new(),
                times: CpuTimes::default(),
                children_times: CpuTimes::default(),
                coredump_properties: CoredumpProperties::default(),
                did_exec: false,
                program: Program::default(),
                start_time_ns: 0,
                tracing: None,
                hung_up_foreground: None,
                parent_death_signal: 0,
                child_subreaper: false,
                oom_score_adj: 0,
                membarrier_registrations: 0,
            },
            fds,
        ))
    }

    /// A child of `parent`: what fork copies (credentials, fs context,
    /// signal state, address space, tty, limits, descriptors, name, dumpable,
    /// group and session); times, events and coredump notes start fresh.
    pub(crate) fn forked_from(
        pid: Pid,
        parent: &Process<E>,
        memory: ForkMemory,
    ) -> KernelResult<Self> {
        // Copying the space may sleep (the kernel locks it with a sleeping
        // lock, and a fault on another CPU may hold that): it runs on a
        // handle, outside the parent's data lock, a spin lock. Only an
        // environment that cannot hand out one copies under the lock.
        let handle = parent
            .data()
            .address_space
            .as_ref()
            .map(E::share_address_space);
        let address_space = match (handle, memory) {
            (None, _) => None,
            (Some(Ok(space)), ForkMemory::Share) => Some(space),
            (Some(Ok(mut space)), ForkMemory::Copy) => Some(E::fork_address_space(&mut space)?),
            (Some(Err(error)), ForkMemory::Share) => return Err(error),
            (Some(Err(_)), ForkMemory::Copy) => match parent.data().address_space.as_mut() {
                Some(space) => Some(E::fork_address_space(space)?),
                None => None,
            },
        };
        let data = {
            let p = parent.data();
            ProcessData {
                name: p.name.clone(),
                family: Family {
                    ppid: parent.pid,
                    pgid: p.family.pgid,
                    sid: p.family.sid,
                    children: BTreeSet::new(),
                    tracees: BTreeSet::new(),
                },
                protected: E::Protected::protect(p.protected.get().clone())?,
                fs: p.fs.clone(),
                signals: E::fork_signals(&p.signals),
                address_space,
                tty: p.tty.clone(),
                rlimits: p.rlimits.clone(),
                lifecycle: Lifecycle::new(),
                times: CpuTimes::default(),
                children_times: CpuTimes::default(),
                coredump_properties: CoredumpProperties::default(),
                did_exec: false,
                program: p.program.clone(),
                start_time_ns: p.start_time_ns,
                // A child of a tracee is not traced (fork events are not
                // followed yet).
                tracing: None,
                hung_up_foreground: None,
                parent_death_signal: 0,
                child_subreaper: false,
                oom_score_adj: p.oom_score_adj,
                membarrier_registrations: p.membarrier_registrations,
            }
        };
        let fds = parent.fds.lock().fork_copy()?;
        let child = Self::assemble(pid, data, fds);
        child.set_profiled(parent.is_profiled());
        child.set_make_it_fail(parent.make_it_fail());
        Ok(child)
    }

    fn assemble(pid: Pid, data: ProcessData<E>, fds: FileDescriptions<E::Description>) -> Self {
        Self {
            pid,
            data: RankedMutex::new(Rank::ProcessData, data),
            fds: RankedMutex::new(Rank::Descriptors, fds),
            threads: RankedMutex::new(Rank::Threads, ThreadList::new()),
            thread_count: AtomicUsize::new(0),
            exited_threads_cpu_ns: core::sync::atomic::AtomicU64::new(0),
            traced: core::sync::atomic::AtomicBool::new(false),
            entry_work: core::sync::atomic::AtomicU8::new(0),
            stopped: core::sync::atomic::AtomicBool::new(false),
            profiled: core::sync::atomic::AtomicBool::new(false),
            make_it_fail: core::sync::atomic::AtomicBool::new(false),
            io: crate::io_accounting::IoAccounting::default(),
        }
    }

    /// The process's I/O counters.
    pub fn io(&self) -> &crate::io_accounting::IoAccounting {
        &self.io
    }

    /// Whether a tracer traces this process (no lock taken).
    pub fn is_traced(&self) -> bool {
        self.traced.load(core::sync::atomic::Ordering::Acquire)
    }

    /// Records that a tracer took or left the process (under the table
    /// lock, with `ProcessData::tracing`).
    pub(crate) fn set_traced(&self, traced: bool) {
        use core::sync::atomic::Ordering::{AcqRel, Release};
        self.traced.store(traced, Release);
        if traced {
            self.entry_work.fetch_or(ENTRY_TRACED, AcqRel);
        } else {
            self.entry_work.fetch_and(!ENTRY_TRACED, AcqRel);
        }
    }

    /// Whether its system calls need work before they run: a tracer's
    /// entry stop, or a thread's seccomp filters. One load, no lock, for
    /// the entry of every call.
    #[inline(always)]
    pub fn has_entry_work(&self) -> bool {
        self.entry_work.load(core::sync::atomic::Ordering::Acquire) != 0
    }

    /// Gives `thread`, a new thread of this process, `creator`'s seccomp
    /// state (a `fork` child's thread, or a thread the creator makes),
    /// before it can run.
    pub fn inherit_seccomp(&self, thread: &Thread<E>, creator: &Thread<E>) {
        // Most creators have no mode: a new thread starts without one.
        if creator.under_seccomp() && thread.inherit_seccomp(creator) {
            self.note_seccomp();
        }
    }

    /// A thread of the process entered a seccomp mode: its calls take the
    /// entry work from now on.
    pub fn note_seccomp(&self) {
        self.entry_work
            .fetch_or(ENTRY_SECCOMP, core::sync::atomic::Ordering::AcqRel);
    }

    /// Whether a stop signal stopped the process and no `SIGCONT` has
    /// continued it since, read without a lock: a hint that may lag a
    /// change made a moment ago (the state under [`Process::data`]
    /// decides), and a process that dies stopped keeps saying so.
    pub fn is_stopped(&self) -> bool {
        self.stopped.load(core::sync::atomic::Ordering::Acquire)
    }

    /// The process id.
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// Whether a profiling session samples this process.
    pub fn is_profiled(&self) -> bool {
        self.profiled.load(Ordering::Relaxed)
    }

    /// Starts or stops sampling this process (children forked from now on
    /// inherit the setting).
    pub fn set_profiled(&self, profiled: bool) {
        self.profiled.store(profiled, Ordering::Relaxed);
    }

    /// Whether fault injection may fail this process's kernel allocations
    /// (Linux's `make-it-fail`, per process here rather than per thread).
    pub fn make_it_fail(&self) -> bool {
        self.make_it_fail.load(Ordering::Relaxed)
    }

    /// Marks this process (and children it forks from now on) as one whose
    /// kernel allocations fault injection may fail.
    pub fn set_make_it_fail(&self, make_it_fail: bool) {
        self.make_it_fail.store(make_it_fail, Ordering::Relaxed);
    }

    /// Lock and read or change the process's data.
    pub fn data(&self) -> RankedGuard<'_, ProcessData<E>> {
        self.data.lock()
    }

    /// The descriptor table, behind its own lock so an
    /// [`crate::FdReservation`] can hold a number without holding the lock.
    pub fn fds(&self) -> &RankedMutex<FileDescriptions<E::Description>> {
        &self.fds
    }

    /// How many threads are attached.
    pub fn thread_count(&self) -> usize {
        self.thread_count.load(Ordering::Acquire)
    }

    /// A snapshot of the threads, in creation order; no allocation for up
    /// to four threads (signals go through here on every `kill`).
    pub fn threads(&self) -> ThreadList<E> {
        self.threads.lock().clone()
    }

    /// The process's CPU time in nanoseconds (`CLOCK_PROCESS_CPUTIME_ID`):
    /// what its threads that left had run ([`Thread::set_exit_cpu_ns`])
    /// plus `running(thread)` for each thread still in it, read with the
    /// list locked so that a thread leaving meanwhile counts exactly once.
    pub fn cpu_ns(&self, mut running: impl FnMut(&Thread<E>) -> u64) -> u64 {
        let threads = self.threads.lock();
        let exited = self.exited_threads_cpu_ns.load(Ordering::Relaxed);
        threads
            .iter()
            .fold(exited, |sum, thread| sum.saturating_add(running(thread)))
    }

    /// Runs `f` on the threads with their list locked, so that none joins
    /// meanwhile (`SECCOMP_FILTER_FLAG_TSYNC` changes them all at once).
    pub fn with_threads<R>(&self, f: impl FnOnce(&[Arc<Thread<E>>]) -> R) -> R {
        let threads = self.threads.lock();
        f(&threads)
    }

    /// Attach `thread`, which first takes `creator`'s seccomp state under
    /// the same lock [`Process::with_threads`] holds; returns whether it
    /// is the first.
    pub(crate) fn add_thread(&self, thread: Arc<Thread<E>>, creator: Option<&Thread<E>>) -> bool {
        let mut threads = self.threads.lock();
        if let Some(creator) = creator {
            self.inherit_seccomp(&thread, creator);
            thread.inherit_from(creator);
        }
        threads.push(thread);
        self.thread_count.fetch_add(1, Ordering::AcqRel) == 0
    }

    /// Detach the thread with `tid`; returns it and whether it was the last.
    pub(crate) fn remove_thread(&self, tid: crate::pid::Tid) -> Option<(Arc<Thread<E>>, bool)> {
        let mut threads = self.threads.lock();
        let index = threads.iter().position(|thread| thread.tid() == tid)?;
        let removed = threads.remove(index);
        self.exited_threads_cpu_ns
            .fetch_add(removed.exit_cpu_ns(), Ordering::Relaxed);
        let was_last = self.thread_count.fetch_sub(1, Ordering::AcqRel) == 1;
        Some((removed, was_last))
    }

    /// Tell every thread but `current` to die (`execve`, and a thread calling
    /// `exit_group`). Returns the threads the scheduler must wake so they
    /// notice (blocked or stopped ones).
    pub fn kill_threads_except_self(&self, current: crate::pid::Tid) -> Vec<Arc<Thread<E>>> {
        self.tell_threads_to_die(Some(current))
    }

    /// Tell every thread to die (process death); returns those to wake.
    pub fn kill_all_threads(&self) -> Vec<Arc<Thread<E>>> {
        self.tell_threads_to_die(None)
    }

    fn tell_threads_to_die(&self, spare: Option<crate::pid::Tid>) -> Vec<Arc<Thread<E>>> {
        use crate::thread::ThreadState::{Dead, Dying};
        self.threads()
            .into_iter()
            .filter(|t| Some(t.tid()) != spare && !matches!(t.state(), Dead | Dying))
            .filter(|t| t.set_should_die())
            .collect()
    }

    /// Begin dying with `termination` (`exit_group`, a fatal signal, a
    /// crash): the first call wins and returns `true`. Lets go of the
    /// controlling tty and tells every thread to die; the threads that need
    /// waking are returned through `to_wake`.
    pub fn die(&self, termination: Termination, to_wake: &mut Vec<Arc<Thread<E>>>) -> bool {
        {
            let mut data = self.data();
            if !data.lifecycle.die(termination) {
                return false;
            }
            // Releasing the tty now lets a pty master see EOF before reaping.
            data.tty = None;
        }
        to_wake.extend(self.kill_all_threads());
        true
    }

    /// `execve`'s process-side effects once the new image is loaded into
    /// `address_space`: other threads told to die (returned, to wake),
    /// close-on-exec fds closed (returned, to drop), caught signals reset,
    /// the surviving thread's `clear_child_tid` and robust list forgotten,
    /// the name changed, dumpable set again, capabilities recomputed
    /// ([`crate::Credentials::exec`]). Returns the old address space
    /// for the caller to drop after switching page tables.
    pub fn exec(
        &self,
        current: &Thread<E>,
        address_space: E::AddressSpace,
        name: String,
    ) -> ExecOutcome<E> {
        let old_address_space = {
            let mut data = self.data();
            E::reset_signals_for_exec(&mut data.signals);
            data.did_exec = true;
            data.membarrier_registrations = 0;
            data.name = name;
            // Cannot fail: only the closure's error would come back.
            let no_new_privs = data.no_new_privs();
            let _ = data.change_credentials(|credentials| {
                credentials.exec(no_new_privs);
                Ok(())
            });
            data.set_dumpable(true);
            data.address_space.replace(address_space)
        };
        let closed = self.fds.lock().close_on_exec();
        current.clear_user_addresses();
        ExecOutcome {
            old_address_space,
            closed,
            threads_to_wake: self.kill_threads_except_self(current.tid()),
        }
    }

    /// Change a resource limit of this process on behalf of a caller whose
    /// privilege is `privileged`; keeps the fd table's limit in step with
    /// `RLIMIT_NOFILE`. `new == None` only reads. Returns the old limit.
    pub fn set_rlimit(
        &self,
        resource: crate::rlimit::Resource,
        new: Option<crate::rlimit::Rlimit>,
        privileged: bool,
    ) -> KernelResult<crate::rlimit::Rlimit> {
        let mut data = self.data();
        let Some(new) = new else {
            return Ok(data.rlimits.get(resource));
        };
        let old = data.rlimits.set(resource, new, privileged)?;
        if resource == crate::rlimit::Resource::Nofile {
            let limit = usize::try_from(new.soft).unwrap_or(usize::MAX);
            self.fds.lock().set_limit(limit);
        }
        Ok(old)
    }
}

/// What [`Process::exec`] hands back for the caller to finish outside locks.
pub struct ExecOutcome<E: ProcessEnv> {
    /// The previous address space (drop it after switching page tables).
    pub old_address_space: Option<E::AddressSpace>,
    /// Descriptions of the close-on-exec fds (drop them).
    pub closed: Vec<E::Description>,
    /// Other threads told to die that need waking.
    pub threads_to_wake: Vec<Arc<Thread<E>>>,
}

impl<E: ProcessEnv> ProcessData<E> {
    pub(crate) fn add_children_times(&mut self, child: CpuTimes, grandchildren: CpuTimes) {
        self.children_times.add(child);
        self.children_times.add(grandchildren);
    }
}

#[cfg(test)]
mod tests {
    use super::CpuTimes;

    #[test]
    fn the_precise_total_is_split_as_the_samples_are() {
        let split = |t, u, k| {
            let times = CpuTimes::split(t, u, k);
            (times.user, times.kernel)
        };
        assert_eq!(split(10, 3, 1), (7, 3), "rounded towards the kernel");
        assert_eq!(split(10, 0, 4), (0, 10));
        assert_eq!(split(3, 0, 0), (3, 0), "no samples: user time");
        assert_eq!(split(0, 5, 5), (0, 0));
        assert_eq!(split(u64::MAX, u64::MAX, 1), (u64::MAX - 1, 1));
    }
}
