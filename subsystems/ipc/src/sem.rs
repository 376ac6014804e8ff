//! Semaphore sets: `semget`, `semop`'s all-or-nothing operations and their
//! undo adjustments, `semctl`.
//!
//! As for queues, the crate says whether an operation completes now; a
//! caller told it is [`Blocked`] counts itself as waiting
//! ([`SemNamespace::wait_begins`]), sleeps until a set changes and asks
//! again. Undo adjustments (`SEM_UNDO`) are kept per process and per set,
//! and [`SemNamespace::exit`] applies them when the process ends.

use alloc::collections::BTreeMap;
use alloc::vec;
use alloc::vec::Vec;

use abi::{Errno, KernelResult};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::ids::IdTable;
use crate::msg::IPC_NOWAIT;
use crate::perm::{IpcPerm, Requester};
use crate::shm::IpcPerm64;

/// Most semaphores in a set (`semmsl`).
pub const SEMMSL: usize = 32000;
/// Most sets (`semmni`).
pub const SEMMNI: u32 = 32000;
/// Most semaphores in all sets (`semmns`).
pub const SEMMNS: usize = SEMMNI as usize * SEMMSL;
/// Most operations in one `semop` (`semopm`).
pub const SEMOPM: usize = 500;
/// The largest value (`semvmx`), and the largest undo adjustment.
pub const SEMVMX: i32 = 32767;
/// `sem_flg`: undo the operation when the process ends.
pub const SEM_UNDO: i16 = 0x1000;

/// One operation of `semop` (`struct sembuf`).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[allow(missing_docs)] // Linux's field names.
pub struct SemBuf {
    pub sem_num: u16,
    pub sem_op: i16,
    pub sem_flg: i16,
}

/// Linux's x86_64 `struct semid64_ds` (`IPC_STAT`, `IPC_SET`).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[allow(missing_docs)] // Linux's field names.
pub struct SemidDs {
    pub sem_perm: IpcPerm64,
    pub sem_otime: i64,
    pub unused1: u64,
    pub sem_ctime: i64,
    pub unused2: u64,
    pub sem_nsems: u64,
    pub unused3: u64,
    pub unused4: u64,
}

/// Linux's `struct seminfo` (`IPC_INFO`, `SEM_INFO`).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[allow(missing_docs)] // Linux's field names.
pub struct SemInfo {
    pub semmap: i32,
    pub semmni: i32,
    pub semmns: i32,
    pub semmnu: i32,
    pub semmsl: i32,
    pub semopm: i32,
    pub semume: i32,
    pub semusz: i32,
    pub semvmx: i32,
    pub semaem: i32,
}

/// The operation must wait: for semaphore `sem` to reach zero (`zero`)
/// or to grow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Blocked {
    /// The semaphore's index in its set.
    pub sem: usize,
    /// Waiting for zero (`GETZCNT`) rather than for an increase
    /// (`GETNCNT`).
    pub zero: bool,
}

#[derive(Clone, Copy, Debug, Default)]
struct Semaphore {
    value: i32,
    pid: i32,
    waiting_increase: u32,
    waiting_zero: u32,
}

/// One set's state.
#[derive(Debug)]
pub struct SemSet {
    sems: Vec<Semaphore>,
    operation_time: i64,
    change_time: i64,
}

/// The semaphore sets of one IPC namespace, with every process's undo
/// adjustments.
#[derive(Debug)]
pub struct SemNamespace {
    ids: IdTable<SemSet>,
    total: usize,
    /// By (process, set): what to add to each semaphore at exit.
    undo: BTreeMap<(i32, i32), Vec<i32>>,
}

impl Default for SemNamespace {
    fn default() -> Self {
        Self::new()
    }
}

/// `GETVAL`, `GETPID`, `GETNCNT` or `GETZCNT`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SemField {
    /// The value.
    Value,
    /// The last process to operate on it.
    Pid,
    /// Waiters for an increase.
    WaitingIncrease,
    /// Waiters for zero.
    WaitingZero,
}

