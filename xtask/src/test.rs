//! `cargo xtask test` and `cargo xtask clippy`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use tests::{Boot, EXIT_SUCCESS, Qemu};

use crate::kernel::{self, Profile};
use crate::{debian, fuzz, iso, stress, tools, userspace};

/// Test counts, summed over every stage.
#[derive(Default)]
struct Tally {
    passed: usize,
    failed: usize,
    broken_stages: Vec<String>,
    /// Each failed test as "stage: test", for the closing summary: a CI
    /// log may keep only its head and tail.
    failed_tests: Vec<String>,
    /// How long each part of the run took, for the closing summary (the
    /// whole run is meant to stay under 20 minutes on two cores).
    timings: Vec<(&'static str, Duration)>,
}

impl Tally {
    fn stage_failed(&mut self, stage: &str, why: impl std::fmt::Display) {
        eprintln!("xtask: {stage}: {why}");
        self.broken_stages.push(stage.to_string());
    }

    /// Notes that `part` ran from `since` until now.
    fn took(&mut self, part: &'static str, since: Instant) {
        self.timings.push((part, since.elapsed()));
    }

    fn test_failed(&mut self, stage: &str, test: &str) {
        self.failed += 1;
        self.failed_tests.push(format!("{stage}: {test}"));
    }
}

/// Runs a cargo test command, echoing its output and adding up its
/// `test result:` lines.
fn cargo_tests(tally: &mut Tally, stage: &str, command: &mut Command) {
    eprintln!("\n=== {stage}");
    let child = command.stdout(Stdio::piped()).spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) => return tally.stage_failed(stage, format!("cannot run cargo: {e}")),
    };
    let stdout = child.stdout.take().expect("piped");
    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
        println!("{line}");
        if let Some(test) = line
            .strip_prefix("test ")
            .and_then(|rest| rest.strip_suffix(" ... FAILED"))
        {
            tally.failed_tests.push(format!("{stage}: {test}"));
        }
        if let Some(rest) = line.strip_prefix("test result: ") {
            // "ok. 4 passed; 0 failed; 1 ignored; ..."
            let count = |word: &str| {
                rest.split(';')
                    .find_map(|part| part.trim().strip_suffix(word))
                    .and_then(|n| n.split_whitespace().last())
                    .and_then(|n| n.parse::<usize>().ok())
                    .unwrap_or(0)
            };
            tally.passed += count(" passed");
            tally.failed += count(" failed");
        }
    }
    match child.wait() {
        Ok(status) if status.success() => {}
        Ok(status) => tally.stage_failed(stage, format!("cargo exited with {status}")),
        Err(e) => tally.stage_failed(stage, e),
    }
}

/// Boots the kernel with `ktest` (those whose name contains `filter`) on
/// `cpus` CPUs and counts its tests.
fn kernel_tests(tally: &mut Tally, kernel: &Path, filter: &str, cpus: u32) {
    let stage = if cpus == 1 {
        "in-kernel tests (QEMU)".to_string()
    } else {
        format!("in-kernel tests on {cpus} CPUs (QEMU)")
    };
    let stage = stage.as_str();
    eprintln!("\n=== {stage}");
    let ktest = if filter.is_empty() {
        "ktest".to_string()
    } else {
        format!("ktest={filter}")
    };
    let mut qemu = Qemu::new(Boot::Kernel {
        kernel: kernel.to_path_buf(),
        cmdline: format!("{ktest} panic=exit"),
        initrd: None,
    });
    qemu.cpus = cpus;
    let outcome = match qemu.run_captured(Duration::from_secs(120), None) {
        Ok(outcome) => outcome,
        Err(e) => return tally.stage_failed(stage, format!("cannot start QEMU: {e}")),
    };
    print!("{}", outcome.output);
    let mut summary = None;
    for line in outcome.output.lines() {
        if let Some(test) = line
            .strip_prefix("ktest ")
            .and_then(|rest| rest.strip_suffix(" ... FAILED"))
        {
            tally.failed_tests.push(format!("{stage}: {test}"));
        }
        if let Some(rest) = line.strip_prefix("ktests: ") {
            let numbers: Vec<usize> = rest
                .split(|c: char| !c.is_ascii_digit())
                .filter_map(|n| n.parse().ok())
                .collect();
            if let [passed, failed] = numbers[..] {
                summary = Some((passed, failed));
            }
        }
    }
    match summary {
        Some((passed, failed)) => {
            tally.passed += passed;
            tally.failed += failed;
        }
        None => tally.failed += 1,
    }
    if outcome.timed_out {
        tally.stage_failed(stage, "timed out after 120 s (kernel hung?)");
    } else if outcome.code() != Some(EXIT_SUCCESS) {
        tally.stage_failed(stage, format!("QEMU exited with {:?}", outcome.code()));
    } else if summary.is_none_or(|(passed, _)| passed == 0) {
        tally.stage_failed(stage, "no in-kernel test ran");
    }
}

