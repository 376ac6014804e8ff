//! A process's file descriptor table.
//!
//! A slot is free, reserved (an `open` is in progress: the number is taken but
//! nothing is installed yet) or open (a description plus the per-descriptor
//! `FD_CLOEXEC` flag). Descriptions are shared values (`D` is fs's
//! `Arc<FileDescription>`); the file status flags (`F_GETFL`/`F_SETFL`) live on
//! the description and are fs's business.
//!
//! Operations that drop a description (`close`, `dup2` over an open fd, exec,
//! exit) hand it back to the caller so the last reference is released after
//! the table's lock, never under it.

use alloc::vec::Vec;

#[cfg(test)]
use crate::lock::Rank;
use crate::lock::RankedMutex;
use abi::{Errno, KernelResult};

use crate::rlimit::Rlimits;

/// A file descriptor number as user space passes it.
pub type Fd = i32;

/// `FD_CLOEXEC`, the only descriptor flag.
pub const FD_CLOEXEC: u32 = 1;
/// `O_CLOEXEC`, the only flag `dup3` accepts.
pub const O_CLOEXEC: u32 = 0o2_000_000;
/// `fcntl` command: duplicate to the lowest free fd at or above `arg`.
pub const F_DUPFD: u32 = 0;
/// `fcntl` command: read the descriptor flags.
pub const F_GETFD: u32 = 1;
/// `fcntl` command: set the descriptor flags.
pub const F_SETFD: u32 = 2;
/// `fcntl` command: read the file status flags (on the description).
pub const F_GETFL: u32 = 3;
/// `fcntl` command: set the file status flags (on the description).
pub const F_SETFL: u32 = 4;
/// `fcntl` command: like `F_DUPFD`, with `FD_CLOEXEC` set on the new fd.
pub const F_DUPFD_CLOEXEC: u32 = 1030;

/// One slot of the table.
#[derive(Clone, Debug)]
enum Slot<D> {
    Free,
    Reserved,
    Open { description: D, cloexec: bool },
}

/// An open descriptor as [`FileDescriptions::enumerate`] shows it.
#[derive(Clone, Copy, Debug)]
pub struct OpenFd<'a, D> {
    /// The descriptor number.
    pub fd: Fd,
    /// The shared open file description.
    pub description: &'a D,
    /// Whether `FD_CLOEXEC` is set.
    pub cloexec: bool,
}

/// The descriptor table. Fds are always below `limit` (`RLIMIT_NOFILE`'s soft
/// value) when created; lowering the limit leaves higher open fds alone.
///
/// Finding the lowest free fd is O(1) in the common case and a word-at-a-
/// time scan otherwise, as Linux's: a bitmap marks the slots in use, and
/// every fd below `lowest_free` is known to be in use.
#[derive(Debug)]
pub struct FileDescriptions<D> {
    slots: Vec<Slot<D>>,
    /// Bit `i % 64` of word `i / 64` is set when slot `i` is reserved or
    /// open; slots past the end are free.
    in_use: Vec<u64>,
    /// No fd below this is free.
    lowest_free: usize,
    limit: usize,
}

impl<D: Clone> Default for FileDescriptions<D> {
    fn default() -> Self {
        Self::new(Rlimits::default().get(crate::rlimit::Resource::Nofile).soft as usize)
    }
}

impl<D: Clone> FileDescriptions<D> {
    /// An empty table allowing fds below `limit`.
    pub const fn new(limit: usize) -> Self {
        Self {
            slots: Vec::new(),
            in_use: Vec::new(),
            lowest_free: 0,
            limit,
        }
    }

    /// Marks slot `index` in use or free in the bitmap (which has a word
    /// for every 64 slots the table has).
    fn mark(&mut self, index: usize, in_use: bool) {
        let (word, bit) = (index / 64, 1u64 << (index % 64));
        if in_use {
            self.in_use[word] |= bit;
        } else {
            self.in_use[word] &= !bit;
            self.lowest_free = self.lowest_free.min(index);
        }
    }

    /// Grows the table to hold slot `index`.
    fn grow_to(&mut self, index: usize) -> KernelResult<()> {
        if index >= self.slots.len() {
            let more = index + 1 - self.slots.len();
            fault_injection::reserve(&mut self.slots, more)?;
            self.slots.resize(index + 1, Slot::Free);
        }
        let words = self.slots.len().div_ceil(64);
        if words > self.in_use.len() {
            let more = words - self.in_use.len();
            fault_injection::reserve(&mut self.in_use, more)?;
            self.in_use.resize(words, 0);
        }
        Ok(())
    }

