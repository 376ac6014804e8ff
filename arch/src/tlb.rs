//! TLB shootdown: making other CPUs forget translations this one changed.
//!
//! A CPU that unmaps a page or takes a permission away flushes its own TLB
//! and must make every other CPU that may cache the old entry flush too
//! before the frame is reused. For a user page table those are the CPUs
//! whose CR3 holds it now (a CR3 load flushes every non-global entry, so a
//! CPU that switched away and back has nothing stale); for the kernel half
//! (global entries) it is every online CPU.
//!
//! The protocol, per target CPU: the requester posts its flush in the
//! target's mailbox, takes a ticket from its request counter, sends
//! [`TLB_VECTOR`] and spins until the target's completion counter reaches
//! the ticket. The target reads the counter, takes what was posted,
//! flushes and publishes what it read. A flush of a few user pages (at
//! most [`MAX_RANGE_PAGES`], what `munmap` and `mprotect` batch) travels
//! as one packed range word and is done page by page (`invlpg`), as
//! Linux's `flush_tlb_func` does up to its ceiling; a second range posted
//! before the first is taken turns the request into a whole flush. Taking
//! the range word is itself the flush request, so a range taken early by
//! another pass is flushed there, never dropped.
//!
//! A CPU spinning with interrupts off (on a lock, or waiting for its own
//! shootdown) would never take the IPI, and its requester would wait
//! forever if it held the lock in question; so every such spin calls
//! [`service_requests`], and the IPI is only there to reach CPUs that run
//! with interrupts on.

use core::sync::atomic::{AtomicU64, Ordering};

use crate::percpu;

/// The vector of shootdown IPIs.
pub const TLB_VECTOR: u8 = 0xf1;

/// Flush the non-global entries (reload CR3).
const FLUSH_USER: u64 = 1;
/// Flush the global entries too (the kernel half).
const FLUSH_GLOBAL: u64 = 2;

/// The most pages a remote flush invalidates one by one; a larger range
/// is a whole flush.
pub const MAX_RANGE_PAGES: u64 = 32;
/// Bits of a packed range word that hold its page count (1 to 32).
const RANGE_COUNT_BITS: u32 = 6;

/// Per-CPU mailbox: requested kinds, a pending page range (0: none),
/// tickets issued and tickets done.
struct Mailbox {
    kinds: AtomicU64,
    range: AtomicU64,
    requested: AtomicU64,
    completed: AtomicU64,
}

static MAILBOXES: [Mailbox; percpu::MAX_CPUS] = [const {
    Mailbox {
        kinds: AtomicU64::new(0),
        range: AtomicU64::new(0),
        requested: AtomicU64::new(0),
        completed: AtomicU64::new(0),
    }
}; percpu::MAX_CPUS];

/// What a requester asks of another CPU.
#[derive(Clone, Copy)]
enum Flush {
    /// Every non-global entry.
    User,
    /// These user pages: a packed range word ([`pack_range`]).
    UserRange(u64),
    /// Everything, global entries included.
    Global,
}

/// `pages` pages from `start` (page-aligned, user half) in one nonzero
/// word: the page number above the count.
fn pack_range(start: u64, pages: u64) -> u64 {
    debug_assert!((1..=MAX_RANGE_PAGES).contains(&pages));
    (start >> 12) << RANGE_COUNT_BITS | pages
}

/// The first address and page count of a packed range word.
fn unpack_range(range: u64) -> (u64, u64) {
    let pages = range & ((1 << RANGE_COUNT_BITS) - 1);
    ((range >> RANGE_COUNT_BITS) << 12, pages)
}

impl Mailbox {
    fn post(&self, flush: Flush) {
        match flush {
            Flush::User => {
                self.kinds.fetch_or(FLUSH_USER, Ordering::SeqCst);
            }
            Flush::Global => {
                self.kinds.fetch_or(FLUSH_GLOBAL, Ordering::SeqCst);
            }
            Flush::UserRange(range) => {
                // One range fits; another one still pending makes it a
                // whole flush.
                if self
                    .range
                    .compare_exchange(0, range, Ordering::SeqCst, Ordering::SeqCst)
                    .is_err()
                {
                    self.kinds.fetch_or(FLUSH_USER, Ordering::SeqCst);
                }
            }
        }
    }
}

/// CPUs online, one bit each: the shootdown's candidates.
static ONLINE: AtomicU64 = AtomicU64::new(0);

/// Adds this CPU to the shootdown candidates (at the end of its bring-up).
pub(crate) fn set_online(index: u32) {
    ONLINE.fetch_or(1 << index, Ordering::SeqCst);
}

/// Whether another CPU than this one is online (shootdowns are needed).
fn others_online(me: u32) -> u64 {
    ONLINE.load(Ordering::SeqCst) & !(1u64 << me)
}

/// Makes every other CPU with `root` in CR3 drop its non-global entries.
/// Call after changing `root`'s entries and flushing locally, with
/// interrupts off since that flush (so "other" means other than it).
pub fn shootdown_user(root: u64) {
    shootdown_of(root, Flush::User);
}

