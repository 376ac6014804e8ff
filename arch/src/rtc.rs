//! The CMOS real-time clock: wall-clock time at boot.
//!
//! This module only reads the registers (consistently: it repeats until two
//! reads outside an update agree); `sched::RtcRegisters::decode` turns them
//! into a date, with BCD, 12-hour and century handling tested on the host.

use sched::RtcRegisters;
use x86_64::instructions::port::Port;

fn cmos(register: u8) -> u8 {
    // SAFETY: ports 0x70/0x71 select and read CMOS registers; bit 7 of the
    // index keeps NMIs disabled, which is harmless for the short read.
    unsafe {
        Port::<u8>::new(0x70).write(0x80 | register);
        Port::<u8>::new(0x71).read()
    }
}

fn update_in_progress() -> bool {
    cmos(0x0a) & 0x80 != 0
}

fn snapshot() -> [u8; 6] {
    [
        cmos(0x00),
        cmos(0x02),
        cmos(0x04),
        cmos(0x07),
        cmos(0x08),
        cmos(0x09),
    ]
}

/// The clock's registers, read consistently.
pub fn read() -> RtcRegisters {
    let mut last = [0xff; 6];
    for _ in 0..1000 {
        while update_in_progress() {
            core::hint::spin_loop();
        }
        let now = snapshot();
        if now == last {
            break;
        }
        last = now;
    }
    let [seconds, minutes, hours, day, month, year] = last;
    RtcRegisters {
        seconds,
        minutes,
        hours,
        day,
        month,
        year,
        century: None,
        status_b: cmos(0x0b),
    }
}
