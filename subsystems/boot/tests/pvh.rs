//! PVH start info as QEMU's `-kernel` builds it, and broken variants.

mod common;

use boot::{BootInfo, BootInfoError, BootProtocol, MemoryKind, MemoryRegion, PVH_START_INFO_MAGIC};
use common::{FakeMemory, Rng, le32, le64, rsdp_v2};

const START_INFO: u64 = 0x6000;
const CMDLINE: u64 = 0x6100;
const MODLIST: u64 = 0x6200;
const MODULE_CMDLINE: u64 = 0x6280;
const MEMMAP: u64 = 0x6300;
const RSDP: u64 = 0xf_5a00;

struct Pvh {
    version: u32,
    nr_modules: u32,
    modlist: u64,
    cmdline: u64,
    rsdp: u64,
    memmap: u64,
    memmap_entries: u32,
}

impl Pvh {
    /// What QEMU 7.2 passes for `-m 128M -kernel k -initrd i -append ...`.
    fn qemu() -> Pvh {
        Pvh {
            version: 1,
            nr_modules: 1,
            modlist: MODLIST,
            cmdline: CMDLINE,
            rsdp: RSDP,
            memmap: MEMMAP,
            memmap_entries: 4,
        }
    }

    fn memory(&self) -> FakeMemory {
        let mut mem = FakeMemory::new(0, 0x10_0000);
        let mut start = Vec::new();
        start.extend_from_slice(&le32(PVH_START_INFO_MAGIC));
        start.extend_from_slice(&le32(self.version));
        start.extend_from_slice(&le32(0)); // flags
        start.extend_from_slice(&le32(self.nr_modules));
        start.extend_from_slice(&le64(self.modlist));
        start.extend_from_slice(&le64(self.cmdline));
        start.extend_from_slice(&le64(self.rsdp));
        start.extend_from_slice(&le64(self.memmap));
        start.extend_from_slice(&le32(self.memmap_entries));
        start.extend_from_slice(&le32(0));
        mem.write(START_INFO, &start);
        mem.write(CMDLINE, b"console=ttyS0 ktest\0");
        let mut module = Vec::new();
        module.extend_from_slice(&le64(0x7f0_0000));
        module.extend_from_slice(&le64(0x1_2345));
        module.extend_from_slice(&le64(MODULE_CMDLINE));
        module.extend_from_slice(&le64(0));
        mem.write(MODLIST, &module);
        mem.write(MODULE_CMDLINE, b"initramfs\0");
        let entries: [(u64, u64, u32); 4] = [
            (0x10_0000, 0x7ee_0000, 1),
            (0, 0x9fc00, 1),
            (0x9fc00, 0x400, 2),
            (0xfeff_c000, 0x4000, 2),
        ];
        let mut map = Vec::new();
        for (addr, size, kind) in entries {
            map.extend_from_slice(&le64(addr));
            map.extend_from_slice(&le64(size));
            map.extend_from_slice(&le32(kind));
            map.extend_from_slice(&le32(0));
        }
        mem.write(MEMMAP, &map);
        mem.write(RSDP, &rsdp_v2(0x7fe_2000));
        mem
    }
}

fn parse(mem: &FakeMemory) -> Result<BootInfo, BootInfoError> {
    BootInfo::from_pvh(START_INFO, mem)
}

#[test]
fn qemu_start_info_is_parsed_into_boot_info() {
    let info = parse(&Pvh::qemu().memory()).unwrap();
    assert_eq!(info.protocol, BootProtocol::Pvh);
    assert_eq!(info.command_line(), "console=ttyS0 ktest");
    assert!(!info.command_line_truncated);
    let initrd = info.initrd().unwrap();
    assert_eq!((initrd.start, initrd.length), (0x7f0_0000, 0x1_2345));
    assert_eq!(initrd.cmdline.as_str(), "initramfs");
    assert_eq!(info.framebuffer, None);
    assert_eq!(info.bootloader_name, None);
}

