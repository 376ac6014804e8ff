//! `cargo xtask stress [--minutes M] [--cpus N]`: a long mixed run on
//! every CPU (threads of one process on all CPUs, fork storms, pipes, signals,
//! memory pressure, the system-call fuzzer), then the kernel's memory
//! counts against where they started.
//!
//! The guest script runs each load in a loop of its own until the time is
//! up and counts runs and failures; xtask reports runs per second, and
//! fails the run on any failure, a hang, a kernel panic, or memory that
//! did not come back.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ::tests::{Boot, EXIT_SUCCESS, Qemu};

use crate::cpio::{self, Entry};
use crate::kernel::{self, Profile};
use crate::{debian, tools, userspace};

/// Memory that may stay in use after the run (KiB): the kernel-stack
/// cache, per-CPU run-queue growth and the like, paid once.
const MEMORY_SLACK_KB: i64 = 2048;

/// The loads the script runs at once.
const LOADS: usize = 7;

/// The guest's init: `sh /stress.sh SECONDS`.
const STRESS_SCRIPT: &str = r#"#!/bin/sh
# Mixed load on every CPU for $1 seconds; prints `stress-load NAME RUNS FAILURES`
# per load and `stress-memory KEY BEFORE AFTER` for the kernel's counts.
mount -t proc proc /proc
mount -t tmpfs tmpfs /tmp
seconds=$1
mem() { busybox awk -v key="$1:" '$1 == key { print $2 }' /proc/meminfo; }
settle() { sleep 2; }

# One round of every load first, so caches filled once are not counted.
/tests/musl/smp_stress 0.2 >/dev/null 2>&1
/tests/musl/forktree >/dev/null 2>&1
/tests/musl/syscall_fuzz 1 >/dev/null 2>&1
settle
free_before=$(mem MemFree)
slab_before=$(mem Slab)

end=$(($(date +%s) + seconds))
load() {
    name=$1
    shift
    runs=0
    failures=0
    while [ "$(date +%s)" -lt "$end" ]; do
        if "$@" >/tmp/out.$name 2>&1; then
            runs=$((runs + 1))
        else
            failures=$((failures + 1))
            echo "stress: $name failed (status $?): $*"
            busybox head -20 /tmp/out.$name
            # The kernel's line for a fault that killed it (pid, rip, address).
            busybox dmesg | busybox grep -F "($(busybox basename "$1"))" | busybox tail -3
        fi
    done
    rm -f /tmp/out.$name
    echo "stress-load $name $runs $failures"
}
# Threads of one process on every CPU: futex ping-pong, a page remapped
# under a reader on another CPU, threads coming and going, exit_group.
load threads /tests/musl/smp_stress 0.5 &
load glibc-threads /tests/glibc/threads &
load fork-storm /tests/musl/forktree &
load pipes /tests/musl/pipes &
load signals /tests/musl/signals &
load memory stress-ng --quiet --vm 1 --vm-bytes 48M --vm-ops 300 --mmap 1 --mmap-bytes 16M --mmap-ops 30 &
load fuzz sh -c '/tests/musl/syscall_fuzz $(busybox date +%N)' &
wait
settle
echo "stress-memory MemFree $free_before $(mem MemFree)"
echo "stress-memory Slab $slab_before $(mem Slab)"
echo "stress-elapsed $seconds"
poweroff -f
"#;

/// What the guest reported.
#[derive(Debug, Default, PartialEq)]
struct Report {
    /// (load, runs, failures).
    loads: Vec<(String, u64, u64)>,
    /// (count, before, after) in KiB.
    memory: Vec<(String, i64, i64)>,
}

fn parse_report(output: &str) -> Report {
    let mut report = Report::default();
    for line in output.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            ["stress-load", name, runs, failures] => {
                if let (Ok(runs), Ok(failures)) = (runs.parse(), failures.parse()) {
                    report.loads.push((name.to_string(), runs, failures));
                }
            }
            ["stress-memory", key, before, after] => {
                if let (Ok(before), Ok(after)) = (before.parse(), after.parse()) {
                    report.memory.push((key.to_string(), before, after));
                }
            }
            _ => {}
        }
    }
    report
}

