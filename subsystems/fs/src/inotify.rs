//! inotify: watches on inodes, and the instances whose descriptors read
//! the events those watches collect (`tail -F`, file managers, build
//! watchers, event loops).
//!
//! Watches live in one machine-wide table keyed by [`InodeId`] (the VFS
//! is one per machine, and a file's events come from paths and from open
//! descriptions alike, which do not know the [`crate::Vfs`]). The VFS and
//! the descriptions report what happens through [`inode_event`],
//! [`custody_event`] and [`child_event`]; each first reads a count of the
//! watches in the machine, so that I/O on a machine nobody watches pays one
//! load.
//!
//! As on Linux, an event reaches the watch on the inode itself, and, for
//! the events that concern a directory entry (everything but
//! `IN_DELETE_SELF`, `IN_MOVE_SELF` and `IN_UNMOUNT`), the watch on the
//! directory it was reached through, with the entry's name. A watch holds
//! its inode alive; it goes when its instance closes, with
//! `inotify_rm_watch`, after one event with `IN_ONESHOT`, or when the inode
//! loses its last link (`IN_DELETE_SELF`), and the last three queue
//! `IN_IGNORED`. Differences from Linux: `IN_DELETE_SELF` comes at the
//! unlink that removes the last name, even while the file is still open
//! (Linux waits for the last reference to the name), and `IN_UNMOUNT` is
//! never sent.
//!
//! Lock order: the watch table, then an instance's queue; wait queues are
//! woken after both are released.

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, VecDeque};
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};

use abi::{Errno, KernelResult};
use lock::Mutex;

use crate::custody::Custody;
use crate::description::FileDescription;
use crate::file::File;
use crate::inode::{Inode, InodeId};
use crate::types::{FileType, OpenFlags, PollEvents, Stat};
use crate::wait::WaitQueue;

/// A file was read.
pub const IN_ACCESS: u32 = 0x1;
/// A file was written.
pub const IN_MODIFY: u32 = 0x2;
/// Metadata changed: mode, owner, times, link count, extended attributes.
pub const IN_ATTRIB: u32 = 0x4;
/// A description opened for writing was closed.
pub const IN_CLOSE_WRITE: u32 = 0x8;
/// A description not opened for writing was closed.
pub const IN_CLOSE_NOWRITE: u32 = 0x10;
/// A file was opened.
pub const IN_OPEN: u32 = 0x20;
/// An entry was renamed away from a watched directory.
pub const IN_MOVED_FROM: u32 = 0x40;
/// An entry was renamed into a watched directory.
pub const IN_MOVED_TO: u32 = 0x80;
/// An entry was created in a watched directory.
pub const IN_CREATE: u32 = 0x100;
/// An entry was removed from a watched directory.
pub const IN_DELETE: u32 = 0x200;
/// The watched inode lost its last name.
pub const IN_DELETE_SELF: u32 = 0x400;
/// The watched inode was renamed.
pub const IN_MOVE_SELF: u32 = 0x800;
/// The watched inode's file system was unmounted (never sent here).
pub const IN_UNMOUNT: u32 = 0x2000;
/// The instance's queue overflowed; events were lost (watch -1).
pub const IN_Q_OVERFLOW: u32 = 0x4000;
/// The watch is gone.
pub const IN_IGNORED: u32 = 0x8000;
/// `inotify_add_watch`: only if the path is a directory.
pub const IN_ONLYDIR: u32 = 0x0100_0000;
/// `inotify_add_watch`: do not follow a final symbolic link.
pub const IN_DONT_FOLLOW: u32 = 0x0200_0000;
/// Entries unlinked from a watched directory report nothing more there.
pub const IN_EXCL_UNLINK: u32 = 0x0400_0000;
/// `inotify_add_watch`: fail with `EEXIST` if the inode is watched already.
pub const IN_MASK_CREATE: u32 = 0x1000_0000;
/// `inotify_add_watch`: add to an existing watch's mask, not replace it.
pub const IN_MASK_ADD: u32 = 0x2000_0000;
/// The event's subject is a directory.
pub const IN_ISDIR: u32 = 0x4000_0000;
/// Remove the watch after its first event.
pub const IN_ONESHOT: u32 = 0x8000_0000;
/// Every event a watch can ask for.
pub const IN_ALL_EVENTS: u32 = 0xfff;

