//! The machine side of power control: finds the ACPI tables through the
//! direct map, builds the `power` crate's plan once at boot, and runs it
//! with real port and memory accesses.

use core::ptr::NonNull;

use arch::paging::phys_to_virt;
use power::acpi::{self, AcpiHandler, AcpiTables, PhysicalMapping};
use power::{AddressSpace, PowerControl, Register, RegisterIo};
use x86_64::instructions::port::Port;

/// The plan, if the firmware has ACPI tables.
static CONTROL: spin::Once<Option<PowerControl>> = spin::Once::new();

/// ACPI table access through the kernel's direct map, which covers the
/// first 4 GiB (where firmware puts its tables) and all RAM.
#[derive(Clone, Copy, Debug)]
struct DirectMap;

impl AcpiHandler for DirectMap {
    unsafe fn map_physical_region<T>(
        &self,
        physical_address: usize,
        size: usize,
    ) -> PhysicalMapping<Self, T> {
        let virtual_start = phys_to_virt(physical_address as u64) as *mut T;
        // SAFETY: the direct map maps `physical_address..+size` for the
        // kernel's lifetime (the caller vouches that a `T` lies there), so
        // the pointer is non-null and valid; nothing needs unmapping.
        unsafe {
            PhysicalMapping::new(
                physical_address,
                NonNull::new_unchecked(virtual_start),
                size,
                size,
                *self,
            )
        }
    }

    fn unmap_physical_region<T>(_region: &PhysicalMapping<Self, T>) {}
}

/// The firmware's ACPI tables, found from the boot loader's RSDP or by
/// the BIOS search.
pub fn acpi_tables(info: &boot::BootInfo) -> acpi::AcpiResult<AcpiTables<impl AcpiHandler>> {
    match info.rsdp {
        // SAFETY: the RSDP was validated at boot; its root table address
        // is the firmware's, in the direct map.
        Some(rsdp) => unsafe {
            match rsdp.xsdt_address {
                Some(xsdt) => AcpiTables::from_rsdt(DirectMap, 2, xsdt as usize),
                None => AcpiTables::from_rsdt(DirectMap, 0, rsdp.rsdt_address as usize),
            }
        },
        // SAFETY: without a boot-loader copy (QEMU's PVH), the RSDP is
        // where BIOS puts it: the EBDA or 0xe0000..0x100000, both in the
        // direct map. A UEFI machine boots through multiboot2, which
        // hands the RSDP over.
        None => unsafe { AcpiTables::search_for_rsdp_bios(DirectMap) },
    }
}

/// Reads the FADT and DSDT once; logs what power-off and reset will use.
pub fn init(info: &boot::BootInfo) {
    CONTROL.call_once(|| {
        let tables = acpi_tables(info);
        let tables = match tables {
            Ok(tables) => tables,
            Err(error) => {
                log::info!("ACPI: no usable tables ({error:?}): no ACPI power-off");
                return None;
            }
        };
        let Ok(fadt) = tables.find_table::<acpi::fadt::Fadt>() else {
            log::info!("ACPI: no FADT: no ACPI power-off");
            return None;
        };
        let dsdt: &[u8] = match tables.dsdt() {
            // SAFETY: the DSDT's AML lies at `address..+length` in firmware
            // memory the kernel never reuses, inside the direct map.
            Ok(dsdt) => unsafe {
                core::slice::from_raw_parts(
                    phys_to_virt(dsdt.address as u64) as *const u8,
                    dsdt.length as usize,
                )
            },
            Err(_) => &[],
        };
        let control = PowerControl::from_fadt(&fadt, dsdt);
        log::debug!(
            "ACPI: PM1a {:?}, \\_S5 {:?}, reset {:?}",
            control.pm1a_control,
            control.soft_off,
            control.reset
        );
        Some(control)
    });
}

/// Port and memory access for the `power` crate.
struct Hardware;

impl RegisterIo for Hardware {
    fn read(&mut self, register: Register) -> u32 {
        match register.space {
            // SAFETY: the FADT names these ports as the chipset's power
            // registers; reading them has no side effect beyond the register.
            AddressSpace::SystemIo => unsafe {
                let port = register.address as u16;
                match register.width {
                    1 => u32::from(Port::<u8>::new(port).read()),
                    2 => u32::from(Port::<u16>::new(port).read()),
                    _ => Port::<u32>::new(port).read(),
                }
            },
            // SAFETY: the FADT names this physical address as a register in
            // the first 4 GiB, which the direct map covers; the access is
            // volatile and of the register's width.
            AddressSpace::SystemMemory => unsafe {
                let address = phys_to_virt(register.address);
                match register.width {
                    1 => u32::from(core::ptr::read_volatile(address as *const u8)),
                    2 => u32::from(core::ptr::read_volatile(address as *const u16)),
                    _ => core::ptr::read_volatile(address as *const u32),
                }
            },
        }
    }

    fn write(&mut self, register: Register, value: u32) {
        match register.space {
            // SAFETY: as in `read`; the writes are the ones ACPI prescribes
            // for sleeping and reset.
            AddressSpace::SystemIo => unsafe {
                let port = register.address as u16;
                match register.width {
                    1 => Port::<u8>::new(port).write(value as u8),
                    2 => Port::<u16>::new(port).write(value as u16),
                    _ => Port::<u32>::new(port).write(value),
                }
            },
            // SAFETY: as in `read`.
            AddressSpace::SystemMemory => unsafe {
                let address = phys_to_virt(register.address);
                match register.width {
                    1 => core::ptr::write_volatile(address as *mut u8, value as u8),
                    2 => core::ptr::write_volatile(address as *mut u16, value as u16),
                    _ => core::ptr::write_volatile(address as *mut u32, value),
                }
            },
        }
    }

    fn pause(&mut self, microseconds: u32) {
        arch::pit::busy_wait_us(u64::from(microseconds));
    }
}

/// Switches the machine off: QEMU's debug-exit device if the test runner
/// attached one (it reports success to the runner), then ACPI S5; halts if
/// both leave the machine on.
pub fn power_off() -> ! {
    x86_64::instructions::interrupts::disable();
    arch::qemu::try_exit(arch::qemu::ExitCode::Success);
    if let Some(Some(control)) = CONTROL.get() {
        control.power_off(&mut Hardware);
        log::warn!("ACPI power-off did not take: halting");
    }
    arch::cpu::halt_forever()
}

/// Restarts the machine: the FADT reset register, the keyboard controller,
/// and at last a triple fault, which resets every x86 machine.
pub fn restart() -> ! {
    x86_64::instructions::interrupts::disable();
    match CONTROL.get() {
        Some(Some(control)) => {
            control.reset(&mut Hardware);
        }
        _ => power::control::keyboard_controller_reset(&mut Hardware),
    }
    arch::cpu::triple_fault()
}