    /// The lowest free slot at or above `start` (possibly past the end).
    fn first_free_from(&self, start: usize) -> usize {
        let mut word = start / 64;
        // Bits below `start` in its word count as in use.
        let mut taken = self
            .in_use
            .get(word)
            .map_or(0, |&w| w | ((1u64 << (start % 64)) - 1));
        loop {
            if taken != u64::MAX {
                return word * 64 + (!taken).trailing_zeros() as usize;
            }
            word += 1;
            match self.in_use.get(word) {
                Some(&w) => taken = w,
                None => return word * 64,
            }
        }
    }

    /// One more than the highest fd that may be created (`RLIMIT_NOFILE`).
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Change the limit, as `prlimit64(RLIMIT_NOFILE)` does.
    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
    }

    /// Reserve the lowest free fd at or above `first_candidate`; `EMFILE` if
    /// none is below the limit. The slot stays reserved until
    /// [`FileDescriptions::install`] fills it or [`FileDescriptions::unreserve`]
    /// frees it; [`FdReservation`] does both safely.
    pub fn allocate(&mut self, first_candidate: usize) -> KernelResult<Fd> {
        let start = first_candidate.max(self.lowest_free);
        let free = self.first_free_from(start);
        if free >= self.limit {
            return Err(Errno::EMFILE);
        }
        self.grow_to(free)?;
        self.slots[free] = Slot::Reserved;
        self.mark(free, true);
        if start == self.lowest_free {
            // Everything from the old mark up to `free` is in use now.
            self.lowest_free = free + 1;
        }
        Ok(free as Fd)
    }

    /// Fill a slot reserved by [`FileDescriptions::allocate`].
    /// `EBADF` if `fd` is not reserved.
    pub fn install(&mut self, fd: Fd, description: D, cloexec: bool) -> KernelResult<()> {
        let slot = self.slot_mut(fd)?;
        if !matches!(slot, Slot::Reserved) {
            return Err(Errno::EBADF);
        }
        *slot = Slot::Open {
            description,
            cloexec,
        };
        Ok(())
    }

    /// Free a reserved slot that will not be filled (no effect otherwise).
    pub fn unreserve(&mut self, fd: Fd) {
        if let Ok(slot) = self.slot_mut(fd)
            && matches!(slot, Slot::Reserved)
        {
            *slot = Slot::Free;
            self.mark(fd as usize, false);
        }
    }

    /// Install `description` at the lowest free fd: what `open` ends with.
    pub fn open(&mut self, description: D, cloexec: bool) -> KernelResult<Fd> {
        let fd = self.allocate(0)?;
        self.install(fd, description, cloexec)?;
        Ok(fd)
    }

    /// The description behind `fd`; `EBADF` if it is not open.
    pub fn get(&self, fd: Fd) -> KernelResult<&D> {
        match self.slot(fd) {
            Some(Slot::Open { description, .. }) => Ok(description),
            _ => Err(Errno::EBADF),
        }
    }

    /// Whether `FD_CLOEXEC` is set on `fd`; `EBADF` if it is not open.
    pub fn cloexec(&self, fd: Fd) -> KernelResult<bool> {
        match self.slot(fd) {
            Some(Slot::Open { cloexec, .. }) => Ok(*cloexec),
            _ => Err(Errno::EBADF),
        }
    }

    /// Set or clear `FD_CLOEXEC` on `fd`; `EBADF` if it is not open.
    pub fn set_cloexec(&mut self, fd: Fd, value: bool) -> KernelResult<()> {
        match self.slot_mut(fd)? {
            Slot::Open { cloexec, .. } => {
                *cloexec = value;
                Ok(())
            }
            _ => Err(Errno::EBADF),
        }
    }

    /// `close(2)`: free `fd` and return its description for the caller to drop.
    pub fn close(&mut self, fd: Fd) -> KernelResult<D> {
        let slot = self.slot_mut(fd)?;
        if !matches!(slot, Slot::Open { .. }) {
            return Err(Errno::EBADF);
        }
        let old = core::mem::replace(slot, Slot::Free);
        self.mark(fd as usize, false);
        match old {
            Slot::Open { description, .. } => Ok(description),
            // Checked just above.
            _ => Err(Errno::EBADF),
        }
    }

    /// `dup(2)`: the lowest free fd now refers to `fd`'s description, without
    /// `FD_CLOEXEC`.
    pub fn dup(&mut self, fd: Fd) -> KernelResult<Fd> {
        self.dup_from(fd, 0, false)
    }

    /// `F_DUPFD`/`F_DUPFD_CLOEXEC`: duplicate to the lowest free fd at or above
    /// `min`. `EINVAL` if `min` is not below the limit, `EMFILE` if none is free.
    pub fn dup_from(&mut self, fd: Fd, min: u64, cloexec: bool) -> KernelResult<Fd> {
        let description = self.get(fd)?.clone();
        if min >= self.limit as u64 {
            return Err(Errno::EINVAL);
        }
        let new_fd = self.allocate(min as usize)?;
        self.install(new_fd, description, cloexec)?;
        Ok(new_fd)
    }

    /// `dup2(2)`: make `new_fd` refer to `old_fd`'s description, closing
    /// whatever `new_fd` held (returned for the caller to drop). Same fd:
    /// returns it untouched once `old_fd` is known open. `EBADF` for a closed
    /// `old_fd` or a `new_fd` outside `0..limit`; `EBUSY` if `new_fd` is
    /// reserved by an `open` in progress (as Linux).
    pub fn dup2(&mut self, old_fd: Fd, new_fd: Fd) -> KernelResult<(Fd, Option<D>)> {
        if old_fd == new_fd {
            self.get(old_fd)?;
            return Ok((new_fd, None));
        }
        self.dup_to(old_fd, new_fd, false)
    }

    /// `dup3(2)`: like `dup2` but `EINVAL` for equal fds or flags other than
    /// `O_CLOEXEC`, which sets `FD_CLOEXEC` on `new_fd`.
    pub fn dup3(&mut self, old_fd: Fd, new_fd: Fd, flags: u32) -> KernelResult<(Fd, Option<D>)> {
        if flags & !O_CLOEXEC != 0 || old_fd == new_fd {
            return Err(Errno::EINVAL);
        }
        self.dup_to(old_fd, new_fd, flags & O_CLOEXEC != 0)
    }

    fn dup_to(&mut self, old_fd: Fd, new_fd: Fd, cloexec: bool) -> KernelResult<(Fd, Option<D>)> {
        let description = self.get(old_fd)?.clone();
        let index = usize::try_from(new_fd).map_err(|_| Errno::EBADF)?;
        if index >= self.limit {
            return Err(Errno::EBADF);
        }
        self.grow_to(index)?;
        if matches!(self.slots[index], Slot::Reserved) {
            return Err(Errno::EBUSY);
        }
        self.mark(index, true);
        let old = core::mem::replace(
            &mut self.slots[index],
            Slot::Open {
                description,
                cloexec,
            },
        );
        let replaced = match old {
            Slot::Open { description, .. } => Some(description),
            _ => None,
        };
        Ok((new_fd, replaced))
    }

    /// The descriptor-level `fcntl` commands: `F_DUPFD`, `F_DUPFD_CLOEXEC`,
    /// `F_GETFD`, `F_SETFD`. The syscall layer routes `F_GETFL`/`F_SETFL` and
    /// the lock commands to the description first; anything else is `EINVAL`.
    pub fn fcntl(&mut self, fd: Fd, cmd: u32, arg: u64) -> KernelResult<Fd> {
        match cmd {
            F_DUPFD => self.dup_from(fd, arg, false),
            F_DUPFD_CLOEXEC => self.dup_from(fd, arg, true),
            F_GETFD => Ok(if self.cloexec(fd)? {
                FD_CLOEXEC as Fd
            } else {
                0
            }),
            F_SETFD => self
                .set_cloexec(fd, arg & u64::from(FD_CLOEXEC) != 0)
                .map(|()| 0),
            _ => Err(Errno::EINVAL),
        }
    }

    /// How many fds are open (reserved slots do not count).
    pub fn open_count(&self) -> usize {
        self.slots
            .iter()
            .filter(|s| matches!(s, Slot::Open { .. }))
            .count()
    }

    /// Every open fd, in increasing order (for procfs's `fd/` directory).
    pub fn enumerate(&self) -> impl Iterator<Item = OpenFd<'_, D>> {
        self.slots.iter().enumerate().filter_map(|(i, s)| match s {
            Slot::Open {
                description,
                cloexec,
            } => Some(OpenFd {
                fd: i as Fd,
                description,
                cloexec: *cloexec,
            }),
            _ => None,
        })
    }

    /// The table a forked child starts with: the same descriptions at the same
    /// numbers with the same flags; slots reserved by an unfinished `open` in
    /// the parent are free in the child.
    pub fn fork_copy(&self) -> KernelResult<Self> {
        let mut slots = Vec::new();
        fault_injection::reserve_exact(&mut slots, self.slots.len())?;
        slots.extend(self.slots.iter().map(|s| match s {
            Slot::Reserved => Slot::Free,
            other => other.clone(),
        }));
        let mut in_use = Vec::new();
        fault_injection::reserve_exact(&mut in_use, self.in_use.len())?;
        in_use.resize(self.in_use.len(), 0);
        for (index, _) in slots
            .iter()
            .enumerate()
            .filter(|(_, s)| matches!(s, Slot::Open { .. }))
        {
            in_use[index / 64] |= 1 << (index % 64);
        }
        Ok(Self {
            slots,
            in_use,
            // Reserved slots became free; the scan finds the lowest.
            lowest_free: 0,
            limit: self.limit,
        })
    }

    /// Close every `FD_CLOEXEC` fd, as `execve` does; returns the descriptions.
    pub fn close_on_exec(&mut self) -> Vec<D> {
        let mut closed = Vec::new();
        for index in 0..self.slots.len() {
            if matches!(self.slots[index], Slot::Open { cloexec: true, .. })
                && let Slot::Open { description, .. } =
                    core::mem::replace(&mut self.slots[index], Slot::Free)
            {
                closed.push(description);
                self.mark(index, false);
            }
        }
        closed
    }

    /// Close everything, as process exit does; returns the descriptions.
    pub fn clear(&mut self) -> Vec<D> {
        self.in_use.clear();
        self.lowest_free = 0;
        core::mem::take(&mut self.slots)
            .into_iter()
            .filter_map(|s| match s {
                Slot::Open { description, .. } => Some(description),
                _ => None,
            })
            .collect()
    }

    fn slot(&self, fd: Fd) -> Option<&Slot<D>> {
        usize::try_from(fd).ok().and_then(|i| self.slots.get(i))
    }

    fn slot_mut(&mut self, fd: Fd) -> KernelResult<&mut Slot<D>> {
        usize::try_from(fd)
            .ok()
            .and_then(|i| self.slots.get_mut(i))
            .ok_or(Errno::EBADF)
    }
}

