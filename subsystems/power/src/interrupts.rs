//! Where the ISA interrupt lines go on an I/O APIC: the MADT's I/O APIC
//! entries and its interrupt source overrides.
//!
//! An ISA line `n` arrives at global system interrupt `n`, active high and
//! edge triggered, unless an override says otherwise (QEMU and most boards
//! move the timer's line 0 to GSI 2). The flags are the MPS INTI flags:
//! polarity in bits 0-1 (01 high, 11 low, 00 the bus default), trigger
//! mode in bits 2-3 (01 edge, 11 level, 00 the bus default).

extern crate alloc;

use alloc::vec::Vec;

/// One I/O APIC: its registers' physical address and its first GSI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IoApicEntry {
    /// Physical address of its register window.
    pub address: u64,
    /// The global system interrupt of its first input.
    pub gsi_base: u32,
}

/// An interrupt source override for an ISA line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SourceOverride {
    /// The ISA line.
    pub irq: u8,
    /// The global system interrupt it arrives on.
    pub gsi: u32,
    /// MPS INTI flags.
    pub flags: u16,
}

/// How an ISA line reaches the I/O APICs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IsaRoute {
    /// The global system interrupt.
    pub gsi: u32,
    /// Asserted low (the ISA default is high).
    pub active_low: bool,
    /// Level triggered (the ISA default is edge).
    pub level_triggered: bool,
}

/// The route of ISA line `irq`, given the MADT's overrides.
pub fn isa_route(irq: u8, overrides: &[SourceOverride]) -> IsaRoute {
    match overrides.iter().find(|o| o.irq == irq) {
        Some(o) => IsaRoute {
            gsi: o.gsi,
            active_low: o.flags & 0b11 == 0b11,
            level_triggered: (o.flags >> 2) & 0b11 == 0b11,
        },
        None => IsaRoute {
            gsi: u32::from(irq),
            active_low: false,
            level_triggered: false,
        },
    }
}

/// The I/O APICs and ISA overrides of `madt`.
pub fn madt_interrupts(
    madt: core::pin::Pin<&acpi::madt::Madt>,
) -> (Vec<IoApicEntry>, Vec<SourceOverride>) {
    let mut io_apics = Vec::new();
    let mut overrides = Vec::new();
    for entry in madt.entries() {
        match entry {
            acpi::madt::MadtEntry::IoApic(io) => io_apics.push(IoApicEntry {
                address: u64::from(io.io_apic_address),
                gsi_base: io.global_system_interrupt_base,
            }),
            acpi::madt::MadtEntry::InterruptSourceOverride(o) if o.bus == 0 => {
                overrides.push(SourceOverride {
                    irq: o.irq,
                    gsi: o.global_system_interrupt,
                    flags: o.flags,
                })
            }
            _ => {}
        }
    }
    (io_apics, overrides)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_without_an_override_keep_their_number_high_and_edge() {
        assert_eq!(
            isa_route(4, &[]),
            IsaRoute {
                gsi: 4,
                active_low: false,
                level_triggered: false
            }
        );
    }

    #[test]
    fn overrides_move_lines_and_set_polarity_and_trigger() {
        let overrides = [
            SourceOverride {
                irq: 0,
                gsi: 2,
                flags: 0,
            },
            SourceOverride {
                irq: 9,
                gsi: 9,
                flags: 0b1111,
            },
        ];
        assert_eq!(isa_route(0, &overrides).gsi, 2);
        assert!(!isa_route(0, &overrides).active_low);
        let sci = isa_route(9, &overrides);
        assert!(sci.active_low && sci.level_triggered);
        assert_eq!(isa_route(1, &overrides).gsi, 1);
    }
}
