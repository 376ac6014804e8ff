//! Terminals through system calls: the `termios` and job-control
//! `ioctl`s, and the job-control checks on reads and writes. The `tty`
//! crate decides; this module finds the caller's place (its group and
//! session), asks, and sends the signals it is told to.

use abi::{Errno, Termios, WinSize, ioctl as request};
use fs::FileDescription;
use fs::devices::terminal::Terminal;
use signal::{SigInfo, Signal};
use tty::{Access, JobControl, JobSignal, Member, ReadWait};

use crate::SyscallResult;
use crate::args::UserPtr;
use crate::context::Context;
use crate::kernel::{Kernel, UserThreadData};
use crate::signals::send::send_to_group;

const TCSBRK: u32 = 0x5409;
const TCXONC: u32 = 0x540a;
const TCFLSH: u32 = 0x540b;
const TIOCSCTTY: u32 = 0x540e;
const TIOCNOTTY: u32 = 0x5422;
const TIOCGSID: u32 = 0x5429;
const TCIFLUSH: u64 = 0;
const TCOFLUSH: u64 = 1;
const TCIOFLUSH: u64 = 2;

fn member<K: Kernel>(ctx: &Context<'_, K>) -> Member {
    let data = ctx.process.data();
    Member {
        pgid: data.pgid(),
        sid: data.sid(),
        session_leader: data.sid() == ctx.process.pid(),
    }
}

fn signal_of(job: JobSignal) -> Signal {
    Signal::from_raw(i32::from(job.number())).unwrap_or(Signal::SIGHUP)
}

fn send_job_signal<K: Kernel>(ctx: &Context<'_, K>, group: i32, job: JobSignal) {
    send_to_group(ctx.kernel, group, SigInfo::kernel(signal_of(job)));
}

/// Whether the caller ignores or blocks `signal` (then it is not stopped
/// by it), and whether its group is orphaned (nobody would continue it).
fn ignores_or_blocks<K: Kernel>(ctx: &Context<'_, K>, signal: Signal) -> bool {
    let blocked = ctx
        .thread
        .data()
        .signals()
        .lock()
        .blocked()
        .contains(signal);
    blocked || ctx.process.data().signals().ignores(signal)
}

fn orphaned<K: Kernel>(ctx: &Context<'_, K>, member: &Member) -> bool {
    let members = ctx.kernel.processes().processes_in_group(member.pgid);
    crate::process::exit::is_orphaned(ctx.kernel, &members, member.pgid)
}

/// Acts on a job-control decision: a stop signal to the caller's group
/// and `EINTR` (restarted once the job runs in the foreground), or the
/// error.
fn enforce<K: Kernel>(ctx: &Context<'_, K>, member: &Member, access: Access) -> Result<(), Errno> {
    match access {
        Access::Allowed => Ok(()),
        Access::Denied(errno) => Err(errno),
        Access::Stop(job) => {
            send_job_signal(ctx, member.pgid, job);
            Err(Errno::EINTR)
        }
    }
}

/// Applies a job-control rule for the caller on `terminal`. The common
/// case (the caller in front, or not of the terminal's session) costs one
/// lock; otherwise what the rule needs about the caller is gathered with
/// the terminal unlocked (process locks are not taken under it).
fn job_access<K: Kernel>(
    ctx: &Context<'_, K>,
    terminal: &Terminal,
    stop_signal: Signal,
    rule: impl FnOnce(&JobControl, &Member, bool, bool) -> Access,
) -> Result<(), Errno> {
    let member = member(ctx);
    if !terminal.jobs.lock().in_background(&member) {
        return Ok(());
    }
    let ignored = ignores_or_blocks(ctx, stop_signal);
    let orphaned = orphaned(ctx, &member);
    let access = rule(&terminal.jobs.lock(), &member, ignored, orphaned);
    enforce(ctx, &member, access)
}

/// A read of a terminal by a background job stops it (`SIGTTIN`).
pub fn check_read<K: Kernel>(
    ctx: &Context<'_, K>,
    description: &FileDescription,
) -> Result<(), Errno> {
    let Some(terminal) = description.file().terminal() else {
        return Ok(());
    };
    if !description.file().reads_terminal_input() {
        return Ok(());
    }
    job_access(
        ctx,
        terminal,
        Signal::SIGTTIN,
        |jobs, member, ignored, orphaned| jobs.check_read(member, ignored, orphaned),
    )
}

/// Whether the caller's session already has a controlling terminal other
/// than `terminal`.
fn session_has_other_terminal<K: Kernel>(ctx: &Context<'_, K>, terminal: &Terminal) -> bool {
    let sid = ctx.process.data().sid();
    ctx.kernel
        .session_terminal(sid)
        .and_then(|file| file.terminal().map(|t| !core::ptr::eq(t, terminal)))
        .unwrap_or(false)
}

