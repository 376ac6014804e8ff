//! `from_pid` through the table's tree against a walk over every process,
//! with 10,000 processes. Run with `--nocapture` to see the figures.

mod common;

use std::time::Instant;

use common::*;

#[test]
fn from_pid_index_beats_linear_scan_with_10000_processes() {
    let table = Table::default();
    let init = boot_init(&table);
    for _ in 1..10_000 {
        fork(&table, &init);
    }
    assert_eq!(table.process_count(), 10_000);
    let pids: Vec<_> = table.all_processes().iter().map(|p| p.pid()).collect();

    let start = Instant::now();
    let mut found = 0;
    for &pid in &pids {
        found += usize::from(table.from_pid(pid).is_some_and(|p| p.pid() == pid));
    }
    let indexed = start.elapsed();
    assert_eq!(found, pids.len());

    // The scan is quadratic over all pids: sample every 10th to keep it short.
    let sample: Vec<_> = pids.iter().copied().step_by(10).collect();
    let start = Instant::now();
    for &pid in &sample {
        assert_eq!(table.from_pid_by_scan(pid).map(|p| p.pid()), Some(pid));
    }
    let scanned = start.elapsed();

    let per_index = indexed.as_nanos() as f64 / pids.len() as f64;
    let per_scan = scanned.as_nanos() as f64 / sample.len() as f64;
    println!(
        "from_pid over 10000 processes: index {per_index:.0} ns/lookup, linear scan {per_scan:.0} ns/lookup ({:.0}x)",
        per_scan / per_index
    );
    assert!(table.from_pid(10_001).is_none());
    assert!(table.from_pid_by_scan(10_001).is_none());
}
