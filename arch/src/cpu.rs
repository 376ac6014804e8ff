//! Control registers, CPUID and the few instructions the kernel needs.

use bit_field::BitField;
use x86_64::registers::control::{Cr0, Cr0Flags, Cr2, Cr4, Cr4Flags};

/// Halts until the next interrupt, forever, with interrupts disabled: the
/// end of the line after a fatal error.
pub fn halt_forever() -> ! {
    loop {
        x86_64::instructions::interrupts::disable();
        x86_64::instructions::hlt();
    }
}

/// Resets the processor by a triple fault: an empty interrupt table makes
/// the breakpoint exception unhandleable, which every x86 machine answers
/// with a reset. The last resort of a reboot.
pub fn triple_fault() -> ! {
    x86_64::instructions::interrupts::disable();
    let empty = x86_64::structures::DescriptorTablePointer {
        limit: 0,
        base: x86_64::VirtAddr::zero(),
    };
    // SAFETY: nothing runs after this: the next exception resets the CPU,
    // which is the point.
    unsafe {
        x86_64::instructions::tables::lidt(&empty);
        core::arch::asm!("int3", options(nomem, nostack));
    }
    halt_forever()
}

/// The address of the last page fault.
pub fn page_fault_address() -> u64 {
    Cr2::read_raw()
}

/// Enables SSE for kernel code (the precompiled `core` uses it): no x87
/// emulation, monitor coprocessor, FXSAVE/FXRSTOR and SIMD exceptions on.
///
/// The boot code does this before entering Rust; this is for processors
/// brought up later and is idempotent.
pub fn enable_sse() {
    let mut cr0 = Cr0::read();
    cr0.remove(Cr0Flags::EMULATE_COPROCESSOR | Cr0Flags::TASK_SWITCHED);
    cr0.insert(Cr0Flags::MONITOR_COPROCESSOR);
    // SAFETY: enabling the FPU/SSE unit does not change memory safety.
    unsafe { Cr0::write(cr0) };
    let mut cr4 = Cr4::read();
    cr4.insert(Cr4Flags::OSFXSR | Cr4Flags::OSXMMEXCPT_ENABLE);
    // SAFETY: as above; the kernel saves this state before its own code
    // uses the registers (on entry, or at `#NM` for a system call).
    unsafe { Cr4::write(cr4) };
}

/// CPU features the kernel cares about, read once with CPUID.
#[derive(Clone, Copy, Debug, Default)]
pub struct Features {
    /// Supervisor-mode execution prevention.
    pub smep: bool,
    /// Supervisor-mode access prevention.
    pub smap: bool,
    /// No-execute page bit.
    pub nx: bool,
    /// 1 GiB pages.
    pub huge_pages_1g: bool,
    /// RDRAND instruction.
    pub rdrand: bool,
    /// RDSEED instruction.
    pub rdseed: bool,
    /// The TSC runs at a constant rate in every P/C-state.
    pub invariant_tsc: bool,
    /// Local APIC present.
    pub apic: bool,
    /// RDTSCP instruction (and the `IA32_TSC_AUX` register it reads).
    pub rdtscp: bool,
}

fn cpuid(leaf: u32, subleaf: u32) -> core::arch::x86_64::CpuidResult {
    // CPUID is always present in long mode and has no side effects.
    core::arch::x86_64::__cpuid_count(leaf, subleaf)
}

impl Features {
    /// Reads the features of the running CPU.
    pub fn detect() -> Self {
        let max_leaf = cpuid(0, 0).eax;
        let max_extended = cpuid(0x8000_0000, 0).eax;
        let leaf1 = cpuid(1, 0);
        let leaf7 = (max_leaf >= 7).then(|| cpuid(7, 0));
        let ext1 = (max_extended >= 0x8000_0001).then(|| cpuid(0x8000_0001, 0));
        let ext7 = (max_extended >= 0x8000_0007).then(|| cpuid(0x8000_0007, 0));
        Self {
            // Bit numbers from the SDM's CPUID tables (leaf: register).
            smep: leaf7.is_some_and(|l| l.ebx.get_bit(7)),
            smap: leaf7.is_some_and(|l| l.ebx.get_bit(20)),
            rdseed: leaf7.is_some_and(|l| l.ebx.get_bit(18)),
            nx: ext1.is_some_and(|l| l.edx.get_bit(20)),
            huge_pages_1g: ext1.is_some_and(|l| l.edx.get_bit(26)),
            rdrand: leaf1.ecx.get_bit(30),
            apic: leaf1.edx.get_bit(9),
            invariant_tsc: ext7.is_some_and(|l| l.edx.get_bit(8)),
            rdtscp: ext1.is_some_and(|l| l.edx.get_bit(27)),
        }
    }
}

