//! `shmget`, `shmat`, `shmdt`, `shmctl`.
//!
//! A segment's pages are an anonymous shared [`VmObject`], as a
//! `MAP_SHARED | MAP_ANONYMOUS` mapping's are: every attachment is a
//! region mapping it, so `fork` shares attachments and `exec` and exit
//! drop them without telling this module. What attaches a segment is
//! counted from the object's references: the namespace holds one while
//! the segment exists, each region one more. Once removed (`IPC_RMID`)
//! the namespace keeps only a weak reference, so the last region to go
//! gives the pages back, as Linux destroys a segment at its last detach.
//!
//! The namespace's lock is a spin lock and the address space's a sleeping
//! one: no handler takes the address space while holding the namespace.

use alloc::format;
use alloc::sync::{Arc, Weak};

use abi::{Errno, KernelResult};
use ipc::{IpcPerm64, SegmentMemory, ShmNamespace, ShmidDs, cmd};
use mm::{Backing, MapRequest, PAGE_SIZE, Perms, Placement, VirtAddr, VmObject};
use process::Resource;

use super::{now, with_requester};
use crate::SyscallResult;
use crate::args::UserPtr;
use crate::context::Context;
use crate::kernel::Kernel;

/// The machine's segments, behind the lock the kernel keeps them in.
pub type ShmSegments = lock::Mutex<ShmNamespace<SegmentPages>>;

/// A segment's pages.
#[derive(Debug)]
pub struct SegmentPages {
    /// The namespace's own reference, until the segment is removed.
    owner: Option<Arc<VmObject>>,
    /// The object, for as long as anything maps it.
    pages: Weak<VmObject>,
}

impl SegmentPages {
    fn new() -> Self {
        let object = VmObject::anonymous();
        SegmentPages {
            pages: Arc::downgrade(&object),
            owner: Some(object),
        }
    }

    fn is(&self, object: &Arc<VmObject>) -> bool {
        Weak::ptr_eq(&self.pages, &Arc::downgrade(object))
    }
}

impl SegmentMemory for SegmentPages {
    fn attachments(&self) -> u64 {
        (self.pages.strong_count() - usize::from(self.owner.is_some())) as u64
    }

    /// A removed segment's resident pages are not counted: reading them
    /// would take a reference that could turn out to be the last.
    fn resident_pages(&self) -> u64 {
        self.owner
            .as_ref()
            .map_or(0, |object| object.resident_pages() as u64)
    }
}

/// Drops a reference to a segment's pages, giving them back if it was the
/// last (a removed segment whose attachments went meanwhile).
fn let_go<K: Kernel>(ctx: &Context<'_, K>, object: Arc<VmObject>) {
    if let Some(object) = Arc::into_inner(object) {
        let _ = ctx.kernel.with_address_space(ctx.process, |_, frames| {
            object.release(frames);
            Ok(())
        });
    }
}

/// `shmget(key, size, flags)`.
pub fn shmget<K: Kernel>(ctx: &Context<'_, K>, key: i32, size: u64, flags: u32) -> SyscallResult {
    let now = now(ctx);
    let id =
        with_requester(ctx, |who| {
            ctx.kernel
                .shm_segments()
                .lock()
                .get(key, size, flags, who, now, |_| Ok(SegmentPages::new()))
        })?;
    Ok(id as u64)
}

/// `shmat(id, address, flags)`: the address the segment is attached at.
pub fn shmat<K: Kernel>(ctx: &Context<'_, K>, id: i32, address: u64, flags: u32) -> SyscallResult {
    if id < 0 {
        return Err(Errno::EINVAL);
    }
    let attach = ipc::attach_address(address, flags)?;
    let (object, size, key) = with_requester(ctx, |who| -> KernelResult<_> {
        let mut segments = ctx.kernel.shm_segments().lock();
        let segment = segments.attachable(id, &attach, who)?;
        let pages = &segment.value.memory;
        let object = pages
            .owner
            .clone()
            .or_else(|| pages.pages.upgrade())
            .ok_or(Errno::EINVAL)?;
        Ok((object, segment_size(segment.value.size), segment.perm.key))
    })?;
    let mut perms = Perms::READ;
    if !attach.read_only {
        perms |= Perms::WRITE;
    }
    if attach.exec {
        perms |= Perms::EXEC;
    }
    let mut request = MapRequest::object(object.clone(), 0, true, size, perms)
        .named(&format!("/SYSV{key:08x} (deleted)"));
    if attach.read_only {
        // As a file opened read-only: mprotect may not add writing.
        request = request.with_max_perms(Perms::all() - Perms::WRITE);
    }
    let placement = match attach.address {
        None => Placement::Anywhere,
        Some(address) if attach.replace => Placement::Fixed(VirtAddr(address)),
        Some(address) => Placement::FixedNoReplace(VirtAddr(address)),
    };
    let mapped = ctx.kernel.with_address_space(ctx.process, |space, frames| {
        space.mmap(request.at(placement), frames)
    });
    if mapped.is_ok() {
        ctx.kernel
            .shm_segments()
            .lock()
            .note_attached(id, ctx.process.pid(), now(ctx));
    }
    let_go(ctx, object);
    match mapped {
        Ok(address) => Ok(address.0),
        // A range in use without SHM_REMAP is EINVAL for shmat.
        Err(Errno::EEXIST) => Err(Errno::EINVAL),
        Err(error) => Err(error),
    }
}

