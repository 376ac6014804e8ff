//! Every guard keeps preemption off from before it spins until after the
//! lock is free again, and a failed attempt leaves it as it was.

use std::cell::Cell;

use lock::{Mutex, PreemptionHooks, RwLock, set_preemption_hooks};

thread_local! {
    /// How deep this thread's preemption is off.
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    /// The lock to look at when preemption comes back, and what was seen.
    static WATCHED: Cell<Option<&'static Mutex<u32>>> = const { Cell::new(None) };
    static FREE_AT_ENABLE: Cell<Option<bool>> = const { Cell::new(None) };
}

extern "C" fn disable() {
    DEPTH.with(|d| d.set(d.get() + 1));
}

extern "C" fn enable() {
    DEPTH.with(|d| d.set(d.get() - 1));
    if let Some(lock) = WATCHED.with(Cell::get) {
        FREE_AT_ENABLE.with(|f| f.set(Some(!lock.is_locked())));
    }
}

fn depth() -> u32 {
    set_preemption_hooks(PreemptionHooks { disable, enable });
    DEPTH.with(Cell::get)
}

#[test]
fn a_held_mutex_keeps_preemption_off_until_it_is_free() {
    static WATCHED_LOCK: Mutex<u32> = Mutex::new(0);
    assert_eq!(depth(), 0);
    let other = Mutex::new(1);
    let outer = WATCHED_LOCK.lock();
    assert_eq!(depth(), 1);
    let inner = other.lock();
    assert_eq!(depth(), 2, "nested locks nest");
    drop(inner);
    assert_eq!(depth(), 1);
    WATCHED.with(|w| w.set(Some(&WATCHED_LOCK)));
    drop(outer);
    WATCHED.with(|w| w.set(None));
    assert_eq!(depth(), 0);
    assert_eq!(
        FREE_AT_ENABLE.with(Cell::get),
        Some(true),
        "preemption comes back only after the unlock"
    );
}

#[test]
fn a_failed_try_lock_leaves_preemption_as_it_was() {
    let lock = Mutex::new(5);
    assert_eq!(depth(), 0);
    let held = lock.try_lock().expect("free");
    assert_eq!(depth(), 1);
    assert!(lock.try_lock().is_none());
    assert_eq!(depth(), 1, "the failed attempt gave its count back");
    drop(held);
    assert_eq!(depth(), 0);
    assert_eq!(*lock.lock(), 5);
    assert_eq!(depth(), 0);
}

#[test]
fn readers_and_writers_keep_preemption_off() {
    let lock = RwLock::new(vec![1]);
    assert_eq!(depth(), 0);
    let first = lock.read();
    let second = lock.read();
    assert_eq!(depth(), 2);
    assert!(lock.try_write().is_none());
    assert_eq!(depth(), 2);
    drop((first, second));
    assert_eq!(depth(), 0);
    lock.write().push(2);
    assert_eq!(depth(), 0);
    let writer = lock.try_write().expect("free");
    assert_eq!(depth(), 1);
    assert!(lock.try_read().is_none());
    assert_eq!(depth(), 1);
    drop(writer);
    assert_eq!(*lock.read(), [1, 2]);
    assert_eq!(depth(), 0);
}
