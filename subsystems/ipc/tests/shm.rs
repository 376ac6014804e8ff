//! The namespace's rules for shared-memory segments, as Linux 6.1 has
//! them: keys, identifiers, permissions, removal, limits and layouts.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use abi::Errno;
use ipc::{
    Attach, IPC_CREAT, IPC_EXCL, IPC_PRIVATE, IPCMNI, IpcPerm64, Requester, SHM_DEST, SHM_LOCKED,
    SHM_RDONLY, SHM_REMAP, SHM_RND, SegmentMemory, ShmNamespace, ShmidDs, attach_address,
};

/// Pages whose attachments the test sets by hand.
#[derive(Clone, Default)]
struct Pages(Arc<AtomicU64>);

impl Pages {
    fn attach(&self, count: u64) {
        self.0.store(count, Ordering::SeqCst);
    }
}

impl SegmentMemory for Pages {
    fn attachments(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
    fn resident_pages(&self) -> u64 {
        0
    }
}

const ROOT: Requester<'static> = Requester {
    pid: 10,
    euid: 0,
    egid: 0,
    groups: &[],
    ipc_owner: true,
    sys_admin: true,
    ipc_lock: true,
};

const ALICE: Requester<'static> = Requester {
    pid: 10,
    euid: 1000,
    egid: 1000,
    groups: &[],
    ipc_owner: false,
    sys_admin: false,
    ipc_lock: false,
};

const BOB: Requester<'static> = Requester {
    pid: 10,
    euid: 1001,
    egid: 1001,
    groups: &[1000],
    ipc_owner: false,
    sys_admin: false,
    ipc_lock: false,
};

const EVE: Requester<'static> = Requester {
    pid: 10,
    euid: 1002,
    egid: 1002,
    groups: &[],
    ipc_owner: false,
    sys_admin: false,
    ipc_lock: false,
};

fn create(ns: &mut ShmNamespace<Pages>, key: i32, size: u64, flags: u32) -> Result<i32, Errno> {
    ns.get(key, size, flags, &ALICE, 100, |_| Ok(Pages::default()))
}

#[test]
fn a_key_finds_its_segment_and_private_keys_always_make_new_ones() {
    let mut ns = ShmNamespace::new();
    let id = create(&mut ns, 42, 8192, IPC_CREAT | 0o600).unwrap();
    assert_eq!(create(&mut ns, 42, 4096, 0), Ok(id));
    assert_eq!(create(&mut ns, 42, 0, IPC_CREAT), Ok(id));
    let a = create(&mut ns, IPC_PRIVATE, 4096, 0).unwrap();
    let b = create(&mut ns, IPC_PRIVATE, 4096, 0o600).unwrap();
    assert!(a != b && a != id && b != id);
}

#[test]
fn get_fails_in_linuxs_order() {
    let mut ns = ShmNamespace::new();
    assert_eq!(create(&mut ns, 7, 4096, 0o600), Err(Errno::ENOENT));
    assert_eq!(create(&mut ns, 7, 0, IPC_CREAT), Err(Errno::EINVAL));
    create(&mut ns, 7, 4096, IPC_CREAT | 0o600).unwrap();
    // EEXIST before the size and the permissions are looked at.
    assert_eq!(
        ns.get(7, 1 << 20, IPC_CREAT | IPC_EXCL | 0o666, &EVE, 1, |_| Ok(
            Pages::default()
        )),
        Err(Errno::EEXIST)
    );
    // Larger than the segment: EINVAL before EACCES.
    assert_eq!(
        ns.get(7, 8192, 0o600, &EVE, 1, |_| Ok(Pages::default())),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        ns.get(7, 4096, 0o400, &EVE, 1, |_| Ok(Pages::default())),
        Err(Errno::EACCES)
    );
    // Asking for no access at all needs none.
    assert!(ns.get(7, 0, 0, &EVE, 1, |_| Ok(Pages::default())).is_ok());
    // A failed creation leaves nothing behind.
    assert_eq!(
        ns.get(8, 4096, IPC_CREAT, &ALICE, 1, |_| Err(Errno::ENOMEM)),
        Err(Errno::ENOMEM)
    );
    assert_eq!(create(&mut ns, 8, 4096, 0), Err(Errno::ENOENT));
}

