//! Physical and virtual addresses, frames and page-size arithmetic.
//!
//! Every other module speaks in these types so that a physical address can
//! never be passed where a virtual one is expected. User addresses that came
//! from a system call have their own checked type, [`crate::UserAddr`].

use core::fmt;

/// log2 of [`PAGE_SIZE`].
pub const PAGE_SHIFT: u32 = 12;
/// The size of a page and of a physical frame: 4 KiB.
pub const PAGE_SIZE: u64 = 1 << PAGE_SHIFT;
/// [`PAGE_SIZE`] as a `usize`, for buffer lengths.
pub const PAGE_SIZE_USIZE: usize = PAGE_SIZE as usize;

/// One past the highest user address, as Linux's `TASK_SIZE` on x86_64 with
/// 4-level paging (the last page below the canonical hole is left unmapped,
/// as Linux does, so no user object ends at the non-canonical boundary).
pub const USER_SPACE_END: u64 = 0x0000_7fff_ffff_f000;

/// Rounds `value` down to a multiple of [`PAGE_SIZE`].
pub const fn page_align_down(value: u64) -> u64 {
    value & !(PAGE_SIZE - 1)
}

/// Rounds `value` up to a multiple of [`PAGE_SIZE`], or `None` on overflow.
pub const fn page_align_up(value: u64) -> Option<u64> {
    match value.checked_add(PAGE_SIZE - 1) {
        Some(v) => Some(page_align_down(v)),
        None => None,
    }
}

/// Whether `value` is a multiple of [`PAGE_SIZE`].
pub const fn is_page_aligned(value: u64) -> bool {
    value & (PAGE_SIZE - 1) == 0
}

/// A physical memory address.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct PhysAddr(pub u64);

impl PhysAddr {
    /// The frame containing this address.
    pub const fn containing_frame(self) -> Frame {
        Frame(self.0 >> PAGE_SHIFT)
    }
}

impl fmt::Debug for PhysAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhysAddr({:#x})", self.0)
    }
}

/// A virtual address, in the user or the kernel half.
///
/// Unlike [`crate::UserAddr`] it carries no promise about where it points;
/// page tables and address spaces take it after their own checks.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct VirtAddr(pub u64);

impl VirtAddr {
    /// The start of the page containing this address.
    pub const fn page_start(self) -> VirtAddr {
        VirtAddr(page_align_down(self.0))
    }

    /// Whether this address starts a page.
    pub const fn is_page_aligned(self) -> bool {
        is_page_aligned(self.0)
    }

    /// Whether bits 63..47 are all equal, as x86_64 4-level paging requires.
    pub const fn is_canonical(self) -> bool {
        let top = self.0 >> 47;
        top == 0 || top == 0x1_ffff
    }
}

impl fmt::Debug for VirtAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VirtAddr({:#x})", self.0)
    }
}

/// A 4 KiB physical frame, named by its frame number (address / 4096).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Frame(pub u64);

impl Frame {
    /// The frame starting at `addr`, or `None` if `addr` is not frame-aligned.
    pub const fn from_start(addr: PhysAddr) -> Option<Frame> {
        if is_page_aligned(addr.0) {
            Some(Frame(addr.0 >> PAGE_SHIFT))
        } else {
            None
        }
    }

    /// The physical address of the frame's first byte.
    pub const fn start(self) -> PhysAddr {
        PhysAddr(self.0 << PAGE_SHIFT)
    }
}

impl fmt::Debug for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Frame({:#x})", self.0 << PAGE_SHIFT)
    }
}

/// A half-open range `[start, end)` of physical addresses.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct PhysRange {
    /// First byte.
    pub start: PhysAddr,
    /// One past the last byte.
    pub end: PhysAddr,
}

impl PhysRange {
    /// The range `[start, start + len)`, saturating at the top of memory.
    pub const fn new(start: u64, len: u64) -> PhysRange {
        PhysRange {
            start: PhysAddr(start),
            end: PhysAddr(start.saturating_add(len)),
        }
    }

    /// Length in bytes (zero if `end <= start`).
    pub const fn len(&self) -> u64 {
        self.end.0.saturating_sub(self.start.0)
    }

    /// Whether the range holds no byte.
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A page-aligned, non-empty, half-open range `[start, end)` of virtual addresses.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VirtRange {
    start: u64,
    end: u64,
}

impl VirtRange {
    /// The range `[start, end)`, or `None` unless both ends are page-aligned
    /// and `start < end`.
    pub const fn new(start: VirtAddr, end: VirtAddr) -> Option<VirtRange> {
        if start.is_page_aligned() && end.is_page_aligned() && start.0 < end.0 {
            Some(VirtRange {
                start: start.0,
                end: end.0,
            })
        } else {
            None
        }
    }

    /// First address.
    pub const fn start(&self) -> VirtAddr {
        VirtAddr(self.start)
    }

    /// One past the last address.
    pub const fn end(&self) -> VirtAddr {
        VirtAddr(self.end)
    }

    /// Length in bytes (always a non-zero multiple of [`PAGE_SIZE`]).
    pub const fn len(&self) -> u64 {
        self.end - self.start
    }

    /// Always `false`: a `VirtRange` holds at least one page.
    pub const fn is_empty(&self) -> bool {
        false
    }

    /// Number of pages in the range.
    pub const fn page_count(&self) -> u64 {
        self.len() >> PAGE_SHIFT
    }

    /// Whether `addr` lies in the range.
    pub const fn contains(&self, addr: VirtAddr) -> bool {
        self.start <= addr.0 && addr.0 < self.end
    }

    /// Whether the two ranges share at least one byte.
    pub const fn overlaps(&self, other: &VirtRange) -> bool {
        self.start < other.end && other.start < self.end
    }
}

impl fmt::Debug for VirtRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}..{:#x}", self.start, self.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_rounding_matches_linux_page_align() {
        assert_eq!(page_align_down(0x1fff), 0x1000);
        assert_eq!(page_align_up(0x1001), Some(0x2000));
        assert_eq!(page_align_up(0x1000), Some(0x1000));
        assert_eq!(page_align_up(u64::MAX), None);
    }

    #[test]
    fn canonical_addresses_have_sign_extended_top_bits() {
        assert!(VirtAddr(0x0000_7fff_ffff_ffff).is_canonical());
        assert!(VirtAddr(0xffff_8000_0000_0000).is_canonical());
        assert!(!VirtAddr(0x0000_8000_0000_0000).is_canonical());
        assert!(!VirtAddr(0x8000_0000_0000_0000).is_canonical());
    }

    #[test]
    fn virt_range_rejects_empty_and_unaligned() {
        assert!(VirtRange::new(VirtAddr(0x1000), VirtAddr(0x1000)).is_none());
        assert!(VirtRange::new(VirtAddr(0x1001), VirtAddr(0x2000)).is_none());
        let r = VirtRange::new(VirtAddr(0x1000), VirtAddr(0x3000)).unwrap();
        assert_eq!(r.page_count(), 2);
        assert!(r.contains(VirtAddr(0x2fff)));
        assert!(!r.contains(VirtAddr(0x3000)));
    }

    #[test]
    fn frame_and_address_round_trip() {
        assert_eq!(Frame(5).start(), PhysAddr(0x5000));
        assert_eq!(PhysAddr(0x5123).containing_frame(), Frame(5));
        assert_eq!(Frame::from_start(PhysAddr(0x5123)), None);
    }
}
