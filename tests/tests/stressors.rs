//! Debian's stress-ng, unchanged, running the stressors of the Linux
//! interfaces Courage serves for event loops, sockets, locks, timers and
//! System V IPC: each runs a fixed number of operations and must end with
//! status 0.

use std::time::Duration;

use tests::{Boot, EXIT_SUCCESS, Qemu, artifact};

/// Stressor name and its arguments: event descriptors, Unix sockets,
/// TCP and UDP over the loopback (IPv4 and IPv6; `--sock-domain unix` is
/// left out: it asks for a protocol number Unix sockets refuse, on Linux
/// as here), FIFOs, locks, POSIX timers, SIGPIPE from a closed pipe, and
/// System V shared memory, semaphores and message queues.
const STRESSORS: &[(&str, &str)] = &[
    ("eventfd", "--eventfd 1 --eventfd-ops 300"),
    ("timerfd", "--timerfd 1 --timerfd-ops 300"),
    ("sigfd", "--sigfd 1 --sigfd-ops 300"),
    ("epoll", "--epoll 1 --epoll-ops 200 --epoll-domain unix"),
    ("epoll-tcp", "--epoll 1 --epoll-ops 200 --epoll-domain ipv4"),
    ("sock", "--sock 1 --sock-ops 100"),
    ("sock-ipv6", "--sock 1 --sock-ops 50 --sock-domain ipv6"),
    ("udp", "--udp 1 --udp-ops 300"),
    ("udp-ipv6", "--udp 1 --udp-ops 300 --udp-domain ipv6"),
    ("sockpair", "--sockpair 1 --sockpair-ops 300"),
    ("sockfd", "--sockfd 1 --sockfd-ops 300"),
    ("fifo", "--fifo 1 --fifo-ops 300"),
    ("flock", "--flock 1 --flock-ops 300"),
    ("lockf", "--lockf 1 --lockf-ops 300"),
    ("timer", "--timer 1 --timer-ops 300"),
    ("sigpipe", "--sigpipe 1 --sigpipe-ops 500"),
    ("shm-sysv", "--shm-sysv 1 --shm-sysv-ops 100"),
    ("sem-sysv", "--sem-sysv 1 --sem-sysv-ops 300"),
    ("msg", "--msg 1 --msg-ops 300"),
];

#[test]
fn stress_ng_stressors_complete_with_status_zero() {
    let mut script = String::from("cd /tmp; ");
    for (name, args) in STRESSORS {
        script.push_str(&format!(
            "timeout 60 stress-ng {args} --timeout 60 > /tmp/{name}.out 2>&1; echo stressor-{name}=$?; "
        ));
    }
    let qemu = Qemu::new(Boot::Kernel {
        kernel: artifact("COURAGE_KERNEL"),
        cmdline: format!(
            "quiet init=/bin/busybox -- sh -c \"mount -t proc proc /proc; mount -t tmpfs tmpfs /tmp; {script} poweroff -f\""
        ),
        initrd: Some(artifact("COURAGE_DEBIAN_INITRAMFS")),
    });
    let outcome = qemu
        .run_captured(Duration::from_secs(300), None)
        .expect("QEMU starts");
    assert_eq!(outcome.code(), Some(EXIT_SUCCESS), "{}", outcome.output);
    for (name, _) in STRESSORS {
        assert!(
            outcome.output.contains(&format!("stressor-{name}=0")),
            "stress-ng --{name} did not end with status 0:\n{}",
            outcome.output
        );
    }
}
