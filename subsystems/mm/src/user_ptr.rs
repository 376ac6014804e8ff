//! Typed user pointers and the checked copies built on them.
//!
//! A system call's pointer argument becomes a [`UserAddr`], [`UserPtr<T>`]
//! or [`UserSlice`] before anything else looks at it. Their constructors are
//! the only checks between user-controlled numbers and kernel memory: the
//! whole range must lie below [`USER_SPACE_END`] (which also makes it
//! canonical and keeps it out of the kernel half) and must not wrap around.
//! Think twice before loosening them.
//!
//! The copy itself, which must survive a fault half-way, is the arch's
//! [`UserMemory`] implementation; this module builds typed reads and
//! writes and bounded string copies on top of it.

use alloc::vec::Vec;
use core::marker::PhantomData;

use abi::{Errno, KernelResult};
use zerocopy::{FromBytes, Immutable, IntoBytes};

use crate::addr::{PAGE_SIZE, USER_SPACE_END, VirtAddr};

/// Linux's `PATH_MAX`: the longest path, terminating NUL included.
pub const PATH_MAX: usize = 4096;

/// An address below [`USER_SPACE_END`]; says nothing about what is mapped.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct UserAddr(u64);

impl UserAddr {
    /// `addr` as a user address; `EFAULT` if it is at or above
    /// [`USER_SPACE_END`] (kernel half or non-canonical).
    pub fn new(addr: u64) -> KernelResult<UserAddr> {
        if addr < USER_SPACE_END {
            Ok(UserAddr(addr))
        } else {
            Err(Errno::EFAULT)
        }
    }

    /// The raw value.
    pub fn get(self) -> u64 {
        self.0
    }

    /// Whether this is the NULL pointer.
    pub fn is_null(self) -> bool {
        self.0 == 0
    }

    /// As a virtual address, for address-space lookups.
    pub fn virt(self) -> VirtAddr {
        VirtAddr(self.0)
    }

    /// `self + bytes`, still a user address; `EFAULT` otherwise.
    pub fn offset(self, bytes: u64) -> KernelResult<UserAddr> {
        UserAddr::new(self.0.checked_add(bytes).ok_or(Errno::EFAULT)?)
    }
}

/// `len` bytes of user memory at `addr`, entirely below [`USER_SPACE_END`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct UserSlice {
    addr: u64,
    len: usize,
}

impl UserSlice {
    /// `[addr, addr + len)`; `EFAULT` if it wraps or reaches past
    /// [`USER_SPACE_END`]. An empty slice may sit anywhere up to the end.
    pub fn new(addr: u64, len: usize) -> KernelResult<UserSlice> {
        let end = addr.checked_add(len as u64).ok_or(Errno::EFAULT)?;
        if end <= USER_SPACE_END {
            Ok(UserSlice { addr, len })
        } else {
            Err(Errno::EFAULT)
        }
    }

    /// First byte.
    pub fn addr(&self) -> u64 {
        self.addr
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the slice is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The first `len` bytes of this slice (all of it if it is shorter):
    /// inside a checked slice, so nothing to check again.
    pub fn prefix(&self, len: usize) -> UserSlice {
        UserSlice {
            addr: self.addr,
            len: len.min(self.len),
        }
    }

    /// The bytes `[offset, offset + len)` of this slice; `EFAULT` if they
    /// are not all inside it.
    pub fn subslice(&self, offset: usize, len: usize) -> KernelResult<UserSlice> {
        let end = offset.checked_add(len).ok_or(Errno::EFAULT)?;
        if end > self.len {
            return Err(Errno::EFAULT);
        }
        Ok(UserSlice {
            addr: self.addr + offset as u64,
            len,
        })
    }
}

/// A user pointer to one `T`, entirely below [`USER_SPACE_END`]. No
/// alignment is required, as on Linux.
pub struct UserPtr<T> {
    addr: u64,
    _points_to: PhantomData<fn() -> T>,
}

impl<T> UserPtr<T> {
    /// `addr` as a pointer to `T`; `EFAULT` unless `size_of::<T>()` bytes
    /// from it are user addresses.
    pub fn new(addr: u64) -> KernelResult<UserPtr<T>> {
        UserSlice::new(addr, core::mem::size_of::<T>())?;
        Ok(UserPtr {
            addr,
            _points_to: PhantomData,
        })
    }

    /// `None` for NULL (an optional argument left out), else as [`new`](Self::new).
    pub fn new_optional(addr: u64) -> KernelResult<Option<UserPtr<T>>> {
        if addr == 0 {
            Ok(None)
        } else {
            UserPtr::new(addr).map(Some)
        }
    }

    /// The raw address.
    pub fn addr(&self) -> u64 {
        self.addr
    }

    /// The bytes of the pointee.
    pub fn as_slice(&self) -> UserSlice {
        UserSlice {
            addr: self.addr,
            len: core::mem::size_of::<T>(),
        }
    }

