//! The scheduler instance, the current thread and the context switch.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering};

use arch::percpu::MAX_CPUS;
use arch::sync::IrqMutex;
use sched::{CpuId, Decision, RunQueueConfig, ThreadId, WaitQueueId, WakeReason};
use spin::Once;
use x86_64::instructions::interrupts;

use super::thread::Thread;
use crate::memory::kstack::KernelStack;

/// CPUs the scheduler was created for (the ones found at boot, as limited
/// by `cpus=`/`nosmp`).
static CPU_COUNT: AtomicU32 = AtomicU32::new(1);

/// The scheduler, its CPUs' shares each behind a lock of their own.
pub(super) type Scheduler = sched::Scheduler<arch::sync::LocalInterrupts>;

static SCHEDULER: Once<Scheduler> = Once::new();
pub(super) static THREADS: ThreadTable = ThreadTable::new();

/// How many locks [`ThreadTable`] spreads the threads over.
const THREAD_SHARDS: usize = 64;

/// Every kernel thread by id, spread over [`THREAD_SHARDS`] locks by id:
/// every switch looks its next thread up here, and CPUs switching to
/// different threads should not meet on one lock.
pub(super) struct ThreadTable {
    shards: [IrqMutex<BTreeMap<ThreadId, Arc<Thread>>>; THREAD_SHARDS],
}

impl ThreadTable {
    const fn new() -> Self {
        ThreadTable {
            shards: [const { IrqMutex::new(BTreeMap::new()) }; THREAD_SHARDS],
        }
    }

    fn shard(&self, id: ThreadId) -> &IrqMutex<BTreeMap<ThreadId, Arc<Thread>>> {
        &self.shards[(id.0 % THREAD_SHARDS as u64) as usize]
    }

    /// The thread with id `id`, if it still exists.
    pub(super) fn get(&self, id: ThreadId) -> Option<Arc<Thread>> {
        self.shard(id).lock().get(&id).cloned()
    }

    /// Where thread `id` lives, without a reference count: valid for as
    /// long as the table holds it.
    fn pointer(&self, id: ThreadId) -> Option<*const Thread> {
        self.shard(id).lock().get(&id).map(Arc::as_ptr)
    }

    /// Adds `thread` under its id.
    pub(super) fn insert(&self, thread: Arc<Thread>) {
        self.shard(thread.id).lock().insert(thread.id, thread);
    }

    /// Takes thread `id` out.
    pub(super) fn remove(&self, id: ThreadId) -> Option<Arc<Thread>> {
        self.shard(id).lock().remove(&id)
    }

    /// Every thread, in id order within each shard.
    fn all(&self) -> Vec<Arc<Thread>> {
        self.shards
            .iter()
            .flat_map(|shard| shard.lock().values().cloned().collect::<Vec<_>>())
            .collect()
    }
}
/// Each CPU's idle thread: never in a run queue, never wanted by another
/// CPU, so a switch through it can always wait.
static IDLE: [Once<Arc<Thread>>; MAX_CPUS] = [const { Once::new() }; MAX_CPUS];
/// A thread an idle thread must switch to as soon as its CPU has left it
/// (see [`carry_out`]).
static HANDOFF: [AtomicPtr<Thread>; MAX_CPUS] =
    [const { AtomicPtr::new(core::ptr::null_mut()) }; MAX_CPUS];
/// Threads that exited and are not freed yet (see [`free_dead_threads`]).
static DEAD_THREADS: AtomicUsize = AtomicUsize::new(0);
static SWITCHES: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// The CPU running this code.
pub(super) fn this_cpu() -> CpuId {
    CpuId(arch::percpu::this_cpu())
}

/// How many CPUs the scheduler runs.
pub fn cpu_count() -> u32 {
    CPU_COUNT.load(Ordering::Relaxed)
}

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

