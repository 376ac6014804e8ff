//! The file tree through system calls: directories, links, renames,
//! permissions, ownership, times and the working directory, on the real
//! VFS and tmpfs with the process crate's credentials.

use crate::common::*;
use abi::{Errno, Stat, Sysno, Timespec, Timeval};

const S_IFMT: u32 = 0o170000;
const S_IFREG: u32 = 0o100000;
const S_IFDIR: u32 = 0o040000;
const S_IFLNK: u32 = 0o120000;
const AT_FDCWD: u64 = abi::AT_FDCWD as u64;
const AT_REMOVEDIR: u64 = 0x200;
const RENAME_NOREPLACE: u64 = 1;
const RENAME_EXCHANGE: u64 = 2;
const RENAME_WHITEOUT: u64 = 4;
const UTIME_NOW: i64 = (1 << 30) - 1;
const UTIME_OMIT: i64 = (1 << 30) - 2;
const R_OK: u64 = 4;
const W_OK: u64 = 2;
const F_OK: u64 = 0;

fn mkdir(w: &World, path: &str, mode: u64) -> i64 {
    let p = w.string(path);
    w.call(Sysno::Mkdir, &[p, mode])
}

fn path_call(w: &World, sysno: Sysno, path: &str, rest: &[u64]) -> i64 {
    let mut args = vec![w.string(path)];
    args.extend_from_slice(rest);
    w.call(sysno, &args)
}

fn two_paths(w: &World, sysno: Sysno, a: &str, b: &str) -> i64 {
    let (a, b) = (w.string(a), w.string(b));
    w.call(sysno, &[a, b])
}

fn create(w: &World, path: &str, contents: &[u8]) {
    let fd = w.open(path, O_CREAT | O_WRONLY | O_TRUNC);
    assert!(fd >= 0, "{path}: {fd}");
    w.write(fd, contents);
    w.call(Sysno::Close, &[fd as u64]);
}

fn fstat(w: &World, fd: i64) -> Stat {
    let buf = w.alloc(size_of::<Stat>());
    assert_eq!(w.call(Sysno::Fstat, &[fd as u64, buf]), 0);
    w.get(buf)
}

fn contents(w: &World, path: &str) -> Vec<u8> {
    let fd = w.open(path, O_RDONLY);
    assert!(fd >= 0, "{path}: {fd}");
    let data = w.read(fd, 4096).unwrap();
    w.call(Sysno::Close, &[fd as u64]);
    data
}

#[test]
fn directories_are_made_removed_only_when_empty_and_typed() {
    let w = World::new();
    assert_eq!(mkdir(&w, "/d", 0o755), 0);
    assert_eq!(w.stat("/d").unwrap().mode & S_IFMT, S_IFDIR);
    assert_eq!(mkdir(&w, "/d", 0o755), err(Errno::EEXIST));
    create(&w, "/d/f", b"x");
    assert_eq!(
        path_call(&w, Sysno::Rmdir, "/d", &[]),
        err(Errno::ENOTEMPTY)
    );
    assert_eq!(
        path_call(&w, Sysno::Rmdir, "/d/f", &[]),
        err(Errno::ENOTDIR)
    );
    assert_eq!(mkdir(&w, "/d/f/sub", 0o755), err(Errno::ENOTDIR));
    assert_eq!(mkdir(&w, "/missing/sub", 0o755), err(Errno::ENOENT));
    assert_eq!(path_call(&w, Sysno::Unlink, "/d/f", &[]), 0);
    assert_eq!(path_call(&w, Sysno::Rmdir, "/d", &[]), 0);
    assert_eq!(w.stat("/d").unwrap_err(), err(Errno::ENOENT));
}

#[test]
fn unlink_refuses_directories_and_unlinkat_removedir_takes_them() {
    let w = World::new();
    mkdir(&w, "/d", 0o755);
    assert_eq!(path_call(&w, Sysno::Unlink, "/d", &[]), err(Errno::EISDIR));
    let d = w.string("d");
    assert_eq!(w.call(Sysno::Unlinkat, &[AT_FDCWD, d, AT_REMOVEDIR]), 0);
    assert_eq!(
        w.call(Sysno::Unlinkat, &[AT_FDCWD, d, 0x1]),
        err(Errno::EINVAL)
    );
    assert_eq!(
        path_call(&w, Sysno::Unlink, "/nothing", &[]),
        err(Errno::ENOENT)
    );
}

