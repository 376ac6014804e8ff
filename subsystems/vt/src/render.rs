//! Drawing a [`Screen`] into a linear framebuffer.

use alloc::vec;
use alloc::vec::Vec;

use crate::font::{CELL_HEIGHT, CELL_WIDTH, glyph};
use crate::screen::{Cell, Color, Screen};

/// How a direct-colour pixel is laid out in memory (little-endian, as the
/// boot loader describes it: multiboot2's framebuffer tag, UEFI GOP).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PixelFormat {
    /// Bytes per pixel: 2, 3 or 4.
    pub bytes_per_pixel: usize,
    /// Bit position and width of red.
    pub red: (u8, u8),
    /// Bit position and width of green.
    pub green: (u8, u8),
    /// Bit position and width of blue.
    pub blue: (u8, u8),
}

impl PixelFormat {
    /// 32-bit `xRGB`, the usual VBE and GOP layout.
    pub const XRGB8888: PixelFormat = PixelFormat {
        bytes_per_pixel: 4,
        red: (16, 8),
        green: (8, 8),
        blue: (0, 8),
    };

    /// The pixel value of `color`.
    pub fn encode(&self, color: Color) -> u32 {
        let channel = |value: u8, (position, size): (u8, u8)| {
            let size = size.min(8);
            (u32::from(value) >> (8 - size)) << position
        };
        channel(color.r, self.red) | channel(color.g, self.green) | channel(color.b, self.blue)
    }
}

/// A framebuffer's geometry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// Bytes from one pixel row to the next.
    pub pitch: usize,
    /// The pixel layout.
    pub format: PixelFormat,
}

impl Geometry {
    /// The text size that fits: columns and rows of character cells.
    pub fn text_size(&self) -> (usize, usize) {
        (self.width / CELL_WIDTH, self.height / CELL_HEIGHT)
    }
}

/// A cell value no screen holds: forces a redraw.
const STALE: Cell = Cell {
    ch: '\u{0}',
    fg: Color::rgb(1, 2, 3),
    bg: Color::rgb(3, 2, 1),
};

/// Draws screens into one framebuffer, remembering what is there.
#[derive(Clone, Debug)]
pub struct Renderer {
    geometry: Geometry,
    /// What each cell of the framebuffer shows now.
    shown: Vec<Cell>,
    /// Where the cursor was drawn (inverted), if it was.
    cursor: Option<(usize, usize)>,
}

impl Renderer {
    /// A renderer for a framebuffer of `geometry` whose contents are unknown
    /// (the first render draws every cell).
    pub fn new(geometry: Geometry) -> Renderer {
        let (cols, rows) = geometry.text_size();
        Renderer {
            geometry,
            shown: vec![STALE; cols * rows],
            cursor: None,
        }
    }

    /// The geometry drawn into.
    pub fn geometry(&self) -> Geometry {
        self.geometry
    }

    /// Brings `pixels` (the framebuffer, `pitch * height` bytes) up to date
    /// with `screen`, which must have the renderer's text size.
    pub fn render(&mut self, screen: &mut Screen, pixels: &mut [u8]) {
        let (cols, rows) = self.geometry.text_size();
        if screen.cols() != cols || screen.rows() != rows || pixels.len() < self.needed_bytes() {
            return;
        }
        if let Some((x, y)) = self.cursor.take() {
            self.shown[y * cols + x] = STALE;
        }
        let scrolled = screen.take_scrolled();
        if scrolled >= rows {
            self.shown.fill(STALE);
        } else if scrolled > 0 {
            // Move the pixels of the rows that stay, and what they show.
            let row_bytes = self.geometry.pitch * CELL_HEIGHT;
            pixels.copy_within(scrolled * row_bytes..rows * row_bytes, 0);
            self.shown.copy_within(scrolled * cols.., 0);
            let len = self.shown.len();
            self.shown[len - scrolled * cols..].fill(STALE);
        }
        for y in 0..rows {
            for x in 0..cols {
                let cell = screen.cell(x, y);
                if self.shown[y * cols + x] != cell {
                    self.draw(pixels, x, y, cell);
                    self.shown[y * cols + x] = cell;
                }
            }
        }
        if screen.cursor_visible {
            let (x, y) = (screen.cursor.x, screen.cursor.y);
            let cell = screen.cell(x, y);
            let inverted = Cell {
                fg: cell.bg,
                bg: cell.fg,
                ..cell
            };
            self.draw(pixels, x, y, inverted);
            self.shown[y * cols + x] = STALE;
            self.cursor = Some((x, y));
        }
    }

    fn needed_bytes(&self) -> usize {
        let g = self.geometry;
        (g.height - 1) * g.pitch + g.width * g.format.bytes_per_pixel
    }

    /// Draws one cell: the glyph's intensities blend from background to
    /// foreground.
    fn draw(&self, pixels: &mut [u8], x: usize, y: usize, cell: Cell) {
        let g = self.geometry;
        let bpp = g.format.bytes_per_pixel;
        let intensities = glyph(cell.ch);
        for row in 0..CELL_HEIGHT {
            let start = (y * CELL_HEIGHT + row) * g.pitch + x * CELL_WIDTH * bpp;
            let line = &mut pixels[start..start + CELL_WIDTH * bpp];
            let glyph_row = &intensities[row * CELL_WIDTH..(row + 1) * CELL_WIDTH];
            for (pixel, &intensity) in line.chunks_exact_mut(bpp).zip(glyph_row) {
                let value = g.format.encode(blend(cell.fg, cell.bg, intensity));
                pixel.copy_from_slice(&value.to_le_bytes()[..bpp]);
            }
        }
    }
}

/// The colour of a glyph pixel of `intensity` (0 background, 255
/// foreground).
pub fn blend(fg: Color, bg: Color, intensity: u8) -> Color {
    let mix = |f: u8, b: u8| {
        let (f, b, i) = (u32::from(f), u32::from(b), u32::from(intensity));
        ((f * i + b * (255 - i)) / 255) as u8
    };
    Color::rgb(mix(fg.r, bg.r), mix(fg.g, bg.g), mix(fg.b, bg.b))
}
