//! System information and limits as user space sees them.

use crate::common::*;
use abi::{Errno, RawRlimit, Rusage, Sysinfo, Sysno, Utsname};

fn text(field: &[u8]) -> &str {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    std::str::from_utf8(&field[..end]).unwrap()
}

#[test]
fn uname_names_courage_on_x86_64_and_sethostname_changes_the_node_name() {
    let w = World::new();
    let buf = w.alloc(size_of::<Utsname>());
    assert_eq!(w.call(Sysno::Uname, &[buf]), 0);
    let uts: Utsname = w.get(buf);
    assert_eq!(text(&uts.sysname), "Courage");
    assert_eq!(text(&uts.machine), "x86_64");
    let name = w.string("castle");
    assert_eq!(w.call(Sysno::Sethostname, &[name, 6]), 0);
    w.call(Sysno::Uname, &[buf]);
    assert_eq!(text(&w.get::<Utsname>(buf).nodename), "castle");
    assert_eq!(w.call(Sysno::Sethostname, &[name, 65]), err(Errno::EINVAL));
}

#[test]
fn only_root_may_set_the_host_name() {
    let w = World::new();
    w.become_user(1000, 1000);
    let name = w.string("mine");
    assert_eq!(w.call(Sysno::Sethostname, &[name, 4]), err(Errno::EPERM));
    assert_eq!(w.call(Sysno::Setdomainname, &[name, 4]), err(Errno::EPERM));
}

#[test]
fn lowering_a_soft_limit_takes_effect_on_open() {
    let w = World::new();
    let limit = w.put(&RawRlimit {
        current: 3,
        max: 1024,
    });
    assert_eq!(w.call(Sysno::Setrlimit, &[7, limit]), 0, "RLIMIT_NOFILE");
    for fd in 0..3 {
        assert_eq!(w.open("/f", O_CREAT | O_RDWR), fd);
    }
    assert_eq!(w.open("/f", O_RDWR), err(Errno::EMFILE));
    let old = w.alloc(16);
    assert_eq!(w.call(Sysno::Getrlimit, &[7, old]), 0);
    assert_eq!(
        w.get::<RawRlimit>(old),
        RawRlimit {
            current: 3,
            max: 1024
        }
    );
}

#[test]
fn an_unprivileged_process_cannot_raise_its_hard_limit() {
    let w = World::new();
    w.become_user(1000, 1000);
    let lower = w.put(&RawRlimit {
        current: 10,
        max: 10,
    });
    assert_eq!(w.call(Sysno::Prlimit64, &[0, 7, lower, 0]), 0);
    let higher = w.put(&RawRlimit {
        current: 10,
        max: 20,
    });
    assert_eq!(
        w.call(Sysno::Prlimit64, &[0, 7, higher, 0]),
        err(Errno::EPERM)
    );
    assert_eq!(
        w.call(Sysno::Prlimit64, &[0, 99, 0, w.alloc(16)]),
        err(Errno::EINVAL)
    );
}

#[test]
fn prlimit_on_another_users_process_is_eperm() {
    let w = World::new();
    let (child, thread) = w.fork();
    w.become_user(1000, 1000);
    let old = w.alloc(16);
    let pid = child.pid() as u64;
    assert_eq!(
        w.call(Sysno::Prlimit64, &[pid, 7, 0, old]),
        err(Errno::EPERM)
    );
    assert_eq!(
        w.call_as(&child, &thread, Sysno::Prlimit64, &[pid, 7, 0, old]),
        0
    );
    assert_eq!(
        w.call(Sysno::Prlimit64, &[99999, 7, 0, old]),
        err(Errno::ESRCH)
    );
}

#[test]
fn getrusage_reports_ticks_as_seconds_and_microseconds() {
    let w = World::new();
    w.process.data().add_ticks(250, 30);
    let buf = w.alloc(size_of::<Rusage>());
    assert_eq!(w.call(Sysno::Getrusage, &[0, buf]), 0);
    let usage: Rusage = w.get(buf);
    assert_eq!((usage.utime.tv_sec, usage.utime.tv_usec), (2, 500_000));
    assert_eq!((usage.stime.tv_sec, usage.stime.tv_usec), (0, 300_000));
    assert_eq!(w.call(Sysno::Getrusage, &[(-1i64) as u64, buf]), 0);
    assert_eq!(
        w.get::<Rusage>(buf).utime.tv_sec,
        0,
        "no children reaped yet"
    );
    assert_eq!(w.call(Sysno::Getrusage, &[5, buf]), err(Errno::EINVAL));
}