#[test]
fn a_name_longer_than_255_bytes_is_enametoolong() {
    let w = World::new();
    let long = format!("/{}", "n".repeat(256));
    assert_eq!(mkdir(&w, &long, 0o755), err(Errno::ENAMETOOLONG));
    let fine = format!("/{}", "n".repeat(255));
    assert_eq!(mkdir(&w, &fine, 0o755), 0);
}

#[test]
fn hard_links_share_the_file_and_count_their_names() {
    let w = World::new();
    create(&w, "/a", b"shared");
    assert_eq!(two_paths(&w, Sysno::Link, "/a", "/b"), 0);
    let (a, b) = (w.stat("/a").unwrap(), w.stat("/b").unwrap());
    assert_eq!(a.ino, b.ino);
    assert_eq!(a.nlink, 2);
    assert_eq!(path_call(&w, Sysno::Unlink, "/a", &[]), 0);
    assert_eq!(w.stat("/b").unwrap().nlink, 1);
    assert_eq!(contents(&w, "/b"), b"shared");
    assert_eq!(two_paths(&w, Sysno::Link, "/b", "/b"), err(Errno::EEXIST));
    mkdir(&w, "/dir", 0o755);
    assert_eq!(
        two_paths(&w, Sysno::Link, "/dir", "/dir2"),
        err(Errno::EPERM)
    );
}

#[test]
fn symlinks_are_followed_by_stat_but_not_by_lstat_or_readlink() {
    let w = World::new();
    create(&w, "/target", b"12345");
    assert_eq!(two_paths(&w, Sysno::Symlink, "/target", "/link"), 0);
    assert_eq!(w.stat("/link").unwrap().size, 5);
    let buf = w.alloc(size_of::<Stat>());
    assert_eq!(path_call(&w, Sysno::Lstat, "/link", &[buf]), 0);
    assert_eq!(w.get::<Stat>(buf).mode & S_IFMT, S_IFLNK);
    let out = w.alloc(64);
    assert_eq!(path_call(&w, Sysno::Readlink, "/link", &[out, 64]), 7);
    assert_eq!(w.peek(out, 7), b"/target");
    // A short buffer gets the start, without a NUL.
    assert_eq!(path_call(&w, Sysno::Readlink, "/link", &[out, 3]), 3);
    assert_eq!(w.peek(out, 3), b"/ta");
    assert_eq!(
        path_call(&w, Sysno::Readlink, "/target", &[out, 64]),
        err(Errno::EINVAL)
    );
    assert_eq!(contents(&w, "/link"), b"12345");
    assert_eq!(two_paths(&w, Sysno::Symlink, "/nowhere", "/dangling"), 0);
    assert_eq!(w.stat("/dangling").unwrap_err(), err(Errno::ENOENT));
}

#[test]
fn a_symlink_loop_is_eloop() {
    let w = World::new();
    assert_eq!(two_paths(&w, Sysno::Symlink, "/b", "/a"), 0);
    assert_eq!(two_paths(&w, Sysno::Symlink, "/a", "/b"), 0);
    assert_eq!(w.open("/a", O_RDONLY), err(Errno::ELOOP));
}

#[test]
fn rename_replaces_the_target_and_noreplace_refuses() {
    let w = World::new();
    create(&w, "/old", b"new contents");
    create(&w, "/victim", b"old contents");
    assert_eq!(two_paths(&w, Sysno::Rename, "/old", "/victim"), 0);
    assert_eq!(contents(&w, "/victim"), b"new contents");
    assert_eq!(w.stat("/old").unwrap_err(), err(Errno::ENOENT));
    create(&w, "/other", b"o");
    let (a, b) = (w.string("/other"), w.string("/victim"));
    assert_eq!(
        w.call(
            Sysno::Renameat2,
            &[AT_FDCWD, a, AT_FDCWD, b, RENAME_NOREPLACE]
        ),
        err(Errno::EEXIST)
    );
    assert_eq!(contents(&w, "/victim"), b"new contents");
}

#[test]
fn renameat2_exchanges_and_refuses_flags_it_cannot_combine() {
    let w = World::new();
    create(&w, "/x", b"x");
    create(&w, "/y", b"y");
    let (x, y) = (w.string("/x"), w.string("/y"));
    let rename2 = |flags: u64| w.call(Sysno::Renameat2, &[AT_FDCWD, x, AT_FDCWD, y, flags]);
    assert_eq!(rename2(RENAME_EXCHANGE), 0);
    assert_eq!(contents(&w, "/x"), b"y");
    assert_eq!(contents(&w, "/y"), b"x");
    for refused in [RENAME_EXCHANGE | RENAME_NOREPLACE, RENAME_WHITEOUT, 1 << 3] {
        assert_eq!(rename2(refused), err(Errno::EINVAL), "flags {refused:#x}");
    }
    assert_eq!(contents(&w, "/x"), b"y");
    let missing = w.string("/missing");
    assert_eq!(
        w.call(
            Sysno::Renameat2,
            &[AT_FDCWD, x, AT_FDCWD, missing, RENAME_EXCHANGE]
        ),
        err(Errno::ENOENT)
    );
}

