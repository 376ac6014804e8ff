//! Path resolution edge cases, as a process would see them.

mod common;

use abi::Errno;
use common::World;
use fs::{Credentials, FileType, OpenFlags, PathContext, Restrictions, Tmpfs};
use std::sync::Arc;

fn kind(world: &World, path: &str) -> Result<FileType, Errno> {
    world
        .vfs
        .resolve(&world.su(), path, true)
        .map(|c| c.inode().file_type())
}

#[test]
fn dot_and_dotdot_walk_the_tree_and_stop_at_root() {
    let w = World::new();
    w.vfs.mkdir(&w.su(), "/a", 0o755).unwrap();
    w.vfs.mkdir(&w.su(), "/a/b", 0o755).unwrap();
    w.write_file("/a/b/f", b"x");
    let c = w.vfs.resolve(&w.su(), "/a/./b/../b/f", true).unwrap();
    assert_eq!(c.absolute_path(&w.root), "/a/b/f");
    let top = w.vfs.resolve(&w.su(), "/../../..", true).unwrap();
    assert_eq!(top.absolute_path(&w.root), "/");
    assert_eq!(kind(&w, "//a///b//"), Ok(FileType::Directory));
}

#[test]
fn long_and_non_ascii_names_come_back_whole_in_the_path() {
    let w = World::new();
    let long = "d".repeat(200);
    w.vfs.mkdir(&w.su(), &format!("/{long}"), 0o755).unwrap();
    w.write_file(&format!("/{long}/caf\u{e9}-\u{10ff41}"), b"x");
    let c = w
        .vfs
        .resolve(&w.su(), &format!("/{long}/caf\u{e9}-\u{10ff41}"), true)
        .unwrap();
    assert_eq!(c.name(), "caf\u{e9}-\u{10ff41}");
    assert_eq!(
        c.absolute_path(&w.root),
        format!("/{long}/caf\u{e9}-\u{10ff41}")
    );
}

#[test]
fn relative_paths_start_at_the_base_custody() {
    let w = World::new();
    w.vfs.mkdir(&w.su(), "/home", 0o755).unwrap();
    w.write_file("/home/notes", b"hi");
    let cwd = w.vfs.resolve(&w.su(), "/home", true).unwrap();
    let ctx = PathContext {
        base: &cwd,
        root: &w.root,
        creds: &w.root_creds,
    };
    let c = w.vfs.resolve(&ctx, "notes", true).unwrap();
    assert_eq!(c.absolute_path(&w.root), "/home/notes");
    assert_eq!(
        w.vfs
            .resolve(&ctx, "..", true)
            .unwrap()
            .absolute_path(&w.root),
        "/"
    );
}

#[test]
fn empty_path_is_enoent() {
    let w = World::new();
    assert_eq!(kind(&w, "").unwrap_err(), Errno::ENOENT);
}

#[test]
fn trailing_slash_on_a_file_is_enotdir() {
    let w = World::new();
    w.write_file("/f", b"");
    assert_eq!(kind(&w, "/f/").unwrap_err(), Errno::ENOTDIR);
    assert_eq!(kind(&w, "/f/.").unwrap_err(), Errno::ENOTDIR);
    assert_eq!(kind(&w, "/f/x").unwrap_err(), Errno::ENOTDIR);
    assert_eq!(kind(&w, "/f"), Ok(FileType::Regular));
}

#[test]
fn name_max_and_path_max_give_enametoolong() {
    let w = World::new();
    let long = "x".repeat(256);
    assert_eq!(
        kind(&w, &format!("/{long}")).unwrap_err(),
        Errno::ENAMETOOLONG
    );
    assert_eq!(kind(&w, &"x".repeat(255)).unwrap_err(), Errno::ENOENT);
    let deep = "a/".repeat(2048);
    assert_eq!(kind(&w, &deep).unwrap_err(), Errno::ENAMETOOLONG);
    assert_eq!(
        w.vfs.mkdir(&w.su(), &format!("/{long}"), 0o755),
        Err(Errno::ENAMETOOLONG)
    );
}

#[test]
fn symlinks_are_followed_relative_to_their_directory() {
    let w = World::new();
    w.vfs.mkdir(&w.su(), "/etc", 0o755).unwrap();
    w.write_file("/etc/real", b"content");
    w.vfs.symlink(&w.su(), "real", "/etc/alias").unwrap();
    w.vfs.symlink(&w.su(), "/etc", "/conf").unwrap();
    assert_eq!(w.read_file("/etc/alias"), b"content");
    assert_eq!(w.read_file("/conf/alias"), b"content");
    let c = w.vfs.resolve(&w.su(), "/conf/alias", true).unwrap();
    assert_eq!(c.absolute_path(&w.root), "/etc/real");
    let link = w.vfs.resolve(&w.su(), "/etc/alias", false).unwrap();
    assert_eq!(link.inode().file_type(), FileType::Symlink);
    assert_eq!(w.vfs.readlink(&w.su(), "/etc/alias").unwrap(), "real");
    assert_eq!(w.vfs.readlink(&w.su(), "/etc/real"), Err(Errno::EINVAL));
}

