//! A text console on a screen: what turns the bytes programs write into
//! pixels, and key presses into the bytes programs read.
//!
//! - [`Screen`]: the character grid with its cursor, colours, scrolling
//!   region and the damage a renderer must redraw.
//! - [`Vt`]: the VT100/ANSI (ECMA-48) parser in front of it, covering what
//!   busybox, `vi`, `less` and `top` emit: cursor motion, erasing,
//!   inserting and deleting characters and lines, scrolling regions, colours
//!   (`SGR`), saved cursors, and the status reports (`DSR`) a program asks
//!   for, which come back as input ([`Vt::take_replies`]).
//! - [`Renderer`]: draws a [`Screen`] into a linear framebuffer of any
//!   direct-colour layout ([`PixelFormat`]) with the Noto Sans Mono bitmap
//!   font, redrawing only the cells that changed and moving pixels for a
//!   full-screen scroll.
//! - [`Keyboard`]: PS/2 scan codes (set 1, what the i8042 translates to) to
//!   the bytes a Linux console sends: UTF-8 characters, control characters
//!   with Ctrl, and escape sequences for arrows, Home, End, Delete, ...
//!
//! A kernel owns the hardware: it maps the framebuffer, hands its bytes to
//! [`Renderer::render`] as a slice, and feeds scan codes from the keyboard
//! interrupt to [`Keyboard::scancode`]. Nothing here locks or allocates
//! after construction except [`Vt::take_replies`].

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod font;
pub mod keyboard;
pub mod parser;
pub mod render;
pub mod screen;

pub use keyboard::Keyboard;
pub use parser::Vt;
pub use render::{PixelFormat, Renderer};
pub use screen::{Cell, Color, Screen};
