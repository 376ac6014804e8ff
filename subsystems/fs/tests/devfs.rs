//! devfs at /dev: the memory devices, random, the serial console and /dev/tty.

mod common;

use std::sync::{Arc, Mutex};

use abi::Errno;
use common::{CountingWaitQueue, World};
use fs::devfs::{DevfsDevices, create_devfs};
use fs::devices::console::ConsoleTerminal;
use fs::devices::pty::PtyMultiplexer;
use fs::devices::random::RandomDevice;
use fs::devices::tty::TtyDevice;
use fs::{ConsolePort, ControllingTerminal, EntropySource, File, OpenFlags, PollEvents};

struct FixedEntropy(u8);

impl EntropySource for FixedEntropy {
    fn fill(&self, out: &mut [u8]) {
        out.fill(self.0);
    }
}

#[derive(Default)]
struct FakeUart {
    sent: Mutex<Vec<u8>>,
    incoming: Mutex<Vec<u8>>,
}

impl ConsolePort for FakeUart {
    fn write_bytes(&self, bytes: &[u8]) {
        self.sent.lock().unwrap().extend_from_slice(bytes);
    }
    fn read_byte(&self) -> Option<u8> {
        let mut incoming = self.incoming.lock().unwrap();
        if incoming.is_empty() {
            None
        } else {
            Some(incoming.remove(0))
        }
    }
}

/// Records the hangups the multiplexer reports.
#[derive(Default)]
struct Hangups(Mutex<Vec<(i32, Option<i32>)>>);

impl fs::devices::pty::HangupListener for Hangups {
    fn hung_up(&self, session: i32, foreground: Option<i32>) {
        self.0.lock().unwrap().push((session, foreground));
    }
}

struct Terminal(Mutex<Option<Arc<dyn File>>>);

impl ControllingTerminal for Terminal {
    fn controlling_terminal(&self) -> Option<Arc<dyn File>> {
        self.0.lock().unwrap().clone()
    }
}

struct Dev {
    ptys: Arc<PtyMultiplexer>,
    hangups: Arc<Hangups>,
    world: World,
    uart: Arc<FakeUart>,
    console: Arc<ConsoleTerminal>,
    screen: Arc<FakeUart>,
    terminal: Arc<Terminal>,
}

fn with_dev(seed: u8) -> Dev {
    let world = World::new();
    let uart = Arc::new(FakeUart::default());
    let console = Arc::new(ConsoleTerminal::new(
        uart.clone(),
        Arc::new(CountingWaitQueue::default()),
    ));
    let terminal = Arc::new(Terminal(Mutex::new(None)));
    let hangups = Arc::new(Hangups::default());
    let ptys = Arc::new(PtyMultiplexer::new(
        || Arc::new(CountingWaitQueue::default()),
        hangups.clone(),
    ));
    let screen = Arc::new(FakeUart::default());
    let screen_terminal =
        ConsoleTerminal::new(screen.clone(), Arc::new(CountingWaitQueue::default()))
            .with_window_size(128, 48);
    let devices = DevfsDevices {
        random: Arc::new(RandomDevice::new(&FixedEntropy(seed))),
        serial: console.clone(),
        screen: Some(Arc::new(screen_terminal)),
        console: console.clone(),
        tty: Arc::new(TtyDevice::new(terminal.clone())),
        ptys: ptys.clone(),
        kernel_log: None,
    };
    let devfs = create_devfs(7, 8, world.clock.clone(), devices).unwrap();
    world.vfs.mkdir(&world.su(), "/dev", 0o755).unwrap();
    world
        .vfs
        .mount("/dev", devfs.dev, &world.root_creds)
        .unwrap();
    world
        .vfs
        .mount("/dev/pts", devfs.pts, &world.root_creds)
        .unwrap();
    Dev {
        ptys,
        hangups,
        world,
        uart,
        console,
        screen,
        terminal,
    }
}

