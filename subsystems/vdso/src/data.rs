//! The data page: what the vDSO's code reads to tell the time.
//!
//! The monotonic clock is `((tsc - tsc_at_boot) * tsc_mult) >> TSC_SHIFT`
//! nanoseconds, with a 128-bit product: the kernel's own clock must use the
//! same formula (and the same numbers) so that a time read through the
//! vDSO and one read through a system call never run backwards against
//! each other. The wall clock is the monotonic clock plus `wall_offset`.
//!
//! Writers follow a sequence lock ([`SequenceWrite`]): the sequence number
//! is odd while the page changes, and a reader that sees it odd, or sees it
//! change across its reads, reads again. The word's top bit
//! ([`SEQUENCE_NO_STRAIGHT_PATH`]) is not part of the count: it tells the
//! code's `CLOCK_MONOTONIC` straight path, which tests the word once for
//! both, that it must take the general path instead.

/// Fractional bits of [`VdsoData::tsc_mult`].
pub const TSC_SHIFT: u32 = 32;

/// `clock_mode`: no usable counter; every call goes to the kernel.
pub const CLOCK_MODE_NONE: u32 = 0;
/// `clock_mode`: the TSC, invariant and readable from user mode.
pub const CLOCK_MODE_TSC: u32 = 1;

/// `cpu_mode`: `getcpu` goes to the kernel.
pub const CPU_MODE_NONE: u32 = 0;
/// `cpu_mode`: `rdtscp` gives `IA32_TSC_AUX`, which the kernel set to
/// `node << 12 | cpu` on each CPU (Linux's encoding).
pub const CPU_MODE_RDTSCP: u32 = 1;

/// Set in the page's sequence word when `CLOCK_MONOTONIC` cannot take the
/// straight path (no TSC clock, no `rdtscp` to read it in order, or a CPU
/// whose TSC read below `tsc_at_boot` when it came up): one test of the
/// word then covers "being written" and "not available".
pub const SEQUENCE_NO_STRAIGHT_PATH: u32 = 1 << 31;
/// The bits of the sequence word that count writes.
pub const SEQUENCE_COUNT_MASK: u32 = !SEQUENCE_NO_STRAIGHT_PATH;

/// One second in the straight path's units: a 128-bit product of TSC
/// ticks and [`VdsoData::tsc_mult`] divided by it gives whole seconds, and
/// its remainder shifted right by [`TSC_SHIFT`] the nanoseconds, so the
/// path needs one division and no shift before it.
pub const SECOND_IN_PRODUCT_UNITS: u64 = 1_000_000_000 << TSC_SHIFT;
const _: () = assert!(
    TSC_SHIFT <= 34,
    "a second in product units must fit in 64 bits"
);

/// Byte offset of [`VdsoData::sequence`] in the page.
pub const OFFSET_SEQUENCE: usize = 0;
/// Byte offset of [`VdsoData::clock_mode`].
pub const OFFSET_CLOCK_MODE: usize = 4;
/// Byte offset of [`VdsoData::tsc_at_boot`].
pub const OFFSET_TSC_AT_BOOT: usize = 8;
/// Byte offset of [`VdsoData::tsc_mult`].
pub const OFFSET_TSC_MULT: usize = 16;
/// Byte offset of [`VdsoData::wall_offset`].
pub const OFFSET_WALL_OFFSET: usize = 24;
/// Byte offset of [`VdsoData::cpu_mode`].
pub const OFFSET_CPU_MODE: usize = 32;
/// Byte offset of the constant [`SECOND_IN_PRODUCT_UNITS`], the straight
/// path's divisor.
pub const OFFSET_SECOND: usize = 40;
/// Bytes of the page in use.
pub const DATA_SIZE: usize = 48;

/// The time data, as plain values; [`VdsoData::to_bytes`] gives the page's
/// bytes at the offsets the code reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VdsoData {
    /// The sequence number (odd while a writer is changing the page),
    /// within [`SEQUENCE_COUNT_MASK`]; the page holds it with
    /// [`SEQUENCE_NO_STRAIGHT_PATH`] added ([`VdsoData::sequence_word`]).
    pub sequence: u32,
    /// [`CLOCK_MODE_TSC`] or [`CLOCK_MODE_NONE`].
    pub clock_mode: u32,
    /// The TSC value at which the monotonic clock reads zero.
    pub tsc_at_boot: u64,
    /// Nanoseconds per TSC tick, with [`TSC_SHIFT`] fractional bits.
    pub tsc_mult: u64,
    /// Unix time in nanoseconds when the monotonic clock read zero.
    pub wall_offset: i64,
    /// [`CPU_MODE_RDTSCP`] or [`CPU_MODE_NONE`].
    pub cpu_mode: u32,
    /// No CPU has read a TSC below `tsc_at_boot` (each checks when it
    /// comes up; the TSC only counts up after that). The straight path
    /// relies on it and skips the general path's check of every read.
    pub tsc_ordered: bool,
}

