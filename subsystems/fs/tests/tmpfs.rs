//! tmpfs semantics through the VFS: files, directories, links, times, rename.

mod common;

use std::sync::{Arc, Weak};

use abi::Errno;
use common::{World, names_in};
use fs::{Credentials, FileType, Inode, OpenFlags, PathContext, RenameMode, TimeChange, Timespec};

#[test]
fn files_grow_sparsely_and_truncate() {
    let w = World::new();
    let f = w
        .vfs
        .open(
            &w.su(),
            "/sparse",
            OpenFlags::O_CREAT | OpenFlags::O_RDWR,
            0o644,
        )
        .unwrap();
    assert_eq!(f.pwrite(b"end", 1 << 20).unwrap(), 3);
    let st = f.stat().unwrap();
    assert_eq!(st.size, (1 << 20) + 3);
    assert_eq!(st.blocks, 8, "only the last page is allocated");
    let mut buf = [1u8; 4];
    assert_eq!(f.pread(&mut buf, 4096).unwrap(), 4);
    assert_eq!(buf, [0; 4]);
    w.vfs.truncate(&w.su(), "/sparse", 2).unwrap();
    assert_eq!(f.stat().unwrap().size, 2);
    assert_eq!(f.stat().unwrap().blocks, 0);
    assert_eq!(w.vfs.truncate(&w.su(), "/sparse", -1), Err(Errno::EINVAL));
    assert_eq!(w.vfs.truncate(&w.su(), "/", 0), Err(Errno::EISDIR));
}

#[test]
fn hard_links_share_data_and_count_links() {
    let w = World::new();
    w.write_file("/a", b"shared");
    w.vfs.link(&w.su(), "/a", "/b", false).unwrap();
    assert_eq!(w.vfs.stat(&w.su(), "/a", true).unwrap().nlink, 2);
    w.write_file("/b", b"changed");
    assert_eq!(w.read_file("/a"), b"changed");
    w.vfs.unlink(&w.su(), "/a").unwrap();
    let st = w.vfs.stat(&w.su(), "/b", true).unwrap();
    assert_eq!(st.nlink, 1);
    assert_eq!(w.vfs.stat(&w.su(), "/a", true).unwrap_err(), Errno::ENOENT);
    assert_eq!(w.vfs.link(&w.su(), "/b", "/b", false), Err(Errno::EEXIST));
    w.vfs.mkdir(&w.su(), "/d", 0o755).unwrap();
    assert_eq!(w.vfs.link(&w.su(), "/d", "/d2", false), Err(Errno::EPERM));
}

#[test]
fn directory_link_counts_follow_subdirectories() {
    let w = World::new();
    let root_links = w.vfs.stat(&w.su(), "/", true).unwrap().nlink;
    w.vfs.mkdir(&w.su(), "/d", 0o755).unwrap();
    w.vfs.mkdir(&w.su(), "/d/e", 0o755).unwrap();
    assert_eq!(
        w.vfs.stat(&w.su(), "/", true).unwrap().nlink,
        root_links + 1
    );
    assert_eq!(w.vfs.stat(&w.su(), "/d", true).unwrap().nlink, 3);
    assert_eq!(w.vfs.stat(&w.su(), "/d/e", true).unwrap().nlink, 2);
    assert_eq!(w.vfs.rmdir(&w.su(), "/d"), Err(Errno::ENOTEMPTY));
    w.vfs.rmdir(&w.su(), "/d/e").unwrap();
    assert_eq!(w.vfs.stat(&w.su(), "/d", true).unwrap().nlink, 2);
}