#[test]
fn memory_map_comes_out_sorted_with_usable_total() {
    let info = parse(&Pvh::qemu().memory()).unwrap();
    let starts: Vec<(u64, MemoryKind)> = info
        .memory_map()
        .iter()
        .map(|r| (r.start, r.kind))
        .collect();
    assert_eq!(
        starts,
        [
            (0, MemoryKind::Usable),
            (0x9fc00, MemoryKind::Reserved),
            (0x10_0000, MemoryKind::Usable),
            (0xfeff_c000, MemoryKind::Reserved),
        ]
    );
    assert_eq!(info.usable_memory_bytes(), 0x9fc00 + 0x7ee_0000);
}

#[test]
fn rsdp_address_is_given_and_table_validated() {
    let info = parse(&Pvh::qemu().memory()).unwrap();
    assert_eq!(info.acpi_rsdp, Some(RSDP));
    assert_eq!(info.rsdp.unwrap().xsdt_address, Some(0x7fe_2000));
}

#[test]
fn corrupt_rsdp_keeps_the_address_but_no_table() {
    let mut mem = Pvh::qemu().memory();
    mem.write(RSDP, b"XSD PTR ");
    let info = parse(&mem).unwrap();
    assert_eq!(info.acpi_rsdp, Some(RSDP));
    assert_eq!(info.rsdp, None);
}

#[test]
fn absent_command_line_and_modules_are_empty() {
    let mem = Pvh {
        cmdline: 0,
        nr_modules: 0,
        modlist: 0,
        rsdp: 0,
        ..Pvh::qemu()
    }
    .memory();
    let info = parse(&mem).unwrap();
    assert_eq!(info.command_line(), "");
    assert!(info.modules().is_empty());
    assert_eq!(info.initrd(), None);
    assert_eq!(info.acpi_rsdp, None);
}

#[test]
fn overlapping_entries_resolve_to_the_stricter_kind() {
    let mut mem = Pvh::qemu().memory();
    // Make the last entry a reserved range inside the big usable region.
    mem.write(MEMMAP + 3 * 24, &[le64(0x20_0000), le64(0x1000)].concat());
    let info = parse(&mem).unwrap();
    assert!(info.memory_map().contains(&MemoryRegion {
        start: 0x20_0000,
        length: 0x1000,
        kind: MemoryKind::Reserved
    }));
    assert_eq!(info.usable_memory_bytes(), 0x9fc00 + 0x7ee_0000 - 0x1000);
}

#[test]
fn wrong_magic_is_rejected() {
    let mut mem = Pvh::qemu().memory();
    mem.write(START_INFO, &le32(0x1bad_b002));
    assert_eq!(
        parse(&mem),
        Err(BootInfoError::BadMagic { found: 0x1bad_b002 })
    );
}

#[test]
fn version_zero_has_no_memory_map() {
    let mem = Pvh {
        version: 0,
        ..Pvh::qemu()
    }
    .memory();
    assert_eq!(
        parse(&mem),
        Err(BootInfoError::PvhMemoryMapMissing { version: 0 })
    );
}

#[test]
fn empty_memory_map_is_rejected() {
    let mem = Pvh {
        memmap_entries: 0,
        ..Pvh::qemu()
    }
    .memory();
    assert_eq!(
        parse(&mem),
        Err(BootInfoError::PvhMemoryMapMissing { version: 1 })
    );
}

#[test]
fn huge_counts_are_rejected_before_reading() {
    let mem = Pvh {
        memmap_entries: u32::MAX,
        ..Pvh::qemu()
    }
    .memory();
    assert_eq!(parse(&mem), Err(BootInfoError::TooManyMemoryRegions));
    let mem = Pvh {
        nr_modules: u32::MAX,
        ..Pvh::qemu()
    }
    .memory();
    assert_eq!(parse(&mem), Err(BootInfoError::TooManyModules));
}

