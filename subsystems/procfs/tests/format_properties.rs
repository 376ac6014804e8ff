//! Whatever the values, `stat` keeps its 52 fields and `status` its
//! `Key:\tvalue` shape, and rendering never panics.

use proptest::prelude::*;

use procfs::process_format::{stat, stat_fields, status};
use procfs::{CpuTimes, MemoryStats, ProcessSnapshot, TaskState, ThreadSnapshot};

fn snapshot_strategy() -> impl Strategy<Value = ProcessSnapshot> {
    (
        (any::<u32>(), any::<u32>(), any::<i32>(), "[ -~]{0,24}"),
        (any::<u64>(), any::<u64>(), any::<i32>(), any::<u64>()),
        (any::<bool>(), any::<u64>(), any::<u64>(), 0usize..4),
        any::<bool>(),
    )
        .prop_map(
            |(
                (pid, ppid, tpgid, name),
                (utime, stime, nice, size),
                (zombie, resident, stack, threads),
                kernel,
            )| {
                ProcessSnapshot {
                    pid,
                    ppid,
                    tpgid,
                    name: name.clone(),
                    state: if zombie {
                        TaskState::Zombie
                    } else {
                        TaskState::Running
                    },
                    times: CpuTimes {
                        user: utime,
                        system: stime,
                    },
                    nice,
                    memory: (!kernel).then_some(MemoryStats {
                        size,
                        resident,
                        stack,
                        data: u64::MAX,
                        ..MemoryStats::default()
                    }),
                    threads: (0..threads as u32)
                        .map(|index| ThreadSnapshot {
                            tid: pid.wrapping_add(index),
                            name: name.clone(),
                            ..ThreadSnapshot::default()
                        })
                        .collect(),
                    ..ProcessSnapshot::default()
                }
            },
        )
}

proptest! {
    #[test]
    fn stat_always_has_52_fields(snapshot in snapshot_strategy(), permitted in any::<bool>()) {
        let line = stat(&snapshot, None, permitted);
        prop_assert!(line.ends_with('\n'));
        let (_, fields) = stat_fields(&line).unwrap();
        prop_assert_eq!(fields.len(), 50, "{}", line);
        prop_assert_eq!(fields[1].parse::<u32>().unwrap(), snapshot.ppid);
        let thread_line = stat(&snapshot, Some(snapshot.pid), permitted);
        prop_assert_eq!(stat_fields(&thread_line).unwrap().1.len(), 50);
    }

    #[test]
    fn status_is_key_tab_value_lines(snapshot in snapshot_strategy()) {
        let text = status(&snapshot, None);
        for line in text.lines() {
            let (key, _) = line.split_once(":\t").unwrap();
            prop_assert!(!key.is_empty() && !key.contains(' '), "{:?}", line);
        }
        let name_line = text.lines().next().unwrap();
        prop_assert!(name_line.starts_with("Name:\t"));
    }
}
