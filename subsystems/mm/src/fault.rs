//! Page-fault resolution: demand-zero, demand-load and copy-on-write.
//!
//! [`AddressSpace::handle_fault`] either makes the faulting access possible
//! and says [`FaultOutcome::Resolved`], or says what the process deserves
//! (`SIGSEGV` with `SEGV_MAPERR`/`SEGV_ACCERR`, `SIGBUS`, or out of memory).
//! It never panics on a user address: the arch fault handler turns the
//! outcome into a signal, or into `EFAULT` when the fault came from the
//! kernel's own `copy_*_user`.

use crate::addr::{USER_SPACE_END, VirtAddr};
use crate::frame_allocator::{FrameAllocator, put_frame};
use crate::page_table::{PageFlags, PageTable, PhysicalMemory};
use crate::region::{Backing, Perms};
use crate::{AddressSpace, Frame, PAGE_SIZE};

/// The kind of access that faulted (from the x86 error code's W and I/D bits).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Access {
    /// A data read.
    Read,
    /// A data write.
    Write,
    /// An instruction fetch.
    Exec,
}

/// `si_code` for a `SIGSEGV`, with Linux's values.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(i32)]
pub enum SegvCode {
    /// `SEGV_MAPERR`: nothing is mapped at the address.
    MapErr = 1,
    /// `SEGV_ACCERR`: mapped, but the region forbids this access.
    AccErr = 2,
}

/// What a page fault came to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FaultOutcome {
    /// The page is now mapped as the access needs: retry the instruction.
    Resolved,
    /// Deliver `SIGSEGV` with this code and `si_addr` = the faulting address.
    Segv(SegvCode),
    /// Deliver `SIGBUS` (`BUS_ADRERR`): a file page past end of file, or the
    /// file could not be read.
    Bus,
    /// No frame was available: the kernel's out-of-memory policy decides.
    OutOfMemory,
}

impl Perms {
    /// Whether a region with these rights allows `access` (as Linux on
    /// x86_64: any right allows reads).
    pub fn permits(self, access: Access) -> bool {
        match access {
            Access::Read => !self.is_empty(),
            Access::Write => self.contains(Perms::WRITE),
            Access::Exec => self.contains(Perms::EXEC),
        }
    }
}

impl<P: PageTable> AddressSpace<P> {
    /// Resolves a fault at `addr` for `access`: maps a zeroed frame for
    /// untouched anonymous memory, loads an object page, or copies a
    /// copy-on-write page (reusing it without a copy when this space is the
    /// last owner). Anything else is reported, never resolved by force.
    pub fn handle_fault<A: FrameAllocator, M: PhysicalMemory>(
        &mut self,
        addr: VirtAddr,
        access: Access,
        frames: &mut A,
        phys: &M,
    ) -> FaultOutcome {
        if addr.0 >= USER_SPACE_END {
            return FaultOutcome::Segv(SegvCode::MapErr);
        }
        let Some(region) = self.region_at(addr) else {
            return FaultOutcome::Segv(SegvCode::MapErr);
        };
        if !region.perms().permits(access) {
            return FaultOutcome::Segv(SegvCode::AccErr);
        }
        let page = addr.page_start();
        let wanted = region.perms().page_flags();
        let shared = region.is_shared();
        let backing = region.backing().clone();
        let object_offset = region.offset_of(page);
        match self.page_table.translate(page) {
            Some((frame, flags))
                if access == Access::Write && !flags.contains(PageFlags::WRITE) =>
            {
                if shared || frames.ref_count(frame) == 1 {
                    // Sole owner (or a shared page): just allow the write.
                    self.page_table.protect(page, wanted);
                    self.page_table.flush(page);
                    FaultOutcome::Resolved
                } else {
                    self.copy_on_write(page, frame, wanted, frames, phys)
                }
            }
            Some((_, flags)) => {
                // Another CPU resolved it, or a stale TLB entry: retry. If the
                // entry itself lacks a right the region grants, grant it
                // (never write, which the arm above decides).
                let needed = match access {
                    Access::Exec => PageFlags::READ | PageFlags::EXEC,
                    _ => PageFlags::READ,
                };
                if !flags.contains(needed) {
                    self.page_table.protect(page, flags | (wanted & needed));
                }
                self.page_table.flush(page);
                FaultOutcome::Resolved
            }
            None => match backing {
                Backing::Anonymous => {
                    let Ok(frame) = frames.alloc_frame() else {
                        return FaultOutcome::OutOfMemory;
                    };
                    phys.zero_frame(frame);
                    self.map_new(page, frame, wanted, frames)
                }
                Backing::Object { object, shared, .. } => {
                    let index = object_offset / PAGE_SIZE;
                    let cached = match object.page(index, frames, phys) {
                        Ok(frame) => frame,
                        Err(abi::Errno::ENOMEM) => return FaultOutcome::OutOfMemory,
                        Err(_) => return FaultOutcome::Bus,
                    };
                    if !shared && access == Access::Write {
                        let Ok(frame) = frames.alloc_frame() else {
                            return FaultOutcome::OutOfMemory;
                        };
                        phys.copy_frame(frame, cached);
                        return self.map_new(page, frame, wanted, frames);
                    }
                    let flags = if shared {
                        wanted
                    } else {
                        wanted - PageFlags::WRITE
                    };
                    if frames.inc_ref(cached).is_err() {
                        return FaultOutcome::OutOfMemory;
                    }
                    self.map_new(page, cached, flags, frames)
                }
            },
        }
    }

