//! Starting user threads, and ending them: init, fork and clone, exit,
//! exit_group, and processes killed by faults.

use alloc::string::String;
use alloc::vec::Vec;

use abi::{Errno, KernelResult};
use arch::context::FpuArea;
use arch::trap::{FpuState, TrapFrame};
use mm::{UserMemory, UserSlice};
use process::{FileDescriptions, FsContext, NewProcess, Termination};
use signal::ThreadSignalState;
use spin::Once;
use syscall::process::oom::OomAction;

use super::exec::{ExecIds, load};
use super::{KernelEnv, Process, ThreadLink, UserLink, processes};
use crate::memory::user::{SharedAddressSpace, share};
use crate::syscall::RunningKernel;
use crate::task::{self, WaitQueue};

/// User code and data selectors (GDT order is fixed for sysret).
const USER_CS: u64 = 0x33;
const USER_SS: u64 = 0x2b;
/// IF set, reserved bit 1 set.
const USER_RFLAGS: u64 = 0x202;

/// How many child-event queues processes share (by pid): enough that
/// unrelated parents rarely meet on one.
const CHILD_EVENT_QUEUES: usize = 64;
static CHILD_EVENTS: Once<[WaitQueue; CHILD_EVENT_QUEUES]> = Once::new();

/// The queues processes sleep on for their children's changes (see
/// `syscall::process::child_events`).
pub fn child_events() -> &'static [WaitQueue] {
    CHILD_EVENTS.call_once(|| core::array::from_fn(|_| WaitQueue::new()))
}

/// A frame that enters user mode at `rip` with stack `rsp`, registers zero.
pub fn initial_frame(rip: u64, rsp: u64) -> TrapFrame {
    TrapFrame {
        rip,
        rsp,
        cs: USER_CS,
        ss: USER_SS,
        rflags: USER_RFLAGS,
        ..TrapFrame::default()
    }
}

fn start_user_thread(
    name: &str,
    link: UserLink,
    space: SharedAddressSpace,
    fs_base: u64,
    frame: TrapFrame,
    fpu: FpuArea,
) -> KernelResult<()> {
    start_user_thread_with(name, link, space, fs_base, frame, fpu, None)
}

/// As [`start_user_thread`], writing `tid` at `address` in the new
/// thread's memory first when asked (`CLONE_CHILD_SETTID`).
fn start_user_thread_with(
    name: &str,
    link: UserLink,
    space: SharedAddressSpace,
    fs_base: u64,
    frame: TrapFrame,
    fpu: FpuArea,
    set_tid: Option<(u64, i32)>,
) -> KernelResult<()> {
    let user_thread = link.thread.clone();
    let setup_link = link.clone();
    // A new thread inherits the nice value of the thread that made it
    // (init starts at 0).
    let priority = super::current()
        .ok()
        .and_then(|_| task::priority(task::current().id).ok())
        .unwrap_or(sched::Priority::NORMAL);
    let thread = task::spawn_user(
        name,
        priority,
        move |thread| {
            // Before the thread can run: on another CPU it may ask for its
            // own priority (or be signalled) at once.
            setup_link.thread.data().set_task(thread.id);
            thread.set_user(setup_link);
            thread.set_fs_base(fs_base);
        },
        move || {
            task::current().set_address_space(Some(space));
            if let Some((address, tid)) = set_tid
                && let Ok(slice) = UserSlice::new(address, 4)
            {
                let _ = arch::usercopy::ActiveUserMemory.copy_to_user(slice, &tid.to_ne_bytes());
            }
            // The first return to user mode looks at signals as every
            // later one does (Linux's `ret_from_fork`): a signal sent
            // before the thread first ran is handled before its first
            // instruction, and a thread killed meanwhile runs none.
            let (mut frame, mut fpu) = (frame, FpuState::from_image(fpu.0));
            super::signals::on_return_to_user(&mut frame, &mut fpu);
            task::UserEntry {
                frame,
                fpu: FpuArea(*fpu.image()),
            }
        },
    )?;
    debug_assert_eq!(user_thread.data().task(), Some(thread.id));
    let _ = link;
    Ok(())
}