#[test]
fn the_screen_is_tty1_and_tty0_with_its_text_size_and_the_serial_port_ttys0() {
    let d = with_dev(1);
    let w = &d.world;
    let open = |path| w.vfs.open(&w.su(), path, OpenFlags::O_RDWR, 0).unwrap();
    open("/dev/tty1").write(b"screen\n").unwrap();
    open("/dev/tty0").write(b"too").unwrap();
    open("/dev/ttyS0").write(b"line").unwrap();
    assert_eq!(&*d.screen.sent.lock().unwrap(), b"screen\r\ntoo");
    assert_eq!(&*d.uart.sent.lock().unwrap(), b"line");
    let tty1 = open("/dev/tty1");
    let window = tty1.file().terminal().unwrap().jobs.lock().window();
    assert_eq!((window.cols, window.rows), (128, 48));
    // Same device numbers as Linux.
    let stat = w.vfs.stat(&w.su(), "/dev/tty1", true).unwrap();
    assert_eq!(stat.rdev, fs::types::make_dev(4, 1));
}

#[test]
fn dev_null_swallows_writes_and_reads_eof() {
    let d = with_dev(1);
    let w = &d.world;
    let null = w
        .vfs
        .open(&w.su(), "/dev/null", OpenFlags::O_RDWR, 0)
        .unwrap();
    assert_eq!(null.write(b"gone").unwrap(), 4);
    assert_eq!(null.read(&mut [0u8; 8]).unwrap(), 0);
    let st = null.stat().unwrap();
    assert_eq!((st.mode, st.rdev, st.dev), (0o020666, 0x103, 7));
}

#[test]
fn dev_zero_reads_zeros_and_dev_full_refuses_writes() {
    let d = with_dev(1);
    let w = &d.world;
    let zero = w
        .vfs
        .open(&w.su(), "/dev/zero", OpenFlags::O_RDWR, 0)
        .unwrap();
    let mut buf = [9u8; 16];
    assert_eq!(zero.read(&mut buf).unwrap(), 16);
    assert_eq!(buf, [0; 16]);
    let full = w
        .vfs
        .open(&w.su(), "/dev/full", OpenFlags::O_RDWR, 0)
        .unwrap();
    assert_eq!(full.write(b"x").unwrap_err(), Errno::ENOSPC);
    assert_eq!(full.read(&mut buf).unwrap(), 16);
}

#[test]
fn urandom_output_depends_on_the_seed_and_never_repeats() {
    let read = |d: &Dev, path: &str| {
        let w = &d.world;
        let f = w.vfs.open(&w.su(), path, OpenFlags::empty(), 0).unwrap();
        let mut buf = [0u8; 32];
        assert_eq!(f.read(&mut buf).unwrap(), 32);
        buf
    };
    let a = with_dev(1);
    let b = with_dev(2);
    let first = read(&a, "/dev/urandom");
    assert_ne!(first, read(&a, "/dev/urandom"));
    assert_ne!(first, read(&a, "/dev/random"));
    assert_ne!(first, read(&b, "/dev/urandom"));
    assert_eq!(
        first,
        read(&with_dev(1), "/dev/urandom"),
        "same seed, same stream"
    );
}

