//! The kernel symbol table: how the kernel names its own addresses.
//!
//! A kernel loaded by PVH or GRUB has no ELF symbol table in memory, so the
//! build tool (`xtask`) reads the symbols of the linked kernel, writes them in
//! the compact format below, and links the kernel a second time with that blob
//! in its `.ksyms` section. The kernel then answers "which function holds this
//! address?" ([`SymbolTable::lookup`]) for backtraces, as SerenityOS's
//! `symbolicate_kernel_address` does.
//!
//! This crate owns only the format; it has no traits to implement. The reader
//! is `no_std`, allocation-free and total: a truncated or corrupt blob gives
//! `None`, never a panic, because the kernel consults it while reporting a
//! crash. The encoder (`encode`) needs `alloc`, behind the `std` feature.
//!
//! Format (all integers little-endian):
//!
//! ```text
//! magic   b"KSYM"        4 bytes
//! count   u32            number of symbols
//! entries count * { address u64, size u32, name_offset u32 }, sorted by address
//! names   NUL-free UTF-8 strings, addressed by (name_offset, next name_offset)
//! names_len u32 trailing: total length of the names area
//! ```

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "std")]
extern crate alloc;

mod table;

#[cfg(feature = "std")]
mod encode;

#[cfg(feature = "std")]
pub use encode::{Symbol, encode};
pub use table::{Location, SymbolTable};

/// The first four bytes of every symbol table.
pub const MAGIC: [u8; 4] = *b"KSYM";
