//! `rt_sigreturn`: turning a frame read back from user memory into the
//! registers to resume with. The frame is untrusted: anything that would
//! let user mode run in ring 0, raise its I/O privilege or make the
//! kernel's return path fault is refused, and the caller then kills the
//! process with SIGSEGV (Linux's `badframe`).

use crate::altstack::StackT;
use crate::frame::{UC_STRICT_RESTORE_SS, UContext};
use crate::registers::{UserRegisters, UserSelectors, rflags};
use crate::sigset::SigSet;
use abi::{Errno, KernelResult};

/// The first address above the lower canonical half: user `rip` must stay
/// below it (a non-canonical `rip` makes `sysret` fault in ring 0).
pub const USER_ADDRESS_END: u64 = 0x0000_8000_0000_0000;

/// What `rt_sigreturn` restores.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct RestoredContext {
    /// The registers to return to user mode with. `rax` is the interrupted
    /// value: `rt_sigreturn` returns it so the syscall path leaves it intact.
    pub registers: UserRegisters,
    /// The mask to reinstall (SIGKILL/SIGSTOP already removed).
    pub mask: SigSet,
    /// Where to read the 512-byte fxsave image, or `None` to reset the
    /// FPU to its initial state.
    pub fpstate: Option<u64>,
    /// The alternate stack to reinstall; errors applying it are ignored,
    /// as on Linux.
    pub altstack: StackT,
}

/// The address of the frame when `rt_sigreturn` runs with `rsp`: the
/// handler's `ret` popped `pretcode`, so the frame starts 8 bytes below.
pub const fn sigreturn_frame_address(rsp: u64) -> u64 {
    rsp.wrapping_sub(8)
}

/// The address of the `ucontext` to read for `rt_sigreturn` with `rsp`.
pub const fn sigreturn_ucontext_address(rsp: u64) -> u64 {
    rsp
}

/// Validates and decodes the `ucontext` of a frame. `cs` must be the user
/// code selector; `ss` the user data selector (without
/// `UC_STRICT_RESTORE_SS` a wrong one is replaced, like Linux's
/// `force_valid_ss`); `rip` must be a user address; only the arithmetic,
/// direction, trap, alignment-check and resume flags come from the frame.
/// `EFAULT` means a corrupt frame.
pub fn restore_from_frame(
    uc: &UContext,
    selectors: UserSelectors,
) -> KernelResult<RestoredContext> {
    let sc = &uc.uc_mcontext;
    if sc.cs != selectors.code {
        return Err(Errno::EFAULT);
    }
    let ss = if sc.ss == selectors.data {
        sc.ss
    } else if uc.uc_flags & UC_STRICT_RESTORE_SS == 0 {
        selectors.data
    } else {
        return Err(Errno::EFAULT);
    };
    if sc.rip >= USER_ADDRESS_END {
        return Err(Errno::EFAULT);
    }
    let registers = UserRegisters {
        r8: sc.r8,
        r9: sc.r9,
        r10: sc.r10,
        r11: sc.r11,
        r12: sc.r12,
        r13: sc.r13,
        r14: sc.r14,
        r15: sc.r15,
        rdi: sc.rdi,
        rsi: sc.rsi,
        rbp: sc.rbp,
        rbx: sc.rbx,
        rdx: sc.rdx,
        rax: sc.rax,
        rcx: sc.rcx,
        rsp: sc.rsp,
        rip: sc.rip,
        rflags: rflags::USER_BASE | (sc.eflags & rflags::USER_SETTABLE),
        cs: selectors.code,
        ss,
    };
    Ok(RestoredContext {
        registers,
        mask: SigSet::from_bits(uc.uc_sigmask).without_unblockable(),
        fpstate: if sc.fpstate == 0 {
            None
        } else {
            Some(sc.fpstate)
        },
        altstack: uc.uc_stack,
    })
}
