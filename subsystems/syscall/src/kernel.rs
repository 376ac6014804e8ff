//! The one seam: what only the running kernel can do.

use alloc::sync::Arc;
use alloc::vec::Vec;

use crate::context::Context;
use crate::futex::{FutexKey, FutexTable};
use crate::process::lifecycle::{ChildStart, LoadedProgram};
use crate::registers::SavedUserContext;
use abi::{KernelResult, Timespec};
use fs::{FileDescription, FileSystem, PathContext, Vfs};
use mm::{AddressSpace, FrameAllocator, PageTable, UserMemory};
use process::lock::RankedMutex;
use process::{Credentials, Pid, Process, ProcessEnv, ProcessTable, Thread};
use sched::{Priority, WakeReason};
use signal::{ProcessSignalState, ThreadSignalState, UserSelectors};

/// Which CPUs a [`Kernel::memory_barrier`] reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BarrierScope {
    /// Those running the caller's address space.
    OwnAddressSpace,
    /// Every online CPU.
    EveryCpu,
}

/// What the system-call layer needs from the kernel that links it: the
/// instances of the subsystems (process table, VFS), the calling thread's
/// user memory, clocks, sleeping, and the few actions that reach into the
/// scheduler or signal delivery.
///
/// A kernel implements it once over its globals; a host test implements
/// it over a fake memory and a fake clock, and so runs whole sequences of
/// system calls without hardware.
pub trait Kernel: Sized {
    /// The kernel's choice of types for the `process` crate: directories
    /// are VFS custodies, descriptors hold VFS file descriptions, a
    /// process's signal state is `signal`'s, and each thread carries its
    /// own signal state; address spaces are shared handles.
    type Env: ProcessEnv<
            Custody = fs::Custody,
            Description = Arc<FileDescription>,
            Signals = ProcessSignalState,
            ThreadData: UserThreadData,
            AddressSpace: Clone,
        >;

    /// A queue threads sleep on until an event (child state changes,
    /// continues after a stop, futex wake-ups).
    type Events: EventQueue;

    /// Where the `rt_sigreturn` trampoline is mapped in every process (a
    /// handler without `SA_RESTORER` returns into it).
    const TRAMPOLINE: u64;

    /// The user code and stack selectors of this kernel's GDT.
    const SELECTORS: UserSelectors;

    /// The page tables user address spaces are built on.
    type PageTable: PageTable;

    /// The physical frame allocator.
    type Frames: FrameAllocator;

    /// Runs `f` on `process`'s address space with the frame allocator,
    /// under the address-space lock (`f` must not sleep or touch user
    /// memory). `EFAULT` for a process without a user address space.
    fn with_address_space<R>(
        &self,
        process: &Process<Self::Env>,
        f: impl FnOnce(&mut AddressSpace<Self::PageTable>, &mut Self::Frames) -> KernelResult<R>,
    ) -> KernelResult<R>;

    /// The process table.
    fn processes(&self) -> &ProcessTable<Self::Env>;

    /// The file-system tree.
    fn vfs(&self) -> &Vfs;

    /// The calling thread's user memory (the active address space).
    fn user_memory(&self) -> &dyn UserMemory;

    /// Runs `f` on the user memory of `process`, which need not be the
    /// caller's (`process_vm_readv`, a debugger's peeks). Pages are made
    /// present as the process's own access would (demand-zero,
    /// copy-on-write); what it may not access is `EFAULT`.
    fn with_process_memory<R>(
        &self,
        process: &Process<Self::Env>,
        f: impl FnOnce(&dyn UserMemory) -> KernelResult<R>,
    ) -> KernelResult<R>;

    /// Makes the pages of `[address, address + len)` in `process` present,
    /// as `mlock` does ([`mm::AddressSpaceMemory::populate`]): `EFAULT`
    /// where the process could not read, `ENOMEM` when frames run out.
    fn populate_memory(
        &self,
        process: &Process<Self::Env>,
        address: u64,
        len: u64,
    ) -> KernelResult<()>;

