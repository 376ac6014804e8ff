//! Extended attributes (`setxattr`, `getxattr`, `listxattr`,
//! `removexattr`): named values kept with an inode, in namespaces that
//! decide who may see and change them.
//!
//! [`ExtendedAttributes`] is one inode's set, plain data that a file
//! system keeps under its inode's lock (tmpfs does); the [`Inode`] trait's
//! `*_xattr` methods reach it, and file systems without attributes answer
//! `EOPNOTSUPP` (the defaults). The free functions here apply Linux's
//! rules before the inode is asked: name and size limits, and the
//! namespaces, of which two are kept:
//! - `user.`: regular files and directories only, read with read
//!   permission and changed with write permission (as Linux, whose tmpfs
//!   keeps them since 6.6);
//! - `trusted.`: only the superuser sees or changes them.
//!
//! Others (`security.`, `system.`) and names without a namespace are
//! `EOPNOTSUPP`.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::capability::CAP_SYS_ADMIN;
use abi::{Errno, KernelResult};

use crate::credentials::{Access, Credentials, check_access};
use crate::inode::Inode;
use crate::types::FileType;

/// The longest attribute name, namespace included (`XATTR_NAME_MAX`).
pub const NAME_MAX: usize = 255;
/// The largest attribute value (`XATTR_SIZE_MAX`).
pub const SIZE_MAX: usize = 65536;
/// The largest name list `listxattr` returns (`XATTR_LIST_MAX`).
pub const LIST_MAX: usize = 65536;
/// What one inode's names and values may take in all: beyond it a new or
/// larger value is `ENOSPC`, so that attributes cannot take the kernel's
/// memory where file contents could not.
pub const INODE_SPACE: usize = 256 * 1024;

/// `XATTR_CREATE`: fail with `EEXIST` if the attribute exists.
pub const XATTR_CREATE: u32 = 1;
/// `XATTR_REPLACE`: fail with `ENODATA` if the attribute does not exist.
pub const XATTR_REPLACE: u32 = 2;

/// One inode's extended attributes.
#[derive(Debug, Default, Clone)]
pub struct ExtendedAttributes {
    values: BTreeMap<Vec<u8>, Vec<u8>>,
    /// Bytes of names and values held.
    space: usize,
}

impl ExtendedAttributes {
    /// The value of `name`, or `ENODATA`.
    pub fn get(&self, name: &[u8]) -> KernelResult<Vec<u8>> {
        self.values.get(name).cloned().ok_or(Errno::ENODATA)
    }

    /// Sets `name` to `value` under `flags` (`XATTR_CREATE`: `EEXIST` if
    /// set; `XATTR_REPLACE`: `ENODATA` if not); `ENOSPC` past
    /// [`INODE_SPACE`], `E2BIG` past [`LIST_MAX`] of names.
    pub fn set(&mut self, name: &[u8], value: &[u8], flags: u32) -> KernelResult<()> {
        let old = self.values.get(name).map(Vec::len);
        match old {
            Some(_) if flags & XATTR_CREATE != 0 => return Err(Errno::EEXIST),
            None if flags & XATTR_REPLACE != 0 => return Err(Errno::ENODATA),
            _ => {}
        }
        let space = match old {
            Some(old_len) => self.space - old_len + value.len(),
            None => self.space + name.len() + value.len(),
        };
        if space > INODE_SPACE {
            return Err(Errno::ENOSPC);
        }
        if old.is_none() && self.list_len() + name.len() + 1 > LIST_MAX {
            return Err(Errno::ENOSPC);
        }
        self.values.insert(name.to_vec(), value.to_vec());
        self.space = space;
        Ok(())
    }

    /// Removes `name`, or `ENODATA`.
    pub fn remove(&mut self, name: &[u8]) -> KernelResult<()> {
        let value = self.values.remove(name).ok_or(Errno::ENODATA)?;
        self.space -= name.len() + value.len();
        Ok(())
    }

    /// Every name, each followed by a NUL, in name order; `visible` picks
    /// which.
    pub fn list(&self, visible: impl Fn(&[u8]) -> bool) -> Vec<u8> {
        let mut list = Vec::new();
        for name in self.values.keys().filter(|name| visible(name)) {
            list.extend_from_slice(name);
            list.push(0);
        }
        list
    }

    fn list_len(&self) -> usize {
        self.values.keys().map(|name| name.len() + 1).sum()
    }
}

/// The namespaces this kernel keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Namespace {
    User,
    Trusted,
}

/// The namespace of `name`: `ERANGE` for an empty or too long name,
/// `EOPNOTSUPP` for one outside the kept namespaces.
fn namespace(name: &[u8]) -> KernelResult<Namespace> {
    if name.is_empty() || name.len() > NAME_MAX {
        return Err(Errno::ERANGE);
    }
    let (namespace, rest) = if let Some(rest) = name.strip_prefix(b"user.") {
        (Namespace::User, rest)
    } else if let Some(rest) = name.strip_prefix(b"trusted.") {
        (Namespace::Trusted, rest)
    } else {
        return Err(Errno::EOPNOTSUPP);
    };
    // A namespace alone names nothing (Linux: EINVAL).
    if rest.is_empty() {
        return Err(Errno::EINVAL);
    }
    Ok(namespace)
}

