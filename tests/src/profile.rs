//! The host half of Courage's sampling profiler: boot, run a command with
//! `/proc/profiling` on, read the report back over the serial console,
//! and turn it into folded stacks (Brendan Gregg's format, one
//! `frame;frame;... count` line per stack, outermost first) with user
//! frames named from the ELF files on the host.
//!
//! The kernel names its own frames (it embeds its symbol table); user
//! frames arrive as `u:<guest path>+0x<file offset>`, which
//! [`Symbolizer`] maps to a function through the file's load segments and
//! symbol table. Kernel frames get perf's `_[k]` suffix so flame graphs
//! can tell them apart.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use ksyms::Symbol;

use crate::elf::{self, Segment};
use crate::{Boot, Qemu};

const BEGIN: &str = "@@courage-profile-begin@@";
const END: &str = "@@courage-profile-end@@";

/// Boots `kernel` with `initrd`, runs `command` (a shell command line
/// without double quotes) profiled on `cpus` CPUs, and returns the kernel's report and
/// everything the guest printed.
pub fn record(
    kernel: &Path,
    initrd: &Path,
    command: &str,
    cpus: u32,
    timeout: Duration,
) -> Result<(String, String), String> {
    if command.contains('"') {
        return Err("the command may not contain double quotes".into());
    }
    let script = format!(
        "mount -t proc proc /proc 2>/dev/null; mount -t tmpfs tmpfs /tmp 2>/dev/null; \
         echo pid $$ > /proc/profiling && {command}; echo off > /proc/profiling; \
         echo {BEGIN}; cat /proc/profiling; echo {END}; poweroff -f"
    );
    let mut qemu = Qemu::new(Boot::Kernel {
        kernel: kernel.to_path_buf(),
        cmdline: format!("quiet init=/bin/busybox -- sh -c \"{script}\""),
        initrd: Some(initrd.to_path_buf()),
    });
    qemu.cpus = cpus;
    let outcome = qemu
        .run_captured(timeout, Some(END))
        .map_err(|e| format!("cannot run QEMU: {e}"))?;
    let output = outcome.output.replace('\r', "");
    let report = output
        .split_once(&format!("{BEGIN}\n"))
        .and_then(|(_, rest)| rest.split_once(END))
        .map(|(report, _)| report.to_string())
        .ok_or_else(|| {
            format!(
                "no profile in the output{}:\n{output}",
                if outcome.timed_out {
                    " (timed out)"
                } else {
                    ""
                }
            )
        })?;
    Ok((report, output))
}

/// A loaded ELF file: where its segments go and what its functions are.
struct Object {
    segments: Vec<Segment>,
    symbols: Vec<Symbol>,
}

impl Object {
    fn name(&self, offset: u64) -> Option<&str> {
        let segment = self
            .segments
            .iter()
            .find(|s| (s.offset..s.offset + s.size.max(1)).contains(&offset))?;
        let address = offset - segment.offset + segment.address;
        let index = self.symbols.partition_point(|s| s.address <= address);
        let symbol = &self.symbols[index.checked_sub(1)?];
        let inside = symbol.size == 0 || address < symbol.address + u64::from(symbol.size);
        inside.then_some(symbol.name.as_str())
    }
}

/// Names user frames from the host's copies of the guest's files.
pub struct Symbolizer<F: Fn(&str) -> Option<PathBuf>> {
    host_path: F,
    objects: HashMap<String, Option<Object>>,
}

impl<F: Fn(&str) -> Option<PathBuf>> Symbolizer<F> {
    /// A symbolizer finding the host copy of guest file `path` with
    /// `host_path` (`None`: unknown, frames keep their offset).
    pub fn new(host_path: F) -> Self {
        Self {
            host_path,
            objects: HashMap::new(),
        }
    }

    fn load(&self, guest: &str) -> Option<Object> {
        let data = std::fs::read((self.host_path)(guest)?).ok()?;
        Some(Object {
            segments: elf::load_segments(&data).ok()?,
            symbols: elf::function_symbols(&data).ok()?,
        })
    }

