//! mremap: shrink, grow in place, move (pages carried, not copied), fixed
//! moves, DONTUNMAP, shared duplicates, and the errors.

use abi::Errno;

use super::{Machine, layout, va};
use crate::fake::FakePageTable;
use crate::{
    AddressSpace, MapRequest, PageTable, Perms, Placement, RemapRequest, VirtAddr, VmObject,
};

const RW: Perms = Perms::READ.union(Perms::WRITE);
const PAGE: u64 = 4096;

fn request(old: u64, old_len: u64, new_len: u64) -> RemapRequest {
    RemapRequest {
        old: va(old),
        old_len,
        new_len,
        may_move: false,
        fixed: None,
        dont_unmap: false,
    }
}

fn map_at(m: &mut Machine, space: &mut AddressSpace<FakePageTable>, at: u64, len: u64) {
    space
        .mmap(
            MapRequest::anonymous(len, RW).at(Placement::Fixed(va(at))),
            &mut m.frames,
        )
        .unwrap();
}

#[test]
fn shrinking_unmaps_the_tail_and_keeps_the_head() {
    let mut m = Machine::new();
    let mut space = m.space();
    map_at(&mut m, &mut space, 0x10_0000, 4 * PAGE);
    m.write(&mut space, 0x10_0000, b"head").unwrap();
    m.write(&mut space, 0x10_0000 + 3 * PAGE, b"tail").unwrap();
    let free = m.frames.free_frames();
    let at = space
        .mremap(request(0x10_0000, 4 * PAGE, PAGE + 1), &mut m.frames)
        .unwrap();
    assert_eq!(at, va(0x10_0000));
    assert_eq!(layout(&space), [(0x10_0000, 0x10_0000 + 2 * PAGE, RW)]);
    assert_eq!(m.read(&mut space, 0x10_0000, 4).unwrap(), b"head");
    // The tail page's frame went back.
    assert_eq!(m.frames.free_frames(), free + 1);
    space.teardown(&mut m.frames);
}

#[test]
fn growing_into_free_space_extends_the_mapping_in_place() {
    let mut m = Machine::new();
    let mut space = m.space();
    map_at(&mut m, &mut space, 0x10_0000, PAGE);
    m.write(&mut space, 0x10_0000, b"kept").unwrap();
    let at = space
        .mremap(request(0x10_0000, PAGE, 3 * PAGE), &mut m.frames)
        .unwrap();
    assert_eq!(at, va(0x10_0000));
    assert_eq!(layout(&space), [(0x10_0000, 0x10_0000 + 3 * PAGE, RW)]);
    assert_eq!(m.read(&mut space, 0x10_0000, 4).unwrap(), b"kept");
    m.write(&mut space, 0x10_0000 + 2 * PAGE, b"new").unwrap();
    space.teardown(&mut m.frames);
}

#[test]
fn a_blocked_grow_fails_without_may_move_and_moves_with_it() {
    let mut m = Machine::new();
    let mut space = m.space();
    map_at(&mut m, &mut space, 0x10_0000, 2 * PAGE);
    map_at(&mut m, &mut space, 0x10_0000 + 2 * PAGE, PAGE);
    space
        .mprotect(va(0x10_0000 + 2 * PAGE), PAGE, Perms::READ)
        .unwrap();
    m.write(&mut space, 0x10_0000, b"first").unwrap();
    m.write(&mut space, 0x10_0000 + PAGE, b"second").unwrap();
    assert_eq!(
        space.mremap(request(0x10_0000, 2 * PAGE, 4 * PAGE), &mut m.frames),
        Err(Errno::ENOMEM)
    );
    let (frame, _) = space.page_table().translate(va(0x10_0000)).unwrap();
    let free = m.frames.free_frames();
    let moved = space
        .mremap(
            RemapRequest {
                may_move: true,
                ..request(0x10_0000, 2 * PAGE, 4 * PAGE)
            },
            &mut m.frames,
        )
        .unwrap();
    assert_ne!(moved, va(0x10_0000));
    assert_eq!(m.read(&mut space, moved.0, 5).unwrap(), b"first");
    assert_eq!(m.read(&mut space, moved.0 + PAGE, 6).unwrap(), b"second");
    // The same frame, carried over: nothing was copied or allocated
    // beyond page tables.
    assert_eq!(space.page_table().translate(moved).unwrap().0, frame);
    assert!(free - m.frames.free_frames() <= 3);
    assert!(space.region_at(va(0x10_0000)).is_none());
    assert!(space.page_table().translate(va(0x10_0000)).is_none());
    let region = space.region_at(moved).unwrap();
    assert_eq!(region.range().len(), 4 * PAGE);
    assert_eq!(region.perms(), RW);
    space.teardown(&mut m.frames);
}

