//! Debian's `strace` and the libraries it links, appended to the test
//! initramfs (concatenated archives unpack as one, as on Linux), so a
//! QEMU test traces programs on Courage as a user would. Copied from the
//! build machine at build time, never committed.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cpio::{Entry, archive};
use crate::kernel;
use crate::tools::Tool;

/// The host tool the archive is made from.
pub const STRACE: &[Tool] = &[Tool {
    probe: "strace",
    package: "strace",
}];

/// The shared libraries `binary` needs, as `ldd` resolves them.
fn libraries(binary: &Path) -> Result<Vec<PathBuf>, String> {
    let output = Command::new("ldd")
        .arg(binary)
        .output()
        .map_err(|e| format!("cannot run ldd: {e}"))?;
    if !output.status.success() {
        return Err(format!("ldd {} failed", binary.display()));
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            // "libx.so.1 => /lib/.../libx.so.1 (0x...)" or "/lib64/ld-linux... (0x...)"
            let path = match line.split_once("=>") {
                Some((_, rest)) => rest.split_whitespace().next()?,
                None => line.split_whitespace().next()?,
            };
            path.starts_with('/').then(|| PathBuf::from(path))
        })
        .collect())
}

/// `initrd` followed by an archive holding `/usr/bin/strace` and its
/// libraries at their host paths: `target/courage/initramfs-strace.cpio`.
pub fn with_strace(initrd: &Path) -> Result<PathBuf, String> {
    let strace = which("strace")?;
    let mut entries = vec![
        Entry::Directory {
            path: "usr".into(),
            mode: 0o755,
        },
        Entry::Directory {
            path: "usr/bin".into(),
            mode: 0o755,
        },
    ];
    let read = |p: &Path| fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    entries.push(Entry::File {
        path: "usr/bin/strace".into(),
        mode: 0o755,
        data: read(&strace)?,
    });
    for library in libraries(&strace)? {
        let guest = library
            .to_string_lossy()
            .trim_start_matches('/')
            .to_string();
        // The test initramfs has the directories and the loader already;
        // the archive only adds files (a later entry replaces an earlier).
        entries.push(Entry::File {
            path: guest,
            mode: 0o755,
            data: read(&fs::canonicalize(&library).map_err(|e| e.to_string())?)?,
        });
    }
    let mut bytes = read(initrd)?;
    bytes.extend(archive(&entries));
    let out = kernel::root().join("target/courage/initramfs-strace.cpio");
    fs::write(&out, bytes).map_err(|e| e.to_string())?;
    Ok(out)
}

fn which(program: &str) -> Result<PathBuf, String> {
    let output = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .map_err(|e| e.to_string())?;
    let path = String::from_utf8_lossy(&output.stdout).trim().to_string();
    if path.is_empty() {
        return Err(format!("{program} is not installed"));
    }
    Ok(PathBuf::from(path))
}
