//! Kernel threads: creation, entry, exit and join.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use abi::KernelResult;
use arch::context::FpuArea;
use arch::sync::IrqMutex;
use sched::{CpuSet, Priority, ThreadId, WaitQueueId};

use super::core::{
    InterruptsOff, Scheduler, THREADS, carry_out, current, decide, free_dead_threads, this_cpu,
    thread_died, with_scheduler,
};
use crate::memory::kstack::KernelStack;
use crate::memory::user::SharedAddressSpace;
use crate::userland::UserLink;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// How a thread starts.
enum Start {
    /// A plain function with an argument.
    Function(fn(u64) -> !, u64),
    /// A closure; the thread exits when it returns.
    Closure(Box<dyn FnOnce() + Send>),
    /// A closure that prepares a user thread and says where it enters
    /// ring 3. It returns instead of jumping itself so that its box is
    /// freed first: a closure that never returns leaks its allocation.
    User(Box<dyn FnOnce() -> UserEntry + Send>),
    /// Already running (the boot thread).
    Running,
}

/// What a switch saves of a thread that is not running.
struct SavedContext {
    rsp: u64,
    fpu: FpuArea,
}

/// A kernel thread (every user thread is one too, running in user mode).
pub struct Thread {
    /// Scheduler id.
    pub id: ThreadId,
    /// For logs and `/proc`.
    pub name: String,
    stack: KernelStack,
    context: UnsafeCell<SavedContext>,
    start: IrqMutex<Option<Start>>,
    exit_queue: WaitQueueId,
    finished: AtomicBool,
    /// Up from the moment a CPU switches to the thread until the switch
    /// away from it has stored its registers: no other CPU may resume it
    /// (or free it) meanwhile.
    pub(super) on_cpu: AtomicBool,
    // IrqMutex, not lock::Mutex: the context switch reads these with
    // interrupts off, so a holder must never be preempted (a
    // `lock::Mutex` holder only defers a bounded number of preemptions).
    address_space: IrqMutex<Option<SharedAddressSpace>>,
    /// The user thread this kernel thread runs, set once before it first
    /// runs and kept until the thread is freed: the system-call path reads
    /// it without a lock or a reference-count round trip.
    user: spin::Once<UserLink>,
    fs_base: AtomicU64,
    /// Ticks charged since they were last folded into the process.
    user_ticks: AtomicU64,
    kernel_ticks: AtomicU64,
    /// The CPU time (ns) already folded into its process's times.
    cpu_ns_folded: AtomicU64,
    /// How many process-crate locks the thread held when it was switched
    /// out (see `core::LockPreemption`): the running thread's count is
    /// its CPU's, swapped in and out at a switch.
    pub(super) preemption_off: core::sync::atomic::AtomicU32,
    /// Why it last woke, put here by the CPU that resumed it.
    pub(super) wake_reason: sched::WakeReasonSlot,
    /// Its pending interruption, beside the scheduler's flag (see
    /// `core::interrupt`).
    pub(super) interrupt: sched::InterruptRequest,
}

// SAFETY: `context` is only touched by the context switch, with interrupts
// off, for the thread switching away or the one being resumed, never both
// at once; everything else is behind locks or atomics.
unsafe impl Sync for Thread {}
// SAFETY: as above; a thread's data moves between CPUs only through the
// scheduler's hand-off.
unsafe impl Send for Thread {}

impl Thread {
    fn build(name: &str, stack: KernelStack, start: Start, rsp: u64) -> KernelResult<Arc<Thread>> {
        let running = matches!(start, Start::Running);
        let exit_queue = {
            let _off = InterruptsOff::new();
            with_scheduler(Scheduler::create_wait_queue)
        };
        Ok(Arc::new(Thread {
            id: ThreadId(NEXT_ID.fetch_add(1, Ordering::SeqCst)),
            name: String::from(name),
            stack,
            context: UnsafeCell::new(SavedContext {
                rsp,
                fpu: FpuArea::initial(),
            }),
            start: IrqMutex::new(Some(start)),
            exit_queue,
            finished: AtomicBool::new(false),
            on_cpu: AtomicBool::new(running),
            preemption_off: core::sync::atomic::AtomicU32::new(0),
            wake_reason: sched::WakeReasonSlot::new(),
            interrupt: sched::InterruptRequest::new(),
            address_space: IrqMutex::new(None),
            user: spin::Once::new(),
            fs_base: AtomicU64::new(0),
            user_ticks: AtomicU64::new(0),
            kernel_ticks: AtomicU64::new(0),
            cpu_ns_folded: AtomicU64::new(0),
        }))
    }

    fn with_fresh_stack(name: &str, start: Start) -> KernelResult<Arc<Thread>> {
        let stack = KernelStack::new()?;
        // SAFETY: the stack was just mapped and nothing else uses it.
        let rsp = unsafe { arch::context::prepare_stack(stack.top(), thread_start, 0) };
        Self::build(name, stack, start, rsp)
    }

