//! The Linux x86_64 user ABI as Courage speaks it.
//!
//! This crate owns the vocabulary that every subsystem shares and that user
//! space sees: [`Errno`] (Linux's numeric error values) and the
//! [`KernelResult`] alias every fallible kernel operation returns. It has no
//! dependencies and no traits to implement; later issues add the syscall
//! numbers and the `#[repr(C)]` structures (`stat`, `siginfo_t`, ...) here so
//! that the subsystems and the syscall layer agree on one definition.
//!
//! Invariants: an [`Errno`] is always one of Linux's values, so the syscall
//! layer can return `-(errno as isize)` to user space unchanged.

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod errno;

pub use errno::{Errno, KernelResult};
