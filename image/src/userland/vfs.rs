//! The file-system namespace at boot: a tmpfs root filled from the
//! initramfs, devfs on `/dev` with the serial console, and the kernel's
//! clock, entropy and console input as the VFS's seams.

use alloc::collections::VecDeque;
use alloc::sync::Arc;

use ::boot::BootInfo;
use arch::sync::IrqMutex;
use fs::devfs::{DevfsDevices, create_devfs};
use fs::devices::console::{ConsolePort, ConsoleTerminal};
use fs::devices::pty::PtyMultiplexer;
use fs::devices::random::RandomDevice;
use fs::devices::tty::{ControllingTerminal, TtyDevice};
use fs::{Credentials, File, Tmpfs, Vfs};
use spin::Once;

use crate::task::WaitQueue;

static VFS: Once<Vfs> = Once::new();
static RANDOM: Once<Arc<RandomDevice>> = Once::new();
static CONSOLES: Once<Consoles> = Once::new();
static PTYS: Once<Arc<PtyMultiplexer>> = Once::new();
static DEVPTS: Once<Arc<Tmpfs>> = Once::new();
static CONSOLE_INPUT: IrqMutex<VecDeque<u8>> = IrqMutex::new(VecDeque::new());
/// Woken by COM1's and the keyboard's interrupts when bytes arrive for the
/// console thread.
static CONSOLE_RECEIVED: Once<WaitQueue> = Once::new();
static CLOCK: Once<Arc<dyn fs::Clock>> = Once::new();
static NEXT_DEVICE: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(16);

/// A fresh device number for a new file-system instance.
pub fn next_device() -> u64 {
    NEXT_DEVICE.fetch_add(1, core::sync::atomic::Ordering::Relaxed)
}

/// The kernel clock, for file systems created later (`mount -t tmpfs`).
pub fn clock() -> Arc<dyn fs::Clock> {
    CLOCK.call_once(|| Arc::new(KernelClock)).clone()
}

/// The VFS, once [`init`] has run.
pub fn vfs() -> &'static Vfs {
    VFS.get().expect("the VFS is set up at boot")
}

/// The devpts instance (`mount -t devpts` mounts it again).
pub fn devpts() -> Option<Arc<Tmpfs>> {
    DEVPTS.get().cloned()
}

/// The random device, for `getrandom` and `AT_RANDOM`.
pub fn random() -> &'static Arc<RandomDevice> {
    RANDOM.get().expect("the VFS is set up at boot")
}

/// The kernel clock as the VFS sees it.
struct KernelClock;

impl fs::Clock for KernelClock {
    fn now(&self) -> fs::Timespec {
        let now = crate::time::realtime();
        fs::Timespec {
            sec: now.sec,
            nsec: now.nsec,
        }
    }
}

/// RDRAND when the CPU has it, else TSC jitter (the low bits of rdtsc
/// around port I/O, which varies with bus timing).
struct KernelEntropy;

impl fs::EntropySource for KernelEntropy {
    fn fill(&self, out: &mut [u8]) {
        for chunk in out.chunks_mut(8) {
            let value = arch::cpu::rdrand().unwrap_or_else(|| {
                let mut mixed = 0u64;
                for _ in 0..64 {
                    let start = arch::cpu::rdtsc();
                    arch::serial::drain_received(|_| {});
                    mixed = mixed.rotate_left(5) ^ (arch::cpu::rdtsc() - start);
                }
                mixed
            });
            chunk.copy_from_slice(&value.to_le_bytes()[..chunk.len()]);
        }
    }
}

/// The console terminals: the serial port, and the screen if there is one.
struct Consoles {
    serial: Arc<ConsoleTerminal>,
    screen: Option<Arc<ConsoleTerminal>>,
}

impl Consoles {
    fn all(&self) -> impl Iterator<Item = &Arc<ConsoleTerminal>> {
        core::iter::once(&self.serial).chain(self.screen.as_ref())
    }
}

