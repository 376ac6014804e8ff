//! Identifiers: which object an `int` names.

use alloc::collections::BTreeMap;

use abi::{Errno, KernelResult};

use crate::perm::{IpcPerm, Requester};
use crate::{IPC_CREAT, IPC_EXCL, IPC_PRIVATE};

/// Indices per sequence number: an identifier is `seq * IPCMNI + index`.
pub const IPCMNI: u32 = 32768;

/// The smallest range indices cycle through (Linux's `ipc_min_cycle`).
const MIN_CYCLE: u32 = 64;

/// Sequence numbers wrap here (`INT_MAX / IPCMNI`).
const SEQ_MAX: u32 = i32::MAX as u32 / IPCMNI;

/// One object of an [`IdTable`].
#[derive(Debug)]
pub struct Object<T> {
    /// Its permissions (and key).
    pub perm: IpcPerm,
    /// What the kind of object keeps.
    pub value: T,
}

/// The objects of one kind (segments, semaphore sets, queues), by index.
///
/// Indices are handed out cyclically, as Linux's `idr_alloc_cyclic` does,
/// through a range that grows with the number of objects, and the sequence
/// number advances each time the cycle starts over: an identifier that was
/// just removed names nothing for a while rather than a new object.
#[derive(Debug)]
pub struct IdTable<T> {
    objects: BTreeMap<u32, Object<T>>,
    limit: u32,
    seq: u32,
    next_index: u32,
    last_index: Option<u32>,
}

impl<T> IdTable<T> {
    /// An empty table of at most `limit` objects (at most [`IPCMNI`]).
    pub const fn new(limit: u32) -> Self {
        IdTable {
            objects: BTreeMap::new(),
            limit: if limit < IPCMNI { limit } else { IPCMNI },
            seq: 0,
            next_index: 0,
            last_index: None,
        }
    }

    /// How many objects exist.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// The highest index in use (what `IPC_INFO` and `SHM_INFO` return).
    pub fn highest_index(&self) -> Option<u32> {
        self.objects.keys().next_back().copied()
    }

    /// The identifier of the object created with `key`, if one still has
    /// it (never for [`IPC_PRIVATE`]).
    pub fn find_key(&self, key: i32) -> Option<i32> {
        if key == IPC_PRIVATE {
            return None;
        }
        self.objects
            .iter()
            .find(|(_, object)| object.perm.key == key)
            .map(|(&index, object)| identifier(index, object.perm.seq))
    }

    /// The `*get` calls' lookup of `key` with `flags`: `Some` identifier
    /// of the object the key has, `None` when a new one is to be made.
    /// Errors in Linux's order: for a key in use `EEXIST` (`IPC_CREAT |
    /// IPC_EXCL`), then what `check` says of the object (a size or count
    /// it lacks), then `EACCES` (the `0o777` bits of `flags` not granted);
    /// for a free key without `IPC_CREAT`, `ENOENT`. [`IPC_PRIVATE`]
    /// always makes a new one.
    pub fn lookup(
        &self,
        key: i32,
        flags: u32,
        who: &Requester<'_>,
        check: impl FnOnce(&T) -> KernelResult<()>,
    ) -> KernelResult<Option<i32>> {
        let Some(id) = self.find_key(key) else {
            if key != IPC_PRIVATE && flags & IPC_CREAT == 0 {
                return Err(Errno::ENOENT);
            }
            return Ok(None);
        };
        if flags & IPC_CREAT != 0 && flags & IPC_EXCL != 0 {
            return Err(Errno::EEXIST);
        }
        let object = self.get(id)?;
        check(&object.value)?;
        if !object.perm.may_access(who, flags) {
            return Err(Errno::EACCES);
        }
        Ok(Some(id))
    }

    /// Object `id` for a caller that reads its status: `EACCES` without
    /// read permission unless `any` (the `*_STAT_ANY` commands).
    pub fn readable(&self, id: i32, who: &Requester<'_>, any: bool) -> KernelResult<&Object<T>> {
        let object = self.get(id)?;
        if !any && !object.perm.may_access(who, 0o444) {
            return Err(Errno::EACCES);
        }
        Ok(object)
    }

