//! The screen console as a user at a PC meets it: GRUB hands over a
//! framebuffer, the kernel draws the shell on it, and keys typed on the
//! PS/2 keyboard (QEMU's `sendkey`) reach the shell.

use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use tests::screen::{Monitor, read_screen};
use tests::{Boot, Qemu, artifact};

/// QEMU, killed when the test ends however it ends.
struct Machine {
    child: Child,
    monitor: Monitor,
    dumps: PathBuf,
}

impl Drop for Machine {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Machine {
    fn boot(name: &str) -> Machine {
        let dumps = std::env::temp_dir().join(format!("courage-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dumps).unwrap();
        let socket = dumps.join("monitor.sock");
        let _ = std::fs::remove_file(&socket);
        let mut qemu = Qemu::new(Boot::Iso(artifact("COURAGE_SCREEN_ISO")));
        qemu.monitor = Some(socket.clone());
        let child = qemu
            .command(false)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("QEMU starts");
        let monitor = Monitor::connect(&socket, Duration::from_secs(20)).expect("the monitor");
        Machine {
            child,
            monitor,
            dumps,
        }
    }

    fn screen(&mut self) -> Vec<String> {
        let dump = self.dumps.join("screen.ppm");
        self.monitor.screendump(&dump).expect("screendump");
        read_screen(&dump).unwrap_or_default()
    }

    /// Waits until some row of the screen satisfies `wanted`.
    fn wait_for(&mut self, what: &str, timeout: Duration, wanted: impl Fn(&str) -> bool) {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if screen.iter().any(|row| wanted(row)) {
                return;
            }
            if start.elapsed() > timeout {
                panic!("never saw {what} on the screen:\n{}", screen.join("\n"));
            }
            thread::sleep(Duration::from_millis(500));
        }
    }
}

#[test]
fn a_command_typed_on_the_keyboard_runs_and_its_output_is_drawn() {
    let mut machine = Machine::boot("screen");
    machine.wait_for("the shell's prompt", Duration::from_secs(120), |row| {
        row.starts_with("/ #")
    });
    machine.monitor.type_text("echo hi-$((6*7))\n").unwrap();
    machine.wait_for("the command's output", Duration::from_secs(30), |row| {
        row == "hi-42"
    });
    // Ctrl-C from the keyboard interrupts the foreground job.
    machine.monitor.type_text("sleep 100\n").unwrap();
    thread::sleep(Duration::from_secs(2));
    machine.monitor.key("ctrl-c").unwrap();
    machine.monitor.type_text("echo status=$?\n").unwrap();
    machine.wait_for("status=130", Duration::from_secs(30), |row| {
        row == "status=130"
    });
    let _ = std::fs::remove_dir_all(&machine.dumps);
}
