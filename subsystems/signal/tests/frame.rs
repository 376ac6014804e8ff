//! Handler frames, `rt_sigreturn`, syscall restarting and permissions.

use abi::Errno;
use proptest::prelude::*;
use signal::*;
use zerocopy::IntoBytes;

const SELECTORS: UserSelectors = UserSelectors {
    code: 0x33,
    data: 0x2b,
};
const TRAMPOLINE: u64 = 0x7fff_f000_0000;
const HANDLER: u64 = 0x40_1000;

fn interrupted(rsp: u64) -> UserRegisters {
    UserRegisters {
        rax: 0xaaaa,
        rbx: 0xbbbb,
        rdi: 0x1111,
        r15: 0xffff,
        rsp,
        rip: 0x40_2345,
        rflags: rflags::USER_BASE | rflags::DF | rflags::CF | rflags::TF,
        cs: SELECTORS.code,
        ss: SELECTORS.data,
        ..Default::default()
    }
}

fn invocation(flags: SaFlags, restorer: u64) -> HandlerInvocation {
    HandlerInvocation {
        action: SigAction {
            handler: Disposition::Handler(HANDLER),
            flags,
            mask: SigSet::EMPTY,
            restorer,
        },
        new_mask: SigSet::single(Signal::SIGUSR1),
        saved_mask: SigSet::single(Signal::SIGHUP),
    }
}

fn plan(
    regs: &UserRegisters,
    altstack: &AltStack,
    invocation: &HandlerInvocation,
) -> KernelResult<FramePlan> {
    let info = SigInfo::kill(Signal::SIGUSR1, 42, 1000);
    plan_signal_frame(&FrameRequest {
        registers: regs,
        fault: FaultContext::default(),
        altstack,
        info: &info,
        invocation,
        trampoline: TRAMPOLINE,
        selectors: SELECTORS,
    })
}

type KernelResult<T> = Result<T, Errno>;

fn altstack(base: u64, size: u64) -> AltStack {
    AltStack {
        base,
        size,
        flags: 0,
    }
}

#[test]
fn frame_is_16_byte_aligned_for_handler_entry() {
    for rsp in [
        0x7fff_ffff_e000u64,
        0x7fff_ffff_e008,
        0x7fff_ffff_e003,
        0x7fff_ffff_e0f7,
    ] {
        let plan = plan(
            &interrupted(rsp),
            &AltStack::DISABLED,
            &invocation(SaFlags::empty(), 0),
        )
        .unwrap();
        assert_eq!((plan.handler_registers.rsp + 8) % 16, 0, "rsp {rsp:#x}");
        assert_eq!(plan.fpstate_address % 64, 0);
        assert!(
            plan.fpstate_address + FXSAVE_SIZE <= rsp - RED_ZONE,
            "red zone kept"
        );
        assert!(plan.frame_address + RT_SIGFRAME_SIZE <= plan.fpstate_address);
    }
}

#[test]
fn handler_gets_signo_siginfo_and_ucontext_in_registers() {
    let regs = interrupted(0x7fff_ffff_e000);
    let plan = plan(&regs, &AltStack::DISABLED, &invocation(SaFlags::SIGINFO, 0)).unwrap();
    let handler = plan.handler_registers;
    assert_eq!(handler.rdi, 10);
    assert_eq!(handler.rsi, plan.frame_address + 312);
    assert_eq!(handler.rdx, plan.frame_address + 8);
    assert_eq!(handler.rip, HANDLER);
    assert_eq!(handler.rax, 0);
    assert_eq!(handler.rflags & (rflags::DF | rflags::TF), 0);
    assert_eq!(handler.rflags & rflags::CF, rflags::CF);
    assert_eq!(handler.rbx, 0xbbbb, "other registers are left as they were");

    let bytes = plan.frame.as_bytes();
    assert_eq!(bytes.len(), 440);
    let word = |offset: usize| u64::from_ne_bytes(bytes[offset..offset + 8].try_into().unwrap());
    assert_eq!(
        word(0),
        TRAMPOLINE,
        "no SA_RESTORER: return to the trampoline"
    );
    assert_eq!(word(8 + 40 + 128), regs.rip, "uc_mcontext.rip");
    assert_eq!(word(8 + 40 + 120), regs.rsp, "uc_mcontext.rsp");
    assert_eq!(word(8 + 40 + 104), 0xaaaa, "uc_mcontext.rax");
    assert_eq!(
        word(8 + 296),
        1 << 0,
        "uc_sigmask is the saved mask (SIGHUP)"
    );
    assert_eq!(word(8 + 40 + 184), plan.fpstate_address);
    assert_eq!(
        i32::from_ne_bytes(bytes[312..316].try_into().unwrap()),
        10,
        "si_signo"
    );
    assert_eq!(
        i32::from_ne_bytes(bytes[328..332].try_into().unwrap()),
        42,
        "si_pid"
    );
}

