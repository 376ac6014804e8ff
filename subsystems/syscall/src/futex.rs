//! `futex`: sleeping on a word of user memory.
//!
//! Waiters meet on a key the kernel derives from the word's address
//! ([`Kernel::futex_key`], [`FutexKey`]): a word of one address space for
//! private futexes and private mappings, so a fork's copy-on-write, which
//! moves the page the parent writes to a new frame, does not part a waiter
//! from its waker; the physical word for shared mappings, where processes
//! meet. Each waiter is a record in one table,
//! queued in order under its key with the bitset it waits for, and sleeps
//! on an event queue of its own (kept in a pool between waits). A wake
//! marks the first matching records woken and wakes their queues, so it
//! wakes exactly whom it counts; a requeue moves records to another key
//! without waking them (musl's condition variables hand waiters to the
//! mutex this way, and lose them if it fails). A waiter is registered
//! before it checks the word, so a wake between the check and the sleep
//! is never lost.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::sync::Arc;
use alloc::vec::Vec;

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
const FUTEX_REQUEUE: i32 = 3;
const FUTEX_CMP_REQUEUE: i32 = 4;
const FUTEX_WAKE_OP: i32 = 5;
const FUTEX_WAIT_BITSET: i32 = 9;
const FUTEX_WAKE_BITSET: i32 = 10;
const FUTEX_PRIVATE_FLAG: i32 = 128;
const FUTEX_CLOCK_REALTIME: i32 = 256;
/// The bitset of the plain operations: every bit.
const FUTEX_BITSET_MATCH_ANY: u32 = u32::MAX;

/// Where futex waiters meet (Linux's `futex_key`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FutexKey {
    /// The word at `address` of one address space (`space`, an identity
    /// the kernel gives it): private futexes, and words of private
    /// mappings.
    Private {
        /// The address space.
        space: u64,
        /// The word's user address.
        address: u64,
    },
    /// The word at this physical address: words of shared mappings, which
    /// every process mapping the page reaches.
    Shared(u64),
}

/// A futex word as a call names it: its address, and whether the call
/// said `FUTEX_PRIVATE_FLAG`.
#[derive(Clone, Copy)]
pub struct Word {
    address: UserPtr<u32>,
    private: bool,
}

impl Word {
    /// The word at `address`, private if `private`.
    pub fn new(address: UserPtr<u32>, private: bool) -> Word {
        Word { address, private }
    }
}

/// One thread in `futex` wait.
struct Waiter<Q> {
    /// The key it waits on (a requeue changes it).
    key: FutexKey,
    /// A wake's bitset must share a bit with this.
    bitset: u32,
    /// Woken: it returns 0 at its next look.
    woken: bool,
    /// Where it sleeps; only its own wakes touch it.
    queue: Arc<Q>,
}

struct Waiters<Q> {
    /// Every waiter by its id.
    by_id: BTreeMap<u64, Waiter<Q>>,
    /// The ids not yet woken on each key, in arrival order.
    by_key: BTreeMap<FutexKey, VecDeque<u64>>,
    /// Queues of finished waits, for the next ones.
    idle: Vec<Arc<Q>>,
    next_id: u64,
}

/// How many idle queues the pool keeps (more waiters than this at once
/// make queues that are dropped when they finish).
const IDLE_QUEUES: usize = 64;

/// What a waiter finds when it looks at its record.
enum Look<Q> {
    /// Woken (the record is gone).
    Woken,
    /// Still waiting: sleep on this queue unless it moved past `seen`.
    Sleep { queue: Arc<Q>, seen: u64 },
}

/// The futex waiters of the machine: a record per waiting thread, queued
/// by key; the table holds nothing for words nobody sleeps on.
pub struct FutexTable<Q> {
    waiters: lock::Mutex<Waiters<Q>>,
}

impl<Q: EventQueue> FutexTable<Q> {
    /// An empty table.
    pub const fn new() -> Self {
        FutexTable {
            waiters: lock::Mutex::new(Waiters {
                by_id: BTreeMap::new(),
                by_key: BTreeMap::new(),
                idle: Vec::new(),
                next_id: 0,
            }),
        }
    }

    /// How many keys have waiters.
    pub fn len(&self) -> usize {
        self.waiters.lock().by_key.len()
    }

