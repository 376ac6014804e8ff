//! Files through the system-call table: open, read, write, seek, stat,
//! descriptors, and the errors user space sees.

use crate::common::*;
use abi::{Errno, Sysno};

#[test]
fn a_file_written_then_read_back_has_its_contents() {
    let w = World::new();
    let fd = w.open("/notes", O_CREAT | O_RDWR);
    assert_eq!(fd, 0, "lowest free descriptor");
    assert_eq!(w.write(fd, b"hello, world"), 12);
    assert_eq!(w.call(Sysno::Lseek, &[fd as u64, 0, 0]), 0);
    assert_eq!(w.read(fd, 5).unwrap(), b"hello");
    assert_eq!(w.read(fd, 100).unwrap(), b", world");
    assert_eq!(
        w.read(fd, 100).unwrap(),
        b"",
        "end of file reads zero bytes"
    );
    assert_eq!(w.stat("/notes").unwrap().size, 12);
}

#[test]
fn a_write_or_read_larger_than_one_pass_moves_every_byte() {
    // Linux moves up to MAX_RW_COUNT bytes of a regular file in one call;
    // programs that check `write(...) == n` rely on it.
    let w = World::new();
    let fd = w.open("/big", O_CREAT | O_RDWR);
    let pass = syscall::fs::io::MAX_IO;
    let len = 3 * pass + 123;
    let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
    assert_eq!(w.write(fd, &data), len as i64);
    assert_eq!(w.stat("/big").unwrap().size, len as i64);
    assert_eq!(w.call(Sysno::Lseek, &[fd as u64, 0, 0]), 0);
    assert_eq!(
        w.read(fd, len + 10).unwrap(),
        data,
        "to the end in one read"
    );
    // Positional: the same, the offset untouched.
    let buffer = w.alloc(len);
    assert_eq!(
        w.call(Sysno::Pread64, &[fd as u64, buffer, len as u64, 7]),
        (len - 7) as i64
    );
    assert_eq!(w.peek(buffer, len - 7), data[7..]);
    assert_eq!(w.call(Sysno::Lseek, &[fd as u64, 0, 1]), len as i64);
    // Memory ends part-way through the second pass: the first pass's
    // bytes are written and counted, as Linux returns what it wrote.
    let near_end = USER_BASE + USER_SIZE as u64 - pass as u64 - 100;
    assert_eq!(
        w.call(Sysno::Pwrite64, &[fd as u64, near_end, 3 * pass as u64, 0]),
        pass as i64
    );
    // Nothing readable at all: EFAULT.
    let past_end = USER_BASE + USER_SIZE as u64;
    assert_eq!(
        w.call(Sysno::Pwrite64, &[fd as u64, past_end, 3 * pass as u64, 0]),
        err(Errno::EFAULT)
    );
}

#[test]
fn open_without_create_of_a_missing_file_is_enoent() {
    let w = World::new();
    assert_eq!(w.open("/missing", O_RDONLY), err(Errno::ENOENT));
    assert_eq!(w.open("", O_RDONLY), err(Errno::ENOENT));
}

#[test]
fn exclusive_create_of_an_existing_file_is_eexist() {
    let w = World::new();
    assert!(w.open("/f", O_CREAT | O_WRONLY) >= 0);
    assert_eq!(
        w.open("/f", O_CREAT | O_EXCL | O_WRONLY),
        err(Errno::EEXIST)
    );
}

#[test]
fn a_bad_descriptor_is_ebadf_even_with_a_bad_buffer() {
    let w = World::new();
    assert_eq!(
        w.call(Sysno::Read, &[7, 0xdead_0000_0000, 10]),
        err(Errno::EBADF)
    );
    assert_eq!(w.call(Sysno::Write, &[u64::MAX, 0, 10]), err(Errno::EBADF));
    assert_eq!(w.call(Sysno::Close, &[3]), err(Errno::EBADF));
}

