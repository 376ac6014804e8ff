//! Signal calls: dispositions, masks, sending, waiting, alternate stacks,
//! alarms. Delivery itself is `userland::signals`.

use alloc::vec::Vec;

use abi::Errno;
use signal::{
    ItimerWhich, Itimerval, KernelSigAction, RawSigInfo, SigInfo, SigSet, Signal, StackT,
};

use super::user::{read, write};
use super::{Call, SyscallResult};
use crate::userland::{self, Process, processes, signals};

/// A write to a pipe nobody reads: SIGPIPE for the writing thread.
pub fn raise_sigpipe() {
    if let Ok(link) = userland::current() {
        let _ = signals::send_to_thread(&link, SigInfo::kernel(Signal::SIGPIPE));
    }
}

/// Linux's permission rule for signals, from the signal crate.
fn may_signal(sender: &Process, target: &Process, signal: Option<Signal>) -> bool {
    // One process lock at a time: sender and target may be the same.
    let ids = |p: &Process| {
        let data = p.data();
        let c = data.credentials();
        (
            signal::SignalCredentials {
                uid: c.uid(),
                euid: c.euid(),
                suid: c.suid(),
            },
            data.sid(),
        )
    };
    let (sender_ids, sender_sid) = ids(sender);
    let (target_ids, target_sid) = ids(target);
    let relation = signal::TargetRelation {
        same_process: sender.pid() == target.pid(),
        same_session: sender_sid == target_sid,
    };
    signal::check_kill_permission(signal, true, sender_ids, target_ids, relation).is_ok()
}

fn kill(pid: i32, signum: i32) -> SyscallResult {
    let signal = if signum == 0 {
        None
    } else {
        Some(Signal::from_raw(signum)?)
    };
    let sender = userland::current()?;
    let (sender_pid, sender_uid) = (
        sender.process.pid(),
        sender.process.data().credentials().uid(),
    );
    // Read the group first: the table locks every member's data, ours too.
    let own_group = sender.process.data().pgid();
    let targets: Vec<_> = match pid {
        i32::MIN => return Err(Errno::ESRCH),
        p if p > 0 => processes().from_pid(p).into_iter().collect(),
        0 => processes().processes_in_group(own_group),
        -1 => processes()
            .all_processes()
            .into_iter()
            .filter(|p| p.pid() != 1 && p.pid() != sender_pid)
            .collect(),
        p => processes().processes_in_group(-p),
    };
    let targets: Vec<_> = targets
        .into_iter()
        .filter(|t| !matches!(t.data().state(), process::ProcessState::Zombie(_)) || pid > 0)
        .collect();
    if targets.is_empty() {
        return Err(Errno::ESRCH);
    }
    let permitted: Vec<_> = targets
        .iter()
        .filter(|t| may_signal(&sender.process, t, signal))
        .collect();
    if permitted.is_empty() {
        return Err(Errno::EPERM);
    }
    if let Some(signal) = signal {
        for target in permitted {
            // init gets only the signals it installed handlers for.
            if target.pid() == 1
                && target.data().signals().action(signal).handler == signal::Disposition::Default
            {
                continue;
            }
            signals::send(target, SigInfo::kill(signal, sender_pid, sender_uid))?;
        }
    }
    Ok(0)
}

fn thread_kill(tgid: Option<i32>, tid: i32, signum: i32) -> SyscallResult {
    if tid <= 0 || tgid.is_some_and(|g| g <= 0) {
        return Err(Errno::EINVAL);
    }
    let signal = if signum == 0 {
        None
    } else {
        Some(Signal::from_raw(signum)?)
    };
    let thread = processes().from_tid(tid).ok_or(Errno::ESRCH)?;
    if tgid.is_some_and(|tgid| tgid != thread.pid()) {
        return Err(Errno::ESRCH);
    }
    let process = processes().from_pid(thread.pid()).ok_or(Errno::ESRCH)?;
    let sender = userland::current()?;
    if !may_signal(&sender.process, &process, signal) {
        return Err(Errno::EPERM);
    }
    if let Some(signal) = signal {
        let (pid, uid) = (
            sender.process.pid(),
            sender.process.data().credentials().uid(),
        );
        signals::send_to_thread(
            &userland::UserLink { process, thread },
            SigInfo::tkill(signal, pid, uid),
        )?;
    }
    Ok(0)
}

/// Sleeps until a signal interrupts the caller: `EINTR` (restarted or not
/// by the delivery rules).
fn wait_for_signal() -> SyscallResult {
    let link = userland::current()?;
    loop {
        // A signal already pending and unblocked ends the wait at once; one
        // arriving after this check interrupts the sleep (the scheduler
        // keeps the interruption until the signal is handled).
        let pending = {
            let thread_signals = link.thread.data().signals.lock();
            let data = link.process.data();
            thread_signals.has_wakeup_signal(data.signals())
        };
        if pending || link.thread.should_die() {
            return Err(Errno::EINTR);
        }
        crate::task::sleep_until(u64::MAX);
    }
}