    /// Whether nobody waits on any futex.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Registers a waiter on `key` for wakes sharing a bit with `bitset`;
    /// its id.
    fn enter(&self, key: FutexKey, bitset: u32, new_queue: impl FnOnce() -> Arc<Q>) -> u64 {
        let mut waiters = self.waiters.lock();
        let queue = match waiters.idle.pop() {
            Some(queue) => queue,
            None => {
                // Made outside the lock: a new queue may take the
                // scheduler's.
                drop(waiters);
                let queue = new_queue();
                waiters = self.waiters.lock();
                queue
            }
        };
        let id = waiters.next_id;
        waiters.next_id += 1;
        waiters.by_id.insert(
            id,
            Waiter {
                key,
                bitset,
                woken: false,
                queue,
            },
        );
        waiters.by_key.entry(key).or_default().push_back(id);
        id
    }

    /// Whether waiter `id` was woken (then its record is gone), else where
    /// it sleeps.
    fn look(&self, id: u64) -> Look<Q> {
        let mut waiters = self.waiters.lock();
        match waiters.by_id.get(&id) {
            Some(waiter) if !waiter.woken => Look::Sleep {
                queue: waiter.queue.clone(),
                seen: waiter.queue.sequence(),
            },
            _ => {
                waiters.finish(id);
                Look::Woken
            }
        }
    }

    /// Takes waiter `id` out whether or not it was woken (a wait that
    /// ends by itself); whether it had been woken, which then counts.
    fn leave(&self, id: u64) -> bool {
        self.waiters.lock().finish(id)
    }

    /// Wakes up to `count` waiters on `key` whose bitset shares a bit
    /// with `bitset`, first come first woken; how many woke.
    pub fn wake(&self, key: FutexKey, count: usize, bitset: u32) -> usize {
        let woken = self.waiters.lock().mark_woken(key, count, bitset, u64::MAX);
        let n = woken.len();
        for queue in woken {
            queue.wake_all();
        }
        n
    }

    /// The mark of waiters that came before now: a requeue given it
    /// leaves later ones alone.
    fn arrivals(&self) -> u64 {
        self.waiters.lock().next_id
    }

    /// Wakes up to `wake` waiters on `from`, then moves up to `requeue` of
    /// the rest to `to`, where a wake of `to` finds them; how many were
    /// woken and moved together. Only waiters that arrived before the
    /// mark `before` (from `arrivals`; `u64::MAX` for all) count.
    fn requeue(
        &self,
        from: FutexKey,
        wake: usize,
        to: FutexKey,
        requeue: usize,
        before: u64,
    ) -> usize {
        let (woken, moved) = {
            let mut waiters = self.waiters.lock();
            let woken = waiters.mark_woken(from, wake, FUTEX_BITSET_MATCH_ANY, before);
            (woken, waiters.move_waiters(from, to, requeue, before))
        };
        let n = woken.len();
        for queue in woken {
            queue.wake_all();
        }
        n + moved
    }
}

impl<Q> Waiters<Q> {
    /// Removes waiter `id`'s record, giving its queue to the pool; whether
    /// it had been woken (false if it was not there).
    fn finish(&mut self, id: u64) -> bool {
        let Some(waiter) = self.by_id.remove(&id) else {
            return false;
        };
        if !waiter.woken {
            self.unlist(waiter.key, id);
        }
        if self.idle.len() < IDLE_QUEUES {
            self.idle.push(waiter.queue);
        }
        waiter.woken
    }

    /// Takes `id` off `key`'s list.
    fn unlist(&mut self, key: FutexKey, id: u64) {
        if let Some(list) = self.by_key.get_mut(&key) {
            list.retain(|&other| other != id);
            if list.is_empty() {
                self.by_key.remove(&key);
            }
        }
    }

    /// Marks up to `count` waiters on `key` matching `bitset` and
    /// arrived before `before` woken, in order; their queues, to wake once
    /// the lock is let go.
    fn mark_woken(&mut self, key: FutexKey, count: usize, bitset: u32, before: u64) -> Vec<Arc<Q>> {
        let mut woken = Vec::new();
        let Some(list) = self.by_key.get_mut(&key) else {
            return woken;
        };
        let by_id = &mut self.by_id;
        list.retain(|id| {
            if woken.len() == count {
                return true;
            }
            match by_id.get_mut(id) {
                Some(waiter) if waiter.bitset & bitset != 0 && *id < before => {
                    waiter.woken = true;
                    woken.push(waiter.queue.clone());
                    false
                }
                _ => true,
            }
        });
        if list.is_empty() {
            self.by_key.remove(&key);
        }
        woken
    }