#[test]
fn restorer_is_the_return_address_with_sa_restorer() {
    let regs = interrupted(0x7fff_ffff_e000);
    let plan = plan(
        &regs,
        &AltStack::DISABLED,
        &invocation(SaFlags::RESTORER, 0x40_9000),
    )
    .unwrap();
    assert_eq!(plan.frame.pretcode, 0x40_9000);
}

#[test]
fn altstack_used_only_when_onstack_and_not_already_on_it() {
    let stack = altstack(0x10_0000, 0x4000);
    let user_rsp = 0x7fff_ffff_e000;
    let on = invocation(SaFlags::ONSTACK, 0);
    let off = invocation(SaFlags::empty(), 0);

    let switched = plan(&interrupted(user_rsp), &stack, &on).unwrap();
    assert!(stack.contains(switched.frame_address));
    assert!(switched.fpstate_address + FXSAVE_SIZE <= stack.top());
    assert_eq!(switched.frame.uc.uc_stack.ss_sp, 0x10_0000);

    let not_asked = plan(&interrupted(user_rsp), &stack, &off).unwrap();
    assert!(not_asked.frame_address < user_rsp && not_asked.frame_address > user_rsp - 4096);

    // Already on it (a nested signal): the frame goes below the current rsp.
    let nested_rsp = 0x10_3000;
    let nested = plan(&interrupted(nested_rsp), &stack, &on).unwrap();
    assert!(nested.frame_address < nested_rsp - RED_ZONE);
    assert!(stack.contains(nested.frame_address));
}

#[test]
fn frame_that_overflows_altstack_is_efault() {
    let stack = altstack(0x10_0000, 0x1000);
    let near_bottom = 0x10_0300;
    let result = plan(
        &interrupted(near_bottom),
        &stack,
        &invocation(SaFlags::ONSTACK, 0),
    );
    assert_eq!(result.err(), Some(Errno::EFAULT));
}

#[test]
fn autodisarm_altstack_is_disarmed_and_rearmed_by_sigreturn() {
    let mut thread = ThreadSignalState::new();
    let request = StackT {
        ss_sp: 0x10_0000,
        ss_flags: SS_AUTODISARM,
        pad: 0,
        ss_size: 0x4000,
    };
    thread
        .altstack_mut()
        .sigaltstack(Some(&request), 0x7fff_0000)
        .unwrap();
    let regs = interrupted(0x7fff_ffff_e000);
    let plan = plan(&regs, thread.altstack(), &invocation(SaFlags::ONSTACK, 0)).unwrap();
    assert!(plan.disarm_altstack);
    thread.handler_entered(SigSet::EMPTY, plan.disarm_altstack);
    assert_eq!(thread.altstack().size, 0);

    let restored = restore_from_frame(&plan.frame.uc, SELECTORS).unwrap();
    thread.finish_sigreturn(&restored);
    assert_eq!(
        (thread.altstack().base, thread.altstack().size),
        (0x10_0000, 0x4000)
    );
    assert_eq!(thread.blocked(), SigSet::single(Signal::SIGHUP));
}

#[test]
fn sigreturn_restores_what_the_frame_saved() {
    let regs = interrupted(0x7fff_ffff_e000);
    let plan = plan(&regs, &AltStack::DISABLED, &invocation(SaFlags::empty(), 0)).unwrap();
    // The handler returns: `ret` pops pretcode, rsp is frame + 8.
    let rsp_at_sigreturn = plan.frame_address + 8;
    assert_eq!(
        sigreturn_frame_address(rsp_at_sigreturn),
        plan.frame_address
    );
    assert_eq!(
        sigreturn_ucontext_address(rsp_at_sigreturn),
        plan.frame_address + UCONTEXT_OFFSET
    );
    let restored = restore_from_frame(&plan.frame.uc, SELECTORS).unwrap();
    assert_eq!(restored.registers, regs);
    assert_eq!(restored.mask, SigSet::single(Signal::SIGHUP));
    assert_eq!(restored.fpstate, Some(plan.fpstate_address));
}

