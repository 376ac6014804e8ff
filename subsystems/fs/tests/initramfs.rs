//! cpio newc parsing (real GNU cpio output and hand-made malformed input)
//! and unpacking into the root tmpfs.

mod common;

use abi::Errno;
use common::World;
use fs::FileType;
use fs::cpio::{CpioErrorKind, parse_archive};
use fs::initramfs::{UnpackSummary, unpack_initramfs};

const GNU_ARCHIVE: &[u8] = include_bytes!("data/gnu-cpio-newc.cpio");

/// One newc member: header, name + NUL padded to 4, data padded to 4.
fn member(name: &str, mode: u32, ino: u32, nlink: u32, data: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "070701{ino:08x}{mode:08x}{:08x}{:08x}{nlink:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}",
        0,
        0,
        1_600_000_000u32,
        data.len(),
        0,
        0,
        0,
        0,
        name.len() + 1,
        0
    )
    .into_bytes();
    out.extend_from_slice(name.as_bytes());
    out.push(0);
    while out.len() % 4 != 0 {
        out.push(0);
    }
    out.extend_from_slice(data);
    while out.len() % 4 != 0 {
        out.push(0);
    }
    out
}

fn trailer() -> Vec<u8> {
    member("TRAILER!!!", 0, 0, 1, b"")
}

#[test]
fn gnu_cpio_archive_parses_with_names_modes_and_data() {
    let entries = parse_archive(GNU_ARCHIVE).unwrap();
    let names: Vec<&str> = entries.iter().map(|e| e.name).collect();
    assert_eq!(
        names,
        [
            ".",
            "bin",
            "bin/hello",
            "bin/hello2",
            "bin/sh",
            "etc",
            "etc/deep",
            "etc/deep/file",
            "etc/passwd"
        ]
    );
    let sh = &entries[4];
    assert_eq!(sh.mode, 0o120777);
    assert_eq!(sh.data, b"hello");
    assert_eq!(entries[8].data, b"root:x:0:0::/root:/bin/sh\n");
    assert_eq!(entries[8].mtime, 1_700_000_000);
}

#[test]
fn unpacking_gnu_archive_recreates_the_tree() {
    let w = World::new();
    let summary = unpack_initramfs(&w.vfs, GNU_ARCHIVE).unwrap();
    assert_eq!(
        summary,
        UnpackSummary {
            files: 4,
            directories: 3,
            symlinks: 1,
            special: 0,
            skipped: 0
        }
    );
    assert_eq!(w.read_file("/bin/sh"), b"#!/bin/sh\necho hi\n");
    assert_eq!(w.read_file("/bin/hello"), b"#!/bin/sh\necho hi\n");
    let hello = w.vfs.stat(&w.su(), "/bin/hello", true).unwrap();
    let hello2 = w.vfs.stat(&w.su(), "/bin/hello2", true).unwrap();
    assert_eq!(hello.ino, hello2.ino, "hard link restored");
    assert_eq!(hello.nlink, 2);
    assert_eq!(hello.mode, 0o100755);
    assert_eq!(hello.mtime().sec, 1_700_000_000);
    assert_eq!(
        w.vfs.stat(&w.su(), "/etc/deep", true).unwrap().mode,
        0o040700
    );
    assert_eq!(
        w.vfs.stat(&w.su(), "/etc/deep/file", true).unwrap().mode,
        0o100600
    );
    assert_eq!(w.vfs.readlink(&w.su(), "/bin/sh").unwrap(), "hello");
    assert_eq!(
        fs::FileType::from_mode(w.vfs.stat(&w.su(), "/bin/sh", false).unwrap().mode),
        Some(FileType::Symlink)
    );
}

#[test]
fn missing_parent_directories_are_created_and_devices_made() {
    let w = World::new();
    let mut archive = member("dev/console", 0o020600, 1, 1, b"");
    archive.extend(member("a/b/c", 0o100644, 2, 1, b"abc"));
    archive.extend(trailer());
    let summary = unpack_initramfs(&w.vfs, &archive).unwrap();
    assert_eq!((summary.files, summary.special), (1, 1));
    assert_eq!(w.read_file("/a/b/c"), b"abc");
    assert_eq!(w.vfs.stat(&w.su(), "/a/b", true).unwrap().mode, 0o040755);
    assert_eq!(
        fs::FileType::from_mode(w.vfs.stat(&w.su(), "/dev/console", true).unwrap().mode),
        Some(FileType::CharDevice)
    );
}

#[test]
fn concatenated_archives_with_zero_padding_are_all_read() {
    let mut archive = member("one", 0o100644, 1, 1, b"1");
    archive.extend(trailer());
    archive.extend([0u8; 512]);
    archive.extend(member("two", 0o100644, 2, 1, b"2"));
    archive.extend(trailer());
    archive.extend([0u8; 3]);
    let names: Vec<&str> = parse_archive(&archive)
        .unwrap()
        .iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(names, ["one", "two"]);
}

