//! Signal calls. Dispositions and masks are kept per process and thread by
//! the `signal` crate; what a signal does when sent (its default action, or
//! staying pending for a handler) is decided here.

use alloc::vec::Vec;

use abi::Errno;
use process::{Termination, WaitInfo};
use signal::{DefaultAction, Disposition, KernelSigAction, SigSet, Signal};

use super::user::{read, write};
use super::{Call, SyscallResult};
use crate::userland::{self, Process, lifecycle, processes};

/// What happens to `process` when `signal` arrives now.
fn act_on(process: &Process, signal: Signal) {
    let action = process.data().signals().action(signal);
    let default = match action.handler {
        Disposition::Ignore if signal != Signal::SIGKILL => return,
        Disposition::Handler(_) if signal != Signal::SIGKILL => {
            // Delivered to the handler on the way back to user mode, once
            // handler frames exist; until then it stays pending.
            return;
        }
        _ => signal.default_action(),
    };
    match default {
        DefaultAction::Terminate | DefaultAction::CoreDump => lifecycle::kill_process(
            process,
            Termination::Killed {
                signal: signal.number(),
                core_dumped: default == DefaultAction::CoreDump,
            },
        ),
        DefaultAction::Ignore | DefaultAction::Stop | DefaultAction::Continue => {}
    }
}

/// A write to a pipe nobody reads: SIGPIPE for the writer.
pub fn raise_sigpipe() {
    if let Ok(link) = userland::current() {
        act_on(&link.process, Signal::SIGPIPE);
    }
}

/// A child changed state: the parent's SIGCHLD (ignored by default).
pub fn notify_parent(parent: &Process, _info: &WaitInfo) {
    act_on(parent, Signal::SIGCHLD);
}

fn may_signal(sender: &Process, target: &Process) -> bool {
    let s = sender.data().credentials().clone();
    let t = target.data().credentials().clone();
    s.euid() == 0
        || s.uid() == t.uid()
        || s.uid() == t.suid()
        || s.euid() == t.uid()
        || s.euid() == t.suid()
}

fn kill(pid: i32, signum: i32) -> SyscallResult {
    let signal = if signum == 0 {
        None
    } else {
        Some(Signal::from_raw(signum)?)
    };
    let sender = userland::current()?.process;
    let targets: Vec<_> = match pid {
        p if p > 0 => processes().from_pid(p).into_iter().collect(),
        0 => processes().processes_in_group(sender.data().pgid()),
        -1 => processes()
            .all_processes()
            .into_iter()
            .filter(|p| p.pid() != 1 && p.pid() != sender.pid())
            .collect(),
        p => processes().processes_in_group(-p),
    };
    let targets: Vec<_> = targets
        .into_iter()
        .filter(|t| !matches!(t.data().state(), process::ProcessState::Zombie(_)))
        .collect();
    if targets.is_empty() {
        return Err(Errno::ESRCH);
    }
    let permitted: Vec<_> = targets.iter().filter(|t| may_signal(&sender, t)).collect();
    if permitted.is_empty() {
        return Err(Errno::EPERM);
    }
    if let Some(signal) = signal {
        for target in permitted {
            // init only receives signals it has handlers for.
            if target.pid() == 1
                && target.data().signals().action(signal).handler == Disposition::Default
            {
                continue;
            }
            act_on(target, signal);
        }
    }
    Ok(0)
}

/// rt_sigaction, rt_sigprocmask, kill, tkill, tgkill, ...
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
        127 => {
            let link = userland::current()?;
            let pending = {
                let data = link.process.data();
                link.thread.data().signals.lock().sigpending(data.signals())
            };
            write(a[0], &pending.bits())?;
            Ok(0)
        }
        62 => kill(a[0] as i32, a[1] as i32),
        200 | 234 => {
            let (tgid, tid, signum) = if number == 200 {
                (None, a[0] as i32, a[1] as i32)
            } else {
                (Some(a[0] as i32), a[1] as i32, a[2] as i32)
            };
            let thread = processes().from_tid(tid).ok_or(Errno::ESRCH)?;
            if tgid.is_some_and(|tgid| tgid != thread.pid()) || tid <= 0 {
                return Err(Errno::ESRCH);
            }
            kill(thread.pid(), signum)
        }
        34 => {
            // pause: until a signal handler runs, which only a fatal signal
            // can end until handlers are delivered.
            loop {
                if crate::task::sleep_until(u64::MAX) == sched::WakeReason::Interrupted {
                    return Err(Errno::EINTR);
                }
            }
        }
        _ => Err(Errno::ENOSYS),
    }
}
