//! The I/O APIC: routes device interrupt lines to local APICs.
//!
//! Registers are reached through a select register (offset 0) and a data
//! window (offset 0x10) in its memory-mapped page. Input `n`'s redirection
//! entry is the 64-bit pair at registers `0x10 + 2n` (low word: vector,
//! polarity, trigger mode, mask) and `0x11 + 2n` (high word: destination
//! APIC id in bits 24-31).

use core::ptr::NonNull;

use volatile::VolatilePtr;

use crate::paging::phys_to_virt;

const REGISTER_VERSION: u32 = 0x01;
const REDIRECTION_BASE: u32 = 0x10;
const MASKED: u32 = 1 << 16;
const LEVEL_TRIGGERED: u32 = 1 << 15;
const ACTIVE_LOW: u32 = 1 << 13;

/// One I/O APIC, by the physical address of its registers.
#[derive(Clone, Copy, Debug)]
pub struct IoApic {
    base: u64,
}

impl IoApic {
    /// The I/O APIC whose register window is at physical `address`.
    ///
    /// # Safety
    /// `address` is an I/O APIC's register window (from the MADT), mapped
    /// by the direct map, and nothing else drives that I/O APIC.
    pub unsafe fn new(address: u64) -> IoApic {
        IoApic {
            base: phys_to_virt(address),
        }
    }

    fn register(&self, offset: u64) -> VolatilePtr<'static, u32> {
        let pointer = NonNull::new((self.base + offset) as *mut u32).expect("mapped");
        // SAFETY: per `new`, the window is mapped for the kernel's life and
        // its two registers are aligned 32-bit words accessed only with
        // volatile loads and stores.
        unsafe { VolatilePtr::new(pointer) }
    }

    fn read(&self, index: u32) -> u32 {
        self.register(0).write(index);
        self.register(0x10).read()
    }

    fn write(&self, index: u32, value: u32) {
        self.register(0).write(index);
        self.register(0x10).write(value);
    }

    /// How many inputs it has.
    pub fn inputs(&self) -> u32 {
        ((self.read(REGISTER_VERSION) >> 16) & 0xff) + 1
    }

    /// Masks every input.
    pub fn mask_all(&self) {
        for input in 0..self.inputs() {
            self.write(REDIRECTION_BASE + 2 * input, MASKED);
        }
    }

    /// Delivers input `input` as `vector` to the CPU with APIC id
    /// `apic_id`, with the given polarity and trigger mode, unmasked.
    pub fn route(&self, input: u32, vector: u8, apic_id: u32, active_low: bool, level: bool) {
        let mut low = u32::from(vector);
        if active_low {
            low |= ACTIVE_LOW;
        }
        if level {
            low |= LEVEL_TRIGGERED;
        }
        // Masked while the two halves change, then unmasked.
        self.write(REDIRECTION_BASE + 2 * input, low | MASKED);
        self.write(REDIRECTION_BASE + 2 * input + 1, apic_id << 24);
        self.write(REDIRECTION_BASE + 2 * input, low);
    }
}