    /// Writes `bytes` at `address` in `process` as a debugger does
    /// (`PTRACE_POKETEXT`): read-only private pages, such as program text,
    /// take the write on a private copy. `EFAULT` where nothing may be
    /// written even so (no mapping, a read-only shared mapping).
    fn force_write_process_memory(
        &self,
        process: &Process<Self::Env>,
        address: u64,
        bytes: &[u8],
    ) -> KernelResult<()>;

    /// Monotonic nanoseconds since boot.
    fn now_ns(&self) -> u64;

    /// Moves the CPU time the calling thread used since the last call
    /// into its process's times (so `getrusage`, `times` and the process
    /// CPU clock include it).
    fn fold_cpu_time(&self);

    /// CPU time `thread` (of any process) has used since it started, in
    /// nanoseconds (`CLOCK_THREAD_CPUTIME_ID`, `pthread_getcpuclockid`).
    fn thread_cpu_ns(&self, thread: &Thread<Self::Env>) -> u64;

    /// Wall-clock time.
    fn realtime(&self) -> Timespec;

    /// Sets the wall clock (`EINVAL` for a time before the epoch); the
    /// monotonic clock does not move.
    fn set_realtime(&self, now: Timespec) -> KernelResult<()>;

    /// The queue every posted signal wakes (signalfd readers sleep on it).
    fn signal_waiters(&self) -> Arc<dyn fs::WaitQueue>;

    /// Wakes [`Kernel::signal_waiters`] (every post does). A kernel whose
    /// queue is a static overrides it to wake it without a reference
    /// count or a virtual call.
    fn wake_signal_waiters(&self) {
        self.signal_waiters().wake_all();
    }

    /// The clocks timer descriptors read and the wake at their expiry.
    fn timer_clock(&self) -> Arc<dyn fs::timerfd::TimerClock>;

    /// Sleeps the calling thread until monotonic `deadline_ns`, or until a
    /// signal interrupts it.
    fn sleep_until(&self, deadline_ns: u64) -> WakeReason;

    /// A fresh wait queue threads can sleep on (for pipes).
    fn new_wait_queue(&self) -> Arc<dyn fs::WaitQueue>;

    /// A new instance of the file system called `kind` for `mount`
    /// (`tmpfs`, `proc`): `ENODEV` for a kind the kernel does not have.
    fn new_filesystem(&self, kind: &str) -> KernelResult<Arc<dyn FileSystem>>;

    /// Sends `SIGPIPE` to the calling thread (a write to a pipe or socket
    /// nobody reads).
    fn raise_sigpipe(&self);

    /// Fills `out` from the kernel's random number generator.
    fn fill_random(&self, out: &mut [u8]);

    /// Physical memory, for `sysinfo`.
    fn memory_stats(&self) -> MemoryStats;

    /// The kernel log (`syslog(2)`, `dmesg`): `<level>[time] text` lines,
    /// oldest first; `clear` empties it after the read.
    fn kernel_log(&self, clear: bool) -> Vec<u8>;

    /// The kernel log's capacity in bytes.
    fn kernel_log_size(&self) -> usize;

    /// The scheduling priority of `thread`.
    fn thread_priority(&self, thread: &Thread<Self::Env>) -> KernelResult<Priority>;

    /// Changes the scheduling priority of `thread`.
    fn set_thread_priority(
        &self,
        thread: &Thread<Self::Env>,
        priority: Priority,
    ) -> KernelResult<()>;

    /// The CPUs `thread` may run on, one bit per CPU.
    fn thread_affinity(&self, thread: &Thread<Self::Env>) -> KernelResult<u64>;

    /// Restricts `thread` to the CPUs in `mask` (already limited to CPUs
    /// that exist, and not empty); it moves off a CPU it left at once.
    fn set_thread_affinity(&self, thread: &Thread<Self::Env>, mask: u64) -> KernelResult<()>;

    /// Switches the machine off (`reboot`); returns only if it could not.
    fn power_off(&self) -> KernelResult<()>;

    /// Restarts the machine (`reboot`); returns only if it could not.
    fn restart(&self) -> KernelResult<()>;

