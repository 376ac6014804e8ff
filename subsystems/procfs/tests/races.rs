//! Readers racing with processes that change, exit and are reaped: every
//! read is a consistent snapshot or a clean ESRCH/ENOENT, never a panic.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use abi::Errno;
use common::{World, running_snapshot};
use procfs::process_format::stat_fields;

/// Checks one `stat` text: the name `genN` and the ppid `N` were written
/// together, so a torn read would show them apart.
fn check_stat(text: &[u8], pid: u32) {
    let text = std::str::from_utf8(text).unwrap();
    let (name, rest) = stat_fields(text).unwrap_or_else(|| panic!("unparseable: {text:?}"));
    assert_eq!(rest.len(), 50, "{text:?}");
    assert!(text.starts_with(&format!("{pid} (")), "{text:?}");
    assert_eq!(name.strip_prefix("gen"), Some(rest[1]), "torn: {text:?}");
}

#[test]
fn readers_racing_with_exit_and_reap_see_snapshots_or_clean_errors() {
    let w = Arc::new(World::new());
    let stop = Arc::new(AtomicBool::new(false));
    let pids: Vec<u32> = (100..108).collect();

    let churn = {
        let (w, stop, pids) = (w.clone(), stop.clone(), pids.clone());
        thread::spawn(move || {
            for round in 0..3000u32 {
                for &pid in &pids {
                    let mut snapshot = running_snapshot(pid, round, &format!("gen{round}"), 0);
                    snapshot.ppid = round;
                    let process = w.spawn(snapshot);
                    // Rename a running process: name and ppid change together.
                    {
                        let mut state = process.state.lock().unwrap();
                        state.snapshot.name = format!("gen{}", round + 1);
                        state.snapshot.ppid = round + 1;
                    }
                    if pid % 2 == 0 {
                        w.exit(&process, 0);
                    }
                    drop(process);
                    if (pid + round) % 3 != 0 {
                        w.reap(pid);
                    }
                }
            }
            stop.store(true, Ordering::SeqCst);
        })
    };

    let readers: Vec<_> = (0..3)
        .map(|_| {
            let (w, stop, pids) = (w.clone(), stop.clone(), pids.clone());
            thread::spawn(move || {
                let mut reads = 0u64;
                while !stop.load(Ordering::SeqCst) {
                    let listed = w.list("/proc").unwrap();
                    for &pid in &pids {
                        for file in ["stat", "status", "cmdline", "statm", "limits", "maps"] {
                            let path = format!("/proc/{pid}/{file}");
                            match w.read(&path) {
                                Ok(text) => {
                                    reads += 1;
                                    if file == "stat" {
                                        check_stat(&text, pid);
                                    }
                                }
                                Err(Errno::ENOENT | Errno::ESRCH) => {}
                                Err(other) => panic!("{path}: {other:?}"),
                            }
                        }
                        match w.list(&format!("/proc/{pid}/task")) {
                            Ok(_) | Err(Errno::ENOENT) => {}
                            Err(other) => panic!("task of {pid}: {other:?}"),
                        }
                    }
                    assert!(listed.len() >= 13);
                }
                reads
            })
        })
        .collect();

    churn.join().unwrap();
    let total: u64 = readers.into_iter().map(|r| r.join().unwrap()).sum();
    assert!(total > 0, "the readers read something");
}

#[test]
fn a_descriptor_held_across_exit_and_reap_never_reads_garbage() {
    let w = World::new();
    for round in 0..200u32 {
        let mut snapshot = running_snapshot(500, round, &format!("gen{round}"), 0);
        snapshot.ppid = round;
        let process = w.spawn(snapshot);
        let file = w.open_as(&w.su, "/proc/500/stat").unwrap();
        let mut head = [0u8; 7];
        let got = file.read(&mut head).unwrap();
        match round % 3 {
            0 => w.exit(&process, 0),
            1 => {
                drop(process);
                w.reap(500);
            }
            _ => {}
        }
        let mut text = head[..got].to_vec();
        match common::read_all(&file) {
            Ok(rest) => {
                text.extend(rest);
                check_stat(&text, 500);
            }
            Err(errno) => panic!("a started read continues from its copy: {errno:?}"),
        }
        let mut buf = [0u8; 8];
        file.lseek(0, 0).unwrap();
        match file.read(&mut buf) {
            Ok(_) => assert_ne!(round % 3, 1, "reaped: a fresh read must fail"),
            Err(errno) => assert_eq!((errno, round % 3), (Errno::ESRCH, 1)),
        }
        w.reap(500);
    }
}
