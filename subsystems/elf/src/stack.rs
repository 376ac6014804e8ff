//! The initial user stack of a new program, built as bytes exactly as Linux
//! lays it out (`create_elf_tables`), from the top down:
//!
//! ```text
//! stack_top ->  8 zero bytes
//!               execfn string
//!               envp strings (envp[0] lowest)
//!               argv strings (argv[0] lowest)
//!               padding to 16 bytes
//!               "x86_64\0" (AT_PLATFORM)
//!               16 random bytes (AT_RANDOM)
//!               padding so that rsp is 16-byte aligned
//!               auxv pairs, ending with AT_NULL
//!               envp pointers, NULL
//!               argv pointers, NULL
//! rsp ->        argc
//! ```

use alloc::vec::Vec;

use abi::{Errno, KernelResult};

use crate::auxv::{
    AT_BASE, AT_CLKTCK, AT_EGID, AT_ENTRY, AT_EUID, AT_EXECFN, AT_FLAGS, AT_GID, AT_HWCAP,
    AT_HWCAP2, AT_MINSIGSTKSZ, AT_NULL, AT_PAGESZ, AT_PHDR, AT_PHENT, AT_PHNUM, AT_PLATFORM,
    AT_RANDOM, AT_SECURE, AT_SYSINFO_EHDR, AT_UID, AuxValues, PLATFORM,
};
use crate::layout::PAGE_SIZE;

/// Longest single argument or environment string, NUL included
/// (Linux's `MAX_ARG_STRLEN`, 32 pages).
pub const MAX_ARG_STRLEN: u64 = 32 * PAGE_SIZE;

/// Floor of the argument space whatever the stack limit (Linux's `ARG_MAX`).
pub const MIN_ARG_SPACE: u64 = 32 * PAGE_SIZE;

/// Linux's default stack limit (`_STK_LIM`, 8 MiB).
pub const DEFAULT_STACK_RLIMIT: u64 = 8 * 1024 * 1024;

/// How much argument and environment data exec accepts (`E2BIG` beyond).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArgLimits {
    /// Bytes of strings (NULs included) plus 8 per argv/envp pointer.
    pub max_total: u64,
    /// Bytes of one string, NUL included.
    pub max_string: u64,
}

impl ArgLimits {
    /// Linux's limits for a given `RLIMIT_STACK` soft limit: a quarter of
    /// it, at most three quarters of 8 MiB, at least [`MIN_ARG_SPACE`].
    pub fn from_stack_rlimit(rlimit: u64) -> ArgLimits {
        let max_total = (rlimit / 4).clamp(MIN_ARG_SPACE, DEFAULT_STACK_RLIMIT / 4 * 3);
        ArgLimits {
            max_total,
            max_string: MAX_ARG_STRLEN,
        }
    }
}

impl Default for ArgLimits {
    /// The limits for the default 8 MiB stack (2 MiB of arguments).
    fn default() -> ArgLimits {
        ArgLimits::from_stack_rlimit(DEFAULT_STACK_RLIMIT)
    }
}

/// What goes on the stack besides the auxiliary values.
#[derive(Clone, Copy, Debug)]
pub struct StackContents<'a, A: AsRef<[u8]>, E: AsRef<[u8]>> {
    /// Argument strings, without NULs.
    pub argv: &'a [A],
    /// Environment strings, without NULs.
    pub envp: &'a [E],
    /// The path exec was called with (`AT_EXECFN`).
    pub execfn: &'a [u8],
    /// Bytes for `AT_RANDOM` (the C library seeds its stack protector and
    /// pointer guard from them).
    pub random: [u8; 16],
}

