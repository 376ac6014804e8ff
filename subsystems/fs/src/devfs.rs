//! devfs: a tmpfs populated with the standard device nodes, mounted at `/dev`.

use alloc::sync::Arc;

use abi::KernelResult;

use crate::clock::Clock;
use crate::device::{CharacterDevice, SharedDevice};
use crate::devices::console::ConsoleTerminal;
use crate::devices::memory::{FullDevice, NullDevice, ZeroDevice};
use crate::devices::pty::PtyMultiplexer;
use crate::devices::random::RandomDevice;
use crate::devices::tty::TtyDevice;
use crate::inode::{Inode, Owner};
use crate::tmpfs::Tmpfs;
use crate::types::FileType;
use crate::types::make_dev;

/// The drivers devfs exposes.
pub struct DevfsDevices {
    /// Backs `random` and `urandom` (keep a clone for `getrandom`).
    pub random: Arc<RandomDevice>,
    /// Backs `ttyS0`, the serial port.
    pub serial: Arc<ConsoleTerminal>,
    /// Backs `tty1` and `tty0` (the current virtual terminal): the screen
    /// and keyboard, on machines that have a framebuffer.
    pub screen: Option<Arc<ConsoleTerminal>>,
    /// Backs `console`: one of the two (the command line's `console=`).
    pub console: Arc<ConsoleTerminal>,
    /// Backs `tty`.
    pub tty: Arc<TtyDevice>,
    /// Backs `ptmx`; its slaves appear in `pts/` (keep a clone to find a
    /// session's terminal for `/dev/tty`).
    pub ptys: Arc<PtyMultiplexer>,
    /// Backs `kmsg`, the kernel log; no node without one.
    pub kernel_log: Option<Arc<dyn crate::devices::kmsg::KernelLog>>,
}

/// devfs and the devpts instance its `pts` directory is for.
pub struct Devfs {
    /// The file system to mount on `/dev` (named `devtmpfs`).
    pub dev: Arc<Tmpfs>,
    /// The pseudo-terminal slaves, to mount on `/dev/pts` (named `devpts`;
    /// one instance, as Linux's without `newinstance`).
    pub pts: Arc<Tmpfs>,
}

/// Builds devfs with device number `dev` (and devpts with `pts_dev`): `null` (1,3), `zero` (1,5),
/// `full` (1,7), `random` (1,8), `urandom` (1,9), `tty0` (4,0) and `tty1`
/// (4,1) with a screen, `ttyS0` (4,64), `tty` (5,0), `console` (5,1) and
/// `ptmx` (5,2) with its slaves in `pts/`, and the links `fd`, `stdin`,
/// `stdout` and `stderr` into `/proc/self/fd`, as on Linux. Drivers add more nodes through
/// [`crate::tmpfs::TmpfsInode::create_device_node`] on the root.
pub fn create_devfs(
    dev: u64,
    pts_dev: u64,
    clock: Arc<dyn Clock>,
    devices: DevfsDevices,
) -> KernelResult<Devfs> {
    let fs = Tmpfs::with_name("devtmpfs", dev, clock.clone());
    let root = fs.root_inode();
    let shared = |file: Arc<dyn crate::file::File>| -> Arc<dyn CharacterDevice> {
        Arc::new(SharedDevice(file))
    };
    root.create_device_node("null", 0o666, make_dev(1, 3), shared(Arc::new(NullDevice)))?;
    root.create_device_node("zero", 0o666, make_dev(1, 5), shared(Arc::new(ZeroDevice)))?;
    root.create_device_node("full", 0o666, make_dev(1, 7), shared(Arc::new(FullDevice)))?;
    root.create_device_node(
        "random",
        0o666,
        make_dev(1, 8),
        shared(devices.random.clone()),
    )?;
    root.create_device_node("urandom", 0o666, make_dev(1, 9), shared(devices.random))?;
    root.create_device_node("ttyS0", 0o620, make_dev(4, 64), shared(devices.serial))?;
    if let Some(screen) = devices.screen {
        root.create_device_node("tty0", 0o620, make_dev(4, 0), shared(screen.clone()))?;
        root.create_device_node("tty1", 0o620, make_dev(4, 1), shared(screen))?;
    }
    root.create_device_node("tty", 0o666, make_dev(5, 0), devices.tty)?;
    root.create_device_node("console", 0o600, make_dev(5, 1), shared(devices.console))?;
    if let Some(log) = devices.kernel_log {
        let kmsg = Arc::new(crate::devices::kmsg::KmsgDevice::new(log));
        root.create_device_node("kmsg", 0o644, make_dev(1, 11), kmsg)?;
    }
    // The links Linux's devices.txt calls compulsory (udev makes them
    // there): `cat /dev/stdin`, a shell's `<(command)` as `/dev/fd/63`.
    for (name, target) in [
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ] {
        root.symlink(name, target, Owner::default())?;
    }
    // The mount point of devpts.
    root.create("pts", FileType::Directory, 0o755, Owner::default(), 0)?;
    let pts = Tmpfs::with_name("devpts", pts_dev, clock);
    devices.ptys.attach(pts.root_inode().clone());
    root.create_device_node("ptmx", 0o666, make_dev(5, 2), devices.ptys)?;
    Ok(Devfs { dev: fs, pts })
}
