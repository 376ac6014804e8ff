//! The text of the per-process files, byte for byte as Linux prints them
//! (`fs/proc/array.c`, `fs/proc/base.c`; field lists in proc(5)).
//!
//! Every function renders from one [`ProcessSnapshot`], so a file never
//! mixes two states of a process.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

use crate::view::{
    MemoryStats, PAGE_SIZE, ProcessSnapshot, RLIM_INFINITY, RLIMIT_COUNT, Rlimit, ThreadSnapshot,
};

/// Longest name `comm` shows (`TASK_COMM_LEN` - 1).
pub const COMM_MAX: usize = 15;

/// `RLIMIT_RSS`, the limit `stat` shows as `rsslim`.
const RLIMIT_RSS: usize = 5;
/// `RLIMIT_SIGPENDING`, the limit `status` shows in `SigQ`.
const RLIMIT_SIGPENDING: usize = 11;

/// Signal masks in `stat` keep only the low 31 bits, as Linux does.
const STAT_SIGNAL_MASK: u64 = 0x7fff_ffff;

/// The name as `comm` and `stat` show it: at most [`COMM_MAX`] bytes, cut
/// at a character boundary.
pub fn comm_name(name: &str) -> &str {
    if name.len() <= COMM_MAX {
        return name;
    }
    let mut end = COMM_MAX;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

/// The thread a file describes: the given one under `task/<tid>`, the main
/// thread under `/proc/<pid>`.
fn thread_of(snapshot: &ProcessSnapshot, tid: Option<u32>) -> Option<&ThreadSnapshot> {
    match tid {
        Some(tid) => snapshot.thread(tid),
        None => snapshot.main_thread(),
    }
}

/// `/proc/<pid>/stat` (and `task/<tid>/stat` when `tid` is given): the 52
/// space-separated fields of proc(5), starting `pid (comm) state ppid`.
/// A reader that may not inspect the process (`permitted` false) sees the
/// address fields and the exit code as Linux shows them then: code bounds
/// 1, the rest 0.
pub fn stat(snapshot: &ProcessSnapshot, tid: Option<u32>, permitted: bool) -> String {
    let thread = thread_of(snapshot, tid);
    let id = tid.unwrap_or(snapshot.pid);
    let (name, state, times) = match (tid, thread) {
        (Some(_), Some(thread)) => (thread.name.as_str(), thread.state, thread.times),
        _ => (snapshot.name.as_str(), snapshot.state, snapshot.times),
    };
    let memory = snapshot.memory.unwrap_or_default();
    let has_memory = snapshot.memory.is_some();
    let (start_code, end_code, start_stack) = match (has_memory, permitted) {
        (false, _) => (0, 0, 0),
        (true, false) => (1, 1, 0),
        (true, true) => (memory.start_code, memory.end_code, memory.start_stack),
    };
    let pending = thread.map_or(0, |thread| thread.pending) & STAT_SIGNAL_MASK;
    let blocked = thread.map_or(0, |thread| thread.blocked) & STAT_SIGNAL_MASK;
    let processor = thread.map_or(0, |thread| thread.processor);
    let mut out = String::new();
    // Fields 1-13: identity, terminal, flags and fault counts.
    let _ = write!(
        out,
        "{id} ({}) {} {} {} {} {} {} {} {} {} {} {}",
        comm_name(name),
        state.letter(),
        snapshot.ppid,
        snapshot.pgid,
        snapshot.sid,
        snapshot.tty_nr,
        snapshot.tpgid,
        snapshot.flags,
        snapshot.minor_faults,
        snapshot.children_minor_faults,
        snapshot.major_faults,
        snapshot.children_major_faults,
    );
    // Fields 14-25: times, priority, threads, start time and memory.
    let _ = write!(
        out,
        " {} {} {} {} {} {} {} 0 {} {} {} {}",
        times.user,
        times.system,
        snapshot.children_times.user,
        snapshot.children_times.system,
        snapshot.nice.saturating_add(20),
        snapshot.nice,
        snapshot.threads.len().max(1),
        snapshot.start_ticks,
        memory.size,
        memory.resident / PAGE_SIZE,
        snapshot.rlimits[RLIMIT_RSS].soft,
    );
    // Fields 26-44: layout, signals, wchan, exit signal, CPU and policy.
    let _ = write!(
        out,
        " {start_code} {end_code} {start_stack} 0 0 {pending} {blocked} {} {} 0 0 0 {} {processor} 0 0 0 0 0",
        snapshot.signals.ignored & STAT_SIGNAL_MASK,
        snapshot.signals.caught & STAT_SIGNAL_MASK,
        snapshot.exit_signal,
    );
    // Fields 45-52: data, heap, arguments, environment, exit code.
    if has_memory && permitted {
        let _ = write!(
            out,
            " {} {} {} {} {} {} {}",
            memory.start_data,
            memory.end_data,
            memory.start_brk,
            memory.arg_start,
            memory.arg_end,
            memory.env_start,
            memory.env_end,
        );
    } else {
        out.push_str(" 0 0 0 0 0 0 0");
    }
    let _ = writeln!(out, " {}", if permitted { snapshot.exit_code } else { 0 });
    out
}

/// `/proc/<pid>/statm`: `size resident shared text lib data dt` in pages.
pub fn statm(snapshot: &ProcessSnapshot) -> String {
    let memory = snapshot.memory.unwrap_or_default();
    let pages = |bytes: u64| bytes.div_ceil(PAGE_SIZE);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} {} {} 0 {} 0",
        pages(memory.size),
        pages(memory.resident),
        pages(memory.resident_file.saturating_add(memory.resident_shared)),
        pages(memory.text),
        pages(memory.data.saturating_add(memory.stack)),
    );
    out
}

