//! Seccomp programs as user space writes them: what is accepted, what
//! each call gets, and how chains combine.

use abi::Errno;
use seccomp::{
    AUDIT_ARCH_X86_64, Action, Filter, Mode, Program, Seccomp, SeccompData, SockFilter, Verdict,
    ret,
};
use std::sync::Arc;

// `linux/bpf_common.h` codes.
const LD_W_ABS: u16 = 0x20;
const LD_W_LEN: u16 = 0x80;
const LD_IMM: u16 = 0x00;
const LDX_IMM: u16 = 0x01;
const LD_MEM: u16 = 0x60;
const ST: u16 = 0x02;
const RET_K: u16 = 0x06;
const RET_A: u16 = 0x16;
const RET_X: u16 = 0x0e;
const JEQ_K: u16 = 0x15;
const JGE_K: u16 = 0x35;
const JSET_K: u16 = 0x45;
const JA: u16 = 0x05;
const ALU_DIV_K: u16 = 0x34;
const ALU_DIV_X: u16 = 0x3c;
const ALU_MOD_K: u16 = 0x94;
const ALU_LSH_K: u16 = 0x64;
const ALU_ADD_K: u16 = 0x04;
const ALU_NEG: u16 = 0x84;
const LD_B_ABS: u16 = 0x30;
const LD_W_IND: u16 = 0x40;

fn stmt(code: u16, k: u32) -> SockFilter {
    SockFilter::statement(code, k)
}

fn jump(code: u16, k: u32, jt: u8, jf: u8) -> SockFilter {
    SockFilter::jump(code, k, jt, jf)
}

fn call(nr: u64, args: [u64; 6]) -> SeccompData {
    SeccompData::new(nr, 0x40_1000, args)
}

/// What libseccomp and hand-written sandboxes generate: kill other
/// architectures, allow a list, fail one call with an errno, trap the
/// rest.
fn sandbox() -> Vec<SockFilter> {
    vec![
        stmt(LD_W_ABS, 4),
        jump(JEQ_K, AUDIT_ARCH_X86_64, 1, 0),
        stmt(RET_K, ret::KILL_PROCESS),
        stmt(LD_W_ABS, 0),
        jump(JEQ_K, 39, 0, 1), // getpid
        stmt(RET_K, ret::ALLOW),
        jump(JEQ_K, 2, 0, 1), // open
        stmt(RET_K, ret::ERRNO | 13),
        stmt(RET_K, ret::TRAP | 7),
    ]
}

#[test]
fn a_typical_sandbox_answers_each_call() {
    let program = Program::new(&sandbox()).unwrap();
    assert_eq!(program.run(&call(39, [0; 6])), ret::ALLOW);
    assert_eq!(program.run(&call(2, [0; 6])), ret::ERRNO | 13);
    assert_eq!(program.run(&call(1, [0; 6])), ret::TRAP | 7);
    let mut other_arch = call(39, [0; 6]);
    other_arch.arch = 0x4000_0003; // i386
    assert_eq!(program.run(&other_arch), ret::KILL_PROCESS);
}

#[test]
fn arguments_are_read_as_32_bit_halves() {
    // Allow write(fd, ...) only for fd 1 with a zero high half.
    let filter = [
        stmt(LD_W_ABS, 16 + 4), // args[0] high word
        jump(JEQ_K, 0, 0, 3),
        stmt(LD_W_ABS, 16), // args[0] low word
        jump(JEQ_K, 1, 0, 1),
        stmt(RET_K, ret::ALLOW),
        stmt(RET_K, ret::ERRNO | 1),
    ];
    let program = Program::new(&filter).unwrap();
    assert_eq!(program.run(&call(1, [1, 0, 0, 0, 0, 0])), ret::ALLOW);
    assert_eq!(program.run(&call(1, [2, 0, 0, 0, 0, 0])), ret::ERRNO | 1);
    assert_eq!(
        program.run(&call(1, [1 << 32 | 1, 0, 0, 0, 0, 0])),
        ret::ERRNO | 1
    );
    // The instruction pointer sits at 8.
    let ip = [stmt(LD_W_ABS, 8), stmt(RET_A, 0)];
    assert_eq!(Program::new(&ip).unwrap().run(&call(0, [0; 6])), 0x40_1000);
}

