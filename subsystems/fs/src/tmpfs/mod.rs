//! tmpfs: a file system that lives in memory. Also the backing store of
//! devfs and the unpacked initramfs.
//!
//! Each inode keeps its metadata and contents in one `lock::Mutex`. Every
//! change to directory entries (create, link, unlink, rmdir, rename) first
//! takes the file system's namespace mutex and then holds at most one inode
//! mutex at a time, so no two inode locks are ever nested and rename's
//! "is the target inside the source" walk sees a tree that cannot move.
//! Reads and writes of file data take only that inode's mutex.
//!
//! Directories own their children through `Arc`; children point back with
//! `Weak`. An inode is freed when its last link is gone and no open file
//! description or custody holds it.

mod directory;
mod sparse;

use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::any::Any;
use core::sync::atomic::{AtomicU64, Ordering};

use abi::{Errno, KernelResult};
use lock::Mutex;

use crate::clock::Clock;
use crate::device::CharacterDevice;
use crate::inode::{DirEntry, FileSystem, Inode, InodeId, Owner, RenameMode, TimeChange};
use crate::types::{FileType, Stat, Timespec, mode};
use crate::xattr::ExtendedAttributes;

use directory::Directory;
pub use sparse::{MAX_FILE_SIZE, PAGE_SIZE, SparseData};

/// Inode number of every tmpfs root (as on Linux's tmpfs... and ext2).
pub const ROOT_INO: u64 = 1;

/// What the whole file system shares: identity, clock, inode numbers and the
/// namespace mutex.
struct Shared {
    dev: u64,
    clock: Arc<dyn Clock>,
    next_ino: AtomicU64,
    namespace: Mutex<()>,
}

impl Shared {
    fn now(&self) -> Timespec {
        self.clock.now()
    }
}

/// A tmpfs instance.
pub struct Tmpfs {
    shared: Arc<Shared>,
    root: Arc<TmpfsInode>,
    name: &'static str,
}

impl Tmpfs {
    /// A new empty tmpfs whose `st_dev` is `dev`, with a root directory of
    /// mode `0o755` owned by root, time-stamped by `clock`.
    pub fn new(dev: u64, clock: Arc<dyn Clock>) -> Arc<Tmpfs> {
        Tmpfs::with_name("tmpfs", dev, clock)
    }

    /// As [`Tmpfs::new`], for a file system built on tmpfs that has its own
    /// name in `/proc/mounts` (`devtmpfs`, `devpts`).
    pub fn with_name(name: &'static str, dev: u64, clock: Arc<dyn Clock>) -> Arc<Tmpfs> {
        let shared = Arc::new(Shared {
            dev,
            clock,
            next_ino: AtomicU64::new(ROOT_INO + 1),
            namespace: Mutex::new(()),
        });
        let now = shared.now();
        let root = Arc::new_cyclic(|this: &Weak<TmpfsInode>| TmpfsInode {
            ino: ROOT_INO,
            kind: FileType::Directory,
            shared: shared.clone(),
            this: this.clone(),
            state: Mutex::new(State {
                meta: Meta::new(mode::S_IFDIR | 0o755, Owner::default(), 2, 0, now),
                content: Content::Directory(Box::new(Directory::new(this.clone()))),
                seals: crate::inode::F_SEAL_SEAL,
                xattrs: None,
            }),
        });
        Arc::new(Tmpfs { shared, root, name })
    }

    /// The root directory as its concrete type (to add device nodes).
    pub fn root_inode(&self) -> &Arc<TmpfsInode> {
        &self.root
    }

    /// The device number given at creation.
    pub fn dev(&self) -> u64 {
        self.shared.dev
    }
}

impl FileSystem for Tmpfs {
    fn root(&self) -> Arc<dyn Inode> {
        self.root.clone()
    }

    fn name(&self) -> &'static str {
        self.name
    }

    fn create_unnamed(
        &self,
        perm: u32,
        owner: Owner,
        sealable: bool,
    ) -> KernelResult<Arc<dyn Inode>> {
        let content = Content::Regular(crate::file_pages::new_file_pages()?);
        let file = self
            .root
            .new_child(FileType::Regular, perm, owner, 0, content);
        file.with_state(|state| {
            state.meta.nlink = 0;
            if sealable {
                state.seals = 0;
            }
        });
        Ok(file)
    }
}

