//! The offset lock's sleeping path, with wait queues threads really sleep
//! on: holders that sleep while holding it, waiters that sleep rather than
//! spin, and no wake-up lost (a lost one shows as a timed-out sleep).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Duration;

use abi::{Errno, KernelResult};
use fs::WaitQueue;
use fs::sleep_lock::{SleepLock, set_wait_queue_factory};

static SLEEPS: AtomicUsize = AtomicUsize::new(0);
static TIMED_OUT: AtomicUsize = AtomicUsize::new(0);

/// An event count and a condvar, as the kernel's queues behave.
#[derive(Default)]
struct CondvarQueue {
    events: Mutex<u64>,
    woken: Condvar,
}

impl WaitQueue for CondvarQueue {
    fn wake_all(&self) {
        *self.events.lock().unwrap() += 1;
        self.woken.notify_all();
    }

    fn event_count(&self) -> u64 {
        *self.events.lock().unwrap()
    }

    fn wait_for_event(&self, seen: u64, _interruptible: bool) -> KernelResult<()> {
        SLEEPS.fetch_add(1, Ordering::Relaxed);
        let events = self.events.lock().unwrap();
        let (_events, result) = self
            .woken
            .wait_timeout_while(events, Duration::from_secs(10), |events| *events == seen)
            .unwrap();
        if result.timed_out() {
            TIMED_OUT.fetch_add(1, Ordering::Relaxed);
            return Err(Errno::EAGAIN);
        }
        Ok(())
    }
}

fn make_queue() -> Arc<dyn WaitQueue> {
    Arc::new(CondvarQueue::default())
}

#[test]
fn waiters_sleep_while_a_holder_sleeps_and_every_release_wakes_them() {
    set_wait_queue_factory(make_queue);
    static LOCK: SleepLock = SleepLock::new();
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            thread::spawn(|| {
                for _ in 0..200 {
                    let _held = LOCK.lock();
                    let seen = COUNT.load(Ordering::Relaxed);
                    // The holder sleeps, as a procfs read under the lock can.
                    thread::sleep(Duration::from_micros(50));
                    COUNT.store(seen + 1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(COUNT.load(Ordering::Relaxed), 800);
    assert!(!LOCK.is_locked());
    assert!(
        SLEEPS.load(Ordering::Relaxed) > 0,
        "the waiters never slept"
    );
    assert_eq!(TIMED_OUT.load(Ordering::Relaxed), 0, "a wake-up was lost");
}
