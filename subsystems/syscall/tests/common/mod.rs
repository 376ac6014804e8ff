//! A fake machine for whole system-call sequences on the host: a tmpfs
//! VFS, the real process table, a flat fake user memory, a clock that
//! sleeping advances, and counters for what the kernel was asked to do.

#![allow(dead_code)]

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use abi::{Errno, KernelResult, Sysno, Timespec};
use fs::{Clock, Custody, FileDescription, FileSystem, PathContext, Tmpfs, Vfs};
use mm::fake::FakePageTable;
use mm::{AddressSpace, BuddyAllocator, Frame, FrameAllocator, UserMemory, UserPtr, UserSlice};
use process::{
    Credentials, FileDescriptions, FsContext, NewProcess, Process, ProcessEnv, ProcessTable, Thread,
};
use sched::{Priority, WakeReason};
use signal::{ProcessSignalState, ThreadSignalState, UserSelectors};
use syscall::process::lifecycle::{ChildStart, LoadedProgram};
use syscall::{Context, EventQueue, Kernel, MemoryStats, PlainRegisters, UserThreadData};
use zerocopy::{FromBytes, Immutable, IntoBytes};

/// Where the fake user memory starts and how big it is.
pub const USER_BASE: u64 = 0x10_0000;
pub const USER_SIZE: usize = 16 << 20;

/// Physical memory for every fake address space: 64 MiB, shared by all
/// tests of a binary (each only counts its own frames).
fn frame_pool() -> &'static Mutex<BuddyAllocator<'static>> {
    static POOL: OnceLock<Mutex<BuddyAllocator<'static>>> = OnceLock::new();
    POOL.get_or_init(|| Mutex::new(mm::fake::test_allocator(64).unwrap()))
}

/// The frame allocator handle the fake kernel hands to `mm`.
pub struct Frames;

impl FrameAllocator for Frames {
    fn alloc_frame(&mut self) -> KernelResult<Frame> {
        frame_pool().lock().unwrap().alloc_frame()
    }

    fn inc_ref(&mut self, frame: Frame) -> KernelResult<u32> {
        frame_pool().lock().unwrap().inc_ref(frame)
    }

    fn dec_ref(&mut self, frame: Frame) -> KernelResult<u32> {
        frame_pool().lock().unwrap().dec_ref(frame)
    }

    fn ref_count(&self, frame: Frame) -> u32 {
        frame_pool().lock().unwrap().ref_count(frame)
    }
}

/// A user address space over the fake page table.
pub type Space = Arc<Mutex<AddressSpace<FakePageTable>>>;

/// A fresh, empty address space.
pub fn new_space() -> Space {
    Arc::new(Mutex::new(AddressSpace::new(
        FakePageTable::new(&mut Frames).unwrap(),
    )))
}

/// The process crate's types for this machine.
pub struct Env;

/// What the fake keeps per thread: its signal state.
pub struct ThreadData {
    pub signals: process::lock::RankedMutex<ThreadSignalState>,
}

impl ThreadData {
    pub fn with_signals(signals: ThreadSignalState) -> Self {
        ThreadData {
            signals: process::lock::RankedMutex::new(process::lock::Rank::ThreadSignals, signals),
        }
    }
}

impl Default for ThreadData {
    fn default() -> Self {
        Self::with_signals(ThreadSignalState::default())
    }
}

impl UserThreadData for ThreadData {
    fn signals(&self) -> &process::lock::RankedMutex<ThreadSignalState> {
        &self.signals
    }
}

impl ProcessEnv for Env {
    type AddressSpace = Space;
    type Custody = Custody;
    type Description = Arc<FileDescription>;
    type Signals = ProcessSignalState;
    type Tty = ();
    type ThreadData = ThreadData;
    type Protected = process::Unprotected;

    fn share_address_space(space: &Space) -> KernelResult<Space> {
        Ok(space.clone())
    }

    fn address_space_identity(space: &Space) -> Option<usize> {
        Some(Arc::as_ptr(space) as usize)
    }

    fn fork_address_space(space: &mut Space) -> KernelResult<Space> {
        let mut parent = space.lock().unwrap();
        let table = FakePageTable::new(&mut Frames)?;
        Ok(Arc::new(Mutex::new(parent.fork(table, &mut Frames)?)))
    }

    fn fork_signals(signals: &ProcessSignalState) -> ProcessSignalState {
        signals.for_fork()
    }

    fn reset_signals_for_exec(signals: &mut ProcessSignalState) {
        signals.reset_for_exec();
    }

    fn check_search(dir: &Custody, credentials: &Credentials) -> KernelResult<()> {
        let creds = syscall::context::file_system_credentials(credentials);
        fs::credentials::check_directory_search(&dir.inode().stat(), &creds)
    }
}

