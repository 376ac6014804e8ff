//! The 8254 programmable interval timer, used as a reference clock to
//! calibrate the TSC and the APIC timer.

use x86_64::instructions::port::Port;

fn inb(port: u16) -> u8 {
    // SAFETY: PIT and keyboard-controller ports have no memory effects.
    unsafe { Port::<u8>::new(port).read() }
}

fn outb(port: u16, value: u8) {
    // SAFETY: as in `inb`.
    unsafe { Port::<u8>::new(port).write(value) }
}

/// Busy-waits `microseconds` (at most about 54 ms) on PIT channel 2, the
/// one gated through port 0x61, without using interrupts.
pub fn busy_wait_us(microseconds: u64) {
    let count = sched::pit_count_for_ns(microseconds * 1000).unwrap_or(u16::MAX);
    // Gate channel 2 on, speaker off.
    let control = inb(0x61);
    outb(0x61, (control & !0x02) | 0x01);
    // Channel 2, lobyte/hibyte, mode 0 (interrupt on terminal count).
    outb(0x43, 0b1011_0000);
    outb(0x42, count as u8);
    outb(0x42, (count >> 8) as u8);
    // Restart the count by toggling the gate.
    let control = inb(0x61) & !0x01;
    outb(0x61, control);
    outb(0x61, control | 0x01);
    // Bit 5 of port 0x61 follows channel 2's output, high at terminal count.
    for _ in 0..100_000_000u64 {
        if inb(0x61) & 0x20 != 0 {
            break;
        }
        core::hint::spin_loop();
    }
}

/// Programs channel 0 to interrupt `hz` times a second (IRQ 0), the
/// fallback tick when there is no local APIC.
pub fn start_periodic(hz: u64) {
    let divisor = sched::pit_divisor_for_hz(hz).unwrap_or(u16::MAX);
    outb(0x43, 0b0011_0100); // channel 0, lobyte/hibyte, rate generator
    outb(0x40, divisor as u8);
    outb(0x40, (divisor >> 8) as u8);
}