#[test]
fn dotdot_after_a_symlinked_directory_is_physical() {
    let w = World::new();
    w.vfs.mkdir(&w.su(), "/x", 0o755).unwrap();
    w.vfs.mkdir(&w.su(), "/x/y", 0o755).unwrap();
    w.vfs.symlink(&w.su(), "/x/y", "/l").unwrap();
    let c = w.vfs.resolve(&w.su(), "/l/..", true).unwrap();
    assert_eq!(c.absolute_path(&w.root), "/x");
}

#[test]
fn symlink_loops_give_eloop() {
    let w = World::new();
    w.vfs.symlink(&w.su(), "/b", "/a").unwrap();
    w.vfs.symlink(&w.su(), "/a", "/b").unwrap();
    assert_eq!(kind(&w, "/a").unwrap_err(), Errno::ELOOP);
    w.vfs.symlink(&w.su(), "self/x", "/self").unwrap();
    assert_eq!(kind(&w, "/self").unwrap_err(), Errno::ELOOP);
}

#[test]
fn forty_links_resolve_and_forty_one_are_eloop() {
    let w = World::new();
    w.write_file("/target", b"t");
    w.vfs.symlink(&w.su(), "/target", "/l0").unwrap();
    for i in 1..=40 {
        w.vfs
            .symlink(&w.su(), &format!("/l{}", i - 1), &format!("/l{i}"))
            .unwrap();
    }
    assert_eq!(kind(&w, "/l39"), Ok(FileType::Regular), "40 links followed");
    assert_eq!(kind(&w, "/l40").unwrap_err(), Errno::ELOOP, "41 links");
}

#[test]
fn dangling_symlink_is_enoent_when_followed() {
    let w = World::new();
    w.vfs.symlink(&w.su(), "/nowhere", "/dangling").unwrap();
    assert_eq!(kind(&w, "/dangling").unwrap_err(), Errno::ENOENT);
    assert!(w.vfs.stat(&w.su(), "/dangling", false).is_ok());
}

#[test]
fn trailing_slash_follows_a_final_symlink_to_a_directory() {
    let w = World::new();
    w.vfs.mkdir(&w.su(), "/d", 0o755).unwrap();
    w.vfs.symlink(&w.su(), "/d", "/ld").unwrap();
    let c = w.vfs.resolve(&w.su(), "/ld/", false).unwrap();
    assert_eq!(c.inode().file_type(), FileType::Directory);
}

#[test]
fn chroot_root_cannot_be_escaped_with_dotdot_or_absolute_symlinks() {
    let w = World::new();
    w.vfs.mkdir(&w.su(), "/jail", 0o755).unwrap();
    w.vfs.mkdir(&w.su(), "/jail/etc", 0o755).unwrap();
    w.write_file("/secret", b"outside");
    w.write_file("/jail/secret", b"inside");
    w.vfs.symlink(&w.su(), "/secret", "/jail/etc/link").unwrap();
    let jail = w.vfs.resolve(&w.su(), "/jail", true).unwrap();
    let ctx = PathContext {
        base: &jail,
        root: &jail,
        creds: &w.root_creds,
    };
    let escaped = w.vfs.resolve(&ctx, "../../../secret", true).unwrap();
    assert_eq!(escaped.absolute_path(&jail), "/secret");
    let file = w.vfs.open(&ctx, "etc/link", OpenFlags::empty(), 0).unwrap();
    assert_eq!(common::read_all(&file), b"inside");
    let etc = w.vfs.resolve(&ctx, "/etc/..", true).unwrap();
    assert!(etc.is_same_file(&jail));
}

#[test]
fn search_permission_is_needed_on_every_directory() {
    let w = World::new();
    w.vfs.mkdir(&w.su(), "/private", 0o700).unwrap();
    w.write_file("/private/f", b"");
    w.vfs.chmod(&w.su(), "/private/f", 0o600).unwrap();
    let user = Credentials::user(1000, 1000);
    let ctx = PathContext {
        base: &w.root,
        root: &w.root,
        creds: &user,
    };
    assert_eq!(
        w.vfs.resolve(&ctx, "/private/f", true).unwrap_err(),
        Errno::EACCES
    );
    w.vfs.chmod(&w.su(), "/private", 0o711).unwrap();
    assert!(w.vfs.resolve(&ctx, "/private/f", true).is_ok());
    assert_eq!(
        w.vfs
            .open(&ctx, "/private/f", OpenFlags::empty(), 0)
            .unwrap_err(),
        Errno::EACCES
    );
}

