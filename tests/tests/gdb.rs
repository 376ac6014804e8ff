//! Debian's gdb, unchanged, debugging a program inside Courage: a
//! breakpoint, the backtrace, printing a struct argument and a local,
//! stepping, `finish` with the returned value, registers, and the program
//! run to its end. gdb drives all of it through ptrace, /proc and wait.

use std::time::Duration;

use tests::{Boot, EXIT_SUCCESS, Qemu, artifact};

#[test]
fn gdb_breaks_steps_and_prints_in_a_running_program() {
    let commands = [
        "break area",
        "run",
        "bt",
        "print corner",
        "print scale",
        "next",
        "next",
        "print result",
        "finish",
        "info registers rip",
        "delete",
        "continue",
    ];
    let script: String = commands.iter().map(|c| format!(" -ex '{c}'")).collect();
    let mut qemu = Qemu::new(Boot::Kernel {
        kernel: artifact("COURAGE_KERNEL"),
        cmdline: format!(
            "quiet init=/bin/busybox -- sh -c \"mount -t proc proc /proc; cd /tmp; \
             /usr/bin/gdb -batch -nx{script} /tests/glibc/debugee; echo gdb-status=$?; poweroff -f\""
        ),
        initrd: Some(artifact("COURAGE_GDB_INITRAMFS")),
    });
    // gdb and its libraries are about 80 MiB, unpacked into memory.
    qemu.memory = "1G".into();
    let outcome = qemu
        .run_captured(Duration::from_secs(240), None)
        .expect("QEMU starts");
    let output = outcome.output.replace('\r', "");
    assert_eq!(outcome.code(), Some(EXIT_SUCCESS), "{output}");
    for expected in [
        "Breakpoint 1, area (corner=..., scale=2) at ",
        "#1  0x",
        " in main () at ",
        "debugee.c:22",
        "$1 = {x = 6, y = 7}",
        "$2 = 2",
        "16\t    calls++;",
        "$3 = 84",
        "Value returned is $4 = 84",
        "rip            0x",
        "areas 84 18",
        "exited normally",
        "gdb-status=0",
    ] {
        assert!(output.contains(expected), "no `{expected}` in:\n{output}");
    }
}