/// COM1 through the console's input buffer (filled by its interrupt).
struct Com1;

impl ConsolePort for Com1 {
    fn write_bytes(&self, bytes: &[u8]) {
        arch::serial::write_bytes(bytes);
    }

    fn read_byte(&self) -> Option<u8> {
        CONSOLE_INPUT.lock().pop_front()
    }
}

/// Signals for a pseudo-terminal whose master closed: `SIGHUP` and
/// `SIGCONT` to the session leader now, and the group in front is
/// remembered for the leader's exit.
struct PtyHangups;

impl fs::devices::pty::HangupListener for PtyHangups {
    fn hung_up(&self, session: i32, foreground: Option<i32>) {
        let kernel = &crate::syscall::RunningKernel;
        let Some(leader) = super::processes().from_pid(session) else {
            return;
        };
        leader.data().set_hung_up_foreground(foreground);
        for signal in [signal::Signal::SIGHUP, signal::Signal::SIGCONT] {
            let _ = syscall::signals::send::send(kernel, &leader, signal::SigInfo::kernel(signal));
        }
    }
}

/// The pseudo-terminal session `sid` controls, if any.
pub fn session_pty(sid: i32) -> Option<Arc<fs::devices::pty::PtyPair>> {
    PTYS.get()?.terminal_of(sid)
}

/// `/dev/tty`: the terminal the caller's session controls (the console or
/// a pseudo-terminal), `ENXIO` without one.
struct SessionTerminal;

impl ControllingTerminal for SessionTerminal {
    fn controlling_terminal(&self) -> Option<Arc<dyn File>> {
        session_terminal(super::current().ok()?.process.data().sid())
    }
}

/// The terminal session `sid` controls: a console or a pseudo-terminal.
pub fn session_terminal(sid: i32) -> Option<Arc<dyn File>> {
    for console in CONSOLES.get()?.all() {
        let console_session = console.terminal()?.jobs.lock().session();
        if console_session == Some(sid) {
            return Some(console.clone() as Arc<dyn File>);
        }
    }
    PTYS.get()?.controlling_terminal_of(sid)
}

/// COM1's interrupt: move received bytes into the console's raw buffer and
/// wake the console thread (the line discipline and the signals it sends
/// need locks an interrupt handler must not take).
pub fn on_serial_interrupt() {
    let mut received = false;
    {
        let mut input = CONSOLE_INPUT.lock();
        arch::serial::drain_received(|byte| {
            input.push_back(byte);
            received = true;
        });
    }
    if received {
        wake_console_thread();
    }
}

/// Wakes the console thread: input arrived for a console terminal.
pub fn wake_console_thread() {
    if let Some(queue) = CONSOLE_RECEIVED.get() {
        queue.wake_all();
    }
}

/// The console terminals (serial port, screen), for hanging up a session
/// that ends.
pub fn console_terminals() -> impl Iterator<Item = &'static fs::devices::terminal::Terminal> {
    CONSOLES
        .get()
        .into_iter()
        .flat_map(|consoles| consoles.all())
        .filter_map(|console| console.terminal())
}

/// The kernel thread behind the console: runs received bytes through the
/// line discipline (echo, editing) and sends the signals typed keys ask
/// for (`^C`, `^\\`, `^Z`) to the foreground process group.
pub fn start_console_thread() -> abi::KernelResult<()> {
    let queue = CONSOLE_RECEIVED.call_once(WaitQueue::new);
    crate::task::spawn("console", sched::Priority::NORMAL, move || {
        loop {
            let seen = queue.sequence();
            crate::screen::decode_keys();
            for console in CONSOLES.get().into_iter().flat_map(|c| c.all()) {
                for (signal, group) in console.receive_input() {
                    let Ok(signal) = signal::Signal::from_raw(i32::from(signal.number())) else {
                        continue;
                    };
                    syscall::signals::send::send_to_group(
                        &crate::syscall::RunningKernel,
                        group,
                        signal::SigInfo::kernel(signal),
                    );
                }
            }
            syscall::EventQueue::wait_since(queue, seen, false, None);
        }
    })
    .map(|_| ())
}

