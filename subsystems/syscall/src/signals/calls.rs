//! Signal calls: dispositions, masks, sending, waiting, alternate stacks,
//! alarms and `rt_sigreturn`.

use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::{Errno, Itimerval, KernelResult, Timespec};
use process::{Process, ProcessState};
use signal::{
    ItimerWhich, KernelSigAction, KillTarget, RawSigInfo, SigInfo, SigSet, Signal, StackT,
};
use smallvec::SmallVec;

use crate::SyscallResult;
use crate::args::UserPtr;
use crate::context::Context;
use crate::kernel::{Kernel, UserThreadData};
use crate::signals::delivery::{self, UserReturn};
use crate::signals::send::{may_signal, send, send_from, send_to_thread};

fn optional_signal(signum: i32) -> Result<Option<Signal>, Errno> {
    if signum == 0 {
        Ok(None)
    } else {
        Signal::from_raw(signum).map(Some)
    }
}

/// `rt_sigaction(signum, act, oldact, sigsetsize)`.
pub fn rt_sigaction<K: Kernel>(
    ctx: &Context<'_, K>,
    signum: i32,
    act: UserPtr<KernelSigAction>,
    oldact: UserPtr<KernelSigAction>,
    size: usize,
) -> SyscallResult {
    let new = if act.is_null() {
        None
    } else {
        Some(ctx.read(act)?)
    };
    let old = {
        let threads = ctx.process.threads();
        let mut guards: Vec<_> = threads.iter().map(|t| t.data().signals().lock()).collect();
        let mut data = ctx.process.data();
        data.signals_mut()
            .sigaction(signum, new, size, guards.iter_mut().map(|g| &mut **g))?
    };
    ctx.write_optional(oldact, &old)?;
    Ok(0)
}

/// `rt_sigprocmask(how, set, oldset, sigsetsize)`.
pub fn rt_sigprocmask<K: Kernel>(
    ctx: &Context<'_, K>,
    how: i32,
    set: UserPtr<u64>,
    oldset: UserPtr<u64>,
    size: usize,
) -> SyscallResult {
    let set = if set.is_null() {
        None
    } else {
        Some(SigSet::from_bits(ctx.read(set)?))
    };
    let (old, deliverable) = {
        let mut signals = ctx.thread.data().signals().lock();
        let old = signals.sigprocmask(how, set, size)?;
        (old, signals.has_deliverable(ctx.process.data().signals()))
    };
    // An unblocked pending signal is delivered before the call returns;
    // a mask that unblocks nothing pending needs no look on the way out
    // (a signal posted from now on asks for one itself).
    if deliverable {
        ctx.thread.request_signal_check();
    }
    ctx.write_optional(oldset, &old.bits())?;
    Ok(0)
}

/// `rt_sigpending(set, sigsetsize)`.
pub fn rt_sigpending<K: Kernel>(
    ctx: &Context<'_, K>,
    set: UserPtr<u64>,
    size: usize,
) -> SyscallResult {
    if size > 8 {
        return Err(Errno::EINVAL);
    }
    let pending = {
        let thread = ctx.thread.data().signals().lock();
        let data = ctx.process.data();
        thread.sigpending(data.signals())
    };
    ctx.write(set, &pending.bits())?;
    Ok(0)
}

/// `sigaltstack(ss, old_ss)`.
pub fn sigaltstack<K: Kernel>(
    ctx: &Context<'_, K>,
    ss: UserPtr<StackT>,
    old: UserPtr<StackT>,
) -> SyscallResult {
    let new = if ss.is_null() {
        None
    } else {
        Some(ctx.read(ss)?)
    };
    let rsp = ctx.registers.borrow().registers().rsp;
    let previous = ctx
        .thread
        .data()
        .signals()
        .lock()
        .altstack_mut()
        .sigaltstack(new.as_ref(), rsp)?;
    ctx.write_optional(old, &previous)?;
    Ok(0)
}

