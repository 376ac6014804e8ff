//! The `syscall` instruction's entry.
//!
//! `syscall` arrives in ring 0 with the user stack still loaded and
//! interrupts masked (SFMASK). The entry switches to the current thread's
//! kernel stack top ([`crate::trap::set_kernel_stack_top`]) and builds the
//! same frame an interrupt from ring 3 would (user SS, RSP, RFLAGS from
//! r11, CS, RIP from rcx, error 0, vector [`SYSCALL_VECTOR`], then every
//! general register: one [`crate::trap::TrapFrame`]), and calls the
//! registered handler ([`set_handler`]) directly. The syscall number is in
//! `rax`, arguments in rdi, rsi, rdx, r10, r8, r9, as on Linux. It leaves
//! through the common exit, by `sysretq` when nothing rewrote the frame.
//!
//! The user's SSE state is not saved on the way in: the entry sets CR0.TS
//! and leaves the registers to the user. Kernel code that touches an `xmm`
//! register (or MXCSR, or runs `fxsave`, as every context switch does)
//! first raises `#NM`, whose handler saves them into the call's
//! [`crate::trap::FpuState`], clears TS and lets it go on; a call that
//! never does returns with one `clts` and no save or restore at all. So
//! the state is saved exactly when kernel code is about to need the
//! registers, as the hardware sees it, not as a build's code generation
//! might; and before a thread leaves the CPU (the switch's `fxsave`), so
//! no other context ever runs with another's registers live. Only this
//! entry sets TS: interrupts and exceptions still save eagerly.
//!
//! The entry's first instruction, `swapgs`, makes this CPU's
//! [`crate::percpu`] block reachable; the scratch slot for the user stack
//! pointer, the stack top, the CR0 value to load and the slot naming the
//! call's FPU area are in it.

use core::sync::atomic::{AtomicPtr, Ordering};

use x86_64::registers::control::{Cr0, Cr0Flags};
use x86_64::registers::model_specific::{Efer, EferFlags, LStar, SFMask, Star};
use x86_64::registers::rflags::RFlags;

use crate::gdt::Selectors;
use crate::percpu::{SYSCALL_CR0_OFFSET, SYSCALL_FPU_OFFSET};
use crate::trap::{FpuState, LIVE_FLAG_OFFSET, TrapFrame};

/// The `vector` of a [`crate::trap::TrapFrame`] built by `syscall`.
pub const SYSCALL_VECTOR: u64 = 256;

/// The kernel's system-call handler: the caller's registers, and its FPU
/// state, which may still be live in the CPU (see the module docs; the
/// [`FpuState`] methods save it before they read or replace it). It runs
/// with interrupts enabled.
pub type SyscallHandler = extern "C" fn(&mut TrapFrame, &mut FpuState);

/// The handler the entry calls, through this pointer (one indirect call).
static HANDLER: AtomicPtr<()> = AtomicPtr::new(no_handler as *mut ());

/// A `syscall` before the kernel registered its handler: `ENOSYS`.
extern "C" fn no_handler(frame: &mut TrapFrame, _fpu: &mut FpuState) {
    frame.rax = abi::Errno::ENOSYS.to_syscall_return() as u64;
}

/// Registers the kernel's system-call handler.
pub fn set_handler(handler: SyscallHandler) {
    HANDLER.store(handler as *mut (), Ordering::Release);
}

core::arch::global_asm!(
    r#"
    .section .text.arch_syscall_entry, "ax", @progbits
    .global arch_syscall_entry
    .type arch_syscall_entry, @function
    arch_syscall_entry:
        swapgs
        mov gs:[16], rsp
        mov rsp, gs:[8]
        push 0x2b
        push qword ptr gs:[16]
        push r11
        push 0x33
        push rcx
        push 0
        push 256
    "#,
    push_general_registers!(),
    r#"
        /* The frame link, as trap_common builds it: backtraces run on
           into the user rip. */
        push rcx
        push rbp
        mov rbp, rsp
        /* The FPU area, 64-byte aligned as the stack top is (see
           trap::set_kernel_stack_top): 24 words below it, 576 bytes. */
        sub rsp, 576
        mov byte ptr [rsp + {live_flag}], {live}
        mov gs:[{syscall_fpu}], rsp
        mov rax, gs:[{syscall_cr0}]
        mov cr0, rax
        lea rdi, [rbp + 16]
        mov rsi, rsp
        /* The handler runs with interrupts on, and returns with them off. */
        sti
        call qword ptr [rip + {handler}]
        cli
        /* Anything but a state still live leaves the common way. */
        cmp byte ptr [rsp + {live_flag}], {live}
        jne trap_restore_fpu
        /* Nothing touched the user's SSE registers: they are still live. */
        clts
        lea rsp, [rbp + 16]
        /* sysretq's conditions, as trap_restore_registers checks them
           (less the vector: this frame is a syscall's); a frame that
           fails one leaves the common way, which finds the same and
           takes iretq. */
        cmp qword ptr [rsp + 18 * 8], 0x33
        jne trap_restore_registers
        mov rax, [rsp + 17 * 8]
        cmp rax, [rsp + 12 * 8]
        jne trap_restore_registers
        mov rcx, 0x00007ffffffff000
        cmp rax, rcx
        jae trap_restore_registers
        mov rax, [rsp + 19 * 8]
        cmp rax, [rsp + 4 * 8]
        jne trap_restore_registers
        test rax, 0x10100
        jnz trap_restore_registers
    "#,
    pop_general_registers!(),
    r#"
        mov rsp, [rsp + 5 * 8]
        swapgs
        sysretq
    .size arch_syscall_entry, . - arch_syscall_entry
    "#,
    live_flag = const LIVE_FLAG_OFFSET,
    live = const crate::trap::LIVE,
    syscall_fpu = const SYSCALL_FPU_OFFSET,
    syscall_cr0 = const SYSCALL_CR0_OFFSET,
    handler = sym HANDLER,
);

unsafe extern "C" {
    fn arch_syscall_entry();
}

/// Enables `syscall`/`sysret` and points them at the entry above.
pub fn init(selectors: &Selectors) {
    // The entry's hard-coded user selectors must match the GDT.
    assert_eq!(selectors.user_data.0, 0x2b);
    assert_eq!(selectors.user_code.0, 0x33);
    // What the entry loads into CR0, in place before any `syscall` can
    // arrive (CR0 is not changed after boot).
    crate::percpu::set_syscall_cr0((Cr0::read() | Cr0Flags::TASK_SWITCHED).bits());
    // SAFETY: the selectors are those of the loaded GDT, the entry point is
    // the stub above, and masking IF/TF/DF/AC/NT gives it a clean state.
    unsafe {
        Star::write(
            selectors.user_code,
            selectors.user_data,
            selectors.kernel_code,
            selectors.kernel_data,
        )
        .expect("GDT order fits sysret");
        LStar::write(x86_64::VirtAddr::new(
            arch_syscall_entry as *const () as u64,
        ));
        SFMask::write(
            RFlags::INTERRUPT_FLAG
                | RFlags::TRAP_FLAG
                | RFlags::DIRECTION_FLAG
                | RFlags::ALIGNMENT_CHECK
                | RFlags::NESTED_TASK,
        );
        Efer::update(|flags| flags.insert(EferFlags::SYSTEM_CALL_EXTENSIONS));
    }
}
