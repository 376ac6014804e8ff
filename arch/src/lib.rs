//! x86_64 hardware for Courage.
//!
//! This crate owns everything that touches the processor or a legacy device
//! directly: the GDT, TSS and interrupt stacks ([`gdt`]), the IDT and the
//! entry stubs that every interrupt and exception goes through ([`idt`],
//! [`trap`]), the 8259 PIC ([`pic`]), the 16550 serial port ([`serial`]),
//! control registers and CPUID ([`cpu`]), frame-pointer backtraces
//! ([`backtrace`]) and QEMU's debug-exit device ([`qemu`]).
//!
//! It is one of the three places where `unsafe` is allowed; every `unsafe`
//! block says why it holds. Subsystem crates never depend on it: the kernel
//! image wires it to them.
//!
//! # Interrupt stacks and the red zone
//! Courage is built with `-C no-redzone`, but the precompiled `core` and
//! `alloc` are not, so any kernel function may keep live data in the 128 bytes
//! below its stack pointer. Every vector therefore enters on an IST stack,
//! where the CPU pushes its frame without touching the interrupted stack; the
//! common stub then moves that frame to the interrupted kernel stack 128 bytes
//! below its `rsp` (or to the current thread's kernel stack top when the
//! interrupt came from ring 3) and continues there, so handlers may nest and
//! later preempt. The double fault and NMI stay on their own IST stacks.
//!
//! # Locking
//! The serial port is behind a spin lock taken with interrupts disabled; the
//! crash path uses [`serial::emergency_writer`], which takes no lock.

#![cfg_attr(not(test), no_std)]
#![warn(missing_docs)]

/// The general registers pushed in [`trap::TrapFrame`] order, as assembly
/// text: shared by the trap and `syscall` entries.
macro_rules! push_general_registers {
    () => {
        "push rax
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
        push r15"
    };
}

/// The reverse of `push_general_registers!`.
macro_rules! pop_general_registers {
    () => {
        "pop r15
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
        pop rax"
    };
}

pub mod apic;
pub mod backtrace;
pub mod context;
pub mod cpu;
pub mod gdt;
pub mod i8042;
pub mod idt;
pub mod ioapic;
pub mod paging;
pub mod percpu;
pub mod pic;
pub mod pit;
pub mod qemu;
pub mod rtc;
pub mod serial;
pub mod sync;
pub mod syscall;
pub mod tlb;
pub mod trap;
pub mod usercopy;
pub mod vdso;
