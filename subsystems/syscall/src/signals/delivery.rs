//! Delivery on every return to user mode: default actions, stops, handler
//! frames, the restart of interrupted calls, and `rt_sigreturn`.
//!
//! The `signal` crate decides (which signal, which action, the frame's
//! bytes, the restart rule); this module moves registers and user memory
//! through [`SavedRegisters`] and the kernel's user memory, so it runs on
//! the host too.

use abi::{Errno, KernelResult, Sysno};
use mm::UserSlice;
use process::{Process, ProcessState, Termination, Thread};
use signal::{Action, FrameRequest, RestartCode, RestartDecision, SigInfo, UContext};
use zerocopy::{FromZeros, IntoBytes};

use crate::kernel::{EventQueue, Kernel, UserThreadData};
use crate::registers::{FPU_AREA_SIZE, SavedRegisters};
use crate::signals::send::{kill_process, report_job_event};

/// What the kernel must do after [`on_return_to_user`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum UserReturn {
    /// Go back to user mode with the (possibly rewritten) registers.
    Resume,
    /// The thread is dying: leave through the exit path instead.
    ExitThread,
}

/// How a system call reacts to being interrupted by a signal, as Linux's
/// internal `-ERESTART*` codes say: calls that wait for I/O or children
/// restart when the handler has `SA_RESTART`; waits for a signal restart
/// only when no handler ran; a `clone` refused during a stop
/// ([`process::ProcessTable::add_thread`]) or a fork that overlapped a
/// signal to a process group ([`process::ProcessTable::fork_with`])
/// always runs again. A call that left a [`signal::RestartBlock`] before
/// failing (sleeps, `poll`, a futex wait with a timeout) goes on through
/// `restart_syscall` instead, whatever its number says here: its deadline
/// stays where it was.
pub fn restart_code(sysno: Sysno) -> Option<RestartCode> {
    use Sysno::*;
    match sysno {
        Clone | Clone3 | Fork | Vfork => Some(RestartCode::RestartNoIntr),
        Read | Write | Open | Openat | Creat | Ioctl | Readv | Writev | Pread64 | Pwrite64
        | Preadv | Pwritev | Preadv2 | Pwritev2 | Sendfile | Splice | Tee | Vmsplice | Wait4
        | Waitid | Fcntl | Flock | Futex | Getrandom => Some(RestartCode::RestartSys),
        // Sockets restart as signal(7) lists them; a wait bounded by
        // SO_RCVTIMEO or SO_SNDTIMEO leaves RestartBlock::Never instead
        // (Linux's sock_intr_errno), which makes the call fail.
        Accept | Accept4 | Connect | Recvfrom | Recvmsg | Recvmmsg | Sendto | Sendmsg
        | Sendmmsg => Some(RestartCode::RestartSys),
        // select, pselect6 and ppoll wrote the time left back to their
        // timeout, so running them again waits only for what is left.
        // System V message queues and semaphores restart only when no handler ran (Linux's
        // -ERESTARTNOHAND): a handler always makes them EINTR.
        Poll | Ppoll | Select | Pselect6 | Pause | RtSigsuspend | Msgsnd | Msgrcv | Semop
        | Semtimedop => Some(RestartCode::RestartNoHand),
        _ => None,
    }
}

#[inline]
fn apply_restart<E: process::ProcessEnv>(
    thread: &Thread<E>,
    regs: &mut dyn SavedRegisters,
    syscall: Option<Sysno>,
    handler: Option<signal::SaFlags>,
) where
    E::ThreadData: UserThreadData,
{
    // rt_sigreturn's rax is the restored context's, never a result.
    let Some(sysno) = syscall.filter(|&sysno| sysno != Sysno::RtSigreturn) else {
        return;
    };
    // Only an interrupted call restarts: asked of `rax` alone, inline,
    // before any copy of the registers is made.
    if regs.return_value() != Errno::EINTR.to_syscall_return() as u64 {
        return;
    }
    restart_interrupted(thread, regs, sysno, handler);
}

