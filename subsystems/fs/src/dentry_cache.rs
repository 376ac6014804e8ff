//! The dentry cache: recently resolved path components, so that a lookup
//! in a directory walked before neither asks the file system again nor
//! builds (and later frees) a custody node.
//!
//! An entry is a child [`Custody`], filed under its parent directory's
//! identity and its own name, one slot per pair (direct-mapped: a lookup is
//! one hash, one slot lock and a few compares). It answers only the parent
//! custody node it was made under, so `..` and `getcwd` still follow the
//! path the caller took, and only while
//!
//! - the parent directory's entries version ([`Inode::entries_version`])
//!   is the one read before the file system was asked, and
//! - the mount table's generation is the one read before mounts were
//!   crossed.
//!
//! A directory without a version (procfs's `task/` and fd directories,
//! whose entries come and go by themselves) is never cached. Entries keep
//! their custody chain, and the inodes on it, alive: `unlink`, `rmdir`
//! and `rename` forget the names they remove, and mounting or unmounting
//! forgets everything, so an inode's memory still comes back when its
//! last real user goes.
//!
//! [`Inode::entries_version`]: crate::inode::Inode::entries_version

use alloc::boxed::Box;
use alloc::vec::Vec;

use lock::Mutex;

use crate::custody::Custody;
use crate::inode::InodeId;

/// Slots in the cache (a power of two). At about 40 bytes each, 40 KiB.
pub const SLOTS: usize = 1024;

/// One cached component.
struct Entry {
    child: Custody,
    /// The parent directory's entries version the lookup saw.
    directory_version: u64,
    /// The mount table's generation the lookup saw.
    mount_generation: u64,
}

/// Recently resolved components; one per VFS.
pub struct DentryCache {
    slots: Box<[Mutex<Option<Entry>>]>,
}

impl Default for DentryCache {
    fn default() -> DentryCache {
        DentryCache::new()
    }
}

impl DentryCache {
    /// An empty cache of [`SLOTS`] slots.
    pub fn new() -> DentryCache {
        let slots: Vec<Mutex<Option<Entry>>> = (0..SLOTS).map(|_| Mutex::new(None)).collect();
        DentryCache {
            slots: slots.into_boxed_slice(),
        }
    }

    /// The child of `dir` named `name`, if it is cached and `dir`'s entries
    /// and the mount table are still at `directory_version` and
    /// `mount_generation`.
    pub fn get(
        &self,
        dir: &Custody,
        name: &str,
        directory_version: u64,
        mount_generation: u64,
    ) -> Option<Custody> {
        let slot = self.slots[slot_index(dir.id(), name)].lock();
        let entry = slot.as_ref()?;
        let valid = entry.directory_version == directory_version
            && entry.mount_generation == mount_generation
            && entry.child.is_named_child_of(dir, name);
        valid.then(|| entry.child.clone())
    }

    /// Remembers `child`, found in its parent custody as `name` when the
    /// parent's entries were at `directory_version` and the mount table at
    /// `mount_generation` (both read before the lookup, so a change that
    /// raced with it makes the entry stale rather than wrong).
    pub fn insert(
        &self,
        name: &str,
        child: &Custody,
        directory_version: u64,
        mount_generation: u64,
    ) {
        let Some(parent) = child.parent() else {
            return;
        };
        let entry = Entry {
            child: child.clone(),
            directory_version,
            mount_generation,
        };
        let evicted = self.slots[slot_index(parent.id(), name)]
            .lock()
            .replace(entry);
        // Dropped outside the slot lock: it may free a whole custody chain.
        drop(evicted);
    }

    /// Forgets `name` in directory `dir` (after it was removed or renamed),
    /// so the cache does not keep the inode it named alive. Whether it
    /// held one.
    pub fn forget(&self, dir: InodeId, name: &str) -> bool {
        let mut slot = self.slots[slot_index(dir, name)].lock();
        let matches = slot.as_ref().is_some_and(|entry| {
            entry.child.name() == name && entry.child.parent().is_some_and(|p| p.id() == dir)
        });
        let forgotten = if matches { slot.take() } else { None };
        drop(slot);
        forgotten.is_some()
    }

    /// Forgets everything (after a mount or unmount).
    pub fn clear(&self) {
        for slot in self.slots.iter() {
            let forgotten = slot.lock().take();
            drop(forgotten);
        }
    }
}

/// The slot for `name` in directory `dir`. Every custody of the same
/// directory shares it, so forgetting a name reaches all of them.
fn slot_index(dir: InodeId, name: &str) -> usize {
    const MULTIPLIER: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut hash = dir.dev.rotate_left(32) ^ dir.ino;
    let mut words = name.as_bytes().chunks_exact(8);
    for word in &mut words {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        hash = (hash ^ u64::from_le_bytes(bytes)).wrapping_mul(MULTIPLIER);
    }
    let tail = words.remainder();
    let mut bytes = [0u8; 8];
    bytes[..tail.len()].copy_from_slice(tail);
    hash = (hash ^ u64::from_le_bytes(bytes) ^ name.len() as u64).wrapping_mul(MULTIPLIER);
    (hash >> (64 - SLOTS.trailing_zeros())) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_spread_names_and_directories() {
        let dir = InodeId { dev: 1, ino: 7 };
        let other = InodeId { dev: 1, ino: 8 };
        let names = ["a", "b", "stat", "libc.so.6", "a-name-longer-than-eight"];
        let mut seen = std::collections::BTreeSet::new();
        for name in names {
            assert!(slot_index(dir, name) < SLOTS);
            seen.insert(slot_index(dir, name));
            seen.insert(slot_index(other, name));
        }
        assert!(seen.len() >= 2 * names.len() - 1, "{seen:?}");
        assert_eq!(slot_index(dir, "stat"), slot_index(dir, "stat"));
    }
}
