//! Page faults: demand-zero, demand-load, and what is reported instead.

use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::{Errno, KernelResult};

use super::{Machine, va};
use crate::fake::POISON;
use crate::{
    Access, FaultOutcome, InodeBacking, MapRequest, PAGE_SIZE, PageFlags, PageTable, Perms,
    Placement, SegvCode, USER_SPACE_END, VirtAddr, VmObject,
};

const RW: Perms = Perms::READ.union(Perms::WRITE);

/// A file whose bytes are `contents`.
struct File {
    contents: Vec<u8>,
    fail: bool,
}

impl InodeBacking for File {
    fn size(&self) -> u64 {
        self.contents.len() as u64
    }

    fn read_page(&self, offset: u64, buf: &mut [u8]) -> KernelResult<usize> {
        if self.fail {
            return Err(Errno::EIO);
        }
        let start = offset as usize;
        let end = (start + buf.len()).min(self.contents.len());
        buf[..end - start].copy_from_slice(&self.contents[start..end]);
        Ok(end - start)
    }
}

pub(super) fn file(len: usize) -> Arc<VmObject> {
    let contents = (0..len).map(|i| (i / 4096) as u8 + 1).collect();
    VmObject::for_inode(Arc::new(File {
        contents,
        fail: false,
    }))
}

#[test]
fn untouched_anonymous_memory_reads_as_zeros() {
    let mut m = Machine::new();
    let mut space = m.space();
    let addr = space
        .mmap(MapRequest::anonymous(0x3000, RW), &mut m.frames)
        .unwrap();
    let free = m.frames.free_frames();
    let bytes = m.read(&mut space, addr.0 + 0x1ff0, 0x20).unwrap();
    assert!(
        bytes.iter().all(|b| *b == 0),
        "fresh frames hold {POISON:#x} until zeroed"
    );
    // Exactly the two touched pages (plus one page-table page) were materialised.
    assert_eq!(m.frames.free_frames(), free - 3);
    assert_eq!(space.page_table().mapped_pages(), 2);
    space.teardown(&mut m.frames);
}

#[test]
fn fault_outside_every_region_is_segv_maperr() {
    let mut m = Machine::new();
    let mut space = m.space();
    let addr = space
        .mmap(MapRequest::anonymous(0x1000, RW), &mut m.frames)
        .unwrap();
    for bad in [
        0,
        addr.0 + PAGE_SIZE,
        addr.0 - 1,
        USER_SPACE_END,
        0xffff_8000_0000_0000,
    ] {
        assert_eq!(
            space.handle_fault(va(bad), Access::Read, &mut m.frames, &m.phys),
            FaultOutcome::Segv(SegvCode::MapErr),
            "{bad:#x}"
        );
    }
    space.teardown(&mut m.frames);
}

#[test]
fn access_the_region_forbids_is_segv_accerr() {
    let mut m = Machine::new();
    let mut space = m.space();
    let read_only = space
        .mmap(MapRequest::anonymous(0x1000, Perms::READ), &mut m.frames)
        .unwrap();
    let none = space
        .mmap(MapRequest::anonymous(0x1000, Perms::empty()), &mut m.frames)
        .unwrap();
    let cases = [
        (read_only, Access::Write),
        (read_only, Access::Exec),
        (none, Access::Read),
        (none, Access::Write),
    ];
    for (addr, access) in cases {
        assert_eq!(
            space.handle_fault(va(addr.0 + 8), access, &mut m.frames, &m.phys),
            FaultOutcome::Segv(SegvCode::AccErr),
            "{access:?} at {addr:?}"
        );
    }
    assert_eq!(
        space.handle_fault(read_only, Access::Read, &mut m.frames, &m.phys),
        FaultOutcome::Resolved
    );
    space.teardown(&mut m.frames);
}

#[test]
fn prot_none_keeps_the_data_until_access_returns() {
    let mut m = Machine::new();
    let mut space = m.space();
    let addr = space
        .mmap(MapRequest::anonymous(0x1000, RW), &mut m.frames)
        .unwrap();
    m.write(&mut space, addr.0, b"kept").unwrap();
    space.mprotect(addr, 0x1000, Perms::empty()).unwrap();
    let (_, flags) = space.page_table().translate(addr).unwrap();
    assert_eq!(flags, PageFlags::empty());
    assert_eq!(m.read(&mut space, addr.0, 4), Err(Errno::EFAULT));
    space.mprotect(addr, 0x1000, Perms::READ).unwrap();
    assert_eq!(m.read(&mut space, addr.0, 4).unwrap(), b"kept");
    space.teardown(&mut m.frames);
}

