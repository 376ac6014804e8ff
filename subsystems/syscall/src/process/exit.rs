//! A thread leaving: its `clear_child_tid` word is cleared and woken, it
//! leaves its process, and the last one out finalizes the process (zombie,
//! `SIGCHLD` to the parent, waiters woken, orphaned stopped groups hung
//! up). The kernel calls [`finish_thread`] on the exiting thread itself,
//! after its last return towards user mode said
//! [`ExitThread`](crate::signals::delivery::UserReturn::ExitThread).

use alloc::sync::Arc;
use alloc::vec::Vec;

use mm::UserSlice;
use process::{Pid, Process, ProcessState, Termination, Thread};
use signal::{Disposition, SigInfo, Signal};

use crate::futex::wake_word;
use crate::kernel::{EventQueue, Kernel};
use crate::signals::send::{send, sigchld};

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

/// Detaches `thread` from `process`; when it was the last, finalizes the
/// process and tells its parent. Whether the process ended.
pub fn finish_thread<K: Kernel>(
    kernel: &K,
    process: &Arc<Process<K::Env>>,
    thread: &Thread<K::Env>,
) -> bool {
    let table = kernel.processes();
    if !table.remove_thread(thread) {
        return false;
    }
    let sid = process.data().sid();
    if sid == process.pid() {
        kernel.session_ended(sid);
    }
    crate::process::ptrace::tracer_exited(kernel, process.pid());
    // Its record locks go with it (others may be waiting for them).
    kernel.vfs().locks().release_process(process.pid(), None);
    {
        // A last `exit` (not `exit_group`) ends the process with status 0
        // unless it is dying already.
        let mut to_wake = Vec::new();
        process.die(Termination::Exited(0), &mut to_wake);
    }
    // Read first: the table's lock ranks before a process's data.
    let ppid = process.data().ppid();
    let parent = table.from_pid(ppid);
    let auto_reap = parent
        .as_ref()
        .is_some_and(|parent| parent.data().signals().child_policy().auto_reap);
    match table.finalize(process, auto_reap) {
        Ok(notice) => {
            // The descriptors and address space go here, outside any lock.
            drop(notice.closed);
            drop(notice.address_space);
            if let Some(parent) = notice.parent.and_then(|pid| table.from_pid(pid)) {
                let ignored =
                    parent.data().signals().action(Signal::SIGCHLD).handler == Disposition::Ignore;
                if !ignored {
                    let _ = send(kernel, &parent, sigchld(&notice.info));
                }
            }
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
            kernel.child_events().wake_all();
            hang_up_orphaned_groups(kernel, process);
        }
        Err(error) => log::error!("finalizing pid {} failed: {error}", process.pid()),
    }
    // Its pidfds turn readable (pollers sleep on the signal queue).
    kernel.signal_waiters().wake_all();
    true
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
fn hang_up_orphaned_groups<K: Kernel>(kernel: &K, exited: &Process<K::Env>) {
    let table = kernel.processes();
    let mut groups: Vec<Pid> = Vec::new();
    groups.push(exited.data().pgid());
    for process in table.all_processes() {
        let (ppid, pgid) = {
            let data = process.data();
            (data.ppid(), data.pgid())
        };
        // Children re-parented to init may have orphaned their groups.
        if ppid == 1 && !groups.contains(&pgid) {
            groups.push(pgid);
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
