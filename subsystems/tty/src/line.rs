//! The line discipline (Linux's `N_TTY`): input editing, echo, character
//! translation and signal characters, from device bytes to what programs
//! read, and output post-processing the other way.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use crate::job::JobSignal;
use crate::termios::{self, Termios, cc, iflag, lflag, oflag};

/// Most bytes a canonical line or the raw queue holds (Linux's
/// `N_TTY_BUF_SIZE` less one for the line end): more input is dropped.
pub const BUFFER_SIZE: usize = 4095;

/// What one received byte did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Input {
    /// Bytes to write back to the device (already output-processed).
    pub echo: Vec<u8>,
    /// A signal for the foreground process group (`ISIG`).
    pub signal: Option<JobSignal>,
    /// Whether a reader waiting for input can now make progress.
    pub readable: bool,
}

/// What a read finds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadOutcome {
    /// This many bytes were copied.
    Data(usize),
    /// Nothing to read yet: block, or `EAGAIN` for a non-blocking reader.
    Empty,
    /// End of file: `VEOF` at the start of a line (the read returns 0).
    EndOfFile,
}

/// When a blocking read of a terminal completes (`VMIN`/`VTIME`,
/// termios(3)): the answer of [`LineDiscipline::read_wait`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadWait {
    /// Read now: the data is there, or the read returns what there is
    /// (possibly nothing: `VMIN` 0, or the `VTIME` timer ran out).
    Now,
    /// Sleep until input arrives.
    ForInput,
    /// Sleep until input arrives or the monotonic time (in nanoseconds)
    /// passes, then ask again.
    Until(u64),
}

/// One terminal's input queue and settings.
pub struct LineDiscipline {
    termios: Termios,
    /// The canonical line being edited.
    line: Vec<u8>,
    /// Completed canonical lines; an empty one is an end-of-file mark.
    lines: VecDeque<Vec<u8>>,
    /// Bytes readers may take in non-canonical mode.
    raw: VecDeque<u8>,
    /// The next byte is taken literally (after `VLNEXT`).
    literal_next: bool,
}

impl Default for LineDiscipline {
    fn default() -> Self {
        Self::new()
    }
}

fn is_control(byte: u8) -> bool {
    byte < 0x20 || byte == 0x7f
}

impl LineDiscipline {
    /// A terminal with Linux's default settings.
    pub fn new() -> Self {
        LineDiscipline {
            termios: termios::linux_default(),
            line: Vec::new(),
            lines: VecDeque::new(),
            raw: VecDeque::new(),
            literal_next: false,
        }
    }

    /// The current settings (`TCGETS`).
    pub fn termios(&self) -> Termios {
        self.termios
    }

    /// New settings (`TCSETS*`). Leaving canonical mode makes the line
    /// being edited and the completed lines readable as raw bytes;
    /// entering it keeps raw bytes readable as one completed line.
    pub fn set_termios(&mut self, new: Termios) {
        let was_canonical = self.canonical();
        self.termios = new;
        match (was_canonical, self.canonical()) {
            (true, false) => {
                for line in self.lines.drain(..) {
                    self.raw.extend(line);
                }
                self.raw.extend(self.line.drain(..));
            }
            (false, true) if !self.raw.is_empty() => {
                self.lines.push_back(self.raw.drain(..).collect());
            }
            _ => {}
        }
    }

    fn lflag(&self, flag: u32) -> bool {
        self.termios.lflag & flag != 0
    }

    fn iflag(&self, flag: u32) -> bool {
        self.termios.iflag & flag != 0
    }

    /// Whether the terminal is in canonical (line) mode.
    pub fn canonical(&self) -> bool {
        self.lflag(lflag::ICANON)
    }

    /// `TOSTOP`: background writers are stopped.
    pub fn stops_background_writes(&self) -> bool {
        self.lflag(lflag::TOSTOP)
    }

    /// `VMIN` and `VTIME` (tenths of a second): how a non-canonical read
    /// waits. The caller blocks until `VMIN` bytes are there (0: returns
    /// at once), with `VTIME` as the timeout (0: none).
    pub fn min_and_time(&self) -> (u8, u8) {
        (self.termios.cc[cc::VMIN], self.termios.cc[cc::VTIME])
    }

