//! Calls nobody serves: which numbers the table routes, and the one log
//! line an unknown call leaves.

use std::sync::Mutex;

use abi::Sysno;
use syscall::UnknownCalls;

static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        LINES.lock().unwrap().push(record.args().to_string());
    }

    fn flush(&self) {}
}

fn lines_after(f: impl FnOnce()) -> Vec<String> {
    static LOGGER: Capture = Capture;
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(log::LevelFilter::Trace);
    // Tests in this binary run in parallel: keep only this test's lines.
    let start = LINES.lock().unwrap().len();
    f();
    LINES.lock().unwrap()[start..].to_vec()
}

#[test]
fn an_unknown_call_is_logged_once_with_its_name() {
    let unknown = UnknownCalls::new();
    let lines = lines_after(|| {
        assert!(unknown.report(334, "python3"));
        assert!(!unknown.report(334, "python3"));
    });
    let ours: Vec<_> = lines.iter().filter(|l| l.contains("334")).collect();
    assert_eq!(ours.len(), 1, "{lines:?}");
    assert_eq!(
        ours[0],
        "unknown system call 334 (rseq) from python3: ENOSYS"
    );
}

#[test]
fn a_number_past_the_table_is_logged_without_a_name_every_time() {
    let unknown = UnknownCalls::new();
    let lines = lines_after(|| {
        assert!(unknown.report(100_000, "fuzzer"));
        assert!(unknown.report(100_000, "fuzzer"));
    });
    let ours: Vec<_> = lines.iter().filter(|l| l.contains("100000")).collect();
    assert_eq!(ours.len(), 2);
    assert_eq!(ours[0], "unknown system call 100000 from fuzzer: ENOSYS");
}

#[test]
fn every_number_round_trips_through_its_name() {
    let mut names = std::collections::BTreeSet::new();
    for &sysno in Sysno::ALL {
        assert_eq!(Sysno::try_from(sysno.number()), Ok(sysno));
        assert!(names.insert(sysno.name()), "{} named twice", sysno.name());
    }
    assert_eq!(Sysno::try_from(Sysno::Read.number()), Ok(Sysno::Read));
    assert!(Sysno::try_from(10_000).is_err());
    assert_eq!(Sysno::Execve.name(), "execve");
    assert_eq!(Sysno::Execve.number(), 59);
}

#[test]
fn the_table_serves_the_calls_linux_programs_start_with() {
    let routed: std::collections::BTreeSet<Sysno> = syscall::ROWS.iter().map(|r| r.sysno).collect();
    for sysno in [
        Sysno::Read,
        Sysno::Write,
        Sysno::Openat,
        Sysno::Close,
        Sysno::Mmap,
        Sysno::Brk,
        Sysno::ArchPrctl,
        Sysno::SetTidAddress,
        Sysno::SetRobustList,
        Sysno::RtSigaction,
        Sysno::RtSigprocmask,
        Sysno::Prlimit64,
        Sysno::Getrandom,
        Sysno::Newfstatat,
        Sysno::ExitGroup,
        Sysno::Clone,
        Sysno::Execve,
        Sysno::Wait4,
        Sysno::Futex,
    ] {
        assert!(routed.contains(&sysno), "{sysno} has no row");
    }
}

#[test]
fn a_raw_number_reaches_the_row_of_its_call_and_an_unrouted_one_none() {
    let w = crate::common::World::new();
    let pid = w.call(Sysno::Getpid, &[]);
    assert!(pid > 0);
    assert_eq!(w.call_number(Sysno::Getpid.number(), &[]), Some(pid));
    assert_eq!(
        w.call_number(Sysno::Gettid.number(), &[]),
        Some(w.call(Sysno::Gettid, &[]))
    );
    // A number past the table, and a real call without a row.
    assert_eq!(w.call_number(10_000, &[]), None);
    let unrouted = Sysno::ALL
        .iter()
        .find(|sysno| !syscall::ROWS.iter().any(|row| row.sysno == **sysno))
        .expect("some call has no row");
    assert_eq!(w.call_number(unrouted.number(), &[]), None);
}

#[test]
fn rax_says_a_value_or_an_errno_and_reads_back_the_same() {
    use abi::Errno;
    for result in [
        Ok(0),
        Ok(42),
        Ok(0x7fff_ffff_f000),
        Err(Errno::ENOENT),
        Err(Errno::EINTR),
        Err(Errno::ENOSYS),
    ] {
        assert_eq!(syscall::from_rax(syscall::to_rax(result)), result);
    }
    assert_eq!(syscall::to_rax(Err(Errno::ENOENT)), (-2i64) as u64);
    // Below -4095 a value is a value (an address, an offset), as in libc.
    assert_eq!(syscall::from_rax((-4096i64) as u64), Ok((-4096i64) as u64));
}

#[test]
fn the_entrys_path_serves_what_the_table_serves() {
    let w = crate::common::World::new();
    let pid = w.call(Sysno::Getpid, &[]);
    assert_eq!(w.call_entry(Sysno::Getpid.number(), &[]), Some(pid));
    assert_eq!(
        w.call_entry(Sysno::Getppid.number(), &[]),
        Some(w.call(Sysno::Getppid, &[]))
    );
    // A failure is -errno, and arguments reach the handler.
    assert_eq!(
        w.call_entry(Sysno::Close.number(), &[1_000]),
        Some(-i64::from(abi::Errno::EBADF.value()))
    );
    let umask = w.call(Sysno::Umask, &[0o027]);
    assert_eq!(w.call_entry(Sysno::Umask.number(), &[0o077]), Some(0o027));
    assert_eq!(w.call(Sysno::Umask, &[umask as u64]), 0o077);
    assert_eq!(w.call_entry(10_000, &[]), None);
}
