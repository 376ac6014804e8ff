//! Debian's strace, unchanged, tracing programs on Courage through
//! ptrace: system calls with decoded arguments, a count summary, and the
//! children of a shell followed across fork and exec.

use std::time::Duration;

use tests::{Boot, EXIT_SUCCESS, Qemu, artifact};

fn run(script: &str) -> String {
    let qemu = Qemu::new(Boot::Kernel {
        kernel: artifact("COURAGE_KERNEL"),
        cmdline: format!("quiet init=/bin/busybox -- sh -c \"{script}; poweroff -f\""),
        initrd: Some(artifact("COURAGE_DEBIAN_INITRAMFS")),
    });
    let outcome = qemu
        .run_captured(Duration::from_secs(120), None)
        .expect("QEMU starts");
    assert_eq!(outcome.code(), Some(EXIT_SUCCESS), "{}", outcome.output);
    outcome.output
}

#[test]
fn strace_shows_a_programs_system_calls_and_their_results() {
    let output = run("/usr/bin/strace /tests/musl/hello");
    assert!(
        output.contains("execve(\"/tests/musl/hello\", [\"/tests/musl/hello\"]"),
        "{output}"
    );
    assert!(
        output.contains("= 22\n") || output.contains("= 22\r\n"),
        "{output}"
    );
    assert!(
        output.contains("write(-1, \"x\", 1)") && output.contains("-1 EBADF (Bad file descriptor)"),
        "{output}"
    );
    assert!(output.contains("+++ exited with 0 +++"), "{output}");
}

#[test]
fn strace_follows_a_shell_into_its_children() {
    let output = run(
        "/usr/bin/strace -f -e trace=execve,exit_group busybox sh -c 'busybox true; echo after'",
    );
    // The child the shell forked is traced too, through its exec and exit.
    assert!(output.contains("attached"), "{output}");
    assert!(
        output.contains("execve(\"/proc/self/exe\", [\"busybox\", \"true\"]")
            || output.contains("execve(\"/bin/busybox\", [\"busybox\", \"true\"]"),
        "{output}"
    );
    assert!(output.contains("after"), "{output}");
    assert!(
        output.matches("+++ exited with 0 +++").count() >= 2,
        "{output}"
    );
}

#[test]
fn strace_counts_calls_with_c() {
    let output = run("/usr/bin/strace -c /tests/musl/hello");
    assert!(output.contains("% time"), "{output}");
    assert!(
        output
            .lines()
            .any(|line| line.contains("write") && line.split_whitespace().nth(3) == Some("2")),
        "two writes counted:\n{output}"
    );
}

#[test]
fn strace_filters_with_seccomp_bpf() {
    // strace first checks, with a child of its own, that seccomp filters
    // stop the tracee with PTRACE_EVENT_SECCOMP as Linux's do; it warns
    // and traces every call if they do not.
    let output = run(
        "/usr/bin/strace -f --seccomp-bpf -e trace=execve,exit_group busybox sh -c 'busybox true; echo after'",
    );
    assert!(!output.contains("unavailable"), "{output}");
    assert!(
        output.contains("execve(\"/proc/self/exe\", [\"busybox\", \"true\"]")
            || output.contains("execve(\"/bin/busybox\", [\"busybox\", \"true\"]"),
        "{output}"
    );
    assert!(output.contains("exit_group(0)"), "{output}");
    assert!(output.contains("after"), "{output}");
}