    /// When a blocking read of `requested` bytes, begun at `started_ns`,
    /// completes; `input_grew_ns` is when the queue last grew during the
    /// read (the inter-byte timer's start), `now_ns` the time now.
    ///
    /// Canonical: at a line (or end of file). Non-canonical, after
    /// termios(3): `VMIN` 0 `VTIME` 0 at once; `VMIN` 0 `VTIME` t when a
    /// byte is there or t tenths of a second after the read began;
    /// `VMIN` n `VTIME` 0 when min(n, requested) bytes are there; `VMIN` n
    /// `VTIME` t likewise, or t tenths after the last byte once one came.
    pub fn read_wait(
        &self,
        requested: usize,
        started_ns: u64,
        input_grew_ns: Option<u64>,
        now_ns: u64,
    ) -> ReadWait {
        if self.canonical() {
            return if self.readable() {
                ReadWait::Now
            } else {
                ReadWait::ForInput
            };
        }
        let (min, time) = self.min_and_time();
        let available = self.raw.len();
        let timeout = u64::from(time) * 100_000_000;
        let timer = |from: u64| {
            let deadline = from.saturating_add(timeout);
            if now_ns >= deadline {
                ReadWait::Now
            } else {
                ReadWait::Until(deadline)
            }
        };
        match (min, time) {
            (0, 0) => ReadWait::Now,
            (0, _) if available > 0 => ReadWait::Now,
            (0, _) => timer(started_ns),
            (min, _) if available >= usize::from(min).min(requested.max(1)) => ReadWait::Now,
            (_, 0) => ReadWait::ForInput,
            (_, _) if available == 0 => ReadWait::ForInput,
            (_, _) => timer(input_grew_ns.unwrap_or(started_ns)),
        }
    }

    /// Bytes a read could take now (`FIONREAD`): completed lines in
    /// canonical mode.
    pub fn available(&self) -> usize {
        if self.canonical() {
            self.lines.iter().map(Vec::len).sum()
        } else {
            self.raw.len()
        }
    }

    /// Whether a read would not block (`poll`'s `POLLIN`).
    pub fn readable(&self) -> bool {
        if self.canonical() {
            !self.lines.is_empty()
        } else {
            !self.raw.is_empty()
        }
    }

    /// Drops everything not yet read (`TCFLSH` of input, a signal
    /// character without `NOFLSH`).
    pub fn flush_input(&mut self) {
        self.line.clear();
        self.lines.clear();
        self.raw.clear();
        self.literal_next = false;
    }

    fn special(&self, slot: usize, byte: u8) -> bool {
        let value = self.termios.cc[slot];
        value != termios::DISABLED && value == byte
    }

