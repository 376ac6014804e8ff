//! The first instructions: both boot headers, the 32-bit entry points, early
//! page tables, the switch to long mode and the jump to the higher half.
//!
//! QEMU's `-kernel` finds `pvh_start` through the PVH ELF note and enters it
//! in 32-bit protected mode with `ebx` = physical address of
//! `hvm_start_info`. GRUB finds the multiboot2 header and enters
//! `multiboot2_start` (the ELF entry) with `eax` = the multiboot2 magic and
//! `ebx` = the info structure. Both record (protocol, info address), then
//! share one path:
//!
//! 1. check for long mode (and NX) with CPUID, or print why not and halt;
//! 2. build page tables in `.boot.bss`: the first 4 GiB identity-mapped and
//!    again at the direct-map base `PHYSICAL_MEMORY_OFFSET`, and the first
//!    1 GiB at the kernel base `KERNEL_VMA`, all with 2 MiB pages;
//! 3. enable PAE, SSE (`core` needs it), long mode, NX, paging and
//!    write-protect, and far-jump into 64-bit code;
//! 4. jump to the higher half, switch to the boot stack with `rbp = 0` (the
//!    end of every backtrace) and call `kernel_entry(protocol, info)`.
//!
//! The loader zeroes `.boot.bss` and `.bss`; nothing here clears them, so
//! boot information a loader placed anywhere is not destroyed before the
//! kernel copies it.

/// Boot protocol numbers passed to `kernel_entry`.
pub const PROTOCOL_PVH: u32 = 1;
/// See [`PROTOCOL_PVH`].
pub const PROTOCOL_MULTIBOOT2: u32 = 2;

/// Where all physical memory is mapped in the kernel half (the first 4 GiB
/// by the boot tables below; all of it once the memory manager runs).
pub const PHYSICAL_MEMORY_OFFSET: u64 = arch::paging::PHYSICAL_MEMORY_OFFSET;

/// Where the kernel image is linked: the top 2 GiB (`-C code-model=kernel`).
pub const KERNEL_VMA: u64 = 0xffff_ffff_8000_0000;

/// Bytes of the boot CPU's kernel stack: parsing boot information keeps
/// two 12 KiB `BootInfo`s and their scratch space on it in debug builds.
pub const BOOT_STACK_SIZE: usize = 256 * 1024;

#[repr(C, align(64))]
struct BootStack([u8; BOOT_STACK_SIZE]);

#[unsafe(export_name = "boot_kernel_stack")]
static mut BOOT_STACK: BootStack = BootStack([0; BOOT_STACK_SIZE]);

/// The top of the boot CPU's kernel stack.
pub fn boot_stack_top() -> u64 {
    (&raw const BOOT_STACK) as u64 + BOOT_STACK_SIZE as u64
}

