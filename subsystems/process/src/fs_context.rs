//! A process's place in the file system: cwd, root and umask.

use abi::{Errno, KernelResult};

use crate::credentials::Credentials;
use crate::env::ProcessEnv;

/// The default file mode creation mask (`022`).
pub const DEFAULT_UMASK: u32 = 0o022;

/// Working directory, root directory and umask; copied on fork, kept on exec.
pub struct FsContext<E: ProcessEnv> {
    cwd: E::Custody,
    root: E::Custody,
    umask: u32,
}

impl<E: ProcessEnv> Clone for FsContext<E> {
    fn clone(&self) -> Self {
        Self {
            cwd: self.cwd.clone(),
            root: self.root.clone(),
            umask: self.umask,
        }
    }
}

impl<E: ProcessEnv> FsContext<E> {
    /// A context rooted at `root` with the cwd there too and umask `022`.
    pub fn new(root: E::Custody) -> Self {
        Self {
            cwd: root.clone(),
            root,
            umask: DEFAULT_UMASK,
        }
    }

    /// The working directory, where relative paths start.
    pub fn cwd(&self) -> &E::Custody {
        &self.cwd
    }

    /// The root directory, where absolute paths start and `..` stops.
    pub fn root(&self) -> &E::Custody {
        &self.root
    }

    /// The file mode creation mask.
    pub fn umask(&self) -> u32 {
        self.umask
    }

    /// `umask(2)`: install `mask & 0777`, return the previous mask.
    pub fn set_umask(&mut self, mask: u32) -> u32 {
        core::mem::replace(&mut self.umask, mask & 0o777)
    }

    /// `chdir(2)` and `fchdir(2)` once the caller has resolved the path (or
    /// taken the custody from the fd's description): `ENOTDIR`/`EACCES` from
    /// [`ProcessEnv::check_search`].
    pub fn chdir(&mut self, dir: E::Custody, credentials: &Credentials) -> KernelResult<()> {
        E::check_search(&dir, credentials)?;
        self.cwd = dir;
        Ok(())
    }

    /// `chroot(2)` once the path is resolved: a searchable directory
    /// (checked first, as Linux), then `CAP_SYS_CHROOT` (`EPERM`). The cwd is left
    /// alone, as on Linux.
    pub fn chroot(&mut self, dir: E::Custody, credentials: &Credentials) -> KernelResult<()> {
        E::check_search(&dir, credentials)?;
        if !credentials.capable(abi::capability::CAP_SYS_CHROOT) {
            return Err(Errno::EPERM);
        }
        self.root = dir;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Directories are even numbers; odd numbers are regular files.
    struct Numbers;

    impl ProcessEnv for Numbers {
        type AddressSpace = ();
        type Custody = u32;
        type Description = ();
        type Signals = ();
        type Tty = ();
        type ThreadData = ();
        type Protected = crate::Unprotected;
        fn fork_address_space(_: &mut ()) -> KernelResult<()> {
            Ok(())
        }
        fn fork_signals(_: &()) {}
        fn reset_signals_for_exec(_: &mut ()) {}
        fn check_search(dir: &u32, _: &Credentials) -> KernelResult<()> {
            if dir % 2 == 1 {
                Err(Errno::ENOTDIR)
            } else {
                Ok(())
            }
        }
    }

    #[test]
    fn chdir_to_a_file_is_enotdir_and_keeps_cwd() {
        let mut fs = FsContext::<Numbers>::new(0);
        assert_eq!(fs.chdir(3, &Credentials::root()), Err(Errno::ENOTDIR));
        assert_eq!(fs.cwd(), &0);
        fs.chdir(4, &Credentials::new(1000, 1000)).unwrap();
        assert_eq!(fs.cwd(), &4);
    }

    #[test]
    fn chroot_is_root_only_and_keeps_cwd() {
        let mut fs = FsContext::<Numbers>::new(0);
        let user = Credentials::new(1000, 1000);
        assert_eq!(fs.chroot(2, &user), Err(Errno::EPERM));
        assert_eq!(fs.chroot(5, &Credentials::root()), Err(Errno::ENOTDIR));
        fs.chroot(2, &Credentials::root()).unwrap();
        assert_eq!((fs.root(), fs.cwd()), (&2, &0));
    }

    #[test]
    fn umask_returns_old_and_masks_to_permission_bits() {
        let mut fs = FsContext::<Numbers>::new(0);
        assert_eq!(fs.set_umask(0o7777), 0o022);
        assert_eq!(fs.umask(), 0o777);
    }
}
