//! PS/2 key presses to the bytes a Linux console sends for them.

use alloc::vec::Vec;

use pc_keyboard::layouts::Us104Key;
use pc_keyboard::{
    DecodedKey, HandleControl, KeyCode, KeyState, PS2Keyboard as Ps2Keyboard, ScancodeSet1,
};

/// A US keyboard speaking scan code set 1 (the i8042 translates the
/// keyboard's set 2 to it by default).
pub struct Keyboard {
    decoder: Ps2Keyboard<Us104Key, ScancodeSet1>,
}

impl Default for Keyboard {
    fn default() -> Self {
        Keyboard::new()
    }
}

impl core::fmt::Debug for Keyboard {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Keyboard").finish_non_exhaustive()
    }
}

impl Keyboard {
    /// A keyboard with no keys held.
    pub const fn new() -> Keyboard {
        Keyboard {
            decoder: Ps2Keyboard::new(
                ScancodeSet1::new(),
                Us104Key,
                HandleControl::MapLettersToUnicode,
            ),
        }
    }

    /// Takes one scan-code byte; returns what the terminal receives when it
    /// completes a key press (nothing for releases, modifiers, and the first
    /// bytes of multi-byte codes).
    pub fn scancode(&mut self, byte: u8) -> Vec<u8> {
        let mut out = Vec::new();
        let Ok(Some(event)) = self.decoder.add_byte(byte) else {
            return out;
        };
        if event.state == KeyState::Down
            && let Some(sequence) = escape_sequence(event.code)
        {
            out.extend_from_slice(sequence);
            // Still feed it through, so the decoder tracks its state.
            let _ = self.decoder.process_keyevent(event);
            return out;
        }
        match self.decoder.process_keyevent(event) {
            Some(DecodedKey::Unicode(ch)) => {
                let ch = match ch {
                    // Backspace sends DEL (VERASE) and Enter CR (ICRNL makes
                    // it a newline), as Linux's console does.
                    '\u{8}' => '\u{7f}',
                    '\n' => '\r',
                    other => other,
                };
                let mut buffer = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buffer).as_bytes());
            }
            Some(DecodedKey::RawKey(code)) => {
                if let Some(sequence) = escape_sequence(code) {
                    out.extend_from_slice(sequence);
                }
            }
            None => {}
        }
        out
    }
}

/// The Linux console's sequences for keys that are not characters.
fn escape_sequence(code: KeyCode) -> Option<&'static [u8]> {
    Some(match code {
        KeyCode::ArrowUp => b"\x1b[A",
        KeyCode::ArrowDown => b"\x1b[B",
        KeyCode::ArrowRight => b"\x1b[C",
        KeyCode::ArrowLeft => b"\x1b[D",
        KeyCode::Home => b"\x1b[1~",
        KeyCode::Insert => b"\x1b[2~",
        KeyCode::Delete => b"\x1b[3~",
        KeyCode::End => b"\x1b[4~",
        KeyCode::PageUp => b"\x1b[5~",
        KeyCode::PageDown => b"\x1b[6~",
        KeyCode::F1 => b"\x1b[[A",
        KeyCode::F2 => b"\x1b[[B",
        KeyCode::F3 => b"\x1b[[C",
        KeyCode::F4 => b"\x1b[[D",
        KeyCode::F5 => b"\x1b[[E",
        KeyCode::F6 => b"\x1b[17~",
        KeyCode::F7 => b"\x1b[18~",
        KeyCode::F8 => b"\x1b[19~",
        KeyCode::F9 => b"\x1b[20~",
        KeyCode::F10 => b"\x1b[21~",
        KeyCode::F11 => b"\x1b[23~",
        KeyCode::F12 => b"\x1b[24~",
        _ => return None,
    })
}
