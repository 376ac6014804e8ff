//! Time arithmetic: the TSC, the PIT, the CMOS real-time clock, wall-clock
//! time and `timespec`. Pure functions of the values the hardware gave.

mod pit;
mod rtc;
mod tsc;
mod wall;

pub use abi::{NANOS_PER_SEC, Timespec};
pub use pit::{PIT_HZ, pit_count_for_ns, pit_count_to_ns, pit_divisor_for_hz};
pub use rtc::{DateTime, RtcRegisters, bcd_to_binary, date_to_unix_seconds, unix_seconds_to_date};
pub use tsc::{
    TSC_MULT_SHIFT, TickRate, TscClock, calibrate, invariant_tsc, tsc_hz_from_cpuid_15h,
};
pub use wall::WallClock;
