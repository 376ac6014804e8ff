//! Multiboot2 information as GRUB would build it, and as a broken loader might.

mod common;

use boot::{
    BootInfo, BootInfoError, BootProtocol, ColorChannel, FramebufferKind, MemoryKind, MemoryRegion,
};
use common::{FakeMemory, Multiboot2Builder, Rng, rsdp_v2};

const INFO_ADDR: u64 = 0x9000;

fn load(info: &[u8]) -> FakeMemory {
    let mut mem = FakeMemory::new(0x8000, 0x4000);
    mem.write(INFO_ADDR, info);
    mem
}

fn parse(info: &[u8]) -> Result<BootInfo, BootInfoError> {
    BootInfo::from_multiboot2(INFO_ADDR, &load(info))
}

fn framebuffer_payload() -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(&0xfd00_0000u64.to_le_bytes());
    p.extend_from_slice(&4096u32.to_le_bytes());
    p.extend_from_slice(&1024u32.to_le_bytes());
    p.extend_from_slice(&768u32.to_le_bytes());
    p.push(32); // bpp
    p.push(1); // RGB
    p.extend_from_slice(&[0, 0]); // reserved
    p.extend_from_slice(&[16, 8, 8, 8, 0, 8]);
    p
}

fn grub_like_info() -> Vec<u8> {
    Multiboot2Builder::new()
        .string_tag(1, "log=debug init=/bin/sh")
        .string_tag(2, "GRUB 2.06-13+deb12u1")
        .module(0x20_0000, 0x28_0000, "initrd.cpio")
        .module(0x30_0000, 0x30_1000, "extra")
        .tag(4, &[0x7f, 2, 0, 0, 0x00, 0xfc, 0x01, 0]) // basic meminfo, ignored
        .memory_map(&[
            (0, 0x9fc00, 1),
            (0x9fc00, 0x400, 2),
            (0xf0000, 0x10000, 2),
            (0x10_0000, 0x7ee_0000, 1),
            (0x7fe_0000, 0x2_0000, 3),
            (0xfffc_0000, 0x4_0000, 2),
        ])
        .tag(8, &framebuffer_payload())
        .tag(14, &rsdp_v2(0)[..20])
        .tag(15, &rsdp_v2(0x7fe_1000))
        .finish()
}

#[test]
fn grub_information_is_parsed_into_boot_info() {
    let info = parse(&grub_like_info()).unwrap();
    assert_eq!(info.protocol, BootProtocol::Multiboot2);
    assert_eq!(info.command_line(), "log=debug init=/bin/sh");
    assert!(!info.command_line_truncated);
    assert_eq!(
        info.bootloader_name.as_ref().map(|n| n.as_str()),
        Some("GRUB 2.06-13+deb12u1")
    );
    assert_eq!(info.modules().len(), 2);
    let initrd = info.initrd().unwrap();
    assert_eq!(
        (initrd.start, initrd.length, initrd.end()),
        (0x20_0000, 0x8_0000, 0x28_0000)
    );
    assert_eq!(initrd.cmdline.as_str(), "initrd.cpio");
    assert_eq!(info.modules()[1].cmdline.as_str(), "extra");
}

#[test]
fn memory_map_is_normalised_and_usable_bytes_counted() {
    let info = parse(&grub_like_info()).unwrap();
    assert_eq!(
        info.memory_map(),
        [
            MemoryRegion {
                start: 0,
                length: 0x9fc00,
                kind: MemoryKind::Usable
            },
            MemoryRegion {
                start: 0x9fc00,
                length: 0x400,
                kind: MemoryKind::Reserved
            },
            MemoryRegion {
                start: 0xf0000,
                length: 0x10000,
                kind: MemoryKind::Reserved
            },
            MemoryRegion {
                start: 0x10_0000,
                length: 0x7ee_0000,
                kind: MemoryKind::Usable
            },
            MemoryRegion {
                start: 0x7fe_0000,
                length: 0x2_0000,
                kind: MemoryKind::AcpiReclaimable
            },
            MemoryRegion {
                start: 0xfffc_0000,
                length: 0x4_0000,
                kind: MemoryKind::Reserved
            },
        ]
    );
    assert_eq!(info.usable_memory_bytes(), 0x9fc00 + 0x7ee_0000);
}

