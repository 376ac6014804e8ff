//! Starting user threads, and ending them: init, fork and clone, exit,
//! exit_group, and processes killed by faults.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::{Errno, KernelResult};
use arch::context::FpuArea;
use arch::trap::{FpuState, TrapFrame};
use mm::{UserMemory, UserSlice};
use process::{FileDescriptions, FsContext, NewProcess, Termination};
use signal::ThreadSignalState;
use spin::Once;

use super::exec::{ExecIds, load};
use super::{KernelEnv, Process, ThreadLink, UserLink, UserThread, processes};
use crate::memory::user::{SharedAddressSpace, share};
use crate::syscall::RunningKernel;
use crate::task::{self, WaitQueue};
use syscall::signals::send::send;

/// User code and data selectors (GDT order is fixed for sysret).
const USER_CS: u64 = 0x23;
const USER_SS: u64 = 0x1b;
/// IF set, reserved bit 1 set.
const USER_RFLAGS: u64 = 0x202;

static CHILD_EVENTS: Once<WaitQueue> = Once::new();

/// Woken whenever a child exits, stops or continues; `wait4` sleeps here.
pub fn child_events() -> &'static WaitQueue {
    CHILD_EVENTS.call_once(WaitQueue::new)
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
            thread.set_user(Some(setup_link));
            thread.set_fs_base(fs_base);
        },
        move || {
            task::current().set_address_space(Some(space));
            if let Some((address, tid)) = set_tid
                && let Ok(slice) = UserSlice::new(address, 4)
            {
                let _ = arch::usercopy::ActiveUserMemory.copy_to_user(slice, &tid.to_ne_bytes());
            }
            task::UserEntry { frame, fpu }
        },
    )?;
    user_thread.data().set_task(thread.id);
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
    FpuArea(fpu.0)
}

/// Where `clone` asked for the child's tid: written into the child
/// (`CLONE_CHILD_SETTID`) and cleared with a futex wake when its thread
/// exits (`CLONE_CHILD_CLEARTID`), as glibc's `fork` requests.
#[derive(Clone, Copy, Default)]
pub struct ChildTid {
    /// The address in the child's memory.
    pub address: u64,
    /// `CLONE_CHILD_SETTID`.
    pub set: bool,
    /// `CLONE_CHILD_CLEARTID`.
    pub clear: bool,
}

