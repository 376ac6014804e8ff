//! The address space through the table: mmap, munmap, mprotect, brk,
//! msync and madvise, with `mm`'s real regions under a fake page table.

use crate::common::*;
use abi::{Errno, Sysno};

const PROT_READ: u64 = 1;
const PROT_WRITE: u64 = 2;
const MAP_SHARED: u64 = 1;
const MAP_PRIVATE: u64 = 2;
const MAP_FIXED: u64 = 0x10;
const MAP_ANONYMOUS: u64 = 0x20;
const MAP_FIXED_NOREPLACE: u64 = 0x10_0000;

fn mmap(w: &World, address: u64, len: u64, prot: u64, flags: u64, fd: i64) -> i64 {
    w.call(Sysno::Mmap, &[address, len, prot, flags, fd as u64, 0])
}

fn regions(w: &World) -> Vec<(u64, u64)> {
    let space = w.process.data().address_space().cloned().unwrap();
    let space = space.lock().unwrap();
    space
        .regions()
        .map(|r| (r.range().start().0, r.range().end().0))
        .collect()
}

#[test]
fn anonymous_mappings_get_distinct_page_aligned_addresses() {
    let w = World::new();
    let a = mmap(
        &w,
        0,
        5000,
        PROT_READ | PROT_WRITE,
        MAP_PRIVATE | MAP_ANONYMOUS,
        -1,
    );
    let b = mmap(&w, 0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1);
    assert!(a > 0 && b > 0);
    assert_eq!(a % 4096, 0);
    assert_ne!(a, b);
    assert!(
        regions(&w).contains(&(a as u64, a as u64 + 8192)),
        "5000 bytes round up to two pages"
    );
}

#[test]
fn mmap_flags_are_checked_like_linux() {
    let w = World::new();
    let anon = MAP_ANONYMOUS;
    assert_eq!(
        mmap(&w, 0, 4096, PROT_READ, anon, -1),
        err(Errno::EINVAL),
        "neither shared nor private"
    );
    assert_eq!(
        mmap(&w, 0, 0, PROT_READ, MAP_PRIVATE | anon, -1),
        err(Errno::EINVAL),
        "zero length"
    );
    assert_eq!(
        mmap(&w, 0, 4096, 0x80, MAP_PRIVATE | anon, -1),
        err(Errno::EINVAL),
        "unknown prot bit"
    );
    assert_eq!(
        mmap(&w, 0, 4096, PROT_READ, MAP_PRIVATE, 9),
        err(Errno::EBADF)
    );
}

#[test]
fn fixed_mappings_replace_and_noreplace_refuses() {
    let w = World::new();
    let at = 0x4000_0000u64;
    let flags = MAP_PRIVATE | MAP_ANONYMOUS;
    assert_eq!(
        mmap(&w, at, 8192, PROT_READ, flags | MAP_FIXED, -1),
        at as i64
    );
    assert_eq!(
        mmap(&w, at, 4096, PROT_READ, flags | MAP_FIXED, -1),
        at as i64,
        "replaces"
    );
    assert_eq!(
        mmap(&w, at, 4096, PROT_READ, flags | MAP_FIXED_NOREPLACE, -1),
        err(Errno::EEXIST)
    );
    assert_eq!(
        mmap(&w, at + 1, 4096, PROT_READ, flags | MAP_FIXED, -1),
        err(Errno::EINVAL),
        "unaligned"
    );
}

#[test]
fn munmap_of_the_middle_splits_a_region() {
    let w = World::new();
    let at = 0x5000_0000u64;
    let flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;
    mmap(&w, at, 3 * 4096, PROT_READ, flags, -1);
    assert_eq!(w.call(Sysno::Munmap, &[at + 4096, 4096]), 0);
    let r = regions(&w);
    assert!(r.contains(&(at, at + 4096)));
    assert!(r.contains(&(at + 8192, at + 3 * 4096)));
    assert_eq!(w.call(Sysno::Munmap, &[at + 1, 4096]), err(Errno::EINVAL));
}

#[test]
fn mprotect_needs_a_mapped_range() {
    let w = World::new();
    let at = 0x6000_0000u64;
    mmap(
        &w,
        at,
        4096,
        PROT_READ,
        MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
        -1,
    );
    assert_eq!(
        w.call(Sysno::Mprotect, &[at, 4096, PROT_READ | PROT_WRITE]),
        0
    );
    assert_eq!(
        w.call(Sysno::Mprotect, &[at + 4096, 4096, PROT_READ]),
        err(Errno::ENOMEM)
    );
    assert_eq!(
        w.call(Sysno::Mprotect, &[at, 4096, 0x100]),
        err(Errno::EINVAL)
    );
}

