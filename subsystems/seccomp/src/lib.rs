//! Secure computing (`seccomp(2)`): what a thread may still ask of the
//! kernel.
//!
//! A thread in strict mode may only `read`, `write`, `exit` and
//! `rt_sigreturn`. A thread in filter mode runs every system call through
//! a chain of classic BPF programs it (or an ancestor) attached; each
//! program sees the call as a [`SeccompData`] and answers with an action
//! ([`Action`]), and the most restrictive answer of the chain wins.
//!
//! The crate owns the rules, as Linux 6.1 has them: which BPF programs are
//! accepted ([`Program::new`]: seccomp's instruction subset, jumps in
//! range, no read of an unwritten scratch word, a return at the end), how
//! they run ([`Program::run`]), how chains grow and are shared
//! ([`Filter`], [`Seccomp`]: at most 32,768 instructions along a path,
//! kept across `fork` and `execve`, never removed), which answer wins
//! ([`Action::from_return`], [`Filter::evaluate`]) and which thread a
//! `SECCOMP_FILTER_FLAG_TSYNC` may change ([`Seccomp::may_synchronize_to`]),
//! and which answers are logged ([`is_logged`], with the machine-wide set
//! `/proc/sys/kernel/seccomp/actions_logged` shows and sets).
//! A reuser implements no trait: it keeps one [`Seccomp`] per thread,
//! asks [`Seccomp::check`] at every system-call entry of a thread that has
//! a mode, and carries out the [`Verdict`] (killing, signalling, failing
//! or stopping for a tracer).

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

mod action;
mod bpf;
mod data;
mod filter;
mod logging;
mod state;

pub use action::{Action, SECCOMP_RET_ACTION_FULL, SECCOMP_RET_DATA, ret};
pub use bpf::{BPF_MAXINSNS, BPF_MEMWORDS, Program, SockFilter};
pub use data::{AUDIT_ARCH_X86_64, SeccompData};
pub use filter::{Filter, MAX_INSNS_PER_PATH};
pub use logging::{ACTIONS_AVAILABLE, actions_logged, is_logged, set_actions_logged};
pub use state::{Mode, STRICT_ALLOWED, Seccomp, Verdict};
