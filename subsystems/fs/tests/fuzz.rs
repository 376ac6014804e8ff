//! Random input must never panic: cpio archives, paths, and sequences of
//! namespace operations (checked against invariants afterwards).

mod common;

use common::World;
use fs::cpio::parse_archive;
use fs::initramfs::unpack_initramfs;
use fs::{Credentials, OpenFlags, PathContext};
use proptest::prelude::*;

fn path_strategy() -> impl Strategy<Value = String> {
    proptest::collection::vec(prop_oneof!["a", "b", "/", ".", "..", "l", "f", "//"], 0..12)
        .prop_map(|parts| parts.concat())
}

/// A tree with a file, directories, and symlinks including a loop.
fn seeded_world() -> World {
    let w = World::new();
    w.vfs.mkdir(&w.su(), "/a", 0o755).unwrap();
    w.vfs.mkdir(&w.su(), "/a/b", 0o700).unwrap();
    w.write_file("/a/f", b"x");
    w.vfs.symlink(&w.su(), "/a", "/l").unwrap();
    w.vfs.symlink(&w.su(), "l", "/a/l").unwrap();
    w.vfs.symlink(&w.su(), "../l/b", "/a/b/l").unwrap();
    w
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn cpio_parser_never_panics_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = parse_archive(&bytes);
    }

    #[test]
    fn cpio_parser_never_panics_on_mutated_valid_archives(
        flips in proptest::collection::vec((0usize..1536, any::<u8>()), 1..8),
        cut in 0usize..1600,
    ) {
        let mut archive = include_bytes!("data/gnu-cpio-newc.cpio").to_vec();
        for (at, byte) in flips {
            archive[at % 1536] = byte;
        }
        archive.truncate(cut);
        let _ = parse_archive(&archive);
        let w = World::new();
        let _ = unpack_initramfs(&w.vfs, &archive);
    }

    #[test]
    fn header_fields_of_any_hex_value_never_panic(fields in proptest::collection::vec(0u32.., 13), tail in proptest::collection::vec(any::<u8>(), 0..64)) {
        let mut archive = b"070701".to_vec();
        for field in fields {
            archive.extend(format!("{field:08x}").into_bytes());
        }
        archive.extend(tail);
        let _ = parse_archive(&archive);
    }

    #[test]
    fn path_resolution_never_panics_and_results_are_consistent(path in path_strategy(), follow in any::<bool>(), root_user in any::<bool>()) {
        let w = seeded_world();
        let creds = if root_user { Credentials::root() } else { Credentials::user(1, 1) };
        let ctx = PathContext { base: &w.root, root: &w.root, creds: &creds };
        if let Ok(custody) = w.vfs.resolve(&ctx, &path, follow) {
            // Re-resolving the reported absolute path finds the same inode.
            let again = w.vfs.resolve(&w.su(), &custody.absolute_path(&w.root), false).unwrap();
            prop_assert!(again.is_same_file(&custody));
        }
        let _ = w.vfs.open(&ctx, &path, OpenFlags::O_CREAT | OpenFlags::O_RDWR, 0o644);
        let _ = w.vfs.mkdir(&ctx, &path, 0o755);
        let _ = w.vfs.rename(&ctx, &path, "/a/renamed");
        let _ = w.vfs.unlink(&ctx, &path);
        let _ = w.vfs.rmdir(&ctx, &path);
    }

    #[test]
    fn random_namespace_operations_keep_link_counts_consistent(ops in proptest::collection::vec((0u8..6, 0usize..4, 0usize..4), 1..40)) {
        let w = World::new();
        let names = ["/p", "/q", "/p/x", "/q/y"];
        for (op, a, b) in ops {
            let (a, b) = (names[a], names[b]);
            let _ = match op {
                0 => w.vfs.mkdir(&w.su(), a, 0o755),
                1 => w.vfs.open(&w.su(), a, OpenFlags::O_CREAT | OpenFlags::O_WRONLY, 0o644).map(|_| ()),
                2 => w.vfs.rename(&w.su(), a, b),
                3 => w.vfs.unlink(&w.su(), a),
                4 => w.vfs.rmdir(&w.su(), a),
                _ => w.vfs.link(&w.su(), a, b, false),
            };
        }
        // Every directory's link count is 2 plus its subdirectories.
        for dir in ["/", "/p", "/q"] {
            if let Ok(stat) = w.vfs.stat(&w.su(), dir, false) {
                if stat.mode & 0o170000 != 0o040000 {
                    continue;
                }
                let desc = w.vfs.open(&w.su(), dir, OpenFlags::O_DIRECTORY, 0).unwrap();
                let subdirs = common::names_in(&desc)
                    .iter()
                    .filter(|n| *n != "." && *n != "..")
                    .filter(|n| {
                        let path = if dir == "/" { format!("/{n}") } else { format!("{dir}/{n}") };
                        w.vfs.stat(&w.su(), &path, false).unwrap().mode & 0o170000 == 0o040000
                    })
                    .count() as u64;
                prop_assert_eq!(stat.nlink, 2 + subdirs, "{}", dir);
            }
        }
    }
}
