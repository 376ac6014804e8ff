//! Classic BPF as seccomp accepts and runs it.

use crate::data::{SECCOMP_DATA_SIZE, SeccompData};
use abi::{Errno, KernelResult};
use alloc::vec::Vec;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// Linux's `struct sock_filter`: one instruction, 8 bytes.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct SockFilter {
    /// Class, size or operation, mode or source.
    pub code: u16,
    /// Where a conditional jump goes when true (instructions to skip).
    pub jt: u8,
    /// Where it goes when false.
    pub jf: u8,
    /// The constant operand.
    pub k: u32,
}

impl SockFilter {
    /// A non-jump instruction (`BPF_STMT`).
    pub const fn statement(code: u16, k: u32) -> Self {
        SockFilter {
            code,
            jt: 0,
            jf: 0,
            k,
        }
    }

    /// A jump (`BPF_JUMP`).
    pub const fn jump(code: u16, k: u32, jt: u8, jf: u8) -> Self {
        SockFilter { code, jt, jf, k }
    }
}

/// The longest program one filter may have (`BPF_MAXINSNS`).
pub const BPF_MAXINSNS: usize = 4096;
/// The scratch words a program has (`BPF_MEMWORDS`).
pub const BPF_MEMWORDS: u32 = 16;

/// Instruction classes and fields (`linux/bpf_common.h`).
#[allow(missing_docs)]
pub mod op {
    pub const LD: u16 = 0x00;
    pub const LDX: u16 = 0x01;
    pub const ST: u16 = 0x02;
    pub const STX: u16 = 0x03;
    pub const ALU: u16 = 0x04;
    pub const JMP: u16 = 0x05;
    pub const RET: u16 = 0x06;
    pub const MISC: u16 = 0x07;
    pub const W: u16 = 0x00;
    pub const IMM: u16 = 0x00;
    pub const ABS: u16 = 0x20;
    pub const MEM: u16 = 0x60;
    pub const LEN: u16 = 0x80;
    pub const ADD: u16 = 0x00;
    pub const SUB: u16 = 0x10;
    pub const MUL: u16 = 0x20;
    pub const DIV: u16 = 0x30;
    pub const OR: u16 = 0x40;
    pub const AND: u16 = 0x50;
    pub const LSH: u16 = 0x60;
    pub const RSH: u16 = 0x70;
    pub const NEG: u16 = 0x80;
    pub const XOR: u16 = 0xa0;
    pub const JA: u16 = 0x00;
    pub const JEQ: u16 = 0x10;
    pub const JGT: u16 = 0x20;
    pub const JGE: u16 = 0x30;
    pub const JSET: u16 = 0x40;
    pub const K: u16 = 0x00;
    pub const X: u16 = 0x08;
    pub const A: u16 = 0x10;
    pub const TAX: u16 = 0x00;
    pub const TXA: u16 = 0x80;
}

use op::*;

/// One checked instruction, decoded once so that running needs no checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Insn {
    /// `A = data[k]` (a 32-bit word of the call's data).
    LoadData(u32),
    /// `A = k` (also `BPF_LEN`, the data's size).
    LoadImm(u32),
    /// `X = k`.
    LoadImmX(u32),
    /// `A = M[k]`.
    LoadMem(u8),
    /// `X = M[k]`.
    LoadMemX(u8),
    /// `M[k] = A`.
    Store(u8),
    /// `M[k] = X`.
    StoreX(u8),
    /// `A = A op k` or `A = A op X`.
    Alu(u16, Operand),
    /// `A = -A`.
    Neg,
    /// Skip `k` instructions.
    Jump(u32),
    /// Compare `A` with the operand; skip `jt` or `jf`.
    Branch(u16, Operand, u8, u8),
    /// Return `k`.
    ReturnImm(u32),
    /// Return `A`.
    ReturnA,
    /// `X = A`.
    Tax,
    /// `A = X`.
    Txa,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Operand {
    K(u32),
    X,
}

/// A program that passed Linux's checks (`bpf_check_classic` and
/// `seccomp_check_filter`), ready to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    insns: Vec<Insn>,
}

