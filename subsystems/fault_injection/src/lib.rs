//! Fault injection for the kernel's fallible allocations.
//!
//! This crate owns one switch, set from the kernel command line
//! (`failalloc=nth:N` or `failalloc=p:PERCENT,seed:S`), that makes chosen
//! allocations fail as if memory had run out, so a test can drive every
//! error path a real shortage would and show the kernel survives it. The
//! allocation sites that can fail ask [`should_fail`] first: the fallible
//! collection helpers here ([`reserve`], [`reserve_exact`],
//! [`reserve_string`]), which the syscall paths use instead of
//! `try_reserve`, and the kernel's frame allocator for page tables and
//! other kernel-side frames. Rust's infallible allocations (`Box::new`,
//! `Vec::push`) are never failed: they cannot report it.
//!
//! Nothing to implement: the kernel calls [`configure`] once at boot,
//! [`set_filter`] to say which callers may be failed (Linux's
//! `task-filter`; Courage spares init, so the test runner survives), and
//! [`arm`] when user space starts, and reads [`stats`] for its report.
//! [`set_reporter`] hears of each failure with the source location that
//! asked (the helpers are `#[track_caller]`), so a run shows which error
//! path each failure drove.
//! Off by default; then [`should_fail`] is one relaxed load.
//!
//! The decision is global and atomic, so with several CPUs the Nth
//! allocation is the Nth asked about anywhere; the probability mode draws
//! from one xorshift stream seeded from the command line, reproducible for
//! one CPU.

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use core::panic::Location;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use abi::{Errno, KernelResult};

/// Which allocations fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// None (the default).
    Off,
    /// Every `n`th allocation asked about (`failalloc=nth:N`, N ≥ 1).
    EveryNth(u64),
    /// Each with probability `per_million` / 1,000,000, drawn from a
    /// stream seeded with `seed` (`failalloc=p:PERCENT,seed:S`).
    Probability {
        /// Chance of failure in millionths.
        per_million: u32,
        /// The stream's seed (never 0 inside: xorshift needs a set bit).
        seed: u64,
    },
}

impl Policy {
    /// Parses the value of `failalloc=`: `nth:N`, or `p:PERCENT` with an
    /// optional `,seed:S` (PERCENT may have up to four decimals). `None`
    /// for anything else.
    pub fn parse(spec: &str) -> Option<Policy> {
        if let Some(n) = spec.strip_prefix("nth:") {
            let n: u64 = n.parse().ok()?;
            return (n >= 1).then_some(Policy::EveryNth(n));
        }
        let rest = spec.strip_prefix("p:")?;
        let (percent, seed) = match rest.split_once(",seed:") {
            Some((percent, seed)) => (percent, seed.parse().ok()?),
            None => (rest, 1),
        };
        Some(Policy::Probability {
            per_million: parse_percent_per_million(percent)?,
            seed,
        })
    }
}

/// "2.5" (percent) → 25,000 per million; at most 100 and four decimals.
fn parse_percent_per_million(text: &str) -> Option<u32> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() || fraction.len() > 4 {
        return None;
    }
    let whole: u32 = whole.parse().ok()?;
    let mut fraction_millionths = 0u32;
    let mut scale = 1000;
    for digit in fraction.bytes() {
        if !digit.is_ascii_digit() {
            return None;
        }
        fraction_millionths += u32::from(digit - b'0') * scale;
        scale /= 10;
    }
    let per_million = whole.checked_mul(10_000)? + fraction_millionths;
    (per_million <= 1_000_000).then_some(per_million)
}

/// One injector: its policy and counts. The kernel uses the global one
/// through the free functions; tests make their own.
#[derive(Debug)]
pub struct Injector {
    armed: AtomicBool,
    /// 0 off, 1 every nth, 2 probability.
    mode: AtomicU64,
    /// N, or the probability in millionths.
    parameter: AtomicU64,
    /// The xorshift state.
    state: AtomicU64,
    asked: AtomicU64,
    failed: AtomicU64,
    /// Which callers may be failed (all when unset).
    filter: spin::Once<fn() -> bool>,
    /// Told of each failure and where it was asked for.
    reporter: spin::Once<fn(&'static Location<'static>)>,
}