/// The initial stack: copy `bytes` to `[rsp, stack_top)` and start the
/// program with `rsp`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InitialStack {
    /// The stack contents; `bytes[0]` belongs at `rsp`.
    pub bytes: Vec<u8>,
    /// Initial stack pointer, 16-byte aligned, pointing at `argc`.
    pub rsp: u64,
    /// Number of arguments.
    pub argc: u64,
    /// Address of `argv[0]`'s pointer (`rsp + 8`).
    pub argv: u64,
    /// Address of `envp[0]`'s pointer.
    pub envp: u64,
    /// Address of the first auxv pair.
    pub auxv: u64,
    /// Addresses of the argument strings (the values of `argv[i]`).
    pub argv_strings: Vec<u64>,
    /// Addresses of the environment strings.
    pub envp_strings: Vec<u64>,
    /// Address of the `AT_EXECFN` string.
    pub execfn: u64,
    /// Address of the `AT_PLATFORM` string.
    pub platform: u64,
    /// Address of the `AT_RANDOM` bytes.
    pub random: u64,
}

impl InitialStack {
    /// The auxiliary vector as it lies on the stack, `AT_NULL` pair
    /// included (a core file's `NT_AUXV`, `/proc/<pid>/auxv`).
    pub fn auxv_bytes(&self) -> &[u8] {
        let start = self.auxv.saturating_sub(self.rsp) as usize;
        let rest = self.bytes.get(start..).unwrap_or(&[]);
        let mut end = 0;
        for pair in rest.chunks_exact(16) {
            end += 16;
            if pair[..8] == [0; 8] {
                break;
            }
        }
        &rest[..end]
    }
}

/// Builds the initial stack that ends at `stack_top`.
///
/// Errors: `E2BIG` if a string or the total exceeds `limits`; `EINVAL` if a
/// string contains a NUL or `stack_top` is not 16-byte aligned or too low
/// for the contents (kernel bugs, not user errors).
pub fn build_initial_stack<A: AsRef<[u8]>, E: AsRef<[u8]>>(
    stack_top: u64,
    contents: &StackContents<'_, A, E>,
    aux: &AuxValues,
    limits: ArgLimits,
) -> KernelResult<InitialStack> {
    if stack_top % 16 != 0 {
        return Err(Errno::EINVAL);
    }
    check_limits(contents, limits)?;
    let below = |addr: u64, len: u64| addr.checked_sub(len).ok_or(Errno::EINVAL);

    // Strings, from the top: a zero word, execfn, envp, argv.
    let mut p = below(stack_top, 8)?;
    let execfn = below(p, string_len(contents.execfn))?;
    p = execfn;
    let envp_total: u64 = contents.envp.iter().map(|s| string_len(s.as_ref())).sum();
    p = below(p, envp_total)?;
    let envp_strings = consecutive_addresses(p, contents.envp);
    let argv_total: u64 = contents.argv.iter().map(|s| string_len(s.as_ref())).sum();
    p = below(p, argv_total)?;
    let argv_strings = consecutive_addresses(p, contents.argv);

    p &= !15;
    let platform = below(p, string_len(PLATFORM))?;
    let random = below(platform, 16)?;

    let auxv_pairs = aux_pairs(aux, random, execfn, platform);
    let argc = contents.argv.len() as u64;
    let words = 1 + (argc + 1) + (contents.envp.len() as u64 + 1) + 2 * auxv_pairs.len() as u64;
    let rsp = below(random, words * 8)? & !15;

    let len = usize::try_from(stack_top - rsp).map_err(|_| Errno::E2BIG)?;
    let mut image = StackImage {
        bytes: alloc::vec![0u8; len],
        rsp,
    };
    image.put(execfn, contents.execfn);
    for (addr, s) in envp_strings.iter().zip(contents.envp) {
        image.put(*addr, s.as_ref());
    }
    for (addr, s) in argv_strings.iter().zip(contents.argv) {
        image.put(*addr, s.as_ref());
    }
    image.put(platform, PLATFORM);
    image.put(random, &contents.random);

    let mut cursor = rsp;
    let mut push = |image: &mut StackImage, word: u64| {
        image.put(cursor, &word.to_le_bytes());
        cursor += 8;
    };
    push(&mut image, argc);
    let argv = rsp + 8;
    for &addr in &argv_strings {
        push(&mut image, addr);
    }
    push(&mut image, 0);
    let envp = argv + 8 * (argc + 1);
    for &addr in &envp_strings {
        push(&mut image, addr);
    }
    push(&mut image, 0);
    let auxv = envp + 8 * (contents.envp.len() as u64 + 1);
    for (key, value) in auxv_pairs {
        push(&mut image, key);
        push(&mut image, value);
    }

    Ok(InitialStack {
        bytes: image.bytes,
        rsp,
        argc,
        argv,
        envp,
        auxv,
        argv_strings,
        envp_strings,
        execfn,
        platform,
        random,
    })
}

