//! The sampling profiler end to end: a program with known functions runs
//! under `/proc/profiling`, and the report, folded on the host with the
//! program's own symbols, shows its user stacks and the kernel code its
//! system calls ran.

use std::path::Path;
use std::time::Duration;

use tests::artifact;
use tests::profile::{Symbolizer, record, test_initramfs_file};

fn folded(command: &str) -> (String, Vec<String>) {
    let (report, output) = record(
        &artifact("COURAGE_KERNEL"),
        &artifact("COURAGE_TEST_INITRAMFS"),
        command,
        1,
        Duration::from_secs(180),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let programs = artifact("COURAGE_USER_PROGRAMS");
    let mut symbolizer =
        Symbolizer::new(|guest: &str| test_initramfs_file(Path::new(&programs), guest));
    let stacks = symbolizer.fold(&report);
    assert!(!stacks.is_empty(), "{output}");
    (report, stacks)
}

fn samples(stacks: &[String], wanted: impl Fn(&str) -> bool) -> u64 {
    stacks
        .iter()
        .filter(|line| wanted(line))
        .filter_map(|line| line.rsplit_once(' ')?.1.parse::<u64>().ok())
        .sum()
}

#[test]
fn a_profiled_program_shows_its_functions_and_its_system_calls() {
    let (report, stacks) = folded("/tests/musl/spin 2000");
    let text = stacks.join("\n");
    assert!(report.starts_with("# courage profile: "), "{report}");
    assert!(report.contains(" 0 dropped, 250 Hz"), "{report}");
    // Two seconds at 250 Hz, nearly all of it in the program.
    let spin = samples(&stacks, |line| line.starts_with("spin;"));
    assert!(spin >= 300, "{spin} samples of spin:\n{text}");
    // User frames through the frame-pointer chain, named from the ELF.
    let inner = samples(&stacks, |line| {
        line.starts_with("spin;")
            && line.contains(";main;spin_outer")
            && line.contains(";spin_inner")
    });
    assert!(
        inner > 0,
        "no main -> spin_outer -> spin_inner stack:\n{text}"
    );
    // Kernel frames of the system calls, named by the kernel itself.
    let kernel = samples(&stacks, |line| {
        line.starts_with("spin;")
            && line.contains(";main;")
            && line.contains("courage::syscall::dispatch_[k]")
    });
    assert!(kernel > 0, "no system-call stacks:\n{text}");
}

#[test]
fn the_whole_machine_can_be_profiled() {
    // `all` samples every thread, the idle loop included; the shell's
    // `sleep` leaves the CPU idle.
    let (report, stacks) =
        folded("echo off > /proc/profiling; echo all > /proc/profiling; busybox sleep 1");
    let idle = samples(&stacks, |line| line.starts_with("kernel;"));
    assert!(idle >= 100, "{idle} kernel samples:\n{report}");
}

#[test]
fn a_flame_graph_of_forktree_shows_its_code_and_the_kernels_fork() {
    let (_, stacks) = folded("for i in 1 2 3; do /tests/musl/forktree; done");
    let mut options = inferno::flamegraph::Options::default();
    let mut svg = Vec::new();
    inferno::flamegraph::from_lines(&mut options, stacks.iter().map(String::as_str), &mut svg)
        .expect("inferno draws it");
    let svg = String::from_utf8(svg).expect("SVG is text");
    let text = stacks.join("\n");
    // A user function of forktree, named from its ELF file...
    assert!(svg.contains(">subtree ("), "no subtree frame:\n{text}");
    // ...and the kernel's fork, named by the kernel (inferno drops the
    // `_[k]` that marks kernel frames, colouring them instead).
    assert!(
        svg.contains("::lifecycle::fork ("),
        "no kernel fork frame:\n{text}"
    );
}
