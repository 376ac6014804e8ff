//! Shared-memory segments: `shmget`, `shmat`'s checks, `shmctl`.

use abi::{Errno, KernelResult};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::IPC_PRIVATE;
use crate::ids::{IdTable, Object};
use crate::perm::{IpcPerm, Requester};

/// The smallest segment.
pub const SHMMIN: u64 = 1;
/// The largest segment (Linux's default `shmmax`).
pub const SHMMAX: u64 = u64::MAX - (1 << 24);
/// Pages all segments may take together (Linux's default `shmall`).
pub const SHMALL: u64 = u64::MAX - (1 << 24);
/// How many segments may exist.
pub const SHMMNI: u32 = 4096;
/// Attach addresses are multiples of this.
pub const SHMLBA: u64 = 4096;

/// Mode flag: removed, destroyed when the last attachment goes.
pub const SHM_DEST: u32 = 0o1000;
/// Mode flag: `SHM_LOCK`ed.
pub const SHM_LOCKED: u32 = 0o2000;
/// `shmat` flag: attach read-only.
pub const SHM_RDONLY: u32 = 0o10000;
/// `shmat` flag: round the address down to [`SHMLBA`].
pub const SHM_RND: u32 = 0o20000;
/// `shmat` flag: the attachment may replace mappings at the address.
pub const SHM_REMAP: u32 = 0o40000;
/// `shmat` flag: attach executable.
pub const SHM_EXEC: u32 = 0o100000;

const PAGE_SIZE: u64 = 4096;

/// The pages behind a segment, which the kernel's memory manager keeps.
pub trait SegmentMemory {
    /// How many mappings attach the segment now (`shm_nattch`).
    fn attachments(&self) -> u64;
    /// How many of its pages are in memory.
    fn resident_pages(&self) -> u64;
}

/// One segment's state.
#[derive(Debug)]
pub struct Segment<M> {
    /// Its size in bytes, as created.
    pub size: u64,
    /// Who created it.
    pub creator_pid: i32,
    /// Who last attached or detached it.
    pub last_pid: i32,
    /// When it was last attached (seconds since the epoch; 0: never).
    pub attach_time: i64,
    /// When it was last detached.
    pub detach_time: i64,
    /// When it was created or last changed by `IPC_SET` or `IPC_RMID`.
    pub change_time: i64,
    /// Its pages.
    pub memory: M,
}

impl<M> Segment<M> {
    fn pages(&self) -> u64 {
        self.size.div_ceil(PAGE_SIZE)
    }
}

/// Linux's x86_64 `struct ipc64_perm`.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[allow(missing_docs)] // Linux's field names.
pub struct IpcPerm64 {
    pub key: i32,
    pub uid: u32,
    pub gid: u32,
    pub cuid: u32,
    pub cgid: u32,
    pub mode: u32,
    pub seq: u16,
    pub pad2: u16,
    pub pad3: u32,
    pub unused1: u64,
    pub unused2: u64,
}

/// Linux's x86_64 `struct shmid64_ds` (`IPC_STAT`, `IPC_SET`).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[allow(missing_docs)] // Linux's field names.
pub struct ShmidDs {
    pub shm_perm: IpcPerm64,
    pub shm_segsz: u64,
    pub shm_atime: i64,
    pub shm_dtime: i64,
    pub shm_ctime: i64,
    pub shm_cpid: i32,
    pub shm_lpid: i32,
    pub shm_nattch: u64,
    pub unused4: u64,
    pub unused5: u64,
}

/// Linux's `struct shminfo64` (`IPC_INFO`): the limits.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[allow(missing_docs)] // Linux's field names.
pub struct ShmLimits {
    pub shmmax: u64,
    pub shmmin: u64,
    pub shmmni: u64,
    pub shmseg: u64,
    pub shmall: u64,
    pub unused: [u64; 4],
}

/// Linux's `struct shm_info` (`SHM_INFO`): the usage.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[allow(missing_docs)] // Linux's field names.
pub struct ShmInfo {
    pub used_ids: i32,
    pub pad: u32,
    pub shm_tot: u64,
    pub shm_rss: u64,
    pub shm_swp: u64,
    pub swap_attempts: u64,
    pub swap_successes: u64,
}

