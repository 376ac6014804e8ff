//! The freestanding runtime the compiler expects: `mem*`, `strlen`, and the
//! unwinding symbols that the precompiled `core` names but, with
//! `panic = "abort"`, never calls.
//!
//! The `mem*` functions are assembly so that the optimiser cannot turn their
//! loops back into calls to themselves. They move quadwords (`rep movsq`,
//! `rep stosq`) and only the last few bytes one by one: QEMU's TCG runs
//! every iteration of a `rep` string instruction as a separate step, so
//! byte moves cost eight times as many (a page fault's zeroing, a fork's
//! copies, every signal frame).

core::arch::global_asm!(
    r#"
    .section .text.memcpy, "ax", @progbits
    .global memcpy
    .type memcpy, @function
    memcpy:
        mov rax, rdi
        mov rcx, rdx
        shr rcx, 3
        rep movsq
        mov ecx, edx
        and ecx, 7
        rep movsb
        ret
    .size memcpy, . - memcpy

    .section .text.memmove, "ax", @progbits
    .global memmove
    .type memmove, @function
    memmove:
        mov rax, rdi
        cmp rdi, rsi
        jbe 2f
        lea r8, [rsi + rdx]
        cmp rdi, r8
        jae 2f
        /* Overlapping with the destination above: copy backwards, the
           quadwords from the end first, then the head bytes. */
        lea rsi, [rsi + rdx - 8]
        lea rdi, [rdi + rdx - 8]
        mov rcx, rdx
        shr rcx, 3
        std
        rep movsq
        add rsi, 7
        add rdi, 7
        mov ecx, edx
        and ecx, 7
        rep movsb
        cld
        ret
    2:
        mov rcx, rdx
        shr rcx, 3
        rep movsq
        mov ecx, edx
        and ecx, 7
        rep movsb
        ret
    .size memmove, . - memmove

    .section .text.memset, "ax", @progbits
    .global memset
    .type memset, @function
    memset:
        mov r8, rdi
        movzx eax, sil
        mov r9, 0x0101010101010101
        imul rax, r9
        mov rcx, rdx
        shr rcx, 3
        rep stosq
        mov ecx, edx
        and ecx, 7
        rep stosb
        mov rax, r8
        ret
    .size memset, . - memset

    .section .text.memcmp, "ax", @progbits
    .global memcmp
    .global bcmp
    .type memcmp, @function
    .type bcmp, @function
    memcmp:
    bcmp:
        xor eax, eax
        mov rcx, rdx
        test rcx, rcx
        jz 3f
        repe cmpsb
        je 3f
        movzx eax, byte ptr [rdi - 1]
        movzx ecx, byte ptr [rsi - 1]
        sub eax, ecx
    3:
        ret
    .size memcmp, . - memcmp

    .section .text.strlen, "ax", @progbits
    .global strlen
    .type strlen, @function
    strlen:
        mov rdx, rdi
        xor eax, eax
        mov rcx, -1
        repne scasb
        sub rdi, rdx
        lea rax, [rdi - 1]
        ret
    .size strlen, . - strlen
    "#
);

/// Named by the precompiled `core`; never called because panics abort.
#[unsafe(no_mangle)]
extern "C" fn rust_eh_personality() {}

/// Named by the precompiled `core`; never called because panics abort.
#[unsafe(no_mangle)]
extern "C" fn _Unwind_Resume() -> ! {
    arch::cpu::halt_forever()
}
