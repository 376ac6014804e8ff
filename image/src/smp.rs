//! Starting the application processors.
//!
//! The MADT lists the processors ([`power::processors`]); `cpus=N` and
//! `nosmp` cap them. Each one is started in turn with INIT, then two
//! STARTUP IPIs (the Intel SDM's universal start-up algorithm), at a
//! 16-bit trampoline copied to [`TRAMPOLINE_PAGE`]. The trampoline enters
//! protected mode with its own small GDT and jumps to `ap_start32` in the
//! boot section, which, like the boot processor's path, enables PAE, long
//! mode and paging on the boot page tables (still intact: they identity
//! map the first 4 GiB and the kernel image) and reaches `ap_higher_half`,
//! which loads the kernel page table and the stack the boot processor
//! prepared and calls [`ap_entry`]. The new CPU then sets up its per-CPU
//! block, GDT and TSS (with guarded IST stacks), IDT, `syscall` MSRs,
//! local APIC and tick, reports in, and becomes the idle thread of its
//! run queue ([`crate::task::cpu_online`]).
//!
//! One processor starts at a time: the boot variables below are shared.

use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use arch::paging::phys_to_virt;

use crate::memory::kstack::KernelStack;

/// The physical page the trampoline runs from (below 1 MiB, page-aligned,
/// kept out of the frame allocator).
pub const TRAMPOLINE_PAGE: u64 = 0x8000;

/// The kernel page table's root, loaded by `ap_higher_half`.
#[unsafe(export_name = "ap_boot_cr3")]
static AP_BOOT_CR3: AtomicU64 = AtomicU64::new(0);
/// The stack `ap_entry` starts on (the idle thread's).
#[unsafe(export_name = "ap_boot_stack")]
static AP_BOOT_STACK: AtomicU64 = AtomicU64::new(0);
/// The CPU index being started.
static AP_INDEX: AtomicU32 = AtomicU32::new(0);
/// Its idle thread.
static AP_IDLE: AtomicU64 = AtomicU64::new(0);
/// Its IST stack tops.
static AP_IST: [AtomicU64; 3] = [const { AtomicU64::new(0) }; 3];
/// Set by the new CPU once it is up.
static AP_ARRIVED: AtomicBool = AtomicBool::new(false);

core::arch::global_asm!(
    r#"
    .section .boot.text, "ax", @progbits
    .code16
    /* Fixed layout (the assembler cannot subtract labels in an address):
       a jump at 0, the GDT at 8, its pointer at 40, code after. The CPU
       starts with CS = page >> 4, IP = 0. */
    .balign 16
    .global ap_trampoline_start
    ap_trampoline_start:
        jmp 1f
    .balign 8
    ap_trampoline_gdt:
        .quad 0
        .quad 0x00cf9a000000ffff                 /* 0x08: 32-bit code */
        .quad 0x00cf92000000ffff                 /* 0x10: data */
        .quad 0x00af9a000000ffff                 /* 0x18: 64-bit code */
    .global ap_trampoline_gdt_pointer
    ap_trampoline_gdt_pointer:
        .short 31
        .long {page} + 8
    1:
        cli
        cld
        mov ax, cs
        mov ds, ax
        lgdt [40]
        mov eax, cr0
        or eax, 1
        mov cr0, eax
        /* ljmpl 0x08:ap_start32 */
        .byte 0x66, 0xea
        .long ap_start32
        .short 0x08
    .global ap_trampoline_end
    ap_trampoline_end:

    .code32
    ap_start32:
        mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        /* CR4: PAE, OSFXSR, OSXMMEXCPT. */
        mov eax, cr4
        or eax, (1 << 5) | (1 << 9) | (1 << 10)
        mov cr4, eax
        mov eax, offset boot_pml4
        mov cr3, eax
        /* EFER: LME, and NXE when the CPU has NX. */
        mov eax, 0x80000001
        cpuid
        mov ebp, edx
        mov ecx, 0xc0000080
        rdmsr
        or eax, 1 << 8
        test ebp, 1 << 20
        jz 2f
        or eax, 1 << 11
    2:
        wrmsr
        /* CR0: PE, MP, WP, PG; EM and TS clear. */
        mov eax, cr0
        and eax, ~((1 << 2) | (1 << 3))
        or eax, (1 << 0) | (1 << 1) | (1 << 16) | (1 << 31)
        mov cr0, eax
        /* ljmp 0x18:ap_long_mode */
        .byte 0xea
        .long ap_long_mode
        .short 0x18

    .code64
    ap_long_mode:
        mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        xor eax, eax
        mov fs, ax
        mov gs, ax
        movabs rax, offset ap_higher_half
        jmp rax

    .section .text.ap_higher_half, "ax", @progbits
    ap_higher_half:
        mov rax, [rip + ap_boot_cr3]
        mov cr3, rax
        mov rsp, [rip + ap_boot_stack]
        xor ebp, ebp
        call ap_entry
        ud2
    "#,
    page = const TRAMPOLINE_PAGE,
);

unsafe extern "C" {
    static ap_trampoline_start: u8;
    static ap_trampoline_gdt_pointer: u8;
    static ap_trampoline_end: u8;
}

