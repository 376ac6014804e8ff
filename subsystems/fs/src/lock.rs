//! Advisory file locks: `flock` (whole file, owned by an open file
//! description), POSIX record locks (`fcntl` `F_SETLK`: byte ranges owned
//! by a process) and open-file-description record locks (`F_OFD_SETLK`:
//! ranges owned by a description).
//!
//! A description-owned lock is held weakly: it goes when the last
//! descriptor of its description closes, as on Linux. Process-owned locks
//! go with [`FileLocks::release_process`] (the caller's `close` of any
//! descriptor of the file, and exit). Conflicts: a write lock conflicts
//! with any other owner's lock on overlapping bytes; read locks share.
//! `flock` and record locks never conflict with each other (Linux keeps
//! them apart). A blocking request that would wait for a process that
//! (transitively) waits for the requester fails with `EDEADLK`.
//!
//! Nothing here blocks: a conflicting request returns `EAGAIN` and the
//! caller sleeps on [`FileLocks::waiters`], woken after every unlock.

use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;

use abi::{Errno, KernelResult};
use lock::Mutex;

use crate::description::FileDescription;
use crate::inode::InodeId;
use crate::wait::WaitQueue;

/// What a lock lets others do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockKind {
    /// Shared: others may read-lock too (`F_RDLCK`, `LOCK_SH`).
    Read,
    /// Exclusive (`F_WRLCK`, `LOCK_EX`).
    Write,
}

/// Who holds a lock.
#[derive(Clone, Debug)]
pub enum LockOwner {
    /// A process (POSIX record locks).
    Process(i32),
    /// An open file description (`flock`, OFD locks).
    Description(Weak<FileDescription>),
}

impl LockOwner {
    fn alive(&self) -> bool {
        match self {
            LockOwner::Process(_) => true,
            LockOwner::Description(d) => d.strong_count() > 0,
        }
    }

    fn same(&self, other: &LockOwner) -> bool {
        match (self, other) {
            (LockOwner::Process(a), LockOwner::Process(b)) => a == b,
            (LockOwner::Description(a), LockOwner::Description(b)) => Weak::ptr_eq(a, b),
            _ => false,
        }
    }

    /// The pid `F_GETLK` reports (-1 for a description's lock, as Linux).
    fn pid(&self) -> i32 {
        match self {
            LockOwner::Process(pid) => *pid,
            LockOwner::Description(_) => -1,
        }
    }
}

/// Which family a lock belongs to: they never conflict across.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockFamily {
    /// `flock`.
    Flock,
    /// `fcntl` record locks, process- or description-owned.
    Record,
}

/// One held lock: bytes `start..end` (`end` `u64::MAX`: to the end of
/// any size).
#[derive(Clone, Debug)]
struct Held {
    family: LockFamily,
    owner: LockOwner,
    kind: LockKind,
    start: u64,
    end: u64,
}

/// A conflicting lock, as `F_GETLK` describes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conflict {
    /// Its kind.
    pub kind: LockKind,
    /// First byte.
    pub start: u64,
    /// One past the last byte (`u64::MAX`: to the end).
    pub end: u64,
    /// The owning process, -1 for a description's lock.
    pub pid: i32,
}

/// Every lock of every file, and who waits for whom.
pub struct FileLocks {
    files: Mutex<BTreeMap<InodeId, Vec<Held>>>,
    /// Processes sleeping in `F_SETLKW`, and the one they wait for.
    waiting: Mutex<BTreeMap<i32, i32>>,
    waiters: spin::Once<Arc<dyn WaitQueue>>,
}

impl Default for FileLocks {
    fn default() -> Self {
        Self::new()
    }
}

impl FileLocks {
    /// No locks.
    pub fn new() -> FileLocks {
        FileLocks {
            files: Mutex::new(BTreeMap::new()),
            waiting: Mutex::new(BTreeMap::new()),
            waiters: spin::Once::new(),
        }
    }

    /// The queue blocked lockers sleep on (set once, by the kernel).
    pub fn set_waiters(&self, queue: Arc<dyn WaitQueue>) {
        self.waiters.call_once(|| queue);
    }

