//! The in-kernel tests, one module per area.

mod backtrace;
mod boot_info;
mod crash;
mod interrupts;
mod memory;
mod runtime;
mod smp;
mod threads;