/// Ownership, permissions, link count and times.
struct Meta {
    mode: u32,
    uid: u32,
    gid: u32,
    nlink: u64,
    rdev: u64,
    atime: Timespec,
    mtime: Timespec,
    ctime: Timespec,
}

impl Meta {
    fn new(mode: u32, owner: Owner, nlink: u64, rdev: u64, now: Timespec) -> Meta {
        Meta {
            mode,
            uid: owner.uid,
            gid: owner.gid,
            nlink,
            rdev,
            atime: now,
            mtime: now,
            ctime: now,
        }
    }
}

enum Content {
    /// A regular file: its pages (the kernel's page cache, or the heap).
    Regular(Arc<dyn crate::file_pages::FilePages>),
    Directory(Box<Directory<TmpfsInode>>),
    Symlink(String),
    /// A character device node; `None` when nothing is attached (`ENXIO`).
    Device(Option<Arc<dyn CharacterDevice>>),
    /// A FIFO: its pipe, made on the first open.
    Fifo(Option<Arc<crate::pipe::Pipe>>),
    /// Sockets and block nodes: names only, for now.
    Special,
}

struct State {
    meta: Meta,
    content: Content,
    /// `F_SEAL_*` bits; every file starts with `F_SEAL_SEAL` except a
    /// sealable unnamed one (`memfd_create(MFD_ALLOW_SEALING)`).
    seals: u32,
    /// Extended attributes, made on the first one set.
    xattrs: Option<Box<ExtendedAttributes>>,
}

impl State {
    /// `EPERM` if the seals forbid a write of `len` bytes at `offset`.
    fn check_write(&self, offset: u64, len: usize, size: u64) -> KernelResult<()> {
        use crate::inode::{F_SEAL_FUTURE_WRITE, F_SEAL_GROW, F_SEAL_WRITE};
        let past_end = offset.saturating_add(len as u64) > size;
        if self.seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE) != 0
            || (self.seals & F_SEAL_GROW != 0 && past_end)
        {
            return Err(Errno::EPERM);
        }
        Ok(())
    }

    fn directory(&self) -> KernelResult<&Directory<TmpfsInode>> {
        match &self.content {
            Content::Directory(dir) => Ok(dir),
            _ => Err(Errno::ENOTDIR),
        }
    }

    fn directory_mut(&mut self) -> KernelResult<&mut Directory<TmpfsInode>> {
        match &mut self.content {
            Content::Directory(dir) => Ok(dir),
            _ => Err(Errno::ENOTDIR),
        }
    }

    /// Directories being removed have no links; nothing may be added to them.
    fn live_directory_mut(&mut self) -> KernelResult<&mut Directory<TmpfsInode>> {
        if self.meta.nlink == 0 {
            return Err(Errno::ENOENT);
        }
        self.directory_mut()
    }

    fn touch_modified(&mut self, now: Timespec) {
        self.meta.mtime = now;
        self.meta.ctime = now;
    }
}

/// `EFBIG` if `len` bytes at `offset` would end past the largest file.
fn check_file_size(offset: u64, len: usize) -> KernelResult<()> {
    match offset.checked_add(len as u64) {
        Some(end) if end <= MAX_FILE_SIZE => Ok(()),
        _ => Err(Errno::EFBIG),
    }
}

/// A tmpfs inode.
pub struct TmpfsInode {
    ino: u64,
    kind: FileType,
    shared: Arc<Shared>,
    this: Weak<TmpfsInode>,
    state: Mutex<State>,
}

impl TmpfsInode {
    fn new_child(
        &self,
        kind: FileType,
        perm: u32,
        owner: Owner,
        rdev: u64,
        content: Content,
    ) -> Arc<TmpfsInode> {
        let now = self.shared.now();
        let nlink = if kind == FileType::Directory { 2 } else { 1 };
        let ino = self.shared.next_ino.fetch_add(1, Ordering::Relaxed);
        Arc::new_cyclic(|this| TmpfsInode {
            ino,
            kind,
            shared: self.shared.clone(),
            this: this.clone(),
            state: Mutex::new(State {
                meta: Meta::new(
                    kind.mode_bits() | (perm & mode::PERMISSION_MASK),
                    owner,
                    nlink,
                    rdev,
                    now,
                ),
                content,
                seals: crate::inode::F_SEAL_SEAL,
                xattrs: None,
            }),
        })
    }