#[test]
fn a_bad_buffer_is_efault_and_the_kernel_goes_on() {
    let w = World::new();
    let fd = w.open("/f", O_CREAT | O_RDWR);
    assert_eq!(
        w.call(Sysno::Write, &[fd as u64, 0x10, 4]),
        err(Errno::EFAULT)
    );
    assert_eq!(
        w.call(Sysno::Write, &[fd as u64, 0xffff_8000_0000_0000, 4]),
        err(Errno::EFAULT)
    );
    assert_eq!(w.write(fd, b"data"), 4);
}

#[test]
fn a_read_whose_copy_out_faults_leaves_the_offset_alone() {
    let w = World::new();
    let fd = w.open("/f", O_CREAT | O_RDWR);
    w.write(fd, b"abcdef");
    w.call(Sysno::Lseek, &[fd as u64, 0, 0]);
    assert_eq!(
        w.call(Sysno::Read, &[fd as u64, 0x10, 3]),
        err(Errno::EFAULT)
    );
    assert_eq!(
        w.read(fd, 3).unwrap(),
        b"abc",
        "nothing was lost to the fault"
    );
}

#[test]
fn pread_and_pwrite_leave_the_offset_alone() {
    let w = World::new();
    let fd = w.open("/f", O_CREAT | O_RDWR);
    w.write(fd, b"0123456789");
    let buffer = w.alloc(4);
    assert_eq!(w.call(Sysno::Pread64, &[fd as u64, buffer, 4, 3]), 4);
    assert_eq!(w.peek(buffer, 4), b"3456");
    w.poke(buffer, b"ab");
    assert_eq!(w.call(Sysno::Pwrite64, &[fd as u64, buffer, 2, 0]), 2);
    assert_eq!(
        w.call(Sysno::Lseek, &[fd as u64, 0, 1]),
        10,
        "SEEK_CUR is still 10"
    );
    assert_eq!(
        w.call(Sysno::Pread64, &[fd as u64, buffer, 4, (-1i64) as u64]),
        err(Errno::EINVAL)
    );
}

#[test]
fn writev_gathers_and_readv_scatters() {
    let w = World::new();
    let fd = w.open("/v", O_CREAT | O_RDWR);
    let (a, b) = (w.string("one "), w.string("two"));
    let iov = w.put(&[
        abi::IoVec { base: a, len: 4 },
        abi::IoVec { base: b, len: 3 },
    ]);
    assert_eq!(w.call(Sysno::Writev, &[fd as u64, iov, 2]), 7);
    w.call(Sysno::Lseek, &[fd as u64, 0, 0]);
    let (x, y) = (w.alloc(2), w.alloc(10));
    let iov = w.put(&[
        abi::IoVec { base: x, len: 2 },
        abi::IoVec { base: y, len: 10 },
    ]);
    assert_eq!(w.call(Sysno::Readv, &[fd as u64, iov, 2]), 7);
    assert_eq!(w.peek(x, 2), b"on");
    assert_eq!(w.peek(y, 5), b"e two");
    assert_eq!(
        w.call(Sysno::Readv, &[fd as u64, iov, 1025]),
        err(Errno::EINVAL)
    );
}

#[test]
fn dup_family_shares_the_offset_and_honours_cloexec() {
    let w = World::new();
    let fd = w.open("/d", O_CREAT | O_RDWR);
    let copy = w.call(Sysno::Dup, &[fd as u64]);
    assert_eq!(copy, 1);
    w.write(fd, b"xyz");
    assert_eq!(
        w.call(Sysno::Lseek, &[copy as u64, 0, 1]),
        3,
        "one description, one offset"
    );
    assert_eq!(w.call(Sysno::Dup2, &[fd as u64, 10]), 10);
    assert_eq!(w.call(Sysno::Dup3, &[fd as u64, 11, O_CLOEXEC as u64]), 11);
    assert_eq!(
        w.call(Sysno::Fcntl, &[11, 1, 0]),
        1,
        "F_GETFD says FD_CLOEXEC"
    );
    assert_eq!(w.call(Sysno::Fcntl, &[10, 1, 0]), 0);
    assert_eq!(
        w.call(Sysno::Dup3, &[fd as u64, fd as u64, 0]),
        err(Errno::EINVAL)
    );
    assert_eq!(
        w.call(Sysno::Dup2, &[fd as u64, fd as u64]),
        fd,
        "dup2 onto itself is a no-op"
    );
}

