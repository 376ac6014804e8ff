//! Interrupt control for this CPU, and the interrupt-safe spin lock built
//! on it.
//!
//! Anything an interrupt or exception handler may also lock (the frame
//! allocator, the heap, the scheduler) must be an [`IrqMutex`]: a plain spin
//! lock taken by the interrupted code would deadlock the handler. Never
//! block (sleep) while holding one. The lock itself is `sched`'s
//! host-tested [`sched::IrqSpinLock`]; this module supplies the hardware.

use x86_64::instructions::interrupts;

/// `cli`/`sti` on this CPU.
#[derive(Debug)]
pub enum LocalInterrupts {}

impl sched::InterruptControl for LocalInterrupts {
    fn disable() -> bool {
        let was_enabled = interrupts::are_enabled();
        interrupts::disable();
        was_enabled
    }

    fn restore(was_enabled: bool) {
        if was_enabled {
            interrupts::enable();
        }
    }

    fn relax() {
        crate::tlb::service_requests();
    }
}

/// A spin lock whose guard keeps interrupts off on this CPU.
pub type IrqMutex<T> = sched::IrqSpinLock<T, LocalInterrupts>;

/// A guard of an [`IrqMutex`].
pub type IrqMutexGuard<'a, T> = sched::IrqSpinLockGuard<'a, T, LocalInterrupts>;
