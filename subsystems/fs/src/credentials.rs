//! Who is asking, and the Unix permission check against an inode's owner and mode.

use alloc::vec::Vec;

use abi::capability::{CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CapSet, Capability};
use abi::{Errno, KernelResult};

use crate::types::{FileType, Stat};

/// The identity a path operation runs as: the process crate converts a
/// process's file-system ids and effective capabilities into this.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Credentials {
    /// User id used for permission checks.
    pub uid: u32,
    /// Primary group id used for permission checks and new files' group.
    pub gid: u32,
    /// Supplementary groups.
    pub groups: Vec<u32>,
    /// Effective capabilities: what may bypass the checks of the ids.
    pub capabilities: CapSet,
}

impl Credentials {
    /// The superuser (uid 0, gid 0, every capability).
    pub fn root() -> Credentials {
        Credentials {
            uid: 0,
            gid: 0,
            groups: Vec::new(),
            capabilities: CapSet::FULL,
        }
    }

    /// An ordinary user with no supplementary groups and no capabilities.
    pub fn user(uid: u32, gid: u32) -> Credentials {
        Credentials {
            uid,
            gid,
            groups: Vec::new(),
            capabilities: CapSet::EMPTY,
        }
    }

    /// Whether the effective capabilities hold `cap` (Linux's `capable`).
    pub fn capable(&self, cap: Capability) -> bool {
        self.capabilities.contains(cap)
    }

    /// Whether every directory may be searched, whatever its mode
    /// (`CAP_DAC_READ_SEARCH` or `CAP_DAC_OVERRIDE`).
    pub fn searches_any_directory(&self) -> bool {
        self.capable(CAP_DAC_READ_SEARCH) || self.capable(CAP_DAC_OVERRIDE)
    }

    /// Whether `gid` is the primary or a supplementary group.
    pub fn in_group(&self, gid: u32) -> bool {
        self.gid == gid || self.groups.contains(&gid)
    }
}

/// What an operation needs from a file, as `access(2)`'s R_OK/W_OK/X_OK bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Access {
    /// Read (R_OK).
    pub read: bool,
    /// Write (W_OK).
    pub write: bool,
    /// Execute, or search for a directory (X_OK).
    pub execute: bool,
}

impl Access {
    /// Read only.
    pub const READ: Access = Access {
        read: true,
        write: false,
        execute: false,
    };
    /// Write only.
    pub const WRITE: Access = Access {
        read: false,
        write: true,
        execute: false,
    };
    /// Execute or search only.
    pub const EXECUTE: Access = Access {
        read: false,
        write: false,
        execute: true,
    };
    /// Write and search: what changing a directory's entries needs.
    pub const WRITE_SEARCH: Access = Access {
        read: false,
        write: true,
        execute: true,
    };

    /// From `access(2)`'s mode argument (R_OK 4, W_OK 2, X_OK 1).
    pub const fn from_bits(bits: u32) -> Access {
        Access {
            read: bits & 4 != 0,
            write: bits & 2 != 0,
            execute: bits & 1 != 0,
        }
    }
}

/// Checks `want` against `stat`'s owner, group and mode as Linux's
/// `generic_permission` does: the owner, group or other triplet (only the
/// first class that matches), then the capabilities that override it.
/// `CAP_DAC_READ_SEARCH` allows reading any file and reading and searching
/// any directory; `CAP_DAC_OVERRIDE` allows everything but executing a
/// file with no execute bit at all.
pub fn check_access(stat: &Stat, creds: &Credentials, want: Access) -> KernelResult<()> {
    let triplet = if stat.uid == creds.uid {
        (stat.mode >> 6) & 7
    } else if creds.in_group(stat.gid) {
        (stat.mode >> 3) & 7
    } else {
        stat.mode & 7
    };
    let denied = (want.read && triplet & 4 == 0)
        || (want.write && triplet & 2 == 0)
        || (want.execute && triplet & 1 == 0);
    if !denied {
        return Ok(());
    }
    let overridden = if FileType::from_mode(stat.mode) == Some(FileType::Directory) {
        (!want.write && creds.capable(CAP_DAC_READ_SEARCH)) || creds.capable(CAP_DAC_OVERRIDE)
    } else {
        (want.read && !want.write && !want.execute && creds.capable(CAP_DAC_READ_SEARCH))
            || ((!want.execute || stat.mode & 0o111 != 0) && creds.capable(CAP_DAC_OVERRIDE))
    };
    if overridden {
        Ok(())
    } else {
        Err(Errno::EACCES)
    }
}