#[test]
fn running_out_of_frames_is_reported_not_fatal() {
    let mut m = Machine::with_megabytes(1);
    let mut space = m.space();
    let addr = space
        .mmap(MapRequest::anonymous(2 << 20, RW), &mut m.frames)
        .unwrap();
    let mut outcome = FaultOutcome::Resolved;
    let mut page = addr.0;
    while outcome == FaultOutcome::Resolved {
        outcome = space.handle_fault(va(page), Access::Write, &mut m.frames, &m.phys);
        page += PAGE_SIZE;
    }
    assert_eq!(outcome, FaultOutcome::OutOfMemory);
    assert_eq!(m.frames.free_frames(), 0);
    space.teardown(&mut m.frames);
    assert_eq!(m.frames.free_frames(), m.frames.total_frames());
}

#[test]
fn private_file_mapping_loads_pages_and_copies_on_write() {
    let mut m = Machine::new();
    let mut space = m.space();
    let object = file(0x2800);
    let request = MapRequest::object(object.clone(), 0x1000, false, 0x3000, RW).named("/bin/prog");
    let addr = space.mmap(request, &mut m.frames).unwrap();
    // Offset 0x1000 into the file: the first mapped page is file page 1.
    assert_eq!(m.read(&mut space, addr.0, 2).unwrap(), [2, 2]);
    // The tail of the last file page reads as zero.
    assert_eq!(m.read(&mut space, addr.0 + 0x17ff, 2).unwrap(), [3, 0]);
    m.write(&mut space, addr.0, &[0xee]).unwrap();
    assert_eq!(m.read(&mut space, addr.0, 2).unwrap(), [0xee, 2]);
    // The page cache still holds the file's bytes for the next mapping.
    let other = space
        .mmap(
            MapRequest::object(object.clone(), 0x1000, false, 0x1000, Perms::READ),
            &mut m.frames,
        )
        .unwrap();
    assert_eq!(m.read(&mut space, other.0, 1).unwrap(), [2]);
    assert_eq!(object.resident_pages(), 2);
    // A page wholly past the end of the file is SIGBUS.
    assert_eq!(
        space.handle_fault(va(addr.0 + 0x2000), Access::Read, &mut m.frames, &m.phys),
        FaultOutcome::Bus
    );
    drop(object);
    space.teardown(&mut m.frames);
}

#[test]
fn unreadable_file_page_is_sigbus() {
    let mut m = Machine::new();
    let mut space = m.space();
    let object = VmObject::for_inode(Arc::new(File {
        contents: alloc::vec![1; 4096],
        fail: true,
    }));
    let addr = space
        .mmap(
            MapRequest::object(object, 0, false, 0x1000, Perms::READ),
            &mut m.frames,
        )
        .unwrap();
    assert_eq!(
        space.handle_fault(addr, Access::Read, &mut m.frames, &m.phys),
        FaultOutcome::Bus
    );
    space.teardown(&mut m.frames);
}

#[test]
fn shared_mappings_of_one_object_see_each_others_writes() {
    let mut m = Machine::new();
    let mut space = m.space();
    let object = VmObject::anonymous();
    let a = space
        .mmap(
            MapRequest::object(object.clone(), 0, true, 0x2000, RW),
            &mut m.frames,
        )
        .unwrap();
    let b = space
        .mmap(
            MapRequest::object(object.clone(), 0x1000, true, 0x1000, RW),
            &mut m.frames,
        )
        .unwrap();
    drop(object);
    m.write(&mut space, a.0 + 0x1004, b"both").unwrap();
    assert_eq!(m.read(&mut space, b.0 + 4, 4).unwrap(), b"both");
    let free = m.frames.free_frames();
    // Unmapping one window keeps the object's pages for the other.
    space.munmap(a, 0x2000, &mut m.frames).unwrap();
    assert_eq!(m.frames.free_frames(), free);
    assert_eq!(m.read(&mut space, b.0 + 4, 4).unwrap(), b"both");
    // Unmapping the last window gives the object's frame back.
    space.munmap(b, 0x1000, &mut m.frames).unwrap();
    assert_eq!(m.frames.free_frames(), free + 1);
    space.teardown(&mut m.frames);
}

