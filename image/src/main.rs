#![no_std]
#![no_main]
//! Placeholder.
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