#[test]
fn unlink_and_rmdir_refuse_the_wrong_kind() {
    let w = World::new();
    w.vfs.mkdir(&w.su(), "/d", 0o755).unwrap();
    w.write_file("/f", b"");
    assert_eq!(w.vfs.unlink(&w.su(), "/d"), Err(Errno::EISDIR));
    assert_eq!(w.vfs.rmdir(&w.su(), "/f"), Err(Errno::ENOTDIR));
    assert_eq!(w.vfs.unlink(&w.su(), "/f/"), Err(Errno::ENOTDIR));
    assert_eq!(w.vfs.rmdir(&w.su(), "/d/."), Err(Errno::EINVAL));
    assert_eq!(w.vfs.rmdir(&w.su(), "/d/.."), Err(Errno::ENOTEMPTY));
    assert_eq!(w.vfs.rmdir(&w.su(), "/"), Err(Errno::EBUSY));
    assert_eq!(w.vfs.unlink(&w.su(), "/missing"), Err(Errno::ENOENT));
    assert_eq!(w.vfs.mkdir(&w.su(), "/d", 0o755), Err(Errno::EEXIST));
    assert_eq!(w.vfs.mkdir(&w.su(), "/", 0o755), Err(Errno::EEXIST));
    w.vfs.rmdir(&w.su(), "/d/").unwrap();
}

#[test]
fn mode_and_owner_of_new_files_come_from_the_creator() {
    let w = World::new();
    w.vfs.chmod(&w.su(), "/", 0o1777).unwrap();
    let user = Credentials::user(1000, 100);
    let ctx = PathContext {
        base: &w.root,
        root: &w.root,
        creds: &user,
    };
    drop(
        w.vfs
            .open(
                &ctx,
                "/mine",
                OpenFlags::O_CREAT | OpenFlags::O_WRONLY,
                0o640,
            )
            .unwrap(),
    );
    let st = w.vfs.stat(&w.su(), "/mine", true).unwrap();
    assert_eq!((st.uid, st.gid, st.mode), (1000, 100, 0o100640));
    w.vfs.mkdir(&ctx, "/dir", 0o750).unwrap();
    assert_eq!(w.vfs.stat(&w.su(), "/dir", true).unwrap().mode, 0o040750);
}

#[test]
fn writes_update_mtime_and_ctime_and_chmod_only_ctime() {
    let w = World::new();
    w.write_file("/f", b"1");
    let before = w.vfs.stat(&w.su(), "/f", true).unwrap();
    w.write_file("/f", b"2");
    let after_write = w.vfs.stat(&w.su(), "/f", true).unwrap();
    assert!(after_write.mtime() > before.mtime());
    assert!(after_write.ctime() > before.ctime());
    w.vfs.chmod(&w.su(), "/f", 0o600).unwrap();
    let after_chmod = w.vfs.stat(&w.su(), "/f", true).unwrap();
    assert_eq!(after_chmod.mtime(), after_write.mtime());
    assert!(after_chmod.ctime() > after_write.ctime());
    let _ = w.read_file("/f");
    assert!(w.vfs.stat(&w.su(), "/f", true).unwrap().atime() > after_chmod.atime());
    let t = Timespec { sec: 42, nsec: 7 };
    w.vfs
        .set_times(&w.su(), "/f", TimeChange::Omit, TimeChange::Set(t), true)
        .unwrap();
    assert_eq!(w.vfs.stat(&w.su(), "/f", true).unwrap().mtime(), t);
}

#[test]
fn creating_an_entry_updates_the_directory_mtime() {
    let w = World::new();
    w.vfs.mkdir(&w.su(), "/d", 0o755).unwrap();
    let before = w.vfs.stat(&w.su(), "/d", true).unwrap().mtime();
    w.write_file("/d/f", b"");
    assert!(w.vfs.stat(&w.su(), "/d", true).unwrap().mtime() > before);
}

#[test]
fn unlinked_open_file_lives_until_its_last_description_closes() {
    let w = World::new();
    w.write_file("/tmpfile", b"still here");
    let file = w
        .vfs
        .open(&w.su(), "/tmpfile", OpenFlags::O_RDWR, 0)
        .unwrap();
    let weak: Weak<dyn Inode> = Arc::downgrade(file.inode().unwrap());
    w.vfs.unlink(&w.su(), "/tmpfile").unwrap();
    assert_eq!(file.stat().unwrap().nlink, 0);
    assert_eq!(common::read_all(&file), b"still here");
    file.write(b"!").unwrap();
    assert!(weak.upgrade().is_some());
    drop(file);
    assert!(
        weak.upgrade().is_none(),
        "memory freed with the last description"
    );
}

