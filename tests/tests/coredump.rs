//! A core written by Courage, read by the host's gdb: the crashing
//! program's backtrace comes out of it.

use std::process::Command;
use std::time::Duration;

use tests::{Boot, EXIT_SUCCESS, Qemu, artifact};

const BEGIN: &str = "CORE-BEGIN";
const END: &str = "CORE-END";

/// Runs `program` (a path in the test initramfs) in `/tmp` with core dumps
/// on, and has the host's gdb run `commands` on its core; gdb's output.
fn gdb_on_core(program: &str, args: &str, commands: &[&str]) -> String {
    let programs = artifact("COURAGE_USER_PROGRAMS");
    let qemu = Qemu::new(Boot::Kernel {
        kernel: artifact("COURAGE_KERNEL"),
        cmdline: format!(
            "quiet init=/bin/busybox -- sh -c \"cd /tmp; ulimit -c unlimited; \
             /tests/{program} {args}; echo {BEGIN}; gzip -c core | base64; echo {END}; poweroff -f\""
        ),
        initrd: Some(artifact("COURAGE_TEST_INITRAMFS")),
    });
    let outcome = qemu
        .run_captured(Duration::from_secs(120), None)
        .expect("QEMU starts");
    assert_eq!(outcome.code(), Some(EXIT_SUCCESS), "{}", outcome.output);
    let encoded: String = outcome
        .output
        .lines()
        .skip_while(|line| !line.contains(BEGIN))
        .skip(1)
        .take_while(|line| !line.contains(END))
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(!encoded.is_empty(), "no core came out:\n{}", outcome.output);

    let dir = std::env::temp_dir().join(format!(
        "courage-core-{}-{}",
        std::process::id(),
        program.replace('/', "-")
    ));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("core.gz.b64"), encoded + "\n").unwrap();
    let unpacked = Command::new("sh")
        .arg("-c")
        .arg("base64 -d core.gz.b64 | gzip -d > core")
        .current_dir(&dir)
        .status()
        .expect("sh runs");
    assert!(unpacked.success(), "the core did not decode");

    let mut gdb = Command::new("gdb");
    gdb.args(["-nx", "-batch"]);
    for command in commands {
        gdb.args(["-ex", command]);
    }
    let gdb = gdb
        .arg(programs.join(program))
        .arg(dir.join("core"))
        .output()
        .expect("gdb runs (xtask installs it)");
    let text =
        String::from_utf8_lossy(&gdb.stdout).into_owned() + &String::from_utf8_lossy(&gdb.stderr);
    let _ = std::fs::remove_dir_all(&dir);
    text
}

#[test]
fn gdb_reads_the_backtrace_of_a_crash_from_its_core() {
    let text = gdb_on_core("glibc/segv", "", &["bt", "info registers rip"]);
    assert!(
        text.contains("Program terminated with signal SIGSEGV"),
        "{text}"
    );
    // The last crash of the program: a write to a kernel address.
    assert!(text.contains("in kernel_address ()"), "{text}");
    assert!(text.contains("in main ()"), "{text}");
}

#[test]
fn gdb_sees_every_thread_of_a_crashed_process() {
    let text = gdb_on_core(
        "glibc/coredump",
        "threaded-crash",
        &["info threads", "thread apply all bt"],
    );
    assert!(
        text.contains("Program terminated with signal SIGSEGV"),
        "{text}"
    );
    // Three threads, the crashing one current, the others in pause().
    assert!(text.matches("Thread ").count() >= 3, "{text}");
    assert!(text.contains("in main ("), "{text}");
    assert!(text.contains("pause"), "{text}");
}