/// `open` of a terminal without `O_NOCTTY`: a session leader without a
/// controlling terminal acquires it if no session has it (System V rules,
/// as Linux).
pub fn acquire_on_open<K: Kernel>(ctx: &Context<'_, K>, description: &FileDescription) {
    let file = description.file();
    let Some(terminal) = file.terminal() else {
        return;
    };
    if !file.reads_terminal_input() {
        return;
    }
    // `/dev/console` never becomes a controlling terminal by opening it
    // (Linux's rule: init and daemons open it to log).
    if description
        .stat()
        .is_ok_and(|stat| stat.rdev == fs::types::make_dev(5, 1))
    {
        return;
    }
    let caller = member(ctx);
    if !caller.session_leader {
        return;
    }
    let has_terminal = ctx.kernel.session_terminal(caller.sid).is_some();
    terminal.jobs.lock().acquire_on_open(&caller, has_terminal);
}

/// Reads `terminal` (the file of `description`) when its line discipline
/// says a read completes: a line in canonical mode, `VMIN` bytes or the
/// `VTIME` timer otherwise (`tty::LineDiscipline::read_wait`). A
/// non-blocking read takes what is there.
pub fn read<K: Kernel>(
    ctx: &Context<'_, K>,
    description: &FileDescription,
    terminal: &Terminal,
    buffer: &mut [u8],
) -> Result<usize, Errno> {
    if description.is_nonblocking() {
        return description.read(buffer);
    }
    let started = ctx.kernel.now_ns();
    let mut input_grew = None;
    let mut last_available = 0;
    loop {
        let queue = description.wait_queue();
        let seen = queue.as_ref().map_or(0, |queue| queue.event_count());
        let now = ctx.kernel.now_ns();
        let (available, wait) = {
            let line = terminal.line.lock();
            let available = line.available();
            if available > last_available {
                // The inter-byte timer restarts with every byte.
                input_grew = Some(now);
            }
            (
                available,
                line.read_wait(buffer.len(), started, input_grew, now),
            )
        };
        last_available = available;
        let deadline = match wait {
            ReadWait::Now => {
                return match description.read(buffer) {
                    // The VTIME timer ran out with nothing typed.
                    Err(Errno::EAGAIN) if available == 0 => Ok(0),
                    other => other,
                };
            }
            ReadWait::ForInput => None,
            ReadWait::Until(deadline) => Some(deadline),
        };
        // A hangup shows only to a read (end of file): ask the device while
        // nothing is queued, which cannot take a partial VMIN.
        if available == 0 {
            match description.read(buffer) {
                Err(Errno::EAGAIN) => {}
                other => return other,
            }
        }
        match &queue {
            Some(queue) => queue.wait_for_event_until(seen, true, deadline)?,
            None => return Err(Errno::EAGAIN),
        }
    }
}

/// A write to a terminal by a background job under `TOSTOP` stops it
/// (`SIGTTOU`).
pub fn check_write<K: Kernel>(
    ctx: &Context<'_, K>,
    description: &FileDescription,
) -> Result<(), Errno> {
    let Some(terminal) = description.file().terminal() else {
        return Ok(());
    };
    if !description.file().reads_terminal_input() || !terminal.line.lock().stops_background_writes()
    {
        return Ok(());
    }
    check_change(ctx, terminal)
}

/// A settings change from a background job stops it (`SIGTTOU`) unless
/// it ignores or blocks `SIGTTOU`.
fn check_change<K: Kernel>(ctx: &Context<'_, K>, terminal: &Terminal) -> Result<(), Errno> {
    job_access(
        ctx,
        terminal,
        Signal::SIGTTOU,
        |jobs, member, ignored, orphaned| jobs.check_change(member, ignored, orphaned),
    )
}

const TIOCGPTN: u32 = 0x8004_5430;
const TIOCSPTLCK: u32 = 0x4004_5431;

/// The pseudo-terminal `ioctl`s: the pair's number (`ptsname`) and the
/// slave's lock (`unlockpt`).
pub fn pty_ioctl<K: Kernel>(
    ctx: &Context<'_, K>,
    pair: &fs::devices::pty::PtyPair,
    master: bool,
    req: u32,
    arg: u64,
) -> Option<SyscallResult> {
    Some(match req {
        // The master may ask whoever it is (the controlling-terminal rule
        // is the slave's): 0 when no group is in front, as Linux says.
        request::TIOCGPGRP if master => {
            let group = pair.terminal().jobs.lock().foreground().unwrap_or(0);
            ctx.write(UserPtr::new(arg), &group).map(|()| 0)
        }
        TIOCGSID if master => (|| {
            let sid = pair.terminal().jobs.lock().session().ok_or(Errno::ENOTTY)?;
            ctx.write(UserPtr::new(arg), &sid).map(|()| 0)
        })(),
        TIOCGPTN => ctx.write(UserPtr::new(arg), &pair.index()).map(|()| 0),
        TIOCSPTLCK => ctx.read(UserPtr::<i32>::new(arg)).map(|lock| {
            pair.set_locked(lock != 0);
            0
        }),
        _ => return None,
    })
}