/// What is wrong with a finished run, if anything.
fn verdict(report: &Report, loads_expected: usize) -> Vec<String> {
    let mut problems = Vec::new();
    if report.loads.len() != loads_expected {
        problems.push(format!(
            "{} of {loads_expected} loads reported",
            report.loads.len()
        ));
    }
    for (name, runs, failures) in &report.loads {
        if *failures > 0 {
            problems.push(format!("{name}: {failures} failed runs"));
        }
        if *runs == 0 {
            problems.push(format!("{name}: never finished a run"));
        }
    }
    for (key, before, after) in &report.memory {
        // MemFree should come back up; Slab (kernel heap) back down.
        let lost = if key == "MemFree" {
            before - after
        } else {
            after - before
        };
        if lost > MEMORY_SLACK_KB {
            problems.push(format!("{key}: {lost} KiB not returned"));
        }
    }
    if report.memory.len() != 2 {
        problems.push("no memory counts".into());
    }
    problems
}

/// `debian` (the test initramfs with Debian's programs) with the stress
/// script added: `target/courage/initramfs-stress.cpio`.
pub fn initramfs(debian: &Path) -> Result<PathBuf, String> {
    let mut bytes = std::fs::read(debian).map_err(|e| e.to_string())?;
    bytes.extend(cpio::archive(&[Entry::File {
        path: "stress.sh".into(),
        mode: 0o755,
        data: STRESS_SCRIPT.as_bytes().to_vec(),
    }]));
    let path = debian.with_file_name("initramfs-stress.cpio");
    std::fs::write(&path, bytes).map_err(|e| e.to_string())?;
    Ok(path)
}

/// Runs the stress on `cpus` CPUs for `seconds`; `Err` says what failed.
pub fn run_on(kernel: &Path, initrd: &Path, cpus: u32, seconds: u64) -> Result<(), String> {
    let mut qemu = Qemu::new(Boot::Kernel {
        kernel: kernel.to_path_buf(),
        cmdline: format!("quiet panic=exit init=/bin/sh -- /stress.sh {seconds}"),
        initrd: Some(initrd.to_path_buf()),
    });
    qemu.cpus = cpus;
    qemu.memory = "1G".into();
    eprintln!("xtask: stress on {cpus} CPUs for {seconds} s");
    // Boot, the warm-up and a load's last run after the deadline.
    let timeout = Duration::from_secs(seconds + 180);
    let outcome = qemu
        .run_captured(timeout, None)
        .map_err(|e| format!("cannot start QEMU: {e}"))?;
    print!("{}", outcome.output);
    let report = parse_report(&outcome.output);
    println!("\nstress: {cpus} CPUs, {seconds} s");
    for (name, runs, failures) in &report.loads {
        println!(
            "  {name:<14} {runs:>6} runs {:>8.2}/s  {failures} failed",
            *runs as f64 / seconds.max(1) as f64
        );
    }
    for (key, before, after) in &report.memory {
        println!("  {key:<14} {before} kB before, {after} kB after");
    }
    let mut problems = verdict(&report, LOADS);
    if outcome.timed_out {
        problems.push(format!("hung: no end after {} s", timeout.as_secs()));
    } else if outcome.code() != Some(EXIT_SUCCESS) {
        problems.push(format!("QEMU exited with {:?}", outcome.code()));
    }
    if outcome.output.contains("KERNEL PANIC") {
        problems.push("kernel panic".into());
    }
    if problems.is_empty() {
        println!("stress: passed");
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// `cargo xtask stress`.
pub fn run(profile: Profile, cpus: u32, minutes: f64) -> Result<(), String> {
    tools::ensure(&[tools::QEMU, tools::USERSPACE, debian::PROGRAMS])?;
    let kernel = kernel::build(profile)?;
    let test = userspace::initramfs(userspace::Flavour::Test)?;
    let initrd = initramfs(&debian::with_debian_programs(&test)?)?;
    let seconds = (minutes * 60.0).round().max(1.0) as u64;
    run_on(&kernel, &initrd, cpus, seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clean_report_passes_and_each_fault_is_named() {
        let output = "noise\nstress-load pipes 12 0\nstress-load fuzz 3 0\n\
                      stress-memory MemFree 900000 899500\nstress-memory Slab 700 900\n";
        let report = parse_report(output);
        assert_eq!(report.loads.len(), 2);
        assert!(verdict(&report, 2).is_empty());
        assert_eq!(verdict(&report, 3), ["2 of 3 loads reported"]);

        let bad = parse_report(
            "stress-load pipes 12 1\nstress-load fuzz 0 0\n\
             stress-memory MemFree 900000 890000\nstress-memory Slab 700 5000\n",
        );
        assert_eq!(
            verdict(&bad, 2),
            [
                "pipes: 1 failed runs",
                "fuzz: never finished a run",
                "MemFree: 10000 KiB not returned",
                "Slab: 4300 KiB not returned",
            ]
        );
    }
}
