//! Deciding what an `execve(path, argv)` actually runs: following `#!`
//! scripts to their interpreters (at most [`MAX_SCRIPT_DEPTH`] deep, like
//! Linux) and opening the dynamic linker a program names in `PT_INTERP`.
//!
//! The file system is reached only through [`ExecFs`], which the kernel
//! implements (path resolution, permission and `noexec` checks are its job).

use alloc::vec::Vec;

use abi::{Errno, KernelResult};

use crate::header::ElfFile;
use crate::shebang::{SHEBANG_BUF_LEN, Shebang};
use crate::source::{ReadAt, read_prefix_at};

/// Most `#!` hops from the executed file to an ELF program; one more is
/// `ELOOP` (Linux allows 5 nested interpreters).
pub const MAX_SCRIPT_DEPTH: usize = 5;

/// How exec opens files.
pub trait ExecFs {
    /// An open executable.
    type File: ReadAt;

    /// Opens `path` for execution, with the errors Linux's `open_exec`
    /// gives (`ENOENT`, `EACCES`, `ENOTDIR`, `ELOOP`, ...).
    fn open_executable(&mut self, path: &[u8]) -> KernelResult<Self::File>;
}

/// An open ELF file and its validated headers.
#[derive(Debug)]
pub struct Executable<F> {
    /// The open file, to map segments from.
    pub file: F,
    /// Its parsed headers.
    pub elf: ElfFile,
}

/// Everything exec needs to load, once scripts and interpreters are found.
#[derive(Debug)]
pub struct ResolvedExec<F> {
    /// The ELF program to load (the last interpreter for a script).
    pub program: Executable<F>,
    /// Its dynamic linker, if it names one.
    pub interpreter: Option<Executable<F>>,
    /// The argument vector after `#!` rewriting (never empty).
    pub argv: Vec<Vec<u8>>,
    /// The path exec was called with, for `AT_EXECFN`.
    pub execfn: Vec<u8>,
}

/// Resolves `execve(path, argv)`.
///
/// An empty `argv` becomes `[""]`, as on Linux since 5.18, so programs
/// never see `argc == 0`.
///
/// Errors: `ENOEXEC` for a file that is neither a valid ELF executable nor
/// a well-formed script (including a `PT_INTERP` target that is not ELF);
/// `ELOOP` past [`MAX_SCRIPT_DEPTH`] scripts; whatever
/// [`ExecFs::open_executable`] or a read returns (so a missing interpreter
/// is `ENOENT`).
pub fn resolve_exec<X: ExecFs>(
    fs: &mut X,
    path: &[u8],
    mut argv: Vec<Vec<u8>>,
) -> KernelResult<ResolvedExec<X::File>> {
    if argv.is_empty() {
        argv.push(Vec::new());
    }
    let mut current_path = path.to_vec();
    for _depth in 0..=MAX_SCRIPT_DEPTH {
        let mut file = fs.open_executable(&current_path)?;
        let mut prefix = [0u8; SHEBANG_BUF_LEN];
        let n = read_prefix_at(&mut file, 0, &mut prefix)?;
        let prefix = &prefix[..n];
        if Shebang::is_script(prefix) {
            let shebang = Shebang::parse(prefix)?;
            // The script is passed to its interpreter by the path it was
            // executed as (Linux's bprm->interp).
            argv = shebang.rewrite_argv(&current_path, &argv);
            current_path = shebang.interpreter;
            continue;
        }
        if !ElfFile::has_magic(prefix) {
            return Err(Errno::ENOEXEC);
        }
        let elf = ElfFile::parse(&mut file)?;
        let interpreter = match elf.interpreter() {
            Some(interp_path) => {
                let mut interp_file = fs.open_executable(interp_path)?;
                let interp_elf = ElfFile::parse(&mut interp_file)?;
                Some(Executable {
                    file: interp_file,
                    elf: interp_elf,
                })
            }
            None => None,
        };
        return Ok(ResolvedExec {
            program: Executable { file, elf },
            interpreter,
            argv,
            execfn: path.to_vec(),
        });
    }
    Err(Errno::ELOOP)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    /// A file system where every path is a script naming the next one.
    struct EndlessScripts;

    impl ExecFs for EndlessScripts {
        type File = &'static [u8];
        fn open_executable(&mut self, _path: &[u8]) -> KernelResult<&'static [u8]> {
            Ok(b"#!/loop\n")
        }
    }

    #[test]
    fn script_loop_is_eloop() {
        assert_eq!(
            resolve_exec(&mut EndlessScripts, b"/loop", vec![]).map(|_| ()),
            Err(Errno::ELOOP)
        );
    }
}
