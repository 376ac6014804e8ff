//! The system-call layer's whole call sequences against a fake kernel,
//! one module per family. One test binary: the layer is generic over its
//! `Kernel`, so every binary instantiated all of it again (23 binaries took
//! most of the workspace's test build).

mod common;
mod eventfd;
mod files;
mod futex;
mod fuzz;
mod info;
mod inotify;
mod kcmp;
mod lifecycle;
mod memory;
mod memory_lock;
mod msg;
mod openat2;
mod paths;
mod pipes;
mod proc;
mod process;
mod ptrace;
mod remote_memory;
mod seccomp;
mod shm;
mod signals;
mod sockets;
mod terminal;
mod time;
mod unknown;
