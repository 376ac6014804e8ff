//! Typed user pointers and checked copies, through an address space.

use alloc::vec::Vec;

use abi::Errno;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use super::Machine;
use crate::{
    AddressSpaceMemory, MapRequest, PATH_MAX, Perms, Placement, USER_SPACE_END, UserAddr,
    UserMemory, UserPtr, UserSlice, VirtAddr, copy_string_array_from_user, copy_string_from_user,
    read_value, write_value,
};

const RW: Perms = Perms::READ.union(Perms::WRITE);
/// Two mapped pages; the page after them is unmapped.
const BASE: u64 = 0x1000_0000;
const END: u64 = BASE + 0x2000;

fn machine_with_two_pages() -> (Machine, crate::AddressSpace<crate::fake::FakePageTable>) {
    let mut m = Machine::new();
    let mut space = m.space();
    space
        .mmap(
            MapRequest::anonymous(0x2000, RW).at(Placement::Fixed(VirtAddr(BASE))),
            &mut m.frames,
        )
        .unwrap();
    (m, space)
}

/// A read-only page at `END + 0x1000` (the page at `END` stays unmapped).
fn map_read_only_page_after_the_gap(
    m: &mut Machine,
    space: &mut crate::AddressSpace<crate::fake::FakePageTable>,
) {
    space
        .mmap(
            MapRequest::anonymous(0x1000, Perms::READ).at(Placement::Fixed(VirtAddr(END + 0x1000))),
            &mut m.frames,
        )
        .unwrap();
}

#[test]
fn kernel_half_non_canonical_and_wrapping_pointers_are_efault() {
    assert_eq!(UserAddr::new(USER_SPACE_END).err(), Some(Errno::EFAULT));
    assert_eq!(
        UserAddr::new(0xffff_8000_0000_0000).err(),
        Some(Errno::EFAULT)
    );
    assert_eq!(
        UserAddr::new(0x0000_8000_0000_0000).err(),
        Some(Errno::EFAULT)
    );
    assert_eq!(
        UserSlice::new(USER_SPACE_END - 4, 8).err(),
        Some(Errno::EFAULT)
    );
    assert_eq!(UserSlice::new(u64::MAX - 1, 4).err(), Some(Errno::EFAULT));
    assert_eq!(
        UserPtr::<u64>::new(USER_SPACE_END - 4).err(),
        Some(Errno::EFAULT)
    );
    assert!(UserPtr::<u64>::new(USER_SPACE_END - 8).is_ok());
    assert!(UserSlice::new(USER_SPACE_END, 0).is_ok());
    assert_eq!(UserPtr::<u32>::new_optional(0), Ok(None));
    let array = UserPtr::<u64>::new(USER_SPACE_END - 16).unwrap();
    assert!(array.element(1).is_ok());
    assert_eq!(array.element(2).err(), Some(Errno::EFAULT));
    assert_eq!(array.element(usize::MAX).err(), Some(Errno::EFAULT));
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, FromBytes, IntoBytes, KnownLayout, Immutable)]
#[repr(C)]
struct Timespec {
    sec: i64,
    nsec: i64,
}

#[test]
fn values_round_trip_through_user_memory_even_across_pages() {
    let (mut m, mut space) = machine_with_two_pages();
    let mem = AddressSpaceMemory::new(&mut space, &mut m.frames, &m.phys);
    let ptr = UserPtr::<Timespec>::new(BASE + 0x1000 - 8).unwrap();
    let value = Timespec { sec: 17, nsec: -3 };
    write_value(&mem, ptr, &value).unwrap();
    assert_eq!(read_value(&mem, ptr), Ok(value));
    space.teardown(&mut m.frames);
}

#[test]
fn copies_touching_unmapped_or_read_only_memory_are_efault() {
    let (mut m, mut space) = machine_with_two_pages();
    map_read_only_page_after_the_gap(&mut m, &mut space);
    let mem = AddressSpaceMemory::new(&mut space, &mut m.frames, &m.phys);
    let straddling = UserPtr::<u64>::new(END - 4).unwrap();
    assert_eq!(read_value(&mem, straddling), Err(Errno::EFAULT));
    assert_eq!(write_value(&mem, straddling, &1), Err(Errno::EFAULT));
    let read_only = UserPtr::<u64>::new(END + 0x1000).unwrap();
    assert_eq!(read_value(&mem, read_only), Ok(0));
    assert_eq!(write_value(&mem, read_only, &1), Err(Errno::EFAULT));
    assert_eq!(
        read_value(&mem, UserPtr::<u64>::new(0).unwrap()),
        Err(Errno::EFAULT)
    );
    space.teardown(&mut m.frames);
}