impl VdsoData {
    /// The data for a TSC clock (`tsc_at_boot`, `tsc_mult`), a wall clock
    /// `wall_offset` ns ahead of it (`None` when out of the page's range),
    /// and whether `getcpu` may use `rdtscp`.
    pub fn new(
        tsc_at_boot: u64,
        tsc_mult: u64,
        wall_offset: Option<i64>,
        rdtscp: bool,
    ) -> VdsoData {
        let mut data = VdsoData {
            tsc_at_boot,
            tsc_mult,
            cpu_mode: if rdtscp {
                CPU_MODE_RDTSCP
            } else {
                CPU_MODE_NONE
            },
            tsc_ordered: true,
            ..VdsoData::default()
        };
        data.set_wall_offset(wall_offset);
        data
    }

    /// A CPU came up reading `tsc`: one behind `tsc_at_boot` sends
    /// `CLOCK_MONOTONIC` through the general path for good. Whether that
    /// changed the page.
    pub fn check_tsc_order(&mut self, tsc: u64) -> bool {
        let behind = tsc < self.tsc_at_boot && self.tsc_ordered;
        if behind {
            self.tsc_ordered = false;
        }
        behind
    }

    /// A new wall-clock offset; `None` sends every clock read to the
    /// kernel (the monotonic one too: the page then has no clock).
    pub fn set_wall_offset(&mut self, wall_offset: Option<i64>) {
        self.wall_offset = wall_offset.unwrap_or(0);
        self.clock_mode = if wall_offset.is_some() {
            CLOCK_MODE_TSC
        } else {
            CLOCK_MODE_NONE
        };
    }

    /// The sequence word as the page holds it: the count, plus
    /// [`SEQUENCE_NO_STRAIGHT_PATH`] unless the clock is the TSC, `rdtscp`
    /// reads it and every CPU's reads are at or past `tsc_at_boot`.
    pub fn sequence_word(&self) -> u32 {
        let straight = self.clock_mode == CLOCK_MODE_TSC
            && self.cpu_mode == CPU_MODE_RDTSCP
            && self.tsc_ordered;
        let flag = if straight {
            0
        } else {
            SEQUENCE_NO_STRAIGHT_PATH
        };
        self.sequence & SEQUENCE_COUNT_MASK | flag
    }

    /// The page's bytes (little-endian, at the `OFFSET_*` positions).
    pub fn to_bytes(&self) -> [u8; DATA_SIZE] {
        let mut bytes = [0u8; DATA_SIZE];
        let mut put = |offset: usize, value: &[u8]| {
            bytes[offset..offset + value.len()].copy_from_slice(value);
        };
        put(OFFSET_SEQUENCE, &self.sequence_word().to_le_bytes());
        put(OFFSET_CLOCK_MODE, &self.clock_mode.to_le_bytes());
        put(OFFSET_TSC_AT_BOOT, &self.tsc_at_boot.to_le_bytes());
        put(OFFSET_TSC_MULT, &self.tsc_mult.to_le_bytes());
        put(OFFSET_WALL_OFFSET, &self.wall_offset.to_le_bytes());
        put(OFFSET_CPU_MODE, &self.cpu_mode.to_le_bytes());
        put(OFFSET_SECOND, &SECOND_IN_PRODUCT_UNITS.to_le_bytes());
        bytes
    }

    /// What the code computes for `CLOCK_MONOTONIC` at TSC value `tsc`
    /// (a TSC behind `tsc_at_boot` reads as zero).
    pub fn monotonic_ns(&self, tsc: u64) -> u64 {
        (self.product(tsc) >> TSC_SHIFT) as u64
    }

