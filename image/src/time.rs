//! Time: the monotonic clock (the TSC, calibrated against the PIT), the wall
//! clock (the CMOS RTC read at boot), and the periodic tick (the local APIC
//! timer, or the PIT when there is no APIC).

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use arch::sync::IrqMutex;
use sched::{Timespec, TscClock, WallClock};
use spin::Once;

/// Timer interrupts per second.
pub const HZ: u64 = 250;
/// Nanoseconds between ticks.
pub const TICK_NS: u64 = 1_000_000_000 / HZ;
/// The PIC line of the PIT, when it is the tick.
const PIT_LINE: u8 = 0;
/// The vector the PIT's line arrives on.
pub const PIT_VECTOR: u8 = arch::pic::PRIMARY_VECTOR_BASE + PIT_LINE;

static CLOCK: Once<TscClock> = Once::new();
static WALL: IrqMutex<Option<WallClock>> = IrqMutex::new(None);
static TICKS: AtomicU64 = AtomicU64::new(0);
static HANDLER_CYCLES: AtomicU64 = AtomicU64::new(0);
static USING_APIC: AtomicBool = AtomicBool::new(false);

/// Calibrates the clocks, reads the RTC and starts the tick (interrupts
/// stay off until the scheduler enables them).
pub fn init() {
    let features = arch::cpu::Features::detect();
    let apic = arch::apic::init(&features);
    let tsc_start = arch::cpu::rdtsc();
    let apic_ticks_10ms = if apic {
        arch::apic::measure_timer_ticks(|| arch::pit::busy_wait_us(10_000))
    } else {
        arch::pit::busy_wait_us(10_000);
        0
    };
    let tsc_end = arch::cpu::rdtsc();
    let tsc_hz = sched::calibrate(tsc_end - tsc_start, 10_000_000).unwrap_or(1_000_000_000);
    let clock = *CLOCK.call_once(|| {
        TscClock::new(tsc_start, tsc_hz).unwrap_or_else(|_| {
            TscClock::new(tsc_start, 1_000_000_000).expect("1 GHz is a valid rate")
        })
    });
    let now = clock.now_ns(arch::cpu::rdtsc());
    let registers = arch::rtc::read();
    let unix = registers
        .decode()
        .and_then(|date| date.to_unix_seconds())
        .unwrap_or(0);
    *WALL.lock() = Some(WallClock::from_rtc(unix, now));

    if apic && apic_ticks_10ms > 0 {
        let per_tick = (u64::from(apic_ticks_10ms) * 100 / HZ).max(1);
        let per_tick = per_tick.min(u64::from(u32::MAX)) as u32;
        APIC_TICKS_PER_TICK.store(per_tick, Ordering::SeqCst);
        arch::apic::start_periodic(per_tick);
        USING_APIC.store(true, Ordering::SeqCst);
    } else {
        arch::pit::start_periodic(HZ);
        arch::pic::unmask(PIT_LINE);
    }
    let date = sched::unix_seconds_to_date(unix).ok();
    log::info!(
        "time: TSC {}.{:03} GHz{}, tick {} Hz from the {}, wall clock {}",
        tsc_hz / 1_000_000_000,
        tsc_hz / 1_000_000 % 1000,
        if features.invariant_tsc {
            " (invariant)"
        } else {
            ""
        },
        HZ,
        if apic { "local APIC timer" } else { "PIT" },
        date.map_or_else(
            || alloc::string::String::from("unknown"),
            |d| alloc::format!(
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
                d.year,
                d.month,
                d.day,
                d.hour,
                d.minute,
                d.second
            )
        )
    );
}

/// APIC timer counts per tick, as calibrated on the boot CPU (every CPU's
/// timer runs at the same rate).
static APIC_TICKS_PER_TICK: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(0);

/// Starts this application processor's tick, at the boot CPU's rate.
/// False if the machine ticks from the PIT (then only the boot CPU
/// ticks, and the others run until they block or get an IPI).
pub fn start_secondary_tick() -> bool {
    let per_tick = APIC_TICKS_PER_TICK.load(Ordering::SeqCst);
    if per_tick == 0 {
        return false;
    }
    arch::apic::start_periodic(per_tick);
    true
}

/// The TSC's rate in kHz (for `/proc/cpuinfo`).
pub fn tsc_khz() -> u64 {
    CLOCK.get().map_or(0, |clock| clock.rate().hz() / 1000)
}

/// Nanoseconds since boot (monotonic).
pub fn now_ns() -> u64 {
    CLOCK
        .get()
        .map_or(0, |clock| clock.now_ns(arch::cpu::rdtsc()))
}

