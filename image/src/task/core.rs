//! The scheduler instance, the current thread and the context switch.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

use arch::sync::IrqMutex;
use sched::{CpuId, Decision, RunQueueConfig, Scheduler, ThreadId, WaitQueueId, WakeReason};
use spin::Once;
use x86_64::instructions::interrupts;

use super::thread::Thread;
use crate::memory::kstack::KernelStack;

/// The only CPU so far.
pub(super) const CPU: CpuId = CpuId::BSP;

static SCHEDULER: IrqMutex<Option<Scheduler>> = IrqMutex::new(None);
pub(super) static THREADS: IrqMutex<BTreeMap<ThreadId, Arc<Thread>>> =
    IrqMutex::new(BTreeMap::new());
static CURRENT: AtomicPtr<Thread> = AtomicPtr::new(core::ptr::null_mut());
static IDLE: Once<Arc<Thread>> = Once::new();
static FINALIZER_QUEUE: Once<WaitQueueId> = Once::new();
static SWITCHES: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// Context switches since boot (`/proc/stat`'s `ctxt`).
pub fn context_switches() -> u64 {
    SWITCHES.load(Ordering::Relaxed)
}

/// Interrupts off until dropped (then restored as they were).
pub struct InterruptsOff {
    were_enabled: bool,
}

impl InterruptsOff {
    /// Turns interrupts off on this CPU.
    pub fn new() -> Self {
        let were_enabled = interrupts::are_enabled();
        interrupts::disable();
        Self { were_enabled }
    }
}

impl Drop for InterruptsOff {
    fn drop(&mut self) {
        if self.were_enabled {
            interrupts::enable();
        }
    }
}

/// Runs `f` on the scheduler. Callers hold [`InterruptsOff`] when the
/// result is a decision they will carry out.
pub(super) fn with_scheduler<R>(f: impl FnOnce(&mut Scheduler) -> R) -> R {
    let mut guard = SCHEDULER.lock();
    f(guard
        .as_mut()
        .expect("the scheduler is initialised at boot"))
}

/// The running thread.
pub fn current() -> &'static Thread {
    let pointer = CURRENT.load(Ordering::SeqCst);
    assert!(!pointer.is_null(), "no current thread before task::init");
    // SAFETY: CURRENT always points at a thread kept alive by THREADS (or
    // IDLE) for as long as it can run; a thread is only freed by the
    // finalizer after it has switched away for good.
    unsafe { &*pointer }
}

/// The thread with id `id`, if it still exists.
pub fn thread(id: ThreadId) -> Option<Arc<Thread>> {
    THREADS.lock().get(&id).cloned()
}

/// The running thread's id.
pub(super) fn current_id() -> ThreadId {
    current().id
}

/// Carries out `decision`. Interrupts must be off.
pub(super) fn carry_out(decision: Decision) {
    debug_assert!(!interrupts::are_enabled());
    let next: *const Thread = match decision {
        Decision::Continue => return,
        Decision::Idle => Arc::as_ptr(IDLE.get().expect("idle thread exists")),
        Decision::SwitchTo(id) => match THREADS.lock().get(&id) {
            Some(thread) => Arc::as_ptr(thread),
            None => {
                log::error!("scheduler chose unknown thread {id:?}");
                return;
            }
        },
    };
    let previous = CURRENT.load(Ordering::SeqCst);
    if core::ptr::eq(previous, next) {
        return;
    }
    CURRENT.store(next.cast_mut(), Ordering::SeqCst);
    SWITCHES.fetch_add(1, Ordering::Relaxed);
    // SAFETY: both threads are alive (see `current`); interrupts are off,
    // `previous` is the thread running this code, and `next` is not running.
    unsafe {
        let next = &*next;
        arch::trap::set_kernel_stack_top(next.stack_top());
        next.activate_address_space();
        let previous_thread = &*previous;
        if previous_thread.is_user() || next.is_user() {
            arch::cpu::set_fs_base(next.fs_base());
        }
        let previous = &*previous;
        let (from_rsp, from_fpu) = previous.context_pointers();
        let (to_rsp, to_fpu) = next.context_pointers();
        arch::context::switch(from_rsp, *to_rsp, from_fpu, to_fpu);
    }
}

