//! The physical memory map: region kinds and the normalised, fixed-capacity
//! map both protocols are turned into.

use crate::error::BootInfoError;

/// Most regions a [`MemoryMap`] holds, before and after normalisation.
pub const MAX_MEMORY_REGIONS: usize = 128;

/// What a range of physical memory may be used for (E820 types, which both
/// PVH and multiboot2 use).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MemoryKind {
    /// Free RAM the kernel may allocate (type 1).
    Usable,
    /// Not RAM, or RAM the firmware keeps (type 2).
    Reserved,
    /// ACPI tables; RAM once the kernel has read them (type 3).
    AcpiReclaimable,
    /// ACPI non-volatile storage, to keep across sleep (type 4).
    AcpiNvs,
    /// RAM found defective (type 5).
    Bad,
    /// Any other type, kept so it can be logged; never used as RAM.
    Unknown(u32),
}

impl MemoryKind {
    /// The kind for an E820 type number.
    pub const fn from_e820(kind: u32) -> MemoryKind {
        match kind {
            1 => MemoryKind::Usable,
            2 => MemoryKind::Reserved,
            3 => MemoryKind::AcpiReclaimable,
            4 => MemoryKind::AcpiNvs,
            5 => MemoryKind::Bad,
            other => MemoryKind::Unknown(other),
        }
    }

    /// Which kind wins where two regions overlap: the more restrictive one,
    /// so overlapping firmware entries never make reserved memory usable.
    /// The raw number breaks ties between unknown kinds deterministically.
    const fn precedence(self) -> (u8, u32) {
        match self {
            MemoryKind::Usable => (0, 0),
            MemoryKind::AcpiReclaimable => (1, 0),
            MemoryKind::AcpiNvs => (2, 0),
            MemoryKind::Unknown(kind) => (3, kind),
            MemoryKind::Reserved => (4, 0),
            MemoryKind::Bad => (5, 0),
        }
    }
}

/// A range of physical memory and its kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryRegion {
    /// First physical address.
    pub start: u64,
    /// Length in bytes.
    pub length: u64,
    /// What the range may be used for.
    pub kind: MemoryKind,
}

impl MemoryRegion {
    /// The first address past the region (saturating at `u64::MAX`).
    pub const fn end(&self) -> u64 {
        self.start.saturating_add(self.length)
    }
}

const EMPTY_REGION: MemoryRegion = MemoryRegion {
    start: 0,
    length: 0,
    kind: MemoryKind::Reserved,
};

/// A normalised memory map: regions sorted by start, none empty, none
/// overlapping, and no two adjacent regions of the same kind.
///
/// Where input regions overlap, the more restrictive kind wins (`Bad` over
/// `Reserved` over unknown kinds over `AcpiNvs` over `AcpiReclaimable` over
/// `Usable`), like Linux's `sanitize_e820_map`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryMap {
    regions: [MemoryRegion; MAX_MEMORY_REGIONS],
    len: usize,
}

impl MemoryMap {
    /// An empty map.
    pub const fn new() -> MemoryMap {
        MemoryMap {
            regions: [EMPTY_REGION; MAX_MEMORY_REGIONS],
            len: 0,
        }
    }

    /// Normalises `raw` regions in any order, possibly overlapping, into a
    /// map. Empty regions are dropped. Fails if `raw` has more than
    /// [`MAX_MEMORY_REGIONS`] entries or the result does not fit.
    pub fn from_regions(raw: &[MemoryRegion]) -> Result<MemoryMap, BootInfoError> {
        if raw.len() > MAX_MEMORY_REGIONS {
            return Err(BootInfoError::TooManyMemoryRegions);
        }
        // Every start and end is a point where the winning kind may change;
        // between two consecutive points it is constant.
        let mut points = [0u64; 2 * MAX_MEMORY_REGIONS];
        let mut count = 0;
        for region in raw.iter().filter(|r| r.length != 0) {
            points[count] = region.start;
            points[count + 1] = region.end();
            count += 2;
        }
        let points = &mut points[..count];
        points.sort_unstable();

        let mut map = MemoryMap::new();
        for pair in points.windows(2) {
            let (start, end) = (pair[0], pair[1]);
            if start == end {
                continue;
            }
            let winner = raw
                .iter()
                .filter(|r| r.length != 0 && r.start <= start && end <= r.end())
                .map(|r| r.kind)
                .max_by_key(|kind| kind.precedence());
            if let Some(kind) = winner {
                map.append(MemoryRegion {
                    start,
                    length: end - start,
                    kind,
                })?;
            }
        }
        Ok(map)
    }