#[test]
fn sigreturn_rejects_kernel_cs() {
    let plan = plan(
        &interrupted(0x7fff_ffff_e000),
        &AltStack::DISABLED,
        &invocation(SaFlags::empty(), 0),
    )
    .unwrap();
    for cs in [0x08, 0x0b, 0x10, 0x30, 0] {
        let mut uc = plan.frame.uc;
        uc.uc_mcontext.cs = cs;
        assert_eq!(
            restore_from_frame(&uc, SELECTORS),
            Err(Errno::EFAULT),
            "cs {cs:#x}"
        );
    }
}

#[test]
fn sigreturn_rejects_kernel_rip_and_bad_strict_ss() {
    let plan = plan(
        &interrupted(0x7fff_ffff_e000),
        &AltStack::DISABLED,
        &invocation(SaFlags::empty(), 0),
    )
    .unwrap();
    let mut uc = plan.frame.uc;
    uc.uc_mcontext.rip = 0xffff_ffff_8000_0000;
    assert_eq!(restore_from_frame(&uc, SELECTORS), Err(Errno::EFAULT));

    let mut uc = plan.frame.uc;
    uc.uc_mcontext.ss = 0x10;
    assert_eq!(restore_from_frame(&uc, SELECTORS), Err(Errno::EFAULT));
    uc.uc_flags = 0; // an old frame without UC_STRICT_RESTORE_SS gets a valid ss
    assert_eq!(
        restore_from_frame(&uc, SELECTORS).unwrap().registers.ss,
        SELECTORS.data
    );
}

#[test]
fn sigreturn_cannot_raise_iopl_or_clear_interrupts() {
    let plan = plan(
        &interrupted(0x7fff_ffff_e000),
        &AltStack::DISABLED,
        &invocation(SaFlags::empty(), 0),
    )
    .unwrap();
    let mut uc = plan.frame.uc;
    uc.uc_mcontext.eflags = rflags::IOPL | rflags::NT | rflags::VM | rflags::AC | rflags::ZF;
    uc.uc_sigmask = u64::MAX;
    let restored = restore_from_frame(&uc, SELECTORS).unwrap();
    assert_eq!(
        restored.registers.rflags,
        rflags::IF | rflags::FIXED | rflags::AC | rflags::ZF
    );
    assert!(!restored.mask.contains(Signal::SIGKILL));
}

#[test]
fn fxsave_from_user_loses_reserved_mxcsr_bits() {
    let mut area = FxsaveArea {
        cwd: 0x37f,
        swd: 0,
        ftw: 0,
        fop: 0,
        rip: 0,
        rdp: 0,
        mxcsr: 0xffff_ffff,
        mxcsr_mask: 0,
        st_space: [0; 32],
        xmm_space: [0; 64],
        reserved2: [0; 12],
        sw_reserved: [0; 12],
    };
    area.sanitize(0);
    assert_eq!(area.mxcsr, 0xffbf);
}

proptest! {
    #[test]
    fn any_user_rsp_gives_an_abi_aligned_frame_or_efault(rsp in any::<u64>(), onstack in any::<bool>(),
                                                          base in 0u64..0x8000_0000, size in 0u64..0x10_0000) {
        let stack = altstack(base, size);
        let flags = if onstack { SaFlags::ONSTACK } else { SaFlags::empty() };
        match plan(&interrupted(rsp), &stack, &invocation(flags, 0)) {
            Ok(plan) => {
                prop_assert_eq!((plan.frame_address + 8) % 16, 0);
                prop_assert_eq!(plan.fpstate_address % 64, 0);
                prop_assert!(plan.frame_address + RT_SIGFRAME_SIZE <= plan.fpstate_address);
                if !onstack {
                    // The frame never lands in the interrupted code's red zone.
                    prop_assert!(plan.fpstate_address + FXSAVE_SIZE <= rsp - RED_ZONE);
                }
            }
            Err(errno) => prop_assert_eq!(errno, Errno::EFAULT),
        }
    }

    #[test]
    fn sigreturn_never_yields_ring_0_or_iopl(words in proptest::collection::vec(any::<u64>(), 38)) {
        let mut uc = UContext::default();
        uc.as_mut_bytes().copy_from_slice(words.as_bytes());
        if let Ok(restored) = restore_from_frame(&uc, SELECTORS) {
            prop_assert_eq!(restored.registers.cs, SELECTORS.code);
            prop_assert_eq!(restored.registers.ss, SELECTORS.data);
            prop_assert_eq!(restored.registers.rflags & (rflags::IOPL | rflags::NT | rflags::VM), 0);
            prop_assert_eq!(restored.registers.rflags & rflags::IF, rflags::IF);
            prop_assert!(restored.registers.rip < USER_ADDRESS_END);
        }
    }
}

