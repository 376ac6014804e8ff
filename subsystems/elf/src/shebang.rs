//! `#!` interpreter scripts, parsed the way Linux's `binfmt_script` does.
//!
//! Only the first [`SHEBANG_BUF_LEN`] bytes of the file are looked at. The
//! interpreter path ends at the first space, tab or NUL; everything after it
//! on the line, minus surrounding spaces and tabs, is ONE optional argument
//! (`#!/usr/bin/env -S a b` passes `-S a b` as a single argument).

use alloc::vec::Vec;

use abi::{Errno, KernelResult};

/// Bytes of a script Linux examines (`BINPRM_BUF_SIZE`).
pub const SHEBANG_BUF_LEN: usize = 256;

/// The interpreter line of a `#!` script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shebang {
    /// Path of the interpreter to execute instead of the script.
    pub interpreter: Vec<u8>,
    /// The optional single argument after the interpreter.
    pub argument: Option<Vec<u8>>,
}

fn is_space_or_tab(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn is_terminator(b: u8) -> bool {
    is_space_or_tab(b) || b == 0
}

impl Shebang {
    /// True if `prefix` (the first bytes of a file) starts with `#!`.
    pub fn is_script(prefix: &[u8]) -> bool {
        prefix.starts_with(b"#!")
    }

    /// Parses the `#!` line from the first bytes of a file (any bytes past
    /// [`SHEBANG_BUF_LEN`] are ignored; a shorter file is padded with NULs,
    /// as Linux's zeroed buffer is).
    ///
    /// Errors: `ENOEXEC` if the file does not start with `#!`, names no
    /// interpreter (an empty name included), or the interpreter path does not end within the buffer.
    pub fn parse(prefix: &[u8]) -> KernelResult<Shebang> {
        let mut buf = [0u8; SHEBANG_BUF_LEN];
        let n = prefix.len().min(SHEBANG_BUF_LEN);
        buf[..n].copy_from_slice(&prefix[..n]);
        if !Shebang::is_script(&buf) {
            return Err(Errno::ENOEXEC);
        }
        // The byte at SHEBANG_BUF_LEN - 1 is the C terminator: a line is at
        // most SHEBANG_BUF_LEN - 1 bytes including `#!`.
        let last = SHEBANG_BUF_LEN - 1;
        // Like strnchr, the newline search stops at the first NUL.
        let newline = buf
            .iter()
            .take_while(|&&b| b != 0)
            .position(|&b| b == b'\n');
        let mut line_end = match newline {
            Some(i) => i,
            None => {
                // No newline: only acceptable if the interpreter path itself
                // visibly ends (else it was cut short by the buffer).
                let name = (2..=last)
                    .find(|&i| !is_space_or_tab(buf[i]))
                    .ok_or(Errno::ENOEXEC)?;
                if !(name..=last).any(|i| is_terminator(buf[i])) {
                    return Err(Errno::ENOEXEC);
                }
                last
            }
        };
        while line_end > 2 && is_space_or_tab(buf[line_end - 1]) {
            line_end -= 1;
        }
        let line = &buf[..line_end];
        let name_start = (2..line_end)
            .find(|&i| !is_space_or_tab(line[i]))
            .ok_or(Errno::ENOEXEC)?;
        let name_end = (name_start..line_end)
            .find(|&i| is_terminator(line[i]))
            .unwrap_or(line_end);
        let argument = if name_end < line_end && line[name_end] != 0 {
            (name_end..line_end)
                .find(|&i| !is_space_or_tab(line[i]))
                .map(|start| c_string(&line[start..]))
        } else {
            None
        };
        // Linux would go on to open "" and fail with ENOENT; an empty name
        // is a malformed script either way.
        if name_end == name_start {
            return Err(Errno::ENOEXEC);
        }
        Ok(Shebang {
            interpreter: line[name_start..name_end].to_vec(),
            argument,
        })
    }

    /// The argument vector the interpreter runs with: `[interpreter,
    /// argument (if any), script_path, argv[1..]...]` (the script's own
    /// `argv[0]` is dropped, as on Linux).
    pub fn rewrite_argv(&self, script_path: &[u8], argv: &[Vec<u8>]) -> Vec<Vec<u8>> {
        let mut new_argv = Vec::with_capacity(argv.len() + 2);
        new_argv.push(self.interpreter.clone());
        if let Some(argument) = &self.argument {
            new_argv.push(argument.clone());
        }
        new_argv.push(script_path.to_vec());
        new_argv.extend(argv.iter().skip(1).cloned());
        new_argv
    }
}

/// The bytes of `bytes` up to its first NUL.
fn c_string(bytes: &[u8]) -> Vec<u8> {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    bytes[..end].to_vec()
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use alloc::vec;

    fn parse(text: &[u8]) -> KernelResult<(Vec<u8>, Option<Vec<u8>>)> {
        Shebang::parse(text).map(|s| (s.interpreter, s.argument))
    }

    #[test]
    fn interpreter_without_argument() {
        assert_eq!(
            parse(b"#!/bin/sh\necho hi\n"),
            Ok((b"/bin/sh".to_vec(), None))
        );
    }

    #[test]
    fn rest_of_line_is_one_argument_with_trailing_blanks_stripped() {
        assert_eq!(
            parse(b"#! \t/usr/bin/env  -S awk -f \t \nBEGIN{}"),
            Ok((b"/usr/bin/env".to_vec(), Some(b"-S awk -f".to_vec())))
        );
    }

    #[test]
    fn script_without_newline_uses_whole_file() {
        assert_eq!(
            parse(b"#!/bin/sh -e"),
            Ok((b"/bin/sh".to_vec(), Some(b"-e".to_vec())))
        );
    }

    #[test]
    fn crlf_line_keeps_carriage_return_like_linux() {
        assert_eq!(parse(b"#!/bin/sh\r\n"), Ok((b"/bin/sh\r".to_vec(), None)));
    }

    #[test]
    fn missing_interpreter_is_enoexec() {
        assert_eq!(parse(b"#!\n"), Err(Errno::ENOEXEC));
        assert_eq!(parse(b"#!   \t \n/bin/sh"), Err(Errno::ENOEXEC));
        assert_eq!(parse(b"#!"), Err(Errno::ENOEXEC));
        assert_eq!(parse(b"#/bin/sh\n"), Err(Errno::ENOEXEC));
        assert_eq!(parse(b""), Err(Errno::ENOEXEC));
    }

    #[test]
    fn interpreter_path_cut_by_buffer_end_is_enoexec() {
        let mut long = b"#!/".to_vec();
        long.extend(core::iter::repeat_n(b'a', 300));
        long.push(b'\n');
        assert_eq!(parse(&long), Err(Errno::ENOEXEC));
    }

    #[test]
    fn argument_cut_by_buffer_end_is_truncated_to_the_line_limit() {
        let mut long = b"#!/bin/sh ".to_vec();
        long.extend(core::iter::repeat_n(b'x', 300));
        let (name, arg) = parse(&long).unwrap();
        assert_eq!(name, b"/bin/sh");
        assert_eq!(arg.unwrap().len(), SHEBANG_BUF_LEN - 1 - 10);
    }

    #[test]
    fn nul_after_interpreter_drops_the_argument() {
        assert_eq!(parse(b"#!/bin/sh\0 -x\n"), Ok((b"/bin/sh".to_vec(), None)));
    }

    #[test]
    fn argv_is_interpreter_argument_script_then_original_arguments() {
        let shebang = Shebang::parse(b"#!/bin/busybox sh\n").unwrap();
        let argv = vec![b"./run".to_vec(), b"one".to_vec(), b"two".to_vec()];
        assert_eq!(
            shebang.rewrite_argv(b"/tmp/run", &argv),
            vec![
                b"/bin/busybox".to_vec(),
                b"sh".to_vec(),
                b"/tmp/run".to_vec(),
                b"one".to_vec(),
                b"two".to_vec()
            ]
        );
        let plain = Shebang::parse(b"#!/bin/sh\n").unwrap();
        assert_eq!(
            plain.rewrite_argv(b"s", &[]),
            vec![b"/bin/sh".to_vec(), b"s".to_vec()]
        );
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let mut script = b"#!".to_vec();
            script.extend(bytes);
            if let Ok(s) = Shebang::parse(&script) {
                proptest::prop_assert!(!s.interpreter.is_empty());
                proptest::prop_assert!(!s.interpreter.iter().any(|&b| b == 0 || b == b' ' || b == b'\t' || b == b'\n'));
                if let Some(a) = s.argument {
                    proptest::prop_assert!(!a.contains(&0) && !a.contains(&b'\n'));
                }
            }
        }
    }
}