/// Wall time is 1,000,000 s plus the monotonic clock.
pub const EPOCH: i64 = 1_000_000;

struct MachineClock(Arc<AtomicU64>);

/// Timers read the machine's one clock; nobody sleeps, so no wake is kept.
impl fs::timerfd::TimerClock for MachineClock {
    fn now(&self, _clock: i32) -> u64 {
        self.0.load(Ordering::SeqCst)
    }

    fn wake_at(&self, _deadline_ns: u64, _queue: &Arc<dyn fs::WaitQueue>) {}
}

impl Clock for MachineClock {
    fn now(&self) -> Timespec {
        let ns = self.0.load(Ordering::SeqCst);
        Timespec::from_nanos(ns)
            .checked_add(Timespec {
                sec: EPOCH,
                nsec: 0,
            })
            .unwrap()
    }
}

/// Flat user memory at [`USER_BASE`]; anything else faults.
pub struct FlatMemory(Mutex<Vec<u8>>);

impl FlatMemory {
    fn range(&self, slice: UserSlice) -> KernelResult<std::ops::Range<usize>> {
        let start = slice.addr().checked_sub(USER_BASE).ok_or(Errno::EFAULT)? as usize;
        let end = start.checked_add(slice.len()).ok_or(Errno::EFAULT)?;
        if end > USER_SIZE {
            return Err(Errno::EFAULT);
        }
        Ok(start..end)
    }
}

impl UserMemory for FlatMemory {
    fn copy_from_user(&self, dst: &mut [u8], src: UserSlice) -> KernelResult<()> {
        if src.is_empty() {
            return Ok(());
        }
        let range = self.range(src)?;
        dst.copy_from_slice(&self.0.lock().unwrap()[range]);
        Ok(())
    }

    fn copy_to_user(&self, dst: UserSlice, src: &[u8]) -> KernelResult<()> {
        if dst.is_empty() {
            return Ok(());
        }
        let range = self.range(dst)?;
        self.0.lock().unwrap()[range].copy_from_slice(src);
        Ok(())
    }

    fn compare_exchange_u32(
        &self,
        word: UserPtr<u32>,
        expected: u32,
        new: u32,
    ) -> KernelResult<u32> {
        word.check_aligned()?;
        let range = self.range(word.as_slice())?;
        let mut memory = self.0.lock().unwrap();
        let found = u32::from_ne_bytes(memory[range.clone()].try_into().unwrap());
        if found == expected {
            memory[range].copy_from_slice(&new.to_ne_bytes());
        }
        Ok(found)
    }
}

/// The fake kernel.
pub struct Machine {
    pub processes: ProcessTable<Env>,
    pub vfs: Vfs,
    pub memory: FlatMemory,
    /// The frames behind address spaces' pages (what `mlock` faults in).
    pub phys: mm::fake::FakePhysicalMemory,
    pub now: Arc<AtomicU64>,
    /// What `clock_settime` added to the wall clock (ns).
    pub wall_shift: Mutex<i128>,
    /// The kernel log `syslog` reads.
    pub kernel_log: Mutex<Vec<u8>>,
    pub sigpipes: AtomicUsize,
    pub sleeps: AtomicUsize,
    pub powered_off: AtomicUsize,
    /// How often `reboot` asked for a restart.
    pub restarted: AtomicUsize,
    /// The terminals of this machine, for `session_terminal`.
    pub terminals: Mutex<Vec<Arc<dyn fs::File>>>,
    /// Four queues, so tests can tell which a change woke.
    pub child_events: [Events; 4],
    pub stop_events: Events,
    /// Threads interrupted, in order.
    pub interrupts: Mutex<Vec<i32>>,
    /// What the scheduler has each thread doing, by tid (unset: running).
    pub scheduler_states: Mutex<std::collections::BTreeMap<i32, sched::ThreadState>>,
    /// The CPU time a test gave a thread (ns), by tid; unset: its tid in
    /// milliseconds.
    pub cpu_ns: Mutex<std::collections::BTreeMap<i32, u64>>,
    pub alarm_changes: AtomicUsize,
    pub futexes: syscall::futex::FutexTable<Events>,
    pub shm_segments: syscall::ipc::shm::ShmSegments,
    pub message_queues: syscall::ipc::msg::MessageQueues,
    pub ipc_events: Events,
    pub semaphores: syscall::ipc::sem::Semaphores,
    /// The deadlines waits on [`Kernel::new_event_queue`]'s queues had.
    pub queue_deadlines: Arc<Mutex<Vec<Option<u64>>>>,
    pub yields: AtomicUsize,
    /// The memory barriers asked of other CPUs, in order.
    pub barriers: Mutex<Vec<syscall::kernel::BarrierScope>>,
    /// Sessions whose leader exited, in order.
    pub ended_sessions: Mutex<Vec<i32>>,
    /// Threads started by fork or clone, with how they would start.
    pub started: Mutex<Vec<(i32, ChildStart)>>,
    pub address_space_switches: AtomicUsize,
    /// The calling thread's fs base.
    pub fs_base: AtomicU64,
    /// Nice values by tid.
    pub nice: Mutex<std::collections::BTreeMap<i32, i8>>,
    /// Affinity masks set with `sched_setaffinity`, by tid (both CPUs
    /// when absent).
    pub affinity: Mutex<std::collections::BTreeMap<i32, u64>>,
    next_free: AtomicU64,
    next_dev: AtomicU64,
    /// The machine itself, for the `/proc` it mounts.
    me: OnceLock<std::sync::Weak<Machine>>,
}

