//! Host tests of address spaces, faults, fork and user copies, over the
//! fakes in [`crate::fake`].

mod faults;
mod fork;
mod regions;
mod remap;
mod user_access;

use alloc::vec;
use alloc::vec::Vec;

use crate::fake::{FakePageTable, FakePhysicalMemory, test_allocator};
use crate::{AddressSpace, AddressSpaceMemory, BuddyAllocator, UserMemory, UserSlice, VirtAddr};

/// A machine: frames, physical memory, and one address space.
struct Machine {
    frames: BuddyAllocator<'static>,
    phys: FakePhysicalMemory,
}

impl Machine {
    fn new() -> Machine {
        Machine::with_megabytes(64)
    }

    fn with_megabytes(megabytes: u64) -> Machine {
        Machine {
            frames: test_allocator(megabytes).unwrap(),
            phys: FakePhysicalMemory::new(),
        }
    }

    fn space(&mut self) -> AddressSpace<FakePageTable> {
        AddressSpace::new(FakePageTable::new(&mut self.frames).unwrap())
    }

    fn fork(&mut self, parent: &mut AddressSpace<FakePageTable>) -> AddressSpace<FakePageTable> {
        let table = FakePageTable::new(&mut self.frames).unwrap();
        parent.fork(table, &mut self.frames).unwrap()
    }

    fn write(
        &mut self,
        space: &mut AddressSpace<FakePageTable>,
        addr: u64,
        bytes: &[u8],
    ) -> abi::KernelResult<()> {
        let mem = AddressSpaceMemory::new(space, &mut self.frames, &self.phys);
        mem.copy_to_user(UserSlice::new(addr, bytes.len())?, bytes)
    }

    fn read(
        &mut self,
        space: &mut AddressSpace<FakePageTable>,
        addr: u64,
        len: usize,
    ) -> abi::KernelResult<Vec<u8>> {
        let mem = AddressSpaceMemory::new(space, &mut self.frames, &self.phys);
        let mut buf = vec![0; len];
        mem.copy_from_user(&mut buf, UserSlice::new(addr, len)?)?;
        Ok(buf)
    }
}

/// `(start, end, perms)` of every region, to compare layouts.
fn layout(space: &AddressSpace<FakePageTable>) -> Vec<(u64, u64, crate::Perms)> {
    space
        .regions()
        .map(|r| (r.range().start().0, r.range().end().0, r.perms()))
        .collect()
}

fn va(addr: u64) -> VirtAddr {
    VirtAddr(addr)
}