/// The CPUs to run on, as APIC ids, the boot CPU first.
pub fn processors(info: &boot::BootInfo, limit: Option<u32>) -> Vec<u32> {
    let boot = arch::cpu::initial_apic_id();
    let limit = limit.map_or(arch::percpu::MAX_CPUS, |l| l as usize);
    let limit = limit.min(arch::percpu::MAX_CPUS);
    let entries = match crate::power::acpi_tables(info) {
        Ok(tables) => match tables.find_table::<power::acpi::madt::Madt>() {
            Ok(madt) => power::processors::madt_entries(madt.get()),
            Err(_) => Vec::new(),
        },
        Err(_) => Vec::new(),
    };
    power::processors::usable_processors(entries, boot, limit)
}

/// Starts every processor of `apic_ids` but the first (the boot CPU, index
/// 0), giving them indexes in order; returns how many CPUs run.
pub fn start_application_processors(apic_ids: &[u32]) -> u32 {
    if apic_ids.len() <= 1 {
        return 1;
    }
    install_trampoline();
    let root = crate::memory::kernel_space::root_physical();
    AP_BOOT_CR3.store(root, Ordering::SeqCst);
    let mut running = 1;
    for (index, &apic_id) in apic_ids.iter().enumerate().skip(1) {
        match start_one(index as u32, apic_id) {
            Ok(()) => running += 1,
            Err(why) => log::warn!("CPU {index} (APIC {apic_id}) did not start: {why}"),
        }
    }
    running
}

fn install_trampoline() {
    let start = (&raw const ap_trampoline_start) as usize;
    let end = (&raw const ap_trampoline_end) as usize;
    assert!(end - start <= 4096, "the AP trampoline fits a page");
    assert_eq!(
        (&raw const ap_trampoline_gdt_pointer) as usize - start,
        40,
        "the trampoline's GDT pointer is where its lgdt reads it"
    );
    // SAFETY: the trampoline's bytes are in the boot section (identity
    // linked, mapped at the same physical address through the direct map);
    // TRAMPOLINE_PAGE is reserved from the allocator and mapped writable
    // in the direct map.
    unsafe {
        core::ptr::copy_nonoverlapping(
            phys_to_virt(start as u64) as *const u8,
            phys_to_virt(TRAMPOLINE_PAGE) as *mut u8,
            end - start,
        );
    }
}

fn start_one(index: u32, apic_id: u32) -> Result<(), &'static str> {
    let idle_stack = KernelStack::new().map_err(|_| "no memory for its stack")?;
    let top = idle_stack.top();
    let mut ist = [0u64; 3];
    for slot in &mut ist {
        let stack = KernelStack::new().map_err(|_| "no memory for its interrupt stacks")?;
        *slot = stack.top();
        // The CPU uses them for as long as the machine runs.
        core::mem::forget(stack);
    }
    let idle = crate::task::prepare_idle(index, idle_stack).map_err(|_| "no idle thread")?;
    AP_INDEX.store(index, Ordering::SeqCst);
    AP_IDLE.store(idle, Ordering::SeqCst);
    for (slot, top) in AP_IST.iter().zip(ist) {
        slot.store(top, Ordering::SeqCst);
    }
    AP_BOOT_STACK.store(top, Ordering::SeqCst);
    AP_ARRIVED.store(false, Ordering::SeqCst);

    arch::apic::send_init(apic_id);
    arch::pit::busy_wait_us(10_000);
    let page = (TRAMPOLINE_PAGE >> 12) as u8;
    for _ in 0..2 {
        arch::apic::send_startup(apic_id, page);
        arch::pit::busy_wait_us(200);
        if AP_ARRIVED.load(Ordering::SeqCst) {
            return Ok(());
        }
    }
    // Under emulation a CPU may take a while: wait up to a second.
    for _ in 0..1000 {
        if AP_ARRIVED.load(Ordering::SeqCst) {
            return Ok(());
        }
        arch::pit::busy_wait_us(1000);
    }
    Err("no answer to INIT-SIPI-SIPI")
}

/// The first Rust code of an application processor, on its idle thread's
/// stack, with the kernel page table loaded and interrupts off.
#[unsafe(no_mangle)]
extern "C" fn ap_entry() -> ! {
    let index = AP_INDEX.load(Ordering::SeqCst);
    arch::percpu::init(index, arch::cpu::initial_apic_id());
    let ist = [
        AP_IST[0].load(Ordering::SeqCst),
        AP_IST[1].load(Ordering::SeqCst),
        AP_IST[2].load(Ordering::SeqCst),
    ];
    let stack_top = AP_BOOT_STACK.load(Ordering::SeqCst);
    let selectors = arch::gdt::init_cpu(index, ist, stack_top);
    arch::idt::init();
    arch::trap::set_kernel_stack_top(stack_top);
    crate::memory::kernel_space::activate_on_this_cpu();
    arch::syscall::init(&selectors);
    arch::apic::init_secondary();
    let features = arch::cpu::Features::detect();
    if features.rdtscp {
        arch::cpu::set_tsc_aux(index);
    }
    // Before any user thread runs here.
    crate::userland::vdso::check_tsc_order(arch::cpu::rdtsc());
    crate::time::start_secondary_tick();
    arch::percpu::set_online();
    let idle = AP_IDLE.load(Ordering::SeqCst);
    AP_ARRIVED.store(true, Ordering::SeqCst);
    crate::task::cpu_online(index, idle)
}