/// An event queue in a world where nobody else runs: waiting ends at once
/// (as `Woken` if something woke it since `seen`, else `Interrupted`, as
/// if a signal came), so a test never hangs.
#[derive(Default)]
pub struct Events {
    sequence: AtomicU64,
    pub waits: AtomicUsize,
    /// The deadline of every wait, in order (shared by the queues a
    /// machine makes, so a test sees the futex queues' too).
    pub deadlines: Arc<Mutex<Vec<Option<u64>>>>,
}

impl EventQueue for Events {
    fn sequence(&self) -> u64 {
        self.sequence.load(Ordering::SeqCst)
    }

    fn wait_since(&self, seen: u64, _interruptible: bool, deadline: Option<u64>) -> WakeReason {
        self.waits.fetch_add(1, Ordering::SeqCst);
        self.deadlines.lock().unwrap().push(deadline);
        if self.sequence() != seen {
            WakeReason::Woken
        } else if deadline.is_some() {
            WakeReason::TimedOut
        } else {
            WakeReason::Interrupted
        }
    }

    fn wake_all(&self) {
        self.sequence.fetch_add(1, Ordering::SeqCst);
    }

    fn wake(&self, _count: usize) -> usize {
        self.sequence.fetch_add(1, Ordering::SeqCst);
        0
    }
}

/// Where every fake program starts, and its initial stack pointer.
pub const PROGRAM_ENTRY: u64 = 0x40_0000;
pub const PROGRAM_STACK: u64 = 0x7fff_0000;

/// Where the fake maps its signal trampoline.
pub const TRAMPOLINE: u64 = 0x7fff_f000;

impl Kernel for Machine {
    type Env = Env;
    type Events = Events;
    const TRAMPOLINE: u64 = TRAMPOLINE;
    const SELECTORS: UserSelectors = UserSelectors {
        code: 0x33,
        data: 0x2b,
    };
    type PageTable = FakePageTable;
    type Frames = Frames;

    fn with_address_space<R>(
        &self,
        process: &Process<Env>,
        f: impl FnOnce(&mut AddressSpace<FakePageTable>, &mut Frames) -> KernelResult<R>,
    ) -> KernelResult<R> {
        let space = process
            .data()
            .address_space()
            .cloned()
            .ok_or(Errno::EFAULT)?;
        let mut space = space.lock().unwrap();
        f(&mut space, &mut Frames)
    }

    fn processes(&self) -> &ProcessTable<Env> {
        &self.processes
    }

    fn vfs(&self) -> &Vfs {
        &self.vfs
    }

    fn user_memory(&self) -> &dyn UserMemory {
        &self.memory
    }

    fn force_write_process_memory(
        &self,
        _process: &Process<Env>,
        address: u64,
        bytes: &[u8],
    ) -> KernelResult<()> {
        self.memory
            .copy_to_user(mm::UserSlice::new(address, bytes.len())?, bytes)
    }

    /// Every process of the fake world shares the one flat memory.
    fn populate_memory(&self, process: &Process<Env>, address: u64, len: u64) -> KernelResult<()> {
        self.with_address_space(process, |space, frames| {
            let memory = mm::AddressSpaceMemory::new(space, frames, &self.phys);
            memory.populate(mm::VirtAddr(address), len)
        })
    }

    fn with_process_memory<R>(
        &self,
        _process: &Process<Env>,
        f: impl FnOnce(&dyn UserMemory) -> KernelResult<R>,
    ) -> KernelResult<R> {
        f(&self.memory)
    }

    fn now_ns(&self) -> u64 {
        self.now.load(Ordering::SeqCst)
    }

    /// The fake charges no time: its processes' times are what tests set.
    fn fold_cpu_time(&self) {}

