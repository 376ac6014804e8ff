//! The built-in font: Noto Sans Mono, pre-rasterised at 16 pixels, regular
//! weight, Basic Latin (the `noto-sans-mono-bitmap` crate). Each pixel is
//! an intensity from 0 (background) to 255 (foreground).

use noto_sans_mono_bitmap::{FontWeight, RasterHeight, get_raster, get_raster_width};

const WEIGHT: FontWeight = FontWeight::Regular;
const HEIGHT: RasterHeight = RasterHeight::Size16;

/// Width of a character cell in pixels.
pub const CELL_WIDTH: usize = get_raster_width(WEIGHT, HEIGHT);
/// Height of a character cell in pixels.
pub const CELL_HEIGHT: usize = HEIGHT.val();

/// The intensities of `c`'s glyph, `CELL_WIDTH * CELL_HEIGHT` of them, row
/// by row. Characters the font lacks are drawn as `?`.
pub fn glyph(c: char) -> &'static [u8] {
    let raster = get_raster(c, WEIGHT, HEIGHT)
        .or_else(|| get_raster('?', WEIGHT, HEIGHT))
        .expect("the font has '?'");
    raster.pixels()
}
