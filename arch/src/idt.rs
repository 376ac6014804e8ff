//! The interrupt descriptor table: all 256 vectors point at the stubs in
//! [`crate::trap`], so an unexpected vector is reported instead of triple
//! faulting.

use bit_field::BitField;
use spin::Once;
use x86_64::instructions::tables::lidt;
use x86_64::structures::DescriptorTablePointer;
use x86_64::{PrivilegeLevel, VirtAddr};

use crate::gdt::{IST_DOUBLE_FAULT, IST_INTERRUPT, IST_NMI};
use crate::trap;

/// Number of vectors.
pub const VECTOR_COUNT: usize = 256;
/// Vector of the non-maskable interrupt.
pub const NMI: u8 = 2;
/// Vector of the breakpoint exception (`int3`).
pub const BREAKPOINT: u8 = 3;
/// Vector of the double fault.
pub const DOUBLE_FAULT: u8 = 8;
/// Vector of the page fault.
pub const PAGE_FAULT: u8 = 14;

/// One 16-byte gate descriptor, in the layout the CPU reads.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
struct Gate {
    offset_low: u16,
    selector: u16,
    ist: u8,
    type_attributes: u8,
    offset_middle: u16,
    offset_high: u32,
    reserved: u32,
}

const INTERRUPT_GATE: u8 = 0x0e;
const PRESENT: u8 = 0x80;

impl Gate {
    fn new(handler: u64, selector: u16, ist_slot: usize, caller: PrivilegeLevel) -> Self {
        Self {
            offset_low: handler.get_bits(0..16) as u16,
            selector,
            // The descriptor counts IST entries from 1; 0 means "no IST".
            ist: ist_slot as u8 + 1,
            type_attributes: PRESENT | ((caller as u8) << 5) | INTERRUPT_GATE,
            offset_middle: handler.get_bits(16..32) as u16,
            offset_high: handler.get_bits(32..64) as u32,
            reserved: 0,
        }
    }
}

#[repr(C, align(16))]
struct Table([Gate; VECTOR_COUNT]);

static IDT: Once<Table> = Once::new();

/// Builds the IDT and loads it. Needs [`crate::gdt::init`] first.
pub fn init() {
    let code = crate::gdt::selectors()
        .expect("the GDT is loaded before the IDT")
        .kernel_code
        .0;
    let table = IDT.call_once(|| {
        let mut gates = [Gate::default(); VECTOR_COUNT];
        for (vector, gate) in gates.iter_mut().enumerate() {
            let ist = match vector as u8 {
                DOUBLE_FAULT => IST_DOUBLE_FAULT,
                NMI => IST_NMI,
                _ => IST_INTERRUPT,
            };
            // Ring 3 may raise only the breakpoint (int3) itself; every other
            // `int n` from user mode becomes #GP, as on Linux.
            let caller = if vector as u8 == BREAKPOINT {
                PrivilegeLevel::Ring3
            } else {
                PrivilegeLevel::Ring0
            };
            *gate = Gate::new(trap::stub_address(vector), code, ist, caller);
        }
        Table(gates)
    });
    let pointer = DescriptorTablePointer {
        limit: (core::mem::size_of::<Table>() - 1) as u16,
        base: VirtAddr::new(table as *const Table as u64),
    };
    // SAFETY: the table is static, fully initialised, and every gate points
    // at a stub in `trap` that follows the interrupt-frame protocol.
    unsafe { lidt(&pointer) };
}