    /// What a test set ([`Machine::cpu_ns`]), else a figure of its own for
    /// each thread (1 ms per unit of its tid), so a test sees whose clock
    /// was read.
    fn thread_cpu_ns(&self, thread: &Thread<Env>) -> u64 {
        let set = self.cpu_ns.lock().unwrap().get(&thread.tid()).copied();
        set.unwrap_or(thread.tid() as u64 * 1_000_000)
    }

    fn realtime(&self) -> Timespec {
        let base = MachineClock(self.now.clone()).now().as_nanos_i128();
        Timespec::from_nanos_i128(base + *self.wall_shift.lock().unwrap()).unwrap()
    }

    fn signal_waiters(&self) -> Arc<dyn fs::WaitQueue> {
        Arc::new(fs::wait::NoWaiters)
    }

    fn set_realtime(&self, now: Timespec) -> KernelResult<()> {
        sched::WallClock::default().set(now, 0)?;
        let base = MachineClock(self.now.clone()).now().as_nanos_i128();
        *self.wall_shift.lock().unwrap() = now.as_nanos_i128() - base;
        Ok(())
    }

    fn timer_clock(&self) -> Arc<dyn fs::timerfd::TimerClock> {
        Arc::new(MachineClock(self.now.clone()))
    }

    /// Nobody else runs: sleeping is the clock jumping to the deadline.
    /// Every 1000th sleep is cut short by a "signal", so a call that would
    /// wait for ever on a fake with nobody to wake it ends with `EINTR`.
    fn sleep_until(&self, deadline_ns: u64) -> WakeReason {
        let count = self.sleeps.fetch_add(1, Ordering::SeqCst) + 1;
        if count % 1000 == 0 {
            return WakeReason::Interrupted;
        }
        self.now.fetch_max(deadline_ns, Ordering::SeqCst);
        WakeReason::TimedOut
    }

    /// A queue nobody can sleep on: a blocking call that would wait says
    /// `EAGAIN` instead of hanging the test.
    fn new_wait_queue(&self) -> Arc<dyn fs::WaitQueue> {
        Arc::new(fs::wait::NoWaiters)
    }

    fn new_filesystem(&self, kind: &str) -> KernelResult<Arc<dyn FileSystem>> {
        match kind {
            "tmpfs" => Ok(Tmpfs::new(
                self.next_dev.fetch_add(1, Ordering::SeqCst),
                Arc::new(MachineClock(self.now.clone())),
            )),
            "proc" => Ok(procfs::ProcFs::new(
                self.next_dev.fetch_add(1, Ordering::SeqCst),
                Arc::new(ProcView(self.me.get().expect("a world's machine").clone())),
                Arc::new(MachineClock(self.now.clone())),
            )),
            _ => Err(Errno::ENODEV),
        }
    }

    fn raise_sigpipe(&self) {
        self.sigpipes.fetch_add(1, Ordering::SeqCst);
    }