    /// Where blocked lockers sleep; `None` before [`Self::set_waiters`].
    pub fn waiters(&self) -> Option<&Arc<dyn WaitQueue>> {
        self.waiters.get()
    }

    fn wake(&self) {
        if let Some(queue) = self.waiters.get() {
            queue.wake_all();
        }
    }

    /// The first lock of another owner that conflicts with `kind` on
    /// `start..end` of `file`.
    pub fn conflict(
        &self,
        file: InodeId,
        family: LockFamily,
        owner: &LockOwner,
        kind: LockKind,
        (start, end): (u64, u64),
    ) -> Option<Conflict> {
        let mut files = self.files.lock();
        let held = files.get_mut(&file)?;
        held.retain(|h| h.owner.alive());
        held.iter()
            .find(|h| {
                h.family == family
                    && !h.owner.same(owner)
                    && h.start < end
                    && start < h.end
                    && (kind == LockKind::Write || h.kind == LockKind::Write)
            })
            .map(|h| Conflict {
                kind: h.kind,
                start: h.start,
                end: h.end,
                pid: h.owner.pid(),
            })
    }

    /// Takes (or converts, or with `kind` `None` releases) `owner`'s lock
    /// on `start..end`: `EAGAIN` on a conflict. A range that overlaps the
    /// owner's other locks replaces those bytes (splitting them), as
    /// POSIX says.
    pub fn lock(
        &self,
        file: InodeId,
        family: LockFamily,
        owner: LockOwner,
        kind: Option<LockKind>,
        (start, end): (u64, u64),
    ) -> KernelResult<()> {
        if start >= end {
            return Err(Errno::EINVAL);
        }
        if let Some(kind) = kind
            && self
                .conflict(file, family, &owner, kind, (start, end))
                .is_some()
        {
            return Err(Errno::EAGAIN);
        }
        let mut files = self.files.lock();
        let held = files.entry(file).or_default();
        let mut kept = Vec::with_capacity(held.len() + 2);
        for h in held.drain(..) {
            if h.family != family || !h.owner.same(&owner) || h.end <= start || end <= h.start {
                kept.push(h);
                continue;
            }
            // The parts of the old lock outside the new range stay.
            if h.start < start {
                kept.push(Held {
                    end: start,
                    ..h.clone()
                });
            }
            if end < h.end {
                kept.push(Held { start: end, ..h });
            }
        }
        if let Some(kind) = kind {
            kept.push(Held {
                family,
                owner,
                kind,
                start,
                end,
            });
        }
        *held = kept;
        if held.is_empty() {
            files.remove(&file);
        }
        drop(files);
        self.wake();
        Ok(())
    }

    /// Drops every record lock `pid` holds on `file` (POSIX: any close of
    /// the file by the process), or on every file (`file` `None`: exit).
    pub fn release_process(&self, pid: i32, file: Option<InodeId>) {
        let mut files = self.files.lock();
        let mut changed = false;
        for (id, held) in files.iter_mut() {
            if file.is_some_and(|f| f != *id) {
                continue;
            }
            let before = held.len();
            held.retain(|h| !matches!(h.owner, LockOwner::Process(p) if p == pid));
            changed |= held.len() != before;
        }
        files.retain(|_, held| !held.is_empty());
        drop(files);
        self.waiting.lock().remove(&pid);
        if changed {
            self.wake();
        }
    }

    /// `pid` is about to sleep for a lock `blocker` holds: `EDEADLK` if
    /// `blocker` waits (transitively) for `pid`; otherwise recorded until
    /// [`Self::stop_waiting`].
    pub fn start_waiting(&self, pid: i32, blocker: i32) -> KernelResult<()> {
        let mut waiting = self.waiting.lock();
        let mut next = blocker;
        for _ in 0..=waiting.len() {
            if next == pid {
                return Err(Errno::EDEADLK);
            }
            match waiting.get(&next) {
                Some(&further) => next = further,
                None => break,
            }
        }
        waiting.insert(pid, blocker);
        Ok(())
    }

