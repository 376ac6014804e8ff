//! Process and thread calls: ids and groups ([`ids`]), credentials
//! ([`credentials`]), I/O priorities ([`ioprio`]), waiting for children ([`wait`], [`child_events`])
//! and the life cycle: `clone`/`fork`/`vfork`, `execve`, `exit`,
//! thread-local storage ([`lifecycle`]), and a thread's way out
//! ([`exit`]).
//!
//! The `process` crate owns the table, the state machine and the wait
//! rules; these handlers decode arguments and call it. What needs the
//! scheduler (starting a thread, loading a program, switching address
//! spaces) goes through [`Kernel`](crate::Kernel).

pub mod capabilities;
pub mod child_events;
pub mod coredump;
pub mod credentials;
pub mod exit;
pub mod ids;
pub mod ioprio;
pub mod kcmp;
pub mod lifecycle;
pub mod oom;
pub mod pidfd;
pub mod ptrace;
pub mod remote_memory;
pub mod seccomp;
pub mod wait;