    /// Not random at all: 0, 1, 2, ... so tests can tell bytes apart.
    fn fill_random(&self, out: &mut [u8]) {
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = i as u8;
        }
    }

    fn kernel_log(&self, clear: bool) -> Vec<u8> {
        let mut log = self.kernel_log.lock().unwrap();
        let lines = log.clone();
        if clear {
            log.clear();
        }
        lines
    }

    fn kernel_log_size(&self) -> usize {
        4096
    }

    fn memory_stats(&self) -> MemoryStats {
        MemoryStats {
            total_bytes: 64 << 20,
            free_bytes: 48 << 20,
        }
    }

    fn thread_priority(&self, thread: &Thread<Env>) -> KernelResult<Priority> {
        let nice = self
            .nice
            .lock()
            .unwrap()
            .get(&thread.tid())
            .copied()
            .unwrap_or(0);
        Priority::from_nice(i32::from(nice))
    }

    fn set_thread_priority(&self, thread: &Thread<Env>, priority: Priority) -> KernelResult<()> {
        self.nice
            .lock()
            .unwrap()
            .insert(thread.tid(), priority.nice());
        Ok(())
    }

    fn thread_affinity(&self, thread: &Thread<Env>) -> KernelResult<u64> {
        Ok(self
            .affinity
            .lock()
            .unwrap()
            .get(&thread.tid())
            .copied()
            .unwrap_or(0b11))
    }

    fn set_thread_affinity(&self, thread: &Thread<Env>, mask: u64) -> KernelResult<()> {
        self.affinity.lock().unwrap().insert(thread.tid(), mask);
        Ok(())
    }

    fn power_off(&self) -> KernelResult<()> {
        self.powered_off.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    fn restart(&self) -> KernelResult<()> {
        self.restarted.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    fn child_events(&self) -> &[Events] {
        &self.child_events
    }

    fn stop_events(&self) -> &Events {
        &self.stop_events
    }

    fn new_event_queue(&self) -> Arc<Events> {
        Arc::new(Events {
            deadlines: self.queue_deadlines.clone(),
            ..Events::default()
        })
    }

    fn futexes(&self) -> &syscall::futex::FutexTable<Events> {
        &self.futexes
    }

    fn shm_segments(&self) -> &syscall::ipc::shm::ShmSegments {
        &self.shm_segments
    }

    fn message_queues(&self) -> &syscall::ipc::msg::MessageQueues {
        &self.message_queues
    }

    fn semaphores(&self) -> &syscall::ipc::sem::Semaphores {
        &self.semaphores
    }

    fn ipc_events(&self) -> &Events {
        &self.ipc_events
    }

    /// One flat address space: the virtual address is the key.
    fn futex_key(
        &self,
        _process: &Process<Env>,
        address: u64,
        _private: bool,
    ) -> KernelResult<syscall::futex::FutexKey> {
        Ok(syscall::futex::FutexKey::Private { space: 0, address })
    }

    fn interrupt(&self, thread: &Thread<Env>) {
        self.interrupts.lock().unwrap().push(thread.tid());
    }

    fn clear_interrupt(&self, _thread: &Thread<Env>) {}

    fn scheduler_state(&self, thread: &Thread<Env>) -> Option<sched::ThreadState> {
        let states = self.scheduler_states.lock().unwrap();
        Some(
            states
                .get(&thread.tid())
                .copied()
                .unwrap_or(sched::ThreadState::Running),
        )
    }

    /// The world's first process is always the one running.
    fn running_pid(&self) -> Option<i32> {
        Some(1)
    }

    fn session_terminal(&self, sid: i32) -> Option<Arc<dyn fs::File>> {
        self.terminals
            .lock()
            .unwrap()
            .iter()
            .find(|file| {
                file.terminal()
                    .is_some_and(|t| t.jobs.lock().session() == Some(sid))
            })
            .cloned()
    }

    fn session_ended(&self, sid: i32) {
        self.ended_sessions.lock().unwrap().push(sid);
    }

    fn yield_now(&self) {
        self.yields.fetch_add(1, Ordering::SeqCst);
    }

    fn cpu_count(&self) -> usize {
        2
    }

    fn current_cpu(&self) -> u32 {
        1
    }

    fn memory_barrier(&self, scope: syscall::kernel::BarrierScope) {
        self.barriers.lock().unwrap().push(scope);
    }

    /// The process crate's fork; the child "runs" only in the record of
    /// how it would start.
    fn fork(
        &self,
        ctx: &Context<'_, Self>,
        child: &ChildStart,
        before_start: &mut dyn FnMut(i32),
    ) -> KernelResult<i32> {
        let signals = ctx.thread.data().signals.lock().for_fork();
        let memory = if child.share_memory {
            process::ForkMemory::Share
        } else {
            process::ForkMemory::Copy
        };
        let (process, thread) = self.processes.fork_with(
            ctx.process,
            Some(ctx.thread),
            ThreadData::with_signals(signals),
            memory,
        )?;
        before_start(process.pid());
        self.record_start(&thread, child);
        Ok(process.pid())
    }

    fn spawn_thread(&self, ctx: &Context<'_, Self>, child: &ChildStart) -> KernelResult<i32> {
        let signals = ctx.thread.data().signals.lock().for_new_thread();
        let thread = self
            .processes
            .add_thread(ctx.process, ThreadData::with_signals(signals))?;
        child.write_thread_ids(self.user_memory(), thread.tid());
        self.record_start(&thread, child);
        Ok(thread.tid())
    }

    /// A "program" is a regular file starting with `#!fake`; its arguments
    /// land nowhere, the entry point is fixed.
    fn load_program(
        &self,
        at: PathContext<'_>,
        path: &[u8],
        opened: Option<Arc<fs::FileDescription>>,
        argv: Vec<Vec<u8>>,
        _envp: Vec<Vec<u8>>,
        _credentials: &Credentials,
    ) -> KernelResult<LoadedProgram<Space>> {
        let path = std::str::from_utf8(path).map_err(|_| Errno::ENOENT)?;
        let description = match opened {
            Some(description) => description,
            None => self.vfs.open(&at, path, fs::OpenFlags::empty(), 0)?,
        };
        let stat = description.stat()?;
        if stat.mode & abi::S_IFMT != abi::S_IFREG {
            return Err(Errno::EACCES);
        }
        fs::credentials::check_access(&stat, at.creds, fs::credentials::Access::EXECUTE)?;
        let mut magic = [0u8; 6];
        let n = description.read(&mut magic)?;
        if &magic[..n] != b"#!fake" {
            return Err(Errno::ENOEXEC);
        }
        Ok(LoadedProgram {
            space: new_space(),
            entry: PROGRAM_ENTRY,
            stack_pointer: PROGRAM_STACK,
            name: path.rsplit('/').next().unwrap_or(path).into(),
            exe: None,
            argv,
            // AT_PAGESZ 4096, AT_NULL.
            auxv: [6u64, 4096, 0, 0]
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect(),
        })
    }

    fn enter_address_space(&self, _space: &Space) {
        self.address_space_switches.fetch_add(1, Ordering::SeqCst);
    }

    fn fs_base(&self) -> u64 {
        self.fs_base.load(Ordering::SeqCst)
    }

    fn saved_user_context(
        &self,
        _thread: &Thread<Env>,
    ) -> Option<syscall::registers::SavedUserContext> {
        // The fake runs one thread at a time and keeps no other contexts.
        None
    }

    fn set_fs_base(&self, base: u64) -> KernelResult<()> {
        self.fs_base.store(base, Ordering::SeqCst);
        Ok(())
    }

    fn alarms_changed(&self) {
        self.alarm_changes.fetch_add(1, Ordering::SeqCst);
    }
}

impl Machine {
    /// What the kernel does for a new thread that the fake does not run:
    /// remember where its tid goes and how it would start.
    fn record_start(&self, thread: &Thread<Env>, child: &ChildStart) {
        if child.child_tid.clear {
            thread.set_tid_address(child.child_tid.address);
        }
        self.started
            .lock()
            .unwrap()
            .push((thread.tid(), child.clone()));
    }

    /// Moves the clock on by `ns`, as if that much time passed.
    pub fn advance(&self, ns: u64) {
        self.now.fetch_add(ns, Ordering::SeqCst);
    }
}

/// `/proc`'s view of the fake: the process half is the crate's; the
/// machine half is fixed numbers.
pub struct ProcView(std::sync::Weak<Machine>);

impl ProcView {
    fn machine(&self) -> Arc<Machine> {
        self.0.upgrade().expect("the machine outlives its /proc")
    }
}

impl procfs::ProcessView for ProcView {
    fn pids(&self) -> Vec<u32> {
        syscall::proc_view::pids(&*self.machine())
    }

    fn process(&self, pid: u32) -> Option<Arc<dyn procfs::ProcessInfo>> {
        syscall::proc_view::process(&self.machine(), pid)
    }

    fn current(&self) -> Option<procfs::Caller> {
        let machine = self.machine();
        let process = machine.processes.from_pid(machine.running_pid()?)?;
        let thread = process.threads().first()?.clone();
        Some(syscall::proc_view::caller::<Machine>(&process, &thread))
    }

    fn system(&self) -> procfs::SystemInfo {
        procfs::SystemInfo::default()
    }

    fn meminfo(&self) -> procfs::MemInfo {
        procfs::MemInfo::default()
    }

    fn cpus(&self) -> Vec<procfs::CpuDescription> {
        Vec::new()
    }

    fn version(&self) -> String {
        "Courage (fake)\n".into()
    }

    fn hostname(&self) -> Vec<u8> {
        b"fake".to_vec()
    }

    fn mounts(&self) -> Vec<procfs::MountEntry> {
        Vec::new()
    }

    fn filesystems(&self) -> Vec<procfs::FilesystemEntry> {
        Vec::new()
    }
}

/// A machine and one user process on it ("init", root, cwd `/`).
pub struct World {
    pub machine: Arc<Machine>,
    pub process: Arc<Process<Env>>,
    pub thread: Arc<Thread<Env>>,
    /// The registers every call made through [`World::call`] sees.
    pub registers: RefCell<PlainRegisters>,
}

impl World {
    pub fn new() -> World {
        let now = Arc::new(AtomicU64::new(0));
        let vfs = Vfs::new(Tmpfs::new(1, Arc::new(MachineClock(now.clone()))));
        let machine = Machine {
            processes: ProcessTable::new(32768),
            vfs,
            memory: FlatMemory(Mutex::new(vec![0; USER_SIZE])),
            phys: mm::fake::FakePhysicalMemory::new(),
            now,
            wall_shift: Mutex::new(0),
            kernel_log: Mutex::new(b"<6>[    0.000000] Courage booted\n".to_vec()),
            sigpipes: AtomicUsize::new(0),
            sleeps: AtomicUsize::new(0),
            powered_off: AtomicUsize::new(0),
            restarted: AtomicUsize::new(0),
            terminals: Mutex::new(Vec::new()),
            child_events: Default::default(),
            stop_events: Events::default(),
            interrupts: Mutex::new(Vec::new()),
            scheduler_states: Mutex::default(),
            cpu_ns: Mutex::default(),
            alarm_changes: AtomicUsize::new(0),
            futexes: syscall::futex::FutexTable::new(),
            shm_segments: lock::Mutex::new(ipc::ShmNamespace::new()),
            message_queues: lock::Mutex::new(ipc::MsgNamespace::new()),
            ipc_events: Events::default(),
            semaphores: lock::Mutex::new(ipc::SemNamespace::new()),
            queue_deadlines: Arc::default(),
            yields: AtomicUsize::new(0),
            barriers: Mutex::new(Vec::new()),
            ended_sessions: Mutex::new(Vec::new()),
            started: Mutex::new(Vec::new()),
            address_space_switches: AtomicUsize::new(0),
            fs_base: AtomicU64::new(0),
            nice: Mutex::new(Default::default()),
            affinity: Mutex::new(Default::default()),
            next_free: AtomicU64::new(USER_BASE + 0x1000),
            next_dev: AtomicU64::new(2),
            me: OnceLock::new(),
        };
        let (process, thread) = machine
            .processes
            .create_process(
                NewProcess {
                    name: "init".into(),
                    credentials: Credentials::root(),
                    fs: FsContext::new(machine.vfs.root_custody()),
                    signals: ProcessSignalState::default(),
                    address_space: Some(new_space()),
                    tty: None,
                    fds: FileDescriptions::new(64),
                },
                ThreadData::default(),
            )
            .unwrap();
        let mut registers = PlainRegisters::default();
        registers.registers.rsp = USER_BASE + USER_SIZE as u64 - 4096;
        let machine = Arc::new(machine);
        machine.me.set(Arc::downgrade(&machine)).ok();
        World {
            machine,
            process,
            thread,
            registers: RefCell::new(registers),
        }
    }

    /// A second process forked from the first.
    pub fn fork(&self) -> (Arc<Process<Env>>, Arc<Thread<Env>>) {
        self.machine
            .processes
            .fork(&self.process, ThreadData::default())
            .unwrap()
    }

    /// Changes the caller's credentials to an unprivileged user.
    pub fn become_user(&self, uid: u32, gid: u32) {
        let mut data = self.process.data();
        data.change_credentials(|c| {
            *c = Credentials::new(uid, gid);
            Ok(())
        })
        .unwrap();
    }

    /// `syscall(sysno, args...)` as user space sees it: the value, or
    /// `-errno`.
    pub fn call(&self, sysno: Sysno, args: &[u64]) -> i64 {
        self.call_as(&self.process, &self.thread, sysno, args)
    }

    /// Serves the raw number `number`, as the kernel's entry does:
    /// `None` when no row has it.
    pub fn call_number(&self, number: u64, args: &[u64]) -> Option<i64> {
        let mut raw = [0u64; 6];
        raw[..args.len()].copy_from_slice(args);
        let ctx = Context {
            kernel: &*self.machine,
            process: &self.process,
            thread: &self.thread,
            registers: &self.registers,
        };
        syscall::serve_number(&ctx, number, raw).map(|rax| rax as i64)
    }

    /// Serves the raw number `number` the way the kernel's entry does
    /// ([`syscall::serve_number_with`]: each arm builds its own context
    /// around the registers), with the registers [`World::call`] sees.
    pub fn call_entry(&self, number: u64, args: &[u64]) -> Option<i64> {
        let mut raw = [0u64; 6];
        raw[..args.len()].copy_from_slice(args);
        let mut registers = self.registers.borrow().clone();
        let rax = syscall::serve_number_with(
            &*self.machine,
            &self.process,
            &self.thread,
            &mut registers,
            number,
            raw,
        );
        *self.registers.borrow_mut() = registers;
        rax.map(|rax| rax as i64)
    }

    pub fn call_as(
        &self,
        process: &Arc<Process<Env>>,
        thread: &Arc<Thread<Env>>,
        sysno: Sysno,
        args: &[u64],
    ) -> i64 {
        let mut raw = [0u64; 6];
        raw[..args.len()].copy_from_slice(args);
        let ctx = Context {
            kernel: &*self.machine,
            process,
            thread,
            registers: &self.registers,
        };
        let value = match syscall::serve(&ctx, sysno, raw).expect("a routed call") {
            Ok(value) => value,
            Err(errno) => errno.to_syscall_return() as u64,
        };
        self.registers.borrow_mut().registers.rax = value;
        value as i64
    }

    /// The return to user mode after `syscall` (or after an interrupt,
    /// `None`): pending signals are acted on against [`World::registers`],
    /// and a thread told to die leaves its process as in the kernel. It
    /// takes the system-call way out, which skips the look at signals
    /// unless one was requested: every test that expects a delivery here
    /// also shows that whatever made the signal deliverable requested it.
    pub fn return_to_user(&self, syscall: Option<Sysno>) -> syscall::signals::delivery::UserReturn {
        self.return_to_user_as(&self.process, &self.thread, syscall)
    }

    pub fn return_to_user_as(
        &self,
        process: &Arc<Process<Env>>,
        thread: &Arc<Thread<Env>>,
        syscall: Option<Sysno>,
    ) -> syscall::signals::delivery::UserReturn {
        let outcome = syscall::signals::delivery::on_return_from_syscall(
            &*self.machine,
            process,
            thread,
            &mut *self.registers.borrow_mut(),
            // No call (a return from an interrupt): a number no call has.
            syscall.map_or(u64::MAX, |sysno| sysno as u64),
        );
        if outcome == syscall::signals::delivery::UserReturn::ExitThread {
            // What the kernel does with a thread that leaves.
            syscall::process::exit::clear_child_tid(&*self.machine, process, thread);
            syscall::process::exit::finish_thread(&*self.machine, process, thread);
        }
        outcome
    }

    /// Fresh user memory of `len` bytes, zeroed.
    pub fn alloc(&self, len: usize) -> u64 {
        let len = (len as u64).div_ceil(16) * 16 + 16;
        let address = self.machine.next_free.fetch_add(len, Ordering::SeqCst);
        assert!(
            address + len <= USER_BASE + USER_SIZE as u64,
            "fake memory full"
        );
        address
    }

    /// `s` as a NUL-terminated string in user memory.
    pub fn string(&self, s: &str) -> u64 {
        let address = self.alloc(s.len() + 1);
        let mut bytes = s.as_bytes().to_vec();
        bytes.push(0);
        self.poke(address, &bytes);
        address
    }

    pub fn poke(&self, address: u64, bytes: &[u8]) {
        self.machine
            .memory
            .copy_to_user(UserSlice::new(address, bytes.len()).unwrap(), bytes)
            .unwrap();
    }

    pub fn peek(&self, address: u64, len: usize) -> Vec<u8> {
        let mut bytes = vec![0; len];
        self.machine
            .memory
            .copy_from_user(&mut bytes, UserSlice::new(address, len).unwrap())
            .unwrap();
        bytes
    }

    pub fn put<T: IntoBytes + Immutable>(&self, value: &T) -> u64 {
        let address = self.alloc(size_of::<T>());
        self.poke(address, value.as_bytes());
        address
    }

    pub fn get<T: FromBytes>(&self, address: u64) -> T {
        T::read_from_bytes(&self.peek(address, size_of::<T>())).unwrap()
    }

    /// Opens `path` with `flags` (and mode 0o644); the fd or `-errno`.
    pub fn open(&self, path: &str, flags: u32) -> i64 {
        let path = self.string(path);
        self.call(
            Sysno::Openat,
            &[abi::AT_FDCWD as u64, path, flags as u64, 0o644],
        )
    }

    /// Writes `data` to `fd`.
    pub fn write(&self, fd: i64, data: &[u8]) -> i64 {
        let buffer = self.alloc(data.len());
        self.poke(buffer, data);
        self.call(Sysno::Write, &[fd as u64, buffer, data.len() as u64])
    }

    /// Reads up to `len` bytes from `fd`.
    pub fn read(&self, fd: i64, len: usize) -> Result<Vec<u8>, i64> {
        let buffer = self.alloc(len);
        let n = self.call(Sysno::Read, &[fd as u64, buffer, len as u64]);
        if n < 0 {
            Err(n)
        } else {
            Ok(self.peek(buffer, n as usize))
        }
    }

    /// `stat(path)`.
    pub fn stat(&self, path: &str) -> Result<abi::Stat, i64> {
        let buf = self.alloc(size_of::<abi::Stat>());
        let path = self.string(path);
        match self.call(Sysno::Stat, &[path, buf]) {
            0 => Ok(self.get(buf)),
            e => Err(e),
        }
    }
}

/// `-errno` as user space sees it.
pub fn err(errno: Errno) -> i64 {
    -(errno as i64)
}

pub const O_RDONLY: u32 = 0;
pub const O_WRONLY: u32 = 1;
pub const O_RDWR: u32 = 2;
pub const O_CREAT: u32 = 0o100;
pub const O_EXCL: u32 = 0o200;
pub const O_TRUNC: u32 = 0o1000;
pub const O_APPEND: u32 = 0o2000;
pub const O_NONBLOCK: u32 = 0o4000;
pub const O_DIRECTORY: u32 = 0o200000;
pub const O_CLOEXEC: u32 = 0o2000000;
