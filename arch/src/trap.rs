//! Interrupt and exception entry: the stubs, the saved-register frame and the
//! dispatch to the kernel's handler.
//!
//! Every vector has a 16-byte-aligned stub that pushes a zero error code when
//! the CPU does not, then the vector number, and jumps to `trap_common`.
//! `trap_common` runs on the IST stack the gate selected; unless the vector is
//! the NMI or the double fault, it moves the seven-word frame to the
//! interrupted kernel stack 128 bytes below its `rsp` (the red zone of the
//! precompiled `core`, see the crate doc) or, when the interrupt came from
//! ring 3, to the current thread's kernel stack top ([`set_kernel_stack_top`]).
//! It then saves all general registers ([`TrapFrame`]), builds a frame-pointer
//! record whose return address is the interrupted `rip` (so backtraces run
//! through the interrupt), saves the FPU/SSE state with `fxsave64` into a
//! 64-byte-aligned area ([`FpuState`]) and calls the registered handler.
//! Returning restores everything in reverse and `iretq`s.

use core::sync::atomic::{AtomicU64, Ordering};

use spin::Once;

/// The registers of an interrupted context, as the entry stub saved them.
/// Field order is the stub's push order reversed; changing one means changing
/// the other.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
#[allow(missing_docs)] // register names
pub struct TrapFrame {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rbp: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rdx: u64,
    pub rcx: u64,
    pub rbx: u64,
    pub rax: u64,
    /// The vector number (0..=255).
    pub vector: u64,
    /// The CPU's error code, or 0 for vectors without one.
    pub error_code: u64,
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}

impl TrapFrame {
    /// Whether the interrupted code ran in ring 3.
    pub fn from_user(&self) -> bool {
        self.cs & 3 == 3
    }
}

/// The 512-byte FXSAVE image of the interrupted context's x87/SSE state.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
pub struct FpuState(pub [u8; 512]);

impl FpuState {
    /// `xmm` register `index` (0..16) as 16 little-endian bytes.
    pub fn xmm(&self, index: usize) -> [u8; 16] {
        let start = 160 + 16 * index;
        let mut out = [0; 16];
        out.copy_from_slice(&self.0[start..start + 16]);
        out
    }
}

/// The kernel's handler for every vector.
pub type TrapHandler = fn(&mut TrapFrame, &mut FpuState);

static HANDLER: Once<TrapHandler> = Once::new();

/// The kernel stack top used when an interrupt arrives from ring 3; the
/// scheduler sets it to the current thread's stack on every switch.
#[unsafe(export_name = "arch_kernel_stack_top")]
static KERNEL_STACK_TOP: AtomicU64 = AtomicU64::new(0);

/// Sets the stack that interrupts from ring 3 continue on.
pub fn set_kernel_stack_top(top: u64) {
    KERNEL_STACK_TOP.store(top, Ordering::Relaxed);
}

/// The kernel stack top interrupts from ring 3 use now: the registers of
/// the current thread's last entry from user mode lie just below it.
pub fn kernel_stack_top() -> u64 {
    KERNEL_STACK_TOP.load(Ordering::Relaxed)
}

/// The user registers and FPU state a thread saved on its last entry
/// from ring 3, read from the top of its kernel stack: the entry pushes
/// the [`TrapFrame`] right below the top, the stub's frame link (16 bytes)
/// below that, and `fxsave`s into the next 64-byte-aligned 512 bytes.
/// `None` if what lies there is not a user entry frame.
///
/// # Safety
///
/// `stack_top` must be the top of a mapped kernel stack whose thread is
/// inside a trap from user mode (blocked, waiting or preempted) and not
/// running, so the words read are that trap's saved state; for a thread
/// that never entered from ring 3 they are at worst stale or zero, which
/// the `cs` check rejects.
pub unsafe fn saved_user_state(stack_top: u64) -> Option<(TrapFrame, FpuState)> {
    let frame_at = stack_top.checked_sub(size_of::<TrapFrame>() as u64)?;
    // SAFETY: per the contract, the bytes below `stack_top` are mapped
    // stack memory; `TrapFrame` is plain integers, valid for any bits.
    let frame = unsafe { (frame_at as *const TrapFrame).read_volatile() };
    if !frame.from_user() {
        return None;
    }
    let fpu_at = (frame_at - 16 - 512) & !63;
    // SAFETY: as above; the trap stub's layout puts the area here.
    let fpu = unsafe { (fpu_at as *const FpuState).read_volatile() };
    Some((frame, fpu))
}

/// Registers the kernel's trap handler. Only the first call has an effect.
pub fn set_handler(handler: TrapHandler) {
    HANDLER.call_once(|| handler);
}

#[unsafe(no_mangle)]
extern "C" fn arch_trap_dispatch(frame: *mut TrapFrame, fpu: *mut FpuState) {
    // SAFETY: the entry stub passes pointers to the frame and FPU area it
    // just built on this stack; nothing else aliases them during the call.
    let (frame, fpu) = unsafe { (&mut *frame, &mut *fpu) };
    match HANDLER.get() {
        Some(handler) => handler(frame, fpu),
        None => {
            let mut out = crate::serial::emergency_writer();
            let _ = core::fmt::write(
                &mut out,
                format_args!(
                    "\nunhandled vector {} at rip {:#x} before a handler was registered\n",
                    frame.vector, frame.rip
                ),
            );
            crate::cpu::halt_forever();
        }
    }
}

unsafe extern "C" {
    static trap_stub_table: [u64; crate::idt::VECTOR_COUNT];
}

/// The address of the entry stub for `vector`.
pub fn stub_address(vector: usize) -> u64 {
    // SAFETY: the table is immutable data emitted by the assembly below with
    // exactly VECTOR_COUNT entries.
    unsafe { trap_stub_table[vector] }
}

