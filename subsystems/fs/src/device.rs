//! The seam device drivers plug into: a device node opens into a [`File`].

use alloc::sync::Arc;

use abi::KernelResult;

use crate::file::File;
use crate::types::OpenFlags;

/// A character device reachable through a device node (`/dev/null`,
/// `/dev/ttyS0`). Opening the node asks the device for the [`File`] that the
/// new description will read and write.
pub trait CharacterDevice: Send + Sync {
    /// Opens the device; most return one shared `File`, `/dev/tty` returns
    /// the caller's controlling terminal or `ENXIO`.
    fn open(&self, flags: OpenFlags) -> KernelResult<Arc<dyn File>>;
}

/// A device whose every open shares one stateless or internally locked
/// [`File`].
pub struct SharedDevice(pub Arc<dyn File>);

impl CharacterDevice for SharedDevice {
    fn open(&self, _flags: OpenFlags) -> KernelResult<Arc<dyn File>> {
        Ok(self.0.clone())
    }
}
