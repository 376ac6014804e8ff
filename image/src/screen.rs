//! The framebuffer console's machine side: the boot loader's framebuffer
//! through the direct map, the `vt` crate drawing on it, and the PS/2
//! keyboard feeding it. Kernel log lines are drawn here as well as sent to
//! the serial port.

use alloc::collections::VecDeque;

use arch::sync::IrqMutex;
use boot::{BootInfo, FramebufferKind};
use spin::Once;
use vt::render::Geometry;
use vt::{Keyboard, PixelFormat, Renderer, Vt};

/// The screen: its terminal emulator, what is drawn, and the pixels.
struct Screen {
    vt: Vt,
    renderer: Renderer,
    pixels: &'static mut [u8],
}

static SCREEN: Once<IrqMutex<Screen>> = Once::new();
static TEXT_SIZE: Once<(usize, usize)> = Once::new();
/// Scan codes from IRQ 1, for the console thread to decode.
static SCANCODES: IrqMutex<VecDeque<u8>> = IrqMutex::new(VecDeque::new());
/// Bytes typed (decoded keys) and the emulator's replies, for the line
/// discipline of `/dev/tty1`.
static INPUT: IrqMutex<VecDeque<u8>> = IrqMutex::new(VecDeque::new());
/// The keyboard's modifier state; only the console thread decodes.
static KEYBOARD: lock::Mutex<Keyboard> = lock::Mutex::new(Keyboard::new());

/// Takes over the boot loader's framebuffer, if it handed over a
/// direct-colour one, and the keyboard controller. Returns the text size.
pub fn init(info: &BootInfo) -> Option<(usize, usize)> {
    let framebuffer = info.framebuffer?;
    let FramebufferKind::Rgb { red, green, blue } = framebuffer.kind else {
        log::info!(
            "framebuffer: {:?} is not direct colour: no screen console",
            framebuffer.kind
        );
        return None;
    };
    let bytes_per_pixel = usize::from(framebuffer.bpp).div_ceil(8);
    // The direct map covers the first 4 GiB, where firmware puts the
    // framebuffers QEMU and most PCs have.
    let end = framebuffer.address.checked_add(framebuffer.size_bytes())?;
    if !(2..=4).contains(&bytes_per_pixel) || end > 1 << 32 {
        log::info!("framebuffer: {framebuffer:?} unusable: no screen console");
        return None;
    }
    let geometry = Geometry {
        width: framebuffer.width as usize,
        height: framebuffer.height as usize,
        pitch: framebuffer.pitch as usize,
        format: PixelFormat {
            bytes_per_pixel,
            red: (red.position, red.size),
            green: (green.position, green.size),
            blue: (blue.position, blue.size),
        },
    };
    // SAFETY: the boot loader reserved `address..end` for the framebuffer
    // (it is not RAM the frame allocator hands out), the direct map covers
    // it, and this is the only reference to it, kept behind `SCREEN`'s lock.
    let pixels = unsafe {
        core::slice::from_raw_parts_mut(
            arch::paging::phys_to_virt(framebuffer.address) as *mut u8,
            framebuffer.size_bytes() as usize,
        )
    };
    let (cols, rows) = geometry.text_size();
    let mut screen = Screen {
        vt: Vt::new(cols, rows),
        renderer: Renderer::new(geometry),
        pixels,
    };
    screen.renderer.render(&mut screen.vt.screen, screen.pixels);
    SCREEN.call_once(|| IrqMutex::new(screen));
    TEXT_SIZE.call_once(|| (cols, rows));
    crate::logger::replay_early_lines();
    if arch::i8042::init() {
        crate::irq::unmask(arch::i8042::KEYBOARD_IRQ);
    } else {
        log::info!("no PS/2 keyboard controller: the screen console takes no input");
    }
    log::info!(
        "screen console: {}x{} pixels, {cols}x{rows} characters",
        geometry.width,
        geometry.height
    );
    Some((cols, rows))
}

/// Columns and rows of the screen console, if there is one.
pub fn text_size() -> Option<(usize, usize)> {
    TEXT_SIZE.get().copied()
}

/// Draws bytes a program wrote (already output-processed); the emulator's
/// answers to status requests become input.
pub fn write(bytes: &[u8]) {
    let Some(screen) = SCREEN.get() else {
        return;
    };
    let replies = {
        let mut screen = screen.lock();
        let Screen {
            vt,
            renderer,
            pixels,
        } = &mut *screen;
        vt.write(bytes);
        renderer.render(&mut vt.screen, pixels);
        vt.take_replies()
    };
    if !replies.is_empty() {
        INPUT.lock().extend(replies);
        crate::userland::vfs::wake_console_thread();
    }
}

/// Draws a kernel log line, turning `\n` into `\r\n` as `ONLCR` would.
pub fn write_log(args: core::fmt::Arguments<'_>) {
    struct Translating<'a>(&'a mut Vt);
    impl core::fmt::Write for Translating<'_> {
        fn write_str(&mut self, text: &str) -> core::fmt::Result {
            for (i, part) in text.split('\n').enumerate() {
                if i > 0 {
                    self.0.write(b"\r\n");
                }
                self.0.write(part.as_bytes());
            }
            Ok(())
        }
    }
    let Some(screen) = SCREEN.get() else {
        return;
    };
    let mut screen = screen.lock();
    let Screen {
        vt,
        renderer,
        pixels,
    } = &mut *screen;
    let _ = core::fmt::Write::write_fmt(&mut Translating(vt), args);
    renderer.render(&mut vt.screen, pixels);
}

/// IRQ 1: queue the scan codes and wake the console thread (decoding and
/// the line discipline take locks an interrupt handler must not).
pub fn on_keyboard_interrupt() {
    let mut received = false;
    {
        let mut scancodes = SCANCODES.lock();
        arch::i8042::drain_scancodes(|byte| {
            scancodes.push_back(byte);
            received = true;
        });
    }
    if received {
        crate::userland::vfs::wake_console_thread();
    }
}

/// Decodes queued scan codes into typed bytes; from the console thread.
pub fn decode_keys() {
    let mut keyboard = KEYBOARD.lock();
    while let Some(code) = SCANCODES.lock().pop_front() {
        let bytes = keyboard.scancode(code);
        INPUT.lock().extend(bytes);
    }
}

/// The screen and keyboard as a console port (`/dev/tty1`).
pub struct ScreenPort;

impl fs::devices::console::ConsolePort for ScreenPort {
    fn write_bytes(&self, bytes: &[u8]) {
        write(bytes);
    }

    fn read_byte(&self) -> Option<u8> {
        INPUT.lock().pop_front()
    }
}