/// Whether `creds` may use `name` on `inode` for reading (`write`
/// false) or changing: the namespace's rule.
fn check(
    inode: &Arc<dyn Inode>,
    name: &[u8],
    creds: &Credentials,
    write: bool,
) -> KernelResult<()> {
    match namespace(name)? {
        Namespace::Trusted if creds.capable(CAP_SYS_ADMIN) => Ok(()),
        // Hidden from everyone else, as on Linux.
        Namespace::Trusted if write => Err(Errno::EPERM),
        Namespace::Trusted => Err(Errno::ENODATA),
        Namespace::User => {
            let kind = inode.file_type();
            if kind != FileType::Regular && kind != FileType::Directory {
                return Err(if write { Errno::EPERM } else { Errno::ENODATA });
            }
            let want = if write { Access::WRITE } else { Access::READ };
            check_access(&inode.stat(), creds, want)
        }
    }
}

/// `getxattr`: the value of `name` on `inode`.
pub fn get(inode: &Arc<dyn Inode>, name: &[u8], creds: &Credentials) -> KernelResult<Vec<u8>> {
    check(inode, name, creds, false)?;
    inode.get_xattr(name)
}

/// `setxattr`: sets `name` to `value` on `inode` under `flags`
/// ([`XATTR_CREATE`], [`XATTR_REPLACE`]; others `EINVAL`); `E2BIG` past
/// [`SIZE_MAX`].
pub fn set(
    inode: &Arc<dyn Inode>,
    name: &[u8],
    value: &[u8],
    flags: u32,
    creds: &Credentials,
) -> KernelResult<()> {
    if flags & !(XATTR_CREATE | XATTR_REPLACE) != 0 {
        return Err(Errno::EINVAL);
    }
    if value.len() > SIZE_MAX {
        return Err(Errno::E2BIG);
    }
    check(inode, name, creds, true)?;
    inode.set_xattr(name, value, flags)
}

/// `removexattr`: removes `name` from `inode`.
pub fn remove(inode: &Arc<dyn Inode>, name: &[u8], creds: &Credentials) -> KernelResult<()> {
    check(inode, name, creds, true)?;
    inode.remove_xattr(name)
}

/// `listxattr`: the names on `inode` `creds` may see, each followed by a
/// NUL. A file system without attributes lists none, as Linux's do.
pub fn list(inode: &Arc<dyn Inode>, creds: &Credentials) -> KernelResult<Vec<u8>> {
    let superuser = creds.capable(CAP_SYS_ADMIN);
    match inode.list_xattrs(&|name| superuser || !name.starts_with(b"trusted.")) {
        Err(Errno::EOPNOTSUPP) => Ok(Vec::new()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_follows_its_flags_and_a_remove_frees_its_space() {
        let mut attrs = ExtendedAttributes::default();
        assert_eq!(attrs.get(b"user.a"), Err(Errno::ENODATA));
        assert_eq!(
            attrs.set(b"user.a", b"1", XATTR_REPLACE),
            Err(Errno::ENODATA)
        );
        attrs.set(b"user.a", b"1", XATTR_CREATE).unwrap();
        assert_eq!(attrs.set(b"user.a", b"2", XATTR_CREATE), Err(Errno::EEXIST));
        attrs.set(b"user.a", b"22", XATTR_REPLACE).unwrap();
        attrs.set(b"user.b", b"", 0).unwrap();
        assert_eq!(attrs.get(b"user.a").unwrap(), b"22");
        assert_eq!(attrs.list(|_| true), b"user.a\0user.b\0");
        assert_eq!(attrs.list(|name| name != b"user.a"), b"user.b\0");
        attrs.remove(b"user.a").unwrap();
        assert_eq!(attrs.remove(b"user.a"), Err(Errno::ENODATA));
        assert_eq!(attrs.space, b"user.b".len());
    }

    #[test]
    fn an_inode_s_attributes_are_bounded() {
        let mut attrs = ExtendedAttributes::default();
        let big = alloc::vec![7u8; SIZE_MAX];
        let mut stored = 0;
        let error = loop {
            let name = alloc::format!("user.{stored}");
            match attrs.set(name.as_bytes(), &big, 0) {
                Ok(()) => stored += 1,
                Err(error) => break error,
            }
        };
        assert_eq!(error, Errno::ENOSPC);
        assert_eq!(stored, INODE_SPACE / (SIZE_MAX + 7));
        // Making one smaller makes room again.
        attrs.set(b"user.0", b"small", XATTR_REPLACE).unwrap();
        attrs.set(b"user.new", &big[..1000], 0).unwrap();
    }

    #[test]
    fn names_are_checked_as_linux_checks_them() {
        assert_eq!(namespace(b""), Err(Errno::ERANGE));
        assert_eq!(namespace(&[b'a'; NAME_MAX + 1]), Err(Errno::ERANGE));
        assert_eq!(namespace(b"plain"), Err(Errno::EOPNOTSUPP));
        assert_eq!(namespace(b"security.selinux"), Err(Errno::EOPNOTSUPP));
        assert_eq!(namespace(b"user."), Err(Errno::EINVAL));
        assert_eq!(namespace(b"user.x"), Ok(Namespace::User));
        assert_eq!(namespace(b"trusted.x"), Ok(Namespace::Trusted));
    }
}
