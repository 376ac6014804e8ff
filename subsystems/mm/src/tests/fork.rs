//! fork: copy-on-write, last-owner reuse and teardown accounting.

use alloc::collections::BTreeMap;
use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::RefCell;

use proptest::prelude::*;

use super::{Machine, va};
use crate::fake::FakePageTable;
use crate::{
    Access, AddressSpace, FaultOutcome, FrameAllocator, MMAP_MIN_ADDR, MapRequest, PageFlags,
    PageTable, Perms, Placement, VmObject,
};

const RW: Perms = Perms::READ.union(Perms::WRITE);

#[test]
fn writes_after_fork_are_private_to_each_side() {
    let mut m = Machine::new();
    let mut parent = m.space();
    let addr = parent
        .mmap(MapRequest::anonymous(0x2000, RW), &mut m.frames)
        .unwrap()
        .0;
    m.write(&mut parent, addr, b"original").unwrap();
    let mut child = m.fork(&mut parent);
    m.write(&mut child, addr, b"child").unwrap();
    assert_eq!(m.read(&mut parent, addr, 8).unwrap(), b"original");
    assert_eq!(m.read(&mut child, addr, 8).unwrap(), b"childnal");
    // And the other way round: the parent writes first.
    let mut second = m.fork(&mut parent);
    m.write(&mut parent, addr, b"PARENT").unwrap();
    assert_eq!(m.read(&mut second, addr, 8).unwrap(), b"original");
    assert_eq!(m.read(&mut child, addr, 8).unwrap(), b"childnal");
    assert_eq!(m.read(&mut parent, addr, 8).unwrap(), b"PARENTal");
    second.teardown(&mut m.frames);
    child.teardown(&mut m.frames);
    parent.teardown(&mut m.frames);
}

#[test]
fn fork_shares_frames_read_only_with_two_owners() {
    let mut m = Machine::new();
    let mut parent = m.space();
    let addr = parent
        .mmap(MapRequest::anonymous(0x1000, RW), &mut m.frames)
        .unwrap();
    m.write(&mut parent, addr.0, &[1]).unwrap();
    let free = m.frames.free_frames();
    let child = m.fork(&mut parent);
    let (frame, parent_flags) = parent.page_table().translate(addr).unwrap();
    let (child_frame, child_flags) = child.page_table().translate(addr).unwrap();
    assert_eq!(frame, child_frame);
    assert_eq!(parent_flags, PageFlags::READ);
    assert_eq!(child_flags, PageFlags::READ);
    assert_eq!(m.frames.ref_count(frame), 2);
    // Only the child's page-table frames were allocated: no data was copied.
    assert_eq!(m.frames.free_frames(), free - 2);
    child.teardown(&mut m.frames);
    parent.teardown(&mut m.frames);
}

#[test]
fn last_owner_reuses_its_frame_without_copying() {
    let mut m = Machine::new();
    let mut parent = m.space();
    let addr = parent
        .mmap(MapRequest::anonymous(0x1000, RW), &mut m.frames)
        .unwrap();
    m.write(&mut parent, addr.0, b"mine").unwrap();
    let (frame, _) = parent.page_table().translate(addr).unwrap();
    let child = m.fork(&mut parent);
    child.teardown(&mut m.frames);
    assert_eq!(m.frames.ref_count(frame), 1);
    let copies = m.phys.copies();
    assert_eq!(
        parent.handle_fault(addr, Access::Write, &mut m.frames, &m.phys),
        FaultOutcome::Resolved
    );
    assert_eq!(m.phys.copies(), copies);
    assert_eq!(
        parent.page_table().translate(addr),
        Some((frame, PageFlags::READ | PageFlags::WRITE))
    );
    assert_eq!(m.read(&mut parent, addr.0, 4).unwrap(), b"mine");
    parent.teardown(&mut m.frames);
}

#[test]
fn copy_on_write_copies_once_and_drops_the_shared_reference() {
    let mut m = Machine::new();
    let mut parent = m.space();
    let addr = parent
        .mmap(MapRequest::anonymous(0x1000, RW), &mut m.frames)
        .unwrap();
    m.write(&mut parent, addr.0, &[5]).unwrap();
    let (shared, _) = parent.page_table().translate(addr).unwrap();
    let mut child = m.fork(&mut parent);
    m.write(&mut child, addr.0, &[6]).unwrap();
    let (copy, _) = child.page_table().translate(addr).unwrap();
    assert_ne!(copy, shared);
    assert_eq!(m.frames.ref_count(shared), 1);
    assert_eq!(m.phys.copies(), 1);
    // The parent is now the only owner: its write reuses the frame.
    m.write(&mut parent, addr.0, &[7]).unwrap();
    assert_eq!(m.phys.copies(), 1);
    child.teardown(&mut m.frames);
    parent.teardown(&mut m.frames);
}

