//! The file-object cache: shared pages for the same file content, fresh
//! objects for new content, and frames back when entries go.

use alloc::sync::Arc;

use super::faults::file;
use super::{Machine, va};
use crate::{FileKey, MapRequest, ObjectCache, PageTable, Perms};

const KEY: FileKey = FileKey {
    device: 1,
    inode: 42,
};

#[test]
fn two_mappings_of_the_same_content_share_frames() {
    let mut m = Machine::new();
    let cache = ObjectCache::new(4);
    let first = cache.object(KEY, 7, || file(0x2000), &mut m.frames);
    let again = cache.object(KEY, 7, || panic!("cached"), &mut m.frames);
    assert!(Arc::ptr_eq(&first, &again));
    let mut a = m.space();
    let mut b = m.space();
    let at_a = a
        .mmap(
            MapRequest::object(first, 0, false, 0x2000, Perms::READ),
            &mut m.frames,
        )
        .unwrap();
    let at_b = b
        .mmap(
            MapRequest::object(again, 0, false, 0x2000, Perms::READ),
            &mut m.frames,
        )
        .unwrap();
    assert_eq!(m.read(&mut a, at_a.0 + 0x1000, 1).unwrap(), [2]);
    assert_eq!(m.read(&mut b, at_b.0 + 0x1000, 1).unwrap(), [2]);
    let frame_a = a.page_table().translate(va(at_a.0 + 0x1000)).unwrap().0;
    let frame_b = b.page_table().translate(va(at_b.0 + 0x1000)).unwrap().0;
    assert_eq!(frame_a, frame_b, "one frame for both processes");
    a.teardown(&mut m.frames);
    b.teardown(&mut m.frames);
    cache.clear(&mut m.frames);
}

#[test]
fn new_content_gets_a_new_object() {
    let mut m = Machine::new();
    let cache = ObjectCache::new(4);
    let old = cache.object(KEY, 1, || file(0x1000), &mut m.frames);
    let new = cache.object(KEY, 2, || file(0x1000), &mut m.frames);
    assert!(!Arc::ptr_eq(&old, &new));
    assert_eq!(cache.len(), 1);
    drop(new);
    cache.clear(&mut m.frames);
    drop(old);
}

#[test]
fn entries_pushed_out_give_their_frames_back_once_unmapped() {
    let mut m = Machine::new();
    let cache = ObjectCache::new(1);
    let free = m.frames.free_frames();
    let object = cache.object(KEY, 1, || file(0x3000), &mut m.frames);
    let mut space = m.space();
    let at = space
        .mmap(
            MapRequest::object(object, 0, false, 0x3000, Perms::READ),
            &mut m.frames,
        )
        .unwrap();
    m.read(&mut space, at.0, 0x3000).unwrap();
    // Another file pushes it out while it is still mapped: nothing freed.
    let other = FileKey { inode: 43, ..KEY };
    let _ = cache.object(other, 1, || file(0x1000), &mut m.frames);
    assert_eq!(cache.len(), 1);
    space.teardown(&mut m.frames);
    // The last mapping released the object's three pages.
    cache.clear(&mut m.frames);
    assert_eq!(m.frames.free_frames(), free);
}

#[test]
fn an_unmapped_cached_object_keeps_its_pages_until_it_leaves() {
    let mut m = Machine::new();
    let cache = ObjectCache::new(2);
    let free = m.frames.free_frames();
    let object = cache.object(KEY, 1, || file(0x2000), &mut m.frames);
    let mut space = m.space();
    let at = space
        .mmap(
            MapRequest::object(object, 0, false, 0x2000, Perms::READ),
            &mut m.frames,
        )
        .unwrap();
    m.read(&mut space, at.0, 0x2000).unwrap();
    space.teardown(&mut m.frames);
    // Still resident for the next run of the program.
    assert_eq!(free - m.frames.free_frames(), 2);
    cache.clear(&mut m.frames);
    assert_eq!(m.frames.free_frames(), free);
}

#[test]
fn try_clear_frees_only_what_nothing_maps() {
    let mut m = Machine::new();
    let cache = ObjectCache::new(4);
    let free = m.frames.free_frames();
    let mapped = cache.object(KEY, 1, || file(0x1000), &mut m.frames);
    let idle = cache.object(
        FileKey { inode: 7, ..KEY },
        1,
        || file(0x1000),
        &mut m.frames,
    );
    let mut space = m.space();
    let at = space
        .mmap(
            MapRequest::object(mapped, 0, false, 0x1000, Perms::READ),
            &mut m.frames,
        )
        .unwrap();
    m.read(&mut space, at.0, 1).unwrap();
    let mut other = m.space();
    let at_idle = other
        .mmap(
            MapRequest::object(idle, 0, false, 0x1000, Perms::READ),
            &mut m.frames,
        )
        .unwrap();
    m.read(&mut other, at_idle.0, 1).unwrap();
    other.teardown(&mut m.frames);
    assert_eq!(cache.try_clear(&mut m.frames), 1, "only the idle one");
    assert!(cache.is_empty());
    space.teardown(&mut m.frames);
    assert_eq!(m.frames.free_frames(), free);
}