/// `kill(pid, sig)`: a process, the caller's group, a group, or everyone
/// the caller may signal; signal 0 only checks.
pub fn kill<K: Kernel>(ctx: &Context<'_, K>, pid: i32, signum: i32) -> SyscallResult {
    let signal = optional_signal(signum)?;
    let target = KillTarget::from_raw(pid)?;
    let processes = ctx.kernel.processes();
    if let KillTarget::Process(pid) = target {
        // One process (the common case): no target list, and no lookup
        // for the caller itself (`raise`, `abort`).
        if pid == ctx.process.pid() {
            return kill_one(ctx, ctx.process, signal);
        }
        let target = processes.from_pid(pid).ok_or(Errno::ESRCH)?;
        return kill_one(ctx, &target, signal);
    }
    let (sender_pid, sender_uid, own_group) = {
        let data = ctx.process.data();
        (ctx.process.pid(), data.credentials().uid(), data.pgid())
    };
    // From before the list is made until every member has the signal, a
    // fork starts again rather than make a child the list missed.
    let group = match target {
        KillTarget::CallerGroup => Some(own_group),
        KillTarget::Group(pgid) => Some(pgid),
        KillTarget::Process(_) | KillTarget::Everyone => None,
    };
    let _many = signal.is_some().then(|| processes.signalling_many(group));
    // The group is read first: the table locks every member's data, ours too.
    // Inline storage: kill(pid) of one process allocates nothing.
    let targets: SmallVec<[_; 4]> = match target {
        KillTarget::Process(pid) => processes.from_pid(pid).into_iter().collect(),
        KillTarget::CallerGroup => processes.processes_in_group(own_group).into(),
        KillTarget::Everyone => processes
            .all_processes()
            .into_iter()
            .filter(|p| p.pid() != 1 && p.pid() != sender_pid)
            .collect(),
        KillTarget::Group(pgid) => processes.processes_in_group(pgid).into(),
    };
    let single = matches!(target, KillTarget::Process(_));
    let targets: SmallVec<[_; 4]> = targets
        .into_iter()
        .filter(|t| single || !matches!(t.data().state(), ProcessState::Zombie(_)))
        .collect();
    if targets.is_empty() {
        return Err(Errno::ESRCH);
    }
    let permitted: SmallVec<[_; 4]> = targets
        .iter()
        .filter(|t| may_signal::<K>(ctx.process, t, signal))
        .collect();
    if permitted.is_empty() {
        return Err(Errno::EPERM);
    }
    if let Some(signal) = signal {
        for target in permitted {
            send_kill(ctx, target, signal, sender_pid, sender_uid)?;
        }
    }
    Ok(0)
}

/// `kill` of one process, `pid` > 0 (a zombie can be signalled: nothing
/// happens, as on Linux).
fn kill_one<K: Kernel>(
    ctx: &Context<'_, K>,
    target: &Arc<Process<K::Env>>,
    signal: Option<Signal>,
) -> SyscallResult {
    if !may_signal::<K>(ctx.process, target, signal) {
        return Err(Errno::EPERM);
    }
    if let Some(signal) = signal {
        let sender_uid = ctx.process.data().credentials().uid();
        send_kill(ctx, target, signal, ctx.process.pid(), sender_uid)?;
    }
    Ok(0)
}

/// Sends what `kill` sends; init gets only the signals it installed
/// handlers for.
#[inline]
fn send_kill<K: Kernel>(
    ctx: &Context<'_, K>,
    target: &Arc<Process<K::Env>>,
    signal: Signal,
    sender_pid: i32,
    sender_uid: u32,
) -> KernelResult<()> {
    if target.pid() == 1
        && target.data().signals().action(signal).handler == signal::Disposition::Default
    {
        return Ok(());
    }
    send_from(
        ctx.kernel,
        target,
        SigInfo::kill(signal, sender_pid, sender_uid),
        ctx.process,
        ctx.thread,
    )
}

fn thread_kill<K: Kernel>(
    ctx: &Context<'_, K>,
    tgid: Option<i32>,
    tid: i32,
    signum: i32,
) -> SyscallResult {
    signal::check_tgkill_ids(tgid, tid)?;
    let signal = optional_signal(signum)?;
    let processes = ctx.kernel.processes();
    let thread = processes.from_tid(tid).ok_or(Errno::ESRCH)?;
    if tgid.is_some_and(|tgid| tgid != thread.pid()) {
        return Err(Errno::ESRCH);
    }
    let process = processes.from_pid(thread.pid()).ok_or(Errno::ESRCH)?;
    if !may_signal::<K>(ctx.process, &process, signal) {
        return Err(Errno::EPERM);
    }
    if let Some(signal) = signal {
        let uid = ctx.process.data().credentials().uid();
        let info = SigInfo::tkill(signal, ctx.process.pid(), uid);
        send_to_thread(ctx.kernel, &process, &thread, info)?;
    }
    Ok(0)
}

/// `tkill(tid, sig)`.
pub fn tkill<K: Kernel>(ctx: &Context<'_, K>, tid: i32, signum: i32) -> SyscallResult {
    thread_kill(ctx, None, tid, signum)
}

/// `tgkill(tgid, tid, sig)`.
pub fn tgkill<K: Kernel>(ctx: &Context<'_, K>, tgid: i32, tid: i32, signum: i32) -> SyscallResult {
    thread_kill(ctx, Some(tgid), tid, signum)
}

