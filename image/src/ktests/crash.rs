//! Crash tests: each ends the kernel on purpose, and the host checks the
//! report. They run only when selected by name (`ktest=deliberate_`).

use crate::ktest::ktest;

/// An address in the kernel half that nothing maps.
const UNMAPPED: u64 = 0xffff_c000_dead_b000;

ktest! {
    crash fn deliberate_page_fault() {
        // SAFETY: deliberately unsound: the test checks that a kernel page
        // fault produces a symbolised report and a failure exit.
        unsafe { core::ptr::write_volatile(UNMAPPED as *mut u64, 1) };
        Ok(())
    }
}

ktest! {
    crash fn deliberate_panic() {
        panic!("deliberate panic from a test");
    }
}

unsafe extern "C" {
    static __text_start: u8;
}

ktest! {
    crash fn deliberate_write_to_kernel_text() {
        // SAFETY: deliberately unsound: W^X must turn this into a fault.
        unsafe { core::ptr::write_volatile((&raw const __text_start).cast_mut(), 0xcc) };
        Ok(())
    }
}

ktest! {
    crash fn deliberate_write_to_kernel_text_through_the_direct_map() {
        let alias = arch::paging::phys_to_virt(&raw const __text_start as u64 - crate::boot::KERNEL_VMA);
        // SAFETY: deliberately unsound: the direct map's alias of kernel
        // text is read-only, so this must fault.
        unsafe { core::ptr::write_volatile(alias as *mut u8, 0xcc) };
        Ok(())
    }
}

ktest! {
    crash fn deliberate_kernel_read_of_user_memory() {
        use mm::{MapRequest, Perms, Placement, VirtAddr};
        let mut space = crate::memory::user::new_address_space().map_err(|_| crate::ktest::fail("no memory"))?;
        let address = space
            .mmap(
                MapRequest::anonymous(4096, Perms::READ | Perms::WRITE).at(Placement::Fixed(VirtAddr(0x4000_0000))),
                &mut crate::memory::frames::KernelFrames,
            )
            .map_err(|_| crate::ktest::fail("mmap"))?;
        crate::memory::user::activate(Some(crate::memory::user::share(space)));
        // Present first (through a user copy), so only SMAP refuses the read.
        let slice = mm::UserSlice::new(address.0, 8).map_err(|_| crate::ktest::fail("slice"))?;
        mm::UserMemory::copy_to_user(&arch::usercopy::ActiveUserMemory, slice, &[7; 8])
            .map_err(|_| crate::ktest::fail("copy"))?;
        // SAFETY: deliberately unsound: the kernel reads user memory outside
        // a user copy, which must fault with a clear report.
        let value = unsafe { core::ptr::read_volatile(address.0 as *const u64) };
        core::hint::black_box(value);
        Ok(())
    }
}

#[inline(never)]
fn recurse(depth: u64) -> u64 {
    let mut buffer = [depth; 64];
    core::hint::black_box(&mut buffer);
    if depth == 0 {
        buffer[1]
    } else {
        recurse(depth - 1) + buffer[2]
    }
}

ktest! {
    crash fn deliberate_kernel_stack_overflow() {
        // 520 bytes a frame: 1 million frames is far more than 64 KiB.
        core::hint::black_box(recurse(core::hint::black_box(1_000_000)));
        Ok(())
    }
}

ktest! {
    crash fn deliberate_write_to_protected_credentials() {
        let protected = crate::memory::protected::ProtectedPage::new(
            process::ProtectedData::new(process::Credentials::new(1000, 1000), false),
        )
        .map_err(|_| crate::ktest::fail("no memory"))?;
        let dumpable = protected.address() + core::mem::offset_of!(process::ProtectedData, dumpable) as u64;
        // SAFETY: deliberately unsound: a write outside the write window must
        // fault rather than change the process's data.
        unsafe { core::ptr::write_volatile(dumpable as *mut bool, false) };
        Ok(())
    }
}
