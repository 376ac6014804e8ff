//! Copies between kernel and user memory that survive bad user pointers.
//!
//! The copy is a `rep movsq` then a `rep movsb` for the tail (the futex
//! compare-and-exchange one `lock cmpxchg`, a signal frame's FPU state
//! one `fxsave64`), whose
//! addresses are listed in an exception-fixup table: if it faults and the page-fault handler cannot resolve the fault
//! (demand paging, copy-on-write), the handler calls [`fixup_for`] and
//! resumes at the fixup stub instead, which makes the copy return an error.
//! With SMAP on, the copy opens user access with `stac` and closes it with
//! `clac` on both paths. Callers check the range with `mm::UserSlice` first,
//! so only user-half addresses ever reach the copy.

use core::sync::atomic::{AtomicBool, Ordering};

use abi::{Errno, KernelResult};
use mm::{UserMemory, UserPtr, UserSlice};

/// Whether CR4.SMAP is set (then the copy must bracket user access).
#[unsafe(export_name = "arch_smap_enabled")]
static SMAP_ENABLED: AtomicBool = AtomicBool::new(false);

/// Records that SMAP has been turned on.
pub fn set_smap_enabled(enabled: bool) {
    SMAP_ENABLED.store(enabled, Ordering::SeqCst);
}

/// Whether CR4.SMAP is set.
pub fn smap_enabled() -> bool {
    SMAP_ENABLED.load(Ordering::Relaxed)
}

unsafe extern "C" {
    fn arch_user_copy(dst: *mut u8, src: *const u8, len: usize) -> u64;
    fn arch_user_zero(dst: *mut u8, len: usize) -> usize;
    fn arch_user_cmpxchg32(word: *mut u32, expected: u32, new: u32) -> u64;
    fn arch_user_fxsave(dst: *mut u8, partial_image: *const u8) -> u64;
    static arch_fixup_table: [[u64; 2]; 6];
}

core::arch::global_asm!(
    r#"
    .section .text.arch_user_copy, "ax", @progbits
    .global arch_user_copy
    .type arch_user_copy, @function
    arch_user_copy:
        mov rcx, rdx
        cmp byte ptr [rip + arch_smap_enabled], 0
        je 2f
        stac
    2:
        shr rcx, 3
    arch_user_copy_quads:
        rep movsq
        mov ecx, edx
        and ecx, 7
    arch_user_copy_bytes:
        rep movsb
        cmp byte ptr [rip + arch_smap_enabled], 0
        je 3f
        clac
    3:
        xor eax, eax
        ret
    arch_user_copy_fixup:
        cmp byte ptr [rip + arch_smap_enabled], 0
        je 4f
        clac
    4:
        mov eax, 1
        ret
    .size arch_user_copy, . - arch_user_copy

    // rdi: user destination, rsi: length. rax: the bytes not zeroed
    // (0, or what was left at the first fault), as Linux's clear_user. A
    // fault in the quadword loop goes on a byte at a time, so the count
    // is exact when the buffer ends inside a word.
    .section .text.arch_user_zero, "ax", @progbits
    .global arch_user_zero
    .type arch_user_zero, @function
    arch_user_zero:
        mov rcx, rsi
        xor eax, eax
        cmp byte ptr [rip + arch_smap_enabled], 0
        je 2f
        stac
    2:
        shr rcx, 3
    arch_user_zero_quads:
        rep stosq
        mov ecx, esi
        and ecx, 7
    arch_user_zero_bytes:
        rep stosb
        cmp byte ptr [rip + arch_smap_enabled], 0
        je 3f
        clac
    3:
        ret
    arch_user_zero_quads_fixup:
        and esi, 7
        lea rcx, [rsi + rcx * 8]
        jmp arch_user_zero_bytes
    arch_user_zero_bytes_fixup:
        mov rax, rcx
        cmp byte ptr [rip + arch_smap_enabled], 0
        je 4f
        clac
    4:
        ret
    .size arch_user_zero, . - arch_user_zero

    // rax: the value found (zero-extended), or 1 << 32 after a fault.
    .section .text.arch_user_cmpxchg32, "ax", @progbits
    .global arch_user_cmpxchg32
    .type arch_user_cmpxchg32, @function
    arch_user_cmpxchg32:
        mov eax, esi
        cmp byte ptr [rip + arch_smap_enabled], 0
        je 2f
        stac
    2:
    arch_user_cmpxchg32_insn:
        lock cmpxchg dword ptr [rdi], edx
        cmp byte ptr [rip + arch_smap_enabled], 0
        je 3f
        clac
    3:
        ret
    arch_user_cmpxchg32_fixup:
        cmp byte ptr [rip + arch_smap_enabled], 0
        je 4f
        clac
    4:
        movabs rax, 0x100000000
        ret
    .size arch_user_cmpxchg32, . - arch_user_cmpxchg32

    // rdi: a 16-byte-aligned user address; rsi: an FXSAVE image whose
    // MXCSR and xmm registers the entry stub saved (the x87 part is still
    // in the CPU). rax: 0, or 1 after a fault. Clobbers xmm0-xmm15, which
    // the C ABI lets a callee do; the caller's MXCSR is put back.
    .section .text.arch_user_fxsave, "ax", @progbits
    .global arch_user_fxsave
    .type arch_user_fxsave, @function
    arch_user_fxsave:
        sub rsp, 8
        stmxcsr [rsp]
        ldmxcsr [rsi + 24]
        movdqa xmm0, [rsi + 160]
        movdqa xmm1, [rsi + 176]
        movdqa xmm2, [rsi + 192]
        movdqa xmm3, [rsi + 208]
        movdqa xmm4, [rsi + 224]
        movdqa xmm5, [rsi + 240]
        movdqa xmm6, [rsi + 256]
        movdqa xmm7, [rsi + 272]
        movdqa xmm8, [rsi + 288]
        movdqa xmm9, [rsi + 304]
        movdqa xmm10, [rsi + 320]
        movdqa xmm11, [rsi + 336]
        movdqa xmm12, [rsi + 352]
        movdqa xmm13, [rsi + 368]
        movdqa xmm14, [rsi + 384]
        movdqa xmm15, [rsi + 400]
        cmp byte ptr [rip + arch_smap_enabled], 0
        je 2f
        stac
    2:
    arch_user_fxsave_insn:
        fxsave64 [rdi]
        cmp byte ptr [rip + arch_smap_enabled], 0
        je 3f
        clac
    3:
        ldmxcsr [rsp]
        add rsp, 8
        xor eax, eax
        ret
    arch_user_fxsave_fixup:
        cmp byte ptr [rip + arch_smap_enabled], 0
        je 4f
        clac
    4:
        ldmxcsr [rsp]
        add rsp, 8
        mov eax, 1
        ret
    .size arch_user_fxsave, . - arch_user_fxsave

    .section .rodata.arch_fixup_table, "a", @progbits
    .balign 8
    .global arch_fixup_table
    arch_fixup_table:
        .quad arch_user_copy_quads, arch_user_copy_fixup
        .quad arch_user_copy_bytes, arch_user_copy_fixup
        .quad arch_user_zero_quads, arch_user_zero_quads_fixup
        .quad arch_user_zero_bytes, arch_user_zero_bytes_fixup
        .quad arch_user_cmpxchg32_insn, arch_user_cmpxchg32_fixup
        .quad arch_user_fxsave_insn, arch_user_fxsave_fixup
    "#
);