#[test]
fn compare_exchange_replaces_only_the_expected_value_of_a_writable_aligned_word() {
    let (mut m, mut space) = machine_with_two_pages();
    map_read_only_page_after_the_gap(&mut m, &mut space);
    let mem = AddressSpaceMemory::new(&mut space, &mut m.frames, &m.phys);
    let word = UserPtr::<u32>::new(BASE + 0x1ffc).unwrap();
    write_value(&mem, word, &7).unwrap();
    assert_eq!(mem.compare_exchange_u32(word, 8, 9), Ok(7), "not 8: kept");
    assert_eq!(read_value(&mem, word), Ok(7));
    assert_eq!(mem.compare_exchange_u32(word, 7, 9), Ok(7), "7: replaced");
    assert_eq!(read_value(&mem, word), Ok(9));
    let misaligned = UserPtr::<u32>::new(BASE + 2).unwrap();
    assert_eq!(
        mem.compare_exchange_u32(misaligned, 0, 1),
        Err(Errno::EINVAL)
    );
    let unmapped = UserPtr::<u32>::new(END).unwrap();
    assert_eq!(mem.compare_exchange_u32(unmapped, 0, 1), Err(Errno::EFAULT));
    let read_only = UserPtr::<u32>::new(END + 0x1000).unwrap();
    assert_eq!(
        mem.compare_exchange_u32(read_only, 0, 1),
        Err(Errno::EFAULT)
    );
    assert_eq!(read_value(&mem, read_only), Ok(0));
    space.teardown(&mut m.frames);
}

fn put_string(
    m: &mut Machine,
    space: &mut crate::AddressSpace<crate::fake::FakePageTable>,
    at: u64,
    s: &[u8],
) {
    m.write(space, at, s).unwrap();
}

#[test]
fn string_ending_just_before_an_unmapped_page_is_read() {
    let (mut m, mut space) = machine_with_two_pages();
    put_string(&mut m, &mut space, END - 6, b"/bin\0");
    let mem = AddressSpaceMemory::new(&mut space, &mut m.frames, &m.phys);
    let addr = UserAddr::new(END - 6).unwrap();
    assert_eq!(
        copy_string_from_user(&mem, addr, PATH_MAX, None).unwrap(),
        b"/bin"
    );
    space.teardown(&mut m.frames);
}

#[test]
fn string_running_into_an_unmapped_page_is_efault() {
    let (mut m, mut space) = machine_with_two_pages();
    put_string(&mut m, &mut space, END - 4, b"abcd");
    let mem = AddressSpaceMemory::new(&mut space, &mut m.frames, &m.phys);
    let addr = UserAddr::new(END - 4).unwrap();
    assert_eq!(
        copy_string_from_user(&mem, addr, PATH_MAX, None),
        Err(Errno::EFAULT)
    );
    space.teardown(&mut m.frames);
}

#[test]
fn empty_string_gives_the_callers_errno_when_asked() {
    let (mut m, mut space) = machine_with_two_pages();
    let mem = AddressSpaceMemory::new(&mut space, &mut m.frames, &m.phys);
    let addr = UserAddr::new(BASE).unwrap();
    assert_eq!(
        copy_string_from_user(&mem, addr, PATH_MAX, Some(Errno::ENOENT)),
        Err(Errno::ENOENT)
    );
    assert_eq!(
        copy_string_from_user(&mem, addr, PATH_MAX, None),
        Ok(Vec::new())
    );
    space.teardown(&mut m.frames);
}

#[test]
fn a_string_longer_than_a_chunk_and_across_a_page_comes_back_whole() {
    let (mut m, mut space) = machine_with_two_pages();
    // 1,000 distinct-ish bytes from 0x40 before the page boundary: many
    // chunks, one of them cut short by the page's end.
    let string: Vec<u8> = (0..1000u32).map(|i| (i % 251 + 1) as u8).collect();
    let mut with_nul = string.clone();
    with_nul.push(0);
    put_string(&mut m, &mut space, BASE + 0x1000 - 0x40, &with_nul);
    let mem = AddressSpaceMemory::new(&mut space, &mut m.frames, &m.phys);
    let addr = UserAddr::new(BASE + 0x1000 - 0x40).unwrap();
    assert_eq!(
        copy_string_from_user(&mem, addr, PATH_MAX, None),
        Ok(string)
    );
    space.teardown(&mut m.frames);
}

