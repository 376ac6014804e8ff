//! `epoll`: an interest list of descriptors and the events each waits for,
//! reported level-triggered (while ready), edge-triggered (once per new
//! event: `EPOLLET`) or once until re-armed (`EPOLLONESHOT`).
//!
//! An item holds its file description weakly, as Linux holds the `struct
//! file`: closing the last descriptor of a description ends its item, but
//! a `dup`ed or inherited one keeps it. The instance's own wait queue is a
//! listener of every item's queue ([`WaitQueue::add_listener`]), so a
//! sleeper in `epoll_wait` wakes on any change of any item, and an epoll
//! inside another epoll (or in `poll`) wakes its watcher in turn.
//!
//! Edge-triggered readiness is tracked with the item's wait-queue event
//! count: an item is reported again only after its queue was woken since
//! the last report (a write to a pipe, data on a terminal). Nothing here
//! blocks: [`Epoll::collect`] takes what is ready and the system-call
//! layer sleeps on [`Epoll::waiters`] between attempts.

use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;

use abi::{Errno, KernelResult};
use lock::Mutex;

use crate::description::FileDescription;
use crate::file::File;
use crate::types::{OpenFlags, PollEvents, Stat};
use crate::wait::WaitQueue;

/// `EPOLLIN` and the other readiness bits are `poll`'s.
pub const EPOLLERR: u32 = 0x008;
/// Hang-up, always reported.
pub const EPOLLHUP: u32 = 0x010;
/// `EPOLLEXCLUSIVE`: wake one of several epolls waiting on one file
/// (accepted; every waiter wakes here, which is allowed).
pub const EPOLLEXCLUSIVE: u32 = 1 << 28;
/// `EPOLLWAKEUP`: keep the system awake (accepted, nothing to do).
pub const EPOLLWAKEUP: u32 = 1 << 29;
/// `EPOLLONESHOT`: report once, then stay quiet until `EPOLL_CTL_MOD`.
pub const EPOLLONESHOT: u32 = 1 << 30;
/// `EPOLLET`: edge-triggered.
pub const EPOLLET: u32 = 1 << 31;

/// `EPOLL_CTL_ADD`.
pub const EPOLL_CTL_ADD: i32 = 1;
/// `EPOLL_CTL_DEL`.
pub const EPOLL_CTL_DEL: i32 = 2;
/// `EPOLL_CTL_MOD`.
pub const EPOLL_CTL_MOD: i32 = 3;

/// How deep epolls may nest (Linux's `EP_MAX_NESTS`).
const MAX_NESTING: usize = 4;

/// An item's key: the descriptor number and the description's address
/// (one description may be registered under several numbers).
type Key = (i32, usize);

struct Item {
    description: Weak<FileDescription>,
    queue: Option<Arc<dyn WaitQueue>>,
    events: u32,
    data: u64,
    /// The queue's event count at the last edge-triggered report.
    reported_at: Option<u64>,
    /// A one-shot item that fired, until re-armed.
    disarmed: bool,
}

impl Item {
    /// The events to report now, if any (`None` when not ready, disarmed,
    /// or edge-triggered with no new event since the last report); also
    /// the queue count to remember.
    fn ready(&self, description: &FileDescription) -> Option<(u32, u64)> {
        if self.disarmed {
            return None;
        }
        let count = self.queue.as_ref().map_or(0, |q| q.event_count());
        if self.events & EPOLLET != 0 && self.reported_at == Some(count) {
            return None;
        }
        let wanted = (self.events & 0xffff) | EPOLLERR | EPOLLHUP;
        let events = u32::from(description.poll().bits()) & wanted;
        (events != 0).then_some((events, count))
    }
}

/// One report [`Epoll::collect`] took, with what it changed in its item
/// so that [`Epoll::give_back`] can undo it.
#[derive(Clone, Copy, Debug)]
pub struct Collected {
    /// The events to report (`EPOLLIN`, ...).
    pub events: u32,
    /// The data registered with the item.
    pub data: u64,
    key: Key,
    /// The item's edge-triggered count before this report.
    reported_before: Option<u64>,
}

