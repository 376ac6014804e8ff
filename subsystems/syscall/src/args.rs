//! Typed system-call arguments.
//!
//! The table turns each raw register into one of these before a handler
//! runs, so a handler's signature says what it takes: a descriptor, a
//! directory descriptor, a user pointer to a `T`, a byte count, a flag
//! set. Decoding never fails on its own: Linux checks arguments in the
//! order its handlers use them (a bad descriptor is `EBADF` even when the
//! buffer pointer is bad too), so pointers are checked when they are used
//! ([`UserPtr`], [`UserBuffer`], [`UserPath`]), not when decoded.

use core::marker::PhantomData;

use abi::AT_FDCWD;
use fs::OpenFlags;

/// A raw register turned into a typed argument.
pub trait FromArg: Sized {
    /// The argument in `raw`. Only the low 32 bits of an `int` are
    /// defined, as on Linux.
    fn from_arg(raw: u64) -> Self;
}

impl FromArg for u64 {
    fn from_arg(raw: u64) -> Self {
        raw
    }
}

impl FromArg for i64 {
    fn from_arg(raw: u64) -> Self {
        raw as i64
    }
}

impl FromArg for usize {
    fn from_arg(raw: u64) -> Self {
        raw as usize
    }
}

impl FromArg for u32 {
    fn from_arg(raw: u64) -> Self {
        raw as u32
    }
}

impl FromArg for i32 {
    fn from_arg(raw: u64) -> Self {
        raw as i32
    }
}

/// A file descriptor (`int fd`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Fd(pub i32);

impl FromArg for Fd {
    fn from_arg(raw: u64) -> Self {
        Fd(raw as i32)
    }
}

/// The directory a relative path starts from: the working directory
/// (`AT_FDCWD`) or an open directory.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DirFd {
    /// `AT_FDCWD`.
    Cwd,
    /// An open descriptor.
    Fd(Fd),
}

impl FromArg for DirFd {
    fn from_arg(raw: u64) -> Self {
        match raw as i32 {
            AT_FDCWD => DirFd::Cwd,
            fd => DirFd::Fd(Fd(fd)),
        }
    }
}

/// A user pointer to one `T`, unchecked until used; may be NULL.
#[derive(PartialEq, Eq, Debug)]
pub struct UserPtr<T> {
    address: u64,
    _type: PhantomData<fn() -> T>,
}

impl<T> Clone for UserPtr<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for UserPtr<T> {}

impl<T> UserPtr<T> {
    /// The pointer at `address`.
    pub const fn new(address: u64) -> Self {
        UserPtr {
            address,
            _type: PhantomData,
        }
    }

    /// The raw address.
    pub const fn address(self) -> u64 {
        self.address
    }

    /// Whether it is NULL (an optional argument left out).
    pub const fn is_null(self) -> bool {
        self.address == 0
    }

    /// The pointer to element `index` of an array starting here.
    pub const fn element(self, index: usize) -> UserPtr<T> {
        UserPtr::new(
            self.address
                .wrapping_add((index as u64).wrapping_mul(size_of::<T>() as u64)),
        )
    }

    /// The same address seen as a pointer to `U`.
    pub const fn cast<U>(self) -> UserPtr<U> {
        UserPtr::new(self.address)
    }
}

impl<T> FromArg for UserPtr<T> {
    fn from_arg(raw: u64) -> Self {
        UserPtr::new(raw)
    }
}

/// A user buffer of bytes whose length is another argument.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct UserBuffer(pub u64);

impl FromArg for UserBuffer {
    fn from_arg(raw: u64) -> Self {
        UserBuffer(raw)
    }
}

impl UserBuffer {
    /// The buffer `bytes` further on.
    pub const fn offset(self, bytes: usize) -> UserBuffer {
        UserBuffer(self.0.wrapping_add(bytes as u64))
    }
}

/// A NUL-terminated path in user memory.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct UserPath(pub u64);

impl FromArg for UserPath {
    fn from_arg(raw: u64) -> Self {
        UserPath(raw)
    }
}

impl FromArg for OpenFlags {
    /// Unknown bits are ignored, as Linux's `open` does.
    fn from_arg(raw: u64) -> Self {
        OpenFlags::from_bits_truncate(raw as u32)
    }
}

/// A file mode (`mode_t`): permission and type bits.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Mode(pub u32);

impl FromArg for Mode {
    fn from_arg(raw: u64) -> Self {
        Mode(raw as u32)
    }
}

/// `AT_*` flags of the `*at` calls.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct AtFlags(pub u32);

impl AtFlags {
    /// Whether every bit of `flag` is set.
    pub const fn has(self, flag: u32) -> bool {
        self.0 & flag == flag
    }

    /// `EINVAL` unless only bits in `allowed` are set.
    pub fn only(self, allowed: u32) -> abi::KernelResult<AtFlags> {
        if self.0 & !allowed != 0 {
            Err(abi::Errno::EINVAL)
        } else {
            Ok(self)
        }
    }
}

impl FromArg for AtFlags {
    fn from_arg(raw: u64) -> Self {
        AtFlags(raw as u32)
    }
}

/// A user or group id where `-1` means "leave unchanged".
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct OptionalId(pub Option<u32>);

impl FromArg for OptionalId {
    fn from_arg(raw: u64) -> Self {
        OptionalId((raw as u32 != u32::MAX).then_some(raw as u32))
    }
}
