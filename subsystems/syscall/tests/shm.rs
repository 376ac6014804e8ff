//! System V shared memory through the table: segments attached as
//! regions of `mm`'s real address space, counted, detached and destroyed.

use crate::common::*;
use abi::{Errno, Sysno};
use ipc::{
    IPC_CREAT, IPC_PRIVATE, SHM_DEST, SHM_RDONLY, SHM_REMAP, ShmInfo, ShmLimits, ShmidDs, cmd,
};

const PROT_READ: u64 = 1;
const PROT_WRITE: u64 = 2;
const MAP_PRIVATE: u64 = 2;
const MAP_ANONYMOUS: u64 = 0x20;

fn shmget(w: &World, key: i32, size: u64, flags: u32) -> i64 {
    w.call(Sysno::Shmget, &[key as u64, size, u64::from(flags)])
}

fn shmat(w: &World, id: i64, address: u64, flags: u32) -> i64 {
    w.call(Sysno::Shmat, &[id as u64, address, u64::from(flags)])
}

fn shmdt(w: &World, address: i64) -> i64 {
    w.call(Sysno::Shmdt, &[address as u64])
}

fn stat(w: &World, id: i64) -> Result<ShmidDs, i64> {
    let buf = w.alloc(size_of::<ShmidDs>());
    match w.call(Sysno::Shmctl, &[id as u64, cmd::IPC_STAT as u64, buf]) {
        0 => Ok(w.get(buf)),
        error => Err(error),
    }
}

fn rmid(w: &World, id: i64) -> i64 {
    w.call(Sysno::Shmctl, &[id as u64, cmd::IPC_RMID as u64, 0])
}

fn region_names(w: &World) -> Vec<(u64, u64, Option<String>)> {
    let space = w.process.data().address_space().cloned().unwrap();
    let space = space.lock().unwrap();
    space
        .regions()
        .map(|r| {
            (
                r.range().start().0,
                r.range().end().0,
                r.name().map(String::from),
            )
        })
        .collect()
}

#[test]
fn attachments_are_regions_and_counted() {
    let w = World::new();
    let id = shmget(&w, 0x2a, 5000, IPC_CREAT | 0o600);
    assert!(id >= 0);
    let first = shmat(&w, id, 0, 0);
    let second = shmat(&w, id, 0, SHM_RDONLY);
    assert!(first > 0 && second > 0 && first != second);
    // Two pages each, named as Linux names them in /proc/PID/maps.
    let regions = region_names(&w);
    assert!(regions.contains(&(
        first as u64,
        first as u64 + 8192,
        Some("/SYSV0000002a (deleted)".into())
    )));
    let status = stat(&w, id).unwrap();
    assert_eq!(status.shm_segsz, 5000);
    assert_eq!(status.shm_nattch, 2);
    assert_eq!(status.shm_cpid, w.process.pid());
    assert_eq!(status.shm_lpid, w.process.pid());
    assert_eq!(status.shm_perm.key, 0x2a);
    assert_eq!(status.shm_perm.mode, 0o600);
    // A read-only attachment may not become writable.
    assert_eq!(
        w.call(
            Sysno::Mprotect,
            &[second as u64, 4096, PROT_READ | PROT_WRITE]
        ),
        err(Errno::EACCES)
    );
    // Only the start of an attachment detaches it.
    assert_eq!(shmdt(&w, first + 4096), err(Errno::EINVAL));
    assert_eq!(shmdt(&w, first + 1), err(Errno::EINVAL));
    assert_eq!(shmdt(&w, first), 0);
    assert_eq!(stat(&w, id).unwrap().shm_nattch, 1);
    assert_eq!(shmdt(&w, first), err(Errno::EINVAL));
    // Not a segment at all.
    let anonymous = w.call(
        Sysno::Mmap,
        &[0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, u64::MAX, 0],
    );
    assert_eq!(shmdt(&w, anonymous), err(Errno::EINVAL));
}

