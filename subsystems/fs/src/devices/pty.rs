//! Pseudo-terminals: `/dev/ptmx` opens a new master, whose slave appears
//! as `/dev/pts/N` (devfs's `pts` directory) until the master closes.
//!
//! What the master writes is typed at the slave's terminal (the `tty`
//! crate's line discipline: echo comes back to the master, signal keys
//! name the slave's foreground group); what the slave writes is
//! output-processed and read from the master. The slave is locked until
//! `unlockpt` (`TIOCSPTLCK` 0), as on Linux.

use alloc::collections::VecDeque;
use alloc::format;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};

use ::tty::{JobSignal, ReadOutcome};
use abi::{Errno, KernelResult};
use lock::Mutex;

use crate::device::CharacterDevice;
use crate::devices::terminal::Terminal;
use crate::file::File;
use crate::inode::Inode;
use crate::tmpfs::TmpfsInode;
use crate::types::{OpenFlags, PollEvents, make_dev};
use crate::wait::WaitQueue;

/// Most bytes waiting for the master to read.
const MASTER_BUFFER: usize = 64 * 1024;
/// Linux's major number for pty slaves (`/dev/pts/N`).
const SLAVE_MAJOR: u32 = 136;

/// Makes wait queues for new pairs (the kernel's kind).
pub type WaitQueueFactory = fn() -> Arc<dyn WaitQueue>;

/// Told when a pseudo-terminal hangs up because its master closed, with
/// the session that had it as controlling terminal and the group that was
/// in front. The kernel sends `SIGHUP` and `SIGCONT` to the session
/// leader, and to that group when the leader exits (Linux's rules).
pub trait HangupListener: Send + Sync {
    /// Session `session` lost its terminal; `foreground` was in front.
    fn hung_up(&self, session: i32, foreground: Option<i32>);
}

/// The `ptmx` device: every open makes a new pair.
pub struct PtyMultiplexer {
    pts: spin::Once<Arc<TmpfsInode>>,
    next: AtomicU32,
    new_queue: WaitQueueFactory,
    hangups: Arc<dyn HangupListener>,
    /// Every pair whose master is still open, to find a session's terminal.
    pairs: Mutex<Vec<Weak<PtyPair>>>,
}

impl PtyMultiplexer {
    /// A multiplexer whose pairs get wait queues from `new_queue` and
    /// report hangups to `hangups`; devfs attaches its `pts` directory
    /// ([`PtyMultiplexer::attach`]).
    pub fn new(new_queue: WaitQueueFactory, hangups: Arc<dyn HangupListener>) -> PtyMultiplexer {
        PtyMultiplexer {
            pts: spin::Once::new(),
            next: AtomicU32::new(0),
            new_queue,
            hangups,
            pairs: Mutex::new(Vec::new()),
        }
    }

    /// The terminal of the pair whose master is open that session `sid`
    /// controls (its leader's exit hangs it up).
    pub fn terminal_of(&self, sid: i32) -> Option<Arc<PtyPair>> {
        let mut pairs = self.pairs.lock();
        pairs.retain(|pair| pair.strong_count() > 0);
        pairs.iter().filter_map(Weak::upgrade).find(|pair| {
            pair.master_open.load(Ordering::Acquire)
                && pair.terminal.jobs.lock().session() == Some(sid)
        })
    }

    /// Where slaves appear (`/dev/pts`); the first call wins.
    pub fn attach(&self, pts: Arc<TmpfsInode>) {
        self.pts.call_once(|| pts);
    }

    /// The slave of the pair that session `sid` controls, for `/dev/tty`.
    pub fn controlling_terminal_of(&self, sid: i32) -> Option<Arc<dyn File>> {
        let mut pairs = self.pairs.lock();
        pairs.retain(|pair| pair.strong_count() > 0);
        let pair = pairs.iter().filter_map(Weak::upgrade).find(|pair| {
            pair.master_open.load(Ordering::Acquire)
                && pair.terminal.jobs.lock().session() == Some(sid)
        })?;
        Some(Arc::new(PtySlave::open(pair)))
    }
}

