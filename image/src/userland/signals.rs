//! Signals on the hardware: sending (with the thread to wake), delivery on
//! every return to user mode (handler frames, default actions, stop and
//! continue), `rt_sigreturn`, system-call restart, the trampoline page and
//! `alarm`.
//!
//! The `signal` crate decides (which signal, which action, the frame's
//! bytes, the restart rule); this module moves registers and memory.
//!
//! Lock order: a thread's signal state, then its process's data.

use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::{Errno, KernelResult};
use arch::sync::IrqMutex;
use arch::trap::{FpuState, TrapFrame};
use mm::{MapRequest, Perms, Placement, UserMemory, UserSlice, VirtAddr};
use process::{ChildNotice, Termination};
use signal::{
    Action, FaultContext, FrameRequest, PostOutcome, RealTimer, RestartDecision, SigInfo, Signal,
    UContext, UserRegisters, UserSelectors,
};
use spin::Once;
use zerocopy::{FromBytes, IntoBytes};

use super::{Process, UserLink, lifecycle, processes};
use crate::memory::frames::KernelFrames;
use crate::memory::user::UserAddressSpace;
use crate::task::{self, WaitQueue};

/// Where every process finds the `rt_sigreturn` trampoline (a handler
/// without `SA_RESTORER` returns into it), just below the stack region.
pub const TRAMPOLINE_ADDRESS: u64 = super::exec::STACK_TOP - super::exec::STACK_SIZE - 2 * 4096;
/// `mov eax, 15 (rt_sigreturn); syscall; ud2`.
const TRAMPOLINE_CODE: [u8; 9] = [0xb8, 15, 0, 0, 0, 0x0f, 0x05, 0x0f, 0x0b];

const SELECTORS: UserSelectors = UserSelectors {
    code: 0x23,
    data: 0x1b,
};

static STOP_EVENTS: Once<WaitQueue> = Once::new();

/// Woken when a process continues (stopped threads wait here).
fn stop_events() -> &'static WaitQueue {
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

/// Wakes the thread of `process` that should take `signal`, so an
/// interruptible sleep ends with `EINTR`.
fn wake_a_thread(process: &Process, signal: Signal) {
    let threads = process.threads();
    let candidates: Vec<_> = threads
        .iter()
        .map(|t| (t.tid(), t.data().signals.lock().blocked(), t.should_die()))
        .collect();
    if let Some(tid) = signal::choose_target_thread(signal, process.pid(), candidates)
        && let Some(thread) = threads.iter().find(|t| t.tid() == tid)
        && let Some(id) = thread.data().task()
    {
        task::interrupt(id);
    }
}

/// Tells the parent a child stopped or continued (`SIGCHLD`, unless it
/// asked for `SA_NOCLDSTOP`) and wakes waiters.
fn report_job_event(notice: Option<ChildNotice>) {
    if let Some(notice) = notice {
        if let Some(parent) = notice.parent.and_then(|pid| processes().from_pid(pid))
            && parent.data().signals().child_policy().notify_stop
        {
            let info = SigInfo::child(
                notice.info.code as i32,
                notice.info.pid,
                notice.info.uid,
                notice.info.status,
                0,
                0,
            );
            let _ = send(&parent, info);
        }
        lifecycle::child_events().wake_all();
    }
}

/// Sends a process-directed signal.
pub fn send(process: &Arc<Process>, info: SigInfo) -> KernelResult<()> {
    let signal = info.signal;
    if process.data().termination().is_some() {
        return Ok(());
    }
    if signal == Signal::SIGKILL {
        lifecycle::kill_process(
            process,
            Termination::Killed {
                signal: 9,
                core_dumped: false,
            },
        );
        continue_process(process);
        return Ok(());
    }
    if signal == Signal::SIGCONT {
        continue_process(process);
    }
    let threads = process.threads();
    let outcome = {
        let mut guards: Vec<_> = threads.iter().map(|t| t.data().signals.lock()).collect();
        let mut data = process.data();
        signal::send_to_process(
            data.signals_mut(),
            guards.iter_mut().map(|g| &mut **g),
            info,
        )?
    };
    // An ignored signal is discarded and wakes no one.
    if outcome != PostOutcome::Ignored {
        wake_a_thread(process, signal);
    }
    Ok(())
}

/// Sends a signal to one thread (`tkill`, `tgkill`, faults).
pub fn send_to_thread(link: &UserLink, info: SigInfo) -> KernelResult<()> {
    let signal = info.signal;
    if signal == Signal::SIGKILL || signal == Signal::SIGCONT {
        return send(&link.process, info);
    }
    let threads = link.process.threads();
    {
        let mut target = link.thread.data().signals.lock();
        let mut others: Vec<_> = threads
            .iter()
            .filter(|t| t.tid() != link.thread.tid())
            .map(|t| t.data().signals.lock())
            .collect();
        let mut data = link.process.data();
        signal::send_to_thread(
            data.signals_mut(),
            &mut target,
            others.iter_mut().map(|g| &mut **g),
            info,
        )?;
    }
    if let Some(id) = link.thread.data().task() {
        task::interrupt(id);
    }
    Ok(())
}