    /// The name of one report frame.
    pub fn frame(&mut self, frame: &str) -> String {
        if let Some(symbol) = frame.strip_prefix("k:") {
            return format!("{symbol}_[k]");
        }
        let user = frame.strip_prefix("u:").unwrap_or(frame);
        let Some((path, offset)) = user.rsplit_once("+0x") else {
            return format!("[unknown] {user}");
        };
        let Ok(offset) = u64::from_str_radix(offset, 16) else {
            return user.to_string();
        };
        if !self.objects.contains_key(path) {
            let object = self.load(path);
            self.objects.insert(path.to_string(), object);
        }
        let base = path.rsplit('/').next().unwrap_or(path);
        match self.objects[path].as_ref().and_then(|o| o.name(offset)) {
            Some(name) => name.to_string(),
            None => format!("{base}+{offset:#x}"),
        }
    }

    /// Folded stacks from a report: `comm;frame;... count`, sorted, equal
    /// stacks merged (different offsets in one function become one).
    pub fn fold(&mut self, report: &str) -> Vec<String> {
        let mut stacks: BTreeMap<String, u64> = BTreeMap::new();
        for line in report.lines().filter(|l| !l.starts_with('#')) {
            let mut fields = line.splitn(3, '\t');
            let (Some(count), Some(process), Some(frames)) =
                (fields.next(), fields.next(), fields.next())
            else {
                continue;
            };
            let Ok(count) = count.trim().parse::<u64>() else {
                continue;
            };
            // `name[pid]` -> `name`: one tower per program, not per pid.
            let name = process.rsplit_once('[').map_or(process, |(name, _)| name);
            let mut stack = name.replace(';', ":");
            for frame in frames.split(';').filter(|f| !f.is_empty()) {
                stack.push(';');
                stack.push_str(&self.frame(frame).replace(';', ":"));
            }
            *stacks.entry(stack).or_default() += count;
        }
        stacks
            .into_iter()
            .map(|(stack, count)| format!("{stack} {count}"))
            .collect()
    }
}

/// The host file behind a guest path of the test initramfs: the test
/// programs from `user_programs` (`/tests/<libc>/<name>`), everything
/// else from the same path on the host (busybox, Debian's programs and
/// libraries).
pub fn test_initramfs_file(user_programs: &Path, guest: &str) -> Option<PathBuf> {
    let host = match guest.strip_prefix("/tests/") {
        Some(rest) => user_programs.join(rest),
        None => PathBuf::from(guest),
    };
    host.is_file().then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_fold_into_named_stacks() {
        let mut symbolizer = Symbolizer::new(|_| None);
        let report = "# courage profile: 5 samples, 0 dropped, 250 Hz\n\
                      3\tspin[7]\tu:/bin/spin+0x10;k:courage::syscall::dispatch\n\
                      2\tspin[9]\tu:/bin/spin+0x10;k:courage::syscall::dispatch\n\
                      1\tsh[2]\tu:0x7000\n";
        assert_eq!(
            symbolizer.fold(report),
            [
                "sh;[unknown] 0x7000 1",
                "spin;spin+0x10;courage::syscall::dispatch_[k] 5"
            ]
        );
    }

    #[test]
    fn user_frames_are_named_from_the_host_elf() {
        // This test binary is an ELF with symbols: find a function in it.
        let me = std::env::current_exe().unwrap();
        let data = std::fs::read(&me).unwrap();
        let symbols = elf::function_symbols(&data).unwrap();
        let segments = elf::load_segments(&data).unwrap();
        let symbol = symbols
            .iter()
            .find(|s| s.name.contains("frames_fold_into_named_stacks") && s.size > 4)
            .expect("the test's own symbol");
        let segment = segments
            .iter()
            .find(|s| (s.address..s.address + s.size).contains(&symbol.address))
            .unwrap();
        let offset = symbol.address + 2 - segment.address + segment.offset;
        let mut symbolizer = Symbolizer::new(|guest| (guest == "/bin/me").then(|| me.clone()));
        assert_eq!(
            symbolizer.frame(&format!("u:/bin/me+{offset:#x}")),
            symbol.name
        );
        assert_eq!(symbolizer.frame("u:/bin/other+0x10"), "other+0x10");
    }
}