impl CharacterDevice for PtyMultiplexer {
    fn open(&self, _flags: OpenFlags) -> KernelResult<Arc<dyn File>> {
        let pts = self.pts.get().ok_or(Errno::ENODEV)?;
        let index = self.next.fetch_add(1, Ordering::Relaxed);
        let pair = Arc::new(PtyPair {
            index,
            terminal: Terminal::new(),
            to_master: Mutex::new(VecDeque::new()),
            signals: Mutex::new(Vec::new()),
            locked: AtomicBool::new(true),
            master_open: AtomicBool::new(true),
            slaves_open: AtomicUsize::new(0),
            slave_opened: AtomicBool::new(false),
            master_waiters: (self.new_queue)(),
            slave_waiters: (self.new_queue)(),
        });
        self.pairs.lock().push(Arc::downgrade(&pair));
        pts.create_device_node(
            &format!("{index}"),
            0o620,
            make_dev(SLAVE_MAJOR, index),
            Arc::new(SlaveDevice(pair.clone())),
        )?;
        Ok(Arc::new(PtyMaster {
            pair,
            pts: Arc::downgrade(pts),
            hangups: self.hangups.clone(),
        }))
    }
}

/// Opening `/dev/pts/N`: `EIO` while its master keeps it locked.
struct SlaveDevice(Arc<PtyPair>);

impl CharacterDevice for SlaveDevice {
    fn open(&self, _flags: OpenFlags) -> KernelResult<Arc<dyn File>> {
        if self.0.locked.load(Ordering::Acquire) {
            return Err(Errno::EIO);
        }
        Ok(Arc::new(PtySlave::open(self.0.clone())))
    }
}

/// The state a master and its slave share.
pub struct PtyPair {
    index: u32,
    terminal: Terminal,
    to_master: Mutex<VecDeque<u8>>,
    signals: Mutex<Vec<(JobSignal, i32)>>,
    locked: AtomicBool,
    master_open: AtomicBool,
    /// Open descriptions of the slave (`/dev/pts/N` and `/dev/tty`).
    slaves_open: AtomicUsize,
    /// The slave was opened at least once (see [`PtyPair::slave_hung_up`]).
    slave_opened: AtomicBool,
    master_waiters: Arc<dyn WaitQueue>,
    slave_waiters: Arc<dyn WaitQueue>,
}

impl PtyPair {
    /// The terminal both ends act on.
    pub fn terminal(&self) -> &Terminal {
        &self.terminal
    }

    /// The `N` of `/dev/pts/N` (`TIOCGPTN`).
    pub fn index(&self) -> u32 {
        self.index
    }

    /// Every slave opened has closed again (Linux's `TTY_OTHER_CLOSED`):
    /// the master reads `EIO` once its queue is empty and polls `POLLHUP`,
    /// until a slave opens again. A slave never opened is not hung up.
    pub fn slave_hung_up(&self) -> bool {
        self.slave_opened.load(Ordering::Acquire) && self.slaves_open.load(Ordering::Acquire) == 0
    }

    /// Locks or unlocks the slave against opening (`TIOCSPTLCK`).
    pub fn set_locked(&self, locked: bool) {
        self.locked.store(locked, Ordering::Release);
    }

    fn to_master(&self, bytes: &[u8]) {
        let mut queue = self.to_master.lock();
        let room = MASTER_BUFFER.saturating_sub(queue.len());
        queue.extend(bytes.iter().take(room));
        drop(queue);
        self.master_waiters.wake_all();
    }
}

/// The master side (`/dev/ptmx`'s file).
struct PtyMaster {
    pair: Arc<PtyPair>,
    pts: Weak<TmpfsInode>,
    hangups: Arc<dyn HangupListener>,
}

impl Drop for PtyMaster {
    fn drop(&mut self) {
        self.pair.master_open.store(false, Ordering::Release);
        // The session loses its terminal; its leader is told.
        let hung_up = self.pair.terminal.jobs.lock().hang_up_line();
        if let Some((session, foreground)) = hung_up {
            self.hangups.hung_up(session, foreground);
        }
        // Readers of the slave see the hangup.
        self.pair.slave_waiters.wake_all();
        if let Some(pts) = self.pts.upgrade() {
            let _ = pts.unlink(&format!("{}", self.pair.index));
        }
    }
}

impl File for PtyMaster {
    fn read(&self, _offset: u64, buf: &mut [u8]) -> KernelResult<usize> {
        let mut queue = self.pair.to_master.lock();
        if queue.is_empty() {
            // Every slave closed: nothing more can come (Linux's EIO).
            if self.pair.slave_hung_up() {
                return Err(Errno::EIO);
            }
            return Err(Errno::EAGAIN);
        }
        let n = buf.len().min(queue.len());
        for (slot, byte) in buf.iter_mut().zip(queue.drain(..n)) {
            *slot = byte;
        }
        Ok(n)
    }