#[test]
fn a_fixed_move_replaces_what_was_there() {
    let mut m = Machine::new();
    let mut space = m.space();
    map_at(&mut m, &mut space, 0x10_0000, PAGE);
    map_at(&mut m, &mut space, 0x20_0000, 2 * PAGE);
    m.write(&mut space, 0x10_0000, b"mover").unwrap();
    m.write(&mut space, 0x20_0000, b"victim").unwrap();
    let fixed = RemapRequest {
        may_move: true,
        fixed: Some(va(0x20_0000)),
        ..request(0x10_0000, PAGE, PAGE)
    };
    assert_eq!(space.mremap(fixed, &mut m.frames), Ok(va(0x20_0000)));
    assert_eq!(m.read(&mut space, 0x20_0000, 5).unwrap(), b"mover");
    // The victim's second page is still there, the old place is gone.
    assert_eq!(
        layout(&space),
        [(0x20_0000, 0x20_0000 + 2 * PAGE, RW)],
        "merged with the victim's untouched tail"
    );
    assert!(space.region_at(va(0x10_0000)).is_none());
    space.teardown(&mut m.frames);
}

#[test]
fn dont_unmap_keeps_the_old_range_mapped_but_empty() {
    let mut m = Machine::new();
    let mut space = m.space();
    map_at(&mut m, &mut space, 0x10_0000, PAGE);
    m.write(&mut space, 0x10_0000, b"data").unwrap();
    let moved = space
        .mremap(
            RemapRequest {
                may_move: true,
                dont_unmap: true,
                ..request(0x10_0000, PAGE, PAGE)
            },
            &mut m.frames,
        )
        .unwrap();
    assert_eq!(m.read(&mut space, moved.0, 4).unwrap(), b"data");
    assert_eq!(m.read(&mut space, 0x10_0000, 4).unwrap(), [0; 4]);
    space.teardown(&mut m.frames);
}

#[test]
fn a_shared_mapping_can_be_mapped_twice_with_a_zero_old_length() {
    let mut m = Machine::new();
    let mut space = m.space();
    let object = VmObject::anonymous();
    let first = space
        .mmap(
            MapRequest::object(object, 0, true, 2 * PAGE, RW),
            &mut m.frames,
        )
        .unwrap();
    m.write(&mut space, first.0 + PAGE, b"shared").unwrap();
    let second = space
        .mremap(
            RemapRequest {
                may_move: true,
                ..request(first.0, 0, 2 * PAGE)
            },
            &mut m.frames,
        )
        .unwrap();
    assert_ne!(second, first);
    assert_eq!(m.read(&mut space, second.0 + PAGE, 6).unwrap(), b"shared");
    m.write(&mut space, second.0, b"back").unwrap();
    assert_eq!(m.read(&mut space, first.0, 4).unwrap(), b"back");
    space.teardown(&mut m.frames);
}

#[test]
fn errors_are_linuxs() {
    let mut m = Machine::new();
    let mut space = m.space();
    map_at(&mut m, &mut space, 0x10_0000, 2 * PAGE);
    let may_move = |r: RemapRequest| RemapRequest {
        may_move: true,
        ..r
    };
    let cases = [
        (request(0x10_0001, PAGE, PAGE), Errno::EINVAL),
        (request(0x10_0000, PAGE, 0), Errno::EINVAL),
        (
            RemapRequest {
                fixed: Some(va(0x30_0000)),
                ..request(0x10_0000, PAGE, PAGE)
            },
            Errno::EINVAL,
        ),
        (
            may_move(RemapRequest {
                fixed: Some(va(0x10_1000)),
                ..request(0x10_0000, 2 * PAGE, 2 * PAGE)
            }),
            Errno::EINVAL,
        ),
        (
            may_move(RemapRequest {
                dont_unmap: true,
                ..request(0x10_0000, PAGE, 2 * PAGE)
            }),
            Errno::EINVAL,
        ),
        // Private memory cannot be duplicated.
        (may_move(request(0x10_0000, 0, PAGE)), Errno::EINVAL),
        // Not mapped, or running past the mapping.
        (request(0x40_0000, PAGE, PAGE), Errno::EFAULT),
        (request(0x10_0000, 3 * PAGE, 4 * PAGE), Errno::EFAULT),
    ];
    for (case, errno) in cases {
        assert_eq!(space.mremap(case, &mut m.frames), Err(errno), "{case:?}");
    }
    assert_eq!(layout(&space), [(0x10_0000, 0x10_0000 + 2 * PAGE, RW)]);
    let _: VirtAddr = space
        .mremap(request(0x10_0000, 2 * PAGE, 2 * PAGE), &mut m.frames)
        .unwrap();
    space.teardown(&mut m.frames);
}
