//! The kernel clock as the VFS sees it: where file timestamps come from.

use crate::types::Timespec;

/// Wall-clock time for `atime`/`mtime`/`ctime`. The kernel implements it over
/// its timer; tests use a fake that steps by hand.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> Timespec;
}
