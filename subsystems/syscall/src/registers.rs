//! The calling thread's saved user state: registers and FPU area, as the
//! entry path saved them. Calls that rewrite the whole context
//! (`rt_sigreturn`, `execve`, signal delivery) and calls that read it
//! (`fork`, `sigaltstack`) go through this trait, so they run on the host
//! against a plain struct.

use abi::KernelResult;
use mm::{UserMemory, UserSlice};
use signal::{FaultContext, UserRegisters};

/// Size of the legacy `fxsave` area every thread keeps.
pub const FPU_AREA_SIZE: usize = 512;

/// A copy of another thread's saved user context (see
/// [`crate::Kernel::saved_user_context`]).
#[derive(Clone, Debug)]
pub struct SavedUserContext {
    /// Its registers.
    pub registers: UserRegisters,
    /// Its FPU/SSE state in `fxsave` layout.
    pub fpu: [u8; FPU_AREA_SIZE],
    /// Its `fs` base.
    pub fs_base: u64,
}

/// A thread's user context, saved at kernel entry and restored at exit.
pub trait SavedRegisters {
    /// The general-purpose registers, instruction and stack pointers.
    fn registers(&self) -> UserRegisters;

    /// Replaces them (the kernel returns to user mode with these).
    fn set_registers(&mut self, registers: &UserRegisters);

    /// The FPU/SSE state in `fxsave` layout.
    fn fpu(&self) -> &[u8; FPU_AREA_SIZE];

    /// The FPU/SSE state, to replace.
    fn fpu_mut(&mut self) -> &mut [u8; FPU_AREA_SIZE];

    /// The FPU/SSE state, to be overwritten whole: the caller writes every
    /// byte before the thread runs again, so a kernel that keeps part of
    /// the state elsewhere need not gather it first (`rt_sigreturn`).
    fn fpu_to_overwrite(&mut self) -> &mut [u8; FPU_AREA_SIZE] {
        self.fpu_mut()
    }

    /// Writes the FPU/SSE state in `fxsave` layout to `dst` of `memory`, a
    /// signal frame's FPU area (the user memory of the thread whose state
    /// this is). A kernel that keeps part of the state in the CPU
    /// overrides it to store from there (Linux's `fxsave` into the frame).
    fn write_fpu_to_user(&self, memory: &dyn UserMemory, dst: UserSlice) -> KernelResult<()> {
        memory.copy_to_user(dst, self.fpu())
    }

    /// Resets the FPU/SSE state to its power-on value (a signal handler
    /// and a new program start clean).
    fn reset_fpu(&mut self);

    /// What the CPU said about the exception that entered the kernel;
    /// zeros for a system call or an interrupt.
    fn fault(&self) -> FaultContext {
        FaultContext::default()
    }

    /// `rax`: what a system call returned. A kernel overrides it where
    /// building the whole [`UserRegisters`] costs more (every return to
    /// user mode asks).
    fn return_value(&self) -> u64 {
        self.registers().rax
    }

    /// `rsp`, overridden as [`SavedRegisters::return_value`] is
    /// (`rt_sigreturn` finds its frame by it).
    fn stack_pointer(&self) -> u64 {
        self.registers().rsp
    }

    /// The value a system call returns (`rax`).
    fn set_return_value(&mut self, value: u64) {
        let mut registers = self.registers();
        registers.rax = value;
        self.set_registers(&registers);
    }
}

/// A borrowed view is a view: [`crate::serve_number_with`] takes the
/// registers by value, and a caller that keeps them passes `&mut`.
impl<R: SavedRegisters + ?Sized> SavedRegisters for &mut R {
    fn registers(&self) -> UserRegisters {
        (**self).registers()
    }
    fn set_registers(&mut self, registers: &UserRegisters) {
        (**self).set_registers(registers)
    }
    fn fpu(&self) -> &[u8; FPU_AREA_SIZE] {
        (**self).fpu()
    }
    fn fpu_mut(&mut self) -> &mut [u8; FPU_AREA_SIZE] {
        (**self).fpu_mut()
    }
    fn fpu_to_overwrite(&mut self) -> &mut [u8; FPU_AREA_SIZE] {
        (**self).fpu_to_overwrite()
    }
    fn write_fpu_to_user(&self, memory: &dyn UserMemory, dst: UserSlice) -> KernelResult<()> {
        (**self).write_fpu_to_user(memory, dst)
    }
    fn reset_fpu(&mut self) {
        (**self).reset_fpu()
    }
    fn fault(&self) -> FaultContext {
        (**self).fault()
    }
    fn return_value(&self) -> u64 {
        (**self).return_value()
    }
    fn stack_pointer(&self) -> u64 {
        (**self).stack_pointer()
    }
    fn set_return_value(&mut self, value: u64) {
        (**self).set_return_value(value)
    }
}

/// Saved state as plain data: what a host test or a freshly created
/// thread holds.
#[derive(Clone, Debug)]
pub struct PlainRegisters {
    /// The registers.
    pub registers: UserRegisters,
    /// The FPU/SSE state.
    pub fpu: [u8; FPU_AREA_SIZE],
    /// What a fault reported, if the entry was one.
    pub fault: FaultContext,
}

impl Default for PlainRegisters {
    fn default() -> Self {
        PlainRegisters {
            registers: UserRegisters::default(),
            fpu: [0; FPU_AREA_SIZE],
            fault: FaultContext::default(),
        }
    }
}

impl SavedRegisters for PlainRegisters {
    fn registers(&self) -> UserRegisters {
        self.registers
    }

    fn set_registers(&mut self, registers: &UserRegisters) {
        self.registers = *registers;
    }

    fn fpu(&self) -> &[u8; FPU_AREA_SIZE] {
        &self.fpu
    }

    fn fpu_mut(&mut self) -> &mut [u8; FPU_AREA_SIZE] {
        &mut self.fpu
    }

    fn reset_fpu(&mut self) {
        self.fpu = [0; FPU_AREA_SIZE];
        // fcw = 0x37f, mxcsr = 0x1f80: x87 and SSE exceptions masked.
        self.fpu[0..2].copy_from_slice(&0x37fu16.to_le_bytes());
        self.fpu[24..28].copy_from_slice(&0x1f80u32.to_le_bytes());
    }

    fn fault(&self) -> FaultContext {
        self.fault
    }
}
