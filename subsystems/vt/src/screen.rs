//! The character grid: cells, cursor, attributes and scrolling, with the
//! semantics of the Linux console (a VT102 with colours).

use alloc::vec;
use alloc::vec::Vec;

/// A 24-bit colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Color {
    /// Red.
    pub r: u8,
    /// Green.
    pub g: u8,
    /// Blue.
    pub b: u8,
}

impl Color {
    /// A colour from its channels.
    pub const fn rgb(r: u8, g: u8, b: u8) -> Color {
        Color { r, g, b }
    }
}

/// The sixteen colours of the Linux console (the VGA palette): the eight
/// `SGR 30-37` colours, then their bright variants (`SGR 90-97`, or bold).
pub const PALETTE: [Color; 16] = [
    Color::rgb(0x00, 0x00, 0x00),
    Color::rgb(0xaa, 0x00, 0x00),
    Color::rgb(0x00, 0xaa, 0x00),
    Color::rgb(0xaa, 0x55, 0x00),
    Color::rgb(0x00, 0x00, 0xaa),
    Color::rgb(0xaa, 0x00, 0xaa),
    Color::rgb(0x00, 0xaa, 0xaa),
    Color::rgb(0xaa, 0xaa, 0xaa),
    Color::rgb(0x55, 0x55, 0x55),
    Color::rgb(0xff, 0x55, 0x55),
    Color::rgb(0x55, 0xff, 0x55),
    Color::rgb(0xff, 0xff, 0x55),
    Color::rgb(0x55, 0x55, 0xff),
    Color::rgb(0xff, 0x55, 0xff),
    Color::rgb(0x55, 0xff, 0xff),
    Color::rgb(0xff, 0xff, 0xff),
];

/// Default foreground: light grey, as on the Linux console.
pub const DEFAULT_FG: u8 = 7;
/// Default background: black.
pub const DEFAULT_BG: u8 = 0;

/// One character position: what is drawn there, in which colours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cell {
    /// The character.
    pub ch: char,
    /// Foreground colour.
    pub fg: Color,
    /// Background colour.
    pub bg: Color,
}

impl Cell {
    /// A blank in the default colours.
    pub const BLANK: Cell = Cell {
        ch: ' ',
        fg: PALETTE[DEFAULT_FG as usize],
        bg: PALETTE[DEFAULT_BG as usize],
    };
}

/// Graphic rendition: the colours and flags new characters get.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attributes {
    /// Foreground palette index (0-15).
    pub fg: u8,
    /// Background palette index (0-15).
    pub bg: u8,
    /// Bold: drawn in the bright variant of the foreground.
    pub bold: bool,
    /// Reverse video: foreground and background swapped.
    pub reverse: bool,
}

impl Attributes {
    /// The attributes after a reset (`SGR 0`).
    pub const DEFAULT: Attributes = Attributes {
        fg: DEFAULT_FG,
        bg: DEFAULT_BG,
        bold: false,
        reverse: false,
    };

    fn colors(&self) -> (Color, Color) {
        let fg = if self.bold && self.fg < 8 {
            self.fg + 8
        } else {
            self.fg
        };
        let (fg, bg) = (PALETTE[fg as usize], PALETTE[self.bg as usize]);
        if self.reverse { (bg, fg) } else { (fg, bg) }
    }

    /// A blank cell in these attributes' background (erasing uses it).
    fn blank(&self) -> Cell {
        let (fg, bg) = self.colors();
        Cell { ch: ' ', fg, bg }
    }
}

/// Where the cursor is and what it writes with; `ESC 7` saves all of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    /// Column, from 0.
    pub x: usize,
    /// Row, from 0.
    pub y: usize,
    /// The attributes for new characters.
    pub attributes: Attributes,
}

/// The grid.
#[derive(Clone, Debug)]
pub struct Screen {
    cols: usize,
    rows: usize,
    cells: Vec<Cell>,
    /// The cursor.
    pub cursor: Cursor,
    saved: Cursor,
    /// The last column was written: the next character wraps first.
    wrap_pending: bool,
    /// Whether the cursor is shown (`DECTCEM`).
    pub cursor_visible: bool,
    /// Auto-wrap at the right margin (`DECAWM`).
    pub auto_wrap: bool,
    /// Scrolling region, first and last row inclusive (`DECSTBM`).
    top: usize,
    bottom: usize,
    /// Full-screen scrolls since the renderer last looked.
    scrolled: usize,
}