    /// Moves up to `count` waiters that arrived before `before` from
    /// `from`'s list, in order, to the back of `to`'s; how many moved.
    fn move_waiters(&mut self, from: FutexKey, to: FutexKey, count: usize, before: u64) -> usize {
        let Some(list) = self.by_key.get_mut(&from) else {
            return 0;
        };
        if from == to {
            // Moving to the same word changes nothing, but Linux counts them.
            return list.iter().filter(|&&id| id < before).take(count).count();
        }
        let mut moved = Vec::new();
        list.retain(|&id| {
            if moved.len() == count || id >= before {
                return true;
            }
            moved.push(id);
            false
        });
        let n = moved.len();
        if list.is_empty() {
            self.by_key.remove(&from);
        }
        for id in &moved {
            if let Some(waiter) = self.by_id.get_mut(id) {
                waiter.key = to;
            }
        }
        if !moved.is_empty() {
            self.by_key.entry(to).or_default().extend(moved);
        }
        n
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
    // Not private: Linux's exit wakes it so, which for a private mapping
    // (where a thread's tid word lives) is the same key anyway.
    match kernel.futex_key(process, address, false) {
        Ok(key) => kernel.futexes().wake(key, 1, FUTEX_BITSET_MATCH_ANY),
        Err(_) => 0,
    }
}

fn key_of<K: Kernel>(ctx: &Context<'_, K>, word: Word) -> abi::KernelResult<FutexKey> {
    if word.address.address() % 4 != 0 {
        return Err(Errno::EINVAL);
    }
    // Reading the word faults it in, so it has a frame for the key.
    ctx.read(word.address)?;
    ctx.kernel
        .futex_key(ctx.process, word.address.address(), word.private)
}

/// `futex(uaddr, op, val, timeout, uaddr2, val3)`: `FUTEX_WAIT`,
/// `FUTEX_WAKE`, their bitset forms (the bitset must be non-zero; a wake
/// reaches the waiters whose bitset shares a bit with its own),
/// `FUTEX_REQUEUE` and `FUTEX_CMP_REQUEUE` (the count to move is the
/// number passed in `timeout`'s place, as on Linux), and `FUTEX_WAKE_OP`
/// ([`WakeOp`]).
pub fn futex<K: Kernel>(
    ctx: &Context<'_, K>,
    address: UserPtr<u32>,
    op: i32,
    value: u32,
    timeout: UserPtr<Timespec>,
    address2: u64,
    bitset: u32,
) -> SyscallResult {
    let command = op & !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    let private = op & FUTEX_PRIVATE_FLAG != 0;
    let word = Word::new(address, private);
    if op & FUTEX_CLOCK_REALTIME != 0 && command != FUTEX_WAIT_BITSET {
        // Linux: only an absolute deadline has a clock to choose.
        return Err(Errno::ENOSYS);
    }
    match command {
        FUTEX_WAIT | FUTEX_WAIT_BITSET => {
            let bitset = if command == FUTEX_WAIT {
                FUTEX_BITSET_MATCH_ANY
            } else if bitset == 0 {
                return Err(Errno::EINVAL);
            } else {
                bitset
            };
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
            wait(ctx, word, value, bitset, deadline)
        }
        FUTEX_WAKE | FUTEX_WAKE_BITSET => {
            let bitset = if command == FUTEX_WAKE {
                FUTEX_BITSET_MATCH_ANY
            } else if bitset == 0 {
                return Err(Errno::EINVAL);
            } else {
                bitset
            };
            let key = key_of(ctx, word)?;
            Ok(ctx.kernel.futexes().wake(key, wake_count(value), bitset) as u64)
        }
        FUTEX_REQUEUE | FUTEX_CMP_REQUEUE => {
            // Both counts are C ints.
            let wake = i32::try_from(value).map_err(|_| Errno::EINVAL)?;
            let requeue = i32::try_from(timeout.address() as u32).map_err(|_| Errno::EINVAL)?;
            let from = key_of(ctx, word)?;
            let to = key_of(ctx, Word::new(UserPtr::new(address2), private))?;
            let table = ctx.kernel.futexes();
            let before = if command == FUTEX_CMP_REQUEUE {
                // Linux compares under its bucket lock; here the word is read
                // with no lock held (a read may fault and sleep), so only
                // waiters that came before the read are eligible: a later one
                // may have seen a newer value and must stay where it is.
                let before = table.arrivals();
                if ctx.read(address)? != bitset {
                    // Someone changed the word: the caller looks again.
                    return Err(Errno::EAGAIN);
                }
                before
            } else {
                u64::MAX
            };
            let moved = table.requeue(from, wake as usize, to, requeue as usize, before);
            Ok(moved as u64)
        }
        FUTEX_WAKE_OP => {
            // val3 (`bitset` here) encodes the operation; the second
            // count is the number passed in `timeout`'s place.
            let op = WakeOp::decode(bitset);
            let wake2 = wake_count(timeout.address() as u32);
            let first = key_of(ctx, word)?;
            let word2 = Word::new(UserPtr::new(address2), private);
            let second = key_of(ctx, word2)?;
            let old = apply_wake_op(ctx, address2, op)?;
            // An unknown comparison fails after the operation, before
            // anyone wakes (Linux's order).
            let wake_second = op.compare(old)?;
            let table = ctx.kernel.futexes();
            let mut woken = table.wake(first, wake_count(value), FUTEX_BITSET_MATCH_ANY);
            if wake_second {
                woken += table.wake(second, wake2, FUTEX_BITSET_MATCH_ANY);
            }
            Ok(woken as u64)
        }
        _ => Err(Errno::ENOSYS),
    }
}

/// How many waiters a wake count (a C int) reaches: Linux's wake loops
/// wake a waiter before they compare the count, so 0 and a negative
/// count wake one.
fn wake_count(count: u32) -> usize {
    (count as i32).max(1) as usize
}

/// `FUTEX_WAKE_OP`'s operation on the second word and the comparison of
/// its old value that decides whether the second word's waiters wake, as
/// `FUTEX_OP(op, oparg, cmp, cmparg)` packs them into `val3`: op in bits
/// 28-31 (8 set: the argument is a shift, `1 << oparg`), cmp in 24-27,
/// and two signed 12-bit arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WakeOp {
    op: u32,
    argument: u32,
    comparison: u32,
    comparand: i32,
}

