//! `cargo xtask fuzz [--ops N] [--seed S] [--cpus C]`: Debian's trinity,
//! the Linux system-call fuzzer, run on Courage as an unprivileged user.
//!
//! The guest runs trinity as `nobody` (through `su`: trinity's own `-X`
//! leaves its children root) for N operations from
//! seed S with trinity's default system-call set, 64-bit calls only
//! (Courage has no 32-bit ABI), then proves the kernel is still up by
//! starting a process. xtask reports the operations done, the kernel's
//! warnings and whether it stayed up; a panic or hang prints the seed and
//! the last calls on the console so the run can be replayed.
//!
//! trinity's socket descriptor pool is off (`--disable-fds=sockets`):
//! trinity 2023.01 segfaults building its socket cache as `nobody`, on
//! Linux 6.1 as well. The socket system calls themselves are fuzzed.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ::tests::{Boot, EXIT_SUCCESS, Qemu};

use crate::cpio::{self, Entry};
use crate::kernel::{self, Profile};
use crate::tools::Tool;
use crate::{debian, tools, userspace};

/// trinity, from Debian.
pub const TRINITY: &[Tool] = &[Tool {
    probe: "trinity",
    package: "trinity",
}];

/// Console lines shown when a run goes wrong.
const LAST_LINES: usize = 40;

/// The guest's init: `sh /fuzz.sh OPS SEED`.
const FUZZ_SCRIPT: &str = r#"#!/bin/sh
# Runs trinity for $1 operations from seed $2 as nobody, then checks that
# the kernel still starts processes.
mount -t proc proc /proc
mount -t tmpfs tmpfs /tmp
chmod 1777 /tmp
cd /tmp
mem() { busybox awk -v key="$1:" '$1 == key { print $2 }' /proc/meminfo; }
echo "fuzz-memory MemFree-before $(mem MemFree)"
busybox su -s /bin/sh nobody -c \
    "/usr/bin/trinity -N $1 -s $2 -a 64 -l off --disable-fds=sockets"
echo "fuzz-trinity-status $?"
# trinity's children may still be going away.
sleep 1
echo "fuzz-memory MemFree-after $(mem MemFree)"
if /bin/busybox true; then echo "fuzz-alive"; fi
poweroff -f
"#;

/// What a run showed.
#[derive(Debug, Default, PartialEq)]
struct Report {
    /// trinity's count of system calls made ("Ran N syscalls").
    operations: Option<u64>,
    /// trinity's exit status.
    trinity_status: Option<i32>,
    /// The kernel started a process after trinity.
    alive: bool,
    /// Kernel log lines at WARN or above, other than unknown system calls.
    warnings: Vec<String>,
    /// Distinct system calls the kernel does not have, by name.
    unknown_calls: Vec<String>,
    /// The kernel panicked.
    panicked: bool,
}

fn parse_report(output: &str) -> Report {
    let mut report = Report::default();
    for line in output.lines() {
        // trinity: "[main] Ran 2000 syscalls. Successes: 607  Failures: 1340"
        if let Some(rest) = line.split("Ran ").nth(1)
            && line.contains("[main]")
            && let Some(count) = rest.split_whitespace().next()
            && let Ok(count) = count.parse()
        {
            report.operations = Some(count);
        }
        if let Some(status) = line.strip_prefix("fuzz-trinity-status ") {
            report.trinity_status = status.trim().parse().ok();
        }
        if line.trim() == "fuzz-alive" {
            report.alive = true;
        }
        if line.contains("KERNEL PANIC") {
            report.panicked = true;
        }
        // "[ WARN] unknown system call 29 (shmget) from trinity: ENOSYS"
        if let Some(at) = line.find("unknown system call ") {
            let rest = &line[at + "unknown system call ".len()..];
            let name = rest.split(" from ").next().unwrap_or(rest).to_string();
            if !report.unknown_calls.contains(&name) {
                report.unknown_calls.push(name);
            }
        } else if let Some(at) = line.find("[ WARN]").or_else(|| line.find("[ERROR]")) {
            report.warnings.push(line[at..].to_string());
        }
    }
    report
}

/// What is wrong with a run, if anything.
fn verdict(report: &Report, ops: u64) -> Vec<String> {
    let mut problems = Vec::new();
    if report.panicked {
        problems.push("kernel panic".into());
    }
    match report.operations {
        Some(done) if done >= ops => {}
        Some(done) => problems.push(format!("trinity stopped after {done} of {ops} operations")),
        None => problems.push("trinity never reported its operations".into()),
    }
    if report.trinity_status != Some(0) {
        problems.push(format!("trinity exited with {:?}", report.trinity_status));
    }
    if !report.alive {
        problems.push("the kernel did not start a process after trinity".into());
    }
    problems
}

