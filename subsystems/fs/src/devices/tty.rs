//! `/dev/tty`: whichever terminal controls the opening process.

use alloc::sync::Arc;

use abi::{Errno, KernelResult};

use crate::device::CharacterDevice;
use crate::file::File;
use crate::types::OpenFlags;

/// Finds the current process's controlling terminal. Processes belong to
/// another crate, so the kernel implements this over its process table.
pub trait ControllingTerminal: Send + Sync {
    /// The terminal's file, or `None` when the process has none.
    fn controlling_terminal(&self) -> Option<Arc<dyn File>>;
}

/// The `/dev/tty` device: opening it opens the controlling terminal, or
/// fails with `ENXIO` as on Linux when there is none.
pub struct TtyDevice {
    resolver: Arc<dyn ControllingTerminal>,
}

impl TtyDevice {
    /// A `/dev/tty` that asks `resolver`.
    pub fn new(resolver: Arc<dyn ControllingTerminal>) -> TtyDevice {
        TtyDevice { resolver }
    }
}

impl CharacterDevice for TtyDevice {
    fn open(&self, _flags: OpenFlags) -> KernelResult<Arc<dyn File>> {
        self.resolver.controlling_terminal().ok_or(Errno::ENXIO)
    }
}