/// Boots the test initramfs on `cpus` CPUs and counts its `utest` lines.
fn user_tests(tally: &mut Tally, kernel: &Path, initrd: &Path, cpus: u32) {
    let stage = if cpus == 1 {
        "user-space tests (QEMU)".to_string()
    } else {
        format!("user-space tests on {cpus} CPUs (QEMU)")
    };
    let stage = stage.as_str();
    eprintln!("\n=== {stage}");
    let mut qemu = Qemu::new(Boot::Kernel {
        kernel: kernel.to_path_buf(),
        cmdline: "panic=exit".into(),
        initrd: Some(initrd.to_path_buf()),
    });
    qemu.cpus = cpus;
    let outcome = match qemu.run_captured(Duration::from_secs(300), None) {
        Ok(outcome) => outcome,
        Err(e) => return tally.stage_failed(stage, format!("cannot start QEMU: {e}")),
    };
    print!("{}", outcome.output);
    let mut summary = false;
    for line in outcome.output.lines() {
        if let Some(test) = line.strip_prefix("utest ") {
            if test.ends_with(" ... ok") {
                tally.passed += 1;
            } else {
                tally.test_failed(stage, test);
            }
        }
        summary |= line.starts_with("utests: ");
    }
    if outcome.timed_out {
        tally.stage_failed(stage, "timed out after 300 s");
    } else if !summary {
        tally.stage_failed(stage, "no utests summary (init died?)");
    } else if outcome.code() != Some(EXIT_SUCCESS) {
        tally.stage_failed(stage, format!("QEMU exited with {:?}", outcome.code()));
    }
}

/// The fault-injection policy of `cargo xtask faults` and of its run in
/// `cargo xtask test`.
const FAULTS_POLICY: &str = "failalloc=nth:50";