/// Where to resume after a fault at `rip`, if `rip` is a user-access
/// instruction.
pub fn fixup_for(rip: u64) -> Option<u64> {
    // SAFETY: the table is immutable data emitted above.
    let table = unsafe { &arch_fixup_table };
    table
        .iter()
        .find(|entry| entry[0] == rip)
        .map(|entry| entry[1])
}

/// Writes the FPU state whose SSE part the entry stub saved in
/// `partial_image` (the x87 part still in the CPU) to user memory at `dst`
/// with one `fxsave64`, as Linux writes a signal frame's FPU state: no
/// completed image to build and copy. `EINVAL` unless `dst` is 512 bytes
/// at a 16-byte boundary, `EFAULT` if it cannot be written.
///
/// # Safety
///
/// `partial_image` is the 16-byte-aligned FXSAVE area the entry stub
/// filled on this thread's way into the kernel, whose x87 state the CPU
/// still holds (no context switch reloaded it for another state since).
pub(crate) unsafe fn fxsave_to_user(dst: UserSlice, partial_image: *const u8) -> KernelResult<()> {
    if dst.len() != 512 || dst.addr() % 16 != 0 {
        return Err(Errno::EINVAL);
    }
    // SAFETY: `dst` lies in the user half and is aligned as fxsave64
    // needs, a fault on it is caught by the fixup table; the caller
    // vouches for `partial_image`, whose MXCSR the entry stub read from
    // the CPU (so loading it cannot fault).
    let failed = unsafe { arch_user_fxsave(dst.addr() as *mut u8, partial_image) };
    if failed == 0 {
        Ok(())
    } else {
        Err(Errno::EFAULT)
    }
}

/// User memory of the address space the CPU is running on.
#[derive(Clone, Copy, Debug, Default)]
pub struct ActiveUserMemory;

impl UserMemory for ActiveUserMemory {
    fn copy_from_user(&self, dst: &mut [u8], src: UserSlice) -> KernelResult<()> {
        if dst.len() != src.len() {
            return Err(Errno::EINVAL);
        }
        // SAFETY: `src` was checked to lie entirely in the user half; a
        // fault on it is caught by the fixup table; `dst` is a live kernel
        // buffer of the same length.
        let failed =
            unsafe { arch_user_copy(dst.as_mut_ptr(), src.addr() as *const u8, dst.len()) };
        if failed == 0 {
            Ok(())
        } else {
            Err(Errno::EFAULT)
        }
    }

    fn copy_to_user(&self, dst: UserSlice, src: &[u8]) -> KernelResult<()> {
        if src.len() != dst.len() {
            return Err(Errno::EINVAL);
        }
        // SAFETY: as above, with the roles swapped.
        let failed = unsafe { arch_user_copy(dst.addr() as *mut u8, src.as_ptr(), src.len()) };
        if failed == 0 {
            Ok(())
        } else {
            Err(Errno::EFAULT)
        }
    }

    fn zero_user(&self, dst: UserSlice) -> usize {
        // SAFETY: `dst` was checked to lie entirely in the user half; a
        // fault on it is caught by the fixup table.
        let left = unsafe { arch_user_zero(dst.addr() as *mut u8, dst.len()) };
        dst.len() - left
    }

    fn compare_exchange_u32(
        &self,
        word: UserPtr<u32>,
        expected: u32,
        new: u32,
    ) -> KernelResult<u32> {
        word.check_aligned()?;
        // SAFETY: `word` lies in the user half (checked by `UserPtr`) and
        // is aligned, so the one `lock cmpxchg` touches one page; a fault
        // on it is caught by the fixup table.
        let result = unsafe { arch_user_cmpxchg32(word.addr() as *mut u32, expected, new) };
        u32::try_from(result).map_err(|_| Errno::EFAULT)
    }
}
