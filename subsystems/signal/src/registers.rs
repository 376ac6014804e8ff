//! The user register state signal delivery reads and rewrites, as plain
//! data: `arch` converts its trap frame to and from [`UserRegisters`].

/// The general-purpose registers of a thread interrupted in user mode.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
#[allow(missing_docs)] // Field names are the registers they hold.
pub struct UserRegisters {
    pub r8: u64,
    pub r9: u64,
    pub r10: u64,
    pub r11: u64,
    pub r12: u64,
    pub r13: u64,
    pub r14: u64,
    pub r15: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rbp: u64,
    pub rbx: u64,
    pub rdx: u64,
    pub rax: u64,
    pub rcx: u64,
    pub rsp: u64,
    pub rip: u64,
    pub rflags: u64,
    pub cs: u16,
    pub ss: u16,
}

/// The selectors of the kernel's GDT that user mode runs with (RPL 3
/// included). Linux uses `0x33` and `0x2b`; Courage's `arch` says its own.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct UserSelectors {
    /// 64-bit user code segment.
    pub code: u16,
    /// User data/stack segment.
    pub data: u16,
}

/// What the CPU reported about the fault that raised a signal; all zero for
/// signals that did not come from a fault.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct FaultContext {
    /// Exception vector (14 for a page fault).
    pub trapno: u64,
    /// Exception error code.
    pub error_code: u64,
    /// Faulting address (`cr2`) for page faults.
    pub cr2: u64,
}

/// `rflags` bits.
pub mod rflags {
    /// Carry.
    pub const CF: u64 = 1 << 0;
    /// Always-one reserved bit.
    pub const FIXED: u64 = 1 << 1;
    /// Parity.
    pub const PF: u64 = 1 << 2;
    /// Auxiliary carry.
    pub const AF: u64 = 1 << 4;
    /// Zero.
    pub const ZF: u64 = 1 << 6;
    /// Sign.
    pub const SF: u64 = 1 << 7;
    /// Trap (single step).
    pub const TF: u64 = 1 << 8;
    /// Interrupts enabled.
    pub const IF: u64 = 1 << 9;
    /// Direction.
    pub const DF: u64 = 1 << 10;
    /// Overflow.
    pub const OF: u64 = 1 << 11;
    /// I/O privilege level (two bits).
    pub const IOPL: u64 = 3 << 12;
    /// Nested task.
    pub const NT: u64 = 1 << 14;
    /// Resume.
    pub const RF: u64 = 1 << 16;
    /// Virtual-8086 mode.
    pub const VM: u64 = 1 << 17;
    /// Alignment check.
    pub const AC: u64 = 1 << 18;
    /// The bits `rt_sigreturn` takes from user memory (Linux `FIX_EFLAGS`);
    /// everything else (IOPL, NT, VM, IF...) stays the kernel's choice.
    pub const USER_SETTABLE: u64 = AC | OF | DF | TF | SF | ZF | AF | PF | CF | RF;
    /// What user mode always runs with: interrupts on, reserved bit set.
    pub const USER_BASE: u64 = IF | FIXED;
}