/// The bits `inotify_add_watch` knows; a mask with none of them is
/// `EINVAL`.
const KNOWN_BITS: u32 = IN_ALL_EVENTS
    | IN_UNMOUNT
    | IN_Q_OVERFLOW
    | IN_IGNORED
    | IN_ONLYDIR
    | IN_DONT_FOLLOW
    | IN_EXCL_UNLINK
    | IN_MASK_CREATE
    | IN_MASK_ADD
    | IN_ISDIR
    | IN_ONESHOT;

/// Events a directory's watch also receives for its entries.
const CHILD_EVENTS: u32 = IN_ACCESS
    | IN_MODIFY
    | IN_ATTRIB
    | IN_CLOSE_WRITE
    | IN_CLOSE_NOWRITE
    | IN_OPEN
    | IN_MOVED_FROM
    | IN_MOVED_TO
    | IN_CREATE
    | IN_DELETE;

/// The size of `struct inotify_event` before its name.
pub const EVENT_HEADER_SIZE: usize = 16;

/// The default of [`Limit::QueuedEvents`] (Linux's).
pub const MAX_QUEUED_EVENTS: usize = 16_384;

/// The default of [`Limit::UserInstances`] (Linux's).
pub const MAX_USER_INSTANCES: usize = 128;

/// The default of [`Limit::UserWatches`] (Linux's floor, which its
/// formula gives a machine of this size).
pub const MAX_USER_WATCHES: usize = 8_192;

/// inotify's limits, as `/proc/sys/fs/inotify` shows and sets them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// `max_queued_events`: the events an instance made from now on
    /// queues before the rest are lost behind one `IN_Q_OVERFLOW`.
    QueuedEvents,
    /// `max_user_instances`: instances one user may have open; more is
    /// `EMFILE`.
    UserInstances,
    /// `max_user_watches`: watches one user may hold across its
    /// instances; more is `ENOSPC`.
    UserWatches,
}

static LIMITS: [AtomicUsize; 3] = [
    AtomicUsize::new(MAX_QUEUED_EVENTS),
    AtomicUsize::new(MAX_USER_INSTANCES),
    AtomicUsize::new(MAX_USER_WATCHES),
];

/// The current value of `which`.
pub fn limit(which: Limit) -> usize {
    LIMITS[which as usize].load(Ordering::Relaxed)
}

/// Sets `which` (the caller checked the privilege); `EINVAL` past
/// `i32::MAX`, as Linux's integer sysctls.
pub fn set_limit(which: Limit, value: usize) -> KernelResult<()> {
    if value > i32::MAX as usize {
        return Err(Errno::EINVAL);
    }
    LIMITS[which as usize].store(value, Ordering::Relaxed);
    Ok(())
}

/// How many watches exist in the machine: the one thing unwatched I/O
/// reads.
static WATCHES: AtomicUsize = AtomicUsize::new(0);

/// Numbers instances, so the table can tell their watches apart.
static NEXT_INSTANCE: AtomicU64 = AtomicU64::new(1);

/// The cookie that pairs a rename's `IN_MOVED_FROM` with its `IN_MOVED_TO`.
static NEXT_COOKIE: AtomicU32 = AtomicU32::new(1);

/// The machine's watches.
static TABLE: Mutex<WatchTable> = Mutex::new(WatchTable {
    by_inode: BTreeMap::new(),
    per_user: BTreeMap::new(),
});

/// One watch: which instance asked, under which descriptor, for what.
struct Watch {
    instance: Weak<Inotify>,
    instance_id: u64,
    wd: i32,
    mask: u32,
    /// Keeps the inode alive while watched, as Linux's marks pin theirs.
    _inode: Arc<dyn Inode>,
}