/// The load averages, sampled every few seconds by the tick.
static LOAD: IrqMutex<sched::LoadAverage> = IrqMutex::new(sched::LoadAverage::new());
/// Ticks since the last load sample (the tick takes no lock in between).
static TICKS_SINCE_SAMPLE: AtomicU64 = AtomicU64::new(0);

/// The 1, 5 and 15 minute load averages, in hundredths.
pub fn load_average() -> [u64; 3] {
    LOAD.lock().centis()
}

/// The scheduler's tick; true if the CPU should switch threads.
pub fn on_tick(now: u64) -> bool {
    let (expired, runnable) = with_scheduler(|s| {
        let expired = s.on_timer_tick(CPU, now, |_, _| {}).unwrap_or(false);
        (expired || s.need_resched(CPU), s.runnable_on(CPU))
    });
    let ticks = TICKS_SINCE_SAMPLE.fetch_add(1, Ordering::Relaxed) + 1;
    if ticks >= sched::LOAD_SAMPLE_SECONDS * crate::time::HZ {
        TICKS_SINCE_SAMPLE.store(0, Ordering::Relaxed);
        LOAD.lock().sample(runnable as u64);
    }
    expired
}

/// Sets thread `id`'s priority (its nice value).
pub fn set_priority(id: ThreadId, priority: sched::Priority) -> abi::KernelResult<()> {
    let _off = InterruptsOff::new();
    let now = crate::time::now_ns();
    with_scheduler(|s| s.set_priority(id, priority, now))
}

/// Thread `id`'s priority.
pub fn priority(id: ThreadId) -> abi::KernelResult<sched::Priority> {
    let _off = InterruptsOff::new();
    with_scheduler(|s| s.priority(id))
}

/// Timer ticks this CPU spent in user mode, in the kernel, and idle
/// (`/proc/stat`'s `cpu` line).
static CPU_TICKS: [AtomicU64; 3] = [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)];

/// Charges the tick that just happened to the running thread, as user or
/// kernel time (the interrupted context decides), and to the CPU's
/// user, system or idle time.
pub fn charge_tick(user: bool) {
    let thread = current();
    let idle = IDLE
        .get()
        .is_some_and(|idle| core::ptr::eq(Arc::as_ptr(idle), thread));
    let slot = match (idle, user) {
        (true, _) => 2,
        (false, true) => 0,
        (false, false) => 1,
    };
    CPU_TICKS[slot].fetch_add(1, Ordering::Relaxed);
    thread.charge_tick(user);
}

/// Timer ticks spent in user mode, in the kernel, and idle, since boot.
pub fn cpu_ticks() -> (u64, u64, u64) {
    let load = |i: usize| CPU_TICKS[i].load(Ordering::Relaxed);
    (load(0), load(1), load(2))
}

/// Switches to whatever the scheduler picks (the tick's preemption).
pub fn preempt() {
    let _off = InterruptsOff::new();
    let now = crate::time::now_ns();
    let decision = with_scheduler(|s| s.schedule(CPU, now));
    if let Ok(decision) = decision {
        carry_out(decision);
    }
}

/// Interrupts thread `id`'s interruptible wait (signals, `exit_group`):
/// it returns `Interrupted`, and so do its later waits until cleared.
pub fn interrupt(id: ThreadId) {
    let _off = InterruptsOff::new();
    let now = crate::time::now_ns();
    with_scheduler(|s| {
        let _ = s.interrupt(id, now);
    });
}

/// Clears a pending interruption of thread `id` once its signals were
/// handled, so its next interruptible wait sleeps again.
pub fn clear_interrupt(id: ThreadId) {
    let _off = InterruptsOff::new();
    with_scheduler(|s| {
        let _ = s.clear_interrupt(id);
    });
}

/// Gives the CPU to another runnable thread, if there is one.
pub fn yield_now() {
    let _off = InterruptsOff::new();
    let now = crate::time::now_ns();
    if let Ok(decision) = with_scheduler(|s| s.yield_current(CPU, now)) {
        carry_out(decision);
    }
}

