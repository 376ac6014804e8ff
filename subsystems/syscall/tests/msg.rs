//! System V message queues through the table: messages in and out of user
//! memory, the errors of calls that may not wait.

use crate::common::*;
use abi::{Errno, Sysno};
use ipc::{IPC_CREAT, IPC_EXCL, IPC_NOWAIT, IPC_PRIVATE, MSG_NOERROR, MsqidDs, cmd};

fn msgget(w: &World, key: i32, flags: u32) -> i64 {
    w.call(Sysno::Msgget, &[key as u64, u64::from(flags)])
}

fn msgsnd(w: &World, id: i64, mtype: i64, text: &[u8], flags: u32) -> i64 {
    let mut buf = mtype.to_le_bytes().to_vec();
    buf.extend_from_slice(text);
    let address = w.alloc(buf.len());
    w.poke(address, &buf);
    w.call(
        Sysno::Msgsnd,
        &[id as u64, address, text.len() as u64, u64::from(flags)],
    )
}

fn msgrcv(w: &World, id: i64, max: usize, msgtyp: i64, flags: u32) -> Result<(i64, Vec<u8>), i64> {
    let address = w.alloc(8 + max);
    let got = w.call(
        Sysno::Msgrcv,
        &[
            id as u64,
            address,
            max as u64,
            msgtyp as u64,
            u64::from(flags),
        ],
    );
    if got < 0 {
        return Err(got);
    }
    let bytes = w.peek(address, 8 + got as usize);
    let mtype = i64::from_le_bytes(bytes[..8].try_into().unwrap());
    Ok((mtype, bytes[8..].to_vec()))
}

#[test]
fn messages_go_through_user_memory_in_order_of_type() {
    let w = World::new();
    let id = msgget(&w, 0x10, IPC_CREAT | IPC_EXCL | 0o600);
    assert!(id >= 0);
    assert_eq!(msgget(&w, 0x10, IPC_CREAT | IPC_EXCL), err(Errno::EEXIST));
    assert_eq!(msgsnd(&w, id, 2, b"second", 0), 0);
    assert_eq!(msgsnd(&w, id, 1, b"first", 0), 0);
    assert_eq!(msgrcv(&w, id, 64, -2, 0), Ok((1, b"first".to_vec())));
    assert_eq!(msgrcv(&w, id, 3, 0, 0), Err(err(Errno::E2BIG)));
    assert_eq!(msgrcv(&w, id, 3, 0, MSG_NOERROR), Ok((2, b"sec".to_vec())));
    assert_eq!(msgrcv(&w, id, 64, 0, IPC_NOWAIT), Err(err(Errno::ENOMSG)));
    let buf = w.alloc(size_of::<MsqidDs>());
    assert_eq!(
        w.call(Sysno::Msgctl, &[id as u64, cmd::IPC_STAT as u64, buf]),
        0
    );
    let status: MsqidDs = w.get(buf);
    assert_eq!(
        (status.msg_qnum, status.msg_cbytes, status.msg_qbytes),
        (0, 0, 16384)
    );
    assert_eq!(status.msg_lrpid, w.process.pid());
}

#[test]
fn senders_are_checked_like_linux() {
    let w = World::new();
    let id = msgget(&w, IPC_PRIVATE, 0o600);
    assert_eq!(msgsnd(&w, id, 0, b"x", 0), err(Errno::EINVAL));
    assert_eq!(msgsnd(&w, id, 1, &vec![0; 8193], 0), err(Errno::EINVAL));
    assert_eq!(
        w.call(Sysno::Msgsnd, &[id as u64, 8, 1, 0]),
        err(Errno::EFAULT)
    );
    // A full queue: EAGAIN for a sender that may not wait.
    for _ in 0..2 {
        assert_eq!(msgsnd(&w, id, 1, &vec![7; 8192], IPC_NOWAIT), 0);
    }
    assert_eq!(msgsnd(&w, id, 1, b"x", IPC_NOWAIT), err(Errno::EAGAIN));
    assert_eq!(
        w.call(Sysno::Msgctl, &[id as u64, cmd::IPC_RMID as u64, 0]),
        0
    );
    assert_eq!(msgsnd(&w, id, 1, b"x", IPC_NOWAIT), err(Errno::EINVAL));
    w.become_user(1000, 1000);
    let other = msgget(&w, IPC_PRIVATE, 0o600);
    assert!(other >= 0);
}
