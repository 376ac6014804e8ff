//! Auxiliary vector entry types (`AT_*`), Linux x86_64 values, and the
//! values exec puts in them.

use crate::layout::PAGE_SIZE;
use crate::load_plan::ExecPlan;

/// End of the vector.
pub const AT_NULL: u64 = 0;
/// Address of the program headers.
pub const AT_PHDR: u64 = 3;
/// Size of one program header.
pub const AT_PHENT: u64 = 4;
/// Number of program headers.
pub const AT_PHNUM: u64 = 5;
/// Page size.
pub const AT_PAGESZ: u64 = 6;
/// Interpreter load address (0 without one).
pub const AT_BASE: u64 = 7;
/// Flags (always 0).
pub const AT_FLAGS: u64 = 8;
/// Program entry point (not the interpreter's).
pub const AT_ENTRY: u64 = 9;
/// Real user id.
pub const AT_UID: u64 = 11;
/// Effective user id.
pub const AT_EUID: u64 = 12;
/// Real group id.
pub const AT_GID: u64 = 13;
/// Effective group id.
pub const AT_EGID: u64 = 14;
/// Address of the platform string (`"x86_64"`).
pub const AT_PLATFORM: u64 = 15;
/// CPU feature bits (CPUID.1:EDX on x86).
pub const AT_HWCAP: u64 = 16;
/// Clock ticks per second for `times`.
pub const AT_CLKTCK: u64 = 17;
/// Nonzero for set-uid style "secure" execution.
pub const AT_SECURE: u64 = 23;
/// Address of 16 random bytes.
pub const AT_RANDOM: u64 = 25;
/// More CPU feature bits.
pub const AT_HWCAP2: u64 = 26;
/// Address of the executed path string.
pub const AT_EXECFN: u64 = 31;
/// Address of the vDSO's ELF header.
pub const AT_SYSINFO_EHDR: u64 = 33;
/// Minimal signal stack size the kernel's frames need.
pub const AT_MINSIGSTKSZ: u64 = 51;

/// `AT_PLATFORM`'s string on x86_64.
pub const PLATFORM: &[u8] = b"x86_64";

/// Clock ticks per second (`USER_HZ`), `AT_CLKTCK`.
pub const USER_HZ: u64 = 100;

/// Values exec reports in the auxiliary vector, other than the addresses of
/// strings the stack builder places itself (`AT_RANDOM`, `AT_EXECFN`,
/// `AT_PLATFORM`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuxValues {
    /// `AT_ENTRY`: the program's entry point.
    pub entry: u64,
    /// `AT_PHDR`.
    pub phdr: u64,
    /// `AT_PHENT`.
    pub phent: u64,
    /// `AT_PHNUM`.
    pub phnum: u64,
    /// `AT_BASE`: interpreter load address or 0.
    pub base: u64,
    /// `AT_UID`.
    pub uid: u32,
    /// `AT_EUID`.
    pub euid: u32,
    /// `AT_GID`.
    pub gid: u32,
    /// `AT_EGID`.
    pub egid: u32,
    /// `AT_SECURE`.
    pub secure: bool,
    /// `AT_HWCAP`.
    pub hwcap: u64,
    /// `AT_HWCAP2`.
    pub hwcap2: u64,
    /// `AT_CLKTCK`.
    pub clktck: u64,
    /// `AT_PAGESZ`.
    pub pagesz: u64,
    /// `AT_SYSINFO_EHDR`, emitted only when a vDSO is mapped.
    pub sysinfo_ehdr: Option<u64>,
    /// `AT_MINSIGSTKSZ`, emitted only when known.
    pub minsigstksz: Option<u64>,
}

impl AuxValues {
    /// The image values from `plan`, root credentials, no CPU features, and
    /// Linux's defaults for the rest; the caller overrides credentials,
    /// `secure`, `hwcap` and friends.
    pub fn for_plan(plan: &ExecPlan) -> AuxValues {
        AuxValues {
            entry: plan.program.entry,
            phdr: plan.program.phdr_addr,
            phent: plan.program.phent,
            phnum: plan.program.phnum,
            base: plan.interpreter_base(),
            uid: 0,
            euid: 0,
            gid: 0,
            egid: 0,
            secure: false,
            hwcap: 0,
            hwcap2: 0,
            clktck: USER_HZ,
            pagesz: PAGE_SIZE,
            sysinfo_ehdr: None,
            minsigstksz: None,
        }
    }
}