#[test]
fn arithmetic_scratch_and_jumps_behave_as_classic_bpf() {
    let filter = [
        stmt(LD_W_LEN, 0),  // A = 64
        stmt(ALU_ADD_K, 6), // A = 70
        stmt(ST, 3),        // M[3] = 70
        stmt(LD_IMM, 1),    // A = 1
        stmt(ALU_LSH_K, 4), // A = 16
        stmt(ALU_NEG, 0),   // A = -16
        jump(JSET_K, 0x8000_0000, 0, 2),
        stmt(LD_MEM, 3), // A = 70
        jump(JA, 1, 0, 0),
        stmt(RET_K, 1),
        jump(JGE_K, 70, 0, 1),
        stmt(RET_A, 0),
        stmt(RET_K, 2),
    ];
    assert_eq!(Program::new(&filter).unwrap().run(&call(0, [0; 6])), 70);
}

#[test]
fn a_division_by_a_zero_x_returns_kill_thread() {
    let filter = [
        stmt(LD_IMM, 10),
        stmt(LDX_IMM, 0),
        stmt(ALU_DIV_X, 0),
        stmt(RET_K, ret::ALLOW),
    ];
    let program = Program::new(&filter).unwrap();
    assert_eq!(program.run(&call(0, [0; 6])), ret::KILL_THREAD);
    assert_eq!(Action::from_return(ret::KILL_THREAD), Action::KillThread);
}

#[test]
fn programs_outside_seccomp_rules_are_einval() {
    let ret_allow = stmt(RET_K, ret::ALLOW);
    let bad: Vec<Vec<SockFilter>> = vec![
        vec![],
        vec![ret_allow; 4097],
        vec![stmt(LD_W_ABS, 2), ret_allow],  // unaligned
        vec![stmt(LD_W_ABS, 64), ret_allow], // past the data
        vec![stmt(LD_B_ABS, 0), ret_allow],  // byte loads
        vec![stmt(LD_W_IND, 0), ret_allow],  // packet-relative
        vec![stmt(ALU_MOD_K, 3), ret_allow], // no BPF_MOD in seccomp
        vec![stmt(ALU_DIV_K, 0), ret_allow],
        vec![stmt(ALU_LSH_K, 32), ret_allow],
        vec![stmt(LD_MEM, 16), ret_allow],
        vec![stmt(LD_MEM, 0), ret_allow], // read before written
        vec![stmt(RET_X, 0)],
        vec![stmt(LD_IMM, 0)],                 // no return at the end
        vec![jump(JEQ_K, 0, 1, 0), ret_allow], // past the end
        vec![stmt(JA, 1), ret_allow],
        vec![stmt(0xffff, 0), ret_allow],
    ];
    for program in bad {
        assert_eq!(
            Program::new(&program).err(),
            Some(Errno::EINVAL),
            "{program:x?} accepted"
        );
    }
    assert!(Program::new(&vec![ret_allow; 4096]).is_ok());
}

#[test]
fn a_scratch_word_written_on_only_one_path_cannot_be_read() {
    let one_path = [
        stmt(LD_W_ABS, 0),
        jump(JEQ_K, 1, 0, 1),
        stmt(ST, 0),
        stmt(LD_MEM, 0),
        stmt(RET_A, 0),
    ];
    assert_eq!(Program::new(&one_path).err(), Some(Errno::EINVAL));
    let both_paths = [
        stmt(ST, 0),
        stmt(LD_W_ABS, 0),
        jump(JEQ_K, 1, 0, 1),
        stmt(ST, 0),
        stmt(LD_MEM, 0),
        stmt(RET_A, 0),
    ];
    assert!(Program::new(&both_paths).is_ok());
}

fn returning(value: u32) -> Program {
    Program::new(&[stmt(RET_K, value)]).unwrap()
}

