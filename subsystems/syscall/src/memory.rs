//! The address space: mmap, munmap, mprotect, brk, mremap, msync, madvise.
//!
//! `mm` owns regions, placement and copy-on-write; these handlers decode
//! the flags, check the descriptor behind a file mapping, and call it.

use alloc::sync::Arc;

use abi::{Errno, KernelResult, S_IFMT, S_IFREG};
use fs::FileDescription;
use mm::{InodeBacking, MapRequest, PAGE_SIZE, Perms, Placement, RemapRequest, VirtAddr, VmObject};

use crate::SyscallResult;
use crate::args::{Fd, UserBuffer};
use crate::context::Context;
use crate::kernel::Kernel;
use crate::memory_lock::{map_locked, populate_mapping};

const MAP_SHARED: u32 = 0x01;
const MAP_PRIVATE: u32 = 0x02;
const MAP_SHARED_VALIDATE: u32 = 0x03;
const MAP_FIXED: u32 = 0x10;
const MAP_ANONYMOUS: u32 = 0x20;
const MAP_FIXED_NOREPLACE: u32 = 0x10_0000;
const MAP_LOCKED: u32 = 0x2000;
const MAP_POPULATE: u32 = 0x8000;

/// The pages of an open file behind a file mapping: read on demand from
/// the description (tmpfs and initramfs files).
pub struct FileBacking {
    /// The open file the pages are read from.
    pub description: Arc<FileDescription>,
    /// Its size when mapped (pages past it read as zeros).
    pub size: u64,
}

impl InodeBacking for FileBacking {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_page(&self, offset: u64, buf: &mut [u8]) -> KernelResult<usize> {
        let offset = i64::try_from(offset).map_err(|_| Errno::EINVAL)?;
        self.description.pread(buf, offset)
    }
}

/// The object to map `description`'s file from (`size` bytes): the file's
/// own pages when it lives in the page cache (so mappings, `read` and
/// `write` share them), else a fresh one reading through the description
/// (a snapshot of the file as it is when each page is first touched).
pub fn file_object(description: &Arc<FileDescription>, size: u64) -> Arc<VmObject> {
    let page_cache = description
        .inode()
        .and_then(|inode| inode.file_pages()?.mapping_object())
        .and_then(|object| object.downcast::<VmObject>().ok());
    page_cache.unwrap_or_else(|| {
        VmObject::for_inode(Arc::new(FileBacking {
            description: description.clone(),
            size,
        }))
    })
}

fn file_mapping<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    offset: u64,
    shared: bool,
    len: u64,
    perms: Perms,
) -> KernelResult<MapRequest> {
    let description = ctx.description(fd)?;
    let stat = description.stat()?;
    if stat.mode & S_IFMT != S_IFREG {
        return Err(Errno::ENODEV);
    }
    let mode = description.access_mode();
    if !mode.readable() || (shared && perms.contains(Perms::WRITE) && !mode.writable()) {
        return Err(Errno::EACCES);
    }
    let sealed = description
        .inode()
        .and_then(|inode| inode.seals().ok())
        .is_some_and(|seals| {
            seals & (fs::inode::F_SEAL_WRITE | fs::inode::F_SEAL_FUTURE_WRITE) != 0
        });
    if shared && perms.contains(Perms::WRITE) && sealed {
        return Err(Errno::EPERM);
    }
    let size = stat.size.max(0) as u64;
    let object = file_object(&description, size);
    let request = MapRequest::object(object, offset, shared, len, perms);
    // A shared mapping of a file not open for writing may never become
    // writable (mprotect gives EACCES, as Linux).
    Ok(if shared && !mode.writable() {
        request.with_max_perms(Perms::all() - Perms::WRITE)
    } else {
        request
    })
}

