//! Locking memory through the table: mlock, mlock2, munlock, mlockall,
//! munlockall, MAP_LOCKED and MAP_POPULATE, with `mm`'s real regions
//! under a fake page table.

use crate::common::*;
use abi::{Errno, Sysno};

const PROT_NONE: u64 = 0;
const PROT_READ: u64 = 1;
const PROT_WRITE: u64 = 2;
const MAP_PRIVATE: u64 = 2;
const MAP_FIXED: u64 = 0x10;
const MAP_ANONYMOUS: u64 = 0x20;
const MAP_LOCKED: u64 = 0x2000;
const MAP_POPULATE: u64 = 0x8000;
const MCL_CURRENT: u64 = 1;
const MCL_FUTURE: u64 = 2;
const MCL_ONFAULT: u64 = 4;
const RLIMIT_MEMLOCK: u64 = 8;
const PAGE: u64 = 4096;

fn map(w: &World, at: u64, pages: u64, prot: u64, extra: u64) -> i64 {
    let flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | extra;
    w.call(Sysno::Mmap, &[at, pages * PAGE, prot, flags, u64::MAX, 0])
}

/// mincore's byte per page (bit 0: present).
fn present(w: &World, at: u64, pages: u64) -> Vec<u8> {
    let vec = w.alloc(pages as usize);
    assert_eq!(w.call(Sysno::Mincore, &[at, pages * PAGE, vec]), 0);
    w.peek(vec, pages as usize)
}

fn locked_bytes(w: &World) -> u64 {
    let space = w.process.data().address_space().cloned().unwrap();
    space.lock().unwrap().locked_bytes()
}

#[test]
fn mlock_makes_the_pages_present_and_munlock_unlocks() {
    let w = World::new();
    let at = 0x7300_0000u64;
    assert_eq!(map(&w, at, 4, PROT_READ | PROT_WRITE, 0), at as i64);
    assert_eq!(present(&w, at, 4), [0, 0, 0, 0]);
    // An unaligned start takes its whole page: pages 1 and 2.
    assert_eq!(w.call(Sysno::Mlock, &[at + PAGE + 100, PAGE]), 0);
    assert_eq!(present(&w, at, 4), [0, 1, 1, 0]);
    assert_eq!(locked_bytes(&w), 2 * PAGE);
    // Locking again adds nothing; munlock takes it off.
    assert_eq!(w.call(Sysno::Mlock, &[at + PAGE, 2 * PAGE]), 0);
    assert_eq!(locked_bytes(&w), 2 * PAGE);
    assert_eq!(w.call(Sysno::Munlock, &[at, 4 * PAGE]), 0);
    assert_eq!(locked_bytes(&w), 0);
    // mlock2 with MLOCK_ONFAULT locks without faulting pages in.
    assert_eq!(w.call(Sysno::Mlock2, &[at + 3 * PAGE, PAGE, 1]), 0);
    assert_eq!(present(&w, at, 4), [0, 1, 1, 0]);
    assert_eq!(locked_bytes(&w), PAGE);
    assert_eq!(w.call(Sysno::Mlock2, &[at, PAGE, 2]), err(Errno::EINVAL));
}

#[test]
fn mlock_of_unmapped_or_inaccessible_memory_is_enomem() {
    let w = World::new();
    let at = 0x7400_0000u64;
    assert_eq!(map(&w, at, 1, PROT_READ, 0), at as i64);
    // A hole after the page: nothing is locked.
    assert_eq!(w.call(Sysno::Mlock, &[at, 2 * PAGE]), err(Errno::ENOMEM));
    assert_eq!(w.call(Sysno::Munlock, &[at, 2 * PAGE]), err(Errno::ENOMEM));
    assert_eq!(locked_bytes(&w), 0);
    // PROT_NONE cannot be made present: ENOMEM, but it stays locked, as
    // on Linux.
    let none = 0x7500_0000u64;
    assert_eq!(map(&w, none, 2, PROT_NONE, 0), none as i64);
    assert_eq!(w.call(Sysno::Mlock, &[none, 2 * PAGE]), err(Errno::ENOMEM));
    assert_eq!(locked_bytes(&w), 2 * PAGE);
    assert_eq!(w.call(Sysno::Mlock, &[none, 0]), 0);
}

