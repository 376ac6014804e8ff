//! The hook between the locks and the kernel's scheduler.

/// What a kernel with kernel preemption does around a held lock: keep
/// the holder on its CPU. Calls nest; the kernel implements both.
///
/// Plain function pointers with the C calling convention, not a trait
/// object: every lock and unlock of every subsystem crate calls them, so
/// a kernel can write each one as a few instructions of assembly (a
/// per-CPU count) and the lock reaches it through one load and one call,
/// without a vtable or a Rust prologue in between.
#[derive(Clone, Copy, Debug)]
pub struct PreemptionHooks {
    /// The current thread takes a lock: no preemption until the matching
    /// `enable`.
    pub disable: extern "C" fn(),
    /// The current thread let a lock go; a preemption deferred meanwhile
    /// may happen now.
    pub enable: extern "C" fn(),
}

static HOOKS: spin::Once<PreemptionHooks> = spin::Once::new();

/// Installs the kernel's [`PreemptionHooks`] (once; later calls are
/// ignored). Until then, and in host tests that install none, locks do
/// not touch preemption.
pub fn set_preemption_hooks(hooks: PreemptionHooks) {
    HOOKS.call_once(|| hooks);
}

/// Preemption kept off for as long as it lives: what every guard of this
/// crate holds (the `enable` to call when it goes).
#[must_use = "preemption comes back when this is dropped"]
pub(crate) struct PreemptionOff(Option<extern "C" fn()>);

impl PreemptionOff {
    /// Turns preemption off until the value is dropped.
    #[inline]
    pub(crate) fn new() -> Self {
        match HOOKS.get() {
            Some(hooks) => {
                (hooks.disable)();
                PreemptionOff(Some(hooks.enable))
            }
            None => PreemptionOff(None),
        }
    }
}

impl Drop for PreemptionOff {
    #[inline]
    fn drop(&mut self) {
        if let Some(enable) = self.0 {
            enable();
        }
    }
}
