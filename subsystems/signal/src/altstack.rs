//! The alternate signal stack (`sigaltstack`) and Linux's `stack_t`.

use abi::{Errno, KernelResult};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// `ss_flags`: the thread is running on the alternate stack.
pub const SS_ONSTACK: i32 = 1;
/// `ss_flags`: the alternate stack is disabled.
pub const SS_DISABLE: i32 = 2;
/// `ss_flags`: disarm the stack while a handler runs on it (Linux 4.7+).
pub const SS_AUTODISARM: i32 = 1 << 31;
/// The smallest alternate stack Linux x86_64 accepts; smaller gets `ENOMEM`.
pub const MINSIGSTKSZ: u64 = 2048;

/// Linux's `stack_t` on x86_64 (24 bytes): `sigaltstack`'s argument and
/// `uc_stack` in the signal frame.
#[derive(
    Clone, Copy, PartialEq, Eq, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct StackT {
    /// `ss_sp`: lowest address of the stack.
    pub ss_sp: u64,
    /// `ss_flags`.
    pub ss_flags: i32,
    /// Padding after the int.
    pub pad: i32,
    /// `ss_size`.
    pub ss_size: u64,
}

static_assertions::const_assert_eq!(core::mem::size_of::<StackT>(), 24);
static_assertions::const_assert_eq!(core::mem::offset_of!(StackT, ss_size), 16);

/// A thread's alternate signal stack. Size 0 means none is installed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct AltStack {
    /// Lowest address.
    pub base: u64,
    /// Size in bytes; 0 when disabled.
    pub size: u64,
    /// `ss_flags` as last passed to `sigaltstack` (`SS_DISABLE` initially):
    /// the signal frame records them so `rt_sigreturn` can re-arm an
    /// `SS_AUTODISARM` stack.
    pub flags: i32,
}

impl Default for AltStack {
    fn default() -> Self {
        Self::DISABLED
    }
}

impl AltStack {
    /// No alternate stack.
    pub const DISABLED: AltStack = AltStack {
        base: 0,
        size: 0,
        flags: SS_DISABLE,
    };

    /// True if `SS_AUTODISARM` was requested.
    pub fn autodisarm(&self) -> bool {
        self.flags & SS_AUTODISARM != 0
    }

    /// True if `sp` lies on the stack (Linux's `__on_sig_stack`: the stack
    /// grows down, so its top address counts and its base does not).
    pub fn contains(&self, sp: u64) -> bool {
        sp > self.base && sp - self.base <= self.size
    }

    /// True if a thread whose stack pointer is `sp` counts as running on
    /// the alternate stack (never with `SS_AUTODISARM`, which makes nested
    /// handlers start again from the top).
    pub fn is_on(&self, sp: u64) -> bool {
        !self.autodisarm() && self.contains(sp)
    }

    /// `ss_flags` as `sigaltstack` and the signal frame report them for a
    /// thread whose stack pointer is `sp`.
    pub fn flags_at(&self, sp: u64) -> i32 {
        let state = if self.size == 0 {
            SS_DISABLE
        } else if self.is_on(sp) {
            SS_ONSTACK
        } else {
            0
        };
        state | (self.flags & SS_AUTODISARM)
    }

    /// The top of the stack (where a frame placed on it starts).
    pub fn top(&self) -> u64 {
        self.base.wrapping_add(self.size)
    }

    /// The `stack_t` describing this stack for a thread at `sp`.
    pub fn to_stack_t(&self, sp: u64) -> StackT {
        StackT {
            ss_sp: self.base,
            ss_flags: self.flags_at(sp),
            pad: 0,
            ss_size: self.size,
        }
    }

    /// The `stack_t` a signal frame records in `uc_stack`: the stack as
    /// configured, with its stored flags (Linux's `__save_altstack`).
    pub fn to_saved_stack_t(&self) -> StackT {
        StackT {
            ss_sp: self.base,
            ss_flags: self.flags,
            pad: 0,
            ss_size: self.size,
        }
    }

