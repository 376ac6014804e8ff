//! Links the kernel with its linker script and embeds the symbol table that
//! `cargo xtask build` extracted from the previous link (empty on the first).

use std::env;
use std::fs;
use std::path::PathBuf;

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let script = manifest_dir.join("linker.ld");
    for arg in [
        format!("-T{}", script.display()),
        "-nostdlib".into(),
        "-static".into(),
        "-Wl,--build-id=none".into(),
        "-Wl,-z,noexecstack".into(),
    ] {
        println!("cargo:rustc-link-arg-bin=courage={arg}");
    }
    println!("cargo:rerun-if-changed=linker.ld");

    let out = PathBuf::from(env::var("OUT_DIR").expect("set by cargo")).join("ksyms.bin");
    println!("cargo:rerun-if-env-changed=COURAGE_KSYMS");
    let blob = match env::var_os("COURAGE_KSYMS") {
        Some(path) => {
            println!("cargo:rerun-if-changed={}", PathBuf::from(&path).display());
            fs::read(&path).expect("COURAGE_KSYMS names a readable symbol table")
        }
        None => Vec::new(),
    };
    // Only rewrite on change so the kernel is not relinked needlessly.
    if fs::read(&out).ok().as_deref() != Some(&blob[..]) {
        fs::write(&out, &blob).expect("OUT_DIR is writable");
    }
}
