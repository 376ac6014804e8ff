//! The linear framebuffer the boot loader set up, if any.

/// Where one colour channel sits in an RGB pixel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ColorChannel {
    /// Bit position of the channel's least significant bit.
    pub position: u8,
    /// Width of the channel in bits.
    pub size: u8,
}

/// How pixels in a [`Framebuffer`] are encoded (multiboot2 `framebuffer_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FramebufferKind {
    /// Type 0: each pixel indexes a palette.
    Indexed,
    /// Type 1: direct colour with these channel layouts.
    Rgb {
        /// The red channel.
        red: ColorChannel,
        /// The green channel.
        green: ColorChannel,
        /// The blue channel.
        blue: ColorChannel,
    },
    /// Type 2: VGA text mode; width and height count characters.
    EgaText,
    /// Any other type.
    Unknown(u8),
}

/// A framebuffer described by the boot loader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Framebuffer {
    /// Physical address of the first pixel.
    pub address: u64,
    /// Bytes per line.
    pub pitch: u32,
    /// Width in pixels (characters in text mode).
    pub width: u32,
    /// Height in pixels (characters in text mode).
    pub height: u32,
    /// Bits per pixel.
    pub bpp: u8,
    /// Pixel encoding.
    pub kind: FramebufferKind,
}

impl Framebuffer {
    /// Bytes the framebuffer spans (`pitch * height`).
    pub const fn size_bytes(&self) -> u64 {
        self.pitch as u64 * self.height as u64
    }
}
