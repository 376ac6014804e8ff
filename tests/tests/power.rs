//! Power-off and restart as on a machine without QEMU's debug-exit device:
//! through ACPI (the FADT's PM1 control with the DSDT's `\_S5`, the FADT
//! reset register).

use std::time::Duration;

use tests::{Boot, Qemu, Step, artifact};

fn plain_machine(init_command: &str) -> Qemu {
    let mut qemu = Qemu::new(Boot::Kernel {
        kernel: artifact("COURAGE_KERNEL"),
        cmdline: format!("init=/bin/busybox -- {init_command}"),
        initrd: Some(artifact("COURAGE_INITRAMFS")),
    });
    qemu.debug_exit = false;
    qemu
}

#[test]
fn poweroff_ends_qemu_without_the_debug_exit_device() {
    let outcome = plain_machine("poweroff -f")
        .run_captured(Duration::from_secs(60), None)
        .expect("QEMU starts");
    assert!(
        !outcome.timed_out,
        "still on after 60 s:\n{}",
        outcome.output
    );
    assert!(
        outcome.output.contains("reboot: powering off"),
        "{}",
        outcome.output
    );
    // ACPI soft-off ends QEMU with status 0 (debug-exit would give 33).
    assert_eq!(outcome.code(), Some(0), "{}", outcome.output);
    assert!(
        outcome.elapsed < Duration::from_secs(10),
        "took {:?}",
        outcome.elapsed
    );
}

#[test]
fn reboot_restarts_the_machine() {
    let mut qemu = plain_machine("reboot -f");
    qemu.reset_exits = false;
    let session = qemu
        .run_script(
            Duration::from_secs(60),
            &[
                Step::new("booted via", b""),
                Step::new("reboot: restarting", b""),
                // The firmware runs again and boots the kernel a second time.
                Step::new("booted via", b""),
            ],
        )
        .expect("QEMU starts");
    assert_eq!(session.stuck_at, None, "{}", session.output);
}
