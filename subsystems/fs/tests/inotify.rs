//! inotify through the VFS: which operations report which events, to
//! which watches, in which order. Watches are machine-wide, keyed by
//! inode, so each test has a tmpfs with its own device number.

mod common;

use std::sync::Arc;

use abi::Errno;
use common::{CountingWaitQueue, World};
use fs::inotify::*;
use fs::{Credentials, FileDescription, OpenFlags, PathContext, TimeChange};

/// One decoded `struct inotify_event`.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    wd: i32,
    mask: u32,
    cookie: u32,
    name: String,
}

fn seen(wd: i32, mask: u32, name: &str) -> Seen {
    Seen {
        wd,
        mask,
        cookie: 0,
        name: name.to_string(),
    }
}

fn instance() -> Arc<FileDescription> {
    create_inotify(0, 1000, Arc::new(CountingWaitQueue::default())).unwrap()
}

fn watch(world: &World, instance: &FileDescription, path: &str, mask: u32) -> i32 {
    let custody = world.vfs.resolve(&world.su(), path, true).unwrap();
    instance
        .file()
        .inotify()
        .unwrap()
        .add_watch(custody.inode(), mask)
        .unwrap()
}

/// Everything queued, in order (cookies zeroed unless `keep_cookies`).
fn drain(instance: &FileDescription, keep_cookies: bool) -> Vec<Seen> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = match instance.read(&mut buf) {
            Ok(n) => n,
            Err(Errno::EAGAIN) => return out,
            Err(e) => panic!("read: {e:?}"),
        };
        let mut at = 0;
        while at < n {
            let word = |i: usize| u32::from_ne_bytes(buf[at + i..at + i + 4].try_into().unwrap());
            let len = word(12) as usize;
            let name = &buf[at + 16..at + 16 + len];
            let end = name.iter().position(|&b| b == 0).unwrap_or(len);
            out.push(Seen {
                wd: word(0) as i32,
                mask: word(4),
                cookie: if keep_cookies { word(8) } else { 0 },
                name: String::from_utf8(name[..end].to_vec()).unwrap(),
            });
            at += 16 + len;
        }
    }
}

#[test]
fn a_directory_watch_sees_its_entries_come_and_go() {
    let world = World::with_dev(101);
    world.vfs.mkdir(&world.su(), "/d", 0o755).unwrap();
    let ino = instance();
    let wd = watch(&world, &ino, "/d", IN_ALL_EVENTS);
    world.write_file("/d/f", b"hi");
    world.vfs.mkdir(&world.su(), "/d/sub", 0o755).unwrap();
    world.vfs.symlink(&world.su(), "f", "/d/link").unwrap();
    world.vfs.unlink(&world.su(), "/d/link").unwrap();
    world.vfs.rmdir(&world.su(), "/d/sub").unwrap();
    assert_eq!(
        drain(&ino, false),
        vec![
            seen(wd, IN_CREATE, "f"),
            seen(wd, IN_OPEN, "f"),
            seen(wd, IN_MODIFY, "f"),
            seen(wd, IN_CLOSE_WRITE, "f"),
            seen(wd, IN_CREATE | IN_ISDIR, "sub"),
            seen(wd, IN_CREATE, "link"),
            seen(wd, IN_DELETE, "link"),
            seen(wd, IN_DELETE | IN_ISDIR, "sub"),
        ]
    );
}