impl WakeOp {
    const SHIFT_FLAG: u32 = 8;

    /// Unpacks `val3`; an unknown operation or comparison fails only when
    /// used (`ENOSYS`), as on Linux.
    pub fn decode(val3: u32) -> WakeOp {
        let signed12 = |bits: u32| ((bits << 20) as i32) >> 20;
        let mut op = val3 >> 28;
        let mut argument = signed12((val3 >> 12) & 0xfff) as u32;
        if op & Self::SHIFT_FLAG != 0 {
            // Linux takes an out-of-range shift modulo 32.
            argument = 1 << (argument & 31);
            op &= !Self::SHIFT_FLAG;
        }
        WakeOp {
            op,
            argument,
            comparison: (val3 >> 24) & 15,
            comparand: signed12(val3 & 0xfff),
        }
    }

    /// The new value of a word holding `old`; `ENOSYS` for an unknown
    /// operation.
    pub fn apply(self, old: u32) -> abi::KernelResult<u32> {
        Ok(match self.op {
            0 => self.argument,
            1 => old.wrapping_add(self.argument),
            2 => old | self.argument,
            3 => old & !self.argument,
            4 => old ^ self.argument,
            _ => return Err(Errno::ENOSYS),
        })
    }

    /// Whether `old`, as a signed int, passes the comparison; `ENOSYS`
    /// for an unknown one.
    pub fn compare(self, old: u32) -> abi::KernelResult<bool> {
        let old = old as i32;
        Ok(match self.comparison {
            0 => old == self.comparand,
            1 => old != self.comparand,
            2 => old < self.comparand,
            3 => old <= self.comparand,
            4 => old > self.comparand,
            5 => old >= self.comparand,
            _ => return Err(Errno::ENOSYS),
        })
    }
}

/// How often `FUTEX_WAKE_OP` retries its exchange on a word other threads
/// keep changing before it gives up with `EAGAIN`.
const WAKE_OP_RETRIES: usize = 1 << 16;

