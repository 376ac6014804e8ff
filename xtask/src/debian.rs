//! Debian programs a QEMU test runs on Courage as a user would, appended
//! to the test initramfs (concatenated archives unpack as one, as on
//! Linux): `strace` and `stress-ng` with the libraries they link, and
//! Python 3.11 with the standard-library modules its `pty` test imports.
//! Copied from the build machine at build time, never committed.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cpio::{Entry, archive};
use crate::kernel;
use crate::tools::Tool;

/// The host programs the tests use: the archive holds strace, Python and
/// stress-ng; gdb goes into its own (`with_gdb`).
pub const PROGRAMS: &[Tool] = &[
    Tool {
        probe: "strace",
        package: "strace",
    },
    Tool {
        probe: "/usr/bin/python3.11",
        package: "python3.11-minimal",
    },
    // The host's gdb reads a core Courage wrote; the same gdb, with its
    // libraries, debugs a program inside Courage.
    Tool {
        probe: "gdb",
        package: "gdb",
    },
    // Debian's stress-ng runs its event-descriptor, socket, lock and timer
    // stressors on Courage.
    Tool {
        probe: "stress-ng",
        package: "stress-ng",
    },
];

/// Debian's Python, run with `-S` (no site packages).
const PYTHON: &str = "/usr/bin/python3.11";

/// The Python test programs, run from `/tests/python`.
const PYTHON_TESTS: &[&str] = &["pty_test.py", "shutil_test.py"];

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

/// The standard-library files the Python tests import, as the host's
/// interpreter loads them (asked at build time, so the list follows
/// Debian's Python).
fn python_modules() -> Result<Vec<PathBuf>, String> {
    let script = "import sys, pty, tty, os, select, signal, time, errno, shutil\n\
                  for m in sys.modules.values():\n\
                  \x20   f = getattr(m, '__file__', None)\n\
                  \x20   if f: print(f)";
    let output = Command::new(PYTHON)
        .args(["-S", "-c", script])
        .output()
        .map_err(|e| format!("cannot run {PYTHON}: {e}"))?;
    if !output.status.success() {
        return Err(format!("{PYTHON} failed to list its modules"));
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(PathBuf::from)
        .collect())
}

/// The directories the test initramfs has already, which appended
/// archives must not make again.
fn base_directories() -> std::collections::BTreeSet<String> {
    [
        "usr",
        "usr/bin",
        "lib",
        "lib/x86_64-linux-gnu",
        "lib64",
        "tests",
    ]
    .into_iter()
    .map(String::from)
    .collect()
}

/// Adds `path` (a host file) at the same path, with the directories on
/// the way that `dirs` does not have yet.
fn add_file(
    entries: &mut Vec<Entry>,
    dirs: &mut std::collections::BTreeSet<String>,
    path: &Path,
) -> Result<(), String> {
    let guest = path.to_string_lossy().trim_start_matches('/').to_string();
    let mut dir = String::new();
    for part in guest
        .split('/')
        .collect::<Vec<_>>()
        .split_last()
        .map_or(&[][..], |(_, d)| d)
    {
        if !dir.is_empty() {
            dir.push('/');
        }
        dir.push_str(part);
        if dirs.insert(dir.clone()) {
            entries.push(Entry::Directory {
                path: dir.clone(),
                mode: 0o755,
            });
        }
    }
    let real = fs::canonicalize(path).map_err(|e| format!("{}: {e}", path.display()))?;
    entries.push(Entry::File {
        path: guest,
        mode: 0o755,
        data: fs::read(&real).map_err(|e| format!("{}: {e}", real.display()))?,
    });
    Ok(())
}