impl SemNamespace {
    /// No sets, Linux's default limits.
    pub const fn new() -> Self {
        SemNamespace {
            ids: IdTable::new(SEMMNI),
            total: 0,
            undo: BTreeMap::new(),
        }
    }

    /// `semget(key, nsems, flags)`: for a key in use `EEXIST`, `EINVAL`
    /// (more semaphores asked for than it has), `EACCES`; for a new set
    /// `ENOENT`, `EINVAL` (no semaphores, or more than [`SEMMSL`]),
    /// `ENOSPC`. New semaphores are 0.
    pub fn get(
        &mut self,
        key: i32,
        nsems: i32,
        flags: u32,
        who: &Requester<'_>,
        now: i64,
    ) -> KernelResult<i32> {
        let nsems = usize::try_from(nsems)
            .ok()
            .filter(|&n| n <= SEMMSL)
            .ok_or(Errno::EINVAL)?;
        let enough = |set: &SemSet| {
            if nsems > set.sems.len() {
                Err(Errno::EINVAL)
            } else {
                Ok(())
            }
        };
        if let Some(id) = self.ids.lookup(key, flags, who, enough)? {
            return Ok(id);
        }
        if nsems == 0 {
            return Err(Errno::EINVAL);
        }
        if self.total + nsems > SEMMNS {
            return Err(Errno::ENOSPC);
        }
        let set = SemSet {
            sems: vec![Semaphore::default(); nsems],
            operation_time: 0,
            change_time: now,
        };
        let id = self
            .ids
            .insert(IpcPerm::new(key, who, flags & 0o777), set)?;
        self.total += nsems;
        Ok(id)
    }

    /// Whether set `id` exists (a waiter whose set went gets `EIDRM`).
    pub fn exists(&self, id: i32) -> bool {
        self.ids.get(id).is_ok()
    }

    /// `semop`: carries out every operation of `ops`, in order, or none.
    /// `Ok(Err(Blocked))` when one must wait (none done); `EINVAL` for no
    /// such set, `EFBIG` for a semaphore past its end, `EACCES` without
    /// write permission (read for waits for zero only), `ERANGE` for a
    /// value past [`SEMVMX`] or an undo adjustment out of range, `EAGAIN`
    /// when the operation that would wait has `IPC_NOWAIT`. The caller
    /// checked the count of operations (`EINVAL`, `E2BIG`).
    pub fn operate(
        &mut self,
        id: i32,
        ops: &[SemBuf],
        who: &Requester<'_>,
        now: i64,
    ) -> KernelResult<Result<(), Blocked>> {
        let object = self.ids.get_mut(id)?;
        let count = object.value.sems.len();
        if ops.iter().any(|op| usize::from(op.sem_num) >= count) {
            return Err(Errno::EFBIG);
        }
        let alter = ops.iter().any(|op| op.sem_op != 0);
        if !object
            .perm
            .may_access(who, if alter { 0o222 } else { 0o444 })
        {
            return Err(Errno::EACCES);
        }
        let key = (who.pid, id);
        let mut values: Vec<i32> = object.value.sems.iter().map(|s| s.value).collect();
        let mut adjustments = self.undo.get(&key).cloned();
        for op in ops {
            let sem = usize::from(op.sem_num);
            let current = values[sem];
            let delta = i32::from(op.sem_op);
            let result = current + delta;
            if (delta == 0 && current != 0) || result < 0 {
                if op.sem_flg & (IPC_NOWAIT as i16) != 0 {
                    return Err(Errno::EAGAIN);
                }
                return Ok(Err(Blocked {
                    sem,
                    zero: delta == 0,
                }));
            }
            if result > SEMVMX {
                return Err(Errno::ERANGE);
            }
            if op.sem_flg & SEM_UNDO != 0 {
                let adjustments = adjustments.get_or_insert_with(|| vec![0; count]);
                let undo = adjustments[sem] - delta;
                if !(-SEMVMX - 1..=SEMVMX).contains(&undo) {
                    return Err(Errno::ERANGE);
                }
                adjustments[sem] = undo;
            }
            values[sem] = result;
        }
        for (sem, value) in object.value.sems.iter_mut().zip(values) {
            sem.value = value;
        }
        for op in ops {
            object.value.sems[usize::from(op.sem_num)].pid = who.pid;
        }
        object.value.operation_time = now;
        if let Some(adjustments) = adjustments {
            self.undo.insert(key, adjustments);
        }
        Ok(Ok(()))
    }