#[test]
fn fcntl_changes_status_flags_but_not_the_access_mode() {
    let w = World::new();
    let fd = w.open("/s", O_CREAT | O_WRONLY) as u64;
    assert_eq!(
        w.call(Sysno::Fcntl, &[fd, 4, (O_NONBLOCK | O_RDWR) as u64]),
        0
    );
    let flags = w.call(Sysno::Fcntl, &[fd, 3, 0]) as u32;
    assert_eq!(flags & 3, O_WRONLY);
    assert_ne!(flags & O_NONBLOCK, 0);
    assert_eq!(
        w.call(Sysno::Fcntl, &[fd, 0, 5]),
        5,
        "F_DUPFD takes the lowest at or above 5"
    );
    // F_SETLK with a null struct flock: EFAULT, not the old ENOLCK.
    assert_eq!(w.call(Sysno::Fcntl, &[fd, 6, 0]), err(Errno::EFAULT));
}

#[test]
fn fstat_and_newfstatat_with_an_empty_path_describe_the_descriptor() {
    let w = World::new();
    let fd = w.open("/e", O_CREAT | O_RDWR);
    w.write(fd, b"12345");
    let buf = w.alloc(144);
    assert_eq!(w.call(Sysno::Fstat, &[fd as u64, buf]), 0);
    let by_fd: abi::Stat = w.get(buf);
    let empty = w.string("");
    assert_eq!(
        w.call(Sysno::Newfstatat, &[fd as u64, empty, buf, 0x1000]),
        0
    );
    assert_eq!(w.get::<abi::Stat>(buf), by_fd);
    assert_eq!(by_fd.size, 5);
    assert_eq!(by_fd.mode & abi::S_IFMT, abi::S_IFREG);
    assert_eq!(
        w.call(Sysno::Newfstatat, &[fd as u64, empty, buf, 0]),
        err(Errno::ENOENT)
    );
    assert_eq!(
        w.call(Sysno::Newfstatat, &[fd as u64, empty, buf, 0x8000_0000]),
        err(Errno::EINVAL)
    );
}

#[test]
fn statx_reports_the_same_file_as_stat() {
    let w = World::new();
    let fd = w.open("/x", O_CREAT | O_RDWR);
    w.write(fd, b"abc");
    let path = w.string("/x");
    let buf = w.alloc(256);
    assert_eq!(
        w.call(Sysno::Statx, &[abi::AT_FDCWD as u64, path, 0, 0x7ff, buf]),
        0
    );
    let statx: abi::Statx = w.get(buf);
    let stat = w.stat("/x").unwrap();
    assert_eq!(statx.size, 3);
    assert_eq!(statx.ino, stat.ino);
    assert_eq!(u32::from(statx.mode), stat.mode);
    assert_eq!(statx.mtime.sec, stat.mtime_sec);
}

#[test]
fn ftruncate_grows_with_zeros_and_shrinks() {
    let w = World::new();
    let fd = w.open("/t", O_CREAT | O_RDWR);
    w.write(fd, b"abcdef");
    assert_eq!(w.call(Sysno::Ftruncate, &[fd as u64, 2]), 0);
    assert_eq!(w.stat("/t").unwrap().size, 2);
    assert_eq!(w.call(Sysno::Ftruncate, &[fd as u64, 4]), 0);
    assert_eq!(w.call(Sysno::Pread64, &[fd as u64, w.alloc(1), 0, 0]), 0);
    let buf = w.alloc(4);
    w.call(Sysno::Pread64, &[fd as u64, buf, 4, 0]);
    assert_eq!(w.peek(buf, 4), b"ab\0\0");
    assert_eq!(
        w.call(Sysno::Ftruncate, &[fd as u64, (-1i64) as u64]),
        err(Errno::EINVAL)
    );
}

