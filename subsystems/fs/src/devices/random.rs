//! `/dev/random` and `/dev/urandom`: both read the same ChaCha20 generator,
//! seeded once from the entropy source (Linux 5.6+ also never blocks once
//! seeded).

use abi::KernelResult;
use lock::Mutex;

use crate::csprng::{ChaCha20Rng, EntropySource};
use crate::file::File;

/// The random device; share one between `random`, `urandom` and `getrandom`.
pub struct RandomDevice {
    rng: Mutex<ChaCha20Rng>,
}

impl RandomDevice {
    /// A device seeded from `source`.
    pub fn new(source: &dyn EntropySource) -> RandomDevice {
        RandomDevice {
            rng: Mutex::new(ChaCha20Rng::from_entropy(source)),
        }
    }

    /// Fills `out` (for the `getrandom` syscall).
    pub fn fill(&self, out: &mut [u8]) {
        self.rng.lock().fill_bytes(out);
    }
}

impl File for RandomDevice {
    fn read(&self, _offset: u64, buf: &mut [u8]) -> KernelResult<usize> {
        self.fill(buf);
        Ok(buf.len())
    }

    fn write(&self, _offset: u64, buf: &[u8]) -> KernelResult<usize> {
        self.rng.lock().mix(buf);
        Ok(buf.len())
    }
}
