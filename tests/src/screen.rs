//! Looking at and typing on the screen console from the host: QEMU's
//! human monitor (`sendkey`, `screendump`) and a reader that turns a
//! screen dump back into text with the kernel's own font.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use vt::font::{CELL_HEIGHT, CELL_WIDTH, glyph};
use vt::render::blend;
use vt::screen::{DEFAULT_BG, DEFAULT_FG, PALETTE};

/// A connection to QEMU's human monitor on a Unix socket.
pub struct Monitor {
    stream: UnixStream,
}

impl Monitor {
    /// Connects to the monitor socket at `path`, retrying until `timeout`
    /// while QEMU starts.
    pub fn connect(path: &Path, timeout: Duration) -> std::io::Result<Monitor> {
        let start = Instant::now();
        loop {
            match UnixStream::connect(path) {
                Ok(stream) => {
                    stream.set_read_timeout(Some(Duration::from_millis(200)))?;
                    let mut monitor = Monitor { stream };
                    monitor.drain();
                    return Ok(monitor);
                }
                Err(error) if start.elapsed() >= timeout => return Err(error),
                Err(_) => thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    fn drain(&mut self) {
        let mut buffer = [0u8; 4096];
        while matches!(self.stream.read(&mut buffer), Ok(n) if n > 0) {}
    }

    /// Runs one monitor command and waits for QEMU to take it.
    pub fn command(&mut self, command: &str) -> std::io::Result<()> {
        self.stream.write_all(format!("{command}\n").as_bytes())?;
        thread::sleep(Duration::from_millis(30));
        self.drain();
        Ok(())
    }

    /// Presses and releases one key (QEMU's names: `a`, `ret`, `ctrl-c`).
    pub fn key(&mut self, key: &str) -> std::io::Result<()> {
        self.command(&format!("sendkey {key}"))
    }

    /// Types `text` on a US keyboard, key by key.
    pub fn type_text(&mut self, text: &str) -> std::io::Result<()> {
        for ch in text.chars() {
            self.key(&key_name(ch).unwrap_or_else(|| panic!("no key types {ch:?}")))?;
        }
        Ok(())
    }

    /// Saves the screen as a PPM file at `path`.
    pub fn screendump(&mut self, path: &Path) -> std::io::Result<()> {
        let _ = std::fs::remove_file(path);
        self.command(&format!("screendump {}", path.display()))?;
        let start = Instant::now();
        while !path.exists() && start.elapsed() < Duration::from_secs(5) {
            thread::sleep(Duration::from_millis(50));
        }
        thread::sleep(Duration::from_millis(100));
        Ok(())
    }
}

/// QEMU's `sendkey` name for the key that types `ch` on a US layout.
fn key_name(ch: char) -> Option<String> {
    const SHIFTED: &[(char, &str)] = &[
        ('!', "1"),
        ('@', "2"),
        ('#', "3"),
        ('$', "4"),
        ('%', "5"),
        ('^', "6"),
        ('&', "7"),
        ('*', "8"),
        ('(', "9"),
        (')', "0"),
        ('_', "minus"),
        ('+', "equal"),
        (':', "semicolon"),
        ('"', "apostrophe"),
        ('<', "comma"),
        ('>', "dot"),
        ('?', "slash"),
        ('|', "backslash"),
        ('~', "grave_accent"),
    ];
    const PLAIN: &[(char, &str)] = &[
        (' ', "spc"),
        ('\n', "ret"),
        ('-', "minus"),
        ('=', "equal"),
        (';', "semicolon"),
        ('\'', "apostrophe"),
        (',', "comma"),
        ('.', "dot"),
        ('/', "slash"),
        ('\\', "backslash"),
        ('`', "grave_accent"),
    ];
    if ch.is_ascii_lowercase() || ch.is_ascii_digit() {
        return Some(ch.to_string());
    }
    if ch.is_ascii_uppercase() {
        return Some(format!("shift-{}", ch.to_ascii_lowercase()));
    }
    if let Some((_, name)) = PLAIN.iter().find(|(c, _)| *c == ch) {
        return Some(name.to_string());
    }
    SHIFTED
        .iter()
        .find(|(c, _)| *c == ch)
        .map(|(_, name)| format!("shift-{name}"))
}

/// Reads the text of a screen dump (binary PPM) drawn by the screen
/// console: each character cell is compared with every printable ASCII
/// glyph in the default colours. Cells that match none (the cursor,
/// coloured text) read as `#`. Rows come back with trailing blanks removed.
pub fn read_screen(ppm: &Path) -> std::io::Result<Vec<String>> {
    let bytes = std::fs::read(ppm)?;
    let (width, height, pixels) = parse_ppm(&bytes)
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "not a binary PPM"))?;
    let (fg, bg) = (PALETTE[DEFAULT_FG as usize], PALETTE[DEFAULT_BG as usize]);
    let cell_matches = |x: usize, y: usize, ch: char| {
        let glyph = glyph(ch);
        (0..CELL_HEIGHT).all(|row| {
            (0..CELL_WIDTH).all(|col| {
                let at = ((y * CELL_HEIGHT + row) * width + x * CELL_WIDTH + col) * 3;
                let want = blend(fg, bg, glyph[row * CELL_WIDTH + col]);
                pixels[at..at + 3] == [want.r, want.g, want.b]
            })
        })
    };
    let (cols, rows) = (width / CELL_WIDTH, height / CELL_HEIGHT);
    Ok((0..rows)
        .map(|y| {
            let row: String = (0..cols)
                .map(|x| {
                    (' '..='~')
                        .find(|&ch| cell_matches(x, y, ch))
                        .unwrap_or('#')
                })
                .collect();
            row.trim_end().to_string()
        })
        .collect())
}

/// Splits a `P6` PPM with 8-bit channels into width, height and pixels.
fn parse_ppm(bytes: &[u8]) -> Option<(usize, usize, &[u8])> {
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while bytes.get(at)?.is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !bytes.get(at)?.is_ascii_whitespace() {
            at += 1;
        }
        fields.push(std::str::from_utf8(&bytes[start..at]).ok()?);
    }
    let pixels = &bytes[at + 1..];
    let (width, height) = (fields[1].parse().ok()?, fields[2].parse().ok()?);
    (fields[0] == "P6" && fields[3] == "255" && pixels.len() >= width * height * 3)
        .then_some((width, height, pixels))
}