#[test]
fn sendfile_copies_between_files_and_advances_the_given_offset() {
    let w = World::new();
    let src = w.open("/src", O_CREAT | O_RDWR);
    w.write(src, b"0123456789");
    let dst = w.open("/dst", O_CREAT | O_RDWR);
    let offset = w.put(&2i64);
    assert_eq!(
        w.call(Sysno::Sendfile, &[dst as u64, src as u64, offset, 5]),
        5
    );
    assert_eq!(w.get::<i64>(offset), 7);
    w.call(Sysno::Lseek, &[dst as u64, 0, 0]);
    assert_eq!(w.read(dst, 10).unwrap(), b"23456");
}

#[test]
fn close_frees_the_lowest_descriptor_for_reuse() {
    let w = World::new();
    let a = w.open("/a", O_CREAT | O_RDWR);
    let b = w.open("/b", O_CREAT | O_RDWR);
    assert_eq!((a, b), (0, 1));
    assert_eq!(w.call(Sysno::Close, &[a as u64]), 0);
    assert_eq!(w.open("/b", O_RDONLY), 0);
}

#[test]
fn the_descriptor_limit_is_emfile() {
    let w = World::new();
    let mut opened = 0;
    let last = loop {
        let fd = w.open("/many", O_CREAT | O_RDWR);
        if fd < 0 {
            break fd;
        }
        opened += 1;
    };
    assert_eq!(last, err(Errno::EMFILE));
    assert_eq!(opened, 1024, "RLIMIT_NOFILE's default soft limit");
}

#[test]
fn getdents64_lists_every_entry_once() {
    let w = World::new();
    for name in ["/dir", "/dir/b"] {
        let path = w.string(name);
        assert_eq!(w.call(Sysno::Mkdir, &[path, 0o755]), 0);
    }
    w.open("/dir/a", O_CREAT | O_WRONLY);
    let fd = w.open("/dir", O_RDONLY | O_DIRECTORY);
    let buf = w.alloc(4096);
    let mut names = Vec::new();
    loop {
        let n = w.call(Sysno::Getdents64, &[fd as u64, buf, 4096]);
        assert!(n >= 0);
        if n == 0 {
            break;
        }
        let bytes = w.peek(buf, n as usize);
        let mut at = 0;
        while at < bytes.len() {
            let reclen = u16::from_le_bytes([bytes[at + 16], bytes[at + 17]]) as usize;
            let name = &bytes[at + 19..at + reclen];
            let end = name.iter().position(|&b| b == 0).unwrap();
            names.push(String::from_utf8(name[..end].to_vec()).unwrap());
            at += reclen;
        }
    }
    names.sort();
    assert_eq!(names, [".", "..", "a", "b"]);
}

#[test]
fn the_old_getdents_puts_each_type_in_the_record_s_last_byte() {
    const DT_DIR: u8 = 4;
    const DT_REG: u8 = 8;
    let w = World::new();
    let dir = w.string("/dir");
    assert_eq!(w.call(Sysno::Mkdir, &[dir, 0o755]), 0);
    w.open("/dir/file", O_CREAT | O_WRONLY);
    let fd = w.open("/dir", O_RDONLY | O_DIRECTORY);
    let buf = w.alloc(4096);
    let n = w.call(Sysno::Getdents, &[fd as u64, buf, 4096]);
    assert!(n > 0);
    let bytes = w.peek(buf, n as usize);
    let mut entries = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let reclen = u16::from_le_bytes([bytes[at + 16], bytes[at + 17]]) as usize;
        let name = &bytes[at + 18..at + reclen];
        let end = name.iter().position(|&b| b == 0).unwrap();
        let name = String::from_utf8(name[..end].to_vec()).unwrap();
        entries.push((name, bytes[at + reclen - 1]));
        at += reclen;
    }
    entries.sort();
    assert_eq!(
        entries,
        [
            (".".to_string(), DT_DIR),
            ("..".to_string(), DT_DIR),
            ("file".to_string(), DT_REG)
        ]
    );
    assert_eq!(
        w.call(Sysno::Getdents, &[fd as u64, buf, 4096]),
        0,
        "the end"
    );
    let file = w.open("/dir/file", O_RDONLY);
    assert_eq!(
        w.call(Sysno::Getdents, &[file as u64, buf, 4096]),
        err(Errno::ENOTDIR)
    );
}

