//! `/dev/kmsg`: the kernel log as records, one per `read`.
//!
//! The kernel keeps its log (the [`KernelLog`] seam); every open of the
//! device has its own position, a record sequence number. A `read` returns
//! the next record as Linux formats it, `"<priority>,<sequence>,
//! <microseconds>,-;<text>\n"`, or `EINVAL` when the buffer is too small
//! for it; with nothing new it is `EAGAIN` (the caller sleeps on the log's
//! wait queue unless non-blocking). A reader that fell behind the ring
//! gets `EPIPE` once and goes on from the oldest record, as on Linux. A
//! `write` adds a record: `"<N>text"` at level `N`, else at the default
//! level. `lseek(0, SEEK_SET)`/`SEEK_DATA` go back to the oldest record,
//! `SEEK_END` to after the newest.

use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;

use abi::{Errno, KernelResult};
use lock::Mutex;

use crate::device::CharacterDevice;
use crate::file::File;
use crate::types::{OpenFlags, PollEvents};
use crate::wait::WaitQueue;

/// One record of the kernel log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogRecord {
    /// Its sequence number (increasing by one per record).
    pub sequence: u64,
    /// Syslog priority (facility * 8 + level; the kernel's facility is 0).
    pub priority: u8,
    /// Monotonic microseconds when it was logged.
    pub timestamp_us: u64,
    /// The message, without a newline.
    pub text: String,
}

/// The kernel's log as `/dev/kmsg` sees it; the kernel implements it.
pub trait KernelLog: Send + Sync {
    /// The oldest record with a sequence number at or after `sequence`.
    fn record_from(&self, sequence: u64) -> Option<LogRecord>;
    /// The sequence number the next record will get.
    fn next_sequence(&self) -> u64;
    /// Logs `text` written by user space at syslog `level`.
    fn append(&self, level: u8, text: &str);
    /// Woken when records arrive; `None` if readers cannot sleep.
    fn wait_queue(&self) -> Option<Arc<dyn WaitQueue>>;
}

/// The character device; each open reads from the oldest record.
pub struct KmsgDevice {
    log: Arc<dyn KernelLog>,
}

impl KmsgDevice {
    /// A device over `log`.
    pub fn new(log: Arc<dyn KernelLog>) -> KmsgDevice {
        KmsgDevice { log }
    }
}

impl CharacterDevice for KmsgDevice {
    fn open(&self, _flags: OpenFlags) -> KernelResult<Arc<dyn File>> {
        let first = self
            .log
            .record_from(0)
            .map_or(self.log.next_sequence(), |r| r.sequence);
        Ok(Arc::new(KmsgFile {
            log: self.log.clone(),
            next: Mutex::new(first),
        }))
    }
}

/// One open of `/dev/kmsg`.
struct KmsgFile {
    log: Arc<dyn KernelLog>,
    /// The sequence number of the record the next read returns.
    next: Mutex<u64>,
}

/// The record at or after `sequence` in `text`, a log's newest complete
/// lines as `<priority>[ seconds.micros] message` each, the last of which
/// is line number `total - 1` (lines are numbered from the first ever
/// logged). For kernels that keep their log as text.
pub fn record_in_lines(text: &[u8], total: u64, sequence: u64) -> Option<LogRecord> {
    let text = String::from_utf8_lossy(text);
    let lines: alloc::vec::Vec<&str> = text.lines().collect();
    let first = total.saturating_sub(lines.len() as u64);
    let index = sequence.saturating_sub(first);
    let line = lines.get(usize::try_from(index).ok()?)?;
    let (priority, rest) = line
        .strip_prefix('<')
        .and_then(|r| r.split_once('>'))
        .map_or((6, *line), |(p, rest)| (p.parse().unwrap_or(6), rest));
    let (timestamp_us, message) = match rest.strip_prefix('[').and_then(|r| r.split_once("] ")) {
        Some((stamp, message)) => {
            let (seconds, micros) = stamp.trim().split_once('.').unwrap_or((stamp.trim(), "0"));
            let seconds = seconds.parse::<u64>().unwrap_or(0);
            (
                seconds * 1_000_000 + micros.parse::<u64>().unwrap_or(0),
                message,
            )
        }
        None => (0, rest),
    };
    Some(LogRecord {
        sequence: first + index,
        priority,
        timestamp_us,
        text: message.into(),
    })
}

/// A record as `/dev/kmsg` shows it.
pub fn format_record(record: &LogRecord) -> String {
    format!(
        "{},{},{},-;{}\n",
        record.priority, record.sequence, record.timestamp_us, record.text
    )
}

/// The level and text of a line written to `/dev/kmsg` (`"<3>boom"`);
/// lines without a prefix get Linux's default level, 4 (warning).
pub fn parse_written(line: &str) -> (u8, &str) {
    if let Some(rest) = line.strip_prefix('<')
        && let Some(end) = rest.find('>')
        && let Ok(priority) = rest[..end].parse::<u32>()
    {
        return ((priority & 7) as u8, &rest[end + 1..]);
    }
    (4, line)
}

impl File for KmsgFile {
    fn read(&self, _offset: u64, buf: &mut [u8]) -> KernelResult<usize> {
        let mut next = self.next.lock();
        let Some(record) = self.log.record_from(*next) else {
            return Err(Errno::EAGAIN);
        };
        if record.sequence > *next {
            // Records were overwritten before this reader saw them.
            *next = record.sequence;
            return Err(Errno::EPIPE);
        }
        let text = format_record(&record);
        if text.len() > buf.len() {
            return Err(Errno::EINVAL);
        }
        buf[..text.len()].copy_from_slice(text.as_bytes());
        *next = record.sequence + 1;
        Ok(text.len())
    }