    /// Adds a new child under the namespace mutex.
    fn insert_new(
        &self,
        name: &str,
        kind: FileType,
        perm: u32,
        owner: Owner,
        rdev: u64,
        content: Content,
    ) -> KernelResult<Arc<TmpfsInode>> {
        let _namespace = self.shared.namespace.lock();
        let mut state = self.state.lock();
        let dir = state.live_directory_mut()?;
        if dir.get(name).is_some() {
            return Err(Errno::EEXIST);
        }
        let content = match content {
            Content::Directory(_) => {
                Content::Directory(Box::new(Directory::new(self.this.clone())))
            }
            other => other,
        };
        let child = self.new_child(kind, perm, owner, rdev, content);
        dir.insert(name, child.clone());
        if kind == FileType::Directory {
            state.meta.nlink += 1;
        }
        state.touch_modified(self.shared.now());
        Ok(child)
    }

    /// Creates a character-device node `name` in this directory that opens
    /// `device` (devfs and drivers use it; `mknod` makes nodes without one).
    pub fn create_device_node(
        &self,
        name: &str,
        perm: u32,
        rdev: u64,
        device: Arc<dyn CharacterDevice>,
    ) -> KernelResult<Arc<TmpfsInode>> {
        self.insert_new(
            name,
            FileType::CharDevice,
            perm,
            Owner::default(),
            rdev,
            Content::Device(Some(device)),
        )
    }

    fn entry(&self, name: &str) -> KernelResult<Arc<TmpfsInode>> {
        let state = self.state.lock();
        state.directory()?.get(name).cloned().ok_or(Errno::ENOENT)
    }

    fn same_fs(&self, other: &TmpfsInode) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    fn downcast(&self, inode: &Arc<dyn Inode>) -> KernelResult<Arc<TmpfsInode>> {
        let inode = inode
            .clone()
            .into_any()
            .downcast::<TmpfsInode>()
            .map_err(|_| Errno::EXDEV)?;
        if self.same_fs(&inode) {
            Ok(inode)
        } else {
            Err(Errno::EXDEV)
        }
    }

    fn parent(&self) -> Option<Arc<TmpfsInode>> {
        let state = self.state.lock();
        state.directory().ok()?.parent.upgrade()
    }

    fn is_empty_directory(&self) -> bool {
        let state = self.state.lock();
        state.directory().map(|dir| dir.is_empty()).unwrap_or(false)
    }

    fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut self.state.lock())
    }

    /// Whether `self` is `ancestor` or lies below it. Called under the
    /// namespace mutex, so parents do not move during the walk.
    fn is_within(&self, ancestor: &TmpfsInode) -> bool {
        if self.ino == ancestor.ino {
            return true;
        }
        let mut current = self.parent();
        while let Some(dir) = current {
            if dir.ino == ancestor.ino {
                return true;
            }
            if dir.ino == ROOT_INO {
                return false;
            }
            current = dir.parent();
        }
        false
    }

    /// A rename's move: `source` (entry `old_name` of `self`) becomes
    /// `new_name` of `new_dir`, replacing a compatible `target`. Under the
    /// namespace lock.
    fn move_entry(
        &self,
        old_name: &str,
        new_dir: &Arc<TmpfsInode>,
        new_name: &str,
        source: Arc<TmpfsInode>,
        target: Option<Arc<TmpfsInode>>,
        now: Timespec,
    ) -> KernelResult<()> {
        if let Some(target) = &target {
            // Two names of one inode: Linux does nothing and succeeds.
            if Arc::ptr_eq(&source, target) {
                return Ok(());
            }
        }
        let source_is_dir = source.kind == FileType::Directory;
        if source_is_dir && new_dir.is_within(&source) {
            return Err(Errno::EINVAL);
        }
        if let Some(target) = &target {
            match (source_is_dir, target.kind == FileType::Directory) {
                (true, false) => return Err(Errno::ENOTDIR),
                (false, true) => return Err(Errno::EISDIR),
                (true, true) if !target.is_empty_directory() => return Err(Errno::ENOTEMPTY),
                _ => {}
            }
            // Drop the replaced name first; its inode lives on while open.
            new_dir.with_state(|state| {
                if let Ok(dir) = state.directory_mut() {
                    dir.remove(new_name);
                }
                if target.kind == FileType::Directory {
                    state.meta.nlink -= 1;
                }
            });
            target.with_state(|state| {
                state.meta.nlink = if target.kind == FileType::Directory {
                    0
                } else {
                    state.meta.nlink - 1
                };
                state.meta.ctime = now;
            });
        }
        let moves_between_directories = self.ino != new_dir.ino;
        self.with_state(|state| {
            if let Ok(dir) = state.directory_mut() {
                dir.remove(old_name);
            }
            if source_is_dir && moves_between_directories {
                state.meta.nlink -= 1;
            }
            state.touch_modified(now);
        });
        new_dir.with_state(|state| {
            if let Ok(dir) = state.directory_mut() {
                dir.insert(new_name, source.clone());
            }
            if source_is_dir && moves_between_directories {
                state.meta.nlink += 1;
            }
            state.touch_modified(now);
        });
        source.with_state(|state| {
            if let Content::Directory(dir) = &mut state.content {
                dir.parent = Arc::downgrade(new_dir);
            }
            state.meta.ctime = now;
        });
        Ok(())
    }

    /// `RENAME_EXCHANGE`: `source` (entry `old_name` of `self`) and
    /// `target` (entry `new_name` of `new_dir`) swap names, whatever their
    /// types; neither may end up inside itself. Under the namespace lock.
    fn exchange(
        &self,
        old_name: &str,
        new_dir: &Arc<TmpfsInode>,
        new_name: &str,
        source: Arc<TmpfsInode>,
        target: Arc<TmpfsInode>,
        now: Timespec,
    ) -> KernelResult<()> {
        if Arc::ptr_eq(&source, &target) {
            return Ok(());
        }
        let source_is_dir = source.kind == FileType::Directory;
        let target_is_dir = target.kind == FileType::Directory;
        if (source_is_dir && new_dir.is_within(&source))
            || (target_is_dir && self.is_within(&target))
        {
            return Err(Errno::EINVAL);
        }
        let this = self.this.upgrade().ok_or(Errno::ENOENT)?;
        // A directory's `..` is a link to its parent: a swap between two
        // directories moves one link each way when only one is a directory.
        let between = self.ino != new_dir.ino;
        let (into_new, into_old) = (u64::from(source_is_dir), u64::from(target_is_dir));
        self.with_state(|state| {
            if let Ok(dir) = state.directory_mut() {
                dir.replace(old_name, target.clone());
            }
            if between {
                state.meta.nlink = state.meta.nlink + into_old - into_new;
            }
            state.touch_modified(now);
        });
        new_dir.with_state(|state| {
            if let Ok(dir) = state.directory_mut() {
                dir.replace(new_name, source.clone());
            }
            if between {
                state.meta.nlink = state.meta.nlink + into_new - into_old;
            }
            state.touch_modified(now);
        });
        for (moved, parent) in [(&source, new_dir), (&target, &this)] {
            moved.with_state(|state| {
                if let Content::Directory(dir) = &mut state.content {
                    dir.parent = Arc::downgrade(parent);
                }
                state.meta.ctime = now;
            });
        }
        Ok(())
    }
}

impl Inode for TmpfsInode {
    fn id(&self) -> InodeId {
        InodeId {
            dev: self.shared.dev,
            ino: self.ino,
        }
    }

    fn file_type(&self) -> FileType {
        self.kind
    }

    fn stat(&self) -> Stat {
        let state = self.state.lock();
        let meta = &state.meta;
        let (size, blocks) = match &state.content {
            Content::Regular(data) => (data.size(), data.blocks()),
            // Linux's tmpfs reports 20 bytes per entry, counting . and ..
            Content::Directory(dir) => ((dir.len() as u64 + 2) * 20, 0),
            Content::Symlink(target) => (target.len() as u64, 0),
            Content::Device(_) | Content::Fifo(_) | Content::Special => (0, 0),
        };
        let mut stat = Stat {
            dev: self.shared.dev,
            ino: self.ino,
            nlink: meta.nlink,
            mode: meta.mode,
            uid: meta.uid,
            gid: meta.gid,
            rdev: meta.rdev,
            size: size as i64,
            blksize: PAGE_SIZE as i64,
            blocks: blocks as i64,
            ..Stat::default()
        };
        stat.set_times(meta.atime, meta.mtime, meta.ctime);
        stat
    }