#[test]
fn a_directory_cannot_move_into_itself_or_over_a_file() {
    let w = World::new();
    mkdir(&w, "/d", 0o755);
    mkdir(&w, "/d/sub", 0o755);
    create(&w, "/f", b"");
    assert_eq!(
        two_paths(&w, Sysno::Rename, "/d", "/d/sub/inside"),
        err(Errno::EINVAL)
    );
    assert_eq!(
        two_paths(&w, Sysno::Rename, "/d", "/f"),
        err(Errno::ENOTDIR)
    );
    assert_eq!(two_paths(&w, Sysno::Rename, "/f", "/d"), err(Errno::EISDIR));
    assert_eq!(two_paths(&w, Sysno::Rename, "/d", "/e"), 0);
    assert!(w.stat("/e/sub").is_ok());
}

#[test]
fn renameat_resolves_each_name_against_its_own_directory() {
    let w = World::new();
    mkdir(&w, "/from", 0o755);
    mkdir(&w, "/to", 0o755);
    create(&w, "/from/f", b"moved");
    let from = w.open("/from", O_RDONLY | O_DIRECTORY);
    let to = w.open("/to", O_RDONLY | O_DIRECTORY);
    let (a, b) = (w.string("f"), w.string("g"));
    assert_eq!(w.call(Sysno::Renameat, &[from as u64, a, to as u64, b]), 0);
    assert_eq!(contents(&w, "/to/g"), b"moved");
}

#[test]
fn fchmod_and_fchown_reach_a_file_that_was_renamed() {
    let w = World::new();
    create(&w, "/before", b"x");
    let fd = w.open("/before", O_RDWR);
    assert_eq!(two_paths(&w, Sysno::Rename, "/before", "/after"), 0);
    assert_eq!(w.call(Sysno::Fchmod, &[fd as u64, 0o640]), 0);
    assert_eq!(w.call(Sysno::Fchown, &[fd as u64, 12, 34]), 0);
    let st = w.stat("/after").unwrap();
    assert_eq!(st.mode & 0o7777, 0o640);
    assert_eq!((st.uid, st.gid), (12, 34));
}

#[test]
fn fchmod_and_fchown_work_on_an_unlinked_file() {
    let w = World::new();
    create(&w, "/gone", b"x");
    let fd = w.open("/gone", O_RDWR);
    assert_eq!(path_call(&w, Sysno::Unlink, "/gone", &[]), 0);
    assert_eq!(w.call(Sysno::Fchmod, &[fd as u64, 0o600]), 0);
    assert_eq!(w.call(Sysno::Fchown, &[fd as u64, 7, 8]), 0);
    let st = fstat(&w, fd);
    assert_eq!(st.mode & 0o7777, 0o600);
    assert_eq!((st.uid, st.gid), (7, 8));
    assert_eq!(st.nlink, 0);
}

#[test]
fn only_the_owner_changes_the_mode_and_only_root_gives_a_file_away() {
    let w = World::new();
    create(&w, "/rootfile", b"");
    mkdir(&w, "/rootdir", 0o755);
    w.become_user(1000, 1000);
    assert_eq!(
        path_call(&w, Sysno::Chmod, "/rootfile", &[0o777]),
        err(Errno::EPERM)
    );
    assert_eq!(
        path_call(&w, Sysno::Chown, "/rootfile", &[1000, 1000]),
        err(Errno::EPERM)
    );
    assert_eq!(
        path_call(&w, Sysno::Chmod, "/rootdir", &[0o700]),
        err(Errno::EPERM)
    );
    assert_eq!(w.stat("/rootdir").unwrap().mode & 0o777, 0o755);
}