/// What one user holds, for the limits.
#[derive(Default)]
struct UserCounts {
    instances: usize,
    watches: usize,
}

struct WatchTable {
    by_inode: BTreeMap<InodeId, Vec<Watch>>,
    per_user: BTreeMap<u32, UserCounts>,
}

impl WatchTable {
    fn user(&mut self, uid: u32) -> &mut UserCounts {
        self.per_user.entry(uid).or_default()
    }

    /// Takes `instance_id`'s watch on `inode` out of the table and hands
    /// it back, for the caller to drop once the table is unlocked (it
    /// holds the inode, whose last reference may take file-system locks).
    fn remove(&mut self, inode: InodeId, instance_id: u64, owner: u32) -> Vec<Watch> {
        let Some(watches) = self.by_inode.get_mut(&inode) else {
            return Vec::new();
        };
        let (removed, kept): (Vec<Watch>, Vec<Watch>) = core::mem::take(watches)
            .into_iter()
            .partition(|w| w.instance_id == instance_id);
        *watches = kept;
        if watches.is_empty() {
            self.by_inode.remove(&inode);
        }
        if !removed.is_empty() {
            WATCHES.fetch_sub(removed.len(), Ordering::Relaxed);
            let user = self.user(owner);
            user.watches = user.watches.saturating_sub(removed.len());
        }
        removed
    }
}

/// Whether any watch exists: the check every event source makes first.
#[inline]
pub fn watching() -> bool {
    WATCHES.load(Ordering::Relaxed) != 0
}

/// A fresh rename cookie.
pub fn next_cookie() -> u32 {
    NEXT_COOKIE.fetch_add(1, Ordering::Relaxed)
}

/// One queued event.
#[derive(Clone, PartialEq, Eq)]
struct Event {
    wd: i32,
    mask: u32,
    cookie: u32,
    name: Option<Box<[u8]>>,
}

impl Event {
    /// The name field's length: the name, its NUL, and NULs up to a
    /// multiple of the header's size, as Linux pads it.
    fn name_len(&self) -> usize {
        match &self.name {
            Some(name) => (name.len() + 1).next_multiple_of(EVENT_HEADER_SIZE),
            None => 0,
        }
    }

    fn size(&self) -> usize {
        EVENT_HEADER_SIZE + self.name_len()
    }

    fn encode(&self, out: &mut [u8]) {
        let len = self.name_len();
        out[0..4].copy_from_slice(&self.wd.to_ne_bytes());
        out[4..8].copy_from_slice(&self.mask.to_ne_bytes());
        out[8..12].copy_from_slice(&self.cookie.to_ne_bytes());
        out[12..16].copy_from_slice(&(len as u32).to_ne_bytes());
        let name_field = &mut out[EVENT_HEADER_SIZE..EVENT_HEADER_SIZE + len];
        name_field.fill(0);
        if let Some(name) = &self.name {
            name_field[..name.len()].copy_from_slice(name);
        }
    }
}

/// An instance's queue and its watch descriptors.
struct Queue {
    events: VecDeque<Event>,
    bytes: usize,
    /// Watch descriptor to the inode it watches.
    watches: BTreeMap<i32, InodeId>,
    next_wd: i32,
    /// [`Limit::QueuedEvents`] when the instance was made.
    max_events: usize,
}

impl Queue {
    /// Queues `event` unless it repeats the newest one (Linux merges so);
    /// past its limit one `IN_Q_OVERFLOW` stands for the rest.
    fn push(&mut self, event: Event) {
        if self.events.back() == Some(&event) {
            return;
        }
        let event = if self.events.len() >= self.max_events {
            if self.events.back().is_some_and(|e| e.mask == IN_Q_OVERFLOW) {
                return;
            }
            Event {
                wd: -1,
                mask: IN_Q_OVERFLOW,
                cookie: 0,
                name: None,
            }
        } else {
            event
        };
        self.bytes += event.size();
        self.events.push_back(event);
    }
}