impl Program {
    /// Checks `filter` as Linux does before attaching it; `EINVAL` for an
    /// empty or too long program, an instruction outside seccomp's subset
    /// (packet loads, `BPF_MOD`, `BPF_RET|BPF_X`, ...), a load that is not
    /// a 4-byte aligned word inside [`SeccompData`], a division by a
    /// constant zero, a shift by 32 or more, a scratch word out of range
    /// or read before every path wrote it, a jump out of the program, or
    /// a last instruction that is not a return. `ENOMEM` if the copy
    /// cannot be made.
    pub fn new(filter: &[SockFilter]) -> KernelResult<Self> {
        let len = filter.len();
        if len == 0 || len > BPF_MAXINSNS {
            return Err(Errno::EINVAL);
        }
        let mut insns = Vec::new();
        insns.try_reserve_exact(len).map_err(|_| Errno::ENOMEM)?;
        for (pc, f) in filter.iter().enumerate() {
            insns.push(decode(f, len - pc - 1)?);
        }
        if !matches!(insns[len - 1], Insn::ReturnImm(_) | Insn::ReturnA) {
            return Err(Errno::EINVAL);
        }
        check_scratch_use(&insns)?;
        Ok(Program { insns })
    }

    /// How many instructions it has.
    pub fn len(&self) -> usize {
        self.insns.len()
    }

    /// Whether it has none (never true of a checked program).
    pub fn is_empty(&self) -> bool {
        self.insns.is_empty()
    }

    /// Runs the program on `data` and returns its answer. A division by a
    /// zero `X` ends it with 0 (`SECCOMP_RET_KILL_THREAD`), as Linux's
    /// translation of classic BPF does.
    pub fn run(&self, data: &SeccompData) -> u32 {
        let (mut a, mut x) = (0u32, 0u32);
        let mut mem = [0u32; BPF_MEMWORDS as usize];
        let mut pc = 0usize;
        // Every jump goes forward, and the last instruction returns.
        while let Some(&insn) = self.insns.get(pc) {
            pc += 1;
            match insn {
                Insn::LoadData(k) => a = data.word(k),
                Insn::LoadImm(k) => a = k,
                Insn::LoadImmX(k) => x = k,
                Insn::LoadMem(k) => a = mem[usize::from(k)],
                Insn::LoadMemX(k) => x = mem[usize::from(k)],
                Insn::Store(k) => mem[usize::from(k)] = a,
                Insn::StoreX(k) => mem[usize::from(k)] = x,
                Insn::Alu(operation, operand) => {
                    let v = match operand {
                        Operand::K(k) => k,
                        Operand::X => x,
                    };
                    a = match operation {
                        ADD => a.wrapping_add(v),
                        SUB => a.wrapping_sub(v),
                        MUL => a.wrapping_mul(v),
                        DIV => match a.checked_div(v) {
                            Some(q) => q,
                            None => return 0,
                        },
                        OR => a | v,
                        AND => a & v,
                        LSH => a.wrapping_shl(v),
                        RSH => a.wrapping_shr(v),
                        _ => a ^ v,
                    };
                }
                Insn::Neg => a = a.wrapping_neg(),
                Insn::Jump(k) => pc += k as usize,
                Insn::Branch(test, operand, jt, jf) => {
                    let v = match operand {
                        Operand::K(k) => k,
                        Operand::X => x,
                    };
                    let taken = match test {
                        JEQ => a == v,
                        JGT => a > v,
                        JGE => a >= v,
                        _ => a & v != 0,
                    };
                    pc += usize::from(if taken { jt } else { jf });
                }
                Insn::ReturnImm(k) => return k,
                Insn::ReturnA => return a,
                Insn::Tax => x = a,
                Insn::Txa => a = x,
            }
        }
        0
    }
}

