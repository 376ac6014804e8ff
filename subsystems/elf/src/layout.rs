//! The x86_64 user address-space constants the loader plans against, and
//! overflow-checked page arithmetic.

/// Page size exec plans in (`AT_PAGESZ`).
pub const PAGE_SIZE: u64 = 4096;

/// One past the highest user address a mapping may reach: Linux's
/// `TASK_SIZE_MAX` for 4-level paging (`(1 << 47) - PAGE_SIZE`).
pub const USER_END: u64 = 0x7fff_ffff_f000;

/// Lowest address a segment may occupy, like Linux's default
/// `vm.mmap_min_addr` (64 KiB): keeps NULL dereferences faulting.
pub const USER_MIN: u64 = 0x1_0000;

/// Default load base of a position-independent main program (static-PIE or
/// PIE): Linux's `ELF_ET_DYN_BASE`, two thirds of the user range, page
/// aligned, which is where Linux without ASLR puts it (`0x5555_5555_4000`).
pub const DEFAULT_PIE_BASE: u64 = (USER_END / 3 * 2) & !(PAGE_SIZE - 1);

/// Default load base of the program interpreter (`ld.so`): high in the user
/// range but far enough below [`USER_END`] to leave room for the stack
/// (Linux puts it at the top-down mmap base, just under the stack gap).
pub const DEFAULT_INTERP_BASE: u64 = 0x7fff_f700_0000;

/// Rounds `addr` down to a page boundary.
pub const fn page_down(addr: u64) -> u64 {
    addr & !(PAGE_SIZE - 1)
}

/// Rounds `addr` up to a page boundary, or `None` if that overflows.
pub const fn page_up(addr: u64) -> Option<u64> {
    match addr.checked_add(PAGE_SIZE - 1) {
        Some(v) => Some(page_down(v)),
        None => None,
    }
}

/// Offset of `addr` within its page.
pub const fn page_offset(addr: u64) -> u64 {
    addr & (PAGE_SIZE - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pie_base_matches_linux_without_aslr() {
        assert_eq!(DEFAULT_PIE_BASE, 0x5555_5555_4000);
    }

    #[test]
    fn page_up_reports_overflow() {
        assert_eq!(page_up(1), Some(PAGE_SIZE));
        assert_eq!(page_up(PAGE_SIZE), Some(PAGE_SIZE));
        assert_eq!(page_up(u64::MAX), None);
    }
}