    /// Appends a region that starts at or after the end of the last one,
    /// merging it into the last one if they touch and share a kind.
    fn append(&mut self, region: MemoryRegion) -> Result<(), BootInfoError> {
        if let Some(last) = self.regions[..self.len].last_mut() {
            if last.kind == region.kind && last.end() == region.start {
                last.length += region.length;
                return Ok(());
            }
        }
        let slot = self
            .regions
            .get_mut(self.len)
            .ok_or(BootInfoError::TooManyMemoryRegions)?;
        *slot = region;
        self.len += 1;
        Ok(())
    }

    /// The regions, sorted by start.
    pub fn regions(&self) -> &[MemoryRegion] {
        &self.regions[..self.len]
    }

    /// Total bytes of [`MemoryKind::Usable`] memory.
    pub fn usable_bytes(&self) -> u64 {
        self.regions()
            .iter()
            .filter(|r| r.kind == MemoryKind::Usable)
            .map(|r| r.length)
            .fold(0, u64::saturating_add)
    }
}

impl Default for MemoryMap {
    fn default() -> Self {
        Self::new()
    }
}

/// Raw regions as a protocol lists them, collected before normalisation.
pub(crate) struct RawRegions {
    regions: [MemoryRegion; MAX_MEMORY_REGIONS],
    len: usize,
}

impl RawRegions {
    pub(crate) const fn new() -> RawRegions {
        RawRegions {
            regions: [EMPTY_REGION; MAX_MEMORY_REGIONS],
            len: 0,
        }
    }

    pub(crate) fn push(&mut self, region: MemoryRegion) -> Result<(), BootInfoError> {
        let slot = self
            .regions
            .get_mut(self.len)
            .ok_or(BootInfoError::TooManyMemoryRegions)?;
        *slot = region;
        self.len += 1;
        Ok(())
    }