/// A reserved fd number that is released when dropped unless committed
/// (SerenityOS's `ScopedDescriptionAllocation`).
///
/// Reserving takes the table's lock only briefly, so the slow part of `open`
/// (path resolution, device open) runs without it while no other thread can
/// take the number.
#[must_use = "a reservation is released when dropped"]
pub struct FdReservation<'a, D: Clone> {
    table: &'a RankedMutex<FileDescriptions<D>>,
    fd: Fd,
    committed: bool,
}

impl<'a, D: Clone> FdReservation<'a, D> {
    /// Reserve the lowest free fd at or above `first_candidate` (`EMFILE` if none).
    pub fn reserve(
        table: &'a RankedMutex<FileDescriptions<D>>,
        first_candidate: usize,
    ) -> KernelResult<Self> {
        let fd = table.lock().allocate(first_candidate)?;
        Ok(Self {
            table,
            fd,
            committed: false,
        })
    }

    /// The reserved number.
    pub fn fd(&self) -> Fd {
        self.fd
    }

    /// Install `description` in the reserved slot and return its fd.
    pub fn commit(mut self, description: D, cloexec: bool) -> Fd {
        // The slot stays reserved while this guard lives: only this guard
        // can fill or free it (close and dup2 refuse reserved slots).
        let installed = self.table.lock().install(self.fd, description, cloexec);
        self.committed = installed.is_ok();
        self.fd
    }
}