#[test]
fn times_returns_ticks_since_boot() {
    let w = World::new();
    w.machine
        .now
        .store(3_000_000_000, std::sync::atomic::Ordering::SeqCst);
    w.process.data().add_ticks(7, 2);
    let buf = w.alloc(32);
    assert_eq!(w.call(Sysno::Times, &[buf]), 300);
    assert_eq!(w.get::<[u64; 4]>(buf), [7, 2, 0, 0]);
    assert_eq!(w.call(Sysno::Times, &[0]), 300, "a NULL buffer is allowed");
}

#[test]
fn sysinfo_counts_memory_and_processes() {
    let w = World::new();
    let _child = w.fork();
    let buf = w.alloc(size_of::<Sysinfo>());
    assert_eq!(w.call(Sysno::Sysinfo, &[buf]), 0);
    let info: Sysinfo = w.get(buf);
    assert_eq!(info.totalram, 64 << 20);
    assert_eq!(info.freeram, 48 << 20);
    assert_eq!(info.procs, 2);
    assert_eq!(info.mem_unit, 1);
}

#[test]
fn getrandom_fills_the_whole_buffer_and_rejects_unknown_flags() {
    let w = World::new();
    let buf = w.alloc(300);
    assert_eq!(w.call(Sysno::Getrandom, &[buf, 300, 0]), 300);
    assert_eq!(w.peek(buf + 299, 1), [43], "byte 299 of the fake stream");
    assert_eq!(w.call(Sysno::Getrandom, &[buf, 8, 8]), err(Errno::EINVAL));
    assert_eq!(w.call(Sysno::Getrandom, &[0x10, 8, 0]), err(Errno::EFAULT));
}

#[test]
fn nice_values_go_up_freely_but_down_only_for_root() {
    let w = World::new();
    assert_eq!(w.call(Sysno::Getpriority, &[0, 0]), 20, "nice 0");
    assert_eq!(w.call(Sysno::Setpriority, &[0, 0, 5]), 0);
    assert_eq!(w.call(Sysno::Getpriority, &[0, 0]), 15);
    let (child, _) = w.fork();
    w.become_user(1000, 1000);
    let pid = child.pid() as u64;
    assert_eq!(
        w.call(Sysno::Setpriority, &[0, pid, 10]),
        err(Errno::EPERM),
        "owned by root"
    );
    // PRIO_PGRP, the caller's group: its own process changes, root's
    // child refuses, and the call says so.
    assert_eq!(w.call(Sysno::Setpriority, &[1, 0, 10]), err(Errno::EPERM));
    assert_eq!(w.call(Sysno::Getpriority, &[0, 0]), 10, "nice 10");
    assert_eq!(
        w.call(Sysno::Getpriority, &[1, 0]),
        20,
        "the group's highest: the child's nice 0"
    );
    // PRIO_USER, the caller's real uid: only this process is 1000's.
    assert_eq!(w.call(Sysno::Getpriority, &[2, 0]), 10);
    assert_eq!(w.call(Sysno::Setpriority, &[2, 1000, 12]), 0);
    assert_eq!(w.call(Sysno::Getpriority, &[2, 1000]), 8);
    assert_eq!(
        w.call(Sysno::Getpriority, &[2, 4242]),
        err(Errno::ESRCH),
        "nobody's"
    );
    assert_eq!(w.call(Sysno::Getpriority, &[3, 0]), err(Errno::EINVAL));
}

#[test]
fn an_owner_may_raise_but_not_lower_its_nice_value() {
    let w = World::new();
    w.become_user(1000, 1000);
    assert_eq!(w.call(Sysno::Setpriority, &[0, 0, 10]), 0);
    assert_eq!(w.call(Sysno::Setpriority, &[0, 0, 5]), err(Errno::EACCES));
    assert_eq!(w.call(Sysno::Setpriority, &[0, 0, 100]), 0, "clamped to 19");
    assert_eq!(w.call(Sysno::Getpriority, &[0, 0]), 1);
}

#[test]
fn prctl_names_the_process_and_toggles_dumpable() {
    let w = World::new();
    let name = w.string("a-rather-long-name-indeed");
    assert_eq!(w.call(Sysno::Prctl, &[15, name]), 0);
    let buf = w.alloc(16);
    assert_eq!(w.call(Sysno::Prctl, &[16, buf]), 0);
    assert_eq!(
        &w.peek(buf, 16)[..],
        b"a-rather-long-n\0",
        "15 bytes and a NUL"
    );
    assert_eq!(w.call(Sysno::Prctl, &[3]), 1);
    assert_eq!(w.call(Sysno::Prctl, &[4, 0]), 0);
    assert_eq!(w.call(Sysno::Prctl, &[3]), 0);
    assert_eq!(w.call(Sysno::Prctl, &[4, 2]), err(Errno::EINVAL));
    assert_eq!(w.call(Sysno::Prctl, &[12345]), err(Errno::EINVAL));
}