/// Sleeps until `deadline` (monotonic ns): `TimedOut` when it passed,
/// `Interrupted` when a signal cut it short.
pub fn sleep_until(deadline: u64) -> WakeReason {
    let _off = InterruptsOff::new();
    let now = crate::time::now_ns();
    let id = current_id();
    match with_scheduler(|s| s.sleep_until(CPU, deadline, now)) {
        Ok(decision) => carry_out(decision),
        Err(_) => return WakeReason::TimedOut,
    }
    with_scheduler(|s| s.take_wake_reason(id))
        .ok()
        .flatten()
        .unwrap_or(WakeReason::TimedOut)
}

/// Blocks the current thread on `queue` (called by `WaitQueue`).
pub(super) fn block_on(
    queue: WaitQueueId,
    interruptible: bool,
    deadline: Option<u64>,
) -> WakeReason {
    let id = current_id();
    let now = crate::time::now_ns();
    match with_scheduler(|s| s.wait_on(CPU, queue, interruptible, deadline, now)) {
        Ok(decision) => carry_out(decision),
        Err(error) => {
            log::error!("cannot block on {queue:?}: {error:?}");
            return WakeReason::Woken;
        }
    }
    with_scheduler(|s| s.take_wake_reason(id))
        .ok()
        .flatten()
        .unwrap_or(WakeReason::Woken)
}

fn idle_loop(_: u64) -> ! {
    loop {
        // Enable and halt atomically, so a wake-up interrupt cannot slip in
        // between and be slept through.
        interrupts::enable_and_hlt();
    }
}

fn finalizer_loop(_: u64) -> ! {
    let queue = *FINALIZER_QUEUE.get().expect("finalizer queue exists");
    loop {
        let dead: Vec<ThreadId> = {
            let _off = InterruptsOff::new();
            let dead: Vec<ThreadId> =
                with_scheduler(|s| core::iter::from_fn(|| s.take_finalizable()).collect());
            if dead.is_empty() {
                block_on(queue, false, None);
                continue;
            }
            dead
        };
        for id in dead {
            let thread = THREADS.lock().remove(&id);
            if let Some(thread) = thread {
                let _off = InterruptsOff::new();
                with_scheduler(|s| thread.release_queues(s));
            }
            // Dropping the last Arc frees the stack and context here, on
            // the finalizer's own stack.
        }
    }
}

/// Wakes the finalizer (an exiting thread calls this).
pub(super) fn wake_finalizer(s: &mut Scheduler) {
    if let Some(&queue) = FINALIZER_QUEUE.get() {
        let _ = s.wake_one(queue, crate::time::now_ns());
    }
}

/// Creates the scheduler and makes the code running now (on `stack`) the
/// first thread, "kernel_main". Interrupts stay off.
pub fn init(stack: KernelStack) {
    let now = crate::time::now_ns();
    let mut scheduler =
        Scheduler::new(1, RunQueueConfig::default()).expect("a scheduler for one CPU");
    FINALIZER_QUEUE.call_once(|| scheduler.create_wait_queue());
    *SCHEDULER.lock() = Some(scheduler);

    let main = Thread::adopt("kernel_main", stack).expect("the boot thread");
    CURRENT.store(Arc::as_ptr(&main).cast_mut(), Ordering::SeqCst);
    let main_id = main.id;
    THREADS.lock().insert(main_id, main);
    let _off = InterruptsOff::new();
    with_scheduler(|s| {
        s.spawn(main_id, sched::Priority::NORMAL, sched::CpuSet::ALL, now)
            .expect("register the boot thread");
        // Makes it the running thread (the decision names itself).
        let _ = s.schedule(CPU, now);
    });

    let idle = Thread::new_unscheduled("idle", idle_loop).expect("the idle thread");
    IDLE.call_once(|| idle);
}

/// Starts the finalizer and turns interrupts (and so preemption) on.
pub fn start() {
    super::thread::spawn_raw("finalizer", sched::Priority::NORMAL, finalizer_loop, 0)
        .expect("the finalizer thread");
    interrupts::enable();
}