#[test]
fn a_file_watch_sees_io_attributes_and_its_own_end() {
    let world = World::with_dev(102);
    world.write_file("/f", b"abc");
    let ino = instance();
    let wd = watch(&world, &ino, "/f", IN_ALL_EVENTS);
    let read = world.read_file("/f");
    assert_eq!(read, b"abc");
    world.vfs.chmod(&world.su(), "/f", 0o600).unwrap();
    world
        .vfs
        .set_times(&world.su(), "/f", TimeChange::Now, TimeChange::Now, true)
        .unwrap();
    world.vfs.truncate(&world.su(), "/f", 1).unwrap();
    assert_eq!(
        drain(&ino, false),
        vec![
            seen(wd, IN_OPEN, ""),
            seen(wd, IN_ACCESS, ""),
            seen(wd, IN_CLOSE_NOWRITE, ""),
            seen(wd, IN_ATTRIB, ""),
            seen(wd, IN_MODIFY, ""),
        ],
        "chmod's and utimens' IN_ATTRIB merge: the second repeats the first"
    );
    world.vfs.link(&world.su(), "/f", "/g", false).unwrap();
    assert_eq!(
        drain(&ino, false),
        vec![seen(wd, IN_ATTRIB, "")],
        "link count up"
    );
    world.vfs.unlink(&world.su(), "/g").unwrap();
    assert_eq!(
        drain(&ino, false),
        vec![seen(wd, IN_ATTRIB, "")],
        "and down"
    );
    world.vfs.unlink(&world.su(), "/f").unwrap();
    assert_eq!(
        drain(&ino, false),
        vec![
            seen(wd, IN_ATTRIB, ""),
            seen(wd, IN_DELETE_SELF, ""),
            seen(wd, IN_IGNORED, ""),
        ]
    );
    assert_eq!(ino.file().inotify().unwrap().watch_count(), 0);
}

#[test]
fn a_rename_pairs_its_two_entry_events_by_cookie() {
    let world = World::with_dev(103);
    world.vfs.mkdir(&world.su(), "/a", 0o755).unwrap();
    world.vfs.mkdir(&world.su(), "/b", 0o755).unwrap();
    world.write_file("/a/x", b"");
    world.write_file("/b/y", b"");
    let ino = instance();
    let from = watch(&world, &ino, "/a", IN_MOVED_FROM | IN_MOVED_TO);
    let to = watch(&world, &ino, "/b", IN_MOVED_FROM | IN_MOVED_TO);
    let moved = watch(&world, &ino, "/a/x", IN_MOVE_SELF);
    let replaced = watch(&world, &ino, "/b/y", IN_DELETE_SELF);
    world.vfs.rename(&world.su(), "/a/x", "/b/y").unwrap();
    let events = drain(&ino, true);
    assert_eq!(events.len(), 5, "{events:?}");
    assert_eq!(
        (events[0].wd, events[0].mask, &*events[0].name),
        (from, IN_MOVED_FROM, "x")
    );
    assert_eq!(
        (events[1].wd, events[1].mask, &*events[1].name),
        (to, IN_MOVED_TO, "y")
    );
    assert_ne!(events[0].cookie, 0);
    assert_eq!(events[0].cookie, events[1].cookie);
    assert_eq!((events[2].wd, events[2].mask), (moved, IN_MOVE_SELF));
    assert_eq!((events[3].wd, events[3].mask), (replaced, IN_DELETE_SELF));
    assert_eq!((events[4].wd, events[4].mask), (replaced, IN_IGNORED));
}

#[test]
fn an_exchange_reports_two_moves_and_deletes_nothing() {
    let world = World::with_dev(104);
    world.vfs.mkdir(&world.su(), "/a", 0o755).unwrap();
    world.vfs.mkdir(&world.su(), "/b", 0o755).unwrap();
    world.write_file("/a/x", b"");
    world.write_file("/b/y", b"");
    let ino = instance();
    let a = watch(&world, &ino, "/a", IN_MOVED_FROM | IN_MOVED_TO);
    let b = watch(&world, &ino, "/b", IN_MOVED_FROM | IN_MOVED_TO);
    let y = watch(&world, &ino, "/b/y", IN_MOVE_SELF | IN_DELETE_SELF);
    let su = world.su();
    world
        .vfs
        .rename_with(&su, "/a/x", &su, "/b/y", fs::RenameMode::Exchange)
        .unwrap();
    let events = drain(&ino, true);
    let seen: Vec<_> = events.iter().map(|e| (e.wd, e.mask, &*e.name)).collect();
    assert_eq!(
        seen,
        [
            (a, IN_MOVED_FROM, "x"),
            (b, IN_MOVED_TO, "y"),
            (b, IN_MOVED_FROM, "y"),
            (a, IN_MOVED_TO, "x"),
            (y, IN_MOVE_SELF, ""),
        ]
    );
    assert_eq!(events[0].cookie, events[1].cookie);
    assert_eq!(events[2].cookie, events[3].cookie);
    assert_ne!(events[0].cookie, events[2].cookie);
}