    /// A frame of `page` that a debugger may write although the mapping
    /// is not writable (ptrace's `FOLL_FORCE`): for a private mapping, the
    /// page is made present and copied if it is shared with anyone (another
    /// process, the file's cache), and stays read-only for the process.
    /// `EFAULT` for a shared mapping that is not writable, an inaccessible
    /// one, or no mapping; `ENOMEM` when frames run out.
    pub fn frame_for_forced_write<A: FrameAllocator, M: PhysicalMemory>(
        &mut self,
        page: VirtAddr,
        frames: &mut A,
        phys: &M,
    ) -> abi::KernelResult<crate::Frame> {
        use abi::Errno;
        let page = page.page_start();
        let region = self.region_at(page).ok_or(Errno::EFAULT)?;
        let perms = region.perms();
        if perms.is_empty() {
            return Err(Errno::EFAULT);
        }
        if region.is_shared() {
            if !perms.contains(crate::region::Perms::WRITE) {
                return Err(Errno::EFAULT);
            }
            return match self.handle_fault(page, Access::Write, frames, phys) {
                FaultOutcome::Resolved => self
                    .page_table
                    .translate(page)
                    .map(|(frame, _)| frame)
                    .ok_or(Errno::EFAULT),
                FaultOutcome::OutOfMemory => Err(Errno::ENOMEM),
                _ => Err(Errno::EFAULT),
            };
        }
        if self.page_table.translate(page).is_none() {
            match self.handle_fault(page, Access::Read, frames, phys) {
                FaultOutcome::Resolved => {}
                FaultOutcome::OutOfMemory => return Err(Errno::ENOMEM),
                _ => return Err(Errno::EFAULT),
            }
        }
        let (frame, flags) = self.page_table.translate(page).ok_or(Errno::EFAULT)?;
        if frames.ref_count(frame) == 1 {
            return Ok(frame);
        }
        match self.copy_on_write(page, frame, flags, frames, phys) {
            FaultOutcome::Resolved => self
                .page_table
                .translate(page)
                .map(|(frame, _)| frame)
                .ok_or(Errno::EFAULT),
            _ => Err(Errno::ENOMEM),
        }
    }

    /// Replaces a shared private page with a private copy.
    fn copy_on_write<A: FrameAllocator, M: PhysicalMemory>(
        &mut self,
        page: VirtAddr,
        old: Frame,
        flags: PageFlags,
        frames: &mut A,
        phys: &M,
    ) -> FaultOutcome {
        let Ok(copy) = frames.alloc_frame() else {
            return FaultOutcome::OutOfMemory;
        };
        phys.copy_frame(copy, old);
        if self.page_table.map(page, copy, flags, frames).is_err() {
            put_frame(frames, copy);
            return FaultOutcome::OutOfMemory;
        }
        self.page_table.flush(page);
        put_frame(frames, old);
        FaultOutcome::Resolved
    }

    /// Maps a frame whose reference the caller already holds for this entry.
    fn map_new<A: FrameAllocator>(
        &mut self,
        page: VirtAddr,
        frame: Frame,
        flags: PageFlags,
        frames: &mut A,
    ) -> FaultOutcome {
        match self.page_table.map(page, frame, flags, frames) {
            Ok(()) => FaultOutcome::Resolved,
            Err(_) => {
                put_frame(frames, frame);
                FaultOutcome::OutOfMemory
            }
        }
    }
}