    /// Object `id` for a caller that changes or removes it (`IPC_SET`,
    /// `IPC_RMID`): `EPERM` unless [`IpcPerm::may_change`].
    pub fn changeable(&mut self, id: i32, who: &Requester<'_>) -> KernelResult<&mut Object<T>> {
        let object = self.get_mut(id)?;
        if !object.perm.may_change(who) {
            return Err(Errno::EPERM);
        }
        Ok(object)
    }

    /// The object `id` names; `EINVAL` if none does (now).
    pub fn get(&self, id: i32) -> KernelResult<&Object<T>> {
        let (index, seq) = split(id)?;
        self.objects
            .get(&index)
            .filter(|object| object.perm.seq == seq)
            .ok_or(Errno::EINVAL)
    }

    /// [`IdTable::get`], to change it.
    pub fn get_mut(&mut self, id: i32) -> KernelResult<&mut Object<T>> {
        let (index, seq) = split(id)?;
        self.objects
            .get_mut(&index)
            .filter(|object| object.perm.seq == seq)
            .ok_or(Errno::EINVAL)
    }

    /// The object at `index` with its identifier (`SHM_STAT`); `EINVAL`
    /// if the index is free.
    pub fn by_index(&self, index: u32) -> KernelResult<(i32, &Object<T>)> {
        let object = self.objects.get(&index).ok_or(Errno::EINVAL)?;
        Ok((identifier(index, object.perm.seq), object))
    }

    /// Adds an object with `perm` (its `seq` is replaced); its identifier,
    /// or `ENOSPC` at the limit.
    pub fn insert(&mut self, mut perm: IpcPerm, value: T) -> KernelResult<i32> {
        let in_use = self.objects.len() as u32;
        if in_use >= self.limit {
            return Err(Errno::ENOSPC);
        }
        let end = (in_use * 3 / 2).max(MIN_CYCLE).min(self.limit);
        let free_from = |start: u32| (start..end).find(|index| !self.objects.contains_key(index));
        let start = if self.next_index < end {
            self.next_index
        } else {
            0
        };
        let index = free_from(start)
            .or_else(|| free_from(0))
            .or_else(|| (end..self.limit).find(|index| !self.objects.contains_key(index)))
            .ok_or(Errno::ENOSPC)?;
        // The cycle started over: identifiers move on to a new sequence.
        if self.last_index.is_some_and(|last| index <= last) {
            self.seq = (self.seq + 1) % SEQ_MAX;
        }
        self.last_index = Some(index);
        self.next_index = index + 1;
        perm.seq = self.seq as u16;
        self.objects.insert(index, Object { perm, value });
        Ok(identifier(index, perm.seq))
    }

    /// Takes object `id` out; `EINVAL` if `id` names none.
    pub fn remove(&mut self, id: i32) -> KernelResult<Object<T>> {
        self.get(id)?;
        let (index, _) = split(id)?;
        self.objects.remove(&index).ok_or(Errno::EINVAL)
    }

    /// Every object with its identifier, by index.
    pub fn iter(&self) -> impl Iterator<Item = (i32, &Object<T>)> {
        self.objects
            .iter()
            .map(|(&index, object)| (identifier(index, object.perm.seq), object))
    }

    /// Every object, to change.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut Object<T>> {
        self.objects.values_mut()
    }

    /// Drops the objects `keep` says no to.
    pub fn retain(&mut self, mut keep: impl FnMut(&Object<T>) -> bool) {
        self.objects.retain(|_, object| keep(object));
    }
}

fn identifier(index: u32, seq: u16) -> i32 {
    (u32::from(seq) * IPCMNI + index) as i32
}

fn split(id: i32) -> KernelResult<(u32, u16)> {
    let id = u32::try_from(id).map_err(|_| Errno::EINVAL)?;
    Ok((id % IPCMNI, (id / IPCMNI) as u16))
}