#[test]
fn rename_replaces_files_and_keeps_the_inode() {
    let w = World::new();
    w.write_file("/old", b"new content");
    w.write_file("/target", b"old content");
    let ino = w.vfs.stat(&w.su(), "/old", true).unwrap().ino;
    w.vfs.rename(&w.su(), "/old", "/target").unwrap();
    assert_eq!(
        w.vfs.stat(&w.su(), "/old", true).unwrap_err(),
        Errno::ENOENT
    );
    assert_eq!(w.vfs.stat(&w.su(), "/target", true).unwrap().ino, ino);
    assert_eq!(w.read_file("/target"), b"new content");
}

#[test]
fn rename_follows_linux_rules_for_directories() {
    let w = World::new();
    let su = w.su();
    w.vfs.mkdir(&su, "/a", 0o755).unwrap();
    w.vfs.mkdir(&su, "/a/sub", 0o755).unwrap();
    w.vfs.mkdir(&su, "/empty", 0o755).unwrap();
    w.vfs.mkdir(&su, "/full", 0o755).unwrap();
    w.write_file("/full/x", b"");
    w.write_file("/file", b"");
    assert_eq!(w.vfs.rename(&su, "/a", "/a/sub/inside"), Err(Errno::EINVAL));
    assert_eq!(w.vfs.rename(&su, "/a", "/file"), Err(Errno::ENOTDIR));
    assert_eq!(w.vfs.rename(&su, "/file", "/empty"), Err(Errno::EISDIR));
    assert_eq!(w.vfs.rename(&su, "/a", "/full"), Err(Errno::ENOTEMPTY));
    assert_eq!(w.vfs.rename(&su, "/a/sub", "/full/.."), Err(Errno::EBUSY));
    assert_eq!(w.vfs.rename(&su, "/missing", "/x"), Err(Errno::ENOENT));
    assert_eq!(w.vfs.rename(&su, "/file/", "/x"), Err(Errno::ENOTDIR));
    w.vfs.rename(&su, "/a", "/empty").unwrap();
    assert!(w.vfs.stat(&su, "/empty/sub", true).is_ok());
    // The moved directory's `..` now leads to its new parent.
    w.vfs.rename(&su, "/empty/sub", "/full/sub").unwrap();
    assert_eq!(w.vfs.stat(&su, "/full", true).unwrap().nlink, 3);
    assert_eq!(w.vfs.stat(&su, "/empty", true).unwrap().nlink, 2);
    let dir = w
        .vfs
        .open(&su, "/full/sub", OpenFlags::O_DIRECTORY, 0)
        .unwrap();
    let full_ino = w.vfs.stat(&su, "/full", true).unwrap().ino;
    let mut buf = [0u8; 64];
    let n = dir.getdents64(&mut buf).unwrap();
    assert!(n >= 48);
    let dotdot_ino = u64::from_ne_bytes(buf[24..32].try_into().unwrap());
    assert_eq!(dotdot_ino, full_ino);
}

#[test]
fn rename_noreplace_refuses_an_existing_name_and_moves_to_a_free_one() {
    let w = World::new();
    let su = w.su();
    w.write_file("/a", b"a");
    w.write_file("/b", b"b");
    let noreplace =
        |from: &str, to: &str| w.vfs.rename_with(&su, from, &su, to, RenameMode::NoReplace);
    assert_eq!(noreplace("/a", "/b"), Err(Errno::EEXIST));
    // Linux refuses even two names of one file.
    w.vfs.link(&su, "/a", "/a2", false).unwrap();
    assert_eq!(noreplace("/a", "/a2"), Err(Errno::EEXIST));
    assert_eq!(w.read_file("/b"), b"b");
    noreplace("/a", "/c").unwrap();
    assert_eq!(w.read_file("/c"), b"a");
    assert_eq!(w.vfs.stat(&su, "/a", true).unwrap_err(), Errno::ENOENT);
}

