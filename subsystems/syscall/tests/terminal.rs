//! A terminal through system calls: the serial console device of the fs
//! crate with the tty crate's line discipline, controlled and read by
//! processes of the process table, signalled through the signal crate.

use std::sync::{Arc, Mutex};

use crate::common::*;
use abi::{Errno, Sysno, Termios, WinSize};
use fs::devices::console::{ConsolePort, ConsoleTerminal};
use fs::{FileDescription, OpenFlags};
use process::{Process, Thread};

const TCGETS: u64 = 0x5401;
const TCSETS: u64 = 0x5402;
const TCFLSH: u64 = 0x540b;
const TIOCSCTTY: u64 = 0x540e;
const TIOCGPGRP: u64 = 0x540f;
const TIOCSPGRP: u64 = 0x5410;
const TIOCGWINSZ: u64 = 0x5413;
const TIOCSWINSZ: u64 = 0x5414;
const FIONREAD: u64 = 0x541b;
const TIOCNOTTY: u64 = 0x5422;
const ICANON: u32 = 0o2;
const ECHO: u32 = 0o10;
const ISIG: u32 = 0o1;
const TOSTOP: u32 = 0o400;
const SIGHUP: u32 = 1;
const SIGTTIN: u32 = 21;
const SIGTTOU: u32 = 22;
const SIGWINCH: u32 = 28;

#[derive(Default)]
struct Wire {
    typed: Mutex<Vec<u8>>,
    shown: Mutex<Vec<u8>>,
}

impl ConsolePort for Wire {
    fn write_bytes(&self, bytes: &[u8]) {
        self.shown.lock().unwrap().extend_from_slice(bytes);
    }

    fn read_byte(&self) -> Option<u8> {
        let mut typed = self.typed.lock().unwrap();
        (!typed.is_empty()).then(|| typed.remove(0))
    }
}

struct Console {
    wire: Arc<Wire>,
    device: Arc<ConsoleTerminal>,
    description: Arc<FileDescription>,
}

/// A wait queue in a world where nobody else runs: a timed wait is the
/// clock jumping to its deadline; an untimed one would never end, so it
/// fails as if a signal came.
struct TimerQueue(Arc<std::sync::atomic::AtomicU64>);

impl fs::WaitQueue for TimerQueue {
    fn wake_all(&self) {}

    fn wait_for_event(&self, _seen: u64, _interruptible: bool) -> abi::KernelResult<()> {
        Err(Errno::EINTR)
    }

    fn wait_for_event_until(
        &self,
        seen: u64,
        interruptible: bool,
        deadline_ns: Option<u64>,
    ) -> abi::KernelResult<()> {
        match deadline_ns {
            Some(deadline) => {
                self.0
                    .fetch_max(deadline, std::sync::atomic::Ordering::SeqCst);
                Ok(())
            }
            None => self.wait_for_event(seen, interruptible),
        }
    }
}

impl Console {
    fn new() -> Console {
        Console::with_queue(Arc::new(fs::wait::NoWaiters))
    }

    fn with_queue(queue: Arc<dyn fs::WaitQueue>) -> Console {
        let wire = Arc::new(Wire::default());
        let device = Arc::new(ConsoleTerminal::new(wire.clone(), queue));
        let description = FileDescription::new(device.clone(), None, OpenFlags::O_RDWR).unwrap();
        Console {
            wire,
            device,
            description,
        }
    }

    /// Keys typed at the terminal; the signals they raise are sent.
    fn type_keys(&self, w: &World, keys: &[u8]) {
        self.wire.typed.lock().unwrap().extend_from_slice(keys);
        for (signal, group) in self.device.receive_input() {
            let signal = signal::Signal::from_raw(i32::from(signal.number())).unwrap();
            syscall::signals::send::send_to_group(
                &*w.machine,
                group,
                signal::SigInfo::kernel(signal),
            );
        }
    }

    /// Installs the terminal as fd 0 of `process`.
    fn install(&self, process: &Process<Env>) -> u64 {
        process
            .fds()
            .lock()
            .open(self.description.clone(), false)
            .unwrap() as u64
    }
}

/// A shell: a session leader in its own group with the console as its
/// controlling terminal, and a job in another group of its session.
struct Desk {
    w: World,
    console: Console,
    shell: (Arc<Process<Env>>, Arc<Thread<Env>>),
    job: (Arc<Process<Env>>, Arc<Thread<Env>>),
    fd: u64,
}

fn desk() -> Desk {
    let w = World::new();
    desk_with(w, Console::new())
}