#[test]
fn framebuffer_tag_gives_rgb_layout() {
    let fb = parse(&grub_like_info()).unwrap().framebuffer.unwrap();
    assert_eq!(
        (fb.address, fb.pitch, fb.width, fb.height, fb.bpp),
        (0xfd00_0000, 4096, 1024, 768, 32)
    );
    assert_eq!(
        fb.kind,
        FramebufferKind::Rgb {
            red: ColorChannel {
                position: 16,
                size: 8
            },
            green: ColorChannel {
                position: 8,
                size: 8
            },
            blue: ColorChannel {
                position: 0,
                size: 8
            },
        }
    );
    assert_eq!(fb.size_bytes(), 4096 * 768);
}

#[test]
fn new_rsdp_tag_wins_over_old_and_is_copied() {
    let bytes = grub_like_info();
    let info = parse(&bytes).unwrap();
    let rsdp = info.rsdp.unwrap();
    assert_eq!(rsdp.xsdt_address, Some(0x7fe_1000));
    assert_eq!(rsdp.rsdt_address, 0x7fe_0000);
    // The address points at the copy inside the information: tag 15's payload.
    let addr = info.acpi_rsdp.unwrap();
    let at = (addr - INFO_ADDR) as usize;
    assert_eq!(&bytes[at..at + 8], b"RSD PTR ");
    assert_eq!(bytes[at + 15], 2);
}

#[test]
fn old_rsdp_alone_gives_rsdt_only() {
    let info = parse(
        &Multiboot2Builder::new()
            .memory_map(&[(0, 0x1000, 1)])
            .tag(14, &rsdp_v2(0)[..20])
            .finish(),
    )
    .unwrap();
    let rsdp = info.rsdp.unwrap();
    assert_eq!(rsdp.xsdt_address, None);
    assert_eq!(rsdp.rsdt_address, 0x7fe_0000);
}

#[test]
fn information_is_copied_so_reusing_its_memory_changes_nothing() {
    let mut mem = load(&grub_like_info());
    let info = BootInfo::from_multiboot2(INFO_ADDR, &mem).unwrap();
    mem.write(INFO_ADDR, &[0xff; 0x400]);
    assert_eq!(info.command_line(), "log=debug init=/bin/sh");
    assert_eq!(info.initrd().unwrap().cmdline.as_str(), "initrd.cpio");
    assert_eq!(info.memory_map().len(), 6);
}

#[test]
fn basic_meminfo_is_used_when_there_is_no_memory_map() {
    let info = parse(
        &Multiboot2Builder::new()
            .tag(
                4,
                &[&639u32.to_le_bytes()[..], &(127 * 1024u32).to_le_bytes()].concat(),
            )
            .finish(),
    )
    .unwrap();
    assert_eq!(info.usable_memory_bytes(), 639 * 1024 + 127 * 1024 * 1024);
    assert_eq!(info.memory_map()[1].start, 0x10_0000);
}

#[test]
fn no_memory_information_is_an_error() {
    let info = Multiboot2Builder::new().string_tag(1, "quiet").finish();
    assert_eq!(parse(&info), Err(BootInfoError::MemoryMapMissing));
}

#[test]
fn invalid_utf8_in_command_line_is_replaced() {
    let info = parse(
        &Multiboot2Builder::new()
            .tag(1, b"init=/bin/\xffsh\0")
            .memory_map(&[(0, 0x1000, 1)])
            .finish(),
    )
    .unwrap();
    assert_eq!(info.command_line(), "init=/bin/\u{FFFD}sh");
}

#[test]
fn overlong_command_line_is_cut_and_flagged() {
    let long = "a".repeat(5000);
    let info = parse(
        &Multiboot2Builder::new()
            .string_tag(1, &long)
            .memory_map(&[(0, 0x1000, 1)])
            .finish(),
    )
    .unwrap();
    assert_eq!(info.command_line().len(), boot::COMMAND_LINE_CAPACITY);
    assert!(info.command_line_truncated);
}

