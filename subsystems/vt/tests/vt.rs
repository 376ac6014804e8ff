//! The console as programs and users meet it: what written bytes leave on
//! the screen, the pixels that shows, and what keys send.

use vt::font::{CELL_HEIGHT, CELL_WIDTH};
use vt::render::{Geometry, blend};
use vt::screen::PALETTE;
use vt::{Keyboard, PixelFormat, Renderer, Vt};

fn screen_after(cols: usize, rows: usize, bytes: &[u8]) -> Vt {
    let mut vt = Vt::new(cols, rows);
    vt.write(bytes);
    vt
}

fn rows(vt: &Vt) -> Vec<String> {
    (0..vt.screen.rows())
        .map(|y| vt.screen.row_text(y))
        .collect()
}

#[test]
fn text_wraps_at_the_margin_and_scrolls_at_the_bottom() {
    let vt = screen_after(4, 2, b"abcdef\r\nxy\r\nz");
    assert_eq!(rows(&vt), ["xy", "z"]);
    let vt = screen_after(4, 3, b"abcd");
    // The last column written: the cursor waits there until the next char.
    assert_eq!((vt.screen.cursor.x, vt.screen.cursor.y), (3, 0));
    assert_eq!(rows(&vt), ["abcd", "", ""]);
}

#[test]
fn backspace_carriage_return_and_tabs_move_the_cursor() {
    let vt = screen_after(20, 2, b"abc\x08X\rY\tZ");
    assert_eq!(rows(&vt)[0], "YbX     Z");
}

#[test]
fn cursor_addressing_and_erasing_follow_ecma_48() {
    // vi-style: clear, home, write at row 2 col 3, erase to end of line.
    let vt = screen_after(
        10,
        3,
        b"0123456789\x1b[2J\x1b[H\x1b[2;3Hhello\x1b[2;5H\x1b[K",
    );
    assert_eq!(rows(&vt), ["", "  he", ""]);
    let vt = screen_after(6, 2, b"abcdef\x1b[1;3H\x1b[1K");
    assert_eq!(rows(&vt)[0], "   def");
    let vt = screen_after(6, 2, b"abcdef\x1b[1;2H\x1b[2X");
    assert_eq!(rows(&vt)[0], "a  def");
    // Relative moves clamp at the edges.
    let vt = screen_after(5, 3, b"\x1b[10B\x1b[10Cx\x1b[99A\x1b[2Dy");
    assert_eq!(rows(&vt), ["  y", "", "    x"]);
}

#[test]
fn inserting_and_deleting_characters_and_lines() {
    let vt = screen_after(6, 1, b"abcdef\x1b[1;2H\x1b[2@");
    assert_eq!(rows(&vt)[0], "a  bcd");
    let vt = screen_after(6, 1, b"abcdef\x1b[1;2H\x1b[2P");
    assert_eq!(rows(&vt)[0], "adef");
    let vt = screen_after(3, 3, b"1\r\n2\r\n3\x1b[2;1H\x1b[L");
    assert_eq!(rows(&vt), ["1", "", "2"]);
    let vt = screen_after(3, 3, b"1\r\n2\r\n3\x1b[1;1H\x1b[M");
    assert_eq!(rows(&vt), ["2", "3", ""]);
}

#[test]
fn a_scrolling_region_keeps_the_rows_outside_it() {
    // A status line at the bottom stays while rows 1-2 scroll.
    let vt = screen_after(8, 3, b"\x1b[3;1Hstatus\x1b[1;2r\x1b[2;1Ha\r\nb\r\nc");
    assert_eq!(rows(&vt), ["b", "c", "status"]);
    // Reverse index at the region's top scrolls it down.
    let vt = screen_after(4, 3, b"1\r\n2\r\n3\x1b[1;1H\x1bM");
    assert_eq!(rows(&vt), ["", "1", "2"]);
}

#[test]
fn saved_cursor_and_reset() {
    let vt = screen_after(6, 2, b"ab\x1b7\x1b[2;5Hx\x1b8c");
    assert_eq!(rows(&vt), ["abc", "    x"]);
    let vt = screen_after(6, 2, b"junk\x1b[31m\x1bcok");
    assert_eq!(rows(&vt), ["ok", ""]);
    assert_eq!(vt.screen.cell(0, 0).fg, PALETTE[7]);
}