/// Runs `f` on the scheduler (which locks what each call touches).
/// Callers hold [`InterruptsOff`] when the result is a decision they will
/// carry out.
///
/// Any other CPU the call left wanting to reschedule (a thread woken or
/// placed on its queue) gets a reschedule IPI afterwards.
pub(super) fn with_scheduler<R>(f: impl FnOnce(&Scheduler) -> R) -> R {
    let scheduler = SCHEDULER
        .get()
        .expect("the scheduler is initialised at boot");
    let result = f(scheduler);
    if cpu_count() == 1 {
        return result;
    }
    send_reschedule_ipis(scheduler.take_resched_cpus());
    result
}

/// The CPU time thread `id` has run, in nanoseconds, the slice it is
/// running now included (the scheduler's accounting at every switch, not
/// sampled ticks); 0 for a thread the scheduler no longer knows.
pub fn cpu_time_ns(id: ThreadId) -> u64 {
    let now = crate::time::now_ns();
    with_scheduler(|s| s.stats(id, now).map_or(0, |stats| stats.cpu_time_ns))
}

/// The running thread.
pub fn current() -> &'static Thread {
    let pointer = arch::percpu::current() as *const Thread;
    assert!(!pointer.is_null(), "no current thread before task::init");
    // SAFETY: this CPU's current-thread slot always points at a thread kept
    // alive by THREADS (or IDLE) for as long as it can run; a thread is
    // only freed (`free_dead_threads`) after it has switched away for good.
    unsafe { &*pointer }
}

/// [`current`] without its check for an empty slot (the system-call path,
/// where a thread always runs).
///
/// # Safety
///
/// This CPU runs a thread: [`init`] ran (on the boot CPU) or
/// [`prepare_idle`] did (on the others).
#[inline(always)]
pub unsafe fn current_unchecked() -> &'static Thread {
    let pointer = arch::percpu::current() as *const Thread;
    debug_assert!(!pointer.is_null(), "no current thread before task::init");
    // SAFETY: the slot is set (the caller says so) and points at a thread
    // kept alive as in `current`.
    unsafe { &*pointer }
}

/// The thread with id `id`, if it still exists.
pub fn thread(id: ThreadId) -> Option<Arc<Thread>> {
    THREADS.get(id)
}

/// The running thread's id.
pub(super) fn current_id() -> ThreadId {
    current().id
}

/// Runs `decide` on the scheduler and takes, in the same hold of this
/// CPU's lock, the wake reason of the thread the decision has this CPU
/// run, for [`carry_out`] to hand over.
pub(super) fn decide(
    decide: impl FnOnce(&Scheduler) -> abi::KernelResult<Decision>,
) -> abi::KernelResult<(Decision, Option<WakeReason>)> {
    with_scheduler(|s| s.resuming(this_cpu(), decide))
}

/// Carries out `decision`, handing `wake_reason` (from [`decide`]) to the
/// thread it runs, which takes it once it runs (a thread back from
/// [`block_on`] learns why without taking the scheduler lock again).
/// Interrupts must be off.
///
/// The scheduler lock is already released, so the thread chosen may still
/// be saving itself on the CPU that left it (its `on_cpu` flag is up until
/// that CPU's switch has stored its registers). Waiting for it here could
/// deadlock: that CPU may in turn wait for the thread this one runs. So a
/// CPU that finds its choice still busy first switches to its own idle
/// thread, which nobody else can want, and the idle thread waits and
/// switches on (see [`finish_handoff`]).
pub(super) fn carry_out(decision: Decision, wake_reason: Option<WakeReason>) {
    debug_assert!(!interrupts::are_enabled());
    let cpu = this_cpu();
    let idle = idle_thread(cpu);
    let next: *const Thread = match decision {
        Decision::Continue => {
            current().wake_reason.put(wake_reason);
            return;
        }
        Decision::Idle => idle,
        Decision::SwitchTo(id) => match THREADS.pointer(id) {
            Some(thread) => thread,
            None => {
                log::error!("scheduler chose unknown thread {id:?}");
                return;
            }
        },
    };
    // SAFETY: `next` is alive (see `current`); the slot is an atomic,
    // and the thread reads it only once it runs again, after this.
    unsafe { (*next).wake_reason.put(wake_reason) };
    let previous = current() as *const Thread;
    if core::ptr::eq(previous, next) {
        return;
    }
    // SAFETY: both threads are alive (see `current`).
    let next_busy = unsafe { (*next).on_cpu.load(Ordering::Acquire) };
    if next_busy && !core::ptr::eq(previous, idle) {
        HANDOFF[cpu.0 as usize].store(next.cast_mut(), Ordering::SeqCst);
        // SAFETY: as below; the idle thread is never running elsewhere.
        unsafe { switch_to(previous, idle) };
    } else {
        // SAFETY: interrupts are off, `previous` runs this code, and
        // `next` is not running (it is idle's choice to wait for it).
        unsafe { switch_to(previous, next) };
    }
    finish_handoff();
}