/// Makes every other CPU with `root` in CR3 drop its entries for the
/// `pages` pages from `start` (page-aligned), one by one when there are
/// at most [`MAX_RANGE_PAGES`], else all its non-global entries. Call
/// after changing those entries and flushing locally, with interrupts off
/// since that flush.
pub fn shootdown_user_range(root: u64, start: u64, pages: u64) {
    let flush = if (1..=MAX_RANGE_PAGES).contains(&pages) && start < 1 << 47 {
        Flush::UserRange(pack_range(start, pages))
    } else {
        Flush::User
    };
    shootdown_of(root, flush);
}

fn shootdown_of(root: u64, flush: Flush) {
    // The caller flushed this CPU; on another, this one would be spared.
    debug_assert!(
        !x86_64::instructions::interrupts::are_enabled(),
        "a shootdown with interrupts on may spare the CPU it moved to"
    );
    let me = percpu::this_cpu();
    let others = others_online(me);
    if others == 0 {
        return;
    }
    request(others, Some(flush), |cpu| cpu.active_root() == root);
}

/// Makes every other CPU drop all its entries, global ones included (a
/// kernel mapping went away or lost a permission). Interrupts off since
/// the local flush, as for [`shootdown_user`].
pub fn shootdown_kernel() {
    debug_assert!(
        !x86_64::instructions::interrupts::are_enabled(),
        "a shootdown with interrupts on may spare the CPU it moved to"
    );
    let me = percpu::this_cpu();
    let others = others_online(me);
    if others == 0 {
        return;
    }
    request(others, Some(Flush::Global), |_| true);
}

/// Makes every other CPU with `root` in CR3 take an interrupt and waits
/// until each has: a full memory barrier and a serializing return on each
/// CPU that runs the address space (`membarrier`'s private expedited
/// commands). The mailboxes carry it as a request with nothing to flush.
pub fn barrier_user(root: u64) {
    barrier(|cpu| cpu.active_root() == root);
}

/// As [`barrier_user`], on every other online CPU (`membarrier`'s global
/// commands).
pub fn barrier_all() {
    barrier(|_| true);
}

fn barrier(wanted: impl Fn(&percpu::CpuLocal) -> bool) {
    // Ordered before and after the others' barriers, as Linux's smp_mb()
    // around its IPIs.
    core::sync::atomic::fence(Ordering::SeqCst);
    let others = others_online(percpu::this_cpu());
    if others != 0 {
        request(others, None, wanted);
    }
    core::sync::atomic::fence(Ordering::SeqCst);
}

fn request(cpus: u64, flush: Option<Flush>, wanted: impl Fn(&percpu::CpuLocal) -> bool) {
    let mut tickets = [0u64; percpu::MAX_CPUS];
    let mut sent = 0u64;
    for index in 0..percpu::MAX_CPUS {
        if cpus & (1 << index) == 0 {
            continue;
        }
        let Some(cpu) = percpu::cpu(index as u32) else {
            continue;
        };
        if !wanted(cpu) {
            continue;
        }
        let mailbox = &MAILBOXES[index];
        if let Some(flush) = flush {
            mailbox.post(flush);
        }
        tickets[index] = mailbox.requested.fetch_add(1, Ordering::SeqCst) + 1;
        crate::apic::send_ipi(cpu.apic_id(), TLB_VECTOR);
        sent |= 1 << index;
    }
    for (index, &ticket) in tickets.iter().enumerate() {
        if sent & (1 << index) == 0 {
            continue;
        }
        while MAILBOXES[index].completed.load(Ordering::SeqCst) < ticket {
            service_requests();
            core::hint::spin_loop();
        }
    }
}

/// Carries out the flushes other CPUs asked of this one (the IPI handler,
/// and every spin that runs with interrupts off, call it).
pub fn service_requests() {
    // Before per-CPU data exists there is no one to ask.
    if ONLINE.load(Ordering::Relaxed) == 0 {
        return;
    }
    let mailbox = &MAILBOXES[percpu::this_cpu() as usize];
    let seen = mailbox.requested.load(Ordering::SeqCst);
    if mailbox.completed.load(Ordering::SeqCst) >= seen {
        return;
    }
    let kinds = mailbox.kinds.swap(0, Ordering::SeqCst);
    // Taken whatever `kinds` says: a range posted for a later ticket may
    // be here before its kind bits, and is flushed now, not lost.
    let range = mailbox.range.swap(0, Ordering::SeqCst);
    if kinds & FLUSH_GLOBAL != 0 {
        x86_64::instructions::tlb::flush_all();
        flush_global();
    } else if kinds & FLUSH_USER != 0 {
        x86_64::instructions::tlb::flush_all();
    } else if range != 0 {
        let (start, pages) = unpack_range(range);
        for page in 0..pages {
            crate::paging::flush_page(start + page * 4096);
        }
    }
    mailbox.completed.fetch_max(seen, Ordering::SeqCst);
}

/// Drops global entries too: toggling CR4.PGE flushes everything.
fn flush_global() {
    use x86_64::registers::control::{Cr4, Cr4Flags};
    let cr4 = Cr4::read();
    if cr4.contains(Cr4Flags::PAGE_GLOBAL) {
        // SAFETY: clearing and restoring PGE changes no mapping, only
        // empties the TLB.
        unsafe {
            Cr4::write(cr4 - Cr4Flags::PAGE_GLOBAL);
            Cr4::write(cr4);
        }
    }
}