    /// The pointer to element `index` of an array starting here; `EFAULT`
    /// if it leaves user space.
    pub fn element(&self, index: usize) -> KernelResult<UserPtr<T>> {
        let offset = index
            .checked_mul(core::mem::size_of::<T>())
            .ok_or(Errno::EFAULT)?;
        UserPtr::new(self.addr.checked_add(offset as u64).ok_or(Errno::EFAULT)?)
    }
}

impl UserPtr<u32> {
    /// `EINVAL` unless the word is 4-byte aligned, as an atomic operation
    /// on it needs ([`UserMemory::compare_exchange_u32`]).
    pub fn check_aligned(self) -> KernelResult<()> {
        if self.addr % 4 == 0 {
            Ok(())
        } else {
            Err(Errno::EINVAL)
        }
    }
}

impl<T> Clone for UserPtr<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for UserPtr<T> {}

impl<T> PartialEq for UserPtr<T> {
    fn eq(&self, other: &Self) -> bool {
        self.addr == other.addr
    }
}

impl<T> Eq for UserPtr<T> {}

impl<T> core::fmt::Debug for UserPtr<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "UserPtr({:#x})", self.addr)
    }
}

/// Copies between kernel buffers and the current user address space,
/// surviving faults; `arch` implements it (with `stac`/`clac` and an
/// exception-table fixup), tests with a fake.
pub trait UserMemory {
    /// Fills `dst` from `src`; `EFAULT` if any byte cannot be read (the
    /// contents of `dst` are then unspecified). `EINVAL` if the lengths differ.
    fn copy_from_user(&self, dst: &mut [u8], src: UserSlice) -> KernelResult<()>;

    /// Writes `src` to `dst`; `EFAULT` if any byte cannot be written (a
    /// prefix may have been written). `EINVAL` if the lengths differ.
    fn copy_to_user(&self, dst: UserSlice, src: &[u8]) -> KernelResult<()>;

    /// Zeroes `dst` from its start and says how many bytes it zeroed
    /// before one could not be written (all of them when none failed):
    /// Linux's `clear_user`, for a read of `/dev/zero`, which returns
    /// what it zeroed. The default copies a block of zeros at a time (a
    /// byte at a time in a block that faults); `arch` stores them
    /// without a source.
    fn zero_user(&self, dst: UserSlice) -> usize {
        const ZEROS: [u8; 256] = [0; 256];
        let mut done = 0;
        while done < dst.len() {
            let step = (dst.len() - done).min(ZEROS.len());
            let block = dst.prefix(done + step).subslice(done, step);
            if block
                .and_then(|block| self.copy_to_user(block, &ZEROS[..step]))
                .is_err()
            {
                let byte = |at: usize| dst.subslice(at, 1).and_then(|b| self.copy_to_user(b, &[0]));
                return (done..done + step)
                    .find(|&at| byte(at).is_err())
                    .unwrap_or(done + step);
            }
            done += step;
        }
        done
    }

    /// Replaces the word at `word` with `new` if it holds `expected`, in
    /// one atomic step against every other thread of the address space
    /// (futex words that other CPUs change meanwhile): the value found,
    /// which is `expected` exactly when the word was replaced. `EFAULT` if
    /// the word cannot be written, `EINVAL` if it is not 4-byte aligned.
    fn compare_exchange_u32(
        &self,
        word: UserPtr<u32>,
        expected: u32,
        new: u32,
    ) -> KernelResult<u32>;
}

/// Reads one `T` from user memory.
pub fn read_value<T: FromBytes + IntoBytes, M: UserMemory + ?Sized>(
    mem: &M,
    ptr: UserPtr<T>,
) -> KernelResult<T> {
    let mut value = T::new_zeroed();
    mem.copy_from_user(value.as_mut_bytes(), ptr.as_slice())?;
    Ok(value)
}

/// Writes one `T` to user memory.
pub fn write_value<T: IntoBytes + Immutable, M: UserMemory + ?Sized>(
    mem: &M,
    ptr: UserPtr<T>,
    value: &T,
) -> KernelResult<()> {
    mem.copy_to_user(ptr.as_slice(), value.as_bytes())
}

/// Reads a whole user buffer into a new vector.
pub fn read_bytes<M: UserMemory + ?Sized>(mem: &M, src: UserSlice) -> KernelResult<Vec<u8>> {
    let mut buf = Vec::new();
    fault_injection::reserve_exact(&mut buf, src.len())?;
    buf.resize(src.len(), 0);
    mem.copy_from_user(&mut buf, src)?;
    Ok(buf)
}

/// How much of a string [`copy_string_from_user`] copies at a time.
const STRING_CHUNK: u64 = 128;