/// `rt_sigqueueinfo(pid, sig, info)`: a signal with the caller's own
/// `siginfo` (only negative codes, or any to itself).
pub fn rt_sigqueueinfo<K: Kernel>(
    ctx: &Context<'_, K>,
    pid: i32,
    signum: i32,
    info: UserPtr<RawSigInfo>,
) -> SyscallResult {
    let signal = Signal::from_raw(signum)?;
    let raw = ctx.read(info)?;
    let target: Arc<Process<K::Env>> = ctx.kernel.processes().from_pid(pid).ok_or(Errno::ESRCH)?;
    signal::check_queued_siginfo(ctx.process.pid(), target.pid(), raw.si_code)?;
    signal::check_siginfo_expansion(signal.as_i32(), &raw)?;
    if !may_signal::<K>(ctx.process, &target, Some(signal)) {
        return Err(Errno::EPERM);
    }
    send(ctx.kernel, &target, SigInfo::from_user(signal, &raw))?;
    Ok(0)
}

/// `rt_tgsigqueueinfo(tgid, tid, sig, info)`: [`rt_sigqueueinfo`] to one
/// thread (glibc's `pthread_sigqueue`): a code other than a negative one
/// or `SI_TKILL` only to the calling thread itself (`EPERM`); `ESRCH`
/// unless `tid` is a thread of `tgid`; signal 0 only checks.
pub fn rt_tgsigqueueinfo<K: Kernel>(
    ctx: &Context<'_, K>,
    tgid: i32,
    tid: i32,
    signum: i32,
    info: UserPtr<RawSigInfo>,
) -> SyscallResult {
    signal::check_tgkill_ids(Some(tgid), tid)?;
    let signal = optional_signal(signum)?;
    let raw = ctx.read(info)?;
    signal::check_queued_siginfo(ctx.thread.tid(), tid, raw.si_code)?;
    let processes = ctx.kernel.processes();
    let thread = processes.from_tid(tid).ok_or(Errno::ESRCH)?;
    if thread.pid() != tgid {
        return Err(Errno::ESRCH);
    }
    let process = processes.from_pid(tgid).ok_or(Errno::ESRCH)?;
    if !may_signal::<K>(ctx.process, &process, signal) {
        return Err(Errno::EPERM);
    }
    if let Some(signal) = signal {
        signal::check_siginfo_expansion(signal.as_i32(), &raw)?;
        send_to_thread(
            ctx.kernel,
            &process,
            &thread,
            SigInfo::from_user(signal, &raw),
        )?;
    }
    Ok(0)
}

/// Sleeps until a signal interrupts the caller: `EINTR` (restarted or not
/// by the delivery rules).
fn wait_for_signal<K: Kernel>(ctx: &Context<'_, K>) -> SyscallResult {
    loop {
        // A signal already pending and unblocked ends the wait at once; one
        // arriving after this check interrupts the sleep (the scheduler
        // keeps the interruption until the signal is handled).
        let pending = {
            let thread = ctx.thread.data().signals().lock();
            let data = ctx.process.data();
            thread.has_wakeup_signal(data.signals())
        };
        // A seized tracee's due trap interrupts too, and so does a stop
        // another thread began, which this one must join (the call
        // restarts after either). Sleeping again instead would return at
        // once, the interruption still pending, and spin.
        if pending
            || ctx.thread.should_die()
            || crate::process::ptrace::trap_due(ctx.process)
            || ctx.process.is_stopped()
        {
            return Err(Errno::EINTR);
        }
        ctx.kernel.sleep_until(u64::MAX);
    }
}

/// `pause()`.
pub fn pause<K: Kernel>(ctx: &Context<'_, K>) -> SyscallResult {
    wait_for_signal(ctx)
}

/// `rt_sigsuspend(mask, sigsetsize)`: waits with `mask` in place; the old
/// mask comes back once the handler returns.
pub fn rt_sigsuspend<K: Kernel>(
    ctx: &Context<'_, K>,
    mask: UserPtr<u64>,
    size: usize,
) -> SyscallResult {
    if size != 8 {
        return Err(Errno::EINVAL);
    }
    let mask = SigSet::from_bits(ctx.read(mask)?);
    ctx.thread.data().signals().lock().begin_sigsuspend(mask);
    ctx.thread.request_signal_check();
    wait_for_signal(ctx)
}