/// The idle thread of `cpu`.
fn idle_thread(cpu: CpuId) -> *const Thread {
    Arc::as_ptr(IDLE[cpu.0 as usize].get().expect("idle thread exists"))
}

/// Run by a thread that was just switched to: if it is its CPU's idle
/// thread and a handoff is pending, waits until the thread handed over is
/// off its old CPU and switches to it.
fn finish_handoff() {
    let cpu = this_cpu();
    let idle = idle_thread(cpu);
    loop {
        if !core::ptr::eq(current(), idle) {
            return;
        }
        let next = HANDOFF[cpu.0 as usize].swap(core::ptr::null_mut(), Ordering::SeqCst);
        if next.is_null() {
            return;
        }
        // SAFETY: the scheduler chose `next` for this CPU and it cannot be
        // freed before it has run and exited.
        unsafe { switch_to(idle, next) };
    }
}

/// Switches from `previous` (running this code) to `next`, waiting first
/// until `next` is off any other CPU.
///
/// # Safety
/// Interrupts are off; `previous` is the running thread; both are alive,
/// and `next` was chosen for this CPU by the scheduler (or is its idle
/// thread).
unsafe fn switch_to(previous: *const Thread, next: *const Thread) {
    // SAFETY: the caller's contract.
    let (previous, next) = unsafe { (&*previous, &*next) };
    while next.on_cpu.load(Ordering::Acquire) {
        arch::tlb::service_requests();
        core::hint::spin_loop();
    }
    next.on_cpu.store(true, Ordering::Relaxed);
    let held = arch::percpu::swap_preemption_count(next.preemption_off.load(Ordering::Relaxed));
    previous.preemption_off.store(held, Ordering::Relaxed);
    arch::percpu::set_current(next as *const Thread as u64);
    SWITCHES.fetch_add(1, Ordering::Relaxed);
    arch::trap::set_kernel_stack_top(next.stack_top());
    next.activate_address_space();
    if previous.is_user() || next.is_user() {
        arch::cpu::set_fs_base(next.fs_base());
    }
    // SAFETY: the context pointers belong to these two threads, `previous`
    // runs this code and `next` runs nowhere (its flag was down); the
    // switch lowers `previous`'s flag once its registers are stored.
    unsafe {
        let (from_rsp, from_fpu) = previous.context_pointers();
        let (to_rsp, to_fpu) = next.context_pointers();
        arch::context::switch(
            from_rsp,
            *to_rsp,
            from_fpu,
            to_fpu,
            previous.on_cpu.as_ptr(),
        );
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
    let cpu = this_cpu();
    let (expired, runnable) = with_scheduler(|s| {
        // The tick's answer includes a reschedule a wake-up asked for.
        let expired = s.on_timer_tick(cpu, now, |_, _| {}).unwrap_or(false);
        let runnable: usize = s.online_cpus().iter().map(|c| s.runnable_on(c)).sum();
        (expired, runnable)
    });
    if cpu != CpuId::BSP {
        return expired;
    }
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

/// Waits until `thread`, which must not be the caller, is off every CPU
/// (a thread that just blocked or stopped may still be storing its
/// registers); false if it is running or may run, so its saved state is
/// not what it will be.
pub fn settle_off_cpu(thread: &Thread) -> bool {
    loop {
        let state = {
            let _off = InterruptsOff::new();
            with_scheduler(|s| s.state(thread.id))
        };
        if matches!(
            state,
            Some(sched::ThreadState::Running | sched::ThreadState::Runnable)
        ) {
            return false;
        }
        if !thread.on_cpu.load(Ordering::Acquire) {
            return true;
        }
        core::hint::spin_loop();
    }
}

/// Thread `id`'s affinity mask.
pub fn affinity(id: ThreadId) -> abi::KernelResult<sched::CpuSet> {
    let _off = InterruptsOff::new();
    with_scheduler(|s| s.affinity(id))
}

/// Restricts thread `id` to the CPUs of `affinity`. The caller moves at
/// once if its own CPU is no longer allowed (another thread moves when its
/// CPU next reschedules, which the IPI asks for).
pub fn set_affinity(id: ThreadId, affinity: sched::CpuSet) -> abi::KernelResult<()> {
    let _off = InterruptsOff::new();
    let now = crate::time::now_ns();
    let cpu = this_cpu();
    with_scheduler(|s| s.set_affinity(id, affinity, now))?;
    if id == current_id() && !affinity.contains(cpu) {
        if let Ok((decision, reason)) = decide(|s| s.schedule(cpu, now)) {
            carry_out(decision, reason);
        }
    }
    Ok(())
}

/// Thread `id`'s priority.
pub fn priority(id: ThreadId) -> abi::KernelResult<sched::Priority> {
    let _off = InterruptsOff::new();
    with_scheduler(|s| s.priority(id))
}

/// Timer ticks each CPU spent in user mode, in the kernel, and idle
/// (`/proc/stat`'s `cpuN` lines).
static CPU_TICKS: [[AtomicU64; 3]; MAX_CPUS] =
    [const { [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)] }; MAX_CPUS];

/// Charges the tick that just happened to the running thread, as user or
/// kernel time (the interrupted context decides), and to this CPU's
/// user, system or idle time.
pub fn charge_tick(user: bool) {
    let thread = current();
    let cpu = this_cpu();
    let idle = core::ptr::eq(idle_thread(cpu), thread);
    let slot = match (idle, user) {
        (true, _) => 2,
        (false, true) => 0,
        (false, false) => 1,
    };
    CPU_TICKS[cpu.0 as usize][slot].fetch_add(1, Ordering::Relaxed);
    thread.charge_tick(user);
}

/// Timer ticks CPU `cpu` spent in user mode, in the kernel, and idle,
/// since boot.
pub fn cpu_ticks(cpu: u32) -> (u64, u64, u64) {
    let Some(ticks) = CPU_TICKS.get(cpu as usize) else {
        return (0, 0, 0);
    };
    let load = |i: usize| ticks[i].load(Ordering::Relaxed);
    (load(0), load(1), load(2))
}

/// Switches to whatever the scheduler picks (the tick's preemption, a
/// reschedule IPI).
pub fn preempt() {
    if arch::percpu::preemption_count() > 0
        && arch::percpu::defer_preemption() < MAX_DEFERRED_PREEMPTIONS
    {
        // It holds a lock other CPUs may spin on: it switches when it lets
        // go (the scheduler still wants the switch).
        return;
    }
    arch::percpu::clear_deferred_preemptions();
    let _off = InterruptsOff::new();
    let now = crate::time::now_ns();
    if let Ok((decision, reason)) = decide(|s| s.schedule(this_cpu(), now)) {
        carry_out(decision, reason);
    }
}

/// Kernel preemption around the subsystem crates' spin locks (the `lock`
/// crate's, and the process crate's ranked ones built on it): a holder the
/// tick would preempt keeps its CPU until its last such lock is free, then
/// switches, so other CPUs do not spin through a whole time slice of a
/// descheduled holder.
struct LockPreemption;

/// How many preemptions a lock holder may defer before it is preempted
/// anyway (two ticks: far longer than any lock is held). Every subsystem
/// crate's spin lock defers, so no thread this CPU could switch to holds
/// one; the bound only keeps a holder that waits for something another
/// thread of this CPU must do (a bug) from waiting forever.
const MAX_DEFERRED_PREEMPTIONS: u32 = 2;

// The count is the CPU's (a thread's own travels with it through
// `switch_to`): one add or subtract on `gs`, no locked instruction. Every
// lock and unlock of every subsystem crate calls these two, so they are
// the instructions themselves, not Rust functions around them.
impl LockPreemption {
    /// The running thread takes a lock. Also a compiler barrier (a call),
    /// so the count changes before the lock is taken.
    #[unsafe(naked)]
    extern "C" fn disable() {
        core::arch::naked_asm!(
            "add dword ptr gs:[{count}], 1",
            "ret",
            count = const arch::percpu::PREEMPTION_OFF,
        )
    }

    /// The running thread let a lock go: when that was its last one and
    /// the tick deferred a preemption meanwhile, the preemption happens
    /// now ([`LockPreemption::deferred`]). The deferred count is read only
    /// when the lock count reached zero.
    #[unsafe(naked)]
    extern "C" fn enable() {
        core::arch::naked_asm!(
            "sub dword ptr gs:[{count}], 1",
            "jnz 2f",
            "cmp dword ptr gs:[{deferred}], 0",
            "jne {slow}",
            "2:",
            "ret",
            count = const arch::percpu::PREEMPTION_OFF,
            deferred = const arch::percpu::DEFERRED_OFF,
            slow = sym LockPreemption::deferred,
        )
    }

    /// The last lock went and a preemption was deferred: it happens now,
    /// unless interrupts are off (the holder of an `IrqMutex` switches
    /// when the tick comes back).
    extern "C" fn deferred() {
        if interrupts::are_enabled() {
            preempt();
        }
    }

    /// The hooks the `lock` crate calls.
    const HOOKS: lock::PreemptionHooks = lock::PreemptionHooks {
        disable: LockPreemption::disable,
        enable: LockPreemption::enable,
    };
}

/// Reschedule requests already sent and not yet answered, one bit per
/// CPU, so a burst of wake-ups sends one IPI.
static RESCHEDULE_SENT: AtomicU64 = AtomicU64::new(0);

/// Sends a reschedule IPI to every CPU of `wanted` but this one (after a
/// wake-up, a spawn or an affinity change placed a thread there).
fn send_reschedule_ipis(wanted: sched::CpuSet) {
    let me = this_cpu();
    for cpu in wanted.iter().filter(|&cpu| cpu != me) {
        let bit = 1u64 << cpu.0;
        if RESCHEDULE_SENT.fetch_or(bit, Ordering::SeqCst) & bit != 0 {
            continue;
        }
        if let Some(local) = arch::percpu::cpu(cpu.0) {
            arch::apic::send_ipi(local.apic_id(), RESCHEDULE_VECTOR);
        }
    }
}

/// The vector of reschedule IPIs.
pub const RESCHEDULE_VECTOR: u8 = 0xf2;

/// The reschedule IPI's handler: acknowledges it and reschedules.
pub fn on_reschedule_ipi() {
    arch::apic::end_of_interrupt();
    RESCHEDULE_SENT.fetch_and(!(1u64 << this_cpu().0), Ordering::SeqCst);
    preempt();
}

/// Interrupts thread `id`'s interruptible wait (signals, `exit_group`):
/// it returns `Interrupted`, and so do its later waits until cleared.
pub fn interrupt(id: ThreadId) {
    // A thread interrupting itself is not waiting: no lock, no wake (see
    // `sched::InterruptRequest`), and interrupts may stay on: the request
    // is one atomic `or`, into which a handler's own request also goes.
    if id == current_id() {
        current().interrupt.defer();
        return;
    }
    interrupt_other(id);
}

/// [`interrupt`] of a thread other than the current one: out of line, so
/// the common self-interruption needs no stack frame.
#[inline(never)]
fn interrupt_other(id: ThreadId) {
    let _off = InterruptsOff::new();
    let thread = THREADS.get(id);
    let now = crate::time::now_ns();
    with_scheduler(|s| {
        let _ = s.interrupt(id, now);
        if let Some(thread) = &thread {
            thread.interrupt.note_in_scheduler();
        }
    });
}

/// Where the scheduler has thread `id` (`None` once it is gone).
pub fn state(id: ThreadId) -> Option<sched::ThreadState> {
    let _off = InterruptsOff::new();
    with_scheduler(|s| s.state(id))
}

/// Starts the hung-task detector (Linux's `khungtaskd`): every tenth of
/// `timeout_s`, it reports user threads that have waited uninterruptibly
/// (where no signal, not even `SIGKILL`, can reach them) for longer than
/// `timeout_s`, and dumps every thread once per finding.
pub fn start_hung_task_detector(timeout_s: u64) -> abi::KernelResult<()> {
    let timeout = timeout_s.max(1) * 1_000_000_000;
    super::thread::spawn("khungtaskd", sched::Priority::NORMAL, move || {
        let mut reported: Vec<(ThreadId, u64)> = Vec::new();
        loop {
            sleep_until(crate::time::now_ns() + timeout / 10);
            let now = crate::time::now_ns();
            let hung = {
                let _off = InterruptsOff::new();
                with_scheduler(|s| s.blocked_uninterruptibly_since(now.saturating_sub(timeout)))
            };
            let mut found = false;
            for &(id, since) in &hung {
                let user = THREADS
                    .get(id)
                    .and_then(|t| t.user_link().map(|l| (l.process.pid(), l.thread.tid())));
                let Some((pid, tid)) = user else { continue };
                if reported.contains(&(id, since)) {
                    continue;
                }
                log::warn!(
                    "hung task: pid {pid} tid {tid} has waited uninterruptibly for {} s",
                    (now - since) / 1_000_000_000
                );
                found = true;
            }
            reported = hung;
            if found {
                dump_threads();
            }
        }
    })
    .map(|_| ())
}

/// Logs every thread with what the scheduler has it doing, for a
/// debugger to call on a machine that seems stuck (`call
/// courage::task::dump_threads()` in gdb attached to QEMU's `-s`).
pub fn dump_threads() {
    let _off = InterruptsOff::new();
    let threads = THREADS.all();
    for thread in threads {
        let state = with_scheduler(|s| s.state(thread.id));
        let (pid, tid) = thread
            .user_link()
            .map_or((0, 0), |link| (link.process.pid(), link.thread.tid()));
        log::warn!(
            "thread {:?} {} pid {pid} tid {tid}: {state:?}",
            thread.id,
            thread.name
        );
    }
}

/// Clears a pending interruption of thread `id` once its signals were
/// handled, so its next interruptible wait sleeps again.
pub fn clear_interrupt(id: ThreadId) {
    // The current thread's own request is one atomic swap (see
    // `interrupt`); the scheduler's flag, if set, needs its lock.
    if id == current_id() && !current().interrupt.clear() {
        return;
    }
    clear_interrupt_slow(id);
}

/// [`clear_interrupt`] of another thread, or of the current one whose
/// request reached the scheduler: out of line, as in `interrupt`.
#[inline(never)]
fn clear_interrupt_slow(id: ThreadId) {
    let _off = InterruptsOff::new();
    let in_scheduler = id == current_id()
        || THREADS
            .get(id)
            .is_none_or(|thread| thread.interrupt.clear());
    if in_scheduler {
        with_scheduler(|s| {
            let _ = s.clear_interrupt(id);
        });
    }
}

/// Before the current thread blocks interruptibly: a request it deferred
/// on itself goes to the scheduler, so the block returns at once.
fn hand_over_deferred_interrupt(s: &Scheduler, now: u64) {
    let thread = current();
    if thread.interrupt.take_deferred() {
        let _ = s.interrupt(thread.id, now);
    }
}

/// A thread about to give up its CPU of its own accord must hold none of
/// the subsystem crates' spin locks: whoever spins on one meanwhile (on
/// any CPU) waits for this thread to run again, and the thread that would
/// wake this one may be that spinner (Linux's "scheduling while atomic").
/// Nor may it have interrupts off: it holds an `IrqMutex` (the frame
/// allocator's, the heap's, a thread's address-space slot), or it is an
/// interrupt handler, which has no thread of its own to put to sleep (as
/// Linux's `might_sleep` checks `irqs_disabled()` too).
/// A bug in the kernel, never in a user program: debug builds (every test
/// run) stop at it, release builds report it once.
fn check_may_sleep(what: &str) {
    let held = arch::percpu::preemption_count();
    let interrupts_on = interrupts::are_enabled();
    if held == 0 && interrupts_on {
        return;
    }
    report_sleep_in_atomic(what, held, interrupts_on);
}

#[cold]
#[inline(never)]
fn report_sleep_in_atomic(what: &str, held: u32, interrupts_on: bool) {
    let off = if interrupts_on {
        ""
    } else {
        ", interrupts off"
    };
    if cfg!(debug_assertions) {
        panic!("{what} with {held} spin lock(s) held{off}");
    }
    static REPORTED: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);
    if !REPORTED.swap(true, Ordering::Relaxed) {
        log::error!("{what} with {held} spin lock(s) held{off} (reported once)");
    }
}

