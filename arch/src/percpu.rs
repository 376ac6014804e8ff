//! Per-CPU data, reached through the GS base.
//!
//! Each CPU has one [`CpuLocal`] block in a static table. While a CPU runs
//! kernel code its GS base points at its block; while it runs user code the
//! block's address waits in `IA32_KERNEL_GS_BASE` and GS holds the user's
//! base (always 0: Courage has no `ARCH_SET_GS`). Every entry from ring 3
//! (`syscall`, or an interrupt whose saved `cs` is a user selector) begins
//! with `swapgs`, and every exit to ring 3 ends with one, so kernel code can
//! always read `gs:[offset]`. The NMI and double-fault stubs cannot know
//! which base is live (they may interrupt the few instructions between an
//! entry and its `swapgs`), so they look at the GS base itself.
//!
//! The entry assembly reads three fields at fixed offsets: the kernel stack
//! top (`gs:[8]`), the user stack scratch slot of `syscall` (`gs:[16]`),
//! and the CPU's own address (`gs:[0]`); the rest is Rust's.

use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use x86_64::registers::model_specific::{GsBase, KernelGsBase};

/// The most CPUs the kernel runs on (the width of an affinity mask word).
pub const MAX_CPUS: usize = 64;

/// One CPU's kernel-private data. Field offsets are used by the entry
/// assembly; changing them means changing it.
#[repr(C, align(64))]
#[derive(Debug)]
pub struct CpuLocal {
    /// This block's own address (`gs:[0]`): turns a GS-relative read
    /// into a pointer.
    self_pointer: AtomicU64,
    /// The stack an entry from ring 3 continues on (`gs:[8]`).
    kernel_stack_top: AtomicU64,
    /// Where `syscall` parks the user `rsp` while it switches stacks
    /// (`gs:[16]`).
    user_rsp: AtomicU64,
    /// The running thread, as an opaque pointer the kernel image owns
    /// (`gs:[24]`).
    current: AtomicU64,
    /// This CPU's index, `0..cpu_count` (`gs:[32]`).
    index: AtomicU32,
    /// Its local APIC id.
    apic_id: AtomicU32,
    /// The page-table root (physical) loaded in CR3, for TLB shootdowns.
    active_root: AtomicU64,
    /// Whether the CPU finished its bring-up and takes part in shootdowns
    /// and scheduling.
    online: AtomicU32,
    /// Locks the running thread holds that keep it from being preempted
    /// (the kernel saves and restores it with the thread at a switch).
    preemption_off: AtomicU32,
    /// Preemptions deferred while that count was not zero.
    preemptions_deferred: AtomicU32,
    /// The [`crate::trap::FpuState`] of the system call running on this
    /// CPU, whose user SSE state may still be in the registers: where the
    /// `#NM` handler saves it (`gs:[SYSCALL_FPU_OFFSET]`).
    syscall_fpu: AtomicU64,
    /// This CPU's CR0 with TS set, which the `syscall` entry loads
    /// (`gs:[SYSCALL_CR0_OFFSET]`): one load instead of a read-modify-write.
    syscall_cr0: AtomicU64,
}

static_assertions::const_assert_eq!(core::mem::offset_of!(CpuLocal, kernel_stack_top), 8);
static_assertions::const_assert_eq!(core::mem::offset_of!(CpuLocal, user_rsp), 16);
static_assertions::const_assert_eq!(core::mem::offset_of!(CpuLocal, current), 24);
static_assertions::const_assert_eq!(core::mem::offset_of!(CpuLocal, index), 32);

/// Where the entry assembly finds [`CpuLocal`]'s `syscall_fpu`.
pub(crate) const SYSCALL_FPU_OFFSET: usize = core::mem::offset_of!(CpuLocal, syscall_fpu);
/// Where the entry assembly finds [`CpuLocal`]'s `syscall_cr0`.
pub(crate) const SYSCALL_CR0_OFFSET: usize = core::mem::offset_of!(CpuLocal, syscall_cr0);

impl CpuLocal {
    const fn new() -> Self {
        CpuLocal {
            self_pointer: AtomicU64::new(0),
            kernel_stack_top: AtomicU64::new(0),
            user_rsp: AtomicU64::new(0),
            current: AtomicU64::new(0),
            index: AtomicU32::new(0),
            apic_id: AtomicU32::new(0),
            active_root: AtomicU64::new(0),
            online: AtomicU32::new(0),
            preemption_off: AtomicU32::new(0),
            preemptions_deferred: AtomicU32::new(0),
            syscall_fpu: AtomicU64::new(0),
            syscall_cr0: AtomicU64::new(0),
        }
    }

    /// This CPU's index.
    pub fn index(&self) -> u32 {
        self.index.load(Ordering::Relaxed)
    }

    /// Its local APIC id (the destination of IPIs to it).
    pub fn apic_id(&self) -> u32 {
        self.apic_id.load(Ordering::Relaxed)
    }

    /// Whether it has finished bring-up.
    pub fn is_online(&self) -> bool {
        self.online.load(Ordering::Acquire) != 0
    }

    /// The page-table root its CR3 holds.
    pub fn active_root(&self) -> u64 {
        self.active_root.load(Ordering::SeqCst)
    }
}

