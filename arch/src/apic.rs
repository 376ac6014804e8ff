//! The local APIC (xAPIC, memory-mapped) and its timer.
//!
//! The timer is calibrated once against the PIT ([`crate::pit`]), then runs
//! periodically at the rate the kernel asks for. Interrupts are
//! acknowledged with [`end_of_interrupt`].

use core::sync::atomic::{AtomicU64, Ordering};

use core::ptr::NonNull;

use volatile::VolatilePtr;
use x86_64::registers::model_specific::Msr;

use crate::paging::phys_to_virt;

/// Vector of the local APIC timer.
pub const TIMER_VECTOR: u8 = 48;
/// Vector of spurious APIC interrupts (never acknowledged).
pub const SPURIOUS_VECTOR: u8 = 0xff;

const IA32_APIC_BASE: u32 = 0x1b;
const REGISTER_ID: u64 = 0x20;
const REGISTER_EOI: u64 = 0xb0;
const REGISTER_ICR_LOW: u64 = 0x300;
const REGISTER_ICR_HIGH: u64 = 0x310;
const ICR_DELIVERY_PENDING: u32 = 1 << 12;
const ICR_LEVEL_ASSERT: u32 = 1 << 14;
const ICR_INIT: u32 = 0b101 << 8;
const ICR_STARTUP: u32 = 0b110 << 8;
const REGISTER_SPURIOUS: u64 = 0xf0;
const REGISTER_LVT_TIMER: u64 = 0x320;
const REGISTER_TIMER_INITIAL: u64 = 0x380;
const REGISTER_TIMER_CURRENT: u64 = 0x390;
const REGISTER_TIMER_DIVIDE: u64 = 0x3e0;
const TIMER_PERIODIC: u32 = 1 << 17;
const LVT_MASKED: u32 = 1 << 16;
const DIVIDE_BY_16: u32 = 0b0011;

static BASE: AtomicU64 = AtomicU64::new(0);

/// The 32-bit register at `offset` in the APIC page.
fn register(offset: u64) -> VolatilePtr<'static, u32> {
    let address = (BASE.load(Ordering::Relaxed) + offset) as *mut u32;
    let pointer = NonNull::new(address).expect("the local APIC is mapped before use");
    // SAFETY: BASE is the direct-mapped APIC page (set by `init`), mapped
    // for the kernel's lifetime; APIC registers are aligned 32-bit words
    // that must be accessed with volatile loads and stores, which is all
    // `VolatilePtr` does.
    unsafe { VolatilePtr::new(pointer) }
}

fn read(offset: u64) -> u32 {
    register(offset).read()
}

fn write(offset: u64, value: u32) {
    register(offset).write(value)
}

/// Enables the local APIC (software-enable bit, spurious vector). Returns
/// false if the CPU has none.
pub fn init(features: &crate::cpu::Features) -> bool {
    if !features.apic {
        return false;
    }
    // SAFETY: IA32_APIC_BASE exists on every CPU with an APIC.
    let base = unsafe { Msr::new(IA32_APIC_BASE).read() } & 0x000f_ffff_ffff_f000;
    BASE.store(phys_to_virt(base), Ordering::Relaxed);
    write(REGISTER_SPURIOUS, (1 << 8) | u32::from(SPURIOUS_VECTOR));
    write(REGISTER_LVT_TIMER, LVT_MASKED);
    true
}

/// Enables this CPU's local APIC at the address the boot CPU found (an
/// application processor's half of [`init`]).
pub fn init_secondary() {
    write(REGISTER_SPURIOUS, (1 << 8) | u32::from(SPURIOUS_VECTOR));
    write(REGISTER_LVT_TIMER, LVT_MASKED);
}

/// This CPU's local APIC id.
pub fn id() -> u32 {
    read(REGISTER_ID) >> 24
}

/// Writes the interrupt command register: destination `apic_id`, then
/// the command (which sends), and waits until the APIC accepted it.
fn send_command(apic_id: u32, command: u32) {
    // The two writes must not be split by an interrupt handler that sends
    // its own IPI.
    let were_enabled = x86_64::instructions::interrupts::are_enabled();
    x86_64::instructions::interrupts::disable();
    write(REGISTER_ICR_HIGH, apic_id << 24);
    write(REGISTER_ICR_LOW, command);
    while read(REGISTER_ICR_LOW) & ICR_DELIVERY_PENDING != 0 {
        core::hint::spin_loop();
    }
    if were_enabled {
        x86_64::instructions::interrupts::enable();
    }
}

/// Sends the fixed interrupt `vector` to the CPU with APIC id `apic_id`.
pub fn send_ipi(apic_id: u32, vector: u8) {
    send_command(apic_id, u32::from(vector));
}

/// Sends a non-maskable interrupt to every other CPU (the crash path's
/// way to stop them, even those spinning with interrupts off).
pub fn send_nmi_to_others() {
    const ICR_NMI: u32 = 0b100 << 8;
    const ICR_ALL_BUT_SELF: u32 = 0b11 << 18;
    if BASE.load(Ordering::Relaxed) == 0 {
        return;
    }
    send_command(0, ICR_NMI | ICR_LEVEL_ASSERT | ICR_ALL_BUT_SELF);
}

/// Sends an INIT IPI (the first step of starting an application
/// processor).
pub fn send_init(apic_id: u32) {
    send_command(apic_id, ICR_INIT | ICR_LEVEL_ASSERT);
}

/// Sends a STARTUP IPI: the CPU starts in real mode at physical address
/// `page << 12`.
pub fn send_startup(apic_id: u32, page: u8) {
    send_command(apic_id, ICR_STARTUP | ICR_LEVEL_ASSERT | u32::from(page));
}

/// Acknowledges the interrupt being handled.
pub fn end_of_interrupt() {
    write(REGISTER_EOI, 0);
}

/// Counts APIC timer ticks (divide by 16) over `duration` measured by
/// `wait`, which must busy-wait for a known time.
pub fn measure_timer_ticks(wait: impl FnOnce()) -> u32 {
    write(REGISTER_TIMER_DIVIDE, DIVIDE_BY_16);
    write(REGISTER_LVT_TIMER, LVT_MASKED);
    write(REGISTER_TIMER_INITIAL, u32::MAX);
    wait();
    let elapsed = u32::MAX - read(REGISTER_TIMER_CURRENT);
    write(REGISTER_TIMER_INITIAL, 0);
    elapsed
}

/// Starts the periodic timer: an interrupt every `ticks` timer ticks.
pub fn start_periodic(ticks: u32) {
    write(REGISTER_TIMER_DIVIDE, DIVIDE_BY_16);
    write(REGISTER_LVT_TIMER, TIMER_PERIODIC | u32::from(TIMER_VECTOR));
    write(REGISTER_TIMER_INITIAL, ticks.max(1));
}
