//! The virtual dynamic shared object: a page of code the kernel maps into
//! every process so that reading the clock costs no system call.
//!
//! Two pages go into each address space, one after the other:
//! - `[vvar]`, read-only: the time data ([`VdsoData`]), one frame shared by
//!   every process and updated by the kernel under a sequence lock;
//! - `[vdso]`, read and execute: an ELF shared object ([`build_image`])
//!   whose functions (`__vdso_clock_gettime`, `__vdso_gettimeofday`,
//!   `__vdso_time`, `__vdso_getcpu`, `__vdso_clock_getres`, version
//!   `LINUX_2.6`, as on Linux) read that page. Its address goes to the
//!   program as `AT_SYSINFO_EHDR`, where musl and glibc look for it.
//!
//! The crate owns the layout both sides agree on (the offsets of
//! [`VdsoData`]'s fields, where the code sits in the image and so how far
//! back the data page is) and the ELF image around the code. The code
//! itself is machine code the architecture supplies (position-independent,
//! reaching the data page RIP-relative at [`DATA_DISTANCE`] before the
//! code's first byte). A reuser implements no trait: it assembles the
//! functions, calls [`build_image`] once, keeps both pages in frames it
//! maps into every process, and rewrites the data page with
//! [`VdsoData::to_bytes`] inside [`SequenceWrite`]'s protocol.

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

mod data;
mod image;

pub use data::{
    CLOCK_MODE_NONE, CLOCK_MODE_TSC, CPU_MODE_NONE, CPU_MODE_RDTSCP, DATA_SIZE, OFFSET_CLOCK_MODE,
    OFFSET_CPU_MODE, OFFSET_SECOND, OFFSET_SEQUENCE, OFFSET_TSC_AT_BOOT, OFFSET_TSC_MULT,
    OFFSET_WALL_OFFSET, SECOND_IN_PRODUCT_UNITS, SEQUENCE_COUNT_MASK, SEQUENCE_NO_STRAIGHT_PATH,
    SequenceWrite, TSC_SHIFT, VdsoData,
};
pub use image::{
    DATA_DISTANCE, Function, IMAGE_SIZE, SONAME, TEXT_OFFSET, VERSION, build_image, elf_hash,
};