#[test]
fn unknown_memory_types_are_kept_but_not_usable() {
    let info = parse(
        &Multiboot2Builder::new()
            .memory_map(&[(0, 0x1000, 7), (0x1000, 0x1000, 1)])
            .finish(),
    )
    .unwrap();
    assert_eq!(info.memory_map()[0].kind, MemoryKind::Unknown(7));
    assert_eq!(info.usable_memory_bytes(), 0x1000);
}

#[test]
fn misaligned_information_is_rejected() {
    let mem = load(&grub_like_info());
    assert_eq!(
        BootInfo::from_multiboot2(INFO_ADDR + 4, &mem),
        Err(BootInfoError::Misaligned {
            addr: INFO_ADDR + 4
        })
    );
}

#[test]
fn total_size_too_small_or_huge_is_rejected() {
    let mut info = grub_like_info();
    info[..4].copy_from_slice(&8u32.to_le_bytes());
    assert_eq!(
        parse(&info),
        Err(BootInfoError::BadTotalSize { total_size: 8 })
    );
    info[..4].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(
        parse(&info),
        Err(BootInfoError::BadTotalSize {
            total_size: u32::MAX
        })
    );
}

#[test]
fn total_size_that_cuts_a_tag_short_is_rejected() {
    let mut info = grub_like_info();
    // Claim the information ends 16 bytes into the first (cmdline) tag.
    info[..4].copy_from_slice(&24u32.to_le_bytes());
    assert!(matches!(
        parse(&info),
        Err(BootInfoError::BadTag {
            tag_type: 1,
            offset: 8,
            ..
        })
    ));
}

#[test]
fn total_size_past_readable_memory_fails_on_read() {
    let mut info = grub_like_info();
    // The end tag is overwritten, so the walk runs on into unreadable memory.
    let len = info.len();
    info[len - 8..].copy_from_slice(&[99, 0, 0, 0, 8, 0, 0, 0]);
    info[..4].copy_from_slice(&0x10_0000u32.to_le_bytes());
    // Memory ends right after the information.
    let mut mem = FakeMemory::new(INFO_ADDR, info.len());
    mem.write(INFO_ADDR, &info);
    assert_eq!(
        BootInfo::from_multiboot2(INFO_ADDR, &mem),
        Err(BootInfoError::Unreadable {
            addr: INFO_ADDR + len as u64
        })
    );
}

#[test]
fn missing_end_tag_is_rejected() {
    let mut info = grub_like_info();
    let len = info.len();
    info.truncate(len - 8);
    let total = info.len() as u32;
    info[..4].copy_from_slice(&total.to_le_bytes());
    assert_eq!(parse(&info), Err(BootInfoError::MissingEndTag));
}

#[test]
fn tag_of_size_zero_is_rejected_not_looped_on() {
    let mut info = grub_like_info();
    info[12..16].copy_from_slice(&0u32.to_le_bytes());
    assert_eq!(
        parse(&info),
        Err(BootInfoError::BadTag {
            tag_type: 1,
            size: 0,
            offset: 8
        })
    );
}

#[test]
fn tag_running_past_total_size_is_rejected() {
    let mut info = grub_like_info();
    info[12..16].copy_from_slice(&0x1000u32.to_le_bytes());
    assert!(matches!(
        parse(&info),
        Err(BootInfoError::BadTag { size: 0x1000, .. })
    ));
}

#[test]
fn memory_map_entry_size_zero_is_rejected() {
    let mut payload = vec![0u8; 8 + 24];
    payload[..4].copy_from_slice(&0u32.to_le_bytes());
    let info = Multiboot2Builder::new().tag(6, &payload).finish();
    assert_eq!(
        parse(&info),
        Err(BootInfoError::BadMemoryMapEntrySize { entry_size: 0 })
    );
}