/// Creates pid 1 from `path` with the console as fds 0, 1 and 2.
pub fn start_init(path: &str, argv: Vec<Vec<u8>>) -> KernelResult<()> {
    let vfs = super::vfs::vfs();
    let root = vfs.root_custody();
    let creds = fs::Credentials::root();
    let ctx = fs::PathContext {
        base: &root,
        root: &root,
        creds: &creds,
    };
    let envp: Vec<Vec<u8>> = ["HOME=/", "TERM=linux", "PATH=/sbin:/usr/sbin:/bin:/usr/bin"]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
    let image = load(
        ctx,
        path.as_bytes(),
        None,
        argv,
        envp.clone(),
        ExecIds {
            uid: 0,
            euid: 0,
            gid: 0,
            egid: 0,
        },
    )?;
    let mut fds = FileDescriptions::default();
    for _ in 0..3 {
        let console = vfs.open(&ctx, "/dev/console", fs::OpenFlags::O_RDWR, 0)?;
        fds.open(console, false)?;
    }
    let space = share(image.space);
    let new = NewProcess::<KernelEnv> {
        name: image.name.clone(),
        credentials: process::Credentials::root(),
        fs: FsContext::new(root.clone()),
        signals: signal::ProcessSignalState::default(),
        address_space: Some(space.clone()),
        tty: Some(()),
        fds,
    };
    let (process, thread) =
        processes().create_process(new, ThreadLink::new(ThreadSignalState::default()))?;
    log::info!("starting init: pid {} runs {path}", process.pid());
    {
        let mut data = process.data();
        data.set_program(process::Program::new(image.exe.clone(), &image.argv, &envp));
        data.set_start_time(crate::time::now_ns());
    }
    let link = UserLink { process, thread };
    start_user_thread(
        "init",
        link,
        space,
        0,
        initial_frame(image.entry, image.stack_pointer),
        FpuArea::initial(),
    )
}

fn fpu_copy(fpu: &FpuState) -> FpuArea {
    FpuArea(*fpu.image())
}

pub use syscall::process::lifecycle::ChildTid;

/// `fork`: a child process running a copy of the caller, returning 0 in it;
/// `before_start` gets its pid before it can run.
pub fn fork(
    frame: &TrapFrame,
    fpu: &FpuState,
    child_tid: ChildTid,
    memory: process::ForkMemory,
    before_start: &mut dyn FnMut(i32),
) -> KernelResult<i32> {
    let parent = super::current()?;
    let signals = parent.thread.data().signals.lock().for_fork();
    let (child, thread) = processes().fork_with(
        &parent.process,
        Some(&parent.thread),
        ThreadLink::new(signals),
        memory,
    )?;
    let pid = child.pid();
    super::procfs::count_fork();
    child.data().set_start_time(crate::time::now_ns());
    if child_tid.clear {
        thread.set_tid_address(child_tid.address);
    }
    let space = child.data().address_space().cloned().ok_or(Errno::EFAULT)?;
    let mut child_frame = *frame;
    child_frame.rax = 0;
    let link = UserLink {
        process: child.clone(),
        thread,
    };
    let fs_base = task::current().fs_base();
    let settid = child_tid.set.then_some(child_tid.address);
    // Not inside the call: a temporary guard there would live through the
    // error arm, whose `die` takes the same lock.
    let name = String::from(child.data().name());
    // Before it can run (and exit) on another CPU.
    before_start(pid);
    if let Err(error) = start_user_thread_with(
        &name,
        link.clone(),
        space,
        fs_base,
        child_frame,
        fpu_copy(fpu),
        settid.map(|address| (address, pid)),
    ) {
        // No thread will ever run it: end it as if it exited at once.
        let mut to_wake = Vec::new();
        child.die(
            Termination::Killed {
                signal: 9,
                core_dumped: false,
            },
            &mut to_wake,
        );
        finish_thread(&link);
        return Err(error);
    }
    Ok(pid)
}