/// Builds the namespace: tmpfs root, initramfs, `/dev`.
pub fn init(info: &BootInfo) {
    let clock = clock();
    // Every regular file keeps its content in the page cache.
    fs::file_pages::set_page_cache(crate::memory::page_cache::new_file);
    let root_fs = Tmpfs::new(1, clock.clone());
    let vfs = VFS.call_once(|| Vfs::new(root_fs));
    // FIFOs anywhere sleep on the scheduler's wait queues.
    vfs.set_wait_queue_factory(|| Arc::new(WaitQueue::new()));

    match info.initrd() {
        Some(module) => {
            // SAFETY: the module's frames are reserved from the frame
            // allocator and mapped by the direct map; nothing writes them.
            let archive = unsafe {
                core::slice::from_raw_parts(
                    arch::paging::phys_to_virt(module.start) as *const u8,
                    module.length as usize,
                )
            };
            match fs::initramfs::unpack_initramfs(vfs, archive) {
                Ok(summary) => log::info!("initramfs: {summary:?}"),
                Err(error) => log::error!("initramfs: {error}"),
            }
        }
        None => log::warn!("no initramfs: the root file system is empty"),
    }

    let root = vfs.root_custody();
    let creds = Credentials::root();
    let ctx = fs::PathContext {
        base: &root,
        root: &root,
        creds: &creds,
    };
    for dir in ["/dev", "/proc", "/tmp"] {
        let _ = vfs.mkdir(&ctx, dir, 0o755);
    }
    let _ = vfs.chmod(&ctx, "/tmp", 0o1777);

    let consoles = CONSOLES.call_once(|| Consoles {
        serial: Arc::new(ConsoleTerminal::new(
            Arc::new(Com1),
            Arc::new(WaitQueue::new()),
        )),
        screen: crate::screen::text_size().map(|(cols, rows)| {
            let terminal = ConsoleTerminal::new(
                Arc::new(crate::screen::ScreenPort),
                Arc::new(WaitQueue::new()),
            );
            Arc::new(terminal.with_window_size(cols as u16, rows as u16))
        }),
    });
    let console = match (crate::boot_info::options().console, &consoles.screen) {
        (::boot::ConsoleChoice::Screen, Some(screen)) => screen.clone(),
        _ => consoles.serial.clone(),
    };
    let random = RANDOM
        .call_once(|| Arc::new(RandomDevice::new(&KernelEntropy)))
        .clone();
    let devices = DevfsDevices {
        random,
        serial: consoles.serial.clone(),
        screen: consoles.screen.clone(),
        console,
        tty: Arc::new(TtyDevice::new(Arc::new(SessionTerminal))),
        ptys: PTYS
            .call_once(|| {
                Arc::new(PtyMultiplexer::new(
                    || Arc::new(WaitQueue::new()),
                    Arc::new(PtyHangups),
                ))
            })
            .clone(),
        kernel_log: Some(Arc::new(crate::logger::KmsgLog)),
    };
    match create_devfs(2, next_device(), clock, devices) {
        Ok(devfs) => {
            DEVPTS.call_once(|| devfs.pts.clone());
            if let Err(error) = vfs.mount("/dev", devfs.dev, &creds) {
                log::error!("cannot mount devfs on /dev: {error}");
            }
            if let Err(error) = vfs.mount("/dev/pts", devfs.pts, &creds) {
                log::error!("cannot mount devpts on /dev/pts: {error}");
            }
        }
        Err(error) => log::error!("cannot create devfs: {error}"),
    }
    arch::serial::enable_receive_interrupt();
    crate::irq::unmask(arch::serial::COM1_IRQ);
}
