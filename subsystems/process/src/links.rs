//! The intrusive adapters tying processes into the table's tree and threads
//! into their process's list.
//!
//! `intrusive_adapter!` expands to `unsafe impl`s inside intrusive-collections'
//! own macro (offset arithmetic it has audited), which is why this crate says
//! `deny(unsafe_code)` rather than `forbid`: `forbid` would reject the
//! macro's `allow`. No `unsafe` is written by hand anywhere in this crate.
//! The atomic link types are used so processes and threads are `Sync`.

use alloc::sync::Arc;

use intrusive_collections::{KeyAdapter, intrusive_adapter, linked_list, rbtree};

use crate::env::ProcessEnv;
use crate::pid::Pid;
use crate::process::Process;
use crate::thread::Thread;

intrusive_adapter!(
    /// Links a process into the table's pid-ordered tree.
    pub(crate) ProcessAdapter<E> = Arc<Process<E>>: Process<E> { table_link => rbtree::AtomicLink }
    where E: ProcessEnv
);

impl<'a, E: ProcessEnv> KeyAdapter<'a> for ProcessAdapter<E> {
    type Key = Pid;

    fn get_key(&self, process: &'a Process<E>) -> Pid {
        process.pid()
    }
}

intrusive_adapter!(
    /// Links a thread into its process's thread list.
    pub(crate) ThreadAdapter<E> = Arc<Thread<E>>: Thread<E> { process_link => linked_list::AtomicLink }
    where E: ProcessEnv
);
