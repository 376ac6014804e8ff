//! The file system value the kernel mounts at `/proc`.

use alloc::sync::Arc;

use fs::{Clock, FileSystem, Inode};

use crate::context::Context;
use crate::directory::ProcDirectory;
use crate::view::ProcessView;

/// A procfs instance: mount it with `Vfs::mount("/proc", ...)`.
pub struct ProcFs {
    root: Arc<ProcDirectory>,
}

impl ProcFs {
    /// A procfs with device number `dev` showing `view`, stamping inodes
    /// with `clock`.
    pub fn new(dev: u64, view: Arc<dyn ProcessView>, clock: Arc<dyn Clock>) -> Arc<ProcFs> {
        let context = Arc::new(Context { dev, view, clock });
        Arc::new(ProcFs {
            root: Arc::new(ProcDirectory::root(context)),
        })
    }
}

impl ProcFs {
    /// Forgets the dentries of process `pid` (reaped) in the procfs with
    /// device `dev`; see `ProcDirectory::forget_process`.
    pub fn forget_process(dentries: &fs::dentry_cache::DentryCache, dev: u64, pid: u32) {
        ProcDirectory::forget_process(dentries, dev, pid);
    }
}

impl FileSystem for ProcFs {
    fn root(&self) -> Arc<dyn Inode> {
        self.root.clone()
    }

    fn name(&self) -> &'static str {
        "proc"
    }
}
