//! Hardware registers as the FADT names them, and the one trait a reuser
//! implements to reach them.

/// Which bus a [`Register`] sits on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressSpace {
    /// An I/O port (`in`/`out` on x86).
    SystemIo,
    /// Physical memory.
    SystemMemory,
}

/// A fixed hardware register: where it is and how wide an access is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Register {
    /// The bus.
    pub space: AddressSpace,
    /// Port number or physical address.
    pub address: u64,
    /// Access width in bytes: 1, 2 or 4.
    pub width: u8,
}

impl Register {
    /// An I/O port register `width` bytes wide.
    pub const fn port(port: u16, width: u8) -> Register {
        Register {
            space: AddressSpace::SystemIo,
            address: port as u64,
            width,
        }
    }

    /// Converts an ACPI generic address. `None` for an absent register
    /// (address 0) or one on a bus other than ports and memory (PCI
    /// configuration space, embedded controller, ...).
    pub fn from_generic(address: &acpi::address::GenericAddress) -> Option<Register> {
        use acpi::address::{AccessSize, AddressSpace as Space};
        if address.address == 0 {
            return None;
        }
        let space = match address.address_space {
            Space::SystemIo => AddressSpace::SystemIo,
            Space::SystemMemory => AddressSpace::SystemMemory,
            _ => return None,
        };
        let width = match address.access_size {
            AccessSize::ByteAccess => 1,
            AccessSize::WordAccess => 2,
            AccessSize::DWordAccess | AccessSize::QWordAccess => 4,
            // ACPI 1.0 style: the width comes from the register's bit width.
            AccessSize::Undefined => match address.bit_width {
                0..=8 => 1,
                9..=16 => 2,
                _ => 4,
            },
        };
        Some(Register {
            space,
            address: address.address,
            width,
        })
    }
}

/// Register access, supplied by the kernel that uses this crate.
///
/// Accesses are `width` bytes wide, zero-extended into and truncated from
/// `u32`. An implementation must not fail: an address nothing answers reads
/// all ones and ignores writes, as the bus does.
pub trait RegisterIo {
    /// Reads `register`.
    fn read(&mut self, register: Register) -> u32;
    /// Writes `value` to `register`.
    fn write(&mut self, register: Register, value: u32);
    /// Waits about `microseconds` without sleeping (the machine may be
    /// half shut down).
    fn pause(&mut self, microseconds: u32);
}
