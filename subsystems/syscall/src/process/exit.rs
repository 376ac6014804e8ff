//! A thread leaving: the robust futexes it holds are marked owner-dead and
//! a waiter of each woken, its `clear_child_tid` word is cleared and woken,
//! it leaves its process, and the last one out finalizes the process (zombie,
//! `SIGCHLD` to the parent, waiters woken, orphaned stopped groups hung
//! up). The kernel calls [`finish_thread`] on the exiting thread itself,
//! after its last return towards user mode said
//! [`ExitThread`](crate::signals::delivery::UserReturn::ExitThread).

use alloc::sync::Arc;
use alloc::vec::Vec;

use mm::{UserPtr, UserSlice};
use process::{Pid, Process, ProcessState, Termination, Thread};
use signal::{Disposition, SigInfo, Signal};

use super::child_events::{self, ChildNotifyGuard};
use crate::futex::wake_word;
use crate::kernel::Kernel;
use crate::signals::send::{report_job_event, send, sigchld};

/// Writes 0 to the thread's `clear_child_tid` word and wakes one futex
/// waiter there (how `pthread_join` learns a thread ended). Runs on the
/// exiting thread, whose address space is still the active one.
pub fn clear_child_tid<K: Kernel>(kernel: &K, process: &Process<K::Env>, thread: &Thread<K::Env>) {
    let address = thread.clear_child_tid();
    if address == 0 {
        return;
    }
    if let Ok(slice) = UserSlice::new(address, 4) {
        // A word the program unmapped just is not cleared.
        if kernel
            .user_memory()
            .copy_to_user(slice, &0u32.to_ne_bytes())
            .is_ok()
        {
            wake_word(kernel, process, address);
        }
    }
}

/// A robust futex word's owner bits (the holder's tid).
const FUTEX_TID_MASK: u32 = 0x3fff_ffff;
/// Set in a robust futex word by the kernel when its holder died.
const FUTEX_OWNER_DIED: u32 = 0x4000_0000;
/// Set in a futex word by a thread that sleeps on it.
const FUTEX_WAITERS: u32 = 0x8000_0000;
/// Linux's `ROBUST_LIST_LIMIT`: a list longer than this (or circular)
/// is not walked further.
const ROBUST_LIST_LIMIT: usize = 2048;
/// How often a word that keeps changing under the exchange is retried.
const OWNER_DIED_RETRIES: usize = 1000;

/// Releases the robust futexes `thread` still holds (`set_robust_list`,
/// Linux's `exit_robust_list`), on the exiting thread before its
/// `clear_child_tid`: for each entry of the list in user memory, and the
/// one it was taking or dropping (`list_op_pending`), a word still
/// holding the thread's tid gets `FUTEX_OWNER_DIED` (keeping
/// `FUTEX_WAITERS`) and one waiter is woken, whose `pthread_mutex_lock`
/// then returns `EOWNERDEAD`. A pending word that is 0 (taken by nobody
/// yet) has a waiter woken too. Entries whose low bit is set are PI
/// futexes: marked, but nobody is woken (no PI waiters exist here).
/// Whatever of the list cannot be read ends the walk, as on Linux.
pub fn release_robust_futexes<K: Kernel>(
    kernel: &K,
    process: &Process<K::Env>,
    thread: &Thread<K::Env>,
) {
    let head = thread.robust_list_head();
    if head == 0 {
        return;
    }
    // struct robust_list_head { next; futex_offset; list_op_pending; }
    let read = |address: u64| -> Option<u64> {
        let pointer = UserPtr::<u64>::new(address).ok()?;
        mm::read_value(kernel.user_memory(), pointer).ok()
    };
    let (Some(first), Some(offset), Some(pending)) = (
        read(head),
        read(head.wrapping_add(8)),
        read(head.wrapping_add(16)),
    ) else {
        return;
    };
    let word_of = |entry: u64| entry.wrapping_add(offset);
    let pending_entry = pending & !1;
    let mut entry = first;
    let mut walked = 0;
    while entry & !1 != head && walked < ROBUST_LIST_LIMIT {
        // The next link is read before the word is handed on: a waiter
        // woken below may take the lock and relink the entry.
        let next = read(entry & !1);
        if entry & !1 != pending_entry
            && owner_died(
                kernel,
                process,
                thread,
                word_of(entry & !1),
                entry & 1 != 0,
                false,
            )
            .is_none()
        {
            return;
        }
        let Some(next) = next else {
            return;
        };
        entry = next;
        walked += 1;
    }
    if pending_entry != 0 {
        owner_died(
            kernel,
            process,
            thread,
            word_of(pending_entry),
            pending & 1 != 0,
            true,
        );
    }
}

