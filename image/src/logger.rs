//! The `log` backend: every record goes to the serial port and, once there
//! is one, the screen console, if its level is shown there (`log=`,
//! `quiet`); records up to `info` also go to the kernel log ring that
//! `dmesg` reads (`syslog(2)`), whatever the console shows.

use core::sync::atomic::{AtomicUsize, Ordering};

use arch::sync::IrqMutex;
use log::{LevelFilter, Log, Metadata, Record};

struct SerialLogger;

/// The most verbose level the consoles show (a `LevelFilter` as usize).
static CONSOLE_LEVEL: AtomicUsize = AtomicUsize::new(LevelFilter::Info as usize);

/// Bytes the kernel log ring keeps (Linux's default `log_buf_len` is 128 KiB
/// on many configurations; this is enough for a boot and a test run's
/// warnings).
pub const RING_CAPACITY: usize = 64 * 1024;

/// The kernel log: the newest `RING_CAPACITY` bytes of `<level>[time] text`
/// lines, as `syslog(2)` returns them.
struct Ring {
    bytes: [u8; RING_CAPACITY],
    /// Where the next byte goes.
    head: usize,
    /// Bytes held (at most the capacity).
    len: usize,
    /// Lines ever written: the next line's sequence number (`/dev/kmsg`).
    lines: u64,
}

static RING: IrqMutex<Ring> = IrqMutex::new(Ring {
    bytes: [0; RING_CAPACITY],
    head: 0,
    len: 0,
    lines: 0,
});

/// Set when a line is logged, cleared by the timer tick, which then wakes
/// `/dev/kmsg` readers: the logger runs in any context (interrupts, under
/// the scheduler's lock), where waking a queue is not allowed.
static NEW_LINES: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// Where `/dev/kmsg` readers sleep.
static READERS: spin::Once<alloc::sync::Arc<crate::task::WaitQueue>> = spin::Once::new();

/// From the timer tick: wakes `/dev/kmsg` readers if lines came since.
pub fn wake_readers() {
    if NEW_LINES.swap(false, Ordering::Relaxed)
        && let Some(readers) = READERS.get()
    {
        readers.wake_all();
    }
}

/// The kernel log as `/dev/kmsg` reads it: the ring's complete lines,
/// numbered by the ring's line count.
pub struct KmsgLog;

impl KmsgLog {
    /// The ring's complete lines with their sequence numbers.
    fn lines() -> (u64, alloc::vec::Vec<u8>) {
        let total = RING.lock().lines;
        let text = kernel_log();
        (total, text)
    }
}

impl fs::devices::kmsg::KernelLog for KmsgLog {
    fn record_from(&self, sequence: u64) -> Option<fs::devices::kmsg::LogRecord> {
        let (total, text) = Self::lines();
        fs::devices::kmsg::record_in_lines(&text, total, sequence)
    }

    fn next_sequence(&self) -> u64 {
        RING.lock().lines
    }

    fn append(&self, level: u8, text: &str) {
        // Kept at the level written; warnings and worse also go to the
        // console when it shows them, as Linux prints by console level.
        record_in_ring(level, format_args!("{text}"));
        if level <= 4 && LevelFilter::Warn as usize <= CONSOLE_LEVEL.load(Ordering::Relaxed) {
            arch::serial::write_fmt(format_args!("[kmsg] {text}\n"));
        }
    }

    fn wait_queue(&self) -> Option<alloc::sync::Arc<dyn fs::WaitQueue>> {
        let queue = READERS.call_once(|| alloc::sync::Arc::new(crate::task::WaitQueue::new()));
        Some(queue.clone())
    }
}

/// Appends one `<level>[time] text` line to the ring.
fn record_in_ring(level: u8, text: core::fmt::Arguments<'_>) {
    let now = crate::time::now_ns();
    let mut ring = RING.lock();
    let _ = core::fmt::Write::write_fmt(
        &mut *ring,
        format_args!(
            "<{}>[{:5}.{:06}] {}\n",
            level,
            now / 1_000_000_000,
            now / 1000 % 1_000_000,
            text
        ),
    );
    drop(ring);
    NEW_LINES.store(true, Ordering::Relaxed);
}

