//! The calling thread, as every handler receives it.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::cell::RefCell;

use abi::{Errno, KernelResult, PATH_MAX};
use fs::{Custody, FileDescription, PathContext};
use mm::{UserMemory, UserSlice};
use process::{Process, Thread};
use zerocopy::{FromBytes, Immutable, IntoBytes};

use crate::args::{DirFd, Fd, UserBuffer, UserPath, UserPtr};
use crate::kernel::Kernel;
use crate::registers::SavedRegisters;

/// A kernel copy of user bytes: inline up to 256 bytes (most reads and
/// writes, which then allocate nothing), on the heap beyond.
pub type IoBuffer = smallvec::SmallVec<[u8; 256]>;

/// Room for `len` bytes in `buffer`, `ENOMEM` if the heap has none (or
/// fault injection says so, for a buffer past the inline part).
#[track_caller]
pub(crate) fn reserve_io(buffer: &mut IoBuffer, len: usize) -> KernelResult<()> {
    if len > buffer.inline_size() && fault_injection::should_fail() {
        return Err(Errno::ENOMEM);
    }
    buffer.try_reserve_exact(len).map_err(|_| Errno::ENOMEM)
}

/// `len` zero bytes in a fresh buffer, `ENOMEM` as [`reserve_io`].
#[track_caller]
pub(crate) fn zeroed_io(len: usize) -> KernelResult<IoBuffer> {
    // Zeroed a block at a time: `resize` writes (and checks room for)
    // one byte per step.
    const ZEROS: [u8; 512] = [0; 512];
    let mut buffer = IoBuffer::new();
    reserve_io(&mut buffer, len)?;
    while buffer.len() < len {
        let step = (len - buffer.len()).min(ZEROS.len());
        buffer.extend_from_slice(&ZEROS[..step]);
    }
    Ok(buffer)
}

/// One system call's view of the world: the kernel and the calling thread
/// and process. Handlers reach nothing else.
pub struct Context<'a, K: Kernel> {
    /// The kernel's subsystems and hardware operations.
    pub kernel: &'a K,
    /// The calling process.
    pub process: &'a Arc<Process<K::Env>>,
    /// The calling thread.
    pub thread: &'a Arc<Thread<K::Env>>,
    /// The calling thread's saved user registers and FPU state.
    pub registers: &'a RefCell<dyn SavedRegisters + 'a>,
}