#[test]
fn reboot_needs_the_magic_and_root() {
    let w = World::new();
    let off = 0x4321_fedc_u64;
    assert_eq!(
        w.call(Sysno::Reboot, &[1, 672274793, off]),
        err(Errno::EINVAL)
    );
    w.become_user(1000, 1000);
    assert_eq!(
        w.call(Sysno::Reboot, &[0xfee1_dead, 672274793, off]),
        err(Errno::EPERM)
    );
    assert_eq!(
        w.machine
            .powered_off
            .load(std::sync::atomic::Ordering::SeqCst),
        0
    );
}

#[test]
fn root_powers_the_machine_off() {
    let w = World::new();
    assert_eq!(
        w.call(Sysno::Reboot, &[0xfee1_dead, 672274793, 0x4321_fedc]),
        0
    );
    assert_eq!(
        w.machine
            .powered_off
            .load(std::sync::atomic::Ordering::SeqCst),
        1
    );
}

#[test]
fn personality_knows_only_linux() {
    let w = World::new();
    assert_eq!(w.call(Sysno::Personality, &[0xffff_ffff]), 0);
    assert_eq!(
        w.call(Sysno::Personality, &[0x0040_0000]),
        err(Errno::EINVAL)
    );
}

#[test]
fn restart_restarts_and_halt_powers_off() {
    let w = World::new();
    let reboot = |cmd: u64| w.call(Sysno::Reboot, &[0xfee1_dead, 85072278, cmd]);
    assert_eq!(reboot(0x0123_4567), 0);
    assert_eq!(
        w.machine
            .restarted
            .load(std::sync::atomic::Ordering::SeqCst),
        1
    );
    assert_eq!(
        w.machine
            .powered_off
            .load(std::sync::atomic::Ordering::SeqCst),
        0
    );
    assert_eq!(reboot(0xcdef_0123), 0);
    assert_eq!(
        w.machine
            .powered_off
            .load(std::sync::atomic::Ordering::SeqCst),
        1
    );
    assert_eq!(reboot(0x1234), err(Errno::EINVAL));
}

#[test]
fn personality_keeps_addr_no_randomize_and_reports_the_old_value() {
    let w = World::new();
    assert_eq!(w.call(Sysno::Personality, &[0x0004_0000]), 0);
    assert_eq!(w.call(Sysno::Personality, &[0xffff_ffff]), 0x0004_0000);
    // A child inherits it.
    let (child, thread) = w.fork();
    assert_eq!(
        w.call_as(&child, &thread, Sysno::Personality, &[0xffff_ffff]),
        0x0004_0000
    );
    assert_eq!(w.call(Sysno::Personality, &[0]), 0x0004_0000);
}

#[test]
fn syslog_reads_the_kernel_log_and_only_root_clears_it() {
    let w = World::new();
    let buf = w.alloc(256);
    let n = w.call(Sysno::Syslog, &[3, buf, 256]);
    assert!(n > 0);
    let text = w.peek(buf, n as usize);
    assert!(
        text.starts_with(b"<6>["),
        "{:?}",
        String::from_utf8_lossy(&text)
    );
    assert_eq!(w.call(Sysno::Syslog, &[10, 0, 0]), 4096);
    assert_eq!(w.call(Sysno::Syslog, &[9, 0, 0]), n);
    // Only the newest bytes when the buffer is short.
    let short = w.call(Sysno::Syslog, &[3, buf, 5]);
    assert_eq!(short, 5);
    assert_eq!(w.peek(buf, 5), b"oted\n");
    let (other, thread) = w.fork();
    assert_eq!(w.call_as(&other, &thread, Sysno::Setuid, &[1000]), 0);
    assert_eq!(
        w.call_as(&other, &thread, Sysno::Syslog, &[5, 0, 0]),
        err(Errno::EPERM)
    );
    assert_eq!(w.call_as(&other, &thread, Sysno::Syslog, &[3, buf, 256]), n);
    assert_eq!(w.call(Sysno::Syslog, &[5, 0, 0]), 0);
    assert_eq!(w.call(Sysno::Syslog, &[9, 0, 0]), 0);
    assert_eq!(w.call(Sysno::Syslog, &[2, buf, 256]), err(Errno::EINVAL));
}

