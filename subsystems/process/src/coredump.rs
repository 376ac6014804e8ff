//! Core dumps as the process model sees them: key/value notes a process
//! attaches to its own coredump (SerenityOS's `set_coredump_metadata`), and
//! where core files go (Linux's `core_pattern`).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

use abi::{Errno, KernelResult};

/// Longest core pattern kept (Linux's `CORENAME_MAX_SIZE`).
pub const CORE_PATTERN_MAX: usize = 128;

/// `/proc/sys/kernel/core_pattern`: a file name template, `core` by
/// default (in the crashing process's working directory).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorePattern(String);

impl Default for CorePattern {
    fn default() -> Self {
        CorePattern("core".into())
    }
}

/// What a core pattern's `%` specifiers expand to.
#[derive(Clone, Debug)]
pub struct CoreNameFields<'a> {
    /// `%p`: the process id.
    pub pid: i32,
    /// `%u` and `%g`: real user and group.
    pub uid: u32,
    /// Real group.
    pub gid: u32,
    /// `%s`: the signal.
    pub signal: u32,
    /// `%t`: seconds since the epoch.
    pub time: i64,
    /// `%h`: the host name.
    pub hostname: &'a str,
    /// `%e`: the command name (`/` becomes `!`, as Linux writes it).
    pub comm: &'a str,
}

impl CorePattern {
    /// A pattern from what was written to the proc file: up to the first
    /// newline, at most [`CORE_PATTERN_MAX`] bytes; `EINVAL` if not UTF-8.
    pub fn new(text: &[u8]) -> KernelResult<CorePattern> {
        let end = text.iter().position(|&b| b == b'\n').unwrap_or(text.len());
        let text = &text[..end.min(CORE_PATTERN_MAX)];
        let text = core::str::from_utf8(text).map_err(|_| Errno::EINVAL)?;
        Ok(CorePattern(text.into()))
    }

    /// The pattern as set.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the pattern pipes the core to a program (`|...`), which
    /// Courage does not run: no core is written then.
    pub fn is_pipe(&self) -> bool {
        self.0.starts_with('|')
    }

    /// The file name for a crash with `fields`: `%p %u %g %s %t %h %e %%`
    /// expand, an unknown `%x` and a trailing `%` are dropped (Linux's
    /// `format_corename`).
    pub fn file_name(&self, fields: &CoreNameFields<'_>) -> String {
        let mut name = String::new();
        let mut chars = self.0.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                name.push(c);
                continue;
            }
            let _ = match chars.next() {
                Some('%') => write!(name, "%"),
                Some('p') => write!(name, "{}", fields.pid),
                Some('u') => write!(name, "{}", fields.uid),
                Some('g') => write!(name, "{}", fields.gid),
                Some('s') => write!(name, "{}", fields.signal),
                Some('t') => write!(name, "{}", fields.time),
                Some('h') => write!(name, "{}", fields.hostname),
                Some('e') => {
                    let comm: Vec<char> = fields
                        .comm
                        .chars()
                        .map(|c| if c == '/' { '!' } else { c })
                        .collect();
                    name.extend(comm);
                    Ok(())
                }
                _ => Ok(()),
            };
        }
        name
    }
}

/// How many properties a process may set.
pub const COREDUMP_PROPERTY_SLOTS: usize = 4;

/// A fixed number of key/value slots, filled first come first served.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CoredumpProperties {
    slots: [Option<(String, String)>; COREDUMP_PROPERTY_SLOTS],
}

impl CoredumpProperties {
    /// Store the pair in the first free slot; `ENOBUFS` when all are taken.
    pub fn set(&mut self, key: String, value: String) -> KernelResult<()> {
        let slot = self
            .slots
            .iter_mut()
            .find(|s| s.is_none())
            .ok_or(Errno::ENOBUFS)?;
        *slot = Some((key, value));
        Ok(())
    }

    /// The stored pairs, in the order they were set.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.slots
            .iter()
            .flatten()
            .map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use alloc::string::ToString;
    use alloc::vec::Vec;

    use super::*;

    fn fields() -> CoreNameFields<'static> {
        CoreNameFields {
            pid: 42,
            uid: 1000,
            gid: 100,
            signal: 11,
            time: 1_700_000_000,
            hostname: "courage",
            comm: "a/b",
        }
    }

    #[test]
    fn core_patterns_expand_like_linux() {
        let name = |p: &str| CorePattern::new(p.as_bytes()).unwrap().file_name(&fields());
        assert_eq!(name("core"), "core");
        assert_eq!(name("core.%p"), "core.42");
        assert_eq!(name("/tmp/%e-%p-%s-%t"), "/tmp/a!b-42-11-1700000000");
        assert_eq!(name("%u.%g@%h 100%%"), "1000.100@courage 100%");
        assert_eq!(name("x%qy%"), "xy");
        assert_eq!(name("core\nignored"), "core");
        assert!(CorePattern::new(b"|/usr/bin/catch %p").unwrap().is_pipe());
        assert_eq!(CorePattern::default().as_str(), "core");
        assert_eq!(CorePattern::new(&[0xff]), Err(Errno::EINVAL));
    }

    #[test]
    fn fifth_property_is_enobufs() {
        let mut props = CoredumpProperties::default();
        for i in 0..COREDUMP_PROPERTY_SLOTS {
            props.set(i.to_string(), "v".into()).unwrap();
        }
        assert_eq!(props.set("k".into(), "v".into()), Err(Errno::ENOBUFS));
        let keys: Vec<&str> = props.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["0", "1", "2", "3"]);
    }
}
