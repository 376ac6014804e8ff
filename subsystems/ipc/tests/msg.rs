//! Message queues: capacities, selection by type, and the errors Linux
//! 6.1 gives.

use abi::Errno;
use ipc::{
    IPC_CREAT, IPC_NOWAIT, IPC_PRIVATE, MSG_COPY, MSG_EXCEPT, MSG_NOERROR, MSGMNB, Message,
    MsgNamespace, MsqidDs, Requester, Selector, Wait,
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

const RECEIVER: Requester<'static> = Requester { pid: 2, ..ALICE };

const EVE: Requester<'static> = Requester {
    pid: 10,
    euid: 1002,
    egid: 1002,
    groups: &[],
    ipc_owner: false,
    sys_admin: false,
    ipc_lock: false,
};

fn message(mtype: i64, text: &str) -> Message {
    Message {
        mtype,
        text: text.as_bytes().to_vec(),
    }
}

fn send(ns: &mut MsgNamespace, id: i32, m: Message) -> Result<Result<(), Wait>, Errno> {
    ns.send(id, m, &ALICE, 10)
        .map(|r| r.map_err(|(_, wait)| wait))
}

fn receive(
    ns: &mut MsgNamespace,
    id: i32,
    msgtyp: i64,
    max: usize,
    flags: u32,
) -> Result<Result<Message, Wait>, Errno> {
    ns.receive(id, Selector::new(msgtyp, flags)?, max, flags, &RECEIVER, 20)
}

fn types(ns: &mut MsgNamespace, id: i32, msgtyp: i64, flags: u32) -> Vec<i64> {
    let mut out = Vec::new();
    while let Ok(Ok(m)) = receive(ns, id, msgtyp, 100, flags) {
        out.push(m.mtype);
    }
    out
}

fn queue_of(types: &[i64]) -> (MsgNamespace, i32) {
    let mut ns = MsgNamespace::new();
    let id = ns.get(IPC_PRIVATE, 0o600, &ALICE, 0).unwrap();
    for &t in types {
        send(&mut ns, id, message(t, "x")).unwrap().unwrap();
    }
    (ns, id)
}

#[test]
fn receivers_select_by_type_as_linux_does() {
    let (mut ns, id) = queue_of(&[3, 1, 2, 1, 5]);
    assert_eq!(types(&mut ns, id, 0, 0), [3, 1, 2, 1, 5]);
    let (mut ns, id) = queue_of(&[3, 1, 2, 1, 5]);
    assert_eq!(types(&mut ns, id, 1, 0), [1, 1]);
    assert_eq!(types(&mut ns, id, 0, 0), [3, 2, 5]);
    let (mut ns, id) = queue_of(&[3, 1, 2, 1, 5]);
    // The lowest type at most 3, oldest first among equals.
    assert_eq!(types(&mut ns, id, -3, 0), [1, 1, 2, 3]);
    let (mut ns, id) = queue_of(&[3, 1, 2, 1, 5]);
    assert_eq!(types(&mut ns, id, 1, MSG_EXCEPT), [3, 2, 5]);
    // MSG_COPY reads by position and leaves the message queued.
    let (mut ns, id) = queue_of(&[3, 1, 2]);
    let copy = receive(&mut ns, id, 1, 100, MSG_COPY | IPC_NOWAIT)
        .unwrap()
        .unwrap();
    assert_eq!(copy.mtype, 1);
    assert_eq!(
        receive(&mut ns, id, 3, 100, MSG_COPY | IPC_NOWAIT).unwrap(),
        Err(Wait)
    );
    assert_eq!(types(&mut ns, id, 0, 0), [3, 1, 2]);
    assert_eq!(Selector::new(0, MSG_COPY), Err(Errno::EINVAL));
    assert_eq!(
        Selector::new(0, MSG_COPY | IPC_NOWAIT | MSG_EXCEPT),
        Err(Errno::EINVAL)
    );
}

#[test]
fn long_messages_stay_unless_truncation_is_asked_for() {
    let (mut ns, id) = queue_of(&[]);
    send(&mut ns, id, message(1, "hello")).unwrap().unwrap();
    assert_eq!(receive(&mut ns, id, 0, 3, 0), Err(Errno::E2BIG));
    let m = receive(&mut ns, id, 0, 3, MSG_NOERROR).unwrap().unwrap();
    assert_eq!(m.text, b"hel");
    assert_eq!(receive(&mut ns, id, 0, 3, 0).unwrap(), Err(Wait));
}

#[test]
fn a_full_queue_makes_senders_wait() {
    let (mut ns, id) = queue_of(&[]);
    let big = Message {
        mtype: 1,
        text: vec![0; MSGMNB / 2],
    };
    send(&mut ns, id, big.clone()).unwrap().unwrap();
    send(&mut ns, id, big.clone()).unwrap().unwrap();
    assert_eq!(send(&mut ns, id, message(1, "x")).unwrap(), Err(Wait));
    // An empty message still fits, as on Linux.
    send(&mut ns, id, message(1, "")).unwrap().unwrap();
    receive(&mut ns, id, 0, MSGMNB, 0).unwrap().unwrap();
    send(&mut ns, id, message(1, "x")).unwrap().unwrap();
    let status = ns.stat(id, &ALICE, false).unwrap();
    assert_eq!(
        (status.msg_qnum, status.msg_cbytes),
        (3, MSGMNB as u64 / 2 + 1)
    );
    assert_eq!((status.msg_lspid, status.msg_lrpid), (10, 2));
    assert_eq!((status.msg_stime, status.msg_rtime), (10, 20));
    // The capacity also bounds how many (empty) messages wait.
    let (mut ns, id) = queue_of(&[]);
    let mut small = MsqidDs::default();
    small.msg_perm.mode = 0o600;
    small.msg_perm.uid = 1000;
    small.msg_perm.gid = 1000;
    small.msg_qbytes = 2;
    ns.set(id, &ALICE, false, &small, 30).unwrap();
    send(&mut ns, id, message(1, "")).unwrap().unwrap();
    send(&mut ns, id, message(1, "")).unwrap().unwrap();
    assert_eq!(send(&mut ns, id, message(1, "")).unwrap(), Err(Wait));
}

#[test]
fn permissions_and_removal() {
    let mut ns = MsgNamespace::new();
    let id = ns.get(77, IPC_CREAT | 0o640, &ALICE, 0).unwrap();
    assert_eq!(ns.get(77, 0o200, &EVE, 0), Err(Errno::EACCES));
    assert_eq!(
        ns.send(id, message(1, "x"), &EVE, 0).err(),
        Some(Errno::EACCES)
    );
    assert_eq!(ns.stat(id, &EVE, false), Err(Errno::EACCES));
    assert_eq!(ns.remove(id, &EVE), Err(Errno::EPERM));
    let mut raise = ns.stat(id, &ALICE, false).unwrap();
    raise.msg_qbytes = MSGMNB as u64 + 1;
    assert_eq!(ns.set(id, &ALICE, false, &raise, 0), Err(Errno::EPERM));
    ns.set(id, &ALICE, true, &raise, 0).unwrap();
    ns.remove(id, &ALICE).unwrap();
    assert!(!ns.exists(id));
    assert_eq!(ns.get(77, 0, &ALICE, 0), Err(Errno::ENOENT));
    assert_eq!(size_of::<MsqidDs>(), 120);
    assert_eq!(size_of::<ipc::MsgInfo>(), 32);
}