    /// Output post-processing (`OPOST`): NL to CR-NL (`ONLCR`), CR to NL
    /// (`OCRNL`).
    pub fn output(&self, bytes: &[u8]) -> Vec<u8> {
        let oflag = self.termios.oflag;
        if oflag & oflag::OPOST == 0 {
            return bytes.to_vec();
        }
        let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 8);
        for &byte in bytes {
            match byte {
                b'\n' if oflag & oflag::ONLCR != 0 => out.extend_from_slice(b"\r\n"),
                b'\r' if oflag & oflag::OCRNL != 0 => out.push(b'\n'),
                _ => out.push(byte),
            }
        }
        out
    }

    /// How a byte is echoed: control characters as `^X` under `ECHOCTL`
    /// (tab and newline as themselves).
    fn echo_char(&self, byte: u8, echo: &mut Vec<u8>) {
        if self.lflag(lflag::ECHOCTL) && is_control(byte) && byte != b'\t' && byte != b'\n' {
            echo.push(b'^');
            echo.push(byte ^ 0x40);
        } else {
            echo.push(byte);
        }
    }

    /// How many columns `byte` took on screen when echoed.
    fn echo_width(&self, byte: u8) -> usize {
        if self.lflag(lflag::ECHOCTL) && is_control(byte) && byte != b'\t' {
            2
        } else {
            1
        }
    }

    /// Erases the last character of the line (a whole UTF-8 sequence
    /// under `IUTF8`), echoing its erasure under `ECHO`+`ECHOE`.
    fn erase_one(&mut self, echo: &mut Vec<u8>) -> bool {
        let Some(mut last) = self.line.pop() else {
            return false;
        };
        if self.iflag(iflag::IUTF8) {
            while last & 0xc0 == 0x80 {
                match self.line.pop() {
                    Some(byte) => last = byte,
                    None => break,
                }
            }
        }
        if self.lflag(lflag::ECHO) && self.lflag(lflag::ECHOE) {
            for _ in 0..self.echo_width(last) {
                echo.extend_from_slice(b"\x08 \x08");
            }
        }
        true
    }

    fn push_line_byte(&mut self, byte: u8) -> bool {
        if self.line.len() >= BUFFER_SIZE {
            return false;
        }
        self.line.push(byte);
        true
    }

    fn complete_line(&mut self) {
        let line = core::mem::take(&mut self.line);
        self.lines.push_back(line);
    }

    /// Takes one byte from the device.
    pub fn receive(&mut self, byte: u8) -> Input {
        let mut input = Input::default();
        let mut echo = Vec::new();
        let mut byte = byte;
        if self.iflag(iflag::ISTRIP) {
            byte &= 0x7f;
        }
        let echoing = self.lflag(lflag::ECHO);

        if core::mem::take(&mut self.literal_next) {
            // Taken as data, whatever it is; the `^` shown for VLNEXT goes.
            if echoing && self.lflag(lflag::ECHOCTL) {
                echo.push(0x08);
            }
            self.store(byte, echoing, &mut echo, &mut input);
            input.echo = self.output(&echo);
            return input;
        }

        if self.lflag(lflag::ISIG) {
            let signal = if self.special(cc::VINTR, byte) {
                Some(JobSignal::Interrupt)
            } else if self.special(cc::VQUIT, byte) {
                Some(JobSignal::Quit)
            } else if self.special(cc::VSUSP, byte) {
                Some(JobSignal::Suspend)
            } else {
                None
            };
            if let Some(signal) = signal {
                if !self.lflag(lflag::NOFLSH) {
                    self.flush_input();
                }
                if echoing {
                    self.echo_char(byte, &mut echo);
                }
                input.signal = Some(signal);
                input.echo = self.output(&echo);
                return input;
            }
        }

        if byte == b'\r' {
            if self.iflag(iflag::IGNCR) {
                return input;
            }
            if self.iflag(iflag::ICRNL) {
                byte = b'\n';
            }
        } else if byte == b'\n' && self.iflag(iflag::INLCR) {
            byte = b'\r';
        }

        if self.lflag(lflag::IEXTEN) && self.special(cc::VLNEXT, byte) {
            self.literal_next = true;
            if echoing && self.lflag(lflag::ECHOCTL) {
                echo.push(b'^');
            }
            input.echo = self.output(&echo);
            return input;
        }

        if self.canonical() {
            if self.special(cc::VERASE, byte) {
                self.erase_one(&mut echo);
            } else if self.lflag(lflag::IEXTEN) && self.special(cc::VWERASE, byte) {
                while self.line.last().is_some_and(|b| b.is_ascii_whitespace()) {
                    self.erase_one(&mut echo);
                }
                while self.line.last().is_some_and(|b| !b.is_ascii_whitespace()) {
                    self.erase_one(&mut echo);
                }
            } else if self.special(cc::VKILL, byte) {
                if echoing && self.lflag(lflag::ECHOKE) && self.lflag(lflag::ECHOE) {
                    while self.erase_one(&mut echo) {}
                } else {
                    self.line.clear();
                    if echoing {
                        self.echo_char(byte, &mut echo);
                    }
                    if self.lflag(lflag::ECHOK) {
                        echo.push(b'\n');
                    }
                }
            } else if self.lflag(lflag::IEXTEN) && self.special(cc::VREPRINT, byte) {
                if echoing {
                    self.echo_char(byte, &mut echo);
                    echo.push(b'\n');
                    for &b in &self.line.clone() {
                        self.echo_char(b, &mut echo);
                    }
                }
            } else if self.special(cc::VEOF, byte) {
                // The line goes to readers as it is, without the VEOF;
                // at the start of a line that is an empty read: EOF.
                self.complete_line();
                input.readable = true;
            } else if byte == b'\n' || self.special(cc::VEOL, byte) || self.special(cc::VEOL2, byte)
            {
                // The line end always fits: the buffer keeps room for it.
                self.line.push(byte);
                self.complete_line();
                if echoing || (byte == b'\n' && self.lflag(lflag::ECHONL)) {
                    self.echo_char(byte, &mut echo);
                }
                input.readable = true;
            } else {
                self.store(byte, echoing, &mut echo, &mut input);
            }
        } else {
            self.store(byte, echoing, &mut echo, &mut input);
        }
        input.echo = self.output(&echo);
        input
    }

    /// Stores a data byte: on the line being edited, or for raw readers.
    fn store(&mut self, byte: u8, echoing: bool, echo: &mut Vec<u8>, input: &mut Input) {
        let stored = if self.canonical() {
            self.push_line_byte(byte)
        } else if self.raw.len() < BUFFER_SIZE {
            self.raw.push_back(byte);
            input.readable = true;
            true
        } else {
            false
        };
        if stored && echoing {
            self.echo_char(byte, echo);
        }
    }

    /// Takes input for a reader: at most one line in canonical mode, what
    /// is there otherwise.
    pub fn read(&mut self, buffer: &mut [u8]) -> ReadOutcome {
        if self.canonical() {
            let Some(front) = self.lines.front_mut() else {
                return ReadOutcome::Empty;
            };
            if front.is_empty() {
                self.lines.pop_front();
                return ReadOutcome::EndOfFile;
            }
            let n = buffer.len().min(front.len());
            buffer[..n].copy_from_slice(&front[..n]);
            front.drain(..n);
            if front.is_empty() {
                self.lines.pop_front();
            }
            ReadOutcome::Data(n)
        } else {
            if self.raw.is_empty() {
                return ReadOutcome::Empty;
            }
            let n = buffer.len().min(self.raw.len());
            for (slot, byte) in buffer.iter_mut().zip(self.raw.drain(..n)) {
                *slot = byte;
            }
            ReadOutcome::Data(n)
        }
    }
}