/// The rest of [`apply_restart`], for a call that returned `EINTR`.
#[inline(never)]
fn restart_interrupted<E: process::ProcessEnv>(
    thread: &Thread<E>,
    regs: &mut dyn SavedRegisters,
    sysno: Sysno,
    handler: Option<signal::SaFlags>,
) where
    E::ThreadData: UserThreadData,
{
    // A call that left a restart block asks to go on through
    // `restart_syscall`; a handler ends it, and the block with it (so a
    // handler that never returns leaves nothing stale). A
    // `restart_syscall` that found nothing to resume fails for good.
    let resumable = thread.data().signals().lock().has_restart();
    let code = if resumable {
        RestartCode::RestartBlock
    } else {
        let Some(code) = restart_code(sysno) else {
            return;
        };
        code
    };
    let decision = signal::restart_decision(code.to_syscall_return(), handler);
    if decision == RestartDecision::ReturnEintr {
        if resumable {
            thread.data().signals().lock().take_restart();
        }
        return;
    }
    let mut registers = regs.registers();
    registers.rax = code.to_syscall_return() as u64;
    signal::apply_restart(&mut registers, decision, sysno.number());
    regs.set_registers(&registers);
}

/// [`on_return_to_user`] for the return from a system call, skipped when
/// there is nothing to do: no signal check was requested since the last
/// return ([`Thread::request_signal_check`]: every post, unblock and kill
/// requests one), the call did not fail with `EINTR`, and the process is
/// not traced. Most calls take this way out, without a lock.
///
/// `number` is the call just served, as it came in `rax`: it becomes a
/// [`Sysno`] only on the slow way. Neither an unknown number nor
/// `rt_sigreturn` (whose `rax` is the restored context's, not a result)
/// has a [`restart_code`], so neither is ever restarted.
#[inline]
pub fn on_return_from_syscall<K: Kernel>(
    kernel: &K,
    process: &alloc::sync::Arc<Process<K::Env>>,
    thread: &Thread<K::Env>,
    regs: &mut dyn SavedRegisters,
    number: u64,
) -> UserReturn {
    if !syscall_return_looks(process, thread, regs.return_value()) {
        return UserReturn::Resume;
    }
    on_return_to_user(kernel, process, thread, regs, Sysno::try_from(number).ok())
}

/// Whether the return from a system call that answered `rax` takes
/// [`on_return_to_user`]'s look, as [`on_return_from_syscall`] decides
/// (taking a requested check): for a caller that builds the registers'
/// view only when it does.
#[inline]
pub fn syscall_return_looks<E: process::ProcessEnv>(
    process: &Process<E>,
    thread: &Thread<E>,
    rax: u64,
) -> bool {
    thread.take_signal_check()
        || process.is_traced()
        || rax == Errno::EINTR.to_syscall_return() as u64
}

/// [`on_return_to_user`] for the return from an interrupt or exception,
/// skipped, as [`on_return_from_syscall`] is, when no signal check was
/// requested since the last return and the process is not traced: a
/// resolved page fault or a timer tick goes back without a lock.
#[inline]
pub fn on_return_from_interrupt<K: Kernel>(
    kernel: &K,
    process: &alloc::sync::Arc<Process<K::Env>>,
    thread: &Thread<K::Env>,
    regs: &mut dyn SavedRegisters,
) -> UserReturn {
    if !thread.take_signal_check() && !process.is_traced() {
        return UserReturn::Resume;
    }
    on_return_to_user(kernel, process, thread, regs, None)
}

