//! Regions: contiguous ranges of a user address space with one set of
//! permissions, one name and one backing.
//!
//! A region is a window onto its [`Backing`] starting at a byte offset.
//! Splitting a region (partial `munmap`/`mprotect`) gives two windows onto
//! the same backing; two neighbours merge back when they are
//! indistinguishable: same permissions, sharing, name and backing, with
//! contiguous offsets.

use alloc::sync::Arc;
use core::fmt;

use bitflags::bitflags;

use crate::addr::{VirtAddr, VirtRange};
use crate::page_table::PageFlags;
use crate::vm_object::VmObject;

bitflags! {
    /// Access rights of a region, with the values of Linux's `PROT_*`.
    /// One byte, so a region (kept by value in the B-tree whose nodes
    /// `mmap` and `munmap` shift) stays 64 bytes with its flags.
    #[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
    pub struct Perms: u8 {
        /// `PROT_READ`.
        const READ = 1;
        /// `PROT_WRITE`.
        const WRITE = 2;
        /// `PROT_EXEC`.
        const EXEC = 4;
    }
}

impl Perms {
    /// The page-table flags that give user mode these rights. As on Linux
    /// for x86_64, any access right implies read.
    pub fn page_flags(self) -> PageFlags {
        if self.is_empty() {
            return PageFlags::empty();
        }
        let mut flags = PageFlags::READ;
        flags.set(PageFlags::WRITE, self.contains(Perms::WRITE));
        flags.set(PageFlags::EXEC, self.contains(Perms::EXEC));
        flags
    }
}

static_assertions::const_assert_eq!(size_of::<Region>(), 64);

/// What a region's pages come from.
#[derive(Clone, Debug)]
pub enum Backing {
    /// Private anonymous memory: zero-filled on first touch, copied on write
    /// after a fork. Its frames are owned by the page table alone.
    Anonymous,
    /// A window onto `object` starting `offset` bytes into it.
    Object {
        /// The object mapped.
        object: Arc<VmObject>,
        /// Byte offset (page-aligned) of the region's first page in `object`.
        offset: u64,
        /// `MAP_SHARED`: writes go to the object's pages and every mapping
        /// sees them. Otherwise `MAP_PRIVATE`: the first write to a page
        /// copies it.
        shared: bool,
    },
}

/// One contiguous mapping in an address space.
#[derive(Clone, Debug)]
pub struct Region {
    pub(crate) range: VirtRange,
    pub(crate) perms: Perms,
    pub(crate) max_perms: Perms,
    pub(crate) name: Option<Arc<str>>,
    pub(crate) backing: Backing,
    pub(crate) locked: bool,
}

impl Region {
    /// The addresses the region covers.
    pub fn range(&self) -> VirtRange {
        self.range
    }

    /// Current access rights.
    pub fn perms(&self) -> Perms {
        self.perms
    }

    /// The rights `mprotect` may grant (a shared mapping of a file opened
    /// read-only may never become writable).
    pub fn max_perms(&self) -> Perms {
        self.max_perms
    }

    /// The name `/proc/<pid>/maps` shows (`[heap]`, `[stack]`, a path).
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The name as a shared string: a reference-count increment, no
    /// allocation (the profiler takes it in interrupt context).
    pub fn shared_name(&self) -> Option<Arc<str>> {
        self.name.clone()
    }

    /// What the pages come from.
    pub fn backing(&self) -> &Backing {
        &self.backing
    }

    /// Whether the region is locked in memory (`mlock`, Linux's
    /// `VM_LOCKED`): its pages are made present when it is locked or
    /// grows, and stay so (there is no swap to evict them to).
    pub fn is_locked(&self) -> bool {
        self.locked
    }

    /// Whether the mapping is `MAP_SHARED`.
    pub fn is_shared(&self) -> bool {
        matches!(self.backing, Backing::Object { shared: true, .. })
    }

    /// Byte offset into the backing object of `addr` (0-based for
    /// anonymous memory), as the `offset` column of `/proc/<pid>/maps`.
    pub fn offset_of(&self, addr: VirtAddr) -> u64 {
        let base = match &self.backing {
            Backing::Anonymous => 0,
            Backing::Object { offset, .. } => *offset,
        };
        base + (addr.0 - self.range.start().0)
    }

    /// Splits at `addr` into two windows; gives the region back unchanged
    /// unless `addr` is page-aligned and strictly inside it.
    pub(crate) fn split_at(self, addr: VirtAddr) -> Result<(Region, Region), Region> {
        let (Some(low), Some(high)) = (
            VirtRange::new(self.range.start(), addr),
            VirtRange::new(addr, self.range.end()),
        ) else {
            return Err(self);
        };
        let mut upper = self.clone();
        upper.range = high;
        if let Backing::Object { offset, .. } = &mut upper.backing {
            *offset += low.len();
        }
        let mut lower = self;
        lower.range = low;
        Ok((lower, upper))
    }