#[test]
fn permission_bits_go_by_owner_creator_group_and_others() {
    let mut ns = ShmNamespace::new();
    let id = create(&mut ns, 1, 4096, IPC_CREAT | 0o640).unwrap();
    let rw = attach_address(0, 0).unwrap();
    let ro = attach_address(0, SHM_RDONLY).unwrap();
    assert!(ns.attachable(id, &rw, &ALICE).is_ok());
    // Bob is in Alice's group: read only.
    assert!(ns.attachable(id, &ro, &BOB).is_ok());
    assert_eq!(ns.attachable(id, &rw, &BOB).err(), Some(Errno::EACCES));
    assert_eq!(ns.attachable(id, &ro, &EVE).err(), Some(Errno::EACCES));
    assert_eq!(ns.stat(id, &EVE, false), Err(Errno::EACCES));
    assert!(ns.stat(id, &EVE, true).is_ok());
    // CAP_IPC_OWNER passes every bit check.
    assert!(ns.attachable(id, &rw, &ROOT).is_ok());
    // Executable attachments need the x bits.
    let exec = Attach { exec: true, ..rw };
    assert_eq!(ns.attachable(id, &exec, &ALICE).err(), Some(Errno::EACCES));
}

#[test]
fn only_owner_creator_or_sys_admin_change_and_remove() {
    let mut ns = ShmNamespace::new();
    let id = create(&mut ns, 1, 4096, IPC_CREAT | 0o666).unwrap();
    let new = IpcPerm64 {
        uid: 1001,
        gid: 1001,
        mode: 0o7600,
        ..IpcPerm64::default()
    };
    assert_eq!(ns.set(id, &BOB, &new, 200), Err(Errno::EPERM));
    ns.set(id, &ALICE, &new, 200).unwrap();
    let stat = ns.stat(id, &ROOT, false).unwrap();
    // Owner moved, creator stays; only the nine permission bits change.
    assert_eq!((stat.shm_perm.uid, stat.shm_perm.cuid), (1001, 1000));
    assert_eq!(stat.shm_perm.mode, 0o600);
    assert_eq!(stat.shm_ctime, 200);
    // Alice created it, Bob owns it now: both may remove; Eve may not.
    assert_eq!(ns.remove(id, &EVE, 300).err(), Some(Errno::EPERM));
    assert!(ns.remove(id, &BOB, 300).unwrap().is_some());
    assert_eq!(ns.stat(id, &ROOT, false), Err(Errno::EINVAL));
}

#[test]
fn a_removed_segment_lives_while_attached_and_no_key_finds_it() {
    let mut ns = ShmNamespace::new();
    let pages = Pages::default();
    let handle = pages.clone();
    let id = ns
        .get(5, 4096, IPC_CREAT | 0o600, &ALICE, 100, move |_| Ok(pages))
        .unwrap();
    handle.attach(2);
    assert!(ns.remove(id, &ALICE, 300).unwrap().is_none());
    let stat = ns.stat(id, &ALICE, false).unwrap();
    assert_eq!(stat.shm_perm.key, IPC_PRIVATE);
    assert_eq!(stat.shm_perm.mode & SHM_DEST, SHM_DEST);
    assert_eq!(stat.shm_nattch, 2);
    // The key is free again.
    assert_eq!(create(&mut ns, 5, 4096, 0), Err(Errno::ENOENT));
    let other = create(&mut ns, 5, 4096, IPC_CREAT).unwrap();
    assert_ne!(other, id);
    // Still attachable by id, as on Linux.
    assert!(
        ns.attachable(id, &attach_address(0, 0).unwrap(), &ALICE)
            .is_ok()
    );
    // The last detach destroys it.
    handle.attach(0);
    ns.note_detached(id, 11, 400);
    assert_eq!(ns.stat(id, &ALICE, false), Err(Errno::EINVAL));
}

