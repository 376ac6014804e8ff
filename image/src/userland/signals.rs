//! Signals on the hardware: the trampoline page, the trap frame as the
//! system-call layer's [`SavedRegisters`], the return-to-user hook and the
//! thread that fires `alarm`s.
//!
//! Sending, delivery and `rt_sigreturn` are the `syscall` crate's
//! (`syscall::signals`); the `signal` crate decides.

use abi::KernelResult;
use arch::trap::{FpuState, TrapFrame};
use mm::{MapRequest, Perms, Placement, UserMemory, UserSlice, VirtAddr};
use signal::{FaultContext, UserRegisters, UserSelectors};
use spin::Once;
use syscall::registers::FPU_AREA_SIZE;
use syscall::signals::delivery::{self, UserReturn};
use syscall::{EventQueue, SavedRegisters};

use super::lifecycle;
use crate::memory::frames::KernelFrames;
use crate::memory::user::UserAddressSpace;
use crate::syscall::RunningKernel;
use crate::task::{self, WaitQueue};

/// Where every process finds the `rt_sigreturn` trampoline (a handler
/// without `SA_RESTORER` returns into it), just below the stack region.
pub const TRAMPOLINE_ADDRESS: u64 = super::exec::STACK_TOP - super::exec::STACK_SIZE - 2 * 4096;
/// `mov eax, 15 (rt_sigreturn); syscall; ud2`.
const TRAMPOLINE_CODE: [u8; 9] = [0xb8, 15, 0, 0, 0, 0x0f, 0x05, 0x0f, 0x0b];

/// The user selectors of this kernel's GDT.
pub const SELECTORS: UserSelectors = UserSelectors {
    code: 0x33,
    data: 0x2b,
};

static STOP_EVENTS: Once<WaitQueue> = Once::new();

/// Woken when a process continues (stopped threads wait here).
pub fn stop_events() -> &'static WaitQueue {
    STOP_EVENTS.call_once(WaitQueue::new)
}

/// Maps the trampoline page (read and execute) into a new address space.
pub fn map_trampoline(space: &mut UserAddressSpace) -> KernelResult<()> {
    space.mmap(
        MapRequest::anonymous(4096, Perms::READ | Perms::WRITE)
            .at(Placement::Fixed(VirtAddr(TRAMPOLINE_ADDRESS)))
            .named("[sigpage]"),
        &mut KernelFrames,
    )?;
    {
        let mut frames = KernelFrames;
        let memory = mm::AddressSpaceMemory::new(space, &mut frames, &arch::paging::DirectMap);
        memory.copy_to_user(
            UserSlice::new(TRAMPOLINE_ADDRESS, TRAMPOLINE_CODE.len())?,
            &TRAMPOLINE_CODE,
        )?;
    }
    space.mprotect(
        VirtAddr(TRAMPOLINE_ADDRESS),
        4096,
        Perms::READ | Perms::EXEC,
    )
}

/// A trap frame and FPU area seen as the system-call layer's saved user
/// context.
pub struct TrapRegisters<'a> {
    /// The registers the entry stub saved.
    pub frame: &'a mut TrapFrame,
    /// The FPU/SSE state saved with them.
    pub fpu: &'a mut FpuState,
}

impl SavedRegisters for TrapRegisters<'_> {
    fn registers(&self) -> UserRegisters {
        registers(self.frame)
    }

    fn set_registers(&mut self, registers: &UserRegisters) {
        load_registers(self.frame, registers);
    }

    fn return_value(&self) -> u64 {
        self.frame.rax
    }

    fn fpu(&self) -> &[u8; FPU_AREA_SIZE] {
        self.fpu.image()
    }

    fn fpu_mut(&mut self) -> &mut [u8; FPU_AREA_SIZE] {
        self.fpu.image_mut()
    }

    fn fpu_to_overwrite(&mut self) -> &mut [u8; FPU_AREA_SIZE] {
        self.fpu.image_to_overwrite()
    }

    /// Straight from the CPU where the entry stub left part of the
    /// state there (`memory` is the running process's, which the CPU
    /// writes to).
    fn write_fpu_to_user(&self, _memory: &dyn UserMemory, dst: UserSlice) -> KernelResult<()> {
        self.fpu.write_to_user(dst)
    }

    fn reset_fpu(&mut self) {
        self.fpu.reset();
    }

    fn stack_pointer(&self) -> u64 {
        self.frame.rsp
    }

    fn fault(&self) -> FaultContext {
        let vector = self.frame.vector;
        FaultContext {
            trapno: if vector < 32 { vector } else { 0 },
            error_code: self.frame.error_code,
            cr2: if vector == 14 {
                arch::cpu::page_fault_address()
            } else {
                0
            },
        }
    }

    fn set_return_value(&mut self, value: u64) {
        self.frame.rax = value;
    }
}