/// Sends the signals keys typed through `description` asked for (a pty
/// master's writes type at its slave).
pub fn deliver_typed_signals<K: Kernel>(ctx: &Context<'_, K>, description: &FileDescription) {
    for (job, group) in description.file().take_job_signals() {
        send_job_signal(ctx, group, job);
    }
}

/// The terminal `ioctl`s.
pub fn ioctl<K: Kernel>(
    ctx: &Context<'_, K>,
    terminal: &Terminal,
    req: u32,
    arg: u64,
) -> Option<SyscallResult> {
    Some(match req {
        request::TCGETS => {
            let termios = terminal.line.lock().termios();
            ctx.write(UserPtr::new(arg), &termios).map(|()| 0)
        }
        request::TCSETS | request::TCSETSW | request::TCSETSF => (|| {
            let termios: Termios = ctx.read(UserPtr::new(arg))?;
            check_change(ctx, terminal)?;
            let mut line = terminal.line.lock();
            // Output is written synchronously: nothing to drain first.
            if req == request::TCSETSF {
                line.flush_input();
            }
            line.set_termios(termios);
            Ok(0)
        })(),
        request::TIOCGPGRP => (|| {
            let group = terminal.jobs.lock().get_foreground(&member(ctx))?;
            ctx.write(UserPtr::new(arg), &group)?;
            Ok(0)
        })(),
        request::TIOCSPGRP => (|| {
            let pgid: i32 = ctx.read(UserPtr::new(arg))?;
            check_change(ctx, terminal)?;
            let caller = member(ctx);
            // The group's session: ESRCH for a group nobody is in.
            let group_session = ctx
                .kernel
                .processes()
                .processes_in_group(pgid)
                .first()
                .map(|p| p.data().sid());
            terminal
                .jobs
                .lock()
                .set_foreground(&caller, pgid, group_session)?;
            Ok(0)
        })(),
        TIOCGSID => (|| {
            let caller = member(ctx);
            let jobs = terminal.jobs.lock();
            if !jobs.controls(&caller) {
                return Err(Errno::ENOTTY);
            }
            let sid = jobs.session().ok_or(Errno::ENOTTY)?;
            drop(jobs);
            ctx.write(UserPtr::new(arg), &sid)?;
            Ok(0)
        })(),
        TIOCSCTTY => {
            let privileged = ctx.capable(abi::capability::CAP_SYS_ADMIN);
            let caller = member(ctx);
            let has_other = session_has_other_terminal(ctx, terminal);
            terminal
                .jobs
                .lock()
                .set_controlling(&caller, has_other, arg == 1, privileged)
                .map(|()| 0)
        }
        TIOCNOTTY => (|| {
            let caller = member(ctx);
            let hung_up = terminal.jobs.lock().detach(&caller)?;
            if let Some(group) = hung_up {
                send_job_signal(ctx, group, JobSignal::Hangup);
                send_job_signal(ctx, group, JobSignal::Continue);
            }
            Ok(0)
        })(),
        request::TIOCGWINSZ => {
            let window = terminal.jobs.lock().window();
            ctx.write(UserPtr::new(arg), &window).map(|()| 0)
        }
        request::TIOCSWINSZ => (|| {
            let window: WinSize = ctx.read(UserPtr::new(arg))?;
            let group = terminal.jobs.lock().set_window(window);
            if let Some(group) = group {
                send_job_signal(ctx, group, JobSignal::WindowChange);
            }
            Ok(0)
        })(),
        request::FIONREAD => {
            let available = terminal.line.lock().available() as i32;
            ctx.write(UserPtr::new(arg), &available).map(|()| 0)
        }
        TCFLSH => match arg {
            TCIFLUSH | TCIOFLUSH => {
                terminal.line.lock().flush_input();
                Ok(0)
            }
            // Output is never queued.
            TCOFLUSH => Ok(0),
            _ => Err(Errno::EINVAL),
        },
        // tcdrain (TCSBRK with a non-zero argument) and breaks: output is
        // written synchronously, and a UART break is not sent.
        TCSBRK | TCXONC => Ok(0),
        _ => return None,
    })
}
