//! A sampling profiler's kernel-independent half: what is sampled, where
//! samples go, and how they are reported (the seed's per-process perf
//! events buffer, reduced to stack samples).
//!
//! - [`Target`]: one process and the children it creates afterwards, or the
//!   whole machine, parsed from the text a user writes to the control file
//!   ([`Command::parse`]).
//! - [`Profile`]: a buffer sized once when a session starts; the timer
//!   interrupt calls [`Profile::record`], which never allocates (a full
//!   buffer counts the sample as dropped), so it is safe in interrupt
//!   context.
//! - [`Profile::report`]: identical stacks aggregated into one line each,
//!   outermost frame first, kernel frames named by a symbol lookup the
//!   caller supplies and user frames as an object path and file offset
//!   that a host symbolizes from the ELF file.
//!
//! A reuser implements no trait: its timer interrupt walks the stacks and
//! calls [`Profile::record`]; its control file feeds [`Command::parse`];
//! its report file calls [`Profile::report`] with its symbol table and
//! process names.
//!
//! Report format (one header line, then one line per distinct stack):
//!
//! ```text
//! # courage profile: <samples> samples, <dropped> dropped, <hz> Hz
//! <count>\t<comm>[<pid>]\t<frame>;<frame>;...
//! ```
//!
//! where a frame is `u:<path>+0x<file offset>` (user code in a file
//! mapping), `u:0x<address>` (user code elsewhere) or `k:<symbol>` (kernel
//! code, `k:0x<address>` when no symbol covers it).

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt::Write;

use abi::{Errno, KernelResult};

/// Most frames kept per stack (kernel and user each).
pub const MAX_FRAMES: usize = 48;

/// What a session samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// One process and the processes it forks while the session runs.
    Process(i32),
    /// Every thread on the machine, kernel threads and idle included.
    Machine,
}

/// A line written to the control file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// `pid <n>` or `all`: start a session (discarding the last one's
    /// samples).
    Start(Target),
    /// `off`: stop sampling; the samples stay readable.
    Stop,
    /// `clear`: stop and free the samples.
    Clear,
}

impl Command {
    /// Parses `pid <n>`, `all`, `off` or `clear` (surrounding white space
    /// ignored); `EINVAL` for anything else.
    pub fn parse(text: &[u8]) -> KernelResult<Command> {
        let text = core::str::from_utf8(text).map_err(|_| Errno::EINVAL)?;
        let mut words = text.split_ascii_whitespace();
        let command = match (words.next(), words.next()) {
            (Some("all"), None) => Command::Start(Target::Machine),
            (Some("off"), None) => Command::Stop,
            (Some("clear"), None) => Command::Clear,
            (Some("pid"), Some(pid)) => {
                let pid: i32 = pid.parse().map_err(|_| Errno::EINVAL)?;
                if pid <= 0 {
                    return Err(Errno::EINVAL);
                }
                Command::Start(Target::Process(pid))
            }
            _ => return Err(Errno::EINVAL),
        };
        if words.next().is_some() {
            return Err(Errno::EINVAL);
        }
        Ok(command)
    }
}

/// One user-mode frame: where its address falls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserFrame {
    /// The file (or named region) the address lies in, `None` for
    /// anonymous memory.
    pub object: Option<Arc<str>>,
    /// The offset in that file, or the address itself when `object` is
    /// `None`.
    pub offset: u64,
}

/// Where one sample's frames sit in a [`Frames`] store.
#[derive(Clone, Copy, Debug)]
struct Span {
    chunk: usize,
    start: usize,
    len: usize,
}

#[derive(Clone, Copy, Debug)]
struct SampleHeader {
    pid: i32,
    kernel: Span,
    user: Span,
}

/// Frames in chunks allocated up front: no single huge allocation (the
/// kernel heap serves at most a few MiB contiguously), no growth later.
#[derive(Debug)]
struct Frames<T> {
    chunks: Vec<Vec<T>>,
    current: usize,
}

/// Frames per chunk.
const CHUNK: usize = 8192;

impl<T: Clone> Frames<T> {
    fn with_capacity(total: usize) -> KernelResult<Self> {
        let mut chunks = Vec::new();
        let count = total.div_ceil(CHUNK).max(1);
        chunks.try_reserve_exact(count).map_err(|_| Errno::ENOMEM)?;
        for _ in 0..count {
            let mut chunk = Vec::new();
            chunk.try_reserve_exact(CHUNK).map_err(|_| Errno::ENOMEM)?;
            chunks.push(chunk);
        }
        Ok(Self { chunks, current: 0 })
    }

    /// Where `len` frames would go, if anywhere.
    fn place(&self, len: usize) -> Option<usize> {
        let chunk = self.chunks.get(self.current)?;
        if CHUNK - chunk.len() >= len {
            Some(self.current)
        } else if self.current + 1 < self.chunks.len() && len <= CHUNK {
            Some(self.current + 1)
        } else {
            None
        }
    }