/// `clone(CLONE_VM | CLONE_THREAD | ...)`: a new thread in the caller's
/// process starting with the caller's registers, `rsp = stack`, rax 0.
pub fn spawn_thread(
    frame: &TrapFrame,
    fpu: &FpuState,
    stack: u64,
    tls: Option<u64>,
    clear_child_tid: Option<u64>,
    announce: impl FnOnce(i32),
) -> KernelResult<i32> {
    let current = super::current()?;
    let signals = current.thread.data().signals.lock().for_new_thread();
    let thread = processes().add_thread_from(
        &current.process,
        Some(&current.thread),
        ThreadLink::new(signals),
    )?;
    let tid = thread.tid();
    if let Some(address) = clear_child_tid {
        thread.set_tid_address(address);
    }
    let space = task::current().address_space().ok_or(Errno::EFAULT)?;
    let mut child_frame = *frame;
    child_frame.rax = 0;
    if stack != 0 {
        child_frame.rsp = stack;
    }
    let fs_base = tls.unwrap_or_else(|| task::current().fs_base());
    let link = UserLink {
        process: current.process.clone(),
        thread,
    };
    let name = String::from(current.process.data().name());
    // Before it can run (and exit) on another CPU.
    announce(tid);
    if let Err(error) = start_user_thread(
        &name,
        link.clone(),
        space,
        fs_base,
        child_frame,
        fpu_copy(fpu),
    ) {
        processes().remove_thread(&link.thread);
        return Err(error);
    }
    Ok(tid)
}

/// Folds the CPU time the current kernel thread ran since the last fold
/// into its process's CPU times (`times`, `getrusage`, and the parent's
/// children times once it is reaped) and charges its interval timers,
/// once it has collected a few timer ticks (about every 20 ms of running).
/// Runs when a call asks for the times and on a return to user mode that
/// looks at the thread's signals, which the tick that makes a fold due
/// asks for ([`request_fold_if_due`]): a return with nothing to fold
/// looks at the tick counts only, not at the thread's link. Nothing for a
/// kernel thread.
#[inline]
pub fn fold_current_ticks() {
    let current = task::current();
    if current.has_ticks_to_take(FOLD_EVERY_TICKS)
        && let Some(link) = current.user_link()
    {
        fold_cpu_time(link, None);
    }
}

/// After a timer tick was charged to the running thread: once it has a
/// fold due, its next return to user mode looks
/// ([`process::Thread::request_signal_check`]) and folds.
pub fn request_fold_if_due() {
    let current = task::current();
    if current.has_ticks_to_take(FOLD_EVERY_TICKS)
        && let Some(link) = current.user_link()
    {
        link.thread.request_signal_check();
    }
}

/// Timer ticks between folds.
const FOLD_EVERY_TICKS: u64 = 5;

/// The fold: whole `USER_HZ` ticks of the thread's CPU time as the
/// scheduler accounts it (to the nanosecond, like the CPU-time clocks),
/// split between user mode and the kernel as the sampled timer ticks
/// since the last fold are; what is left under a tick waits for the next
/// fold, and at the thread's exit (`exit_ns`: its CPU time then) counts
/// to the nearest tick. Summing sampled ticks instead undercounted a thread that timer
/// interrupts seldom caught, so `getrusage` could say less than the
/// clocks (a child that spun for 30 ms of CPU time was reaped with none).
#[inline(never)]
fn fold_cpu_time(link: &UserLink, exit_ns: Option<u64>) {
    let current = task::current();
    let tick_ns = 1_000_000_000 / syscall::info::USER_HZ;
    let cpu_ns = exit_ns.unwrap_or_else(|| task::cpu_time_ns(current.id));
    let ran = cpu_ns.saturating_sub(current.cpu_ns_folded());
    let ticks = match exit_ns {
        Some(_) => (ran + tick_ns / 2) / tick_ns,
        None => ran / tick_ns,
    };
    if ticks == 0 {
        return;
    }
    current.add_cpu_ns_folded(ticks * tick_ns);
    let (user_samples, kernel_samples) = current.take_ticks(1);
    let times = process::CpuTimes::split(ticks, user_samples, kernel_samples);
    link.process.data().add_ticks(times.user, times.kernel);
    syscall::signals::timers::charge_cpu_timers(
        &RunningKernel,
        &link.process,
        &link.thread,
        cpu_ns,
        times.user * tick_ns,
        times.kernel * tick_ns,
    );
}

/// Detaches the thread from its process; the last one finalizes the
/// process (zombie, SIGCHLD, address space freed).
fn finish_thread(link: &UserLink) {
    // Noted before the thread detaches: once the process ends, its parent
    // may reap it and read the report before this thread runs again.
    crate::profiler::note_exit(&link.process);
    let ended = syscall::process::exit::finish_thread(&RunningKernel, &link.process, &link.thread);
    if ended && link.process.pid() == 1 {
        init_exited(&link.process);
    }
}

