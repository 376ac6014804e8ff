//! Chains of filters: what a thread attached, newest first.

use crate::action::{precedes, ret};
use crate::bpf::Program;
use crate::data::SeccompData;
use abi::{Errno, KernelResult};
use alloc::sync::Arc;

/// The most instructions a chain may hold along one path, each filter
/// counting 4 more than its length (Linux's `MAX_INSNS_PER_PATH`).
pub const MAX_INSNS_PER_PATH: usize = 32_768;

/// One attached filter and the chain it was attached on top of. Chains
/// are shared: a `fork` or a new thread takes its creator's chain, and a
/// filter attached later grows only the attaching thread's.
#[derive(Debug)]
pub struct Filter {
    program: Program,
    /// `SECCOMP_FILTER_FLAG_LOG`: actions other than `ALLOW` are logged.
    log: bool,
    previous: Option<Arc<Filter>>,
}

impl Filter {
    /// `program` attached on top of `previous`; `ENOMEM` if the chain
    /// would pass [`MAX_INSNS_PER_PATH`].
    pub fn attach(
        program: Program,
        log: bool,
        previous: Option<Arc<Filter>>,
    ) -> KernelResult<Arc<Filter>> {
        let mut total = program.len();
        let mut walker = previous.as_deref();
        while let Some(filter) = walker {
            total += filter.program.len() + 4;
            walker = filter.previous.as_deref();
        }
        if total > MAX_INSNS_PER_PATH {
            return Err(Errno::ENOMEM);
        }
        Ok(Arc::new(Filter {
            program,
            log,
            previous,
        }))
    }

    /// Runs every filter of the chain, newest first, and returns the
    /// answer that takes precedence (the first of equal ones, so the
    /// newest filter's data wins a tie, as on Linux) and whether the filter
    /// that gave it asked for logging.
    pub fn evaluate(&self, data: &SeccompData) -> (u32, bool) {
        let mut answer = ret::ALLOW;
        let mut log = false;
        let mut walker = Some(self);
        while let Some(filter) = walker {
            let value = filter.program.run(data);
            if precedes(value, answer) {
                answer = value;
                log = filter.log;
            }
            walker = filter.previous.as_deref();
        }
        (answer, log)
    }

    /// How many filters the chain has (`Seccomp_filters` in
    /// `/proc/PID/status`).
    pub fn count(&self) -> usize {
        let mut count = 0;
        let mut walker = Some(self);
        while let Some(filter) = walker {
            count += 1;
            walker = filter.previous.as_deref();
        }
        count
    }

    /// Whether `ancestor` is this chain or one it was built on (Linux's
    /// `is_ancestor`; no chain at all is everyone's ancestor).
    pub fn descends_from(self: &Arc<Self>, ancestor: Option<&Arc<Filter>>) -> bool {
        let Some(ancestor) = ancestor else {
            return true;
        };
        let mut walker = Some(self);
        while let Some(filter) = walker {
            if Arc::ptr_eq(filter, ancestor) {
                return true;
            }
            walker = filter.previous.as_ref();
        }
        false
    }
}
