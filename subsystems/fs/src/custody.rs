//! Custodies: resolved paths. A custody is an inode plus the chain of parent
//! custodies it was reached through, so `..`, `getcwd` and the chroot
//! boundary follow the path the process actually took, across mounts.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use crate::inode::{Inode, InodeId};

/// A component's name. Nearly all fit inline, so each component a lookup
/// walks costs one allocation (the node), not two.
type NodeName = smallvec::SmallVec<[u8; 24]>;

struct Node {
    /// The bytes of a `str` (so always UTF-8).
    name: NodeName,
    inode: Arc<dyn Inode>,
    parent: Option<Custody>,
}

/// A resolved path; cheap to clone (it is an `Arc`). A process's current
/// directory and chroot root are custodies.
#[derive(Clone)]
pub struct Custody(Arc<Node>);

impl core::fmt::Debug for Custody {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Custody")
            .field("name", &self.name())
            .field("id", &self.id())
            .finish()
    }
}

impl Custody {
    /// The top of a custody chain: a file system root with no parent.
    pub fn root(inode: Arc<dyn Inode>) -> Custody {
        Custody(Arc::new(Node {
            name: NodeName::new(),
            inode,
            parent: None,
        }))
    }

    /// The custody of `name` inside `self`, naming `inode` (already
    /// replaced by a mounted root if `name` is a mount point).
    pub fn child(&self, name: &str, inode: Arc<dyn Inode>) -> Custody {
        Custody(Arc::new(Node {
            name: NodeName::from_slice(name.as_bytes()),
            inode,
            parent: Some(self.clone()),
        }))
    }

    /// Whether this custody was reached from `parent` (that very custody,
    /// not merely the same directory) through the component `name`.
    pub fn is_named_child_of(&self, parent: &Custody, name: &str) -> bool {
        self.0
            .parent
            .as_ref()
            .is_some_and(|mine| Arc::ptr_eq(&mine.0, &parent.0))
            && self.0.name.as_slice() == name.as_bytes()
    }

    /// Whether both are the same custody (the same resolution, not merely
    /// the same file).
    pub fn is_same_custody(&self, other: &Custody) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// The inode reached.
    pub fn inode(&self) -> &Arc<dyn Inode> {
        &self.0.inode
    }

    /// The custody this one was reached from, `None` at the top.
    pub fn parent(&self) -> Option<&Custody> {
        self.0.parent.as_ref()
    }

    /// The last path component (empty at the top).
    pub fn name(&self) -> &str {
        // Built from a `str`: the check cannot fail.
        core::str::from_utf8(&self.0.name).unwrap_or_default()
    }

    /// The inode's identity.
    pub fn id(&self) -> InodeId {
        self.0.inode.id()
    }

    /// Whether both name the same inode.
    pub fn is_same_file(&self, other: &Custody) -> bool {
        self.id() == other.id()
    }

    /// The path from `root` (the process's chroot root, or the VFS root) to
    /// this custody, as `getcwd` reports it: `/` for the root itself. A
    /// custody outside `root` yields its path from the top of its chain.
    pub fn absolute_path(&self, root: &Custody) -> String {
        let mut names: Vec<&str> = Vec::new();
        let mut current = self;
        while !current.is_same_file(root) {
            match current.parent() {
                Some(parent) => {
                    names.push(current.name());
                    current = parent;
                }
                None => break,
            }
        }
        if names.is_empty() {
            return String::from("/");
        }
        let mut path = String::new();
        for name in names.iter().rev() {
            path.push('/');
            path.push_str(name);
        }
        path
    }
}
