//! Hostile arguments through every row of the table: no handler may
//! panic, whatever user space passes (the kernel build aborts on a panic,
//! so an overflow here is a crash there). Arguments mix valid descriptors,
//! mapped and unmapped pointers, boundary sizes and random bits.

use crate::common::*;
use abi::Sysno;
use proptest::prelude::*;

/// Calls that would end the test's process or its machine, and those that
/// wait for a signal nobody on the fake machine will send (as on Linux,
/// `pause` with nothing pending sleeps for ever; `signals.rs` tests them
/// with a signal already pending).
const SKIP: &[Sysno] = &[Sysno::Reboot, Sysno::Pause, Sysno::RtSigsuspend];

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn no_row_panics_on_hostile_arguments(
        row in 0..syscall::ROWS.len(),
        seed in any::<u64>(),
        picks in prop::collection::vec(any::<prop::sample::Index>(), 6),
    ) {
        let w = World::new();
        let file = w.open("/f", O_CREAT | O_RDWR);
        assert_eq!(file, 0);
        w.write(file, b"some bytes");
        let path = w.string("/f");
        let buffer = w.alloc(8192);
        w.poke(buffer, &seed.to_le_bytes());
        let values = [0, u64::MAX, i64::MIN as u64, abi::AT_FDCWD as u64, 0, 1, 2, 3, 7,
            buffer, buffer + 1, buffer + 4000, path, 0xffff_8000_0000_0000,
            0x0000_7fff_ffff_f000, 4096, 1 << 31, seed, seed >> 32, seed as u32 as u64];
        let mut args = [0u64; 6];
        for (arg, pick) in args.iter_mut().zip(&picks) {
            *arg = values[pick.index(values.len())];
        }
        let sysno = syscall::ROWS[row].sysno;

        if !SKIP.contains(&sysno) {
            let result = w.call(sysno, &args);
            prop_assert!(result >= 0 || (-4095..0).contains(&result), "{sysno} returned {result}");
        }
    }
}

#[test]
fn every_row_names_a_distinct_call_with_at_most_six_arguments() {
    let mut seen = std::collections::BTreeSet::new();
    for row in syscall::ROWS {
        assert!(seen.insert(row.sysno), "{} has two rows", row.sysno);
        assert!(
            row.args.len() <= 6,
            "{} takes {} arguments",
            row.sysno,
            row.args.len()
        );
        assert!(row.handler.contains("::"), "{}", row.handler);
    }
}
