//! [`UserMemory`] over any [`AddressSpace`], by walking its page table.
//!
//! `exec` uses it to write `argv`/`envp`/auxv into a new space before it
//! runs, and tests use it as the reference copy. Each page is made
//! accessible exactly as a user access would (demand-zero, copy-on-write),
//! so permission checks are the region's: writing a read-only page gives
//! `EFAULT` here too.

use core::cell::RefCell;

use abi::{Errno, KernelResult};

use crate::addr::{PAGE_SIZE, VirtAddr};
use crate::fault::{Access, FaultOutcome};
use crate::frame_allocator::FrameAllocator;
use crate::page_table::{PageFlags, PageTable, PhysicalMemory};
use crate::user_ptr::{UserMemory, UserPtr, UserSlice};
use crate::{AddressSpace, Frame};

/// An address space with the frame allocator and physical memory it needs,
/// seen as [`UserMemory`].
pub struct AddressSpaceMemory<'a, P: PageTable, A: FrameAllocator, M: PhysicalMemory> {
    space: RefCell<(&'a mut AddressSpace<P>, &'a mut A)>,
    phys: &'a M,
}

impl<'a, P: PageTable, A: FrameAllocator, M: PhysicalMemory> AddressSpaceMemory<'a, P, A, M> {
    /// Borrows `space` and `frames` for the copies.
    pub fn new(space: &'a mut AddressSpace<P>, frames: &'a mut A, phys: &'a M) -> Self {
        AddressSpaceMemory {
            space: RefCell::new((space, frames)),
            phys,
        }
    }

    /// The frame behind `page`, faulted in for `access` if needed.
    fn frame_for(&self, page: VirtAddr, access: Access) -> KernelResult<Frame> {
        let needed = match access {
            Access::Write => PageFlags::WRITE,
            _ => PageFlags::READ,
        };
        let mut guard = self.space.borrow_mut();
        let (space, frames) = &mut *guard;
        if let Some((frame, flags)) = space.page_table.translate(page)
            && flags.contains(needed)
        {
            return Ok(frame);
        }
        match space.handle_fault(page, access, *frames, self.phys) {
            FaultOutcome::Resolved => {}
            FaultOutcome::OutOfMemory => return Err(Errno::ENOMEM),
            FaultOutcome::Segv(_) | FaultOutcome::Bus => return Err(Errno::EFAULT),
        }
        match space.page_table.translate(page) {
            Some((frame, flags)) if flags.contains(needed) => Ok(frame),
            _ => Err(Errno::EFAULT),
        }
    }

    /// Makes every page of `[addr, addr + len)` (grown to whole pages)
    /// present, as `mlock` and a locked mapping's growth do (Linux's
    /// `populate_vma_page_range`): a writable private page is faulted in
    /// for writing, so it is the process's own copy from then on.
    /// `EFAULT` where the process could not read (no mapping, `PROT_NONE`),
    /// `ENOMEM` when frames run out; the pages before stay present.
    pub fn populate(&self, addr: VirtAddr, len: u64) -> KernelResult<()> {
        let Some(range) = crate::address_space::page_span(addr, len)? else {
            return Ok(());
        };
        let mut page = range.start();
        while page < range.end() {
            let access = {
                let guard = self.space.borrow();
                let region = guard.0.region_at(page).ok_or(Errno::EFAULT)?;
                let perms = region.perms();
                if perms.contains(crate::Perms::WRITE) && !region.is_shared() {
                    Access::Write
                } else {
                    Access::Read
                }
            };
            self.frame_for(page, access)?;
            page = VirtAddr(page.0 + PAGE_SIZE);
        }
        Ok(())
    }

    /// Writes `src` at `dst` as a debugger does (ptrace's `FOLL_FORCE`):
    /// read-only private pages (program text) take the write on a private
    /// copy, so breakpoints can be set; see
    /// [`AddressSpace::frame_for_forced_write`].
    pub fn force_write(&self, dst: UserSlice, src: &[u8]) -> KernelResult<()> {
        if dst.len() != src.len() {
            return Err(Errno::EINVAL);
        }
        let mut done = 0usize;
        while done < dst.len() {
            let addr = dst.addr() + done as u64;
            let offset = (addr % PAGE_SIZE) as usize;
            let chunk = (PAGE_SIZE as usize - offset).min(dst.len() - done);
            let frame = {
                let mut guard = self.space.borrow_mut();
                let (space, frames) = &mut *guard;
                space.frame_for_forced_write(VirtAddr(addr), *frames, self.phys)?
            };
            self.phys
                .write_frame(frame, offset, &src[done..done + chunk]);
            done += chunk;
        }
        Ok(())
    }

    /// Calls `copy(frame, offset in page, range in the buffer)` page by page.
    fn walk(
        &self,
        slice: UserSlice,
        access: Access,
        mut copy: impl FnMut(Frame, usize, core::ops::Range<usize>),
    ) -> KernelResult<()> {
        let mut done = 0usize;
        while done < slice.len() {
            let addr = slice.addr() + done as u64;
            let offset = (addr % PAGE_SIZE) as usize;
            let chunk = (PAGE_SIZE as usize - offset).min(slice.len() - done);
            let frame = self.frame_for(VirtAddr(addr).page_start(), access)?;
            copy(frame, offset, done..done + chunk);
            done += chunk;
        }
        Ok(())
    }
}

impl<P: PageTable, A: FrameAllocator, M: PhysicalMemory> UserMemory
    for AddressSpaceMemory<'_, P, A, M>
{
    fn copy_from_user(&self, dst: &mut [u8], src: UserSlice) -> KernelResult<()> {
        if dst.len() != src.len() {
            return Err(Errno::EINVAL);
        }
        self.walk(src, Access::Read, |frame, offset, range| {
            self.phys.read_frame(frame, offset, &mut dst[range]);
        })
    }

    fn copy_to_user(&self, dst: UserSlice, src: &[u8]) -> KernelResult<()> {
        if dst.len() != src.len() {
            return Err(Errno::EINVAL);
        }
        self.walk(dst, Access::Write, |frame, offset, range| {
            self.phys.write_frame(frame, offset, &src[range]);
        })
    }

    /// Read, compare and write through the frame: atomic against other
    /// users of this view, not against the space's own threads running
    /// on a CPU (a debugger's view of a stopped process).
    fn compare_exchange_u32(
        &self,
        word: UserPtr<u32>,
        expected: u32,
        new: u32,
    ) -> KernelResult<u32> {
        word.check_aligned()?;
        let offset = (word.addr() % PAGE_SIZE) as usize;
        let frame = self.frame_for(VirtAddr(word.addr()).page_start(), Access::Write)?;
        let mut bytes = [0u8; 4];
        self.phys.read_frame(frame, offset, &mut bytes);
        let found = u32::from_ne_bytes(bytes);
        if found == expected {
            self.phys.write_frame(frame, offset, &new.to_ne_bytes());
        }
        Ok(found)
    }
}