    /// Appends `frames` to chunk `at` (from [`Frames::place`]).
    fn push(&mut self, at: usize, frames: &[T]) -> Span {
        self.current = at;
        let chunk = &mut self.chunks[at];
        let start = chunk.len();
        chunk.extend_from_slice(frames);
        Span {
            chunk: at,
            start,
            len: frames.len(),
        }
    }

    fn get(&self, span: Span) -> &[T] {
        &self.chunks[span.chunk][span.start..span.start + span.len]
    }
}

/// The samples of one session, in buffers sized when it started.
#[derive(Debug)]
pub struct Profile {
    target: Target,
    hz: u32,
    samples: Vec<SampleHeader>,
    kernel_frames: Frames<u64>,
    user_frames: Frames<UserFrame>,
    dropped: u64,
    /// Names of processes that exited during the session.
    names: BTreeMap<i32, String>,
}

impl Profile {
    /// A session sampling `target` at `hz` samples a second, with room for
    /// `max_samples` stacks. `ENOMEM` when the buffers cannot be allocated.
    pub fn new(target: Target, hz: u32, max_samples: usize) -> KernelResult<Profile> {
        let mut samples = Vec::new();
        samples
            .try_reserve_exact(max_samples)
            .map_err(|_| Errno::ENOMEM)?;
        // Stacks average far fewer than MAX_FRAMES frames; a quarter of the
        // worst case each is plenty, and a sample that does not fit is
        // counted as dropped.
        let frames = max_samples.saturating_mul(MAX_FRAMES / 4);
        Ok(Profile {
            target,
            hz,
            samples,
            kernel_frames: Frames::with_capacity(frames)?,
            user_frames: Frames::with_capacity(frames)?,
            dropped: 0,
            names: BTreeMap::new(),
        })
    }

    /// What this session samples.
    pub fn target(&self) -> Target {
        self.target
    }

    /// Samples recorded.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// Samples that did not fit.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Records one stack of process `pid`: kernel return addresses and user
    /// frames, innermost first (as a walk finds them). Never allocates: a
    /// sample that does not fit is counted in [`Profile::dropped`]. Frames
    /// past [`MAX_FRAMES`] are cut off.
    pub fn record(&mut self, pid: i32, kernel: &[u64], user: &[UserFrame]) {
        let kernel = &kernel[..kernel.len().min(MAX_FRAMES)];
        let user = &user[..user.len().min(MAX_FRAMES)];
        let room = self.samples.len() < self.samples.capacity();
        let (Some(kernel_at), Some(user_at), true) = (
            self.kernel_frames.place(kernel.len()),
            self.user_frames.place(user.len()),
            room,
        ) else {
            self.dropped += 1;
            return;
        };
        let kernel = self.kernel_frames.push(kernel_at, kernel);
        let user = self.user_frames.push(user_at, user);
        self.samples.push(SampleHeader { pid, kernel, user });
    }

    /// Remembers `pid`'s name for the report (call when a sampled process
    /// exits or execs, before its name is gone).
    pub fn note_name(&mut self, pid: i32, name: &str) {
        self.names.insert(pid, String::from(name));
    }