    /// Whether `next`, starting where `self` ends, is indistinguishable
    /// from a continuation of `self`.
    pub(crate) fn can_merge(&self, next: &Region) -> bool {
        if self.range.end() != next.range.start()
            || self.perms != next.perms
            || self.max_perms != next.max_perms
            || self.name != next.name
            || self.locked != next.locked
        {
            return false;
        }
        match (&self.backing, &next.backing) {
            (Backing::Anonymous, Backing::Anonymous) => true,
            (
                Backing::Object {
                    object: a,
                    offset: a_offset,
                    shared: a_shared,
                },
                Backing::Object {
                    object: b,
                    offset: b_offset,
                    shared: b_shared,
                },
            ) => {
                Arc::ptr_eq(a, b)
                    && a_shared == b_shared
                    && a_offset + self.range.len() == *b_offset
            }
            _ => false,
        }
    }

    /// Extends `self` over `next`; only after [`can_merge`](Self::can_merge).
    pub(crate) fn absorb(&mut self, next: Region) {
        if let Some(range) = VirtRange::new(self.range.start(), next.range.end()) {
            self.range = range;
        }
    }
}

impl fmt::Display for Region {
    /// The region's line in `/proc/<pid>/maps` (no newline), as Linux
    /// prints it; device and inode are `00:00 0` because mm does not know
    /// them (procfs can build its own line from the accessors if it does).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let start = self.range.start().0;
        let end = self.range.end().0;
        let offset = self.offset_of(self.range.start());
        let flag = |on: bool, c: char| if on { c } else { '-' };
        let line = [hex_width(start), hex_width(end), hex_width(offset)];
        write!(
            f,
            "{start:08x}-{end:08x} {}{}{}{} {offset:08x} 00:00 0",
            flag(self.perms.contains(Perms::READ), 'r'),
            flag(self.perms.contains(Perms::WRITE), 'w'),
            flag(self.perms.contains(Perms::EXEC), 'x'),
            if self.is_shared() { 's' } else { 'p' },
        )?;
        // Linux ends the fixed columns with a space and starts a name at
        // column 73 (on 64-bit).
        let written = line.iter().sum::<usize>() + "- rwxp  00:00 0".len();
        match &self.name {
            Some(name) => write!(
                f,
                "{:pad$}{name}",
                "",
                pad = 73usize.saturating_sub(written).max(1)
            ),
            None => f.write_str(" "),
        }
    }
}

/// Digits `{:08x}` prints for `value`.
fn hex_width(value: u64) -> usize {
    let digits = (64 - value.leading_zeros() as usize).div_ceil(4);
    digits.max(8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(start: u64, end: u64, backing: Backing) -> Region {
        Region {
            range: VirtRange::new(VirtAddr(start), VirtAddr(end)).unwrap(),
            perms: Perms::READ | Perms::WRITE,
            max_perms: Perms::all(),
            name: None,
            backing,
            locked: false,
        }
    }

    #[test]
    fn split_halves_keep_their_file_offsets() {
        let object = VmObject::anonymous();
        let whole = region(
            0x10000,
            0x14000,
            Backing::Object {
                object,
                offset: 0x2000,
                shared: false,
            },
        );
        let (low, high) = whole.split_at(VirtAddr(0x11000)).unwrap();
        assert_eq!(low.offset_of(low.range().start()), 0x2000);
        assert_eq!(high.offset_of(high.range().start()), 0x3000);
        assert_eq!(high.range().len(), 0x3000);
        assert!(low.can_merge(&high));
    }

    #[test]
    fn windows_onto_different_objects_do_not_merge() {
        let a = region(
            0x10000,
            0x11000,
            Backing::Object {
                object: VmObject::anonymous(),
                offset: 0,
                shared: true,
            },
        );
        let b = region(
            0x11000,
            0x12000,
            Backing::Object {
                object: VmObject::anonymous(),
                offset: 0x1000,
                shared: true,
            },
        );
        assert!(!a.can_merge(&b));
        let c = region(0x11000, 0x12000, Backing::Anonymous);
        assert!(!a.can_merge(&c));
        let mut d = region(0x10000, 0x11000, Backing::Anonymous);
        assert!(d.can_merge(&c));
        d.absorb(c);
        assert_eq!(d.range().len(), 0x2000);
    }

    #[test]
    fn maps_line_matches_linux_format() {
        let mut text = region(0x40_0000, 0x40_2000, Backing::Anonymous);
        text.perms = Perms::READ | Perms::EXEC;
        text.name = Some(Arc::from("/bin/prog"));
        assert_eq!(
            alloc::format!("{text}"),
            "00400000-00402000 r-xp 00000000 00:00 0                                  /bin/prog"
        );
        let heap = region(0x7fff_f000_0000, 0x7fff_f000_1000, Backing::Anonymous);
        assert_eq!(
            alloc::format!("{heap}"),
            "7ffff0000000-7ffff0001000 rw-p 00000000 00:00 0 "
        );
    }

    #[test]
    fn any_access_right_implies_read_in_page_tables() {
        assert_eq!(
            Perms::WRITE.page_flags(),
            PageFlags::READ | PageFlags::WRITE
        );
        assert_eq!(Perms::EXEC.page_flags(), PageFlags::READ | PageFlags::EXEC);
        assert_eq!(Perms::empty().page_flags(), PageFlags::empty());
    }
}