impl Screen {
    /// A blank screen of `cols` x `rows` (each at least 1).
    pub fn new(cols: usize, rows: usize) -> Screen {
        let (cols, rows) = (cols.max(1), rows.max(1));
        let cursor = Cursor {
            x: 0,
            y: 0,
            attributes: Attributes::DEFAULT,
        };
        Screen {
            cols,
            rows,
            cells: vec![Cell::BLANK; cols * rows],
            cursor,
            saved: cursor,
            wrap_pending: false,
            cursor_visible: true,
            auto_wrap: true,
            top: 0,
            bottom: rows - 1,
            scrolled: 0,
        }
    }

    /// Columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The cell at column `x`, row `y`.
    pub fn cell(&self, x: usize, y: usize) -> Cell {
        self.cells[y * self.cols + x]
    }

    /// All cells, row by row.
    pub fn cells(&self) -> &[Cell] {
        &self.cells
    }

    /// Row `y` as text, trailing blanks removed (for tests and logs).
    pub fn row_text(&self, y: usize) -> alloc::string::String {
        let row = &self.cells[y * self.cols..(y + 1) * self.cols];
        let text: alloc::string::String = row.iter().map(|c| c.ch).collect();
        text.trim_end().into()
    }

    /// How many rows the whole screen scrolled up since the last call (a
    /// renderer moves those pixels instead of redrawing them).
    pub fn take_scrolled(&mut self) -> usize {
        core::mem::take(&mut self.scrolled)
    }

    /// Writes a printable character at the cursor and advances it.
    pub fn put(&mut self, ch: char) {
        if self.wrap_pending {
            self.wrap_pending = false;
            self.cursor.x = 0;
            self.line_feed();
        }
        let (fg, bg) = self.cursor.attributes.colors();
        let index = self.cursor.y * self.cols + self.cursor.x;
        self.cells[index] = Cell { ch, fg, bg };
        if self.cursor.x + 1 < self.cols {
            self.cursor.x += 1;
        } else if self.auto_wrap {
            self.wrap_pending = true;
        }
    }

    /// `CR`.
    pub fn carriage_return(&mut self) {
        self.cursor.x = 0;
        self.wrap_pending = false;
    }

    /// `LF`, `VT`, `FF`, `IND`: down a row, scrolling at the region's bottom.
    pub fn line_feed(&mut self) {
        self.wrap_pending = false;
        if self.cursor.y == self.bottom {
            self.scroll_up(1);
        } else if self.cursor.y + 1 < self.rows {
            self.cursor.y += 1;
        }
    }

    /// `RI`: up a row, scrolling down at the region's top.
    pub fn reverse_index(&mut self) {
        self.wrap_pending = false;
        if self.cursor.y == self.top {
            self.scroll_down(1);
        } else if self.cursor.y > 0 {
            self.cursor.y -= 1;
        }
    }

    /// `BS`.
    pub fn backspace(&mut self) {
        self.wrap_pending = false;
        self.cursor.x = self.cursor.x.saturating_sub(1);
    }

    /// `HT`: to the next multiple of 8, at most the last column.
    pub fn tab(&mut self) {
        self.cursor.x = ((self.cursor.x / 8 + 1) * 8).min(self.cols - 1);
    }

    /// Moves the cursor to column `x`, row `y`, clamped to the screen.
    pub fn move_to(&mut self, x: usize, y: usize) {
        self.wrap_pending = false;
        self.cursor.x = x.min(self.cols - 1);
        self.cursor.y = y.min(self.rows - 1);
    }

    /// Moves the cursor by `dx`, `dy`, clamped; vertical moves stop at the
    /// scrolling region's edges when they start inside it (`CUU`/`CUD`).
    pub fn move_by(&mut self, dx: isize, dy: isize) {
        let (mut low, mut high) = (0, self.rows - 1);
        if (self.top..=self.bottom).contains(&self.cursor.y) {
            (low, high) = (self.top, self.bottom);
        }
        let y = (self.cursor.y as isize + dy).clamp(low as isize, high as isize) as usize;
        let x = (self.cursor.x as isize + dx).clamp(0, self.cols as isize - 1) as usize;
        self.move_to(x, y);
    }

    /// `ED`: 0 from the cursor to the end, 1 from the start to the cursor,
    /// 2 (and 3) all.
    pub fn erase_display(&mut self, mode: u16) {
        let at = self.cursor.y * self.cols + self.cursor.x;
        let range = match mode {
            0 => at..self.cells.len(),
            1 => 0..at + 1,
            _ => 0..self.cells.len(),
        };
        self.fill(range);
    }

