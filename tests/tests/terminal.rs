//! The serial console as a user at a terminal meets it: `cargo xtask
//! run`'s busybox shell, driven key by key through QEMU's serial port.

use std::time::Duration;

use tests::{Boot, Qemu, Session, Step, artifact};

const PROMPT: &str = "/ # ";

fn session(steps: &[Step]) -> Session {
    let qemu = Qemu::new(Boot::Kernel {
        kernel: artifact("COURAGE_KERNEL"),
        cmdline: "quiet".into(),
        initrd: Some(artifact("COURAGE_INITRAMFS")),
    });
    let session = qemu
        .run_script(Duration::from_secs(120), steps)
        .expect("QEMU starts");
    if let Some(step) = session.stuck_at {
        panic!(
            "never saw {:?} (step {step}); the console printed:\n{}",
            steps[step].expect, session.output
        );
    }
    session
}

/// Waits for the shell to be reading (its prompt), then types a line.
fn command(line: &str) -> Step {
    Step::new(PROMPT, format!("{line}\r").as_bytes())
}

#[test]
fn ctrl_c_interrupts_the_foreground_job_and_the_shell_sees_sigint() {
    let session = session(&[
        // The job says when it runs (in front: the shell hands it the
        // terminal before it starts); ^C then kills it with SIGINT.
        command("sh -c 'echo started; exec sleep 100'"),
        Step::new("\nstarted", b"\x03").after(Duration::from_millis(500)),
        command("echo status=$?"),
        Step::new("status=130", b""),
    ]);
    assert!(session.output.contains("status=130"), "{}", session.output);
}

#[test]
fn ctrl_z_stops_a_job_and_fg_brings_it_back() {
    let session = session(&[
        command("sh -c 'echo started; exec sleep 100'"),
        Step::new("\nstarted", b"\x1a").after(Duration::from_millis(500)),
        Step::new("Stopped", b""),
        command("fg"),
        // fg names the job it continues; ^C then ends it.
        Step::new("sleep 100", b"\x03").after(Duration::from_secs(3)),
        command("echo after=$?"),
        Step::new("after=130", b""),
    ]);
    assert!(session.output.contains("after=130"), "{}", session.output);
}

#[test]
fn a_background_job_that_reads_the_terminal_is_stopped_and_ctrl_d_ends_it_in_front() {
    let session = session(&[
        command("cat &"),
        // Give cat time to try its read.
        command("sleep 2; jobs"),
        Step::new("Stopped (tty input)", b""),
        command("fg"),
        // In the foreground cat reads a line, then ^D is end of file.
        Step::new("cat", b"typed line\r").after(Duration::from_secs(1)),
        Step::new("typed line", b"\x04").after(Duration::from_secs(1)),
        command("echo cat=$?"),
        Step::new("cat=0", b""),
    ]);
    assert!(session.output.contains("cat=0"), "{}", session.output);
}

#[test]
fn busybox_vi_edits_a_file_and_wq_saves_it() {
    let session = session(&[
        command("vi /tmp/notes"),
        Step::new("/tmp/notes", b"ihello from vi\x1b").after(Duration::from_secs(1)),
        Step::new("[Modified]", b":wq\r"),
        command("cat /tmp/notes"),
        Step::new("cat /tmp/notes", b""),
        Step::new("hello from vi", b""),
    ]);
    assert!(
        session.output.contains("hello from vi"),
        "{}",
        session.output
    );
}