    /// Counts a caller that starts waiting as `blocked` says (`GETNCNT`,
    /// `GETZCNT`).
    pub fn wait_begins(&mut self, id: i32, blocked: Blocked) {
        self.count_waiter(id, blocked, true);
    }

    /// Stops counting a waiter [`SemNamespace::wait_begins`] counted.
    pub fn wait_ends(&mut self, id: i32, blocked: Blocked) {
        self.count_waiter(id, blocked, false);
    }

    fn count_waiter(&mut self, id: i32, blocked: Blocked, begins: bool) {
        let Ok(object) = self.ids.get_mut(id) else {
            return;
        };
        let Some(sem) = object.value.sems.get_mut(blocked.sem) else {
            return;
        };
        let counter = if blocked.zero {
            &mut sem.waiting_zero
        } else {
            &mut sem.waiting_increase
        };
        *counter = if begins {
            *counter + 1
        } else {
            counter.saturating_sub(1)
        };
    }

    /// `GETVAL`, `GETPID`, `GETNCNT`, `GETZCNT` of semaphore `sem`:
    /// `EINVAL` past the end, `EACCES` without read permission.
    pub fn field(
        &self,
        id: i32,
        sem: i32,
        field: SemField,
        who: &Requester<'_>,
    ) -> KernelResult<i32> {
        let object = self.ids.get(id)?;
        let sem = usize::try_from(sem)
            .ok()
            .and_then(|sem| object.value.sems.get(sem))
            .ok_or(Errno::EINVAL)?;
        self.ids.readable(id, who, false)?;
        Ok(match field {
            SemField::Value => sem.value,
            SemField::Pid => sem.pid,
            SemField::WaitingIncrease => sem.waiting_increase as i32,
            SemField::WaitingZero => sem.waiting_zero as i32,
        })
    }

    /// `GETALL`: every value.
    pub fn values(&self, id: i32, who: &Requester<'_>) -> KernelResult<Vec<u16>> {
        Ok(self
            .ids
            .readable(id, who, false)?
            .value
            .sems
            .iter()
            .map(|sem| sem.value as u16)
            .collect())
    }

    /// How many semaphores set `id` has.
    pub fn len(&self, id: i32) -> KernelResult<usize> {
        Ok(self.ids.get(id)?.value.sems.len())
    }

    /// `SETVAL` (`sem: Some`) or `SETALL`: `ERANGE` for a value past
    /// [`SEMVMX`] (or negative), `EINVAL` past the end, `EACCES` without
    /// write permission. Every process's undo adjustment of the
    /// semaphores set is dropped, as on Linux.
    pub fn set_values(
        &mut self,
        id: i32,
        sem: Option<i32>,
        values: &[i32],
        who: &Requester<'_>,
        now: i64,
    ) -> KernelResult<()> {
        if values.iter().any(|&v| !(0..=SEMVMX).contains(&v)) {
            return Err(Errno::ERANGE);
        }
        let object = self.ids.get_mut(id)?;
        let count = object.value.sems.len();
        let range = match sem {
            Some(sem) => {
                let sem = usize::try_from(sem)
                    .ok()
                    .filter(|&sem| sem < count)
                    .ok_or(Errno::EINVAL)?;
                sem..sem + 1
            }
            None => 0..count,
        };
        if !object.perm.may_access(who, 0o222) {
            return Err(Errno::EACCES);
        }
        for (sem, &value) in object.value.sems[range.clone()].iter_mut().zip(values) {
            sem.value = value;
            sem.pid = who.pid;
        }
        object.value.change_time = now;
        for ((_, set), adjustments) in self.undo.iter_mut() {
            if *set == id {
                adjustments[range.clone()].fill(0);
            }
        }
        Ok(())
    }