/// One epoll instance.
pub struct Epoll {
    items: Mutex<BTreeMap<Key, Item>>,
    waiters: Arc<dyn WaitQueue>,
    /// Where the next collection starts, so a small `maxevents` does not
    /// starve the items after the first few.
    cursor: Mutex<Option<Key>>,
}

/// `epoll_create1(flags)`'s description: only `O_CLOEXEC` (the caller's)
/// is allowed, else `EINVAL`.
pub fn create_epoll(flags: u32, waiters: Arc<dyn WaitQueue>) -> KernelResult<Arc<FileDescription>> {
    if flags & !OpenFlags::O_CLOEXEC.bits() != 0 {
        return Err(Errno::EINVAL);
    }
    let epoll = Epoll {
        items: Mutex::new(BTreeMap::new()),
        waiters,
        cursor: Mutex::new(None),
    };
    FileDescription::new(Arc::new(epoll), None, OpenFlags::O_RDWR)
}

fn key(fd: i32, description: &Arc<FileDescription>) -> Key {
    (fd, Arc::as_ptr(description) as usize)
}

impl Epoll {
    /// The queue `epoll_wait` sleeps on (woken by every item's queue).
    pub fn waiters(&self) -> &Arc<dyn WaitQueue> {
        &self.waiters
    }

    fn listener(&self) -> Weak<dyn WaitQueue> {
        Arc::downgrade(&self.waiters)
    }

    /// How deep the epolls under this one go (0: none inside).
    fn depth(&self) -> usize {
        let inner: Vec<Arc<FileDescription>> = self
            .items
            .lock()
            .values()
            .filter_map(|item| item.description.upgrade())
            .collect();
        inner
            .iter()
            .filter_map(|d| d.file().epoll().map(|e| 1 + e.depth()))
            .max()
            .unwrap_or(0)
    }

    /// Whether this instance is `other` or lies inside it, at any depth.
    fn reaches(&self, other: &Epoll) -> bool {
        if core::ptr::eq(self, other) {
            return true;
        }
        let inner: Vec<Arc<FileDescription>> = other
            .items
            .lock()
            .values()
            .filter_map(|item| item.description.upgrade())
            .collect();
        inner
            .iter()
            .any(|d| d.file().epoll().is_some_and(|e| self.reaches(e)))
    }

    /// The description of the `nth` item (from 0) registered under
    /// descriptor number `fd`, if it is still open (`kcmp`'s
    /// `KCMP_EPOLL_TFD`; one number can name several descriptions over
    /// time, each its own item).
    pub fn target(&self, fd: i32, nth: usize) -> Option<Arc<FileDescription>> {
        self.items
            .lock()
            .range((fd, 0)..=(fd, usize::MAX))
            .nth(nth)
            .and_then(|(_, item)| item.description.upgrade())
    }

