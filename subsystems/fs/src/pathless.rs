//! Where `/proc/<pid>/fd/N` leads for an open file with no path: a pipe
//! end, a socket, an anonymous inode (eventfd, epoll, ...).
//!
//! Linux reaches the file's own inode (on pipefs, sockfs or the anonymous
//! inode file system): opening a pipe's makes a new end of that pipe, in
//! any access mode and without waiting for a partner; opening any other
//! fails with `ENXIO`. Here the link leads to a [`Custody`] with no parent
//! around a node that says the same to [`Vfs::open`](crate::vfs::Vfs).

use alloc::sync::Arc;
use core::any::Any;

use crate::custody::Custody;
use crate::description::FileDescription;
use crate::inode::{Inode, InodeId};
use crate::pipe::Pipe;
use crate::types::{FileType, Stat};

/// The node for `description` (which has no custody of its own).
pub fn pathless_node(description: &FileDescription) -> Custody {
    let node = match description.file().pipe() {
        Some(pipe) => PathlessNode::Pipe(pipe.clone()),
        None => PathlessNode::Other(description.stat().unwrap_or_default()),
    };
    Custody::root(Arc::new(node))
}

/// Whether `custody` is such a node's: no parent and no directory (file
/// system roots are directories).
pub fn is_pathless(custody: &Custody) -> bool {
    custody.parent().is_none() && custody.inode().file_type() != FileType::Directory
}

enum PathlessNode {
    /// A pipe end's: opens as a FIFO on that very pipe.
    Pipe(Arc<Pipe>),
    /// Anything else's, with the file's status when the link was followed:
    /// an open is refused.
    Other(Stat),
}

impl Inode for PathlessNode {
    fn id(&self) -> InodeId {
        let stat = self.stat();
        InodeId {
            dev: stat.dev,
            ino: stat.ino,
        }
    }

    fn file_type(&self) -> FileType {
        match self {
            PathlessNode::Pipe(_) => FileType::Fifo,
            // An anonymous inode's mode names no type: call it a socket,
            // which no open goes through either.
            PathlessNode::Other(stat) => FileType::from_mode(stat.mode)
                .filter(|&kind| kind != FileType::Directory)
                .unwrap_or(FileType::Socket),
        }
    }

    fn stat(&self) -> Stat {
        match self {
            PathlessNode::Pipe(pipe) => pipe.stat(),
            PathlessNode::Other(stat) => *stat,
        }
    }

    fn fifo_pipe(&self, _make: &dyn Fn() -> Arc<Pipe>) -> Option<Arc<Pipe>> {
        match self {
            PathlessNode::Pipe(pipe) => Some(pipe.clone()),
            PathlessNode::Other(_) => None,
        }
    }

    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}
