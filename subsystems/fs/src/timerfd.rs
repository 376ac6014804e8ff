//! Timer descriptors (`timerfd`): a timer on a clock whose expirations a
//! read takes as a count, and which `poll`/`epoll` see as readable.
//!
//! Expirations are counted lazily from the clock when the timer is read
//! or polled; to wake sleepers at the expiry, the timer asks its
//! [`TimerClock`] to wake its wait queue then (the kernel keeps a list of
//! such wakes on its tick). A reuser implements [`TimerClock`].

use alloc::sync::Arc;

use abi::{Errno, KernelResult};
use lock::Mutex;

use crate::description::FileDescription;
use crate::file::File;
use crate::types::{OpenFlags, PollEvents, Stat};
use crate::wait::WaitQueue;

/// `CLOCK_REALTIME`.
pub const CLOCK_REALTIME: i32 = 0;
/// `CLOCK_MONOTONIC`.
pub const CLOCK_MONOTONIC: i32 = 1;
/// `CLOCK_BOOTTIME`.
pub const CLOCK_BOOTTIME: i32 = 7;
/// `CLOCK_REALTIME_ALARM`.
pub const CLOCK_REALTIME_ALARM: i32 = 8;
/// `CLOCK_BOOTTIME_ALARM`.
pub const CLOCK_BOOTTIME_ALARM: i32 = 9;

/// `TFD_TIMER_ABSTIME`: the expiry is an absolute time on the clock.
pub const TFD_TIMER_ABSTIME: u32 = 1;
/// `TFD_TIMER_CANCEL_ON_SET`: accepted (the wall clock is never set under
/// a running timer here; see the crate's notes).
pub const TFD_TIMER_CANCEL_ON_SET: u32 = 2;

/// The clocks a timer reads, and the wake-up at an expiry.
pub trait TimerClock: Send + Sync {
    /// Nanoseconds on `clock` now (`CLOCK_REALTIME*` since the epoch, the
    /// others since boot).
    fn now(&self, clock: i32) -> u64;

    /// Wakes `queue` once the monotonic clock reaches `deadline_ns`.
    fn wake_at(&self, deadline_ns: u64, queue: &Arc<dyn WaitQueue>);
}

/// Whether a timer may use `clock` (`EINVAL` otherwise, as Linux).
pub fn is_timer_clock(clock: i32) -> bool {
    matches!(
        clock,
        CLOCK_REALTIME
            | CLOCK_MONOTONIC
            | CLOCK_BOOTTIME
            | CLOCK_REALTIME_ALARM
            | CLOCK_BOOTTIME_ALARM
    )
}

