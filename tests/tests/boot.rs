//! Boot tests: the kernel that `cargo xtask test` built, booted every way a
//! user boots it, checked by what it prints on the serial console.

use std::time::Duration;

use tests::{Boot, EXIT_FAILURE, Outcome, Qemu, artifact};

/// The last line of a normal boot with nothing to run.
const IDLE: &str = "nothing to run yet";

fn boot_kernel(cmdline: &str, timeout: Duration, stop_at: Option<&str>) -> Outcome {
    let qemu = Qemu::new(Boot::Kernel {
        kernel: artifact("COURAGE_KERNEL"),
        cmdline: cmdline.into(),
        initrd: None,
    });
    qemu.run_captured(timeout, stop_at).expect("QEMU starts")
}

fn assert_banner(outcome: &Outcome, protocol: &str, cmdline: &str) {
    let output = &outcome.output;
    assert!(
        !outcome.timed_out,
        "no banner before the timeout:\n{output}"
    );
    assert!(
        output.contains(&format!("Courage {}", env!("CARGO_PKG_VERSION"))),
        "no version in:\n{output}"
    );
    assert!(
        output.contains(&format!("booted via {protocol}")),
        "{output}"
    );
    assert!(output.contains(" MiB usable memory"), "{output}");
    assert!(
        output.contains(&format!("command line \"{cmdline}\"")),
        "{output}"
    );
}

#[test]
fn pvh_boot_reaches_the_banner() {
    let outcome = boot_kernel("panic=exit", Duration::from_secs(30), Some(IDLE));
    assert_banner(&outcome, "PVH", "panic=exit");
}

#[test]
fn grub_iso_boots_on_seabios() {
    let qemu = Qemu::new(Boot::Iso(artifact("COURAGE_ISO")));
    let outcome = qemu
        .run_captured(Duration::from_secs(90), Some(IDLE))
        .expect("QEMU starts");
    assert_banner(&outcome, "multiboot2", "panic=exit");
}

#[test]
fn grub_iso_boots_on_uefi() {
    let firmware = tests::ovmf().expect("OVMF installed (xtask installs the ovmf package)");
    let qemu = Qemu::new(Boot::IsoUefi {
        iso: artifact("COURAGE_ISO"),
        firmware,
    });
    let outcome = qemu
        .run_captured(Duration::from_secs(240), Some(IDLE))
        .expect("QEMU starts");
    assert_banner(&outcome, "multiboot2", "panic=exit");
}

#[test]
fn kernel_page_fault_is_reported_with_symbols() {
    let outcome = boot_kernel("ktest=deliberate_page_fault", Duration::from_secs(30), None);
    let output = &outcome.output;
    assert_eq!(outcome.code(), Some(EXIT_FAILURE), "{output}");
    assert!(
        output.contains("KERNEL EXCEPTION #PF page fault (vector 14)"),
        "{output}"
    );
    assert!(
        output.contains("cr2=0xffffc000deadb000 (not present, write, kernel)"),
        "{output}"
    );
    assert!(
        output.contains(" courage::ktests::crash::deliberate_page_fault+0x"),
        "rip not symbolised:\n{output}"
    );
    let backtrace = output.split("backtrace:").nth(1).expect("a backtrace");
    assert!(backtrace.contains("courage::ktest::run+0x"), "{output}");
    assert!(backtrace.contains("courage::kernel_main+0x"), "{output}");
    assert!(output.contains("ktests: 0 passed, 1 failed"), "{output}");
}

#[test]
fn kernel_panic_exits_qemu_with_failure() {
    let outcome = boot_kernel("ktest=deliberate_panic", Duration::from_secs(30), None);
    let output = &outcome.output;
    assert_eq!(outcome.code(), Some(EXIT_FAILURE), "{output}");
    assert!(
        output.contains("KERNEL PANIC at image/src/ktests/crash.rs:"),
        "{output}"
    );
    assert!(output.contains("deliberate panic from a test"), "{output}");
    assert!(
        output.contains(" courage::ktests::crash::deliberate_panic+0x"),
        "{output}"
    );
}