/// This CPU's initial local APIC id (CPUID leaf 1), usable before the
/// APIC is mapped.
pub fn initial_apic_id() -> u32 {
    cpuid(1, 0).ebx >> 24
}

/// The CPU's brand string ("QEMU TCG CPU version 2.5+"), or "" without one.
pub fn brand_string(buffer: &mut [u8; 48]) -> &str {
    if cpuid(0x8000_0000, 0).eax < 0x8000_0004 {
        return "";
    }
    for (i, leaf) in (0x8000_0002u32..=0x8000_0004).enumerate() {
        let r = cpuid(leaf, 0);
        for (j, word) in [r.eax, r.ebx, r.ecx, r.edx].into_iter().enumerate() {
            let at = i * 16 + j * 4;
            buffer[at..at + 4].copy_from_slice(&word.to_le_bytes());
        }
    }
    let end = buffer.iter().position(|&b| b == 0).unwrap_or(48);
    core::str::from_utf8(&buffer[..end]).unwrap_or("").trim()
}

/// Reads the time-stamp counter.
pub fn rdtsc() -> u64 {
    // SAFETY: RDTSC only reads a counter; CR4.TSD is clear in ring 0 anyway.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Sets `IA32_TSC_AUX`, what `rdtscp` returns in `ecx` (the vDSO's
/// `getcpu` reads it). Only call when [`Features::rdtscp`] is set.
pub fn set_tsc_aux(value: u32) {
    const IA32_TSC_AUX: u32 = 0xc000_0103;
    // SAFETY: the MSR exists when RDTSCP does (the caller checked) and only
    // feeds RDTSCP/RDPID; nothing in the kernel depends on its value.
    unsafe { x86_64::registers::model_specific::Msr::new(IA32_TSC_AUX).write(u64::from(value)) };
}

/// Turns on supervisor-mode execution and access prevention when the CPU
/// has them: the kernel then faults on executing user pages, and on touching
/// user data outside `usercopy`'s `stac`/`clac` window.
pub fn enable_smep_smap(features: &Features) {
    let mut cr4 = Cr4::read();
    if features.smep {
        cr4.insert(Cr4Flags::SUPERVISOR_MODE_EXECUTION_PROTECTION);
    }
    if features.smap {
        cr4.insert(Cr4Flags::SUPERVISOR_MODE_ACCESS_PREVENTION);
    }
    // SAFETY: the kernel half never executes or touches user pages except
    // through usercopy, which brackets the access with stac/clac.
    unsafe { Cr4::write(cr4) };
    crate::usercopy::set_smap_enabled(features.smap);
}

/// Calls `entry(argument)` on the stack whose top is `stack_top`, never to
/// return: used to leave the boot stack for a guarded one.
pub fn call_on_stack(stack_top: u64, entry: extern "C" fn(u64) -> !, argument: u64) -> ! {
    // SAFETY: the caller provides a mapped, unused stack; `entry` never
    // returns, so nothing depends on the old stack afterwards. rbp is cleared
    // so backtraces end at `entry`.
    unsafe {
        core::arch::asm!(
            "mov rsp, {top}",
            "xor ebp, ebp",
            "call {entry}",
            "ud2",
            top = in(reg) stack_top,
            entry = in(reg) entry,
            in("rdi") argument,
            options(noreturn)
        )
    }
}

/// 64 random bits from RDRAND, if the CPU has it and it delivers.
pub fn rdrand() -> Option<u64> {
    if !Features::detect().rdrand {
        return None;
    }
    #[target_feature(enable = "rdrand")]
    fn step(out: &mut u64) -> i32 {
        core::arch::x86_64::_rdrand64_step(out)
    }
    let mut value = 0;
    for _ in 0..10 {
        // SAFETY: CPUID says RDRAND exists, which is all `step` requires.
        if unsafe { step(&mut value) } == 1 {
            return Some(value);
        }
    }
    None
}

/// Reads the user-mode FS base (the TLS pointer).
pub fn fs_base() -> u64 {
    x86_64::registers::model_specific::FsBase::read().as_u64()
}

/// Sets the user-mode FS base. Non-canonical values are refused by the
/// caller (`arch_prctl` returns `EPERM`), since WRMSR would fault.
pub fn set_fs_base(base: u64) {
    x86_64::registers::model_specific::FsBase::write(x86_64::VirtAddr::new_truncate(base));
}
