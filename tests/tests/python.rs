//! Debian's Python 3.11, unchanged, on Courage: its `pty` module runs a
//! child on a pseudo-terminal and talks to it through the master, and
//! its `shutil` copies files with their metadata and extended attributes.

use std::time::Duration;

use tests::{Boot, EXIT_SUCCESS, Qemu, artifact};

/// Boots the Debian initramfs to run `/tests/python/<script>` and checks
/// that it printed `expected` and exited 0.
fn runs_and_prints(script: &str, expected: &str) {
    let qemu = Qemu::new(Boot::Kernel {
        kernel: artifact("COURAGE_KERNEL"),
        cmdline: format!(
            "quiet init=/bin/busybox -- sh -c \"mount -t proc proc /proc; \
             /usr/bin/python3.11 -S /tests/python/{script}; echo status=$?; poweroff -f\""
        ),
        initrd: Some(artifact("COURAGE_DEBIAN_INITRAMFS")),
    });
    let outcome = qemu
        .run_captured(Duration::from_secs(120), None)
        .expect("QEMU starts");
    assert_eq!(outcome.code(), Some(EXIT_SUCCESS), "{}", outcome.output);
    assert!(outcome.output.contains(expected), "{}", outcome.output);
    assert!(outcome.output.contains("status=0"), "{}", outcome.output);
}

#[test]
fn pythons_pty_module_runs_a_child_on_a_pseudo_terminal() {
    runs_and_prints("pty_test.py", "python pty ok");
}

#[test]
fn pythons_shutil_copies_files_with_their_extended_attributes() {
    runs_and_prints("shutil_test.py", "python shutil ok");
}