/// `cargo xtask faults`: the user-space suite with `failalloc` (every
/// 50th fallible kernel allocation made for a test fails, unless the
/// caller names another policy).
pub fn faults(profile: Profile, policy: Option<&str>) -> Result<ExitCode, String> {
    tools::ensure(&[tools::QEMU, tools::USERSPACE])?;
    let kernel = kernel::build(profile)?;
    let initrd = userspace::initramfs(userspace::Flavour::Test)?;
    let mut tally = Tally::default();
    user_tests_with_failures(
        &mut tally,
        &kernel,
        &initrd,
        &policy.map_or(FAULTS_POLICY.to_string(), |policy| {
            format!("failalloc={policy}")
        }),
    );
    Ok(if tally.broken_stages.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The user-space suite with kernel allocations failing: tests may fail
/// (with ENOMEM, or because a fork did), but the kernel must not panic or
/// hang, the suite must finish, and failures must have been injected.
fn user_tests_with_failures(tally: &mut Tally, kernel: &Path, initrd: &Path, failalloc: &str) {
    let stage = "user-space tests with failing allocations (QEMU)";
    eprintln!("\n=== {stage}");
    let mut qemu = Qemu::new(Boot::Kernel {
        kernel: kernel.to_path_buf(),
        cmdline: format!("panic=exit {failalloc}"),
        initrd: Some(initrd.to_path_buf()),
    });
    qemu.cpus = 1;
    let outcome = match qemu.run_captured(Duration::from_secs(600), None) {
        Ok(outcome) => outcome,
        Err(e) => return tally.stage_failed(stage, format!("cannot start QEMU: {e}")),
    };
    print!("{}", outcome.output);
    let summary = outcome
        .output
        .lines()
        .find(|line| line.starts_with("utests: "));
    let injected = outcome
        .output
        .lines()
        .filter(|line| line.contains(" kernel allocations failed"))
        .find_map(|line| line.split("fault injection: ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|failed| failed.parse::<u64>().ok());
    if outcome.timed_out {
        tally.stage_failed(stage, "timed out after 600 s");
    } else if outcome.output.contains("KERNEL PANIC") {
        tally.stage_failed(stage, "kernel panic");
    } else if summary.is_none() {
        tally.stage_failed(stage, "no utests summary (init died?)");
    } else if outcome.code() != Some(EXIT_SUCCESS) {
        tally.stage_failed(stage, format!("QEMU exited with {:?}", outcome.code()));
    } else if injected.unwrap_or(0) == 0 {
        tally.stage_failed(stage, "no allocation was failed");
    } else {
        eprintln!(
            "xtask: {} failed allocations; the suite said {}",
            injected.unwrap_or(0),
            summary.unwrap_or_default()
        );
        tally.passed += 1;
    }
}

/// trinity's run in `cargo xtask test`: operations and seed.
const FUZZ_OPS: u64 = 5_000;
const FUZZ_SEED: u64 = 1;

/// Every test: host unit tests, in-kernel tests, boot tests.
pub fn run_all(profile: Profile) -> Result<ExitCode, String> {
    tools::ensure(&[
        tools::QEMU,
        tools::ISO,
        tools::UEFI,
        tools::USERSPACE,
        debian::PROGRAMS,
        fuzz::TRINITY,
    ])?;
    let mut tally = Tally::default();

    let mut host = Command::new(cargo());
    host.current_dir(kernel::root()).args([
        "test",
        "--workspace",
        "--all-features",
        "--exclude",
        "image",
        "--exclude",
        "tests",
    ]);
    let since = Instant::now();
    cargo_tests(&mut tally, "host unit tests", &mut host);
    tally.took("host unit tests (with their build)", since);

    eprintln!("\n=== building the kernel");
    let since = Instant::now();
    let kernel = kernel::build(profile)?;
    tally.took("kernel build", since);
    let since = Instant::now();
    kernel_tests(&mut tally, &kernel, "", 1);
    // The tests of several CPUs at once, on four.
    kernel_tests(&mut tally, &kernel, "smp_", 4);
    tally.took("in-kernel tests", since);

    eprintln!("\n=== building the test initramfs");
    let since = Instant::now();
    let initrd = userspace::initramfs(userspace::Flavour::Test)?;
    tally.took("test initramfs", since);
    let since = Instant::now();
    user_tests(&mut tally, &kernel, &initrd, 1);
    tally.took("user-space tests, 1 CPU", since);
    // The same suite with four CPUs running at once (multi-threaded TCG).
    let since = Instant::now();
    user_tests(&mut tally, &kernel, &initrd, 4);
    tally.took("user-space tests, 4 CPUs", since);
    // And once more with every 50th kernel allocation of each test failing:
    // tests may fail, the kernel may not panic or hang.
    let since = Instant::now();
    user_tests_with_failures(&mut tally, &kernel, &initrd, FAULTS_POLICY);
    tally.took("user-space tests under failing allocations", since);

    eprintln!("\n=== building the GRUB ISO and the interactive initramfs");
    let since = Instant::now();
    let iso = iso::build("courage-test", &kernel, None, "panic=exit")?;
    let interactive = userspace::initramfs(userspace::Flavour::Interactive)?;
    // The interactive system on the screen console, typed at through the
    // PS/2 keyboard.
    let screen_iso = iso::build(
        "courage-screen",
        &kernel,
        Some(&interactive),
        "console=tty1",
    )?;
    // The test system with Debian's strace and Python added.
    let debian_initrd = debian::with_debian_programs(&initrd)?;
    tally.took("ISOs and Debian initramfs", since);
    // A minute of mixed load on four CPUs, then the leak counts.
    eprintln!("\n=== stress on 4 CPUs (QEMU)");
    let since = Instant::now();
    match stress::initramfs(&debian_initrd)
        .and_then(|stress_initrd| stress::run_on(&kernel, &stress_initrd, 4, 60))
    {
        Ok(()) => tally.passed += 1,
        Err(why) => tally.stage_failed("stress on 4 CPUs (QEMU)", why),
    }
    tally.took("stress", since);
    // Debian's trinity as nobody, a short run from a fixed seed (`cargo
    // xtask fuzz` runs long ones from fresh seeds).
    eprintln!("\n=== trinity on 2 CPUs (QEMU)");
    let since = Instant::now();
    match fuzz::initramfs(&debian_initrd)
        .and_then(|fuzz_initrd| fuzz::run_on(&kernel, &fuzz_initrd, FUZZ_OPS, FUZZ_SEED, 2))
    {
        Ok(()) => tally.passed += 1,
        Err(why) => tally.stage_failed("trinity on 2 CPUs (QEMU)", why),
    }
    tally.took("trinity", since);
    // And with Debian's gdb.
    let gdb_initrd = debian::with_gdb(&initrd)?;
    let mut boot = Command::new(cargo());
    boot.current_dir(kernel::root())
        .args(["test", "-p", "tests"])
        .env("COURAGE_KERNEL", &kernel)
        .env("COURAGE_ISO", &iso)
        .env("COURAGE_SCREEN_ISO", &screen_iso)
        .env("COURAGE_TEST_INITRAMFS", &initrd)
        .env("COURAGE_DEBIAN_INITRAMFS", &debian_initrd)
        .env("COURAGE_GDB_INITRAMFS", &gdb_initrd)
        .env(
            "COURAGE_USER_PROGRAMS",
            kernel::root().join("target/courage/user"),
        )
        .env("COURAGE_INITRAMFS", &interactive);
    let since = Instant::now();
    cargo_tests(&mut tally, "boot tests (QEMU)", &mut boot);
    tally.took("boot tests (with their build)", since);

    println!();
    for (part, took) in &tally.timings {
        println!("took {:>5} s: {part}", took.as_secs());
    }
    for test in &tally.failed_tests {
        println!("FAILED {test}");
    }
    if !tally.broken_stages.is_empty() {
        println!("failed stages: {}", tally.broken_stages.join(", "));
        tally.failed = tally.failed.max(1);
    }
    println!("{} passed, {} failed", tally.passed, tally.failed);
    Ok(if tally.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// Clippy with warnings as errors, for the host crates and for the kernel
/// build with its real flags, then the host crates' documentation with
/// rustdoc's warnings as errors.
pub fn clippy() -> Result<(), String> {
    let status = Command::new(cargo())
        .current_dir(kernel::root())
        .args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            // The kernel is linted below with its real flags and features.
            "--exclude",
            "image",
            "--",
            "-D",
            "warnings",
        ])
        .status()
        .map_err(|e| e.to_string())?;
    if !status.success() {
        return Err("clippy (host) found problems".into());
    }
    let ksyms = kernel::target_dir().join("ksyms-debug.bin");
    if !ksyms.exists() {
        std::fs::create_dir_all(kernel::target_dir()).map_err(|e| e.to_string())?;
        std::fs::write(&ksyms, []).map_err(|e| e.to_string())?;
    }
    let status = kernel::cargo("clippy", Profile::Debug)
        .env("COURAGE_KSYMS", &ksyms)
        .args(["--", "-D", "warnings"])
        .status()
        .map_err(|e| e.to_string())?;
    if !status.success() {
        return Err("clippy (kernel build) found problems".into());
    }
    // The crates' documentation is what a reuser reads first: no broken
    // or private links in it.
    let status = Command::new(cargo())
        .current_dir(kernel::root())
        .env("RUSTDOCFLAGS", "-D warnings")
        .args(["doc", "--no-deps", "--workspace", "--exclude", "image"])
        .status()
        .map_err(|e| e.to_string())?;
    if !status.success() {
        return Err("cargo doc found broken links".into());
    }
    Ok(())
}