    /// `epoll_ctl(op, fd, event)` with `description` open as `fd`:
    /// `EEXIST` (add twice), `ENOENT` (change or remove what is not there),
    /// `EPERM` (a regular file or directory: always ready, Linux refuses
    /// them), `EINVAL` (itself, `EPOLLEXCLUSIVE` where not allowed, an
    /// unknown op), `ELOOP` (a cycle or nesting deeper than Linux allows).
    pub fn control(
        &self,
        op: i32,
        fd: i32,
        description: &Arc<FileDescription>,
        events: u32,
        data: u64,
    ) -> KernelResult<()> {
        if let Some(inner) = description.file().epoll() {
            if core::ptr::eq(inner, self) {
                return Err(Errno::EINVAL);
            }
            // A cycle: this instance is (inside) the one being added.
            if op == EPOLL_CTL_ADD && (self.reaches(inner) || inner.depth() + 1 >= MAX_NESTING) {
                return Err(Errno::ELOOP);
            }
        }
        let key = key(fd, description);
        let mut items = self.items.lock();
        match op {
            EPOLL_CTL_ADD => {
                if items.contains_key(&key) {
                    return Err(Errno::EEXIST);
                }
                // Exclusive wake-ups: only with IN, OUT, ERR, HUP, WAKEUP, ET, and
                // never on an epoll instance (Linux's EPOLLEXCLUSIVE_OK_BITS).
                let exclusive_ok = 0x1 | 0x4 | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET;
                if events & EPOLLEXCLUSIVE != 0
                    && (events & !(exclusive_ok | EPOLLEXCLUSIVE) != 0
                        || description.file().epoll().is_some())
                {
                    return Err(Errno::EINVAL);
                }
                if let Ok(stat) = description.stat() {
                    let kind = stat.mode & abi::S_IFMT;
                    if kind == abi::S_IFREG || kind == abi::S_IFDIR {
                        return Err(Errno::EPERM);
                    }
                }
                let queue = description.wait_queue();
                if let Some(queue) = &queue {
                    queue.add_listener(self.listener());
                }
                items.insert(
                    key,
                    Item {
                        description: Arc::downgrade(description),
                        queue,
                        events,
                        data,
                        reported_at: None,
                        disarmed: false,
                    },
                );
            }
            EPOLL_CTL_MOD => {
                let item = items.get_mut(&key).ok_or(Errno::ENOENT)?;
                if events & EPOLLEXCLUSIVE != 0 || item.events & EPOLLEXCLUSIVE != 0 {
                    return Err(Errno::EINVAL);
                }
                item.events = events;
                item.data = data;
                item.reported_at = None;
                item.disarmed = false;
            }
            EPOLL_CTL_DEL => {
                let item = items.remove(&key).ok_or(Errno::ENOENT)?;
                if let Some(queue) = item.queue {
                    queue.remove_listener(&self.listener());
                }
            }
            _ => return Err(Errno::EINVAL),
        }
        drop(items);
        // A waiter may have something to report now.
        self.waiters.wake_all();
        Ok(())
    }

    /// Takes up to `max` ready items, updating the edge-triggered and
    /// one-shot state of those reported. Items whose description has
    /// closed are dropped. Reports that never reach the caller go back
    /// through [`Epoll::give_back`].
    pub fn collect(&self, max: usize) -> Vec<Collected> {
        let mut ready = Vec::new();
        let mut items = self.items.lock();
        let dead: Vec<Key> = items
            .iter()
            .filter(|(_, item)| item.description.strong_count() == 0)
            .map(|(key, _)| *key)
            .collect();
        for key in dead {
            if let Some(queue) = items.remove(&key).and_then(|item| item.queue) {
                queue.remove_listener(&self.listener());
            }
        }
        let start = *self.cursor.lock();
        let keys: Vec<Key> = match start {
            Some(start) => items
                .range(start..)
                .chain(items.range(..start))
                .map(|(key, _)| *key)
                .collect(),
            None => items.keys().copied().collect(),
        };
        let mut next = None;
        for key in keys {
            if ready.len() == max {
                next = Some(key);
                break;
            }
            let Some(item) = items.get_mut(&key) else {
                continue;
            };
            let Some(description) = item.description.upgrade() else {
                continue;
            };
            if let Some((events, count)) = item.ready(&description) {
                ready.push(Collected {
                    events,
                    data: item.data,
                    key,
                    reported_before: item.reported_at,
                });
                if item.events & EPOLLET != 0 {
                    item.reported_at = Some(count);
                }
                if item.events & EPOLLONESHOT != 0 {
                    item.disarmed = true;
                }
            }
        }
        *self.cursor.lock() = next;
        ready
    }

    /// Undoes what [`Epoll::collect`] changed for reports the caller never
    /// got (its events buffer faulted): an edge-triggered item reports the
    /// same edge again, a one-shot item is armed again, as Linux puts such
    /// items back on its ready list. Items removed since, or given other
    /// data by `EPOLL_CTL_MOD` (which resets their state anyway), are left
    /// alone.
    pub fn give_back(&self, reports: &[Collected]) {
        let mut items = self.items.lock();
        for report in reports {
            let Some(item) = items.get_mut(&report.key) else {
                continue;
            };
            if item.data != report.data {
                continue;
            }
            if item.events & EPOLLET != 0 {
                item.reported_at = report.reported_before;
            }
            if item.events & EPOLLONESHOT != 0 {
                item.disarmed = false;
            }
        }
        drop(items);
        // Another waiter may take them now.
        self.waiters.wake_all();
    }