/// Where and how `shmat` maps a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attach {
    /// The address asked for (rounded for `SHM_RND`); `None`: anywhere.
    pub address: Option<u64>,
    /// `SHM_REMAP`: mappings there are replaced (else the range must be
    /// free, `EINVAL` otherwise).
    pub replace: bool,
    /// `SHM_RDONLY`.
    pub read_only: bool,
    /// `SHM_EXEC`.
    pub exec: bool,
}

impl Attach {
    /// The access bits `ipcperms` checks for this attachment.
    fn access(&self) -> u32 {
        let mut access = if self.read_only { 0o444 } else { 0o666 };
        if self.exec {
            access |= 0o111;
        }
        access
    }
}

/// Decodes `shmat(id, address, flags)`'s address and flags as Linux's
/// `do_shmat`: an address not a multiple of [`SHMLBA`] is rounded down
/// with `SHM_RND`, else `EINVAL`; `SHM_REMAP` needs an address.
pub fn attach_address(address: u64, flags: u32) -> KernelResult<Attach> {
    let replace = flags & SHM_REMAP != 0;
    let address = if address == 0 {
        if replace {
            return Err(Errno::EINVAL);
        }
        None
    } else if address % SHMLBA != 0 {
        if flags & SHM_RND == 0 {
            return Err(Errno::EINVAL);
        }
        let rounded = address - address % SHMLBA;
        if rounded == 0 && replace {
            return Err(Errno::EINVAL);
        }
        Some(rounded)
    } else {
        Some(address)
    };
    Ok(Attach {
        address,
        replace,
        read_only: flags & SHM_RDONLY != 0,
        exec: flags & SHM_EXEC != 0,
    })
}

/// The shared-memory segments of one IPC namespace.
#[derive(Debug)]
pub struct ShmNamespace<M> {
    ids: IdTable<Segment<M>>,
    /// Pages of every segment, created sizes rounded up.
    total_pages: u64,
}

impl<M: SegmentMemory> Default for ShmNamespace<M> {
    fn default() -> Self {
        Self::new()
    }
}

impl<M: SegmentMemory> ShmNamespace<M> {
    /// No segments, Linux's default limits.
    pub const fn new() -> Self {
        ShmNamespace {
            ids: IdTable::new(SHMMNI),
            total_pages: 0,
        }
    }

    /// `shmget(key, size, flags)`: the segment `key` has, or a new one of
    /// `size` bytes made by `make` when `flags` has `IPC_CREAT` (always
    /// for [`IPC_PRIVATE`]). Errors in Linux's order: for a key in use,
    /// `EEXIST` (`IPC_CREAT | IPC_EXCL`), `EINVAL` (larger than the
    /// segment), `EACCES` (the `0o777` bits of `flags` not granted); for
    /// a new one, `ENOENT` (no `IPC_CREAT`), `EINVAL` (size out of range),
    /// `ENOSPC` (too many segments or pages).
    pub fn get(
        &mut self,
        key: i32,
        size: u64,
        flags: u32,
        who: &Requester<'_>,
        now: i64,
        make: impl FnOnce(u64) -> KernelResult<M>,
    ) -> KernelResult<i32> {
        self.remove_detached();
        let large_enough = |segment: &Segment<M>| {
            if segment.size < size {
                Err(Errno::EINVAL)
            } else {
                Ok(())
            }
        };
        if let Some(id) = self.ids.lookup(key, flags, who, large_enough)? {
            return Ok(id);
        }
        if !(SHMMIN..=SHMMAX).contains(&size) {
            return Err(Errno::EINVAL);
        }
        let pages = size.div_ceil(PAGE_SIZE);
        let total = self
            .total_pages
            .checked_add(pages)
            .filter(|&total| total <= SHMALL)
            .ok_or(Errno::ENOSPC)?;
        if self.ids.len() >= SHMMNI as usize {
            return Err(Errno::ENOSPC);
        }
        let segment = Segment {
            size,
            creator_pid: who.pid,
            last_pid: 0,
            attach_time: 0,
            detach_time: 0,
            change_time: now,
            memory: make(size)?,
        };
        let id = self
            .ids
            .insert(IpcPerm::new(key, who, flags & 0o777), segment)?;
        self.total_pages = total;
        Ok(id)
    }