/// One inotify instance (`inotify_init1`): its watches are in the
/// machine's table, its events in its own queue.
pub struct Inotify {
    id: u64,
    /// The user charged for it and its watches.
    owner: u32,
    queue: Mutex<Queue>,
    waiters: Arc<dyn WaitQueue>,
    this: Weak<Inotify>,
}

/// `inotify_init1(flags)`'s description for user `owner`: `flags` may hold
/// `IN_NONBLOCK` and `IN_CLOEXEC` (`O_NONBLOCK`, `O_CLOEXEC`; the
/// caller's), else `EINVAL`; `EMFILE` past [`Limit::UserInstances`].
pub fn create_inotify(
    flags: u32,
    owner: u32,
    waiters: Arc<dyn WaitQueue>,
) -> KernelResult<Arc<FileDescription>> {
    let known = OpenFlags::O_NONBLOCK.bits() | OpenFlags::O_CLOEXEC.bits();
    if flags & !known != 0 {
        return Err(Errno::EINVAL);
    }
    {
        let mut table = TABLE.lock();
        let user = table.user(owner);
        if user.instances >= limit(Limit::UserInstances) {
            return Err(Errno::EMFILE);
        }
        user.instances += 1;
    }
    let instance = Arc::new_cyclic(|this| Inotify {
        id: NEXT_INSTANCE.fetch_add(1, Ordering::Relaxed),
        owner,
        queue: Mutex::new(Queue {
            events: VecDeque::new(),
            bytes: 0,
            watches: BTreeMap::new(),
            next_wd: 1,
            max_events: limit(Limit::QueuedEvents),
        }),
        waiters,
        this: this.clone(),
    });
    let status = OpenFlags::from_bits_truncate(flags) & OpenFlags::O_NONBLOCK;
    FileDescription::new(instance, None, status)
}

impl Inotify {
    /// `inotify_add_watch` on `inode` (the caller resolved the path and
    /// checked read permission): returns the watch descriptor, the same
    /// one again for an inode this instance watches already (whose mask
    /// `mask` replaces, or joins with `IN_MASK_ADD`). `EINVAL` for a mask
    /// with no known bit or with both `IN_MASK_ADD` and `IN_MASK_CREATE`,
    /// `EEXIST` for `IN_MASK_CREATE` on a watched inode, `ENOSPC` past
    /// [`Limit::UserWatches`].
    pub fn add_watch(&self, inode: &Arc<dyn Inode>, mask: u32) -> KernelResult<i32> {
        check_mask(mask)?;
        let id = inode.id();
        let mut table = TABLE.lock();
        if let Some(watch) = table
            .by_inode
            .get_mut(&id)
            .and_then(|watches| watches.iter_mut().find(|w| w.instance_id == self.id))
        {
            if mask & IN_MASK_CREATE != 0 {
                return Err(Errno::EEXIST);
            }
            watch.mask = if mask & IN_MASK_ADD != 0 {
                watch.mask | (mask & !IN_MASK_ADD)
            } else {
                mask
            };
            return Ok(watch.wd);
        }
        let user = table.user(self.owner);
        if user.watches >= limit(Limit::UserWatches) {
            return Err(Errno::ENOSPC);
        }
        let wd = {
            let mut queue = self.queue.lock();
            let wd = queue.next_wd;
            // Linux hands out increasing numbers and wraps after i32::MAX.
            queue.next_wd = if wd == i32::MAX { 1 } else { wd + 1 };
            if queue.watches.contains_key(&wd) {
                return Err(Errno::ENOSPC);
            }
            queue.watches.insert(wd, id);
            wd
        };
        table.user(self.owner).watches += 1;
        table.by_inode.entry(id).or_default().push(Watch {
            instance: self.this.clone(),
            instance_id: self.id,
            wd,
            mask: mask & !IN_MASK_ADD,
            _inode: inode.clone(),
        });
        WATCHES.fetch_add(1, Ordering::Relaxed);
        Ok(wd)
    }