#[test]
fn an_owner_changes_its_own_files_mode_but_cannot_give_it_away() {
    let w = World::new();
    mkdir(&w, "/home", 0o777);
    path_call(&w, Sysno::Chmod, "/home", &[0o777]);
    w.become_user(1000, 1000);
    create(&w, "/home/mine", b"");
    let mine = "/home/mine";
    assert_eq!(path_call(&w, Sysno::Chmod, mine, &[0o600]), 0);
    assert_eq!(w.stat(mine).unwrap().mode & 0o777, 0o600);
    assert_eq!(
        path_call(&w, Sysno::Chown, mine, &[0, 0]),
        err(Errno::EPERM)
    );
    // chown to ourselves (-1 keeps) is allowed.
    assert_eq!(
        path_call(&w, Sysno::Chown, mine, &[u32::MAX as u64, u32::MAX as u64]),
        0
    );
}

#[test]
fn the_umask_clears_bits_of_new_files_and_directories() {
    let w = World::new();
    assert_eq!(w.call(Sysno::Umask, &[0o027]), 0o022);
    let p = w.string("/f");
    let fd = w.call(
        Sysno::Openat,
        &[AT_FDCWD, p, (O_CREAT | O_WRONLY) as u64, 0o666],
    );
    assert!(fd >= 0);
    assert_eq!(w.stat("/f").unwrap().mode & 0o777, 0o640);
    mkdir(&w, "/d", 0o777);
    assert_eq!(w.stat("/d").unwrap().mode & 0o777, 0o750);
    assert_eq!(w.call(Sysno::Umask, &[0o1777]), 0o027);
    assert_eq!(
        w.call(Sysno::Umask, &[0o022]),
        0o777,
        "only the permission bits"
    );
}

#[test]
fn access_checks_the_real_ids_against_the_mode() {
    let w = World::new();
    create(&w, "/secret", b"");
    path_call(&w, Sysno::Chmod, "/secret", &[0o600]);
    create(&w, "/public", b"");
    path_call(&w, Sysno::Chmod, "/public", &[0o644]);
    w.become_user(1000, 1000);
    assert_eq!(path_call(&w, Sysno::Access, "/secret", &[F_OK]), 0);
    assert_eq!(
        path_call(&w, Sysno::Access, "/secret", &[R_OK]),
        err(Errno::EACCES)
    );
    assert_eq!(path_call(&w, Sysno::Access, "/public", &[R_OK]), 0);
    assert_eq!(
        path_call(&w, Sysno::Access, "/public", &[W_OK]),
        err(Errno::EACCES)
    );
    assert_eq!(
        path_call(&w, Sysno::Access, "/public", &[8]),
        err(Errno::EINVAL)
    );
    assert_eq!(
        path_call(&w, Sysno::Access, "/none", &[F_OK]),
        err(Errno::ENOENT)
    );
    assert_eq!(w.open("/secret", O_RDONLY), err(Errno::EACCES));
}

#[test]
fn utime_sets_both_times_and_null_means_now() {
    let w = World::new();
    create(&w, "/f", b"");
    let times = w.put(&[1_000i64, 2_000]);
    assert_eq!(path_call(&w, Sysno::Utime, "/f", &[times]), 0);
    let st = w.stat("/f").unwrap();
    assert_eq!((st.atime_sec, st.mtime_sec), (1_000, 2_000));
    w.machine.advance(5_000_000_000);
    assert_eq!(path_call(&w, Sysno::Utime, "/f", &[0]), 0);
    let st = w.stat("/f").unwrap();
    assert_eq!((st.atime_sec, st.mtime_sec), (EPOCH + 5, EPOCH + 5));
}

#[test]
fn utimes_takes_microseconds_and_refuses_bad_ones() {
    let w = World::new();
    create(&w, "/f", b"");
    let times = w.put(&[
        Timeval {
            tv_sec: 10,
            tv_usec: 250,
        },
        Timeval {
            tv_sec: 20,
            tv_usec: 999_999,
        },
    ]);
    assert_eq!(path_call(&w, Sysno::Utimes, "/f", &[times]), 0);
    let st = w.stat("/f").unwrap();
    assert_eq!((st.atime_sec, st.atime_nsec), (10, 250_000));
    assert_eq!((st.mtime_sec, st.mtime_nsec), (20, 999_999_000));
    let bad = w.put(&[
        Timeval {
            tv_sec: 1,
            tv_usec: 1_000_000,
        },
        Timeval {
            tv_sec: 1,
            tv_usec: 0,
        },
    ]);
    assert_eq!(
        path_call(&w, Sysno::Utimes, "/f", &[bad]),
        err(Errno::EINVAL)
    );
}

