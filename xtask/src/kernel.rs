//! Building the kernel: the stable-Rust recipe and the symbol-table relink.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The host triple the kernel is compiled for (see DESIGN.md).
pub const TARGET: &str = "x86_64-unknown-linux-gnu";

/// Codegen flags every kernel crate is compiled with.
const RUSTFLAGS: &[&str] = &[
    "-Crelocation-model=static",
    "-Ccode-model=kernel",
    "-Cno-redzone=yes",
    "-Cforce-frame-pointers=yes",
];

/// Debug or release.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// `dev` profile.
    Debug,
    /// `release` profile.
    Release,
}

impl Profile {
    /// The directory cargo writes this profile to.
    pub fn dir(self) -> &'static str {
        match self {
            Profile::Debug => "debug",
            Profile::Release => "release",
        }
    }
}

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// Where the kernel's own build lives, apart from host builds.
pub fn target_dir() -> PathBuf {
    root().join("target").join("kernel")
}

/// A cargo command with the kernel's flags and target directory.
pub fn cargo(subcommand: &str, profile: Profile) -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command
        .current_dir(root())
        .arg(subcommand)
        .args(["-p", "image", "--bin", "courage", "--target", TARGET])
        .arg("--target-dir")
        .arg(target_dir())
        .env_remove("RUSTFLAGS")
        .env("CARGO_ENCODED_RUSTFLAGS", RUSTFLAGS.join("\x1f"));
    if profile == Profile::Release {
        command.arg("--release");
    }
    command
}

fn cargo_build(profile: Profile, ksyms: &Path) -> Result<PathBuf, String> {
    let status = cargo("build", profile)
        .env("COURAGE_KSYMS", ksyms)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err("kernel build failed".into());
    }
    Ok(target_dir()
        .join(TARGET)
        .join(profile.dir())
        .join("courage"))
}

fn encoded_symbols(kernel: &Path) -> Result<Vec<u8>, String> {
    let data = fs::read(kernel).map_err(|e| format!("cannot read {}: {e}", kernel.display()))?;
    let symbols = tests::elf::text_symbols(&data).map_err(|e| e.to_string())?;
    Ok(ksyms::encode(symbols))
}

/// Builds the kernel and returns the path of its ELF.
///
/// The kernel embeds its own symbol table, which depends on the link that
/// embeds it. Build with the table from the previous build; if the new link's
/// symbols differ, write the new table and link again. The table sits after
/// all code (see the linker script), so the relink moves no function and the
/// second table is exact: this is checked, not assumed.
pub fn build(profile: Profile) -> Result<PathBuf, String> {
    let ksyms = target_dir().join(format!("ksyms-{}.bin", profile.dir()));
    if !ksyms.exists() {
        fs::create_dir_all(target_dir()).map_err(|e| e.to_string())?;
        fs::write(&ksyms, []).map_err(|e| e.to_string())?;
    }
    let kernel = cargo_build(profile, &ksyms)?;
    let table = encoded_symbols(&kernel)?;
    if fs::read(&ksyms).ok().as_deref() == Some(&table[..]) {
        return Ok(kernel);
    }
    fs::write(&ksyms, &table).map_err(|e| e.to_string())?;
    let kernel = cargo_build(profile, &ksyms)?;
    if encoded_symbols(&kernel)? != table {
        return Err(
            "relinking with the symbol table moved code; .ksyms must stay after .text and .rodata"
                .into(),
        );
    }
    Ok(kernel)
}
