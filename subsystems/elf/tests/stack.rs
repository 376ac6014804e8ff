//! The initial stack, read back the way a C runtime reads it.

mod common;

use std::collections::BTreeMap;

use abi::Errno;
use elf::auxv::*;
use elf::{ArgLimits, AuxValues, InitialStack, MAX_ARG_STRLEN, StackContents, build_initial_stack};

const TOP: u64 = 0x7fff_ffff_f000;

fn aux() -> AuxValues {
    AuxValues {
        entry: 0x40_1530,
        phdr: 0x40_0040,
        phent: 56,
        phnum: 10,
        base: 0,
        uid: 1000,
        euid: 1001,
        gid: 100,
        egid: 101,
        secure: true,
        hwcap: 0x178b_fbff,
        hwcap2: 2,
        clktck: 100,
        pagesz: 4096,
        sysinfo_ehdr: None,
        minsigstksz: None,
    }
}

fn build(argv: &[&str], envp: &[&str], execfn: &str) -> Result<InitialStack, Errno> {
    let argv: Vec<&[u8]> = argv.iter().map(|s| s.as_bytes()).collect();
    let envp: Vec<&[u8]> = envp.iter().map(|s| s.as_bytes()).collect();
    let contents = StackContents {
        argv: &argv,
        envp: &envp,
        execfn: execfn.as_bytes(),
        random: *b"0123456789abcdef",
    };
    build_initial_stack(TOP, &contents, &aux(), ArgLimits::default())
}

/// What `_start` reads from the stack.
struct Start {
    argc: u64,
    argv: Vec<String>,
    envp: Vec<String>,
    auxv: Vec<(u64, u64)>,
}

/// A user's view of the stack: reads words and strings at user addresses.
struct View<'a>(&'a InitialStack);

impl View<'_> {
    fn index(&self, addr: u64) -> usize {
        assert!(
            addr >= self.0.rsp && addr < TOP,
            "address {addr:#x} outside the stack"
        );
        (addr - self.0.rsp) as usize
    }
    fn word(&self, addr: u64) -> u64 {
        let i = self.index(addr);
        u64::from_le_bytes(self.0.bytes[i..i + 8].try_into().unwrap())
    }
    fn c_string(&self, addr: u64) -> String {
        let i = self.index(addr);
        let len = self.0.bytes[i..].iter().position(|&b| b == 0).unwrap();
        String::from_utf8(self.0.bytes[i..i + len].to_vec()).unwrap()
    }
    /// argc, argv, envp and auxv as `_start` finds them from rsp alone.
    fn parse(&self) -> Start {
        let mut at = self.0.rsp;
        let argc = self.word(at);
        at += 8;
        let mut argv = Vec::new();
        while self.word(at) != 0 {
            argv.push(self.c_string(self.word(at)));
            at += 8;
        }
        at += 8;
        let mut envp = Vec::new();
        while self.word(at) != 0 {
            envp.push(self.c_string(self.word(at)));
            at += 8;
        }
        at += 8;
        let mut auxv = Vec::new();
        loop {
            let pair = (self.word(at), self.word(at + 8));
            auxv.push(pair);
            at += 16;
            if pair.0 == AT_NULL {
                break;
            }
        }
        Start {
            argc,
            argv,
            envp,
            auxv,
        }
    }
}

#[test]
fn start_finds_argc_argv_and_envp_from_rsp() {
    let stack = build(
        &["/bin/prog", "-v", ""],
        &["HOME=/", "TERM=vt100"],
        "/bin/prog",
    )
    .unwrap();
    assert_eq!(stack.rsp % 16, 0);
    assert_eq!(stack.rsp + stack.bytes.len() as u64, TOP);
    let Start {
        argc, argv, envp, ..
    } = View(&stack).parse();
    assert_eq!(argc, 3);
    assert_eq!(argv, ["/bin/prog", "-v", ""]);
    assert_eq!(envp, ["HOME=/", "TERM=vt100"]);
    assert_eq!(stack.argv, stack.rsp + 8);
    assert_eq!(stack.envp, stack.argv + 4 * 8);
    assert_eq!(stack.auxv, stack.envp + 3 * 8);
}