#[test]
fn the_console_cooks_input_through_its_line_discipline_and_writes_crlf() {
    let d = with_dev(1);
    let w = &d.world;
    let console = w
        .vfs
        .open(&w.su(), "/dev/console", OpenFlags::O_RDWR, 0)
        .unwrap();
    console.write(b"hi\nthere").unwrap();
    assert_eq!(*d.uart.sent.lock().unwrap(), b"hi\r\nthere");
    assert_eq!(console.read(&mut [0u8; 4]).unwrap_err(), Errno::EAGAIN);
    assert!(!console.poll().contains(PollEvents::POLLIN));
    d.uart
        .incoming
        .lock()
        .unwrap()
        .extend_from_slice(b"lx\x7fs");
    assert!(d.console.receive_input().is_empty());
    assert!(!console.poll().contains(PollEvents::POLLIN), "no line yet");
    d.uart.incoming.lock().unwrap().extend_from_slice(b"\r");
    d.console.receive_input();
    assert!(console.poll().contains(PollEvents::POLLIN));
    let mut buf = [0u8; 8];
    assert_eq!(console.read(&mut buf).unwrap(), 3);
    assert_eq!(&buf[..3], b"ls\n", "edited, CR made NL");
    assert!(
        d.uart.sent.lock().unwrap().ends_with(b"lx\x08 \x08s\r\n"),
        "echoed as typed"
    );
    let ttys0 = w
        .vfs
        .open(&w.su(), "/dev/ttyS0", OpenFlags::O_WRONLY, 0)
        .unwrap();
    ttys0.write(b"!").unwrap();
    assert!(d.uart.sent.lock().unwrap().ends_with(b"!"));
    assert_eq!(console.lseek(0, 0).unwrap_err(), Errno::ESPIPE);
    assert!(console.file().terminal().is_some());
}

#[test]
fn ctrl_c_on_the_console_names_the_foreground_group() {
    let d = with_dev(1);
    let leader = tty::Member {
        pgid: 7,
        sid: 7,
        session_leader: true,
    };
    let terminal = d.console.terminal().unwrap();
    assert!(terminal.jobs.lock().acquire_on_open(&leader, false));
    d.uart
        .incoming
        .lock()
        .unwrap()
        .extend_from_slice(b"sleep 100\x03");
    assert_eq!(d.console.receive_input(), [(tty::JobSignal::Interrupt, 7)]);
    assert!(d.uart.sent.lock().unwrap().ends_with(b"^C"));
}

#[test]
fn dev_tty_opens_the_controlling_terminal_or_enxio() {
    let d = with_dev(1);
    let w = &d.world;
    assert_eq!(
        w.vfs
            .open(&w.su(), "/dev/tty", OpenFlags::O_RDWR, 0)
            .unwrap_err(),
        Errno::ENXIO
    );
    *d.terminal.0.lock().unwrap() = Some(d.console.clone());
    let tty = w
        .vfs
        .open(&w.su(), "/dev/tty", OpenFlags::O_RDWR, 0)
        .unwrap();
    tty.write(b"via tty").unwrap();
    assert!(d.uart.sent.lock().unwrap().ends_with(b"via tty"));
}

#[test]
fn devfs_lists_the_standard_nodes() {
    let d = with_dev(1);
    let w = &d.world;
    let dir = w
        .vfs
        .open(&w.su(), "/dev", OpenFlags::O_DIRECTORY, 0)
        .unwrap();
    let mut names = common::names_in(&dir);
    names.sort();
    assert_eq!(
        names,
        [
            ".", "..", "console", "fd", "full", "null", "ptmx", "pts", "random", "stderr", "stdin",
            "stdout", "tty", "tty0", "tty1", "ttyS0", "urandom", "zero"
        ]
    );
    let link = |name: &str| w.vfs.readlink(&w.su(), &format!("/dev/{name}"));
    assert_eq!(link("fd").unwrap(), "/proc/self/fd");
    assert_eq!(link("stdin").unwrap(), "/proc/self/fd/0");
    assert_eq!(link("stderr").unwrap(), "/proc/self/fd/2");
}

