//! What the kernel does with each interrupt and exception.
//!
//! For now every exception in ring 0 is fatal: the kernel prints a report
//! (vector, name, error code, `rip` and `cr2` symbolised, registers and a
//! backtrace) and stops. The breakpoint is the exception: it is counted and
//! returns, which the in-kernel tests use to exercise the entry path.

use core::fmt::Write;
use core::sync::atomic::{AtomicU64, Ordering};

use arch::trap::{FpuState, TrapFrame};
use mm::{Access, FaultOutcome};

/// How many breakpoints (`int3`) the kernel has handled.
pub static BREAKPOINTS: AtomicU64 = AtomicU64::new(0);

/// Short and long names of the architectural exceptions.
pub fn exception_name(vector: u64) -> (&'static str, &'static str) {
    match vector {
        0 => ("#DE", "divide error"),
        1 => ("#DB", "debug"),
        2 => ("NMI", "non-maskable interrupt"),
        3 => ("#BP", "breakpoint"),
        4 => ("#OF", "overflow"),
        5 => ("#BR", "bound range exceeded"),
        6 => ("#UD", "invalid opcode"),
        7 => ("#NM", "device not available"),
        8 => ("#DF", "double fault"),
        9 => ("#MF", "coprocessor segment overrun"),
        10 => ("#TS", "invalid TSS"),
        11 => ("#NP", "segment not present"),
        12 => ("#SS", "stack-segment fault"),
        13 => ("#GP", "general protection fault"),
        14 => ("#PF", "page fault"),
        16 => ("#MF", "x87 floating-point error"),
        17 => ("#AC", "alignment check"),
        18 => ("#MC", "machine check"),
        19 => ("#XM", "SIMD floating-point exception"),
        20 => ("#VE", "virtualization exception"),
        21 => ("#CP", "control protection exception"),
        28 => ("#HV", "hypervisor injection exception"),
        29 => ("#VC", "VMM communication exception"),
        30 => ("#SX", "security exception"),
        15 | 22..=27 | 31 => ("#??", "reserved exception"),
        _ => ("IRQ", "interrupt"),
    }
}

/// The handler registered with `arch::trap`.
pub fn handle(frame: &mut TrapFrame, fpu: &mut FpuState) {
    // Another CPU crashed and stops this one.
    if frame.vector == 2 && crate::crash::is_crashing() {
        arch::cpu::halt_forever();
    }
    match frame.vector {
        vector @ 0..=31 if frame.from_user() => user_exception(frame, vector),
        3 => {
            BREAKPOINTS.fetch_add(1, Ordering::SeqCst);
            crate::ktest::on_breakpoint(frame, fpu);
        }
        14 => page_fault(frame),
        vector if vector == u64::from(arch::apic::TIMER_VECTOR) => {
            crate::profiler::on_tick(frame);
            crate::time::on_timer_interrupt(frame.from_user());
        }
        vector if vector == u64::from(crate::time::PIT_VECTOR) => {
            crate::profiler::on_tick(frame);
            crate::time::on_timer_interrupt(frame.from_user());
        }
        vector if vector == u64::from(arch::apic::SPURIOUS_VECTOR) => {}
        vector if vector == u64::from(arch::tlb::TLB_VECTOR) => {
            arch::tlb::service_requests();
            arch::apic::end_of_interrupt();
        }
        vector if vector == u64::from(crate::task::RESCHEDULE_VECTOR) => {
            crate::task::on_reschedule_ipi();
        }
        vector if vector == u64::from(arch::pic::PRIMARY_VECTOR_BASE + arch::serial::COM1_IRQ) => {
            crate::userland::vfs::on_serial_interrupt();
            crate::irq::end_of_interrupt(arch::serial::COM1_IRQ);
        }
        vector
            if vector == u64::from(arch::pic::PRIMARY_VECTOR_BASE + arch::i8042::KEYBOARD_IRQ) =>
        {
            crate::screen::on_keyboard_interrupt();
            crate::irq::end_of_interrupt(arch::i8042::KEYBOARD_IRQ);
        }
        0..=31 => fatal_exception(frame),
        vector => log::warn!("unexpected interrupt vector {vector}, ignored"),
    }
    if frame.from_user() && frame.vector != arch::syscall::SYSCALL_VECTOR {
        // User mode ran with interrupts on; signal work takes process locks
        // (plain spin locks), which must never be spun on with interrupts
        // off while a preempted thread holds them.
        x86_64::instructions::interrupts::enable();
        crate::userland::signals::on_return_to_user(frame, fpu);
        x86_64::instructions::interrupts::disable();
    }
}