    /// Typed at the slave's terminal.
    fn write(&self, _offset: u64, buf: &[u8]) -> KernelResult<usize> {
        let mut readable = false;
        for &byte in buf {
            let input = self.pair.terminal.line.lock().receive(byte);
            if !input.echo.is_empty() {
                self.pair.to_master(&input.echo);
            }
            readable |= input.readable;
            if let Some(signal) = input.signal {
                if let Some(group) = self.pair.terminal.jobs.lock().foreground() {
                    self.pair.signals.lock().push((signal, group));
                }
                readable = true;
            }
        }
        if readable {
            self.pair.slave_waiters.wake_all();
        }
        Ok(buf.len())
    }

    fn poll(&self) -> PollEvents {
        let mut events = PollEvents::POLLOUT | PollEvents::POLLWRNORM;
        if !self.pair.to_master.lock().is_empty() {
            events |= PollEvents::POLLIN | PollEvents::POLLRDNORM;
        }
        if self.pair.slave_hung_up() {
            events |= PollEvents::POLLHUP;
        }
        events
    }

    /// `TCGETS` and friends on the master act on the pair's terminal.
    fn terminal(&self) -> Option<&Terminal> {
        Some(&self.pair.terminal)
    }

    fn reads_terminal_input(&self) -> bool {
        false
    }

    fn pseudo_terminal(&self) -> Option<&PtyPair> {
        Some(&self.pair)
    }

    fn take_job_signals(&self) -> Vec<(JobSignal, i32)> {
        core::mem::take(&mut *self.pair.signals.lock())
    }

    fn wait_queue(&self) -> Option<Arc<dyn WaitQueue>> {
        Some(self.pair.master_waiters.clone())
    }
}

/// The slave side (`/dev/pts/N`): a terminal like the console. One per
/// open, so the pair knows when the last one closes.
struct PtySlave {
    pair: Arc<PtyPair>,
}

impl PtySlave {
    fn open(pair: Arc<PtyPair>) -> PtySlave {
        pair.slaves_open.fetch_add(1, Ordering::AcqRel);
        pair.slave_opened.store(true, Ordering::Release);
        PtySlave { pair }
    }
}

impl Drop for PtySlave {
    fn drop(&mut self) {
        if self.pair.slaves_open.fetch_sub(1, Ordering::AcqRel) == 1 {
            // A master reading or polling learns of the hangup.
            self.pair.master_waiters.wake_all();
        }
    }
}

impl File for PtySlave {
    fn read(&self, _offset: u64, buf: &mut [u8]) -> KernelResult<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let mut line = self.pair.terminal.line.lock();
        match line.read(buf) {
            ReadOutcome::Data(n) => Ok(n),
            ReadOutcome::EndOfFile => Ok(0),
            // The master is gone: end of file, as after a hangup.
            ReadOutcome::Empty if !self.pair.master_open.load(Ordering::Acquire) => Ok(0),
            ReadOutcome::Empty if !line.canonical() && line.min_and_time() == (0, 0) => Ok(0),
            ReadOutcome::Empty => Err(Errno::EAGAIN),
        }
    }

    fn write(&self, _offset: u64, buf: &[u8]) -> KernelResult<usize> {
        if !self.pair.master_open.load(Ordering::Acquire) {
            return Err(Errno::EIO);
        }
        let out = self.pair.terminal.line.lock().output(buf);
        self.pair.to_master(&out);
        Ok(buf.len())
    }

    fn poll(&self) -> PollEvents {
        let mut events = PollEvents::POLLOUT | PollEvents::POLLWRNORM;
        if self.pair.terminal.line.lock().readable() {
            events |= PollEvents::POLLIN | PollEvents::POLLRDNORM;
        }
        if !self.pair.master_open.load(Ordering::Acquire) {
            events |= PollEvents::POLLHUP;
        }
        events
    }

    fn terminal(&self) -> Option<&Terminal> {
        Some(&self.pair.terminal)
    }

    fn pseudo_terminal(&self) -> Option<&PtyPair> {
        Some(&self.pair)
    }

    fn wait_queue(&self) -> Option<Arc<dyn WaitQueue>> {
        Some(self.pair.slave_waiters.clone())
    }
}