    /// The queues processes sleep on for their children's changes (exits,
    /// stops, continues; `wait4` and vfork parents sleep here), at least
    /// one: a process uses the one its pid picks
    /// ([`crate::process::child_events`]), so more queues mean fewer
    /// spurious wake-ups.
    fn child_events(&self) -> &[Self::Events];

    /// Woken whenever a stopped process continues (stopped threads sleep
    /// here).
    fn stop_events(&self) -> &Self::Events;

    /// A fresh event queue (futexes).
    fn new_event_queue(&self) -> Arc<Self::Events>;

    /// The futex wait queues (one table for the machine).
    fn futexes(&self) -> &FutexTable<Self::Events>;

    /// The System V shared-memory segments (one namespace for the
    /// machine).
    fn shm_segments(&self) -> &crate::ipc::shm::ShmSegments;

    /// The System V message queues (one namespace for the machine).
    fn message_queues(&self) -> &crate::ipc::msg::MessageQueues;

    /// The System V semaphore sets (one namespace for the machine).
    fn semaphores(&self) -> &crate::ipc::sem::Semaphores;

    /// Woken by every change to a message queue or a semaphore set (their
    /// senders, receivers and `semop`s wait here).
    fn ipc_events(&self) -> &Self::Events;

    /// The key futex waiters on the word at `address` of `process` meet
    /// on (Linux's `get_futex_key`): for a `private` futex, or a word of a
    /// private mapping, that word of the process's address space
    /// ([`FutexKey::Private`]: its threads, and processes sharing the
    /// space with `CLONE_VM`, meet there, whatever copy-on-write does to
    /// the page after a fork); for a word of a shared mapping, its
    /// physical address ([`FutexKey::Shared`]: every process mapping the
    /// page meets there). The caller has read the word, so it is mapped.
    fn futex_key(
        &self,
        process: &Process<Self::Env>,
        address: u64,
        private: bool,
    ) -> KernelResult<FutexKey>;

    /// Ends an interruptible sleep of `thread` with `Interrupted` (a signal
    /// arrived), or makes its next one end at once.
    fn interrupt(&self, thread: &Thread<Self::Env>);

    /// Forgets an interruption of `thread` once its signals were handled.
    fn clear_interrupt(&self, thread: &Thread<Self::Env>);

    /// Where the scheduler has `thread`: on a CPU or waiting for one, in
    /// an interruptible or uninterruptible wait (what `/proc` shows as
    /// `R`, `S`, `D`); `None` if the scheduler does not know it.
    fn scheduler_state(&self, thread: &Thread<Self::Env>) -> Option<sched::ThreadState>;

    /// The process whose thread is running this code, if any (`/proc`
    /// shows it as running).
    fn running_pid(&self) -> Option<Pid>;

    /// The terminal session `sid` controls, if any (what `/dev/tty` opens
    /// for its members).
    fn session_terminal(&self, sid: Pid) -> Option<Arc<dyn fs::File>>;

    /// The leader of session `sid` exited: the terminal that session
    /// controls hangs up (its foreground group gets `SIGHUP` and `SIGCONT`,
    /// and the terminal is free for another session).
    fn session_ended(&self, sid: Pid);

    /// Gives up the CPU to another ready thread (`sched_yield`).
    fn yield_now(&self);

    /// How many CPUs run threads.
    fn cpu_count(&self) -> usize;

    /// The CPU the calling thread runs on.
    fn current_cpu(&self) -> u32;

    /// Makes the other CPUs in `scope` pass a full memory barrier (an
    /// interrupt, whose return also serializes) and returns once each has
    /// (`membarrier`).
    fn memory_barrier(&self, scope: BarrierScope);

    /// Starts a child process: a copy of the caller (the `process`
    /// crate's `fork`) whose thread resumes user mode as `child` says.
    /// `before_start` gets its pid once it is in the process table and
    /// before it can run (the tracer attaches there). Its pid.
    fn fork(
        &self,
        ctx: &Context<'_, Self>,
        child: &ChildStart,
        before_start: &mut dyn FnMut(Pid),
    ) -> KernelResult<Pid>;