/// Linux's `handle_futex_death` for the word at `address`; `None` if it
/// cannot be read or written (the walk stops).
fn owner_died<K: Kernel>(
    kernel: &K,
    process: &Process<K::Env>,
    thread: &Thread<K::Env>,
    address: u64,
    pi: bool,
    pending: bool,
) -> Option<()> {
    if address % 4 != 0 {
        return None;
    }
    let word = UserPtr::<u32>::new(address).ok()?;
    let memory = kernel.user_memory();
    for _ in 0..OWNER_DIED_RETRIES {
        let value = mm::read_value(memory, word).ok()?;
        if pending && !pi && value == 0 {
            // It died between taking the lock and writing its tid, or
            // after releasing it and before waking: a waiter may be
            // asleep with nobody left to wake it.
            wake_word(kernel, process, address);
            return Some(());
        }
        if value & FUTEX_TID_MASK != thread.tid() as u32 {
            return Some(());
        }
        let marked = (value & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
        if memory.compare_exchange_u32(word, value, marked).ok()? == value {
            if !pi && value & FUTEX_WAITERS != 0 {
                wake_word(kernel, process, address);
            }
            return Some(());
        }
    }
    Some(())
}

/// Detaches `thread` from `process`; when it was the last, finalizes the
/// process and tells its parent. Whether the process ended.
pub fn finish_thread<K: Kernel>(
    kernel: &K,
    process: &Arc<Process<K::Env>>,
    thread: &Thread<K::Env>,
) -> bool {
    let table = kernel.processes();
    if !table.remove_thread(thread) {
        // The others may all have stopped, waiting only for this one.
        if process.is_stopped() {
            let notify = child_events::lock_for_every_waiter();
            report_job_event(kernel, table.complete_stop(process), notify);
        }
        return false;
    }
    let sid = process.data().sid();
    if sid == process.pid() {
        kernel.session_ended(sid);
    }
    crate::process::ptrace::tracer_exited(kernel, process.pid());
    // Its record locks go with it (others may be waiting for them).
    kernel.vfs().locks().release_process(process.pid(), None);
    // So do its semaphore undo adjustments (Linux's `exit_sem`).
    crate::ipc::sem::exit(kernel, process.pid());
    {
        // A last `exit` (not `exit_group`) ends the process with status 0
        // unless it is dying already.
        let mut to_wake = Vec::new();
        process.die(Termination::Exited(0), &mut to_wake);
    }
    // Its memory goes back before it can be reaped, outside any lock.
    let space = process.data().release_address_space();
    drop(space);
    // So do its descriptors, as Linux's `exit_files` runs before
    // `exit_notify`: a parent whose wait returned the child finds every
    // description the child held closed (`/proc/sys/fs/file-nr` counts
    // them). Left to the finalize, they were dropped after the child
    // became reapable, and a parent that reaped it in between saw them.
    let closed = process.fds().lock().clear();
    drop(closed);
    // SIGCHLD is queued before the child can be reaped, as Linux does
    // under its tasklist lock: a parent whose wait returns the child
    // (perhaps on another CPU, the moment it becomes a zombie) has the
    // signal pending by the time the wait returns.
    let (notify, ppid, tracer) = lock_for_end::<K>(process);
    // Read after: the table's lock ranks before a process's data.
    let parent = table.from_pid(ppid);
    let auto_reap = parent
        .as_ref()
        .is_some_and(|parent| parent.data().signals().child_policy().auto_reap);
    if let Some(parent) = &parent {
        let ignored =
            parent.data().signals().action(Signal::SIGCHLD).handler == Disposition::Ignore;
        let (termination, uid) = {
            let data = process.data();
            (data.termination(), data.credentials().uid())
        };
        if let (false, Some(termination)) = (ignored, termination) {
            let info = process::WaitInfo::terminated(process.pid(), uid, termination);
            let _ = send(kernel, parent, sigchld(&info));
        }
    }
    let finalized = table.finalize(process, auto_reap);
    drop(notify);
    match finalized {
        Ok(notice) => {
            // The descriptors and address space go here, outside any lock.
            drop(notice.closed);
            drop(notice.address_space);
            // Children that asked to hear of this exit (PR_SET_PDEATHSIG):
            // SI_USER from the parent that died, as Linux sends it.
            let uid = process.data().credentials().uid();
            for (pid, number) in notice.parent_death_signals {
                if let (Some(child), Ok(signal)) =
                    (table.from_pid(pid), Signal::from_raw(i32::from(number)))
                {
                    let _ = send(kernel, &child, SigInfo::kill(signal, process.pid(), uid));
                }
            }
            // Who may wait for this: the parent (a vfork parent too), the
            // tracer, and whoever adopted zombie children.
            for waiter in [
                notice.parent,
                tracer,
                notice.adopter.filter(|_| notice.init_adopted_zombies),
            ]
            .into_iter()
            .flatten()
            {
                child_events::wake_from_exit(kernel, waiter);
            }
            hang_up_orphaned_groups(kernel, process, parent.as_deref(), notice.adopted_groups);
        }
        Err(error) => log::error!("finalizing pid {} failed: {error}", process.pid()),
    }
    // Its pidfds turn readable (pollers sleep on the signal queue).
    kernel.wake_signal_waiters();
    true
}

/// The child-notify guard for `process`'s end, with the parent and the
/// tracer (read before the finalize ends the trace) it covers. An end
/// that hands children to an adopter changes their parents, which their
/// own ends read: it excludes every other change.
fn lock_for_end<K: Kernel>(process: &Process<K::Env>) -> (ChildNotifyGuard, Pid, Option<Pid>) {
    let waiters = || {
        let data = process.data();
        let tracer = data.tracing().map(|tracing| tracing.tracer);
        (data.ppid(), tracer, data.children().next().is_some())
    };
    loop {
        let (ppid, tracer, has_children) = waiters();
        if has_children {
            let guard = child_events::lock_for_every_waiter();
            let (ppid, tracer, _) = waiters();
            return (guard, ppid, tracer);
        }
        let guard = child_events::lock_for_waiters([ppid, tracer.unwrap_or(0)]);
        // Only an exclusive holder reparents or adopts: checked under
        // the shared guard, these stay.
        if waiters() == (ppid, tracer, false) {
            return (guard, ppid, tracer);
        }
    }
}

/// POSIX's orphaned process group: no member (of `members`, group
/// `pgid`) has a parent in another group of the same session, so nobody
/// in the session would continue it after a stop.
pub fn is_orphaned<K: Kernel>(kernel: &K, members: &[Arc<Process<K::Env>>], pgid: Pid) -> bool {
    let table = kernel.processes();
    members.iter().all(|member| {
        let (ppid, sid) = {
            let data = member.data();
            (data.ppid(), data.sid())
        };
        table.from_pid(ppid).is_none_or(|parent| {
            let data = parent.data();
            data.pgid() == pgid || data.sid() != sid
        })
    })
}

/// POSIX: when a process group becomes orphaned (no member has a parent
/// in another group of the same session) and has a stopped member, every
/// member gets SIGHUP then SIGCONT.
fn hang_up_orphaned_groups<K: Kernel>(
    kernel: &K,
    exited: &Process<K::Env>,
    parent: Option<&Process<K::Env>>,
    adopted_groups: Vec<Pid>,
) {
    let table = kernel.processes();
    let (own_group, session) = {
        let data = exited.data();
        (data.pgid(), data.sid())
    };
    // Only groups this exit can have orphaned, as Linux decides: its own,
    // if its parent is in another group of the session (it may have been
    // the group's last link outside), and those of its re-parented
    // children in another group of the session (the table's finalize
    // lists them). A group that was orphaned already is not hung up again
    // by every later exit while one of its members is stopped, and an
    // exit without children looks at no other process.
    let mut groups = adopted_groups;
    if let Some(parent) = parent {
        let (parent_group, parent_session) = {
            let data = parent.data();
            (data.pgid(), data.sid())
        };
        if parent_group != own_group && parent_session == session && !groups.contains(&own_group) {
            groups.push(own_group);
        }
    }
    for pgid in groups {
        let alive: Vec<_> = table
            .processes_in_group(pgid)
            .into_iter()
            .filter(|p| !matches!(p.data().state(), ProcessState::Zombie(_)))
            .collect();
        let stopped = alive
            .iter()
            .any(|p| matches!(p.data().state(), ProcessState::Stopped(_)));
        if !stopped {
            continue;
        }
        if is_orphaned(kernel, &alive, pgid) {
            for member in &alive {
                let _ = send(kernel, member, SigInfo::kernel(Signal::SIGHUP));
                let _ = send(kernel, member, SigInfo::kernel(Signal::SIGCONT));
            }
        }
    }
}