#[test]
fn readahead_and_sync_file_range_check_as_linux() {
    let w = World::new();
    let file = w.open("/data", O_CREAT | O_RDWR) as u64;
    let write_only = w.open("/data", O_WRONLY) as u64;
    let dir = w.open("/", O_RDONLY | O_DIRECTORY) as u64;
    assert_eq!(w.call(Sysno::Readahead, &[file, 0, 4096]), 0);
    assert_eq!(
        w.call(Sysno::Readahead, &[write_only, 0, 4096]),
        err(Errno::EBADF)
    );
    assert_eq!(
        w.call(Sysno::Readahead, &[dir, 0, 4096]),
        err(Errno::EINVAL)
    );
    assert_eq!(w.call(Sysno::SyncFileRange, &[file, 0, 4096, 7]), 0);
    assert_eq!(w.call(Sysno::SyncFileRange, &[dir, 0, 0, 0]), 0);
    assert_eq!(
        w.call(Sysno::SyncFileRange, &[file, 0, 4096, 8]),
        err(Errno::EINVAL)
    );
    assert_eq!(
        w.call(Sysno::SyncFileRange, &[file, i64::MAX as u64, 1, 0]),
        err(Errno::EINVAL)
    );
    // EINVAL comes before the descriptor is looked at.
    assert_eq!(
        w.call(Sysno::SyncFileRange, &[99, -1i64 as u64, 1, 0]),
        err(Errno::EINVAL)
    );
    assert_eq!(
        w.call(Sysno::SyncFileRange, &[99, 0, 1, 0]),
        err(Errno::EBADF)
    );
    let fds = w.alloc(8);
    assert_eq!(w.call(Sysno::Pipe2, &[fds, 0]), 0);
    let pipe = u64::from(w.get::<u32>(fds));
    assert_eq!(
        w.call(Sysno::SyncFileRange, &[pipe, 0, 1, 0]),
        err(Errno::ESPIPE)
    );
    assert_eq!(w.call(Sysno::Readahead, &[pipe, 0, 1]), err(Errno::EINVAL));
}

#[test]
fn ioctl_fionbio_sets_nonblocking_and_unknown_requests_on_files_are_enotty() {
    let w = World::new();
    let fd = w.open("/i", O_CREAT | O_RDWR) as u64;
    let on = w.put(&1i32);
    assert_eq!(w.call(Sysno::Ioctl, &[fd, 0x5421, on]), 0);
    assert_ne!(w.call(Sysno::Fcntl, &[fd, 3, 0]) as u32 & O_NONBLOCK, 0);
    assert_eq!(
        w.call(Sysno::Ioctl, &[fd, 0x5413, w.alloc(8)]),
        err(Errno::ENOTTY)
    );
    assert_eq!(w.call(Sysno::Ioctl, &[fd, 0x5451, 0]), 0, "FIOCLEX");
    assert_eq!(w.call(Sysno::Fcntl, &[fd, 1, 0]), 1);
}

