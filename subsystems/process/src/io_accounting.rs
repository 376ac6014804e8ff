//! Per-process I/O accounting, as `/proc/<pid>/io` shows it.

use core::sync::atomic::{AtomicU64, Ordering};

/// Bytes and calls of reading and writing, counted without a lock (the
/// read and write paths are hot).
#[derive(Debug, Default)]
pub struct IoAccounting {
    read_bytes: AtomicU64,
    written_bytes: AtomicU64,
    read_calls: AtomicU64,
    write_calls: AtomicU64,
}

/// A copy of the counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IoCounts {
    /// Bytes read by `read`-like calls (`rchar`).
    pub read_bytes: u64,
    /// Bytes written by `write`-like calls (`wchar`).
    pub written_bytes: u64,
    /// `read`-like calls (`syscr`).
    pub read_calls: u64,
    /// `write`-like calls (`syscw`).
    pub write_calls: u64,
}

impl IoAccounting {
    /// One read-like call that moved `bytes`.
    pub fn record_read(&self, bytes: u64) {
        self.read_calls.fetch_add(1, Ordering::Relaxed);
        self.read_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// One write-like call that moved `bytes`.
    pub fn record_write(&self, bytes: u64) {
        self.write_calls.fetch_add(1, Ordering::Relaxed);
        self.written_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// The counts now.
    pub fn counts(&self) -> IoCounts {
        IoCounts {
            read_bytes: self.read_bytes.load(Ordering::Relaxed),
            written_bytes: self.written_bytes.load(Ordering::Relaxed),
            read_calls: self.read_calls.load(Ordering::Relaxed),
            write_calls: self.write_calls.load(Ordering::Relaxed),
        }
    }
}