#[test]
fn fixed_mapping_of_a_file_then_anonymous_bss_like_exec_does() {
    let mut m = Machine::new();
    let mut space = m.space();
    let text = Placement::Fixed(va(0x40_0000));
    let bss = Placement::Fixed(va(0x40_2000));
    let request =
        MapRequest::object(file(0x1800), 0, false, 0x2000, Perms::READ | Perms::EXEC).at(text);
    space.mmap(request, &mut m.frames).unwrap();
    space
        .mmap(MapRequest::anonymous(0x1000, RW).at(bss), &mut m.frames)
        .unwrap();
    assert_eq!(
        space.handle_fault(va(0x40_1000), Access::Exec, &mut m.frames, &m.phys),
        FaultOutcome::Resolved
    );
    let (frame, flags) = space.page_table().translate(va(0x40_1000)).unwrap();
    assert_eq!(flags, PageFlags::READ | PageFlags::EXEC);
    assert_eq!(m.frames.ref_count(frame), 2, "page cache and mapping");
    assert_eq!(m.read(&mut space, 0x40_2000, 1).unwrap(), [0]);
    space.teardown(&mut m.frames);
}

#[test]
fn file_pages_are_one_copy_for_reads_writes_and_mappings() {
    let mut m = Machine::new();
    let free_at_start = m.frames.free_frames();
    let mut space = m.space();
    let object = VmObject::file();
    assert_eq!(
        object.write_at(0x10, b"written", &mut m.frames, &m.phys),
        Ok(7)
    );
    assert_eq!(object.file_size(), 0x17);
    let shared = space
        .mmap(
            MapRequest::object(object.clone(), 0, true, 0x2000, RW),
            &mut m.frames,
        )
        .unwrap();
    let private = space
        .mmap(
            MapRequest::object(object.clone(), 0, false, 0x1000, RW),
            &mut m.frames,
        )
        .unwrap();
    // A write through read/write's side shows in both mappings...
    assert_eq!(m.read(&mut space, shared.0 + 0x10, 7).unwrap(), b"written");
    assert_eq!(m.read(&mut space, private.0 + 0x10, 7).unwrap(), b"written");
    // ...a store through the shared mapping shows to read...
    m.write(&mut space, shared.0, b"mapped").unwrap();
    let mut buf = [0u8; 6];
    assert_eq!(object.read_at(0, &mut buf, &m.phys), 6);
    assert_eq!(&buf, b"mapped");
    // ...and a store through the private one stays private.
    m.write(&mut space, private.0 + 0x10, b"PRIVATE").unwrap();
    let mut buf = [0u8; 7];
    object.read_at(0x10, &mut buf, &m.phys);
    assert_eq!(&buf, b"written");
    // Past the end of the file is SIGBUS, even inside the mapping.
    assert_eq!(
        space.handle_fault(va(shared.0 + 0x1000), Access::Read, &mut m.frames, &m.phys),
        FaultOutcome::Bus
    );
    // Reads stop at the end; a hole reads as zeros and costs nothing.
    let mut tail = [0xffu8; 64];
    assert_eq!(object.read_at(0x10, &mut tail, &m.phys), 7);
    object.set_file_size(0x3000, &mut m.frames, &m.phys);
    let mut hole = [0xffu8; 8];
    assert_eq!(object.read_at(0x2000, &mut hole, &m.phys), 8);
    assert_eq!(hole, [0; 8]);
    assert_eq!(object.resident_pages(), 1);
    // Shrinking zeroes the cut tail, so growing reads zeros there.
    object.set_file_size(3, &mut m.frames, &m.phys);
    object.set_file_size(0x20, &mut m.frames, &m.phys);
    let mut grown = [0xffu8; 0x20];
    assert_eq!(object.read_at(0, &mut grown, &m.phys), 0x20);
    assert_eq!(&grown[..3], b"map");
    assert!(grown[3..].iter().all(|&b| b == 0));
    // The file's own reference and the mappings' all go back.
    space.teardown(&mut m.frames);
    Arc::into_inner(object).unwrap().release(&mut m.frames);
    assert_eq!(m.frames.free_frames(), free_at_start);
}

