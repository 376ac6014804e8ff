//! The ACPI root pointer (RSDP), validated and copied.

use crate::memory_reader::{Physical, PhysicalMemoryReader, le_u32, le_u64};

/// Size of an ACPI 1.0 RSDP.
pub const RSDP_V1_SIZE: usize = 20;
/// Size of an ACPI 2.0+ RSDP.
pub const RSDP_V2_SIZE: usize = 36;

/// The fields of a validated RSDP, copied so they survive the kernel reusing
/// the memory the boot loader kept them in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rsdp {
    /// ACPI revision field (0 for ACPI 1.0, 2 for 2.0 and later).
    pub revision: u8,
    /// OEM identifier.
    pub oem_id: [u8; 6],
    /// Physical address of the RSDT.
    pub rsdt_address: u32,
    /// Physical address of the XSDT, when revision >= 2 and the extended
    /// checksum is valid.
    pub xsdt_address: Option<u64>,
}

impl Rsdp {
    /// Validates and decodes an RSDP from `bytes` (20 or more bytes).
    /// Returns `None` if the signature or the ACPI 1.0 checksum is wrong.
    /// The XSDT address is kept only if the extended part is present and
    /// its checksum is right.
    pub fn parse(bytes: &[u8]) -> Option<Rsdp> {
        let v1 = bytes.get(..RSDP_V1_SIZE)?;
        if &v1[..8] != b"RSD PTR " || checksum(v1) != 0 {
            return None;
        }
        let mut oem_id = [0; 6];
        oem_id.copy_from_slice(&v1[9..15]);
        let revision = v1[15];
        let xsdt_address = match bytes.get(..RSDP_V2_SIZE) {
            Some(v2) if revision >= 2 && checksum(v2) == 0 => Some(le_u64(v2, 24)),
            _ => None,
        };
        Some(Rsdp {
            revision,
            oem_id,
            rsdt_address: le_u32(v1, 16),
            xsdt_address,
        })
    }
}

/// Reads and validates the RSDP at `addr`: the ACPI 2.0 size if readable,
/// else the ACPI 1.0 size. `None` if unreadable or invalid.
pub(crate) fn read_rsdp<M: PhysicalMemoryReader + ?Sized>(
    phys: &Physical<'_, M>,
    addr: u64,
) -> Option<Rsdp> {
    if let Ok(bytes) = phys.array::<RSDP_V2_SIZE>(addr) {
        return Rsdp::parse(&bytes);
    }
    let bytes = phys.array::<RSDP_V1_SIZE>(addr).ok()?;
    Rsdp::parse(&bytes)
}

fn checksum(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0u8, |sum, &b| sum.wrapping_add(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rsdp_v2(xsdt: u64) -> [u8; RSDP_V2_SIZE] {
        let mut b = [0u8; RSDP_V2_SIZE];
        b[..8].copy_from_slice(b"RSD PTR ");
        b[9..15].copy_from_slice(b"BOCHS ");
        b[15] = 2;
        b[16..20].copy_from_slice(&0x7fe_0000u32.to_le_bytes());
        b[20..24].copy_from_slice(&36u32.to_le_bytes());
        b[24..32].copy_from_slice(&xsdt.to_le_bytes());
        b[8] = 0u8.wrapping_sub(checksum(&b[..20]));
        b[32] = 0u8.wrapping_sub(checksum(&b));
        b
    }

    #[test]
    fn valid_v2_rsdp_gives_rsdt_and_xsdt() {
        let rsdp = Rsdp::parse(&rsdp_v2(0x7fe_1000)).unwrap();
        assert_eq!(rsdp.revision, 2);
        assert_eq!(&rsdp.oem_id, b"BOCHS ");
        assert_eq!(rsdp.rsdt_address, 0x7fe_0000);
        assert_eq!(rsdp.xsdt_address, Some(0x7fe_1000));
    }

    #[test]
    fn bad_v1_checksum_is_rejected() {
        let mut b = rsdp_v2(0);
        b[8] = b[8].wrapping_add(1);
        assert_eq!(Rsdp::parse(&b), None);
    }

    #[test]
    fn bad_extended_checksum_drops_only_the_xsdt() {
        let mut b = rsdp_v2(0x1000);
        b[32] = b[32].wrapping_add(1);
        let rsdp = Rsdp::parse(&b).unwrap();
        assert_eq!(rsdp.xsdt_address, None);
        assert_eq!(rsdp.rsdt_address, 0x7fe_0000);
    }

    #[test]
    fn wrong_signature_is_rejected() {
        let mut b = rsdp_v2(0);
        b[0] = b'X';
        assert_eq!(Rsdp::parse(&b), None);
    }
}