#[test]
fn the_most_restrictive_answer_of_a_chain_wins() {
    let first = Filter::attach(returning(ret::ERRNO | 1), false, None).unwrap();
    let second = Filter::attach(returning(ret::TRACE | 2), false, Some(first.clone())).unwrap();
    let third = Filter::attach(returning(ret::ERRNO | 3), true, Some(second)).unwrap();
    // Equal actions: the newest filter's data.
    assert_eq!(third.evaluate(&call(0, [0; 6])), (ret::ERRNO | 3, true));
    let killer = Filter::attach(returning(ret::KILL_PROCESS), false, Some(third.clone())).unwrap();
    assert_eq!(killer.evaluate(&call(0, [0; 6])).0, ret::KILL_PROCESS);
    // An allow with data is still an allow, and the chain's default.
    let allow = Filter::attach(returning(ret::ALLOW | 9), false, None).unwrap();
    assert_eq!(allow.evaluate(&call(0, [0; 6])).0, ret::ALLOW);
    assert_eq!(killer.count(), 4);
    assert!(killer.descends_from(Some(&first)));
    assert!(!first.descends_from(Some(&killer)));
}

#[test]
fn a_chain_stops_growing_at_the_path_limit() {
    let big = || Program::new(&vec![stmt(RET_K, ret::ALLOW); 4096]).unwrap();
    let mut chain: Option<Arc<Filter>> = None;
    let mut attached = 0;
    loop {
        match Filter::attach(big(), false, chain.clone()) {
            Ok(filter) => {
                chain = Some(filter);
                attached += 1;
            }
            Err(e) => {
                assert_eq!(e, Errno::ENOMEM);
                break;
            }
        }
    }
    // 8 filters of 4096 take 32,768 + 7 * 4: only 7 fit.
    assert_eq!(attached, 7);
}

#[test]
fn strict_mode_allows_four_calls_and_stays() {
    let mut state = Seccomp::default();
    assert_eq!(
        state.check(&call(39, [0; 6])),
        Verdict::Allow { log: false }
    );
    state.enter_strict().unwrap();
    assert_eq!(state.mode(), Mode::Strict);
    for nr in [0, 1, 60, 15] {
        assert_eq!(
            state.check(&call(nr, [0; 6])),
            Verdict::Allow { log: false }
        );
    }
    assert_eq!(state.check(&call(231, [0; 6])), Verdict::KillStrict);
    // Only the low 32 bits of rax are the number.
    assert_eq!(
        state.check(&call(1 << 32, [0; 6])),
        Verdict::Allow { log: false }
    );
    let filter = Filter::attach(returning(ret::ALLOW), false, None).unwrap();
    assert_eq!(state.enter_filter(filter), Err(Errno::EINVAL));
    assert_eq!(state.mode(), Mode::Strict);
}

#[test]
fn filter_mode_answers_and_refuses_strict() {
    let mut state = Seccomp::default();
    let filter = Filter::attach(Program::new(&sandbox()).unwrap(), false, None).unwrap();
    state.enter_filter(filter.clone()).unwrap();
    assert_eq!(state.enter_strict(), Err(Errno::EINVAL));
    assert_eq!(
        state.check(&call(39, [0; 6])),
        Verdict::Allow { log: false }
    );
    assert_eq!(
        state.check(&call(2, [0; 6])),
        Verdict::Filtered {
            action: Action::Errno(13),
            log: false
        }
    );
    let log = Filter::attach(returning(ret::LOG), false, state.filter().cloned()).unwrap();
    state.enter_filter(log).unwrap();
    assert_eq!(state.check(&call(39, [0; 6])), Verdict::Allow { log: true });
    assert_eq!(state.filter_count(), 2);
}

#[test]
fn threads_synchronize_only_onto_descendants_of_their_chain() {
    let base = Filter::attach(returning(ret::ALLOW), false, None).unwrap();
    let grown = Filter::attach(returning(ret::ALLOW), false, Some(base.clone())).unwrap();
    let other = Filter::attach(returning(ret::ALLOW), false, None).unwrap();
    let none = Seccomp::default();
    assert!(none.may_synchronize_to(&grown));
    let mut on_base = Seccomp::default();
    on_base.enter_filter(base.clone()).unwrap();
    assert!(on_base.may_synchronize_to(&grown));
    assert!(!on_base.may_synchronize_to(&other));
    let mut strict = Seccomp::default();
    strict.enter_strict().unwrap();
    assert!(!strict.may_synchronize_to(&grown));
}