#[test]
fn command_line_selects_the_log_level() {
    let verbose = boot_kernel("log=debug", Duration::from_secs(30), Some(IDLE));
    assert!(
        verbose.output.contains("[DEBUG] memory 0x"),
        "{}",
        verbose.output
    );
    let quiet = boot_kernel("log=info", Duration::from_secs(30), Some(IDLE));
    assert!(!quiet.output.contains("[DEBUG]"), "{}", quiet.output);
}

#[test]
fn unknown_command_line_options_are_reported() {
    let outcome = boot_kernel("log=loud frobnicate", Duration::from_secs(30), Some(IDLE));
    assert!(
        outcome.output.contains("ignored `log=loud`"),
        "{}",
        outcome.output
    );
    assert!(
        outcome.output.contains("ignored `frobnicate`"),
        "{}",
        outcome.output
    );
}

#[test]
fn writing_kernel_text_faults_because_of_w_xor_x() {
    let outcome = boot_kernel(
        "ktest=deliberate_write_to_kernel_text",
        Duration::from_secs(30),
        None,
    );
    let output = &outcome.output;
    assert_eq!(outcome.code(), Some(EXIT_FAILURE), "{output}");
    assert!(
        output.contains("(protection violation, write, kernel)"),
        "{output}"
    );
    assert!(
        output.contains(" courage::ktests::crash::deliberate_write_to_kernel_text+0x"),
        "{output}"
    );
}

#[test]
fn writing_kernel_text_through_the_direct_map_faults() {
    let outcome = boot_kernel(
        "ktest=deliberate_write_to_kernel_text_through_the_direct_map",
        Duration::from_secs(30),
        None,
    );
    let output = &outcome.output;
    assert_eq!(outcome.code(), Some(EXIT_FAILURE), "{output}");
    assert!(
        output.contains("(protection violation, write, kernel)"),
        "{output}"
    );
    assert!(
        output.contains(
            " courage::ktests::crash::deliberate_write_to_kernel_text_through_the_direct_map+0x"
        ),
        "{output}"
    );
}

#[test]
fn a_kernel_read_of_user_memory_outside_a_copy_faults() {
    let outcome = boot_kernel(
        "ktest=deliberate_kernel_read_of_user_memory",
        Duration::from_secs(30),
        None,
    );
    let output = &outcome.output;
    assert_eq!(outcome.code(), Some(EXIT_FAILURE), "{output}");
    // QEMU's `-cpu max` has SMAP: the page is present, the read refused.
    assert!(
        output.contains("(protection violation, read, kernel)"),
        "{output}"
    );
    assert!(
        output.contains("kernel access to user memory outside a user copy (SMAP on)"),
        "{output}"
    );
    assert!(
        output.contains(" courage::ktests::crash::deliberate_kernel_read_of_user_memory+0x"),
        "{output}"
    );
}

#[test]
fn write_to_protected_process_data_faults() {
    let outcome = boot_kernel(
        "ktest=deliberate_write_to_protected_credentials",
        Duration::from_secs(60),
        None,
    );
    let output = &outcome.output;
    assert_eq!(outcome.code(), Some(EXIT_FAILURE), "{output}");
    assert!(
        output.contains("(protection violation, write, kernel)"),
        "{output}"
    );
    assert!(
        output.contains("write to protected data outside its write window"),
        "{output}"
    );
    assert!(
        output.contains(" courage::ktests::crash::deliberate_write_to_protected_credentials+0x"),
        "{output}"
    );
}

#[test]
fn kernel_stack_overflow_hits_the_guard_page() {
    let outcome = boot_kernel(
        "ktest=deliberate_kernel_stack_overflow",
        Duration::from_secs(60),
        None,
    );
    let output = &outcome.output;
    assert_eq!(outcome.code(), Some(EXIT_FAILURE), "{output}");
    assert!(
        output.contains("kernel stack overflow: the fault hit a stack guard page"),
        "{output}"
    );
    assert!(
        output.contains("courage::ktests::crash::recurse+0x"),
        "{output}"
    );
}
