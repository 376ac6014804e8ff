//! Memory management on the real hardware: frames, the kernel page table,
//! the heap, user address spaces, faults and user copies.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use abi::Errno;
use arch::paging::DirectMap;
use arch::usercopy::ActiveUserMemory;
use mm::{
    MapRequest, PageTable, Perms, PhysicalMemory, Placement, UserMemory, UserSlice, VirtAddr,
};
use x86_64::structures::paging::PageTableFlags as Flags;

use crate::ktest::{check, check_eq, ktest};
use crate::memory::frames::{self, KernelFrames};
use crate::memory::kernel_space::kernel_page_table;
use crate::memory::user::{self, SharedAddressSpace};

/// Free frames, counting the heap's arenas as free: the heap keeps what it
/// claims, so a test that allocates may grow it without leaking anything.
fn free_frames() -> u64 {
    let (arenas, _) = crate::memory::heap::footprint();
    frames::stats().map_or(0, |s| s.free_frames) + arenas / 4096
}

ktest! {
    fn frame_allocator_accounts_for_every_frame() {
        let before = free_frames();
        let block = frames::alloc_order(3);
        check!(block.is_ok());
        let block = block.unwrap_or_else(|_| unreachable!());
        check_eq!(block.0 % 8, 0);
        check_eq!(free_frames(), before - 8);
        check!(frames::free_order(block, 3).is_ok());
        check_eq!(free_frames(), before);
        check_eq!(frames::free_order(block, 3), Err(Errno::EINVAL));
        Ok(())
    }
}

ktest! {
    fn heap_serves_small_and_large_allocations() {
        let mut map = BTreeMap::new();
        for i in 0..1000u32 {
            map.insert(i, Box::new([i; 8]));
        }
        check_eq!(map.get(&777).map(|b| b[3]), Some(777));
        let before = free_frames();
        let large: Vec<u8> = alloc::vec![0xa5; 1 << 20];
        check!(free_frames() <= before - 256, "1 MiB came from frames");
        check!(large.iter().all(|&b| b == 0xa5));
        drop(large);
        check_eq!(free_frames(), before);
        Ok(())
    }
}

unsafe extern "C" {
    static __text_start: u8;
    static __rodata_start: u8;
    static __data_start: u8;
}

ktest! {
    fn kernel_image_is_mapped_write_xor_execute() {
        let table = kernel_page_table().lock();
        let flags = |address: u64| table.leaf_entry(address).map(Flags::from_bits_truncate);
        let text = flags(&raw const __text_start as u64);
        let rodata = flags(&raw const __rodata_start as u64);
        let data = flags(&raw const __data_start as u64);
        check!(text.is_some() && rodata.is_some() && data.is_some());
        let (text, rodata, data) = (
            text.unwrap_or_else(|| unreachable!()),
            rodata.unwrap_or_else(|| unreachable!()),
            data.unwrap_or_else(|| unreachable!()),
        );
        check!(!text.contains(Flags::WRITABLE) && !text.contains(Flags::NO_EXECUTE), "text {text:?}");
        check!(!rodata.contains(Flags::WRITABLE) && rodata.contains(Flags::NO_EXECUTE), "rodata {rodata:?}");
        check!(data.contains(Flags::WRITABLE) && data.contains(Flags::NO_EXECUTE), "data {data:?}");
        // The boot identity map is gone: the lower half belongs to users.
        check_eq!(table.leaf_entry(0x10_0000), None);
        check_eq!(table.leaf_entry(0), None);
        // The boot CPU's IST stacks have unmapped guard pages below them.
        for guard in arch::gdt::boot_ist_guard_pages() {
            check_eq!(table.leaf_entry(guard), None);
            check!(table.leaf_entry(guard + 4096).is_some());
            check!(crate::memory::kstack::is_guard_page(guard + 8));
        }
        // The direct map is not executable.
        let direct = flags(arch::paging::phys_to_virt(0x10_0000));
        check!(direct.is_some_and(|f| f.contains(Flags::NO_EXECUTE)));
        // Its alias of text and rodata cannot be written; of data, can.
        let alias = |symbol: *const u8| flags(arch::paging::phys_to_virt(symbol as u64 - crate::boot::KERNEL_VMA));
        let text_alias = alias(&raw const __text_start);
        let rodata_alias = alias(&raw const __rodata_start);
        let data_alias = alias(&raw const __data_start);
        check!(text_alias.is_some_and(|f| !f.contains(Flags::WRITABLE)), "text alias {text_alias:?}");
        check!(rodata_alias.is_some_and(|f| !f.contains(Flags::WRITABLE)), "rodata alias {rodata_alias:?}");
        check!(data_alias.is_some_and(|f| f.contains(Flags::WRITABLE)), "data alias {data_alias:?}");
        Ok(())
    }
}