#[test]
fn listing_a_directory_reports_open_access_and_close_on_it() {
    let world = World::with_dev(109);
    world.vfs.mkdir(&world.su(), "/d", 0o755).unwrap();
    world.write_file("/d/f", b"");
    let ino = instance();
    let wd = watch(&world, &ino, "/d", IN_OPEN | IN_ACCESS | IN_CLOSE_NOWRITE);
    let listing = world
        .vfs
        .open(&world.su(), "/d", OpenFlags::O_DIRECTORY, 0)
        .unwrap();
    assert_eq!(common::names_in(&listing).len(), 3);
    drop(listing);
    assert_eq!(
        drain(&ino, false),
        vec![
            seen(wd, IN_OPEN | IN_ISDIR, ""),
            seen(wd, IN_ACCESS | IN_ISDIR, ""),
            seen(wd, IN_CLOSE_NOWRITE | IN_ISDIR, ""),
        ],
        "both getdents calls report IN_ACCESS; the two merge"
    );
}

#[test]
fn watches_take_only_what_they_ask_and_oneshot_ends_after_one() {
    let world = World::with_dev(104);
    world.write_file("/f", b"");
    let ino = instance();
    let wd = watch(&world, &ino, "/f", IN_MODIFY | IN_ONESHOT);
    world.read_file("/f");
    assert!(
        drain(&ino, false).is_empty(),
        "an open and a read are not asked for"
    );
    world.write_file("/f", b"1");
    world.write_file("/f", b"2");
    assert_eq!(
        drain(&ino, false),
        vec![seen(wd, IN_MODIFY, ""), seen(wd, IN_IGNORED, "")]
    );
    assert_eq!(ino.file().inotify().unwrap().watch_count(), 0);
}

#[test]
fn adding_a_watch_again_keeps_its_descriptor_and_the_mask_rules_hold() {
    let world = World::with_dev(105);
    world.write_file("/f", b"");
    let ino = instance();
    let inotify = ino.file().inotify().unwrap();
    let inode = world
        .vfs
        .resolve(&world.su(), "/f", true)
        .unwrap()
        .inode()
        .clone();
    let wd = inotify.add_watch(&inode, IN_OPEN).unwrap();
    assert_eq!(inotify.add_watch(&inode, IN_MODIFY | IN_MASK_ADD), Ok(wd));
    assert_eq!(
        inotify.add_watch(&inode, IN_ACCESS | IN_MASK_CREATE),
        Err(Errno::EEXIST)
    );
    world.write_file("/f", b"x");
    assert_eq!(
        drain(&ino, false),
        vec![
            seen(wd, IN_MODIFY, ""),
            seen(wd, IN_OPEN, ""),
            seen(wd, IN_MODIFY, "")
        ],
        "IN_MASK_ADD kept IN_OPEN (O_TRUNC's change comes before the open, as on Linux)"
    );
    assert_eq!(inotify.add_watch(&inode, IN_ACCESS), Ok(wd));
    world.write_file("/f", b"y");
    assert!(
        drain(&ino, false).is_empty(),
        "a plain add replaced the mask"
    );
    inotify.remove_watch(wd).unwrap();
    assert_eq!(inotify.remove_watch(wd), Err(Errno::EINVAL));
    assert_eq!(drain(&ino, false), vec![seen(wd, IN_IGNORED, "")]);
    assert_eq!(inotify.add_watch(&inode, 0), Err(Errno::EINVAL));
}