/// Bytes a C string occupies, NUL included.
fn string_len(s: &[u8]) -> u64 {
    s.len() as u64 + 1
}

fn consecutive_addresses<S: AsRef<[u8]>>(start: u64, strings: &[S]) -> Vec<u64> {
    let mut addr = start;
    strings
        .iter()
        .map(|s| {
            let this = addr;
            addr += string_len(s.as_ref());
            this
        })
        .collect()
}

fn check_limits<A: AsRef<[u8]>, E: AsRef<[u8]>>(
    contents: &StackContents<'_, A, E>,
    limits: ArgLimits,
) -> KernelResult<()> {
    let strings = contents
        .argv
        .iter()
        .map(|s| s.as_ref())
        .chain(contents.envp.iter().map(|s| s.as_ref()))
        .chain(core::iter::once(contents.execfn));
    let mut total: u64 = 0;
    for s in strings {
        if s.contains(&0) {
            return Err(Errno::EINVAL);
        }
        let len = string_len(s);
        if len > limits.max_string {
            return Err(Errno::E2BIG);
        }
        total = total.saturating_add(len);
    }
    // Linux counts at least one argv pointer even for an empty argv.
    let pointers = (contents.argv.len().max(1) + contents.envp.len()) as u64 * 8;
    if total.saturating_add(pointers) > limits.max_total {
        return Err(Errno::E2BIG);
    }
    Ok(())
}

/// The auxv pairs in Linux's order, ending with the `AT_NULL` pair.
fn aux_pairs(aux: &AuxValues, random: u64, execfn: u64, platform: u64) -> Vec<(u64, u64)> {
    let mut pairs = Vec::with_capacity(24);
    if let Some(ehdr) = aux.sysinfo_ehdr {
        pairs.push((AT_SYSINFO_EHDR, ehdr));
    }
    if let Some(size) = aux.minsigstksz {
        pairs.push((AT_MINSIGSTKSZ, size));
    }
    pairs.extend([
        (AT_HWCAP, aux.hwcap),
        (AT_PAGESZ, aux.pagesz),
        (AT_CLKTCK, aux.clktck),
        (AT_PHDR, aux.phdr),
        (AT_PHENT, aux.phent),
        (AT_PHNUM, aux.phnum),
        (AT_BASE, aux.base),
        (AT_FLAGS, 0),
        (AT_ENTRY, aux.entry),
        (AT_UID, u64::from(aux.uid)),
        (AT_EUID, u64::from(aux.euid)),
        (AT_GID, u64::from(aux.gid)),
        (AT_EGID, u64::from(aux.egid)),
        (AT_SECURE, u64::from(aux.secure)),
        (AT_RANDOM, random),
        (AT_HWCAP2, aux.hwcap2),
        (AT_EXECFN, execfn),
        (AT_PLATFORM, platform),
        (AT_NULL, 0),
    ]);
    pairs
}

/// The stack bytes under construction, addressed by user address.
struct StackImage {
    bytes: Vec<u8>,
    rsp: u64,
}

impl StackImage {
    /// Writes `data` at user address `addr` (always inside the image: every
    /// address was computed between `rsp` and the top).
    fn put(&mut self, addr: u64, data: &[u8]) {
        let start = (addr - self.rsp) as usize;
        self.bytes[start..start + data.len()].copy_from_slice(data);
    }
}