    /// `inotify_rm_watch(wd)`: removes the watch and queues `IN_IGNORED`
    /// for it. `EINVAL` if this instance has no such watch.
    pub fn remove_watch(&self, wd: i32) -> KernelResult<()> {
        let mut table = TABLE.lock();
        let mut queue = self.queue.lock();
        let inode = queue.watches.remove(&wd).ok_or(Errno::EINVAL)?;
        let removed = table.remove(inode, self.id, self.owner);
        queue.push(ignored(wd));
        drop(queue);
        drop(table);
        drop(removed);
        self.waiters.wake_all();
        Ok(())
    }

    /// How many bytes of events wait (`FIONREAD`).
    pub fn pending_bytes(&self) -> usize {
        self.queue.lock().bytes
    }

    /// How many watches this instance has.
    pub fn watch_count(&self) -> usize {
        self.queue.lock().watches.len()
    }
}

/// `inotify_add_watch`'s first check: `EINVAL` for a mask with no bit
/// inotify knows, or with both `IN_MASK_ADD` and `IN_MASK_CREATE`.
pub fn check_mask(mask: u32) -> KernelResult<()> {
    if mask & KNOWN_BITS == 0 || (mask & IN_MASK_ADD != 0 && mask & IN_MASK_CREATE != 0) {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

fn ignored(wd: i32) -> Event {
    Event {
        wd,
        mask: IN_IGNORED,
        cookie: 0,
        name: None,
    }
}

impl Drop for Inotify {
    fn drop(&mut self) {
        let watches = core::mem::take(&mut self.queue.get_mut().watches);
        let mut removed = Vec::new();
        let mut table = TABLE.lock();
        for inode in watches.into_values() {
            removed.append(&mut table.remove(inode, self.id, self.owner));
        }
        let user = table.user(self.owner);
        user.instances = user.instances.saturating_sub(1);
        drop(table);
        drop(removed);
    }
}

impl File for Inotify {
    /// Takes as many whole events as fit; `EINVAL` if the first does not,
    /// `EAGAIN` while none waits.
    fn read(&self, _offset: u64, buf: &mut [u8]) -> KernelResult<usize> {
        let mut queue = self.queue.lock();
        let first = queue.events.front().ok_or(Errno::EAGAIN)?;
        if first.size() > buf.len() {
            return Err(Errno::EINVAL);
        }
        let mut used = 0;
        while let Some(event) = queue.events.front() {
            let size = event.size();
            if used + size > buf.len() {
                break;
            }
            event.encode(&mut buf[used..used + size]);
            used += size;
            queue.bytes -= size;
            queue.events.pop_front();
        }
        Ok(used)
    }

    fn poll(&self) -> PollEvents {
        if self.queue.lock().events.is_empty() {
            PollEvents::empty()
        } else {
            PollEvents::POLLIN | PollEvents::POLLRDNORM
        }
    }

    fn bytes_available(&self) -> Option<usize> {
        Some(self.pending_bytes())
    }

    /// An anonymous inode, as Linux shows.
    fn stat(&self) -> KernelResult<Stat> {
        Ok(crate::eventfd::anon_inode_stat())
    }

    fn wait_queue(&self) -> Option<Arc<dyn WaitQueue>> {
        Some(self.waiters.clone())
    }

    fn anon_inode_name(&self) -> Option<&'static str> {
        Some("inotify")
    }

    fn inotify(&self) -> Option<&Inotify> {
        Some(self)
    }
}

/// Where one event goes: the inode's own watches, or a directory's with
/// the entry's name.
struct Target<'a> {
    inode: InodeId,
    name: Option<&'a str>,
    /// For a directory's watch: whether the entry has no name left
    /// (`IN_EXCL_UNLINK` watches skip it).
    unlinked: bool,
}