    /// Starts a new thread in the caller's process, as `child` says, after
    /// [`ChildStart::write_thread_ids`] and before it can run. Its tid.
    fn spawn_thread(&self, ctx: &Context<'_, Self>, child: &ChildStart) -> KernelResult<Pid>;

    /// Builds, without touching the caller's, the address space of the
    /// program at `path` (resolved in `at`) with `argv` and `envp` on its
    /// stack, for a process with `credentials` (set-id and `AT_SECURE`).
    /// `opened` is the file `path` names when the caller already holds it
    /// (`execveat` of a descriptor, whose `path` is `/dev/fd/N`): it is
    /// used instead of a lookup, so a renamed or unnamed file still runs.
    #[allow(clippy::type_complexity, clippy::too_many_arguments)]
    fn load_program(
        &self,
        at: PathContext<'_>,
        path: &[u8],
        opened: Option<Arc<fs::FileDescription>>,
        argv: Vec<Vec<u8>>,
        envp: Vec<Vec<u8>>,
        credentials: &Credentials,
    ) -> KernelResult<LoadedProgram<<Self::Env as ProcessEnv>::AddressSpace>>;

    /// Makes `space` the calling thread's address space (after `execve`
    /// replaced its process's).
    fn enter_address_space(&self, space: &<Self::Env as ProcessEnv>::AddressSpace);

    /// The calling thread's `fs` base (its thread pointer).
    fn fs_base(&self) -> u64;

    /// Sets the calling thread's `fs` base.
    fn set_fs_base(&self, base: u64) -> KernelResult<()>;

    /// The user context `thread` (another thread of the caller's process,
    /// not running) saved when it last entered the kernel: for the core
    /// dump's per-thread notes. `None` if it never ran in user mode or is
    /// the caller.
    fn saved_user_context(&self, thread: &Thread<Self::Env>) -> Option<SavedUserContext>;

    /// A process's `ITIMER_REAL` changed: whoever fires alarms must look
    /// at the deadlines again.
    fn alarms_changed(&self);
}

/// What the system-call layer keeps per thread: its signal state.
pub trait UserThreadData: Send + Sync {
    /// The thread's mask, pending set and alternate stack. Lock order: a
    /// thread's signal state before its process's data.
    fn signals(&self) -> &RankedMutex<ThreadSignalState>;
}

/// An event-counted wait queue: a wake between reading [`sequence`] and
/// sleeping is never lost.
///
/// [`sequence`]: EventQueue::sequence
pub trait EventQueue: Send + Sync {
    /// How many wakes have happened so far.
    fn sequence(&self) -> u64;

    /// Sleeps until a wake after `seen`, a signal (if `interruptible`) or
    /// monotonic `deadline`.
    fn wait_since(&self, seen: u64, interruptible: bool, deadline: Option<u64>) -> WakeReason;

    /// Wakes every sleeper.
    fn wake_all(&self);

    /// Wakes every sleeper for a caller about to sleep or exit (Linux's
    /// sync wake-up): a woken thread may take the caller's CPU rather
    /// than another's. The default is [`EventQueue::wake_all`].
    fn wake_all_sync(&self) {
        self.wake_all();
    }

    /// Wakes up to `count` sleepers; how many woke.
    fn wake(&self, count: usize) -> usize;

    /// Sleeps until `done()` holds, re-checking after every wake. `EINTR`
    /// if a signal interrupts (when `interruptible`), `ETIMEDOUT` at
    /// `deadline`.
    fn wait_until(
        &self,
        interruptible: bool,
        deadline: Option<u64>,
        mut done: impl FnMut() -> bool,
    ) -> KernelResult<()>
    where
        Self: Sized,
    {
        loop {
            let seen = self.sequence();
            if done() {
                return Ok(());
            }
            match self.wait_since(seen, interruptible, deadline) {
                WakeReason::Interrupted => return Err(abi::Errno::EINTR),
                WakeReason::TimedOut => {
                    return if done() {
                        Ok(())
                    } else {
                        Err(abi::Errno::ETIMEDOUT)
                    };
                }
                WakeReason::Woken => {}
            }
        }
    }
}

/// Physical memory as `sysinfo` reports it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemoryStats {
    /// Usable memory, bytes.
    pub total_bytes: u64,
    /// Free memory, bytes.
    pub free_bytes: u64,
}
