//! Host tools: finding them, and installing the missing ones on Debian.

use std::path::Path;
use std::process::Command;

/// A tool a command needs, and the Debian package that provides it.
pub struct Tool {
    /// What is checked: a program on PATH, or an absolute file or directory.
    pub probe: &'static str,
    /// The Debian package that provides it.
    pub package: &'static str,
}

/// QEMU alone: enough to boot `-kernel`.
pub const QEMU: &[Tool] = &[Tool {
    probe: "qemu-system-x86_64",
    package: "qemu-system-x86",
}];

/// What `grub-mkrescue` needs for an ISO that boots on BIOS and UEFI.
pub const ISO: &[Tool] = &[
    Tool {
        probe: "grub-mkrescue",
        package: "grub-common",
    },
    Tool {
        probe: "/usr/lib/grub/i386-pc",
        package: "grub-pc-bin",
    },
    Tool {
        probe: "/usr/lib/grub/x86_64-efi",
        package: "grub-efi-amd64-bin",
    },
    Tool {
        probe: "xorriso",
        package: "xorriso",
    },
    Tool {
        probe: "mformat",
        package: "mtools",
    },
];

/// What the user-space build needs: static C compilers and the tools that
/// fetch and unpack Debian's busybox-static.
pub const USERSPACE: &[Tool] = &[
    Tool {
        probe: "musl-gcc",
        package: "musl-tools",
    },
    Tool {
        probe: "gcc",
        package: "gcc",
    },
    Tool {
        probe: "dpkg-deb",
        package: "dpkg",
    },
];

/// UEFI firmware.
pub const UEFI: &[Tool] = &[Tool {
    probe: "/usr/share/ovmf/OVMF.fd",
    package: "ovmf",
}];

fn present(tool: &Tool) -> bool {
    if tool.probe.starts_with('/') {
        return Path::new(tool.probe).exists();
    }
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(tool.probe).is_file()))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn have_sudo() -> bool {
    Command::new("sudo")
        .args(["-n", "true"])
        .status()
        .is_ok_and(|s| s.success())
}

/// Makes sure every tool in `sets` is present, installing the missing
/// packages with apt-get (as root or through passwordless sudo) and saying
/// so; otherwise fails with the list of packages to install.
pub fn ensure(sets: &[&[Tool]]) -> Result<(), String> {
    let mut missing: Vec<&str> = sets
        .iter()
        .flat_map(|set| set.iter())
        .filter(|tool| !present(tool))
        .map(|tool| tool.package)
        .collect();
    missing.sort();
    missing.dedup();
    if missing.is_empty() {
        return Ok(());
    }
    let list = missing.join(" ");
    let apt = Path::new("/usr/bin/apt-get").exists();
    let prefix: Option<&[&str]> = if !apt {
        None
    } else if is_root() {
        Some(&[])
    } else if have_sudo() {
        Some(&["sudo"])
    } else {
        None
    };
    let Some(prefix) = prefix else {
        return Err(format!(
            "missing host packages: {list}\n  install them (Debian/Ubuntu: sudo apt-get install {list}) and run again"
        ));
    };
    eprintln!("xtask: installing missing host packages with apt-get: {list}");
    let run = |args: &[&str]| -> Result<(), String> {
        let mut all: Vec<&str> = prefix.to_vec();
        all.extend_from_slice(args);
        let status = Command::new(all[0])
            .args(&all[1..])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .map_err(|e| format!("cannot run apt-get: {e}"))?;
        status
            .success()
            .then_some(())
            .ok_or_else(|| format!("`{}` failed", all.join(" ")))
    };
    run(&["apt-get", "update", "-qq"])?;
    let mut install = vec!["apt-get", "install", "-y", "-qq", "--no-install-recommends"];
    install.extend(missing.iter().copied());
    run(&install)?;
    let still: Vec<&str> = sets
        .iter()
        .flat_map(|set| set.iter())
        .filter(|tool| !present(tool))
        .map(|tool| tool.probe)
        .collect();
    if still.is_empty() {
        Ok(())
    } else {
        Err(format!("still missing after install: {}", still.join(", ")))
    }
}