#[test]
fn utimensat_honours_utime_omit_and_utime_now() {
    let w = World::new();
    create(&w, "/f", b"");
    let set = w.put(&[
        Timespec { sec: 100, nsec: 5 },
        Timespec { sec: 200, nsec: 6 },
    ]);
    let p = w.string("/f");
    assert_eq!(w.call(Sysno::Utimensat, &[AT_FDCWD, p, set, 0]), 0);
    w.machine.advance(3_000_000_000);
    let partial = w.put(&[
        Timespec {
            sec: 0,
            nsec: UTIME_OMIT,
        },
        Timespec {
            sec: 0,
            nsec: UTIME_NOW,
        },
    ]);
    assert_eq!(w.call(Sysno::Utimensat, &[AT_FDCWD, p, partial, 0]), 0);
    let st = w.stat("/f").unwrap();
    assert_eq!((st.atime_sec, st.atime_nsec), (100, 5), "omitted");
    assert_eq!(st.mtime_sec, EPOCH + 3, "now");
    // On a descriptor: a NULL path.
    let fd = w.open("/f", O_RDWR);
    assert_eq!(w.call(Sysno::Utimensat, &[fd as u64, 0, set, 0]), 0);
    assert_eq!(w.stat("/f").unwrap().mtime_sec, 200);
}

#[test]
fn only_the_owner_may_set_explicit_times() {
    let w = World::new();
    create(&w, "/f", b"");
    path_call(&w, Sysno::Chmod, "/f", &[0o666]);
    w.become_user(1000, 1000);
    let times = w.put(&[1i64, 2]);
    assert_eq!(
        path_call(&w, Sysno::Utime, "/f", &[times]),
        err(Errno::EPERM)
    );
    // "Now" needs only write permission.
    assert_eq!(path_call(&w, Sysno::Utime, "/f", &[0]), 0);
}

#[test]
fn the_working_directory_anchors_relative_paths() {
    let w = World::new();
    mkdir(&w, "/home", 0o755);
    mkdir(&w, "/home/user", 0o755);
    assert_eq!(path_call(&w, Sysno::Chdir, "/home/user", &[]), 0);
    let buf = w.alloc(64);
    assert_eq!(w.call(Sysno::Getcwd, &[buf, 64]), 11);
    assert_eq!(w.peek(buf, 11), b"/home/user\0");
    assert_eq!(w.call(Sysno::Getcwd, &[buf, 5]), err(Errno::ERANGE));
    create(&w, "notes", b"relative");
    assert_eq!(contents(&w, "/home/user/notes"), b"relative");
    assert_eq!(path_call(&w, Sysno::Chdir, "..", &[]), 0);
    assert_eq!(contents(&w, "user/notes"), b"relative");
    assert_eq!(
        path_call(&w, Sysno::Chdir, "user/notes", &[]),
        err(Errno::ENOTDIR)
    );
    let root = w.open("/", O_RDONLY | O_DIRECTORY);
    assert_eq!(w.call(Sysno::Fchdir, &[root as u64]), 0);
    assert_eq!(w.call(Sysno::Getcwd, &[buf, 64]), 2);
}

#[test]
fn chroot_needs_root_and_confines_absolute_paths() {
    let w = World::new();
    mkdir(&w, "/jail", 0o755);
    create(&w, "/jail/inside", b"in");
    create(&w, "/outside", b"out");
    let child = w.fork();
    {
        let mut data = child.0.data();
        data.change_credentials(|c| {
            *c = process::Credentials::new(5, 5);
            Ok(())
        })
        .unwrap();
    }
    let jail = w.string("/jail");
    assert_eq!(
        w.call_as(&child.0, &child.1, Sysno::Chroot, &[jail]),
        err(Errno::EPERM)
    );
    assert_eq!(w.call(Sysno::Chroot, &[jail]), 0);
    assert_eq!(contents(&w, "/inside"), b"in");
    assert_eq!(w.open("/outside", O_RDONLY), err(Errno::ENOENT));
    // ".." at the new root stays there.
    assert_eq!(contents(&w, "/../inside"), b"in");
}