fn continue_process(process: &Process) {
    let notice = processes().continue_process(process);
    if notice.is_some() {
        stop_events().wake_all();
    }
    report_job_event(notice);
}

fn registers(frame: &TrapFrame) -> UserRegisters {
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

fn load_registers(frame: &mut TrapFrame, r: &UserRegisters) {
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

/// How a system call reacts to being interrupted by a signal, as Linux's
/// internal `-ERESTART*` codes say.
fn restart_code(number: u64) -> Option<i64> {
    const ERESTARTSYS: i64 = 512;
    const ERESTARTNOHAND: i64 = 514;
    match number {
        0..=2 | 16..=20 | 40 | 61 | 72 | 202 | 247 | 257 => Some(ERESTARTSYS),
        7 | 23 | 34 | 35 | 130 | 230 | 270 | 271 => Some(ERESTARTNOHAND),
        _ => None,
    }
}

/// The system call a return to user mode comes from, for restarting.
#[derive(Clone, Copy)]
pub struct SyscallExit {
    /// Its number (`orig_rax`).
    pub number: u64,
}

fn apply_restart(
    frame: &mut TrapFrame,
    syscall: Option<SyscallExit>,
    handler: Option<signal::SaFlags>,
) {
    let Some(syscall) = syscall else { return };
    if frame.rax != Errno::EINTR.to_syscall_return() as u64 {
        return;
    }
    let Some(code) = restart_code(syscall.number) else {
        return;
    };
    let mut regs = registers(frame);
    regs.rax = (-code) as u64;
    let decision = signal::restart_decision(-code, handler);
    if decision == RestartDecision::ReturnEintr {
        return;
    }
    signal::apply_restart(&mut regs, decision, syscall.number);
    load_registers(frame, &regs);
}

/// Runs on every return to user mode: handles what is pending (default
/// actions now, one handler frame), and restarts or fails an interrupted
/// system call per its rules.
pub fn on_return_to_user(frame: &mut TrapFrame, fpu: &mut FpuState, syscall: Option<SyscallExit>) {
    let Ok(link) = super::current() else { return };
    lifecycle::fold_ticks(&link);
    let mut syscall = syscall;
    let interrupted = frame.rax == Errno::EINTR.to_syscall_return() as u64;
    let mut handled = false;
    loop {
        if link.thread.should_die() {
            lifecycle::exit_thread();
        }
        let delivery = {
            let mut thread_signals = link.thread.data().signals.lock();
            let mut data = link.process.data();
            signal::next_signal_to_deliver(&mut thread_signals, data.signals_mut())
        };
        let Some(delivery) = delivery else { break };
        handled = true;
        match delivery.action {
            Action::Terminate { core_dump } => {
                lifecycle::kill_process(
                    &link.process,
                    Termination::Killed {
                        signal: delivery.signal.number(),
                        core_dumped: core_dump,
                    },
                );
                lifecycle::exit_thread();
            }
            Action::Stop => {
                let notice = processes().stop_process(&link.process, delivery.signal.number());
                report_job_event(notice);
                let _ = stop_events().wait_until(true, None, || {
                    !matches!(
                        link.process.data().state(),
                        process::ProcessState::Stopped(_)
                    ) || link.thread.should_die()
                });
            }
            Action::Handler(invocation) => {
                log::trace!(
                    "pid {}: handler for {}",
                    link.process.pid(),
                    delivery.signal.number()
                );
                apply_restart(frame, syscall.take(), Some(invocation.action.flags));
                if let Err(error) = enter_handler(&link, frame, fpu, &delivery.info, &invocation) {
                    log::info!(
                        "pid {}: cannot build a signal frame ({error}): SIGSEGV",
                        link.process.pid()
                    );
                    lifecycle::kill_process(
                        &link.process,
                        Termination::Killed {
                            signal: 11,
                            core_dumped: true,
                        },
                    );
                    lifecycle::exit_thread();
                }
                break;
            }
        }
    }
    if !handled && !interrupted {
        // The common case: nothing pending, nothing interrupted.
        return;
    }
    apply_restart(frame, syscall, None);
    // A sigsuspend that ended without a handler gets its mask back.
    link.thread.data().signals.lock().restore_saved_mask();
    if let Some(id) = link.thread.data().task() {
        task::clear_interrupt(id);
    }
}

fn enter_handler(
    link: &UserLink,
    frame: &mut TrapFrame,
    fpu: &mut FpuState,
    info: &SigInfo,
    invocation: &signal::HandlerInvocation,
) -> KernelResult<()> {
    let regs = registers(frame);
    let fault = FaultContext {
        trapno: if frame.vector < 32 { frame.vector } else { 0 },
        error_code: frame.error_code,
        cr2: if frame.vector == 14 {
            arch::cpu::page_fault_address()
        } else {
            0
        },
    };
    let (plan, altstack_disarm) = {
        let thread_signals = link.thread.data().signals.lock();
        let plan = signal::plan_signal_frame(&FrameRequest {
            registers: &regs,
            fault,
            altstack: thread_signals.altstack(),
            info,
            invocation,
            trampoline: TRAMPOLINE_ADDRESS,
            selectors: SELECTORS,
        })?;
        let disarm = plan.disarm_altstack;
        (plan, disarm)
    };
    let memory = arch::usercopy::ActiveUserMemory;
    memory.copy_to_user(
        UserSlice::new(plan.frame_address, size_of::<signal::RtSigFrame>())?,
        plan.frame.as_bytes(),
    )?;
    memory.copy_to_user(UserSlice::new(plan.fpstate_address, 512)?, &fpu.0)?;
    link.thread
        .data()
        .signals
        .lock()
        .handler_entered(invocation.new_mask, altstack_disarm);
    load_registers(frame, &plan.handler_registers);
    frame.cs = SELECTORS.code.into();
    frame.ss = SELECTORS.data.into();
    // The handler starts with a clean FPU, as on Linux.
    fpu.0 = arch::context::FpuArea::initial().0;
    Ok(())
}

/// `rt_sigreturn`: restores what the handler's frame saved. A corrupt frame
/// kills the process with SIGSEGV.
pub fn sigreturn(frame: &mut TrapFrame, fpu: &mut FpuState) -> u64 {
    let Ok(link) = super::current() else { return 0 };
    let base = signal::sigreturn_frame_address(frame.rsp);
    let restored = (|| -> KernelResult<_> {
        let bytes = crate::syscall::user::read_bytes(
            base + signal::UCONTEXT_OFFSET,
            size_of::<UContext>(),
        )?;
        let uc = UContext::read_from_bytes(&bytes).map_err(|_| Errno::EFAULT)?;
        let restored = signal::restore_from_frame(&uc, SELECTORS)?;
        let fpu_bytes = match restored.fpstate {
            Some(address) => Some(crate::syscall::user::read_bytes(address, 512)?),
            None => None,
        };
        Ok((restored, fpu_bytes))
    })();
    match restored {
        Ok((restored, fpu_bytes)) => {
            link.thread
                .data()
                .signals
                .lock()
                .finish_sigreturn(&restored);
            load_registers(frame, &restored.registers);
            match fpu_bytes {
                Some(bytes) => {
                    fpu.0.copy_from_slice(&bytes);
                    // A user-supplied MXCSR with reserved bits would fault
                    // fxrstor in the kernel: keep only the defined bits.
                    let mxcsr =
                        u32::from_le_bytes([fpu.0[24], fpu.0[25], fpu.0[26], fpu.0[27]]) & 0xffff;
                    fpu.0[24..28].copy_from_slice(&mxcsr.to_le_bytes());
                }
                None => fpu.0 = arch::context::FpuArea::initial().0,
            }
            restored.registers.rax
        }
        Err(error) => {
            log::info!(
                "pid {}: bad signal frame at {base:#x} ({error}): SIGSEGV",
                link.process.pid()
            );
            lifecycle::kill_process(
                &link.process,
                Termination::Killed {
                    signal: 11,
                    core_dumped: true,
                },
            );
            lifecycle::exit_thread()
        }
    }
}

// ---- alarm / ITIMER_REAL --------------------------------------------------

static TIMERS: IrqMutex<alloc::collections::BTreeMap<i32, RealTimer>> =
    IrqMutex::new(alloc::collections::BTreeMap::new());
static ALARM_QUEUE: Once<WaitQueue> = Once::new();

fn alarm_queue() -> &'static WaitQueue {
    ALARM_QUEUE.call_once(WaitQueue::new)
}

/// Runs `f` on `pid`'s ITIMER_REAL.
pub fn with_real_timer<R>(pid: i32, f: impl FnOnce(&mut RealTimer) -> R) -> R {
    let mut timers = TIMERS.lock();
    let result = f(timers.entry(pid).or_default());
    drop(timers);
    // The alarm thread recomputes its next deadline.
    alarm_queue().wake_all();
    result
}

/// Forgets a reaped process's timer.
pub fn drop_real_timer(pid: i32) {
    TIMERS.lock().remove(&pid);
}

/// The kernel thread that fires ITIMER_REAL: sleeps until the earliest
/// deadline, then sends SIGALRM from thread context (processes are locked
/// with plain spin locks, which an interrupt handler must not take).
pub fn start_alarm_thread() -> KernelResult<()> {
    task::spawn("alarms", sched::Priority::NORMAL, || {
        loop {
            let seen = alarm_queue().sequence();
            let now = crate::time::now_ns();
            let mut due = Vec::new();
            let next = {
                let mut timers = TIMERS.lock();
                for (pid, timer) in timers.iter_mut() {
                    if timer.expire(now) {
                        due.push(*pid);
                    }
                }
                timers.values().filter_map(RealTimer::deadline).min()
            };
            for pid in due {
                if let Some(process) = processes().from_pid(pid) {
                    let _ = send(&process, SigInfo::kernel(Signal::SIGALRM));
                }
            }
            alarm_queue().wait_since(seen, false, next);
        }
    })
    .map(|_| ())
}