/// Applies `op` to the word at `address` in one atomic step; its old value.
fn apply_wake_op<K: Kernel>(
    ctx: &Context<'_, K>,
    address: u64,
    op: WakeOp,
) -> abi::KernelResult<u32> {
    let word = mm::UserPtr::<u32>::new(address)?;
    let memory = ctx.kernel.user_memory();
    let mut old = mm::read_value(memory, word)?;
    for _ in 0..WAKE_OP_RETRIES {
        let found = memory.compare_exchange_u32(word, old, op.apply(old)?)?;
        if found == old {
            return Ok(old);
        }
        old = found;
    }
    Err(Errno::EAGAIN)
}

/// `restart_syscall` for a timed `FUTEX_WAIT` a signal interrupted: waits
/// again while the word at `address` holds `value`, until `deadline_ns`.
pub fn restart_wait<K: Kernel>(
    ctx: &Context<'_, K>,
    word: Word,
    value: u32,
    bitset: u32,
    deadline_ns: u64,
) -> SyscallResult {
    wait(ctx, word, value, bitset, Some(deadline_ns))
}

fn wait<K: Kernel>(
    ctx: &Context<'_, K>,
    word: Word,
    expected: u32,
    bitset: u32,
    deadline: Option<u64>,
) -> SyscallResult {
    let key = key_of(ctx, word)?;
    let table = ctx.kernel.futexes();
    // Registered before the check: a wake after it finds this waiter.
    let id = table.enter(key, bitset, || ctx.kernel.new_event_queue());
    let result = match ctx.read(word.address) {
        Err(error) => Err(error),
        Ok(value) if value != expected => Err(Errno::EAGAIN),
        Ok(_) => sleep(table, id, deadline),
    };
    if result.is_err() && table.leave(id) {
        // Woken as the wait ended by itself: the wake counted this waiter,
        // so it returns as woken (Linux does the same).
        return Ok(0);
    }
    if let (Err(Errno::EINTR), Some(deadline_ns)) = (result, deadline) {
        // A timed wait goes on to the same deadline when no handler runs
        // (a stop and SIGCONT), as Linux's `futex_wait_restart`; an
        // untimed one restarts as it was.
        let block = RestartBlock::FutexWait {
            address: word.address.address(),
            value: expected,
            bitset,
            private: word.private,
            deadline_ns,
        };
        ctx.thread.data().signals().lock().set_restart(block);
    }
    result
}