impl Injector {
    /// An injector that never fails anything.
    pub const fn new() -> Self {
        Self {
            armed: AtomicBool::new(false),
            mode: AtomicU64::new(0),
            parameter: AtomicU64::new(0),
            state: AtomicU64::new(1),
            asked: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            filter: spin::Once::new(),
            reporter: spin::Once::new(),
        }
    }

    /// Limits failures to allocations made while `may_fail` says yes (the
    /// first filter set stays).
    pub fn set_filter(&self, may_fail: fn() -> bool) {
        self.filter.call_once(|| may_fail);
    }

    /// Calls `report` with the asking location of every failure (the
    /// first reporter set stays).
    pub fn set_reporter(&self, report: fn(&'static Location<'static>)) {
        self.reporter.call_once(|| report);
    }

    /// Installs `policy` (disarmed: nothing fails until [`Injector::arm`]).
    pub fn configure(&self, policy: Policy) {
        self.armed.store(false, Ordering::SeqCst);
        let (mode, parameter, seed) = match policy {
            Policy::Off => (0, 0, 1),
            Policy::EveryNth(n) => (1, n, 1),
            Policy::Probability { per_million, seed } => (2, u64::from(per_million), seed.max(1)),
        };
        self.mode.store(mode, Ordering::SeqCst);
        self.parameter.store(parameter, Ordering::SeqCst);
        self.state.store(seed, Ordering::SeqCst);
        self.asked.store(0, Ordering::SeqCst);
        self.failed.store(0, Ordering::SeqCst);
    }

    /// Starts failing allocations as configured (the kernel arms once its
    /// own start-up allocations are done).
    pub fn arm(&self) {
        self.armed.store(true, Ordering::SeqCst);
    }

    /// Whether the allocation about to be made should fail.
    #[track_caller]
    pub fn should_fail(&self) -> bool {
        if !self.armed.load(Ordering::Relaxed) {
            return false;
        }
        if let Some(may_fail) = self.filter.get()
            && !may_fail()
        {
            return false;
        }
        let asked = self.asked.fetch_add(1, Ordering::Relaxed) + 1;
        let parameter = self.parameter.load(Ordering::Relaxed);
        let fail = match self.mode.load(Ordering::Relaxed) {
            1 => asked % parameter == 0,
            2 => {
                let draw = self
                    .state
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |x| Some(xorshift(x)))
                    .map_or(0, xorshift);
                draw % 1_000_000 < parameter
            }
            _ => false,
        };
        if fail {
            self.failed.fetch_add(1, Ordering::Relaxed);
            if let Some(report) = self.reporter.get() {
                report(Location::caller());
            }
        }
        fail
    }

    /// (allocations asked about while armed, allocations failed).
    pub fn stats(&self) -> (u64, u64) {
        (
            self.asked.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
        )
    }
}

impl Default for Injector {
    fn default() -> Self {
        Self::new()
    }
}

fn xorshift(mut x: u64) -> u64 {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x
}

static INJECTOR: Injector = Injector::new();

/// Installs the kernel's policy (disarmed).
pub fn configure(policy: Policy) {
    INJECTOR.configure(policy);
}

/// Limits the kernel's failures to callers `may_fail` accepts.
pub fn set_filter(may_fail: fn() -> bool) {
    INJECTOR.set_filter(may_fail);
}

/// Has `report` told of each of the kernel's failures.
pub fn set_reporter(report: fn(&'static Location<'static>)) {
    INJECTOR.set_reporter(report);
}

/// Arms the kernel's injector.
pub fn arm() {
    INJECTOR.arm();
}

/// Whether the kernel allocation about to be made should fail.
#[track_caller]
pub fn should_fail() -> bool {
    INJECTOR.should_fail()
}

/// The kernel's (asked, failed) counts.
pub fn stats() -> (u64, u64) {
    INJECTOR.stats()
}

/// `vec.try_reserve(additional)`, or `ENOMEM` (also when injected).
#[track_caller]
pub fn reserve<T>(vec: &mut Vec<T>, additional: usize) -> KernelResult<()> {
    if should_fail() {
        return Err(Errno::ENOMEM);
    }
    vec.try_reserve(additional).map_err(|_| Errno::ENOMEM)
}

