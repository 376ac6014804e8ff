//! The typed kernel command line.
//!
//! Words are separated by ASCII whitespace; a value may be wrapped in double
//! quotes to hold spaces (`init="/bin/sh -l"`, as Linux allows). Everything
//! after a lone `--` is left for init ([`KernelOptions::init_args`]). A word
//! given twice takes its last value. Parsing never fails: anything not
//! understood is recorded in [`KernelOptions::unknown`] with a reason the
//! kernel can log, and the option keeps its default.
//!
//! Recognised words: `log=error|warn|info|debug|trace|off`, `init=/path`,
//! `ktest` / `ktest=filter`, `panic=exit|halt`, `quiet`,
//! `console=ttyS0|tty0|tty1` (a `,115200`-style suffix is accepted),
//! `cpus=N` (use at most N CPUs) and `nosmp` (only the boot CPU).

use core::fmt;

/// Most unrecognised words kept; more are only counted.
pub const MAX_UNKNOWN_OPTIONS: usize = 16;

/// How much the kernel logs (`log=`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// Nothing.
    Off,
    /// Errors only.
    Error,
    /// Warnings and errors.
    Warn,
    /// Informational messages and above (the default).
    #[default]
    Info,
    /// Debug messages and above.
    Debug,
    /// Everything.
    Trace,
}

impl LogLevel {
    /// The level named `name` (any ASCII case), or `None`.
    pub fn from_name(name: &str) -> Option<LogLevel> {
        const NAMES: [(&str, LogLevel); 6] = [
            ("off", LogLevel::Off),
            ("error", LogLevel::Error),
            ("warn", LogLevel::Warn),
            ("info", LogLevel::Info),
            ("debug", LogLevel::Debug),
            ("trace", LogLevel::Trace),
        ];
        NAMES
            .iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(name))
            .map(|&(_, level)| level)
    }
}

impl From<LogLevel> for log::LevelFilter {
    fn from(level: LogLevel) -> log::LevelFilter {
        match level {
            LogLevel::Off => log::LevelFilter::Off,
            LogLevel::Error => log::LevelFilter::Error,
            LogLevel::Warn => log::LevelFilter::Warn,
            LogLevel::Info => log::LevelFilter::Info,
            LogLevel::Debug => log::LevelFilter::Debug,
            LogLevel::Trace => log::LevelFilter::Trace,
        }
    }
}

/// Which terminal is `/dev/console` (`console=`; as on Linux, the last
/// one given wins).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ConsoleChoice {
    /// `ttyS0`: the first serial port.
    #[default]
    Serial,
    /// `tty0` or `tty1`: the screen and keyboard (falls back to the serial
    /// port on a machine without a framebuffer).
    Screen,
}

impl ConsoleChoice {
    /// The choice a `console=` value names, without its `,options` suffix.
    pub fn from_name(value: &str) -> Option<ConsoleChoice> {
        match value.split(',').next()? {
            "ttyS0" => Some(ConsoleChoice::Serial),
            "tty0" | "tty1" => Some(ConsoleChoice::Screen),
            _ => None,
        }
    }
}

/// Why a word of the command line was ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IgnoredReason {
    /// No option has this name.
    UnknownOption,
    /// The option takes a value and none (or an empty one) was given.
    MissingValue,
    /// The option takes no value and one was given.
    UnexpectedValue,
    /// The value is not one the option accepts; `expected` lists them.
    BadValue {
        /// The accepted values, for the log message.
        expected: &'static str,
    },
}

impl fmt::Display for IgnoredReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IgnoredReason::UnknownOption => f.write_str("unknown option"),
            IgnoredReason::MissingValue => f.write_str("missing value"),
            IgnoredReason::UnexpectedValue => f.write_str("option takes no value"),
            IgnoredReason::BadValue { expected } => write!(f, "bad value, expected {expected}"),
        }
    }
}

/// A word of the command line that was not applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IgnoredOption<'a> {
    /// The whole word as written (`name=value`).
    pub word: &'a str,
    /// Why it was ignored.
    pub reason: IgnoredReason,
}

impl fmt::Display for IgnoredOption<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ignored `{}`: {}", self.word, self.reason)
    }
}

const NO_IGNORED: IgnoredOption<'static> = IgnoredOption {
    word: "",
    reason: IgnoredReason::UnknownOption,
};