fn init_exited(process: &Process) {
    let termination = process.data().termination();
    log::info!("init exited: {termination:?}");
    let success = matches!(termination, Some(Termination::Exited(0)));
    if crate::crash::EXIT_ON_CRASH.load(core::sync::atomic::Ordering::SeqCst) {
        arch::qemu::exit(if success {
            arch::qemu::ExitCode::Success
        } else {
            arch::qemu::ExitCode::Failure
        });
    }
    if !success {
        panic!("attempted to kill init: {termination:?}");
    }
}

/// Ends the current user thread (its process too if it was the last).
pub fn exit_thread() -> ! {
    if let Ok(link) = super::current() {
        syscall::process::exit::release_robust_futexes(&RunningKernel, &link.process, &link.thread);
        syscall::process::exit::clear_child_tid(&RunningKernel, &link.process, &link.thread);
        let current = task::current();
        current.set_address_space(None);
        // What it ran stays with its process's CPU clock and times.
        let cpu_ns = task::cpu_time_ns(current.id);
        link.thread.set_exit_cpu_ns(cpu_ns);
        fold_cpu_time(&link, Some(cpu_ns));
        finish_thread(&link);
        // The kernel thread keeps its link (and so the process structure)
        // until it is freed (at the next spawn or exit); everything the
        // process owned that matters was released by finish_thread.
    }
    task::exit()
}

/// Marks `process` dying with `termination` and interrupts its threads so
/// each leaves at its next return towards user mode.
pub fn kill_process(process: &Process, termination: Termination) {
    syscall::signals::send::kill_process(&RunningKernel, process, termination);
}

/// A user page fault found no frame: the out-of-memory killer picks a
/// victim (perhaps this process), and the fault is retried once memory
/// comes back; only when nobody may be killed does this process die.
pub fn fault_out_of_memory(frame: &TrapFrame, address: u64) {
    let now = crate::time::now_ns();
    match syscall::process::oom::out_of_memory(&RunningKernel, now) {
        OomAction::Killed { .. } | OomAction::VictimDying(_) => {}
        OomAction::NoVictim => {
            const SIGKILL: u8 = 9;
            return fault(frame, SIGKILL, 0, "out of memory", Some(address));
        }
    }
    // Back to user space: a pending SIGKILL (this process was chosen) ends
    // it there; otherwise the access faults again once memory is back.
    crate::task::sleep_until(now + 10_000_000);
}

/// A user fault the kernel cannot resolve: the faulting thread gets
/// `signal` with `si_code` `code` and `si_addr` `address` (a handler may
/// catch it; by default the process dies, with a core flag where Linux
/// dumps core). The kernel goes on.
pub fn fault(frame: &TrapFrame, signal: u8, code: i32, what: &str, address: Option<u64>) {
    let Ok(link) = super::current() else {
        exit_thread()
    };
    let name = String::from(link.process.data().name());
    // Breakpoints and single steps are a debugger's daily bread, not news.
    let level = if signal == 5 {
        log::Level::Debug
    } else {
        log::Level::Info
    };
    log::log!(
        level,
        "pid {} ({name}): {what}{} at rip {:#x}: signal {signal}",
        link.process.pid(),
        address.map_or_else(String::new, |a| alloc::format!(" at {a:#x}")),
        frame.rip
    );
    let Ok(sig) = signal::Signal::from_raw(i32::from(signal)) else {
        exit_thread()
    };
    if sig == signal::Signal::SIGKILL {
        kill_process(
            &link.process,
            Termination::Killed {
                signal,
                core_dumped: false,
            },
        );
        exit_thread();
    }
    let info = signal::SigInfo::fault(sig, code, address.unwrap_or(frame.rip));
    let posted = {
        let mut thread_signals = link.thread.data().signals.lock();
        let mut data = link.process.data();
        signal::force_fault_signal(data.signals_mut(), &mut thread_signals, info)
    };
    link.thread.request_signal_check();
    if posted.is_err() {
        // Not deliverable even by force: the process dies here, before the
        // signal path that writes cores, so no core is claimed.
        kill_process(
            &link.process,
            Termination::Killed {
                signal,
                core_dumped: false,
            },
        );
        exit_thread();
    }
}
