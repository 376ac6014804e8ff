//! The Linux x86_64 signal frame as data: `struct rt_sigframe`, its
//! `ucontext` and `sigcontext`, and the 512-byte `fxsave` area.
//!
//! Sizes and offsets follow `arch/x86/include/uapi/asm/sigcontext.h`,
//! `uapi/asm-generic/ucontext.h` and `arch/x86/include/asm/sigframe.h`;
//! the assertions below pin them. Note the kernel's `struct ucontext` is
//! 304 bytes: glibc's `ucontext_t` (968 bytes) appends a 128-byte sigset,
//! an fpregs copy and shadow-stack words that the kernel never writes.

use crate::altstack::StackT;
use crate::siginfo::RawSigInfo;
use core::mem::{offset_of, size_of};
use static_assertions::const_assert_eq;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// `uc_flags`: the frame holds an xsave area (never set: Courage saves
/// with `fxsave`).
pub const UC_FP_XSTATE: u64 = 0x1;
/// `uc_flags`: `sigcontext.ss` is valid.
pub const UC_SIGCONTEXT_SS: u64 = 0x2;
/// `uc_flags`: `rt_sigreturn` must restore `ss` exactly.
pub const UC_STRICT_RESTORE_SS: u64 = 0x4;

/// Linux's 64-bit `struct sigcontext` (256 bytes).
#[derive(
    Clone, Copy, PartialEq, Eq, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[allow(missing_docs)] // Field names are the registers they hold.
pub struct Sigcontext {
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
    pub eflags: u64,
    pub cs: u16,
    pub gs: u16,
    pub fs: u16,
    pub ss: u16,
    /// Error code of the fault that raised the signal.
    pub err: u64,
    /// Vector of the fault that raised the signal.
    pub trapno: u64,
    /// The restored mask (also in `uc_sigmask`).
    pub oldmask: u64,
    /// Faulting address of a page fault.
    pub cr2: u64,
    /// User address of the saved FPU area, 0 if none.
    pub fpstate: u64,
    pub reserved1: [u64; 8],
}

/// Linux's `struct ucontext` as the kernel writes it (304 bytes).
#[derive(
    Clone, Copy, PartialEq, Eq, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct UContext {
    /// `UC_*` flags.
    pub uc_flags: u64,
    /// Always 0.
    pub uc_link: u64,
    /// The alternate stack as it was when the signal arrived.
    pub uc_stack: StackT,
    /// The interrupted registers.
    pub uc_mcontext: Sigcontext,
    /// The mask `rt_sigreturn` restores.
    pub uc_sigmask: u64,
}

/// Linux's x86_64 `struct rt_sigframe` (440 bytes). The fxsave area lives
/// above it, at `uc.uc_mcontext.fpstate`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct RtSigFrame {
    /// The handler's return address (restorer or trampoline): the handler's
    /// `ret` pops it.
    pub pretcode: u64,
    /// The saved context.
    pub uc: UContext,
    /// The `siginfo_t` the handler's second argument points to.
    pub info: RawSigInfo,
}

/// The legacy 512-byte `fxsave` image (`struct _fpstate_64`).
#[derive(Clone, Copy, PartialEq, Eq, Debug, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
#[allow(missing_docs)] // Field names are Intel's.
pub struct FxsaveArea {
    pub cwd: u16,
    pub swd: u16,
    pub ftw: u16,
    pub fop: u16,
    pub rip: u64,
    pub rdp: u64,
    pub mxcsr: u32,
    pub mxcsr_mask: u32,
    pub st_space: [u32; 32],
    pub xmm_space: [u32; 64],
    pub reserved2: [u32; 12],
    /// Software-reserved bytes (Linux puts xsave magic here; unused with
    /// plain `fxsave`).
    pub sw_reserved: [u32; 12],
}

/// The `MXCSR` mask to assume when `fxsave` reports 0 (Intel SDM 11.6.6).
pub const DEFAULT_MXCSR_MASK: u32 = 0x0000_ffbf;

impl FxsaveArea {
    /// Makes an `fxsave` image from user memory safe to `fxrstor`: setting
    /// a reserved `MXCSR` bit would fault in the kernel, so such bits are
    /// cleared (as Linux does) using the CPU's `mxcsr_mask` (0 means the
    /// default mask).
    pub fn sanitize(&mut self, cpu_mxcsr_mask: u32) {
        let mask = if cpu_mxcsr_mask == 0 {
            DEFAULT_MXCSR_MASK
        } else {
            cpu_mxcsr_mask
        };
        self.mxcsr &= mask;
    }
}

/// `sizeof(struct rt_sigframe)`.
pub const RT_SIGFRAME_SIZE: u64 = size_of::<RtSigFrame>() as u64;
/// Offset of `uc` in the frame: the handler's third argument.
pub const UCONTEXT_OFFSET: u64 = offset_of!(RtSigFrame, uc) as u64;
/// Offset of `info` in the frame: the handler's second argument.
pub const SIGINFO_OFFSET: u64 = offset_of!(RtSigFrame, info) as u64;
/// `sizeof(fxsave area)`.
pub const FXSAVE_SIZE: u64 = size_of::<FxsaveArea>() as u64;

const_assert_eq!(size_of::<Sigcontext>(), 256);
const_assert_eq!(offset_of!(Sigcontext, rdi), 64);
const_assert_eq!(offset_of!(Sigcontext, rax), 104);
const_assert_eq!(offset_of!(Sigcontext, rsp), 120);
const_assert_eq!(offset_of!(Sigcontext, rip), 128);
const_assert_eq!(offset_of!(Sigcontext, eflags), 136);
const_assert_eq!(offset_of!(Sigcontext, cs), 144);
const_assert_eq!(offset_of!(Sigcontext, ss), 150);
const_assert_eq!(offset_of!(Sigcontext, err), 152);
const_assert_eq!(offset_of!(Sigcontext, oldmask), 168);
const_assert_eq!(offset_of!(Sigcontext, cr2), 176);
const_assert_eq!(offset_of!(Sigcontext, fpstate), 184);
const_assert_eq!(offset_of!(UContext, uc_stack), 16);
const_assert_eq!(offset_of!(UContext, uc_mcontext), 40);
const_assert_eq!(offset_of!(UContext, uc_sigmask), 296);
const_assert_eq!(size_of::<UContext>(), 304);
const_assert_eq!(offset_of!(RtSigFrame, uc), 8);
const_assert_eq!(offset_of!(RtSigFrame, info), 312);
const_assert_eq!(size_of::<RtSigFrame>(), 440);
const_assert_eq!(offset_of!(FxsaveArea, mxcsr), 24);
const_assert_eq!(offset_of!(FxsaveArea, st_space), 32);
const_assert_eq!(offset_of!(FxsaveArea, xmm_space), 160);
const_assert_eq!(offset_of!(FxsaveArea, sw_reserved), 464);
const_assert_eq!(size_of::<FxsaveArea>(), 512);
