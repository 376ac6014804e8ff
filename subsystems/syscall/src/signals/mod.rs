//! Signals between the system-call layer and the `signal` crate: the
//! calls ([`calls`]), sending with its side effects ([`send`]), delivery
//! on the way back to user mode ([`delivery`]) and the real-time interval
//! timers ([`timers`]).

pub mod calls;
pub mod delivery;
pub mod send;
pub mod timers;
