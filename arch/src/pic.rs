//! The legacy 8259 programmable interrupt controllers.
//!
//! Firmware (SeaBIOS) leaves them mapped over the exception vectors 8..15,
//! so a timer tick would look like a double fault. Courage remaps them to
//! vectors 32..47 and masks every line; the APIC takes over interrupts later.

use x86_64::instructions::port::Port;

/// First vector of the primary PIC after remapping.
pub const PRIMARY_VECTOR_BASE: u8 = 32;
/// First vector of the secondary PIC after remapping.
pub const SECONDARY_VECTOR_BASE: u8 = 40;

const PRIMARY_COMMAND: u16 = 0x20;
const PRIMARY_DATA: u16 = 0x21;
const SECONDARY_COMMAND: u16 = 0xa0;
const SECONDARY_DATA: u16 = 0xa1;

fn outb(port: u16, value: u8) {
    // SAFETY: the 8259 ports have no memory-safety effects; the sequence
    // below is the standard initialisation.
    unsafe { Port::<u8>::new(port).write(value) };
    // A write to the unused port 0x80 gives the old PIC time to settle.
    // SAFETY: port 0x80 is the POST diagnostic port, harmless to write.
    unsafe { Port::<u8>::new(0x80).write(0) };
}

/// Remaps both PICs to vectors 32..47 and masks all 16 lines.
pub fn remap_and_mask() {
    outb(PRIMARY_COMMAND, 0x11); // ICW1: init, expect ICW4
    outb(SECONDARY_COMMAND, 0x11);
    outb(PRIMARY_DATA, PRIMARY_VECTOR_BASE); // ICW2: vector base
    outb(SECONDARY_DATA, SECONDARY_VECTOR_BASE);
    outb(PRIMARY_DATA, 4); // ICW3: secondary on line 2
    outb(SECONDARY_DATA, 2);
    outb(PRIMARY_DATA, 0x01); // ICW4: 8086 mode
    outb(SECONDARY_DATA, 0x01);
    outb(PRIMARY_DATA, 0xff); // mask everything
    outb(SECONDARY_DATA, 0xff);
}

/// Unmasks `line` (0..16) on the PICs, e.g. 0 for the PIT.
pub fn unmask(line: u8) {
    // SAFETY: reading and writing the mask registers has no memory effects.
    unsafe {
        if line < 8 {
            let mut port = Port::<u8>::new(PRIMARY_DATA);
            let mask = port.read();
            port.write(mask & !(1 << line));
        } else {
            let mut port = Port::<u8>::new(SECONDARY_DATA);
            let mask = port.read();
            port.write(mask & !(1 << (line - 8)));
            let mut primary = Port::<u8>::new(PRIMARY_DATA);
            let mask = primary.read();
            primary.write(mask & !(1 << 2));
        }
    }
}

/// Acknowledges an interrupt on `line`.
pub fn end_of_interrupt(line: u8) {
    if line >= 8 {
        outb(SECONDARY_COMMAND, 0x20);
    }
    outb(PRIMARY_COMMAND, 0x20);
}
