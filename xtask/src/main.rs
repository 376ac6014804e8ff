//! `cargo xtask`: the one entry point for building, running and testing
//! Courage.
//!
//! ```text
//! cargo xtask build [--release]            build the kernel, print its path last
//! cargo xtask run [--release] [--iso|--uefi|--screen] [--gdb] [--add HOST[=GUEST]] [-- CMDLINE...]
//! cargo xtask iso [--release] [-- CMDLINE...]   GRUB ISO for BIOS and UEFI
//! cargo xtask test [--release]             every test; ends with "N passed, M failed"
//! cargo xtask clippy                       clippy for host crates and the kernel, rustdoc
//! cargo xtask setup                        install missing host packages
//! cargo xtask boot-time [--release]        median of 5 boots to the banner
//! cargo xtask profile [--release] [--cpus N] [--add HOST[=GUEST]] -- COMMAND...
//!                                          run COMMAND profiled; flame graph
//! cargo xtask stress [--release] [--minutes M] [--cpus N]
//!                                          mixed load on every CPU, then leak counts
//! cargo xtask faults [--release] [-- POLICY]  the user-space suite with kernel
//!                                          allocations failing (failalloc=POLICY, default nth:50)
//! cargo xtask fuzz [--release] [--ops N] [--seed S] [--cpus N]
//!                                          Debian's trinity as nobody; kernel must stay up
//! ```

mod cpio;
mod debian;
mod fuzz;
mod iso;
mod kernel;
mod profile;
mod stress;
mod test;
mod tools;
mod userspace;

use std::path::PathBuf;
use std::process::ExitCode;

use kernel::Profile;
use tests::{Boot, Qemu};

struct Options {
    profile: Profile,
    iso: bool,
    /// Boot the ISO in a QEMU window with the screen console as
    /// `/dev/console`.
    screen: bool,
    uefi: bool,
    gdb: bool,
    add: Vec<String>,
    cmdline: Vec<String>,
    /// `stress`: how long (minutes). `--cpus`: how many CPUs (each
    /// command has its own default).
    minutes: f64,
    cpus: Option<u32>,
    /// `fuzz`: operations and seed (none: one from the clock).
    ops: u64,
    seed: Option<u64>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        profile: Profile::Debug,
        iso: false,
        screen: false,
        uefi: false,
        gdb: false,
        add: Vec::new(),
        cmdline: Vec::new(),
        minutes: 1.0,
        cpus: None,
        ops: 10_000,
        seed: None,
    };
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--release" => options.profile = Profile::Release,
            "--iso" => options.iso = true,
            "--screen" => options.screen = true,
            "--uefi" => {
                options.iso = true;
                options.uefi = true;
            }
            "--gdb" => options.gdb = true,
            "--add" => match iter.next() {
                Some(spec) => options.add.push(spec.clone()),
                None => return Err(format!("--add needs HOST[=GUEST]\n{USAGE}")),
            },
            "--minutes" => match iter.next().and_then(|m| m.parse::<f64>().ok()) {
                Some(minutes) if minutes > 0.0 => options.minutes = minutes,
                _ => return Err(format!("--minutes needs a positive number\n{USAGE}")),
            },
            "--cpus" => match iter.next().and_then(|n| n.parse::<u32>().ok()) {
                Some(cpus @ 1..=64) => options.cpus = Some(cpus),
                _ => return Err(format!("--cpus needs a count from 1 to 64\n{USAGE}")),
            },
            "--ops" => match iter.next().and_then(|n| n.parse::<u64>().ok()) {
                Some(ops) if ops > 0 => options.ops = ops,
                _ => return Err(format!("--ops needs a positive count\n{USAGE}")),
            },
            "--seed" => match iter.next().and_then(|n| n.parse::<u64>().ok()) {
                Some(seed) => options.seed = Some(seed),
                _ => return Err(format!("--seed needs a number\n{USAGE}")),
            },
            "--" => options.cmdline.extend(iter.by_ref().cloned()),
            other => return Err(format!("unknown option `{other}`\n{USAGE}")),
        }
    }
    Ok(options)
}