ktest! {
    fn smep_and_smap_are_on_when_the_cpu_has_them() {
        use x86_64::registers::control::{Cr4, Cr4Flags};
        let features = arch::cpu::Features::detect();
        let cr4 = Cr4::read();
        check_eq!(cr4.contains(Cr4Flags::SUPERVISOR_MODE_EXECUTION_PROTECTION), features.smep);
        check_eq!(cr4.contains(Cr4Flags::SUPERVISOR_MODE_ACCESS_PREVENTION), features.smap);
        Ok(())
    }
}

/// A fresh user space with one anonymous read/write region, made current.
fn user_space_with_region(len: u64) -> Result<(SharedAddressSpace, u64), Errno> {
    let mut space = user::new_address_space()?;
    let address = space.mmap(
        MapRequest::anonymous(len, Perms::READ | Perms::WRITE)
            .at(Placement::Fixed(VirtAddr(0x4000_0000))),
        &mut KernelFrames,
    )?;
    let space = user::share(space);
    user::activate(Some(space.clone()));
    Ok((space, address.0))
}

fn tear_down(space: SharedAddressSpace) {
    user::activate(None);
    drop(space);
}

ktest! {
    fn demand_zero_pages_read_as_zero_and_keep_writes() {
        let before = free_frames();
        let (space, base) = user_space_with_region(16 * 4096).map_err(|_| crate::ktest::fail("mmap"))?;
        let memory = ActiveUserMemory;
        let mut buffer = [0xffu8; 64];
        let read = memory.copy_from_user(&mut buffer, UserSlice::new(base + 4096 * 3, 64).unwrap_or_else(|_| unreachable!()));
        check_eq!(read, Ok(()));
        check!(buffer.iter().all(|&b| b == 0), "fresh anonymous memory is zero");
        let slice = UserSlice::new(base + 4096 * 5 + 100, 5).unwrap_or_else(|_| unreachable!());
        check_eq!(memory.copy_to_user(slice, b"hello"), Ok(()));
        let mut back = [0u8; 5];
        check_eq!(memory.copy_from_user(&mut back, slice), Ok(()));
        check_eq!(&back, b"hello");
        check!(free_frames() < before, "pages were materialised");
        tear_down(space);
        check_eq!(free_frames(), before);
        Ok(())
    }
}

ktest! {
    fn copy_on_write_after_fork_keeps_the_spaces_apart() {
        let before = free_frames();
        let (parent, base) = user_space_with_region(4 * 4096).map_err(|_| crate::ktest::fail("mmap"))?;
        let memory = ActiveUserMemory;
        let slice = UserSlice::new(base, 6).unwrap_or_else(|_| unreachable!());
        check_eq!(memory.copy_to_user(slice, b"parent"), Ok(()));
        let child_table = kernel_page_table().lock().new_user_table(&mut KernelFrames);
        check!(child_table.is_ok());
        let child = parent.lock().fork(child_table.unwrap_or_else(|_| unreachable!()), &mut KernelFrames);
        check!(child.is_ok());
        let child = user::share(child.unwrap_or_else(|_| unreachable!()));
        // The parent writes after the fork (a CoW fault).
        check_eq!(memory.copy_to_user(slice, b"PARENT"), Ok(()));
        // The child still sees the old bytes.
        user::activate(Some(child.clone()));
        let mut seen = [0u8; 6];
        check_eq!(memory.copy_from_user(&mut seen, slice), Ok(()));
        check_eq!(&seen, b"parent");
        // The child writes too; it is now the only owner of its frame.
        check_eq!(memory.copy_to_user(slice, b"child!"), Ok(()));
        let child_frame = child.lock().page_table().translate(VirtAddr(base)).map(|(f, _)| f);
        let parent_frame = parent.lock().page_table().translate(VirtAddr(base)).map(|(f, _)| f);
        check!(child_frame.is_some() && child_frame != parent_frame);
        let mut raw = [0u8; 6];
        DirectMap.read_frame(parent_frame.unwrap_or_else(|| unreachable!()), 0, &mut raw);
        check_eq!(&raw, b"PARENT");
        tear_down(child);
        tear_down(parent);
        check_eq!(free_frames(), before);
        Ok(())
    }
}