#[test]
fn reads_take_whole_events_and_poll_and_fionread_follow_the_queue() {
    let world = World::with_dev(106);
    world.vfs.mkdir(&world.su(), "/d", 0o755).unwrap();
    let waiters = Arc::new(CountingWaitQueue::default());
    let ino = create_inotify(0, 1000, waiters.clone()).unwrap();
    let wd = watch(&world, &ino, "/d", IN_CREATE);
    assert_eq!(ino.poll(), fs::PollEvents::empty());
    world.vfs.mkdir(&world.su(), "/d/one", 0o755).unwrap();
    world.vfs.mkdir(&world.su(), "/d/two", 0o755).unwrap();
    assert_eq!(waiters.wakes(), 2);
    assert!(ino.poll().contains(fs::PollEvents::POLLIN));
    assert_eq!(ino.file().bytes_available(), Some(64));
    let mut small = [0u8; 31];
    assert_eq!(
        ino.read(&mut small),
        Err(Errno::EINVAL),
        "the first event needs 32"
    );
    let mut one = [0u8; 40];
    assert_eq!(ino.read(&mut one), Ok(32), "only whole events");
    assert_eq!(ino.file().bytes_available(), Some(32));
    assert_eq!(
        drain(&ino, false),
        vec![seen(wd, IN_CREATE | IN_ISDIR, "two")]
    );
    assert_eq!(ino.read(&mut one), Err(Errno::EAGAIN));
}

#[test]
fn a_user_holds_a_bounded_number_of_watches_until_the_instance_closes() {
    let world = World::with_dev(107);
    world.vfs.mkdir(&world.su(), "/many", 0o755).unwrap();
    let owner = 5151;
    let ino = create_inotify(0, owner, Arc::new(CountingWaitQueue::default())).unwrap();
    let inodes: Vec<_> = (0..=MAX_USER_WATCHES)
        .map(|i| {
            let path = format!("/many/{i}");
            world.write_file(&path, b"");
            world
                .vfs
                .resolve(&world.su(), &path, true)
                .unwrap()
                .inode()
                .clone()
        })
        .collect();
    let inotify = ino.file().inotify().unwrap();
    for (i, inode) in inodes[..MAX_USER_WATCHES].iter().enumerate() {
        assert_eq!(inotify.add_watch(inode, IN_MODIFY), Ok(i as i32 + 1));
    }
    assert_eq!(
        inotify.add_watch(&inodes[MAX_USER_WATCHES], IN_MODIFY),
        Err(Errno::ENOSPC)
    );
    drop(ino);
    let again = create_inotify(0, owner, Arc::new(CountingWaitQueue::default())).unwrap();
    assert_eq!(
        again
            .file()
            .inotify()
            .unwrap()
            .add_watch(&inodes[MAX_USER_WATCHES], IN_MODIFY),
        Ok(1),
        "the closed instance gave its watches back"
    );
    drop(again);
    // With the watches gone, writes find nobody (and nothing breaks).
    world.write_file("/many/0", b"x");
}

#[test]
fn unreadable_files_and_other_users_limits() {
    let world = World::with_dev(108);
    world.write_file("/secret", b"");
    world.vfs.chmod(&world.su(), "/secret", 0o600).unwrap();
    let user = Credentials::user(1000, 1000);
    let ctx = PathContext {
        base: &world.root,
        root: &world.root,
        creds: &user,
    };
    let custody = world.vfs.resolve(&ctx, "/secret", true).unwrap();
    assert_eq!(
        fs::credentials::check_access(&custody.inode().stat(), &user, fs::Access::READ),
        Err(Errno::EACCES),
        "inotify_add_watch's permission check (in the syscall layer) refuses it"
    );
    let mut held = Vec::new();
    let result = loop {
        match create_inotify(0, 4242, Arc::new(CountingWaitQueue::default())) {
            Ok(instance) => held.push(instance),
            Err(e) => break e,
        }
    };
    assert_eq!(result, Errno::EMFILE);
    assert_eq!(held.len(), MAX_USER_INSTANCES);
    held.pop();
    assert!(create_inotify(0, 4242, Arc::new(CountingWaitQueue::default())).is_ok());
    assert_eq!(
        create_inotify(0o1, 4243, Arc::new(CountingWaitQueue::default())).err(),
        Some(Errno::EINVAL)
    );
}