/// `initrd` followed by an archive holding strace, stress-ng and Python
/// with what they need at their host paths, and the Python tests in
/// `/tests/python`:
/// `target/courage/initramfs-debian.cpio`.
pub fn with_debian_programs(initrd: &Path) -> Result<PathBuf, String> {
    let strace = which("strace")?;
    let mut dirs = base_directories();
    let mut extra = Vec::new();
    let stress_ng = which("stress-ng")?;
    for file in libraries(&stress_ng)?.into_iter().chain([stress_ng]) {
        add_file(&mut extra, &mut dirs, &file)?;
    }
    let python = PathBuf::from(PYTHON);
    for file in libraries(&python)?
        .into_iter()
        .chain(python_modules()?)
        .chain([python])
    {
        add_file(&mut extra, &mut dirs, &file)?;
    }
    // Debian's service and protocol names (netbase), which getaddrinfo
    // and getservbyname read; optional, as hosts without them exist.
    for table in ["/etc/services", "/etc/protocols"] {
        if Path::new(table).exists() {
            add_file(&mut extra, &mut dirs, Path::new(table))?;
        }
    }
    for test in PYTHON_TESTS {
        let source = kernel::root().join("tests/user-python").join(test);
        extra.push(Entry::File {
            path: format!("tests/python/{test}"),
            mode: 0o644,
            data: fs::read(&source).map_err(|e| format!("{}: {e}", source.display()))?,
        });
    }
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
    entries.push(Entry::Directory {
        path: "tests/python".into(),
        mode: 0o755,
    });
    entries.extend(extra);
    let mut bytes = read(initrd)?;
    bytes.extend(archive(&entries));
    let out = kernel::root().join("target/courage/initramfs-debian.cpio");
    fs::write(&out, bytes).map_err(|e| e.to_string())?;
    Ok(out)
}

/// The Python modules gdb's embedded interpreter loads at start-up, as
/// the host's gdb reports them (asked at build time, so the list follows
/// Debian's gdb).
fn gdb_python_modules(gdb: &Path) -> Result<Vec<PathBuf>, String> {
    let script = "python import sys\n\
                  for m in list(sys.modules.values()):\n\
                  \x20   f = getattr(m, '__file__', None)\n\
                  \x20   if f: print(f)";
    let output = Command::new(gdb)
        .args(["-batch", "-nx", "-ex", script])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", gdb.display()))?;
    if !output.status.success() {
        return Err(format!(
            "{} failed to list its Python modules",
            gdb.display()
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(PathBuf::from)
        .filter(|path| path.is_file())
        .collect())
}

/// Every regular file under `dir` (for gdb's Python modules).
fn files_under(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    for entry in fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            files_under(&path, out)?;
        } else if path.is_file() {
            out.push(path);
        }
    }
    Ok(())
}

/// `initrd` followed by an archive with Debian's gdb: the binary, the
/// libraries it links (about 80 MiB, most of it ICU's data, so this is an
/// archive of its own that only the gdb test boots), the Python standard
/// library modules its embedded interpreter needs to start, and gdb's own
/// Python modules: `target/courage/initramfs-gdb.cpio`.
pub fn with_gdb(initrd: &Path) -> Result<PathBuf, String> {
    let gdb = fs::canonicalize(which("gdb")?).map_err(|e| e.to_string())?;
    let mut dirs = base_directories();
    let mut entries = Vec::new();
    let mut files = libraries(&gdb)?;
    files.extend(gdb_python_modules(&gdb)?);
    // gdb's own modules, and every codec: the locale picks one at start.
    for dir in ["/usr/share/gdb/python", "/usr/lib/python3.11/encodings"] {
        if Path::new(dir).is_dir() {
            files_under(Path::new(dir), &mut files)?;
        }
    }
    files.retain(|path| path.extension().is_none_or(|x| x != "pyc"));
    files.push(gdb);
    // The debugged program's source at the path its line table names, so
    // gdb lists lines as on the build machine.
    files.push(kernel::root().join("tests/user/debugee.c"));
    files.sort();
    files.dedup();
    for file in files {
        add_file(&mut entries, &mut dirs, &file)?;
    }
    // Python finds its platform libraries by this directory's existence.
    let dynload = "usr/lib/python3.11/lib-dynload";
    if Path::new("/").join(dynload).is_dir() && dirs.insert(dynload.into()) {
        entries.push(Entry::Directory {
            path: dynload.into(),
            mode: 0o755,
        });
    }
    let mut bytes = fs::read(initrd).map_err(|e| format!("{}: {e}", initrd.display()))?;
    bytes.extend(archive(&entries));
    let out = kernel::root().join("target/courage/initramfs-gdb.cpio");
    fs::write(&out, bytes).map_err(|e| e.to_string())?;
    Ok(out)
}

/// The path of `program` on the host's PATH.
pub fn which(program: &str) -> Result<PathBuf, String> {
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