    /// What the straight path stores for `CLOCK_MONOTONIC` at TSC value
    /// `tsc`: seconds and nanoseconds from one division of the 128-bit
    /// product by [`SECOND_IN_PRODUCT_UNITS`] (the same time as
    /// [`VdsoData::monotonic_ns`] split into a `timespec`). The code does
    /// not clamp a TSC behind `tsc_at_boot`: it runs only while
    /// [`VdsoData::tsc_ordered`] says no CPU reads one.
    pub fn monotonic_timespec(&self, tsc: u64) -> (u64, u64) {
        let product = self.product(tsc);
        let unit = u128::from(SECOND_IN_PRODUCT_UNITS);
        let seconds = product / unit;
        let nanoseconds = (product % unit) >> TSC_SHIFT;
        (seconds as u64, nanoseconds as u64)
    }

    /// Ticks since `tsc_at_boot` (none for a TSC behind it) times
    /// `tsc_mult`, as the 128-bit product `mul` leaves.
    fn product(&self, tsc: u64) -> u128 {
        let ticks = tsc.saturating_sub(self.tsc_at_boot);
        u128::from(ticks) * u128::from(self.tsc_mult)
    }

    /// What the code computes for `CLOCK_REALTIME`, in nanoseconds since the
    /// epoch; `None` where it falls back to the system call (a time before
    /// 1970 or past 2262).
    pub fn realtime_ns(&self, tsc: u64) -> Option<i64> {
        let sum = (self.monotonic_ns(tsc) as i64).wrapping_add(self.wall_offset);
        (sum >= 0).then_some(sum)
    }
}

/// The writer's half of the sequence lock, as the sequence numbers to
/// store: [`SequenceWrite::begin`] before changing anything,
/// [`SequenceWrite::end`] after, each stored with a compiler barrier
/// around it (x86 keeps stores in order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SequenceWrite {
    current: u32,
}

impl SequenceWrite {
    /// A write on a page whose sequence number is `current` (even).
    pub fn new(current: u32) -> SequenceWrite {
        SequenceWrite {
            current: current & SEQUENCE_COUNT_MASK & !1,
        }
    }

    /// The odd number that tells readers a change is under way.
    pub fn begin(&self) -> u32 {
        self.current.wrapping_add(1) & SEQUENCE_COUNT_MASK
    }

