//! `futex`: sleeping on a word of user memory.
//!
//! Waiters are keyed by the physical address of the word (so processes that
//! share the page, and every thread of one process, meet on the same key;
//! private and shared futexes behave alike). Each key has an event-counted
//! wait queue: a `FUTEX_WAKE` between a waiter's value check and its sleep
//! is never lost.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;

use abi::{Errno, KernelResult};
use arch::sync::IrqMutex;
use mm::{PageTable, VirtAddr};
use sched::{Timespec, WakeReason};

use super::user::read;
use super::{Call, SyscallResult};
use crate::task::WaitQueue;

const FUTEX_WAIT: u64 = 0;
const FUTEX_WAKE: u64 = 1;
const FUTEX_WAIT_BITSET: u64 = 9;
const FUTEX_WAKE_BITSET: u64 = 10;
const FUTEX_PRIVATE_FLAG: u64 = 128;
const FUTEX_CLOCK_REALTIME: u64 = 256;

static QUEUES: IrqMutex<BTreeMap<u64, Arc<WaitQueue>>> = IrqMutex::new(BTreeMap::new());

/// The key of the word at `address`: its physical address.
fn key(address: u64) -> KernelResult<u64> {
    if address % 4 != 0 {
        return Err(Errno::EINVAL);
    }
    // Reading the word faults it in, so it has a frame afterwards.
    let _: u32 = read(address)?;
    let space = crate::task::current()
        .address_space()
        .ok_or(Errno::EFAULT)?;
    let page = VirtAddr(address & !0xfff);
    let (frame, _) = space
        .lock()
        .page_table()
        .translate(page)
        .ok_or(Errno::EFAULT)?;
    Ok(frame.start().0 + (address & 0xfff))
}

fn queue(key: u64) -> Arc<WaitQueue> {
    QUEUES
        .lock()
        .entry(key)
        .or_insert_with(|| Arc::new(WaitQueue::new()))
        .clone()
}

/// Wakes up to `count` waiters on the word at `address`.
pub fn wake(address: u64, count: usize) -> usize {
    let Ok(key) = key(address) else {
        return 0;
    };
    let queue = QUEUES.lock().get(&key).cloned();
    match queue {
        Some(queue) => queue.wake(count),
        None => 0,
    }
}

fn wait(address: u64, expected: u32, deadline: Option<u64>) -> SyscallResult {
    let queue = queue(key(address)?);
    let seen = queue.sequence();
    let value: u32 = read(address)?;
    if value != expected {
        return Err(Errno::EAGAIN);
    }
    match queue.wait_since(seen, true, deadline) {
        WakeReason::Woken => Ok(0),
        WakeReason::TimedOut => Err(Errno::ETIMEDOUT),
        WakeReason::Interrupted => Err(Errno::EINTR),
    }
}

/// `futex(uaddr, op, val, timeout, uaddr2, val3)`.
pub fn futex(call: &mut Call<'_>) -> SyscallResult {
    let [address, op, value, timeout, _, bitset] = call.args;
    let command = op & !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    match command {
        FUTEX_WAIT | FUTEX_WAIT_BITSET => {
            if command == FUTEX_WAIT_BITSET && bitset as u32 == 0 {
                return Err(Errno::EINVAL);
            }
            let deadline = if timeout == 0 {
                None
            } else {
                let ts: Timespec = read(timeout)?;
                let ts = ts.validate()?;
                Some(if command == FUTEX_WAIT {
                    ts.deadline_after(crate::time::now_ns())?
                } else if op & FUTEX_CLOCK_REALTIME != 0 {
                    let left = ts.as_nanos_i128() - crate::time::realtime().as_nanos_i128();
                    crate::time::now_ns() + left.max(0) as u64
                } else {
                    ts.duration_nanos()?
                })
            };
            wait(address, value as u32, deadline)
        }
        FUTEX_WAKE | FUTEX_WAKE_BITSET => Ok(wake(address, value as usize) as u64),
        _ => Err(Errno::ENOSYS),
    }
}
