//! mmap, munmap, mprotect and brk: placement, splitting and merging.

use abi::Errno;

use super::{Machine, layout, va};
use crate::{
    DEFAULT_MMAP_TOP, MMAP_MIN_ADDR, MapRequest, PAGE_SIZE, Perms, Placement, USER_SPACE_END,
    VmObject,
};

const RW: Perms = Perms::READ.union(Perms::WRITE);

#[test]
fn mmap_anywhere_places_mappings_top_down() {
    let mut m = Machine::new();
    let mut space = m.space();
    let a = space
        .mmap(MapRequest::anonymous(0x3000, RW), &mut m.frames)
        .unwrap();
    let b = space
        .mmap(MapRequest::anonymous(0x1000, Perms::READ), &mut m.frames)
        .unwrap();
    assert_eq!(a, va(DEFAULT_MMAP_TOP - 0x3000));
    assert_eq!(b, va(DEFAULT_MMAP_TOP - 0x4000));
    // A length that is not a page multiple is rounded up.
    let c = space
        .mmap(MapRequest::anonymous(1, RW), &mut m.frames)
        .unwrap();
    assert_eq!(c, va(DEFAULT_MMAP_TOP - 0x5000));
    space.teardown(&mut m.frames);
}

#[test]
fn freed_gap_is_reused_by_the_next_mapping_that_fits() {
    let mut m = Machine::new();
    let mut space = m.space();
    let a = space
        .mmap(MapRequest::anonymous(0x2000, RW), &mut m.frames)
        .unwrap();
    let _b = space
        .mmap(MapRequest::anonymous(0x2000, Perms::READ), &mut m.frames)
        .unwrap();
    space.munmap(a, 0x2000, &mut m.frames).unwrap();
    let c = space
        .mmap(MapRequest::anonymous(0x1000, Perms::EXEC), &mut m.frames)
        .unwrap();
    assert_eq!(c, va(DEFAULT_MMAP_TOP - 0x1000));
    space.teardown(&mut m.frames);
}

#[test]
fn hint_is_honoured_when_free_and_ignored_when_taken() {
    let mut m = Machine::new();
    let mut space = m.space();
    let hint = Placement::Hint(va(0x4000_0123));
    let a = space
        .mmap(MapRequest::anonymous(0x1000, RW).at(hint), &mut m.frames)
        .unwrap();
    assert_eq!(a, va(0x4000_1000));
    let b = space
        .mmap(MapRequest::anonymous(0x1000, RW).at(hint), &mut m.frames)
        .unwrap();
    assert_ne!(b, a);
    assert_eq!(b, va(DEFAULT_MMAP_TOP - 0x1000));
    space.teardown(&mut m.frames);
}

#[test]
fn fixed_mapping_replaces_what_it_covers_and_frees_its_frames() {
    let mut m = Machine::new();
    let mut space = m.space();
    let base = 0x40_0000;
    space
        .mmap(
            MapRequest::anonymous(0x4000, RW).at(Placement::Fixed(va(base))),
            &mut m.frames,
        )
        .unwrap();
    m.write(&mut space, base, &[7; 0x4000]).unwrap();
    let before = m.frames.free_frames();
    space
        .mmap(
            MapRequest::anonymous(0x2000, Perms::READ).at(Placement::Fixed(va(base + 0x1000))),
            &mut m.frames,
        )
        .unwrap();
    assert_eq!(m.frames.free_frames(), before + 2);
    assert_eq!(
        layout(&space),
        [
            (base, base + 0x1000, RW),
            (base + 0x1000, base + 0x3000, Perms::READ),
            (base + 0x3000, base + 0x4000, RW)
        ]
    );
    // The replacement reads as fresh zeroes; the untouched neighbours keep their data.
    assert_eq!(m.read(&mut space, base + 0x1000, 2).unwrap(), [0, 0]);
    assert_eq!(m.read(&mut space, base + 0x3fff, 1).unwrap(), [7]);
    space.teardown(&mut m.frames);
}

#[test]
fn fixed_noreplace_on_an_occupied_range_is_eexist() {
    let mut m = Machine::new();
    let mut space = m.space();
    let at = Placement::FixedNoReplace(va(0x50_0000));
    space
        .mmap(MapRequest::anonymous(0x2000, RW).at(at), &mut m.frames)
        .unwrap();
    let overlapping = Placement::FixedNoReplace(va(0x50_1000));
    assert_eq!(
        space.mmap(
            MapRequest::anonymous(0x2000, RW).at(overlapping),
            &mut m.frames
        ),
        Err(Errno::EEXIST)
    );
    space.teardown(&mut m.frames);
}

