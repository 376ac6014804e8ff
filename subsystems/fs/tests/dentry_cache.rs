//! The dentry cache as path resolution uses it: repeated lookups reuse the
//! custody they made, and every change to a directory or the mounts is
//! seen at once.

mod common;

use std::any::Any;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};

use abi::{Errno, KernelResult};
use common::World;
use fs::types::mode;
use fs::{FileSystem, FileType, Inode, InodeId, PathContext, Stat, Tmpfs};

fn resolve(w: &World, path: &str) -> KernelResult<fs::Custody> {
    w.vfs.resolve(&w.su(), path, true)
}

#[test]
fn a_second_lookup_reuses_the_custody_of_the_first() {
    let w = World::new();
    w.vfs.mkdir(&w.su(), "/tmp", 0o1777).unwrap();
    w.write_file("/tmp/file", b"x");
    let first = resolve(&w, "/tmp/file").unwrap();
    let second = resolve(&w, "/tmp/file").unwrap();
    assert!(first.is_same_custody(&second));
    assert!(
        first
            .parent()
            .unwrap()
            .is_same_custody(second.parent().unwrap())
    );
    assert_eq!(second.absolute_path(&w.root), "/tmp/file");
}

#[test]
fn a_cached_child_answers_only_the_custody_it_was_found_in() {
    let w = World::new();
    w.vfs.mkdir(&w.su(), "/a", 0o755).unwrap();
    w.vfs.mkdir(&w.su(), "/a/b", 0o755).unwrap();
    w.vfs.symlink(&w.su(), "/a/b", "/link").unwrap();
    let direct = resolve(&w, "/a/b").unwrap();
    // `/link` leads to the same directory through another custody chain;
    // its `..` must still be `/a`, and a lookup from a second custody of
    // `/a/b` must not return a child whose parent is the first.
    let through_cwd = {
        let base = resolve(&w, "/a").unwrap();
        let fresh = fs::Custody::root(base.inode().clone());
        let ctx = PathContext {
            base: &fresh,
            root: &w.root,
            creds: &w.root_creds,
        };
        w.vfs.resolve(&ctx, "b", true).unwrap()
    };
    assert!(through_cwd.is_same_file(&direct));
    assert!(!through_cwd.is_same_custody(&direct));
    assert_eq!(through_cwd.absolute_path(&w.root), "/b");
    assert_eq!(
        resolve(&w, "/link/..").unwrap().absolute_path(&w.root),
        "/a"
    );
}

#[test]
fn unlink_create_and_rename_are_seen_by_the_next_lookup() {
    let w = World::new();
    w.vfs.mkdir(&w.su(), "/d", 0o755).unwrap();
    w.write_file("/d/f", b"old");
    let old = resolve(&w, "/d/f").unwrap().id();
    assert_eq!(resolve(&w, "/d/f").unwrap().id(), old);

    w.vfs.unlink(&w.su(), "/d/f").unwrap();
    assert_eq!(resolve(&w, "/d/f").unwrap_err(), Errno::ENOENT);
    w.write_file("/d/f", b"new");
    let new = resolve(&w, "/d/f").unwrap().id();
    assert_ne!(new, old);
    assert_eq!(w.read_file("/d/f"), b"new");

    w.vfs.rename(&w.su(), "/d/f", "/d/g").unwrap();
    assert_eq!(resolve(&w, "/d/f").unwrap_err(), Errno::ENOENT);
    assert_eq!(resolve(&w, "/d/g").unwrap().id(), new);

    // Replacing a cached name by rename is seen too.
    w.write_file("/d/h", b"other");
    let h = resolve(&w, "/d/h").unwrap().id();
    w.vfs.rename(&w.su(), "/d/g", "/d/h").unwrap();
    assert_ne!(resolve(&w, "/d/h").unwrap().id(), h);
    assert_eq!(w.read_file("/d/h"), b"new");

    // So is a directory that goes away with everything under it.
    w.vfs.mkdir(&w.su(), "/d/sub", 0o755).unwrap();
    resolve(&w, "/d/sub").unwrap();
    w.vfs.rmdir(&w.su(), "/d/sub").unwrap();
    assert_eq!(resolve(&w, "/d/sub").unwrap_err(), Errno::ENOENT);
}

#[test]
fn a_name_removed_behind_the_vfs_is_seen_too() {
    // devpts removes a terminal's node itself when its master closes.
    let w = World::new();
    w.vfs.mkdir(&w.su(), "/pts", 0o755).unwrap();
    w.write_file("/pts/0", b"");
    resolve(&w, "/pts/0").unwrap();
    resolve(&w, "/pts").unwrap().inode().unlink("0").unwrap();
    assert_eq!(resolve(&w, "/pts/0").unwrap_err(), Errno::ENOENT);
}