#[test]
fn fallocate_extends_zeroes_and_refuses_what_linux_refuses() {
    const KEEP_SIZE: u64 = 1;
    const PUNCH_HOLE: u64 = 2;
    const ZERO_RANGE: u64 = 0x10;
    let w = World::new();
    let fd = w.open("/f", O_CREAT | O_RDWR);
    let size = |w: &World| {
        let buf = w.alloc(144);
        assert_eq!(w.call(Sysno::Fstat, &[fd as u64, buf]), 0);
        w.get::<abi::Stat>(buf).size
    };
    let fallocate = |mode: u64, offset: u64, len: u64| {
        w.call(Sysno::Fallocate, &[fd as u64, mode, offset, len])
    };
    w.write(fd, b"abcdefgh");
    // Mode 0 makes the file long enough; never shorter.
    assert_eq!(fallocate(0, 4, 8192), 0);
    assert_eq!(size(&w), 8196);
    assert_eq!(fallocate(0, 0, 4), 0);
    assert_eq!(size(&w), 8196);
    // KEEP_SIZE alone changes nothing; a hole reads as zeros.
    assert_eq!(fallocate(KEEP_SIZE, 0, 100_000), 0);
    assert_eq!(size(&w), 8196);
    assert_eq!(fallocate(PUNCH_HOLE | KEEP_SIZE, 2, 3), 0);
    let buf = w.alloc(8);
    assert_eq!(w.call(Sysno::Pread64, &[fd as u64, buf, 8, 0]), 8);
    assert_eq!(&w.get::<[u8; 8]>(buf), b"ab\0\0\0fgh");
    // ZERO_RANGE without KEEP_SIZE zeroes and extends.
    assert_eq!(fallocate(ZERO_RANGE, 0, 10_000), 0);
    assert_eq!(size(&w), 10_000);
    assert_eq!(w.call(Sysno::Pread64, &[fd as u64, buf, 8, 0]), 8);
    assert_eq!(w.get::<[u8; 8]>(buf), [0; 8]);
    // What Linux refuses.
    assert_eq!(fallocate(PUNCH_HOLE, 0, 1), err(Errno::EOPNOTSUPP));
    assert_eq!(
        fallocate(PUNCH_HOLE | ZERO_RANGE | KEEP_SIZE, 0, 1),
        err(Errno::EINVAL)
    );
    assert_eq!(
        fallocate(0x8, 0, 1),
        err(Errno::EOPNOTSUPP),
        "COLLAPSE_RANGE"
    );
    assert_eq!(fallocate(0, 0, 0), err(Errno::EINVAL));
    assert_eq!(fallocate(0, u64::MAX, 1), err(Errno::EINVAL), "negative");
    assert_eq!(fallocate(0, i64::MAX as u64, 2), err(Errno::EFBIG));
    let read_only = w.open("/f", O_RDONLY);
    assert_eq!(
        w.call(Sysno::Fallocate, &[read_only as u64, 0, 0, 1]),
        err(Errno::EBADF)
    );
    let dir = w.open("/", O_RDONLY);
    assert_eq!(
        w.call(Sysno::Fadvise64, &[dir as u64, 0, 0, 9]),
        err(Errno::EINVAL)
    );
    assert_eq!(w.call(Sysno::Fadvise64, &[fd as u64, 0, 0, 2]), 0);
    let fds = w.alloc(8);
    assert_eq!(w.call(Sysno::Pipe2, &[fds, 0]), 0);
    let [_, pipe_write] = w.get::<[i32; 2]>(fds);
    assert_eq!(
        w.call(Sysno::Fallocate, &[pipe_write as u64, 0, 0, 1]),
        err(Errno::ESPIPE)
    );
    assert_eq!(
        w.call(Sysno::Fadvise64, &[pipe_write as u64, 0, 0, 0]),
        err(Errno::ESPIPE)
    );
}

