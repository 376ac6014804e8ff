//! Threads hammering one tmpfs must neither deadlock nor corrupt link counts.

mod common;

use std::sync::Arc;
use std::thread;

use common::World;
use fs::OpenFlags;

#[test]
fn concurrent_renames_lookups_and_writes_finish_consistently() {
    let w = Arc::new(World::new());
    for dir in ["/x", "/y", "/x/d"] {
        w.vfs.mkdir(&w.su(), dir, 0o755).unwrap();
    }
    w.write_file("/x/file", b"");
    let mut threads = Vec::new();
    for id in 0..4 {
        let w = w.clone();
        threads.push(thread::spawn(move || {
            for i in 0..2000 {
                let _ = match (id + i) % 4 {
                    0 => w.vfs.rename(&w.su(), "/x/d", "/y/d"),
                    1 => w.vfs.rename(&w.su(), "/y/d", "/x/d"),
                    2 => w.vfs.rename(&w.su(), "/x/file", "/y/d/file"),
                    _ => w.vfs.rename(&w.su(), "/y/d/file", "/x/file"),
                };
                let _ = w.vfs.resolve(&w.su(), "/y/d/../d/file", true);
                if let Ok(f) = w.vfs.open(
                    &w.su(),
                    "/x/file",
                    OpenFlags::O_WRONLY | OpenFlags::O_APPEND,
                    0,
                ) {
                    let _ = f.write(b"z");
                }
            }
        }));
    }
    for t in threads {
        t.join().unwrap();
    }
    let x = w.vfs.stat(&w.su(), "/x", true).unwrap().nlink;
    let y = w.vfs.stat(&w.su(), "/y", true).unwrap().nlink;
    assert_eq!(x + y, 5, "exactly one of /x and /y holds d");
    let file_count = ["/x/file", "/y/d/file", "/x/d/file"]
        .iter()
        .filter(|p| w.vfs.stat(&w.su(), p, true).is_ok())
        .count();
    assert_eq!(file_count, 1);
}

#[test]
fn appenders_on_separate_descriptions_never_overwrite_each_other() {
    let w = Arc::new(World::new());
    w.write_file("/log", b"");
    let threads: Vec<_> = (0..4u8)
        .map(|id| {
            let w = w.clone();
            thread::spawn(move || {
                let flags = OpenFlags::O_WRONLY | OpenFlags::O_APPEND;
                let f = w.vfs.open(&w.su(), "/log", flags, 0).unwrap();
                for _ in 0..500 {
                    f.write(&[b'a' + id; 10]).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let log = w.read_file("/log");
    assert_eq!(log.len(), 4 * 500 * 10);
    for record in log.chunks(10) {
        assert!(record.iter().all(|&b| b == record[0]));
    }
}