#[test]
fn shared_mapping_stays_shared_across_fork() {
    let mut m = Machine::new();
    let mut parent = m.space();
    let request = MapRequest::object(VmObject::anonymous(), 0, true, 0x1000, RW);
    let addr = parent.mmap(request, &mut m.frames).unwrap().0;
    m.write(&mut parent, addr, b"before").unwrap();
    let mut child = m.fork(&mut parent);
    m.write(&mut child, addr, b"CHILD").unwrap();
    assert_eq!(m.read(&mut parent, addr, 6).unwrap(), b"CHILDe");
    let free = m.frames.free_frames();
    parent.teardown(&mut m.frames);
    assert_eq!(m.read(&mut child, addr, 6).unwrap(), b"CHILDe");
    child.teardown(&mut m.frames);
    // The child's teardown released the object's page and its tables.
    assert!(m.frames.free_frames() > free);
    assert_eq!(m.frames.free_frames(), m.frames.total_frames());
}

#[test]
fn fork_and_teardown_a_thousand_times_returns_every_frame() {
    let mut m = Machine::new();
    let start = m.frames.free_frames();
    let mut parent = m.space();
    let heap = parent
        .mmap(MapRequest::anonymous(0x8000, RW), &mut m.frames)
        .unwrap()
        .0;
    let shared = parent
        .mmap(
            MapRequest::object(VmObject::anonymous(), 0, true, 0x2000, RW),
            &mut m.frames,
        )
        .unwrap()
        .0;
    m.write(&mut parent, heap, &[1; 0x8000]).unwrap();
    m.write(&mut parent, shared, &[2; 0x2000]).unwrap();
    let after_setup = m.frames.free_frames();
    for round in 0..1000u32 {
        let mut child = m.fork(&mut parent);
        // Each child dirties a few private pages and one shared page.
        let page = u64::from(round % 8) * 0x1000;
        m.write(&mut child, heap + page, &round.to_le_bytes())
            .unwrap();
        m.write(&mut child, shared, &round.to_le_bytes()).unwrap();
        child.teardown(&mut m.frames);
        assert_eq!(m.frames.free_frames(), after_setup, "round {round}");
    }
    assert_eq!(
        m.read(&mut parent, shared, 4).unwrap(),
        999u32.to_le_bytes()
    );
    assert_eq!(m.read(&mut parent, heap, 1).unwrap(), [1]);
    parent.teardown(&mut m.frames);
    assert_eq!(m.frames.free_frames(), start);
}

#[test]
fn failed_fork_leaves_the_parent_intact_and_leaks_nothing() {
    let mut m = Machine::with_megabytes(1);
    let mut parent = m.space();
    let addr = parent
        .mmap(MapRequest::anonymous(4 << 20, RW), &mut m.frames)
        .unwrap()
        .0;
    // Use up memory so that the child's root fits but its first
    // page-table frame does not.
    let mut page = addr;
    while m.frames.free_frames() > 2 {
        m.write(&mut parent, page, &[3]).unwrap();
        page += 0x1000;
    }
    let before = m.frames.free_frames();
    let table = FakePageTable::new(&mut m.frames).unwrap();
    let hog = m.frames.alloc_frame().unwrap();
    assert_eq!(
        parent.fork(table, &mut m.frames).err(),
        Some(abi::Errno::ENOMEM)
    );
    m.frames.dec_ref(hog).unwrap();
    assert_eq!(m.frames.free_frames(), before);
    assert_eq!(m.read(&mut parent, addr, 1).unwrap(), [3]);
    parent.teardown(&mut m.frames);
    assert_eq!(m.frames.free_frames(), m.frames.total_frames());
}