#[test]
fn rename_exchange_swaps_two_names_of_any_type() {
    let w = World::new();
    let su = w.su();
    let exchange = |a: &str, b: &str| w.vfs.rename_with(&su, a, &su, b, RenameMode::Exchange);
    let nlink = |path: &str| w.vfs.stat(&su, path, true).unwrap().nlink;
    w.write_file("/x", b"x");
    w.write_file("/y", b"y");
    exchange("/x", "/y").unwrap();
    assert_eq!(w.read_file("/x"), b"y");
    assert_eq!(w.read_file("/y"), b"x");
    assert_eq!(exchange("/x", "/missing"), Err(Errno::ENOENT));

    // A directory and a file in two directories: each directory's link
    // count follows the subdirectory, and the moved one's `..` its parent.
    w.vfs.mkdir(&su, "/p", 0o755).unwrap();
    w.vfs.mkdir(&su, "/q", 0o755).unwrap();
    w.vfs.mkdir(&su, "/p/dir", 0o755).unwrap();
    w.write_file("/p/dir/inside", b"in");
    w.write_file("/q/file", b"f");
    assert_eq!((nlink("/p"), nlink("/q")), (3, 2));
    exchange("/p/dir", "/q/file").unwrap();
    assert_eq!((nlink("/p"), nlink("/q")), (2, 3));
    assert_eq!(w.read_file("/q/file/inside"), b"in");
    assert_eq!(w.read_file("/p/dir"), b"f");
    let q_ino = w.vfs.stat(&su, "/q", true).unwrap().ino;
    let moved = w
        .vfs
        .open(&su, "/q/file", OpenFlags::O_DIRECTORY, 0)
        .unwrap();
    let mut entries = [0u8; 64];
    assert!(moved.getdents64(&mut entries).unwrap() >= 48);
    let dotdot_ino = u64::from_ne_bytes(entries[24..32].try_into().unwrap());
    assert_eq!(dotdot_ino, q_ino, "the moved directory's `..`");

    // Neither may end up inside itself; a slash names a directory.
    w.vfs.mkdir(&su, "/q/file/deep", 0o755).unwrap();
    assert_eq!(exchange("/q/file", "/q/file/deep"), Err(Errno::EINVAL));
    assert_eq!(exchange("/q/file/deep", "/q/file"), Err(Errno::EINVAL));
    assert_eq!(exchange("/x/", "/y"), Err(Errno::ENOTDIR));
    assert_eq!(exchange("/x", "/q/file/"), Ok(()));
    assert_eq!(w.read_file("/q/file"), b"y");
    assert_eq!(w.read_file("/x/inside"), b"in");
}

#[test]
fn rename_onto_another_link_of_the_same_file_does_nothing() {
    let w = World::new();
    w.write_file("/a", b"");
    w.vfs.link(&w.su(), "/a", "/b", false).unwrap();
    w.vfs.rename(&w.su(), "/a", "/b").unwrap();
    assert!(w.vfs.stat(&w.su(), "/a", true).is_ok());
    assert_eq!(w.vfs.stat(&w.su(), "/b", true).unwrap().nlink, 2);
}

#[test]
fn sticky_directory_protects_other_users_files() {
    let w = World::new();
    w.vfs.mkdir(&w.su(), "/tmp", 0o1777).unwrap();
    w.vfs.chmod(&w.su(), "/tmp", 0o1777).unwrap();
    let alice = Credentials::user(1000, 1000);
    let bob = Credentials::user(1001, 1001);
    let a = PathContext {
        base: &w.root,
        root: &w.root,
        creds: &alice,
    };
    let b = PathContext {
        base: &w.root,
        root: &w.root,
        creds: &bob,
    };
    drop(
        w.vfs
            .open(
                &a,
                "/tmp/alice",
                OpenFlags::O_CREAT | OpenFlags::O_WRONLY,
                0o666,
            )
            .unwrap(),
    );
    assert_eq!(w.vfs.unlink(&b, "/tmp/alice"), Err(Errno::EPERM));
    assert_eq!(
        w.vfs.rename(&b, "/tmp/alice", "/tmp/bob"),
        Err(Errno::EPERM)
    );
    w.vfs.unlink(&a, "/tmp/alice").unwrap();
}