/// Gives the CPU to another runnable thread, if there is one.
pub fn yield_now() {
    check_may_sleep("yield");
    let _off = InterruptsOff::new();
    let now = crate::time::now_ns();
    if let Ok((decision, reason)) = decide(|s| s.yield_current(this_cpu(), now)) {
        carry_out(decision, reason);
    }
}

/// Sleeps until `deadline` (monotonic ns): `TimedOut` when it passed,
/// `Interrupted` when a signal cut it short.
pub fn sleep_until(deadline: u64) -> WakeReason {
    check_may_sleep("sleep");
    let _off = InterruptsOff::new();
    let now = crate::time::now_ns();
    match decide(|s| {
        hand_over_deferred_interrupt(s, now);
        s.sleep_until(this_cpu(), deadline, now)
    }) {
        Ok((decision, reason)) => carry_out(decision, reason),
        Err(_) => return WakeReason::TimedOut,
    }
    current().wake_reason.take().unwrap_or(WakeReason::TimedOut)
}

/// Blocks the current thread on `queue` (called by `WaitQueue`), unless
/// `still_waiting`, asked once the thread is in the queue where every
/// waker looks, says the reason to wait is gone: a wake on another CPU
/// between a caller's check and its sleep is then never lost (see
/// `sched::Scheduler::wait_on_unless`).
pub(super) fn block_on(
    queue: WaitQueueId,
    interruptible: bool,
    deadline: Option<u64>,
    still_waiting: impl FnOnce() -> bool,
) -> WakeReason {
    check_may_sleep("blocking");
    let _off = InterruptsOff::new();
    let now = crate::time::now_ns();
    let cpu = this_cpu();
    let decision = with_scheduler(|s| {
        if interruptible {
            hand_over_deferred_interrupt(s, now);
        }
        s.resuming(cpu, |s| {
            s.wait_on_unless(cpu, queue, interruptible, deadline, now, still_waiting)
        })
    });
    match decision {
        Ok((None, _)) => return WakeReason::Woken,
        Ok((Some(decision), reason)) => carry_out(decision, reason),
        Err(error) => {
            log::error!("cannot block on {queue:?}: {error:?}");
            return WakeReason::Woken;
        }
    }
    // Handed over by the CPU that resumed this thread (see `carry_out`).
    current().wake_reason.take().unwrap_or(WakeReason::Woken)
}

