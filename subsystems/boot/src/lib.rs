//! Boot protocol parsing for Courage.
//!
//! This crate owns turning what a boot loader hands the kernel into one
//! normalised [`BootInfo`], for two protocols:
//!
//! - **PVH** (`qemu-system-x86_64 -kernel`): Xen's `hvm_start_info`, version 1
//!   or later, magic [`PVH_START_INFO_MAGIC`];
//! - **multiboot2** (GRUB): the tagged information structure, loader magic
//!   [`MULTIBOOT2_BOOTLOADER_MAGIC`] in `eax`;
//!
//! and the typed kernel command line ([`cmdline::KernelOptions`]).
//!
//! A reuser implements one trait, [`PhysicalMemoryReader`]: copy bytes from a
//! physical address. That raw memory access is the only part of boot parsing
//! that needs the kernel's privileges, and it stays in the kernel image; this crate is safe code and tested on the host.
//!
//! Principles and invariants:
//!
//! 1. Everything is copied. [`BootInfo`] has fixed capacities
//!    ([`MAX_MEMORY_REGIONS`], [`MAX_MODULES`], [`COMMAND_LINE_CAPACITY`]) and
//!    uses no heap: it is built before the kernel heap exists, and GRUB may
//!    put its information in memory the kernel then reuses.
//! 2. Boot information is untrusted input. Every size and count is checked
//!    before use; malformed input gives a [`BootInfoError`], never a panic or
//!    an endless loop. Strings are decoded lossily (U+FFFD) and cut at their
//!    capacity on a character boundary.
//! 3. The memory map is normalised: sorted by start, no empty or overlapping
//!    regions (where entries overlap the more restrictive kind wins), and no
//!    two adjacent regions of the same kind.
//!
//! There is no shared state and so no locking: parsing is a pure function of
//! the reader's bytes.
//!
//! Modules: `memory_reader` (the trait), `boot_info`, `pvh`, `multiboot2`,
//! `memory_map`, `module`, `framebuffer`, `acpi`, `fixed_string`, `error`,
//! and the public [`cmdline`].

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod acpi;
mod boot_info;
pub mod cmdline;
mod error;
mod fixed_string;
mod framebuffer;
mod memory_map;
mod memory_reader;
mod module;
mod multiboot2;
mod pvh;

pub use acpi::{RSDP_V1_SIZE, RSDP_V2_SIZE, Rsdp};
pub use boot_info::{BOOTLOADER_NAME_CAPACITY, BootInfo, BootProtocol, COMMAND_LINE_CAPACITY};
pub use cmdline::{ConsoleChoice, IgnoredOption, IgnoredReason, KernelOptions, LogLevel};
pub use error::BootInfoError;
pub use fixed_string::FixedString;
pub use framebuffer::{ColorChannel, Framebuffer, FramebufferKind};
pub use memory_map::{MAX_MEMORY_REGIONS, MemoryKind, MemoryMap, MemoryRegion};
pub use memory_reader::{PhysicalMemoryReader, ReadError};
pub use module::{BootModule, MAX_MODULES, MODULE_CMDLINE_CAPACITY};
pub use multiboot2::{MULTIBOOT2_BOOTLOADER_MAGIC, MULTIBOOT2_MAX_INFO_SIZE};
pub use pvh::PVH_START_INFO_MAGIC;
