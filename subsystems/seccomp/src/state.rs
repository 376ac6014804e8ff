//! A thread's seccomp mode and what it means for one system call.

use crate::action::Action;
use crate::data::SeccompData;
use crate::filter::Filter;
use abi::{Errno, KernelResult};
use alloc::sync::Arc;

/// `SECCOMP_MODE_*`: what `prctl(PR_GET_SECCOMP)` and `/proc/PID/status`
/// report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// No restriction (`SECCOMP_MODE_DISABLED`, 0).
    #[default]
    Disabled,
    /// Only `read`, `write`, `exit` and `rt_sigreturn` (1).
    Strict,
    /// Calls go through the filter chain (2).
    Filter,
}

impl Mode {
    /// The number Linux gives the mode.
    pub fn number(self) -> u32 {
        match self {
            Mode::Disabled => 0,
            Mode::Strict => 1,
            Mode::Filter => 2,
        }
    }
}

/// The calls strict mode allows: `read`, `write`, `exit`, `rt_sigreturn`.
pub const STRICT_ALLOWED: [u64; 4] = [0, 1, 60, 15];

/// What the kernel does with one system call of a thread under seccomp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Run it (`log`: and log it).
    Allow {
        /// Whether the kernel logs the call.
        log: bool,
    },
    /// Strict mode refused it: the thread dies of `SIGKILL`.
    KillStrict,
    /// A filter's answer other than allowing (see [`Action`]).
    Filtered {
        /// What the answer asks for.
        action: Action,
        /// Whether the filter that gave it asked for logging
        /// (`SECCOMP_FILTER_FLAG_LOG`).
        log: bool,
    },
}

/// One thread's seccomp state: its mode and, in filter mode, its chain.
/// Cloning shares the chain (what a new thread or a `fork` child gets).
#[derive(Clone, Debug, Default)]
pub struct Seccomp {
    mode: Mode,
    filter: Option<Arc<Filter>>,
}

impl Seccomp {
    /// The mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The newest filter of the chain, if any.
    pub fn filter(&self) -> Option<&Arc<Filter>> {
        self.filter.as_ref()
    }

    /// How many filters the chain has.
    pub fn filter_count(&self) -> usize {
        self.filter.as_deref().map_or(0, Filter::count)
    }

    /// `SECCOMP_SET_MODE_STRICT`: `EINVAL` once in filter mode (a mode
    /// is never left or changed for another).
    pub fn enter_strict(&mut self) -> KernelResult<()> {
        if self.mode == Mode::Filter {
            return Err(Errno::EINVAL);
        }
        self.mode = Mode::Strict;
        Ok(())
    }

    /// Whether filter mode may be entered (`EINVAL` in strict mode).
    pub fn check_may_filter(&self) -> KernelResult<()> {
        if self.mode == Mode::Strict {
            return Err(Errno::EINVAL);
        }
        Ok(())
    }

    /// `SECCOMP_SET_MODE_FILTER`: `filter`, built on this state's chain
    /// ([`Filter::attach`] with [`Seccomp::filter`]), becomes the chain.
    pub fn enter_filter(&mut self, filter: Arc<Filter>) -> KernelResult<()> {
        self.check_may_filter()?;
        self.mode = Mode::Filter;
        self.filter = Some(filter);
        Ok(())
    }

    /// Whether `SECCOMP_FILTER_FLAG_TSYNC` from a thread whose chain is
    /// `chain` may give it to this thread: only if this one has no mode,
    /// or a chain `chain` was built on (Linux's
    /// `seccomp_can_synchronize_threads`).
    pub fn may_synchronize_to(&self, chain: &Arc<Filter>) -> bool {
        match self.mode {
            Mode::Disabled => true,
            Mode::Strict => false,
            Mode::Filter => chain.descends_from(self.filter.as_ref()),
        }
    }

    /// What happens to the call `data` describes.
    pub fn check(&self, data: &SeccompData) -> Verdict {
        match self.mode {
            Mode::Disabled => Verdict::Allow { log: false },
            Mode::Strict => {
                let nr = data.nr as u32 as u64;
                if STRICT_ALLOWED.contains(&nr) {
                    Verdict::Allow { log: false }
                } else {
                    Verdict::KillStrict
                }
            }
            Mode::Filter => {
                let Some(filter) = &self.filter else {
                    return Verdict::Filtered {
                        action: Action::KillProcess,
                        log: true,
                    };
                };
                let (answer, log) = filter.evaluate(data);
                match Action::from_return(answer) {
                    Action::Allow => Verdict::Allow { log: false },
                    // `SECCOMP_RET_LOG` always logs; `FLAG_LOG` asks for
                    // the rest.
                    Action::Log => Verdict::Allow { log: true },
                    action => Verdict::Filtered { action, log },
                }
            }
        }
    }
}
