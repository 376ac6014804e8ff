//! `signalfd` and `signalfd4`: pending signals read as records from a
//! descriptor (the mask says which), polled and epolled like any other.
//!
//! A signalfd belongs to the process that made it: reads take the reading
//! thread's and the process's pending signals in the mask (usually signals
//! the threads block, so nothing else takes them); readiness looks at the
//! process's shared queue and every thread's own. Sleepers wait on the
//! kernel's signal queue, which every posted signal wakes.

use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;

use abi::{Errno, KernelResult};
use fs::{FileDescription, OpenFlags, PollEvents, Stat};
use process::{Process, ProcessEnv};
use signal::{SigInfo, SigSet};

use crate::SyscallResult;
use crate::args::{Fd, UserBuffer, UserPtr};
use crate::context::Context;
use crate::kernel::{Kernel, UserThreadData};

/// `sizeof(struct signalfd_siginfo)`.
const RECORD_SIZE: usize = 128;

/// One signalfd.
pub struct SignalFd<E: ProcessEnv> {
    mask: lock::Mutex<SigSet>,
    process: Weak<Process<E>>,
    waiters: Arc<dyn fs::WaitQueue>,
}

impl<E: ProcessEnv<Signals = signal::ProcessSignalState>> SignalFd<E>
where
    E::ThreadData: UserThreadData,
{
    /// Whether a signal in the mask is pending in the process.
    fn ready(&self) -> bool {
        let Some(process) = self.process.upgrade() else {
            return false;
        };
        let mask = *self.mask.lock();
        let threads = process.threads();
        let own = threads
            .iter()
            .any(|thread| !(thread.data().signals().lock().pending().set() & mask).is_empty());
        own || !(process.data().signals().shared_pending().set() & mask).is_empty()
    }
}

impl<E: ProcessEnv<Signals = signal::ProcessSignalState>> fs::File for SignalFd<E>
where
    E::ThreadData: UserThreadData,
{
    fn poll(&self) -> PollEvents {
        if self.ready() {
            PollEvents::POLLIN | PollEvents::POLLRDNORM
        } else {
            PollEvents::empty()
        }
    }

    fn stat(&self) -> KernelResult<Stat> {
        Ok(fs::eventfd::anon_inode_stat())
    }

    fn wait_queue(&self) -> Option<Arc<dyn fs::WaitQueue>> {
        Some(self.waiters.clone())
    }

    fn anon_inode_name(&self) -> Option<&'static str> {
        Some("[signalfd]")
    }

    fn signal_mask(&self) -> Option<u64> {
        Some(self.mask.lock().bits())
    }

    fn set_signal_mask(&self, mask: u64) -> KernelResult<()> {
        *self.mask.lock() = SigSet::from_bits(mask).without_unblockable();
        Ok(())
    }
}

/// `signalfd4(fd, mask, sizemask, flags)`: a new signalfd (`fd` -1) or a new
/// mask for an existing one; `SFD_NONBLOCK`, `SFD_CLOEXEC`.
pub fn signalfd4<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: i32,
    mask: UserPtr<u64>,
    size: usize,
    flags: u32,
) -> SyscallResult {
    let known = OpenFlags::O_NONBLOCK.bits() | OpenFlags::O_CLOEXEC.bits();
    if size != 8 || flags & !known != 0 {
        return Err(Errno::EINVAL);
    }
    let mask = SigSet::from_bits(ctx.read(mask)?).without_unblockable();
    if fd != -1 {
        let description = ctx.description(Fd(fd))?;
        description.file().set_signal_mask(mask.bits())?;
        return Ok(fd as u64);
    }
    let file = SignalFd::<K::Env> {
        mask: lock::Mutex::new(mask),
        process: Arc::downgrade(ctx.process),
        waiters: ctx.kernel.signal_waiters(),
    };
    let status = OpenFlags::O_RDWR | (OpenFlags::from_bits_truncate(flags) & OpenFlags::O_NONBLOCK);
    let description = FileDescription::new(Arc::new(file), None, status)?;
    Ok(ctx.install(description, flags & OpenFlags::O_CLOEXEC.bits() != 0)? as u64)
}

/// `signalfd(fd, mask, sizemask)`.
pub fn signalfd<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: i32,
    mask: UserPtr<u64>,
    size: usize,
) -> SyscallResult {
    signalfd4(ctx, fd, mask, size, 0)
}

/// `struct signalfd_siginfo` for `info`.
fn record(info: &SigInfo) -> [u8; RECORD_SIZE] {
    let raw = info.to_raw();
    let union: Vec<u8> = raw.union.iter().flat_map(|w| w.to_ne_bytes()).collect();
    let u32_at =
        |at: usize| u32::from_ne_bytes([union[at], union[at + 1], union[at + 2], union[at + 3]]);
    let u64_at = |at: usize| u64::from_ne_bytes(union[at..at + 8].try_into().unwrap_or([0; 8]));
    let mut out = [0u8; RECORD_SIZE];
    let mut put = |at: usize, bytes: &[u8]| out[at..at + bytes.len()].copy_from_slice(bytes);
    put(0, &(raw.si_signo as u32).to_ne_bytes());
    put(4, &raw.si_errno.to_ne_bytes());
    put(8, &raw.si_code.to_ne_bytes());
    put(12, &u32_at(0).to_ne_bytes()); // ssi_pid
    put(16, &u32_at(4).to_ne_bytes()); // ssi_uid
    put(20, &u32_at(0).to_ne_bytes()); // ssi_tid (POSIX timers)
    put(24, &u32_at(4).to_ne_bytes()); // ssi_overrun
    put(44, &u32_at(8).to_ne_bytes()); // ssi_status (SIGCHLD)
    put(48, &u32_at(8).to_ne_bytes()); // ssi_int (sigqueue)
    put(56, &u64_at(8).to_ne_bytes()); // ssi_ptr
    put(64, &u64_at(16).to_ne_bytes()); // ssi_utime
    put(72, &u64_at(24).to_ne_bytes()); // ssi_stime
    put(80, &u64_at(0).to_ne_bytes()); // ssi_addr (faults)
    out
}

/// `read` of a signalfd with mask `mask`: as many records as fit (at least
/// one: `EINVAL` for a buffer under 128 bytes), waiting for a first signal
/// unless non-blocking.
pub fn read<K: Kernel>(
    ctx: &Context<'_, K>,
    description: &FileDescription,
    mask: u64,
    buffer: UserBuffer,
    count: usize,
) -> SyscallResult {
    if count < RECORD_SIZE {
        return Err(Errno::EINVAL);
    }
    let set = SigSet::from_bits(mask);
    let take = || {
        let mut thread = ctx.thread.data().signals().lock();
        let mut data = ctx.process.data();
        thread.take_waited(data.signals_mut(), set)
    };
    let first = crate::fs::io::blocking(description, || take().ok_or(Errno::EAGAIN))?;
    let mut records = Vec::from(record(&first));
    while records.len() + RECORD_SIZE <= count {
        match take() {
            Some(info) => records.extend_from_slice(&record(&info)),
            None => break,
        }
    }
    ctx.write_bytes(buffer, &records)?;
    Ok(records.len() as u64)
}
