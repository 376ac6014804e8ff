//! The registers of a user thread as Linux shows them outside the thread:
//! `struct user_regs_struct` (ptrace `GETREGS`, a core file's
//! `NT_PRSTATUS`) and the `fxsave` area (`GETFPREGS`, `NT_PRFPREG`).

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// Bytes of `struct user_fpregs_struct` (the `fxsave` layout).
pub const USER_FPREGS_SIZE: usize = 512;

/// x86_64 `struct user_regs_struct`, in Linux's field order.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[allow(missing_docs)]
pub struct UserRegs {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub rbp: u64,
    pub rbx: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rax: u64,
    pub rcx: u64,
    pub rdx: u64,
    pub rsi: u64,
    pub rdi: u64,
    /// The system call number at entry (`-1` outside a system call).
    pub orig_rax: u64,
    pub rip: u64,
    pub cs: u64,
    pub eflags: u64,
    pub rsp: u64,
    pub ss: u64,
    pub fs_base: u64,
    pub gs_base: u64,
    pub ds: u64,
    pub es: u64,
    pub fs: u64,
    pub gs: u64,
}

static_assertions::assert_eq_size!(UserRegs, [u8; 216]);
static_assertions::const_assert_eq!(core::mem::offset_of!(UserRegs, orig_rax), 120);
static_assertions::const_assert_eq!(core::mem::offset_of!(UserRegs, rip), 128);