    /// The thread already running on `stack` (the boot thread).
    pub(super) fn adopt(name: &str, stack: KernelStack) -> KernelResult<Arc<Thread>> {
        Self::build(name, stack, Start::Running, 0)
    }

    /// A thread the scheduler does not know (the idle thread).
    pub(super) fn new_unscheduled(name: &str, entry: fn(u64) -> !) -> KernelResult<Arc<Thread>> {
        Self::with_fresh_stack(name, Start::Function(entry, 0))
    }

    /// The top of the thread's kernel stack.
    pub fn stack_top(&self) -> u64 {
        self.stack.top()
    }

    /// The FPU image this thread's last context switch saved (its x87
    /// state while it is switched out inside a trap).
    pub fn switched_out_fpu(&self) -> FpuArea {
        let context = self.context.get();
        // SAFETY: only the context switch writes the area, with interrupts
        // off, and callers ask about a thread that is not running (one
        // CPU), so no write is under way.
        unsafe { core::ptr::read_volatile(&raw const (*context).fpu) }
    }

    /// Pointers the context switch saves into and restores from.
    ///
    /// # Safety
    /// Only the context switch may use them, with interrupts off.
    pub(super) unsafe fn context_pointers(&self) -> (*mut u64, *mut FpuArea) {
        let context = self.context.get();
        // SAFETY: projecting raw pointers; no reference is created.
        unsafe { (&raw mut (*context).rsp, &raw mut (*context).fpu) }
    }

    /// Switches the CPU to this thread's user address space, or to the
    /// kernel's if it has none.
    pub(super) fn activate_address_space(&self) {
        let space = self.address_space.lock().clone();
        crate::memory::user::switch_to(space);
    }

    /// Sets the user address space this thread runs in.
    pub fn set_address_space(&self, space: Option<SharedAddressSpace>) {
        *self.address_space.lock() = space.clone();
        if core::ptr::eq(current(), self) {
            crate::memory::user::switch_to(space);
        }
    }

    /// The user address space this thread runs in.
    pub fn address_space(&self) -> Option<SharedAddressSpace> {
        self.address_space.lock().clone()
    }

    /// The user thread this kernel thread runs, if any.
    pub fn user(&self) -> Option<UserLink> {
        self.user.get().cloned()
    }

    /// [`Thread::user`] borrowed.
    pub fn user_link(&self) -> Option<&UserLink> {
        self.user.get()
    }

    /// [`Thread::user_link`] of a thread that runs user code, with no look
    /// at the link's state.
    ///
    /// # Safety
    ///
    /// [`Thread::set_user`] has run for this thread (as it has for every
    /// thread that ever ran user code: it is called before the first run).
    pub unsafe fn user_link_unchecked(&self) -> &UserLink {
        // SAFETY: the caller says the `Once` is complete.
        unsafe { self.user.get_unchecked() }
    }

    /// Whether this kernel thread runs a user thread.
    pub fn is_user(&self) -> bool {
        self.user.get().is_some()
    }

    /// Makes this kernel thread the runner of a user thread, before it
    /// first runs; later calls have no effect.
    pub fn set_user(&self, link: UserLink) {
        self.user.call_once(|| link);
    }

