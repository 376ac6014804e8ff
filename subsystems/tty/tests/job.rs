//! Job control on one terminal: who controls it, who is in the
//! foreground, and what happens to background readers and writers.

use abi::{Errno, WinSize};
use tty::{Access, JobControl, JobSignal, Member};

const SHELL: Member = Member {
    pgid: 100,
    sid: 100,
    session_leader: true,
};
const JOB: Member = Member {
    pgid: 200,
    sid: 100,
    session_leader: false,
};
const STRANGER: Member = Member {
    pgid: 300,
    sid: 300,
    session_leader: true,
};

fn controlled_by_the_shell() -> JobControl {
    let mut tty = JobControl::new();
    assert!(tty.acquire_on_open(&SHELL, false));
    tty
}

#[test]
fn a_session_leader_opening_a_free_terminal_makes_it_its_own() {
    let tty = controlled_by_the_shell();
    assert_eq!(tty.session(), Some(100));
    assert_eq!(tty.get_foreground(&SHELL), Ok(100));
    // Others do not get it by opening.
    let mut other = JobControl::new();
    assert!(!other.acquire_on_open(&JOB, false), "not a leader");
    assert!(!other.acquire_on_open(&SHELL, true), "already has one");
}

#[test]
fn tiocsctty_needs_a_leader_without_a_terminal_and_steals_only_when_privileged() {
    let mut tty = JobControl::new();
    assert_eq!(
        tty.set_controlling(&JOB, false, false, false),
        Err(Errno::EPERM)
    );
    assert_eq!(tty.set_controlling(&SHELL, false, false, false), Ok(()));
    assert_eq!(
        tty.set_controlling(&SHELL, false, false, false),
        Ok(()),
        "already ours"
    );
    assert_eq!(
        tty.set_controlling(&STRANGER, false, true, false),
        Err(Errno::EPERM)
    );
    assert_eq!(tty.set_controlling(&STRANGER, false, true, true), Ok(()));
    assert_eq!(tty.session(), Some(300));
}

#[test]
fn the_shell_moves_a_job_to_the_foreground_and_back() {
    let mut tty = controlled_by_the_shell();
    assert_eq!(tty.set_foreground(&SHELL, 200, Some(SHELL.sid)), Ok(()));
    assert_eq!(tty.foreground(), Some(200));
    assert_eq!(tty.get_foreground(&JOB), Ok(200));
    assert_eq!(
        tty.set_foreground(&SHELL, 999, Some(SHELL.sid + 1)),
        Err(Errno::EPERM),
        "not in the session"
    );
    assert_eq!(
        tty.set_foreground(&SHELL, 998, None),
        Err(Errno::ESRCH),
        "no such group"
    );
    assert_eq!(
        tty.set_foreground(&SHELL, -1, Some(SHELL.sid)),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        tty.set_foreground(&STRANGER, 300, Some(STRANGER.sid)),
        Err(Errno::ENOTTY)
    );
    assert_eq!(tty.get_foreground(&STRANGER), Err(Errno::ENOTTY));
}

#[test]
fn a_background_reader_is_stopped_with_sigttin_or_fails_with_eio() {
    let tty = controlled_by_the_shell();
    assert_eq!(tty.check_read(&SHELL, false, false), Access::Allowed);
    assert_eq!(
        tty.check_read(&JOB, false, false),
        Access::Stop(JobSignal::TtyIn)
    );
    assert_eq!(
        tty.check_read(&JOB, true, false),
        Access::Denied(Errno::EIO),
        "ignores SIGTTIN"
    );
    assert_eq!(
        tty.check_read(&JOB, false, true),
        Access::Denied(Errno::EIO),
        "orphaned"
    );
    // A process of another session reads its own way.
    assert_eq!(tty.check_read(&STRANGER, false, false), Access::Allowed);
}

#[test]
fn background_writes_stop_only_under_tostop_unless_sigttou_is_ignored() {
    let tty = controlled_by_the_shell();
    assert_eq!(tty.check_write(&JOB, false, false, false), Access::Allowed);
    assert_eq!(
        tty.check_write(&JOB, true, false, false),
        Access::Stop(JobSignal::TtyOut)
    );
    assert_eq!(
        tty.check_write(&JOB, true, true, false),
        Access::Allowed,
        "ignores SIGTTOU"
    );
    assert_eq!(
        tty.check_write(&JOB, true, false, true),
        Access::Denied(Errno::EIO)
    );
    assert_eq!(tty.check_write(&SHELL, true, false, false), Access::Allowed);
    // Changing settings from the background is a write under TOSTOP.
    assert_eq!(
        tty.check_change(&JOB, false, false),
        Access::Stop(JobSignal::TtyOut)
    );
}

#[test]
fn hanging_up_frees_the_terminal_and_names_the_group_to_signal() {
    let mut tty = controlled_by_the_shell();
    tty.set_foreground(&SHELL, 200, Some(SHELL.sid)).unwrap();
    assert_eq!(tty.detach(&JOB), Ok(None), "a member only lets go");
    assert_eq!(tty.session(), Some(100));
    assert_eq!(tty.detach(&SHELL), Ok(Some(200)), "the leader hangs it up");
    assert_eq!(tty.session(), None);
    assert_eq!(tty.detach(&SHELL), Err(Errno::ENOTTY));
    assert_eq!(JobSignal::Hangup.number(), 1);
    assert_eq!(JobSignal::Continue.number(), 18);
}

#[test]
fn a_new_window_size_is_reported_with_sigwinch_to_the_foreground() {
    let mut tty = controlled_by_the_shell();
    assert_eq!(
        (tty.window().rows, tty.window().cols),
        (0, 0),
        "unknown until set"
    );
    let size = WinSize {
        rows: 50,
        cols: 132,
        ..WinSize::default()
    };
    assert_eq!(tty.set_window(size), Some(100));
    assert_eq!(tty.window(), size);
    assert_eq!(tty.set_window(size), None, "no change, no signal");
    assert_eq!(JobSignal::WindowChange.number(), 28);
}
