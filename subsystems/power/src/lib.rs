//! Turning the machine off and restarting it, the ACPI way.
//!
//! This crate owns the decisions and the register sequences, not the
//! hardware access:
//!
//! - [`sleep_type`]: the `\_S5` package of the DSDT (the `SLP_TYPa` and
//!   `SLP_TYPb` values the firmware wants for soft-off), read from the AML
//!   byte stream.
//! - [`PowerControl`]: what the FADT says about the PM1 control blocks, the
//!   SMI command port that switches the chipset into ACPI mode, and the reset
//!   register; [`PowerControl::power_off`] and [`PowerControl::reset`] write
//!   the sequences ACPI 6.5 §4.8 and §7.4 prescribe.
//!
//! - [`processors`]: which processors the MADT lists as usable, for SMP
//!   bring-up; [`interrupts`]: its I/O APICs and where the ISA lines
//!   arrive on them.
//!
//! A reuser implements [`RegisterIo`] (port and memory accesses, and a short
//! pause) and finds the tables with the rust-osdev [`acpi`] crate, which is
//! re-exported so both sides agree on its version: [`PowerControl::from_fadt`]
//! takes its [`acpi::fadt::Fadt`].
//!
//! Why not the `aml` crate for `\_S5`: it (and `acpi` 6's merged interpreter)
//! needs nightly Rust. Soft-off needs one named package of integers, which
//! [`sleep_type`] reads without interpreting AML; a DSDT that computes
//! `\_S5` in a method is reported as absent and the caller falls back.

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use acpi;

pub mod aml;
pub mod control;
pub mod interrupts;
pub mod processors;
pub mod register;

pub use aml::{SleepType, sleep_type};
pub use control::{PowerControl, ResetOutcome};
pub use register::{AddressSpace, Register, RegisterIo};
