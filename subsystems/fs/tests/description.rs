//! open(2) flags and open file descriptions: offsets, status flags, lseek.

mod common;

use std::sync::Arc;

use abi::Errno;
use common::World;
use fs::{AccessMode, Credentials, OpenFlags, PathContext, PollEvents};

const CREATE: OpenFlags = OpenFlags::O_CREAT.union(OpenFlags::O_RDWR);

#[test]
fn o_creat_o_excl_fails_on_an_existing_name_even_a_dangling_symlink() {
    let w = World::new();
    let excl = CREATE | OpenFlags::O_EXCL;
    w.vfs.open(&w.su(), "/f", excl, 0o400).unwrap();
    assert_eq!(
        w.vfs.open(&w.su(), "/f", excl, 0o400).unwrap_err(),
        Errno::EEXIST
    );
    w.vfs.symlink(&w.su(), "/nowhere", "/dangling").unwrap();
    assert_eq!(
        w.vfs.open(&w.su(), "/dangling", excl, 0o400).unwrap_err(),
        Errno::EEXIST
    );
    assert_eq!(
        w.vfs.open(&w.su(), "/newdir/", CREATE, 0o644).unwrap_err(),
        Errno::EISDIR
    );
}

#[test]
fn creator_may_write_a_file_created_read_only() {
    let w = World::new();
    w.vfs.chmod(&w.su(), "/", 0o777).unwrap();
    let user = Credentials::user(5, 5);
    let ctx = PathContext {
        base: &w.root,
        root: &w.root,
        creds: &user,
    };
    let f = w
        .vfs
        .open(&ctx, "/ro", CREATE | OpenFlags::O_EXCL, 0o400)
        .unwrap();
    assert_eq!(f.write(b"ok").unwrap(), 2);
    assert_eq!(
        w.vfs.open(&ctx, "/ro", OpenFlags::O_WRONLY, 0).unwrap_err(),
        Errno::EACCES
    );
    assert!(w.vfs.open(&ctx, "/ro", OpenFlags::empty(), 0).is_ok());
}

#[test]
fn o_trunc_empties_and_o_append_writes_at_the_end() {
    let w = World::new();
    w.write_file("/log", b"0123456789");
    let f = w
        .vfs
        .open(
            &w.su(),
            "/log",
            OpenFlags::O_WRONLY | OpenFlags::O_APPEND,
            0,
        )
        .unwrap();
    f.lseek(0, 0).unwrap();
    f.write(b"ab").unwrap();
    assert_eq!(f.offset(), 12);
    assert_eq!(w.read_file("/log"), b"0123456789ab");
    drop(
        w.vfs
            .open(&w.su(), "/log", OpenFlags::O_WRONLY | OpenFlags::O_TRUNC, 0)
            .unwrap(),
    );
    assert_eq!(w.read_file("/log"), b"");
}

#[test]
fn o_directory_and_o_nofollow() {
    let w = World::new();
    w.write_file("/f", b"");
    w.vfs.symlink(&w.su(), "/f", "/l").unwrap();
    assert_eq!(
        w.vfs
            .open(&w.su(), "/f", OpenFlags::O_DIRECTORY, 0)
            .unwrap_err(),
        Errno::ENOTDIR
    );
    assert_eq!(
        w.vfs
            .open(&w.su(), "/l", OpenFlags::O_NOFOLLOW, 0)
            .unwrap_err(),
        Errno::ELOOP
    );
    assert_eq!(
        w.vfs
            .open(&w.su(), "/l", OpenFlags::O_NOFOLLOW | OpenFlags::O_CREAT, 0)
            .unwrap_err(),
        Errno::ELOOP
    );
    let path = w
        .vfs
        .open(&w.su(), "/l", OpenFlags::O_NOFOLLOW | OpenFlags::O_PATH, 0)
        .unwrap();
    assert_eq!(path.stat().unwrap().mode & 0o170000, 0o120000);
    assert_eq!(path.read(&mut [0u8; 1]).unwrap_err(), Errno::EBADF);
    assert!(w.vfs.open(&w.su(), "/", OpenFlags::O_DIRECTORY, 0).is_ok());
}

#[test]
fn directories_cannot_be_opened_for_writing_or_read() {
    let w = World::new();
    assert_eq!(
        w.vfs.open(&w.su(), "/", OpenFlags::O_RDWR, 0).unwrap_err(),
        Errno::EISDIR
    );
    assert_eq!(
        w.vfs.open(&w.su(), "/", CREATE, 0).unwrap_err(),
        Errno::EISDIR
    );
    let dir = w.vfs.open(&w.su(), "/", OpenFlags::empty(), 0).unwrap();
    assert_eq!(dir.read(&mut [0u8; 8]).unwrap_err(), Errno::EISDIR);
    let file = w.vfs.open(&w.su(), "/x", CREATE, 0o644).unwrap();
    assert_eq!(file.getdents64(&mut [0u8; 64]).unwrap_err(), Errno::ENOTDIR);
}

#[test]
fn access_mode_is_enforced_per_description() {
    let w = World::new();
    w.write_file("/f", b"data");
    let ro = w.vfs.open(&w.su(), "/f", OpenFlags::empty(), 0).unwrap();
    assert_eq!(ro.write(b"x").unwrap_err(), Errno::EBADF);
    assert_eq!(ro.truncate(0).unwrap_err(), Errno::EINVAL);
    let wo = w.vfs.open(&w.su(), "/f", OpenFlags::O_WRONLY, 0).unwrap();
    assert_eq!(wo.read(&mut [0u8; 4]).unwrap_err(), Errno::EBADF);
    assert_eq!(wo.access_mode(), AccessMode::WriteOnly);
    let bad = OpenFlags::from_bits_retain(3);
    assert_eq!(
        w.vfs.open(&w.su(), "/f", bad, 0).unwrap_err(),
        Errno::EINVAL
    );
}