#[test]
fn readdir_cookies_survive_removal_of_other_entries() {
    let w = World::new();
    for name in ["a", "b", "c", "d"] {
        w.write_file(&format!("/{name}"), b"");
    }
    let dir = w.vfs.open(&w.su(), "/", OpenFlags::O_DIRECTORY, 0).unwrap();
    // Room for exactly ".", "..", and "a" (24 bytes each).
    let mut buf = [0u8; 72];
    assert_eq!(dir.getdents64(&mut buf).unwrap(), 72);
    w.vfs.unlink(&w.su(), "/a").unwrap();
    w.vfs.unlink(&w.su(), "/c").unwrap();
    w.write_file("/e", b"");
    assert_eq!(names_in(&dir), ["b", "d", "e"]);
    dir.lseek(0, 0).unwrap();
    assert_eq!(names_in(&dir), [".", "..", "b", "d", "e"]);
}

#[test]
fn getdents_reports_types() {
    let w = World::new();
    w.vfs.mkdir(&w.su(), "/d", 0o755).unwrap();
    w.vfs.symlink(&w.su(), "d", "/l").unwrap();
    let dir = w.vfs.open(&w.su(), "/", OpenFlags::O_DIRECTORY, 0).unwrap();
    let mut buf = [0u8; 256];
    let n = dir.getdents64(&mut buf).unwrap();
    assert_eq!(n, 24 * 4);
    let types: Vec<u8> = (0..4).map(|i| buf[i * 24 + 18]).collect();
    assert_eq!(types, [4, 4, 4, 10]);
    assert_eq!(FileType::Symlink.dirent_type(), 10);
}

#[test]
fn chown_rules_for_unprivileged_owners() {
    let w = World::new();
    w.write_file("/f", b"");
    w.vfs
        .chown(&w.su(), "/f", Some(1000), Some(1000), true)
        .unwrap();
    let mut user = Credentials::user(1000, 1000);
    user.groups.push(50);
    let ctx = PathContext {
        base: &w.root,
        root: &w.root,
        creds: &user,
    };
    assert_eq!(
        w.vfs.chown(&ctx, "/f", Some(0), None, true),
        Err(Errno::EPERM)
    );
    assert_eq!(
        w.vfs.chown(&ctx, "/f", None, Some(60), true),
        Err(Errno::EPERM)
    );
    w.vfs.chown(&ctx, "/f", None, Some(50), true).unwrap();
    assert_eq!(w.vfs.stat(&w.su(), "/f", true).unwrap().gid, 50);
    let other = Credentials::user(2000, 2000);
    let ctx = PathContext {
        base: &w.root,
        root: &w.root,
        creds: &other,
    };
    assert_eq!(w.vfs.chmod(&ctx, "/f", 0o777), Err(Errno::EPERM));
}

#[test]
fn mknod_makes_fifos_for_anyone_and_devices_only_for_root() {
    let w = World::new();
    w.vfs.chmod(&w.su(), "/", 0o777).unwrap();
    let user = Credentials::user(1, 1);
    let ctx = PathContext {
        base: &w.root,
        root: &w.root,
        creds: &user,
    };
    w.vfs.mknod(&ctx, "/fifo", 0o010644, 0).unwrap();
    assert_eq!(
        fs::FileType::from_mode(w.vfs.stat(&w.su(), "/fifo", true).unwrap().mode),
        Some(FileType::Fifo)
    );
    assert_eq!(
        w.vfs.mknod(&ctx, "/dev0", 0o020644, 0x103),
        Err(Errno::EPERM)
    );
    w.vfs.mknod(&w.su(), "/dev0", 0o020644, 0x103).unwrap();
    assert_eq!(w.vfs.stat(&w.su(), "/dev0", true).unwrap().rdev, 0x103);
    assert_eq!(
        w.vfs
            .open(&w.su(), "/dev0", OpenFlags::empty(), 0)
            .unwrap_err(),
        Errno::ENXIO,
        "no driver attached"
    );
    assert_eq!(w.vfs.mknod(&w.su(), "/d", 0o040755, 0), Err(Errno::EPERM));
}