#[test]
fn colours_bold_and_reverse() {
    let vt = screen_after(
        8,
        1,
        b"\x1b[31;44mr\x1b[1mB\x1b[0;7mv\x1b[92mg\x1b[38;5;200mx\x1b[m.",
    );
    let cell = |x| vt.screen.cell(x, 0);
    assert_eq!((cell(0).fg, cell(0).bg), (PALETTE[1], PALETTE[4]));
    assert_eq!(cell(1).fg, PALETTE[9], "bold draws the bright colour");
    assert_eq!((cell(2).fg, cell(2).bg), (PALETTE[0], PALETTE[7]));
    assert_eq!(cell(3).bg, PALETTE[10], "reverse swaps the bright green");
    // The 256-colour form is skipped whole, not read as SGR 5 and 200.
    assert_eq!(cell(4).bg, PALETTE[10]);
    assert_eq!((cell(5).fg, cell(5).bg), (PALETTE[7], PALETTE[0]));
    // Erasing uses the current background.
    let vt = screen_after(3, 1, b"\x1b[41m\x1b[2K");
    assert_eq!(vt.screen.cell(2, 0).bg, PALETTE[1]);
}

#[test]
fn status_reports_come_back_as_input() {
    let mut vt = screen_after(80, 24, b"\x1b[5;10H\x1b[6n\x1b[c");
    assert_eq!(vt.take_replies(), b"\x1b[5;10R\x1b[?6c");
    assert!(vt.take_replies().is_empty());
}

#[test]
fn utf8_osc_and_cursor_visibility() {
    let vt = screen_after(8, 1, "é\x1b]0;title\x07x\x1b[?25l".as_bytes());
    assert_eq!(rows(&vt)[0], "éx");
    assert!(!vt.screen.cursor_visible);
    // A broken sequence never panics and leaves printable text.
    let vt = screen_after(
        8,
        1,
        b"\xff\x80\x1b[99999999999;;;;;;;;;;;;;;;;;;;;;;;;;;Hok",
    );
    assert!(rows(&vt)[0].ends_with("ok"));
}

fn geometry(cols: usize, rows: usize) -> Geometry {
    Geometry {
        width: cols * CELL_WIDTH,
        height: rows * CELL_HEIGHT,
        pitch: cols * CELL_WIDTH * 4 + 12,
        format: PixelFormat::XRGB8888,
    }
}

/// Reads back the character at a cell by comparing its pixels with every
/// printable ASCII glyph in the default colours.
fn ocr(pixels: &[u8], g: Geometry, x: usize, y: usize) -> Option<char> {
    (' '..='~').find(|&ch| {
        let glyph = vt::font::glyph(ch);
        (0..CELL_HEIGHT).all(|row| {
            (0..CELL_WIDTH).all(|col| {
                let at = (y * CELL_HEIGHT + row) * g.pitch + (x * CELL_WIDTH + col) * 4;
                let value = u32::from_le_bytes(pixels[at..at + 4].try_into().unwrap());
                let want = blend(PALETTE[7], PALETTE[0], glyph[row * CELL_WIDTH + col]);
                value == g.format.encode(want)
            })
        })
    })
}

fn ocr_row(pixels: &[u8], g: Geometry, y: usize) -> String {
    let (cols, _) = g.text_size();
    (0..cols)
        .map(|x| ocr(pixels, g, x, y).unwrap_or('#'))
        .collect::<String>()
        .trim_end()
        .into()
}

#[test]
fn rendered_pixels_read_back_as_the_text() {
    let g = geometry(10, 3);
    let mut pixels = vec![0u8; g.pitch * g.height];
    let mut vt = Vt::new(10, 3);
    vt.write(b"hello\r\nworld\x1b[?25l");
    let mut renderer = Renderer::new(g);
    renderer.render(&mut vt.screen, &mut pixels);
    assert_eq!(ocr_row(&pixels, g, 0), "hello");
    assert_eq!(ocr_row(&pixels, g, 1), "world");
    assert_eq!(ocr_row(&pixels, g, 2), "");
}