static LOCALS: [CpuLocal; MAX_CPUS] = [const { CpuLocal::new() }; MAX_CPUS];

/// CPU `index`'s block, if it exists.
pub fn cpu(index: u32) -> Option<&'static CpuLocal> {
    LOCALS.get(index as usize)
}

/// The blocks of every CPU brought online so far.
pub fn online_cpus() -> impl Iterator<Item = &'static CpuLocal> {
    LOCALS.iter().filter(|local| local.is_online())
}

/// How many CPUs are online.
pub fn online_count() -> u32 {
    online_cpus().count() as u32
}

/// Points this CPU's GS base at block `index` and records its APIC id.
/// Call once per CPU, before anything reads per-CPU data; `index` must be
/// below [`MAX_CPUS`] and unused.
pub fn init(index: u32, apic_id: u32) {
    let local = &LOCALS[index as usize];
    let address = local as *const CpuLocal as u64;
    local.self_pointer.store(address, Ordering::Relaxed);
    local.index.store(index, Ordering::Relaxed);
    local.apic_id.store(apic_id, Ordering::Relaxed);
    // The user GS base, loaded by the first `swapgs` to ring 3.
    KernelGsBase::write(x86_64::VirtAddr::zero());
    GsBase::write(x86_64::VirtAddr::new(address));
}

/// Records the CR0 value (TS set) the `syscall` entry loads on this CPU.
pub(crate) fn set_syscall_cr0(value: u64) {
    this().syscall_cr0.store(value, Ordering::Relaxed);
}

/// Marks this CPU online: it takes part in TLB shootdowns from now on.
pub fn set_online() {
    let local = this();
    crate::tlb::set_online(local.index());
    local.online.store(1, Ordering::Release);
}

/// This CPU's block.
pub fn this() -> &'static CpuLocal {
    let address: u64;
    // SAFETY: after `init`, gs:[0] holds the block's own address; reading
    // it has no side effect.
    unsafe {
        core::arch::asm!("mov {}, gs:[0]", out(reg) address, options(nostack, readonly, preserves_flags));
    }
    // SAFETY: the address is that of an element of the static `LOCALS`.
    unsafe { &*(address as *const CpuLocal) }
}

/// This CPU's index.
pub fn this_cpu() -> u32 {
    let index: u32;
    // SAFETY: as in `this`; gs:[32] is the index.
    unsafe {
        core::arch::asm!("mov {:e}, gs:[32]", out(reg) index, options(nostack, readonly, preserves_flags));
    }
    index
}

/// The running thread's pointer, as last set by [`set_current`] on this
/// CPU (0 before).
pub fn current() -> u64 {
    let pointer: u64;
    // SAFETY: as in `this`; gs:[24] is the current-thread slot.
    unsafe {
        core::arch::asm!("mov {}, gs:[24]", out(reg) pointer, options(nostack, readonly, preserves_flags));
    }
    pointer
}

/// Where the preemption count lives in the block: `gs:[PREEMPTION_OFF]`
/// is the running thread's lock count (a `u32`), which the kernel's lock
/// hooks add to and subtract from with one instruction, no lock prefix
/// (only this CPU, and interrupts that give back what they take, touch
/// it).
pub const PREEMPTION_OFF: usize = core::mem::offset_of!(CpuLocal, preemption_off);
/// Where the count of preemptions deferred while that count was not zero
/// lives (`gs:[DEFERRED_OFF]`, a `u32`).
pub const DEFERRED_OFF: usize = core::mem::offset_of!(CpuLocal, preemptions_deferred);

/// How many locks the running thread holds.
pub fn preemption_count() -> u32 {
    this().preemption_off.load(Ordering::Relaxed)
}

/// Counts a preemption deferred for a lock holder; how many were before.
pub fn defer_preemption() -> u32 {
    this().preemptions_deferred.fetch_add(1, Ordering::Relaxed)
}

/// Forgets the deferred preemptions (the thread is being switched out).
pub fn clear_deferred_preemptions() {
    this().preemptions_deferred.store(0, Ordering::Relaxed);
}

/// Puts `count` (the next thread's) in place of the running thread's
/// preemption count, which is returned: a thread keeps its count across
/// a switch, as it would in a per-thread field.
pub fn swap_preemption_count(count: u32) -> u32 {
    this().preemptions_deferred.store(0, Ordering::Relaxed);
    this().preemption_off.swap(count, Ordering::Relaxed)
}

/// Records the thread this CPU runs now.
pub fn set_current(pointer: u64) {
    this().current.store(pointer, Ordering::SeqCst);
}

/// The kernel stack top of this CPU (see [`crate::trap::set_kernel_stack_top`]).
pub(crate) fn kernel_stack_top() -> u64 {
    this().kernel_stack_top.load(Ordering::Relaxed)
}

/// Sets it.
pub(crate) fn set_kernel_stack_top(top: u64) {
    this().kernel_stack_top.store(top, Ordering::Relaxed);
}

/// Records that this CPU's CR3 now holds `root`.
pub(crate) fn set_active_root(root: u64) {
    this().active_root.store(root, Ordering::SeqCst);
}