impl<K: Kernel> Context<'_, K> {
    fn memory(&self) -> &dyn UserMemory {
        self.kernel.user_memory()
    }

    /// Reads the `T` at `ptr`; `EFAULT` if it is not readable.
    pub fn read<T: FromBytes + IntoBytes>(&self, ptr: UserPtr<T>) -> KernelResult<T> {
        let mut value = T::new_zeroed();
        self.memory().copy_from_user(
            value.as_mut_bytes(),
            UserSlice::new(ptr.address(), size_of::<T>())?,
        )?;
        Ok(value)
    }

    /// Writes `value` to `ptr`; `EFAULT` if it is not writable.
    pub fn write<T: IntoBytes + Immutable>(&self, ptr: UserPtr<T>, value: &T) -> KernelResult<()> {
        let bytes = value.as_bytes();
        self.memory()
            .copy_to_user(UserSlice::new(ptr.address(), bytes.len())?, bytes)
    }

    /// Writes `value` to `ptr` unless it is NULL.
    pub fn write_optional<T: IntoBytes + Immutable>(
        &self,
        ptr: UserPtr<T>,
        value: &T,
    ) -> KernelResult<()> {
        if ptr.is_null() {
            Ok(())
        } else {
            self.write(ptr, value)
        }
    }

    /// A NULL-terminated array of string pointers (`argv`, `envp`); empty
    /// for a NULL array. `E2BIG` past 128 Ki strings or 2 MiB in all.
    pub fn read_string_array(&self, address: u64) -> KernelResult<Vec<Vec<u8>>> {
        if address == 0 {
            return Ok(Vec::new());
        }
        mm::copy_string_array_from_user(self.memory(), mm::UserPtr::new(address)?, 0x20000, 2 << 20)
    }

    /// Reads `len` bytes; `ENOMEM` if the kernel cannot hold them.
    pub fn read_bytes(&self, buffer: UserBuffer, len: usize) -> KernelResult<IoBuffer> {
        let slice = UserSlice::new(buffer.0, len)?;
        let mut bytes = zeroed_io(len)?;
        self.memory().copy_from_user(&mut bytes, slice)?;
        Ok(bytes)
    }

    /// Fills `out` from user memory at `buffer` (no allocation: the
    /// caller chose where the bytes go).
    pub fn read_bytes_into(&self, buffer: UserBuffer, out: &mut [u8]) -> KernelResult<()> {
        let slice = UserSlice::new(buffer.0, out.len())?;
        self.memory().copy_from_user(out, slice)
    }

    /// Writes `bytes` to `buffer`.
    pub fn write_bytes(&self, buffer: UserBuffer, bytes: &[u8]) -> KernelResult<()> {
        self.memory()
            .copy_to_user(UserSlice::new(buffer.0, bytes.len())?, bytes)
    }

    /// Writes `bytes` to `slice`, already checked, of the same length.
    pub fn write_bytes_to(&self, slice: UserSlice, bytes: &[u8]) -> KernelResult<()> {
        self.memory().copy_to_user(slice, bytes)
    }

    /// A NUL-terminated string of at most `max` bytes (NUL included).
    pub fn read_c_string(&self, address: u64, max: usize) -> KernelResult<Vec<u8>> {
        mm::copy_string_from_user(self.memory(), mm::UserAddr::new(address)?, max, None)
    }

    /// A path argument, as Linux's `getname`: `EFAULT` for a bad pointer,
    /// `ENAMETOOLONG` past `PATH_MAX`, `ENOENT` when empty (unless the
    /// caller allows empty paths for `AT_EMPTY_PATH`). Bytes that are not
    /// UTF-8 are kept in the VFS's escaped form ([`fs::name`]).
    pub fn read_path(&self, path: UserPath, allow_empty: bool) -> KernelResult<String> {
        let bytes = self.read_c_string(path.0, PATH_MAX)?;
        if bytes.is_empty() && !allow_empty {
            return Err(Errno::ENOENT);
        }
        Ok(fs::name::from_vec(bytes))
    }

    /// The open file behind `fd`; `EBADF` if none.
    pub fn description(&self, fd: Fd) -> KernelResult<Arc<FileDescription>> {
        self.process.fds().lock().get(fd.0).cloned()
    }

    /// Installs `description` at the lowest free descriptor.
    pub fn install(&self, description: Arc<FileDescription>, cloexec: bool) -> KernelResult<i32> {
        self.process.fds().lock().open(description, cloexec)
    }

    /// Installs two descriptions and writes their numbers to `out`
    /// (`pipe2`, `socketpair`): both or neither.
    pub fn install_pair(
        &self,
        pair: (Arc<FileDescription>, Arc<FileDescription>),
        cloexec: bool,
        out: UserPtr<[i32; 2]>,
    ) -> KernelResult<()> {
        let (first, second) = {
            let mut table = self.process.fds().lock();
            let first = table.open(pair.0, cloexec)?;
            match table.open(pair.1, cloexec) {
                Ok(second) => (first, second),
                Err(error) => {
                    let _ = table.close(first);
                    return Err(error);
                }
            }
        };
        if let Err(error) = self.write(out, &[first, second]) {
            let mut table = self.process.fds().lock();
            let _ = table.close(first);
            let _ = table.close(second);
            return Err(error);
        }
        Ok(())
    }

    /// The caller's credentials as the VFS checks them (file-system ids,
    /// effective capabilities).
    pub fn fs_credentials(&self) -> fs::Credentials {
        file_system_credentials(self.process.data().credentials())
    }

    /// Whether the caller's effective capabilities hold `cap`.
    pub fn capable(&self, cap: abi::capability::Capability) -> bool {
        self.process.data().credentials().capable(cap)
    }

    /// The caller's file-creation mask.
    pub fn umask(&self) -> u32 {
        self.process.data().fs().map_or(0o022, |f| f.umask())
    }

    /// The caller's root directory.
    pub fn root(&self) -> KernelResult<Custody> {
        let data = self.process.data();
        Ok(data.fs().ok_or(Errno::ESRCH)?.root().clone())
    }

    /// Where a path argument starts: `dirfd` for a relative path, the
    /// working directory for `AT_FDCWD`; an absolute path ignores `dirfd`
    /// entirely, as Linux does (even an invalid descriptor).
    pub fn path_base(&self, dirfd: DirFd, path: &str) -> KernelResult<PathBase> {
        // Owned copies: no process lock is held while the VFS runs.
        let (cwd, root) = {
            let data = self.process.data();
            let fs_context = data.fs().ok_or(Errno::ESRCH)?;
            (fs_context.cwd().clone(), fs_context.root().clone())
        };
        let base = match dirfd {
            DirFd::Fd(fd) if !path.starts_with('/') => {
                let description = self.description(fd)?;
                let custody = description.custody().cloned().ok_or(Errno::ENOTDIR)?;
                if custody.inode().file_type() != fs::FileType::Directory {
                    return Err(Errno::ENOTDIR);
                }
                custody
            }
            _ => cwd,
        };
        Ok(PathBase {
            base,
            root,
            creds: self.fs_credentials(),
        })
    }

    /// Runs `f` with the path context for `path` relative to `dirfd`.
    pub fn at<R>(
        &self,
        dirfd: DirFd,
        path: &str,
        f: impl FnOnce(&PathContext<'_>) -> KernelResult<R>,
    ) -> KernelResult<R> {
        f(&self.path_base(dirfd, path)?.context())
    }
}

/// A path context that owns its parts, so no process lock is held while
/// the VFS resolves.
pub struct PathBase {
    base: Custody,
    root: Custody,
    creds: fs::Credentials,
}

impl PathBase {
    /// This context with its starting directory as the root too (`openat2`'s
    /// `RESOLVE_BENEATH` and `RESOLVE_IN_ROOT`).
    pub fn rooted_at_base(self) -> PathBase {
        PathBase {
            root: self.base.clone(),
            ..self
        }
    }

    /// The VFS's view of it.
    pub fn context(&self) -> PathContext<'_> {
        PathContext {
            base: &self.base,
            root: &self.root,
            creds: &self.creds,
        }
    }
}

/// What the VFS checks of a process's `credentials`: the file-system ids,
/// the supplementary groups and the effective capabilities.
pub fn file_system_credentials(credentials: &process::Credentials) -> fs::Credentials {
    fs::Credentials {
        uid: credentials.fsuid(),
        gid: credentials.fsgid(),
        groups: credentials.groups().to_vec(),
        capabilities: credentials.capabilities().effective,
    }
}