#[derive(Clone, Debug)]
enum Op {
    Map { page: u64, pages: u64, shared: bool },
    MapAnywhere { pages: u64, shared: bool },
    Unmap { page: u64, pages: u64 },
    Protect { page: u64, pages: u64, perms: u8 },
    Write { space: usize, page: u64, byte: u8 },
    Fork { space: usize },
    Exit { space: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u64..32, 1u64..8, any::<bool>()).prop_map(|(page, pages, shared)| Op::Map {
            page,
            pages,
            shared
        }),
        (1u64..8, any::<bool>()).prop_map(|(pages, shared)| Op::MapAnywhere { pages, shared }),
        (0u64..32, 1u64..8).prop_map(|(page, pages)| Op::Unmap { page, pages }),
        (0u64..32, 1u64..8, 0u8..3).prop_map(|(page, pages, perms)| Op::Protect {
            page,
            pages,
            perms
        }),
        (0usize..4, 0u64..40, any::<u8>()).prop_map(|(space, page, byte)| Op::Write {
            space,
            page,
            byte
        }),
        (0usize..4).prop_map(|space| Op::Fork { space }),
        (0usize..4).prop_map(|space| Op::Exit { space }),
    ]
}

/// Regions are sorted, disjoint, and no two neighbours could be merged.
fn assert_regions_canonical(space: &AddressSpace<FakePageTable>) {
    let regions: Vec<_> = space.regions().collect();
    for pair in regions.windows(2) {
        assert!(pair[0].range().end() <= pair[1].range().start());
        assert!(!pair[0].can_merge(pair[1]), "{pair:?}");
    }
}

/// What one page of a space should read: its own byte, or a byte of a
/// shared object that other windows and forks see too.
#[derive(Clone)]
enum Cell {
    Private(u8),
    Shared(Rc<RefCell<Vec<u8>>>, usize),
}

impl Cell {
    fn get(&self) -> u8 {
        match self {
            Cell::Private(byte) => *byte,
            Cell::Shared(object, index) => object.borrow()[*index],
        }
    }

    fn set(&mut self, value: u8) {
        match self {
            Cell::Private(byte) => *byte = value,
            Cell::Shared(object, index) => object.borrow_mut()[*index] = value,
        }
    }
}

type Model = BTreeMap<u64, Cell>;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_history_of_maps_forks_and_exits_reads_back_and_frees_every_frame(
        ops in proptest::collection::vec(op(), 1..60)
    ) {
        let mut m = Machine::with_megabytes(8);
        // The whole mmap area is the 40 pages the model tracks.
        let base = MMAP_MIN_ADDR;
        let addr = |page: u64| base + page * 0x1000;
        let mut first = m.space();
        first.set_mmap_top(va(addr(40)));
        let mut spaces = alloc::vec![(first, Model::new())];
        for op in ops {
            match op {
                Op::Map { page, pages, shared } => {
                    let len = pages * 0x1000;
                    let request = if shared {
                        MapRequest::object(VmObject::anonymous(), 0, true, len, RW)
                    } else {
                        MapRequest::anonymous(len, RW)
                    };
                    let (space, model) = &mut spaces[0];
                    space.mmap(request.at(Placement::Fixed(va(addr(page)))), &mut m.frames).unwrap();
                    let object = Rc::new(RefCell::new(alloc::vec![0u8; pages as usize]));
                    for (index, p) in (page..page + pages).enumerate() {
                        let cell = if shared { Cell::Shared(object.clone(), index) } else { Cell::Private(0) };
                        model.insert(p, cell);
                    }
                }
                Op::MapAnywhere { pages, shared } => {
                    let len = pages * 0x1000;
                    let object = Rc::new(RefCell::new(alloc::vec![0u8; pages as usize]));
                    let request = if shared {
                        MapRequest::object(VmObject::anonymous(), 0, true, len, RW)
                    } else {
                        MapRequest::anonymous(len, RW)
                    };
                    let (space, model) = &mut spaces[0];
                    // Top-down: the highest run of `pages` free pages.
                    let expected = (0..=40 - pages)
                        .rev()
                        .find(|p| (*p..p + pages).all(|q| !model.contains_key(&q)));
                    let result = space.mmap(request, &mut m.frames);
                    prop_assert_eq!(result, expected.map(|p| va(addr(p))).ok_or(abi::Errno::ENOMEM));
                    if let Some(page) = expected {
                        for (index, p) in (page..page + pages).enumerate() {
                            let cell = if shared { Cell::Shared(object.clone(), index) } else { Cell::Private(0) };
                            model.insert(p, cell);
                        }
                    }
                }
                Op::Unmap { page, pages } => {
                    let (space, model) = &mut spaces[0];
                    space.munmap(va(addr(page)), pages * 0x1000, &mut m.frames).unwrap();
                    for p in page..page + pages {
                        model.remove(&p);
                    }
                }
                Op::Protect { page, pages, perms } => {
                    let perms = [Perms::empty(), Perms::READ, RW][usize::from(perms)];
                    let result = spaces[0].0.mprotect(va(addr(page)), pages * 0x1000, perms);
                    let covered = (page..page + pages).all(|p| spaces[0].1.contains_key(&p));
                    prop_assert_eq!(result.is_ok(), covered);
                }
                Op::Write { space, page, byte } => {
                    let index = space % spaces.len();
                    let (space, model) = &mut spaces[index];
                    let writable = space.region_at(va(addr(page))).is_some_and(|r| r.perms().contains(Perms::WRITE));
                    let result = m.write(space, addr(page), &[byte]);
                    prop_assert_eq!(result.is_ok(), writable);
                    if writable {
                        model.get_mut(&page).unwrap().set(byte);
                    }
                }
                Op::Fork { space } => {
                    let index = space % spaces.len();
                    let child = m.fork(&mut spaces[index].0);
                    let model = spaces[index].1.clone();
                    spaces.push((child, model));
                }
                Op::Exit { space } => {
                    if spaces.len() > 1 {
                        let index = 1 + space % (spaces.len() - 1);
                        spaces.swap_remove(index).0.teardown(&mut m.frames);
                    }
                }
            }
            for (space, model) in &mut spaces {
                assert_regions_canonical(space);
                for page in 0..40 {
                    let read = m.read(space, addr(page), 1);
                    let readable = space.region_at(va(addr(page))).is_some_and(|r| !r.perms().is_empty());
                    match model.get(&page) {
                        Some(_) if !readable => prop_assert_eq!(read, Err(abi::Errno::EFAULT)),
                        Some(cell) => prop_assert_eq!(read, Ok(alloc::vec![cell.get()]), "page {}", page),
                        None => prop_assert_eq!(read, Err(abi::Errno::EFAULT)),
                    }
                }
            }
        }
        for (space, _) in spaces {
            space.teardown(&mut m.frames);
        }
        prop_assert_eq!(m.frames.free_frames(), m.frames.total_frames());
    }
}