/// A segment's length in whole pages.
fn segment_size(size: u64) -> u64 {
    size.div_ceil(PAGE_SIZE) * PAGE_SIZE
}

/// `shmdt(address)`: detaches the segment attached at `address` (the
/// start of an attachment), every region of it from there on.
pub fn shmdt<K: Kernel>(ctx: &Context<'_, K>, address: u64) -> SyscallResult {
    if address % PAGE_SIZE != 0 {
        return Err(Errno::EINVAL);
    }
    let pid = ctx.process.pid();
    let now = now(ctx);
    let segments = ctx.kernel.shm_segments();
    ctx.kernel.with_address_space(ctx.process, |space, frames| {
        let object = match space.region_at(VirtAddr(address)).map(|region| {
            (region.range().start().0, region.backing())
        }) {
            Some((
                start,
                Backing::Object {
                    object,
                    offset: 0,
                    shared: true,
                },
            )) if start == address => object.clone(),
            _ => return Err(Errno::EINVAL),
        };
        let found = segments
            .lock()
            .find(|pages| pages.is(&object))
            .map(|(id, segment)| (id, segment.size));
        let Some((id, size)) = found else {
            return Err(Errno::EINVAL);
        };
        // The regions of this attachment: the same object, each at the
        // offset its distance from `address` says.
        let end = address.saturating_add(segment_size(size));
        let pieces: alloc::vec::Vec<(u64, u64)> = space
            .regions()
            .filter(|region| {
                let start = region.range().start().0;
                start >= address
                    && start < end
                    && matches!(region.backing(), Backing::Object { object: other, offset, shared: true }
                        if Arc::ptr_eq(other, &object) && *offset == start - address)
            })
            .map(|region| (region.range().start().0, region.range().len()))
            .collect();
        let unmapped = pieces
            .into_iter()
            .try_for_each(|(start, len)| space.munmap(VirtAddr(start), len, frames));
        segments.lock().note_detached(id, pid, now);
        // A removed segment's last attachment: its pages go back now
        // (whether or not every region went).
        if let Some(object) = Arc::into_inner(object) {
            object.release(frames);
        }
        unmapped
    })?;
    Ok(0)
}

/// `shmctl(id, cmd, buf)`.
pub fn shmctl<K: Kernel>(ctx: &Context<'_, K>, id: i32, command: i32, buf: u64) -> SyscallResult {
    if id < 0 || command < 0 {
        return Err(Errno::EINVAL);
    }
    let segments = ctx.kernel.shm_segments();
    match command {
        cmd::IPC_INFO => {
            let (limits, highest) = segments.lock().limits();
            ctx.write(UserPtr::new(buf), &limits)?;
            Ok(highest as u64)
        }
        cmd::SHM_INFO => {
            let (usage, highest) = segments.lock().usage();
            ctx.write(UserPtr::new(buf), &usage)?;
            Ok(highest as u64)
        }
        cmd::IPC_STAT | cmd::SHM_STAT | cmd::SHM_STAT_ANY => {
            let any = command == cmd::SHM_STAT_ANY;
            let (found, status) = with_requester(ctx, |who| {
                let mut segments = segments.lock();
                if command == cmd::IPC_STAT {
                    segments.stat(id, who, false).map(|status| (0, status))
                } else {
                    segments.stat_index(id as u32, who, any)
                }
            })?;
            ctx.write(UserPtr::<ShmidDs>::new(buf), &status)?;
            Ok(found as u64)
        }
        cmd::IPC_SET => {
            let new: ShmidDs = ctx.read(UserPtr::new(buf))?;
            let perm: IpcPerm64 = new.shm_perm;
            let now = now(ctx);
            with_requester(ctx, |who| segments.lock().set(id, who, &perm, now))?;
            Ok(0)
        }
        cmd::IPC_RMID => {
            let now = now(ctx);
            let owner = with_requester(ctx, |who| -> KernelResult<_> {
                let mut segments = segments.lock();
                Ok(match segments.remove(id, who, now)? {
                    // Nothing attaches it: destroyed now.
                    Some(pages) => pages.owner,
                    // Attached: the attachments hold the pages from now on.
                    None => segments.memory_mut(id)?.owner.take(),
                })
            })?;
            if let Some(object) = owner {
                let_go(ctx, object);
            }
            Ok(0)
        }
        cmd::SHM_LOCK | cmd::SHM_UNLOCK => {
            let limit = ctx.process.data().rlimits().get(Resource::Memlock).soft;
            with_requester(ctx, |who| {
                segments
                    .lock()
                    .lock(id, who, command == cmd::SHM_LOCK, limit)
            })?;
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}