// Offsets in `trap_common` while rbx and rax are pushed on the IST stack:
// rbx 0, rax 8, vector 16, error 24, rip 32, cs 40, rflags 48, rsp 56, ss 64.
core::arch::global_asm!(
    r#"
    .altmacro
    .macro TRAP_STUB vector
    .balign 16
    trap_stub_\vector:
    .if (\vector == 8) || (\vector == 10) || (\vector == 11) || (\vector == 12) || (\vector == 13) || (\vector == 14) || (\vector == 17) || (\vector == 21) || (\vector == 29) || (\vector == 30)
    .else
        push 0
    .endif
        push \vector
        jmp trap_common
    .endm

    .macro TRAP_STUB_ADDRESS vector
        .quad trap_stub_\vector
    .endm

    .section .text.trap_stubs, "ax", @progbits
    .set vector, 0
    .rept 256
        TRAP_STUB %vector
        .set vector, vector + 1
    .endr

    .section .rodata.trap_stub_table, "a", @progbits
    .balign 8
    .global trap_stub_table
    trap_stub_table:
    .set vector, 0
    .rept 256
        TRAP_STUB_ADDRESS %vector
        .set vector, vector + 1
    .endr
    .noaltmacro

    .section .text.trap_common, "ax", @progbits
    .global trap_common
    .type trap_common, @function
    trap_common:
        cld
        push rax
        push rbx
        mov rax, [rsp + 16]
        cmp rax, 2
        je 3f
        cmp rax, 8
        je 3f
        test qword ptr [rsp + 40], 3
        jnz 4f
        mov rax, [rsp + 56]
        sub rax, 128
        and rax, -16
        jmp 2f
    4:
        mov rax, [rip + arch_kernel_stack_top]
    2:
        sub rax, 72
        mov rbx, [rsp + 0]
        mov [rax + 0], rbx
        mov rbx, [rsp + 8]
        mov [rax + 8], rbx
        mov rbx, [rsp + 16]
        mov [rax + 16], rbx
        mov rbx, [rsp + 24]
        mov [rax + 24], rbx
        mov rbx, [rsp + 32]
        mov [rax + 32], rbx
        mov rbx, [rsp + 40]
        mov [rax + 40], rbx
        mov rbx, [rsp + 48]
        mov [rax + 48], rbx
        mov rbx, [rsp + 56]
        mov [rax + 56], rbx
        mov rbx, [rsp + 64]
        mov [rax + 64], rbx
        mov rsp, rax
    3:
        pop rbx
        pop rax
    .global trap_save_registers
    trap_save_registers:
        push rax
        push rbx
        push rcx
        push rdx
        push rsi
        push rdi
        push rbp
        push r8
        push r9
        push r10
        push r11
        push r12
        push r13
        push r14
        push r15
        mov rdi, rsp
        push qword ptr [rdi + 17 * 8]
        push rbp
        mov rbp, rsp
        sub rsp, 512
        and rsp, -64
        fxsave64 [rsp]
        mov rsi, rsp
        call arch_trap_dispatch
        fxrstor64 [rsp]
        lea rsp, [rbp + 16]
    .global trap_restore_registers
    trap_restore_registers:
        /* A system call returning to the instruction after `syscall`
           with rcx = rip and r11 = rflags (nothing rewrote the frame)
           leaves by sysretq, which is much cheaper than iretq. sysretq
           faults in ring 0 on a non-canonical rip, so rip must lie below
           the end of user space; TF and RF take the iretq path. Any frame
           that fails a check has its vector slot cleared, which selects
           iretq after the registers are restored. */
        cmp qword ptr [rsp + 15 * 8], 256
        jne 7f
        cmp qword ptr [rsp + 18 * 8], 0x33
        jne 7f
        mov rax, [rsp + 17 * 8]
        cmp rax, [rsp + 12 * 8]
        jne 7f
        mov rcx, 0x00007ffffffff000
        cmp rax, rcx
        jae 7f
        mov rax, [rsp + 19 * 8]
        cmp rax, [rsp + 4 * 8]
        jne 7f
        test rax, 0x10100
        jz 6f
    7:
        mov qword ptr [rsp + 15 * 8], 0
    6:
        pop r15
        pop r14
        pop r13
        pop r12
        pop r11
        pop r10
        pop r9
        pop r8
        pop rbp
        pop rdi
        pop rsi
        pop rdx
        pop rcx
        pop rbx
        pop rax
        cmp qword ptr [rsp], 256
        jne 8f
        mov rsp, [rsp + 5 * 8]
        sysretq
    8:
        add rsp, 16
        iretq
    .size trap_common, . - trap_common

    .section .text.arch_enter_user, "ax", @progbits
    .global arch_enter_user
    .type arch_enter_user, @function
    arch_enter_user:
        fxrstor64 [rsi]
        mov rsp, rdi
        jmp trap_restore_registers
    .size arch_enter_user, . - arch_enter_user
    "#
);

unsafe extern "C" {
    fn arch_enter_user(frame: *const TrapFrame, fpu: *const crate::context::FpuArea) -> !;
}

/// Leaves the kernel for the context in `frame` (ring 3 normally) with the
/// FPU state `fpu`, through the same exit path as every interrupt.
///
/// # Safety
/// `frame` lies at the top of the current thread's kernel stack (the stack
/// that interrupts from user mode will use next), holds user selectors and a
/// user `rip`, and nothing on this stack is needed any more.
pub unsafe fn enter_user(frame: *const TrapFrame, fpu: &crate::context::FpuArea) -> ! {
    // SAFETY: the caller upholds the contract above.
    unsafe { arch_enter_user(frame, fpu) }
}