ktest! {
    fn copy_from_user_on_bad_pointers_is_efault() {
        let (space, base) = user_space_with_region(4096).map_err(|_| crate::ktest::fail("mmap"))?;
        let memory = ActiveUserMemory;
        let mut buffer = [0u8; 16];
        // Unmapped user address: the fault is not resolvable, the fixup
        // table turns it into EFAULT.
        let unmapped = UserSlice::new(0x7000_0000, 16).unwrap_or_else(|_| unreachable!());
        check_eq!(memory.copy_from_user(&mut buffer, unmapped), Err(Errno::EFAULT));
        // Straddling the end of the region.
        let straddle = UserSlice::new(base + 4096 - 8, 16).unwrap_or_else(|_| unreachable!());
        check_eq!(memory.copy_from_user(&mut buffer, straddle), Err(Errno::EFAULT));
        // Kernel-half and non-canonical pointers never reach the copy.
        check_eq!(UserSlice::new(0xffff_ffff_8010_0000, 16).err(), Some(Errno::EFAULT));
        check_eq!(UserSlice::new(0x0000_8000_0000_0000, 16).err(), Some(Errno::EFAULT));
        check_eq!(UserSlice::new(u64::MAX - 4, 16).err(), Some(Errno::EFAULT));
        tear_down(space);
        Ok(())
    }
}

ktest! {
    fn forking_and_tearing_down_spaces_leaks_no_frame() {
        let before = free_frames();
        for _ in 0..100 {
            let (space, base) = user_space_with_region(8 * 4096).map_err(|_| crate::ktest::fail("mmap"))?;
            let slice = UserSlice::new(base, 8).unwrap_or_else(|_| unreachable!());
            check_eq!(ActiveUserMemory.copy_to_user(slice, b"12345678"), Ok(()));
            let table = kernel_page_table().lock().new_user_table(&mut KernelFrames);
            let child = table.and_then(|t| space.lock().fork(t, &mut KernelFrames));
            check!(child.is_ok());
            child.unwrap_or_else(|_| unreachable!()).teardown(&mut KernelFrames);
            tear_down(space);
        }
        check_eq!(free_frames(), before);
        Ok(())
    }
}

ktest! {
    fn page_fault_costs_are_measured() {
        const PAGES: u64 = 256;
        let (parent, base) = user_space_with_region(PAGES * 4096).map_err(|_| crate::ktest::fail("mmap"))?;
        let memory = ActiveUserMemory;
        let touch = |page: u64| {
            let slice = UserSlice::new(base + page * 4096, 1).unwrap_or_else(|_| unreachable!());
            memory.copy_to_user(slice, &[1])
        };
        let start = arch::cpu::rdtsc();
        for page in 0..PAGES {
            check_eq!(touch(page), Ok(()));
        }
        let demand_zero = (arch::cpu::rdtsc() - start) / PAGES;
        let start = arch::cpu::rdtsc();
        for page in 0..PAGES {
            check_eq!(touch(page), Ok(()));
        }
        let no_fault = (arch::cpu::rdtsc() - start) / PAGES;
        let table = kernel_page_table().lock().new_user_table(&mut KernelFrames);
        let child = table.and_then(|t| parent.lock().fork(t, &mut KernelFrames));
        check!(child.is_ok());
        let start = arch::cpu::rdtsc();
        for page in 0..PAGES {
            check_eq!(touch(page), Ok(()));
        }
        let cow = (arch::cpu::rdtsc() - start) / PAGES;
        arch::serial::write_fmt(format_args!(
            "\n    figures: demand-zero fault {} cycles/page, CoW fault {} cycles/page, resident write {} cycles/page ... ",
            demand_zero - no_fault.min(demand_zero),
            cow - no_fault.min(cow),
            no_fault
        ));
        child.unwrap_or_else(|_| unreachable!()).teardown(&mut KernelFrames);
        tear_down(parent);
        Ok(())
    }
}

ktest! {
    fn protected_page_is_writable_only_inside_its_window() {
        use crate::memory::protected::ProtectedPage;
        let writable = |address: u64| {
            kernel_page_table()
                .lock()
                .leaf_entry(address)
                .map(|entry| Flags::from_bits_truncate(entry).contains(Flags::WRITABLE))
        };
        // The first page of the region may allocate page-table frames that
        // stay; count from after one.
        drop(ProtectedPage::new(0u8).map_err(|_| crate::ktest::fail("no memory"))?);
        // A freed page stays mapped in a cache for the next: it is a free
        // frame or a cached page, never lost.
        let free_or_cached = || free_frames() + crate::memory::protected::cached_pages() as u64;
        let before = free_or_cached();
        let mut page = ProtectedPage::new([7u64; 4]).map_err(|_| crate::ktest::fail("no memory"))?;
        let address = page.address();
        check!(crate::memory::protected::is_protected(address));
        check_eq!(writable(address), Some(false));
        {
            let mut window = page.unprotect();
            check_eq!(writable(address), Some(true));
            window[2] = 42;
        }
        check_eq!(writable(address), Some(false));
        check_eq!(*page.get(), [7, 7, 42, 7]);
        drop(page);
        // Kept mapped read-only for reuse, or unmapped.
        check!(writable(address) != Some(true));
        check_eq!(free_or_cached(), before);
        Ok(())
    }
}