#[test]
fn memory_map_with_larger_entry_size_is_walked_by_entry_size() {
    let mut payload = Vec::new();
    payload.extend_from_slice(&32u32.to_le_bytes());
    payload.extend_from_slice(&0u32.to_le_bytes());
    for (base, len) in [(0u64, 0x1000u64), (0x10_0000, 0x2000)] {
        payload.extend_from_slice(&base.to_le_bytes());
        payload.extend_from_slice(&len.to_le_bytes());
        payload.extend_from_slice(&1u32.to_le_bytes());
        payload.extend_from_slice(&[0xee; 12]);
    }
    let info = parse(&Multiboot2Builder::new().tag(6, &payload).finish()).unwrap();
    assert_eq!(info.usable_memory_bytes(), 0x3000);
    assert_eq!(info.memory_map().len(), 2);
}

#[test]
fn module_ending_before_it_starts_is_rejected() {
    let info = Multiboot2Builder::new()
        .memory_map(&[(0, 0x1000, 1)])
        .module(0x20_0000, 0x10_0000, "")
        .finish();
    assert_eq!(
        parse(&info),
        Err(BootInfoError::BadModule {
            start: 0x20_0000,
            end: 0x10_0000
        })
    );
}

#[test]
fn more_than_sixteen_modules_is_an_error() {
    let mut builder = Multiboot2Builder::new().memory_map(&[(0, 0x1000, 1)]);
    for i in 0..17 {
        builder = builder.module(i * 0x1000, i * 0x1000 + 0x800, "m");
    }
    assert_eq!(parse(&builder.finish()), Err(BootInfoError::TooManyModules));
}

#[test]
fn truncated_framebuffer_tag_is_rejected() {
    let info = Multiboot2Builder::new()
        .memory_map(&[(0, 0x1000, 1)])
        .tag(8, &framebuffer_payload()[..26])
        .finish();
    assert!(matches!(
        parse(&info),
        Err(BootInfoError::BadTag { tag_type: 8, .. })
    ));
}

#[test]
fn unreadable_information_is_an_error() {
    let mem = FakeMemory::new(0x8000, 0x100);
    assert_eq!(
        BootInfo::from_multiboot2(0x10_0000, &mem),
        Err(BootInfoError::Unreadable { addr: 0x10_0000 })
    );
}

#[test]
fn errors_map_to_linux_errno() {
    assert_eq!(
        abi::Errno::from(BootInfoError::MissingEndTag),
        abi::Errno::EINVAL
    );
    assert_eq!(
        BootInfoError::Unreadable { addr: 0 }.errno(),
        abi::Errno::EFAULT
    );
}

#[test]
fn random_garbage_never_panics() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    // [errors, successes]: the loop must exercise both.
    let mut outcomes = [0u32; 2];
    let valid = grub_like_info();
    for round in 0..20_000 {
        let mut info = if round % 2 == 0 {
            // Mutate a valid image: the interesting failures are near-misses.
            let mut info = valid.clone();
            for _ in 0..=rng.below(6) {
                let at = rng.below(info.len() as u64) as usize;
                info[at] = rng.next() as u8;
            }
            info
        } else {
            let len = rng.below(512) as usize;
            (0..len).map(|_| rng.next() as u8).collect()
        };
        if round % 3 == 0 && info.len() >= 4 {
            // Keep total_size plausible so the walk goes deeper.
            let total = rng.below(info.len() as u64 + 64) as u32;
            info[..4].copy_from_slice(&total.to_le_bytes());
        }
        info.resize(info.len().max(8), 0);
        let result = parse(&info);
        outcomes[usize::from(result.is_ok())] += 1;
        if let Ok(parsed) = result {
            assert!(
                parsed
                    .memory_map()
                    .windows(2)
                    .all(|w| w[0].end() <= w[1].start)
            );
            assert!(parsed.modules().len() <= boot::MAX_MODULES);
        }
    }
    assert!(outcomes[0] > 0 && outcomes[1] > 0, "{outcomes:?}");
}

#[test]
fn boot_info_fits_in_a_modest_stack() {
    // The kernel builds BootInfo on its early boot stack; keep it bounded.
    let size = std::mem::size_of::<BootInfo>();
    assert!(size < 16 * 1024, "BootInfo is {size} bytes");
}
