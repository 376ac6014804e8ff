//! eventfd through system calls: flags, and the counter through read and
//! write on the descriptor.

use crate::common::*;
use abi::{Errno, Sysno};

#[test]
fn an_event_counter_is_a_descriptor_that_reads_what_was_written() {
    let w = World::new();
    let fd = w.call(Sysno::Eventfd2, &[2, 0o4000]);
    assert!(fd >= 0);
    let fd = fd as u64;
    let value = w.put(&5u64);
    assert_eq!(w.call(Sysno::Write, &[fd, value, 8]), 8);
    let out = w.alloc(8);
    assert_eq!(w.call(Sysno::Read, &[fd, out, 8]), 8);
    assert_eq!(w.get::<u64>(out), 7);
    // Non-blocking and empty now.
    assert_eq!(w.call(Sysno::Read, &[fd, out, 8]), err(Errno::EAGAIN));
    assert_eq!(w.call(Sysno::Eventfd2, &[0, 0x40]), err(Errno::EINVAL));
    // EFD_CLOEXEC lands on the descriptor.
    let cloexec = w.call(Sysno::Eventfd2, &[0, 0o2000000]) as u64;
    assert_eq!(w.call(Sysno::Fcntl, &[cloexec, 1, 0]), 1, "FD_CLOEXEC");
    assert!(w.call(Sysno::Eventfd, &[0]) >= 0);
}