    /// `sigaltstack(new, old)` for a thread whose user stack pointer is
    /// `sp`: returns the old setting. Changing the stack while running on
    /// it is `EPERM`; a mode other than 0, `SS_ONSTACK` or `SS_DISABLE` is
    /// `EINVAL`; a stack smaller than [`MINSIGSTKSZ`] is `ENOMEM`.
    pub fn sigaltstack(&mut self, new: Option<&StackT>, sp: u64) -> KernelResult<StackT> {
        let old = self.to_stack_t(sp);
        let Some(new) = new else {
            return Ok(old);
        };
        if self.is_on(sp) {
            return Err(Errno::EPERM);
        }
        let mode = new.ss_flags & !SS_AUTODISARM;
        *self = match mode {
            SS_DISABLE => AltStack {
                base: 0,
                size: 0,
                flags: new.ss_flags,
            },
            0 | SS_ONSTACK => {
                if new.ss_size < MINSIGSTKSZ {
                    return Err(Errno::ENOMEM);
                }
                AltStack {
                    base: new.ss_sp,
                    size: new.ss_size,
                    flags: new.ss_flags,
                }
            }
            _ => return Err(Errno::EINVAL),
        };
        Ok(old)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(sp: u64, size: u64, flags: i32) -> StackT {
        StackT {
            ss_sp: sp,
            ss_flags: flags,
            pad: 0,
            ss_size: size,
        }
    }

    #[test]
    fn sigaltstack_reports_disabled_until_installed() {
        let mut stack = AltStack::default();
        let old = stack
            .sigaltstack(Some(&request(0x10000, 8192, 0)), 0x7fff_0000)
            .unwrap();
        assert_eq!(old.ss_flags, SS_DISABLE);
        let now = stack.sigaltstack(None, 0x7fff_0000).unwrap();
        assert_eq!((now.ss_sp, now.ss_size, now.ss_flags), (0x10000, 8192, 0));
    }

    #[test]
    fn small_altstack_is_enomem() {
        let mut stack = AltStack::default();
        assert_eq!(
            stack.sigaltstack(Some(&request(0x10000, 2047, 0)), 0),
            Err(Errno::ENOMEM)
        );
        assert!(
            stack
                .sigaltstack(Some(&request(0x10000, 2048, 0)), 0)
                .is_ok()
        );
    }

    #[test]
    fn changing_altstack_while_on_it_is_eperm() {
        let mut stack = AltStack::default();
        stack
            .sigaltstack(Some(&request(0x10000, 8192, 0)), 0)
            .unwrap();
        let on_it = 0x11000;
        assert_eq!(stack.sigaltstack(None, on_it).unwrap().ss_flags, SS_ONSTACK);
        assert_eq!(
            stack.sigaltstack(Some(&request(0, 0, SS_DISABLE)), on_it),
            Err(Errno::EPERM)
        );
        // Disabling from the normal stack works, and ignores size.
        assert!(
            stack
                .sigaltstack(Some(&request(0, 0, SS_DISABLE)), 0x7fff_0000)
                .is_ok()
        );
        assert_eq!(stack, AltStack::DISABLED);
    }

    #[test]
    fn unknown_mode_is_einval() {
        let mut stack = AltStack::default();
        assert_eq!(
            stack.sigaltstack(Some(&request(0x10000, 8192, 4)), 0),
            Err(Errno::EINVAL)
        );
    }

    #[test]
    fn autodisarm_stack_never_counts_as_in_use() {
        let mut stack = AltStack::default();
        stack
            .sigaltstack(Some(&request(0x10000, 8192, SS_ONSTACK | SS_AUTODISARM)), 0)
            .unwrap();
        assert!(!stack.is_on(0x11000));
        assert_eq!(stack.flags_at(0x11000), SS_AUTODISARM);
        assert_eq!(
            stack.to_saved_stack_t().ss_flags,
            SS_ONSTACK | SS_AUTODISARM
        );
    }

    #[test]
    fn stack_top_belongs_to_stack_but_base_does_not() {
        let stack = AltStack {
            base: 0x1000,
            size: 0x1000,
            flags: 0,
        };
        assert!(stack.contains(0x2000));
        assert!(!stack.contains(0x1000));
    }
}