    /// The even number that ends the change (the count wraps below
    /// [`SEQUENCE_NO_STRAIGHT_PATH`]).
    pub fn end(&self) -> u32 {
        self.current.wrapping_add(2) & SEQUENCE_COUNT_MASK
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bytes_are_at_the_offsets_the_code_reads() {
        let data = VdsoData {
            sequence: 0x1122_3344,
            clock_mode: CLOCK_MODE_TSC,
            tsc_at_boot: 0x0102_0304_0506_0708,
            tsc_mult: 1 << 32,
            wall_offset: -5,
            cpu_mode: CPU_MODE_RDTSCP,
            tsc_ordered: true,
        };
        let bytes = data.to_bytes();
        assert_eq!(bytes[0..4], 0x1122_3344u32.to_le_bytes());
        assert_eq!(bytes[4..8], 1u32.to_le_bytes());
        assert_eq!(bytes[8..16], 0x0102_0304_0506_0708u64.to_le_bytes());
        assert_eq!(bytes[16..24], (1u64 << 32).to_le_bytes());
        assert_eq!(bytes[24..32], (-5i64).to_le_bytes());
        assert_eq!(bytes[32..36], 1u32.to_le_bytes());
        assert_eq!(bytes[40..48], SECOND_IN_PRODUCT_UNITS.to_le_bytes());
    }

    #[test]
    fn a_1ghz_counter_reads_as_nanoseconds_and_the_wall_clock_adds_its_offset() {
        let data = VdsoData {
            tsc_at_boot: 1000,
            tsc_mult: 1 << TSC_SHIFT,
            wall_offset: 1_700_000_000_000_000_000,
            clock_mode: CLOCK_MODE_TSC,
            ..VdsoData::default()
        };
        assert_eq!(data.monotonic_ns(1000 + 123_456_789), 123_456_789);
        assert_eq!(data.monotonic_ns(10), 0);
        assert_eq!(data.realtime_ns(1000 + 5), Some(1_700_000_000_000_000_005));
        let before_1970 = VdsoData {
            wall_offset: -10,
            ..data
        };
        assert_eq!(before_1970.realtime_ns(1005), None);
    }

    #[test]
    fn a_day_of_a_2_6ghz_counter_does_not_overflow() {
        let hz = 2_600_000_000u64;
        let mult = ((1_000_000_000u128 << TSC_SHIFT) / u128::from(hz)) as u64;
        let data = VdsoData {
            tsc_mult: mult,
            ..VdsoData::default()
        };
        let day = data.monotonic_ns(hz * 86_400);
        let exact = 86_400_000_000_000u64;
        assert!(exact - day < 100_000, "{day}");
    }

    #[test]
    fn a_wall_clock_out_of_range_turns_the_page_clock_off_and_back_on() {
        let mut data = VdsoData::new(5, 1 << 32, Some(7), true);
        assert_eq!(data.clock_mode, CLOCK_MODE_TSC);
        assert_eq!(data.cpu_mode, CPU_MODE_RDTSCP);
        data.set_wall_offset(None);
        assert_eq!(data.clock_mode, CLOCK_MODE_NONE);
        data.set_wall_offset(Some(-3));
        assert_eq!((data.clock_mode, data.wall_offset), (CLOCK_MODE_TSC, -3));
        assert_eq!(VdsoData::new(0, 1, None, false).cpu_mode, CPU_MODE_NONE);
    }

    #[test]
    fn a_write_makes_the_sequence_odd_then_even_again() {
        let write = SequenceWrite::new(6);
        assert_eq!(write.begin(), 7);
        assert_eq!(write.end(), 8);
        // The count wraps below the straight-path flag, never into it.
        let last = SequenceWrite::new(SEQUENCE_COUNT_MASK - 1);
        assert_eq!(last.begin(), SEQUENCE_COUNT_MASK);
        assert_eq!(last.end(), 0);
        assert_eq!(SequenceWrite::new(u32::MAX - 1).end(), 0);
    }

    #[test]
    fn the_straight_path_flag_is_clear_only_for_a_tsc_read_with_rdtscp() {
        let mut data = VdsoData::new(5, 1 << 32, Some(7), true);
        data.sequence = 8;
        assert_eq!(data.sequence_word(), 8);
        assert_eq!(data.to_bytes()[0..4], 8u32.to_le_bytes());
        let no_rdtscp = VdsoData::new(5, 1 << 32, Some(7), false);
        assert_eq!(no_rdtscp.sequence_word(), SEQUENCE_NO_STRAIGHT_PATH);
        data.set_wall_offset(None);
        assert_eq!(data.sequence_word(), SEQUENCE_NO_STRAIGHT_PATH | 8);
        // An odd count stays odd with the flag: readers wait either way.
        data.sequence = 9;
        assert_eq!(data.sequence_word() & 1, 1);
    }

    #[test]
    fn a_cpu_whose_tsc_is_behind_the_boot_value_turns_the_straight_path_off() {
        let mut data = VdsoData::new(1_000, 1 << 32, Some(7), true);
        assert!(!data.check_tsc_order(1_000));
        assert!(!data.check_tsc_order(5_000));
        assert_eq!(data.sequence_word() & SEQUENCE_NO_STRAIGHT_PATH, 0);
        assert!(data.check_tsc_order(999));
        assert_eq!(
            data.sequence_word() & SEQUENCE_NO_STRAIGHT_PATH,
            SEQUENCE_NO_STRAIGHT_PATH
        );
        // Once is enough: the page does not change again.
        assert!(!data.check_tsc_order(0));
        // The wall clock coming and going leaves it off.
        data.set_wall_offset(Some(3));
        assert_ne!(data.sequence_word() & SEQUENCE_NO_STRAIGHT_PATH, 0);
    }

    #[test]
    fn the_straight_paths_division_gives_the_general_paths_time() {
        for hz in [1_000_000_000u64, 2_600_000_000, 3_123_456_789, 800_000_000] {
            let mult = ((1_000_000_000u128 << TSC_SHIFT) / u128::from(hz)) as u64;
            let data = VdsoData::new(1_000, mult, Some(0), true);
            // Up to a century of uptime (the nanoseconds fill 64 bits at 584 years).
            for tsc in [0, 1_000, 1_001, hz, hz * 3 + 17, hz * 86_400 * 365 * 100] {
                let ns = data.monotonic_ns(tsc);
                let (seconds, nanoseconds) = data.monotonic_timespec(tsc);
                assert!(nanoseconds < 1_000_000_000);
                assert_eq!(
                    (seconds, nanoseconds),
                    (ns / 1_000_000_000, ns % 1_000_000_000),
                    "{hz} Hz at {tsc}"
                );
            }
        }
    }
}
