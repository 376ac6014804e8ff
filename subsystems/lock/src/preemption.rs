//! The hook between the locks and the kernel's scheduler.

/// What a kernel with kernel preemption does around a held lock: keep
/// the holder on its CPU. Calls nest; the kernel implements it.
pub trait PreemptionControl: Sync {
    /// The current thread takes a lock: no preemption until the matching
    /// [`PreemptionControl::enable`].
    fn disable(&self);
    /// The current thread let a lock go; a preemption deferred meanwhile
    /// may happen now.
    fn enable(&self);
}

static PREEMPTION: spin::Once<&'static dyn PreemptionControl> = spin::Once::new();

/// Installs the kernel's [`PreemptionControl`] (once; later calls are
/// ignored). Until then, and in host tests, locks do not touch
/// preemption.
pub fn set_preemption_control(control: &'static dyn PreemptionControl) {
    PREEMPTION.call_once(|| control);
}

/// Preemption kept off for as long as it lives: what every guard of this
/// crate holds.
#[must_use = "preemption comes back when this is dropped"]
pub(crate) struct PreemptionOff(Option<&'static dyn PreemptionControl>);

impl PreemptionOff {
    /// Turns preemption off until the value is dropped.
    pub(crate) fn new() -> Self {
        let control = PREEMPTION.get().copied();
        if let Some(control) = control {
            control.disable();
        }
        PreemptionOff(control)
    }
}

impl Drop for PreemptionOff {
    fn drop(&mut self) {
        if let Some(control) = self.0 {
            control.enable();
        }
    }
}
