//! The out-of-memory killer's choice, as Linux makes it: when no frame is
//! left for a user page, the process whose death frees the most goes, its
//! resident pages biased by `oom_score_adj` (-1000 makes a process exempt,
//! 1000 makes it the first to go). The kernel supplies the candidates and
//! sends the `SIGKILL`; this module only weighs them.

use crate::pid::Pid;

/// `oom_score_adj` that exempts a process.
pub const OOM_SCORE_ADJ_MIN: i16 = -1000;
/// `oom_score_adj` that makes a process the first choice.
pub const OOM_SCORE_ADJ_MAX: i16 = 1000;

/// One process the killer may choose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// Its pid.
    pub pid: Pid,
    /// Pages it has resident (anonymous, file and shared).
    pub resident_pages: u64,
    /// Its `oom_score_adj`.
    pub adj: i16,
}

/// Resident pages plus `adj` thousandths of all memory, before any
/// clamping; `None` if the process is exempt (`adj` -1000).
fn signed_badness(candidate: &Candidate, total_pages: u64) -> Option<i128> {
    if candidate.adj <= OOM_SCORE_ADJ_MIN {
        return None;
    }
    // Linux divides first: the bias is `adj` times whole thousandths.
    let bias = i128::from(candidate.adj) * i128::from(total_pages / 1000);
    Some(i128::from(candidate.resident_pages) + bias)
}

/// How much killing `candidate` is worth, out of `total_pages` of memory:
/// its resident pages plus `adj` thousandths of all memory; `None` if it is
/// exempt (`adj` -1000). Every other process scores at least 1.
pub fn badness(candidate: &Candidate, total_pages: u64) -> Option<u64> {
    let points = signed_badness(candidate, total_pages)?;
    Some(u64::try_from(points.max(1)).unwrap_or(u64::MAX))
}

/// `/proc/<pid>/oom_score`, on Linux's scale: `(1000 + badness * 1000 /
/// total) * 2 / 3`, so 666 for an unbiased process holding nothing and 0
/// for an exempt one.
pub fn oom_score(candidate: &Candidate, total_pages: u64) -> u32 {
    let Some(points) = signed_badness(candidate, total_pages) else {
        return 0;
    };
    let scaled = (1000 + points * 1000 / i128::from(total_pages.max(1))) * 2 / 3;
    u32::try_from(scaled.max(0)).unwrap_or(u32::MAX)
}

/// The candidate to kill: the highest badness, the higher pid on a tie
/// (the younger process); `None` if every one is exempt.
pub fn choose_victim(
    candidates: impl IntoIterator<Item = Candidate>,
    total_pages: u64,
) -> Option<Candidate> {
    candidates
        .into_iter()
        .filter_map(|c| badness(&c, total_pages).map(|points| (points, c.pid, c)))
        .max_by_key(|&(points, pid, _)| (points, pid))
        .map(|(_, _, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(pid: Pid, resident_pages: u64, adj: i16) -> Candidate {
        Candidate {
            pid,
            resident_pages,
            adj,
        }
    }

    #[test]
    fn the_largest_resident_set_goes_first() {
        let victims = [
            candidate(2, 100, 0),
            candidate(3, 5000, 0),
            candidate(4, 10, 0),
        ];
        assert_eq!(choose_victim(victims, 100_000).map(|c| c.pid), Some(3));
    }

    #[test]
    fn adj_biases_by_thousandths_of_memory_and_minus_1000_exempts() {
        // 100,000 pages: adj 500 counts as 50,000 pages.
        let small_but_willing = candidate(2, 100, 500);
        let large = candidate(3, 40_000, 0);
        assert_eq!(
            choose_victim([small_but_willing, large], 100_000).map(|c| c.pid),
            Some(2)
        );
        let exempt = candidate(3, 90_000, OOM_SCORE_ADJ_MIN);
        assert_eq!(badness(&exempt, 100_000), None);
        assert_eq!(choose_victim([exempt], 100_000), None);
        // A negative bias never makes a process free to keep: it scores 1.
        assert_eq!(badness(&candidate(5, 10, -999), 100_000), Some(1));
    }

    #[test]
    fn oom_score_is_on_linuxs_scale() {
        assert_eq!(oom_score(&candidate(2, 0, 0), 1000), 666);
        assert_eq!(oom_score(&candidate(2, 500, 0), 1000), 1000);
        assert_eq!(oom_score(&candidate(2, 0, 1000), 1000), 1333);
        assert_eq!(oom_score(&candidate(2, 0, -999), 1000), 0);
        assert_eq!(oom_score(&candidate(2, 500, OOM_SCORE_ADJ_MIN), 1000), 0);
        // Linux 6.1 on 512 MiB (about 130,900 pages) shows 1329 for adj 1000 and
        // 998 for 500 (a process of ~200 pages): whole thousandths.
        assert_eq!(oom_score(&candidate(2, 200, 1000), 130_900), 1329);
        assert_eq!(oom_score(&candidate(2, 200, 500), 130_900), 998);
    }

    #[test]
    fn ties_go_to_the_younger_process() {
        let victims = [
            candidate(7, 10, 0),
            candidate(9, 10, 0),
            candidate(8, 10, 0),
        ];
        assert_eq!(choose_victim(victims, 1000).map(|c| c.pid), Some(9));
    }
}