    /// Whether anything would be reported now (without changing state).
    pub fn has_ready(&self) -> bool {
        let items = self.items.lock();
        items.values().any(|item| {
            item.description
                .upgrade()
                .is_some_and(|description| item.ready(&description).is_some())
        })
    }

    /// The number of items (for `/proc/<pid>/fdinfo`).
    pub fn len(&self) -> usize {
        self.items.lock().len()
    }

    /// Whether the interest list is empty.
    pub fn is_empty(&self) -> bool {
        self.items.lock().is_empty()
    }
}

impl Drop for Epoll {
    fn drop(&mut self) {
        let listener = self.listener();
        for item in self.items.get_mut().values() {
            if let Some(queue) = &item.queue {
                queue.remove_listener(&listener);
            }
        }
    }
}

impl File for Epoll {
    fn poll(&self) -> PollEvents {
        if self.has_ready() {
            PollEvents::POLLIN | PollEvents::POLLRDNORM
        } else {
            PollEvents::empty()
        }
    }

    /// An anonymous inode, as Linux's `anon_inode:[eventpoll]`.
    fn stat(&self) -> KernelResult<Stat> {
        Ok(crate::eventfd::anon_inode_stat())
    }

    fn wait_queue(&self) -> Option<Arc<dyn WaitQueue>> {
        Some(self.waiters.clone())
    }

    fn epoll(&self) -> Option<&Epoll> {
        Some(self)
    }

