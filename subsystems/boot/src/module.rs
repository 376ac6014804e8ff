//! Boot modules (the initrd and anything else the loader placed in memory).

use crate::error::BootInfoError;
use crate::fixed_string::FixedString;

/// Most modules [`BootInfo`](crate::BootInfo) holds.
pub const MAX_MODULES: usize = 16;

/// Bytes of a module's command line kept; longer ones are cut.
pub const MODULE_CMDLINE_CAPACITY: usize = 256;

/// A file the boot loader placed in physical memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BootModule {
    /// First physical address.
    pub start: u64,
    /// Length in bytes.
    pub length: u64,
    /// The module's command line (GRUB: the words after the path on the
    /// `module2` line; PVH: usually empty), cut to
    /// [`MODULE_CMDLINE_CAPACITY`] bytes.
    pub cmdline: FixedString<MODULE_CMDLINE_CAPACITY>,
}

impl BootModule {
    /// The first address past the module (saturating at `u64::MAX`).
    pub const fn end(&self) -> u64 {
        self.start.saturating_add(self.length)
    }
}

const EMPTY_MODULE: BootModule = BootModule {
    start: 0,
    length: 0,
    cmdline: FixedString::new(),
};

/// Up to [`MAX_MODULES`] modules, in the order the loader listed them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ModuleList {
    modules: [BootModule; MAX_MODULES],
    len: usize,
}

impl ModuleList {
    pub(crate) const fn new() -> ModuleList {
        ModuleList {
            modules: [EMPTY_MODULE; MAX_MODULES],
            len: 0,
        }
    }

    pub(crate) fn push(&mut self, module: BootModule) -> Result<(), BootInfoError> {
        let slot = self
            .modules
            .get_mut(self.len)
            .ok_or(BootInfoError::TooManyModules)?;
        *slot = module;
        self.len += 1;
        Ok(())
    }

    pub(crate) fn as_slice(&self) -> &[BootModule] {
        &self.modules[..self.len]
    }
}