/// What the vDSO needs to read the clocks in user mode: the TSC at
/// monotonic zero, the TSC's ns-per-tick factor and the wall clock's
/// offset (`None` before `init`, or when out of the vDSO's range).
pub fn vdso_clock() -> Option<(u64, u64, Option<i64>)> {
    let clock = CLOCK.get()?;
    let offset = WALL.lock().as_ref().map(WallClock::offset_ns);
    Some((
        clock.tsc_at_boot(),
        clock.mult(),
        offset.and_then(|o| i64::try_from(o).ok()),
    ))
}

/// Sets the wall-clock time (`clock_settime`, `settimeofday`).
pub fn set_realtime(now: Timespec) -> abi::KernelResult<()> {
    let monotonic = now_ns();
    let mut wall = WALL.lock();
    let clock = wall.get_or_insert_with(|| WallClock::from_rtc(0, monotonic));
    clock.set(now, monotonic)?;
    // Under the lock, so two setters publish in the order they set.
    crate::userland::vdso::set_wall_offset(i64::try_from(clock.offset_ns()).ok());
    drop(wall);
    log::info!("time: the wall clock was set to {} s", now.sec);
    Ok(())
}

/// The wall-clock time (`CLOCK_REALTIME`).
pub fn realtime() -> Timespec {
    let now = now_ns();
    WALL.lock()
        .as_ref()
        .map_or_else(|| Timespec::from_nanos(now), |wall| wall.now(now))
}

/// Timer interrupts so far.
pub fn ticks() -> u64 {
    TICKS.load(Ordering::Relaxed)
}

/// Average TSC cycles spent in the tick handler (for the figures).
pub fn average_tick_cycles() -> u64 {
    HANDLER_CYCLES.load(Ordering::Relaxed) / ticks().max(1)
}

/// Wait queues to wake at a monotonic time (timer descriptors), keyed by
/// the time and the queue's address so one expiry is kept once.
static QUEUE_WAKES: IrqMutex<
    alloc::collections::BTreeMap<(u64, usize), alloc::sync::Weak<dyn fs::WaitQueue>>,
> = IrqMutex::new(alloc::collections::BTreeMap::new());

/// The clocks and expiry wakes of timer descriptors.
pub struct KernelTimerClock;

impl fs::timerfd::TimerClock for KernelTimerClock {
    fn now(&self, clock: i32) -> u64 {
        match clock {
            fs::timerfd::CLOCK_REALTIME | fs::timerfd::CLOCK_REALTIME_ALARM => {
                let wall = realtime();
                (wall.sec.max(0) as u64)
                    .saturating_mul(1_000_000_000)
                    .saturating_add(wall.nsec.max(0) as u64)
            }
            _ => now_ns(),
        }
    }

    fn wake_at(&self, deadline_ns: u64, queue: &alloc::sync::Arc<dyn fs::WaitQueue>) {
        let key = (
            deadline_ns,
            alloc::sync::Arc::as_ptr(queue) as *const u8 as usize,
        );
        QUEUE_WAKES
            .lock()
            .insert(key, alloc::sync::Arc::downgrade(queue));
    }
}

/// Wakes the queues whose time has come (from the tick).
fn wake_due_queues(now: u64) {
    loop {
        let due = {
            let mut wakes = QUEUE_WAKES.lock();
            match wakes.first_key_value() {
                Some((&(deadline, _), _)) if deadline <= now => wakes.pop_first(),
                _ => None,
            }
        };
        let Some((_, queue)) = due else { break };
        if let Some(queue) = queue.upgrade() {
            queue.wake_all();
        }
    }
}

/// The tick: acknowledge it, then let the scheduler run timers and maybe
/// preempt (which may switch threads before this returns).
pub fn on_timer_interrupt(from_user: bool) {
    let start = arch::cpu::rdtsc();
    if USING_APIC.load(Ordering::Relaxed) {
        arch::apic::end_of_interrupt();
    } else {
        arch::pic::end_of_interrupt(PIT_LINE);
    }
    crate::task::charge_tick(from_user);
    crate::userland::lifecycle::request_fold_if_due();
    // Every CPU ticks; the machine-wide chores are the boot CPU's.
    if arch::percpu::this_cpu() == 0 {
        TICKS.fetch_add(1, Ordering::Relaxed);
        wake_due_queues(now_ns());
        crate::logger::wake_readers();
    }
    let preempt = crate::task::on_tick(now_ns());
    HANDLER_CYCLES.fetch_add(arch::cpu::rdtsc() - start, Ordering::Relaxed);
    if preempt {
        crate::task::preempt();
    }
}