ktest! {
    fn freed_protected_pages_beyond_the_cache_go_back_to_the_frame_allocator() {
        use crate::memory::protected::{ProtectedPage, cached_pages};
        let free_or_cached = || free_frames() + cached_pages() as u64;
        // Warm up: page tables of the region that stay.
        let warm: alloc::vec::Vec<_> = (0..300)
            .map(|i| ProtectedPage::new(i as u64))
            .collect::<Result<_, _>>()
            .map_err(|_| crate::ktest::fail("no memory"))?;
        drop(warm);
        let before = free_or_cached();
        let pages: alloc::vec::Vec<_> = (0..300)
            .map(|i| ProtectedPage::new(i as u64))
            .collect::<Result<_, _>>()
            .map_err(|_| crate::ktest::fail("no memory"))?;
        check!(pages.iter().enumerate().all(|(i, page)| *page.get() == i as u64));
        check_eq!(free_or_cached() + 300, before);
        drop(pages);
        check!(cached_pages() <= 64);
        check_eq!(free_or_cached(), before);
        Ok(())
    }
}

ktest! {
    fn process_credentials_live_in_protected_pages() {
        use process::ProtectedStorage as _;
        let mut protected = crate::memory::protected::ProtectedPage::protect(
            process::ProtectedData::new(process::Credentials::new(1000, 1000), false),
        )
        .map_err(|_| crate::ktest::fail("no memory"))?;
        let credentials = protected.get().credentials.clone();
        check!(crate::memory::protected::is_protected(
            &protected.get().credentials as *const _ as u64
        ));
        protected.unprotect().credentials = process::Credentials::root();
        check_eq!(protected.get().credentials.euid(), 0);
        check!(credentials != protected.get().credentials);
        // Every process the kernel made keeps its credentials there.
        for process in crate::userland::processes().all_processes() {
            let data = process.data();
            check!(crate::memory::protected::is_protected(
                data.credentials() as *const _ as u64
            ));
        }
        Ok(())
    }
}

ktest! {
    fn the_user_space_lock_sleeps_with_interrupts_on_and_faults_wait_for_it() {
        use alloc::sync::Arc;
        use core::sync::atomic::{AtomicBool, Ordering};
        let (space, base) = user_space_with_region(4 * 4096).map_err(|_| crate::ktest::fail("mmap"))?;
        let guard = space.lock();
        // Held across a sleep, with interrupts on: the timer keeps ticking.
        check!(x86_64::instructions::interrupts::are_enabled());
        let ticks = crate::time::ticks();
        crate::task::sleep_until(crate::time::now_ns() + 30_000_000);
        check!(crate::time::ticks() > ticks, "no tick while the lock was held");
        // The holder touching a page not yet present would wait for itself:
        // the copy fails instead.
        let first = UserSlice::new(base, 1).unwrap_or_else(|_| unreachable!());
        check_eq!(ActiveUserMemory.copy_to_user(first, b"x"), Err(Errno::EFAULT));
        // Another thread's fault on the space sleeps until the lock is free.
        let (finished, copied) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
        let other = {
            let (space, finished, copied) = (space.clone(), finished.clone(), copied.clone());
            crate::task::spawn("fault-waiter", sched::Priority::NORMAL, move || {
                user::activate(Some(space));
                let second = UserSlice::new(base + 4096, 1).unwrap_or_else(|_| unreachable!());
                copied.store(ActiveUserMemory.copy_to_user(second, b"y").is_ok(), Ordering::SeqCst);
                user::activate(None);
                finished.store(true, Ordering::SeqCst);
            })
        };
        check!(other.is_ok());
        crate::task::sleep_until(crate::time::now_ns() + 30_000_000);
        check!(!finished.load(Ordering::SeqCst), "the fault did not wait for the lock");
        drop(guard);
        other.unwrap_or_else(|_| unreachable!()).join();
        check!(copied.load(Ordering::SeqCst), "the waiting fault failed");
        check_eq!(ActiveUserMemory.copy_to_user(first, b"x"), Ok(()));
        tear_down(space);
        Ok(())
    }
}