    fn write(&self, _offset: u64, buf: &[u8]) -> KernelResult<usize> {
        let text = String::from_utf8_lossy(buf);
        let line = text.trim_end_matches('\n');
        let (level, message) = parse_written(line);
        self.log.append(level, message);
        Ok(buf.len())
    }

    fn ioctl(&self, _request: u32, _arg: usize) -> KernelResult<usize> {
        Err(Errno::ENOTTY)
    }

    fn poll(&self) -> PollEvents {
        let next = *self.next.lock();
        let mut events = PollEvents::POLLOUT | PollEvents::POLLWRNORM;
        if self.log.record_from(next).is_some() {
            events |= PollEvents::POLLIN | PollEvents::POLLRDNORM;
        }
        events
    }

    fn wait_queue(&self) -> Option<Arc<dyn WaitQueue>> {
        self.log.wait_queue()
    }

    fn seek_positions(&self, offset: i64, whence: u32) -> Option<KernelResult<u64>> {
        Some(self.seek(offset, whence))
    }
}

impl KmsgFile {
    /// `lseek`: 0 and `SEEK_SET`/`SEEK_DATA` to the oldest record,
    /// `SEEK_END` past the newest.
    pub fn seek(&self, offset: i64, whence: u32) -> KernelResult<u64> {
        const SEEK_SET: u32 = 0;
        const SEEK_END: u32 = 2;
        const SEEK_DATA: u32 = 3;
        if offset != 0 {
            return Err(Errno::ESPIPE);
        }
        let mut next = self.next.lock();
        *next = match whence {
            SEEK_SET | SEEK_DATA => self
                .log
                .record_from(0)
                .map_or(self.log.next_sequence(), |record| record.sequence),
            SEEK_END => self.log.next_sequence(),
            _ => return Err(Errno::EINVAL),
        };
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use alloc::vec::Vec;

    #[derive(Default)]
    struct Ring {
        records: Mutex<Vec<LogRecord>>,
    }

    impl KernelLog for Ring {
        fn record_from(&self, sequence: u64) -> Option<LogRecord> {
            self.records
                .lock()
                .iter()
                .find(|r| r.sequence >= sequence)
                .cloned()
        }
        fn next_sequence(&self) -> u64 {
            self.records.lock().last().map_or(0, |r| r.sequence + 1)
        }
        fn append(&self, level: u8, text: &str) {
            let sequence = self.next_sequence();
            self.records.lock().push(LogRecord {
                sequence,
                priority: level,
                timestamp_us: 1000 * sequence,
                text: text.into(),
            });
        }
        fn wait_queue(&self) -> Option<Arc<dyn WaitQueue>> {
            None
        }
    }

    fn read_text(file: &Arc<dyn File>) -> KernelResult<String> {
        let mut buf = [0u8; 256];
        let n = file.read(0, &mut buf)?;
        Ok(String::from_utf8_lossy(&buf[..n]).into_owned())
    }

    #[test]
    fn reads_one_record_each_in_linux_format_and_writes_append() {
        let ring = Arc::new(Ring::default());
        ring.append(6, "booted");
        let device = KmsgDevice::new(ring.clone());
        let file = device.open(OpenFlags::empty()).unwrap();
        assert_eq!(read_text(&file).unwrap(), "6,0,0,-;booted\n");
        assert_eq!(read_text(&file), Err(Errno::EAGAIN));
        assert!(!file.poll().contains(PollEvents::POLLIN));
        assert_eq!(file.write(0, b"<3>disk on fire\n").unwrap(), 16);
        assert_eq!(file.write(0, b"plain").unwrap(), 5);
        assert!(file.poll().contains(PollEvents::POLLIN));
        assert_eq!(read_text(&file).unwrap(), "3,1,1000,-;disk on fire\n");
        assert_eq!(read_text(&file).unwrap(), "4,2,2000,-;plain\n");
        let mut tiny = [0u8; 4];
        let other = device.open(OpenFlags::empty()).unwrap();
        assert_eq!(other.read(0, &mut tiny), Err(Errno::EINVAL));
    }

    #[test]
    fn records_are_numbered_from_the_first_line_ever_logged() {
        let text = b"<6>[    1.000020] booted\n<3>[   12.500000] disk on fire\nbare\n";
        // Five lines logged in all: the three kept are numbers 2, 3 and 4.
        let record = record_in_lines(text, 5, 0).unwrap();
        assert_eq!((record.sequence, record.priority), (2, 6));
        assert_eq!(
            (record.timestamp_us, record.text.as_str()),
            (1_000_020, "booted")
        );
        let record = record_in_lines(text, 5, 3).unwrap();
        assert_eq!((record.priority, record.timestamp_us), (3, 12_500_000));
        assert_eq!(record_in_lines(text, 5, 4).unwrap().text, "bare");
        assert_eq!(record_in_lines(text, 5, 5), None);
    }

    #[test]
    fn a_reader_behind_the_ring_gets_epipe_once() {
        let ring = Arc::new(Ring::default());
        ring.append(6, "a");
        ring.append(6, "b");
        let file = KmsgFile {
            log: ring.clone(),
            next: Mutex::new(0),
        };
        ring.records.lock().remove(0);
        let mut buf = [0u8; 64];
        assert_eq!(file.read(0, &mut buf), Err(Errno::EPIPE));
        assert!(file.read(0, &mut buf).is_ok());
        assert_eq!(file.seek(0, 0), Ok(0));
        assert_eq!(*file.next.lock(), 1);
        assert_eq!(file.seek(0, 2), Ok(0));
        assert_eq!(*file.next.lock(), 2);
        assert_eq!(parse_written("<14>x"), (6, "x"));
        assert_eq!(parse_written("<x>y"), (4, "<x>y"));
    }
}