/// Queues `mask` (one event bit, with `IN_ISDIR` for a directory) on
/// every watch of every target that asked for it, then wakes the readers.
/// `drop_watches`: the inode of the first target lost its last name, so
/// its watches go, each with `IN_IGNORED`.
fn deliver(targets: &[Target<'_>], mask: u32, cookie: u32, drop_watches: bool) {
    // Instances to wake and watches to drop, both let go only after the
    // table is unlocked: the last reference to an instance (closed
    // meanwhile) takes the table in its drop, and a watch holds an inode.
    let mut woken: Vec<Arc<Inotify>> = Vec::new();
    let mut removed: Vec<Watch> = Vec::new();
    let mut table = TABLE.lock();
    for (index, target) in targets.iter().enumerate() {
        let Some(watches) = table.by_inode.get(&target.inode) else {
            continue;
        };
        let last = drop_watches && index == 0;
        let mut gone: Vec<(u64, u32)> = Vec::new();
        for watch in watches {
            let wanted = watch.mask & mask & IN_ALL_EVENTS != 0
                && !(target.unlinked && watch.mask & IN_EXCL_UNLINK != 0);
            if !wanted && !last {
                continue;
            }
            let Some(instance) = watch.instance.upgrade() else {
                continue;
            };
            let mut queue = instance.queue.lock();
            if wanted {
                queue.push(Event {
                    wd: watch.wd,
                    mask,
                    cookie,
                    name: target.name.map(|n| Box::from(n.as_bytes())),
                });
            }
            if last || (wanted && watch.mask & IN_ONESHOT != 0) {
                queue.watches.remove(&watch.wd);
                queue.push(ignored(watch.wd));
                gone.push((watch.instance_id, instance.owner));
            }
            drop(queue);
            woken.push(instance);
        }
        for (instance_id, owner) in gone {
            removed.append(&mut table.remove(target.inode, instance_id, owner));
        }
    }
    drop(table);
    drop(removed);
    for instance in &woken {
        instance.waiters.wake_all();
    }
}

fn dir_bit(inode: &Arc<dyn Inode>) -> u32 {
    if inode.file_type() == FileType::Directory {
        IN_ISDIR
    } else {
        0
    }
}

/// `mask` happened to `inode` itself (`IN_ATTRIB` through a descriptor
/// without a name, `IN_DELETE_SELF`, `IN_MOVE_SELF`).
pub fn inode_event(inode: &Arc<dyn Inode>, mask: u32) {
    if !watching() {
        return;
    }
    let target = Target {
        inode: inode.id(),
        name: None,
        unlinked: false,
    };
    deliver(&[target], mask | dir_bit(inode), 0, false);
}

/// `mask` happened to the file `custody` names: its own watches hear it,
/// and its directory's, with its name, for an entry event.
pub fn custody_event(custody: &Custody, mask: u32) {
    if !watching() {
        return;
    }
    let inode = custody.inode();
    let own = Target {
        inode: inode.id(),
        name: None,
        unlinked: false,
    };
    let parent = custody
        .parent()
        .filter(|_| mask & CHILD_EVENTS != 0 && !custody.name().is_empty());
    match parent {
        Some(parent) => {
            let entry = Target {
                inode: parent.id(),
                name: Some(custody.name()),
                unlinked: inode.stat().nlink == 0,
            };
            deliver(&[own, entry], mask | dir_bit(inode), 0, false);
        }
        None => deliver(&[own], mask | dir_bit(inode), 0, false),
    }
}

/// An entry event in directory `dir`: `name` was created, removed or
/// renamed (`IN_CREATE`, `IN_DELETE`, `IN_MOVED_FROM`, `IN_MOVED_TO`,
/// with `IN_ISDIR` for a directory and the rename's `cookie`).
pub fn child_event(dir: &Custody, name: &str, mask: u32, cookie: u32) {
    if !watching() {
        return;
    }
    let target = Target {
        inode: dir.id(),
        name: Some(name),
        unlinked: false,
    };
    deliver(&[target], mask, cookie, false);
}

/// `inode` lost a name: [`link_count_changed`], then [`name_gone`].
pub fn name_removed(inode: &Arc<dyn Inode>) {
    link_count_changed(inode);
    name_gone(inode);
}

/// `IN_ATTRIB` for a file whose link count changed (a directory's
/// reports nothing: it has one name).
pub fn link_count_changed(inode: &Arc<dyn Inode>) {
    if watching() && inode.file_type() != FileType::Directory {
        inode_event(inode, IN_ATTRIB);
    }
}

/// After a name of `inode` went: if it was the last (always, for a
/// directory), `IN_DELETE_SELF`, and its watches go with `IN_IGNORED`.
pub fn name_gone(inode: &Arc<dyn Inode>) {
    if !watching() {
        return;
    }
    let is_dir = inode.file_type() == FileType::Directory;
    if is_dir || inode.stat().nlink == 0 {
        let target = Target {
            inode: inode.id(),
            name: None,
            unlinked: false,
        };
        let mask = IN_DELETE_SELF | if is_dir { IN_ISDIR } else { 0 };
        deliver(&[target], mask, 0, true);
    }
}

/// The events a closing description reports.
pub fn closed(description: &FileDescription) {
    if !watching() {
        return;
    }
    if let Some(custody) = description.custody()
        && !description.is_path_only()
    {
        let mask = if description.access_mode().writable() {
            IN_CLOSE_WRITE
        } else {
            IN_CLOSE_NOWRITE
        };
        custody_event(custody, mask);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(wd: i32, mask: u32, name: Option<&str>) -> Event {
        Event {
            wd,
            mask,
            cookie: 0,
            name: name.map(|n| Box::from(n.as_bytes())),
        }
    }

    fn queue() -> Queue {
        Queue {
            events: VecDeque::new(),
            bytes: 0,
            watches: BTreeMap::new(),
            next_wd: 1,
            max_events: MAX_QUEUED_EVENTS,
        }
    }

    #[test]
    fn names_are_padded_to_the_header_size() {
        assert_eq!(event(1, IN_MODIFY, None).size(), 16);
        assert_eq!(event(1, IN_CREATE, Some("a")).size(), 32);
        assert_eq!(event(1, IN_CREATE, Some("fifteen-bytes-x")).size(), 32);
        assert_eq!(event(1, IN_CREATE, Some("sixteen-bytes-xx")).size(), 48);
        let mut out = [0xffu8; 32];
        event(7, IN_CREATE, Some("ab")).encode(&mut out);
        assert_eq!(i32::from_ne_bytes(out[0..4].try_into().unwrap()), 7);
        assert_eq!(u32::from_ne_bytes(out[4..8].try_into().unwrap()), IN_CREATE);
        assert_eq!(u32::from_ne_bytes(out[12..16].try_into().unwrap()), 16);
        assert_eq!(&out[16..19], b"ab\0");
        assert!(out[19..].iter().all(|&b| b == 0));
    }

    #[test]
    fn a_repeat_of_the_newest_event_is_merged() {
        let mut q = queue();
        q.push(event(1, IN_MODIFY, None));
        q.push(event(1, IN_MODIFY, None));
        assert_eq!(q.events.len(), 1);
        q.push(event(1, IN_ACCESS, None));
        q.push(event(1, IN_MODIFY, None));
        assert_eq!(q.events.len(), 3, "only the newest is compared");
        assert_eq!(q.bytes, 48);
    }

    #[test]
    fn a_full_queue_ends_with_one_overflow_event() {
        let mut q = queue();
        for i in 0..MAX_QUEUED_EVENTS + 10 {
            q.push(event(
                1,
                if i % 2 == 0 { IN_ACCESS } else { IN_MODIFY },
                None,
            ));
        }
        assert_eq!(q.events.len(), MAX_QUEUED_EVENTS + 1);
        let last = q.events.back().unwrap();
        assert_eq!((last.wd, last.mask), (-1, IN_Q_OVERFLOW));
    }

    #[test]
    fn masks_need_a_known_bit_and_not_both_add_and_create() {
        assert_eq!(check_mask(0), Err(Errno::EINVAL));
        assert_eq!(check_mask(0x0800_0000), Err(Errno::EINVAL));
        assert_eq!(
            check_mask(IN_MODIFY | IN_MASK_ADD | IN_MASK_CREATE),
            Err(Errno::EINVAL)
        );
        assert_eq!(check_mask(IN_MODIFY | IN_MASK_ADD), Ok(()));
    }
}
