//! The work before a system call runs, for a thread that has some: a
//! tracer's syscall-entry stop, then the thread's seccomp filters, in
//! Linux's order (`syscall_trace_enter`), so the filters judge the call
//! the tracer left. A kernel calls [`entry_work`] only when the process
//! is traced or the thread has a seccomp mode; other calls skip it.

use process::{Process, Thread};

use crate::kernel::Kernel;
use crate::registers::SavedRegisters;

/// Returns the call to run (a tracer may have changed `number`), or
/// `None` to skip it with `rax` as the tracer or the filters left it.
pub fn entry_work<K: Kernel>(
    kernel: &K,
    process: &Process<K::Env>,
    thread: &Thread<K::Env>,
    regs: &mut dyn SavedRegisters,
    number: u64,
) -> Option<u64> {
    let number = if process.is_traced() {
        crate::process::ptrace::syscall_entry(kernel, process, thread, regs, number)?
    } else {
        number
    };
    if thread.under_seccomp() {
        crate::process::seccomp::on_entry(kernel, process, thread, regs, number)
    } else {
        Some(number)
    }
}