#[test]
fn a_shared_writable_file_mapping_needs_a_writable_descriptor() {
    let w = World::new();
    let fd = w.open("/data", O_CREAT | O_RDWR);
    w.write(fd, &[7; 100]);
    let readonly = w.open("/data", O_RDONLY);
    let rw = PROT_READ | PROT_WRITE;
    assert_eq!(
        mmap(&w, 0, 4096, rw, MAP_SHARED, readonly),
        err(Errno::EACCES)
    );
    assert!(
        mmap(&w, 0, 4096, rw, MAP_PRIVATE, readonly) > 0,
        "a private copy is fine"
    );
    assert!(mmap(&w, 0, 4096, rw, MAP_SHARED, fd) > 0);
    let writeonly = w.open("/data", O_WRONLY);
    assert_eq!(
        mmap(&w, 0, 4096, PROT_READ, MAP_PRIVATE, writeonly),
        err(Errno::EACCES)
    );
}

#[test]
fn only_regular_files_can_be_mapped() {
    let w = World::new();
    let path = w.string("/dir");
    w.call(Sysno::Mkdir, &[path, 0o755]);
    let dir = w.open("/dir", O_RDONLY | O_DIRECTORY);
    assert_eq!(
        mmap(&w, 0, 4096, PROT_READ, MAP_PRIVATE, dir),
        err(Errno::ENODEV)
    );
    let fds = w.alloc(8);
    w.call(Sysno::Pipe, &[fds]);
    let [read_end, _] = w.get::<[i32; 2]>(fds);
    assert_eq!(
        mmap(&w, 0, 4096, PROT_READ, MAP_PRIVATE, read_end as i64),
        err(Errno::ENODEV)
    );
}

#[test]
fn msync_and_madvise_check_alignment_and_mapping() {
    let w = World::new();
    let at = 0x7000_0000u64;
    mmap(
        &w,
        at,
        8192,
        PROT_READ,
        MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
        -1,
    );
    assert_eq!(w.call(Sysno::Msync, &[at, 8192, 4]), 0);
    assert_eq!(w.call(Sysno::Msync, &[at + 1, 4096, 4]), err(Errno::EINVAL));
    assert_eq!(
        w.call(Sysno::Msync, &[at, 4096, 5]),
        err(Errno::EINVAL),
        "MS_ASYNC and MS_SYNC"
    );
    assert_eq!(
        w.call(Sysno::Msync, &[at, 3 * 4096, 4]),
        err(Errno::ENOMEM),
        "runs past the mapping"
    );
    assert_eq!(w.call(Sysno::Madvise, &[at, 4096, 4]), 0);
    assert_eq!(
        w.call(Sysno::Madvise, &[at + 0x10_0000, 4096, 4]),
        err(Errno::ENOMEM)
    );
    // MADV_FREE on private anonymous memory only; WILLNEED is a hint on a
    // mapped range; 7 is no advice at all.
    assert_eq!(w.call(Sysno::Madvise, &[at, 8192, 8]), 0);
    assert_eq!(w.call(Sysno::Madvise, &[at, 8192, 3]), 0);
    assert_eq!(
        w.call(Sysno::Madvise, &[at + 0x10_0000, 4096, 3]),
        err(Errno::ENOMEM)
    );
    assert_eq!(w.call(Sysno::Madvise, &[at, 4096, 7]), err(Errno::EINVAL));
    let fd = w.open("/mapped", O_CREAT | O_RDWR);
    assert_eq!(w.call(Sysno::Ftruncate, &[fd as u64, 4096]), 0);
    let file = 0x7100_0000u64;
    mmap(&w, file, 4096, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd);
    assert_eq!(w.call(Sysno::Madvise, &[file, 4096, 8]), err(Errno::EINVAL));
    assert_eq!(w.call(Sysno::Madvise, &[file, 4096, 4]), 0);
}

#[test]
fn mincore_reports_a_byte_per_page_and_checks_the_range() {
    let w = World::new();
    let at = 0x7200_0000u64;
    mmap(
        &w,
        at,
        3 * 4096,
        PROT_READ,
        MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
        -1,
    );
    let vec = w.put(&[7u8; 4]);
    // Nothing touched yet; the last byte of the partial page counts too.
    assert_eq!(w.call(Sysno::Mincore, &[at, 2 * 4096 + 1, vec]), 0);
    assert_eq!(w.get::<[u8; 4]>(vec), [0, 0, 0, 7]);
    assert_eq!(
        w.call(Sysno::Mincore, &[at + 1, 4096, vec]),
        err(Errno::EINVAL)
    );
    assert_eq!(
        w.call(Sysno::Mincore, &[at, 4 * 4096, vec]),
        err(Errno::ENOMEM)
    );
    assert_eq!(w.call(Sysno::Mincore, &[at, 4096, 8]), err(Errno::EFAULT));
}