#[test]
fn discarded_pages_come_back_as_their_mapping_says() {
    let mut m = Machine::new();
    let mut space = m.space();
    let anonymous = space
        .mmap(MapRequest::anonymous(0x2000, RW), &mut m.frames)
        .unwrap();
    let object = file(0x2000);
    let private = space
        .mmap(
            MapRequest::object(object.clone(), 0, false, 0x2000, RW),
            &mut m.frames,
        )
        .unwrap();
    let shared_object = VmObject::anonymous();
    let shared = space
        .mmap(
            MapRequest::object(shared_object.clone(), 0, true, 0x1000, RW),
            &mut m.frames,
        )
        .unwrap();
    for addr in [anonymous, private, shared] {
        m.write(&mut space, addr.0 + 8, b"mine").unwrap();
    }
    let free = m.frames.free_frames();
    // MADV_FREE takes private anonymous memory only, and checks first.
    assert_eq!(
        space.discard(anonymous, 0x1000, true, &mut m.frames),
        Ok(())
    );
    assert_eq!(
        space.discard(private, 0x1000, true, &mut m.frames),
        Err(Errno::EINVAL)
    );
    assert_eq!(m.read(&mut space, private.0 + 8, 4).unwrap(), b"mine");
    assert_eq!(m.read(&mut space, anonymous.0 + 8, 4).unwrap(), [0; 4]);
    // MADV_DONTNEED: the private copy goes, the file's bytes come back;
    // a shared page keeps what was written.
    space
        .discard(private, 0x2000, false, &mut m.frames)
        .unwrap();
    space.discard(shared, 0x1000, false, &mut m.frames).unwrap();
    assert_eq!(m.read(&mut space, private.0 + 8, 4).unwrap(), [1; 4]);
    assert_eq!(m.read(&mut space, shared.0 + 8, 4).unwrap(), b"mine");
    // The anonymous page's frame and the private copy went back (the
    // anonymous page read since is a fresh one, the file page is cached).
    assert_eq!(m.frames.free_frames(), free + 1);
    // A range with a hole: ENOMEM, and the mapped part is dropped anyway.
    m.write(&mut space, anonymous.0 + 0x1000, b"tail").unwrap();
    space.munmap(anonymous, 0x1000, &mut m.frames).unwrap();
    assert_eq!(
        space.discard(VirtAddr(anonymous.0 - 0x1000), 0x3000, false, &mut m.frames),
        Err(Errno::ENOMEM)
    );
    assert_eq!(m.read(&mut space, anonymous.0 + 0x1000, 4).unwrap(), [0; 4]);
    assert_eq!(
        space.discard(VirtAddr(anonymous.0 + 1), 0x1000, false, &mut m.frames),
        Err(Errno::EINVAL)
    );
    drop((object, shared_object));
    space.teardown(&mut m.frames);
}

#[test]
fn residency_says_which_pages_are_in_memory() {
    let mut m = Machine::new();
    let mut space = m.space();
    let anonymous = space
        .mmap(MapRequest::anonymous(0x3000, RW), &mut m.frames)
        .unwrap();
    m.write(&mut space, anonymous.0 + 0x1000, b"x").unwrap();
    assert_eq!(space.residency(anonymous, 0x3000), Ok(alloc::vec![0, 1, 0]));
    // A file page another mapping loaded is in memory for this one too.
    let object = file(0x2000);
    let first = space
        .mmap(
            MapRequest::object(object.clone(), 0, false, 0x2000, Perms::READ),
            &mut m.frames,
        )
        .unwrap();
    let second = space
        .mmap(
            MapRequest::object(object.clone(), 0, false, 0x2000, Perms::READ),
            &mut m.frames,
        )
        .unwrap();
    m.read(&mut space, first.0 + 0x1000, 1).unwrap();
    assert_eq!(space.residency(second, 0x1001), Ok(alloc::vec![0, 1]));
    assert_eq!(space.residency(second, 0), Ok(alloc::vec![]));
    assert_eq!(
        space.residency(VirtAddr(second.0 + 1), 1),
        Err(Errno::EINVAL)
    );
    space.munmap(anonymous, 0x1000, &mut m.frames).unwrap();
    assert_eq!(space.residency(anonymous, 0x2000), Err(Errno::ENOMEM));
    drop(object);
    space.teardown(&mut m.frames);
}