#[test]
fn capabilities_follow_the_uid_and_capset_only_lowers_them() {
    use abi::capability::{CapUserData, CapUserHeader, LINUX_CAPABILITY_VERSION_3};
    let w = World::new();
    let header = |pid: i32| {
        w.put(&CapUserHeader {
            version: LINUX_CAPABILITY_VERSION_3,
            pid,
        })
    };
    let get = |w: &World| {
        let data = w.alloc(24);
        assert_eq!(w.call(Sysno::Capget, &[header(0), data]), 0);
        let low: CapUserData = w.get(data);
        let high: CapUserData = w.get(data + 12);
        (
            u64::from(low.effective) | u64::from(high.effective) << 32,
            u64::from(low.permitted) | u64::from(high.permitted) << 32,
        )
    };
    let full = (1u64 << 41) - 1;
    assert_eq!(get(&w), (full, full), "root holds every capability");
    // An unknown version: the preferred one comes back; a probe without
    // data succeeds.
    let probe = w.put(&CapUserHeader { version: 7, pid: 0 });
    assert_eq!(w.call(Sysno::Capget, &[probe, 0]), 0);
    assert_eq!(
        w.get::<CapUserHeader>(probe).version,
        LINUX_CAPABILITY_VERSION_3
    );
    let bad = w.put(&CapUserHeader { version: 7, pid: 0 });
    assert_eq!(
        w.call(Sysno::Capget, &[bad, w.alloc(24)]),
        err(Errno::EINVAL)
    );

    // Drop CAP_KILL (5) from both sets; it cannot come back.
    let without_kill = full & !(1 << 5);
    let data = |effective: u64, permitted: u64| {
        w.put(&[
            CapUserData {
                effective: effective as u32,
                permitted: permitted as u32,
                inheritable: 0,
            },
            CapUserData {
                effective: (effective >> 32) as u32,
                permitted: (permitted >> 32) as u32,
                inheritable: 0,
            },
        ])
    };
    assert_eq!(
        w.call(
            Sysno::Capset,
            &[header(0), data(without_kill, without_kill)]
        ),
        0
    );
    assert_eq!(get(&w), (without_kill, without_kill));
    assert_eq!(
        w.call(Sysno::Capset, &[header(0), data(full, full)]),
        err(Errno::EPERM)
    );
    assert_eq!(
        w.call(Sysno::Prctl, &[23, 5]),
        1,
        "CAP_KILL stays in the bounding set"
    );
    // setuid(1000) without PR_SET_KEEPCAPS empties both sets.
    assert_eq!(w.call(Sysno::Setuid, &[1000]), 0);
    assert_eq!(get(&w), (0, 0));
    assert_eq!(w.call(Sysno::Setuid, &[0]), err(Errno::EPERM));
}

#[test]
fn io_priorities_are_kept_checked_and_compared_as_on_linux() {
    const WHO_PROCESS: u64 = 1;
    const WHO_PGRP: u64 = 2;
    let class = |class: u64, level: u64| (class << 13) | level;
    let w = World::new();
    let get = |which, who| w.call(Sysno::IoprioGet, &[which, who]);
    let set = |which, who, value| w.call(Sysno::IoprioSet, &[which, who, value]);
    assert_eq!(get(WHO_PROCESS, 0), 0, "no class until set");
    assert_eq!(set(WHO_PROCESS, 0, class(2, 7)), 0);
    assert_eq!(get(WHO_PROCESS, 0), class(2, 7) as i64);
    let tid = w.thread.tid() as u64;
    assert_eq!(get(WHO_PROCESS, tid), class(2, 7) as i64);
    for bad in [class(0, 1), class(2, 8), class(4, 0), 1 << 16] {
        assert_eq!(set(WHO_PROCESS, 0, bad), err(Errno::EINVAL), "{bad:#x}");
    }
    assert_eq!(get(9, 0), err(Errno::EINVAL));
    assert_eq!(get(WHO_PROCESS, 4242), err(Errno::ESRCH));
    // A group compares its threads; one with no class counts as best
    // effort 4, which beats best effort 7.
    let (child, _) = w.fork();
    assert_eq!(get(WHO_PGRP, 0), class(2, 4) as i64);
    assert_eq!(set(WHO_PGRP, 0, class(3, 0)), 0, "idle, all of them");
    assert_eq!(get(WHO_PGRP, 0), class(3, 0) as i64);
    // Real time needs privilege; another user's threads are not ours.
    w.become_user(1000, 1000);
    assert_eq!(set(WHO_PROCESS, 0, class(1, 0)), err(Errno::EPERM));
    let child_tid = child.threads()[0].tid() as u64;
    assert_eq!(set(WHO_PROCESS, child_tid, class(2, 0)), err(Errno::EPERM));
    assert_eq!(set(WHO_PROCESS, 0, class(2, 0)), 0);
}
