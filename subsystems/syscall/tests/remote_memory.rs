//! `process_vm_readv`/`process_vm_writev`: who may copy another process's
//! memory, and how the vectors pair up.

use crate::common::*;
use abi::{Errno, IoVec, Sysno};

fn vecs(w: &World, parts: &[(u64, u64)]) -> u64 {
    let list: Vec<IoVec> = parts
        .iter()
        .map(|&(base, len)| IoVec { base, len })
        .collect();
    let at = w.alloc(list.len() * 16);
    for (i, v) in list.iter().enumerate() {
        w.poke(at + 16 * i as u64, &v.base.to_le_bytes());
        w.poke(at + 16 * i as u64 + 8, &v.len.to_le_bytes());
    }
    at
}

#[test]
fn a_reader_gathers_remote_pieces_into_local_ones_in_order() {
    let w = World::new();
    let (child, _) = w.fork();
    // In the fake world every process sees the one flat memory.
    let remote = w.alloc(16);
    w.poke(remote, b"0123456789abcdef");
    let local = w.alloc(16);
    let l = vecs(&w, &[(local, 3), (local + 3, 13)]);
    let r = vecs(&w, &[(remote, 10), (remote + 12, 4)]);
    let pid = child.pid() as u64;
    assert_eq!(w.call(Sysno::ProcessVmReadv, &[pid, l, 2, r, 2, 0]), 14);
    assert_eq!(w.peek(local, 14), b"0123456789cdef");
    // Writing goes the other way.
    let src = w.alloc(4);
    w.poke(src, b"WXYZ");
    let l = vecs(&w, &[(src, 4)]);
    let r = vecs(&w, &[(remote, 4)]);
    assert_eq!(w.call(Sysno::ProcessVmWritev, &[pid, l, 1, r, 1, 0]), 4);
    assert_eq!(w.peek(remote, 6), b"WXYZ45");
}

#[test]
fn flags_missing_processes_and_strangers_are_refused() {
    let w = World::new();
    let (child, thread) = w.fork();
    let buf = w.alloc(8);
    let l = vecs(&w, &[(buf, 8)]);
    let r = vecs(&w, &[(buf, 8)]);
    let pid = child.pid() as u64;
    assert_eq!(
        w.call(Sysno::ProcessVmReadv, &[pid, l, 1, r, 1, 1]),
        err(Errno::EINVAL)
    );
    assert_eq!(
        w.call(Sysno::ProcessVmReadv, &[9999, l, 1, r, 1, 0]),
        err(Errno::ESRCH)
    );
    // The child becomes another user: the parent (not root any more
    // either) may not look.
    assert_eq!(w.call_as(&child, &thread, Sysno::Setuid, &[2000]), 0);
    w.become_user(1000, 1000);
    assert_eq!(
        w.call(Sysno::ProcessVmReadv, &[pid, l, 1, r, 1, 0]),
        err(Errno::EPERM)
    );
    // A remote address that cannot be read: EFAULT, nothing copied.
    let (own, own_thread) = w.fork();
    let bad = vecs(&w, &[(0x10, 8)]);
    assert_eq!(
        w.call_as(
            &own,
            &own_thread,
            Sysno::ProcessVmReadv,
            &[own.pid() as u64, l, 1, bad, 1, 0]
        ),
        err(Errno::EFAULT)
    );
}