#[test]
fn modules_without_a_list_are_rejected() {
    let mem = Pvh {
        modlist: 0,
        ..Pvh::qemu()
    }
    .memory();
    assert_eq!(parse(&mem), Err(BootInfoError::PvhModuleListMissing));
}

#[test]
fn memory_map_out_of_range_is_unreadable() {
    let mem = Pvh {
        memmap: 0x20_0000,
        ..Pvh::qemu()
    }
    .memory();
    assert_eq!(
        parse(&mem),
        Err(BootInfoError::Unreadable { addr: 0x20_0000 })
    );
}

#[test]
fn memory_map_address_that_wraps_is_rejected() {
    let mem = Pvh {
        memmap: u64::MAX - 30,
        memmap_entries: 2,
        ..Pvh::qemu()
    }
    .memory();
    assert!(matches!(
        parse(&mem),
        Err(BootInfoError::AddressOverflow { .. } | BootInfoError::Unreadable { .. })
    ));
}

#[test]
fn truncated_start_info_is_unreadable() {
    let full = Pvh::qemu().memory();
    let mut mem = FakeMemory::new(START_INFO, 40);
    mem.bytes
        .copy_from_slice(&full.bytes[START_INFO as usize..START_INFO as usize + 40]);
    assert_eq!(
        parse(&mem),
        Err(BootInfoError::Unreadable { addr: START_INFO })
    );
}

#[test]
fn command_line_without_nul_at_end_of_memory_is_unreadable() {
    let mut mem = Pvh {
        cmdline: 0xf_fff0,
        ..Pvh::qemu()
    }
    .memory();
    mem.write(0xf_fff0, &[b'a'; 16]);
    assert_eq!(
        parse(&mem),
        Err(BootInfoError::Unreadable { addr: 0x10_0000 })
    );
}

#[test]
fn command_line_ending_at_end_of_memory_is_read() {
    let mut mem = Pvh {
        cmdline: 0xf_fff0,
        ..Pvh::qemu()
    }
    .memory();
    mem.write(0xf_fff0, b"log=trace quiet\0");
    assert_eq!(parse(&mem).unwrap().command_line(), "log=trace quiet");
}

#[test]
fn overlong_command_line_is_cut_and_flagged() {
    let mut mem = Pvh {
        cmdline: 0x8000,
        ..Pvh::qemu()
    }
    .memory();
    let mut long = vec![b'x'; 6000];
    long.push(0);
    mem.write(0x8000, &long);
    let info = parse(&mem).unwrap();
    assert_eq!(info.command_line().len(), boot::COMMAND_LINE_CAPACITY);
    assert!(info.command_line_truncated);
}

#[test]
fn random_garbage_never_panics() {
    let mut rng = Rng(0xdead_beef_cafe_f00d);
    // [errors, successes]: the loop must exercise both.
    let mut outcomes = [0u32; 2];
    let valid = Pvh::qemu().memory();
    for round in 0..5_000 {
        let mut mem = FakeMemory::new(0, 0x10_0000);
        mem.bytes.copy_from_slice(&valid.bytes);
        // Scribble over the start info, memory map and module list.
        for _ in 0..=rng.below(8) {
            let at = START_INFO + rng.below(0x400);
            mem.bytes[at as usize] = rng.next() as u8;
        }
        if round % 4 == 0 {
            // A plausible small count at a random address.
            mem.write(START_INFO + 48, &le32(rng.below(200) as u32));
            mem.write(START_INFO + 40, &le64(rng.below(0x11_0000)));
        }
        let result = parse(&mem);
        outcomes[usize::from(result.is_ok())] += 1;
        if let Ok(info) = result {
            assert!(
                info.memory_map()
                    .windows(2)
                    .all(|w| w[0].end() <= w[1].start)
            );
            assert!(info.memory_map().iter().all(|r| r.length > 0));
        }
    }
    assert!(outcomes[0] > 0 && outcomes[1] > 0, "{outcomes:?}");
}