impl<D: Clone> Drop for FdReservation<'_, D> {
    fn drop(&mut self) {
        if !self.committed {
            self.table.lock().unreserve(self.fd);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Table = FileDescriptions<&'static str>;

    fn table_with(names: &[&'static str]) -> Table {
        let mut t = Table::new(16);
        for n in names {
            t.open(n, false).unwrap();
        }
        t
    }

    #[test]
    fn open_takes_lowest_free_fd() {
        let mut t = table_with(&["in", "out", "err"]);
        t.close(1).unwrap();
        assert_eq!(t.open("new", false), Ok(1));
        assert_eq!(t.open("next", false), Ok(3));
        assert_eq!(t.open_count(), 4);
    }

    #[test]
    fn the_lowest_free_fd_is_found_across_bitmap_words() {
        let mut t: Table = FileDescriptions::new(1000);
        for i in 0..200 {
            assert_eq!(t.open("x", i % 3 == 0), Ok(i));
        }
        t.close(130).unwrap();
        t.close(65).unwrap();
        assert_eq!(t.open("y", false), Ok(65));
        assert_eq!(t.open("y", false), Ok(130));
        assert_eq!(t.open("y", false), Ok(200));
        assert_eq!(t.dup_from(0, 64, false), Ok(201), "F_DUPFD above 64");
        // exec closes every third; the holes are found lowest first.
        assert_eq!(t.close_on_exec().len(), 67);
        assert_eq!(t.open("z", false), Ok(0));
        assert_eq!(t.open("z", false), Ok(3));
        let child = t.fork_copy().unwrap();
        assert_eq!(child.open_count(), t.open_count());
        let (fd, _) = t.dup2(1, 999).unwrap();
        assert_eq!(fd, 999);
        assert_eq!(t.dup_from(1, 998, false), Ok(998));
        assert_eq!(t.dup_from(1, 998, false), Err(Errno::EMFILE));
    }

    proptest::proptest! {
        /// Whatever happens to the table, `open` takes the lowest fd that
        /// a slot-by-slot scan would.
        #[test]
        fn open_agrees_with_a_plain_scan(ops in proptest::collection::vec((0u8..4, 0i32..150), 1..200)) {
            let mut t: Table = FileDescriptions::new(150);
            for (op, fd) in ops {
                match op {
                    0 => { let _ = t.open("o", fd % 2 == 0); }
                    1 => { let _ = t.close(fd); }
                    2 => { let _ = t.dup2(0, fd); }
                    _ => { let _ = t.close_on_exec(); }
                }
                let expected = (0..150).find(|&i| t.get(i).is_err());
                let got = t.open("probe", false).ok();
                proptest::prop_assert_eq!(got, expected);
                if let Some(fd) = got {
                    t.close(fd).unwrap();
                }
                let mut copy = t.fork_copy().unwrap();
                proptest::prop_assert_eq!(copy.open("probe", false).ok(), expected);
            }
        }
    }

    #[test]
    fn open_past_limit_is_emfile() {
        let mut t = Table::new(2);
        t.open("a", false).unwrap();
        t.open("b", false).unwrap();
        assert_eq!(t.open("c", false), Err(Errno::EMFILE));
        t.set_limit(3);
        assert_eq!(t.open("c", false), Ok(2));
    }

    #[test]
    fn closed_or_negative_fd_is_ebadf() {
        let mut t = table_with(&["a"]);
        assert_eq!(t.get(-1), Err(Errno::EBADF));
        assert_eq!(t.get(5), Err(Errno::EBADF));
        assert_eq!(t.close(0), Ok("a"));
        assert_eq!(t.close(0), Err(Errno::EBADF));
    }

    #[test]
    fn dup2_same_fd_returns_it_and_checks_validity() {
        let mut t = table_with(&["a"]);
        assert_eq!(t.dup2(0, 0), Ok((0, None)));
        assert_eq!(t.dup2(4, 4), Err(Errno::EBADF));
    }

    #[test]
    fn dup2_replaces_target_and_clears_cloexec() {
        let mut t = table_with(&["a", "b"]);
        t.set_cloexec(1, true).unwrap();
        assert_eq!(t.dup2(0, 1), Ok((1, Some("b"))));
        assert_eq!(t.get(1), Ok(&"a"));
        assert_eq!(t.cloexec(1), Ok(false));
        assert_eq!(t.dup2(0, 9), Ok((9, None)));
        assert_eq!(t.dup2(0, 16), Err(Errno::EBADF));
        assert_eq!(t.dup2(0, -1), Err(Errno::EBADF));
        assert_eq!(t.dup2(7, 1), Err(Errno::EBADF));
    }

    #[test]
    fn dup3_rejects_same_fd_and_unknown_flags() {
        let mut t = table_with(&["a"]);
        assert_eq!(t.dup3(0, 0, 0), Err(Errno::EINVAL));
        assert_eq!(t.dup3(0, 1, 1), Err(Errno::EINVAL));
        assert_eq!(t.dup3(0, 1, O_CLOEXEC), Ok((1, None)));
        assert_eq!(t.cloexec(1), Ok(true));
    }

    #[test]
    fn dup2_onto_reserved_slot_is_ebusy() {
        let mut t = table_with(&["a"]);
        let reserved = t.allocate(0).unwrap();
        assert_eq!(reserved, 1);
        assert_eq!(t.dup2(0, 1), Err(Errno::EBUSY));
        assert_eq!(t.close(1), Err(Errno::EBADF));
    }

    #[test]
    fn fcntl_dupfd_and_flags() {
        let mut t = table_with(&["a"]);
        assert_eq!(t.fcntl(0, F_DUPFD, 5), Ok(5));
        assert_eq!(t.fcntl(0, F_DUPFD_CLOEXEC, 5), Ok(6));
        assert_eq!(t.fcntl(6, F_GETFD, 0), Ok(FD_CLOEXEC as Fd));
        assert_eq!(t.fcntl(6, F_SETFD, 0), Ok(0));
        assert_eq!(t.fcntl(6, F_GETFD, 0), Ok(0));
        assert_eq!(t.fcntl(0, F_DUPFD, 16), Err(Errno::EINVAL));
        assert_eq!(t.fcntl(0, F_DUPFD, u64::MAX), Err(Errno::EINVAL));
        assert_eq!(t.fcntl(3, F_GETFD, 0), Err(Errno::EBADF));
        assert_eq!(t.fcntl(0, F_GETFL, 0), Err(Errno::EINVAL));
    }

    #[test]
    fn exec_closes_only_cloexec_fds() {
        let mut t = table_with(&["a", "b", "c"]);
        t.set_cloexec(1, true).unwrap();
        assert_eq!(t.close_on_exec(), alloc::vec!["b"]);
        let open: Vec<Fd> = t.enumerate().map(|o| o.fd).collect();
        assert_eq!(open, [0, 2]);
    }

    #[test]
    fn reservation_is_released_unless_committed() {
        let table = RankedMutex::new(Rank::Descriptors, table_with(&["a"]));
        {
            let r = FdReservation::reserve(&table, 0).unwrap();
            assert_eq!(r.fd(), 1);
            assert_eq!(table.lock().open("x", false), Ok(2));
        }
        assert_eq!(table.lock().open("y", false), Ok(1));
        let r = FdReservation::reserve(&table, 0).unwrap();
        assert_eq!(r.commit("z", true), 3);
        assert_eq!(table.lock().get(3), Ok(&"z"));
        assert_eq!(table.lock().cloexec(3), Ok(true));
    }

    #[test]
    fn fork_copy_keeps_numbers_and_frees_reservations() {
        let mut t = table_with(&["a", "b"]);
        t.set_cloexec(1, true).unwrap();
        t.allocate(0).unwrap();
        let child = t.fork_copy().unwrap();
        assert_eq!(child.get(1), Ok(&"b"));
        assert_eq!(child.cloexec(1), Ok(true));
        let mut child = child;
        assert_eq!(child.open("c", false), Ok(2));
    }

    proptest::proptest! {
        #[test]
        fn open_always_returns_lowest_free(ops in proptest::collection::vec((proptest::bool::ANY, 0i32..8), 0..64)) {
            let mut t = Table::new(8);
            let mut model = [false; 8];
            for (is_open, fd) in ops {
                if is_open {
                    let expected = model.iter().position(|o| !o);
                    match t.open("f", false) {
                        Ok(got) => {
                            proptest::prop_assert_eq!(Some(got as usize), expected);
                            model[got as usize] = true;
                        }
                        Err(e) => {
                            proptest::prop_assert_eq!(e, Errno::EMFILE);
                            proptest::prop_assert_eq!(expected, None);
                        }
                    }
                } else {
                    let result = t.close(fd);
                    proptest::prop_assert_eq!(result.is_ok(), model[fd as usize]);
                    model[fd as usize] = false;
                }
                proptest::prop_assert_eq!(t.open_count(), model.iter().filter(|o| **o).count());
            }
        }
    }
}
