//! A fake environment: just enough mm, fs, signal and tty to drive the model.

#![allow(dead_code)]

use std::sync::Arc;

use abi::{Errno, KernelResult};
use process::{
    Credentials, ExitNotice, FileDescriptions, FsContext, NewProcess, Pid, Process, ProcessEnv,
    ProcessTable, Termination, WaitInfo, WaitOptions, WaitPoll, WaitTarget,
};

pub struct Fake;

std::thread_local! {
    /// Runs in the middle of this thread's next forks' memory copies.
    /// Pids the table said it reaped, on this test's thread.
    pub static REAPED: std::cell::RefCell<Vec<process::Pid>> = const { std::cell::RefCell::new(Vec::new()) };
    pub static DURING_FORK: std::cell::RefCell<Option<Box<dyn FnMut()>>> =
        std::cell::RefCell::new(None);
}

/// An address space that only counts its regions and forks.
#[derive(Clone, Debug, PartialEq)]
pub struct FakeSpace {
    pub regions: usize,
    pub forks: u32,
}

/// A path; names ending in ".txt" are files, "/secret" needs root.
#[derive(Clone, Debug, PartialEq)]
pub struct Dir(pub &'static str);

/// Signals with handlers installed (by number), ignored ones, and pending ones.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Signals {
    pub handled: Vec<u8>,
    pub ignored: Vec<u8>,
    pub pending: Vec<u8>,
}

impl ProcessEnv for Fake {
    type AddressSpace = FakeSpace;
    type Custody = Dir;
    type Description = Arc<&'static str>;
    type Signals = Signals;
    type Tty = u32;
    type ThreadData = ();
    type Protected = process::Unprotected;

    fn reaped(pid: process::Pid) {
        REAPED.with(|reaped| reaped.borrow_mut().push(pid));
    }

    fn fork_address_space(space: &mut FakeSpace) -> KernelResult<FakeSpace> {
        space.forks += 1;
        DURING_FORK.with(|hook| {
            if let Some(hook) = hook.borrow_mut().as_mut() {
                hook();
            }
        });
        Ok(space.clone())
    }

    fn fork_signals(signals: &Signals) -> Signals {
        Signals {
            pending: Vec::new(),
            ..signals.clone()
        }
    }

    fn reset_signals_for_exec(signals: &mut Signals) {
        signals.handled.clear();
    }

    fn check_search(dir: &Dir, credentials: &Credentials) -> KernelResult<()> {
        if dir.0.ends_with(".txt") {
            Err(Errno::ENOTDIR)
        } else if dir.0 == "/secret" && !credentials.capable(abi::capability::CAP_DAC_READ_SEARCH) {
            Err(Errno::EACCES)
        } else {
            Ok(())
        }
    }
}

pub type Table = ProcessTable<Fake>;
pub type Proc = Arc<Process<Fake>>;

/// Boot's init: root, cwd "/", console on 0, 1, 2, tty 1.
pub fn boot_init(table: &Table) -> Proc {
    let console = Arc::new("console");
    let mut fds = FileDescriptions::new(1024);
    for _ in 0..3 {
        fds.open(console.clone(), false).unwrap();
    }
    let (init, _) = table
        .create_process(
            NewProcess {
                name: "init".into(),
                credentials: Credentials::root(),
                fs: FsContext::new(Dir("/")),
                signals: Signals::default(),
                address_space: Some(FakeSpace {
                    regions: 3,
                    forks: 0,
                }),
                tty: Some(1),
                fds,
            },
            (),
        )
        .unwrap();
    init
}

pub fn fork(table: &Table, parent: &Proc) -> Proc {
    table.fork(parent, ()).unwrap().0
}

/// The whole exit path: die, every thread leaves, finalize.
pub fn terminate(
    table: &Table,
    process: &Proc,
    how: Termination,
    auto_reap: bool,
) -> ExitNotice<Fake> {
    let mut to_wake = Vec::new();
    assert!(process.die(how, &mut to_wake));
    for thread in process.threads() {
        table.remove_thread(&thread);
    }
    table.finalize(process, auto_reap).unwrap()
}

/// A job-control stop as the kernel carries it out: the process stops,
/// then each thread stops on its way back to user mode; the last one's
/// notice (what the parent is told) is returned.
pub fn stop(table: &Table, process: &Proc, signal: u8) -> Option<process::ChildNotice> {
    if !table.stop_process(process, signal) {
        return None;
    }
    let mut notice = None;
    for thread in process.threads() {
        notice = table.park_for_stop(process, &thread);
    }
    notice
}

pub fn exit(table: &Table, process: &Proc, code: u8) -> ExitNotice<Fake> {
    terminate(table, process, Termination::Exited(code), false)
}

/// `wait4(pid, &status, options)` as user space sees it: Ok(None) is a 0 return.
pub fn wait4(
    table: &Table,
    waiter: &Proc,
    pid: Pid,
    options: u32,
) -> Result<Option<WaitInfo>, Errno> {
    let target = WaitTarget::from_wait4(pid)?;
    let options = WaitOptions::for_wait4(options)?;
    match table.wait(waiter, target, options)? {
        WaitPoll::Ready(info) => Ok(Some(info)),
        WaitPoll::NotYet => Ok(None),
    }
}

pub fn waitid(
    table: &Table,
    waiter: &Proc,
    idtype: u32,
    id: i32,
    options: u32,
) -> Result<Option<WaitInfo>, Errno> {
    let target = WaitTarget::from_waitid(idtype, id)?;
    let options = WaitOptions::for_waitid(options)?;
    match table.wait(waiter, target, options)? {
        WaitPoll::Ready(info) => Ok(Some(info)),
        WaitPoll::NotYet => Ok(None),
    }
}
