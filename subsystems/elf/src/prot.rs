//! Memory protection of a planned mapping.

use crate::raw::{PF_R, PF_W, PF_X};

bitflags::bitflags! {
    /// Access a mapping allows, with the same bit values as `mmap`'s `PROT_*`
    /// (which differ from the ELF `PF_*` bits).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct Prot: u32 {
        /// `PROT_READ`.
        const READ = 1;
        /// `PROT_WRITE`.
        const WRITE = 2;
        /// `PROT_EXEC`.
        const EXEC = 4;
    }
}

impl Prot {
    /// Converts ELF segment flags (`p_flags`) to a protection, ignoring
    /// bits that are not `PF_R`/`PF_W`/`PF_X`.
    pub fn from_segment_flags(p_flags: u32) -> Prot {
        let mut prot = Prot::empty();
        if p_flags & PF_R != 0 {
            prot |= Prot::READ;
        }
        if p_flags & PF_W != 0 {
            prot |= Prot::WRITE;
        }
        if p_flags & PF_X != 0 {
            prot |= Prot::EXEC;
        }
        prot
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_flags_map_to_mmap_bits() {
        assert_eq!(
            Prot::from_segment_flags(PF_R | PF_X),
            Prot::READ | Prot::EXEC
        );
        assert_eq!(Prot::from_segment_flags(PF_R | PF_W).bits(), 3);
        assert_eq!(Prot::from_segment_flags(0x0ff0_0000), Prot::empty());
    }
}
