//! The out-of-memory killer: when no frame is left for a user page, the
//! process whose death frees the most (by [`process::oom`]'s weighing of
//! resident pages and `oom_score_adj`) gets `SIGKILL`. Init, kernel
//! processes and processes already dying are never chosen; while an
//! earlier victim is still dying its memory is on the way back, and no
//! second process is killed for the same shortage.

use alloc::sync::Arc;
use alloc::vec::Vec;

use process::Process;
use process::lifecycle::ProcessState;
use process::oom::{Candidate, choose_victim};
use signal::{SigInfo, Signal};

use crate::kernel::Kernel;

const PAGE_SIZE: u64 = 4096;

/// What the killer did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OomAction {
    /// Killed this pid (`resident_pages` is what it held).
    Killed {
        /// The victim.
        pid: process::pid::Pid,
        /// Its resident pages.
        resident_pages: u64,
    },
    /// An earlier victim is still dying: wait for its memory.
    VictimDying(process::pid::Pid),
    /// Nobody may be killed (all exempt, or only init runs).
    NoVictim,
}

/// Resident pages of `process` (0 for one without an address space).
pub fn resident_pages<K: Kernel>(kernel: &K, process: &Process<K::Env>) -> u64 {
    kernel
        .with_address_space(process, |space, _| {
            let (anonymous, file, shared) = space.resident_bytes();
            Ok((anonymous + file + shared) / PAGE_SIZE)
        })
        .unwrap_or(0)
}

/// A candidate for the killer, or `None` for a process it never chooses.
fn candidate<K: Kernel>(kernel: &K, process: &Arc<Process<K::Env>>) -> Option<Candidate> {
    let pid = process.pid();
    let adj = {
        let data = process.data();
        if pid == 1 || data.address_space().is_none() || data.state() != ProcessState::Running {
            return None;
        }
        data.oom_score_adj()
    };
    Some(Candidate {
        pid,
        resident_pages: resident_pages(kernel, process),
        adj,
    })
}

/// The last victim and when (monotonic ns) it was killed: while it is
/// dying its memory is on the way back, and faults wait for it rather than
/// kill again, for at most [`VICTIM_PATIENCE_NS`] (a victim stuck in an
/// uninterruptible wait keeps its memory).
static LAST_VICTIM: lock::Mutex<Option<(process::pid::Pid, u64)>> = lock::Mutex::new(None);
const VICTIM_PATIENCE_NS: u64 = 2_000_000_000;

/// Frees memory for a fault that found none at monotonic time `now`:
/// kills the best victim with `SIGKILL` (logging why), unless the last
/// victim is still on its way out.
pub fn out_of_memory<K: Kernel>(kernel: &K, now: u64) -> OomAction {
    let dying = match *LAST_VICTIM.lock() {
        Some((pid, since)) if now.saturating_sub(since) < VICTIM_PATIENCE_NS => Some(pid),
        _ => None,
    };
    let action = choose_and_kill(kernel, dying);
    if let OomAction::Killed { pid, .. } = action {
        *LAST_VICTIM.lock() = Some((pid, now));
    }
    action
}

fn choose_and_kill<K: Kernel>(kernel: &K, dying: Option<process::pid::Pid>) -> OomAction {
    if let Some(pid) = dying
        && let Some(process) = kernel.processes().from_pid(pid)
        && matches!(
            process.data().state(),
            ProcessState::Running | ProcessState::Stopped(_) | ProcessState::Dying(_)
        )
        && process.data().address_space().is_some()
    {
        return OomAction::VictimDying(pid);
    }
    let total_pages = kernel.memory_stats().total_bytes / PAGE_SIZE;
    let processes = kernel.processes().all_processes();
    let candidates: Vec<Candidate> = processes
        .iter()
        .filter_map(|process| candidate(kernel, process))
        .collect();
    let Some(victim) = choose_victim(candidates, total_pages) else {
        log::error!("out of memory: no process may be killed");
        return OomAction::NoVictim;
    };
    let Some(process) = processes.iter().find(|p| p.pid() == victim.pid) else {
        return OomAction::NoVictim;
    };
    // Linux's wording, which tools grep for.
    log::error!(
        "Out of memory: Killed process {} ({}) rss:{}kB oom_score_adj:{}",
        victim.pid,
        process.data().name(),
        victim.resident_pages * PAGE_SIZE / 1024,
        victim.adj
    );
    let _ = crate::signals::send::send(kernel, process, SigInfo::kernel(Signal::SIGKILL));
    OomAction::Killed {
        pid: victim.pid,
        resident_pages: victim.resident_pages,
    }
}
