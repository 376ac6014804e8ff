//! Booting Courage under QEMU from the host, for the integration tests and
//! for `cargo xtask`.
//!
//! [`Qemu`] builds the command line every run shares (q35, `-cpu max`, one
//! CPU, the debug-exit device that lets the kernel report a status) and runs
//! it either interactively or captured with a hard timeout, so a hung kernel
//! fails a test instead of hanging it. The integration tests in `tests/` read
//! the artefacts to boot from environment variables that `cargo xtask test`
//! sets ([`artifact`]).

#![warn(missing_docs)]

pub mod elf;
pub mod profile;
pub mod screen;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// QEMU's exit status when the kernel reports success through debug-exit.
pub const EXIT_SUCCESS: i32 = 0x10 * 2 + 1;
/// QEMU's exit status when the kernel reports failure through debug-exit.
pub const EXIT_FAILURE: i32 = 0x11 * 2 + 1;

/// Where the firmware for UEFI boots usually is on Debian and Ubuntu.
pub const OVMF_CANDIDATES: &[&str] = &[
    "/usr/share/ovmf/OVMF.fd",
    "/usr/share/OVMF/OVMF.fd",
    "/usr/share/qemu/OVMF.fd",
];

/// The OVMF firmware image, if one is installed.
pub fn ovmf() -> Option<PathBuf> {
    OVMF_CANDIDATES
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// How the machine boots.
#[derive(Clone, Debug)]
pub enum Boot {
    /// `-kernel` (PVH) with a command line and an optional initrd.
    Kernel {
        /// The kernel ELF.
        kernel: PathBuf,
        /// The kernel command line.
        cmdline: String,
        /// An initial RAM disk.
        initrd: Option<PathBuf>,
    },
    /// A GRUB ISO from the CD drive on SeaBIOS.
    Iso(PathBuf),
    /// A GRUB ISO on UEFI firmware (OVMF).
    IsoUefi {
        /// The ISO.
        iso: PathBuf,
        /// The OVMF image.
        firmware: PathBuf,
    },
}

/// One QEMU machine.
#[derive(Clone, Debug)]
pub struct Qemu {
    /// What to boot.
    pub boot: Boot,
    /// Guest memory, QEMU syntax.
    pub memory: String,
    /// Wait for a debugger on :1234 before the first instruction.
    pub gdb: bool,
    /// Attach the debug-exit device the kernel reports its status through
    /// (off: the machine is plain QEMU, as a user runs it).
    pub debug_exit: bool,
    /// A reset ends QEMU (`-no-reboot`) instead of restarting the machine.
    pub reset_exits: bool,
    /// Interactive runs open QEMU's window (the screen console) besides
    /// the serial port on the terminal, instead of `-nographic`.
    pub window: bool,
    /// Where the human monitor listens (a Unix socket), for captured runs
    /// that type keys or take screen dumps; `None`: no monitor.
    pub monitor: Option<PathBuf>,
    /// Virtual CPUs; more than one runs QEMU's multi-threaded TCG (one
    /// host thread per CPU), so they truly run at once.
    pub cpus: u32,
    /// Extra arguments appended at the end.
    pub extra: Vec<String>,
}

/// What a captured run produced.
#[derive(Debug)]
pub struct Outcome {
    /// Everything the guest printed on its serial port.
    pub output: String,
    /// QEMU's exit status, `None` if it was killed.
    pub status: Option<ExitStatus>,
    /// Whether the run hit its timeout.
    pub timed_out: bool,
    /// Whether the run was stopped because the awaited text appeared.
    pub stopped_at_marker: bool,
    /// Wall time of the run.
    pub elapsed: Duration,
}

impl Outcome {
    /// QEMU's exit code, if it exited by itself.
    pub fn code(&self) -> Option<i32> {
        self.status.and_then(|s| s.code())
    }
}

impl Qemu {
    /// A machine booting `boot` with the standard settings.
    pub fn new(boot: Boot) -> Self {
        Self {
            boot,
            memory: "512M".into(),
            gdb: false,
            debug_exit: true,
            reset_exits: true,
            monitor: None,
            window: false,
            cpus: 1,
            extra: Vec::new(),
        }
    }

    /// The full argument list (without the program name).
    pub fn args(&self, interactive: bool) -> Vec<String> {
        let cpus = self.cpus.max(1).to_string();
        let mut args: Vec<String> = [
            "-machine",
            "q35",
            "-cpu",
            "max",
            "-smp",
            &cpus,
            "-m",
            &self.memory,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        if self.cpus > 1 {
            args.extend(["-accel", "tcg,thread=multi"].map(String::from));
        }
        if self.reset_exits {
            args.push("-no-reboot".into());
        }
        if self.debug_exit {
            args.extend(["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"].map(String::from));
        }
        if interactive && self.window {
            args.extend(["-serial", "mon:stdio"].map(String::from));
        } else if interactive {
            args.push("-nographic".into());
        } else {
            let monitor = match &self.monitor {
                Some(path) => format!("unix:{},server=on,wait=off", path.display()),
                None => "none".into(),
            };
            args.extend(["-display", "none", "-serial", "stdio", "-monitor"].map(String::from));
            args.push(monitor);
        }
        match &self.boot {
            Boot::Kernel {
                kernel,
                cmdline,
                initrd,
            } => {
                args.push("-kernel".into());
                args.push(kernel.display().to_string());
                args.push("-append".into());
                args.push(cmdline.clone());
                if let Some(initrd) = initrd {
                    args.push("-initrd".into());
                    args.push(initrd.display().to_string());
                }
            }
            Boot::Iso(iso) => {
                args.extend([
                    "-boot".into(),
                    "d".into(),
                    "-cdrom".into(),
                    iso.display().to_string(),
                ]);
            }
            Boot::IsoUefi { iso, firmware } => {
                args.extend([
                    "-bios".into(),
                    firmware.display().to_string(),
                    "-boot".into(),
                    "d".into(),
                    "-cdrom".into(),
                    iso.display().to_string(),
                ]);
            }
        }
        if self.gdb {
            args.extend(["-s".into(), "-S".into()]);
        }
        args.extend(self.extra.iter().cloned());
        args
    }

    /// A `Command` for this machine.
    pub fn command(&self, interactive: bool) -> Command {
        let mut command = Command::new("qemu-system-x86_64");
        command.args(self.args(interactive));
        command
    }

    /// Runs with the serial console captured, until QEMU exits, `timeout`
    /// passes, or (when given) a line containing `stop_at` appears; QEMU is
    /// killed in the last two cases.
    pub fn run_captured(
        &self,
        timeout: Duration,
        stop_at: Option<&str>,
    ) -> std::io::Result<Outcome> {
        let start = Instant::now();
        let mut child = self
            .command(false)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let lines = spawn_line_reader(&mut child);
        let mut output = String::new();
        let mut timed_out = false;
        let mut stopped_at_marker = false;
        loop {
            let left = timeout.saturating_sub(start.elapsed());
            match lines.recv_timeout(left.min(Duration::from_millis(100))) {
                Ok(line) => {
                    output.push_str(&line);
                    output.push('\n');
                    if stop_at.is_some_and(|marker| line.contains(marker)) {
                        stopped_at_marker = true;
                        break;
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if start.elapsed() >= timeout {
                        timed_out = true;
                        break;
                    }
                }
            }
        }
        let status = if timed_out || stopped_at_marker {
            let _ = child.kill();
            let _ = child.wait();
            None
        } else {
            Some(child.wait()?)
        };
        // Collect what was printed between the last line and the exit.
        while let Ok(line) = lines.try_recv() {
            output.push_str(&line);
            output.push('\n');
        }
        Ok(Outcome {
            output,
            status,
            timed_out,
            stopped_at_marker,
            elapsed: start.elapsed(),
        })
    }
}

/// One step of a scripted terminal session: wait until the console has
/// printed `expect` (after what earlier steps matched), wait `pause`, then
/// type `send`.
#[derive(Clone, Debug)]
pub struct Step {
    /// Text to wait for on the console.
    pub expect: String,
    /// How long to wait after seeing it (for the program to start).
    pub pause: Duration,
    /// Bytes to type.
    pub send: Vec<u8>,
}

impl Step {
    /// Waits for `expect`, then types `send` at once.
    pub fn new(expect: &str, send: &[u8]) -> Step {
        Step {
            expect: expect.into(),
            pause: Duration::ZERO,
            send: send.to_vec(),
        }
    }

    /// Waits `pause` before typing.
    pub fn after(mut self, pause: Duration) -> Step {
        self.pause = pause;
        self
    }
}

/// How a scripted session ended.
#[derive(Debug)]
pub struct Session {
    /// Everything the console printed.
    pub output: String,
    /// The step whose text never came, if one did not.
    pub stuck_at: Option<usize>,
}

impl Qemu {
    /// Boots with the serial console on a pipe and plays `steps` as a user
    /// at the terminal would; QEMU is killed after the last step's text
    /// appears plus a moment for its keys to take effect, or at `timeout`.
    pub fn run_script(&self, timeout: Duration, steps: &[Step]) -> std::io::Result<Session> {
        use std::io::{Read, Write};
        use std::sync::{Arc, Mutex};
        let start = Instant::now();
        let mut child = self
            .command(false)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let output = Arc::new(Mutex::new(Vec::<u8>::new()));
        if let Some(mut stdout) = child.stdout.take() {
            let output = output.clone();
            thread::spawn(move || {
                let mut chunk = [0u8; 4096];
                while let Ok(n) = stdout.read(&mut chunk) {
                    if n == 0 {
                        break;
                    }
                    output.lock().unwrap().extend_from_slice(&chunk[..n]);
                }
            });
        }
        let mut stdin = child.stdin.take().expect("a piped stdin");
        let mut seen = 0;
        let mut stuck_at = None;
        'steps: for (index, step) in steps.iter().enumerate() {
            loop {
                let text = String::from_utf8_lossy(&output.lock().unwrap()).into_owned();
                if let Some(at) = text[seen.min(text.len())..].find(&step.expect) {
                    seen += at + step.expect.len();
                    break;
                }
                if start.elapsed() >= timeout {
                    stuck_at = Some(index);
                    break 'steps;
                }
                thread::sleep(Duration::from_millis(50));
            }
            thread::sleep(step.pause);
            // Typed one key at a time, as a person (and a 16550) would.
            for byte in &step.send {
                stdin.write_all(&[*byte])?;
                stdin.flush()?;
                thread::sleep(Duration::from_millis(5));
            }
        }
        thread::sleep(Duration::from_millis(500));
        let _ = child.kill();
        let _ = child.wait();
        let output = String::from_utf8_lossy(&output.lock().unwrap()).into_owned();
        Ok(Session { output, stuck_at })
    }
}

/// Streams the child's stdout and stderr as lines (serial output has `\r\n`).
fn spawn_line_reader(child: &mut Child) -> mpsc::Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    if let Some(stdout) = child.stdout.take() {
        let sender = sender.clone();
        thread::spawn(move || {
            for line in BufReader::new(stdout).split(b'\n') {
                let Ok(line) = line else { break };
                let text = String::from_utf8_lossy(&line)
                    .trim_end_matches('\r')
                    .to_string();
                if sender.send(text).is_err() {
                    break;
                }
            }
        });
    }
    if let Some(stderr) = child.stderr.take() {
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if sender.send(format!("qemu: {line}")).is_err() {
                    break;
                }
            }
        });
    }
    receiver
}

/// The artefact `cargo xtask test` passes in environment variable `name`.
///
/// Panics with instructions when it is missing: these tests need the kernel
/// that xtask builds, and must not pass vacuously without it.
pub fn artifact(name: &str) -> PathBuf {
    match std::env::var_os(name) {
        Some(path) if Path::new(&path).exists() => PathBuf::from(path),
        Some(path) => panic!("{name}={} does not exist", Path::new(&path).display()),
        None => panic!("{name} is not set: run these tests through `cargo xtask test`"),
    }
}