#[test]
fn mmap_argument_errors_match_linux() {
    let mut m = Machine::new();
    let mut space = m.space();
    let fixed = |addr| Placement::Fixed(va(addr));
    let cases = [
        (MapRequest::anonymous(0, RW), Errno::EINVAL),
        (
            MapRequest::anonymous(0x1000, RW).at(fixed(0x40_0010)),
            Errno::EINVAL,
        ),
        (
            MapRequest::anonymous(0x1000, RW).at(fixed(0x1000)),
            Errno::EPERM,
        ),
        (
            MapRequest::anonymous(0x2000, RW).at(fixed(USER_SPACE_END - 0x1000)),
            Errno::ENOMEM,
        ),
        (MapRequest::anonymous(u64::MAX, RW), Errno::ENOMEM),
        (MapRequest::anonymous(1 << 47, RW), Errno::ENOMEM),
        (
            MapRequest::object(VmObject::anonymous(), 0x10, true, 0x1000, RW),
            Errno::EINVAL,
        ),
        (
            MapRequest::anonymous(0x1000, RW).with_max_perms(Perms::READ),
            Errno::EACCES,
        ),
    ];
    for (request, errno) in cases {
        assert_eq!(
            space.mmap(request.clone(), &mut m.frames),
            Err(errno),
            "{request:?}"
        );
    }
    assert_eq!(space.regions().count(), 0);
    space.teardown(&mut m.frames);
}

#[test]
fn munmap_in_the_middle_splits_a_region_in_two() {
    let mut m = Machine::new();
    let mut space = m.space();
    let base = 0x60_0000;
    let request = MapRequest::anonymous(0x5000, RW)
        .at(Placement::Fixed(va(base)))
        .named("data");
    space.mmap(request, &mut m.frames).unwrap();
    m.write(&mut space, base, &[1; 0x5000]).unwrap();
    let before = m.frames.free_frames();
    space
        .munmap(va(base + 0x1000), 0x2001, &mut m.frames)
        .unwrap();
    assert_eq!(m.frames.free_frames(), before + 3);
    assert_eq!(
        layout(&space),
        [
            (base, base + 0x1000, RW),
            (base + 0x4000, base + 0x5000, RW)
        ]
    );
    assert!(space.regions().all(|r| r.name() == Some("data")));
    assert_eq!(m.read(&mut space, base + 0x4000, 1).unwrap(), [1]);
    assert_eq!(m.read(&mut space, base + 0x1000, 1), Err(Errno::EFAULT));
    space.teardown(&mut m.frames);
}

#[test]
fn munmap_errors_match_linux_and_unmapping_nothing_succeeds() {
    let mut m = Machine::new();
    let mut space = m.space();
    assert_eq!(
        space.munmap(va(0x40_0001), 0x1000, &mut m.frames),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        space.munmap(va(0x40_0000), 0, &mut m.frames),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        space.munmap(va(USER_SPACE_END), 0x1000, &mut m.frames),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        space.munmap(va(0x40_0000), u64::MAX, &mut m.frames),
        Err(Errno::EINVAL)
    );
    assert_eq!(space.munmap(va(0x40_0000), 0x1000, &mut m.frames), Ok(()));
    space.teardown(&mut m.frames);
}

#[test]
fn partial_mprotect_splits_and_restoring_merges_back() {
    let mut m = Machine::new();
    let mut space = m.space();
    let base = 0x70_0000;
    space
        .mmap(
            MapRequest::anonymous(0x4000, RW).at(Placement::Fixed(va(base))),
            &mut m.frames,
        )
        .unwrap();
    space
        .mprotect(va(base + 0x1000), 0x2000, Perms::READ)
        .unwrap();
    assert_eq!(
        layout(&space),
        [
            (base, base + 0x1000, RW),
            (base + 0x1000, base + 0x3000, Perms::READ),
            (base + 0x3000, base + 0x4000, RW)
        ]
    );
    space.mprotect(va(base + 0x1000), 0x2000, RW).unwrap();
    assert_eq!(layout(&space), [(base, base + 0x4000, RW)]);
    space.teardown(&mut m.frames);
}

#[test]
fn adjacent_anonymous_mappings_with_equal_rights_merge() {
    let mut m = Machine::new();
    let mut space = m.space();
    let base = 0x80_0000;
    for i in 0..3 {
        let at = Placement::Fixed(va(base + i * PAGE_SIZE));
        space
            .mmap(MapRequest::anonymous(0x1000, RW).at(at), &mut m.frames)
            .unwrap();
    }
    assert_eq!(layout(&space), [(base, base + 0x3000, RW)]);
    space.teardown(&mut m.frames);
}

