//! `/proc`: the procfs crate over this kernel's processes (not wired yet).

use alloc::sync::Arc;

/// The procfs instance to mount, once the process view exists.
pub fn filesystem() -> Option<Arc<dyn fs::FileSystem>> {
    None
}