#[test]
fn an_unprivileged_caller_locks_within_rlimit_memlock() {
    let w = World::new();
    let at = 0x7600_0000u64;
    assert_eq!(map(&w, at, 4, PROT_READ | PROT_WRITE, 0), at as i64);
    w.become_user(1000, 1000);
    let limit = w.put(&[2 * PAGE, 2 * PAGE]);
    assert_eq!(w.call(Sysno::Setrlimit, &[RLIMIT_MEMLOCK, limit]), 0);
    assert_eq!(w.call(Sysno::Mlock, &[at, 2 * PAGE]), 0);
    // Already locked pages do not count twice; new ones do.
    assert_eq!(w.call(Sysno::Mlock, &[at + PAGE, PAGE]), 0);
    assert_eq!(w.call(Sysno::Mlock, &[at, 3 * PAGE]), err(Errno::ENOMEM));
    assert_eq!(locked_bytes(&w), 2 * PAGE);
    assert_eq!(
        w.call(Sysno::Mlockall, &[MCL_CURRENT]),
        err(Errno::ENOMEM),
        "four mapped pages pass a limit of two"
    );
    // MAP_LOCKED past the limit maps nothing.
    let more = 0x7700_0000u64;
    assert_eq!(map(&w, more, 1, PROT_READ, MAP_LOCKED), err(Errno::EAGAIN));
    assert_eq!(present(&w, at, 1), [1]);
    let vec = w.alloc(1);
    assert_eq!(
        w.call(Sysno::Mincore, &[more, PAGE, vec]),
        err(Errno::ENOMEM)
    );
    // A zero limit is EPERM.
    let zero = w.put(&[0u64, 0]);
    assert_eq!(w.call(Sysno::Setrlimit, &[RLIMIT_MEMLOCK, zero]), 0);
    assert_eq!(w.call(Sysno::Mlock, &[at, PAGE]), err(Errno::EPERM));
}

#[test]
fn mlockall_locks_what_is_mapped_and_what_comes_and_munlockall_undoes_it() {
    let w = World::new();
    for flags in [0, 8, MCL_ONFAULT] {
        assert_eq!(w.call(Sysno::Mlockall, &[flags]), err(Errno::EINVAL));
    }
    let at = 0x7800_0000u64;
    assert_eq!(map(&w, at, 2, PROT_READ | PROT_WRITE, 0), at as i64);
    assert_eq!(w.call(Sysno::Mlockall, &[MCL_CURRENT | MCL_FUTURE]), 0);
    assert_eq!(present(&w, at, 2), [1, 1]);
    assert_eq!(locked_bytes(&w), 2 * PAGE);
    // A later mapping is locked and present at once.
    let later = 0x7900_0000u64;
    assert_eq!(map(&w, later, 2, PROT_READ, 0), later as i64);
    assert_eq!(present(&w, later, 2), [1, 1]);
    assert_eq!(locked_bytes(&w), 4 * PAGE);
    // A child inherits no lock.
    let (child, _) = w.fork();
    let space = child.data().address_space().cloned().unwrap();
    assert_eq!(space.lock().unwrap().locked_bytes(), 0);
    assert!(!space.lock().unwrap().locks_future());
    assert_eq!(w.call(Sysno::Munlockall, &[]), 0);
    assert_eq!(locked_bytes(&w), 0);
    let last = 0x7a00_0000u64;
    assert_eq!(map(&w, last, 1, PROT_READ, 0), last as i64);
    assert_eq!(present(&w, last, 1), [0]);
    // MAP_POPULATE makes a mapping present without locking it.
    let populated = 0x7b00_0000u64;
    assert_eq!(
        map(&w, populated, 2, PROT_READ, MAP_POPULATE),
        populated as i64
    );
    assert_eq!(present(&w, populated, 2), [1, 1]);
    assert_eq!(locked_bytes(&w), 0);
}