core::arch::global_asm!(
    r#"
    .set MULTIBOOT2_MAGIC, 0xe85250d6
    .set MULTIBOOT2_LOADER_MAGIC, 0x36d76289
    .set KERNEL_VMA, 0xffffffff80000000
    .set COM1, 0x3f8

    /* ---- multiboot2 header: first thing in the image ---- */
    .section .boot.header, "a", @progbits
    .balign 8
    multiboot2_header:
        .long MULTIBOOT2_MAGIC
        .long 0                                  /* i386 protected mode */
        .long multiboot2_header_end - multiboot2_header
        .long 0x100000000 - (MULTIBOOT2_MAGIC + (multiboot2_header_end - multiboot2_header))
        .balign 8                                /* framebuffer tag, optional: */
        .short 5                                 /* a linear 1024x768x32 mode for */
        .short 1                                 /* the screen console; text mode */
        .long 20                                 /* or none is fine too */
        .long 1024
        .long 768
        .long 32
        .balign 8                                /* end tag */
        .short 0
        .short 0
        .long 8
    multiboot2_header_end:

    /* ---- PVH note: XEN_ELFNOTE_PHYS32_ENTRY (18), 4-byte aligned ---- */
    .section .note.Xen, "a", @note
    .balign 4
        .long 4
        .long 4
        .long 18
        .asciz "Xen"
        .balign 4
        .long pvh_start
        .balign 4

    /* ---- page tables and the 32-bit stack ---- */
    .section .boot.bss, "aw", @nobits
    .balign 4096
    .global boot_pml4
    boot_pml4:          .skip 4096
    boot_pdpt_low:      .skip 4096
    boot_pdpt_high:     .skip 4096
    boot_pd:            .skip 4096 * 4
    boot_stack32:       .skip 4096
    boot_stack32_top:

    .section .boot.data, "aw", @progbits
    .balign 8
    boot_gdt:
        .quad 0
        .quad 0x00af9a000000ffff                 /* 0x08: 64-bit code */
        .quad 0x00cf92000000ffff                 /* 0x10: data */
    boot_gdt_pointer:
        .short boot_gdt_pointer - boot_gdt - 1
        .long boot_gdt
    .balign 4
    boot_protocol:      .long 0
    boot_info_address:  .long 0
    boot_no_long_mode:  .asciz "Courage needs an x86_64 (long mode) processor.\r\n"

    .section .boot.text, "ax", @progbits
    .code32
    .global pvh_start
    pvh_start:
        mov dword ptr [boot_protocol], 1
        mov dword ptr [boot_info_address], ebx
        jmp boot_common32

    .global multiboot2_start
    multiboot2_start:
        cmp eax, MULTIBOOT2_LOADER_MAGIC
        jne boot_halt
        mov dword ptr [boot_protocol], 2
        mov dword ptr [boot_info_address], ebx
        jmp boot_common32

    boot_common32:
        cli
        cld
        mov esp, offset boot_stack32_top

        /* Long mode? Remember NX support in ebp. */
        mov eax, 0x80000000
        cpuid
        cmp eax, 0x80000001
        jb boot_fail_no_long_mode
        mov eax, 0x80000001
        cpuid
        test edx, 1 << 29
        jz boot_fail_no_long_mode
        mov ebp, edx

        /* Clear the tables (the loader did, but be sure). */
        mov edi, offset boot_pml4
        mov ecx, (4096 * 7) / 4
        xor eax, eax
        rep stosd

        /* PML4: [0] identity, [256] direct map, [511] kernel. */
        mov eax, offset boot_pdpt_low
        or eax, 3
        mov dword ptr [boot_pml4], eax
        mov dword ptr [boot_pml4 + 256 * 8], eax
        mov eax, offset boot_pdpt_high
        or eax, 3
        mov dword ptr [boot_pml4 + 511 * 8], eax

        /* PDPT low: four directories for 4 GiB. */
        mov eax, offset boot_pd
        or eax, 3
        mov dword ptr [boot_pdpt_low], eax
        add eax, 4096
        mov dword ptr [boot_pdpt_low + 8], eax
        add eax, 4096
        mov dword ptr [boot_pdpt_low + 16], eax
        add eax, 4096
        mov dword ptr [boot_pdpt_low + 24], eax

        /* PDPT high: -2 GiB maps physical 0..1 GiB. */
        mov eax, offset boot_pd
        or eax, 3
        mov dword ptr [boot_pdpt_high + 510 * 8], eax

        /* 2048 two-MiB pages: present, writable, huge. */
        mov edi, offset boot_pd
        xor ecx, ecx
    5:
        mov eax, ecx
        shl eax, 21
        or eax, 0x83
        mov dword ptr [edi + ecx * 8], eax
        inc ecx
        cmp ecx, 2048
        jb 5b

        /* CR4: PAE, OSFXSR, OSXMMEXCPT. */
        mov eax, cr4
        or eax, (1 << 5) | (1 << 9) | (1 << 10)
        mov cr4, eax

        mov eax, offset boot_pml4
        mov cr3, eax

        /* EFER: LME, and NXE when the CPU has NX. */
        mov ecx, 0xc0000080
        rdmsr
        or eax, 1 << 8
        test ebp, 1 << 20
        jz 2f
        or eax, 1 << 11
    2:
        wrmsr

        /* CR0: PE, MP, WP, PG; EM and TS clear (SSE usable). */
        mov eax, cr0
        and eax, ~((1 << 2) | (1 << 3))
        or eax, (1 << 0) | (1 << 1) | (1 << 16) | (1 << 31)
        mov cr0, eax

        lgdt [boot_gdt_pointer]
        /* ljmp 0x08:boot_long_mode */
        .byte 0xea
        .long boot_long_mode
        .short 0x08

    boot_fail_no_long_mode:
        mov esi, offset boot_no_long_mode
        mov dx, COM1
    3:
        lodsb
        test al, al
        jz boot_halt
        out dx, al
        jmp 3b

    boot_halt:
        cli
        hlt
        jmp boot_halt

    .code64
    boot_long_mode:
        mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        xor eax, eax
        mov fs, ax
        mov gs, ax
        movabs rax, offset boot_higher_half
        jmp rax

    .section .text.boot_higher_half, "ax", @progbits
    boot_higher_half:
        lea rsp, [rip + boot_kernel_stack + {stack_size}]
        xor ebp, ebp
        mov edi, dword ptr [boot_protocol]
        mov esi, dword ptr [boot_info_address]
        call kernel_entry
        ud2
    "#,
    stack_size = const BOOT_STACK_SIZE,
);
