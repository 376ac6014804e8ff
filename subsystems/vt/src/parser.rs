//! The escape-sequence parser: bytes as programs write them, applied to a
//! [`Screen`].

use alloc::vec::Vec;

use crate::screen::{Attributes, Screen};

/// Most parameters a control sequence keeps; later ones are dropped.
const MAX_PARAMS: usize = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Ground,
    Escape,
    /// `ESC (`, `ESC )` and friends: the next byte names a character set.
    Charset,
    /// A control sequence, `ESC [`.
    Csi,
    /// An operating-system command, `ESC ]`, ended by `BEL` or `ESC \`.
    Osc,
    OscEscape,
}

/// A virtual terminal: the parser state and its screen.
#[derive(Clone, Debug)]
pub struct Vt {
    /// The screen the sequences act on.
    pub screen: Screen,
    state: State,
    params: [u16; MAX_PARAMS],
    param_count: usize,
    /// `?` after `CSI`: a DEC private mode.
    private: bool,
    /// UTF-8: the code point so far and the continuation bytes still due.
    utf8: (u32, u8),
    replies: Vec<u8>,
}

impl Vt {
    /// A terminal of `cols` x `rows` characters.
    pub fn new(cols: usize, rows: usize) -> Vt {
        Vt {
            screen: Screen::new(cols, rows),
            state: State::Ground,
            params: [0; MAX_PARAMS],
            param_count: 0,
            private: false,
            utf8: (0, 0),
            replies: Vec::new(),
        }
    }