/// Escapes a name as `status` does: backslash and newline become `\\` and `\n`.
fn escaped_name(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

fn memory_lines(out: &mut String, memory: &MemoryStats) {
    let lines: [(&str, u64); 15] = [
        ("VmPeak", memory.peak),
        ("VmSize", memory.size),
        ("VmLck", memory.locked),
        ("VmPin", 0),
        ("VmHWM", memory.resident_peak),
        ("VmRSS", memory.resident),
        ("RssAnon", memory.resident_anonymous),
        ("RssFile", memory.resident_file),
        ("RssShmem", memory.resident_shared),
        ("VmData", memory.data),
        ("VmStk", memory.stack),
        ("VmExe", memory.text),
        ("VmLib", memory.libraries),
        ("VmPTE", memory.page_tables),
        ("VmSwap", 0),
    ];
    for (label, bytes) in lines {
        let _ = writeln!(out, "{label}:\t{:>8} kB", bytes / 1024);
    }
    let _ = writeln!(out, "HugetlbPages:\t{:>8} kB", 0);
}

/// `/proc/<pid>/status` (and `task/<tid>/status`): `Key:\tvalue` lines in
/// Linux's order; kernel processes and zombies have no `Vm*` lines.
pub fn status(snapshot: &ProcessSnapshot, tid: Option<u32>) -> String {
    let thread = thread_of(snapshot, tid);
    let (name, state) = match (tid, thread) {
        (Some(_), Some(thread)) => (thread.name.as_str(), thread.state),
        _ => (snapshot.name.as_str(), snapshot.state),
    };
    let pid = tid.unwrap_or(snapshot.pid);
    let (uid, gid) = (snapshot.uid, snapshot.gid);
    let mut out = String::new();
    let _ = writeln!(out, "Name:\t{}", escaped_name(comm_name(name)));
    let _ = writeln!(out, "Umask:\t{:04o}", snapshot.umask & 0o777);
    let _ = writeln!(out, "State:\t{}", state.description());
    let _ = writeln!(out, "Tgid:\t{}", snapshot.pid);
    let _ = writeln!(out, "Ngid:\t0");
    let _ = writeln!(out, "Pid:\t{pid}");
    let _ = writeln!(out, "PPid:\t{}", snapshot.ppid);
    let _ = writeln!(out, "TracerPid:\t{}", snapshot.tracer_pid);
    let _ = writeln!(
        out,
        "Uid:\t{}\t{}\t{}\t{}",
        uid.real, uid.effective, uid.saved, uid.filesystem
    );
    let _ = writeln!(
        out,
        "Gid:\t{}\t{}\t{}\t{}",
        gid.real, gid.effective, gid.saved, gid.filesystem
    );
    let _ = writeln!(out, "FDSize:\t{}", snapshot.fd_table_size);
    out.push_str("Groups:\t");
    for group in &snapshot.groups {
        let _ = write!(out, "{group} ");
    }
    out.push('\n');
    let _ = writeln!(out, "NStgid:\t{}", snapshot.pid);
    let _ = writeln!(out, "NSpid:\t{pid}");
    let _ = writeln!(out, "NSpgid:\t{}", snapshot.pgid);
    let _ = writeln!(out, "NSsid:\t{}", snapshot.sid);
    if let Some(memory) = &snapshot.memory {
        memory_lines(&mut out, memory);
    }
    let _ = writeln!(out, "CoreDumping:\t0");
    let _ = writeln!(out, "Threads:\t{}", snapshot.threads.len().max(1));
    let _ = writeln!(out, "SigQ:\t0/{}", snapshot.rlimits[RLIMIT_SIGPENDING].soft);
    let _ = writeln!(out, "SigPnd:\t{:016x}", thread.map_or(0, |t| t.pending));
    let _ = writeln!(out, "ShdPnd:\t{:016x}", snapshot.signals.shared_pending);
    let _ = writeln!(out, "SigBlk:\t{:016x}", thread.map_or(0, |t| t.blocked));
    let _ = writeln!(out, "SigIgn:\t{:016x}", snapshot.signals.ignored);
    let _ = writeln!(out, "SigCgt:\t{:016x}", snapshot.signals.caught);
    let caps = &snapshot.capabilities;
    let _ = writeln!(out, "CapInh:\t{:016x}", caps.inheritable);
    let _ = writeln!(out, "CapPrm:\t{:016x}", caps.permitted);
    let _ = writeln!(out, "CapEff:\t{:016x}", caps.effective);
    let _ = writeln!(out, "CapBnd:\t{:016x}", caps.bounding);
    let _ = writeln!(out, "CapAmb:\t{:016x}", caps.ambient);
    let _ = writeln!(out, "NoNewPrivs:\t{}", u8::from(snapshot.no_new_privs));
    let _ = writeln!(out, "Seccomp:\t{}", thread.map_or(0, |t| t.seccomp_mode));
    let _ = writeln!(
        out,
        "Seccomp_filters:\t{}",
        thread.map_or(0, |t| t.seccomp_filters)
    );
    let _ = writeln!(
        out,
        "voluntary_ctxt_switches:\t{}",
        thread.map_or(0, |t| t.voluntary_switches)
    );
    let _ = writeln!(
        out,
        "nonvoluntary_ctxt_switches:\t{}",
        thread.map_or(0, |t| t.involuntary_switches)
    );
    out
}

/// Names and units of the `limits` rows, in `RLIMIT_*` order.
const LIMIT_ROWS: [(&str, &str); RLIMIT_COUNT] = [
    ("Max cpu time", "seconds"),
    ("Max file size", "bytes"),
    ("Max data size", "bytes"),
    ("Max stack size", "bytes"),
    ("Max core file size", "bytes"),
    ("Max resident set", "bytes"),
    ("Max processes", "processes"),
    ("Max open files", "files"),
    ("Max locked memory", "bytes"),
    ("Max address space", "bytes"),
    ("Max file locks", "locks"),
    ("Max pending signals", "signals"),
    ("Max msgqueue size", "bytes"),
    ("Max nice priority", ""),
    ("Max realtime priority", ""),
    ("Max realtime timeout", "us"),
];

/// `/proc/<pid>/limits`: a header and one fixed-width row per resource.
pub fn limits(rlimits: &[Rlimit; RLIMIT_COUNT]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<25} {:<20} {:<20} {:<10}",
        "Limit", "Soft Limit", "Hard Limit", "Units"
    );
    for ((name, unit), limit) in LIMIT_ROWS.iter().zip(rlimits) {
        let _ = write!(out, "{name:<25} ");
        for value in [limit.soft, limit.hard] {
            if value == RLIM_INFINITY {
                let _ = write!(out, "{:<20} ", "unlimited");
            } else {
                let _ = write!(out, "{value:<20} ");
            }
        }
        if unit.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "{unit:<10}");
        }
    }
    out
}

