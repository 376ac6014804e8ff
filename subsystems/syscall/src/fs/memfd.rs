//! `memfd_create` and file seals (`F_ADD_SEALS`, `F_GET_SEALS`).
//!
//! A memfd is a regular file with no name on an internal tmpfs that is
//! never mounted: it lives while a descriptor or mapping holds it, and
//! `/proc/<pid>/fd` shows it as `/memfd:NAME (deleted)`, as Linux does.

use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;

use abi::Errno;
use fs::inode::{F_SEAL_SEAL, F_SEAL_WRITE};
use fs::{Custody, FileDescription, OpenFlags, Owner};

use crate::SyscallResult;
use crate::args::{Fd, UserPath};
use crate::context::Context;
use crate::kernel::Kernel;

const MFD_CLOEXEC: u32 = 0x1;
const MFD_ALLOW_SEALING: u32 = 0x2;
const MFD_HUGETLB: u32 = 0x4;
/// Linux 6.3's executable-bit flags, accepted so newer programs run.
const MFD_NOEXEC_SEAL: u32 = 0x8;
const MFD_EXEC: u32 = 0x10;

/// Longest name: `NAME_MAX` less the `memfd:` prefix.
const MFD_NAME_MAX: usize = 255 - "memfd:".len();

/// `memfd_create(name, flags)`.
pub fn memfd_create<K: Kernel>(ctx: &Context<'_, K>, name: UserPath, flags: u32) -> SyscallResult {
    let known = MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL | MFD_EXEC;
    if flags & MFD_HUGETLB != 0 || flags & !known != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & MFD_NOEXEC_SEAL != 0 && flags & MFD_EXEC != 0 {
        return Err(Errno::EINVAL);
    }
    let name = match ctx.read_c_string(name.0, MFD_NAME_MAX + 1) {
        Err(Errno::ENAMETOOLONG) => return Err(Errno::EINVAL),
        other => other?,
    };
    let name = String::from_utf8_lossy(&name);
    let filesystem = ctx
        .kernel
        .vfs()
        .unnamed_files(|| ctx.kernel.new_filesystem("tmpfs"))?;
    let credentials = ctx.fs_credentials();
    let owner = Owner {
        uid: credentials.uid,
        gid: credentials.gid,
    };
    let sealable = flags & (MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL) != 0;
    let perm = if flags & MFD_NOEXEC_SEAL != 0 {
        0o666
    } else {
        0o777
    };
    let inode = filesystem.create_unnamed(perm, owner, sealable)?;
    let custody = Custody::root(filesystem.root()).child(&format!("memfd:{name}"), inode.clone());
    let file = Arc::new(fs::file::InodeFile::new(inode));
    let description = FileDescription::new(file, Some(custody), OpenFlags::O_RDWR)?;
    Ok(ctx.install(description, flags & MFD_CLOEXEC != 0)? as u64)
}

/// Every seal Linux knows (`F_SEAL_SEAL` to `F_SEAL_EXEC`).
const ALL_SEALS: u32 = 0x3f;

/// `fcntl(fd, F_ADD_SEALS, seals)`: the descriptor must be writable, and
/// `F_SEAL_WRITE` is `EBUSY` while a shared mapping could write the file.
pub fn add_seals<K: Kernel>(ctx: &Context<'_, K>, fd: Fd, seals: u64) -> SyscallResult {
    let description = ctx.description(fd)?;
    let inode = description.inode().ok_or(Errno::EINVAL)?;
    let seals = u32::try_from(seals).map_err(|_| Errno::EINVAL)?;
    if !description.access_mode().writable() {
        // Linux checks the file can be sealed at all first.
        inode.seals()?;
        return Err(Errno::EPERM);
    }
    if seals & !ALL_SEALS != 0 {
        return Err(Errno::EINVAL);
    }
    let current = inode.seals()?;
    if current & F_SEAL_SEAL == 0
        && seals & F_SEAL_WRITE != 0
        && current & F_SEAL_WRITE == 0
        && writably_mapped(ctx, inode)
    {
        return Err(Errno::EBUSY);
    }
    inode.add_seals(seals)?;
    Ok(0)
}

/// Whether any process maps `inode`'s pages shared with the right to
/// write them (Linux's `mapping_writably_mapped`).
fn writably_mapped<K: Kernel>(ctx: &Context<'_, K>, inode: &Arc<dyn fs::Inode>) -> bool {
    let Some(object) = inode
        .file_pages()
        .and_then(|pages| pages.mapping_object())
        .and_then(|object| object.downcast::<mm::VmObject>().ok())
    else {
        return false;
    };
    ctx.kernel
        .processes()
        .all_processes()
        .iter()
        .any(|process| {
            ctx.kernel
                .with_address_space(process, |space, _| {
                    Ok(space.regions().any(|region| {
                        matches!(region.backing(),
                        mm::Backing::Object { object: mapped, shared: true, .. }
                            if Arc::ptr_eq(mapped, &object))
                            && region.max_perms().contains(mm::Perms::WRITE)
                    }))
                })
                .unwrap_or(false)
        })
}

/// `fcntl(fd, F_GET_SEALS)`.
pub fn get_seals<K: Kernel>(ctx: &Context<'_, K>, fd: Fd) -> SyscallResult {
    let description = ctx.description(fd)?;
    let inode = description.inode().ok_or(Errno::EINVAL)?;
    Ok(u64::from(inode.seals()?))
}