/// The kernel's options, borrowed from the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KernelOptions<'a> {
    /// `log=LEVEL`; [`LogLevel::Info`] by default.
    pub log_level: LogLevel,
    /// `init=/path`: the first program to run instead of the default.
    pub init: Option<&'a str>,
    /// `ktest` runs every in-kernel test (`Some("")`); `ktest=filter` runs
    /// those whose name contains `filter`; absent runs none.
    pub ktest: Option<&'a str>,
    /// `panic=exit`: a kernel panic ends QEMU with a failure status instead
    /// of halting (`panic=halt`, the default).
    pub exit_on_panic: bool,
    /// `quiet`: print only warnings and errors to the console.
    pub quiet: bool,
    /// `console=`: which terminal `/dev/console` is.
    pub console: ConsoleChoice,
    /// `cpus=N` (at least 1) or `nosmp` (1): the most CPUs to bring up;
    /// `None` uses every CPU the firmware lists.
    pub max_cpus: Option<u32>,
    /// `failalloc=nth:N` or `failalloc=p:PERCENT[,seed:S]`: which of the
    /// kernel's fallible allocations to fail once user space runs (see
    /// the `fault_injection` crate); off by default.
    pub fail_alloc: fault_injection::Policy,
    /// `hung_task_timeout=SECONDS`: how long a user thread may wait
    /// uninterruptibly before the kernel reports it (120, as Linux).
    pub hung_task_timeout: u64,
    /// Everything after a lone `--`, trimmed: arguments for init.
    pub init_args: &'a str,
    unknown: [IgnoredOption<'a>; MAX_UNKNOWN_OPTIONS],
    unknown_len: usize,
    /// Ignored words beyond the [`MAX_UNKNOWN_OPTIONS`] kept.
    pub unknown_dropped: usize,
}

impl Default for KernelOptions<'_> {
    fn default() -> Self {
        KernelOptions {
            log_level: LogLevel::default(),
            init: None,
            ktest: None,
            exit_on_panic: false,
            quiet: false,
            console: ConsoleChoice::Serial,
            max_cpus: None,
            fail_alloc: fault_injection::Policy::Off,
            hung_task_timeout: 120,
            init_args: "",
            unknown: [NO_IGNORED; MAX_UNKNOWN_OPTIONS],
            unknown_len: 0,
            unknown_dropped: 0,
        }
    }
}

impl<'a> KernelOptions<'a> {
    /// Parses `cmdline`. Never fails and never panics.
    pub fn parse(cmdline: &'a str) -> KernelOptions<'a> {
        let mut options = KernelOptions::default();
        let mut rest = cmdline;
        while let Some((word, after)) = next_word(rest) {
            rest = after;
            if word == "--" {
                options.init_args = rest.trim_matches(|c: char| c.is_ascii_whitespace());
                break;
            }
            if let Err(reason) = options.apply(word) {
                options.ignore(word, reason);
            }
        }
        options
    }

    /// The words that were not applied, in order (at most
    /// [`MAX_UNKNOWN_OPTIONS`]; see [`KernelOptions::unknown_dropped`]).
    pub fn unknown(&self) -> &[IgnoredOption<'a>] {
        &self.unknown[..self.unknown_len]
    }

    /// Arguments for init: the words after `--`.
    pub fn init_args(&self) -> impl Iterator<Item = &'a str> + 'a {
        let mut rest = self.init_args;
        core::iter::from_fn(move || {
            let (word, after) = next_word(rest)?;
            rest = after;
            Some(unquote(word))
        })
    }

    fn apply(&mut self, word: &'a str) -> Result<(), IgnoredReason> {
        let (name, value) = match word.split_once('=') {
            Some((name, value)) => (name, Some(unquote(value))),
            None => (word, None),
        };
        match (name, value) {
            ("log", Some(level)) => {
                self.log_level = LogLevel::from_name(level).ok_or(IgnoredReason::BadValue {
                    expected: "off, error, warn, info, debug or trace",
                })?;
            }
            ("init", Some(path)) if !path.is_empty() => self.init = Some(path),
            ("log" | "init", _) => return Err(IgnoredReason::MissingValue),
            ("ktest", filter) => self.ktest = Some(filter.unwrap_or("")),
            ("panic", Some("exit")) => self.exit_on_panic = true,
            ("panic", Some("halt")) => self.exit_on_panic = false,
            ("panic", Some(_)) => {
                return Err(IgnoredReason::BadValue {
                    expected: "exit or halt",
                });
            }
            ("panic", None) => return Err(IgnoredReason::MissingValue),
            ("quiet", None) => self.quiet = true,
            ("quiet", Some(_)) => return Err(IgnoredReason::UnexpectedValue),
            ("console", Some(value)) => {
                self.console = ConsoleChoice::from_name(value).ok_or(IgnoredReason::BadValue {
                    expected: "ttyS0, tty0 or tty1",
                })?;
            }
            ("console", None) => return Err(IgnoredReason::MissingValue),
            ("cpus", Some(count)) => match count.parse::<u32>() {
                Ok(count) if count >= 1 => self.max_cpus = Some(count),
                _ => {
                    return Err(IgnoredReason::BadValue {
                        expected: "a number of CPUs, 1 or more",
                    });
                }
            },
            ("cpus", None) => return Err(IgnoredReason::MissingValue),
            ("failalloc", Some(spec)) => {
                self.fail_alloc =
                    fault_injection::Policy::parse(spec).ok_or(IgnoredReason::BadValue {
                        expected: "nth:N or p:PERCENT[,seed:S]",
                    })?;
            }
            ("failalloc", None) => return Err(IgnoredReason::MissingValue),
            ("hung_task_timeout", Some(seconds)) => match seconds.parse::<u64>() {
                Ok(seconds) if seconds >= 1 => self.hung_task_timeout = seconds,
                _ => {
                    return Err(IgnoredReason::BadValue {
                        expected: "seconds, 1 or more",
                    });
                }
            },
            ("hung_task_timeout", None) => return Err(IgnoredReason::MissingValue),
            ("nosmp", None) => self.max_cpus = Some(1),
            ("nosmp", Some(_)) => return Err(IgnoredReason::UnexpectedValue),
            _ => return Err(IgnoredReason::UnknownOption),
        }
        Ok(())
    }

    fn ignore(&mut self, word: &'a str, reason: IgnoredReason) {
        match self.unknown.get_mut(self.unknown_len) {
            Some(slot) => {
                *slot = IgnoredOption { word, reason };
                self.unknown_len += 1;
            }
            None => self.unknown_dropped += 1,
        }
    }
}

/// Splits the first word off `text`: it runs to the next ASCII whitespace
/// outside double quotes (or to the end if a quote is left open).
fn next_word(text: &str) -> Option<(&str, &str)> {
    let text = text.trim_start_matches(|c: char| c.is_ascii_whitespace());
    if text.is_empty() {
        return None;
    }
    let mut quoted = false;
    for (index, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_ascii_whitespace() && !quoted => {
                return Some((&text[..index], &text[index..]));
            }
            _ => {}
        }
    }
    Some((text, ""))
}

