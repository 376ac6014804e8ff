//! The descriptor tables and the trap entry path.

use core::sync::atomic::Ordering;

use x86_64::instructions::segmentation::{CS, SS, Segment};

use crate::ktest::{self, check, check_eq, ktest};
use crate::trap::BREAKPOINTS;

ktest! {
    fn kernel_segments_are_loaded() {
        let selectors = arch::gdt::selectors();
        check!(selectors.is_some(), "GDT not initialised");
        let selectors = selectors.unwrap_or_else(|| unreachable!());
        check_eq!(CS::get_reg(), selectors.kernel_code);
        // 64-bit mode loads a null SS on interrupts through the IST, and a
        // thread resumed by a switch inside a handler keeps it: in ring 0
        // both are valid.
        let ss = SS::get_reg();
        check!(ss == selectors.kernel_data || ss.0 == 0, "SS is {:?}", ss);
        check_eq!(selectors.user_code.0 & 3, 3);
        // sysret needs user data right before user code.
        check_eq!(selectors.user_data.0 + 8, selectors.user_code.0);
        Ok(())
    }
}

ktest! {
    fn breakpoint_is_handled_and_returns() {
        let before = BREAKPOINTS.load(Ordering::SeqCst);
        x86_64::instructions::interrupts::int3();
        x86_64::instructions::interrupts::int3();
        check_eq!(BREAKPOINTS.load(Ordering::SeqCst), before + 2);
        Ok(())
    }
}

ktest! {
    fn interrupt_preserves_general_registers() {
        let (rbx, r12, r15): (u64, u64, u64);
        // SAFETY: the asm sets registers, raises a breakpoint (handled and
        // returned from) and reads them back; rbx is saved around it.
        unsafe {
            core::arch::asm!(
                "push rbx",
                "mov rbx, 0x1111222233334444",
                "mov r12, 0x5555666677778888",
                "mov r15, 0x9999aaaabbbbcccc",
                "int3",
                "mov {rbx_out}, rbx",
                "pop rbx",
                rbx_out = out(reg) rbx,
                out("r12") r12,
                out("r15") r15,
            );
        }
        check_eq!(rbx, 0x1111_2222_3333_4444u64);
        check_eq!(r12, 0x5555_6666_7777_8888u64);
        check_eq!(r15, 0x9999_aaaa_bbbb_ccccu64);
        Ok(())
    }
}

ktest! {
    fn interrupt_does_not_touch_the_red_zone() {
        let mut intact = 0u64;
        // SAFETY: writes 16 quadwords into the 128-byte red zone below rsp,
        // which this asm block owns (no calls, no pushes), raises a
        // breakpoint, and counts the quadwords that survived.
        unsafe {
            core::arch::asm!(
                "mov rax, 0x5a5a5a5a5a5a5a5a",
                "mov rcx, 16",
                "2:",
                "mov [rsp + rcx * 8 - 136], rax",
                "dec rcx",
                "jnz 2b",
                "int3",
                "mov rcx, 16",
                "xor {count}, {count}",
                "3:",
                "cmp [rsp + rcx * 8 - 136], rax",
                "jne 4f",
                "inc {count}",
                "4:",
                "dec rcx",
                "jnz 3b",
                count = inout(reg) intact,
                out("rax") _,
                out("rcx") _,
            );
        }
        check_eq!(intact, 16);
        Ok(())
    }
}

ktest! {
    fn sse_state_survives_an_interrupt_that_uses_sse() {
        let pattern: [u64; 2] = [0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210];
        let mut after = [0u64; 2];
        let mut after15 = [0u64; 2];
        ktest::BREAKPOINT_ACTION.store(ktest::BREAKPOINT_CLOBBER_SSE, Ordering::SeqCst);
        // SAFETY: loads xmm0 and xmm15 from `pattern`, takes a breakpoint
        // whose handler overwrites them, and stores them back; the pointers
        // are to live 16-byte arrays.
        unsafe {
            core::arch::asm!(
                "movdqu xmm0, [{src}]",
                "movdqu xmm15, [{src}]",
                "int3",
                "movdqu [{dst}], xmm0",
                "movdqu [{dst15}], xmm15",
                src = in(reg) pattern.as_ptr(),
                dst = in(reg) after.as_mut_ptr(),
                dst15 = in(reg) after15.as_mut_ptr(),
                out("xmm0") _,
                out("xmm15") _,
            );
        }
        ktest::BREAKPOINT_ACTION.store(ktest::BREAKPOINT_NOTHING, Ordering::SeqCst);
        check_eq!(after, pattern);
        check_eq!(after15, pattern);
        Ok(())
    }
}

ktest! {
    fn floating_point_works_in_the_kernel() {
        // The precompiled core formats and computes floats with SSE: this
        // faults with #UD if the boot code left SSE disabled.
        let x = core::hint::black_box(1.5f64);
        let y = core::hint::black_box(2.25f64);
        check_eq!(x * y, 3.375);
        let text = crate::ktest::FixedText::format(format_args!("{:.3}", x / y));
        check_eq!(text.as_str(), "0.667");
        Ok(())
    }
}
