//! Signals between the system-call layer and the `signal` crate: the
//! calls ([`calls`]), sending with its side effects ([`send`]), delivery
//! on the way back to user mode ([`delivery`]), the real-time interval
//! timers ([`timers`]), POSIX timers ([`posix_timers`]) and signals read
//! from descriptors ([`signalfd`]).

pub mod calls;
pub mod delivery;
pub mod posix_timers;
pub mod send;
pub mod signalfd;
pub mod timers;