impl core::fmt::Write for Ring {
    fn write_str(&mut self, text: &str) -> core::fmt::Result {
        for &byte in text.as_bytes() {
            if byte == b'\n' {
                self.lines += 1;
            }
            self.bytes[self.head] = byte;
            self.head = (self.head + 1) % RING_CAPACITY;
            self.len = (self.len + 1).min(RING_CAPACITY);
        }
        Ok(())
    }
}

/// The kernel log's lines, oldest first (a first line cut by wrapping is
/// dropped).
pub fn kernel_log() -> alloc::vec::Vec<u8> {
    let ring = RING.lock();
    let start = (ring.head + RING_CAPACITY - ring.len) % RING_CAPACITY;
    let mut out = alloc::vec::Vec::with_capacity(ring.len);
    for i in 0..ring.len {
        out.push(ring.bytes[(start + i) % RING_CAPACITY]);
    }
    drop(ring);
    if out.len() == RING_CAPACITY
        && let Some(newline) = out.iter().position(|&b| b == b'\n')
    {
        out.drain(..=newline);
    }
    out
}

/// Empties the kernel log (`syslog` clear).
pub fn clear_kernel_log() {
    RING.lock().len = 0;
}

/// The syslog priority Linux prints as `<n>`.
fn syslog_level(level: log::Level) -> u8 {
    match level {
        log::Level::Error => 3,
        log::Level::Warn => 4,
        log::Level::Info => 6,
        log::Level::Debug | log::Level::Trace => 7,
    }
}

/// Lines logged before the screen console exists (the boot banner, the
/// memory map), replayed onto it when it starts; at most this many bytes.
const EARLY_CAPACITY: usize = 8192;

/// The early lines, until they are replayed.
struct EarlyLog {
    bytes: [u8; EARLY_CAPACITY],
    len: usize,
    replayed: bool,
}

static EARLY: IrqMutex<EarlyLog> = IrqMutex::new(EarlyLog {
    bytes: [0; EARLY_CAPACITY],
    len: 0,
    replayed: false,
});

impl core::fmt::Write for EarlyLog {
    fn write_str(&mut self, text: &str) -> core::fmt::Result {
        let n = text.len().min(EARLY_CAPACITY - self.len);
        self.bytes[self.len..self.len + n].copy_from_slice(&text.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

/// Draws the lines logged before the screen existed onto it, once.
pub fn replay_early_lines() {
    let mut early = EARLY.lock();
    if early.replayed {
        return;
    }
    early.replayed = true;
    let bytes = &early.bytes[..early.len];
    // A line cut at the capacity may end inside a character.
    let text = match core::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => core::str::from_utf8(&bytes[..error.valid_up_to()]).unwrap_or(""),
    };
    crate::screen::write_log(format_args!("{text}"));
}

static LOGGER: SerialLogger = SerialLogger;

impl Log for SerialLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record<'_>) {
        if record.level() <= LevelFilter::Info {
            record_in_ring(syslog_level(record.level()), *record.args());
        }
        let shown = record.level() as usize <= CONSOLE_LEVEL.load(Ordering::Relaxed);
        if self.enabled(record.metadata()) && shown {
            let line = format_args!("[{:>5}] {}\n", record.level(), record.args());
            arch::serial::write_fmt(line);
            {
                let mut early = EARLY.lock();
                if !early.replayed {
                    let _ = core::fmt::Write::write_fmt(&mut *early, line);
                    return;
                }
            }
            crate::screen::write_log(line);
        }
    }

    fn flush(&self) {}
}

/// Installs the serial logger with `level` as the most verbose level shown.
pub fn init(level: LevelFilter) {
    // Fails only if a logger is already set, which is then the one we want.
    let _ = log::set_logger(&LOGGER);
    CONSOLE_LEVEL.store(level as usize, Ordering::Relaxed);
    // Info and up always reach the kernel log, whatever the console shows.
    log::set_max_level(level.max(LevelFilter::Info));
}
