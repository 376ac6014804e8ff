//! POSIX signals for Courage, with Linux x86_64 semantics and layouts.
//!
//! This crate owns the signal *data* and every *decision* about it: signal
//! numbers and sets, dispositions (`rt_sigaction`), masks
//! (`rt_sigprocmask`, `rt_sigsuspend`), pending queues (standard signals
//! coalesce, real-time ones queue with their values), who may signal whom,
//! which thread takes a process-directed signal, what a thread does with
//! the next signal, the `rt_sigframe` a handler receives and its validation
//! at `rt_sigreturn`, syscall restarting, and `ITIMER_REAL` bookkeeping. It
//! performs no I/O: the kernel copies frames to and from user memory, wakes
//! and stops threads, kills processes and runs timers.
//!
//! There is no trait to implement. A reuser embeds one
//! [`ProcessSignalState`] per process and one [`ThreadSignalState`] per
//! thread, calls the `send_*` functions to post, [`next_signal_to_deliver`]
//! on every return to user mode, [`plan_signal_frame`] /
//! [`restore_from_frame`] around handlers, and converts its trap frame to
//! [`UserRegisters`].
//!
//! Invariants:
//! 1. No mask ever contains SIGKILL or SIGSTOP, and their actions never
//!    change: every entry point strips or refuses them.
//! 2. A signal is in a queue's pending set iff it may be taken from it; a
//!    standard signal has at most one queued info.
//! 3. Nothing user space passes in can panic: bad input is an [`abi::Errno`];
//!    a bad frame at `rt_sigreturn` is `EFAULT`, meaning "kill with SIGSEGV".
//!
//! Locking: the crate holds no locks and no globals. Functions that touch
//! both a process's and its threads' state take `&mut` to each, so the
//! caller holds the threads' signal locks first (in thread-list order) and
//! then the process's data (whose signal state this is), always in that
//! order, as the `syscall` crate does; process-wide effects (SIGCONT/stop
//! discarding, ignoring a pending signal) need every thread of the process.

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

mod action;
mod altstack;
mod deliver;
mod frame;
mod itimer;
mod pending;
mod permission;
mod posix_timer;
mod process;
mod registers;
mod restart;
mod routing;
mod send;
mod setup;
mod siginfo;
mod signal;
mod sigreturn;
mod sigset;
mod thread;

pub use action::{Disposition, KernelSigAction, SaFlags, SigAction};
pub use altstack::{AltStack, MINSIGSTKSZ, SS_AUTODISARM, SS_DISABLE, SS_ONSTACK, StackT};
pub use deliver::{
    Action, Delivery, HandlerInvocation, action_for_delivery, next_signal_to_deliver,
};
pub use frame::{
    DEFAULT_MXCSR_MASK, FXSAVE_SIZE, FxsaveArea, RT_SIGFRAME_SIZE, RtSigFrame, SIGINFO_OFFSET,
    Sigcontext, UC_FP_XSTATE, UC_SIGCONTEXT_SS, UC_STRICT_RESTORE_SS, UCONTEXT_OFFSET, UContext,
};
pub use itimer::{CpuTimer, ItimerWhich, Itimerval, RealTimer, Timeval};
pub use pending::{DEFAULT_QUEUE_LIMIT, PendingSignals, PostOutcome};
pub use permission::{
    SignalCredentials, TargetRelation, check_kill_permission, check_queued_siginfo,
};
pub use posix_timer::{
    DELAYTIMER_MAX, Expiry, MAX_TIMERS_PER_PROCESS, PosixTimers, TimerClock, TimerNotify,
    TimerSetting,
};
pub use process::{ChildPolicy, ProcessSignalState};
pub use registers::{FaultContext, UserRegisters, UserSelectors, rflags};
pub use restart::{
    RestartBlock, RestartCode, RestartDecision, SYS_RESTART_SYSCALL, SYSCALL_INSTRUCTION_LEN,
    apply_restart, restart_decision,
};
pub use routing::{KillTarget, check_tgkill_ids, choose_target_thread};
pub use send::{force_fatal_signal, force_fault_signal, send_to_process, send_to_thread};
pub use setup::{
    FramePlacement, FramePlan, FrameRequest, RED_ZONE, build_signal_frame, place_frame,
    place_request, plan_signal_frame,
};
pub use siginfo::{
    KEPT_UNION_BYTES, RawSigInfo, SigFields, SigInfo, check_siginfo_expansion, codes,
};
pub use signal::{DefaultAction, Signal};
pub use sigreturn::{
    RestoredContext, USER_ADDRESS_END, restore_from_frame, sigreturn_frame_address,
    sigreturn_ucontext_address,
};
pub use sigset::{SIGSET_SIZE, SigSet};
pub use thread::{MaskHow, ThreadSignalState};
