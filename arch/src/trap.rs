//! Interrupt and exception entry: the stubs, the saved-register frame and the
//! dispatch to the kernel's handler.
//!
//! Every vector has a 16-byte-aligned stub that pushes a zero error code when
//! the CPU does not, then the vector number, and jumps to `trap_common`.
//! `trap_common` runs on the IST stack the gate selected; unless the vector is
//! the NMI or the double fault, it moves the seven-word frame to the
//! interrupted kernel stack 128 bytes below its `rsp` (the red zone of the
//! precompiled `core`, see the crate doc) or, when the interrupt came from
//! ring 3, to the current thread's kernel stack top ([`set_kernel_stack_top`]).
//! It then saves all general registers ([`TrapFrame`]), builds a frame-pointer
//! record whose return address is the interrupted `rip` (so backtraces run
//! through the interrupt), saves the SSE registers and MXCSR into a
//! 64-byte-aligned FXSAVE-layout area ([`FpuState`]), loads the kernel's
//! MXCSR and calls the registered handler. Returning restores everything in
//! reverse and `iretq`s (or `sysretq`). System calls build the same frame
//! in their own entry ([`crate::syscall`]), which saves the SSE registers
//! only once kernel code is about to use them: vector 7 (`#NM`) has its
//! own stub, which does that save.
//!
//! Why only the SSE part: the kernel links the precompiled `core`, which
//! uses `xmm` registers anywhere (copies, formatting), but no Rust code for
//! x86_64 touches the x87 registers, so the interrupted x87 state is still
//! in the CPU when the kernel returns, even across context switches (which
//! save and restore the whole state). A full `fxsave64`/`fxrstor64` pair
//! costs about 740 ns under QEMU's TCG against 150 ns for the 32 `movdqa`s,
//! on every entry that saves. When the kernel needs the whole image (a signal
//! frame, a fork, ptrace, a core dump) [`FpuState::image`] completes it from
//! the CPU; once the kernel has written a whole image the exit restores it
//! with `fxrstor64`, and a state reset to the initial one (a signal
//! handler's) is restored from the initial image without being written
//! ([`FpuState::reset`]: 512 bytes less to copy on every delivery).

use core::cell::UnsafeCell;

use spin::Once;

/// The registers of an interrupted context, as the entry stub saved them.
/// Field order is the stub's push order reversed; changing one means changing
/// the other.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
#[allow(missing_docs)] // register names
pub struct TrapFrame {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rbp: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rdx: u64,
    pub rcx: u64,
    pub rbx: u64,
    pub rax: u64,
    /// The vector number (0..=255).
    pub vector: u64,
    /// The CPU's error code, or 0 for vectors without one.
    pub error_code: u64,
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}

impl TrapFrame {
    /// Whether the interrupted code ran in ring 3.
    pub fn from_user(&self) -> bool {
        self.cs & 3 == 3
    }
}

/// Bytes of an FXSAVE image.
pub const FPU_IMAGE_SIZE: usize = 512;
/// Where the entry stub keeps [`FpuState`]'s "complete" flag, after the
/// image.
const COMPLETE_FLAG_OFFSET: usize = FPU_IMAGE_SIZE;
/// The same offset, for the `syscall` entry (which sets it to [`LIVE`]).
pub(crate) const LIVE_FLAG_OFFSET: usize = COMPLETE_FLAG_OFFSET;
/// The flag's values: the entry saved only MXCSR and the `xmm` registers;
/// the image holds the whole state; the state is the initial one and the
/// image was not written (the exit loads the initial image directly);
/// nothing is saved, the state is still in the CPU with CR0.TS set (the
/// `syscall` entry's, see [`crate::syscall`]).
const PARTIAL: u8 = 0;
const COMPLETE: u8 = 1;
const INITIAL: u8 = 2;
pub(crate) const LIVE: u8 = 3;
/// Offset of MXCSR in an FXSAVE image.
const MXCSR_OFFSET: usize = 24;
/// Offset of the first `xmm` register in an FXSAVE image.
const XMM_OFFSET: usize = 160;