#[test]
fn auxv_carries_the_given_values_in_linux_order() {
    let stack = build(&["a"], &[], "/a").unwrap();
    let view = View(&stack);
    let auxv = view.parse().auxv;
    let types: Vec<u64> = auxv.iter().map(|p| p.0).collect();
    assert_eq!(
        types,
        [
            AT_HWCAP,
            AT_PAGESZ,
            AT_CLKTCK,
            AT_PHDR,
            AT_PHENT,
            AT_PHNUM,
            AT_BASE,
            AT_FLAGS,
            AT_ENTRY,
            AT_UID,
            AT_EUID,
            AT_GID,
            AT_EGID,
            AT_SECURE,
            AT_RANDOM,
            AT_HWCAP2,
            AT_EXECFN,
            AT_PLATFORM,
            AT_NULL
        ]
    );
    let map: BTreeMap<u64, u64> = auxv.into_iter().collect();
    assert_eq!(map[&AT_ENTRY], 0x40_1530);
    assert_eq!(map[&AT_PHDR], 0x40_0040);
    assert_eq!((map[&AT_PHENT], map[&AT_PHNUM]), (56, 10));
    assert_eq!(
        (map[&AT_UID], map[&AT_EUID], map[&AT_GID], map[&AT_EGID]),
        (1000, 1001, 100, 101)
    );
    assert_eq!(
        (map[&AT_SECURE], map[&AT_HWCAP], map[&AT_HWCAP2]),
        (1, 0x178b_fbff, 2)
    );
    assert_eq!((map[&AT_PAGESZ], map[&AT_CLKTCK]), (4096, 100));
    assert_eq!(view.c_string(map[&AT_EXECFN]), "/a");
    assert_eq!(view.c_string(map[&AT_PLATFORM]), "x86_64");
    let random = view.index(map[&AT_RANDOM]);
    assert_eq!(&stack.bytes[random..random + 16], b"0123456789abcdef");
    assert_eq!(map[&AT_RANDOM], stack.random);
}

#[test]
fn optional_vdso_and_signal_stack_entries_come_first() {
    let mut values = aux();
    values.sysinfo_ehdr = Some(0x7fff_f7ff_d000);
    values.minsigstksz = Some(2048);
    let contents = StackContents::<&[u8], &[u8]> {
        argv: &[b"x"],
        envp: &[],
        execfn: b"x",
        random: [7; 16],
    };
    let stack = build_initial_stack(TOP, &contents, &values, ArgLimits::default()).unwrap();
    let auxv = View(&stack).parse().auxv;
    assert_eq!(auxv[0], (AT_SYSINFO_EHDR, 0x7fff_f7ff_d000));
    assert_eq!(auxv[1], (AT_MINSIGSTKSZ, 2048));
}

#[test]
fn strings_sit_at_the_top_in_linux_order() {
    let stack = build(&["./dump", "x"], &["A=1"], "./dump").unwrap();
    // Top word is zero, then execfn, envp strings, argv strings.
    assert_eq!(View(&stack).word(TOP - 8), 0);
    assert_eq!(stack.execfn, TOP - 8 - 7);
    assert_eq!(stack.envp_strings, [TOP - 15 - 4]);
    assert_eq!(stack.argv_strings, [TOP - 19 - 9, TOP - 19 - 2]);
    // Platform below the 16-aligned end of the strings, random bytes below it.
    assert_eq!(stack.platform, ((TOP - 28) & !15) - 7);
    assert_eq!(stack.random, stack.platform - 16);
}

#[test]
fn rsp_is_aligned_for_every_argument_count() {
    for n in 0..8 {
        let argv: Vec<String> = (0..n).map(|i| "a".repeat(i * 3 + 1)).collect();
        let argv: Vec<&str> = argv.iter().map(|s| s.as_str()).collect();
        let stack = build(&argv, &["E=1"; 3][..n % 4], "e").unwrap();
        assert_eq!(stack.rsp % 16, 0, "argc {n}");
        assert_eq!(View(&stack).parse().argv, argv);
    }
}