/// Copies the NUL-terminated string at `addr` (without its NUL).
///
/// `max_len` counts the NUL, as `PATH_MAX` does: a string needing more gives
/// `ENAMETOOLONG`. An empty string gives `empty_error` when one is given
/// (`ENOENT` for paths, as Linux's `getname`). Reads at most 128 bytes at a
/// time and never across a page boundary, so that a string ending just
/// before an unmapped page is fine; any unreadable byte before the NUL
/// gives `EFAULT`.
pub fn copy_string_from_user<M: UserMemory + ?Sized>(
    mem: &M,
    addr: UserAddr,
    max_len: usize,
    empty_error: Option<Errno>,
) -> KernelResult<Vec<u8>> {
    let mut string = Vec::new();
    let mut at = addr.get();
    while string.len() < max_len {
        if at >= USER_SPACE_END {
            return Err(Errno::EFAULT);
        }
        let to_page_end = PAGE_SIZE - (at % PAGE_SIZE);
        // Most strings are short: copying (and zeroing) up to the page's
        // end first cost a path's open more than the rest of its lookup.
        let chunk = to_page_end
            .min((max_len - string.len()) as u64)
            .min(STRING_CHUNK) as usize;
        let start = string.len();
        fault_injection::reserve(&mut string, chunk)?;
        string.resize(start + chunk, 0);
        mem.copy_from_user(&mut string[start..], UserSlice::new(at, chunk)?)?;
        if let Some(nul) = string[start..].iter().position(|byte| *byte == 0) {
            string.truncate(start + nul);
            return match empty_error {
                Some(error) if string.is_empty() => Err(error),
                _ => Ok(string),
            };
        }
        at += chunk as u64;
    }
    Err(Errno::ENAMETOOLONG)
}

/// Copies a NULL-terminated array of string pointers (execve's `argv` and
/// `envp`). `E2BIG` past `max_count` strings or `max_total` bytes counting
/// each string's NUL, as Linux limits the argument area; `EFAULT` for any
/// unreadable pointer or string.
pub fn copy_string_array_from_user<M: UserMemory + ?Sized>(
    mem: &M,
    array: UserPtr<u64>,
    max_count: usize,
    max_total: usize,
) -> KernelResult<Vec<Vec<u8>>> {
    let mut strings = Vec::new();
    let mut total = 0usize;
    for index in 0.. {
        let pointer = read_value(mem, array.element(index)?)?;
        if pointer == 0 {
            return Ok(strings);
        }
        if strings.len() == max_count {
            return Err(Errno::E2BIG);
        }
        let string =
            match copy_string_from_user(mem, UserAddr::new(pointer)?, max_total - total, None) {
                Err(Errno::ENAMETOOLONG) => return Err(Errno::E2BIG),
                other => other?,
            };
        total += string.len() + 1;
        strings.push(string);
    }
    Ok(strings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_stays_inside_its_slice() {
        let slice = UserSlice::new(0x1000, 64).unwrap();
        let head = slice.prefix(10);
        assert_eq!((head.addr(), head.len()), (0x1000, 10));
        let all = slice.prefix(100);
        assert_eq!((all.addr(), all.len()), (0x1000, 64));
        assert!(slice.prefix(0).is_empty());
        // Even the last byte below the user end: nothing is re-checked,
        // nothing can overflow.
        let last = UserSlice::new(USER_SPACE_END - 1, 1).unwrap();
        assert_eq!(last.prefix(usize::MAX).len(), 1);
    }

    /// User memory at 0x1000 of `len` writable bytes, filled with 0xaa.
    struct Window(core::cell::RefCell<alloc::vec::Vec<u8>>);

    impl UserMemory for Window {
        fn copy_from_user(&self, _dst: &mut [u8], _src: UserSlice) -> KernelResult<()> {
            unreachable!("zeroing reads nothing")
        }

        fn copy_to_user(&self, dst: UserSlice, src: &[u8]) -> KernelResult<()> {
            let mut bytes = self.0.borrow_mut();
            let start = (dst.addr() - 0x1000) as usize;
            let end = start + src.len();
            if end > bytes.len() {
                return Err(Errno::EFAULT);
            }
            bytes[start..end].copy_from_slice(src);
            Ok(())
        }

        fn compare_exchange_u32(&self, _: UserPtr<u32>, _: u32, _: u32) -> KernelResult<u32> {
            unreachable!()
        }
    }

    #[test]
    fn zeroing_user_memory_covers_every_byte_up_to_the_first_fault() {
        let memory = Window(core::cell::RefCell::new(alloc::vec![0xaa; 1000]));
        assert_eq!(memory.zero_user(UserSlice::new(0x1001, 700).unwrap()), 700);
        let bytes = memory.0.borrow().clone();
        assert_eq!(bytes[0], 0xaa);
        assert!(bytes[1..701].iter().all(|&byte| byte == 0));
        assert_eq!(bytes[701], 0xaa);
        // Past the window: every byte up to its end, not a block less.
        let zeroed = memory.zero_user(UserSlice::new(0x1000 + 500, 600).unwrap());
        assert_eq!(zeroed, 500);
        assert!(memory.0.borrow()[500..].iter().all(|&byte| byte == 0));
        assert_eq!(
            memory.zero_user(UserSlice::new(0x1000 + 1000, 8).unwrap()),
            0
        );
    }
}