    /// Counts one timer tick against this thread.
    pub fn charge_tick(&self, user: bool) {
        let counter = if user {
            &self.user_ticks
        } else {
            &self.kernel_ticks
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Whether [`Thread::take_ticks`] with `per` would take anything.
    #[inline]
    pub fn has_ticks_to_take(&self, per: u64) -> bool {
        self.user_ticks.load(Ordering::Relaxed) >= per
            || self.kernel_ticks.load(Ordering::Relaxed) >= per
    }

    /// The (user, kernel) time charged since the last call, in units of
    /// `per` timer ticks: whole units are taken, the remainder stays for
    /// the next call (process times count `USER_HZ` ticks, the timer runs
    /// at `HZ`).
    pub fn take_ticks(&self, per: u64) -> (u64, u64) {
        let take = |counter: &AtomicU64| {
            let ticks = counter.load(Ordering::Relaxed);
            // Most returns to user mode have no whole unit to take: no
            // locked read-modify-write then.
            if ticks < per {
                return 0;
            }
            let whole = ticks / per;
            counter.fetch_sub(whole * per, Ordering::Relaxed);
            whole
        };
        (take(&self.user_ticks), take(&self.kernel_ticks))
    }

    /// The CPU time (ns) already folded into its process's times.
    pub fn cpu_ns_folded(&self) -> u64 {
        self.cpu_ns_folded.load(Ordering::Relaxed)
    }

    /// Counts `ns` more CPU time as folded (only the thread itself folds).
    pub fn add_cpu_ns_folded(&self, ns: u64) {
        self.cpu_ns_folded.fetch_add(ns, Ordering::Relaxed);
    }

    /// The user FS base (TLS pointer) this thread runs with.
    pub fn fs_base(&self) -> u64 {
        self.fs_base.load(Ordering::Relaxed)
    }

    /// Sets the user FS base, on the CPU too when this thread is running.
    pub fn set_fs_base(&self, base: u64) {
        self.fs_base.store(base, Ordering::Relaxed);
        if core::ptr::eq(current(), self) {
            arch::cpu::set_fs_base(base);
        }
    }

    pub(super) fn release_queues(&self, s: &Scheduler) {
        let _ = s.destroy_wait_queue(self.exit_queue);
    }
}

extern "C" fn thread_start(_: u64) -> ! {
    // A new thread is entered from a context switch, with interrupts off.
    x86_64::instructions::interrupts::enable();
    let start = current().start.lock().take();
    match start {
        Some(Start::Function(entry, argument)) => entry(argument),
        Some(Start::Closure(body)) => {
            body();
            exit()
        }
        Some(Start::User(prepare)) => {
            let entry = prepare();
            // SAFETY: `entry` holds user selectors and a user rip (built from
            // an exec plan or copied from a user trap); nothing on this stack
            // is needed after the jump.
            unsafe { arch::trap::enter_user(&entry.frame, &entry.fpu) }
        }
        Some(Start::Running) | None => exit(),
    }
}

fn register(thread: Arc<Thread>, priority: Priority) -> KernelResult<Arc<Thread>> {
    let id = thread.id;
    THREADS.insert(thread.clone());
    let _off = InterruptsOff::new();
    let now = crate::time::now_ns();
    // A thread inherits its creator's affinity, as fork and clone do.
    let creator = current().id;
    let spawned = with_scheduler(|s| {
        let affinity = s.affinity(creator).unwrap_or(CpuSet::ALL);
        s.spawn_near(id, priority, affinity, Some(this_cpu()), now)
    });
    if let Err(error) = spawned {
        THREADS.remove(id);
        return Err(error);
    }
    Ok(thread)
}

/// Where a new user thread enters ring 3.
pub struct UserEntry {
    /// Its registers.
    pub frame: arch::trap::TrapFrame,
    /// Its FPU state.
    pub fpu: FpuArea,
}

/// Starts a thread that enters user mode where `prepare` says, after
/// `setup` has seen it before it first runs. Frees the dead threads
/// first; call it holding no lock.
pub fn spawn_user(
    name: &str,
    priority: Priority,
    setup: impl FnOnce(&Thread),
    prepare: impl FnOnce() -> UserEntry + Send + 'static,
) -> KernelResult<Arc<Thread>> {
    free_dead_threads();
    let thread = Thread::with_fresh_stack(name, Start::User(Box::new(prepare)))?;
    setup(&thread);
    register(thread, priority)
}

/// Starts `body` in a new kernel thread named `name`; as
/// [`spawn_user`], frees the dead threads first.
pub fn spawn(
    name: &str,
    priority: Priority,
    body: impl FnOnce() + Send + 'static,
) -> KernelResult<JoinHandle> {
    free_dead_threads();
    let thread = Thread::with_fresh_stack(name, Start::Closure(Box::new(body)))?;
    Ok(JoinHandle {
        thread: register(thread, priority)?,
    })
}

/// Ends the current thread. Joiners wake; the next thread to spawn or
/// exit frees it (this one first frees those that died before it).
pub fn exit() -> ! {
    free_dead_threads();
    let _off = InterruptsOff::new();
    let thread = current();
    let now = crate::time::now_ns();
    let decision = decide(|s| {
        thread.finished.store(true, Ordering::SeqCst);
        let _ = s.wake_all(thread.exit_queue, now);
        thread_died();
        s.exit_current(this_cpu(), now)
    });
    if let Ok((decision, reason)) = decision {
        carry_out(decision, reason);
    }
    unreachable!("an exited thread was resumed")
}

/// A spawned thread that can be waited for. Dropping it detaches the
/// thread (it is freed when it exits either way).
pub struct JoinHandle {
    thread: Arc<Thread>,
}

impl JoinHandle {
    /// Waits until the thread has exited.
    pub fn join(self) {
        loop {
            let _off = InterruptsOff::new();
            let now = crate::time::now_ns();
            let cpu = this_cpu();
            let finished = || self.thread.finished.load(Ordering::SeqCst);
            let decision = with_scheduler(|s| {
                let queue = self.thread.exit_queue;
                match s.resuming(cpu, |s| {
                    s.wait_on_unless(cpu, queue, false, None, now, || !finished())
                }) {
                    Ok((Some(decision), reason)) => Some((decision, reason)),
                    _ => None,
                }
            });
            match decision {
                None => return,
                Some((decision, reason)) => carry_out(decision, reason),
            }
        }
    }
}