#[test]
fn a_removed_file_is_not_kept_alive_by_the_cache() {
    let w = World::new();
    w.vfs.mkdir(&w.su(), "/d", 0o755).unwrap();
    w.write_file("/d/f", b"contents");
    let inode: Weak<dyn Inode> = Arc::downgrade(resolve(&w, "/d/f").unwrap().inode());
    resolve(&w, "/d/f").unwrap();
    w.vfs.unlink(&w.su(), "/d/f").unwrap();
    assert!(
        inode.upgrade().is_none(),
        "the unlinked inode is still alive"
    );

    w.vfs.mkdir(&w.su(), "/d/e", 0o755).unwrap();
    let dir: Weak<dyn Inode> = Arc::downgrade(resolve(&w, "/d/e").unwrap().inode());
    w.vfs.rmdir(&w.su(), "/d/e").unwrap();
    assert!(
        dir.upgrade().is_none(),
        "the removed directory is still alive"
    );

    w.write_file("/d/a", b"a");
    w.write_file("/d/b", b"b");
    let replaced: Weak<dyn Inode> = Arc::downgrade(resolve(&w, "/d/b").unwrap().inode());
    w.vfs.rename(&w.su(), "/d/a", "/d/b").unwrap();
    assert!(
        replaced.upgrade().is_none(),
        "the replaced inode is still alive"
    );
}

#[test]
fn mounting_and_unmounting_are_seen_through_a_cached_mount_point() {
    let w = World::new();
    w.vfs.mkdir(&w.su(), "/mnt", 0o755).unwrap();
    w.write_file("/mnt/below", b"x");
    let below = resolve(&w, "/mnt").unwrap().id();
    resolve(&w, "/mnt/below").unwrap();

    let other: Arc<Tmpfs> = Tmpfs::new(2, w.clock.clone());
    let other_root: Weak<dyn Inode> = Arc::downgrade(&other.root());
    w.vfs.mount("/mnt", other, &w.root_creds).unwrap();
    assert_eq!(resolve(&w, "/mnt").unwrap().id().dev, 2);
    assert_eq!(resolve(&w, "/mnt/below").unwrap_err(), Errno::ENOENT);
    w.write_file("/mnt/above", b"y");
    assert_eq!(w.read_file("/mnt/above"), b"y");

    w.vfs.unmount("/mnt", &w.root_creds).unwrap();
    assert_eq!(resolve(&w, "/mnt").unwrap().id(), below);
    assert_eq!(resolve(&w, "/mnt/above").unwrap_err(), Errno::ENOENT);
    assert!(resolve(&w, "/mnt/below").is_ok());
    assert!(
        other_root.upgrade().is_none(),
        "the unmounted file system is kept alive"
    );
}

/// A directory that counts its lookups and has no entries version.
struct CountingDirectory {
    lookups: AtomicUsize,
    child: Arc<Leaf>,
}

struct Leaf;

const DEV: u64 = 9;

impl Inode for Leaf {
    fn id(&self) -> InodeId {
        InodeId { dev: DEV, ino: 2 }
    }
    fn file_type(&self) -> FileType {
        FileType::Regular
    }
    fn stat(&self) -> Stat {
        Stat {
            dev: DEV,
            ino: 2,
            mode: mode::S_IFREG | 0o444,
            nlink: 1,
            ..Stat::default()
        }
    }
    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}

impl Inode for CountingDirectory {
    fn id(&self) -> InodeId {
        InodeId { dev: DEV, ino: 1 }
    }
    fn file_type(&self) -> FileType {
        FileType::Directory
    }
    fn stat(&self) -> Stat {
        Stat {
            dev: DEV,
            ino: 1,
            mode: mode::S_IFDIR | 0o555,
            nlink: 2,
            ..Stat::default()
        }
    }
    fn lookup(&self, name: &str) -> KernelResult<Arc<dyn Inode>> {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        match name {
            "leaf" => Ok(self.child.clone()),
            _ => Err(Errno::ENOENT),
        }
    }
    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}

struct CountingFs(Arc<CountingDirectory>);

impl FileSystem for CountingFs {
    fn root(&self) -> Arc<dyn Inode> {
        self.0.clone()
    }
    fn name(&self) -> &'static str {
        "counting"
    }
}

#[test]
fn directories_without_a_version_are_asked_every_time_and_versioned_ones_once() {
    let w = World::new();
    w.vfs.mkdir(&w.su(), "/c", 0o755).unwrap();
    let dir = Arc::new(CountingDirectory {
        lookups: AtomicUsize::new(0),
        child: Arc::new(Leaf),
    });
    w.vfs
        .mount("/c", Arc::new(CountingFs(dir.clone())), &w.root_creds)
        .unwrap();
    for _ in 0..3 {
        assert_eq!(resolve(&w, "/c/leaf").unwrap().id().ino, 2);
    }
    assert_eq!(dir.lookups.load(Ordering::SeqCst), 3);

    // tmpfs directories have a version: the second walk of `/c` itself
    // comes from the cache (the same custody).
    let first = resolve(&w, "/c").unwrap();
    assert!(first.is_same_custody(&resolve(&w, "/c").unwrap()));
}