fn desk_with(w: World, console: Console) -> Desk {
    let shell = w.fork();
    assert_eq!(
        w.call_as(&shell.0, &shell.1, Sysno::Setsid, &[]),
        shell.0.pid() as i64
    );
    let fd = console.install(&shell.0);
    assert_eq!(
        w.call_as(&shell.0, &shell.1, Sysno::Ioctl, &[fd, TIOCSCTTY, 0]),
        0
    );
    let pid = w.call_as(&shell.0, &shell.1, Sysno::Fork, &[]);
    let job = w.machine.processes.from_pid(pid as i32).unwrap();
    let job_thread = job.threads()[0].clone();
    assert_eq!(w.call_as(&job, &job_thread, Sysno::Setpgid, &[0, 0]), 0);
    Desk {
        w,
        console,
        shell,
        job: (job, job_thread),
        fd,
    }
}

fn pending(process: &Process<Env>, signal: u32) -> bool {
    process.data().signals().shared_pending().set().bits() & (1 << (signal - 1)) != 0
}

impl Desk {
    fn shell_call(&self, sysno: Sysno, args: &[u64]) -> i64 {
        self.w.call_as(&self.shell.0, &self.shell.1, sysno, args)
    }

    fn job_call(&self, sysno: Sysno, args: &[u64]) -> i64 {
        self.w.call_as(&self.job.0, &self.job.1, sysno, args)
    }
}

#[test]
fn termios_reads_back_linux_defaults_and_raw_mode_takes_effect() {
    let d = desk();
    let t = d.w.alloc(size_of::<Termios>());
    assert_eq!(d.shell_call(Sysno::Ioctl, &[d.fd, TCGETS, t]), 0);
    let mut termios: Termios = d.w.get(t);
    assert_eq!(termios.lflag & (ICANON | ECHO | ISIG), ICANON | ECHO | ISIG);
    d.console.type_keys(&d.w, b"ab");
    let buf = d.w.alloc(8);
    assert_eq!(
        d.shell_call(Sysno::Read, &[d.fd, buf, 8]),
        err(Errno::EAGAIN),
        "no line yet"
    );
    termios.lflag &= !(ICANON | ECHO);
    let t2 = d.w.put(&termios);
    assert_eq!(d.shell_call(Sysno::Ioctl, &[d.fd, TCSETS, t2]), 0);
    assert_eq!(
        d.shell_call(Sysno::Read, &[d.fd, buf, 8]),
        2,
        "raw: the bytes at once"
    );
    assert_eq!(d.w.peek(buf, 2), b"ab");
}

#[test]
fn the_shell_hands_the_terminal_to_a_job_and_ctrl_c_signals_only_that_job() {
    let d = desk();
    // A group of another session cannot be put in front, and one nobody
    // is in does not exist.
    let outsider = d.w.put(&d.w.process.data().pgid());
    assert_eq!(
        d.shell_call(Sysno::Ioctl, &[d.fd, TIOCSPGRP, outsider]),
        err(Errno::EPERM)
    );
    let nobody = d.w.put(&4242i32);
    assert_eq!(
        d.shell_call(Sysno::Ioctl, &[d.fd, TIOCSPGRP, nobody]),
        err(Errno::ESRCH)
    );
    let job_group = d.job.0.pid() as u64;
    let group = d.w.put(&(job_group as i32));
    assert_eq!(d.shell_call(Sysno::Ioctl, &[d.fd, TIOCSPGRP, group]), 0);
    let out = d.w.alloc(4);
    assert_eq!(d.job_call(Sysno::Ioctl, &[d.fd, TIOCGPGRP, out]), 0);
    assert_eq!(d.w.get::<i32>(out), job_group as i32);
    d.console.type_keys(&d.w, b"\x03");
    assert!(
        d.job.1.should_die() || pending(&d.job.0, 2),
        "SIGINT reached the job"
    );
    assert!(
        !pending(&d.shell.0, 2),
        "the shell's group was not in front"
    );
    // Now in the background, the shell may not take it back unless it
    // ignores SIGTTOU; its group has no parent in the session: EIO.
    let own = d.w.put(&(d.shell.0.pid()));
    assert_eq!(
        d.shell_call(Sysno::Ioctl, &[d.fd, TIOCSPGRP, own]),
        err(Errno::EIO)
    );
    // A process outside the session has no business with it.
    let fd = d.console.install(&d.w.process);
    assert_eq!(
        d.w.call(Sysno::Ioctl, &[fd, TIOCGPGRP, out]),
        err(Errno::ENOTTY)
    );
}