/// `mmap(addr, len, prot, flags, fd, offset)`.
pub fn mmap<K: Kernel>(
    ctx: &Context<'_, K>,
    address: u64,
    len: u64,
    prot: u32,
    flags: u32,
    fd: Fd,
    offset: u64,
) -> SyscallResult {
    let perms = u8::try_from(prot)
        .ok()
        .and_then(Perms::from_bits)
        .ok_or(Errno::EINVAL)?;
    let shared = match flags & MAP_SHARED_VALIDATE {
        MAP_SHARED | MAP_SHARED_VALIDATE => true,
        MAP_PRIVATE => false,
        _ => return Err(Errno::EINVAL),
    };
    let request = if flags & MAP_ANONYMOUS != 0 {
        if shared {
            MapRequest::object(VmObject::anonymous(), 0, true, len, perms)
        } else {
            MapRequest::anonymous(len, perms)
        }
    } else {
        file_mapping(ctx, fd, offset, shared, len, perms)?
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
    if flags & MAP_LOCKED != 0 {
        return map_locked(ctx, request.at(placement), len);
    }
    let (mapped, locked) = ctx
        .kernel
        .with_address_space(ctx.process, |space, frames| {
            Ok((
                space.mmap(request.at(placement), frames)?,
                space.locks_future(),
            ))
        })?;
    // Under mlockall(MCL_FUTURE) the mapping is locked, so present.
    if locked || flags & MAP_POPULATE != 0 {
        populate_mapping(ctx, mapped.0, len);
    }
    Ok(mapped.0)
}

/// `munmap(addr, len)`.
pub fn munmap<K: Kernel>(ctx: &Context<'_, K>, address: u64, len: u64) -> SyscallResult {
    ctx.kernel
        .with_address_space(ctx.process, |space, frames| {
            space.munmap(VirtAddr(address), len, frames)
        })?;
    Ok(0)
}

/// `mprotect(addr, len, prot)`.
pub fn mprotect<K: Kernel>(
    ctx: &Context<'_, K>,
    address: u64,
    len: u64,
    prot: u32,
) -> SyscallResult {
    let perms = u8::try_from(prot)
        .ok()
        .and_then(Perms::from_bits)
        .ok_or(Errno::EINVAL)?;
    ctx.kernel.with_address_space(ctx.process, |space, _| {
        space.mprotect(VirtAddr(address), len, perms)
    })?;
    Ok(0)
}

/// `brk(addr)`: the new break, or the old one if it cannot move there.
/// Under `mlockall(MCL_FUTURE)` the heap's growth is made present.
pub fn brk<K: Kernel>(ctx: &Context<'_, K>, address: u64) -> SyscallResult {
    let (old, end, locked) = ctx
        .kernel
        .with_address_space(ctx.process, |space, frames| {
            let locked = space.locks_future();
            // brk(0) only reads the break.
            let old = if locked {
                space.brk(VirtAddr(0), frames)
            } else {
                VirtAddr(0)
            };
            let end = space.brk(VirtAddr(address), frames);
            Ok((old, end, locked))
        })?;
    if locked && end.0 > old.0 {
        populate_mapping(ctx, old.0, end.0 - old.0);
    }
    Ok(end.0)
}

/// `MREMAP_MAYMOVE`.
const MREMAP_MAYMOVE: u32 = 1;
/// `MREMAP_FIXED`.
const MREMAP_FIXED: u32 = 2;
/// `MREMAP_DONTUNMAP`.
const MREMAP_DONTUNMAP: u32 = 4;

/// `mremap(addr, old_len, new_len, flags, new_addr)`: grows, shrinks or
/// moves a mapping; the pages move with it.
pub fn mremap<K: Kernel>(
    ctx: &Context<'_, K>,
    address: u64,
    old_len: u64,
    new_len: u64,
    flags: u32,
    new_address: u64,
) -> SyscallResult {
    if flags & !(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP) != 0 {
        return Err(Errno::EINVAL);
    }
    // With DONTUNMAP alone, Linux still checks the (unused) new address.
    if flags & MREMAP_DONTUNMAP != 0 && new_address % PAGE_SIZE != 0 {
        return Err(Errno::EINVAL);
    }
    let request = RemapRequest {
        old: VirtAddr(address),
        old_len,
        new_len,
        may_move: flags & MREMAP_MAYMOVE != 0,
        fixed: (flags & MREMAP_FIXED != 0).then_some(VirtAddr(new_address)),
        dont_unmap: flags & MREMAP_DONTUNMAP != 0,
    };
    let moved = ctx
        .kernel
        .with_address_space(ctx.process, |space, frames| space.mremap(request, frames))?;
    Ok(moved.0)
}

/// `EINVAL` unless `address` is page-aligned; `ENOMEM` unless the whole
/// range is mapped, as `msync` and `madvise` check.
fn check_mapped<K: Kernel>(ctx: &Context<'_, K>, address: u64, len: u64) -> KernelResult<()> {
    if address % PAGE_SIZE != 0 {
        return Err(Errno::EINVAL);
    }
    let end = len
        .div_ceil(PAGE_SIZE)
        .checked_mul(PAGE_SIZE)
        .and_then(|len| address.checked_add(len))
        .ok_or(Errno::ENOMEM)?;
    ctx.kernel.with_address_space(ctx.process, |space, _| {
        let mut at = address;
        while at < end {
            let region = space.region_at(VirtAddr(at)).ok_or(Errno::ENOMEM)?;
            at = region.range().end().0;
        }
        Ok(())
    })
}

/// `msync(addr, len, flags)`: every file system here is in memory and a
/// shared file mapping is never written back yet (NOTES.md), so after the
/// checks Linux makes there is nothing to flush.
pub fn msync<K: Kernel>(ctx: &Context<'_, K>, address: u64, len: u64, flags: u32) -> SyscallResult {
    const MS_ASYNC: u32 = 1;
    const MS_INVALIDATE: u32 = 2;
    const MS_SYNC: u32 = 4;
    if flags & !(MS_ASYNC | MS_INVALIDATE | MS_SYNC) != 0
        || flags & (MS_ASYNC | MS_SYNC) == MS_ASYNC | MS_SYNC
    {
        return Err(Errno::EINVAL);
    }
    check_mapped(ctx, address, len)?;
    Ok(0)
}

/// `mincore(addr, len, vec)`: one byte per page, bit 0 set for a page in
/// memory ([`mm::AddressSpace::residency`]). `EINVAL` for an unaligned
/// `addr`, `ENOMEM` for a range with unmapped pages (the bytes before the
/// first unmapped stretch may be written, as on Linux), `EFAULT` for a bad
/// `vec`. The range is looked at 4096 pages at a time, so a large one
/// needs no large buffer.
pub fn mincore<K: Kernel>(
    ctx: &Context<'_, K>,
    address: u64,
    len: u64,
    vec: UserBuffer,
) -> SyscallResult {
    const CHUNK_PAGES: u64 = 4096;
    if address % PAGE_SIZE != 0 {
        return Err(Errno::EINVAL);
    }
    let pages = len.div_ceil(PAGE_SIZE);
    let mut done = 0;
    while done < pages {
        let count = (pages - done).min(CHUNK_PAGES);
        let at = address.checked_add(done * PAGE_SIZE).ok_or(Errno::ENOMEM)?;
        let resident = ctx.kernel.with_address_space(ctx.process, |space, _| {
            space.residency(VirtAddr(at), count * PAGE_SIZE)
        })?;
        ctx.write_bytes(vec.offset(done as usize), &resident)?;
        done += count;
    }
    Ok(0)
}

/// `madvise(addr, len, advice)`. `MADV_DONTNEED` drops the pages (a
/// private anonymous page reads as zeros next, a private file page as the
/// file), `MADV_FREE` the same for private anonymous memory only (Linux
/// may keep such pages until memory is short; dropping them at once is one
/// of the outcomes it allows). The other advice Linux knows is a hint this
/// kernel does not act on: the range is checked as Linux does. Unknown
/// advice is `EINVAL`.
pub fn madvise<K: Kernel>(
    ctx: &Context<'_, K>,
    address: u64,
    len: u64,
    advice: u32,
) -> SyscallResult {
    const MADV_DONTNEED: u32 = 4;
    const MADV_FREE: u32 = 8;
    match advice {
        MADV_DONTNEED | MADV_FREE => {
            let anonymous_only = advice == MADV_FREE;
            ctx.kernel
                .with_address_space(ctx.process, |space, frames| {
                    space.discard(VirtAddr(address), len, anonymous_only, frames)
                })?;
        }
        // NORMAL, RANDOM, SEQUENTIAL, WILLNEED, REMOVE ... COLLAPSE, and
        // HWPOISON, SOFT_OFFLINE.
        0..=3 | 9..=25 | 100 | 101 => check_mapped(ctx, address, len)?,
        _ => return Err(Errno::EINVAL),
    }
    Ok(0)
}