/// `"value"` without its quotes; anything else unchanged.
fn unquote(value: &str) -> &str {
    value
        .strip_prefix('"')
        .map(|inner| inner.strip_suffix('"').unwrap_or(inner))
        .unwrap_or(value)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    #[test]
    fn empty_command_line_gives_defaults() {
        let options = KernelOptions::parse("");
        assert_eq!(options, KernelOptions::default());
        assert_eq!(options.log_level, LogLevel::Info);
        assert!(options.unknown().is_empty());
    }

    #[test]
    fn every_recognised_option_is_applied() {
        let options = KernelOptions::parse("log=debug init=/bin/sh ktest=fork panic=exit quiet");
        assert_eq!(options.log_level, LogLevel::Debug);
        assert_eq!(options.init, Some("/bin/sh"));
        assert_eq!(options.ktest, Some("fork"));
        assert!(options.exit_on_panic);
        assert!(options.quiet);
        assert!(options.unknown().is_empty());
    }

    #[test]
    fn failalloc_takes_a_policy_and_names_a_bad_one() {
        let options = KernelOptions::parse("failalloc=nth:40");
        assert_eq!(options.fail_alloc, fault_injection::Policy::EveryNth(40));
        let options = KernelOptions::parse("failalloc=p:1.5,seed:9 failalloc=often");
        assert_eq!(
            options.fail_alloc,
            fault_injection::Policy::Probability {
                per_million: 15_000,
                seed: 9
            }
        );
        assert_eq!(options.unknown().len(), 1);
        assert_eq!(options.unknown()[0].word, "failalloc=often");
        assert_eq!(options.hung_task_timeout, 120);
        let options = KernelOptions::parse("hung_task_timeout=30 hung_task_timeout=0");
        assert_eq!(options.hung_task_timeout, 30);
        assert_eq!(options.unknown().len(), 1);
    }

    #[test]
    fn console_picks_the_last_terminal_named() {
        assert_eq!(KernelOptions::parse("").console, ConsoleChoice::Serial);
        let options = KernelOptions::parse("console=ttyS0,115200 console=tty1");
        assert_eq!(options.console, ConsoleChoice::Screen);
        let options = KernelOptions::parse("console=tty0 console=ttyS0");
        assert_eq!(options.console, ConsoleChoice::Serial);
        let options = KernelOptions::parse("console=lp0");
        assert_eq!(options.console, ConsoleChoice::Serial);
        assert_eq!(options.unknown().len(), 1);
    }

    #[test]
    fn bare_ktest_selects_every_test() {
        assert_eq!(KernelOptions::parse("ktest").ktest, Some(""));
        assert_eq!(KernelOptions::parse("quiet").ktest, None);
    }

    #[test]
    fn log_level_names_ignore_case() {
        assert_eq!(KernelOptions::parse("log=TRACE").log_level, LogLevel::Trace);
        assert_eq!(
            log::LevelFilter::from(KernelOptions::parse("log=off").log_level),
            log::LevelFilter::Off
        );
    }

    #[test]
    fn bad_log_level_is_ignored_with_a_reason() {
        let options = KernelOptions::parse("log=loud");
        assert_eq!(options.log_level, LogLevel::Info);
        assert_eq!(options.unknown()[0].word, "log=loud");
        assert!(matches!(
            options.unknown()[0].reason,
            IgnoredReason::BadValue { .. }
        ));
        assert_eq!(
            std::format!("{}", options.unknown()[0]),
            "ignored `log=loud`: bad value, expected off, error, warn, info, debug or trace"
        );
    }

    #[test]
    fn unknown_words_are_recorded_in_order() {
        let options = KernelOptions::parse("root=/dev/sda noapic quiet=1 init= panic");
        let seen: Vec<(&str, IgnoredReason)> = options
            .unknown()
            .iter()
            .map(|u| (u.word, u.reason))
            .collect();
        assert_eq!(
            seen,
            [
                ("root=/dev/sda", IgnoredReason::UnknownOption),
                ("noapic", IgnoredReason::UnknownOption),
                ("quiet=1", IgnoredReason::UnexpectedValue),
                ("init=", IgnoredReason::MissingValue),
                ("panic", IgnoredReason::MissingValue),
            ]
        );
        assert!(!options.quiet);
        assert_eq!(options.init, None);
    }

    #[test]
    fn unknown_words_past_capacity_are_counted() {
        let line = "x ".repeat(MAX_UNKNOWN_OPTIONS + 3);
        let options = KernelOptions::parse(&line);
        assert_eq!(options.unknown().len(), MAX_UNKNOWN_OPTIONS);
        assert_eq!(options.unknown_dropped, 3);
    }

    #[test]
    fn last_value_wins() {
        let options = KernelOptions::parse("log=warn log=error panic=exit panic=halt");
        assert_eq!(options.log_level, LogLevel::Error);
        assert!(!options.exit_on_panic);
    }

    #[test]
    fn quoted_value_keeps_its_spaces() {
        let options = KernelOptions::parse("init=\"/bin/my shell\" quiet");
        assert_eq!(options.init, Some("/bin/my shell"));
        assert!(options.quiet);
    }

    #[test]
    fn words_after_double_dash_go_to_init() {
        let options = KernelOptions::parse("quiet -- -l  \"a b\" log=debug ");
        assert_eq!(options.log_level, LogLevel::Info);
        assert_eq!(options.init_args, "-l  \"a b\" log=debug");
        let args: Vec<&str> = options.init_args().collect();
        assert_eq!(args, ["-l", "a b", "log=debug"]);
    }

    #[test]
    fn unterminated_quote_runs_to_the_end() {
        let options = KernelOptions::parse("init=\"/bin/sh quiet");
        assert_eq!(options.init, Some("/bin/sh quiet"));
        assert!(!options.quiet);
    }

    #[test]
    fn arbitrary_text_never_panics() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let alphabet = [' ', '=', '"', '-', 'a', 'é', '\t', 'l', 'o', 'g', 'k'];
        for _ in 0..2000 {
            let mut line = std::string::String::new();
            for _ in 0..(state % 40) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                line.push(alphabet[(state % alphabet.len() as u64) as usize]);
            }
            let options = KernelOptions::parse(&line);
            assert!(options.unknown().len() <= MAX_UNKNOWN_OPTIONS);
            let _ = options.init_args().count();
        }
    }

    #[test]
    fn cpu_limits_are_read() {
        assert_eq!(KernelOptions::parse("").max_cpus, None);
        assert_eq!(KernelOptions::parse("cpus=2").max_cpus, Some(2));
        assert_eq!(KernelOptions::parse("nosmp").max_cpus, Some(1));
        assert_eq!(KernelOptions::parse("cpus=4 nosmp").max_cpus, Some(1));
        let bad = KernelOptions::parse("cpus=0 cpus=x cpus nosmp=1");
        assert_eq!(bad.max_cpus, None);
        assert_eq!(bad.unknown().len(), 4);
    }
}
