//! inotify through system calls: the checks in Linux's order, and events
//! read from the descriptor after path operations. One test: watches are
//! machine-wide, and this binary's world is the only one touching them.

use crate::common::*;
use abi::{Errno, Sysno};

const IN_NONBLOCK: u64 = 0o4000;
const IN_CLOEXEC: u64 = 0o2000000;
const IN_CREATE: u64 = 0x100;
const IN_DELETE: u64 = 0x200;
const IN_IGNORED: u32 = 0x8000;
const IN_ONLYDIR: u64 = 0x0100_0000;
const IN_MASK_ADD: u64 = 0x2000_0000;
const IN_MASK_CREATE: u64 = 0x1000_0000;
const FIONREAD: u64 = 0x541b;

#[test]
fn watches_report_path_operations_through_the_descriptor() {
    let w = World::new();
    assert_eq!(w.call(Sysno::InotifyInit1, &[0x1]), err(Errno::EINVAL));
    let fd = w.call(Sysno::InotifyInit1, &[IN_NONBLOCK | IN_CLOEXEC]);
    assert!(fd >= 0);
    let fd = fd as u64;
    assert_eq!(w.call(Sysno::Fcntl, &[fd, 1, 0]), 1, "FD_CLOEXEC");

    let dir = w.string("/watched");
    assert_eq!(w.call(Sysno::Mkdir, &[dir, 0o755]), 0);
    // The mask is checked before the descriptor, the descriptor before
    // the path.
    assert_eq!(
        w.call(Sysno::InotifyAddWatch, &[999, dir, 0]),
        err(Errno::EINVAL)
    );
    assert_eq!(
        w.call(
            Sysno::InotifyAddWatch,
            &[fd, dir, IN_MASK_ADD | IN_MASK_CREATE | IN_CREATE]
        ),
        err(Errno::EINVAL)
    );
    let missing = w.string("/nowhere");
    assert_eq!(
        w.call(Sysno::InotifyAddWatch, &[999, missing, IN_CREATE]),
        err(Errno::EBADF)
    );
    let other = w.open("/plain", 0o100 | 0o1) as u64;
    assert_eq!(
        w.call(Sysno::InotifyAddWatch, &[other, dir, IN_CREATE]),
        err(Errno::EINVAL),
        "not an inotify descriptor"
    );
    assert_eq!(
        w.call(Sysno::InotifyAddWatch, &[fd, missing, IN_CREATE]),
        err(Errno::ENOENT)
    );
    let plain = w.string("/plain");
    assert_eq!(
        w.call(Sysno::InotifyAddWatch, &[fd, plain, IN_CREATE | IN_ONLYDIR]),
        err(Errno::ENOTDIR)
    );

    let wd = w.call(Sysno::InotifyAddWatch, &[fd, dir, IN_CREATE | IN_DELETE]);
    assert_eq!(wd, 1);
    assert_eq!(w.read(fd as i64, 64), Err(err(Errno::EAGAIN)));
    let child = w.string("/watched/new");
    assert_eq!(w.call(Sysno::Mkdir, &[child, 0o700]), 0);
    assert_eq!(w.call(Sysno::Rmdir, &[child]), 0);
    let queued = w.alloc(4);
    assert_eq!(w.call(Sysno::Ioctl, &[fd, FIONREAD, queued]), 0);
    assert_eq!(w.get::<i32>(queued), 64);
    let bytes = w.read(fd as i64, 256).unwrap();
    assert_eq!(bytes.len(), 64);
    let word = |at: usize| u32::from_ne_bytes(bytes[at..at + 4].try_into().unwrap());
    assert_eq!((word(0), word(4), word(12)), (1, 0x4000_0100, 16));
    assert_eq!(&bytes[16..20], b"new\0");
    assert_eq!((word(32), word(36), word(44)), (1, 0x4000_0200, 16));

    assert_eq!(w.call(Sysno::InotifyRmWatch, &[fd, wd as u64]), 0);
    assert_eq!(
        w.call(Sysno::InotifyRmWatch, &[fd, wd as u64]),
        err(Errno::EINVAL)
    );
    let bytes = w.read(fd as i64, 64).unwrap();
    assert_eq!(
        u32::from_ne_bytes(bytes[4..8].try_into().unwrap()),
        IN_IGNORED
    );
    assert!(w.call(Sysno::InotifyInit, &[]) >= 0);
}