/// The interrupted context's x87/SSE state in FXSAVE layout: the entry
/// stub saves MXCSR and `xmm0`-`xmm15` in their places and leaves the x87
/// part in the CPU (see the module docs); [`FpuState::image`] completes it.
#[repr(C, align(64))]
pub struct FpuState {
    image: UnsafeCell<[u8; FPU_IMAGE_SIZE]>,
    /// `PARTIAL` as the entry stub saved it, `COMPLETE` once `image`
    /// holds the whole state, `INITIAL` for the initial state whatever
    /// `image` holds; the exit path restores the whole state for the last
    /// two. Written by the entry stub (`PARTIAL`) and by this type.
    complete: UnsafeCell<u8>,
}

static_assertions::const_assert_eq!(
    core::mem::offset_of!(FpuState, complete),
    COMPLETE_FLAG_OFFSET
);
static_assertions::const_assert_eq!(size_of::<FpuState>(), 576);

impl FpuState {
    /// A complete state holding `image`.
    pub fn from_image(image: [u8; FPU_IMAGE_SIZE]) -> FpuState {
        FpuState {
            image: UnsafeCell::new(image),
            complete: UnsafeCell::new(COMPLETE),
        }
    }

    /// Writes the whole state in FXSAVE layout to user memory at `dst`, a
    /// signal frame's FPU area (512 bytes). A state the entry stub saved
    /// goes out with one `fxsave64` straight into `dst` (its SSE part
    /// loaded back into the registers first), as Linux writes a frame's:
    /// no completed image built and copied (about 100 instructions of
    /// every signal delivery). Others are copied. Like
    /// [`FpuState::image`], it must run on the thread that entered the
    /// kernel with this state. `EFAULT` if `dst` cannot be written.
    pub fn write_to_user(&self, dst: mm::UserSlice) -> abi::KernelResult<()> {
        self.settle();
        // SAFETY: `complete` is written only through `&mut self`, by
        // `complete` (through `&self`, with no reference into the state
        // live) or by the entry stub before Rust code sees the state.
        let partial = unsafe { *self.complete.get() } == PARTIAL;
        if partial && dst.addr() % 16 == 0 {
            // SAFETY: a partial state is the entry stub's save of this
            // thread's registers (see above), whose x87 part the CPU
            // still holds; the area is 64-byte aligned.
            return unsafe { crate::usercopy::fxsave_to_user(dst, self.image.get().cast()) };
        }
        mm::UserMemory::copy_to_user(&crate::usercopy::ActiveUserMemory, dst, self.image())
    }

    /// Makes the state the initial one (what a signal handler starts
    /// with) without writing the image: the exit loads the initial image
    /// itself, and the image is filled only if something reads it first.
    pub fn reset(&mut self) {
        self.discard_live();
        *self.complete.get_mut() = INITIAL;
    }

    /// The whole FXSAVE image. The first call on a state the entry stub
    /// saved takes the x87 part from the CPU, so it must run on the thread
    /// that entered the kernel with this state (as the trap handler's
    /// callees do).
    pub fn image(&self) -> &[u8; FPU_IMAGE_SIZE] {
        self.complete();
        // SAFETY: once complete, the image is only changed through
        // `&mut self`, so no shared reference handed out here can see it
        // change.
        unsafe { &*self.image.get() }
    }

    /// The whole image, to change; the exit restores all of it.
    pub fn image_mut(&mut self) -> &mut [u8; FPU_IMAGE_SIZE] {
        self.complete();
        self.image.get_mut()
    }

