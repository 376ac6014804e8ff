//! The rule for path arguments of the `*at` syscalls.
//!
//! The copy from user memory is mm's (it returns `EFAULT` for a bad pointer
//! and `ENAMETOOLONG` past `PATH_MAX`); what happens to the copied bytes is
//! decided here so every syscall applies it the same way: an empty path is
//! `ENOENT` unless the caller passed `AT_EMPTY_PATH`, in which case the
//! syscall operates on `dirfd` itself (`fstatat(fd, "", AT_EMPTY_PATH)`).

use abi::{Errno, KernelResult};

/// `AT_EMPTY_PATH`: an empty path names `dirfd` itself.
pub const AT_EMPTY_PATH: u32 = 0x1000;
/// `PATH_MAX`, including the terminating NUL.
pub const PATH_MAX: usize = 4096;

/// What a syscall should operate on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathTarget<'a> {
    /// Resolve this (non-empty) path relative to `dirfd` or the root.
    Path(&'a [u8]),
    /// Operate on the file `dirfd` refers to.
    DirFd,
}

/// Apply the empty-path rule to a path already copied from user space
/// (without its NUL). `ENAMETOOLONG` if it could not have fit in `PATH_MAX`.
pub fn classify_path(path: &[u8], at_flags: u32) -> KernelResult<PathTarget<'_>> {
    if path.len() >= PATH_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    match (path.is_empty(), at_flags & AT_EMPTY_PATH != 0) {
        (false, _) => Ok(PathTarget::Path(path)),
        (true, true) => Ok(PathTarget::DirFd),
        (true, false) => Err(Errno::ENOENT),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_path_is_enoent_without_at_empty_path() {
        assert_eq!(classify_path(b"", 0), Err(Errno::ENOENT));
        assert_eq!(classify_path(b"", AT_EMPTY_PATH), Ok(PathTarget::DirFd));
        assert_eq!(
            classify_path(b"a", AT_EMPTY_PATH),
            Ok(PathTarget::Path(b"a"))
        );
        assert_eq!(
            classify_path(&[b'a'; PATH_MAX], 0),
            Err(Errno::ENAMETOOLONG)
        );
    }
}