#[test]
fn extended_attributes_are_set_read_listed_and_removed() {
    let w = World::new();
    let fd = w.open("/tagged", O_CREAT | O_RDWR);
    let path = w.string("/tagged");
    let name = w.string("user.colour");
    let value = w.alloc(16);
    w.poke(value, b"blue");
    assert_eq!(w.call(Sysno::Setxattr, &[path, name, value, 4, 0]), 0);
    // XATTR_CREATE on one that exists, XATTR_REPLACE on one that does not.
    assert_eq!(
        w.call(Sysno::Setxattr, &[path, name, value, 4, 1]),
        err(Errno::EEXIST)
    );
    let other = w.string("user.size");
    assert_eq!(
        w.call(Sysno::Fsetxattr, &[fd as u64, other, value, 2, 2]),
        err(Errno::ENODATA)
    );
    assert_eq!(
        w.call(Sysno::Fsetxattr, &[fd as u64, other, value, 2, 0]),
        0
    );
    // Size 0 asks for the length; too small a buffer is ERANGE.
    let out = w.alloc(64);
    assert_eq!(w.call(Sysno::Getxattr, &[path, name, 0, 0]), 4);
    assert_eq!(
        w.call(Sysno::Getxattr, &[path, name, out, 3]),
        err(Errno::ERANGE)
    );
    assert_eq!(w.call(Sysno::Fgetxattr, &[fd as u64, name, out, 64]), 4);
    assert_eq!(w.peek(out, 4), b"blue");
    let list = b"user.colour\0user.size\0";
    assert_eq!(w.call(Sysno::Listxattr, &[path, 0, 0]), list.len() as i64);
    assert_eq!(
        w.call(Sysno::Flistxattr, &[fd as u64, out, 64]),
        list.len() as i64
    );
    assert_eq!(w.peek(out, list.len()), list);
    assert_eq!(
        w.call(Sysno::Llistxattr, &[path, out, 5]),
        err(Errno::ERANGE)
    );
    assert_eq!(w.call(Sysno::Removexattr, &[path, name]), 0);
    assert_eq!(
        w.call(Sysno::Lgetxattr, &[path, name, out, 64]),
        err(Errno::ENODATA)
    );
    assert_eq!(
        w.call(Sysno::Fremovexattr, &[fd as u64, name]),
        err(Errno::ENODATA)
    );
    // Names: none, too long, unreadable, outside a namespace.
    let empty = w.string("");
    assert_eq!(
        w.call(Sysno::Getxattr, &[path, empty, out, 64]),
        err(Errno::ERANGE)
    );
    let long = w.string(&format!("user.{}", "n".repeat(300)));
    assert_eq!(
        w.call(Sysno::Getxattr, &[path, long, out, 64]),
        err(Errno::ERANGE)
    );
    assert_eq!(
        w.call(Sysno::Getxattr, &[path, 0x10, out, 64]),
        err(Errno::EFAULT)
    );
    let plain = w.string("colour");
    assert_eq!(
        w.call(Sysno::Setxattr, &[path, plain, value, 4, 0]),
        err(Errno::EOPNOTSUPP)
    );
    assert_eq!(
        w.call(Sysno::Setxattr, &[path, name, value, 65537, 0]),
        err(Errno::E2BIG)
    );
    // A symlink itself takes no user. attribute; through it, its target.
    let link = w.string("/link");
    assert_eq!(w.call(Sysno::Symlink, &[path, link]), 0);
    assert_eq!(
        w.call(Sysno::Lsetxattr, &[link, name, value, 4, 0]),
        err(Errno::EPERM)
    );
    assert_eq!(w.call(Sysno::Setxattr, &[link, name, value, 4, 0]), 0);
    assert_eq!(w.call(Sysno::Fgetxattr, &[fd as u64, name, out, 64]), 4);
    // A pipe has none; a missing file is ENOENT.
    let fds = w.alloc(8);
    assert_eq!(w.call(Sysno::Pipe2, &[fds, 0]), 0);
    let pipe = u64::from(w.get::<u32>(fds));
    assert_eq!(
        w.call(Sysno::Fgetxattr, &[pipe, name, out, 64]),
        err(Errno::EOPNOTSUPP)
    );
    assert_eq!(w.call(Sysno::Flistxattr, &[pipe, out, 64]), 0);
    let missing = w.string("/missing");
    assert_eq!(
        w.call(Sysno::Getxattr, &[missing, name, out, 64]),
        err(Errno::ENOENT)
    );
}

