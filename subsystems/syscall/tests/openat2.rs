//! `openat2`: `struct open_how` checked as strictly as Linux checks it,
//! and the `RESOLVE_*` limits on the walk.

use crate::common::*;
use abi::{Errno, Sysno};

const O_PATH: u64 = 0o10000000;
const O_NOFOLLOW: u64 = 0o400000;
const RESOLVE_NO_SYMLINKS: u64 = 0x04;
const RESOLVE_BENEATH: u64 = 0x08;
const RESOLVE_IN_ROOT: u64 = 0x10;
const RESOLVE_CACHED: u64 = 0x20;

/// `openat2(dirfd, path, &how, size)` with `how` followed by `extra`.
fn openat2_sized(w: &World, dirfd: i64, path: &str, how: [u64; 3], extra: &[u8]) -> i64 {
    let mut bytes: Vec<u8> = how.iter().flat_map(|field| field.to_ne_bytes()).collect();
    bytes.extend_from_slice(extra);
    let at = w.alloc(bytes.len());
    w.poke(at, &bytes);
    let path = w.string(path);
    w.call(
        Sysno::Openat2,
        &[dirfd as u64, path, at, bytes.len() as u64],
    )
}

fn openat2(w: &World, dirfd: i64, path: &str, flags: u64, resolve: u64) -> i64 {
    openat2_sized(w, dirfd, path, [flags, 0, resolve], &[])
}

fn symlink(w: &World, target: &str, link: &str) {
    let (target, link) = (w.string(target), w.string(link));
    assert_eq!(w.call(Sysno::Symlink, &[target, link]), 0);
}

/// /d with sub/f inside, /outside beside it, and links out of /d.
fn tree(w: &World) -> i64 {
    for dir in ["/d", "/d/sub"] {
        let p = w.string(dir);
        assert_eq!(w.call(Sysno::Mkdir, &[p, 0o755]), 0);
    }
    for file in ["/d/sub/f", "/outside"] {
        let fd = w.open(file, O_CREAT | O_WRONLY);
        assert!(fd >= 0);
        w.write(fd, file.as_bytes());
    }
    symlink(w, "/outside", "/d/absolute");
    symlink(w, "../outside", "/d/up");
    symlink(w, "sub/f", "/d/relative");
    let dirfd = w.open("/d", O_RDONLY | O_DIRECTORY);
    assert!(dirfd >= 0);
    dirfd
}

fn read_all(w: &World, fd: i64) -> Vec<u8> {
    assert!(fd >= 0, "open failed: {fd}");
    w.read(fd, 64).unwrap()
}

#[test]
fn beneath_keeps_the_walk_inside_the_directory() {
    let w = World::new();
    let d = tree(&w);
    assert_eq!(
        read_all(
            &w,
            openat2(&w, d, "sub/f", O_RDONLY as u64, RESOLVE_BENEATH)
        ),
        b"/d/sub/f"
    );
    assert_eq!(
        read_all(
            &w,
            openat2(&w, d, "sub/../relative", O_RDONLY as u64, RESOLVE_BENEATH)
        ),
        b"/d/sub/f"
    );
    for escape in ["../outside", "/outside", "absolute", "up", "sub/../.."] {
        assert_eq!(
            openat2(&w, d, escape, O_RDONLY as u64, RESOLVE_BENEATH),
            err(Errno::EXDEV),
            "{escape}"
        );
    }
    // Creating inside is fine; through a way out it is not.
    assert!(
        openat2_sized(
            &w,
            d,
            "sub/new",
            [(O_CREAT | O_WRONLY) as u64, 0o600, RESOLVE_BENEATH],
            &[]
        ) >= 0
    );
    assert_eq!(
        openat2_sized(
            &w,
            d,
            "../new",
            [(O_CREAT | O_WRONLY) as u64, 0o600, RESOLVE_BENEATH],
            &[]
        ),
        err(Errno::EXDEV)
    );
    // Without limits the same names leave /d.
    assert_eq!(
        read_all(&w, openat2(&w, d, "up", O_RDONLY as u64, 0)),
        b"/outside"
    );
}

#[test]
fn in_root_resolves_absolute_names_and_dotdot_inside_the_directory() {
    let w = World::new();
    let d = tree(&w);
    assert_eq!(
        read_all(
            &w,
            openat2(&w, d, "/sub/f", O_RDONLY as u64, RESOLVE_IN_ROOT)
        ),
        b"/d/sub/f"
    );
    assert_eq!(
        read_all(
            &w,
            openat2(&w, d, "../../sub/f", O_RDONLY as u64, RESOLVE_IN_ROOT)
        ),
        b"/d/sub/f"
    );
    // "/outside" inside /d does not exist.
    assert_eq!(
        openat2(&w, d, "absolute", O_RDONLY as u64, RESOLVE_IN_ROOT),
        err(Errno::ENOENT)
    );
}

#[test]
fn no_symlinks_refuses_every_link_it_would_follow() {
    let w = World::new();
    let d = tree(&w);
    assert_eq!(
        openat2(&w, d, "relative", O_RDONLY as u64, RESOLVE_NO_SYMLINKS),
        err(Errno::ELOOP)
    );
    // The link itself, not followed, may be named with O_PATH|O_NOFOLLOW.
    assert!(openat2(&w, d, "relative", O_PATH | O_NOFOLLOW, RESOLVE_NO_SYMLINKS) >= 0);
    assert!(openat2(&w, d, "sub/f", O_RDONLY as u64, RESOLVE_NO_SYMLINKS) >= 0);
}

#[test]
fn open_how_is_checked_strictly() {
    let w = World::new();
    let d = tree(&w);
    let rd = O_RDONLY as u64;
    assert!(openat2_sized(&w, d, "sub/f", [rd, 0, 0], &[0; 8]) >= 0);
    assert_eq!(
        openat2_sized(&w, d, "sub/f", [rd, 0, 0], &[0, 1]),
        err(Errno::E2BIG)
    );
    let path = w.string("sub/f");
    let how = w.alloc(16);
    assert_eq!(
        w.call(Sysno::Openat2, &[d as u64, path, how, 16]),
        err(Errno::EINVAL),
        "smaller than the first version"
    );
    assert_eq!(
        w.call(Sysno::Openat2, &[d as u64, path, how, 8192]),
        err(Errno::E2BIG)
    );
    for (how, errno) in [
        ([rd | 1 << 40, 0, 0], Errno::EINVAL),
        ([rd | 0o4, 0, 0], Errno::EINVAL),
        ([rd, 0o644, 0], Errno::EINVAL),
        ([O_CREAT as u64, 0o10644, 0], Errno::EINVAL),
        ([O_PATH | O_RDWR as u64, 0, 0], Errno::EINVAL),
        ([rd, 0, RESOLVE_BENEATH | RESOLVE_IN_ROOT], Errno::EINVAL),
        ([rd, 0, 0x40], Errno::EINVAL),
        (
            [(O_CREAT | O_WRONLY) as u64, 0o600, RESOLVE_CACHED],
            Errno::EAGAIN,
        ),
    ] {
        assert_eq!(
            openat2_sized(&w, d, "sub/f", how, &[]),
            err(errno),
            "{how:?}"
        );
    }
    assert!(openat2(&w, d, "sub/f", rd, RESOLVE_CACHED) >= 0);
    assert!(openat2(&w, d, "sub", O_PATH | u64::from(O_DIRECTORY), 0) >= 0);
}
