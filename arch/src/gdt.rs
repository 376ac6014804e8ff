//! The global descriptor table, the task-state segment and the IST stacks.
//!
//! Segment order is fixed by `syscall`/`sysret`: kernel code, kernel data,
//! then user data before user code (`sysret` loads SS from STAR+8 and CS from
//! STAR+16).

use spin::Once;
use x86_64::VirtAddr;
use x86_64::instructions::segmentation::{CS, DS, ES, SS, Segment};
use x86_64::instructions::tables::load_tss;
use x86_64::structures::gdt::{Descriptor, GlobalDescriptorTable, SegmentSelector};
use x86_64::structures::tss::TaskStateSegment;

/// TSS slot (0-based) of the stack every ordinary vector enters on.
pub const IST_INTERRUPT: usize = 0;
/// TSS slot of the double-fault stack.
pub const IST_DOUBLE_FAULT: usize = 1;
/// TSS slot of the NMI stack.
pub const IST_NMI: usize = 2;

const IST_STACK_SIZE: usize = 16 * 1024;
const PAGE: usize = 4096;

/// A boot-CPU IST stack with a page below it that the kernel page table
/// leaves unmapped ([`boot_ist_guard_pages`]): an overflow faults instead of
/// overwriting the next static.
#[repr(C, align(4096))]
struct IstStack {
    guard: [u8; PAGE],
    stack: [u8; IST_STACK_SIZE],
}

// Written only by the CPU while it delivers an interrupt; Rust code only
// takes the address.
static mut IST_STACKS: [IstStack; 3] = [const {
    IstStack {
        guard: [0; PAGE],
        stack: [0; IST_STACK_SIZE],
    }
}; 3];

/// The guard pages under the boot CPU's static IST stacks (kernel-image
/// addresses), for the kernel page table to leave unmapped. The other
/// CPUs' IST stacks are guarded kernel stacks.
pub fn boot_ist_guard_pages() -> [u64; 3] {
    // SAFETY: only addresses are taken; no reference to the mutable static
    // is created.
    [0, 1, 2].map(|slot| unsafe { (&raw const IST_STACKS[slot].guard) as u64 })
}

/// The selectors the rest of the kernel needs.
#[derive(Clone, Copy, Debug)]
pub struct Selectors {
    /// Ring-0 code.
    pub kernel_code: SegmentSelector,
    /// Ring-0 data and stack.
    pub kernel_data: SegmentSelector,
    /// Ring-3 data and stack (RPL 3).
    pub user_data: SegmentSelector,
    /// Ring-3 64-bit code (RPL 3).
    pub user_code: SegmentSelector,
    /// The task-state segment.
    pub tss: SegmentSelector,
}

/// One TSS per CPU (its IST stacks differ).
static TSS: [Once<TaskStateSegment>; crate::percpu::MAX_CPUS] =
    [const { Once::new() }; crate::percpu::MAX_CPUS];
/// Null, kernel code and data, a spare, user code (32-bit), user data,
/// user code (64-bit), and the TSS's two slots.
const GDT_ENTRIES: usize = 9;

/// One GDT per CPU, since each names its own TSS; the selectors are the
/// same in all.
static GDT: [Once<(GlobalDescriptorTable<GDT_ENTRIES>, Selectors)>; crate::percpu::MAX_CPUS] =
    [const { Once::new() }; crate::percpu::MAX_CPUS];

fn ist_top(slot: usize) -> VirtAddr {
    // SAFETY: only the address is taken; no reference to the mutable static
    // is created.
    let base = unsafe { (&raw const IST_STACKS[slot].stack) as u64 };
    VirtAddr::new(base + IST_STACK_SIZE as u64)
}

/// Builds and loads the boot CPU's GDT and TSS (with static IST stacks)
/// and reloads every segment register. `kernel_stack_top` becomes RSP0,
/// the stack used if anything ever enters ring 0 without an IST.
pub fn init(kernel_stack_top: u64) -> Selectors {
    init_cpu(
        0,
        [
            ist_top(IST_INTERRUPT).as_u64(),
            ist_top(IST_DOUBLE_FAULT).as_u64(),
            ist_top(IST_NMI).as_u64(),
        ],
        kernel_stack_top,
    )
}

/// Builds and loads CPU `index`'s GDT and TSS, with `ist_tops` as its
/// interrupt, double-fault and NMI stacks (in [`IST_INTERRUPT`] order),
/// and reloads every segment register. Once per CPU.
pub fn init_cpu(index: u32, ist_tops: [u64; 3], kernel_stack_top: u64) -> Selectors {
    let tss = TSS[index as usize].call_once(|| {
        let mut tss = TaskStateSegment::new();
        tss.interrupt_stack_table[IST_INTERRUPT] = VirtAddr::new(ist_tops[IST_INTERRUPT]);
        tss.interrupt_stack_table[IST_DOUBLE_FAULT] = VirtAddr::new(ist_tops[IST_DOUBLE_FAULT]);
        tss.interrupt_stack_table[IST_NMI] = VirtAddr::new(ist_tops[IST_NMI]);
        tss.privilege_stack_table[0] = VirtAddr::new(kernel_stack_top);
        tss
    });
    let (gdt, selectors) = GDT[index as usize].call_once(|| {
        let mut gdt = GlobalDescriptorTable::<GDT_ENTRIES>::empty();
        // Linux's user selectors (debuggers and core files read `cs`:
        // 0x33 means 64-bit): a 32-bit user code segment at 0x23 (never
        // loaded; it anchors sysret's selector arithmetic), user data at
        // 0x2b, 64-bit user code at 0x33.
        let kernel_code = gdt.append(Descriptor::kernel_code_segment());
        let kernel_data = gdt.append(Descriptor::kernel_data_segment());
        gdt.append(Descriptor::kernel_data_segment());
        gdt.append(Descriptor::UserSegment(
            x86_64::structures::gdt::DescriptorFlags::USER_CODE32.bits(),
        ));
        let user_data = gdt.append(Descriptor::user_data_segment());
        let user_code = gdt.append(Descriptor::user_code_segment());
        let tss = gdt.append(Descriptor::tss_segment(tss));
        let selectors = Selectors {
            kernel_code,
            kernel_data,
            user_data,
            user_code,
            tss,
        };
        (gdt, selectors)
    });
    gdt.load();
    // SAFETY: the selectors index descriptors of the GDT just loaded, which
    // lives for the rest of the kernel's life.
    unsafe {
        CS::set_reg(selectors.kernel_code);
        SS::set_reg(selectors.kernel_data);
        DS::set_reg(SegmentSelector(0));
        ES::set_reg(SegmentSelector(0));
        load_tss(selectors.tss);
    }
    *selectors
}

/// The selectors, once [`init`] has run.
pub fn selectors() -> Option<Selectors> {
    GDT[0].get().map(|(_, selectors)| *selectors)
}
