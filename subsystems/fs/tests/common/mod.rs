//! Fakes and helpers shared by the integration tests.
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};

use fs::{
    Clock, Credentials, Custody, FileDescription, OpenFlags, PathContext, Timespec, Tmpfs, Vfs,
    WaitQueue,
};

/// A clock that advances one second every time it is read.
#[derive(Default)]
pub struct TickingClock(AtomicI64);

impl Clock for TickingClock {
    fn now(&self) -> Timespec {
        Timespec {
            sec: 1_000 + self.0.fetch_add(1, Ordering::SeqCst),
            nsec: 0,
        }
    }
}

/// Counts wake-ups.
#[derive(Default)]
pub struct CountingWaitQueue(pub AtomicUsize);

impl CountingWaitQueue {
    pub fn wakes(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl WaitQueue for CountingWaitQueue {
    fn wake_all(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Counts plain wakes and sync ones apart.
#[derive(Default)]
pub struct WakeKinds {
    plain: AtomicUsize,
    sync: AtomicUsize,
}

impl WakeKinds {
    /// (plain wakes, sync wakes) so far.
    pub fn counts(&self) -> (usize, usize) {
        (
            self.plain.load(Ordering::SeqCst),
            self.sync.load(Ordering::SeqCst),
        )
    }
}

impl WaitQueue for WakeKinds {
    fn wake_all(&self) {
        self.plain.fetch_add(1, Ordering::SeqCst);
    }

    fn wake_all_sync(&self) {
        self.sync.fetch_add(1, Ordering::SeqCst);
    }
}

/// A VFS on a fresh tmpfs (dev 1), with `/` world-writable and sticky like
/// /tmp so unprivileged tests can create files.
pub struct World {
    pub vfs: Vfs,
    pub root: Custody,
    pub root_creds: Credentials,
    pub clock: Arc<TickingClock>,
}

impl World {
    pub fn new() -> World {
        World::with_dev(1)
    }

    /// A world whose tmpfs has `st_dev` `dev` (tests sharing machine-wide
    /// state keyed by inode, as inotify's watches, each take their own).
    pub fn with_dev(dev: u64) -> World {
        let clock = Arc::new(TickingClock::default());
        let vfs = Vfs::new(Tmpfs::new(dev, clock.clone()));
        let root = vfs.root_custody();
        World {
            vfs,
            root,
            root_creds: Credentials::root(),
            clock,
        }
    }

    /// Context for root at `/`.
    pub fn su(&self) -> PathContext<'_> {
        PathContext {
            base: &self.root,
            root: &self.root,
            creds: &self.root_creds,
        }
    }

    pub fn write_file(&self, path: &str, contents: &[u8]) {
        let file = self
            .vfs
            .open(
                &self.su(),
                path,
                OpenFlags::O_CREAT | OpenFlags::O_WRONLY | OpenFlags::O_TRUNC,
                0o644,
            )
            .unwrap();
        assert_eq!(file.write(contents).unwrap(), contents.len());
    }

    pub fn read_file(&self, path: &str) -> Vec<u8> {
        let file = self
            .vfs
            .open(&self.su(), path, OpenFlags::empty(), 0)
            .unwrap();
        read_all(&file)
    }
}

pub fn read_all(file: &FileDescription) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 1000];
    loop {
        let n = file.read(&mut buf).unwrap();
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&buf[..n]);
    }
}

/// Names from getdents64 output.
pub fn names_in(file: &FileDescription) -> Vec<String> {
    let mut names = Vec::new();
    let mut buf = [0u8; 256];
    loop {
        let n = file.getdents64(&mut buf).unwrap();
        if n == 0 {
            return names;
        }
        let mut at = 0;
        while at < n {
            let reclen = u16::from_ne_bytes([buf[at + 16], buf[at + 17]]) as usize;
            let name = &buf[at + 19..at + reclen];
            let end = name.iter().position(|&b| b == 0).unwrap();
            names.push(String::from_utf8(name[..end].to_vec()).unwrap());
            at += reclen;
        }
    }
}