    /// Applies what a program wrote.
    pub fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.byte(byte);
        }
    }

    /// What the terminal answers to status requests (`ESC [ 6 n`, `ESC [ c`),
    /// to be delivered as input, as if typed.
    pub fn take_replies(&mut self) -> Vec<u8> {
        core::mem::take(&mut self.replies)
    }

    fn byte(&mut self, byte: u8) {
        // C0 controls act in every state but an OSC string (as on a VT102).
        if byte < 0x20 && !matches!(self.state, State::Osc | State::OscEscape) {
            self.control(byte);
            return;
        }
        match self.state {
            State::Ground => self.printable(byte),
            State::Escape => self.escape(byte),
            State::Charset => self.state = State::Ground,
            State::Csi => self.csi_byte(byte),
            State::Osc => match byte {
                0x07 => self.state = State::Ground,
                0x1b => self.state = State::OscEscape,
                _ => {}
            },
            State::OscEscape => {
                self.state = if byte == b'\\' {
                    State::Ground
                } else {
                    State::Osc
                }
            }
        }
    }

    fn control(&mut self, byte: u8) {
        let screen = &mut self.screen;
        match byte {
            0x08 => screen.backspace(),
            0x09 => screen.tab(),
            0x0a..=0x0c => screen.line_feed(),
            0x0d => screen.carriage_return(),
            // CAN and SUB abort a sequence.
            0x18 | 0x1a => self.state = State::Ground,
            0x1b => {
                self.state = State::Escape;
                self.utf8 = (0, 0);
            }
            // BEL and the rest: nothing to draw.
            _ => {}
        }
    }

    fn printable(&mut self, byte: u8) {
        let ch = match (byte, self.utf8.1) {
            (0x20..=0x7e, _) => {
                self.utf8 = (0, 0);
                byte as char
            }
            (0x7f, _) => return,
            (0x80..=0xbf, due) if due > 0 => {
                let code = (self.utf8.0 << 6) | u32::from(byte & 0x3f);
                self.utf8 = (code, due - 1);
                if due > 1 {
                    return;
                }
                char::from_u32(code).unwrap_or('?')
            }
            (0xc0..=0xdf, _) => {
                self.utf8 = (u32::from(byte & 0x1f), 1);
                return;
            }
            (0xe0..=0xef, _) => {
                self.utf8 = (u32::from(byte & 0x0f), 2);
                return;
            }
            (0xf0..=0xf7, _) => {
                self.utf8 = (u32::from(byte & 0x07), 3);
                return;
            }
            _ => {
                self.utf8 = (0, 0);
                '?'
            }
        };
        self.screen.put(ch);
    }

    fn escape(&mut self, byte: u8) {
        self.state = State::Ground;
        let screen = &mut self.screen;
        match byte {
            b'[' => {
                self.state = State::Csi;
                self.params = [0; MAX_PARAMS];
                self.param_count = 0;
                self.private = false;
            }
            b']' => self.state = State::Osc,
            b'(' | b')' | b'*' | b'+' => self.state = State::Charset,
            b'7' => screen.save_cursor(),
            b'8' => screen.restore_cursor(),
            b'D' => screen.line_feed(),
            b'E' => {
                screen.carriage_return();
                screen.line_feed();
            }
            b'M' => screen.reverse_index(),
            b'c' => screen.reset(),
            // Identify (DECID): the same answer as DA.
            b'Z' => self.replies.extend_from_slice(b"\x1b[?6c"),
            _ => {}
        }
    }

    fn csi_byte(&mut self, byte: u8) {
        match byte {
            b'0'..=b'9' => {
                if self.param_count == 0 {
                    self.param_count = 1;
                }
                if let Some(param) = self.params.get_mut(self.param_count - 1) {
                    *param = param
                        .saturating_mul(10)
                        .saturating_add(u16::from(byte - b'0'));
                }
            }
            b';' => {
                if self.param_count == 0 {
                    self.param_count = 1;
                }
                self.param_count += 1;
            }
            b'?' => self.private = true,
            // Other parameter and intermediate bytes: accepted, ignored.
            0x20..=0x3f => {}
            0x40..=0x7e => {
                self.state = State::Ground;
                self.csi_final(byte);
            }
            _ => self.state = State::Ground,
        }
    }

    /// Parameter `i`, with `default` for an absent or zero one.
    fn param(&self, i: usize, default: u16) -> usize {
        match self.params.get(i) {
            Some(&p) if i < self.param_count && p != 0 => usize::from(p),
            _ => usize::from(default),
        }
    }

    fn csi_final(&mut self, byte: u8) {
        if self.private {
            self.private_mode(byte);
            return;
        }
        let n = self.param(0, 1);
        let screen = &mut self.screen;
        let (x, y) = (screen.cursor.x, screen.cursor.y);
        match byte {
            b'A' => screen.move_by(0, -(n as isize)),
            b'B' | b'e' => screen.move_by(0, n as isize),
            b'C' | b'a' => screen.move_by(n as isize, 0),
            b'D' => screen.move_by(-(n as isize), 0),
            b'E' => screen.move_to(0, y + n),
            b'F' => screen.move_to(0, y.saturating_sub(n)),
            b'G' | b'`' => screen.move_to(n - 1, y),
            b'd' => screen.move_to(x, n - 1),
            b'H' | b'f' => {
                let column = self.param(1, 1);
                self.screen.move_to(column - 1, n - 1);
            }
            b'J' => screen.erase_display(self.params[0]),
            b'K' => screen.erase_line(self.params[0]),
            b'X' => screen.erase_chars(n),
            b'@' => screen.insert_chars(n),
            b'P' => screen.delete_chars(n),
            b'L' => screen.insert_lines(n),
            b'M' => screen.delete_lines(n),
            b'S' => screen.scroll_up(n),
            b'T' => screen.scroll_down(n),
            b'r' => {
                let rows = self.screen.rows();
                let top = self.param(0, 1);
                let bottom = self.param(1, rows as u16);
                self.screen.set_region(top - 1, bottom - 1);
            }
            b's' => screen.save_cursor(),
            b'u' => screen.restore_cursor(),
            b'm' => self.select_graphic_rendition(),
            b'n' => match self.params[0] {
                5 => self.replies.extend_from_slice(b"\x1b[0n"),
                6 => {
                    let reply = alloc::format!("\x1b[{};{}R", y + 1, x + 1);
                    self.replies.extend_from_slice(reply.as_bytes());
                }
                _ => {}
            },
            // Device attributes: a VT102, as the Linux console answers.
            b'c' => self.replies.extend_from_slice(b"\x1b[?6c"),
            _ => {}
        }
    }

    fn private_mode(&mut self, byte: u8) {
        let set = match byte {
            b'h' => true,
            b'l' => false,
            _ => return,
        };
        for i in 0..self.param_count.min(MAX_PARAMS) {
            match self.params[i] {
                7 => self.screen.auto_wrap = set,
                25 => self.screen.cursor_visible = set,
                _ => {}
            }
        }
    }

    fn select_graphic_rendition(&mut self) {
        let count = self.param_count.clamp(1, MAX_PARAMS);
        let attributes = &mut self.screen.cursor.attributes;
        let params = &self.params[..count];
        let mut i = 0;
        while i < params.len() {
            let p = params[i];
            i += 1;
            match p {
                0 => *attributes = Attributes::DEFAULT,
                1 => attributes.bold = true,
                7 => attributes.reverse = true,
                22 => attributes.bold = false,
                27 => attributes.reverse = false,
                30..=37 => attributes.fg = (p - 30) as u8,
                39 => attributes.fg = Attributes::DEFAULT.fg,
                40..=47 => attributes.bg = (p - 40) as u8,
                49 => attributes.bg = Attributes::DEFAULT.bg,
                90..=97 => attributes.fg = (p - 90 + 8) as u8,
                100..=107 => attributes.bg = (p - 100 + 8) as u8,
                // 256-colour and true-colour forms: skip their arguments.
                38 | 48 => i += if params.get(i) == Some(&2) { 4 } else { 2 },
                // Underline, blink, ...: not drawn.
                _ => {}
            }
        }
    }
}