/// One instruction, checked; `after` instructions follow it.
fn decode(f: &SockFilter, after: usize) -> KernelResult<Insn> {
    let k = f.k;
    let scratch = |k: u32| {
        if k < BPF_MEMWORDS {
            Ok(k as u8)
        } else {
            Err(Errno::EINVAL)
        }
    };
    let insn = match f.code {
        c if c == LD | W | ABS => {
            if k >= SECCOMP_DATA_SIZE || k & 3 != 0 {
                return Err(Errno::EINVAL);
            }
            Insn::LoadData(k)
        }
        c if c == LD | W | LEN => Insn::LoadImm(SECCOMP_DATA_SIZE),
        c if c == LDX | W | LEN => Insn::LoadImmX(SECCOMP_DATA_SIZE),
        c if c == LD | IMM => Insn::LoadImm(k),
        c if c == LDX | IMM => Insn::LoadImmX(k),
        c if c == LD | MEM => Insn::LoadMem(scratch(k)?),
        c if c == LDX | MEM => Insn::LoadMemX(scratch(k)?),
        ST => Insn::Store(scratch(k)?),
        STX => Insn::StoreX(scratch(k)?),
        c if c == RET | K => Insn::ReturnImm(k),
        c if c == RET | A => Insn::ReturnA,
        c if c == MISC | TAX => Insn::Tax,
        c if c == MISC | TXA => Insn::Txa,
        c if c == ALU | NEG => Insn::Neg,
        c if c & 0x07 == ALU && c & !0xf8 == ALU && c & 0xf0 != NEG => {
            let operation = c & 0xf0;
            if !matches!(
                operation,
                ADD | SUB | MUL | DIV | OR | AND | LSH | RSH | XOR
            ) {
                return Err(Errno::EINVAL);
            }
            let operand = if c & X != 0 {
                Operand::X
            } else {
                Operand::K(k)
            };
            if operand == Operand::K(k) {
                if operation == DIV && k == 0 {
                    return Err(Errno::EINVAL);
                }
                if matches!(operation, LSH | RSH) && k >= 32 {
                    return Err(Errno::EINVAL);
                }
            }
            Insn::Alu(operation, operand)
        }
        c if c == JMP | JA => {
            if k as usize >= after {
                return Err(Errno::EINVAL);
            }
            Insn::Jump(k)
        }
        c if c & 0x07 == JMP && c & !0xf8 == JMP => {
            let test = c & 0xf0;
            if !matches!(test, JEQ | JGT | JGE | JSET) {
                return Err(Errno::EINVAL);
            }
            if usize::from(f.jt) >= after || usize::from(f.jf) >= after {
                return Err(Errno::EINVAL);
            }
            let operand = if c & X != 0 {
                Operand::X
            } else {
                Operand::K(k)
            };
            Insn::Branch(test, operand, f.jt, f.jf)
        }
        _ => return Err(Errno::EINVAL),
    };
    Ok(insn)
}

/// Linux's `check_load_and_stores`: no path may read a scratch word it
/// has not written. One pass in program order suffices, as every jump
/// goes forward: each instruction starts with the words written on every
/// path seen so far to reach it.
fn check_scratch_use(insns: &[Insn]) -> KernelResult<()> {
    let mut masks = Vec::new();
    masks
        .try_reserve_exact(insns.len())
        .map_err(|_| Errno::ENOMEM)?;
    masks.resize(insns.len(), u16::MAX);
    let mut valid: u16 = 0;
    for (pc, &insn) in insns.iter().enumerate() {
        valid &= masks[pc];
        match insn {
            Insn::Store(k) | Insn::StoreX(k) => valid |= 1 << k,
            Insn::LoadMem(k) | Insn::LoadMemX(k) if valid & (1 << k) == 0 => {
                return Err(Errno::EINVAL);
            }
            Insn::Jump(k) => {
                masks[pc + 1 + k as usize] &= valid;
                valid = u16::MAX;
            }
            Insn::Branch(_, _, jt, jf) => {
                masks[pc + 1 + usize::from(jt)] &= valid;
                masks[pc + 1 + usize::from(jf)] &= valid;
                valid = u16::MAX;
            }
            _ => {}
        }
    }
    Ok(())
}