#[test]
fn mounted_file_system_covers_its_mount_point_and_dotdot_leaves_it() {
    let w = World::new();
    w.vfs.mkdir(&w.su(), "/mnt", 0o755).unwrap();
    w.write_file("/mnt/hidden", b"");
    let other = Tmpfs::new(2, w.clock.clone());
    w.vfs.mount("/mnt", other, &w.root_creds).unwrap();
    assert_eq!(
        w.vfs.mounts().points(),
        [("/mnt".to_string(), "tmpfs")],
        "/proc/mounts names the mount point"
    );
    assert_eq!(kind(&w, "/mnt/hidden").unwrap_err(), Errno::ENOENT);
    w.write_file("/mnt/new", b"on the mount");
    let stat = w.vfs.stat(&w.su(), "/mnt/new", true).unwrap();
    assert_eq!(stat.dev, 2);
    let up = w.vfs.resolve(&w.su(), "/mnt/..", true).unwrap();
    assert!(up.is_same_file(&w.root));
    assert_eq!(w.vfs.rmdir(&w.su(), "/mnt"), Err(Errno::EBUSY));
    assert_eq!(w.vfs.rename(&w.su(), "/mnt/new", "/new"), Err(Errno::EXDEV));
    assert_eq!(
        w.vfs.link(&w.su(), "/mnt/new", "/new", false),
        Err(Errno::EXDEV)
    );
    let user = Credentials::user(1, 1);
    assert_eq!(
        w.vfs.mount("/mnt", Tmpfs::new(3, w.clock.clone()), &user),
        Err(Errno::EPERM)
    );
    // Mounting again stacks on top, as Linux does.
    w.vfs
        .mount("/mnt", Tmpfs::new(3, w.clock.clone()), &w.root_creds)
        .unwrap();
    assert_eq!(kind(&w, "/mnt/new").unwrap_err(), Errno::ENOENT);
    let fs: Arc<Tmpfs> = Tmpfs::new(4, w.clock.clone());
    w.vfs.mkdir(&w.su(), "/other", 0o755).unwrap();
    w.vfs.mount("/other", fs.clone(), &w.root_creds).unwrap();
    w.vfs.mkdir(&w.su(), "/again", 0o755).unwrap();
    assert_eq!(
        w.vfs.mount("/again", fs, &w.root_creds),
        Err(Errno::EBUSY),
        "already mounted elsewhere"
    );
}

#[test]
fn getcwd_reports_the_path_through_mounts() {
    let w = World::new();
    w.vfs.mkdir(&w.su(), "/proc", 0o755).unwrap();
    w.vfs
        .mount("/proc", Tmpfs::new(9, w.clock.clone()), &w.root_creds)
        .unwrap();
    w.vfs.mkdir(&w.su(), "/proc/self", 0o755).unwrap();
    let cwd = w.vfs.resolve_directory(&w.su(), "/proc/self").unwrap();
    assert_eq!(cwd.absolute_path(&w.root), "/proc/self");
}

#[test]
fn unmount_uncovers_the_original_directory() {
    let w = World::new();
    w.vfs.mkdir(&w.su(), "/mnt", 0o755).unwrap();
    w.write_file("/mnt/under", b"");
    w.vfs
        .mount("/mnt", Tmpfs::new(2, w.clock.clone()), &w.root_creds)
        .unwrap();
    assert_eq!(kind(&w, "/mnt/under").unwrap_err(), Errno::ENOENT);
    assert_eq!(
        w.vfs.unmount("/mnt", &Credentials::user(1, 1)).err(),
        Some(Errno::EPERM)
    );
    w.vfs.unmount("/mnt", &w.root_creds).unwrap();
    assert_eq!(kind(&w, "/mnt/under"), Ok(FileType::Regular));
    assert_eq!(
        w.vfs.unmount("/mnt", &w.root_creds).err(),
        Some(Errno::EINVAL)
    );
}

#[test]
fn no_xdev_stops_at_a_mount_point_either_way() {
    let w = World::new();
    w.vfs.mkdir(&w.su(), "/mnt", 0o755).unwrap();
    w.vfs
        .mount("/mnt", Tmpfs::new(2, w.clock.clone()), &w.root_creds)
        .unwrap();
    w.write_file("/mnt/inside", b"");
    w.write_file("/top", b"");
    let no_xdev = Restrictions {
        no_xdev: true,
        ..Restrictions::default()
    };
    let open = |ctx: &PathContext<'_>, path: &str| {
        w.vfs
            .open_restricted(ctx, path, OpenFlags::empty(), 0, no_xdev)
            .map(|_| ())
    };
    assert_eq!(open(&w.su(), "/mnt/inside"), Err(Errno::EXDEV), "down");
    assert_eq!(open(&w.su(), "/top"), Ok(()));
    let on_mount = w.vfs.resolve(&w.su(), "/mnt", true).unwrap();
    let from_mount = PathContext {
        base: &on_mount,
        ..w.su()
    };
    assert_eq!(open(&from_mount, "inside"), Ok(()));
    assert_eq!(open(&from_mount, "../top"), Err(Errno::EXDEV), "up");
    assert_eq!(
        open(&from_mount, "/top"),
        Err(Errno::EXDEV),
        "to another root"
    );
    // Unlimited, the same walks cross.
    let plain = w.vfs.open(&from_mount, "../top", OpenFlags::empty(), 0);
    assert!(plain.is_ok());
}