/// `/proc/<pid>/fdinfo/<n>`: offset, flags in octal (with `O_CLOEXEC`
/// when the fd has it), mount id and inode number.
pub fn fdinfo(offset: u64, flags: u32, mount_id: u64, ino: u64) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "pos:\t{offset}\nflags:\t0{flags:o}\nmnt_id:\t{mount_id}\nino:\t{ino}\n"
    );
    out
}

/// `/proc/<pid>/maps`: the view's region lines, each ended by a newline.
pub fn maps(lines: &[String]) -> String {
    let mut out = String::new();
    for line in lines {
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The fields of a `stat` line after the name, split on spaces; what
/// busybox `ps` and procps do (the name may hold spaces and parentheses,
/// so they cut at the last `)`). Used by tests and useful to callers.
pub fn stat_fields(line: &str) -> Option<(&str, Vec<&str>)> {
    let open = line.find('(')?;
    let close = line.rfind(')')?;
    let name = line.get(open + 1..close)?;
    let rest = line.get(close + 1..)?.trim_end_matches('\n');
    Some((name, rest.split(' ').filter(|f| !f.is_empty()).collect()))
}

/// `/proc/<pid>/io`.
pub fn io(io: &crate::view::IoStats) -> String {
    alloc::format!(
        "rchar: {}\nwchar: {}\nsyscr: {}\nsyscw: {}\nread_bytes: {}\nwrite_bytes: {}\ncancelled_write_bytes: 0\n",
        io.read_chars,
        io.written_chars,
        io.read_calls,
        io.write_calls,
        io.storage_read_bytes,
        io.storage_write_bytes
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comm_cuts_at_fifteen_bytes_on_a_character_boundary() {
        assert_eq!(comm_name("short"), "short");
        assert_eq!(comm_name("exactly-15-byte"), "exactly-15-byte");
        assert_eq!(comm_name("sixteen-bytes-xx"), "sixteen-bytes-x");
        // 'é' is two bytes at offsets 14..16: it is dropped whole.
        assert_eq!(comm_name("abcdefghijklmné"), "abcdefghijklmn");
    }

    #[test]
    fn stat_fields_cut_at_the_last_parenthesis() {
        let (name, fields) = stat_fields("1 (a) b) R 0 1\n").unwrap();
        assert_eq!(name, "a) b");
        assert_eq!(fields, ["R", "0", "1"]);
        assert!(stat_fields("no parens").is_none());
    }
}
