//! Building a handler's signal frame: where it goes on the user stack, what
//! it holds, and the registers the handler starts with. Pure: the caller
//! copies the frame out and installs the registers.

use crate::action::SaFlags;
use crate::altstack::{AltStack, SS_DISABLE, SS_ONSTACK};
use crate::deliver::HandlerInvocation;
use crate::frame::{
    FXSAVE_SIZE, RT_SIGFRAME_SIZE, RtSigFrame, SIGINFO_OFFSET, Sigcontext, UC_SIGCONTEXT_SS,
    UC_STRICT_RESTORE_SS, UCONTEXT_OFFSET, UContext,
};
use crate::registers::{FaultContext, UserRegisters, UserSelectors, rflags};
use crate::siginfo::SigInfo;
use abi::{Errno, KernelResult};

/// The System V x86_64 red zone below `rsp` that a leaf function may use
/// and a signal frame must not overwrite.
pub const RED_ZONE: u64 = 128;

/// Where a frame goes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct FramePlacement {
    /// Address of the `rt_sigframe`: the handler's `rsp`, with
    /// `(frame + 8) % 16 == 0` as if it had been `call`ed.
    pub frame: u64,
    /// Address of the 512-byte fxsave area, 64-byte aligned, above the frame.
    pub fpstate: u64,
}

/// Linux's `get_sigframe`: below the red zone of `rsp`, or at the top of
/// the alternate stack when the action has `SA_ONSTACK` and the thread is
/// not already on it; the fxsave area first (64-byte aligned), the frame
/// below it. `EFAULT` if it would wrap or overflow the alternate stack:
/// the caller then kills with SIGSEGV.
#[inline]
pub fn place_frame(rsp: u64, altstack: &AltStack, onstack: bool) -> KernelResult<FramePlacement> {
    let nested = altstack.is_on(rsp);
    let mut sp = rsp.checked_sub(RED_ZONE).ok_or(Errno::EFAULT)?;
    let mut entering = false;
    if onstack && altstack.flags_at(sp) & (SS_ONSTACK | SS_DISABLE) == 0 {
        sp = altstack.top();
        entering = true;
    }
    let fpstate = sp.checked_sub(FXSAVE_SIZE).ok_or(Errno::EFAULT)? & !63;
    let frame = (fpstate.checked_sub(RT_SIGFRAME_SIZE).ok_or(Errno::EFAULT)? & !15)
        .checked_sub(8)
        .ok_or(Errno::EFAULT)?;
    if (nested || entering) && !altstack.contains(frame) {
        return Err(Errno::EFAULT);
    }
    Ok(FramePlacement { frame, fpstate })
}

/// Everything needed to build a handler's frame.
#[derive(Clone, Copy, Debug)]
pub struct FrameRequest<'a> {
    /// The interrupted user registers (after any syscall-restart fix-up).
    pub registers: &'a UserRegisters,
    /// The fault behind the signal, if any.
    pub fault: FaultContext,
    /// The thread's alternate stack.
    pub altstack: &'a AltStack,
    /// The signal's info.
    pub info: &'a SigInfo,
    /// The handler to run.
    pub invocation: &'a HandlerInvocation,
    /// The kernel trampoline page's entry (used without `SA_RESTORER`).
    pub trampoline: u64,
    /// User segment selectors.
    pub selectors: UserSelectors,
}

/// A frame ready to be written.
#[derive(Clone, Copy, Debug)]
pub struct FramePlan {
    /// Where to copy `frame` (its bytes via `zerocopy::IntoBytes`).
    pub frame_address: u64,
    /// The frame's contents.
    pub frame: RtSigFrame,
    /// Where to `fxsave` the thread's FPU state (512 bytes).
    pub fpstate_address: u64,
    /// The registers the handler starts with.
    pub handler_registers: UserRegisters,
    /// The altstack has `SS_AUTODISARM`: disable it once the frame is written.
    pub disarm_altstack: bool,
}

/// Linux's `setup_rt_frame`: the frame records the interrupted registers,
/// the mask to restore, the alternate stack and the siginfo; the handler
/// starts with `rdi` = signal, `rsi` = &siginfo, `rdx` = &ucontext,
/// `rax` = 0, `rsp` = frame (whose first word is the return address),
/// `rip` = handler, and DF, TF and RF cleared. After writing the frame and
/// the FPU state, the caller gives the handler a fresh FPU state and
/// installs the registers; if any copy faults it kills the process with
/// SIGSEGV instead. It calls [`crate::ThreadSignalState::handler_entered`]
/// before or after the copies (a process whose frame failed runs no more
/// code), with `altstack` as it was before.
pub fn plan_signal_frame(request: &FrameRequest<'_>) -> KernelResult<FramePlan> {
    Ok(build_signal_frame(request, place_request(request)?))
}

/// Where the frame for `request` goes ([`place_frame`] with the action's
/// `SA_ONSTACK`): the fallible half of [`plan_signal_frame`].
#[inline]
pub fn place_request(request: &FrameRequest<'_>) -> KernelResult<FramePlacement> {
    let onstack = request.invocation.action.flags.contains(SaFlags::ONSTACK);
    place_frame(request.registers.rsp, request.altstack, onstack)
}

/// The frame for `request` at `placement`: the infallible half of
/// [`plan_signal_frame`], which the kernel calls itself so the plan is
/// built where it is used, not copied out of a `Result`.
#[inline]
pub fn build_signal_frame(request: &FrameRequest<'_>, placement: FramePlacement) -> FramePlan {
    let regs = request.registers;
    let invocation = request.invocation;
    let saved_mask = invocation.saved_mask.bits();
    let handler_registers = UserRegisters {
        rdi: request.info.signal.number() as u64,
        rsi: placement.frame + SIGINFO_OFFSET,
        rdx: placement.frame + UCONTEXT_OFFSET,
        rax: 0,
        rsp: placement.frame,
        rip: invocation.handler_address(),
        rflags: regs.rflags & !(rflags::DF | rflags::TF | rflags::RF),
        cs: request.selectors.code,
        ss: request.selectors.data,
        ..*regs
    };
    // The frame is built where it is returned: built apart and moved in,
    // its 440 bytes were copied once more on every delivery.
    FramePlan {
        frame_address: placement.frame,
        frame: RtSigFrame {
            pretcode: invocation.return_address(request.trampoline),
            uc: UContext {
                uc_flags: UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS,
                uc_link: 0,
                uc_stack: request.altstack.to_saved_stack_t(),
                uc_mcontext: Sigcontext {
                    r8: regs.r8,
                    r9: regs.r9,
                    r10: regs.r10,
                    r11: regs.r11,
                    r12: regs.r12,
                    r13: regs.r13,
                    r14: regs.r14,
                    r15: regs.r15,
                    rdi: regs.rdi,
                    rsi: regs.rsi,
                    rbp: regs.rbp,
                    rbx: regs.rbx,
                    rdx: regs.rdx,
                    rax: regs.rax,
                    rcx: regs.rcx,
                    rsp: regs.rsp,
                    rip: regs.rip,
                    eflags: regs.rflags,
                    cs: regs.cs,
                    gs: 0,
                    fs: 0,
                    ss: regs.ss,
                    err: request.fault.error_code,
                    trapno: request.fault.trapno,
                    oldmask: saved_mask,
                    cr2: request.fault.cr2,
                    fpstate: placement.fpstate,
                    reserved1: [0; 8],
                },
                uc_sigmask: saved_mask,
            },
            info: request.info.to_raw(),
        },
        fpstate_address: placement.fpstate,
        handler_registers,
        disarm_altstack: request.altstack.autodisarm(),
    }
}