/// `fork`: a child process running a copy of the caller, returning 0 in it.
pub fn fork(frame: &TrapFrame, fpu: &FpuState, child_tid: ChildTid) -> KernelResult<i32> {
    let parent = super::current()?;
    check_process_limit(&parent.process)?;
    let signals = parent.thread.data().signals.lock().for_fork();
    let (child, thread) = processes().fork(&parent.process, ThreadLink::new(signals))?;
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
    if let Err(error) = start_user_thread_with(
        &String::from(child.data().name()),
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

/// `RLIMIT_NPROC`: a user may not own more processes than its limit
/// (root is exempt, as with Linux's `CAP_SYS_RESOURCE`).
fn check_process_limit(process: &Process) -> KernelResult<()> {
    let (uid, euid, limit) = {
        let data = process.data();
        let c = data.credentials();
        (
            c.uid(),
            c.euid(),
            data.rlimits().get(process::Resource::Nproc).soft,
        )
    };
    if euid == 0 || uid == 0 {
        return Ok(());
    }
    let owned = processes()
        .all_processes()
        .iter()
        .filter(|p| p.data().credentials().uid() == uid)
        .count() as u64;
    if owned >= limit {
        return Err(Errno::EAGAIN);
    }
    Ok(())
}

/// `clone(CLONE_VM | CLONE_THREAD | ...)`: a new thread in the caller's
/// process starting with the caller's registers, `rsp = stack`, rax 0.
pub fn spawn_thread(
    frame: &TrapFrame,
    fpu: &FpuState,
    stack: u64,
    tls: Option<u64>,
    clear_child_tid: Option<u64>,
) -> KernelResult<i32> {
    let current = super::current()?;
    let signals = current.thread.data().signals.lock().for_new_thread();
    let thread = processes().add_thread(&current.process, ThreadLink::new(signals))?;
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

/// Writes 0 to the thread's `clear_child_tid` and wakes a futex waiter
/// there (how `pthread_join` learns a thread ended).
fn clear_child_tid(thread: &UserThread) {
    let address = thread.clear_child_tid();
    if address == 0 {
        return;
    }
    if let Ok(slice) = UserSlice::new(address, 4) {
        let _ = arch::usercopy::ActiveUserMemory.copy_to_user(slice, &0u32.to_ne_bytes());
        if let Some(process) = processes().from_pid(thread.pid()) {
            syscall::futex::wake_word(&crate::syscall::RunningKernel, &process, address);
        }
    }
}

/// Moves the ticks the current kernel thread collected into its process's
/// CPU times (`times`, `getrusage`, and the parent's children times once
/// it is reaped).
pub fn fold_ticks(link: &UserLink) {
    let (user, kernel) = task::current().take_ticks();
    if user + kernel > 0 {
        link.process.data().add_ticks(user, kernel);
    }
}

/// Detaches the thread from its process; the last one finalizes the
/// process (zombie, SIGCHLD, address space freed).
fn finish_thread(link: &UserLink) {
    fold_ticks(link);
    let table = processes();
    let last = table.remove_thread(&link.thread);
    if !last {
        return;
    }
    let process = &link.process;
    {
        let mut to_wake = Vec::new();
        // A last `exit` (not exit_group) ends the process with its status.
        process.die(Termination::Exited(0), &mut to_wake);
    }
    let parent_auto_reaps =
        parent_of(process).is_some_and(|parent| parent.data().signals().child_policy().auto_reap);
    match table.finalize(process, parent_auto_reaps) {
        Ok(notice) => {
            drop(notice.closed);
            drop(notice.address_space);
            if let Some(parent) = notice.parent.and_then(|pid| table.from_pid(pid)) {
                let info = signal::SigInfo::child(
                    notice.info.code as i32,
                    notice.info.pid,
                    notice.info.uid,
                    notice.info.status,
                    0,
                    0,
                );
                if parent
                    .data()
                    .signals()
                    .action(signal::Signal::SIGCHLD)
                    .handler
                    != signal::Disposition::Ignore
                {
                    let _ = send(&RunningKernel, &parent, info);
                }
            }
            child_events().wake_all();
            hang_up_orphaned_groups(process);
        }
        Err(error) => log::error!("finalizing pid {} failed: {error}", process.pid()),
    }
    if process.pid() == 1 {
        init_exited(process);
    }
}

/// POSIX: when a process group becomes orphaned (no member has a parent in
/// another group of the same session) and has a stopped member, every
/// member gets SIGHUP then SIGCONT.
fn hang_up_orphaned_groups(exited: &Process) {
    let table = processes();
    let mut groups: Vec<i32> = Vec::new();
    groups.push(exited.data().pgid());
    for process in table.all_processes() {
        if process.data().ppid() == 1 {
            let pgid = process.data().pgid();
            if !groups.contains(&pgid) {
                groups.push(pgid);
            }
        }
    }
    for pgid in groups {
        let members = table.processes_in_group(pgid);
        let alive: Vec<_> = members
            .iter()
            .filter(|p| !matches!(p.data().state(), process::ProcessState::Zombie(_)))
            .collect();
        if alive.is_empty() {
            continue;
        }
        let stopped = alive
            .iter()
            .any(|p| matches!(p.data().state(), process::ProcessState::Stopped(_)));
        let orphaned = alive.iter().all(|p| {
            let (ppid, sid) = {
                let d = p.data();
                (d.ppid(), d.sid())
            };
            table.from_pid(ppid).is_none_or(|parent| {
                let d = parent.data();
                d.pgid() == pgid || d.sid() != sid
            })
        });
        if stopped && orphaned {
            for member in alive {
                let _ = send(
                    &RunningKernel,
                    member,
                    signal::SigInfo::kernel(signal::Signal::SIGHUP),
                );
                let _ = send(
                    &RunningKernel,
                    member,
                    signal::SigInfo::kernel(signal::Signal::SIGCONT),
                );
            }
        }
    }
}

fn parent_of(process: &Process) -> Option<Arc<Process>> {
    let ppid = process.data().ppid();
    processes().from_pid(ppid)
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
        clear_child_tid(&link.thread);
        let current = task::current();
        current.set_address_space(None);
        finish_thread(&link);
        current.set_user(None);
    }
    task::exit()
}

/// `exit_group`: every thread of the process ends with `termination`.
pub fn exit_group(termination: Termination) -> ! {
    if let Ok(link) = super::current() {
        kill_process(&link.process, termination);
    }
    exit_thread()
}

/// Marks `process` dying with `termination` and interrupts its threads so
/// each leaves at its next return towards user mode.
pub fn kill_process(process: &Process, termination: Termination) {
    syscall::signals::send::kill_process(&RunningKernel, process, termination);
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
    log::info!(
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
    if posted.is_err() {
        kill_process(
            &link.process,
            Termination::Killed {
                signal,
                core_dumped: true,
            },
        );
        exit_thread();
    }
}
