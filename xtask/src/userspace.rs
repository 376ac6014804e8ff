//! User space for the kernel: Debian's busybox-static, the project's own C
//! programs (built static with musl-gcc and with gcc/glibc), and the
//! reproducible initramfs that holds them.
//!
//! busybox is fetched once with `apt-get download busybox-static` into a
//! cache outside the repository (`$COURAGE_CACHE`, else
//! `$XDG_CACHE_HOME/courage`, else `~/.cache/courage`) and never committed.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cpio::{self, Entry};
use crate::kernel;

/// The cache directory for downloaded packages.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("COURAGE_CACHE") {
        return PathBuf::from(dir);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("courage")
}

fn run(command: &mut Command, what: &str) -> Result<(), String> {
    let output = command
        .output()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// Debian's static busybox, downloaded on first use.
pub fn busybox() -> Result<PathBuf, String> {
    let cache = cache_dir();
    let binary = cache.join("busybox");
    if binary.exists() {
        return Ok(binary);
    }
    fs::create_dir_all(&cache).map_err(|e| e.to_string())?;
    let work = cache.join("busybox-deb");
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    eprintln!(
        "xtask: fetching Debian's busybox-static with apt-get download (cached in {})",
        cache.display()
    );
    let download = |work: &Path| {
        run(
            Command::new("apt-get")
                .current_dir(work)
                .args(["download", "busybox-static"]),
            "apt-get download busybox-static",
        )
    };
    if download(&work).is_err() {
        // Fresh machines have no package lists yet.
        let _ = run(
            Command::new("apt-get").args(["update", "-qq"]),
            "apt-get update",
        );
        download(&work)?;
    }
    let deb = fs::read_dir(&work)
        .map_err(|e| e.to_string())?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "deb"))
        .ok_or("apt-get download gave no .deb")?;
    let root = work.join("root");
    run(
        Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&root),
        "dpkg-deb -x",
    )?;
    fs::copy(root.join("bin/busybox"), &binary).map_err(|e| e.to_string())?;
    let _ = fs::remove_dir_all(&work);
    Ok(binary)
}

/// A C compiler flavour for the test programs.
#[derive(Clone, Copy, Debug)]
pub enum Libc {
    /// `musl-gcc -static`.
    Musl,
    /// `gcc -static` (glibc).
    Glibc,
}

impl Libc {
    fn compiler(self) -> &'static str {
        match self {
            Libc::Musl => "musl-gcc",
            Libc::Glibc => "gcc",
        }
    }

    /// The directory name in the initramfs.
    pub fn name(self) -> &'static str {
        match self {
            Libc::Musl => "musl",
            Libc::Glibc => "glibc",
        }
    }
}

/// The C sources of the user-space test programs.
pub fn program_sources() -> Result<Vec<PathBuf>, String> {
    c_sources(&kernel::root().join("tests").join("user"))
}

/// The `.c` files in `dir`, sorted.
fn c_sources(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut sources: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "c"))
        .collect();
    sources.sort();
    Ok(sources)
}

/// Compiles every test program with `libc`, skipping those that are up to
/// date; returns (name, binary) pairs.
pub fn build_programs(libc: Libc) -> Result<Vec<(String, PathBuf)>, String> {
    let out = kernel::root().join("target/courage/user").join(libc.name());
    compile_all(libc, &program_sources()?, &out)
}

/// The test runner's own helpers (`tests/user-tools`, not tests), built
/// with musl for `/tests/bin`.
fn build_runner_tools() -> Result<Vec<(String, PathBuf)>, String> {
    let sources = c_sources(&kernel::root().join("tests").join("user-tools"))?;
    let out = kernel::root().join("target/courage/user/tools");
    compile_all(Libc::Musl, &sources, &out)
}

/// Compiles each of `sources` with `libc` into `out`, skipping binaries
/// newer than their source; returns (name, binary) pairs.
fn compile_all(
    libc: Libc,
    sources: &[PathBuf],
    out: &Path,
) -> Result<Vec<(String, PathBuf)>, String> {
    fs::create_dir_all(out).map_err(|e| e.to_string())?;
    let mut built = Vec::new();
    for source in sources {
        let name = source
            .file_stem()
            .and_then(|s| s.to_str())
            .ok_or("bad file name")?
            .to_string();
        let binary = out.join(&name);
        let stale = match (fs::metadata(source), fs::metadata(&binary)) {
            (Ok(s), Ok(b)) => s.modified().ok() > b.modified().ok(),
            _ => true,
        };
        if stale {
            run(
                Command::new(libc.compiler())
                    .args([
                        "-static",
                        "-O2",
                        "-g",
                        "-Wall",
                        "-pthread",
                        "-fno-omit-frame-pointer",
                        "-o",
                    ])
                    .arg(&binary)
                    .arg(source)
                    // After the source: glibc keeps fenv and math in libm.
                    .arg("-lm"),
                &format!("{} {}", libc.compiler(), source.display()),
            )?;
        }
        built.push((name, binary));
    }
    Ok(built)
}