/// Runs on every return to user mode of `thread` of `process` but those
/// [`on_return_from_syscall`] and [`on_return_from_interrupt`] skip:
/// joins a stop of the process in progress, handles what is pending
/// (default actions now, at most one handler frame), and restarts or
/// fails an interrupted system call (`syscall`, when the return is from
/// one) per its rules.
pub fn on_return_to_user<K: Kernel>(
    kernel: &K,
    process: &alloc::sync::Arc<Process<K::Env>>,
    thread: &Thread<K::Env>,
    regs: &mut dyn SavedRegisters,
    syscall: Option<Sysno>,
) -> UserReturn {
    // This return looks whatever was requested: the request is taken.
    thread.take_signal_check();
    // A timer tick may have asked for this look to fold the thread's CPU
    // time (which may post SIGVTALRM or SIGPROF, seen below).
    kernel.fold_cpu_time();
    let mut syscall = syscall;
    let interrupted = regs.return_value() == Errno::EINTR.to_syscall_return() as u64;
    let mut handled = false;
    let mut entered_handler = false;
    // A signal a tracer substituted is delivered without another stop.
    let mut substituted: Option<signal::Signal> = None;
    let mut more_pending;
    loop {
        if thread.should_die() {
            return UserReturn::ExitThread;
        }
        // A seized tracee's due PTRACE_EVENT_STOP comes before signals.
        if process.is_traced() && crate::process::ptrace::due_trap(kernel, process, thread, regs) {
            handled = true;
            continue;
        }
        // Another thread took a stop signal: this one joins the stop, then
        // takes what is pending (whatever ended the wait, it waits once).
        if process.is_stopped()
            && !process.is_traced()
            && matches!(process.data().state(), ProcessState::Stopped(_))
        {
            wait_while_stopped(kernel, process, thread);
            if thread.should_die() {
                return UserReturn::ExitThread;
            }
            handled = true;
        }
        let delivery = {
            let mut thread_signals = thread.data().signals().lock();
            if syscall.is_some() && !interrupted {
                // The call did not fail after all (a transfer that had
                // moved bytes): what it left for a restart is stale.
                thread_signals.take_restart();
            }
            let mut data = process.data();
            data.signals_mut().set_traced(process.is_traced());
            let delivery = signal::next_signal_to_deliver(&mut thread_signals, data.signals_mut());
            // Seen in the same hold: whether a handler's frame leaves
            // anything for the next return to look at.
            more_pending = delivery.is_some() && thread_signals.has_deliverable(data.signals());
            delivery
        };
        let Some(mut delivery) = delivery else { break };
        handled = true;
        if process.is_traced()
            && delivery.signal != signal::Signal::SIGKILL
            && substituted.take() != Some(delivery.signal)
        {
            // Signal-delivery-stop: the tracer decides what is delivered.
            let number = delivery.signal.number();
            let stop = process::TraceStop::Signal(number);
            let details = (Some(&delivery.info), 0);
            // After a system call the tracer sees its number in
            // `orig_rax`, as on Linux (gdb and strace read it to know
            // whether the call will restart).
            let orig_rax = syscall.map_or(u64::MAX, Sysno::number);
            let inject = crate::process::ptrace::trace_stop(
                kernel, process, thread, regs, stop, orig_rax, details,
            );
            if thread.should_die() {
                return UserReturn::ExitThread;
            }
            if inject != number {
                if let Ok(other) = signal::Signal::from_raw(i32::from(inject)) {
                    let _ = crate::signals::send::send_to_thread(
                        kernel,
                        process,
                        thread,
                        SigInfo::kernel(other),
                    );
                    substituted = Some(other);
                }
                continue;
            }
            // Delivered as the tracer left it (PTRACE_SETSIGINFO).
            if let Some(raw) = crate::process::ptrace::siginfo_at_stop(process) {
                delivery.info = SigInfo::from_user(delivery.signal, &raw);
            }
        }
        match &delivery.action {
            Action::Terminate { core_dump } => {
                // The core is written before the process dies, so a parent
                // that reaps it finds the file.
                let core_dumped = *core_dump
                    && crate::process::coredump::dump_core(
                        kernel,
                        process,
                        thread,
                        &*regs,
                        &delivery.info,
                    );
                let termination = Termination::Killed {
                    signal: delivery.signal.number(),
                    core_dumped,
                };
                kill_process(kernel, process, termination);
                return UserReturn::ExitThread;
            }
            Action::Stop => {
                let stopped = kernel
                    .processes()
                    .stop_process(process, delivery.signal.number());
                if stopped && process.is_traced() {
                    // Its threads stop for the tracer one by one: the stop
                    // is announced now.
                    let notify = crate::process::child_events::lock_for_every_waiter();
                    let notice = kernel.processes().announce_stop_now(process);
                    report_job_event(kernel, notice, notify);
                }
                if crate::process::ptrace::is_seized(process) {
                    // A seized tracee's group-stop is a trace stop: its
                    // tracer lets it run again, or listens for SIGCONT.
                    let stop = process::TraceStop::GroupStop(delivery.signal.number());
                    let inject = crate::process::ptrace::trace_stop(
                        kernel,
                        process,
                        thread,
                        regs,
                        stop,
                        u64::MAX,
                        (None, 0),
                    );
                    crate::process::ptrace::queue_injected(kernel, process, thread, inject);
                    continue;
                }
                // The other threads stop too, on their way back to user
                // mode (Linux's JOBCTL_STOP_PENDING): one in user code at
                // its next entry, one asleep in a call at once (the call
                // restarts once the process is continued).
                if !process.is_traced() {
                    for other in process.threads() {
                        if other.tid() != thread.tid() {
                            other.request_signal_check();
                            kernel.interrupt(&other);
                        }
                    }
                }
                wait_while_stopped(kernel, process, thread);
            }
            Action::Ignore => {}
            Action::Handler(invocation) => {
                entered_handler = true;
                apply_restart(thread, regs, syscall.take(), Some(invocation.action.flags));
                if let Err(error) = enter_handler(kernel, thread, regs, &delivery.info, invocation)
                {
                    log::info!(
                        "pid {}: cannot build a signal frame ({error}): SIGSEGV",
                        process.pid()
                    );
                    kill_with_segv(kernel, process, thread, &*regs);
                    return UserReturn::ExitThread;
                }
                break;
            }
        }
    }
    if !handled && !interrupted {
        // The common case: nothing pending, nothing interrupted.
        return UserReturn::Resume;
    }
    apply_restart(thread, regs, syscall, None);
    // A sigsuspend that ended without a handler gets its mask back (a
    // handler's entry took the saved mask into its frame).
    if !entered_handler {
        thread.data().signals().lock().restore_saved_mask();
    }
    kernel.clear_interrupt(thread);
    // One handler frame per return: whatever else was pending is looked
    // at on the next one, and so is what a restored mask unblocked. A
    // signal posted since the look asked for a check itself.
    if more_pending || !entered_handler {
        thread.request_signal_check();
    }
    UserReturn::Resume
}