#[test]
fn a_scrolled_screen_draws_the_same_as_one_drawn_afresh() {
    let g = geometry(6, 4);
    let mut scrolled = vec![0u8; g.pitch * g.height];
    let mut vt = Vt::new(6, 4);
    let mut renderer = Renderer::new(g);
    for line in 0..9 {
        vt.write(format!("l{line}\r\n").as_bytes());
        renderer.render(&mut vt.screen, &mut scrolled);
    }
    let mut fresh = vec![0u8; g.pitch * g.height];
    Renderer::new(g).render(&mut vt.screen.clone(), &mut fresh);
    assert_eq!(ocr_row(&scrolled, g, 0), "l6");
    assert_eq!(ocr_row(&scrolled, g, 2), "l8");
    assert!(
        scrolled == fresh,
        "scrolling by moving pixels left a difference"
    );
}

#[test]
fn the_cursor_is_drawn_inverted_and_erased_when_it_moves() {
    let g = geometry(4, 1);
    let mut pixels = vec![0u8; g.pitch * g.height];
    let mut vt = Vt::new(4, 1);
    let mut renderer = Renderer::new(g);
    renderer.render(&mut vt.screen, &mut pixels);
    // An inverted blank: the cursor cell is all foreground.
    let fg = g.format.encode(PALETTE[7]);
    assert_eq!(u32::from_le_bytes(pixels[0..4].try_into().unwrap()), fg);
    vt.write(b"ab");
    renderer.render(&mut vt.screen, &mut pixels);
    assert_eq!(ocr(&pixels, g, 0, 0), Some('a'));
    assert_eq!(ocr(&pixels, g, 1, 0), Some('b'));
}

#[test]
fn sixteen_bit_pixels_are_packed_as_described() {
    let rgb565 = PixelFormat {
        bytes_per_pixel: 2,
        red: (11, 5),
        green: (5, 6),
        blue: (0, 5),
    };
    assert_eq!(rgb565.encode(vt::Color::rgb(0xff, 0xff, 0xff)), 0xffff);
    assert_eq!(rgb565.encode(vt::Color::rgb(0xff, 0, 0)), 0xf800);
    assert_eq!(
        PixelFormat::XRGB8888.encode(vt::Color::rgb(1, 2, 3)),
        0x010203
    );
}

fn typed(keyboard: &mut Keyboard, codes: &[u8]) -> Vec<u8> {
    codes.iter().flat_map(|&c| keyboard.scancode(c)).collect()
}

#[test]
fn keys_send_what_a_linux_console_sends() {
    let mut k = Keyboard::new();
    // a, release; shift+a; enter; backspace.
    assert_eq!(typed(&mut k, &[0x1e, 0x9e]), b"a");
    assert_eq!(typed(&mut k, &[0x2a, 0x1e, 0x9e, 0xaa]), b"A");
    assert_eq!(typed(&mut k, &[0x1c, 0x9c]), b"\r");
    assert_eq!(typed(&mut k, &[0x0e, 0x8e]), b"\x7f");
    // Ctrl+C is ETX; Ctrl+Z SUB.
    assert_eq!(typed(&mut k, &[0x1d, 0x2e, 0xae, 0x9d]), b"\x03");
    assert_eq!(typed(&mut k, &[0x1d, 0x2c, 0xac, 0x9d]), b"\x1a");
    // Extended keys: up arrow, delete, and the escape key.
    assert_eq!(typed(&mut k, &[0xe0, 0x48, 0xe0, 0xc8]), b"\x1b[A");
    assert_eq!(typed(&mut k, &[0xe0, 0x53, 0xe0, 0xd3]), b"\x1b[3~");
    assert_eq!(typed(&mut k, &[0x01, 0x81]), b"\x1b");
    // Shifted punctuation.
    assert_eq!(typed(&mut k, &[0x2a, 0x03, 0x83, 0xaa]), b"@");
}
