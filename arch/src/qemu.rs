//! QEMU's `isa-debug-exit` device: ends the emulator with a status.
//!
//! With `-device isa-debug-exit,iobase=0xf4,iosize=0x04`, writing `v` to port
//! 0xf4 makes QEMU exit with status `2v + 1`. On real hardware the write goes
//! nowhere, so [`exit`] halts afterwards.

use x86_64::instructions::port::Port;

/// I/O port of the debug-exit device, as the test runner configures it.
pub const DEBUG_EXIT_PORT: u16 = 0xf4;

/// What the kernel reports to its runner; QEMU exits with `2 * code + 1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum ExitCode {
    /// Everything passed: QEMU exits with 33.
    Success = 0x10,
    /// Something failed: QEMU exits with 35.
    Failure = 0x11,
}

/// Ends QEMU with `code`; halts forever where there is no debug-exit device.
pub fn exit(code: ExitCode) -> ! {
    try_exit(code);
    crate::cpu::halt_forever()
}

/// Ends QEMU with `code` if the debug-exit device is attached; returns
/// where it is not (plain QEMU, real machines).
pub fn try_exit(code: ExitCode) {
    let mut port = Port::<u32>::new(DEBUG_EXIT_PORT);
    // SAFETY: port 0xf4 is either QEMU's debug-exit device or unclaimed; a
    // write to an unclaimed ISA port has no effect.
    unsafe { port.write(code as u32) };
}