#[test]
fn a_fifo_passes_data_between_its_openers_and_forgets_it_when_all_close() {
    let w = World::new();
    w.vfs.mknod(&w.su(), "/fifo", 0o010644, 0).unwrap();
    let open = |flags| w.vfs.open(&w.su(), "/fifo", flags, 0);
    // No reader yet: a non-blocking writer is refused.
    assert_eq!(
        open(OpenFlags::O_WRONLY | OpenFlags::O_NONBLOCK).unwrap_err(),
        Errno::ENXIO
    );
    let reader = open(OpenFlags::O_NONBLOCK).unwrap();
    let writer = open(OpenFlags::O_WRONLY | OpenFlags::O_NONBLOCK).unwrap();
    writer.write(b"through the fifo").unwrap();
    let mut buf = [0u8; 32];
    assert_eq!(reader.read(&mut buf).unwrap(), 16);
    assert_eq!(&buf[..16], b"through the fifo");
    // fstat shows the node, a FIFO.
    assert_eq!(
        fs::FileType::from_mode(reader.stat().unwrap().mode),
        Some(FileType::Fifo)
    );
    writer.write(b"left over").unwrap();
    drop(writer);
    drop(reader);
    // Both ends closed: what was left is gone. O_RDWR never waits.
    let both = open(OpenFlags::O_RDWR).unwrap();
    assert_eq!(both.read(&mut buf).unwrap_err(), Errno::EAGAIN);
    both.write(b"self").unwrap();
    assert_eq!(both.read(&mut buf).unwrap(), 4);
}

#[test]
fn unnamed_files_have_no_links_and_seal_only_when_asked() {
    use fs::FileSystem;
    use fs::inode::{F_SEAL_GROW, F_SEAL_SEAL, F_SEAL_SHRINK, F_SEAL_WRITE};
    let w = World::new();
    let fs = fs::Tmpfs::new(9, w.clock.clone());
    let owner = fs::Owner { uid: 0, gid: 0 };

    let plain = fs.create_unnamed(0o777, owner, false).unwrap();
    assert_eq!(plain.stat().nlink, 0);
    assert_eq!(plain.seals(), Ok(F_SEAL_SEAL));
    assert_eq!(plain.add_seals(F_SEAL_WRITE), Err(Errno::EPERM));

    let file = fs.create_unnamed(0o777, owner, true).unwrap();
    assert_eq!(file.seals(), Ok(0));
    assert_eq!(file.write_at(0, b"0123456789").unwrap(), 10);
    assert_eq!(file.add_seals(0x100), Err(Errno::EINVAL));

    file.add_seals(F_SEAL_GROW).unwrap();
    assert_eq!(file.truncate(11), Err(Errno::EPERM));
    assert_eq!(file.write_at(8, b"xyz"), Err(Errno::EPERM), "past the end");
    assert_eq!(file.write_at(0, b"ab").unwrap(), 2, "inside is fine");
    assert_eq!(file.append(b"z"), Err(Errno::EPERM));
    file.truncate(8).unwrap();

    file.add_seals(F_SEAL_SHRINK).unwrap();
    assert_eq!(file.truncate(4), Err(Errno::EPERM));
    file.truncate(8).unwrap();

    file.add_seals(F_SEAL_WRITE | F_SEAL_SEAL).unwrap();
    assert_eq!(file.write_at(0, b"a"), Err(Errno::EPERM));
    assert_eq!(file.add_seals(0), Err(Errno::EPERM));
    let mut buf = [0u8; 8];
    assert_eq!(file.read_at(0, &mut buf).unwrap(), 8);
    assert_eq!(&buf, b"ab234567");
}