    /// The segment `id` names, for `shmat` with `attach`: `EINVAL` if
    /// none, `EACCES` if `who` may not have that access. A removed
    /// segment that is still attached may be attached again, as on Linux.
    pub fn attachable(
        &mut self,
        id: i32,
        attach: &Attach,
        who: &Requester<'_>,
    ) -> KernelResult<&Object<Segment<M>>> {
        self.remove_detached();
        let object = self.ids.get(id)?;
        if !object.perm.may_access(who, attach.access()) {
            return Err(Errno::EACCES);
        }
        Ok(object)
    }

    /// Records an attachment of `id` by `pid` at `now`.
    pub fn note_attached(&mut self, id: i32, pid: i32, now: i64) {
        if let Ok(object) = self.ids.get_mut(id) {
            object.value.last_pid = pid;
            object.value.attach_time = now;
        }
    }

    /// The segment whose pages `is_memory` recognises, with its
    /// identifier.
    pub fn find(&self, mut is_memory: impl FnMut(&M) -> bool) -> Option<(i32, &Segment<M>)> {
        self.ids
            .iter()
            .find(|(_, object)| is_memory(&object.value.memory))
            .map(|(id, object)| (id, &object.value))
    }

    /// Records a detachment of `id` by `pid` at `now` (`shmdt`); a removed
    /// segment with no attachment left is destroyed.
    pub fn note_detached(&mut self, id: i32, pid: i32, now: i64) {
        if let Ok(object) = self.ids.get_mut(id) {
            object.value.last_pid = pid;
            object.value.detach_time = now;
        }
        self.remove_detached();
    }

    /// `IPC_STAT` of `id` (`SHM_STAT_ANY` when `any`: no read permission
    /// needed): `EINVAL` if none, `EACCES` without read permission.
    pub fn stat(&mut self, id: i32, who: &Requester<'_>, any: bool) -> KernelResult<ShmidDs> {
        self.remove_detached();
        let object = self.ids.readable(id, who, any)?;
        Ok(status(&object.perm, &object.value))
    }

    /// `SHM_STAT` (`SHM_STAT_ANY`): [`ShmNamespace::stat`] by index, with
    /// the identifier.
    pub fn stat_index(
        &mut self,
        index: u32,
        who: &Requester<'_>,
        any: bool,
    ) -> KernelResult<(i32, ShmidDs)> {
        self.remove_detached();
        let (id, _) = self.ids.by_index(index)?;
        Ok((id, self.stat(id, who, any)?))
    }

    /// `IPC_SET`: a new owner and permission bits; `EPERM` unless `who`
    /// owns or created it or has `CAP_SYS_ADMIN`.
    pub fn set(
        &mut self,
        id: i32,
        who: &Requester<'_>,
        new: &IpcPerm64,
        now: i64,
    ) -> KernelResult<()> {
        let object = self.ids.changeable(id, who)?;
        object.perm.set(new.uid, new.gid, new.mode);
        object.value.change_time = now;
        Ok(())
    }

    /// `IPC_RMID`: no `shmget` finds it any more, and it is destroyed once
    /// nothing attaches it; its pages if that is now. `EPERM` as for
    /// [`ShmNamespace::set`].
    pub fn remove(&mut self, id: i32, who: &Requester<'_>, now: i64) -> KernelResult<Option<M>> {
        let object = self.ids.changeable(id, who)?;
        object.perm.mode |= SHM_DEST;
        object.perm.key = IPC_PRIVATE;
        object.value.change_time = now;
        if object.value.memory.attachments() != 0 {
            return Ok(None);
        }
        let object = self.ids.remove(id)?;
        self.total_pages -= object.value.pages();
        Ok(Some(object.value.memory))
    }