#[test]
fn a_background_reader_gets_sigttin_and_eintr() {
    let d = desk();
    let fd = d.console.install(&d.job.0);
    let buf = d.w.alloc(8);
    assert_eq!(d.job_call(Sysno::Read, &[fd, buf, 8]), err(Errno::EINTR));
    assert!(pending(&d.job.0, SIGTTIN));
    assert!(!pending(&d.shell.0, SIGTTIN));
    // In the foreground the same read just finds no line yet.
    assert_eq!(
        d.shell_call(Sysno::Read, &[d.fd, buf, 8]),
        err(Errno::EAGAIN)
    );
}

#[test]
fn background_writes_stop_only_under_tostop() {
    let d = desk();
    let fd = d.console.install(&d.job.0);
    let text = d.w.string("hi\n");
    assert_eq!(d.job_call(Sysno::Write, &[fd, text, 3]), 3);
    assert!(
        d.console.wire.shown.lock().unwrap().ends_with(b"hi\r\n"),
        "ONLCR"
    );
    let t = d.w.alloc(size_of::<Termios>());
    d.shell_call(Sysno::Ioctl, &[d.fd, TCGETS, t]);
    let mut termios: Termios = d.w.get(t);
    termios.lflag |= TOSTOP;
    let t = d.w.put(&termios);
    assert_eq!(d.shell_call(Sysno::Ioctl, &[d.fd, TCSETS, t]), 0);
    assert_eq!(d.job_call(Sysno::Write, &[fd, text, 3]), err(Errno::EINTR));
    assert!(pending(&d.job.0, SIGTTOU));
    // Changing the settings from the background is stopped too.
    assert_eq!(
        d.job_call(Sysno::Ioctl, &[fd, TCSETS, t]),
        err(Errno::EINTR)
    );
}

#[test]
fn a_new_window_size_sends_sigwinch_to_the_foreground() {
    let d = desk();
    let size = d.w.put(&WinSize {
        rows: 40,
        cols: 100,
        ..WinSize::default()
    });
    // SIGWINCH is ignored by default: the job handles it, so it stays.
    let handler = d.w.put(&signal::KernelSigAction {
        handler: 0x40_1000,
        flags: 0x0400_0000,
        restorer: 0x40_2000,
        mask: 0,
    });
    assert_eq!(
        d.job_call(Sysno::RtSigaction, &[SIGWINCH as u64, handler, 0, 8]),
        0
    );
    let job_group = d.w.put(&(d.job.0.pid()));
    assert_eq!(d.shell_call(Sysno::Ioctl, &[d.fd, TIOCSPGRP, job_group]), 0);
    assert_eq!(d.job_call(Sysno::Ioctl, &[d.fd, TIOCSWINSZ, size]), 0);
    assert!(pending(&d.job.0, SIGWINCH));
    let out = d.w.alloc(8);
    assert_eq!(d.shell_call(Sysno::Ioctl, &[d.fd, TIOCGWINSZ, out]), 0);
    assert_eq!(d.w.get::<WinSize>(out).cols, 100);
}

#[test]
fn fionread_counts_a_complete_line_and_tcflsh_drops_it() {
    let d = desk();
    d.console.type_keys(&d.w, b"ls\r");
    let n = d.w.alloc(4);
    assert_eq!(d.shell_call(Sysno::Ioctl, &[d.fd, FIONREAD, n]), 0);
    assert_eq!(d.w.get::<i32>(n), 3);
    assert_eq!(d.shell_call(Sysno::Ioctl, &[d.fd, TCFLSH, 0]), 0);
    assert_eq!(d.shell_call(Sysno::Ioctl, &[d.fd, FIONREAD, n]), 0);
    assert_eq!(d.w.get::<i32>(n), 0);
    assert_eq!(
        d.shell_call(Sysno::Ioctl, &[d.fd, TCFLSH, 9]),
        err(Errno::EINVAL)
    );
}

#[test]
fn the_leader_letting_go_hangs_up_the_foreground() {
    let d = desk();
    let job_group = d.w.put(&(d.job.0.pid()));
    assert_eq!(d.shell_call(Sysno::Ioctl, &[d.fd, TIOCSPGRP, job_group]), 0);
    assert_eq!(d.shell_call(Sysno::Ioctl, &[d.fd, TIOCNOTTY, 0]), 0);
    assert!(pending(&d.job.0, SIGHUP) || d.job.1.should_die());
    let out = d.w.alloc(4);
    assert_eq!(
        d.shell_call(Sysno::Ioctl, &[d.fd, TIOCGPGRP, out]),
        err(Errno::ENOTTY)
    );
    // Free again: the leader may take it back.
    assert_eq!(d.shell_call(Sysno::Ioctl, &[d.fd, TIOCSCTTY, 0]), 0);
}