#[test]
fn a_later_member_replaces_an_earlier_one_of_another_type_as_on_linux() {
    let w = World::new();
    // A file then a directory of the same name: the directory wins.
    let mut archive = member("x", 0o100644, 1, 1, b"file");
    archive.extend(member("x", 0o040755, 2, 2, b""));
    // A symlink then a file (an appended archive adding the real loader).
    archive.extend(member("ld.so", 0o120777, 3, 1, b"/lib/ld.so"));
    archive.extend(member("ld.so", 0o100755, 4, 1, b"ELF"));
    // A directory with something in it cannot be replaced.
    archive.extend(member("d/inner", 0o100644, 5, 1, b"i"));
    archive.extend(member("d", 0o100644, 6, 1, b"d"));
    archive.extend(trailer());
    let summary = unpack_initramfs(&w.vfs, &archive).unwrap();
    assert_eq!(
        (
            summary.files,
            summary.directories,
            summary.symlinks,
            summary.skipped
        ),
        (3, 1, 1, 1)
    );
    let kind = |path| FileType::from_mode(w.vfs.stat(&w.su(), path, false).unwrap().mode);
    assert_eq!(kind("/x"), Some(FileType::Directory));
    assert_eq!(kind("/ld.so"), Some(FileType::Regular));
    assert_eq!(w.read_file("/ld.so"), b"ELF");
    assert_eq!(w.read_file("/d/inner"), b"i");
}

fn error_kind(archive: &[u8]) -> CpioErrorKind {
    parse_archive(archive).unwrap_err().kind
}

#[test]
fn malformed_archives_are_rejected_with_a_reason_and_nothing_is_unpacked() {
    let good = {
        let mut a = member("file", 0o100644, 1, 1, b"data");
        a.extend(trailer());
        a
    };
    assert_eq!(
        error_kind(&good[..good.len() - 20]),
        CpioErrorKind::Truncated
    );
    assert_eq!(error_kind(&good[..50]), CpioErrorKind::Truncated);
    assert_eq!(
        error_kind(&good[..good.len() - trailer().len()]),
        CpioErrorKind::MissingTrailer
    );
    assert_eq!(error_kind(b""), CpioErrorKind::MissingTrailer);
    let mut bad_magic = good.clone();
    bad_magic[5] = b'7';
    assert_eq!(error_kind(&bad_magic), CpioErrorKind::BadMagic);
    let mut bad_hex = good.clone();
    bad_hex[10] = b'g';
    assert_eq!(error_kind(&bad_hex), CpioErrorKind::BadNumber);
    let mut huge_size = good.clone();
    huge_size[54..62].copy_from_slice(b"ffffffff");
    assert_eq!(error_kind(&huge_size), CpioErrorKind::Truncated);
    let mut zero_name = good.clone();
    zero_name[94..102].copy_from_slice(b"00000000");
    assert_eq!(error_kind(&zero_name), CpioErrorKind::BadName);
    let mut unterminated = good.clone();
    unterminated[110 + 4] = b'!';
    assert_eq!(error_kind(&unterminated), CpioErrorKind::BadName);
    let mut not_utf8 = good.clone();
    not_utf8[110] = 0xff;
    assert_eq!(error_kind(&not_utf8), CpioErrorKind::NameNotUtf8);
    let mut gzip = vec![0x1f, 0x8b, 8, 0];
    gzip.resize(200, 0);
    assert_eq!(error_kind(&gzip), CpioErrorKind::Compressed);

    let w = World::new();
    let mut second_is_bad = member("first", 0o100644, 1, 1, b"1");
    second_is_bad.extend(&bad_magic);
    let error = unpack_initramfs(&w.vfs, &second_is_bad).unwrap_err();
    assert_eq!(error.kind, CpioErrorKind::BadMagic);
    assert_eq!(
        error.offset, 120,
        "110-byte header, name to 116, data to 120"
    );
    assert_eq!(
        error.to_string(),
        "cpio: bad header magic (not cpio newc) at byte 120"
    );
    assert_eq!(
        w.vfs.stat(&w.su(), "/first", true).unwrap_err(),
        Errno::ENOENT,
        "nothing applied"
    );
}

/// Captures log lines (one logger per test binary; only this test uses it).
struct Capture(std::sync::Mutex<Vec<String>>);

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        self.0
            .lock()
            .unwrap()
            .push(format!("{} {}", record.level(), record.args()));
    }
    fn flush(&self) {}
}

static CAPTURE: Capture = Capture(std::sync::Mutex::new(Vec::new()));

#[test]
fn a_rejected_archive_is_reported_in_one_clear_log_line() {
    log::set_logger(&CAPTURE).unwrap();
    log::set_max_level(log::LevelFilter::Info);
    let w = World::new();
    let _ = unpack_initramfs(&w.vfs, &[0x1f, 0x8b, 0, 0]);
    let lines = CAPTURE.0.lock().unwrap().clone();
    assert!(
        lines.iter().any(|line| line
            == "ERROR initramfs: rejected: cpio: archive truncated at byte 0; booting without it"),
        "{lines:?}"
    );
}