#[test]
fn restart_follows_linux_rules() {
    use RestartDecision::*;
    let restart = Some(SaFlags::RESTART);
    let plain = Some(SaFlags::empty());
    let cases = [
        (-512, None, Restart),
        (-512, plain, ReturnEintr),
        (-512, restart, Restart),
        (-513, plain, Restart),
        (-514, None, Restart),
        (-514, restart, ReturnEintr),
        (-516, None, RestartViaRestartSyscall),
        (-516, restart, ReturnEintr),
        (-4, None, Unchanged),
        (5, plain, Unchanged),
    ];
    for (ret, handler, expected) in cases {
        assert_eq!(
            restart_decision(ret, handler),
            expected,
            "ret {ret} handler {handler:?}"
        );
    }
}

#[test]
fn restart_backs_up_over_syscall_instruction() {
    let mut regs = interrupted(0x7fff_0000);
    regs.rax = (-512i64) as u64;
    apply_restart(&mut regs, RestartDecision::Restart, 0);
    assert_eq!((regs.rax, regs.rip), (0, 0x40_2343));
    apply_restart(&mut regs, RestartDecision::RestartViaRestartSyscall, 0);
    assert_eq!(regs.rax, SYS_RESTART_SYSCALL);
    apply_restart(&mut regs, RestartDecision::ReturnEintr, 0);
    assert_eq!(regs.rax as i64, -4);
}

fn creds(uid: u32, euid: u32, suid: u32) -> SignalCredentials {
    SignalCredentials {
        uid,
        euid,
        suid,
        kill_any: euid == 0,
    }
}

const STRANGER: TargetRelation = TargetRelation {
    same_process: false,
    same_session: false,
};

#[test]
fn kill_needs_matching_uid_or_root() {
    let user = creds(1000, 1000, 1000);
    let other = creds(1001, 1001, 1001);
    let term = Some(Signal::SIGTERM);
    assert_eq!(
        check_kill_permission(term, true, user, other, STRANGER),
        Err(Errno::EPERM)
    );
    assert_eq!(
        check_kill_permission(None, true, user, other, STRANGER),
        Err(Errno::EPERM)
    );
    assert_eq!(
        check_kill_permission(term, true, creds(1000, 0, 0), other, STRANGER),
        Ok(())
    );
    // Sender's real uid matches the target's saved uid (a setuid program).
    assert_eq!(
        check_kill_permission(term, true, user, creds(1001, 1001, 1000), STRANGER),
        Ok(())
    );
    // Sender's effective uid matches the target's real uid.
    assert_eq!(
        check_kill_permission(term, true, creds(5, 1001, 5), other, STRANGER),
        Ok(())
    );
    // The target's effective uid does not count.
    assert_eq!(
        check_kill_permission(term, true, user, creds(1001, 1000, 1001), STRANGER),
        Err(Errno::EPERM)
    );
    // Kernel-raised signals skip the check.
    assert_eq!(
        check_kill_permission(term, false, user, other, STRANGER),
        Ok(())
    );
}

#[test]
fn sigcont_is_allowed_within_a_session() {
    let session = TargetRelation {
        same_process: false,
        same_session: true,
    };
    let (user, other) = (creds(1000, 1000, 1000), creds(0, 0, 0));
    assert_eq!(
        check_kill_permission(Some(Signal::SIGCONT), true, user, other, session),
        Ok(())
    );
    assert_eq!(
        check_kill_permission(Some(Signal::SIGTERM), true, user, other, session),
        Err(Errno::EPERM)
    );
}

#[test]
fn forged_kernel_siginfo_to_another_process_is_eperm() {
    assert_eq!(
        check_queued_siginfo(10, 11, codes::SI_USER),
        Err(Errno::EPERM)
    );
    assert_eq!(
        check_queued_siginfo(10, 11, codes::SI_KERNEL),
        Err(Errno::EPERM)
    );
    assert_eq!(
        check_queued_siginfo(10, 11, codes::SI_TKILL),
        Err(Errno::EPERM)
    );
    assert_eq!(check_queued_siginfo(10, 11, codes::SI_QUEUE), Ok(()));
    assert_eq!(check_queued_siginfo(10, 10, codes::SI_KERNEL), Ok(()));
}