    /// `IPC_STAT` (`SEM_STAT_ANY` when `any`).
    pub fn stat(&self, id: i32, who: &Requester<'_>, any: bool) -> KernelResult<SemidDs> {
        let object = self.ids.readable(id, who, any)?;
        Ok(status(&object.perm, &object.value))
    }

    /// Every set with its identifier and status (`/proc/sysvipc/sem`).
    pub fn sets(&self) -> impl Iterator<Item = (i32, SemidDs)> + '_ {
        self.ids
            .iter()
            .map(|(id, object)| (id, status(&object.perm, &object.value)))
    }

    /// `SEM_STAT` (`SEM_STAT_ANY`): [`SemNamespace::stat`] by index, with
    /// the identifier.
    pub fn stat_index(
        &self,
        index: u32,
        who: &Requester<'_>,
        any: bool,
    ) -> KernelResult<(i32, SemidDs)> {
        let (id, _) = self.ids.by_index(index)?;
        Ok((id, self.stat(id, who, any)?))
    }

    /// `IPC_SET`: owner and permission bits; `EPERM` unless `who` owns or
    /// created the set or has `CAP_SYS_ADMIN`.
    pub fn set(
        &mut self,
        id: i32,
        who: &Requester<'_>,
        new: &SemidDs,
        now: i64,
    ) -> KernelResult<()> {
        let object = self.ids.changeable(id, who)?;
        object
            .perm
            .set(new.sem_perm.uid, new.sem_perm.gid, new.sem_perm.mode);
        object.value.change_time = now;
        Ok(())
    }

    /// `IPC_RMID`: the set goes at once (waiters get `EIDRM`), and every
    /// undo adjustment for it. `EPERM` as for [`SemNamespace::set`].
    pub fn remove(&mut self, id: i32, who: &Requester<'_>) -> KernelResult<()> {
        self.ids.changeable(id, who)?;
        let object = self.ids.remove(id)?;
        self.total -= object.value.sems.len();
        self.undo.retain(|&(_, set), _| set != id);
        Ok(())
    }

    /// Process `pid` ended: its undo adjustments are applied (each value
    /// kept within 0 and [`SEMVMX`]); whether any was, so that waiters
    /// should look again.
    pub fn exit(&mut self, pid: i32) -> bool {
        let mine: Vec<(i32, Vec<i32>)> = self
            .undo
            .range((pid, i32::MIN)..=(pid, i32::MAX))
            .map(|(&(_, id), adjustments)| (id, adjustments.clone()))
            .collect();
        let mut changed = false;
        for (id, adjustments) in mine {
            self.undo.remove(&(pid, id));
            let Ok(object) = self.ids.get_mut(id) else {
                continue;
            };
            for (sem, adjustment) in object.value.sems.iter_mut().zip(adjustments) {
                if adjustment != 0 {
                    sem.value = (sem.value + adjustment).clamp(0, SEMVMX);
                    sem.pid = pid;
                    changed = true;
                }
            }
        }
        changed
    }

    /// `IPC_INFO` (the limits) or `SEM_INFO` (`usage`: sets and
    /// semaphores in use in place of two of them), and the highest index
    /// in use.
    pub fn info(&self, usage: bool) -> (SemInfo, i32) {
        let mut info = SemInfo {
            semmap: SEMMNS as i32,
            semmni: SEMMNI as i32,
            semmns: SEMMNS as i32,
            semmnu: SEMMNS as i32,
            semmsl: SEMMSL as i32,
            semopm: SEMOPM as i32,
            semume: SEMOPM as i32,
            semusz: 20,
            semvmx: SEMVMX,
            semaem: SEMVMX,
        };
        if usage {
            info.semusz = self.ids.len() as i32;
            info.semaem = self.total as i32;
        }
        let highest = self.ids.highest_index().map_or(0, |index| index as i32);
        (info, highest)
    }
}

fn status(perm: &IpcPerm, set: &SemSet) -> SemidDs {
    SemidDs {
        sem_perm: IpcPerm64::from(perm),
        sem_otime: set.operation_time,
        sem_ctime: set.change_time,
        sem_nsems: set.sems.len() as u64,
        ..SemidDs::default()
    }
}