    /// The whole image, which the caller overwrites entirely before the
    /// state is used: the old state is not completed from the CPU first
    /// (`rt_sigreturn` copies a whole image in).
    pub fn image_to_overwrite(&mut self) -> &mut [u8; FPU_IMAGE_SIZE] {
        self.discard_live();
        *self.complete.get_mut() = COMPLETE;
        self.image.get_mut()
    }

    /// Replaces the whole state (no need to complete the old one first).
    pub fn set_image(&mut self, image: &[u8; FPU_IMAGE_SIZE]) {
        self.discard_live();
        *self.image.get_mut() = *image;
        *self.complete.get_mut() = COMPLETE;
    }

    /// `xmm` register `index` (0..16) as 16 little-endian bytes.
    pub fn xmm(&self, index: usize) -> [u8; 16] {
        let start = XMM_OFFSET + 16 * index;
        let mut out = [0; 16];
        out.copy_from_slice(&self.image()[start..start + 16]);
        out
    }

    /// Fills the x87 part (and MXCSR_MASK) of a partly saved state from
    /// the CPU, keeping the saved MXCSR and `xmm` registers; writes out a
    /// reset state's initial image.
    fn complete(&self) {
        self.settle();
        // SAFETY: `complete` and `image` are only written here (through
        // `&self`, before any reference into the image exists: see
        // `image`), through `&mut self`, or by the entry stub before Rust
        // code sees the state.
        unsafe {
            match *self.complete.get() {
                PARTIAL => {}
                INITIAL => {
                    *self.image.get() = crate::context::INITIAL_FPU_IMAGE;
                    *self.complete.get() = COMPLETE;
                    return;
                }
                _ => return,
            }
            // Not zeroed first (512 bytes a signal delivery and another a
            // sigreturn): only bytes fxsave64 writes are read below.
            let mut cpu = core::mem::MaybeUninit::<FxsaveArea>::uninit();
            let cpu = cpu.as_mut_ptr().cast::<u8>();
            // SAFETY: a 64-byte-aligned 512-byte buffer, as fxsave64 needs;
            // the kernel never changes the x87 registers, so they still
            // hold the interrupted context's.
            core::arch::asm!("fxsave64 [{}]", in(reg) cpu, options(nostack));
            let image = (*self.image.get()).as_mut_ptr();
            // SAFETY: fxsave64 wrote bytes 0..464 of `cpu`, which hold
            // both ranges (the x87 state before MXCSR and MXCSR_MASK up to
            // the xmm registers); `image` is 512 bytes long.
            core::ptr::copy_nonoverlapping(cpu, image, MXCSR_OFFSET);
            core::ptr::copy_nonoverlapping(
                cpu.add(MXCSR_OFFSET + 4),
                image.add(MXCSR_OFFSET + 4),
                XMM_OFFSET - MXCSR_OFFSET - 4,
            );
            *self.complete.get() = COMPLETE;
        }
    }

    /// Saves a state a system call left live in the CPU (see
    /// [`crate::syscall`]) into the area as the interrupt entry would
    /// have (MXCSR and `xmm`), before anything reads it.
    #[inline]
    fn settle(&self) {
        // SAFETY: a volatile read, as the `#NM` handler may have saved the
        // state (and changed the flag) since the last look.
        if unsafe { self.complete.get().read_volatile() } == LIVE {
            // SAFETY: a live state is this CPU's running system call's, in
            // the registers, and this is its area (the caller runs on the
            // thread that entered the kernel with it, as `image` says).
            unsafe { arch_fpu_settle(self.image.get().cast()) };
        }
    }

    /// Lets go of a state live in the CPU that the caller replaces whole:
    /// CR0.TS is cleared first, so no `#NM` handler saves the old
    /// registers over the new state afterwards.
    #[inline]
    fn discard_live(&mut self) {
        // SAFETY: as in `settle`.
        if unsafe { self.complete.get().read_volatile() } == LIVE {
            // SAFETY: clearing TS only lets SSE instructions run; the
            // live registers' values are no longer wanted.
            unsafe { core::arch::asm!("clts", options(nostack, preserves_flags)) };
        }
    }

