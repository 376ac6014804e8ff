//! The register sequences, against a recording fake of the hardware.

use power::{PowerControl, Register, RegisterIo, SleepType};

#[derive(Default)]
struct Recorder {
    /// What each read returns, by address.
    values: std::collections::HashMap<u64, u32>,
    writes: Vec<(u64, u32)>,
    paused_us: u64,
    /// Address whose write sets `SCI_EN` in PM1a (the SMI command port).
    smi_sets_sci_en: Option<(u64, u64)>,
}

impl RegisterIo for Recorder {
    fn read(&mut self, register: Register) -> u32 {
        *self.values.get(&register.address).unwrap_or(&0)
    }
    fn write(&mut self, register: Register, value: u32) {
        self.writes.push((register.address, value));
        if let Some((smi, pm1a)) = self.smi_sets_sci_en
            && register.address == smi
        {
            *self.values.entry(pm1a).or_default() |= 1;
        }
    }
    fn pause(&mut self, microseconds: u32) {
        self.paused_us += u64::from(microseconds);
    }
}

const PM1A: u64 = 0x604;
const PM1B: u64 = 0x608;
const SMI: u64 = 0xb2;

fn q35_like() -> PowerControl {
    PowerControl {
        pm1a_control: Some(Register::port(PM1A as u16, 2)),
        pm1b_control: None,
        sleep_control: None,
        soft_off: Some(SleepType { pm1a: 0, pm1b: 0 }),
        acpi_enable: Some((Register::port(SMI as u16, 1), 0xf1)),
        reset: Some((Register::port(0xcf9, 1), 0x06)),
    }
}

#[test]
fn soft_off_writes_the_type_then_slp_en_keeping_other_bits() {
    let mut io = Recorder::default();
    // In ACPI mode already, with a stale sleep type and another bit set.
    io.values.insert(PM1A, 0b101 << 10 | 1 << 1 | 1);
    let control = PowerControl {
        soft_off: Some(SleepType { pm1a: 5, pm1b: 7 }),
        pm1b_control: Some(Register::port(PM1B as u16, 2)),
        ..q35_like()
    };
    control.power_off(&mut io);
    let a = 5 << 10 | 1 << 1 | 1;
    let b = 7 << 10;
    assert_eq!(
        io.writes,
        vec![
            (PM1A, a),
            (PM1B, b),
            (PM1A, a | 1 << 13),
            (PM1B, b | 1 << 13)
        ]
    );
}

#[test]
fn soft_off_asks_the_firmware_for_acpi_mode_first() {
    let mut io = Recorder {
        smi_sets_sci_en: Some((SMI, PM1A)),
        ..Recorder::default()
    };
    q35_like().power_off(&mut io);
    assert_eq!(io.writes[0], (SMI, 0xf1));
    assert_eq!(io.writes.last(), Some(&(PM1A, 1 | 1 << 13)));
}

#[test]
fn firmware_that_never_enables_acpi_mode_costs_a_bounded_wait() {
    let mut io = Recorder::default();
    q35_like().power_off(&mut io);
    assert!(io.paused_us <= 400_000, "waited {} us", io.paused_us);
    // It still tries: some chipsets act on SLP_EN regardless.
    assert_eq!(io.writes.last(), Some(&(PM1A, 1 << 13)));
}

#[test]
fn without_s5_nothing_is_written() {
    let mut io = Recorder::default();
    let control = PowerControl {
        soft_off: None,
        ..q35_like()
    };
    control.power_off(&mut io);
    assert!(io.writes.is_empty());
}

#[test]
fn hardware_reduced_machines_use_the_sleep_control_register() {
    let mut io = Recorder::default();
    let control = PowerControl {
        sleep_control: Some(Register {
            space: power::AddressSpace::SystemMemory,
            address: 0xfed8_0000,
            width: 1,
        }),
        soft_off: Some(SleepType { pm1a: 5, pm1b: 0 }),
        ..q35_like()
    };
    control.power_off(&mut io);
    assert_eq!(io.writes, vec![(0xfed8_0000, 5 << 2 | 1 << 5)]);
}

#[test]
fn reset_tries_the_fadt_register_then_the_keyboard_controller() {
    let mut io = Recorder::default();
    q35_like().reset(&mut io);
    assert_eq!(io.writes, vec![(0xcf9, 0x06), (0x64, 0xfe)]);
    let mut io = Recorder::default();
    let control = PowerControl {
        reset: None,
        ..q35_like()
    };
    control.reset(&mut io);
    assert_eq!(io.writes, vec![(0x64, 0xfe)]);
}

#[test]
fn a_busy_keyboard_controller_is_waited_for_boundedly() {
    let mut io = Recorder::default();
    io.values.insert(0x64, 0b10);
    power::control::keyboard_controller_reset(&mut io);
    assert_eq!(io.writes, vec![(0x64, 0xfe)]);
    assert!(io.paused_us < 100_000);
}