/// `vec.try_reserve_exact(additional)`, or `ENOMEM` (also when injected).
#[track_caller]
pub fn reserve_exact<T>(vec: &mut Vec<T>, additional: usize) -> KernelResult<()> {
    if should_fail() {
        return Err(Errno::ENOMEM);
    }
    vec.try_reserve_exact(additional).map_err(|_| Errno::ENOMEM)
}

/// `string.try_reserve(additional)`, or `ENOMEM` (also when injected).
#[track_caller]
pub fn reserve_string(string: &mut String, additional: usize) -> KernelResult<()> {
    if should_fail() {
        return Err(Errno::ENOMEM);
    }
    string.try_reserve(additional).map_err(|_| Errno::ENOMEM)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_parse_as_the_command_line_writes_them() {
        assert_eq!(Policy::parse("nth:50"), Some(Policy::EveryNth(50)));
        assert_eq!(Policy::parse("nth:0"), None);
        assert_eq!(
            Policy::parse("p:2.5,seed:7"),
            Some(Policy::Probability {
                per_million: 25_000,
                seed: 7
            })
        );
        assert_eq!(
            Policy::parse("p:0.0001"),
            Some(Policy::Probability {
                per_million: 1,
                seed: 1
            })
        );
        for bad in ["", "nth:", "p:101", "p:1.00001", "p:x", "p:.5", "every:3"] {
            assert_eq!(Policy::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn every_nth_fails_exactly_the_nth_once_armed() {
        let injector = Injector::new();
        injector.configure(Policy::EveryNth(3));
        assert!((0..10).all(|_| !injector.should_fail()), "disarmed");
        injector.arm();
        let pattern: Vec<bool> = (0..7).map(|_| injector.should_fail()).collect();
        assert_eq!(pattern, [false, false, true, false, false, true, false]);
        assert_eq!(injector.stats(), (7, 2));
    }

    #[test]
    fn probability_is_reproducible_from_the_seed_and_near_its_rate() {
        let run = |seed| {
            let injector = Injector::new();
            injector.configure(Policy::Probability {
                per_million: 100_000,
                seed,
            });
            injector.arm();
            (0..10_000)
                .map(|_| injector.should_fail())
                .collect::<Vec<_>>()
        };
        assert_eq!(run(42), run(42));
        assert_ne!(run(42), run(43));
        let failures = run(42).iter().filter(|&&f| f).count();
        assert!(
            (800..1200).contains(&failures),
            "{failures} of 10,000 at 10%"
        );
    }

    #[test]
    fn the_reporter_hears_where_each_failure_was_asked_for() {
        use core::sync::atomic::AtomicU32;
        static LINE: AtomicU32 = AtomicU32::new(0);
        static REPORTS: AtomicU32 = AtomicU32::new(0);
        let injector = Injector::new();
        injector.configure(Policy::EveryNth(2));
        injector.set_reporter(|location| {
            assert!(location.file().ends_with("lib.rs"), "{location}");
            LINE.store(location.line(), Ordering::SeqCst);
            REPORTS.fetch_add(1, Ordering::SeqCst);
        });
        injector.arm();
        assert!(!injector.should_fail());
        let line = line!() + 1;
        assert!(injector.should_fail());
        assert_eq!(
            REPORTS.load(Ordering::SeqCst),
            1,
            "only failures are reported"
        );
        assert_eq!(LINE.load(Ordering::SeqCst), line);
    }

    #[test]
    fn the_filter_spares_callers_it_refuses() {
        use core::sync::atomic::AtomicBool;
        static SPARED: AtomicBool = AtomicBool::new(true);
        let injector = Injector::new();
        injector.configure(Policy::EveryNth(1));
        injector.set_filter(|| !SPARED.load(Ordering::SeqCst));
        injector.arm();
        assert!(!injector.should_fail());
        SPARED.store(false, Ordering::SeqCst);
        assert!(injector.should_fail());
        // Spared calls are not counted.
        assert_eq!(injector.stats(), (1, 1));
    }

    #[test]
    fn off_never_fails_and_a_reserve_then_succeeds() {
        let injector = Injector::new();
        injector.configure(Policy::Off);
        injector.arm();
        assert!((0..100).all(|_| !injector.should_fail()));
        let mut v: Vec<u8> = Vec::new();
        assert_eq!(reserve_exact(&mut v, 16), Ok(()));
        assert!(v.capacity() >= 16);
    }
}