/// `rt_sigtimedwait(set, info, timeout, sigsetsize)`: takes a pending
/// signal from `set` (the caller blocks them), waiting up to `timeout`.
pub fn rt_sigtimedwait<K: Kernel>(
    ctx: &Context<'_, K>,
    set: UserPtr<u64>,
    info: UserPtr<RawSigInfo>,
    timeout: UserPtr<Timespec>,
    size: usize,
) -> SyscallResult {
    if size != 8 {
        return Err(Errno::EINVAL);
    }
    let set = SigSet::from_bits(ctx.read(set)?);
    let deadline = if timeout.is_null() {
        None
    } else {
        let ts = ctx.read(timeout)?;
        Some(ts.validate()?.deadline_after(ctx.kernel.now_ns())?)
    };
    let take = || {
        let mut thread = ctx.thread.data().signals().lock();
        let mut data = ctx.process.data();
        thread.take_waited(data.signals_mut(), set)
    };
    ctx.thread.data().signals().lock().begin_wait(set);
    let result = loop {
        if let Some(found) = take() {
            break Ok(found);
        }
        let reason = ctx.kernel.sleep_until(deadline.unwrap_or(u64::MAX));
        if let Some(found) = take() {
            break Ok(found);
        }
        match reason {
            sched::WakeReason::TimedOut => break Err(Errno::EAGAIN),
            sched::WakeReason::Interrupted => {
                let deliverable = {
                    let thread = ctx.thread.data().signals().lock();
                    thread.has_deliverable(ctx.process.data().signals())
                };
                if deliverable {
                    break Err(Errno::EINTR);
                }
                // A leftover interruption (for a signal someone already
                // took): not a reason to stop waiting.
                ctx.kernel.clear_interrupt(ctx.thread);
            }
            sched::WakeReason::Woken => {}
        }
    };
    ctx.thread.data().signals().lock().end_wait();
    ctx.thread.request_signal_check();
    let found = result?;
    // The signal that interrupted the sleep is taken, not delivered: its
    // interruption must not cut the thread's next sleep short.
    let more = {
        let thread = ctx.thread.data().signals().lock();
        thread.has_deliverable(ctx.process.data().signals())
    };
    if !more {
        ctx.kernel.clear_interrupt(ctx.thread);
    }
    ctx.write_optional(info, &found.to_raw())?;
    Ok(u64::from(found.signal.number()))
}

/// `alarm(seconds)`: the seconds left on the previous alarm.
pub fn alarm<K: Kernel>(ctx: &Context<'_, K>, seconds: u32) -> SyscallResult {
    let now = ctx.kernel.now_ns();
    let left = ctx
        .process
        .data()
        .signals_mut()
        .real_timer_mut()
        .alarm(now, seconds);
    ctx.kernel.alarms_changed();
    Ok(u64::from(left))
}

/// `getitimer(which, value)`: `ITIMER_REAL` only.
pub fn getitimer<K: Kernel>(
    ctx: &Context<'_, K>,
    which: i32,
    value: UserPtr<Itimerval>,
) -> SyscallResult {
    let now = ctx.kernel.now_ns();
    let current = match ItimerWhich::from_raw(which)? {
        ItimerWhich::Real => ctx.process.data().signals().real_timer().get(now),
        which => ctx
            .process
            .data()
            .signals_mut()
            .cpu_timer_mut(which == ItimerWhich::Prof)
            .get(),
    };
    ctx.write(value, &current)?;
    Ok(0)
}

/// `setitimer(which, new, old)`: `ITIMER_REAL` (wall time, SIGALRM),
/// `ITIMER_VIRTUAL` (user CPU time, SIGVTALRM), `ITIMER_PROF` (user and
/// system CPU time, SIGPROF).
pub fn setitimer<K: Kernel>(
    ctx: &Context<'_, K>,
    which: i32,
    new: UserPtr<Itimerval>,
    old: UserPtr<Itimerval>,
) -> SyscallResult {
    let which = ItimerWhich::from_raw(which)?;
    let new = ctx.read(new)?;
    if which != ItimerWhich::Real {
        let previous = ctx
            .process
            .data()
            .signals_mut()
            .cpu_timer_mut(which == ItimerWhich::Prof)
            .set(&new)?;
        ctx.write_optional(old, &previous)?;
        return Ok(0);
    }
    let now = ctx.kernel.now_ns();
    let previous = ctx
        .process
        .data()
        .signals_mut()
        .real_timer_mut()
        .set(now, &new)?;
    ctx.kernel.alarms_changed();
    ctx.write_optional(old, &previous)?;
    Ok(0)
}

/// `rt_sigreturn()`: the registers the handler's frame saved; the call
/// "returns" the restored `rax`. A corrupt frame kills the process.
pub fn rt_sigreturn<K: Kernel>(ctx: &Context<'_, K>) -> SyscallResult {
    let mut registers = ctx.registers.borrow_mut();
    match delivery::sigreturn(ctx.kernel, ctx.process, ctx.thread, &mut *registers) {
        Ok(rax) => Ok(rax),
        Err(UserReturn::ExitThread | UserReturn::Resume) => Err(Errno::EFAULT),
    }
}
