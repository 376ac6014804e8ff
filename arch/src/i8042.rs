//! The PS/2 controller (Intel 8042): the keyboard on its first port,
//! interrupting on IRQ 1 with scan code set 1 (the controller translates
//! the keyboard's set 2).

use x86_64::instructions::port::Port;

const DATA: u16 = 0x60;
const STATUS_COMMAND: u16 = 0x64;
/// Status: a byte is waiting in the output buffer.
const OUTPUT_FULL: u8 = 1 << 0;
/// Status: the controller has not taken the last byte written.
const INPUT_FULL: u8 = 1 << 1;
/// Status: the waiting byte came from the second (mouse) port.
const FROM_AUX: u8 = 1 << 5;

const READ_CONFIG: u8 = 0x20;
const WRITE_CONFIG: u8 = 0x60;
const DISABLE_AUX: u8 = 0xa7;
const ENABLE_KEYBOARD: u8 = 0xae;
const DISABLE_KEYBOARD: u8 = 0xad;
const SELF_TEST: u8 = 0xaa;
const SELF_TEST_PASSED: u8 = 0x55;

/// Configuration byte: interrupt on keyboard data.
const CONFIG_KEYBOARD_IRQ: u8 = 1 << 0;
/// Configuration byte: interrupt on mouse data.
const CONFIG_AUX_IRQ: u8 = 1 << 1;
/// Configuration byte: keyboard clock off.
const CONFIG_KEYBOARD_CLOCK_OFF: u8 = 1 << 4;
/// Configuration byte: translate set 2 to set 1.
const CONFIG_TRANSLATE: u8 = 1 << 6;

/// The keyboard's line on the legacy PIC.
pub const KEYBOARD_IRQ: u8 = 1;

/// Bounded polls for the controller, so a missing one cannot hang boot.
const POLLS: usize = 100_000;

fn status() -> u8 {
    // SAFETY: reading the 8042 status port has no side effects.
    unsafe { Port::<u8>::new(STATUS_COMMAND).read() }
}

fn read_data() -> u8 {
    // SAFETY: reading the data port takes the byte the controller offers.
    unsafe { Port::<u8>::new(DATA).read() }
}

fn wait_writable() -> bool {
    (0..POLLS).any(|_| status() & INPUT_FULL == 0)
}

fn wait_readable() -> bool {
    (0..POLLS).any(|_| status() & OUTPUT_FULL != 0)
}

fn command(byte: u8) -> bool {
    if !wait_writable() {
        return false;
    }
    // SAFETY: a documented 8042 controller command.
    unsafe { Port::<u8>::new(STATUS_COMMAND).write(byte) };
    true
}

fn write_data(byte: u8) -> bool {
    if !wait_writable() {
        return false;
    }
    // SAFETY: the argument byte of the command just sent.
    unsafe { Port::<u8>::new(DATA).write(byte) };
    true
}

fn flush() {
    for _ in 0..64 {
        if status() & OUTPUT_FULL == 0 {
            break;
        }
        read_data();
    }
}

/// Sets the controller up for the keyboard: mouse off, translation and the
/// keyboard interrupt on. Returns whether a working controller answered
/// (many newer machines have none; the floating bus reads 0xff).
pub fn init() -> bool {
    if status() == 0xff {
        return false;
    }
    if !command(DISABLE_KEYBOARD) || !command(DISABLE_AUX) {
        return false;
    }
    flush();
    if !command(READ_CONFIG) || !wait_readable() {
        return false;
    }
    let config = read_data();
    // The self test may reset the configuration on some controllers:
    // test first, configure after.
    if !command(SELF_TEST) || !wait_readable() || read_data() != SELF_TEST_PASSED {
        return false;
    }
    let config = (config | CONFIG_KEYBOARD_IRQ | CONFIG_TRANSLATE)
        & !(CONFIG_AUX_IRQ | CONFIG_KEYBOARD_CLOCK_OFF);
    if !command(WRITE_CONFIG) || !write_data(config) {
        return false;
    }
    command(ENABLE_KEYBOARD) && {
        flush();
        true
    }
}

/// Takes every keyboard byte waiting (mouse bytes are dropped); for the
/// IRQ 1 handler.
pub fn drain_scancodes(mut each: impl FnMut(u8)) {
    for _ in 0..64 {
        let status = status();
        if status & OUTPUT_FULL == 0 {
            break;
        }
        let byte = read_data();
        if status & FROM_AUX == 0 {
            each(byte);
        }
    }
}