    /// A complete copy of another thread's state: its entry area (`xmm`,
    /// MXCSR) over `x87_source`, the whole image its last context switch
    /// saved (which holds its x87 state, untouched by the kernel since).
    fn merged_copy(&self, x87_source: &[u8; FPU_IMAGE_SIZE]) -> [u8; FPU_IMAGE_SIZE] {
        // SAFETY: the caller reads a state no one else is using.
        unsafe {
            // A thread leaves the CPU only after `#NM` saved a live state.
            debug_assert_ne!(*self.complete.get(), LIVE);
            let image = &*self.image.get();
            match *self.complete.get() {
                PARTIAL => {}
                INITIAL => return crate::context::INITIAL_FPU_IMAGE,
                _ => return *image,
            }
            let mut merged = *x87_source;
            merged[MXCSR_OFFSET..MXCSR_OFFSET + 4]
                .copy_from_slice(&image[MXCSR_OFFSET..MXCSR_OFFSET + 4]);
            merged[XMM_OFFSET..XMM_OFFSET + 256]
                .copy_from_slice(&image[XMM_OFFSET..XMM_OFFSET + 256]);
            merged
        }
    }
}

#[repr(C, align(64))]
struct FxsaveArea([u8; FPU_IMAGE_SIZE]);

unsafe extern "C" {
    /// Clears CR0.TS and saves MXCSR and the `xmm` registers into the
    /// FXSAVE-layout area at `area` (64-byte aligned), marking it
    /// partial; loads the kernel's MXCSR.
    fn arch_fpu_settle(area: *mut u8);
}

/// The kernel's handler for every vector.
pub type TrapHandler = fn(&mut TrapFrame, &mut FpuState);

static HANDLER: Once<TrapHandler> = Once::new();

/// Sets the stack that interrupts from ring 3 continue on, on this CPU
/// (the scheduler sets it to the current thread's stack on every switch).
///
/// The top must be 64-byte aligned: the `syscall` entry finds its FPU
/// area's alignment there.
pub fn set_kernel_stack_top(top: u64) {
    debug_assert_eq!(top % 64, 0, "kernel stack top {top:#x} not 64-byte aligned");
    crate::percpu::set_kernel_stack_top(top);
}

/// The kernel stack top interrupts from ring 3 use now on this CPU: the
/// registers of the current thread's last entry from user mode lie just
/// below it.
pub fn kernel_stack_top() -> u64 {
    crate::percpu::kernel_stack_top()
}

/// The user registers and FPU image a thread saved on its last entry
/// from ring 3, read from the top of its kernel stack: the entry pushes
/// the [`TrapFrame`] right below the top, the stub's frame link (16 bytes)
/// below that, and the [`FpuState`] at the next 64-byte-aligned 576 bytes.
/// The x87 part comes from `switched_out`, the whole image the thread's
/// last context switch saved. `None` if what lies there is not a user
/// entry frame.
///
/// # Safety
///
/// `stack_top` must be the top of a mapped kernel stack whose thread is
/// inside a trap from user mode (blocked, waiting or preempted) and not
/// running, so the words read are that trap's saved state; for a thread
/// that never entered from ring 3 they are at worst stale or zero, which
/// the `cs` check rejects.
pub unsafe fn saved_user_state(
    stack_top: u64,
    switched_out: &[u8; FPU_IMAGE_SIZE],
) -> Option<(TrapFrame, [u8; FPU_IMAGE_SIZE])> {
    // SAFETY: the caller upholds the same contract.
    let frame = unsafe { saved_user_frame(stack_top) }?;
    let frame_at = stack_top - size_of::<TrapFrame>() as u64;
    let fpu_at = (frame_at - 16 - size_of::<FpuState>() as u64) & !63;
    // SAFETY: as above; the trap stub's layout puts the area here, and the
    // thread is not running, so nothing changes it meanwhile.
    let fpu = unsafe { &*(fpu_at as *const FpuState) };
    Some((frame, fpu.merged_copy(switched_out)))
}