#[test]
fn fork_and_teardown_visit_every_page_past_one_batch() {
    // More pages than the walk hands out at once (32), with a hole, so
    // the batches must continue where the last one stopped.
    let mut m = Machine::new();
    let free = m.frames.free_frames();
    let mut parent = m.space();
    let addr = parent
        .mmap(MapRequest::anonymous(100 * 0x1000, RW), &mut m.frames)
        .unwrap()
        .0;
    for page in (0..100u64).filter(|page| *page != 40) {
        m.write(&mut parent, addr + page * 0x1000, &[page as u8 + 1])
            .unwrap();
    }
    let mut child = m.fork(&mut parent);
    for page in (0..100u64).filter(|page| *page != 40) {
        let at = va(addr + page * 0x1000);
        let (frame, flags) = child.page_table().translate(at).unwrap();
        assert_eq!(flags, PageFlags::READ, "page {page} copy-on-write");
        assert_eq!(m.frames.ref_count(frame), 2, "page {page} shared");
        assert_eq!(m.read(&mut child, at.0, 1).unwrap(), [page as u8 + 1]);
    }
    assert!(
        child
            .page_table()
            .translate(va(addr + 40 * 0x1000))
            .is_none()
    );
    // munmap in the parent drops its reference on every page, batch by
    // batch; the child keeps its own.
    let frames_of = |space: &AddressSpace<FakePageTable>| -> Vec<_> {
        (0..100u64)
            .filter_map(|page| space.page_table().translate(va(addr + page * 0x1000)))
            .map(|(frame, _)| frame)
            .collect()
    };
    let shared = frames_of(&child);
    parent
        .munmap(va(addr), 100 * 0x1000, &mut m.frames)
        .unwrap();
    assert!(frames_of(&parent).is_empty());
    for frame in shared {
        assert_eq!(m.frames.ref_count(frame), 1);
    }
    child.teardown(&mut m.frames);
    parent.teardown(&mut m.frames);
    assert_eq!(m.frames.free_frames(), free, "every frame came back");
}