#[test]
fn too_many_arguments_is_e2big() {
    let big = "x".repeat(100_000);
    let argv: Vec<&str> = std::iter::repeat_n(big.as_str(), 21).collect();
    assert_eq!(build(&argv, &[], "p"), Err(Errno::E2BIG));
    let argv: Vec<&str> = std::iter::repeat_n(big.as_str(), 20).collect();
    assert!(build(&argv, &[], "p").is_ok());
}

#[test]
fn one_string_longer_than_32_pages_is_e2big() {
    let huge = "y".repeat(MAX_ARG_STRLEN as usize);
    assert_eq!(build(&["p"], &[&huge], "p"), Err(Errno::E2BIG));
    let fits = "y".repeat(MAX_ARG_STRLEN as usize - 1);
    assert!(build(&["p"], &[&fits], "p").is_ok());
}

#[test]
fn argument_space_follows_the_stack_rlimit_like_linux() {
    assert_eq!(ArgLimits::default().max_total, 2 * 1024 * 1024);
    assert_eq!(
        ArgLimits::from_stack_rlimit(64 * 1024).max_total,
        128 * 1024
    );
    assert_eq!(
        ArgLimits::from_stack_rlimit(u64::MAX).max_total,
        6 * 1024 * 1024
    );
}

#[test]
fn strings_with_nul_or_bad_stack_top_are_rejected() {
    assert_eq!(build(&["a\0b"], &[], "p"), Err(Errno::EINVAL));
    let contents = StackContents::<&[u8], &[u8]> {
        argv: &[b"x"],
        envp: &[],
        execfn: b"x",
        random: [0; 16],
    };
    assert_eq!(
        build_initial_stack(TOP - 8, &contents, &aux(), ArgLimits::default()),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        build_initial_stack(64, &contents, &aux(), ArgLimits::default()),
        Err(Errno::EINVAL)
    );
}

/// Runs a static C program under Linux without address randomisation and
/// compares where Linux put each string with where we put it.
#[test]
fn layout_matches_linux_for_the_same_arguments() {
    let Some(program) = common::compile_c_source(
        "cc",
        &["-static", "-O1"],
        "dump-stack",
        include_str!("dump_stack.c"),
    ) else {
        return;
    };
    let output = std::process::Command::new("setarch")
        .args(["x86_64", "-R"])
        .arg(&program)
        .args(["x", "yy", "zzz"])
        .env_clear()
        .env("A", "1")
        .env("BB", "22")
        .output();
    let output = match output {
        Ok(o) if o.status.success() => String::from_utf8(o.stdout).unwrap(),
        _ => {
            println!("note: skipping, cannot run under `setarch -R`");
            return;
        }
    };
    let execfn = program.to_str().unwrap();
    let stack = build(&[execfn, "x", "yy", "zzz"], &["A=1", "BB=22"], execfn).unwrap();
    let ours = |addr: u64| TOP - addr;
    let mut expected = Vec::new();
    for a in &stack.argv_strings {
        expected.push(format!("argv {}", ours(*a)));
    }
    for e in &stack.envp_strings {
        expected.push(format!("envp {}", ours(*e)));
    }
    expected.push(format!("random {}", ours(stack.random)));
    expected.push(format!("execfn {}", ours(stack.execfn)));
    expected.push(format!("platform {}", ours(stack.platform)));
    let linux: Vec<&str> = output.lines().filter(|l| !l.starts_with("aux ")).collect();
    assert_eq!(linux, expected);
    // Our auxv types appear in the same order in Linux's (which has more).
    let linux_types: Vec<u64> = output
        .lines()
        .filter_map(|l| l.strip_prefix("aux "))
        .map(|t| t.parse().unwrap())
        .collect();
    let auxv = View(&stack).parse().auxv;
    let mut rest = linux_types.iter();
    for (t, _) in auxv.iter().filter(|p| p.0 != AT_NULL) {
        assert!(
            rest.any(|l| l == t),
            "AT type {t} out of Linux's order {linux_types:?}"
        );
    }
}
