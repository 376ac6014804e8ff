//! The `syscall` instruction's entry.
//!
//! `syscall` arrives in ring 0 with the user stack still loaded and
//! interrupts masked (SFMASK). The entry switches to the current thread's
//! kernel stack top ([`crate::trap::set_kernel_stack_top`]), builds the same
//! seven-word frame an interrupt from ring 3 would (user SS, RSP, RFLAGS from
//! r11, CS, RIP from rcx, error 0, vector [`SYSCALL_VECTOR`]) and joins the
//! common trap path, so the kernel sees every entry from user mode as one
//! [`crate::trap::TrapFrame`] and returns through `iretq`. The syscall number
//! is in `rax`, arguments in rdi, rsi, rdx, r10, r8, r9, as on Linux.
//!
//! The entry's first instruction, `swapgs`, makes this CPU's
//! [`crate::percpu`] block reachable; the scratch slot for the user stack
//! pointer and the stack top are in it.

use x86_64::registers::model_specific::{Efer, EferFlags, LStar, SFMask, Star};
use x86_64::registers::rflags::RFlags;

use crate::gdt::Selectors;

/// The `vector` of a [`crate::trap::TrapFrame`] built by `syscall`.
pub const SYSCALL_VECTOR: u64 = 256;

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
        jmp trap_save_registers
    .size arch_syscall_entry, . - arch_syscall_entry
    "#
);

unsafe extern "C" {
    fn arch_syscall_entry();
}

/// Enables `syscall`/`sysret` and points them at the entry above.
pub fn init(selectors: &Selectors) {
    // The entry's hard-coded user selectors must match the GDT.
    assert_eq!(selectors.user_data.0, 0x2b);
    assert_eq!(selectors.user_code.0, 0x33);
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
