//! Copying system-call arguments in and out of user memory.

use alloc::string::String;
use alloc::vec::Vec;

use abi::{Errno, KernelResult};
use arch::usercopy::ActiveUserMemory;
use mm::{UserMemory, UserSlice};
use zerocopy::{FromBytes, Immutable, IntoBytes};

/// Longest path including its NUL, as Linux's `PATH_MAX`.
pub const PATH_MAX: usize = 4096;

/// Reads a `T` from user address `address`.
pub fn read<T: FromBytes + IntoBytes>(address: u64) -> KernelResult<T> {
    let mut value = T::new_zeroed();
    ActiveUserMemory.copy_from_user(
        value.as_mut_bytes(),
        UserSlice::new(address, size_of::<T>())?,
    )?;
    Ok(value)
}

/// Writes `value` to user address `address`.
pub fn write<T: IntoBytes + Immutable>(address: u64, value: &T) -> KernelResult<()> {
    let bytes = value.as_bytes();
    ActiveUserMemory.copy_to_user(UserSlice::new(address, bytes.len())?, bytes)
}

/// A NUL-terminated string of at most `max` bytes (NUL included).
pub fn read_c_string(address: u64, max: usize) -> KernelResult<Vec<u8>> {
    mm::copy_string_from_user(&ActiveUserMemory, mm::UserAddr::new(address)?, max, None)
}

/// A path argument, as Linux's `getname`: `EFAULT` for a bad pointer,
/// `ENAMETOOLONG` past `PATH_MAX`, `ENOENT` when empty (unless the caller
/// allows empty paths for `AT_EMPTY_PATH`), `ENOENT` for non-UTF-8 too.
pub fn read_path(address: u64, allow_empty: bool) -> KernelResult<String> {
    let bytes = read_c_string(address, PATH_MAX)?;
    if bytes.is_empty() && !allow_empty {
        return Err(Errno::ENOENT);
    }
    String::from_utf8(bytes).map_err(|_| Errno::ENOENT)
}

/// A NULL-terminated array of string pointers (`argv`, `envp`).
pub fn read_string_array(address: u64) -> KernelResult<Vec<Vec<u8>>> {
    if address == 0 {
        return Ok(Vec::new());
    }
    mm::copy_string_array_from_user(
        &ActiveUserMemory,
        mm::UserPtr::new(address)?,
        0x20000,
        2 << 20,
    )
}