#[test]
fn named_tmpfs_files_refuse_seals_as_linux_shmem_does() {
    let w = World::new();
    let f = w
        .vfs
        .open(
            &w.su(),
            "/plain",
            OpenFlags::O_CREAT | OpenFlags::O_RDWR,
            0o644,
        )
        .unwrap();
    let inode = f.inode().unwrap();
    assert_eq!(inode.seals(), Ok(fs::inode::F_SEAL_SEAL));
    assert_eq!(inode.add_seals(fs::inode::F_SEAL_GROW), Err(Errno::EPERM));
    let dir = w.vfs.open(&w.su(), "/", OpenFlags::empty(), 0).unwrap();
    assert_eq!(dir.inode().unwrap().seals(), Err(Errno::EINVAL));
}

#[test]
fn extended_attributes_follow_their_namespaces_rules() {
    use fs::xattr::{self, XATTR_CREATE};
    let w = World::new();
    w.write_file("/file", b"");
    w.vfs.chmod(&w.su(), "/file", 0o644).unwrap();
    let file = w
        .vfs
        .resolve(&w.su(), "/file", true)
        .unwrap()
        .inode()
        .clone();
    let root = Credentials::root();
    let owner_of_nothing = Credentials::user(1000, 1000);
    let before = file.stat().ctime();
    xattr::set(&file, b"user.colour", b"blue", XATTR_CREATE, &root).unwrap();
    assert!(
        file.stat().ctime() > before,
        "a change is a change of the inode"
    );
    xattr::set(&file, b"trusted.secret", b"x", 0, &root).unwrap();
    // user.: read permission to read, write permission to change.
    assert_eq!(
        xattr::get(&file, b"user.colour", &owner_of_nothing).unwrap(),
        b"blue"
    );
    assert_eq!(
        xattr::set(&file, b"user.colour", b"red", 0, &owner_of_nothing),
        Err(Errno::EACCES)
    );
    assert_eq!(
        xattr::remove(&file, b"user.colour", &owner_of_nothing),
        Err(Errno::EACCES)
    );
    // trusted.: the superuser's alone, hidden from the rest.
    assert_eq!(
        xattr::get(&file, b"trusted.secret", &owner_of_nothing),
        Err(Errno::ENODATA)
    );
    assert_eq!(
        xattr::set(&file, b"trusted.other", b"y", 0, &owner_of_nothing),
        Err(Errno::EPERM)
    );
    assert_eq!(
        xattr::list(&file, &root).unwrap(),
        b"trusted.secret\0user.colour\0"
    );
    assert_eq!(
        xattr::list(&file, &owner_of_nothing).unwrap(),
        b"user.colour\0"
    );
    // Other namespaces, bad flags and sizes.
    assert_eq!(
        xattr::set(&file, b"security.selinux", b"", 0, &root),
        Err(Errno::EOPNOTSUPP)
    );
    assert_eq!(
        xattr::set(&file, b"user.a", b"", 4, &root),
        Err(Errno::EINVAL)
    );
    let too_big = vec![0u8; xattr::SIZE_MAX + 1];
    assert_eq!(
        xattr::set(&file, b"user.a", &too_big, 0, &root),
        Err(Errno::E2BIG)
    );
    // user. attributes belong to files and directories, not symlinks.
    w.vfs.symlink(&w.su(), "/file", "/link").unwrap();
    let link = w
        .vfs
        .resolve(&w.su(), "/link", false)
        .unwrap()
        .inode()
        .clone();
    assert_eq!(
        xattr::set(&link, b"user.a", b"", 0, &root),
        Err(Errno::EPERM)
    );
    assert_eq!(xattr::get(&link, b"user.a", &root), Err(Errno::ENODATA));
    xattr::remove(&file, b"user.colour", &root).unwrap();
    assert_eq!(
        xattr::get(&file, b"user.colour", &root),
        Err(Errno::ENODATA)
    );
}
