//! `cargo xtask profile -- COMMAND`: boot Courage, run COMMAND with the
//! sampling profiler on (`/proc/profiling`, the command and every child it
//! forks), and write the report, the folded stacks and a flame graph.

use std::fs;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::{Options, kernel, tools, userspace};

/// Runs the profile and prints where the results went.
pub fn run(options: &Options) -> Result<ExitCode, String> {
    let command = options.cmdline.join(" ");
    if command.is_empty() {
        return Err(
            "usage: cargo xtask profile [--release] [--cpus N] [--add HOST[=GUEST]] -- COMMAND..."
                .into(),
        );
    }
    tools::ensure(&[tools::QEMU, tools::USERSPACE])?;
    let kernel = kernel::build(options.profile)?;
    let extra = userspace::extra_files(&options.add)?;
    let initrd = userspace::initramfs_with(userspace::Flavour::Test, &extra)?;
    let cpus = options.cpus.unwrap_or(1);
    eprintln!("xtask: profiling `{command}` on Courage, {cpus} CPUs");
    let (report, output) =
        tests::profile::record(&kernel, &initrd, &command, cpus, Duration::from_secs(900))?;
    // What the command printed: everything before the report.
    if let Some((printed, _)) = output.split_once("@@courage-profile-begin@@") {
        print!("{printed}");
    }
    let user_programs = kernel::root().join("target/courage/user");
    let mut symbolizer = tests::profile::Symbolizer::new(|guest: &str| {
        extra
            .iter()
            .find(|(_, path)| guest.trim_start_matches('/') == path)
            .map(|(host, _)| host.clone())
            .or_else(|| tests::profile::test_initramfs_file(&user_programs, guest))
    });
    let folded = symbolizer.fold(&report);
    let out = kernel::root().join("target/courage/profile");
    fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    let write = |name: &str, text: &str| -> Result<PathBuf, String> {
        let path = out.join(name);
        fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(path)
    };
    let report_path = write("report.txt", &report)?;
    let folded_path = write("profile.folded", &(folded.join("\n") + "\n"))?;
    let svg_path = out.join("flamegraph.svg");
    let svg = fs::File::create(&svg_path).map_err(|e| format!("{}: {e}", svg_path.display()))?;
    let mut flame_options = inferno::flamegraph::Options::default();
    flame_options.title = format!("Courage: {command}");
    flame_options.count_name = "samples".into();
    inferno::flamegraph::from_lines(
        &mut flame_options,
        folded.iter().map(String::as_str),
        std::io::BufWriter::new(svg),
    )
    .map_err(|e| format!("flame graph: {e}"))?;
    let total: u64 = folded
        .iter()
        .filter_map(|line| line.rsplit_once(' ')?.1.parse::<u64>().ok())
        .sum();
    let mut heaviest = folded.clone();
    heaviest.sort_by_key(|line| {
        std::cmp::Reverse(
            line.rsplit_once(' ')
                .and_then(|(_, n)| n.parse::<u64>().ok()),
        )
    });
    eprintln!("xtask: {total} samples; heaviest stacks:");
    for line in heaviest.iter().take(5) {
        eprintln!("  {line}");
    }
    eprintln!(
        "xtask: wrote {}, {} and {}",
        report_path.display(),
        folded_path.display(),
        svg_path.display()
    );
    Ok(ExitCode::SUCCESS)
}