    /// The pages of segment `id`, to change how they are held (a removed
    /// segment's memory keeps only what its attachments need).
    pub fn memory_mut(&mut self, id: i32) -> KernelResult<&mut M> {
        Ok(&mut self.ids.get_mut(id)?.value.memory)
    }

    /// `SHM_LOCK` (`lock`) or `SHM_UNLOCK`: without `CAP_IPC_LOCK`, only
    /// the owner or creator may (`EPERM`), and locking needs a
    /// `RLIMIT_MEMLOCK` (`memlock_limit`, bytes) that is not 0 (`EPERM`)
    /// and holds the segment (`ENOMEM`).
    pub fn lock(
        &mut self,
        id: i32,
        who: &Requester<'_>,
        lock: bool,
        memlock_limit: u64,
    ) -> KernelResult<()> {
        let object = self.ids.get_mut(id)?;
        if !who.ipc_lock {
            if who.euid != object.perm.uid && who.euid != object.perm.cuid {
                return Err(Errno::EPERM);
            }
            if lock && memlock_limit == 0 {
                return Err(Errno::EPERM);
            }
            if lock && object.value.pages() * PAGE_SIZE > memlock_limit {
                return Err(Errno::ENOMEM);
            }
        }
        if lock {
            object.perm.mode |= SHM_LOCKED;
        } else {
            object.perm.mode &= !SHM_LOCKED;
        }
        Ok(())
    }

    /// `IPC_INFO`: the limits, and the highest index in use.
    pub fn limits(&self) -> (ShmLimits, i32) {
        let limits = ShmLimits {
            shmmax: SHMMAX,
            shmmin: SHMMIN,
            shmmni: u64::from(SHMMNI),
            shmseg: u64::from(SHMMNI),
            shmall: SHMALL,
            unused: [0; 4],
        };
        (limits, self.highest_index())
    }

    /// `SHM_INFO`: what the segments use, and the highest index in use.
    pub fn usage(&mut self) -> (ShmInfo, i32) {
        self.remove_detached();
        let info = ShmInfo {
            used_ids: self.ids.len() as i32,
            pad: 0,
            shm_tot: self.total_pages,
            shm_rss: self
                .ids
                .iter()
                .map(|(_, object)| object.value.memory.resident_pages())
                .sum(),
            ..ShmInfo::default()
        };
        (info, self.highest_index())
    }

    /// Every segment with its identifier, status and resident pages
    /// (`/proc/sysvipc/shm`).
    pub fn segments(&self) -> impl Iterator<Item = (i32, ShmidDs, u64)> + '_ {
        self.ids.iter().map(|(id, object)| {
            (
                id,
                status(&object.perm, &object.value),
                object.value.memory.resident_pages(),
            )
        })
    }

    fn highest_index(&self) -> i32 {
        self.ids.highest_index().map_or(0, |index| index as i32)
    }

    /// Destroys removed segments that nothing attaches any more (their
    /// last attachment went since the last look).
    fn remove_detached(&mut self) {
        let mut freed = 0;
        self.ids.retain(|object| {
            let gone = object.perm.mode & SHM_DEST != 0 && object.value.memory.attachments() == 0;
            if gone {
                freed += object.value.pages();
            }
            !gone
        });
        self.total_pages -= freed;
    }
}

impl From<&IpcPerm> for IpcPerm64 {
    fn from(perm: &IpcPerm) -> IpcPerm64 {
        IpcPerm64 {
            key: perm.key,
            uid: perm.uid,
            gid: perm.gid,
            cuid: perm.cuid,
            cgid: perm.cgid,
            mode: perm.mode,
            seq: perm.seq,
            ..IpcPerm64::default()
        }
    }
}

fn status<M: SegmentMemory>(perm: &IpcPerm, segment: &Segment<M>) -> ShmidDs {
    ShmidDs {
        shm_perm: IpcPerm64::from(perm),
        shm_segsz: segment.size,
        shm_atime: segment.attach_time,
        shm_dtime: segment.detach_time,
        shm_ctime: segment.change_time,
        shm_cpid: segment.creator_pid,
        shm_lpid: segment.last_pid,
        shm_nattch: segment.memory.attachments(),
        ..ShmidDs::default()
    }
}
