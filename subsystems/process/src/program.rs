//! What `execve` leaves behind that `/proc` shows: the executable, the
//! arguments and the environment, kept with the process so that they go
//! when it does.

use alloc::vec::Vec;

use crate::env::ProcessEnv;

/// The program a process runs, as its last `execve` set it up.
pub struct Program<E: ProcessEnv> {
    /// The executable (`/proc/<pid>/exe`); `None` before the first exec
    /// and once the process has exited.
    pub exe: Option<E::Custody>,
    /// The arguments, each followed by a NUL (`/proc/<pid>/cmdline`).
    pub cmdline: Vec<u8>,
    /// The environment, each entry followed by a NUL
    /// (`/proc/<pid>/environ`).
    pub environ: Vec<u8>,
    /// The auxiliary vector the program started with, as on its stack
    /// (a core file's `NT_AUXV`).
    pub auxv: Vec<u8>,
}

impl<E: ProcessEnv> Default for Program<E> {
    fn default() -> Self {
        Program {
            exe: None,
            cmdline: Vec::new(),
            environ: Vec::new(),
            auxv: Vec::new(),
        }
    }
}

impl<E: ProcessEnv> Clone for Program<E> {
    fn clone(&self) -> Self {
        Program {
            exe: self.exe.clone(),
            cmdline: self.cmdline.clone(),
            environ: self.environ.clone(),
            auxv: self.auxv.clone(),
        }
    }
}

impl<E: ProcessEnv> Program<E> {
    /// The record of an exec of `exe` with `argv` and `envp`.
    pub fn new(exe: Option<E::Custody>, argv: &[Vec<u8>], envp: &[Vec<u8>]) -> Self {
        Program {
            exe,
            cmdline: nul_joined(argv),
            environ: nul_joined(envp),
            auxv: Vec::new(),
        }
    }
}

fn nul_joined(strings: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(strings.iter().map(|s| s.len() + 1).sum());
    for s in strings {
        out.extend_from_slice(s);
        out.push(0);
    }
    out
}