/// Which initramfs to build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavour {
    /// busybox and an `/init` that starts a shell on the console.
    Interactive,
    /// Also the test programs and `/init` running them all.
    Test,
}

const INTERACTIVE_INIT: &str = "#!/bin/sh
# Courage's default init: mount what exists, then a shell on the console.
mount -t proc proc /proc 2>/dev/null
mount -t tmpfs tmpfs /tmp 2>/dev/null
echo 'Welcome to Courage. This is busybox sh; `exit` powers off.'
# A session of its own with the console as its controlling terminal, so
# job control works: ^C, ^Z, fg, bg.
setsid -c /bin/sh
poweroff -f
";

const TEST_INIT: &str = r#"#!/bin/sh
# Runs every user-space test and reports `utests: N passed, M failed`.
mount -t proc proc /proc 2>/dev/null
passed=0
failed=0
# Under fault injection (failalloc= on the kernel command line) allocations
# fail only for processes marked in /proc/PID/make-it-fail: each test is
# marked, not this runner. A test may then wait forever for something a
# failed allocation never made: cap each with an alarm that survives exec
# (a watcher process's own fork or exec could fail and leave it unbounded).
faults=
case " $(cat /proc/cmdline 2>/dev/null) " in
*" failalloc="*) faults=yes ;;
esac
run() {
    if [ -n "$faults" ]; then
        (echo 1 > /proc/self/make-it-fail && exec /tests/bin/deadline 60 "$@")
    else
        "$@"
    fi
}
pass() { echo "utest $1 ... ok"; passed=$((passed + 1)); }
fail() { echo "utest $1 ... FAILED ($2)"; failed=$((failed + 1)); }
for test in /tests/musl/* /tests/glibc/*; do
    [ -x "$test" ] || continue
    run "$test" > /tmp/out 2>&1
    status=$?
    if [ $status -eq 0 ]; then
        pass "$test"
    else
        fail "$test" "status $status"
        cat /tmp/out
    fi
done
# busybox itself, the way a user runs it.
expect() {
    name=$1
    expected=$2
    shift 2
    actual=$("$@" 2>&1)
    if [ "$actual" = "$expected" ]; then pass "$name"; else fail "$name" "got '$actual'"; fi
}
expect dynamic-glibc-program "dynamic hello /tests/dynamic/hello" /tests/dynamic/hello
expect dynamic-program-without-its-interpreter 127 busybox sh -c 'busybox chroot /tests/no-loader /hello 2>/dev/null; echo $?'
expect deadline-alarm-ends-a-sleeper 142 busybox sh -c 'exec 2>/dev/null; /tests/bin/deadline 1 /bin/sleep 10; echo $?'
expect syscall-fuzz-every-call-shaped-musl 0 busybox sh -c 'cd /tmp && /tests/musl/syscall_fuzz 7 shaped; echo $?'
expect syscall-fuzz-every-call-shaped-glibc 0 busybox sh -c 'cd /tmp && /tests/glibc/syscall_fuzz 8 shaped; echo $?'
expect syscall-fuzz-wild-kernel-survives 0 busybox sh -c '/tests/musl/syscall_fuzz 12 wild; echo $?'
expect busybox-echo hello busybox echo hello
expect busybox-command-substitution ok busybox sh -c 'a=$(echo hi); [ "$a" = hi ] && echo ok'
expect busybox-pipe-to-wc 2 busybox sh -c 'echo x | busybox wc -c'
expect busybox-ls-l-root yes busybox sh -c 'busybox ls -l / | busybox grep -q " init$" && echo yes'
expect busybox-false-status 1 busybox sh -c 'busybox false; echo $?'
expect busybox-redirect-and-cat "two lines" busybox sh -c 'echo two lines > /tmp/f && busybox cat /tmp/f'
expect busybox-uname courage busybox uname -n
expect proc-ps-lists-init yes busybox sh -c 'busybox ps | busybox grep -q "^ *1 root .*init" && echo yes'
expect proc-self-fd-names-the-console "0 -> /dev/console" busybox sh -c 'busybox ls -l /proc/self/fd/ 2>/dev/null | busybox grep -o "0 -> /dev/console"'
expect proc-fd-names-a-pipe yes busybox sh -c 'busybox ls -l /proc/self/fd/ 2>/dev/null | busybox grep -q "1 -> pipe:\[[1-9][0-9]*\]" && echo yes'
expect proc-self-maps-shows-the-stack yes busybox sh -c 'busybox grep -q "rw-p 00000000 00:00 0 *\[stack\]" /proc/self/maps && echo yes'
expect proc-meminfo-has-memtotal yes busybox sh -c 'busybox grep -q "^MemTotal: *[0-9]* kB" /proc/meminfo && echo yes'
expect proc-self-exe-is-busybox /bin/busybox busybox readlink /proc/self/exe
expect proc-mounts-names-mount-points yes busybox sh -c 'busybox grep -q "^proc /proc proc " /proc/mounts && echo yes'
expect dmesg-shows-the-boot-banner yes busybox sh -c 'busybox dmesg | busybox grep -q "booted via" && echo yes'
# Last: it moves the wall clock.
expect date-s-sets-the-clock 2030-01-02 busybox sh -c 'busybox date -s "2030-01-02 03:04:05" >/dev/null && busybox date +%F'
echo "utests: $passed passed, $failed failed"
poweroff -f
"#;

/// Files to add to the initramfs: `HOST[=GUEST]` pairs from `--add` and
/// from `$COURAGE_INITRAMFS_ADD` (whitespace-separated). The guest path
/// defaults to `/root/` plus the file name; directories on the way are made.
pub fn extra_files(flags: &[String]) -> Result<Vec<(PathBuf, String)>, String> {
    let from_env = std::env::var("COURAGE_INITRAMFS_ADD").unwrap_or_default();
    flags
        .iter()
        .map(String::as_str)
        .chain(from_env.split_whitespace())
        .map(|spec| {
            let (host, guest) = match spec.split_once('=') {
                Some((host, guest)) => (host, guest.trim_start_matches('/').to_string()),
                None => {
                    let name = Path::new(spec)
                        .file_name()
                        .and_then(|n| n.to_str())
                        .ok_or_else(|| format!("--add {spec}: no file name"))?;
                    (spec, format!("root/{name}"))
                }
            };
            let host = PathBuf::from(host);
            if !host.is_file() {
                return Err(format!("--add {}: not a file", host.display()));
            }
            Ok((host, guest))
        })
        .collect()
}

/// Builds the initramfs and returns its path.
pub fn initramfs(flavour: Flavour) -> Result<PathBuf, String> {
    initramfs_with(flavour, &[])
}

/// Builds the initramfs with `extra` (host file, guest path) added.
pub fn initramfs_with(flavour: Flavour, extra: &[(PathBuf, String)]) -> Result<PathBuf, String> {
    let busybox = busybox()?;
    let mut entries = Vec::new();
    for dir in [
        "bin", "sbin", "usr", "usr/bin", "usr/sbin", "dev", "proc", "tmp", "etc", "root",
    ] {
        entries.push(Entry::Directory {
            path: dir.into(),
            mode: if dir == "tmp" { 0o1777 } else { 0o755 },
        });
    }
    entries.push(Entry::File {
        path: "bin/busybox".into(),
        mode: 0o755,
        data: fs::read(&busybox).map_err(|e| e.to_string())?,
    });
    // One symlink per applet, where Debian's busybox installs it.
    let list = Command::new(&busybox)
        .arg("--list-full")
        .output()
        .map_err(|e| format!("cannot run busybox --list-full: {e}"))?;
    for applet in String::from_utf8_lossy(&list.stdout).lines() {
        let applet = applet.trim();
        if applet.is_empty() || applet == "bin/busybox" || applet.starts_with("linuxrc") {
            continue;
        }
        let depth = applet.matches('/').count();
        let target = format!("{}bin/busybox", "../".repeat(depth));
        entries.push(Entry::Symlink {
            path: applet.into(),
            target,
        });
    }
    entries.push(Entry::File {
        path: "etc/passwd".into(),
        mode: 0o644,
        data: b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n".to_vec(),
    });
    entries.push(Entry::File {
        path: "etc/group".into(),
        mode: 0o644,
        data: b"root:x:0:\nnogroup:x:65534:\n".to_vec(),
    });
    entries.push(Entry::File {
        path: "etc/hostname".into(),
        mode: 0o644,
        data: b"courage\n".to_vec(),
    });
    // What every system has, so "localhost" resolves without DNS.
    entries.push(Entry::File {
        path: "etc/hosts".into(),
        mode: 0o644,
        data: b"127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\tcourage\n"
            .to_vec(),
    });
    let init = match flavour {
        Flavour::Interactive => INTERACTIVE_INIT,
        Flavour::Test => TEST_INIT,
    };
    entries.push(Entry::File {
        path: "init".into(),
        mode: 0o755,
        data: init.as_bytes().to_vec(),
    });
    if flavour == Flavour::Test {
        entries.push(Entry::Directory {
            path: "tests".into(),
            mode: 0o755,
        });
        for libc in [Libc::Musl, Libc::Glibc] {
            entries.push(Entry::Directory {
                path: format!("tests/{}", libc.name()),
                mode: 0o755,
            });
            for (name, binary) in build_programs(libc)? {
                entries.push(Entry::File {
                    path: format!("tests/{}/{name}", libc.name()),
                    mode: 0o755,
                    data: fs::read(&binary).map_err(|e| e.to_string())?,
                });
            }
        }
    }
    if flavour == Flavour::Test {
        dynamic_entries(&mut entries)?;
        entries.push(Entry::Directory {
            path: "tests/bin".into(),
            mode: 0o755,
        });
        for (name, binary) in build_runner_tools()? {
            entries.push(Entry::File {
                path: format!("tests/bin/{name}"),
                mode: 0o755,
                data: fs::read(&binary).map_err(|e| e.to_string())?,
            });
        }
    }
    for (host, guest) in extra {
        let mut dir = String::new();
        let components: Vec<&str> = guest.split('/').collect();
        for component in &components[..components.len() - 1] {
            dir = if dir.is_empty() {
                component.to_string()
            } else {
                format!("{dir}/{component}")
            };
            let exists = entries
                .iter()
                .any(|e| matches!(e, Entry::Directory { path, .. } if *path == dir));
            if !exists {
                entries.push(Entry::Directory {
                    path: dir.clone(),
                    mode: 0o755,
                });
            }
        }
        entries.push(Entry::File {
            path: guest.clone(),
            mode: 0o755,
            data: fs::read(host).map_err(|e| format!("{}: {e}", host.display()))?,
        });
    }
    let out = kernel::root().join("target/courage");
    fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    let path = out.join(match flavour {
        Flavour::Interactive => "initramfs.cpio",
        Flavour::Test => "initramfs-test.cpio",
    });
    fs::write(&path, cpio::archive(&entries)).map_err(|e| e.to_string())?;
    Ok(path)
}

/// The build machine's glibc loader and libc, a dynamically linked test
/// program that needs them, and a chroot that lacks them (exec must say
/// ENOENT for the missing interpreter). Copied at build time, never committed.
fn dynamic_entries(entries: &mut Vec<Entry>) -> Result<(), String> {
    let loader = fs::canonicalize("/lib64/ld-linux-x86-64.so.2")
        .map_err(|e| format!("glibc's loader: {e}"))?;
    let libc = fs::canonicalize("/lib/x86_64-linux-gnu/libc.so.6")
        .map_err(|e| format!("glibc's libc.so.6: {e}"))?;
    let source = kernel::root().join("tests/user-dynamic/dynamic_hello.c");
    let out = kernel::root().join("target/courage/user/dynamic");
    fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    let binary = out.join("hello");
    run(
        Command::new("gcc")
            .args(["-O2", "-o"])
            .arg(&binary)
            .arg(&source),
        "gcc (dynamic)",
    )?;
    let read = |p: &Path| fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    for dir in [
        "lib",
        "lib/x86_64-linux-gnu",
        "lib64",
        "tests/dynamic",
        "tests/no-loader",
    ] {
        entries.push(Entry::Directory {
            path: dir.into(),
            mode: 0o755,
        });
    }
    entries.push(Entry::File {
        path: "lib/x86_64-linux-gnu/ld-linux-x86-64.so.2".into(),
        mode: 0o755,
        data: read(&loader)?,
    });
    entries.push(Entry::File {
        path: "lib/x86_64-linux-gnu/libc.so.6".into(),
        mode: 0o755,
        data: read(&libc)?,
    });
    entries.push(Entry::Symlink {
        path: "lib64/ld-linux-x86-64.so.2".into(),
        target: "../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2".into(),
    });
    let program = read(&binary)?;
    entries.push(Entry::File {
        path: "tests/dynamic/hello".into(),
        mode: 0o755,
        data: program.clone(),
    });
    entries.push(Entry::File {
        path: "tests/no-loader/hello".into(),
        mode: 0o755,
        data: program,
    });
    Ok(())
}