/// The user registers of [`saved_user_state`] alone, which may also be
/// read for the running thread (an interrupt's view of its own entry).
///
/// # Safety
///
/// `stack_top` must be the top of a mapped kernel stack whose thread is
/// inside a trap from user mode; otherwise the words read are at worst
/// stale or zero, which the `cs` check rejects.
pub unsafe fn saved_user_frame(stack_top: u64) -> Option<TrapFrame> {
    let frame_at = stack_top.checked_sub(size_of::<TrapFrame>() as u64)?;
    // SAFETY: per the contract, the bytes below `stack_top` are mapped
    // stack memory; `TrapFrame` is plain integers, valid for any bits.
    let frame = unsafe { (frame_at as *const TrapFrame).read_volatile() };
    frame.from_user().then_some(frame)
}

/// Registers the kernel's trap handler. Only the first call has an effect.
pub fn set_handler(handler: TrapHandler) {
    HANDLER.call_once(|| handler);
}

#[unsafe(no_mangle)]
extern "C" fn arch_trap_dispatch(frame: *mut TrapFrame, fpu: *mut FpuState) {
    // SAFETY: the entry stub passes pointers to the frame and FPU area it
    // just built on this stack; nothing else aliases them during the call.
    let (frame, fpu) = unsafe { (&mut *frame, &mut *fpu) };
    dispatch(frame, fpu);
}

/// Every entry but a system call's (see [`crate::syscall`]): the kernel's
/// trap handler.
#[inline(always)]
fn dispatch(frame: &mut TrapFrame, fpu: &mut FpuState) {
    match HANDLER.get() {
        Some(handler) => handler(frame, fpu),
        None => {
            let mut out = crate::serial::emergency_writer();
            let _ = core::fmt::write(
                &mut out,
                format_args!(
                    "\nunhandled vector {} at rip {:#x} before a handler was registered\n",
                    frame.vector, frame.rip
                ),
            );
            crate::cpu::halt_forever();
        }
    }
}

unsafe extern "C" {
    static trap_stub_table: [u64; crate::idt::VECTOR_COUNT];
}

/// The address of the entry stub for `vector`.
pub fn stub_address(vector: usize) -> u64 {
    // SAFETY: the table is immutable data emitted by the assembly below with
    // exactly VECTOR_COUNT entries.
    unsafe { trap_stub_table[vector] }
}

