//! TLB shootdown: making other CPUs forget translations this one changed.
//!
//! A CPU that unmaps a page or takes a permission away flushes its own TLB
//! and must make every other CPU that may cache the old entry flush too
//! before the frame is reused. For a user page table those are the CPUs
//! whose CR3 holds it now (a CR3 load flushes every non-global entry, so a
//! CPU that switched away and back has nothing stale); for the kernel half
//! (global entries) it is every online CPU.
//!
//! The protocol, per target CPU: the requester ORs the kind of flush into
//! the target's request word, takes a ticket from its request counter,
//! sends [`TLB_VECTOR`] and spins until the target's completion counter
//! reaches the ticket. The target reads the counter, takes the word, flushes
//! and publishes what it read. Remote page-granular requests become whole
//! flushes, which is correct and keeps the mailbox one word.
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

/// Per-CPU mailbox: requested kinds, tickets issued and tickets done.
struct Mailbox {
    kinds: AtomicU64,
    requested: AtomicU64,
    completed: AtomicU64,
}

static MAILBOXES: [Mailbox; percpu::MAX_CPUS] = [const {
    Mailbox {
        kinds: AtomicU64::new(0),
        requested: AtomicU64::new(0),
        completed: AtomicU64::new(0),
    }
}; percpu::MAX_CPUS];

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
/// Call after changing `root`'s entries and flushing locally.
pub fn shootdown_user(root: u64) {
    let me = percpu::this_cpu();
    let others = others_online(me);
    if others == 0 {
        return;
    }
    request(others, FLUSH_USER, |cpu| cpu.active_root() == root);
}

/// Makes every other CPU drop all its entries, global ones included (a
/// kernel mapping went away or lost a permission).
pub fn shootdown_kernel() {
    let me = percpu::this_cpu();
    let others = others_online(me);
    if others == 0 {
        return;
    }
    request(others, FLUSH_GLOBAL, |_| true);
}

fn request(cpus: u64, kind: u64, wanted: impl Fn(&percpu::CpuLocal) -> bool) {
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
        mailbox.kinds.fetch_or(kind, Ordering::SeqCst);
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
    if kinds & FLUSH_GLOBAL != 0 {
        x86_64::instructions::tlb::flush_all();
        flush_global();
    } else if kinds & FLUSH_USER != 0 {
        x86_64::instructions::tlb::flush_all();
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