/// Sleeps while `process` is stopped, until continued or killed (both
/// wake the stop events), once this thread has counted itself stopped
/// (the last to do so reports the stop to the parent); a tracer that seizes the stopped process gets it
/// reported. Not an interruptible sleep: other signals stay pending (and
/// the tkill of a raise(SIGSTOP) interrupted this very thread).
fn wait_while_stopped<K: Kernel>(kernel: &K, process: &Process<K::Env>, thread: &Thread<K::Env>) {
    if !process.is_traced() {
        // The last thread to stop tells the parent (Linux's group stop).
        let notify = crate::process::child_events::lock_for_every_waiter();
        let notice = kernel.processes().park_for_stop(process, thread);
        report_job_event(kernel, notice, notify);
    }
    let _ = kernel.stop_events().wait_until(false, None, || {
        !matches!(process.data().state(), ProcessState::Stopped(_))
            || thread.should_die()
            || process.data().tracing().is_some_and(|t| t.trap_pending)
    });
}

/// Kills `process` with `SIGSEGV` for a signal frame the kernel could not
/// build or restore, dumping core as that signal's default action does.
fn kill_with_segv<K: Kernel>(
    kernel: &K,
    process: &Process<K::Env>,
    thread: &Thread<K::Env>,
    regs: &dyn SavedRegisters,
) {
    let info = SigInfo::kernel(signal::Signal::SIGSEGV);
    let core_dumped = crate::process::coredump::dump_core(kernel, process, thread, regs, &info);
    kill_process(
        kernel,
        process,
        Termination::Killed {
            signal: 11,
            core_dumped,
        },
    );
}

