//! The soft-off and reset sequences.

use crate::aml::SleepType;
use crate::register::{Register, RegisterIo};

/// `SCI_EN` in PM1 control: set once the chipset is in ACPI mode.
const SCI_EN: u32 = 1 << 0;
/// `SLP_TYP` field of PM1 control (bits 10-12).
const SLP_TYP_SHIFT: u32 = 10;
const SLP_TYP_MASK: u32 = 0b111 << SLP_TYP_SHIFT;
/// `SLP_EN` in PM1 control: enter the sleep state in `SLP_TYP`.
const SLP_EN: u32 = 1 << 13;
/// Hardware-reduced ACPI's sleep control register: `SLP_TYPx` (bits 2-4)
/// and `SLP_EN` (bit 5), ACPI 6.5 §4.8.3.7.
const HW_REDUCED_SLP_TYP_SHIFT: u32 = 2;
const HW_REDUCED_SLP_EN: u32 = 1 << 5;
/// How long to wait for the firmware to hand over to ACPI mode.
const ACPI_ENABLE_TIMEOUT_US: u32 = 300_000;
const POLL_US: u32 = 1_000;

/// The keyboard controller's command and status port.
const KBC_COMMAND: Register = Register::port(0x64, 1);
/// Status bit: the controller's input buffer is full (busy).
const KBC_INPUT_FULL: u32 = 1 << 1;
/// The command that pulses the CPU reset line.
const KBC_PULSE_RESET: u32 = 0xfe;

/// How the machine is switched off and restarted, from the FADT and DSDT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PowerControl {
    /// PM1a control block.
    pub pm1a_control: Option<Register>,
    /// PM1b control block, on chipsets that split it.
    pub pm1b_control: Option<Register>,
    /// Hardware-reduced ACPI's sleep control register (used instead of PM1
    /// control when present).
    pub sleep_control: Option<Register>,
    /// The `\_S5` sleep type; `None` if the DSDT does not declare it.
    pub soft_off: Option<SleepType>,
    /// SMI command port and the value that asks the firmware for ACPI mode
    /// (zero port: the machine is always in ACPI mode).
    pub acpi_enable: Option<(Register, u8)>,
    /// Reset register and the value to write, if the FADT offers one.
    pub reset: Option<(Register, u8)>,
}

/// What [`PowerControl::reset`] tried before giving up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResetOutcome {
    /// Neither the reset register nor the keyboard controller restarted the
    /// machine: the caller falls back to a triple fault.
    StillRunning,
}

impl PowerControl {
    /// Reads the FADT and the `\_S5` package of `dsdt_aml` (the DSDT's AML
    /// stream, without its header).
    pub fn from_fadt(fadt: &acpi::fadt::Fadt, dsdt_aml: &[u8]) -> PowerControl {
        let register = |address: Result<Option<acpi::address::GenericAddress>, _>| {
            address
                .ok()
                .flatten()
                .as_ref()
                .and_then(Register::from_generic)
        };
        // Copied out: the FADT is packed, its fields cannot be borrowed.
        let flags = fadt.flags;
        let hw_reduced = flags.system_is_hw_reduced_acpi();
        let smi_port = fadt.smi_cmd_port;
        let acpi_enable = (smi_port != 0 && smi_port <= 0xffff && fadt.acpi_enable != 0)
            .then(|| (Register::port(smi_port as u16, 1), fadt.acpi_enable));
        let reset = if flags.supports_system_reset_via_fadt() {
            fadt.reset_register()
                .ok()
                .as_ref()
                .and_then(Register::from_generic)
                .map(|r| (r, fadt.reset_value))
        } else {
            None
        };
        PowerControl {
            pm1a_control: register(fadt.pm1a_control_block().map(Some)),
            pm1b_control: register(fadt.pm1b_control_block()),
            sleep_control: if hw_reduced {
                register(fadt.sleep_control_register())
            } else {
                None
            },
            soft_off: crate::aml::sleep_type(dsdt_aml, 5),
            acpi_enable,
            reset,
        }
    }

    /// Enters S5 (soft-off). Returns only if the machine is still on: no
    /// `\_S5`, no control register, or the chipset ignored the request.
    pub fn power_off(&self, io: &mut impl RegisterIo) {
        let Some(sleep) = self.soft_off else {
            return;
        };
        if let Some(control) = self.sleep_control {
            let value =
                (u32::from(sleep.pm1a) & 0b111) << HW_REDUCED_SLP_TYP_SHIFT | HW_REDUCED_SLP_EN;
            io.write(control, value);
            io.pause(POLL_US);
            return;
        }
        let Some(pm1a) = self.pm1a_control else {
            return;
        };
        self.enter_acpi_mode(io, pm1a);
        // Both halves get their type first and SLP_EN last (§4.8.3.2.1):
        // the chipset acts on SLP_EN, and on PM1a and PM1b together.
        let a = set_sleep_type(io, pm1a, sleep.pm1a);
        let b = self
            .pm1b_control
            .map(|pm1b| (pm1b, set_sleep_type(io, pm1b, sleep.pm1b)));
        io.write(pm1a, a | SLP_EN);
        if let Some((pm1b, b)) = b {
            io.write(pm1b, b | SLP_EN);
        }
        io.pause(POLL_US);
    }

    /// Restarts the machine: the FADT reset register, then the keyboard
    /// controller's reset line. Returns only if both failed.
    pub fn reset(&self, io: &mut impl RegisterIo) -> ResetOutcome {
        if let Some((register, value)) = self.reset {
            io.write(register, u32::from(value));
            io.pause(50 * POLL_US);
        }
        keyboard_controller_reset(io);
        ResetOutcome::StillRunning
    }

    /// Asks the firmware for ACPI mode if the chipset is not in it, and
    /// waits (bounded) for `SCI_EN`.
    fn enter_acpi_mode(&self, io: &mut impl RegisterIo, pm1a: Register) {
        if io.read(pm1a) & SCI_EN != 0 {
            return;
        }
        let Some((smi_command, value)) = self.acpi_enable else {
            return;
        };
        io.write(smi_command, u32::from(value));
        let mut waited = 0;
        while io.read(pm1a) & SCI_EN == 0 && waited < ACPI_ENABLE_TIMEOUT_US {
            io.pause(POLL_US);
            waited += POLL_US;
        }
    }
}

/// Pulses the reset line through the 8042 keyboard controller, the PC/AT
/// way, which QEMU and most PCs still honour. Waits (bounded) for the
/// controller to accept a command first.
pub fn keyboard_controller_reset(io: &mut impl RegisterIo) {
    for _ in 0..1000 {
        if io.read(KBC_COMMAND) & KBC_INPUT_FULL == 0 {
            break;
        }
        io.pause(10);
    }
    io.write(KBC_COMMAND, KBC_PULSE_RESET);
    io.pause(50 * POLL_US);
}

/// Writes `SLP_TYP` into a PM1 control register, leaving its other bits
/// (and `SLP_EN` clear); returns the value written.
fn set_sleep_type(io: &mut impl RegisterIo, register: Register, typ: u8) -> u32 {
    let current = io.read(register);
    let value =
        (current & !(SLP_TYP_MASK | SLP_EN)) | ((u32::from(typ) << SLP_TYP_SHIFT) & SLP_TYP_MASK);
    io.write(register, value);
    value
}
