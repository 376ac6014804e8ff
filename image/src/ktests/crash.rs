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