    fn anon_inode_name(&self) -> Option<&'static str> {
        Some("[eventpoll]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inode::Owner;
    use crate::pipe::create_pipe;
    use crate::wait::NoWaiters;
    use core::sync::atomic::{AtomicU64, Ordering};

    extern crate std;

    /// Counts wakes and remembers its listeners.
    #[derive(Default)]
    struct Queue {
        count: AtomicU64,
        listeners: std::sync::Mutex<Vec<Weak<dyn WaitQueue>>>,
    }

    impl WaitQueue for Queue {
        fn wake_all(&self) {
            self.count.fetch_add(1, Ordering::SeqCst);
            for listener in self.listeners.lock().unwrap().iter() {
                if let Some(listener) = listener.upgrade() {
                    listener.wake_all();
                }
            }
        }
        fn event_count(&self) -> u64 {
            self.count.load(Ordering::SeqCst)
        }
        fn add_listener(&self, listener: Weak<dyn WaitQueue>) {
            self.listeners.lock().unwrap().push(listener);
        }
        fn remove_listener(&self, listener: &Weak<dyn WaitQueue>) {
            self.listeners
                .lock()
                .unwrap()
                .retain(|l| !Weak::ptr_eq(l, listener));
        }
    }

    fn epoll() -> (Arc<FileDescription>, Arc<Queue>) {
        let queue = Arc::new(Queue::default());
        (create_epoll(0, queue.clone()).unwrap(), queue)
    }

    fn pipe() -> (Arc<FileDescription>, Arc<FileDescription>) {
        create_pipe(
            Arc::new(Queue::default()),
            OpenFlags::empty(),
            1,
            Owner::default(),
        )
        .unwrap()
    }

    fn of(description: &FileDescription) -> &Epoll {
        description.file().epoll().unwrap()
    }

    /// What a collection of up to `max` reports says, as `(events, data)`.
    fn reports(description: &FileDescription, max: usize) -> Vec<(u32, u64)> {
        of(description)
            .collect(max)
            .iter()
            .map(|report| (report.events, report.data))
            .collect()
    }

    const IN: u32 = 1;
    const OUT: u32 = 4;

    #[test]
    fn level_triggered_reports_while_ready() {
        let (ep, own) = epoll();
        let (reader, writer) = pipe();
        of(&ep).control(EPOLL_CTL_ADD, 3, &reader, IN, 33).unwrap();
        assert_eq!(reports(&ep, 8), []);
        let wakes = own.event_count();
        writer.write(b"x").unwrap();
        assert!(
            own.event_count() > wakes,
            "the pipe's queue wakes the epoll's"
        );
        assert_eq!(reports(&ep, 8), [(IN, 33)]);
        assert_eq!(reports(&ep, 8), [(IN, 33)], "still ready");
        assert!(ep.poll().contains(PollEvents::POLLIN));
        let mut buf = [0u8; 1];
        reader.read(&mut buf).unwrap();
        assert_eq!(reports(&ep, 8), []);
        assert!(!ep.poll().contains(PollEvents::POLLIN));
    }

    #[test]
    fn edge_triggered_reports_each_new_event_once() {
        let (ep, _) = epoll();
        let (reader, writer) = pipe();
        of(&ep)
            .control(EPOLL_CTL_ADD, 3, &reader, IN | EPOLLET, 1)
            .unwrap();
        writer.write(b"a").unwrap();
        assert_eq!(reports(&ep, 8), [(IN, 1)]);
        assert_eq!(reports(&ep, 8), [], "no new event");
        writer.write(b"b").unwrap();
        assert_eq!(reports(&ep, 8), [(IN, 1)]);
    }

    #[test]
    fn one_shot_reports_once_until_modified() {
        let (ep, _) = epoll();
        let (reader, writer) = pipe();
        writer.write(b"a").unwrap();
        of(&ep)
            .control(EPOLL_CTL_ADD, 3, &reader, IN | EPOLLONESHOT, 1)
            .unwrap();
        assert_eq!(reports(&ep, 8), [(IN, 1)]);
        assert_eq!(reports(&ep, 8), []);
        of(&ep)
            .control(EPOLL_CTL_MOD, 3, &reader, IN | EPOLLONESHOT, 2)
            .unwrap();
        assert_eq!(reports(&ep, 8), [(IN, 2)]);
    }

    #[test]
    fn reports_given_back_are_reported_again() {
        let (ep, own) = epoll();
        let (reader, writer) = pipe();
        let (other_reader, other_writer) = pipe();
        of(&ep)
            .control(EPOLL_CTL_ADD, 3, &reader, IN | EPOLLET, 1)
            .unwrap();
        of(&ep)
            .control(EPOLL_CTL_ADD, 4, &other_reader, IN | EPOLLONESHOT, 2)
            .unwrap();
        writer.write(b"a").unwrap();
        other_writer.write(b"b").unwrap();
        let taken = of(&ep).collect(8);
        assert_eq!(taken.len(), 2);
        assert_eq!(reports(&ep, 8), [], "both taken");
        let wakes = own.event_count();
        of(&ep).give_back(&taken);
        assert!(own.event_count() > wakes, "other waiters are told");
        assert_eq!(reports(&ep, 8), [(IN, 1), (IN, 2)]);
        assert_eq!(reports(&ep, 8), []);
        // A report whose item was modified since stays taken by the change.
        let taken = of(&ep).collect(8);
        assert!(taken.is_empty());
        writer.write(b"c").unwrap();
        let taken = of(&ep).collect(8);
        of(&ep)
            .control(EPOLL_CTL_MOD, 3, &reader, IN | EPOLLET, 9)
            .unwrap();
        of(&ep).give_back(&taken);
        assert_eq!(reports(&ep, 8), [(IN, 9)]);
        assert_eq!(reports(&ep, 8), []);
    }

    #[test]
    fn control_errors_are_linux_s() {
        let (ep, _) = epoll();
        let (reader, writer) = pipe();
        let e = of(&ep);
        assert_eq!(
            e.control(EPOLL_CTL_MOD, 3, &reader, IN, 0),
            Err(Errno::ENOENT)
        );
        assert_eq!(
            e.control(EPOLL_CTL_DEL, 3, &reader, IN, 0),
            Err(Errno::ENOENT)
        );
        e.control(EPOLL_CTL_ADD, 3, &reader, IN, 0).unwrap();
        assert_eq!(
            e.control(EPOLL_CTL_ADD, 3, &reader, IN, 0),
            Err(Errno::EEXIST)
        );
        // The same description under another number is another item.
        e.control(EPOLL_CTL_ADD, 4, &reader, IN, 0).unwrap();
        assert_eq!(e.control(9, 3, &reader, IN, 0), Err(Errno::EINVAL));
        assert_eq!(e.control(EPOLL_CTL_ADD, 5, &ep, IN, 0), Err(Errno::EINVAL));
        assert_eq!(
            e.control(
                EPOLL_CTL_ADD,
                6,
                &writer,
                OUT | EPOLLEXCLUSIVE | EPOLLONESHOT,
                0
            ),
            Err(Errno::EINVAL)
        );
        // Exclusive: not on an epoll, not with RDHUP or PRI.
        let (inner, _) = epoll();
        assert_eq!(
            e.control(EPOLL_CTL_ADD, 7, &inner, IN | EPOLLEXCLUSIVE, 0),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            e.control(EPOLL_CTL_ADD, 6, &writer, OUT | 0x2000 | EPOLLEXCLUSIVE, 0),
            Err(Errno::EINVAL)
        );
        e.control(EPOLL_CTL_ADD, 6, &writer, OUT | EPOLLET | EPOLLEXCLUSIVE, 0)
            .unwrap();
        assert_eq!(
            e.control(EPOLL_CTL_MOD, 6, &writer, OUT, 0),
            Err(Errno::EINVAL)
        );
        e.control(EPOLL_CTL_DEL, 3, &reader, 0, 0).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(
            create_epoll(1, Arc::new(NoWaiters)).err(),
            Some(Errno::EINVAL)
        );
    }

    #[test]
    fn closing_the_last_reference_ends_the_item() {
        let (ep, _) = epoll();
        let (reader, writer) = pipe();
        of(&ep)
            .control(EPOLL_CTL_ADD, 3, &reader, IN | EPOLLHUP, 7)
            .unwrap();
        drop(writer);
        assert_eq!(reports(&ep, 8), [(EPOLLHUP, 7)]);
        drop(reader);
        assert_eq!(reports(&ep, 8), []);
        assert!(of(&ep).is_empty());
    }

    #[test]
    fn nested_epolls_wake_and_refuse_cycles() {
        let (outer, outer_queue) = epoll();
        let (inner, _) = epoll();
        let (reader, writer) = pipe();
        of(&inner)
            .control(EPOLL_CTL_ADD, 3, &reader, IN, 1)
            .unwrap();
        of(&outer).control(EPOLL_CTL_ADD, 4, &inner, IN, 2).unwrap();
        assert_eq!(reports(&outer, 8), []);
        let wakes = outer_queue.event_count();
        writer.write(b"x").unwrap();
        assert!(
            outer_queue.event_count() > wakes,
            "woken through the inner one"
        );
        assert_eq!(reports(&outer, 8), [(IN, 2)]);
        assert_eq!(
            of(&inner).control(EPOLL_CTL_ADD, 5, &outer, IN, 0),
            Err(Errno::ELOOP)
        );
    }

    #[test]
    fn a_small_maxevents_takes_turns() {
        let (ep, _) = epoll();
        let pipes: Vec<_> = (0..3).map(|_| pipe()).collect();
        for (i, (reader, writer)) in pipes.iter().enumerate() {
            writer.write(b"x").unwrap();
            of(&ep)
                .control(EPOLL_CTL_ADD, i as i32, reader, IN, i as u64)
                .unwrap();
        }
        let mut seen: Vec<u64> = (0..3)
            .flat_map(|_| reports(&ep, 1))
            .map(|(_, d)| d)
            .collect();
        seen.sort();
        assert_eq!(seen, [0, 1, 2]);
    }
}
