//! The hardware seams: a user page table and access to physical frames.
//!
//! `arch`/`image` implement [`PageTable`] (x86_64 4-level tables whose kernel
//! half is shared by every space) and [`PhysicalMemory`] (through the direct
//! physical map). The policy in [`crate::AddressSpace`] only ever calls them
//! with page-aligned user addresses below [`crate::USER_SPACE_END`].

use abi::KernelResult;
use bitflags::bitflags;

use crate::addr::{Frame, VirtAddr};
use crate::frame_allocator::FrameAllocator;

bitflags! {
    /// What user mode may do through one page-table entry.
    ///
    /// An entry without [`READ`](PageFlags::READ) (a `PROT_NONE` page whose
    /// frame must be kept) must fault on every user access *and* on the
    /// kernel's `copy_*_user`; on x86_64 that is a not-present entry that
    /// keeps the frame number and a software "protnone" bit.
    #[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
    pub struct PageFlags: u8 {
        /// User mode may read (and, on x86_64, therefore also execute
        /// unless `EXEC` is clear and NX is enabled).
        const READ = 1 << 0;
        /// User mode may write.
        const WRITE = 1 << 1;
        /// User mode may execute.
        const EXEC = 1 << 2;
    }
}

/// What [`PageTable::update_mapped`] does with a page it visits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MappedAction {
    /// Leave the entry as it is.
    Keep,
    /// Give the entry these rights, over the same frame.
    Protect(PageFlags),
    /// Remove the entry; its frame reference is now the visitor's.
    Unmap,
}

/// One user address space's page table. The kernel half is shared and never
/// touched through this trait.
///
/// Methods take page-aligned user addresses. Changing or removing an entry
/// does not flush the TLB by itself: the caller follows up with
/// [`flush`](PageTable::flush) or, after many changes (fork, exit),
/// [`flush_all`](PageTable::flush_all). An implementation may skip flushes
/// while the table is live on no CPU.
pub trait PageTable {
    /// Maps `page` to `frame` with `flags`, replacing any existing entry
    /// (the caller has already released the old frame). Intermediate tables
    /// come from `frames`; `ENOMEM` if none is left.
    fn map<A: FrameAllocator>(
        &mut self,
        page: VirtAddr,
        frame: Frame,
        flags: PageFlags,
        frames: &mut A,
    ) -> KernelResult<()>;

    /// Removes the entry for `page`, returning the frame it mapped.
    fn unmap(&mut self, page: VirtAddr) -> Option<Frame>;

    /// Changes the flags of an existing entry; `false` if `page` is unmapped.
    fn protect(&mut self, page: VirtAddr, flags: PageFlags) -> bool;

    /// The frame and flags `page` maps, if any.
    fn translate(&self, page: VirtAddr) -> Option<(Frame, PageFlags)>;

    /// The lowest mapped page in `[from, end)` with its frame and flags.
    /// Implementations skip empty tables so that walking a sparse range
    /// costs what is mapped, not what is reserved.
    fn next_mapped(&self, from: VirtAddr, end: VirtAddr) -> Option<(VirtAddr, Frame, PageFlags)>;

    /// Visits every mapped page of `[from, end)` in order and does to its
    /// entry what `visit` returns, stopping at the first error (that page
    /// is left as it was). Nothing is flushed: the caller flushes what
    /// changed, with [`flush_range`](PageTable::flush_range), once.
    ///
    /// The default asks [`next_mapped`](PageTable::next_mapped) and
    /// changes each entry on its own; a tree walks once and changes the
    /// entries where it finds them (fork, exit and munmap visit every
    /// mapped page).
    fn update_mapped<E>(
        &mut self,
        from: VirtAddr,
        end: VirtAddr,
        mut visit: impl FnMut(VirtAddr, Frame, PageFlags) -> Result<MappedAction, E>,
    ) -> Result<(), E> {
        let mut cursor = from;
        while let Some((page, frame, flags)) = self.next_mapped(cursor, end) {
            cursor = VirtAddr(page.0 + crate::addr::PAGE_SIZE);
            match visit(page, frame, flags)? {
                MappedAction::Keep => {}
                MappedAction::Protect(new) => {
                    self.protect(page, new);
                }
                MappedAction::Unmap => {
                    self.unmap(page);
                }
            }
        }
        Ok(())
    }

    /// Invalidates the TLB entry for `page` wherever this table is live.
    fn flush(&mut self, page: VirtAddr);

    /// Invalidates every user TLB entry of this table wherever it is live.
    fn flush_all(&mut self);

    /// Invalidates the TLB entries of `[from, end)` wherever this table is
    /// live: one request to the other CPUs for the whole range, not one
    /// per page. The default flushes everything.
    fn flush_range(&mut self, from: VirtAddr, end: VirtAddr) {
        let _ = (from, end);
        self.flush_all();
    }

    /// Frees the table's own frames (intermediate tables and the root).
    /// Called last, once every user entry has been unmapped.
    fn destroy<A: FrameAllocator>(self, frames: &mut A);
}

/// Byte access to physical frames (the kernel's direct map).
///
/// Methods take `&self` because hardware memory needs no exclusive borrow;
/// callers never pass an `offset + len` beyond [`crate::PAGE_SIZE`].
pub trait PhysicalMemory {
    /// Fills `frame` with zero bytes.
    fn zero_frame(&self, frame: Frame);

    /// Copies the 4 KiB of `src` into `dst`.
    fn copy_frame(&self, dst: Frame, src: Frame);

    /// Reads `buf.len()` bytes of `frame` starting at `offset`.
    fn read_frame(&self, frame: Frame, offset: usize, buf: &mut [u8]);

    /// Writes `data` into `frame` starting at `offset`.
    fn write_frame(&self, frame: Frame, offset: usize, data: &[u8]);
}
