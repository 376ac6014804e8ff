//! The `log` backend: every record goes to the serial port and, once there
//! is one, the screen console.

use arch::sync::IrqMutex;
use log::{LevelFilter, Log, Metadata, Record};

struct SerialLogger;

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
        if self.enabled(record.metadata()) {
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
    log::set_max_level(level);
}
