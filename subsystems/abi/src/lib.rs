//! The Linux x86_64 user ABI as Courage speaks it.
//!
//! This crate owns the vocabulary that every subsystem shares and that user
//! space sees, one definition each:
//!
//! - [`Errno`], Linux's numeric error values, and the [`KernelResult`] alias
//!   every fallible kernel operation returns;
//! - [`Sysno`], every x86_64 system-call number with its name;
//! - the `#[repr(C)]` structures that cross the system-call boundary
//!   ([`Timespec`], [`Timeval`], [`Stat`], [`Statx`], [`Rusage`],
//!   [`Termios`], [`WinSize`], [`Utsname`], [`IoVec`], [`PollFd`], ...),
//!   deriving `zerocopy`'s traits so they are copied to and from user memory
//!   without hand-written byte casts, each with size and offset assertions
//!   against Linux's layout;
//! - the constants those calls use (`AT_*`, `S_IF*`, `PATH_MAX`, clock ids,
//!   terminal ioctls).
//!
//! It has no traits to implement. Signal structures (`sigaction`,
//! `siginfo_t`, signal frames) live in the `signal` crate, which owns their
//! semantics; `open` flags live in `fs` as a bitflags type.
//!
//! Invariants: an [`Errno`] is always one of Linux's values, so the syscall
//! layer can return `-(errno as isize)` to user space unchanged; a [`Sysno`]
//! is always a number Linux x86_64 assigns.

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod capability;
mod errno;
mod file;
mod sysno;
mod system;
mod time;
mod timespec;
mod tty;
mod user;

pub use errno::{Errno, KernelResult};
pub use file::*;
pub use sysno::{Sysno, UnknownSysno};
pub use system::{
    RawRlimit, Rusage, SCHED_ATTR_SIZE_VER0, SchedAttr, Sysinfo, UTS_FIELD, Utsname, rusage_who,
};
pub use time::{Itimerval, Timeval, Timezone, clock};
pub use timespec::{NANOS_PER_SEC, Timespec};
pub use tty::{NCCS, Termios, WinSize, ioctl};
pub use user::{USER_FPREGS_SIZE, UserRegs};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_call_numbers_round_trip_with_their_names() {
        assert_eq!(Sysno::try_from(0), Ok(Sysno::Read));
        assert_eq!(Sysno::try_from(257).map(Sysno::name), Ok("openat"));
        assert_eq!(Sysno::try_from(335), Err(UnknownSysno(335)));
        assert_eq!(
            Sysno::try_from(450).map(Sysno::name),
            Ok("set_mempolicy_home_node")
        );
        assert_eq!(Sysno::ALL.len(), 362);
        for sysno in Sysno::ALL {
            assert_eq!(Sysno::try_from(sysno.number()), Ok(*sysno));
        }
        assert!(Sysno::ALL.windows(2).all(|w| w[0] < w[1]));
    }
}