/// `debian` with trinity and the fuzz script added:
/// `target/courage/initramfs-fuzz.cpio`.
pub fn initramfs(debian: &Path) -> Result<PathBuf, String> {
    let trinity = debian::which("trinity")?;
    let mut bytes = std::fs::read(debian).map_err(|e| e.to_string())?;
    // trinity links only libc, which the Debian archive already holds.
    bytes.extend(cpio::archive(&[
        Entry::File {
            path: "usr/bin/trinity".into(),
            mode: 0o755,
            data: std::fs::read(&trinity).map_err(|e| format!("{}: {e}", trinity.display()))?,
        },
        Entry::File {
            path: "fuzz.sh".into(),
            mode: 0o755,
            data: FUZZ_SCRIPT.as_bytes().to_vec(),
        },
    ]));
    let path = debian.with_file_name("initramfs-fuzz.cpio");
    std::fs::write(&path, bytes).map_err(|e| e.to_string())?;
    Ok(path)
}

/// Boots and fuzzes; `Err` says what went wrong, after printing the seed
/// and the console's last lines.
pub fn run_on(kernel: &Path, initrd: &Path, ops: u64, seed: u64, cpus: u32) -> Result<(), String> {
    let mut qemu = Qemu::new(Boot::Kernel {
        kernel: kernel.to_path_buf(),
        cmdline: format!("quiet panic=exit init=/bin/sh -- /fuzz.sh {ops} {seed}"),
        initrd: Some(initrd.to_path_buf()),
    });
    qemu.cpus = cpus;
    qemu.memory = "1G".into();
    eprintln!("xtask: trinity, {ops} operations from seed {seed}, on {cpus} CPUs");
    // Boot and 20 ms per operation: a
    // debug kernel under TCG does one in about 3 ms.
    let timeout = Duration::from_secs(120 + ops / 50);
    let outcome = qemu
        .run_captured(timeout, None)
        .map_err(|e| format!("cannot start QEMU: {e}"))?;
    let log = kernel.with_file_name("fuzz.log");
    let _ = std::fs::write(&log, &outcome.output);
    let report = parse_report(&outcome.output);
    println!("\nfuzz: trinity, seed {seed}, {cpus} CPUs");
    println!(
        "  operations    {} of {ops}",
        report.operations.map_or("?".into(), |n| n.to_string())
    );
    println!("  kernel warnings {}", report.warnings.len());
    for warning in report.warnings.iter().take(20) {
        println!("    {warning}");
    }
    println!(
        "  unknown system calls {}: {}",
        report.unknown_calls.len(),
        report.unknown_calls.join(", ")
    );
    println!(
        "  kernel up     {}",
        if report.alive { "yes" } else { "no" }
    );
    println!("  console log   {}", log.display());
    let mut problems = verdict(&report, ops);
    if outcome.timed_out {
        problems.push(format!("hung: no end after {} s", timeout.as_secs()));
    } else if outcome.code() != Some(EXIT_SUCCESS) && !report.panicked {
        problems.push(format!("QEMU exited with {:?}", outcome.code()));
    }
    if problems.is_empty() {
        println!("fuzz: passed");
        return Ok(());
    }
    let lines: Vec<&str> = outcome.output.lines().collect();
    println!("\nfuzz: the console's last {LAST_LINES} lines:");
    for line in &lines[lines.len().saturating_sub(LAST_LINES)..] {
        println!("  {line}");
    }
    println!("\nfuzz: replay with `cargo xtask fuzz --ops {ops} --seed {seed} --cpus {cpus}`");
    Err(problems.join("; "))
}

/// A seed from the clock, for runs not given one.
pub fn fresh_seed() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |t| t.as_nanos() as u64 % 1_000_000_000)
}

/// `cargo xtask fuzz`.
pub fn run(profile: Profile, ops: u64, seed: u64, cpus: u32) -> Result<(), String> {
    tools::ensure(&[tools::QEMU, tools::USERSPACE, debian::PROGRAMS, TRINITY])?;
    let kernel = kernel::build(profile)?;
    let test = userspace::initramfs(userspace::Flavour::Test)?;
    let initrd = initramfs(&debian::with_debian_programs(&test)?)?;
    run_on(&kernel, &initrd, ops, seed, cpus)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "[ WARN] unknown system call 29 (shmget) from trinity: ENOSYS\n\
        [ WARN] unknown system call 29 (shmget) from trinity-c1: ENOSYS\n\
        [child1:109] [22] fchmod(fd=103, mode=170) = 0\n\
        [main] Ran 2000 syscalls. Successes: 607  Failures: 1340\n\
        fuzz-trinity-status 0\n\
        fuzz-alive\n";

    #[test]
    fn a_finished_run_passes_and_names_the_missing_calls() {
        let report = parse_report(GOOD);
        assert_eq!(report.operations, Some(2000));
        assert_eq!(report.unknown_calls, ["29 (shmget)"]);
        assert!(report.warnings.is_empty());
        assert!(verdict(&report, 2000).is_empty());
    }

    #[test]
    fn a_short_run_a_panic_or_a_dead_kernel_fails() {
        let report = parse_report(GOOD);
        assert_eq!(
            verdict(&report, 5000),
            ["trinity stopped after 2000 of 5000 operations"]
        );
        let crashed = parse_report(
            "[main] Ran 10 syscalls.\n[ERROR] page fault in kernel\nKERNEL PANIC at x\n",
        );
        assert_eq!(crashed.warnings, ["[ERROR] page fault in kernel"]);
        assert_eq!(
            verdict(&crashed, 10),
            [
                "kernel panic",
                "trinity exited with None",
                "the kernel did not start a process after trinity",
            ]
        );
    }
}