#[test]
fn brk_starts_nowhere() {
    let w = World::new();
    assert_eq!(w.call(Sysno::Brk, &[0]), 0, "no program loaded: no break");
}

#[test]
fn mremap_grows_in_place_moves_when_allowed_and_checks_its_flags() {
    let w = World::new();
    let at = 0x4400_0000u64;
    let flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;
    mmap(&w, at, 4096, PROT_READ | PROT_WRITE, flags, -1);
    mmap(&w, at + 3 * 4096, 4096, PROT_READ, flags, -1);
    // Room for one more page in place, not for three.
    assert_eq!(
        w.call(Sysno::Mremap, &[at, 4096, 2 * 4096, 0, 0]),
        at as i64
    );
    assert_eq!(
        w.call(Sysno::Mremap, &[at, 2 * 4096, 4 * 4096, 0, 0]),
        err(Errno::ENOMEM)
    );
    let moved = w.call(Sysno::Mremap, &[at, 2 * 4096, 4 * 4096, 1, 0]);
    assert!(moved > 0 && moved as u64 != at, "{moved:#x}");
    assert!(regions(&w).contains(&(moved as u64, moved as u64 + 4 * 4096)));
    assert!(!regions(&w).iter().any(|r| r.0 == at));
    assert_eq!(
        w.call(Sysno::Mremap, &[moved as u64, 4096, 4096, 8, 0]),
        err(Errno::EINVAL),
        "unknown flag"
    );
    assert_eq!(
        w.call(Sysno::Mremap, &[moved as u64, 4096, 4096, 5, 0x123]),
        err(Errno::EINVAL),
        "DONTUNMAP checks the new address's alignment"
    );
}

#[test]
fn a_fork_child_has_its_own_copy_of_the_regions() {
    let w = World::new();
    let at = 0x4400_0000u64;
    mmap(
        &w,
        at,
        4096,
        PROT_READ,
        MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
        -1,
    );
    let (child, thread) = w.fork();
    assert_eq!(w.call_as(&child, &thread, Sysno::Munmap, &[at, 4096]), 0);
    assert!(
        regions(&w).contains(&(at, at + 4096)),
        "the parent keeps its mapping"
    );
}

#[test]
fn membarrier_serves_its_commands_after_their_registrations() {
    use syscall::kernel::BarrierScope;
    use syscall::membarrier::*;
    let w = World::new();
    let call = |cmd: i32, flags: u64| w.call(Sysno::Membarrier, &[cmd as u64, flags, 0]);
    assert_eq!(call(MEMBARRIER_CMD_QUERY, 0), i64::from(SERVED));
    assert_eq!(SERVED, 127, "all but the rseq commands");
    // Private commands need their registration first.
    assert_eq!(call(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0), err(Errno::EPERM));
    assert_eq!(call(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0), 0);
    assert_eq!(call(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0), 0);
    assert_eq!(
        call(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0),
        err(Errno::EPERM),
        "each kind is registered apart"
    );
    assert_eq!(call(MEMBARRIER_CMD_GLOBAL, 0), 0);
    assert_eq!(call(MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0), 0);
    assert_eq!(
        *w.machine.barriers.lock().unwrap(),
        [
            BarrierScope::OwnAddressSpace,
            BarrierScope::EveryCpu,
            BarrierScope::EveryCpu
        ]
    );
    // Flags, rseq commands and unknown ones.
    assert_eq!(call(MEMBARRIER_CMD_GLOBAL, 1), err(Errno::EINVAL));
    assert_eq!(call(128, 0), err(Errno::EINVAL));
    assert_eq!(call(256, 0), err(Errno::EINVAL));
    assert_eq!(call(3, 0), err(Errno::EINVAL));
    // A child keeps the parent's registrations (an exec drops them).
    let (child, child_thread) = w.fork();
    assert_eq!(
        w.call_as(
            &child,
            &child_thread,
            Sysno::Membarrier,
            &[MEMBARRIER_CMD_PRIVATE_EXPEDITED as u64, 0, 0]
        ),
        0
    );
}
