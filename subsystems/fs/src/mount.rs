//! The mount table: which file system's root covers which directory.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::{Errno, KernelResult};
use core::sync::atomic::{AtomicU64, Ordering};
use lock::RwLock;

use crate::inode::{FileSystem, Inode, InodeId};

struct Mount {
    fs: Arc<dyn FileSystem>,
    root: Arc<dyn Inode>,
    /// The mount point's path when it was mounted (`/proc/mounts`).
    point: alloc::string::String,
}

/// Mounted file systems keyed by the directory they cover. Path resolution
/// consults it on every component, so it is a read-mostly `RwLock`.
#[derive(Default)]
pub struct MountTable {
    mounts: RwLock<BTreeMap<InodeId, Mount>>,
    /// One bit per covered directory, by [`covered_bit`]: most components
    /// of a path cover nothing, and this says so without the lock.
    covered: AtomicU64,
    /// Moved by every mount and unmount, after the table changed: what
    /// the dentry cache checks its crossings against.
    generation: AtomicU64,
}

/// The bit of [`MountTable::covered`] that stands for directory `id`.
fn covered_bit(id: InodeId) -> u64 {
    let mixed = (id.dev ^ id.ino.rotate_left(17)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    1 << (mixed >> 58)
}

/// The bits of every directory `mounts` covers.
fn covered_bits(mounts: &BTreeMap<InodeId, Mount>) -> u64 {
    mounts.keys().fold(0, |bits, &at| bits | covered_bit(at))
}

impl MountTable {
    /// An empty table.
    pub fn new() -> MountTable {
        MountTable::default()
    }

    /// Covers the directory `at` with `fs`'s root; `EBUSY` if already covered
    /// or if `fs` is already mounted somewhere.
    pub fn mount(
        &self,
        at: InodeId,
        fs: Arc<dyn FileSystem>,
        point: alloc::string::String,
    ) -> KernelResult<()> {
        let root = fs.root();
        let mut mounts = self.mounts.write();
        if mounts.contains_key(&at) || mounts.values().any(|mount| mount.root.id() == root.id()) {
            return Err(Errno::EBUSY);
        }
        mounts.insert(at, Mount { fs, root, point });
        self.covered.store(covered_bits(&mounts), Ordering::Release);
        self.generation.fetch_add(1, Ordering::Release);
        Ok(())
    }

    /// Removes the mount whose root is `root`; `EINVAL` if none.
    pub fn unmount(&self, root: InodeId) -> KernelResult<Arc<dyn FileSystem>> {
        let mut mounts = self.mounts.write();
        let at = mounts
            .iter()
            .find(|(_, mount)| mount.root.id() == root)
            .map(|(at, _)| *at)
            .ok_or(Errno::EINVAL)?;
        let fs = mounts.remove(&at).map(|mount| mount.fs);
        self.covered.store(covered_bits(&mounts), Ordering::Release);
        self.generation.fetch_add(1, Ordering::Release);
        fs.ok_or(Errno::EINVAL)
    }

    /// A number every mount and unmount changes. Read before [`cross`]:
    /// if it is still the same afterwards, the crossing still holds.
    ///
    /// [`cross`]: MountTable::cross
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The inode to use for `inode` after crossing mounts: the root of what
    /// is mounted on it (repeatedly, for stacked mounts), else itself.
    pub fn cross(&self, inode: Arc<dyn Inode>) -> Arc<dyn Inode> {
        // A mount published before this lookup set its bit first.
        if self.covered.load(Ordering::Acquire) & covered_bit(inode.id()) == 0 {
            return inode;
        }
        let mounts = self.mounts.read();
        if mounts.is_empty() {
            return inode;
        }
        let mut current = inode;
        // Each step moves to a distinct file system root; bounded by the table size.
        for _ in 0..=mounts.len() {
            match mounts.get(&current.id()) {
                Some(mount) => current = mount.root.clone(),
                None => break,
            }
        }
        current
    }

    /// Whether `id` is a mount point or a mounted root (`EBUSY` for
    /// `rmdir`, `rename`, `unlink`).
    pub fn is_busy(&self, id: InodeId) -> bool {
        let mounts = self.mounts.read();
        mounts.contains_key(&id) || mounts.values().any(|mount| mount.root.id() == id)
    }

    /// `(covered directory, file system type)` for every mount.
    pub fn list(&self) -> Vec<(InodeId, &'static str)> {
        self.mounts
            .read()
            .iter()
            .map(|(at, mount)| (*at, mount.fs.name()))
            .collect()
    }

    /// Every mount as (mount point path, file-system type), in mount-point
    /// order, for `/proc/mounts`.
    pub fn points(&self) -> Vec<(alloc::string::String, &'static str)> {
        self.mount_points()
            .into_iter()
            .map(|mount| (mount.path, mount.fs_type))
            .collect()
    }

    /// Every mount with its device, in mount-point order, for
    /// `/proc/<pid>/mountinfo`.
    pub fn mount_points(&self) -> Vec<MountPoint> {
        self.mounts
            .read()
            .values()
            .map(|mount| MountPoint {
                path: mount.point.clone(),
                fs_type: mount.fs.name(),
                dev: mount.fs.root().stat().dev,
            })
            .collect()
    }
}

/// One mount as the mount table lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MountPoint {
    /// Where it is mounted.
    pub path: alloc::string::String,
    /// The file system's type name.
    pub fs_type: &'static str,
    /// The device number of its root (`st_dev` of its files).
    pub dev: u64,
}