fn sigtimedwait(call: &mut Call<'_>) -> SyscallResult {
    let [set, info, timeout, size, _, _] = call.args;
    if size != 8 {
        return Err(Errno::EINVAL);
    }
    let set = SigSet::from_bits(read::<u64>(set)?);
    let deadline = if timeout == 0 {
        None
    } else {
        let ts: sched::Timespec = read(timeout)?;
        Some(ts.validate()?.deadline_after(crate::time::now_ns())?)
    };
    let link = userland::current()?;
    let take = || {
        let mut t = link.thread.data().signals.lock();
        let mut d = link.process.data();
        t.take_waited(d.signals_mut(), set)
    };
    link.thread.data().signals.lock().begin_wait(set);
    let result = loop {
        if let Some(found) = take() {
            break Ok(found);
        }
        let reason = crate::task::sleep_until(deadline.unwrap_or(u64::MAX));
        if let Some(found) = take() {
            break Ok(found);
        }
        match reason {
            sched::WakeReason::TimedOut => break Err(Errno::EAGAIN),
            sched::WakeReason::Interrupted => break Err(Errno::EINTR),
            sched::WakeReason::Woken => {}
        }
    };
    link.thread.data().signals.lock().end_wait();
    let found = result?;
    if info != 0 {
        write(info, &found.to_raw())?;
    }
    Ok(u64::from(found.signal.number()))
}

/// Signal calls.
pub fn dispatch(call: &mut Call<'_>, number: u64) -> SyscallResult {
    let a = call.args;
    match number {
        13 => {
            let link = userland::current()?;
            let new: Option<KernelSigAction> = if a[1] == 0 { None } else { Some(read(a[1])?) };
            let old = {
                let threads = link.process.threads();
                let mut guards: Vec<_> = threads.iter().map(|t| t.data().signals.lock()).collect();
                let mut data = link.process.data();
                data.signals_mut().sigaction(
                    a[0] as i32,
                    new,
                    a[3] as usize,
                    guards.iter_mut().map(|g| &mut **g),
                )?
            };
            if a[2] != 0 {
                write(a[2], &old)?;
            }
            Ok(0)
        }
        14 => {
            let link = userland::current()?;
            let set: Option<SigSet> = if a[1] == 0 {
                None
            } else {
                Some(SigSet::from_bits(read::<u64>(a[1])?))
            };
            let old =
                link.thread
                    .data()
                    .signals
                    .lock()
                    .sigprocmask(a[0] as i32, set, a[3] as usize)?;
            if a[2] != 0 {
                write(a[2], &old.bits())?;
            }
            Ok(0)
        }
        15 => Ok(signals::sigreturn(call.frame, call.fpu)),
        127 => {
            let link = userland::current()?;
            let pending = {
                let t = link.thread.data().signals.lock();
                let data = link.process.data();
                t.sigpending(data.signals())
            };
            write(a[0], &pending.bits())?;
            Ok(0)
        }
        128 => sigtimedwait(call),
        129 => {
            let signal = Signal::from_raw(a[1] as i32)?;
            let raw: RawSigInfo = read(a[2])?;
            let target = processes().from_pid(a[0] as i32).ok_or(Errno::ESRCH)?;
            let link = userland::current()?;
            signal::check_queued_siginfo(link.process.pid(), target.pid(), raw.si_code)?;
            if !may_signal(&link.process, &target, Some(signal)) {
                return Err(Errno::EPERM);
            }
            signals::send(&target, SigInfo::from_user(signal, &raw))?;
            Ok(0)
        }
        130 => {
            if a[1] != 8 {
                return Err(Errno::EINVAL);
            }
            let mask = SigSet::from_bits(read::<u64>(a[0])?);
            userland::current()?
                .thread
                .data()
                .signals
                .lock()
                .begin_sigsuspend(mask);
            wait_for_signal()
        }
        131 => {
            let link = userland::current()?;
            let new: Option<StackT> = if a[0] == 0 { None } else { Some(read(a[0])?) };
            let old = link
                .thread
                .data()
                .signals
                .lock()
                .altstack_mut()
                .sigaltstack(new.as_ref(), call.frame.rsp)?;
            if a[1] != 0 {
                write(a[1], &old)?;
            }
            Ok(0)
        }
        34 => wait_for_signal(),
        37 => {
            let pid = userland::current()?.process.pid();
            let now = crate::time::now_ns();
            Ok(u64::from(signals::with_real_timer(pid, |t| {
                t.alarm(now, a[0] as u32)
            })))
        }
        36 | 38 => {
            if ItimerWhich::from_raw(a[0] as i32)? != ItimerWhich::Real {
                return Err(Errno::EINVAL);
            }
            let pid = userland::current()?.process.pid();
            let now = crate::time::now_ns();
            if number == 36 {
                let current = signals::with_real_timer(pid, |t| t.get(now));
                write(a[1], &current)?;
            } else {
                let new: Itimerval = read(a[1])?;
                let old = signals::with_real_timer(pid, |t| t.set(now, &new))?;
                if a[2] != 0 {
                    write(a[2], &old)?;
                }
            }
            Ok(0)
        }
        62 => kill(a[0] as i32, a[1] as i32),
        200 => thread_kill(None, a[0] as i32, a[1] as i32),
        234 => thread_kill(Some(a[0] as i32), a[1] as i32, a[2] as i32),
        _ => Err(Errno::ENOSYS),
    }
}