#[test]
fn openat_resolves_against_a_directory_descriptor_only() {
    let w = World::new();
    mkdir(&w, "/d", 0o755);
    create(&w, "/d/f", b"in d");
    let dir = w.open("/d", O_RDONLY | O_DIRECTORY);
    let f = w.string("f");
    let fd = w.call(Sysno::Openat, &[dir as u64, f, O_RDONLY as u64, 0]);
    assert!(fd >= 0);
    assert_eq!(w.read(fd, 10).unwrap(), b"in d");
    assert_eq!(
        w.call(Sysno::Openat, &[fd as u64, f, O_RDONLY as u64, 0]),
        err(Errno::ENOTDIR)
    );
    assert_eq!(
        w.call(Sysno::Openat, &[77, f, O_RDONLY as u64, 0]),
        err(Errno::EBADF)
    );
    let abs = w.string("/d/f");
    assert!(
        w.call(Sysno::Openat, &[77, abs, O_RDONLY as u64, 0]) >= 0,
        "absolute ignores dirfd"
    );
    assert_eq!(w.open("/d/f", O_RDONLY | O_DIRECTORY), err(Errno::ENOTDIR));
    assert_eq!(w.open("/d", O_WRONLY), err(Errno::EISDIR));
}

#[test]
fn append_writes_land_at_the_end_and_trunc_empties() {
    let w = World::new();
    create(&w, "/log", b"one\n");
    let fd = w.open("/log", O_WRONLY | O_APPEND);
    assert_eq!(w.call(Sysno::Lseek, &[fd as u64, 0, 0]), 0);
    w.write(fd, b"two\n");
    assert_eq!(contents(&w, "/log"), b"one\ntwo\n");
    let fd = w.open("/log", O_WRONLY | O_TRUNC);
    assert!(fd >= 0);
    assert_eq!(w.stat("/log").unwrap().size, 0);
}

#[test]
fn lseek_whence_and_bounds_follow_linux() {
    let w = World::new();
    create(&w, "/f", b"0123456789");
    let fd = w.open("/f", O_RDONLY) as u64;
    assert_eq!(
        w.call(Sysno::Lseek, &[fd, (-3i64) as u64, 2]),
        7,
        "SEEK_END"
    );
    assert_eq!(w.read(fd as i64, 10).unwrap(), b"789");
    assert_eq!(
        w.call(Sysno::Lseek, &[fd, (-2i64) as u64, 1]),
        8,
        "SEEK_CUR"
    );
    assert_eq!(
        w.call(Sysno::Lseek, &[fd, (-1i64) as u64, 0]),
        err(Errno::EINVAL)
    );
    assert_eq!(w.call(Sysno::Lseek, &[fd, 0, 9]), err(Errno::EINVAL));
    assert_eq!(
        w.call(Sysno::Lseek, &[fd, 100, 0]),
        100,
        "past the end is fine"
    );
    assert_eq!(w.read(fd as i64, 10).unwrap(), b"");
}

#[test]
fn truncate_by_path_needs_write_permission() {
    let w = World::new();
    create(&w, "/f", b"0123456789");
    assert_eq!(path_call(&w, Sysno::Truncate, "/f", &[4]), 0);
    assert_eq!(contents(&w, "/f"), b"0123");
    assert_eq!(
        path_call(&w, Sysno::Truncate, "/f", &[u64::MAX]),
        err(Errno::EINVAL)
    );
    mkdir(&w, "/d", 0o755);
    assert_eq!(
        path_call(&w, Sysno::Truncate, "/d", &[0]),
        err(Errno::EISDIR)
    );
    w.become_user(1000, 1000);
    assert_eq!(
        path_call(&w, Sysno::Truncate, "/f", &[0]),
        err(Errno::EACCES)
    );
}

#[test]
fn statfs_names_tmpfs() {
    let w = World::new();
    let buf = w.alloc(size_of::<abi::Statfs>());
    assert_eq!(path_call(&w, Sysno::Statfs, "/", &[buf]), 0);
    let st: abi::Statfs = w.get(buf);
    assert_eq!(st.f_type, 0x0102_1994, "TMPFS_MAGIC");
    assert_eq!(
        path_call(&w, Sysno::Statfs, "/nope", &[buf]),
        err(Errno::ENOENT)
    );
    let fd = w.open("/", O_RDONLY | O_DIRECTORY);
    assert_eq!(w.call(Sysno::Fstatfs, &[fd as u64, buf]), 0);
}

#[test]
fn a_new_regular_file_is_owned_by_the_fs_ids() {
    let w = World::new();
    mkdir(&w, "/tmp", 0o777);
    path_call(&w, Sysno::Chmod, "/tmp", &[0o1777]);
    w.become_user(1000, 100);
    create(&w, "/tmp/mine", b"");
    let st = w.stat("/tmp/mine").unwrap();
    assert_eq!((st.uid, st.gid), (1000, 100));
    assert_eq!(st.mode & S_IFMT, S_IFREG);
}
