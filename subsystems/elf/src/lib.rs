//! Placeholder: this crate is being written.

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
