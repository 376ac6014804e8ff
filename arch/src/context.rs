//! Switching between kernel threads.
//!
//! [`switch`] saves the callee-saved registers on the current stack and the
//! x87/SSE state in the outgoing thread's [`FpuArea`], stores the stack
//! pointer, and resumes the incoming thread the same way in reverse. A new
//! thread's stack is prepared by [`prepare_stack`] so that its first switch
//! "returns" into a trampoline that calls its entry function.
//!
//! Interrupts must be off across a switch (the scheduler's lock guarantees
//! it); the resumed thread restores its own interrupt state.

/// One thread's saved x87/SSE state (FXSAVE image), 16-byte aligned.
#[derive(Clone)]
#[repr(C, align(16))]
pub struct FpuArea(pub [u8; 512]);

/// The image of [`FpuArea::initial`], kept in read-only data so a reset
/// is one copy (a signal handler starts with it).
pub static INITIAL_FPU_IMAGE: [u8; 512] = {
    let mut area = [0u8; 512];
    // FCW 0x037f.
    area[0] = 0x7f;
    area[1] = 0x03;
    // MXCSR 0x1f80.
    area[24] = 0x80;
    area[25] = 0x1f;
    // MXCSR mask 0xffff.
    area[28] = 0xff;
    area[29] = 0xff;
    area
};

/// [`INITIAL_FPU_IMAGE`] aligned for `fxrstor64`, which the trap exit
/// loads for a state reset with [`crate::trap::FpuState::reset`].
pub static INITIAL_FPU_AREA: FpuArea = FpuArea(INITIAL_FPU_IMAGE);

impl FpuArea {
    /// The state of a fresh thread: FCW 0x37f, MXCSR 0x1f80 (all exceptions
    /// masked, round to nearest), as after `fninit` and Linux's defaults.
    pub fn initial() -> Self {
        Self(INITIAL_FPU_IMAGE)
    }
}

impl Default for FpuArea {
    fn default() -> Self {
        Self::initial()
    }
}

unsafe extern "C" {
    fn arch_context_switch(
        from_rsp: *mut u64,
        to_rsp: u64,
        from_fpu: *mut FpuArea,
        to_fpu: *const FpuArea,
        from_on_cpu: *mut bool,
    );
    fn arch_thread_trampoline();
}

core::arch::global_asm!(
    r#"
    .section .text.arch_context_switch, "ax", @progbits
    .global arch_context_switch
    .type arch_context_switch, @function
    arch_context_switch:
        fxsave64 [rdx]
        push rbp
        push rbx
        push r12
        push r13
        push r14
        push r15
        mov [rdi], rsp
        mov rsp, rsi
        /* The outgoing thread is saved: another CPU may resume it. */
        mov byte ptr [r8], 0
        fxrstor64 [rcx]
        pop r15
        pop r14
        pop r13
        pop r12
        pop rbx
        pop rbp
        ret
    .size arch_context_switch, . - arch_context_switch

    .section .text.arch_thread_trampoline, "ax", @progbits
    .global arch_thread_trampoline
    .type arch_thread_trampoline, @function
    arch_thread_trampoline:
        mov rdi, r13
        and rsp, -16
        call r12
        ud2
    .size arch_thread_trampoline, . - arch_thread_trampoline
    "#
);

/// Saves the current thread into (`from_rsp`, `from_fpu`) and resumes the
/// thread saved in (`to_rsp`, `to_fpu`), clearing `from_on_cpu` once the
/// outgoing registers are stored and this CPU is off its stack (so another
/// CPU waiting on that flag may resume it). Returns when some thread
/// switches back to this one.
///
/// # Safety
/// Interrupts are off; `from_rsp`/`from_fpu`/`from_on_cpu` belong to the
/// running thread and stay valid until it is resumed; `to_rsp`/`to_fpu`
/// were saved by a previous `switch` or made by [`prepare_stack`], and that
/// thread is not running anywhere.
pub unsafe fn switch(
    from_rsp: *mut u64,
    to_rsp: u64,
    from_fpu: *mut FpuArea,
    to_fpu: *const FpuArea,
    from_on_cpu: *mut bool,
) {
    // SAFETY: the caller upholds the contract above.
    unsafe { arch_context_switch(from_rsp, to_rsp, from_fpu, to_fpu, from_on_cpu) }
}

/// Writes the initial frame of a new thread at the top of its stack and
/// returns the stack pointer to hand to [`switch`]: the first switch to it
/// calls `entry(argument)` with `rbp = 0` (the end of its backtraces).
///
/// # Safety
/// `stack_top` is the 16-byte-aligned top of a mapped, unused stack of at
/// least 64 bytes.
pub unsafe fn prepare_stack(stack_top: u64, entry: extern "C" fn(u64) -> !, argument: u64) -> u64 {
    // Layout from low to high: r15 r14 r13 r12 rbx rbp, return address, pad.
    let frame: [u64; 8] = [
        0,
        0,
        argument,
        entry as *const () as u64,
        0,
        0,
        arch_thread_trampoline as *const () as u64,
        0,
    ];
    let rsp = stack_top - 8 * frame.len() as u64;
    // SAFETY: the caller guarantees the 64 bytes below the top are ours.
    unsafe { core::ptr::copy_nonoverlapping(frame.as_ptr(), rsp as *mut u64, frame.len()) };
    rsp
}