// Offsets in `trap_common` while rbx and rax are pushed on the IST stack:
// rbx 0, rax 8, vector 16, error 24, rip 32, cs 40, rflags 48, rsp 56, ss 64.
core::arch::global_asm!(
    r#"
    .altmacro
    .macro TRAP_STUB vector
    .balign 16
    trap_stub_\vector:
    .if \vector == 7
        jmp trap_device_not_available
    .endif
    .if (\vector == 8) || (\vector == 10) || (\vector == 11) || (\vector == 12) || (\vector == 13) || (\vector == 14) || (\vector == 17) || (\vector == 21) || (\vector == 29) || (\vector == 30)
    .else
        push 0
    .endif
        push \vector
        jmp trap_common
    .endm

    .macro TRAP_STUB_ADDRESS vector
        .quad trap_stub_\vector
    .endm

    .section .text.trap_stubs, "ax", @progbits
    .set vector, 0
    .rept 256
        TRAP_STUB %vector
        .set vector, vector + 1
    .endr

    .section .rodata.trap_stub_table, "a", @progbits
    .balign 8
    .global trap_stub_table
    trap_stub_table:
    .set vector, 0
    .rept 256
        TRAP_STUB_ADDRESS %vector
        .set vector, vector + 1
    .endr
    .noaltmacro

    /* xmm0-xmm15 to and from their places in an FXSAVE-layout area. */
    .macro SAVE_XMM base
    .irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
        movdqa [\base + 160 + 16 * \n], xmm\n
    .endr
    .endm
    .macro RESTORE_XMM base
    .irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
        movdqa xmm\n, [\base + 160 + 16 * \n]
    .endr
    .endm

    .section .text.trap_common, "ax", @progbits
    .global trap_common
    .type trap_common, @function
    trap_common:
        cld
        push rax
        push rbx
        mov rax, [rsp + 16]
        cmp rax, 2
        je 5f
        cmp rax, 8
        je 5f
        test qword ptr [rsp + 40], 3
        jnz 4f
        mov rax, [rsp + 56]
        sub rax, 128
        and rax, -16
        jmp 2f
    4:
        swapgs
        mov rax, gs:[8]
    2:
        sub rax, 72
        mov rbx, [rsp + 0]
        mov [rax + 0], rbx
        mov rbx, [rsp + 8]
        mov [rax + 8], rbx
        mov rbx, [rsp + 16]
        mov [rax + 16], rbx
        mov rbx, [rsp + 24]
        mov [rax + 24], rbx
        mov rbx, [rsp + 32]
        mov [rax + 32], rbx
        mov rbx, [rsp + 40]
        mov [rax + 40], rbx
        mov rbx, [rsp + 48]
        mov [rax + 48], rbx
        mov rbx, [rsp + 56]
        mov [rax + 56], rbx
        mov rbx, [rsp + 64]
        mov [rax + 64], rbx
        mov rsp, rax
        jmp 3f
    5:
        /* The NMI and the double fault may arrive between an entry and
           its swapgs (or an exit's swapgs and its iretq): the GS base
           says which is live. The user's is always 0, a kernel one is a
           higher-half address. */
        push rcx
        push rdx
        mov ecx, 0xc0000101
        rdmsr
        test edx, edx
        js 9f
        swapgs
    9:
        pop rdx
        pop rcx
    3:
        pop rbx
        pop rax
    .global trap_save_registers
    trap_save_registers:
    "#,
    push_general_registers!(),
    r#"
        mov rdi, rsp
        push qword ptr [rdi + 17 * 8]
        push rbp
        mov rbp, rsp
        sub rsp, 576
        and rsp, -64
        stmxcsr [rsp + 24]
        SAVE_XMM rsp
        mov byte ptr [rsp + 512], 0
        ldmxcsr [rip + arch_kernel_mxcsr]
        mov rsi, rsp
        call arch_trap_dispatch
    .global trap_restore_fpu
    trap_restore_fpu:
        /* A state the kernel completed or replaced goes back whole. */
        cmp byte ptr [rsp + 512], 0
        jne 12f
        ldmxcsr [rsp + 24]
        RESTORE_XMM rsp
        jmp 13f
    12:
        cmp byte ptr [rsp + 512], {initial_flag}
        je 14f
        fxrstor64 [rsp]
        jmp 13f
    14:
        fxrstor64 [rip + {initial}]
    13:
    .global trap_leave
    trap_leave:
        lea rsp, [rbp + 16]
    .global trap_restore_registers
    trap_restore_registers:
        /* A system call returning to the instruction after `syscall`
           with rcx = rip and r11 = rflags (nothing rewrote the frame)
           leaves by sysretq, which is much cheaper than iretq. sysretq
           faults in ring 0 on a non-canonical rip, so rip must lie below
           the end of user space; TF and RF take the iretq path. Any frame
           that fails a check has its vector slot cleared, which selects
           iretq after the registers are restored. */
        cmp qword ptr [rsp + 15 * 8], 256
        jne 7f
        cmp qword ptr [rsp + 18 * 8], 0x33
        jne 7f
        mov rax, [rsp + 17 * 8]
        cmp rax, [rsp + 12 * 8]
        jne 7f
        mov rcx, 0x00007ffffffff000
        cmp rax, rcx
        jae 7f
        mov rax, [rsp + 19 * 8]
        cmp rax, [rsp + 4 * 8]
        jne 7f
        test rax, 0x10100
        jz 6f
    7:
        mov qword ptr [rsp + 15 * 8], 0
    6:
    "#,
    pop_general_registers!(),
    r#"
        cmp qword ptr [rsp], 256
        jne 8f
        mov rsp, [rsp + 5 * 8]
        swapgs
        sysretq
    8:
        add rsp, 16
        test qword ptr [rsp + 8], 3
        jz 10f
        swapgs
    10:
        iretq
    .size trap_common, . - trap_common

    /* #NM: kernel code is about to touch the SSE registers while a
       system call's user state is still live in them (CR0.TS set by the
       `syscall` entry, the only place that sets it). Save it into that
       call's area as arch_fpu_settle does, clear TS and retry the
       instruction. Runs on the interrupt IST stack with interrupts off
       and touches neither the interrupted stack nor any SSE register
       before TS is clear. Any other #NM (from ring 3, or with no live
       state) goes to the kernel's handler like every exception. */
    .section .text.trap_device_not_available, "ax", @progbits
    trap_device_not_available:
        test qword ptr [rsp + 8], 3
        jnz 2f
        push rax
        mov rax, gs:[{syscall_fpu}]
        cmp byte ptr [rax + 512], {live}
        jne 1f
        clts
        stmxcsr [rax + 24]
        SAVE_XMM rax
        mov byte ptr [rax + 512], 0
        ldmxcsr [rip + arch_kernel_mxcsr]
        pop rax
        iretq
    1:
        pop rax
    2:
        push 0
        push 7
        jmp trap_common

    /* rdi: an FXSAVE-layout area (64-byte aligned). Clears TS first: an
       interrupt from here on saves and restores the registers itself. */
    .section .text.arch_fpu_settle, "ax", @progbits
    .global arch_fpu_settle
    .type arch_fpu_settle, @function
    arch_fpu_settle:
        clts
        stmxcsr [rdi + 24]
        SAVE_XMM rdi
        mov byte ptr [rdi + 512], 0
        ldmxcsr [rip + arch_kernel_mxcsr]
        ret
    .size arch_fpu_settle, . - arch_fpu_settle

    /* The MXCSR kernel code runs with (all exceptions masked), whatever
       the interrupted code had set. */
    .section .rodata.arch_kernel_mxcsr, "a", @progbits
    .balign 4
    arch_kernel_mxcsr:
        .long 0x1f80

    .section .text.arch_enter_user, "ax", @progbits
    .global arch_enter_user
    .type arch_enter_user, @function
    arch_enter_user:
        fxrstor64 [rsi]
        mov rsp, rdi
        jmp trap_restore_registers
    .size arch_enter_user, . - arch_enter_user
    "#,
    initial = sym crate::context::INITIAL_FPU_AREA,
    initial_flag = const INITIAL,
    syscall_fpu = const crate::percpu::SYSCALL_FPU_OFFSET,
    live = const LIVE,
);

unsafe extern "C" {
    fn arch_enter_user(frame: *const TrapFrame, fpu: *const crate::context::FpuArea) -> !;
}

/// Leaves the kernel for the context in `frame` (ring 3 normally) with the
/// FPU state `fpu`, through the same exit path as every interrupt.
///
/// # Safety
/// `frame` lies at the top of the current thread's kernel stack (the stack
/// that interrupts from user mode will use next), holds user selectors and a
/// user `rip`, and nothing on this stack is needed any more.
pub unsafe fn enter_user(frame: *const TrapFrame, fpu: &crate::context::FpuArea) -> ! {
    // SAFETY: the caller upholds the contract above.
    unsafe { arch_enter_user(frame, fpu) }
}