#[test]
fn a_removed_segment_goes_with_its_last_attachment() {
    let w = World::new();
    let id = shmget(&w, IPC_PRIVATE, 4096, 0o600);
    let address = shmat(&w, id, 0, 0);
    assert_eq!(rmid(&w, id), 0);
    let status = stat(&w, id).unwrap();
    assert_eq!(status.shm_perm.mode & SHM_DEST, SHM_DEST);
    assert_eq!(status.shm_nattch, 1);
    assert_eq!(shmdt(&w, address), 0);
    assert_eq!(stat(&w, id), Err(err(Errno::EINVAL)));
    // Removed with nothing attached: gone at once.
    let id = shmget(&w, IPC_PRIVATE, 4096, 0o600);
    assert_eq!(rmid(&w, id), 0);
    assert_eq!(stat(&w, id), Err(err(Errno::EINVAL)));
    assert_eq!(shmat(&w, id, 0, 0), err(Errno::EINVAL));
}

#[test]
fn fixed_addresses_need_a_free_range_unless_remapping() {
    let w = World::new();
    let id = shmget(&w, IPC_PRIVATE, 8192, 0o600);
    let taken = w.call(
        Sysno::Mmap,
        &[0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, u64::MAX, 0],
    );
    assert_eq!(shmat(&w, id, taken as u64, 0), err(Errno::EINVAL));
    assert_eq!(shmat(&w, id, taken as u64 + 1, 0), err(Errno::EINVAL));
    assert_eq!(shmat(&w, id, taken as u64, SHM_REMAP), taken);
    assert_eq!(stat(&w, id).unwrap().shm_nattch, 1);
    assert_eq!(shmdt(&w, taken), 0);
    assert_eq!(stat(&w, id).unwrap().shm_nattch, 0);
}

#[test]
fn other_users_get_what_the_mode_grants() {
    let w = World::new();
    let private = shmget(&w, 1, 4096, IPC_CREAT | 0o600);
    let readable = shmget(&w, 2, 4096, IPC_CREAT | 0o644);
    w.become_user(1000, 1000);
    assert_eq!(shmget(&w, 1, 0, 0o400), err(Errno::EACCES));
    assert_eq!(shmat(&w, private, 0, SHM_RDONLY), err(Errno::EACCES));
    assert_eq!(stat(&w, private), Err(err(Errno::EACCES)));
    assert_eq!(shmat(&w, readable, 0, 0), err(Errno::EACCES));
    assert!(shmat(&w, readable, 0, SHM_RDONLY) > 0);
    assert_eq!(rmid(&w, readable), err(Errno::EPERM));
}

#[test]
fn info_commands_report_limits_and_usage() {
    let w = World::new();
    let a = shmget(&w, IPC_PRIVATE, 4096, 0o600);
    let b = shmget(&w, IPC_PRIVATE, 3 * 4096, 0o600);
    let buf = w.alloc(128);
    let highest = w.call(Sysno::Shmctl, &[0, cmd::IPC_INFO as u64, buf]);
    assert_eq!(highest, b);
    let limits: ShmLimits = w.get(buf);
    assert_eq!((limits.shmmin, limits.shmmni), (1, 4096));
    assert_eq!(w.call(Sysno::Shmctl, &[0, cmd::SHM_INFO as u64, buf]), b);
    let usage: ShmInfo = w.get(buf);
    assert_eq!((usage.used_ids, usage.shm_tot), (2, 4));
    // SHM_STAT takes an index and gives the identifier.
    assert_eq!(w.call(Sysno::Shmctl, &[0, cmd::SHM_STAT as u64, buf]), a);
    assert_eq!(w.call(Sysno::Shmctl, &[0, 99, buf]), err(Errno::EINVAL));
    assert_eq!(
        w.call(Sysno::Shmctl, &[0, cmd::IPC_STAT as u64, 8]),
        err(Errno::EFAULT)
    );
}
