//! System V IPC: shared-memory segments (`shm.rs`). The `ipc` crate owns
//! the namespace's rules; these handlers hold its pages and map them.

pub mod shm;