#[test]
fn path_max_counts_the_terminating_nul() {
    let (mut m, mut space) = machine_with_two_pages();
    let mut longest = alloc::vec![b'a'; PATH_MAX];
    longest[PATH_MAX - 1] = 0;
    put_string(&mut m, &mut space, BASE + 100, &longest);
    let mem = AddressSpaceMemory::new(&mut space, &mut m.frames, &m.phys);
    let ok =
        copy_string_from_user(&mem, UserAddr::new(BASE + 100).unwrap(), PATH_MAX, None).unwrap();
    assert_eq!(ok.len(), PATH_MAX - 1);
    // One more byte before the NUL is one too many.
    put_string(&mut m, &mut space, BASE + 0xfff, &[b'b'; PATH_MAX]);
    let mem = AddressSpaceMemory::new(&mut space, &mut m.frames, &m.phys);
    let long = UserAddr::new(BASE + 0x1000 - 1).unwrap();
    assert_eq!(
        copy_string_from_user(&mem, long, PATH_MAX, None),
        Err(Errno::ENAMETOOLONG)
    );
    space.teardown(&mut m.frames);
}

#[test]
fn argv_array_is_copied_until_null_and_limited() {
    let (mut m, mut space) = machine_with_two_pages();
    put_string(&mut m, &mut space, BASE + 0x100, b"busybox\0");
    put_string(&mut m, &mut space, BASE + 0x200, b"ls\0");
    let pointers: [u64; 3] = [BASE + 0x100, BASE + 0x200, 0];
    put_string(&mut m, &mut space, BASE, pointers.as_bytes());
    let mem = AddressSpaceMemory::new(&mut space, &mut m.frames, &m.phys);
    let argv = UserPtr::<u64>::new(BASE).unwrap();
    let strings = copy_string_array_from_user(&mem, argv, 16, 4096).unwrap();
    assert_eq!(strings, [b"busybox".to_vec(), b"ls".to_vec()]);
    assert_eq!(
        copy_string_array_from_user(&mem, argv, 1, 4096),
        Err(Errno::E2BIG)
    );
    assert_eq!(
        copy_string_array_from_user(&mem, argv, 16, 10),
        Err(Errno::E2BIG)
    );
    assert_eq!(
        copy_string_array_from_user(&mem, argv, 16, 11).map(|s| s.len()),
        Ok(2)
    );
    space.teardown(&mut m.frames);
}

#[test]
fn a_debuggers_write_lands_in_read_only_private_memory_on_a_private_copy() {
    let (mut m, mut space) = machine_with_two_pages();
    // Read-only private memory, shared with a forked child.
    let text = END + 0x1000;
    space
        .mmap(
            MapRequest::anonymous(0x1000, Perms::READ | Perms::EXEC)
                .at(Placement::Fixed(VirtAddr(text))),
            &mut m.frames,
        )
        .unwrap();
    let mut child = m.fork(&mut space);
    {
        let mem = AddressSpaceMemory::new(&mut space, &mut m.frames, &m.phys);
        // A plain write is refused; a breakpoint goes in.
        assert_eq!(
            write_value(&mem, UserPtr::<u8>::new(text).unwrap(), &0xcc),
            Err(Errno::EFAULT)
        );
        mem.force_write(UserSlice::new(text + 5, 1).unwrap(), &[0xcc])
            .unwrap();
        assert_eq!(
            read_value(&mem, UserPtr::<u8>::new(text + 5).unwrap()),
            Ok(0xcc)
        );
        // Still read-only for the process itself.
        assert_eq!(
            write_value(&mem, UserPtr::<u8>::new(text).unwrap(), &1),
            Err(Errno::EFAULT)
        );
        // Nothing there to write: EFAULT even so.
        assert_eq!(
            mem.force_write(UserSlice::new(END + 0x3000, 1).unwrap(), &[0xcc]),
            Err(Errno::EFAULT)
        );
    }
    // The child's copy did not change.
    {
        let mem = AddressSpaceMemory::new(&mut child, &mut m.frames, &m.phys);
        let byte = read_value(&mem, UserPtr::<u8>::new(text + 5).unwrap());
        assert_eq!(byte, Ok(0));
    }
    child.teardown(&mut m.frames);
    space.teardown(&mut m.frames);
}
