//! From `execve(path, argv)` to the program actually loaded: scripts,
//! interpreters and the errors a caller sees.

mod common;

use std::collections::HashMap;

use abi::{Errno, KernelResult};
use common::{Ph, static_image, static_segments};
use elf::raw::{ET_DYN, ET_EXEC, PF_R, PT_INTERP};
use elf::{ExecFs, MAX_SCRIPT_DEPTH, ReadAt, ResolvedExec, resolve_exec};

/// An open file in [`Files`].
#[derive(Debug)]
struct OpenFile(Vec<u8>);

impl ReadAt for OpenFile {
    fn size(&self) -> u64 {
        self.0.len() as u64
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> KernelResult<usize> {
        let mut bytes = &self.0[..];
        bytes.read_at(offset, buf)
    }
}

/// A file system of whole files by path, recording what exec opened.
#[derive(Default)]
struct Files {
    files: HashMap<Vec<u8>, Vec<u8>>,
    opened: Vec<String>,
}

impl Files {
    fn with(mut self, path: &str, contents: impl Into<Vec<u8>>) -> Files {
        self.files.insert(path.as_bytes().to_vec(), contents.into());
        self
    }
}

impl ExecFs for Files {
    type File = OpenFile;
    fn open_executable(&mut self, path: &[u8]) -> KernelResult<OpenFile> {
        self.opened.push(String::from_utf8_lossy(path).into_owned());
        self.files
            .get(path)
            .cloned()
            .map(OpenFile)
            .ok_or(Errno::ENOENT)
    }
}

fn args(list: &[&str]) -> Vec<Vec<u8>> {
    list.iter().map(|s| s.as_bytes().to_vec()).collect()
}

fn strings(list: &[Vec<u8>]) -> Vec<String> {
    list.iter()
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect()
}

fn dynamic_image(interp: &str) -> Vec<u8> {
    let mut phdrs = static_segments();
    phdrs.push(Ph::other(
        PT_INTERP,
        PF_R,
        0x300,
        0x40_0300,
        interp.len() as u64 + 1,
    ));
    let mut bytes = common::image(ET_EXEC, 0x40_1000, &phdrs, common::STATIC_LEN);
    bytes[0x300..0x300 + interp.len()].copy_from_slice(interp.as_bytes());
    bytes
}

fn ld_so() -> Vec<u8> {
    common::image(
        ET_DYN,
        0x1000,
        &[Ph::load(PF_R | 1, 0x1000, 0x1000, 0x10, 0x10)],
        0x1010,
    )
}

fn run(fs: &mut Files, path: &str, argv: &[&str]) -> KernelResult<ResolvedExec<OpenFile>> {
    resolve_exec(fs, path.as_bytes(), args(argv))
}

#[test]
fn static_program_runs_itself_with_its_arguments() {
    let mut fs = Files::default().with("/bin/true", static_image());
    let exec = run(&mut fs, "/bin/true", &["true", "-x"]).unwrap();
    assert_eq!(strings(&exec.argv), ["true", "-x"]);
    assert_eq!(exec.execfn, b"/bin/true");
    assert!(exec.interpreter.is_none());
    assert_eq!(exec.program.elf.entry(), 0x40_1000);
}

#[test]
fn dynamic_program_opens_its_interpreter() {
    let mut fs = Files::default()
        .with("/bin/ls", dynamic_image("/lib/ld.so"))
        .with("/lib/ld.so", ld_so());
    let exec = run(&mut fs, "/bin/ls", &["ls"]).unwrap();
    let interp = exec.interpreter.unwrap();
    assert_eq!(interp.file.0, ld_so());
    assert_eq!(fs.opened, ["/bin/ls", "/lib/ld.so"]);
}

#[test]
fn missing_interpreter_is_enoent() {
    let mut fs = Files::default().with("/bin/ls", dynamic_image("/lib64/ld-linux-x86-64.so.2"));
    assert_eq!(run(&mut fs, "/bin/ls", &["ls"]).err(), Some(Errno::ENOENT));
}

#[test]
fn interpreter_that_is_not_elf_is_enoexec() {
    let mut fs = Files::default()
        .with("/bin/ls", dynamic_image("/lib/ld.so"))
        .with("/lib/ld.so", "#!/bin/sh\n");
    assert_eq!(run(&mut fs, "/bin/ls", &["ls"]).err(), Some(Errno::ENOEXEC));
}

#[test]
fn missing_program_is_enoent_and_garbage_is_enoexec() {
    let mut fs = Files::default()
        .with("/junk", "hello world")
        .with("/empty", "")
        .with("/bad-elf", &static_image()[..100]);
    assert_eq!(run(&mut fs, "/nope", &["x"]).err(), Some(Errno::ENOENT));
    assert_eq!(run(&mut fs, "/junk", &["x"]).err(), Some(Errno::ENOEXEC));
    assert_eq!(run(&mut fs, "/empty", &["x"]).err(), Some(Errno::ENOEXEC));
    assert_eq!(run(&mut fs, "/bad-elf", &["x"]).err(), Some(Errno::ENOEXEC));
}

#[test]
fn script_runs_its_interpreter_with_the_script_path() {
    let mut fs = Files::default()
        .with("/bin/sh", static_image())
        .with("/tmp/hello", "#!/bin/sh -e\necho hello\n");
    let exec = run(&mut fs, "/tmp/hello", &["hello", "a", "b"]).unwrap();
    assert_eq!(
        strings(&exec.argv),
        ["/bin/sh", "-e", "/tmp/hello", "a", "b"]
    );
    assert_eq!(exec.execfn, b"/tmp/hello");
    assert_eq!(fs.opened, ["/tmp/hello", "/bin/sh"]);
}

#[test]
fn script_with_missing_interpreter_is_enoent() {
    let mut fs = Files::default().with("/tmp/s", "#!/no/such/shell\n");
    assert_eq!(run(&mut fs, "/tmp/s", &["s"]).err(), Some(Errno::ENOENT));
}

#[test]
fn malformed_script_is_enoexec() {
    let mut fs = Files::default().with("/tmp/s", "#!   \n");
    assert_eq!(run(&mut fs, "/tmp/s", &["s"]).err(), Some(Errno::ENOEXEC));
}

#[test]
fn nested_scripts_work_up_to_the_linux_depth_then_eloop() {
    let chain = |scripts: usize| {
        let mut fs = Files::default().with("/bin/real", static_image());
        for i in 0..scripts {
            let next = if i + 1 == scripts {
                "/bin/real".to_string()
            } else {
                format!("/s{}", i + 1)
            };
            fs = fs.with(&format!("/s{i}"), format!("#!{next}\n"));
        }
        fs
    };
    let mut fs = chain(MAX_SCRIPT_DEPTH);
    let exec = run(&mut fs, "/s0", &["s0", "arg"]).unwrap();
    assert_eq!(
        strings(&exec.argv),
        ["/bin/real", "/s4", "/s3", "/s2", "/s1", "/s0", "arg"]
    );
    let mut fs = chain(MAX_SCRIPT_DEPTH + 1);
    assert_eq!(run(&mut fs, "/s0", &["s0"]).err(), Some(Errno::ELOOP));
}

#[test]
fn empty_argv_gets_an_empty_argv0() {
    let mut fs = Files::default()
        .with("/bin/true", static_image())
        .with("/s", "#!/bin/true\n");
    let exec = run(&mut fs, "/bin/true", &[]).unwrap();
    assert_eq!(strings(&exec.argv), [""]);
    let exec = run(&mut fs, "/s", &[]).unwrap();
    assert_eq!(strings(&exec.argv), ["/bin/true", "/s"]);
}
