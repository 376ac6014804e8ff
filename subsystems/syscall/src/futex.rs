//! `futex`: sleeping on a word of user memory.
//!
//! Waiters meet on a key the kernel derives from the word's address
//! ([`Kernel::futex_key`]: its physical address, so processes sharing the
//! page and every thread of one process meet on the same key; private
//! and shared futexes behave alike). Each key has an event-counted queue,
//! so a `FUTEX_WAKE` between a waiter's value check and its sleep is never
//! lost; a queue exists only while someone waits on it.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;

use abi::{Errno, Timespec};
use process::Process;
use sched::WakeReason;
use signal::RestartBlock;

use crate::SyscallResult;
use crate::args::UserPtr;
use crate::context::Context;
use crate::kernel::{EventQueue, Kernel, UserThreadData};

const FUTEX_WAIT: i32 = 0;
const FUTEX_WAKE: i32 = 1;
const FUTEX_WAIT_BITSET: i32 = 9;
const FUTEX_WAKE_BITSET: i32 = 10;
const FUTEX_PRIVATE_FLAG: i32 = 128;
const FUTEX_CLOCK_REALTIME: i32 = 256;

struct Waiters<Q> {
    queue: Arc<Q>,
    count: usize,
}

/// The futex wait queues by key; a key's queue is created by its first
/// waiter and removed when its last waiter leaves, so the table holds
/// nothing for words nobody sleeps on.
pub struct FutexTable<Q> {
    queues: lock::Mutex<BTreeMap<u64, Waiters<Q>>>,
}

impl<Q: EventQueue> FutexTable<Q> {
    /// An empty table.
    pub const fn new() -> Self {
        FutexTable {
            queues: lock::Mutex::new(BTreeMap::new()),
        }
    }

    /// How many keys have waiters.
    pub fn len(&self) -> usize {
        self.queues.lock().len()
    }

    /// Whether nobody waits on any futex.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn enter(&self, key: u64, new_queue: impl FnOnce() -> Arc<Q>) -> Arc<Q> {
        let mut queues = self.queues.lock();
        let waiters = queues.entry(key).or_insert_with(|| Waiters {
            queue: new_queue(),
            count: 0,
        });
        waiters.count += 1;
        waiters.queue.clone()
    }

    fn leave(&self, key: u64) {
        let mut queues = self.queues.lock();
        if let Some(waiters) = queues.get_mut(&key) {
            waiters.count -= 1;
            if waiters.count == 0 {
                queues.remove(&key);
            }
        }
    }

    /// Wakes up to `count` waiters on `key`; how many woke.
    pub fn wake(&self, key: u64, count: usize) -> usize {
        let queue = self.queues.lock().get(&key).map(|w| w.queue.clone());
        queue.map_or(0, |queue| queue.wake(count))
    }
}

impl<Q: EventQueue> Default for FutexTable<Q> {
    fn default() -> Self {
        Self::new()
    }
}

/// Wakes one waiter on the word at `address` of `process` (a thread's
/// `clear_child_tid` on exit); nothing if the word is not mapped.
pub fn wake_word<K: Kernel>(kernel: &K, process: &Process<K::Env>, address: u64) -> usize {
    match kernel.futex_key(process, address) {
        Ok(key) => kernel.futexes().wake(key, 1),
        Err(_) => 0,
    }
}

fn key_of<K: Kernel>(ctx: &Context<'_, K>, address: UserPtr<u32>) -> abi::KernelResult<u64> {
    if address.address() % 4 != 0 {
        return Err(Errno::EINVAL);
    }
    // Reading the word faults it in, so it has a frame for the key.
    ctx.read(address)?;
    ctx.kernel.futex_key(ctx.process, address.address())
}

/// `futex(uaddr, op, val, timeout, uaddr2, val3)`: `FUTEX_WAIT`,
/// `FUTEX_WAKE` and their bitset forms (the bitset must be non-zero; any
/// bit matches).
pub fn futex<K: Kernel>(
    ctx: &Context<'_, K>,
    address: UserPtr<u32>,
    op: i32,
    value: u32,
    timeout: UserPtr<Timespec>,
    _address2: u64,
    bitset: u32,
) -> SyscallResult {
    let command = op & !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    match command {
        FUTEX_WAIT | FUTEX_WAIT_BITSET => {
            if command == FUTEX_WAIT_BITSET && bitset == 0 {
                return Err(Errno::EINVAL);
            }
            let deadline = if timeout.is_null() {
                None
            } else {
                let ts = ctx.read(timeout)?.validate()?;
                let now = ctx.kernel.now_ns();
                Some(if command == FUTEX_WAIT {
                    // Relative to now.
                    ts.deadline_after(now)?
                } else if op & FUTEX_CLOCK_REALTIME != 0 {
                    // Absolute wall-clock time.
                    let left = ts.as_nanos_i128() - ctx.kernel.realtime().as_nanos_i128();
                    now.saturating_add(left.clamp(0, i128::from(u64::MAX)) as u64)
                } else {
                    // Absolute monotonic time.
                    ts.duration_nanos()?
                })
            };
            wait(ctx, address, value, deadline)
        }
        FUTEX_WAKE | FUTEX_WAKE_BITSET => {
            if command == FUTEX_WAKE_BITSET && bitset == 0 {
                return Err(Errno::EINVAL);
            }
            let key = key_of(ctx, address)?;
            Ok(ctx.kernel.futexes().wake(key, value as usize) as u64)
        }
        _ => Err(Errno::ENOSYS),
    }
}

/// `restart_syscall` for a timed `FUTEX_WAIT` a signal interrupted: waits
/// again while the word at `address` holds `value`, until `deadline_ns`.
pub fn restart_wait<K: Kernel>(
    ctx: &Context<'_, K>,
    address: UserPtr<u32>,
    value: u32,
    deadline_ns: u64,
) -> SyscallResult {
    wait(ctx, address, value, Some(deadline_ns))
}

fn wait<K: Kernel>(
    ctx: &Context<'_, K>,
    address: UserPtr<u32>,
    expected: u32,
    deadline: Option<u64>,
) -> SyscallResult {
    let key = key_of(ctx, address)?;
    let table = ctx.kernel.futexes();
    let queue = table.enter(key, || ctx.kernel.new_event_queue());
    let seen = queue.sequence();
    let result = match ctx.read(address) {
        Err(error) => Err(error),
        Ok(value) if value != expected => Err(Errno::EAGAIN),
        Ok(_) => match queue.wait_since(seen, true, deadline) {
            WakeReason::Woken => Ok(0),
            WakeReason::TimedOut => Err(Errno::ETIMEDOUT),
            WakeReason::Interrupted => Err(Errno::EINTR),
        },
    };
    table.leave(key);
    if let (Err(Errno::EINTR), Some(deadline_ns)) = (result, deadline) {
        // A timed wait goes on to the same deadline when no handler runs
        // (a stop and SIGCONT), as Linux's `futex_wait_restart`; an
        // untimed one restarts as it was.
        let block = RestartBlock::FutexWait {
            address: address.address(),
            value: expected,
            deadline_ns,
        };
        ctx.thread.data().signals().lock().set_restart(block);
    }
    result
}
