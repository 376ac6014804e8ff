//! The system-wide limit on open file descriptions (`file-max`). Its own
//! test binary: the count is global, and other tests open files in
//! parallel.

mod common;

use std::sync::Arc;

use abi::Errno;
use common::World;
use fs::description::{NR_FILE, default_file_max};
use fs::types::OpenFlags;

#[test]
fn opens_past_file_max_fail_with_enfile_until_one_is_closed() {
    let w = World::new();
    w.write_file("/f", b"x");
    let before = fs::open_files();
    fs::set_file_max(before + 3);
    let open = || w.vfs.open(&w.su(), "/f", OpenFlags::empty(), 0);
    let mut files = vec![open().unwrap(), open().unwrap(), open().unwrap()];
    assert_eq!(fs::open_files(), before + 3);
    assert_eq!(open().err(), Some(Errno::ENFILE));
    // A shared description (dup, fork) is one file, and only its last
    // reference gives the slot back.
    let shared = files[0].clone();
    files.remove(0);
    assert_eq!(open().err(), Some(Errno::ENFILE));
    drop(shared);
    // Pipes are two descriptions: with one slot free, neither end stays.
    let pipe = || {
        fs::pipe::create_pipe(
            Arc::new(fs::wait::NoWaiters),
            OpenFlags::empty(),
            1,
            fs::Owner::default(),
        )
    };
    assert_eq!(pipe().err(), Some(Errno::ENFILE));
    assert_eq!(fs::open_files(), before + 2);
    files.push(open().unwrap());
    drop(files);
    assert_eq!(fs::open_files(), before);
    fs::set_file_max(usize::MAX);
}

#[test]
fn the_default_is_a_tenth_of_memory_in_kib_but_at_least_nr_file() {
    assert_eq!(default_file_max(64 * 1024), NR_FILE);
    assert_eq!(default_file_max(1024 * 1024), 104_857);
}