/// Runs on every return to user mode from an interrupt or exception:
/// signals are delivered (a handler frame built, a default action taken)
/// when something asked for a look. A dying thread leaves here.
pub fn on_return_to_user(frame: &mut TrapFrame, fpu: &mut FpuState) {
    if let Ok(link) = super::current_link() {
        return_to_user(frame, fpu, |regs| {
            delivery::on_return_from_interrupt(&RunningKernel, &link.process, &link.thread, regs)
        });
    }
}

/// The return from a system call of the thread `link`: as
/// [`on_return_to_user`], and an interrupted `syscall` is restarted or
/// failed per its rules; skipped when nothing asked for a look.
#[inline(always)]
pub fn return_from_syscall(
    link: &super::UserLink,
    frame: &mut TrapFrame,
    fpu: &mut FpuState,
    number: u64,
) {
    // Decided on the frame's rax: the registers' view is built only for
    // a look.
    if !delivery::syscall_return_looks(&link.process, &link.thread, frame.rax) {
        return;
    }
    return_to_user(frame, fpu, |regs| {
        let sysno = abi::Sysno::try_from(number).ok();
        delivery::on_return_to_user(&RunningKernel, &link.process, &link.thread, regs, sysno)
    });
}

/// Has `deliver` look at the thread's signals (and fold its CPU time,
/// when a tick asked for a look: [`lifecycle::request_fold_if_due`]), and
/// leaves through the exit path if the thread is to die.
#[inline(always)]
fn return_to_user(
    frame: &mut TrapFrame,
    fpu: &mut FpuState,
    deliver: impl FnOnce(&mut TrapRegisters) -> UserReturn,
) {
    let outcome = deliver(&mut TrapRegisters { frame, fpu });
    // Only the borrowed link stays on this stack, which is no reference
    // count: the thread may end here and never return.
    if outcome == UserReturn::ExitThread {
        lifecycle::exit_thread();
    }
}

/// The registers of a trap frame as the system-call layer sees them.
pub fn registers(frame: &TrapFrame) -> UserRegisters {
    UserRegisters {
        r8: frame.r8,
        r9: frame.r9,
        r10: frame.r10,
        r11: frame.r11,
        r12: frame.r12,
        r13: frame.r13,
        r14: frame.r14,
        r15: frame.r15,
        rdi: frame.rdi,
        rsi: frame.rsi,
        rbp: frame.rbp,
        rbx: frame.rbx,
        rdx: frame.rdx,
        rax: frame.rax,
        rcx: frame.rcx,
        rsp: frame.rsp,
        rip: frame.rip,
        rflags: frame.rflags,
        cs: frame.cs as u16,
        ss: frame.ss as u16,
    }
}

/// Puts `r` into `frame` (the registers user mode resumes with).
pub fn load_registers(frame: &mut TrapFrame, r: &UserRegisters) {
    frame.r8 = r.r8;
    frame.r9 = r.r9;
    frame.r10 = r.r10;
    frame.r11 = r.r11;
    frame.r12 = r.r12;
    frame.r13 = r.r13;
    frame.r14 = r.r14;
    frame.r15 = r.r15;
    frame.rdi = r.rdi;
    frame.rsi = r.rsi;
    frame.rbp = r.rbp;
    frame.rbx = r.rbx;
    frame.rdx = r.rdx;
    frame.rax = r.rax;
    frame.rcx = r.rcx;
    frame.rsp = r.rsp;
    frame.rip = r.rip;
    frame.rflags = r.rflags;
    frame.cs = u64::from(r.cs);
    frame.ss = u64::from(r.ss);
}

// ---- alarm / ITIMER_REAL --------------------------------------------------

static ALARM_QUEUE: Once<WaitQueue> = Once::new();

/// Woken when a process's `ITIMER_REAL` changes.
pub fn alarm_queue() -> &'static WaitQueue {
    ALARM_QUEUE.call_once(WaitQueue::new)
}

/// The kernel thread that fires ITIMER_REAL: sleeps until the earliest
/// deadline of any process, then sends SIGALRM from thread context
/// (processes are locked with plain spin locks, which an interrupt handler
/// must not take). Each timer lives in its process's signal state.
pub fn start_alarm_thread() -> KernelResult<()> {
    task::spawn("alarms", sched::Priority::NORMAL, || {
        loop {
            let seen = alarm_queue().sequence();
            let next =
                syscall::signals::timers::fire_real_timers(&RunningKernel, crate::time::now_ns());
            EventQueue::wait_since(alarm_queue(), seen, false, next);
        }
    })
    .map(|_| ())
}
