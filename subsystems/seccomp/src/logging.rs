//! Which answers the kernel logs: `/proc/sys/kernel/seccomp/actions_logged`
//! and `actions_avail`, and Linux's rule for each action (`seccomp_log`).

use crate::action::Action;
use abi::{Errno, KernelResult};
use alloc::string::String;
use core::sync::atomic::{AtomicU32, Ordering};

/// Action names in Linux's order, with their bit in the logged set.
const NAMES: [(&str, u32); 8] = [
    ("kill_process", 1 << 0),
    ("kill_thread", 1 << 1),
    ("trap", 1 << 2),
    ("errno", 1 << 3),
    ("user_notif", 1 << 4),
    ("trace", 1 << 5),
    ("log", 1 << 6),
    ("allow", 1 << 7),
];

const ALLOW_BIT: u32 = 1 << 7;

/// Linux's default: every action but `allow`.
const DEFAULT_LOGGED: u32 = 0x7f;

static LOGGED: AtomicU32 = AtomicU32::new(DEFAULT_LOGGED);

/// `actions_avail`: the actions this kernel carries out, in Linux's order
/// and words (`user_notif` left out: there is no listener to notify).
pub const ACTIONS_AVAILABLE: &str = "kill_process kill_thread trap errno trace log allow";

/// The action's bit in the logged set (its place in [`NAMES`]).
fn bit(action: Action) -> u32 {
    match action {
        Action::KillProcess => 1 << 0,
        Action::KillThread => 1 << 1,
        Action::Trap(_) => 1 << 2,
        Action::Errno(_) => 1 << 3,
        Action::UserNotif => 1 << 4,
        Action::Trace(_) => 1 << 5,
        Action::Log => 1 << 6,
        Action::Allow => ALLOW_BIT,
    }
}

/// `actions_logged`: the names of the actions logged now, space-separated.
pub fn actions_logged() -> String {
    let logged = LOGGED.load(Ordering::Relaxed);
    let mut out = String::new();
    for (name, bit) in NAMES {
        if logged & bit != 0 {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(name);
        }
    }
    out
}

/// A write to `actions_logged`: space-separated action names (a final
/// newline allowed) become the logged set. `EINVAL` for an unknown name,
/// or for `allow`, which Linux never logs.
pub fn set_actions_logged(text: &[u8]) -> KernelResult<()> {
    let text = core::str::from_utf8(text).map_err(|_| Errno::EINVAL)?;
    let mut logged = 0;
    for word in text.split_ascii_whitespace() {
        let (_, bit) = NAMES
            .iter()
            .find(|(name, _)| *name == word)
            .ok_or(Errno::EINVAL)?;
        logged |= bit;
    }
    if logged & ALLOW_BIT != 0 {
        return Err(Errno::EINVAL);
    }
    LOGGED.store(logged, Ordering::Relaxed);
    Ok(())
}

/// Whether the kernel logs a call answered with `action`, as Linux's
/// `seccomp_log` decides: kills and `SECCOMP_RET_LOG` when their action
/// is in `actions_logged`; trap, errno, trace and user notification only
/// when the filter also asked (`requested`: `SECCOMP_FILTER_FLAG_LOG`);
/// allow never. Strict mode's kill counts as `KillThread`, requested.
pub fn is_logged(action: Action, requested: bool) -> bool {
    let logged = LOGGED.load(Ordering::Relaxed) & bit(action) != 0;
    match action {
        Action::Allow => false,
        Action::Trap(_) | Action::Errno(_) | Action::Trace(_) | Action::UserNotif => {
            requested && logged
        }
        Action::Log | Action::KillThread | Action::KillProcess => logged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // One test: the set is machine-wide.
    #[test]
    fn the_logged_set_reads_writes_and_rules_as_linux() {
        assert_eq!(
            actions_logged(),
            "kill_process kill_thread trap errno user_notif trace log"
        );
        assert!(is_logged(Action::KillProcess, false));
        assert!(!is_logged(Action::Errno(1), false));
        assert!(is_logged(Action::Errno(1), true));
        assert!(!is_logged(Action::Allow, true));
        assert_eq!(set_actions_logged(b"allow\n"), Err(Errno::EINVAL));
        assert_eq!(set_actions_logged(b"kill_thread bogus"), Err(Errno::EINVAL));
        set_actions_logged(b"errno log\n").unwrap();
        assert_eq!(actions_logged(), "errno log");
        assert!(!is_logged(Action::KillProcess, false));
        assert!(is_logged(Action::Log, false));
        assert!(is_logged(Action::Errno(3), true));
        set_actions_logged(b"").unwrap();
        assert_eq!(actions_logged(), "");
        set_actions_logged(b"kill_process kill_thread trap errno user_notif trace log").unwrap();
    }
}