const USAGE: &str = "usage: cargo xtask <build|run|iso|test|clippy|setup|boot-time|initramfs|profile|stress|fuzz|faults> [--release] [--iso] [--uefi] [--screen] [--gdb] [--add HOST[=GUEST]] [--minutes M] [--cpus N] [--ops N] [--seed S] [-- KERNEL COMMAND LINE]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = args.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::FAILURE;
    };
    let result = parse(rest).and_then(|options| match command.as_str() {
        "build" => kernel::build(options.profile).map(|path| {
            println!("{}", path.display());
            ExitCode::SUCCESS
        }),
        "iso" => build_iso(&options).map(|path| {
            println!("{}", path.display());
            ExitCode::SUCCESS
        }),
        "run" => run(&options),
        "profile" => profile::run(&options),
        "test" => test::run_all(options.profile),
        "clippy" => test::clippy().map(|()| ExitCode::SUCCESS),
        "initramfs" => userspace::initramfs(userspace::Flavour::Test).map(|path| {
            println!("{}", path.display());
            ExitCode::SUCCESS
        }),
        "stress" => stress::run(options.profile, options.cpus.unwrap_or(4), options.minutes)
            .map(|()| ExitCode::SUCCESS),
        "fuzz" => fuzz::run(
            options.profile,
            options.ops,
            options.seed.unwrap_or_else(fuzz::fresh_seed),
            options.cpus.unwrap_or(4),
        )
        .map(|()| ExitCode::SUCCESS),
        "faults" => test::faults(options.profile, options.cmdline.first().map(String::as_str)),
        "boot-time" => boot_time(options.profile).map(|()| ExitCode::SUCCESS),
        "setup" => tools::ensure(&[
            tools::QEMU,
            tools::ISO,
            tools::UEFI,
            tools::USERSPACE,
            debian::PROGRAMS,
            fuzz::TRINITY,
        ])
        .map(|()| ExitCode::SUCCESS),
        other => Err(format!("unknown command `{other}`\n{USAGE}")),
    });
    result.unwrap_or_else(|error| {
        eprintln!("xtask: {error}");
        ExitCode::FAILURE
    })
}

fn build_iso(options: &Options) -> Result<PathBuf, String> {
    tools::ensure(&[tools::ISO, tools::USERSPACE])?;
    let kernel = kernel::build(options.profile)?;
    let extra = userspace::extra_files(&options.add)?;
    let initrd = userspace::initramfs_with(userspace::Flavour::Interactive, &extra)?;
    iso::build(
        "courage",
        &kernel,
        Some(&initrd),
        &options.cmdline.join(" "),
    )
}

fn run(options: &Options) -> Result<ExitCode, String> {
    let mut needed = vec![tools::QEMU, tools::USERSPACE];
    if options.iso || options.screen {
        needed.push(tools::ISO);
    }
    if options.uefi {
        needed.push(tools::UEFI);
    }
    tools::ensure(&needed)?;
    let kernel = kernel::build(options.profile)?;
    let extra = userspace::extra_files(&options.add)?;
    let initrd = userspace::initramfs_with(userspace::Flavour::Interactive, &extra)?;
    let mut cmdline = options.cmdline.join(" ");
    if options.screen {
        cmdline = format!("console=tty1 {cmdline}");
    }
    let boot = if options.iso || options.screen {
        let iso = iso::build("courage", &kernel, Some(&initrd), &cmdline)?;
        if options.uefi {
            let firmware = tests::ovmf().ok_or("OVMF firmware not found")?;
            Boot::IsoUefi { iso, firmware }
        } else {
            Boot::Iso(iso)
        }
    } else {
        Boot::Kernel {
            kernel,
            cmdline,
            initrd: Some(initrd),
        }
    };
    let mut qemu = Qemu::new(boot);
    qemu.gdb = options.gdb;
    qemu.window = options.screen;
    if options.gdb {
        eprintln!("xtask: QEMU waits for gdb on localhost:1234 (target remote :1234)");
    }
    eprintln!("xtask: serial console follows; quit QEMU with Ctrl-A X");
    let status = qemu
        .command(true)
        .status()
        .map_err(|e| format!("cannot start QEMU: {e}"))?;
    Ok(if status.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(status.code().unwrap_or(1).clamp(1, 255) as u8)
    })
}

/// Times QEMU start to the kernel banner over five `-kernel` (PVH) boots.
fn boot_time(profile: Profile) -> Result<(), String> {
    tools::ensure(&[tools::QEMU])?;
    let kernel = kernel::build(profile)?;
    let size = std::fs::metadata(&kernel).map_err(|e| e.to_string())?.len();
    let mut times = Vec::new();
    for run in 1..=5 {
        let qemu = Qemu::new(Boot::Kernel {
            kernel: kernel.clone(),
            cmdline: String::new(),
            initrd: None,
        });
        let outcome = qemu
            .run_captured(std::time::Duration::from_secs(30), Some("booted via"))
            .map_err(|e| e.to_string())?;
        if !outcome.stopped_at_marker {
            return Err(format!("no banner in run {run}:\n{}", outcome.output));
        }
        println!("run {run}: {:.3} s", outcome.elapsed.as_secs_f64());
        times.push(outcome.elapsed);
    }
    times.sort();
    println!(
        "median QEMU start to banner: {:.3} s; kernel ELF {} bytes ({:.1} KiB)",
        times[2].as_secs_f64(),
        size,
        size as f64 / 1024.0
    );
    Ok(())
}