/// Sleeps until waiter `id` is woken, the deadline passes or a signal
/// comes; its record stays for the caller to take out unless it was
/// woken.
fn sleep<Q: EventQueue>(table: &FutexTable<Q>, id: u64, deadline: Option<u64>) -> SyscallResult {
    loop {
        let (queue, seen) = match table.look(id) {
            Look::Woken => return Ok(0),
            Look::Sleep { queue, seen } => (queue, seen),
        };
        match queue.wait_since(seen, true, deadline) {
            WakeReason::Woken => {}
            WakeReason::TimedOut => return Err(Errno::ETIMEDOUT),
            WakeReason::Interrupted => return Err(Errno::EINTR),
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use core::sync::atomic::{AtomicU64, Ordering};

    use super::*;

    /// A queue that only counts its wakes (nobody sleeps on the host).
    #[derive(Default)]
    struct Counted {
        wakes: AtomicU64,
    }

    impl EventQueue for Counted {
        fn sequence(&self) -> u64 {
            self.wakes.load(Ordering::SeqCst)
        }

        fn wait_since(
            &self,
            _seen: u64,
            _interruptible: bool,
            _deadline: Option<u64>,
        ) -> WakeReason {
            WakeReason::Interrupted
        }

        fn wake_all(&self) {
            self.wakes.fetch_add(1, Ordering::SeqCst);
        }

        fn wake(&self, _count: usize) -> usize {
            self.wake_all();
            1
        }
    }

    const A: FutexKey = FutexKey::Shared(0x1000);
    const B: FutexKey = FutexKey::Private {
        space: 1,
        address: 0x1000,
    };
    const ANY: u32 = FUTEX_BITSET_MATCH_ANY;

    fn enter(table: &FutexTable<Counted>, key: FutexKey, bitset: u32) -> u64 {
        table.enter(key, bitset, || Arc::new(Counted::default()))
    }

    fn woken(table: &FutexTable<Counted>, id: u64) -> bool {
        matches!(table.look(id), Look::Woken)
    }

    #[test]
    fn a_wake_takes_waiters_in_arrival_order_and_wakes_only_them() {
        let table = FutexTable::new();
        let ids: std::vec::Vec<u64> = (0..3).map(|_| enter(&table, A, ANY)).collect();
        assert_eq!(table.wake(A, 2, ANY), 2);
        assert!(woken(&table, ids[0]));
        assert!(woken(&table, ids[1]));
        assert!(!woken(&table, ids[2]), "the third stays asleep");
        assert_eq!(table.wake(B, 5, ANY), 0, "another word wakes nobody");
        assert_eq!(table.wake(A, 5, ANY), 1);
        assert!(woken(&table, ids[2]));
        assert!(table.is_empty());
    }

    #[test]
    fn a_bitset_wake_reaches_only_waiters_sharing_a_bit() {
        let table = FutexTable::new();
        let low = enter(&table, A, 0b01);
        let high = enter(&table, A, 0b10);
        assert_eq!(table.wake(A, 5, 0b10), 1);
        assert!(woken(&table, high));
        assert!(!woken(&table, low));
        assert_eq!(table.wake(A, 5, 0b100), 0);
        assert_eq!(table.wake(A, 5, ANY), 1);
        assert!(woken(&table, low));
    }

    #[test]
    fn a_requeue_wakes_some_and_moves_the_next_without_waking_them() {
        let table = FutexTable::new();
        let ids: std::vec::Vec<u64> = (0..4).map(|_| enter(&table, A, ANY)).collect();
        // One woken, two moved: three counted, as Linux counts them.
        assert_eq!(table.requeue(A, 1, B, 2, u64::MAX), 3);
        assert!(woken(&table, ids[0]));
        assert!(!woken(&table, ids[1]) && !woken(&table, ids[2]));
        // A wake of the old word reaches only the one left there.
        assert_eq!(table.wake(A, 5, ANY), 1);
        assert!(woken(&table, ids[3]));
        // The moved ones wake with the new word, in their order.
        assert_eq!(table.wake(B, 1, ANY), 1);
        assert!(woken(&table, ids[1]));
        assert!(!woken(&table, ids[2]));
        assert_eq!(table.wake(B, 1, ANY), 1);
        assert!(woken(&table, ids[2]));
        assert!(table.is_empty());
    }

    #[test]
    fn moved_waiters_queue_behind_those_already_on_the_new_word() {
        let table = FutexTable::new();
        let mover = enter(&table, A, ANY);
        let resident = enter(&table, B, ANY);
        assert_eq!(table.requeue(A, 0, B, 1, u64::MAX), 1);
        assert_eq!(table.wake(B, 1, ANY), 1);
        assert!(woken(&table, resident));
        assert!(!woken(&table, mover));
        // A wait that ends by itself after a move leaves nothing behind.
        assert!(!table.leave(mover));
        assert!(table.is_empty());
    }

    #[test]
    fn a_compared_requeue_leaves_later_arrivals_alone() {
        let table = FutexTable::new();
        let early = enter(&table, A, ANY);
        let mark = table.arrivals();
        let late = enter(&table, A, ANY);
        assert_eq!(table.requeue(A, 0, B, 5, mark), 1);
        assert_eq!(table.wake(A, 5, ANY), 1);
        assert!(woken(&table, late));
        assert!(!woken(&table, early));
        assert_eq!(table.wake(B, 5, ANY), 1);
        assert!(woken(&table, early));
    }

    #[test]
    fn a_wait_that_ends_after_its_wake_counts_as_woken() {
        let table = FutexTable::new();
        let id = enter(&table, A, ANY);
        assert_eq!(table.wake(A, 1, ANY), 1);
        assert!(table.leave(id), "the wake counted it: it returns 0");
        let id = enter(&table, A, ANY);
        assert!(!table.leave(id));
        assert!(table.is_empty());
    }

    #[test]
    fn queues_of_finished_waits_serve_the_next() {
        let table: FutexTable<Counted> = FutexTable::new();
        let made = AtomicU64::new(0);
        let make = || {
            made.fetch_add(1, Ordering::SeqCst);
            Arc::new(Counted::default())
        };
        for _ in 0..10 {
            let id = table.enter(A, ANY, make);
            table.leave(id);
        }
        assert_eq!(made.load(Ordering::SeqCst), 1);
    }
}