/// Builds the handler's `rt_sigframe` on the user stack (or the alternate
/// stack) and points the registers at the handler.
fn enter_handler<K: Kernel>(
    kernel: &K,
    thread: &Thread<K::Env>,
    regs: &mut dyn SavedRegisters,
    info: &SigInfo,
    invocation: &signal::HandlerInvocation,
) -> KernelResult<()> {
    let registers = regs.registers();
    let altstack = {
        let mut thread_signals = thread.data().signals().lock();
        let altstack = *thread_signals.altstack();
        // The handler's mask (and an auto-disarmed alternate stack) now,
        // under the same lock, not after the copies: a frame that cannot
        // be written kills the process, which then runs no more code.
        thread_signals.handler_entered(invocation.new_mask, altstack.autodisarm());
        altstack
    };
    let request = FrameRequest {
        registers: &registers,
        fault: regs.fault(),
        altstack: &altstack,
        info,
        invocation,
        trampoline: K::TRAMPOLINE,
        selectors: K::SELECTORS,
    };
    let plan = signal::build_signal_frame(&request, signal::place_request(&request)?);
    let memory = kernel.user_memory();
    memory.copy_to_user(
        UserSlice::new(plan.frame_address, size_of::<signal::RtSigFrame>())?,
        plan.frame.as_bytes(),
    )?;
    regs.write_fpu_to_user(memory, UserSlice::new(plan.fpstate_address, FPU_AREA_SIZE)?)?;
    // The plan's registers carry `K::SELECTORS` (the request's) already.
    regs.set_registers(&plan.handler_registers);
    // The handler starts with a clean FPU, as on Linux.
    regs.reset_fpu();
    Ok(())
}

/// `rt_sigreturn`: restores what the handler's frame saved; the value is
/// the restored `rax`. A corrupt frame kills the process with SIGSEGV
/// (`Err(ExitThread)`).
pub fn sigreturn<K: Kernel>(
    kernel: &K,
    process: &Process<K::Env>,
    thread: &Thread<K::Env>,
    regs: &mut dyn SavedRegisters,
) -> Result<u64, UserReturn> {
    let base = signal::sigreturn_frame_address(regs.stack_pointer());
    let memory = kernel.user_memory();
    // The FPU state is reset first: the frame's replaces it below, and a
    // frame that fails leaves it clean, as Linux clears it. A kernel that
    // keeps the caller's state in the CPU then need not save it only to
    // have it overwritten.
    regs.reset_fpu();
    let restored = (|| -> KernelResult<_> {
        let mut uc = UContext::new_zeroed();
        memory.copy_from_user(
            uc.as_mut_bytes(),
            UserSlice::new(
                base.wrapping_add(signal::UCONTEXT_OFFSET),
                size_of::<UContext>(),
            )?,
        )?;
        let restored = signal::restore_from_frame(&uc, K::SELECTORS)?;
        // The FPU image goes straight into the saved state: a frame that
        // fails here kills the process, so a partial copy is never run
        // (and the state is reset again for its core dump).
        match restored.fpstate {
            Some(address) => {
                let area = regs.fpu_to_overwrite();
                memory.copy_from_user(area, UserSlice::new(address, FPU_AREA_SIZE)?)?;
                // A user-supplied MXCSR with reserved bits would fault
                // fxrstor in the kernel: keep only the defined bits.
                let mxcsr = u32::from_le_bytes([area[24], area[25], area[26], area[27]]) & 0xffff;
                area[24..28].copy_from_slice(&mxcsr.to_le_bytes());
            }
            None => regs.reset_fpu(),
        }
        Ok(restored)
    })();
    match restored {
        Ok(restored) => {
            let deliverable = {
                let mut signals = thread.data().signals().lock();
                signals.finish_sigreturn(&restored);
                signals.has_deliverable(process.data().signals())
            };
            // The restored mask may unblock a pending signal; one that
            // unblocks nothing pending needs no look on the way out (a
            // signal posted from now on asks for one itself).
            if deliverable {
                thread.request_signal_check();
            }
            regs.set_registers(&restored.registers);
            Ok(restored.registers.rax)
        }
        Err(error) => {
            log::info!(
                "pid {}: bad signal frame at {base:#x} ({error}): SIGSEGV",
                process.pid()
            );
            regs.reset_fpu();
            kill_with_segv(kernel, process, thread, &*regs);
            Err(UserReturn::ExitThread)
        }
    }
}
