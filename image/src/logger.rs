//! The `log` backend: every record goes to the serial port and, once there
//! is one, the screen console.

use log::{LevelFilter, Log, Metadata, Record};

struct SerialLogger;

static LOGGER: SerialLogger = SerialLogger;

impl Log for SerialLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record<'_>) {
        if self.enabled(record.metadata()) {
            let line = format_args!("[{:>5}] {}\n", record.level(), record.args());
            arch::serial::write_fmt(line);
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