    /// The report (see the crate docs). `kernel_symbol` names a kernel
    /// address; `process_name` names a live process (the names noted with
    /// [`Profile::note_name`] take precedence, then `pid <n>`).
    pub fn report(
        &self,
        kernel_symbol: impl Fn(u64) -> Option<String>,
        process_name: impl Fn(i32) -> Option<String>,
    ) -> String {
        let mut stacks: BTreeMap<(i32, String), u64> = BTreeMap::new();
        let mut symbols: BTreeMap<u64, String> = BTreeMap::new();
        for sample in &self.samples {
            let mut stack = String::new();
            let user = self.user_frames.get(sample.user);
            for frame in user.iter().rev() {
                if !stack.is_empty() {
                    stack.push(';');
                }
                let _ = match &frame.object {
                    Some(object) => write!(stack, "u:{object}+{:#x}", frame.offset),
                    None => write!(stack, "u:{:#x}", frame.offset),
                };
            }
            let kernel = self.kernel_frames.get(sample.kernel);
            for &address in kernel.iter().rev() {
                if !stack.is_empty() {
                    stack.push(';');
                }
                let name = symbols.entry(address).or_insert_with(|| {
                    kernel_symbol(address).unwrap_or_else(|| alloc::format!("{address:#x}"))
                });
                stack.push_str("k:");
                stack.push_str(name);
            }
            *stacks.entry((sample.pid, stack)).or_default() += 1;
        }
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# courage profile: {} samples, {} dropped, {} Hz",
            self.samples.len(),
            self.dropped,
            self.hz
        );
        let mut names: BTreeMap<i32, String> = BTreeMap::new();
        for ((pid, stack), count) in &stacks {
            let name = names.entry(*pid).or_insert_with(|| {
                self.names
                    .get(pid)
                    .cloned()
                    .or_else(|| process_name(*pid))
                    .unwrap_or_else(|| alloc::format!("pid {pid}"))
            });
            let _ = writeln!(out, "{count}\t{name}[{pid}]\t{stack}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    extern crate std;

    fn frame(object: &str, offset: u64) -> UserFrame {
        UserFrame {
            object: Some(Arc::from(object)),
            offset,
        }
    }

    #[test]
    fn commands_parse_as_written() {
        assert_eq!(
            Command::parse(b"pid 42\n"),
            Ok(Command::Start(Target::Process(42)))
        );
        assert_eq!(
            Command::parse(b" all "),
            Ok(Command::Start(Target::Machine))
        );
        assert_eq!(Command::parse(b"off"), Ok(Command::Stop));
        assert_eq!(Command::parse(b"clear\n"), Ok(Command::Clear));
        for bad in [
            &b"pid"[..],
            b"pid 0",
            b"pid -3",
            b"pid x",
            b"on",
            b"off now",
            b"",
            b"\xff",
        ] {
            assert_eq!(Command::parse(bad), Err(Errno::EINVAL), "{bad:?}");
        }
    }

    #[test]
    fn identical_stacks_aggregate_outermost_first() {
        let mut profile = Profile::new(Target::Process(7), 250, 16).unwrap();
        let user = [frame("/bin/spin", 0x1100), frame("/bin/spin", 0x1200)];
        profile.record(7, &[], &user);
        profile.record(7, &[], &user);
        profile.record(
            7,
            &[0xffff_ffff_8000_1010, 0xffff_ffff_8000_2020],
            &user[..1],
        );
        profile.record(
            8,
            &[],
            &[UserFrame {
                object: None,
                offset: 0x7000,
            }],
        );
        profile.note_name(8, "gone");
        let report = profile.report(
            |address| (address == 0xffff_ffff_8000_2020).then(|| "syscall_entry".to_string()),
            |pid| (pid == 7).then(|| "spin".to_string()),
        );
        let lines: std::vec::Vec<&str> = report.lines().collect();
        assert_eq!(lines[0], "# courage profile: 4 samples, 0 dropped, 250 Hz");
        assert!(lines.contains(&"2\tspin[7]\tu:/bin/spin+0x1200;u:/bin/spin+0x1100"));
        assert!(
            lines.contains(&"1\tspin[7]\tu:/bin/spin+0x1100;k:syscall_entry;k:0xffffffff80001010")
        );
        assert!(lines.contains(&"1\tgone[8]\tu:0x7000"));
        assert_eq!(lines.len(), 4);
    }

    #[test]
    fn a_full_buffer_drops_and_counts() {
        let mut profile = Profile::new(Target::Machine, 100, 2).unwrap();
        for _ in 0..5 {
            profile.record(1, &[1, 2], &[]);
        }
        assert_eq!(profile.len(), 2);
        assert_eq!(profile.dropped(), 3);
        // Frames past the limit are cut, not dropped.
        let mut profile = Profile::new(Target::Machine, 100, 8).unwrap();
        profile.record(1, &[5; 100], &[]);
        assert_eq!((profile.len(), profile.dropped()), (1, 0));
        assert!(
            profile
                .report(|_| None, |_| None)
                .contains(&"k:0x5;".repeat(47))
        );
    }

    #[test]
    fn frames_fill_chunk_after_chunk_then_drop() {
        // 2 chunks of frames: deep stacks fill them, then samples drop.
        let mut profile = Profile::new(Target::Machine, 100, 2 * CHUNK / 12).unwrap();
        let stack = [7u64; MAX_FRAMES];
        let fit = 2 * (CHUNK / MAX_FRAMES);
        for _ in 0..fit + 3 {
            profile.record(1, &stack, &[]);
        }
        assert_eq!(profile.len(), fit);
        assert_eq!(profile.dropped(), 3);
        let report = profile.report(|_| None, |_| None);
        assert!(report.starts_with(&alloc::format!(
            "# courage profile: {fit} samples, 3 dropped"
        )));
        assert!(report.contains(&alloc::format!("\n{fit}\tpid 1[1]\t")));
    }

    #[test]
    fn names_default_to_the_pid() {
        let mut profile = Profile::new(Target::Process(3), 250, 4).unwrap();
        profile.record(3, &[], &[frame("/x", 0)]);
        assert!(profile.report(|_| None, |_| None).contains("\tpid 3[3]\t"));
        assert_eq!(profile.target(), Target::Process(3));
        assert!(!profile.is_empty());
    }
}
