//! The 16550 UART on COM1, the kernel's console.

use core::fmt;

use spin::Mutex;
use x86_64::instructions::interrupts;
use x86_64::instructions::port::Port;

/// I/O base of COM1.
pub const COM1: u16 = 0x3f8;

const DATA: u16 = 0;
const INTERRUPT_ENABLE: u16 = 1;
const FIFO_CONTROL: u16 = 2;
const LINE_CONTROL: u16 = 3;
const MODEM_CONTROL: u16 = 4;
const LINE_STATUS: u16 = 5;
const SCRATCH: u16 = 7;

const LINE_STATUS_DATA_READY: u8 = 1 << 0;
const LINE_STATUS_TRANSMIT_EMPTY: u8 = 1 << 5;

/// One 16550-compatible UART.
#[derive(Debug)]
pub struct SerialPort {
    base: u16,
}

impl SerialPort {
    /// A port at I/O base `base`; nothing is touched until [`SerialPort::init`].
    pub const fn new(base: u16) -> Self {
        Self { base }
    }

    fn out(&self, register: u16, value: u8) {
        // SAFETY: the registers of a 16550 at `base` have no memory-safety
        // effects; at worst the write goes to an absent device.
        unsafe { Port::<u8>::new(self.base + register).write(value) }
    }

    fn inb(&self, register: u16) -> u8 {
        // SAFETY: as in `out`; reading a UART register has no memory effect.
        unsafe { Port::<u8>::new(self.base + register).read() }
    }

    /// Programs 115200 baud, 8N1, FIFOs on, device interrupts off. Returns
    /// false when no UART answers at this address.
    pub fn init(&self) -> bool {
        self.out(SCRATCH, 0x5a);
        if self.inb(SCRATCH) != 0x5a {
            return false;
        }
        self.out(INTERRUPT_ENABLE, 0x00);
        self.out(LINE_CONTROL, 0x80); // DLAB: the next two are the divisor
        self.out(DATA, 0x01); // 115200 / 1
        self.out(INTERRUPT_ENABLE, 0x00);
        self.out(LINE_CONTROL, 0x03); // 8 bits, no parity, one stop bit
        self.out(FIFO_CONTROL, 0xc7); // enable, clear, 14-byte threshold
        self.out(MODEM_CONTROL, 0x0b); // DTR, RTS, OUT2
        true
    }

    /// Sends one byte, waiting for room in the transmitter.
    pub fn send(&self, byte: u8) {
        // Bounded wait: a missing or wedged UART must not hang the kernel.
        for _ in 0..100_000 {
            if self.inb(LINE_STATUS) & LINE_STATUS_TRANSMIT_EMPTY != 0 {
                break;
            }
            core::hint::spin_loop();
        }
        self.out(DATA, byte);
    }

    /// Sends `bytes`, turning `\n` into `\r\n` as a terminal expects.
    pub fn write_bytes(&self, bytes: &[u8]) {
        for &byte in bytes {
            if byte == b'\n' {
                self.send(b'\r');
            }
            self.send(byte);
        }
    }

    /// A received byte, if one is waiting.
    pub fn try_receive(&self) -> Option<u8> {
        (self.inb(LINE_STATUS) & LINE_STATUS_DATA_READY != 0).then(|| self.inb(DATA))
    }
}

impl fmt::Write for SerialPort {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.write_bytes(s.as_bytes());
        Ok(())
    }
}

static CONSOLE: Mutex<SerialPort> = Mutex::new(SerialPort::new(COM1));

/// Initialises COM1 as the console.
pub fn init() -> bool {
    CONSOLE.lock().init()
}

/// Writes formatted text to the console, with interrupts off while the lock
/// is held so an interrupt handler that logs cannot deadlock against us.
pub fn write_fmt(args: fmt::Arguments<'_>) {
    interrupts::without_interrupts(|| {
        let mut port = CONSOLE.lock();
        let _ = fmt::Write::write_fmt(&mut *port, args);
    });
}

/// Writes raw bytes to the console.
pub fn write_bytes(bytes: &[u8]) {
    interrupts::without_interrupts(|| CONSOLE.lock().write_bytes(bytes));
}

/// A writer for the crash path that takes no lock: the lock's holder may be
/// the code that just faulted. Output may interleave; it is still better than
/// silence.
pub fn emergency_writer() -> SerialPort {
    SerialPort::new(COM1)
}

/// COM1's line on the legacy PIC.
pub const COM1_IRQ: u8 = 4;

/// Turns on the "data available" interrupt of COM1 (IRQ 4).
pub fn enable_receive_interrupt() {
    interrupts::without_interrupts(|| CONSOLE.lock().out(INTERRUPT_ENABLE, 0x01));
}

/// Every byte COM1 has received, in order, into `sink`.
pub fn drain_received(mut sink: impl FnMut(u8)) {
    let port = emergency_writer();
    while let Some(byte) = port.try_receive() {
        sink(byte);
    }
}