#[test]
fn a_session_leaders_exit_is_reported_for_its_terminal() {
    let d = desk();
    d.shell_call(Sysno::ExitGroup, &[0]);
    d.w.return_to_user_as(&d.shell.0, &d.shell.1, None);
    assert_eq!(
        *d.w.machine.ended_sessions.lock().unwrap(),
        [d.shell.0.pid()]
    );
}

#[test]
fn sendfile_from_the_terminal_returns_after_one_line() {
    let d = desk();
    d.console.type_keys(&d.w, b"one\rtwo\r");
    let path = d.w.string("/copy");
    let target = d.shell_call(Sysno::Openat, &[abi::AT_FDCWD as u64, path, 0o102, 0o644]);
    assert!(target >= 0);
    assert_eq!(
        d.shell_call(Sysno::Sendfile, &[target as u64, d.fd, 0, 4096]),
        4
    );
    assert_eq!(
        d.shell_call(Sysno::Sendfile, &[target as u64, d.fd, 0, 4096]),
        4
    );
    assert_eq!(d.w.stat("/copy").unwrap().size, 8);
}

#[test]
fn vmin_and_vtime_time_out_raw_reads() {
    let w = World::new();
    let now = w.machine.now.clone();
    let d = desk_with(w, Console::with_queue(Arc::new(TimerQueue(now.clone()))));
    let t = d.w.alloc(size_of::<Termios>());
    assert_eq!(d.shell_call(Sysno::Ioctl, &[d.fd, TCGETS, t]), 0);
    let mut termios: Termios = d.w.get(t);
    termios.lflag &= !(ICANON | ECHO);
    let set = |termios: &mut Termios, min: u8, time: u8| {
        termios.cc[6] = min; // VMIN
        termios.cc[5] = time; // VTIME
        let t = d.w.put(&*termios);
        assert_eq!(d.shell_call(Sysno::Ioctl, &[d.fd, TCSETS, t]), 0);
    };
    let buf = d.w.alloc(8);
    let tenth = 100_000_000u64;

    // VMIN 0, VTIME 5: nothing typed, read returns 0 half a second later.
    set(&mut termios, 0, 5);
    let start = now.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(d.shell_call(Sysno::Read, &[d.fd, buf, 8]), 0);
    let waited = now.load(std::sync::atomic::Ordering::SeqCst) - start;
    assert!(
        (5 * tenth..6 * tenth).contains(&waited),
        "waited {waited} ns"
    );

    // VMIN 2, VTIME 1: one byte typed, the inter-byte timer returns it.
    set(&mut termios, 2, 1);
    d.console.type_keys(&d.w, b"a");
    assert_eq!(d.shell_call(Sysno::Read, &[d.fd, buf, 8]), 1);
    assert_eq!(d.w.peek(buf, 1), b"a");

    // VMIN 3, VTIME 0: two bytes are not enough; with three the read takes
    // all there is, up to the count.
    set(&mut termios, 3, 0);
    d.console.type_keys(&d.w, b"xy");
    assert_eq!(
        d.shell_call(Sysno::Read, &[d.fd, buf, 8]),
        err(Errno::EINTR),
        "still waiting for a third byte"
    );
    d.console.type_keys(&d.w, b"zw");
    assert_eq!(d.shell_call(Sysno::Read, &[d.fd, buf, 8]), 4);
    assert_eq!(d.w.peek(buf, 4), b"xyzw");

    // VMIN 0, VTIME 0: at once, nothing there.
    set(&mut termios, 0, 0);
    assert_eq!(d.shell_call(Sysno::Read, &[d.fd, buf, 8]), 0);
}

#[test]
fn a_session_with_a_terminal_cannot_take_a_second_one() {
    let d = desk();
    d.w.machine
        .terminals
        .lock()
        .unwrap()
        .push(d.console.device.clone());
    let second = Console::new();
    d.w.machine
        .terminals
        .lock()
        .unwrap()
        .push(second.device.clone());
    let fd = second.install(&d.shell.0);
    assert_eq!(
        d.shell_call(Sysno::Ioctl, &[fd, TIOCSCTTY, 0]),
        err(Errno::EPERM)
    );
    // Its own terminal again is fine.
    assert_eq!(d.shell_call(Sysno::Ioctl, &[d.fd, TIOCSCTTY, 0]), 0);
    // After giving the first one up, the second can be taken.
    assert_eq!(d.shell_call(Sysno::Ioctl, &[d.fd, TIOCNOTTY, 0]), 0);
    assert_eq!(d.shell_call(Sysno::Ioctl, &[fd, TIOCSCTTY, 0]), 0);
    let pgrp = d.w.alloc(4);
    assert_eq!(d.shell_call(Sysno::Ioctl, &[fd, TIOCGPGRP, pgrp]), 0);
}
