//! `/proc/<pid>/mem`: the process's address space as a file, the file
//! offset being the address (debuggers read and write it).

use alloc::sync::Arc;
use core::any::Any;

use abi::{KernelResult, Stat};
use fs::inode::{Inode, InodeId};
use fs::types::FileType;

use crate::context::Attributes;
use crate::view::ProcessInfo;

/// The `mem` file of one process.
pub struct MemoryFile {
    attributes: Attributes,
    process: Arc<dyn ProcessInfo>,
}

impl MemoryFile {
    /// The file for `process`.
    pub fn new(attributes: Attributes, process: Arc<dyn ProcessInfo>) -> MemoryFile {
        MemoryFile {
            attributes,
            process,
        }
    }
}

impl Inode for MemoryFile {
    fn id(&self) -> InodeId {
        self.attributes.id
    }

    fn file_type(&self) -> FileType {
        FileType::Regular
    }

    fn stat(&self) -> Stat {
        self.attributes.stat_of(self.process.as_ref())
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> KernelResult<usize> {
        self.process.read_memory(offset, buf)
    }

    fn write_at(&self, offset: u64, buf: &[u8]) -> KernelResult<usize> {
        self.process.write_memory(offset, buf)
    }

    /// `O_TRUNC` reaches here; like Linux, it changes nothing.
    fn truncate(&self, _size: u64) -> KernelResult<()> {
        Ok(())
    }

    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}
