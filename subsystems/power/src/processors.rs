//! Which processors to start: the MADT's local APIC entries, filtered.
//!
//! The firmware lists every processor slot; a slot is usable when its
//! "enabled" flag is set, or its "online capable" flag (ACPI 6.3) says it
//! can be started. The boot processor comes first in the result whatever
//! its place in the table, duplicates are dropped, and `limit` (the
//! `cpus=` option) caps the count.

extern crate alloc;

use alloc::vec::Vec;

/// Local APIC flag: the processor is usable now.
const ENABLED: u32 = 1 << 0;
/// Local APIC flag: the processor can be brought online.
const ONLINE_CAPABLE: u32 = 1 << 1;

/// One processor entry of the MADT: its local APIC id and flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcessorEntry {
    /// The local APIC id (the destination of its IPIs).
    pub apic_id: u32,
    /// The entry's flags.
    pub flags: u32,
}

/// The APIC ids of the processors to run on: `boot` first, then every
/// usable entry in table order, at most `limit` in all (at least the boot
/// processor, even when the table does not list it).
pub fn usable_processors(
    entries: impl IntoIterator<Item = ProcessorEntry>,
    boot: u32,
    limit: usize,
) -> Vec<u32> {
    let mut ids = alloc::vec![boot];
    for entry in entries {
        if ids.len() >= limit.max(1) {
            break;
        }
        if entry.flags & (ENABLED | ONLINE_CAPABLE) == 0 || ids.contains(&entry.apic_id) {
            continue;
        }
        ids.push(entry.apic_id);
    }
    ids
}

/// The processor entries of `madt` (local APIC and local x2APIC entries).
pub fn madt_entries(madt: core::pin::Pin<&acpi::madt::Madt>) -> Vec<ProcessorEntry> {
    madt.entries()
        .filter_map(|entry| match entry {
            acpi::madt::MadtEntry::LocalApic(apic) => Some(ProcessorEntry {
                apic_id: u32::from(apic.apic_id),
                flags: apic.flags,
            }),
            acpi::madt::MadtEntry::LocalX2Apic(apic) => Some(ProcessorEntry {
                apic_id: apic.x2apic_id,
                flags: apic.flags,
            }),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(apic_id: u32, flags: u32) -> ProcessorEntry {
        ProcessorEntry { apic_id, flags }
    }

    #[test]
    fn the_boot_processor_comes_first_and_disabled_slots_are_skipped() {
        let table = [
            entry(1, 1),
            entry(0, 1),
            entry(2, 0),
            entry(3, 2),
            entry(1, 1),
        ];
        assert_eq!(usable_processors(table, 0, 64), [0, 1, 3]);
    }

    #[test]
    fn the_limit_caps_the_count_but_keeps_the_boot_processor() {
        let table = [entry(0, 1), entry(1, 1), entry(2, 1), entry(3, 1)];
        assert_eq!(usable_processors(table, 0, 2), [0, 1]);
        assert_eq!(usable_processors(table, 2, 1), [2]);
        assert_eq!(usable_processors(table, 2, 0), [2]);
    }

    #[test]
    fn an_empty_table_still_runs_the_boot_processor() {
        assert_eq!(usable_processors([], 5, 4), [5]);
    }
}