    pub(crate) fn normalise(&self) -> Result<MemoryMap, BootInfoError> {
        MemoryMap::from_regions(&self.regions[..self.len])
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    fn region(start: u64, length: u64, kind: MemoryKind) -> MemoryRegion {
        MemoryRegion {
            start,
            length,
            kind,
        }
    }

    #[test]
    fn regions_come_out_sorted_by_start() {
        let map = MemoryMap::from_regions(&[
            region(0x10_0000, 0x1000, MemoryKind::Usable),
            region(0, 0x1000, MemoryKind::Reserved),
        ])
        .unwrap();
        let starts: Vec<u64> = map.regions().iter().map(|r| r.start).collect();
        assert_eq!(starts, [0, 0x10_0000]);
    }

    #[test]
    fn adjacent_regions_of_one_kind_merge() {
        let map = MemoryMap::from_regions(&[
            region(0x2000, 0x1000, MemoryKind::Usable),
            region(0x1000, 0x1000, MemoryKind::Usable),
        ])
        .unwrap();
        assert_eq!(map.regions(), [region(0x1000, 0x2000, MemoryKind::Usable)]);
    }

    #[test]
    fn adjacent_regions_of_different_kinds_stay_apart() {
        let map = MemoryMap::from_regions(&[
            region(0x1000, 0x1000, MemoryKind::Usable),
            region(0x2000, 0x1000, MemoryKind::AcpiReclaimable),
        ])
        .unwrap();
        assert_eq!(map.regions().len(), 2);
    }

    #[test]
    fn overlapping_regions_of_one_kind_merge() {
        let map = MemoryMap::from_regions(&[
            region(0, 0x3000, MemoryKind::Usable),
            region(0x2000, 0x2000, MemoryKind::Usable),
        ])
        .unwrap();
        assert_eq!(map.regions(), [region(0, 0x4000, MemoryKind::Usable)]);
    }

    #[test]
    fn reserved_hole_inside_usable_region_is_not_usable() {
        let map = MemoryMap::from_regions(&[
            region(0, 0x10000, MemoryKind::Usable),
            region(0x4000, 0x1000, MemoryKind::Reserved),
        ])
        .unwrap();
        assert_eq!(
            map.regions(),
            [
                region(0, 0x4000, MemoryKind::Usable),
                region(0x4000, 0x1000, MemoryKind::Reserved),
                region(0x5000, 0xb000, MemoryKind::Usable),
            ]
        );
        assert_eq!(map.usable_bytes(), 0xf000);
    }

    #[test]
    fn empty_regions_are_dropped() {
        let map = MemoryMap::from_regions(&[region(0x1000, 0, MemoryKind::Usable)]).unwrap();
        assert!(map.regions().is_empty());
    }

    #[test]
    fn region_reaching_the_top_of_memory_saturates() {
        let map = MemoryMap::from_regions(&[region(u64::MAX - 0xfff, 0x5000, MemoryKind::Usable)])
            .unwrap();
        assert_eq!(map.regions()[0].end(), u64::MAX);
    }

    #[test]
    fn too_many_raw_regions_is_an_error() {
        let raw: Vec<MemoryRegion> = (0..=MAX_MEMORY_REGIONS as u64)
            .map(|i| region(i * 0x2000, 0x1000, MemoryKind::Usable))
            .collect();
        assert_eq!(
            MemoryMap::from_regions(&raw),
            Err(BootInfoError::TooManyMemoryRegions)
        );
    }

    #[test]
    fn holes_that_split_past_capacity_are_an_error() {
        let mut raw = std::vec![region(0, 0x1000_0000, MemoryKind::Usable)];
        raw.extend(
            (1..MAX_MEMORY_REGIONS as u64)
                .map(|i| region(i * 0x2000, 0x1000, MemoryKind::Reserved)),
        );
        assert_eq!(
            MemoryMap::from_regions(&raw),
            Err(BootInfoError::TooManyMemoryRegions)
        );
    }

    /// The kind a correct map gives `addr`: the strictest covering input.
    fn expected_kind(raw: &[MemoryRegion], addr: u64) -> Option<MemoryKind> {
        raw.iter()
            .filter(|r| r.start <= addr && addr < r.end())
            .map(|r| r.kind)
            .max_by_key(|k| k.precedence())
    }

    fn kind_in(map: &MemoryMap, addr: u64) -> Option<MemoryKind> {
        map.regions()
            .iter()
            .find(|r| r.start <= addr && addr < r.end())
            .map(|r| r.kind)
    }

    #[test]
    fn random_maps_normalise_to_sorted_disjoint_strictest_kinds() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |bound: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % bound
        };
        let kinds = [
            MemoryKind::Usable,
            MemoryKind::Reserved,
            MemoryKind::AcpiReclaimable,
            MemoryKind::AcpiNvs,
            MemoryKind::Bad,
            MemoryKind::Unknown(7),
            MemoryKind::Unknown(12),
        ];
        for _ in 0..500 {
            let count = next(24) as usize;
            let raw: Vec<MemoryRegion> = (0..count)
                .map(|_| region(next(64) * 0x100, next(16) * 0x100, kinds[next(7) as usize]))
                .collect();
            let map = MemoryMap::from_regions(&raw).unwrap();
            for pair in map.regions().windows(2) {
                assert!(pair[0].end() <= pair[1].start, "{:?}", map.regions());
                assert!(
                    pair[0].end() != pair[1].start || pair[0].kind != pair[1].kind,
                    "unmerged neighbours in {:?}",
                    map.regions()
                );
            }
            assert!(map.regions().iter().all(|r| r.length > 0));
            // Every 0x100-aligned point (all bounds are multiples of 0x100).
            for addr in (0..80 * 0x100).step_by(0x100) {
                assert_eq!(
                    kind_in(&map, addr),
                    expected_kind(&raw, addr),
                    "at {addr:#x} of {raw:?}"
                );
            }
        }
    }
}
