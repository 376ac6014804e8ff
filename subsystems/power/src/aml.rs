//! The sleep-state packages of the DSDT (`\_S0` .. `\_S5`), read straight
//! from the AML byte stream.
//!
//! A sleep package is declared `Name (_S5, Package () { a, b, ... })`: in
//! AML a `NameOp` (0x08), the name, a `PackageOp` (0x12), a package length,
//! an element count and the elements, each an integer constant. Its first
//! two elements are the `SLP_TYP` values for the PM1a and PM1b control
//! registers (ACPI 6.5 §7.4.2).

/// `NameOp`.
const NAME_OP: u8 = 0x08;
/// `PackageOp`.
const PACKAGE_OP: u8 = 0x12;
/// The root prefix `\`.
const ROOT_CHAR: u8 = b'\\';

/// The `SLP_TYP` values for one sleep state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SleepType {
    /// Written to `SLP_TYP` of the PM1a control register.
    pub pm1a: u8,
    /// Written to `SLP_TYP` of the PM1b control register, if there is one.
    pub pm1b: u8,
}

/// Finds `Name (_Sn, Package ...)` for sleep state `state` (0 to 5) in the
/// AML stream `aml` (a DSDT or SSDT without its header) and returns its
/// first two elements. `None` if the package is absent, malformed, or not
/// made of integer constants (a DSDT computing it in a method).
pub fn sleep_type(aml: &[u8], state: u8) -> Option<SleepType> {
    if state > 5 {
        return None;
    }
    let name = [b'_', b'S', b'0' + state, b'_'];
    let mut at = 0;
    while let Some(offset) = find(&aml[at..], &name) {
        let start = at + offset;
        at = start + 1;
        if !declared_by_name_op(aml, start) {
            continue;
        }
        if let Some(found) = package(&aml[start + name.len()..]) {
            return Some(found);
        }
    }
    None
}

/// Whether the name at `start` follows a `NameOp`, directly or through the
/// root prefix.
fn declared_by_name_op(aml: &[u8], start: usize) -> bool {
    match start {
        0 => false,
        1 => aml[0] == NAME_OP,
        _ => {
            aml[start - 1] == NAME_OP || (aml[start - 1] == ROOT_CHAR && aml[start - 2] == NAME_OP)
        }
    }
}

/// Decodes `PackageOp PkgLength NumElements a b ...` at the start of `aml`.
fn package(aml: &[u8]) -> Option<SleepType> {
    let (&op, rest) = aml.split_first()?;
    if op != PACKAGE_OP {
        return None;
    }
    let (length, header) = package_length(rest)?;
    // The length counts itself and everything after it in the package.
    let body = rest.get(header..length)?;
    let (&count, mut elements) = body.split_first()?;
    if count < 2 {
        return None;
    }
    let (pm1a, used) = integer(elements)?;
    elements = &elements[used..];
    let (pm1b, _) = integer(elements)?;
    Some(SleepType {
        pm1a: pm1a as u8,
        pm1b: pm1b as u8,
    })
}

/// Decodes a `PkgLength`: returns the length it encodes and the bytes the
/// encoding itself took (ACPI 6.5 §20.2.4).
fn package_length(aml: &[u8]) -> Option<(usize, usize)> {
    let lead = *aml.first()?;
    let follow = usize::from(lead >> 6);
    if follow == 0 {
        return Some((usize::from(lead & 0x3f), 1));
    }
    let mut length = usize::from(lead & 0x0f);
    for i in 0..follow {
        length |= usize::from(*aml.get(1 + i)?) << (4 + 8 * i);
    }
    Some((length, 1 + follow))
}

