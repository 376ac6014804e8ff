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