    /// `EL`: 0 from the cursor to the end of the line, 1 from its start to
    /// the cursor, 2 the whole line.
    pub fn erase_line(&mut self, mode: u16) {
        let start = self.cursor.y * self.cols;
        let at = start + self.cursor.x;
        let range = match mode {
            0 => at..start + self.cols,
            1 => start..at + 1,
            _ => start..start + self.cols,
        };
        self.fill(range);
    }

    /// `ECH`: blanks `n` characters from the cursor, not moving it.
    pub fn erase_chars(&mut self, n: usize) {
        let at = self.cursor.y * self.cols + self.cursor.x;
        let end = at + n.min(self.cols - self.cursor.x);
        self.fill(at..end);
    }

    /// `ICH`: inserts `n` blanks at the cursor, shifting the rest right.
    pub fn insert_chars(&mut self, n: usize) {
        let start = self.cursor.y * self.cols;
        let row = &mut self.cells[start..start + self.cols];
        let n = n.min(self.cols - self.cursor.x);
        row[self.cursor.x..].rotate_right(n);
        let blank = self.cursor.attributes.blank();
        row[self.cursor.x..self.cursor.x + n].fill(blank);
    }

    /// `DCH`: deletes `n` characters at the cursor, shifting the rest left.
    pub fn delete_chars(&mut self, n: usize) {
        let start = self.cursor.y * self.cols;
        let row = &mut self.cells[start..start + self.cols];
        let n = n.min(self.cols - self.cursor.x);
        row[self.cursor.x..].rotate_left(n);
        let blank = self.cursor.attributes.blank();
        let cols = self.cols;
        row[cols - n..].fill(blank);
    }

    /// `IL`: inserts `n` blank lines at the cursor's row, inside the
    /// scrolling region.
    pub fn insert_lines(&mut self, n: usize) {
        if (self.top..=self.bottom).contains(&self.cursor.y) {
            self.scroll_region_down(self.cursor.y, self.bottom, n);
            self.cursor.x = 0;
        }
    }

    /// `DL`: deletes `n` lines at the cursor's row, inside the scrolling
    /// region.
    pub fn delete_lines(&mut self, n: usize) {
        if (self.top..=self.bottom).contains(&self.cursor.y) {
            self.scroll_region_up(self.cursor.y, self.bottom, n);
            self.cursor.x = 0;
        }
    }

    /// `SU`: the scrolling region moves up `n` rows.
    pub fn scroll_up(&mut self, n: usize) {
        if self.top == 0 && self.bottom == self.rows - 1 {
            self.scrolled += n.min(self.rows);
        }
        self.scroll_region_up(self.top, self.bottom, n);
    }

    /// `SD`: the scrolling region moves down `n` rows.
    pub fn scroll_down(&mut self, n: usize) {
        self.scroll_region_down(self.top, self.bottom, n);
    }

    /// `DECSTBM`: the scrolling region is rows `top..=bottom` (0-based); an
    /// invalid region resets it to the whole screen. Homes the cursor.
    pub fn set_region(&mut self, top: usize, bottom: usize) {
        if top < bottom && bottom < self.rows {
            (self.top, self.bottom) = (top, bottom);
        } else {
            (self.top, self.bottom) = (0, self.rows - 1);
        }
        self.move_to(0, 0);
    }

    /// `DECSC`.
    pub fn save_cursor(&mut self) {
        self.saved = self.cursor;
    }

    /// `DECRC`.
    pub fn restore_cursor(&mut self) {
        self.cursor = self.saved;
        self.wrap_pending = false;
    }

    /// `RIS`: everything back to power-on state, screen cleared.
    pub fn reset(&mut self) {
        let scrolled = self.scrolled;
        *self = Screen::new(self.cols, self.rows);
        self.scrolled = scrolled;
    }

    fn fill(&mut self, range: core::ops::Range<usize>) {
        let blank = self.cursor.attributes.blank();
        self.cells[range].fill(blank);
    }

    fn scroll_region_up(&mut self, top: usize, bottom: usize, n: usize) {
        let n = n.min(bottom + 1 - top);
        let region = &mut self.cells[top * self.cols..(bottom + 1) * self.cols];
        region.rotate_left(n * self.cols);
        let len = region.len();
        let blank = self.cursor.attributes.blank();
        region[len - n * self.cols..].fill(blank);
    }

    fn scroll_region_down(&mut self, top: usize, bottom: usize, n: usize) {
        let n = n.min(bottom + 1 - top);
        let region = &mut self.cells[top * self.cols..(bottom + 1) * self.cols];
        region.rotate_right(n * self.cols);
        let blank = self.cursor.attributes.blank();
        region[..n * self.cols].fill(blank);
    }
}