/// Whether `creds` may make a directory with `stat` the working directory
/// or root: `ENOTDIR` unless it is a directory, `EACCES` without search
/// permission.
pub fn check_directory_search(stat: &Stat, creds: &Credentials) -> KernelResult<()> {
    if FileType::from_mode(stat.mode) != Some(FileType::Directory) {
        return Err(Errno::ENOTDIR);
    }
    check_access(stat, creds, Access::EXECUTE)
}

/// Whether `creds` may change attributes (mode, times) of a file it owns:
/// the owner or a holder of `CAP_FOWNER`, else `EPERM`.
pub fn check_owner(stat: &Stat, creds: &Credentials) -> KernelResult<()> {
    if creds.uid == stat.uid || creds.capable(CAP_FOWNER) {
        Ok(())
    } else {
        Err(Errno::EPERM)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::mode;

    fn file(uid: u32, gid: u32, perm: u32) -> Stat {
        Stat {
            mode: mode::S_IFREG | perm,
            uid,
            gid,
            ..Stat::default()
        }
    }

    #[test]
    fn owner_class_wins_even_when_group_would_allow() {
        let stat = file(1000, 100, 0o070);
        let creds = Credentials::user(1000, 100);
        assert_eq!(
            check_access(&stat, &creds, Access::READ),
            Err(Errno::EACCES)
        );
    }

    #[test]
    fn supplementary_group_grants_group_bits() {
        let stat = file(1, 50, 0o040);
        let mut creds = Credentials::user(1000, 100);
        assert_eq!(
            check_access(&stat, &creds, Access::READ),
            Err(Errno::EACCES)
        );
        creds.groups.push(50);
        assert_eq!(check_access(&stat, &creds, Access::READ), Ok(()));
    }

    #[test]
    fn root_bypasses_rw_but_needs_some_x_bit_to_execute() {
        let stat = file(1, 1, 0o000);
        let root = Credentials::root();
        assert_eq!(
            check_access(
                &stat,
                &root,
                Access {
                    read: true,
                    write: true,
                    execute: false
                }
            ),
            Ok(())
        );
        assert_eq!(
            check_access(&stat, &root, Access::EXECUTE),
            Err(Errno::EACCES)
        );
        assert_eq!(
            check_access(&file(1, 1, 0o001), &root, Access::EXECUTE),
            Ok(())
        );
        let dir = Stat {
            mode: mode::S_IFDIR,
            ..Stat::default()
        };
        assert_eq!(check_access(&dir, &root, Access::EXECUTE), Ok(()));
    }

    #[test]
    fn the_capabilities_not_the_uid_bypass_the_checks() {
        use abi::capability::CAP_KILL;
        let private = file(1, 1, 0o600);
        let directory = Stat {
            mode: mode::S_IFDIR | 0o700,
            uid: 1,
            ..Stat::default()
        };
        let rw = Access {
            read: true,
            write: true,
            execute: false,
        };
        // Uid 0 without capabilities is an ordinary user.
        let mut creds = Credentials::root();
        creds.capabilities = CapSet::FULL
            .without(CAP_DAC_OVERRIDE)
            .without(CAP_DAC_READ_SEARCH);
        assert_eq!(
            check_access(&private, &creds, Access::READ),
            Err(Errno::EACCES)
        );
        assert_eq!(
            check_directory_search(&directory, &creds),
            Err(Errno::EACCES)
        );
        // CAP_DAC_READ_SEARCH: reading files, reading and searching directories.
        let mut reader = Credentials::user(1000, 1000);
        reader.capabilities = CapSet::EMPTY.with(CAP_DAC_READ_SEARCH);
        assert_eq!(check_access(&private, &reader, Access::READ), Ok(()));
        assert_eq!(check_access(&private, &reader, rw), Err(Errno::EACCES));
        assert_eq!(check_directory_search(&directory, &reader), Ok(()));
        assert!(reader.searches_any_directory());
        // CAP_DAC_OVERRIDE: anything but running a file no one may run.
        let mut writer = Credentials::user(1000, 1000);
        writer.capabilities = CapSet::EMPTY.with(CAP_DAC_OVERRIDE).with(CAP_KILL);
        assert_eq!(check_access(&private, &writer, rw), Ok(()));
        assert_eq!(
            check_access(&private, &writer, Access::EXECUTE),
            Err(Errno::EACCES)
        );
        // CAP_FOWNER acts as the owner.
        assert_eq!(check_owner(&private, &writer), Err(Errno::EPERM));
        writer.capabilities = writer.capabilities.with(CAP_FOWNER);
        assert_eq!(check_owner(&private, &writer), Ok(()));
    }
}