    /// `pid` no longer sleeps for a lock.
    pub fn stop_waiting(&self, pid: i32) {
        self.waiting.lock().remove(&pid);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: InodeId = InodeId { dev: 1, ino: 2 };
    const ALL: (u64, u64) = (0, u64::MAX);

    fn p(pid: i32) -> LockOwner {
        LockOwner::Process(pid)
    }

    #[test]
    fn read_locks_share_and_write_locks_exclude() {
        let locks = FileLocks::new();
        let r = Some(LockKind::Read);
        let w = Some(LockKind::Write);
        locks
            .lock(FILE, LockFamily::Record, p(1), r, (0, 10))
            .unwrap();
        locks
            .lock(FILE, LockFamily::Record, p(2), r, (5, 20))
            .unwrap();
        assert_eq!(
            locks.lock(FILE, LockFamily::Record, p(3), w, (9, 10)),
            Err(Errno::EAGAIN)
        );
        locks
            .lock(FILE, LockFamily::Record, p(3), w, (20, 30))
            .unwrap();
        let conflict = locks.conflict(FILE, LockFamily::Record, &p(4), LockKind::Read, (25, 26));
        assert_eq!(
            conflict,
            Some(Conflict {
                kind: LockKind::Write,
                start: 20,
                end: 30,
                pid: 3
            })
        );
        // flock and record locks live apart.
        assert!(
            locks
                .conflict(FILE, LockFamily::Flock, &p(4), LockKind::Write, ALL)
                .is_none()
        );
    }

    #[test]
    fn an_owner_splits_and_converts_its_own_ranges() {
        let locks = FileLocks::new();
        locks
            .lock(
                FILE,
                LockFamily::Record,
                p(1),
                Some(LockKind::Write),
                (0, 100),
            )
            .unwrap();
        // Unlock the middle: two write locks remain.
        locks
            .lock(FILE, LockFamily::Record, p(1), None, (40, 60))
            .unwrap();
        assert!(
            locks
                .conflict(FILE, LockFamily::Record, &p(2), LockKind::Read, (40, 60))
                .is_none()
        );
        assert!(
            locks
                .conflict(FILE, LockFamily::Record, &p(2), LockKind::Read, (60, 61))
                .is_some()
        );
        // Downgrade the head to a read lock: others may read it now.
        locks
            .lock(
                FILE,
                LockFamily::Record,
                p(1),
                Some(LockKind::Read),
                (0, 40),
            )
            .unwrap();
        assert!(
            locks
                .conflict(FILE, LockFamily::Record, &p(2), LockKind::Read, (0, 40))
                .is_none()
        );
        locks.release_process(1, None);
        assert!(
            locks
                .conflict(FILE, LockFamily::Record, &p(2), LockKind::Write, ALL)
                .is_none()
        );
        assert_eq!(
            locks.lock(FILE, LockFamily::Record, p(1), None, (5, 5)),
            Err(Errno::EINVAL)
        );
    }

    #[test]
    fn a_description_lock_goes_with_the_description() {
        let locks = FileLocks::new();
        let description =
            crate::eventfd::create_eventfd(0, 0, Arc::new(crate::wait::NoWaiters)).unwrap();
        let owner = LockOwner::Description(Arc::downgrade(&description));
        locks
            .lock(FILE, LockFamily::Flock, owner, Some(LockKind::Write), ALL)
            .unwrap();
        assert!(
            locks
                .conflict(FILE, LockFamily::Flock, &p(9), LockKind::Read, ALL)
                .is_some()
        );
        drop(description);
        assert!(
            locks
                .conflict(FILE, LockFamily::Flock, &p(9), LockKind::Read, ALL)
                .is_none()
        );
    }

    #[test]
    fn waiting_in_a_cycle_is_a_deadlock() {
        let locks = FileLocks::new();
        locks.start_waiting(1, 2).unwrap();
        locks.start_waiting(2, 3).unwrap();
        assert_eq!(locks.start_waiting(3, 1), Err(Errno::EDEADLK));
        locks.stop_waiting(2);
        locks.start_waiting(3, 1).unwrap();
    }
}