#[test]
fn the_master_reads_eio_and_polls_hangup_once_every_slave_closed() {
    let d = with_dev(1);
    let w = &d.world;
    let master = w
        .vfs
        .open(
            &w.su(),
            "/dev/ptmx",
            OpenFlags::O_RDWR | OpenFlags::O_NONBLOCK,
            0,
        )
        .unwrap();
    let pair = master.file().pseudo_terminal().unwrap();
    pair.set_locked(false);
    let slave_path = format!("/dev/pts/{}", pair.index());
    let mut buf = [0u8; 16];
    // No slave opened yet: nothing to read, no hangup.
    assert_eq!(master.read(&mut buf).unwrap_err(), Errno::EAGAIN);
    let open_slave = || {
        w.vfs
            .open(&w.su(), &slave_path, OpenFlags::O_RDWR, 0)
            .unwrap()
    };
    let (slave, again) = (open_slave(), open_slave());
    slave.write(b"bye").unwrap();
    drop(slave);
    assert!(
        !master.poll().contains(PollEvents::POLLHUP),
        "one slave is open"
    );
    drop(again);
    // What the slave wrote still comes out, then EIO (Linux's pty master).
    assert!(master.poll().contains(PollEvents::POLLHUP));
    assert_eq!(master.read(&mut buf).unwrap(), 3);
    assert_eq!(master.read(&mut buf).unwrap_err(), Errno::EIO);
    // A slave opened again ends the hangup.
    let back = open_slave();
    assert_eq!(master.read(&mut buf).unwrap_err(), Errno::EAGAIN);
    assert!(!master.poll().contains(PollEvents::POLLHUP));
    drop(back);
}

#[test]
fn a_pseudo_terminal_pair_carries_typing_one_way_and_output_the_other() {
    let d = with_dev(1);
    let w = &d.world;
    let master = w
        .vfs
        .open(&w.su(), "/dev/ptmx", OpenFlags::O_RDWR, 0)
        .unwrap();
    let pair = master.file().pseudo_terminal().unwrap();
    let slave_path = format!("/dev/pts/{}", pair.index());
    // Locked until unlockpt.
    assert_eq!(
        w.vfs
            .open(&w.su(), &slave_path, OpenFlags::O_RDWR, 0)
            .unwrap_err(),
        Errno::EIO
    );
    pair.set_locked(false);
    let slave = w
        .vfs
        .open(&w.su(), &slave_path, OpenFlags::O_RDWR, 0)
        .unwrap();
    // Typing at the master: echoed back, a line for the slave.
    master.write(b"ls\r").unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(master.read(&mut buf).unwrap(), 4);
    assert_eq!(&buf[..4], b"ls\r\n", "the echo");
    assert_eq!(slave.read(&mut buf).unwrap(), 3);
    assert_eq!(&buf[..3], b"ls\n");
    // The slave's output, post-processed, for the master.
    slave.write(b"out\n").unwrap();
    assert_eq!(master.read(&mut buf).unwrap(), 5);
    assert_eq!(&buf[..5], b"out\r\n");
    assert_eq!(master.read(&mut buf).unwrap_err(), Errno::EAGAIN);
    // ^C with no foreground group names no one; with one, that group.
    master.write(b"\x03").unwrap();
    assert!(master.file().take_job_signals().is_empty());
    let leader = tty::Member {
        pgid: 9,
        sid: 9,
        session_leader: true,
    };
    assert!(
        slave
            .file()
            .terminal()
            .unwrap()
            .jobs
            .lock()
            .acquire_on_open(&leader, false)
    );
    // `/dev/tty` for session 9 is this slave now.
    let controlling = d.ptys.controlling_terminal_of(9).unwrap();
    assert!(
        controlling
            .pseudo_terminal()
            .is_some_and(|p| p.index() == pair.index())
    );
    assert!(d.ptys.controlling_terminal_of(10).is_none());
    master.write(b"\x03").unwrap();
    assert_eq!(
        master.file().take_job_signals(),
        [(tty::JobSignal::Interrupt, 9)]
    );
    // Closing the master hangs the slave up and removes its node; the
    // kernel hears which session lost its terminal, and who was in front.
    drop(controlling);
    drop(master);
    assert_eq!(*d.hangups.0.lock().unwrap(), [(9, Some(9))]);
    assert!(d.ptys.controlling_terminal_of(9).is_none(), "hung up");
    assert_eq!(slave.read(&mut buf).unwrap(), 0);
    assert_eq!(slave.write(b"x").unwrap_err(), Errno::EIO);
    assert!(w.vfs.stat(&w.su(), &slave_path, true).is_err());
}