#[test]
fn dup_and_fork_share_offset_and_status_flags() {
    let w = World::new();
    w.write_file("/f", b"abcdef");
    let fd3 = w.vfs.open(&w.su(), "/f", OpenFlags::O_RDWR, 0).unwrap();
    let fd4 = Arc::clone(&fd3); // dup(3) or a forked child's copy
    let mut buf = [0u8; 2];
    fd3.read(&mut buf).unwrap();
    fd4.read(&mut buf).unwrap();
    assert_eq!(&buf, b"cd");
    fd4.set_status_flags(OpenFlags::O_NONBLOCK | OpenFlags::O_APPEND | OpenFlags::O_TRUNC);
    assert!(fd3.is_nonblocking());
    assert_eq!(
        fd3.status_flags(),
        OpenFlags::O_RDWR | OpenFlags::O_NONBLOCK | OpenFlags::O_APPEND
    );
    let separate = w.vfs.open(&w.su(), "/f", OpenFlags::O_RDWR, 0).unwrap();
    assert_eq!(
        separate.offset(),
        0,
        "a second open gets its own description"
    );
}

#[test]
fn lseek_whence_values_and_errors() {
    let w = World::new();
    w.write_file("/f", b"0123456789");
    let f = w.vfs.open(&w.su(), "/f", OpenFlags::O_RDWR, 0).unwrap();
    assert_eq!(f.lseek(3, 0), Ok(3));
    assert_eq!(f.lseek(2, 1), Ok(5));
    assert_eq!(f.lseek(-1, 2), Ok(9));
    assert_eq!(f.lseek(-100, 1), Err(Errno::EINVAL));
    assert_eq!(f.lseek(0, 7), Err(Errno::EINVAL));
    assert_eq!(f.lseek(i64::MAX, 2), Err(Errno::EINVAL));
    assert_eq!(f.offset(), 9, "failed seeks leave the offset");
    assert_eq!(f.lseek(4, 3), Ok(4), "SEEK_DATA");
    assert_eq!(f.lseek(4, 4), Ok(10), "SEEK_HOLE");
    assert_eq!(f.lseek(10, 3), Err(Errno::ENXIO));
    assert_eq!(f.lseek(20, 0), Ok(20));
    f.write(b"!").unwrap();
    assert_eq!(f.stat().unwrap().size, 21);
    let dir = w.vfs.open(&w.su(), "/", OpenFlags::empty(), 0).unwrap();
    assert_eq!(dir.lseek(0, 2), Err(Errno::EINVAL));
    let (r, _w) = fs::pipe::create_pipe(
        Arc::new(fs::wait::NoWaiters),
        OpenFlags::empty(),
        1,
        fs::Owner::default(),
    )
    .unwrap();
    assert_eq!(r.lseek(0, 0), Err(Errno::ESPIPE));
    assert_eq!(r.pread(&mut [0u8; 1], 0), Err(Errno::ESPIPE));
}

#[test]
fn regular_files_poll_ready() {
    let w = World::new();
    let f = w.vfs.open(&w.su(), "/f", CREATE, 0o644).unwrap();
    assert!(f.poll().contains(PollEvents::POLLIN | PollEvents::POLLOUT));
    assert_eq!(f.ioctl(0x5413, 0), Err(Errno::ENOTTY));
}

#[test]
fn o_creat_through_a_dangling_symlink_creates_its_target() {
    let w = World::new();
    w.vfs.mkdir(&w.su(), "/d", 0o755).unwrap();
    w.vfs.symlink(&w.su(), "made", "/d/link").unwrap();
    let f = w.vfs.open(&w.su(), "/d/link", CREATE, 0o600).unwrap();
    f.write(b"via link").unwrap();
    assert_eq!(w.read_file("/d/made"), b"via link");
    assert_eq!(f.custody().unwrap().absolute_path(&w.root), "/d/made");
    w.vfs.symlink(&w.su(), "/loop", "/loop").unwrap();
    assert_eq!(
        w.vfs.open(&w.su(), "/loop", CREATE, 0o600).unwrap_err(),
        Errno::ELOOP
    );
}

#[test]
fn threads_reading_one_description_of_a_regular_file_never_get_the_same_bytes() {
    const RECORDS: u32 = 20_000;
    let w = World::new();
    let contents: Vec<u8> = (0..RECORDS).flat_map(|r| r.to_be_bytes()).collect();
    w.write_file("/records", &contents);
    let shared = w
        .vfs
        .open(&w.su(), "/records", OpenFlags::empty(), 0)
        .unwrap();
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let file = Arc::clone(&shared);
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                let mut record = [0u8; 4];
                while file.read(&mut record).unwrap() == 4 {
                    seen.push(u32::from_be_bytes(record));
                }
                seen
            })
        })
        .collect();
    let mut seen: Vec<u32> = readers
        .into_iter()
        .flat_map(|reader| reader.join().unwrap())
        .collect();
    seen.sort_unstable();
    // Each record went to exactly one reader: the offset moved under a
    // lock held across each read, as Linux's FMODE_ATOMIC_POS.
    assert!(seen.iter().copied().eq(0..RECORDS));
}