fn idle_loop(_: u64) -> ! {
    loop {
        interrupts::disable();
        finish_handoff();
        // Run whatever was queued here (or can be pulled from a busier
        // CPU) before sleeping.
        let now = crate::time::now_ns();
        if let Ok((decision, reason)) = decide(|s| s.schedule(this_cpu(), now)) {
            carry_out(decision, reason);
        }
        // Enable and halt atomically, so a wake-up interrupt cannot slip in
        // between and be slept through.
        interrupts::enable_and_hlt();
    }
}

/// Frees every thread that has exited and that its CPU has switched away
/// from: its stack, its saved context and its hold on its process. A
/// thread calls this holding no lock, before it spawns another and before
/// it exits, so at most about one dead thread per CPU waits to be freed
/// and no thread of its own does the freeing. (Linux frees a dead task's
/// stack in the next task's `finish_task_switch`; here the drop of the
/// process link may take sleeping locks, so it runs in a thread's own
/// context.)
pub fn free_dead_threads() {
    while DEAD_THREADS.load(Ordering::Acquire) > 0 {
        let taken = {
            let _off = InterruptsOff::new();
            with_scheduler(|s| s.take_finalizable())
        };
        // Counted at exit, queued when its CPU switched away: in between,
        // another CPU is still leaving it.
        let Some(id) = taken else { return };
        if let Some(thread) = THREADS.remove(id) {
            // The CPU it exited on may still be storing its registers.
            while thread.on_cpu.load(Ordering::Acquire) {
                core::hint::spin_loop();
            }
            {
                let _off = InterruptsOff::new();
                with_scheduler(|s| thread.release_queues(s));
            }
            // The last `Arc` (unless a join handle holds it) frees the
            // stack here, with interrupts on.
            drop(thread);
        }
        DEAD_THREADS.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Threads that exited and are not freed yet.
pub fn dead_threads() -> usize {
    DEAD_THREADS.load(Ordering::Acquire)
}

/// Counts an exiting thread among the dead to free (the thread calls this
/// on its way out, in the scheduler lock hold that queues it for freeing).
pub(super) fn thread_died() {
    DEAD_THREADS.fetch_add(1, Ordering::AcqRel);
}

/// Creates the scheduler for `cpu_count` CPUs (only the boot CPU online
/// until the others report in through [`cpu_online`]) and makes the code
/// running now (on `stack`) the first thread, "kernel_main". Interrupts
/// stay off.
pub fn init(stack: KernelStack, cpu_count: u32) {
    let now = crate::time::now_ns();
    let cpu_count = cpu_count.clamp(1, MAX_CPUS as u32);
    let scheduler =
        Scheduler::new(cpu_count, RunQueueConfig::default()).expect("a scheduler for every CPU");
    scheduler.set_online_cpus(sched::CpuSet::single(CpuId::BSP).expect("CPU 0 exists"));
    SCHEDULER.call_once(|| scheduler);
    CPU_COUNT.store(cpu_count, Ordering::SeqCst);

    let main = Thread::adopt("kernel_main", stack).expect("the boot thread");
    arch::percpu::set_current(Arc::as_ptr(&main) as u64);
    let main_id = main.id;
    THREADS.insert(main);
    let _off = InterruptsOff::new();
    with_scheduler(|s| {
        s.spawn(main_id, sched::Priority::NORMAL, sched::CpuSet::ALL, now)
            .expect("register the boot thread");
        // Makes it the running thread (the decision names itself).
        let _ = s.schedule(CpuId::BSP, now);
    });

    let idle = Thread::new_unscheduled("idle", idle_loop).expect("the idle thread");
    IDLE[0].call_once(|| idle);
    lock::set_preemption_hooks(LockPreemption::HOOKS);
}

/// The idle thread of an application processor, adopting `stack`, the
/// stack it will start on. The CPU runs it from its first instruction.
pub fn prepare_idle(cpu: u32, stack: KernelStack) -> abi::KernelResult<u64> {
    let idle = Thread::adopt("idle", stack)?;
    let pointer = Arc::as_ptr(&idle) as u64;
    IDLE[cpu as usize].call_once(|| idle);
    Ok(pointer)
}

/// Run by an application processor at the end of its bring-up, on its
/// idle thread: joins the scheduler and idles (running whatever the
/// scheduler gives it) forever.
pub fn cpu_online(cpu: u32, idle: u64) -> ! {
    arch::percpu::set_current(idle);
    {
        let _off = InterruptsOff::new();
        with_scheduler(|s| s.add_online_cpu(CpuId(cpu)));
    }
    idle_loop(0)
}

/// Turns interrupts (and so preemption) on.
pub fn start() {
    interrupts::enable();
}