/// Decodes an integer constant: returns its value and the bytes it took.
fn integer(aml: &[u8]) -> Option<(u64, usize)> {
    let (&op, rest) = aml.split_first()?;
    let little_endian = |width: usize| -> Option<(u64, usize)> {
        let bytes = rest.get(..width)?;
        let value = bytes
            .iter()
            .rev()
            .fold(0u64, |value, &byte| (value << 8) | u64::from(byte));
        Some((value, 1 + width))
    };
    match op {
        0x00 => Some((0, 1)),        // ZeroOp
        0x01 => Some((1, 1)),        // OneOp
        0xff => Some((u64::MAX, 1)), // OnesOp
        0x0a => little_endian(1),    // BytePrefix
        0x0b => little_endian(2),    // WordPrefix
        0x0c => little_endian(4),    // DWordPrefix
        0x0e => little_endian(8),    // QWordPrefix
        _ => None,
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    extern crate alloc;
    use alloc::vec;

    use super::*;

    /// `Name (_S5, Package (0x04) { 0x05, 0x05, Zero, Zero })` as iasl
    /// compiles it.
    const S5_BYTES: [u8; 14] = [
        0x08, b'_', b'S', b'5', b'_', 0x12, 0x08, 0x04, 0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00,
    ];

    #[test]
    fn byte_prefixed_values_are_read() {
        let mut aml = [0x10u8, 0x20, 0x30].to_vec();
        aml.extend_from_slice(&S5_BYTES);
        assert_eq!(sleep_type(&aml, 5), Some(SleepType { pm1a: 5, pm1b: 5 }));
    }

    #[test]
    fn zero_and_one_ops_and_the_root_prefix_are_read() {
        // QEMU's q35 DSDT: `Name (\_S5, Package (0x04) { Zero, Zero, Zero, Zero })`.
        let aml = [
            0x08, b'\\', b'_', b'S', b'5', b'_', 0x12, 0x06, 0x04, 0x00, 0x01, 0x00, 0x00,
        ];
        assert_eq!(sleep_type(&aml, 5), Some(SleepType { pm1a: 0, pm1b: 1 }));
    }

    #[test]
    fn other_states_are_told_apart() {
        let mut aml = vec![
            0x08, b'_', b'S', b'3', b'_', 0x12, 0x06, 0x04, 0x01, 0x01, 0x00, 0x00,
        ];
        aml.extend_from_slice(&S5_BYTES);
        assert_eq!(sleep_type(&aml, 3), Some(SleepType { pm1a: 1, pm1b: 1 }));
        assert_eq!(sleep_type(&aml, 5), Some(SleepType { pm1a: 5, pm1b: 5 }));
        assert_eq!(sleep_type(&aml, 4), None);
        assert_eq!(sleep_type(&aml, 6), None);
    }

    #[test]
    fn a_reference_to_the_name_is_not_its_declaration() {
        // `Return (_S5_)` inside a method (ReturnOp 0xa4), then the real one.
        let mut aml = vec![0xa4, b'_', b'S', b'5', b'_'];
        aml.extend_from_slice(&S5_BYTES);
        assert_eq!(sleep_type(&aml, 5), Some(SleepType { pm1a: 5, pm1b: 5 }));
    }

    #[test]
    fn a_method_or_truncated_package_is_absent() {
        // `Method (_S5, ...)` is MethodOp 0x14, not NameOp.
        assert_eq!(
            sleep_type(&[0x14, b'_', b'S', b'5', b'_', 0x12, 0x04], 5),
            None
        );
        // Package cut off before its second element.
        assert_eq!(sleep_type(&S5_BYTES[..10], 5), None);
        // Package whose elements are not constants (a name reference).
        let aml = [
            0x08, b'_', b'S', b'5', b'_', 0x12, 0x0b, 0x02, b'S', b'L', b'P', b'A', b'S', b'L',
            b'P', b'B',
        ];
        assert_eq!(sleep_type(&aml, 5), None);
        assert_eq!(sleep_type(&[], 5), None);
    }

    #[test]
    fn multi_byte_package_lengths_and_wide_integers_decode() {
        // PkgLength 0x4_8 with one following byte: (0x01 << 4) | 0x8 = 24.
        let mut aml = vec![0x08, b'_', b'S', b'5', b'_', 0x12, 0x48, 0x01, 0x02];
        aml.extend_from_slice(&[0x0c, 0x07, 0, 0, 0, 0x0b, 0x06, 0x00]);
        aml.resize(6 + 24, 0xa3);
        assert_eq!(sleep_type(&aml, 5), Some(SleepType { pm1a: 7, pm1b: 6 }));
        assert_eq!(package_length(&[0x48, 0x01]), Some((24, 2)));
        assert_eq!(package_length(&[0x8f, 0xff, 0x01]), Some((0x1fff, 3)));
    }
}