fn is_wall(clock: i32) -> bool {
    matches!(clock, CLOCK_REALTIME | CLOCK_REALTIME_ALARM)
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Setting {
    /// The next expiry on the timer's clock; `None`: disarmed.
    next: Option<u64>,
    /// The period; 0: fires once.
    interval: u64,
    /// Expirations not yet read.
    pending: u64,
}

/// One timer.
pub struct TimerFd {
    clock_id: i32,
    clock: Arc<dyn TimerClock>,
    setting: Mutex<Setting>,
    waiters: Arc<dyn WaitQueue>,
}

/// `timerfd_create(clock, flags)`'s description: `TFD_NONBLOCK`,
/// `TFD_CLOEXEC` (the caller's) only; `EINVAL` for another clock.
pub fn create_timerfd(
    clock_id: i32,
    flags: u32,
    clock: Arc<dyn TimerClock>,
    waiters: Arc<dyn WaitQueue>,
) -> KernelResult<Arc<FileDescription>> {
    let known = OpenFlags::O_NONBLOCK.bits() | OpenFlags::O_CLOEXEC.bits();
    if flags & !known != 0 || !is_timer_clock(clock_id) {
        return Err(Errno::EINVAL);
    }
    let timer = TimerFd {
        clock_id,
        clock,
        setting: Mutex::new(Setting::default()),
        waiters,
    };
    let status = OpenFlags::O_RDWR | (OpenFlags::from_bits_truncate(flags) & OpenFlags::O_NONBLOCK);
    FileDescription::new(Arc::new(timer), None, status)
}

impl TimerFd {
    /// Counts the expirations up to now into `pending`.
    fn update(&self, setting: &mut Setting) {
        let Some(next) = setting.next else {
            return;
        };
        let now = self.clock.now(self.clock_id);
        if now < next {
            return;
        }
        match (now - next).checked_div(setting.interval) {
            None => {
                setting.pending = setting.pending.saturating_add(1);
                setting.next = None;
            }
            Some(missed) => {
                let periods = missed + 1;
                setting.pending = setting.pending.saturating_add(periods);
                setting.next = Some(next + periods * setting.interval);
            }
        }
    }

    /// Asks for a wake at the next expiry (converted to the monotonic
    /// clock for a wall-clock timer).
    fn arm_wake(&self, setting: &Setting) {
        if let Some(next) = setting.next {
            let now = self.clock.now(self.clock_id);
            let monotonic = self.clock.now(CLOCK_MONOTONIC);
            let deadline = monotonic.saturating_add(next.saturating_sub(now));
            self.clock.wake_at(deadline, &self.waiters);
        }
    }

    /// `timerfd_gettime`: (time to the next expiry, interval), zeros when
    /// disarmed.
    pub fn get(&self) -> (u64, u64) {
        let mut setting = self.setting.lock();
        self.update(&mut setting);
        let left = setting.next.map_or(0, |next| {
            next.saturating_sub(self.clock.now(self.clock_id)).max(1)
        });
        (left, setting.interval)
    }

    /// `timerfd_settime`: arms for `value` ns from now (or at `value` on the
    /// clock with `TFD_TIMER_ABSTIME`; 0 disarms), repeating every
    /// `interval` ns. Returns the old setting as [`TimerFd::get`] would.
    /// Pending expirations are dropped.
    pub fn set(&self, flags: u32, value: u64, interval: u64) -> KernelResult<(u64, u64)> {
        if flags & !(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET) != 0 {
            return Err(Errno::EINVAL);
        }
        if flags & TFD_TIMER_CANCEL_ON_SET != 0
            && (flags & TFD_TIMER_ABSTIME == 0 || !is_wall(self.clock_id))
        {
            return Err(Errno::EINVAL);
        }
        let old = self.get();
        let mut setting = self.setting.lock();
        let now = self.clock.now(self.clock_id);
        *setting = Setting {
            next: (value != 0).then(|| {
                if flags & TFD_TIMER_ABSTIME != 0 {
                    value
                } else {
                    now.saturating_add(value)
                }
            }),
            interval: if value == 0 { 0 } else { interval },
            pending: 0,
        };
        self.arm_wake(&setting);
        drop(setting);
        self.waiters.wake_all();
        Ok(old)
    }
}

impl File for TimerFd {
    /// The expirations since the last read, as 8 bytes; `EAGAIN` while
    /// none, `EINVAL` for a buffer under 8 bytes.
    fn read(&self, _offset: u64, buf: &mut [u8]) -> KernelResult<usize> {
        let slot = buf.get_mut(..8).ok_or(Errno::EINVAL)?;
        let mut setting = self.setting.lock();
        self.update(&mut setting);
        if setting.pending == 0 {
            // Sleepers wake at the next expiry.
            self.arm_wake(&setting);
            return Err(Errno::EAGAIN);
        }
        slot.copy_from_slice(&setting.pending.to_ne_bytes());
        setting.pending = 0;
        self.arm_wake(&setting);
        Ok(8)
    }

    fn poll(&self) -> PollEvents {
        let mut setting = self.setting.lock();
        self.update(&mut setting);
        if setting.pending > 0 {
            PollEvents::POLLIN | PollEvents::POLLRDNORM
        } else {
            self.arm_wake(&setting);
            PollEvents::empty()
        }
    }

    fn stat(&self) -> KernelResult<Stat> {
        Ok(crate::eventfd::anon_inode_stat())
    }

    fn wait_queue(&self) -> Option<Arc<dyn WaitQueue>> {
        Some(self.waiters.clone())
    }

    fn anon_inode_name(&self) -> Option<&'static str> {
        Some("[timerfd]")
    }

    fn timerfd(&self) -> Option<&TimerFd> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wait::NoWaiters;
    use core::sync::atomic::{AtomicU64, Ordering};

    extern crate std;

    /// A clock stepped by hand; remembers the wakes asked for.
    #[derive(Default)]
    struct Manual {
        now: AtomicU64,
        wakes: std::sync::Mutex<std::vec::Vec<u64>>,
    }

    impl TimerClock for Manual {
        fn now(&self, _clock: i32) -> u64 {
            self.now.load(Ordering::SeqCst)
        }
        fn wake_at(&self, deadline_ns: u64, _queue: &Arc<dyn WaitQueue>) {
            self.wakes.lock().unwrap().push(deadline_ns);
        }
    }

    fn timer() -> (Arc<FileDescription>, Arc<Manual>) {
        let clock = Arc::new(Manual::default());
        let d = create_timerfd(CLOCK_MONOTONIC, 0, clock.clone(), Arc::new(NoWaiters)).unwrap();
        (d, clock)
    }

    fn count(d: &FileDescription) -> KernelResult<u64> {
        let mut buf = [0u8; 8];
        d.read(&mut buf)?;
        Ok(u64::from_ne_bytes(buf))
    }

    #[test]
    fn a_periodic_timer_counts_missed_periods() {
        let (d, clock) = timer();
        let t = d.file().timerfd().unwrap();
        assert_eq!(t.set(0, 100, 10), Ok((0, 0)));
        assert_eq!(clock.wakes.lock().unwrap().last(), Some(&100));
        assert_eq!(count(&d), Err(Errno::EAGAIN));
        clock.now.store(135, Ordering::SeqCst);
        assert!(d.poll().contains(PollEvents::POLLIN));
        assert_eq!(count(&d), Ok(4), "100, 110, 120, 130");
        assert_eq!(t.get(), (5, 10));
        assert_eq!(clock.wakes.lock().unwrap().last(), Some(&140));
    }

    #[test]
    fn one_shot_absolute_and_disarm() {
        let (d, clock) = timer();
        let t = d.file().timerfd().unwrap();
        clock.now.store(50, Ordering::SeqCst);
        t.set(TFD_TIMER_ABSTIME, 80, 0).unwrap();
        assert_eq!(t.get(), (30, 0));
        clock.now.store(500, Ordering::SeqCst);
        assert_eq!(count(&d), Ok(1));
        assert_eq!(count(&d), Err(Errno::EAGAIN), "fired once");
        assert_eq!(t.get(), (0, 0));
        t.set(0, 10, 0).unwrap();
        assert_eq!(t.set(0, 0, 5), Ok((10, 0)), "the old setting");
        clock.now.store(10_000, Ordering::SeqCst);
        assert_eq!(count(&d), Err(Errno::EAGAIN), "disarmed");
        assert_eq!(t.set(4, 1, 0), Err(Errno::EINVAL));
        assert_eq!(t.set(TFD_TIMER_CANCEL_ON_SET, 1, 0), Err(Errno::EINVAL));
        let mut short = [0u8; 4];
        assert_eq!(d.read(&mut short), Err(Errno::EINVAL));
        assert!(create_timerfd(3, 0, clock, Arc::new(NoWaiters)).is_err());
    }
}