    fn file_pages(&self) -> Option<Arc<dyn crate::file_pages::FilePages>> {
        match &self.state.lock().content {
            Content::Regular(pages) => Some(pages.clone()),
            _ => None,
        }
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> KernelResult<usize> {
        let now = self.shared.now();
        let mut state = self.state.lock();
        let read = match &state.content {
            Content::Regular(data) => data.read(offset, buf),
            Content::Directory(_) => return Err(Errno::EISDIR),
            _ => return Err(Errno::EINVAL),
        };
        state.meta.atime = now;
        Ok(read)
    }

    fn write_at(&self, offset: u64, buf: &[u8]) -> KernelResult<usize> {
        let now = self.shared.now();
        let mut state = self.state.lock();
        let size = match &state.content {
            Content::Regular(data) => data.size(),
            _ => 0,
        };
        state.check_write(offset, buf.len(), size)?;
        check_file_size(offset, buf.len())?;
        let written = match &mut state.content {
            Content::Regular(data) => data.write(offset, buf)?,
            Content::Directory(_) => return Err(Errno::EISDIR),
            _ => return Err(Errno::EINVAL),
        };
        state.touch_modified(now);
        Ok(written)
    }

    fn append(&self, buf: &[u8]) -> KernelResult<(usize, u64)> {
        let now = self.shared.now();
        let mut state = self.state.lock();
        let seals_allow = |end| state.check_write(end, buf.len(), end);
        if let Content::Regular(data) = &state.content {
            seals_allow(data.size())?;
        }
        let (written, end) = match &mut state.content {
            Content::Regular(data) => {
                let end = data.size();
                check_file_size(end, buf.len())?;
                let written = data.write(end, buf)?;
                (written, end + written as u64)
            }
            Content::Directory(_) => return Err(Errno::EISDIR),
            _ => return Err(Errno::EINVAL),
        };
        state.touch_modified(now);
        Ok((written, end))
    }

    fn truncate(&self, size: u64) -> KernelResult<()> {
        let now = self.shared.now();
        let mut state = self.state.lock();
        if let Content::Regular(data) = &state.content {
            use crate::inode::{F_SEAL_GROW, F_SEAL_SHRINK};
            let current = data.size();
            if (size < current && state.seals & F_SEAL_SHRINK != 0)
                || (size > current && state.seals & F_SEAL_GROW != 0)
            {
                return Err(Errno::EPERM);
            }
        }
        if size > MAX_FILE_SIZE {
            return Err(Errno::EFBIG);
        }
        match &mut state.content {
            Content::Regular(data) => data.truncate(size)?,
            Content::Directory(_) => return Err(Errno::EISDIR),
            _ => return Err(Errno::EINVAL),
        }
        state.touch_modified(now);
        Ok(())
    }

    fn entries_version(&self) -> Option<u64> {
        self.state.lock().directory().ok().map(|dir| dir.version())
    }

    fn lookup(&self, name: &str) -> KernelResult<Arc<dyn Inode>> {
        Ok(self.entry(name)?)
    }

    fn seals(&self) -> KernelResult<u32> {
        match self.kind {
            FileType::Regular => Ok(self.state.lock().seals),
            _ => Err(Errno::EINVAL),
        }
    }

    fn get_xattr(&self, name: &[u8]) -> KernelResult<Vec<u8>> {
        match &self.state.lock().xattrs {
            Some(xattrs) => xattrs.get(name),
            None => Err(Errno::ENODATA),
        }
    }

    fn set_xattr(&self, name: &[u8], value: &[u8], flags: u32) -> KernelResult<()> {
        let now = self.shared.now();
        let mut state = self.state.lock();
        state
            .xattrs
            .get_or_insert_with(Default::default)
            .set(name, value, flags)?;
        state.meta.ctime = now;
        Ok(())
    }

    fn remove_xattr(&self, name: &[u8]) -> KernelResult<()> {
        let now = self.shared.now();
        let mut state = self.state.lock();
        state.xattrs.as_mut().ok_or(Errno::ENODATA)?.remove(name)?;
        state.meta.ctime = now;
        Ok(())
    }

    fn list_xattrs(&self, visible: &dyn Fn(&[u8]) -> bool) -> KernelResult<Vec<u8>> {
        Ok(self
            .state
            .lock()
            .xattrs
            .as_ref()
            .map(|xattrs| xattrs.list(visible))
            .unwrap_or_default())
    }

    fn add_seals(&self, seals: u32) -> KernelResult<()> {
        use crate::inode::{F_SEAL_ALL, F_SEAL_SEAL};
        if self.kind != FileType::Regular || seals & !F_SEAL_ALL != 0 {
            return Err(Errno::EINVAL);
        }
        let mut state = self.state.lock();
        if state.seals & F_SEAL_SEAL != 0 {
            return Err(Errno::EPERM);
        }
        state.seals |= seals;
        Ok(())
    }

    fn create(
        &self,
        name: &str,
        kind: FileType,
        perm: u32,
        owner: Owner,
        rdev: u64,
    ) -> KernelResult<Arc<dyn Inode>> {
        let content = match kind {
            FileType::Regular => Content::Regular(crate::file_pages::new_file_pages()?),
            FileType::Directory => Content::Directory(Box::new(Directory::new(Weak::new()))),
            FileType::CharDevice => Content::Device(None),
            FileType::Symlink => return Err(Errno::EINVAL),
            FileType::Fifo => Content::Fifo(None),
            FileType::BlockDevice | FileType::Socket => Content::Special,
        };
        Ok(self.insert_new(name, kind, perm, owner, rdev, content)?)
    }

    fn symlink(&self, name: &str, target: &str, owner: Owner) -> KernelResult<Arc<dyn Inode>> {
        Ok(self.insert_new(
            name,
            FileType::Symlink,
            0o777,
            owner,
            0,
            Content::Symlink(String::from(target)),
        )?)
    }

    fn link(&self, name: &str, target: &Arc<dyn Inode>) -> KernelResult<()> {
        let target = self.downcast(target)?;
        if target.kind == FileType::Directory {
            return Err(Errno::EPERM);
        }
        let _namespace = self.shared.namespace.lock();
        let now = self.shared.now();
        if target.with_state(|state| state.meta.nlink) == 0 {
            return Err(Errno::ENOENT);
        }
        self.with_state(|state| {
            let dir = state.live_directory_mut()?;
            if dir.get(name).is_some() {
                return Err(Errno::EEXIST);
            }
            dir.insert(name, target.clone());
            state.touch_modified(now);
            Ok(())
        })?;
        target.with_state(|state| {
            state.meta.nlink += 1;
            state.meta.ctime = now;
        });
        Ok(())
    }

    fn unlink(&self, name: &str) -> KernelResult<()> {
        let _namespace = self.shared.namespace.lock();
        let now = self.shared.now();
        let child = self.entry(name)?;
        if child.kind == FileType::Directory {
            return Err(Errno::EISDIR);
        }
        self.with_state(|state| {
            state.directory_mut()?.remove(name);
            state.touch_modified(now);
            Ok::<(), Errno>(())
        })?;
        child.with_state(|state| {
            state.meta.nlink -= 1;
            state.meta.ctime = now;
        });
        Ok(())
    }

    fn rmdir(&self, name: &str) -> KernelResult<()> {
        let _namespace = self.shared.namespace.lock();
        let now = self.shared.now();
        let child = self.entry(name)?;
        if child.kind != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        if !child.is_empty_directory() {
            return Err(Errno::ENOTEMPTY);
        }
        self.with_state(|state| {
            state.directory_mut()?.remove(name);
            state.meta.nlink -= 1;
            state.touch_modified(now);
            Ok::<(), Errno>(())
        })?;
        child.with_state(|state| {
            state.meta.nlink = 0;
            state.meta.ctime = now;
        });
        Ok(())
    }

    fn rename(
        &self,
        old_name: &str,
        new_dir: &Arc<dyn Inode>,
        new_name: &str,
        mode: RenameMode,
    ) -> KernelResult<()> {
        let new_dir = self.downcast(new_dir)?;
        let _namespace = self.shared.namespace.lock();
        let now = self.shared.now();
        let source = self.entry(old_name)?;
        let target = match new_dir.entry(new_name) {
            Ok(target) => Some(target),
            Err(Errno::ENOENT) => None,
            Err(other) => return Err(other),
        };
        if new_dir.with_state(|state| state.meta.nlink) == 0 {
            return Err(Errno::ENOENT);
        }
        match (mode, target) {
            // Linux refuses before it looks whether both are one inode.
            (RenameMode::NoReplace, Some(_)) => Err(Errno::EEXIST),
            (RenameMode::Exchange, None) => Err(Errno::ENOENT),
            (RenameMode::Exchange, Some(target)) => {
                self.exchange(old_name, &new_dir, new_name, source, target, now)
            }
            (_, target) => self.move_entry(old_name, &new_dir, new_name, source, target, now),
        }
    }

    fn readlink(&self) -> KernelResult<String> {
        match &self.state.lock().content {
            Content::Symlink(target) => Ok(target.clone()),
            _ => Err(Errno::EINVAL),
        }
    }

    fn readdir(&self, cookie: u64) -> KernelResult<Option<(DirEntry, u64)>> {
        let state = self.state.lock();
        let dir = state.directory()?;
        let dot = |name: &str, ino: u64| DirEntry {
            ino,
            name: String::from(name),
            file_type: FileType::Directory,
        };
        match cookie {
            0 => Ok(Some((dot(".", self.ino), 1))),
            1 => {
                let parent_ino = dir
                    .parent
                    .upgrade()
                    .map(|parent| parent.ino)
                    .unwrap_or(self.ino);
                Ok(Some((dot("..", parent_ino), directory::FIRST_ENTRY_COOKIE)))
            }
            _ => Ok(dir.entry_from(cookie).map(|(name, inode, next)| {
                (
                    DirEntry {
                        ino: inode.ino,
                        name: String::from(name),
                        file_type: inode.kind,
                    },
                    next,
                )
            })),
        }
    }

    fn chmod(&self, perm: u32) -> KernelResult<()> {
        let now = self.shared.now();
        self.with_state(|state| {
            state.meta.mode = (state.meta.mode & mode::S_IFMT) | (perm & mode::PERMISSION_MASK);
            state.meta.ctime = now;
        });
        Ok(())
    }

    fn chown(&self, uid: Option<u32>, gid: Option<u32>) -> KernelResult<()> {
        let now = self.shared.now();
        let is_regular = self.kind == FileType::Regular;
        self.with_state(|state| {
            let meta = &mut state.meta;
            if let Some(uid) = uid {
                meta.uid = uid;
            }
            if let Some(gid) = gid {
                meta.gid = gid;
            }
            // As Linux: a changed owner drops set-id bits of executables.
            if is_regular && (uid.is_some() || gid.is_some()) {
                meta.mode &= !mode::S_ISUID;
                if meta.mode & 0o010 != 0 {
                    meta.mode &= !mode::S_ISGID;
                }
            }
            meta.ctime = now;
        });
        Ok(())
    }

    fn set_times(&self, atime: TimeChange, mtime: TimeChange) -> KernelResult<()> {
        let now = self.shared.now();
        let pick = |change: TimeChange, old: Timespec| match change {
            TimeChange::Omit => old,
            TimeChange::Now => now,
            TimeChange::Set(time) => time,
        };
        self.with_state(|state| {
            state.meta.atime = pick(atime, state.meta.atime);
            state.meta.mtime = pick(mtime, state.meta.mtime);
            state.meta.ctime = now;
        });
        Ok(())
    }

    fn character_device(&self) -> Option<Arc<dyn CharacterDevice>> {
        match &self.state.lock().content {
            Content::Device(device) => device.clone(),
            _ => None,
        }
    }

    fn fifo_pipe(
        &self,
        make: &dyn Fn() -> Arc<crate::pipe::Pipe>,
    ) -> Option<Arc<crate::pipe::Pipe>> {
        match &mut self.state.lock().content {
            Content::Fifo(pipe) => Some(pipe.get_or_insert_with(make).clone()),
            _ => None,
        }
    }

    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::size_of;
    use std::println;

    #[test]
    #[ignore = "memory figure, run by hand with --nocapture"]
    fn memory_overhead_per_empty_file() {
        // The inode itself sits in an `ArcInner` (two counters) on the heap.
        let inode = size_of::<TmpfsInode>() + 2 * size_of::<usize>();
        // A directory entry: the `Slot` value and `Arc<str>` key in the name
        // map, the cookie key and `Arc<str>` in the cookie map, and the
        // shared name allocation (two counters plus the bytes).
        let slot = size_of::<directory::Slot<TmpfsInode>>() + size_of::<Arc<str>>();
        let cookie = size_of::<u64>() + size_of::<Arc<str>>();
        let name = 2 * size_of::<usize>();
        println!(
            "TmpfsInode {} (+16 Arc header = {inode}); Meta {}, Content {}, SparseData {}; \
             entry {slot} + cookie {cookie} + name {name} + name bytes, plus B-tree node slack",
            size_of::<TmpfsInode>(),
            size_of::<Meta>(),
            size_of::<Content>(),
            size_of::<SparseData>(),
        );
        println!(
            "total per empty file, 8-byte name: {} bytes before B-tree slack",
            inode + slot + cookie + name + 8
        );
        assert!(inode < 256);
    }
}
