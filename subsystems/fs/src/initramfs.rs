//! Unpacking the boot loader's initramfs (cpio newc) into the root file
//! system. The whole archive is parsed before anything is created, so a
//! malformed one leaves the tree untouched; the kernel logs why and boots on.

use alloc::collections::BTreeMap;
use alloc::string::String;

use abi::{Errno, KernelResult};

use crate::cpio::{CpioEntry, CpioError, parse_archive};
use crate::credentials::Credentials;
use crate::custody::Custody;
use crate::inode::TimeChange;
use crate::types::{FileType, OpenFlags, Timespec, make_dev, mode};
use crate::vfs::{PathContext, Vfs};

/// What an unpack created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UnpackSummary {
    /// Regular files (including extra hard links).
    pub files: usize,
    /// Directories.
    pub directories: usize,
    /// Symbolic links.
    pub symlinks: usize,
    /// Device nodes, FIFOs and sockets.
    pub special: usize,
    /// Members that could not be created (each logged with its errno).
    pub skipped: usize,
}

/// Unpacks `archive` at the VFS root as root. A malformed archive is
/// rejected whole with an error log line; a member that cannot be created
/// (a name clash with a non-directory, say) is logged and skipped.
pub fn unpack_initramfs(vfs: &Vfs, archive: &[u8]) -> Result<UnpackSummary, CpioError> {
    let entries = parse_archive(archive).inspect_err(|error| {
        log::error!("initramfs: rejected: {error}; booting without it");
    })?;
    let mut unpacker = Unpacker {
        vfs,
        root: vfs.root_custody(),
        creds: Credentials::root(),
        links: BTreeMap::new(),
    };
    let mut summary = UnpackSummary::default();
    for entry in &entries {
        let Some(path) = normalize(entry.name) else {
            continue;
        };
        match unpacker.apply(&path, entry) {
            Ok(FileType::Regular) => summary.files += 1,
            Ok(FileType::Directory) => summary.directories += 1,
            Ok(FileType::Symlink) => summary.symlinks += 1,
            Ok(_) => summary.special += 1,
            Err(errno) => {
                log::warn!("initramfs: skipping {path}: {}", errno.name());
                summary.skipped += 1;
            }
        }
    }
    log::info!(
        "initramfs: {} files, {} directories, {} symlinks, {} special, {} skipped",
        summary.files,
        summary.directories,
        summary.symlinks,
        summary.special,
        summary.skipped
    );
    Ok(summary)
}

/// `./bin/sh`, `/bin/sh` and `bin/sh` all become `/bin/sh`; the archive's
/// own `.` entry is skipped.
fn normalize(name: &str) -> Option<String> {
    let mut path = String::new();
    for component in name.split('/').filter(|c| !c.is_empty() && *c != ".") {
        path.push('/');
        path.push_str(component);
    }
    if path.is_empty() { None } else { Some(path) }
}

struct Unpacker<'a> {
    vfs: &'a Vfs,
    root: Custody,
    creds: Credentials,
    /// Hard-link groups: (device, inode) of the archived file -> first path.
    links: BTreeMap<(u32, u32, u32), String>,
}

impl Unpacker<'_> {
    fn apply(&mut self, path: &str, entry: &CpioEntry<'_>) -> KernelResult<FileType> {
        let kind = FileType::from_mode(entry.mode).ok_or(Errno::EINVAL)?;
        self.make_parents(path)?;
        let vfs = self.vfs;
        let ctx = PathContext {
            base: &self.root,
            root: &self.root,
            creds: &self.creds,
        };
        let perm = entry.mode & mode::PERMISSION_MASK;
        self.clear_for(&ctx, path, kind)?;
        match kind {
            FileType::Directory => match vfs.mkdir(&ctx, path, perm) {
                Err(Errno::EEXIST)
                    if FileType::from_mode(vfs.stat(&ctx, path, false)?.mode) == Some(kind) => {}
                other => other?,
            },
            FileType::Regular => {
                let key = (entry.dev_major, entry.dev_minor, entry.ino);
                let first = if entry.nlink > 1 {
                    self.links.get(&key).cloned()
                } else {
                    None
                };
                match first {
                    Some(first) => vfs.link(&ctx, &first, path, false)?,
                    None => {
                        let flags = OpenFlags::O_CREAT
                            | OpenFlags::O_WRONLY
                            | OpenFlags::O_TRUNC
                            | OpenFlags::O_NOFOLLOW;
                        drop(vfs.open(&ctx, path, flags, perm)?);
                        if entry.nlink > 1 {
                            self.links.insert(key, String::from(path));
                        }
                    }
                }
                if !entry.data.is_empty() {
                    let file =
                        vfs.open(&ctx, path, OpenFlags::O_WRONLY | OpenFlags::O_NOFOLLOW, 0)?;
                    let mut written = 0;
                    while written < entry.data.len() {
                        written += file.write(&entry.data[written..])?;
                    }
                }
            }
            FileType::Symlink => {
                let target = core::str::from_utf8(entry.data).map_err(|_| Errno::EINVAL)?;
                vfs.symlink(&ctx, target, path)?;
            }
            _ => {
                let rdev = make_dev(entry.rdev_major, entry.rdev_minor);
                vfs.mknod(&ctx, path, entry.mode, rdev)?;
            }
        }
        vfs.chown(&ctx, path, Some(entry.uid), Some(entry.gid), false)?;
        if kind != FileType::Symlink {
            vfs.chmod(&ctx, path, perm)?;
        }
        let mtime = TimeChange::Set(Timespec {
            sec: i64::from(entry.mtime),
            nsec: 0,
        });
        vfs.set_times(&ctx, path, mtime, mtime, false)?;
        Ok(kind)
    }

    /// A later member replaces an earlier one of another type, and a
    /// later symlink any earlier member, as Linux's unpacker does (so an
    /// archive appended to another can turn a symlink into a file).
    fn clear_for(&self, ctx: &PathContext<'_>, path: &str, kind: FileType) -> KernelResult<()> {
        let existing = match self.vfs.stat(ctx, path, false) {
            Ok(stat) => FileType::from_mode(stat.mode),
            Err(Errno::ENOENT) => return Ok(()),
            Err(other) => return Err(other),
        };
        match existing {
            Some(existing) if existing == kind && kind != FileType::Symlink => Ok(()),
            Some(FileType::Directory) => self.vfs.rmdir(ctx, path),
            _ => self.vfs.unlink(ctx, path),
        }
    }

    /// Creates missing parent directories (0755, root), as archives made by
    /// hand often omit them.
    fn make_parents(&self, path: &str) -> KernelResult<()> {
        let ctx = PathContext {
            base: &self.root,
            root: &self.root,
            creds: &self.creds,
        };
        let mut end = 0;
        while let Some(next) = path[end + 1..].find('/') {
            end += 1 + next;
            let parent = &path[..end];
            match self.vfs.mkdir(&ctx, parent, 0o755) {
                Ok(()) | Err(Errno::EEXIST) => {}
                Err(other) => return Err(other),
            }
        }
        Ok(())
    }
}
