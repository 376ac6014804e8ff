//! Semaphore sets: all-or-nothing operations, waits, undo at exit, and
//! the errors Linux 6.1 gives.

use abi::Errno;
use ipc::{
    Blocked, IPC_CREAT, IPC_NOWAIT, IPC_PRIVATE, Requester, SEM_UNDO, SemBuf, SemField,
    SemNamespace,
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

const CHILD: Requester<'static> = Requester { pid: 11, ..ALICE };

const EVE: Requester<'static> = Requester {
    pid: 12,
    euid: 1002,
    egid: 1002,
    ..ALICE
};

fn op(num: u16, delta: i16, flags: i16) -> SemBuf {
    SemBuf {
        sem_num: num,
        sem_op: delta,
        sem_flg: flags,
    }
}

fn values(ns: &SemNamespace, id: i32) -> Vec<u16> {
    ns.values(id, &ALICE).unwrap()
}

#[test]
fn operations_happen_all_or_not_at_all() {
    let mut ns = SemNamespace::new();
    let id = ns.get(IPC_PRIVATE, 2, 0o600, &ALICE, 1).unwrap();
    ns.set_values(id, None, &[1, 0], &ALICE, 2).unwrap();
    let both = [op(0, -1, 0), op(1, -1, 0)];
    assert_eq!(
        ns.operate(id, &both, &ALICE, 3),
        Ok(Err(Blocked {
            sem: 1,
            zero: false
        }))
    );
    assert_eq!(values(&ns, id), [1, 0]);
    let nowait = [op(0, -1, 0), op(1, -1, IPC_NOWAIT as i16)];
    assert_eq!(ns.operate(id, &nowait, &ALICE, 3), Err(Errno::EAGAIN));
    assert_eq!(
        ns.operate(id, &[op(1, 0, 0), op(0, 1, 0)], &ALICE, 3),
        Ok(Ok(()))
    );
    assert_eq!(values(&ns, id), [2, 0]);
    assert_eq!(
        ns.operate(id, &[op(0, 0, 0)], &ALICE, 3),
        Ok(Err(Blocked { sem: 0, zero: true }))
    );
    assert_eq!(ns.operate(id, &[op(2, 1, 0)], &ALICE, 3), Err(Errno::EFBIG));
    assert_eq!(
        ns.operate(id, &[op(0, 32767, 0)], &ALICE, 3),
        Err(Errno::ERANGE)
    );
    assert_eq!(ns.field(id, 0, SemField::Pid, &ALICE), Ok(10));
    assert_eq!(
        ns.set_values(id, Some(0), &[-1], &ALICE, 4),
        Err(Errno::ERANGE)
    );
    assert_eq!(
        ns.set_values(id, Some(2), &[1], &ALICE, 4),
        Err(Errno::EINVAL)
    );
}

#[test]
fn waiters_are_counted_while_they_wait() {
    let mut ns = SemNamespace::new();
    let id = ns.get(IPC_PRIVATE, 1, 0o600, &ALICE, 1).unwrap();
    let blocked = ns
        .operate(id, &[op(0, -1, 0)], &CHILD, 2)
        .unwrap()
        .unwrap_err();
    ns.wait_begins(id, blocked);
    assert_eq!(ns.field(id, 0, SemField::WaitingIncrease, &ALICE), Ok(1));
    assert_eq!(ns.field(id, 0, SemField::WaitingZero, &ALICE), Ok(0));
    ns.wait_ends(id, blocked);
    assert_eq!(ns.field(id, 0, SemField::WaitingIncrease, &ALICE), Ok(0));
}

#[test]
fn undo_adjustments_apply_at_exit_and_setval_drops_them() {
    let mut ns = SemNamespace::new();
    let id = ns.get(7, 2, IPC_CREAT | 0o600, &ALICE, 1).unwrap();
    ns.set_values(id, None, &[5, 5], &ALICE, 1).unwrap();
    ns.operate(id, &[op(0, -3, SEM_UNDO), op(1, 2, SEM_UNDO)], &CHILD, 2)
        .unwrap()
        .unwrap();
    ns.operate(id, &[op(0, 1, 0)], &CHILD, 2).unwrap().unwrap();
    assert_eq!(values(&ns, id), [3, 7]);
    // Another process's exit changes nothing.
    assert!(!ns.exit(ALICE.pid));
    assert!(ns.exit(CHILD.pid));
    assert_eq!(values(&ns, id), [6, 5]);
    assert_eq!(ns.field(id, 0, SemField::Pid, &ALICE), Ok(CHILD.pid));
    // Only once.
    assert!(!ns.exit(CHILD.pid));
    // Values stay within range when undone.
    ns.operate(id, &[op(0, -6, SEM_UNDO)], &CHILD, 3)
        .unwrap()
        .unwrap();
    ns.set_values(id, Some(1), &[0], &ALICE, 3).unwrap();
    ns.operate(id, &[op(1, 1, SEM_UNDO)], &CHILD, 3)
        .unwrap()
        .unwrap();
    ns.set_values(id, Some(0), &[32767], &ALICE, 3).unwrap();
    ns.exit(CHILD.pid);
    // Semaphore 0's adjustment (+6) was dropped by SETVAL; semaphore 1's
    // (-1) applies.
    assert_eq!(values(&ns, id), [32767, 0]);
}

#[test]
fn get_permissions_and_removal() {
    let mut ns = SemNamespace::new();
    assert_eq!(ns.get(IPC_PRIVATE, 0, 0o600, &ALICE, 1), Err(Errno::EINVAL));
    assert_eq!(
        ns.get(IPC_PRIVATE, 32001, 0o600, &ALICE, 1),
        Err(Errno::EINVAL)
    );
    let id = ns.get(9, 2, IPC_CREAT | 0o604, &ALICE, 1).unwrap();
    assert_eq!(ns.get(9, 3, 0, &ALICE, 1), Err(Errno::EINVAL));
    assert_eq!(ns.get(9, 0, 0, &ALICE, 1), Ok(id));
    // Others may read and wait for zero, not change.
    assert_eq!(ns.field(id, 0, SemField::Value, &EVE), Ok(0));
    assert_eq!(ns.operate(id, &[op(0, 0, 0)], &EVE, 2), Ok(Ok(())));
    assert_eq!(ns.operate(id, &[op(0, 1, 0)], &EVE, 2), Err(Errno::EACCES));
    assert_eq!(ns.remove(id, &EVE), Err(Errno::EPERM));
    ns.operate(id, &[op(0, 1, SEM_UNDO)], &ALICE, 2)
        .unwrap()
        .unwrap();
    ns.remove(id, &ALICE).unwrap();
    assert!(!ns.exists(id));
    // Its undo adjustments went with it.
    assert!(!ns.exit(ALICE.pid));
    assert_eq!(size_of::<ipc::SemidDs>(), 104);
    assert_eq!(size_of::<ipc::SemInfo>(), 40);
    assert_eq!(size_of::<SemBuf>(), 6);
}
