//! Memory calls: mmap, munmap, mprotect, brk.

use alloc::sync::Arc;

use abi::{Errno, KernelResult};
use mm::{MapRequest, Perms, Placement, VirtAddr, VmObject};

use super::{Call, SyscallResult};
use crate::memory::frames::KernelFrames;
use crate::memory::user::SharedAddressSpace;
use crate::userland::exec::FileBacking;

const MAP_SHARED: u64 = 0x01;
const MAP_PRIVATE: u64 = 0x02;
const MAP_FIXED: u64 = 0x10;
const MAP_ANONYMOUS: u64 = 0x20;
const MAP_FIXED_NOREPLACE: u64 = 0x100000;

fn space() -> KernelResult<SharedAddressSpace> {
    crate::task::current().address_space().ok_or(Errno::EFAULT)
}

fn mmap(call: &mut Call<'_>) -> SyscallResult {
    let [address, len, prot, flags, fd, offset] = call.args;
    let perms = Perms::from_bits(prot as u32).ok_or(Errno::EINVAL)?;
    let sharing = flags & (MAP_SHARED | MAP_PRIVATE);
    if sharing == 0 || sharing == MAP_SHARED | MAP_PRIVATE {
        return Err(Errno::EINVAL);
    }
    let shared = sharing == MAP_SHARED;
    let request = if flags & MAP_ANONYMOUS != 0 {
        if shared {
            MapRequest::object(VmObject::anonymous(), 0, true, len, perms)
        } else {
            MapRequest::anonymous(len, perms)
        }
    } else {
        let description = crate::userland::current()?
            .process
            .fds()
            .lock()
            .get(fd as i32)
            .cloned()?;
        let stat = description.stat()?;
        if stat.mode & 0o170000 != 0o100000 {
            return Err(Errno::ENODEV);
        }
        let mode = description.access_mode();
        if !mode.readable() || (shared && perms.contains(Perms::WRITE) && !mode.writable()) {
            return Err(Errno::EACCES);
        }
        let object = VmObject::for_inode(Arc::new(FileBacking {
            description,
            size: stat.size.max(0) as u64,
        }));
        MapRequest::object(object, offset, shared, len, perms)
    };
    let placement = if flags & MAP_FIXED_NOREPLACE != 0 {
        Placement::FixedNoReplace(VirtAddr(address))
    } else if flags & MAP_FIXED != 0 {
        Placement::Fixed(VirtAddr(address))
    } else if address != 0 {
        Placement::Hint(VirtAddr(address))
    } else {
        Placement::Anywhere
    };
    let space = space()?;
    let mapped = space
        .lock()
        .mmap(request.at(placement), &mut KernelFrames)?;
    Ok(mapped.0)
}

/// mmap, munmap, mprotect, brk, mremap, msync, madvise.
pub fn dispatch(call: &mut Call<'_>, number: u64) -> SyscallResult {
    let a = call.args;
    match number {
        9 => mmap(call),
        11 => {
            space()?
                .lock()
                .munmap(VirtAddr(a[0]), a[1], &mut KernelFrames)?;
            Ok(0)
        }
        10 => {
            let perms = Perms::from_bits(a[2] as u32).ok_or(Errno::EINVAL)?;
            space()?.lock().mprotect(VirtAddr(a[0]), a[1], perms)?;
            Ok(0)
        }
        12 => Ok(space()?.lock().brk(VirtAddr(a[0]), &mut KernelFrames).0),
        // mremap is not implemented (documented in the README): musl and
        // glibc fall back to mmap + copy + munmap when it fails.
        25 => Err(Errno::ENOSYS),
        // Shared file mappings are never written back (tmpfs only), so
        // there is nothing to flush; advice changes nothing either.
        26 | 28 => Ok(0),
        _ => Err(Errno::ENOSYS),
    }
}