#[test]
fn identifiers_are_not_soon_reused() {
    let mut ns = ShmNamespace::new();
    let first = create(&mut ns, IPC_PRIVATE, 4096, 0o600).unwrap();
    assert_eq!(first, 0);
    ns.remove(first, &ALICE, 1).unwrap();
    let mut seen = vec![first];
    for _ in 0..200 {
        let id = create(&mut ns, IPC_PRIVATE, 4096, 0o600).unwrap();
        assert!(!seen.contains(&id), "identifier {id} reused");
        seen.push(id);
        ns.remove(id, &ALICE, 1).unwrap();
    }
    // Indices cycled through the first 64, then the sequence moved on.
    assert!(seen.iter().all(|&id| (id as u32 % IPCMNI) < 64));
    assert!(seen.iter().any(|&id| id as u32 >= IPCMNI));
}

#[test]
fn four_thousand_and_ninety_six_segments_at_most() {
    let mut ns = ShmNamespace::new();
    for _ in 0..4096 {
        create(&mut ns, IPC_PRIVATE, 1, 0o600).unwrap();
    }
    assert_eq!(create(&mut ns, IPC_PRIVATE, 1, 0o600), Err(Errno::ENOSPC));
    let (usage, highest) = ns.usage();
    assert_eq!((usage.used_ids, usage.shm_tot, highest), (4096, 4096, 4095));
}

#[test]
fn attach_addresses_round_only_when_asked() {
    assert_eq!(attach_address(0, 0).unwrap().address, None);
    assert_eq!(attach_address(0x10000, 0).unwrap().address, Some(0x10000));
    assert_eq!(attach_address(0x10010, 0), Err(Errno::EINVAL));
    assert_eq!(
        attach_address(0x10010, SHM_RND).unwrap().address,
        Some(0x10000)
    );
    assert_eq!(attach_address(0, SHM_REMAP), Err(Errno::EINVAL));
    assert_eq!(
        attach_address(0x10, SHM_RND | SHM_REMAP),
        Err(Errno::EINVAL)
    );
    let attach = attach_address(0x10000, SHM_REMAP | SHM_RDONLY).unwrap();
    assert!(attach.replace && attach.read_only && !attach.exec);
}

#[test]
fn locking_needs_ownership_and_a_memlock_limit_without_cap_ipc_lock() {
    let mut ns = ShmNamespace::new();
    let id = create(&mut ns, 1, 8192, IPC_CREAT | 0o666).unwrap();
    assert_eq!(ns.lock(id, &BOB, true, 1 << 20), Err(Errno::EPERM));
    assert_eq!(ns.lock(id, &ALICE, true, 0), Err(Errno::EPERM));
    assert_eq!(ns.lock(id, &ALICE, true, 4096), Err(Errno::ENOMEM));
    ns.lock(id, &ALICE, true, 8192).unwrap();
    assert_eq!(
        ns.stat(id, &ALICE, false).unwrap().shm_perm.mode & SHM_LOCKED,
        SHM_LOCKED
    );
    ns.lock(id, &ROOT, false, 0).unwrap();
    assert_eq!(
        ns.stat(id, &ALICE, false).unwrap().shm_perm.mode & SHM_LOCKED,
        0
    );
}

#[test]
fn layouts_are_linuxs() {
    assert_eq!(size_of::<IpcPerm64>(), 48);
    assert_eq!(size_of::<ShmidDs>(), 112);
    assert_eq!(std::mem::offset_of!(ShmidDs, shm_segsz), 48);
    assert_eq!(std::mem::offset_of!(ShmidDs, shm_cpid), 80);
    assert_eq!(std::mem::offset_of!(ShmidDs, shm_nattch), 88);
    assert_eq!(size_of::<ipc::ShmLimits>(), 72);
    assert_eq!(size_of::<ipc::ShmInfo>(), 48);
    assert_eq!(std::mem::offset_of!(ipc::ShmInfo, shm_tot), 8);
}
