//! Event counters (`eventfd`): a 64-bit count that writes add to and
//! reads take (all of it, or one in semaphore mode), for waking event
//! loops across threads and processes.
//!
//! Like a pipe, nothing here blocks: a read of a zero count or a write
//! that would overflow returns `EAGAIN`, and the caller sleeps on the
//! wait queue (woken after every change) unless the description is
//! non-blocking.

use alloc::sync::Arc;

use abi::{Errno, KernelResult};
use lock::Mutex;

use crate::description::FileDescription;
use crate::file::File;
use crate::types::{OpenFlags, PollEvents, Stat};
use crate::wait::WaitQueue;

/// The largest count an event counter holds (a write that would pass it
/// waits).
pub const EVENTFD_MAX: u64 = u64::MAX - 1;

/// `EFD_SEMAPHORE`: a read takes 1, not the whole count.
pub const EFD_SEMAPHORE: u32 = 1;

/// The device number anonymous inodes report (Linux's anon_inodefs).
pub const ANON_INODE_DEVICE: u64 = 13;

/// What `fstat` shows for an anonymous inode (eventfd, epoll, timerfd,
/// signalfd, pidfd): mode 0600 with no file type, as Linux.
pub fn anon_inode_stat() -> Stat {
    Stat {
        dev: ANON_INODE_DEVICE,
        mode: 0o600,
        nlink: 1,
        blksize: 4096,
        ..Stat::default()
    }
}

/// One event counter.
pub struct EventFd {
    count: Mutex<u64>,
    semaphore: bool,
    waiters: Arc<dyn WaitQueue>,
}

impl EventFd {
    /// A counter starting at `initial`; `semaphore` for `EFD_SEMAPHORE`.
    pub fn new(initial: u64, semaphore: bool, waiters: Arc<dyn WaitQueue>) -> EventFd {
        EventFd {
            count: Mutex::new(initial),
            semaphore,
            waiters,
        }
    }

    /// The count now (`/proc/<pid>/fdinfo`'s `eventfd-count`).
    pub fn count(&self) -> u64 {
        *self.count.lock()
    }
}

/// `eventfd2(initval, flags)`'s description: `flags` may hold
/// `EFD_SEMAPHORE`, `O_NONBLOCK` and `O_CLOEXEC` (the caller's), else
/// `EINVAL`.
pub fn create_eventfd(
    initial: u32,
    flags: u32,
    waiters: Arc<dyn WaitQueue>,
) -> KernelResult<Arc<FileDescription>> {
    let known = EFD_SEMAPHORE | OpenFlags::O_NONBLOCK.bits() | OpenFlags::O_CLOEXEC.bits();
    if flags & !known != 0 {
        return Err(Errno::EINVAL);
    }
    let counter = EventFd::new(u64::from(initial), flags & EFD_SEMAPHORE != 0, waiters);
    let status = OpenFlags::O_RDWR | (OpenFlags::from_bits_truncate(flags) & OpenFlags::O_NONBLOCK);
    FileDescription::new(Arc::new(counter), None, status)
}

impl File for EventFd {
    /// Takes the count (or 1): 8 bytes, native-endian; `EINVAL` for a
    /// shorter buffer, `EAGAIN` while the count is zero.
    fn read(&self, _offset: u64, buf: &mut [u8]) -> KernelResult<usize> {
        let slot = buf.get_mut(..8).ok_or(Errno::EINVAL)?;
        let taken = {
            let mut count = self.count.lock();
            if *count == 0 {
                return Err(Errno::EAGAIN);
            }
            let taken = if self.semaphore { 1 } else { *count };
            *count -= taken;
            taken
        };
        slot.copy_from_slice(&taken.to_ne_bytes());
        self.waiters.wake_all();
        Ok(8)
    }

    /// Adds an 8-byte value; `EINVAL` for a shorter buffer or the value
    /// `u64::MAX`, `EAGAIN` while the sum would pass [`EVENTFD_MAX`].
    fn write(&self, _offset: u64, buf: &[u8]) -> KernelResult<usize> {
        let bytes: [u8; 8] = buf
            .get(..8)
            .and_then(|b| b.try_into().ok())
            .ok_or(Errno::EINVAL)?;
        let value = u64::from_ne_bytes(bytes);
        if value == u64::MAX {
            return Err(Errno::EINVAL);
        }
        {
            let mut count = self.count.lock();
            if value > EVENTFD_MAX - *count {
                return Err(Errno::EAGAIN);
            }
            *count += value;
        }
        self.waiters.wake_all();
        Ok(8)
    }

    fn poll(&self) -> PollEvents {
        let count = *self.count.lock();
        let mut events = PollEvents::empty();
        if count > 0 {
            events |= PollEvents::POLLIN | PollEvents::POLLRDNORM;
        }
        if count < EVENTFD_MAX {
            events |= PollEvents::POLLOUT | PollEvents::POLLWRNORM;
        }
        events
    }

    /// An anonymous inode: mode 0600 with no file type, as Linux shows.
    fn stat(&self) -> KernelResult<Stat> {
        Ok(crate::eventfd::anon_inode_stat())
    }

    fn wait_queue(&self) -> Option<Arc<dyn WaitQueue>> {
        Some(self.waiters.clone())
    }

    fn anon_inode_name(&self) -> Option<&'static str> {
        Some("[eventfd]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wait::NoWaiters;

    fn read(counter: &EventFd) -> KernelResult<u64> {
        let mut buf = [0u8; 8];
        counter.read(0, &mut buf)?;
        Ok(u64::from_ne_bytes(buf))
    }

    fn write(counter: &EventFd, value: u64) -> KernelResult<usize> {
        counter.write(0, &value.to_ne_bytes())
    }

    #[test]
    fn writes_add_and_a_read_takes_everything() {
        let counter = EventFd::new(3, false, Arc::new(NoWaiters));
        assert_eq!(write(&counter, 4), Ok(8));
        assert!(counter.poll().contains(PollEvents::POLLIN));
        assert_eq!(read(&counter), Ok(7));
        assert_eq!(read(&counter), Err(Errno::EAGAIN));
        assert!(!counter.poll().contains(PollEvents::POLLIN));
    }

    #[test]
    fn semaphore_mode_takes_one_at_a_time() {
        let counter = EventFd::new(2, true, Arc::new(NoWaiters));
        assert_eq!(read(&counter), Ok(1));
        assert_eq!(read(&counter), Ok(1));
        assert_eq!(read(&counter), Err(Errno::EAGAIN));
    }

    #[test]
    fn short_buffers_max_value_and_overflow_are_refused() {
        let counter = EventFd::new(0, false, Arc::new(NoWaiters));
        assert_eq!(counter.read(0, &mut [0u8; 4]), Err(Errno::EINVAL));
        assert_eq!(counter.write(0, &[1u8; 7]), Err(Errno::EINVAL));
        assert_eq!(write(&counter, u64::MAX), Err(Errno::EINVAL));
        assert_eq!(write(&counter, EVENTFD_MAX), Ok(8));
        assert!(!counter.poll().contains(PollEvents::POLLOUT));
        assert_eq!(write(&counter, 1), Err(Errno::EAGAIN), "would overflow");
        assert_eq!(read(&counter), Ok(EVENTFD_MAX));
        assert_eq!(write(&counter, 1), Ok(8));
    }
}
