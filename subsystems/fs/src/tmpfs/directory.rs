//! A tmpfs directory's entries, with readdir cookies that stay put while other
//! entries come and go.

use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};

/// The first cookie handed to a real entry; 0 and 1 are `.` and `..`.
pub const FIRST_ENTRY_COOKIE: u64 = 2;

/// One name in a directory.
pub struct Slot<T> {
    /// Position for readdir; never reused within this directory.
    pub cookie: u64,
    /// The named inode (directories own their children).
    pub inode: Arc<T>,
}

/// Entries by name plus the same entries in cookie order.
pub struct Directory<T> {
    /// The parent directory (`Weak` so the tree has no cycles); for a root it
    /// points to itself, for a removed directory it dangles.
    pub parent: Weak<T>,
    entries: BTreeMap<Arc<str>, Slot<T>>,
    by_cookie: BTreeMap<u64, Arc<str>>,
    next_cookie: u64,
    /// Moved by every insert and remove (what the dentry cache checks).
    version: u64,
}

impl<T> Directory<T> {
    /// An empty directory under `parent`.
    pub fn new(parent: Weak<T>) -> Directory<T> {
        Directory {
            parent,
            entries: BTreeMap::new(),
            by_cookie: BTreeMap::new(),
            next_cookie: FIRST_ENTRY_COOKIE,
            version: 0,
        }
    }

    /// A number every insert and remove changes.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The inode named `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<T>> {
        self.entries.get(name).map(|slot| &slot.inode)
    }

    /// Whether there are no entries besides `.` and `..`.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Number of entries besides `.` and `..`.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Adds `name`; the caller checked it is absent.
    pub fn insert(&mut self, name: &str, inode: Arc<T>) {
        let cookie = self.next_cookie;
        self.next_cookie += 1;
        self.version = self.version.wrapping_add(1);
        let name: Arc<str> = Arc::from(name);
        self.by_cookie.insert(cookie, name.clone());
        self.entries.insert(name, Slot { cookie, inode });
    }

    /// Puts `inode` under the existing `name` in its place (a readdir in
    /// progress sees the entry where it was), returning the one it held;
    /// `None` if `name` is absent.
    pub fn replace(&mut self, name: &str, inode: Arc<T>) -> Option<Arc<T>> {
        let slot = self.entries.get_mut(name)?;
        self.version = self.version.wrapping_add(1);
        Some(core::mem::replace(&mut slot.inode, inode))
    }

    /// Removes `name`, returning its inode.
    pub fn remove(&mut self, name: &str) -> Option<Arc<T>> {
        let slot = self.entries.remove(name)?;
        self.by_cookie.remove(&slot.cookie);
        self.version = self.version.wrapping_add(1);
        Some(slot.inode)
    }

    /// The first entry at or after `cookie` (a real-entry cookie, >= 2), with
    /// the cookie that follows it.
    pub fn entry_from(&self, cookie: u64) -> Option<(&str, &Arc<T>, u64)> {
        let (&found, name) = self.by_cookie.range(cookie..).next()?;
        let slot = self.entries.get(name)?;
        Some((name, &slot.inode, found + 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_insert_and_remove_moves_the_version() {
        let mut dir: Directory<u32> = Directory::new(Weak::new());
        let mut seen = alloc::vec![dir.version()];
        dir.insert("a", Arc::new(1));
        seen.push(dir.version());
        dir.insert("b", Arc::new(2));
        seen.push(dir.version());
        assert!(dir.remove("a").is_some());
        seen.push(dir.version());
        let unchanged = dir.version();
        assert!(dir.remove("missing").is_none());
        assert_eq!(dir.version(), unchanged, "a failed remove changes nothing");
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 4);
    }
}
