//! `struct seccomp_data`: what a filter sees of a system call.

use zerocopy::{Immutable, IntoBytes, KnownLayout};

/// `AUDIT_ARCH_X86_64`: the architecture word of an x86_64 system call
/// (`EM_X86_64` with the 64-bit and little-endian bits).
pub const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;

/// Linux's 64-byte `struct seccomp_data`, the only memory a seccomp
/// program can load from (32-bit words at 4-byte aligned offsets).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct SeccompData {
    /// The system call number as the call made it (`rax`).
    pub nr: i32,
    /// The calling convention ([`AUDIT_ARCH_X86_64`]).
    pub arch: u32,
    /// Where the call returns to: the instruction after `syscall`.
    pub instruction_pointer: u64,
    /// The six arguments (rdi, rsi, rdx, r10, r8, r9).
    pub args: [u64; 6],
}

const _: () = assert!(core::mem::size_of::<SeccompData>() == 64);

/// The size a filter sees for `BPF_LEN` loads.
pub(crate) const SECCOMP_DATA_SIZE: u32 = core::mem::size_of::<SeccompData>() as u32;

impl SeccompData {
    /// An x86_64 call `nr` with `args`, returning to `instruction_pointer`.
    pub fn new(nr: u64, instruction_pointer: u64, args: [u64; 6]) -> Self {
        SeccompData {
            // The number is 32 bits wide in the filter's view, as on Linux
            // (`syscall_get_nr` truncates `orig_ax`).
            nr: nr as i32,
            arch: AUDIT_ARCH_X86_64,
            instruction_pointer,
            args,
        }
    }

    /// The 32-bit word at byte `offset` (4-byte aligned, inside the
    /// structure: [`crate::Program::new`] checked both).
    pub(crate) fn word(&self, offset: u32) -> u32 {
        let bytes = self.as_bytes();
        let at = offset as usize;
        match bytes.get(at..at + 4) {
            Some(word) => u32::from_ne_bytes([word[0], word[1], word[2], word[3]]),
            None => 0,
        }
    }
}