/// An exception raised by user code: resolvable page faults are resolved;
/// anything else kills the process with the signal Linux sends.
fn user_exception(frame: &mut TrapFrame, vector: u64) {
    use crate::userland::lifecycle::fault;
    // As for system calls: the interrupted user code had interrupts on.
    let address = arch::cpu::page_fault_address();
    x86_64::instructions::interrupts::enable();
    const SIGILL: u8 = 4;
    const SIGTRAP: u8 = 5;
    const SIGBUS: u8 = 7;
    const SIGFPE: u8 = 8;
    const SIGSEGV: u8 = 11;
    if vector == 14 {
        match crate::memory::user::resolve_fault(
            address,
            fault_access(frame.error_code),
            interrupts_were_on(frame),
        ) {
            FaultOutcome::Resolved => return,
            FaultOutcome::OutOfMemory => {
                return crate::userland::lifecycle::fault_out_of_memory(frame, address);
            }
            FaultOutcome::Bus => return fault(frame, SIGBUS, 2, "bus error", Some(address)),
            FaultOutcome::Segv(code) => {
                return fault(
                    frame,
                    SIGSEGV,
                    code as i32,
                    "segmentation fault",
                    Some(address),
                );
            }
        }
    }
    // si_code values: FPE_INTDIV, TRAP_TRACE, ILL_ILLOPN, BUS_ADRERR; #GP
    // is SI_KERNEL on Linux.
    let (signal, code, what) = match vector {
        0 => (SIGFPE, 1, "divide error"),
        16 | 19 => (SIGFPE, 0, "floating-point exception"),
        1 => (SIGTRAP, 2, "single step"),
        // int3 is SI_KERNEL on Linux x86, which debuggers rely on.
        3 => (SIGTRAP, 0x80, "breakpoint"),
        6 => (SIGILL, 2, "invalid opcode"),
        12 | 17 => (SIGBUS, 2, "bus error"),
        _ => (SIGSEGV, 0x80, "general protection fault"),
    };
    fault(frame, signal, code, what, None)
}

/// The access a page-fault error code describes (bit 4: instruction
/// fetch, bit 1: write).
/// Whether the interrupted context ran with interrupts on (RFLAGS.IF).
fn interrupts_were_on(frame: &TrapFrame) -> bool {
    frame.rflags & (1 << 9) != 0
}

fn fault_access(error: u64) -> Access {
    if error & 16 != 0 {
        Access::Exec
    } else if error & 2 != 0 {
        Access::Write
    } else {
        Access::Read
    }
}

/// Resolves demand-zero and copy-on-write faults on user memory; turns a
/// failed user copy into `EFAULT` through the fixup table; anything else is
/// fatal for now (user faults will kill the process once processes exist).
fn page_fault(frame: &mut TrapFrame) {
    let address = arch::cpu::page_fault_address();
    let access = fault_access(frame.error_code);
    if address < mm::USER_SPACE_END {
        // The kernel touches user memory only inside a user copy; anything
        // else is a kernel bug (SMAP turns it into a fault), not a page to
        // fill in.
        if !frame.from_user() && arch::usercopy::fixup_for(frame.rip).is_none() {
            fatal_exception(frame)
        }
        if crate::memory::user::resolve_fault(address, access, interrupts_were_on(frame))
            == FaultOutcome::Resolved
        {
            return;
        }
        if !frame.from_user() {
            if let Some(fixup) = arch::usercopy::fixup_for(frame.rip) {
                frame.rip = fixup;
                return;
            }
        }
    }
    fatal_exception(frame)
}

fn fatal_exception(frame: &TrapFrame) -> ! {
    crate::crash::stop_other_cpus();
    let mut out = arch::serial::emergency_writer();
    let (short, long) = exception_name(frame.vector);
    let _ = writeln!(
        out,
        "\n!!! KERNEL EXCEPTION {short} {long} (vector {}), error code {:#x}",
        frame.vector, frame.error_code
    );
    if frame.vector == 14 {
        let error = frame.error_code;
        let _ = writeln!(
            out,
            "    cr2={:#018x} ({}, {}, {}{})",
            arch::cpu::page_fault_address(),
            if error & 1 != 0 {
                "protection violation"
            } else {
                "not present"
            },
            if error & 2 != 0 { "write" } else { "read" },
            if error & 4 != 0 { "user" } else { "kernel" },
            if error & 16 != 0 {
                ", instruction fetch"
            } else {
                ""
            },
        );
        if crate::memory::kstack::is_guard_page(arch::cpu::page_fault_address()) {
            let _ = writeln!(
                out,
                "    kernel stack overflow: the fault hit a stack guard page"
            );
        }
        if arch::cpu::page_fault_address() < mm::USER_SPACE_END && error & 4 == 0 {
            let _ = writeln!(
                out,
                "    kernel access to user memory outside a user copy (SMAP {})",
                if arch::usercopy::smap_enabled() {
                    "on"
                } else {
                    "off"
                }
            );
        }
        if crate::memory::protected::is_protected(arch::cpu::page_fault_address()) {
            let _ = writeln!(out, "    write to protected data outside its write window");
        }
    }
    let _ = write!(out, "    rip=");
    let _ = crate::ksyms::write_symbolised(&mut out, frame.rip);
    let _ = writeln!(
        out,
        "\n    cs={:#x} rflags={:#x} rsp={:#x} ss={:#x}",
        frame.cs, frame.rflags, frame.rsp, frame.ss
    );
    let _ = writeln!(
        out,
        "    rax={:#x} rbx={:#x} rcx={:#x} rdx={:#x}\n    rsi={:#x} rdi={:#x} rbp={:#x}\n    r8={:#x} r9={:#x} r10={:#x} r11={:#x}\n    r12={:#x} r13={:#x} r14={:#x} r15={:#x}",
        frame.rax,
        frame.rbx,
        frame.rcx,
        frame.rdx,
        frame.rsi,
        frame.rdi,
        frame.rbp,
        frame.r8,
        frame.r9,
        frame.r10,
        frame.r11,
        frame.r12,
        frame.r13,
        frame.r14,
        frame.r15
    );
    crate::ksyms::print_backtrace(&mut out, Some(frame.rip), frame.rbp);
    crate::crash::stop()
}