#[test]
fn mprotect_over_a_hole_is_enomem_and_changes_nothing() {
    let mut m = Machine::new();
    let mut space = m.space();
    let base = 0x90_0000;
    space
        .mmap(
            MapRequest::anonymous(0x1000, RW).at(Placement::Fixed(va(base))),
            &mut m.frames,
        )
        .unwrap();
    space
        .mmap(
            MapRequest::anonymous(0x1000, RW).at(Placement::Fixed(va(base + 0x2000))),
            &mut m.frames,
        )
        .unwrap();
    let before = layout(&space);
    assert_eq!(
        space.mprotect(va(base), 0x3000, Perms::READ),
        Err(Errno::ENOMEM)
    );
    assert_eq!(layout(&space), before);
    assert_eq!(
        space.mprotect(va(base + 1), 0x1000, Perms::READ),
        Err(Errno::EINVAL)
    );
    assert_eq!(space.mprotect(va(base), 0, Perms::READ), Ok(()));
    space.teardown(&mut m.frames);
}

#[test]
fn mprotect_beyond_max_perms_is_eacces() {
    let mut m = Machine::new();
    let mut space = m.space();
    let object = VmObject::anonymous();
    let request =
        MapRequest::object(object, 0, true, 0x1000, Perms::READ).with_max_perms(Perms::READ);
    let addr = space.mmap(request, &mut m.frames).unwrap();
    assert_eq!(space.mprotect(addr, 0x1000, RW), Err(Errno::EACCES));
    space.teardown(&mut m.frames);
}

#[test]
fn mprotect_read_only_makes_later_writes_fail_but_keeps_data() {
    let mut m = Machine::new();
    let mut space = m.space();
    let addr = space
        .mmap(MapRequest::anonymous(0x2000, RW), &mut m.frames)
        .unwrap();
    m.write(&mut space, addr.0, b"relro").unwrap();
    space.mprotect(addr, 0x2000, Perms::READ).unwrap();
    assert_eq!(m.write(&mut space, addr.0, b"x"), Err(Errno::EFAULT));
    assert_eq!(m.read(&mut space, addr.0, 5).unwrap(), b"relro");
    space.mprotect(addr, 0x2000, RW).unwrap();
    m.write(&mut space, addr.0, b"R").unwrap();
    assert_eq!(m.read(&mut space, addr.0, 5).unwrap(), b"Relro");
    space.teardown(&mut m.frames);
}

#[test]
fn brk_grows_and_shrinks_the_heap_and_refuses_collisions() {
    let mut m = Machine::new();
    let start = 0x60_1234;
    let mut space = m.space();
    assert_eq!(
        space.brk(va(0), &mut m.frames),
        va(0),
        "no heap before exec sets one"
    );
    space.init_brk(va(start));
    let heap = 0x60_2000;
    assert_eq!(
        space.brk(va(0), &mut m.frames),
        va(heap),
        "brk(0) reports the break"
    );
    assert_eq!(
        space.brk(va(heap + 0x2800), &mut m.frames),
        va(heap + 0x2800)
    );
    m.write(&mut space, heap + 0x27ff, &[9]).unwrap();
    assert_eq!(layout(&space), [(heap, heap + 0x3000, RW)]);
    assert_eq!(space.regions().next().unwrap().name(), Some("[heap]"));
    // Something mapped above the heap stops it from growing over it.
    space
        .mmap(
            MapRequest::anonymous(0x1000, RW).at(Placement::Fixed(va(heap + 0x5000))),
            &mut m.frames,
        )
        .unwrap();
    assert_eq!(
        space.brk(va(heap + 0x6000), &mut m.frames),
        va(heap + 0x2800)
    );
    // Shrinking gives the pages back; growing again reads zeroes.
    assert_eq!(
        space.brk(va(heap + 0x1000), &mut m.frames),
        va(heap + 0x1000)
    );
    assert_eq!(
        space.brk(va(heap + 0x3000), &mut m.frames),
        va(heap + 0x3000)
    );
    assert_eq!(m.read(&mut space, heap + 0x27ff, 1).unwrap(), [0]);
    assert_eq!(
        space.brk(va(heap - 0x2000), &mut m.frames),
        va(heap + 0x3000),
        "below the start"
    );
    space.teardown(&mut m.frames);
}

#[test]
fn find_free_never_goes_below_mmap_min_addr() {
    let mut m = Machine::new();
    let mut space = m.space();
    space.set_mmap_top(va(MMAP_MIN_ADDR + 0x2000));
    assert_eq!(space.find_free(0x2000, None), Ok(va(MMAP_MIN_ADDR)));
    assert_eq!(space.find_free(0x3000, None), Err(Errno::ENOMEM));
    space.teardown(&mut m.frames);
}