#[test]
fn memory_devices_read_and_write_without_a_kernel_copy_and_stay_at_offset_zero() {
    use fs::devices::memory::{FullDevice, NullDevice, ZeroDevice};
    use std::sync::Arc;
    let w = World::new();
    let install = |file: Arc<dyn fs::File>, flags: u32| {
        let flags = fs::OpenFlags::from_bits_retain(flags);
        let description = fs::FileDescription::new(file, None, flags).unwrap();
        w.process.fds().lock().open(description, false).unwrap() as u64
    };
    let (seek_set, seek_cur) = (0, 1);
    let zero = install(Arc::new(ZeroDevice), O_RDWR);
    // More than one block of the zeroing, and not a byte past the count.
    let buffer = w.alloc(600);
    w.poke(buffer, &[0xaa; 600]);
    assert_eq!(w.call(Sysno::Read, &[zero, buffer, 599]), 599);
    assert_eq!(w.peek(buffer, 600), [vec![0; 599], vec![0xaa]].concat());
    // Linux's `null_lseek`: the offset stays 0, and every seek lands on 0.
    assert_eq!(w.call(Sysno::Lseek, &[zero, 0, seek_cur]), 0);
    assert_eq!(w.call(Sysno::Lseek, &[zero, 4096, seek_set]), 0);
    assert_eq!(w.call(Sysno::Lseek, &[zero, 0, 7]), err(Errno::EINVAL));
    // Zeros into memory that is not there: EFAULT.
    let unmapped = USER_BASE + USER_SIZE as u64;
    assert_eq!(
        w.call(Sysno::Read, &[zero, unmapped, 8]),
        err(Errno::EFAULT)
    );
    // Memory that ends part-way: the bytes before the end, as Linux.
    w.poke(unmapped - 8, &[0xaa; 8]);
    assert_eq!(w.call(Sysno::Read, &[zero, unmapped - 8, 64]), 8);
    assert_eq!(w.peek(unmapped - 8, 8), [0; 8]);
    assert_eq!(w.call(Sysno::Write, &[zero, buffer, 5]), 5);

    // A write to /dev/null never reads its buffer: unmapped user memory
    // is written from (Linux's `write_null`); an address outside user
    // space is still EFAULT (`access_ok`).
    let null = install(Arc::new(NullDevice), O_RDWR);
    assert_eq!(w.call(Sysno::Write, &[null, unmapped, 8]), 8);
    assert_eq!(
        w.call(Sysno::Write, &[null, 0xffff_8000_0000_0000, 8]),
        err(Errno::EFAULT)
    );
    assert_eq!(w.call(Sysno::Read, &[null, buffer, 8]), 0);
    assert_eq!(w.call(Sysno::Lseek, &[null, 0, seek_cur]), 0);

    let full = install(Arc::new(FullDevice), O_RDWR);
    assert_eq!(w.call(Sysno::Write, &[full, buffer, 1]), err(Errno::ENOSPC));
    w.poke(buffer, &[0xaa; 4]);
    assert_eq!(w.call(Sysno::Read, &[full, buffer, 4]), 4);
    assert_eq!(w.peek(buffer, 4), [0; 4]);

    // The access mode still holds.
    let read_only = install(Arc::new(NullDevice), O_RDONLY);
    assert_eq!(
        w.call(Sysno::Write, &[read_only, buffer, 1]),
        err(Errno::EBADF)
    );
    let write_only = install(Arc::new(ZeroDevice), O_WRONLY);
    assert_eq!(
        w.call(Sysno::Read, &[write_only, buffer, 1]),
        err(Errno::EBADF)
    );
}
