//! Frame-pointer backtraces of kernel code.
//!
//! The kernel is built with `-C force-frame-pointers=yes`, so every kernel
//! function's frame starts with the caller's `rbp` and the return address.
//! The boot code clears `rbp` before entering Rust, which ends every walk; the
//! trap stub links the interrupted context in, so walks continue through
//! interrupts into the code that was interrupted.

/// The lowest address of the kernel half; frames outside it end the walk.
pub const KERNEL_HALF_START: u64 = 0xffff_8000_0000_0000;

/// Most frames one walk visits: a corrupt chain cannot loop forever.
pub const MAX_FRAMES: usize = 64;

/// The current frame pointer.
#[inline(always)]
pub fn current_frame_pointer() -> u64 {
    let rbp: u64;
    // SAFETY: reading rbp has no side effects.
    unsafe {
        core::arch::asm!("mov {}, rbp", out(reg) rbp, options(nomem, nostack, preserves_flags))
    };
    rbp
}

/// Calls `visit` with each return address found from frame pointer `rbp`
/// upwards, innermost first.
///
/// The walk stops at a null, misaligned or user-half frame pointer, at a
/// frame that does not move towards the stack base, or after
/// [`MAX_FRAMES`]: a corrupt stack gives a short backtrace, not a loop.
pub fn walk(mut rbp: u64, mut visit: impl FnMut(u64)) {
    for _ in 0..MAX_FRAMES {
        if rbp < KERNEL_HALF_START || rbp % 8 != 0 || rbp > u64::MAX - 16 {
            return;
        }
        // SAFETY: rbp is an aligned kernel-half address taken from a frame
        // record chain that starts at a live frame; the checks above and the
        // monotonicity check below keep the walk within the stack as long as
        // the chain is intact, which frame pointers guarantee for kernel code.
        let (next, return_address) = unsafe { (*(rbp as *const u64), *((rbp + 8) as *const u64)) };
        if return_address == 0 {
            return;
        }
        visit(return_address);
        if next <= rbp {
            return;
        }
        rbp = next;
    }
}
