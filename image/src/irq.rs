//! Device interrupt lines: through the I/O APIC when the MADT lists one
//! (every line routed to the boot CPU, at the vector the 8259 would use),
//! through the 8259 otherwise. Handlers acknowledge through
//! [`end_of_interrupt`], which knows which of the two delivered.

use alloc::vec::Vec;

use spin::Once;

/// The I/O APIC in use and the MADT's overrides, if there is one.
struct Routing {
    io_apic: arch::ioapic::IoApic,
    gsi_base: u32,
    overrides: Vec<power::interrupts::SourceOverride>,
}

static ROUTING: Once<Option<Routing>> = Once::new();

/// Finds the I/O APIC (the one that serves GSI 0) and masks its inputs.
/// The 8259 stays masked from boot. Call once the heap exists.
pub fn init(info: &boot::BootInfo) {
    ROUTING.call_once(|| {
        let tables = crate::power::acpi_tables(info).ok()?;
        let madt = tables.find_table::<power::acpi::madt::Madt>().ok()?;
        let (io_apics, overrides) = power::interrupts::madt_interrupts(madt.get());
        let entry = io_apics.iter().find(|io| io.gsi_base == 0)?;
        // SAFETY: the MADT names this window as an I/O APIC's; the direct
        // map covers the first 4 GiB, and only this module drives it.
        let io_apic = unsafe { arch::ioapic::IoApic::new(entry.address) };
        io_apic.mask_all();
        log::debug!(
            "I/O APIC at {:#x}, {} inputs, {} ISA overrides",
            entry.address,
            io_apic.inputs(),
            overrides.len()
        );
        Some(Routing {
            io_apic,
            gsi_base: entry.gsi_base,
            overrides,
        })
    });
}

fn routing() -> Option<&'static Routing> {
    ROUTING.get().and_then(Option::as_ref)
}

/// Lets ISA line `line` interrupt, at vector
/// `arch::pic::PRIMARY_VECTOR_BASE + line`.
pub fn unmask(line: u8) {
    match routing() {
        Some(routing) => {
            let route = power::interrupts::isa_route(line, &routing.overrides);
            let boot_cpu = arch::percpu::cpu(0).map_or(0, |cpu| cpu.apic_id());
            routing.io_apic.route(
                route.gsi - routing.gsi_base,
                arch::pic::PRIMARY_VECTOR_BASE + line,
                boot_cpu,
                route.active_low,
                route.level_triggered,
            );
        }
        None => arch::pic::unmask(line),
    }
}

/// Acknowledges an interrupt of ISA line `line`.
pub fn end_of_interrupt(line: u8) {
    match routing() {
        Some(_) => arch::apic::end_of_interrupt(),
        None => arch::pic::end_of_interrupt(line),
    }
}
