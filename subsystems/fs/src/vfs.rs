//! The VFS: a root file system, a mount table, and the path-level operations
//! syscalls call (`open`, `mkdir`, `unlink`, `rename`, ...). Each takes the
//! caller's [`PathContext`]: the directory relative paths start from, its
//! root (for chroot) and its credentials, and applies Linux's permission rules before asking the
//! file system.

use alloc::string::String;
use alloc::sync::Arc;

use abi::capability::{CAP_CHOWN, CAP_FOWNER, CAP_FSETID, CAP_MKNOD, CAP_SYS_ADMIN};
use abi::{Errno, KernelResult};

use crate::credentials::{Access, Credentials, check_access, check_owner};
use crate::custody::Custody;
use crate::dentry_cache::DentryCache;
use crate::description::FileDescription;
use crate::file::{File, InodeFile};
use crate::inode::{FileSystem, Inode, Owner, RenameMode, TimeChange};
use crate::inotify;
use crate::mount::MountTable;
use crate::path::{ParentAndName, Resolver, Restrictions, check_path_length};
use crate::types::{FileType, MAX_SYMLINKS, OpenFlags, Stat, mode};

/// Who resolves a path and from where: the directory relative paths start
/// from (the cwd, or a dirfd's custody for `*at` calls), the caller's root
/// (`/` and the `..` boundary; differs from the VFS root after `chroot`),
/// and the credentials permission checks use.
#[derive(Clone, Copy)]
pub struct PathContext<'a> {
    /// Where relative paths start.
    pub base: &'a Custody,
    /// The caller's root directory.
    pub root: &'a Custody,
    /// The caller's credentials.
    pub creds: &'a Credentials,
}

/// The virtual file system: one per kernel, held by `image`.
pub struct Vfs {
    root_fs: Arc<dyn FileSystem>,
    root: Custody,
    mounts: MountTable,
    /// Recently resolved components.
    dentries: DentryCache,
    /// Makes the wait queues FIFOs sleep on (the kernel's kind).
    wait_queues: spin::Once<fn() -> Arc<dyn crate::wait::WaitQueue>>,
    /// Named `AF_UNIX` sockets: abstract names and bound nodes.
    unix_names: crate::unix::UnixNamespace,
    /// Port ids bound by `AF_NETLINK` sockets.
    netlink_ports: crate::netlink::NetlinkPorts,
    /// Ports bound by `AF_INET`/`AF_INET6` sockets.
    inet_ports: Arc<crate::inet::InetPorts>,
    /// Advisory locks (`flock`, `fcntl`).
    locks: crate::lock::FileLocks,
    /// The internal file system unnamed files (`memfd_create`) live on,
    /// made on first use.
    unnamed_files: spin::Once<Arc<dyn FileSystem>>,
}

impl Vfs {
    /// A VFS whose `/` is `root_fs`'s root.
    pub fn new(root_fs: Arc<dyn FileSystem>) -> Vfs {
        let root = Custody::root(root_fs.root());
        Vfs {
            root_fs,
            root,
            mounts: MountTable::new(),
            dentries: DentryCache::new(),
            wait_queues: spin::Once::new(),
            unix_names: crate::unix::UnixNamespace::new(),
            inet_ports: Arc::new(crate::inet::InetPorts::new()),
            netlink_ports: crate::netlink::NetlinkPorts::new(),
            locks: crate::lock::FileLocks::new(),
            unnamed_files: spin::Once::new(),
        }
    }

    /// The internal file system for unnamed files (`memfd_create`),
    /// made by `make` the first time it is asked for (Linux's internal
    /// shmem mount: one per kernel, never mounted anywhere).
    pub fn unnamed_files(
        &self,
        make: impl FnOnce() -> KernelResult<Arc<dyn FileSystem>>,
    ) -> KernelResult<&Arc<dyn FileSystem>> {
        self.unnamed_files.try_call_once(make)
    }

    /// Advisory file locks (`flock`, `fcntl` record locks).
    pub fn locks(&self) -> &crate::lock::FileLocks {
        &self.locks
    }

    /// Where `bind` names `AF_UNIX` sockets and `connect` finds them.
    pub fn unix_names(&self) -> &crate::unix::UnixNamespace {
        &self.unix_names
    }

    /// Where netlink sockets bind their port ids.
    pub fn netlink_ports(&self) -> &crate::netlink::NetlinkPorts {
        &self.netlink_ports
    }

    /// Where Internet sockets bind ports and find each other.
    pub fn inet_ports(&self) -> &Arc<crate::inet::InetPorts> {
        &self.inet_ports
    }

    /// Sets how FIFOs get the wait queues their opens and I/O sleep on,
    /// and offset locks the ones their waiters sleep on; the first call
    /// wins. Without it, a FIFO cannot block (`EAGAIN`) and an offset
    /// lock's waiter spins.
    pub fn set_wait_queue_factory(&self, make: fn() -> Arc<dyn crate::wait::WaitQueue>) {
        self.wait_queues.call_once(|| make);
        // Descriptions' offset locks sleep on queues from it too.
        crate::sleep_lock::set_wait_queue_factory(make);
    }

    /// The custody of `/` (the starting cwd and root of every process).
    pub fn root_custody(&self) -> Custody {
        self.root.clone()
    }

    /// The root file system.
    pub fn root_fs(&self) -> &Arc<dyn FileSystem> {
        &self.root_fs
    }

    /// The mount table.
    pub fn mounts(&self) -> &MountTable {
        &self.mounts
    }

    /// Mounts `fs` on the directory at absolute `path` (from the VFS root).
    /// Only `CAP_SYS_ADMIN` may mount (`EPERM`); the target must be a directory.
    pub fn mount(
        &self,
        path: &str,
        fs: Arc<dyn FileSystem>,
        creds: &Credentials,
    ) -> KernelResult<()> {
        if !creds.capable(CAP_SYS_ADMIN) {
            return Err(Errno::EPERM);
        }
        let ctx = PathContext {
            base: &self.root,
            root: &self.root,
            creds,
        };
        let at = self.resolve(&ctx, path, true)?;
        if at.inode().file_type() != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        let point = at.absolute_path(&self.root);
        self.mounts.mount(at.id(), fs, point)?;
        // The generation already makes old crossings stale; this lets go of
        // what they hold.
        self.dentries.clear();
        Ok(())
    }

    /// Unmounts the file system whose root is at absolute `path`; `EINVAL`
    /// if nothing is mounted there, `EPERM` without `CAP_SYS_ADMIN`. Open files on it
    /// keep working (a lazy unmount, as `MNT_DETACH`).
    pub fn unmount(&self, path: &str, creds: &Credentials) -> KernelResult<Arc<dyn FileSystem>> {
        if !creds.capable(CAP_SYS_ADMIN) {
            return Err(Errno::EPERM);
        }
        let ctx = PathContext {
            base: &self.root,
            root: &self.root,
            creds,
        };
        let at = self.resolve(&ctx, path, true)?;
        let fs = self.mounts.unmount(at.id())?;
        // Cached custodies on the unmounted file system would keep it alive.
        self.dentries.clear();
        Ok(fs)
    }

    /// The dentry cache.
    pub fn dentries(&self) -> &DentryCache {
        &self.dentries
    }

    fn resolver<'a>(&'a self, ctx: &PathContext<'a>) -> Resolver<'a> {
        Resolver::new(&self.mounts, &self.dentries, ctx.root, ctx.creds)
    }

    fn restricted_resolver<'a>(
        &'a self,
        ctx: &PathContext<'a>,
        restrictions: Restrictions,
    ) -> Resolver<'a> {
        self.resolver(ctx).restricted(restrictions)
    }

    /// Resolves `path` from `ctx.base` with `ctx.root` as `/`, following a final
    /// symbolic link when `follow_last` (`AT_SYMLINK_NOFOLLOW` clears it).
    pub fn resolve(
        &self,
        ctx: &PathContext<'_>,
        path: &str,
        follow_last: bool,
    ) -> KernelResult<Custody> {
        self.resolver(ctx).resolve(ctx.base, path, follow_last)
    }

    /// Resolves a directory for `chdir`/`chroot`: `ENOTDIR` unless one,
    /// `EACCES` without search permission.
    pub fn resolve_directory(&self, ctx: &PathContext<'_>, path: &str) -> KernelResult<Custody> {
        let dir = self.resolve(ctx, path, true)?;
        if dir.inode().file_type() != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        check_access(&dir.inode().stat(), ctx.creds, Access::EXECUTE)?;
        Ok(dir)
    }

    fn parent_and_name(
        &self,
        ctx: &PathContext<'_>,
        path: &str,
    ) -> KernelResult<(ParentAndName, Option<Custody>)> {
        self.restricted_parent_and_name(ctx, path, Restrictions::default())
    }

    fn restricted_parent_and_name(
        &self,
        ctx: &PathContext<'_>,
        path: &str,
        restrictions: Restrictions,
    ) -> KernelResult<(ParentAndName, Option<Custody>)> {
        let mut resolver = self.restricted_resolver(ctx, restrictions);
        let target = resolver.resolve_parent(ctx.base, path)?;
        let existing = if target.is_dot_or_dotdot() {
            None
        } else {
            match resolver.lookup_child(&target.parent, &target.name) {
                Ok(child) => {
                    restrictions.check_crossing(&target.parent, &child)?;
                    Some(child)
                }
                Err(Errno::ENOENT) => None,
                Err(other) => return Err(other),
            }
        };
        Ok((target, existing))
    }

    /// `open`/`openat`. `perm` is the creation mode with the umask already
    /// applied. Implements `O_CREAT`, `O_EXCL`, `O_TRUNC`, `O_DIRECTORY`,
    /// `O_NOFOLLOW` and `O_PATH`; `O_CLOEXEC` is for the caller's fd table.
    pub fn open(
        &self,
        ctx: &PathContext<'_>,
        path: &str,
        flags: OpenFlags,
        perm: u32,
    ) -> KernelResult<Arc<FileDescription>> {
        self.open_following(ctx, path, flags, perm, 0, Restrictions::default())
    }

    /// `openat2`: [`Vfs::open`] with the resolution limited by
    /// `restrictions` (for `BENEATH` and `IN_ROOT` the caller makes the
    /// starting directory `ctx.root`).
    pub fn open_restricted(
        &self,
        ctx: &PathContext<'_>,
        path: &str,
        flags: OpenFlags,
        perm: u32,
        restrictions: Restrictions,
    ) -> KernelResult<Arc<FileDescription>> {
        self.open_following(ctx, path, flags, perm, 0, restrictions)
    }

    /// `open` after `links_followed` symbolic links: with `O_CREAT`, a final
    /// link is followed here, so a dangling one creates its target as on Linux.
    fn open_following(
        &self,
        ctx: &PathContext<'_>,
        path: &str,
        flags: OpenFlags,
        perm: u32,
        links_followed: u32,
        restrictions: Restrictions,
    ) -> KernelResult<Arc<FileDescription>> {
        let access = flags.access_mode().ok_or(Errno::EINVAL)?;
        let path_only = flags.contains(OpenFlags::O_PATH);
        let follow = !flags.contains(OpenFlags::O_NOFOLLOW);
        let mut created = false;
        let custody = if flags.contains(OpenFlags::O_CREAT) && !path_only {
            let (target, existing) = self.restricted_parent_and_name(ctx, path, restrictions)?;
            if target.is_dot_or_dotdot() || target.trailing_slash {
                return Err(Errno::EISDIR);
            }
            match existing {
                Some(_) if flags.contains(OpenFlags::O_EXCL) => return Err(Errno::EEXIST),
                Some(existing) if existing.inode().file_type() == FileType::Symlink => {
                    if !follow || links_followed >= MAX_SYMLINKS {
                        return Err(Errno::ELOOP);
                    }
                    restrictions.check_symlink()?;
                    match existing.inode().magic_link() {
                        Some(custody) => {
                            restrictions.check_magic_link(&target.parent, &custody)?;
                            custody
                        }
                        None => {
                            let link_target = existing.inode().readlink()?;
                            let from_link = PathContext {
                                base: &target.parent,
                                ..*ctx
                            };
                            return self.open_following(
                                &from_link,
                                &link_target,
                                flags,
                                perm,
                                links_followed + 1,
                                restrictions,
                            );
                        }
                    }
                }
                Some(existing) => existing,
                None => {
                    check_access(
                        &target.parent.inode().stat(),
                        ctx.creds,
                        Access::WRITE_SEARCH,
                    )?;
                    let owner = Owner {
                        uid: ctx.creds.uid,
                        gid: ctx.creds.gid,
                    };
                    let inode = target.parent.inode().create(
                        &target.name,
                        FileType::Regular,
                        perm,
                        owner,
                        0,
                    )?;
                    created = true;
                    inotify::child_event(&target.parent, &target.name, inotify::IN_CREATE, 0);
                    target.parent.child(&target.name, inode)
                }
            }
        } else {
            let custody = self
                .restricted_resolver(ctx, restrictions)
                .resolve(ctx.base, path, follow)?;
            if !follow && !path_only && custody.inode().file_type() == FileType::Symlink {
                return Err(Errno::ELOOP);
            }
            custody
        };
        let inode = custody.inode().clone();
        let file_type = inode.file_type();
        if flags.contains(OpenFlags::O_DIRECTORY) && file_type != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        let pathless = crate::pathless::is_pathless(&custody);
        if path_only {
            let custody = (!pathless).then_some(custody);
            return FileDescription::new(Arc::new(InodeFile::new(inode)), custody, flags);
        }
        if file_type == FileType::Directory
            && (access.writable() || flags.contains(OpenFlags::O_CREAT))
        {
            return Err(Errno::EISDIR);
        }
        // A file this call created may be opened as asked, whatever its mode.
        if !created {
            let want = Access {
                read: access.readable(),
                write: access.writable() || flags.contains(OpenFlags::O_TRUNC),
                execute: false,
            };
            check_access(&inode.stat(), ctx.creds, want)?;
        }
        let file: Arc<dyn File> = match file_type {
            // Only a pipe opens through `/proc/<pid>/fd` without a path.
            _ if pathless && file_type != FileType::Fifo => return Err(Errno::ENXIO),
            FileType::CharDevice => inode.character_device().ok_or(Errno::ENXIO)?.open(flags)?,
            FileType::Fifo => {
                let ino = inode.stat().ino;
                let make_queue = self.wait_queues.get().copied();
                let make = || {
                    let waiters: Arc<dyn crate::wait::WaitQueue> = match make_queue {
                        Some(make_queue) => make_queue(),
                        None => Arc::new(crate::wait::NoWaiters),
                    };
                    crate::pipe::Pipe::named(waiters, ino)
                };
                let pipe = inode.fifo_pipe(&make).ok_or(Errno::ENXIO)?;
                crate::fifo::open_fifo(&pipe, flags)?
            }
            FileType::Socket | FileType::BlockDevice => return Err(Errno::ENXIO),
            FileType::Regular => match inode.clone().open_file() {
                Some(file) => file,
                None => Arc::new(InodeFile::new(inode.clone())),
            },
            _ => Arc::new(InodeFile::new(inode.clone())),
        };
        if flags.contains(OpenFlags::O_TRUNC) && file_type == FileType::Regular && !created {
            inode.truncate(0)?;
            inotify::custody_event(&custody, inotify::IN_MODIFY);
        }
        // A pipe reached through `/proc/<pid>/fd` (`crate::pathless`): the
        // new end is as pathless as the old one.
        let custody = (!pathless).then_some(custody);
        let description = FileDescription::new(file, custody, flags)?;
        if let Some(custody) = description.custody() {
            inotify::custody_event(custody, inotify::IN_OPEN);
        }
        Ok(description)
    }

    fn check_sticky(
        &self,
        ctx: &PathContext<'_>,
        dir: &Custody,
        victim: &Custody,
    ) -> KernelResult<()> {
        let dir_stat = dir.inode().stat();
        if dir_stat.mode & mode::S_ISVTX == 0 || ctx.creds.capable(CAP_FOWNER) {
            return Ok(());
        }
        if ctx.creds.uid == dir_stat.uid || ctx.creds.uid == victim.inode().stat().uid {
            return Ok(());
        }
        Err(Errno::EPERM)
    }

    /// Shared by `mkdir` and `mknod`: the name must be new.
    fn create_node(
        &self,
        ctx: &PathContext<'_>,
        path: &str,
        kind: FileType,
        perm: u32,
        rdev: u64,
    ) -> KernelResult<Custody> {
        let (target, existing) = self.parent_and_name(ctx, path)?;
        if target.is_dot_or_dotdot() || existing.is_some() {
            return Err(Errno::EEXIST);
        }
        if target.trailing_slash && kind != FileType::Directory {
            return Err(Errno::ENOENT);
        }
        check_access(
            &target.parent.inode().stat(),
            ctx.creds,
            Access::WRITE_SEARCH,
        )?;
        let owner = Owner {
            uid: ctx.creds.uid,
            gid: ctx.creds.gid,
        };
        let inode = target
            .parent
            .inode()
            .create(&target.name, kind, perm, owner, rdev)?;
        let is_dir = if kind == FileType::Directory {
            inotify::IN_ISDIR
        } else {
            0
        };
        inotify::child_event(&target.parent, &target.name, inotify::IN_CREATE | is_dir, 0);
        Ok(target.parent.child(&target.name, inode))
    }

    /// `mkdir` with `perm` (umask applied).
    pub fn mkdir(&self, ctx: &PathContext<'_>, path: &str, perm: u32) -> KernelResult<()> {
        self.create_node(ctx, path, FileType::Directory, perm, 0)
            .map(|_| ())
    }

    /// `mknod`: `st_mode` gives type and permissions (umask applied). Device
    /// nodes need `CAP_MKNOD` (`EPERM`); `S_IFDIR` is `EPERM` and `S_IFLNK` is
    /// `EINVAL`, as on Linux.
    pub fn mknod(
        &self,
        ctx: &PathContext<'_>,
        path: &str,
        st_mode: u32,
        rdev: u64,
    ) -> KernelResult<()> {
        let kind = if st_mode & mode::S_IFMT == 0 {
            FileType::Regular
        } else {
            FileType::from_mode(st_mode).ok_or(Errno::EINVAL)?
        };
        match kind {
            FileType::Directory => return Err(Errno::EPERM),
            FileType::Symlink => return Err(Errno::EINVAL),
            FileType::CharDevice | FileType::BlockDevice if !ctx.creds.capable(CAP_MKNOD) => {
                return Err(Errno::EPERM);
            }
            _ => {}
        }
        self.create_node(ctx, path, kind, st_mode & mode::PERMISSION_MASK, rdev)
            .map(|_| ())
    }

    /// `symlink(target, path)`: the link holds `target` verbatim.
    pub fn symlink(&self, ctx: &PathContext<'_>, target: &str, path: &str) -> KernelResult<()> {
        check_path_length(target)?;
        let (link, existing) = self.parent_and_name(ctx, path)?;
        if link.is_dot_or_dotdot() || existing.is_some() {
            return Err(Errno::EEXIST);
        }
        if link.trailing_slash {
            return Err(Errno::ENOENT);
        }
        check_access(&link.parent.inode().stat(), ctx.creds, Access::WRITE_SEARCH)?;
        let owner = Owner {
            uid: ctx.creds.uid,
            gid: ctx.creds.gid,
        };
        link.parent.inode().symlink(&link.name, target, owner)?;
        inotify::child_event(&link.parent, &link.name, inotify::IN_CREATE, 0);
        Ok(())
    }

    /// `link(old, new)`; `follow` is `AT_SYMLINK_FOLLOW` for the old path.
    pub fn link(
        &self,
        ctx: &PathContext<'_>,
        old_path: &str,
        new_path: &str,
        follow: bool,
    ) -> KernelResult<()> {
        self.link_between(ctx, old_path, ctx, new_path, follow)
    }

    /// `linkat(olddirfd, old, newdirfd, new)`: each path resolved from its
    /// own context (the same credentials in both).
    pub fn link_between(
        &self,
        old_ctx: &PathContext<'_>,
        old_path: &str,
        ctx: &PathContext<'_>,
        new_path: &str,
        follow: bool,
    ) -> KernelResult<()> {
        let old = self.resolve(old_ctx, old_path, follow)?;
        if old.inode().file_type() == FileType::Directory {
            return Err(Errno::EPERM);
        }
        let (new, existing) = self.parent_and_name(ctx, new_path)?;
        if new.is_dot_or_dotdot() || existing.is_some() {
            return Err(Errno::EEXIST);
        }
        if new.trailing_slash {
            return Err(Errno::ENOENT);
        }
        if new.parent.id().dev != old.id().dev {
            return Err(Errno::EXDEV);
        }
        check_access(&new.parent.inode().stat(), ctx.creds, Access::WRITE_SEARCH)?;
        new.parent.inode().link(&new.name, old.inode())?;
        // Linux reports the link count's change, then the new entry.
        inotify::inode_event(old.inode(), inotify::IN_ATTRIB);
        inotify::child_event(&new.parent, &new.name, inotify::IN_CREATE, 0);
        Ok(())
    }

    /// `unlink`: removes a non-directory name.
    pub fn unlink(&self, ctx: &PathContext<'_>, path: &str) -> KernelResult<()> {
        let (target, existing) = self.parent_and_name(ctx, path)?;
        if target.is_dot_or_dotdot() {
            return Err(Errno::EISDIR);
        }
        let victim = existing.ok_or(Errno::ENOENT)?;
        let victim_type = victim.inode().file_type();
        if victim_type == FileType::Directory {
            return Err(Errno::EISDIR);
        }
        if target.trailing_slash {
            return Err(Errno::ENOTDIR);
        }
        check_access(
            &target.parent.inode().stat(),
            ctx.creds,
            Access::WRITE_SEARCH,
        )?;
        self.check_sticky(ctx, &target.parent, &victim)?;
        target.parent.inode().unlink(&target.name)?;
        let _ = self.dentries.forget(target.parent.id(), &target.name);
        inotify::name_removed(victim.inode());
        inotify::child_event(&target.parent, &target.name, inotify::IN_DELETE, 0);
        Ok(())
    }

    /// `rmdir`: removes an empty directory.
    pub fn rmdir(&self, ctx: &PathContext<'_>, path: &str) -> KernelResult<()> {
        let (target, existing) = self.parent_and_name(ctx, path)?;
        match target.name.as_str() {
            "." if target.parent.is_same_file(ctx.root) && path.trim_matches('/').is_empty() => {
                return Err(Errno::EBUSY);
            }
            "." => return Err(Errno::EINVAL),
            ".." => return Err(Errno::ENOTEMPTY),
            _ => {}
        }
        let victim = existing.ok_or(Errno::ENOENT)?;
        if victim.inode().file_type() != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        if self.mounts.is_busy(victim.id()) {
            return Err(Errno::EBUSY);
        }
        check_access(
            &target.parent.inode().stat(),
            ctx.creds,
            Access::WRITE_SEARCH,
        )?;
        self.check_sticky(ctx, &target.parent, &victim)?;
        target.parent.inode().rmdir(&target.name)?;
        let _ = self.dentries.forget(target.parent.id(), &target.name);
        inotify::name_removed(victim.inode());
        inotify::child_event(
            &target.parent,
            &target.name,
            inotify::IN_DELETE | inotify::IN_ISDIR,
            0,
        );
        Ok(())
    }

    /// `rename(old, new)` with Linux's rules: `EXDEV` across file systems,
    /// `EINVAL` into its own subtree, `EISDIR`/`ENOTDIR`/`ENOTEMPTY` for an
    /// incompatible target, `EBUSY` for `.`, `..` and mount points.
    pub fn rename(
        &self,
        ctx: &PathContext<'_>,
        old_path: &str,
        new_path: &str,
    ) -> KernelResult<()> {
        self.rename_between(ctx, old_path, ctx, new_path)
    }

    /// `renameat(olddirfd, old, newdirfd, new)`: each path resolved from
    /// its own context; permissions are checked with `ctx`'s credentials.
    pub fn rename_between(
        &self,
        old_ctx: &PathContext<'_>,
        old_path: &str,
        ctx: &PathContext<'_>,
        new_path: &str,
    ) -> KernelResult<()> {
        self.rename_with(old_ctx, old_path, ctx, new_path, RenameMode::Replace)
    }

    /// `renameat2(..., flags)`: as [`Vfs::rename_between`], with `mode`
    /// for an existing `new_path`: `EEXIST` (`RENAME_NOREPLACE`), or the
    /// two names swapped (`RENAME_EXCHANGE`, `ENOENT` if `new_path` does
    /// not exist). The file system checks and renames in one step.
    pub fn rename_with(
        &self,
        old_ctx: &PathContext<'_>,
        old_path: &str,
        ctx: &PathContext<'_>,
        new_path: &str,
        mode: RenameMode,
    ) -> KernelResult<()> {
        let (old, source) = self.parent_and_name(old_ctx, old_path)?;
        let (new, target) = self.parent_and_name(ctx, new_path)?;
        if old.is_dot_or_dotdot() || new.is_dot_or_dotdot() {
            return Err(Errno::EBUSY);
        }
        let source = source.ok_or(Errno::ENOENT)?;
        match (mode, &target) {
            (RenameMode::NoReplace, Some(_)) => return Err(Errno::EEXIST),
            (RenameMode::Exchange, None) => return Err(Errno::ENOENT),
            _ => {}
        }
        let is_dir = |custody: &Custody| custody.inode().file_type() == FileType::Directory;
        let source_is_dir = is_dir(&source);
        // A trailing slash names a directory: on a swap each name must be
        // one if it carries a slash, on a move the source must be.
        let exchanged_is_dir = mode == RenameMode::Exchange && target.as_ref().is_some_and(is_dir);
        let slash_ok = if mode == RenameMode::Exchange {
            (source_is_dir || !old.trailing_slash) && (exchanged_is_dir || !new.trailing_slash)
        } else {
            source_is_dir || !(old.trailing_slash || new.trailing_slash)
        };
        if !slash_ok {
            return Err(Errno::ENOTDIR);
        }
        if old.parent.id().dev != new.parent.id().dev {
            return Err(Errno::EXDEV);
        }
        if self.mounts.is_busy(source.id())
            || target.as_ref().is_some_and(|t| self.mounts.is_busy(t.id()))
        {
            return Err(Errno::EBUSY);
        }
        check_access(&old.parent.inode().stat(), ctx.creds, Access::WRITE_SEARCH)?;
        check_access(&new.parent.inode().stat(), ctx.creds, Access::WRITE_SEARCH)?;
        self.check_sticky(ctx, &old.parent, &source)?;
        if let Some(target) = &target {
            self.check_sticky(ctx, &new.parent, target)?;
        }
        // Moving a directory rewrites its `..`, which needs write access to
        // it; a swap moves both.
        if !old.parent.is_same_file(&new.parent) {
            if source_is_dir {
                check_access(&source.inode().stat(), ctx.creds, Access::WRITE)?;
            }
            if exchanged_is_dir && let Some(target) = &target {
                check_access(&target.inode().stat(), ctx.creds, Access::WRITE)?;
            }
        }
        old.parent
            .inode()
            .rename(&old.name, new.parent.inode(), &new.name, mode)?;
        let _ = self.dentries.forget(old.parent.id(), &old.name);
        let _ = self.dentries.forget(new.parent.id(), &new.name);
        if inotify::watching() {
            if mode == RenameMode::Exchange
                && let Some(target) = &target
            {
                // Linux reports a swap as two moves, each with its cookie.
                Self::report_move(&old, &new, &source, None);
                Self::report_move(&new, &old, target, None);
            } else {
                let replaced = target.as_ref().filter(|t| !t.is_same_file(&source));
                Self::report_move(&old, &new, &source, replaced);
            }
        }
        Ok(())
    }

    /// The inotify events of `moved` going from `from` to `to`, replacing
    /// `replaced`, in Linux's order: the two entry events, the replaced
    /// file's link count, the moved inode's own event.
    fn report_move(
        from: &ParentAndName,
        to: &ParentAndName,
        moved: &Custody,
        replaced: Option<&Custody>,
    ) {
        let cookie = inotify::next_cookie();
        let is_dir = if moved.inode().file_type() == FileType::Directory {
            inotify::IN_ISDIR
        } else {
            0
        };
        inotify::child_event(
            &from.parent,
            &from.name,
            inotify::IN_MOVED_FROM | is_dir,
            cookie,
        );
        inotify::child_event(&to.parent, &to.name, inotify::IN_MOVED_TO | is_dir, cookie);
        if let Some(replaced) = replaced {
            inotify::link_count_changed(replaced.inode());
        }
        inotify::inode_event(moved.inode(), inotify::IN_MOVE_SELF);
        if let Some(replaced) = replaced {
            inotify::name_gone(replaced.inode());
        }
    }

    /// `readlink`: `EINVAL` unless `path` names a symbolic link.
    pub fn readlink(&self, ctx: &PathContext<'_>, path: &str) -> KernelResult<String> {
        self.resolve(ctx, path, false)?.inode().readlink()
    }

    /// `stat` (`follow`) and `lstat` (not).
    pub fn stat(&self, ctx: &PathContext<'_>, path: &str, follow: bool) -> KernelResult<Stat> {
        Ok(self.resolve(ctx, path, follow)?.inode().stat())
    }

    /// `access`/`faccessat` with R_OK/W_OK/X_OK bits (F_OK is 0).
    pub fn access(&self, ctx: &PathContext<'_>, path: &str, bits: u32) -> KernelResult<()> {
        let custody = self.resolve(ctx, path, true)?;
        check_access(&custody.inode().stat(), ctx.creds, Access::from_bits(bits))
    }

    /// `chmod`: the owner or `CAP_FOWNER`; a caller outside the file's group
    /// without `CAP_FSETID` loses `S_ISGID`, as on Linux.
    pub fn chmod(&self, ctx: &PathContext<'_>, path: &str, perm: u32) -> KernelResult<()> {
        let custody = self.resolve(ctx, path, true)?;
        Self::chmod_inode(custody.inode(), perm, ctx.creds)?;
        inotify::custody_event(&custody, inotify::IN_ATTRIB);
        Ok(())
    }

    /// `fchmod` and the rule behind `chmod`: only the owner (or `CAP_FOWNER`) may
    /// change the mode; a non-member loses the set-group-id bit. Works on
    /// an inode, so an open file that was renamed or unlinked still counts.
    pub fn chmod_inode(inode: &Arc<dyn Inode>, perm: u32, creds: &Credentials) -> KernelResult<()> {
        let stat = inode.stat();
        check_owner(&stat, creds)?;
        let mut perm = perm & mode::PERMISSION_MASK;
        if !creds.capable(CAP_FSETID) && !creds.in_group(stat.gid) {
            perm &= !mode::S_ISGID;
        }
        inode.chmod(perm)
    }

    /// `chown`/`lchown`: `CAP_CHOWN` may change anything; the owner may only set
    /// the group to one of its own groups.
    pub fn chown(
        &self,
        ctx: &PathContext<'_>,
        path: &str,
        uid: Option<u32>,
        gid: Option<u32>,
        follow: bool,
    ) -> KernelResult<()> {
        let custody = self.resolve(ctx, path, follow)?;
        Self::chown_inode(custody.inode(), uid, gid, ctx.creds)?;
        inotify::custody_event(&custody, inotify::IN_ATTRIB);
        Ok(())
    }

    /// `fchown` and the rule behind `chown`, on an inode.
    pub fn chown_inode(
        inode: &Arc<dyn Inode>,
        uid: Option<u32>,
        gid: Option<u32>,
        creds: &Credentials,
    ) -> KernelResult<()> {
        let stat = inode.stat();
        if !creds.capable(CAP_CHOWN) {
            // Without CAP_CHOWN only the owner may act, and only on the group.
            if uid.is_some_and(|uid| uid != stat.uid) || creds.uid != stat.uid {
                return Err(Errno::EPERM);
            }
            if gid.is_some_and(|gid| !creds.in_group(gid)) {
                return Err(Errno::EPERM);
            }
        }
        inode.chown(uid, gid)
    }

    /// `truncate(path, size)`.
    pub fn truncate(&self, ctx: &PathContext<'_>, path: &str, size: i64) -> KernelResult<()> {
        let custody = self.resolve(ctx, path, true)?;
        let size = u64::try_from(size).map_err(|_| Errno::EINVAL)?;
        if custody.inode().file_type() == FileType::Directory {
            return Err(Errno::EISDIR);
        }
        check_access(&custody.inode().stat(), ctx.creds, Access::WRITE)?;
        custody.inode().truncate(size)?;
        inotify::custody_event(&custody, inotify::IN_MODIFY);
        Ok(())
    }

    /// `utimensat`: explicit times need the owner (or `CAP_FOWNER`); `UTIME_NOW` for
    /// both also accepts write permission.
    pub fn set_times(
        &self,
        ctx: &PathContext<'_>,
        path: &str,
        atime: TimeChange,
        mtime: TimeChange,
        follow: bool,
    ) -> KernelResult<()> {
        let custody = self.resolve(ctx, path, follow)?;
        Self::set_times_inode(custody.inode(), atime, mtime, ctx.creds)?;
        inotify::custody_event(&custody, inotify::IN_ATTRIB);
        Ok(())
    }

    /// `futimens` and the rule behind `utimensat`, on an inode.
    pub fn set_times_inode(
        inode: &Arc<dyn Inode>,
        atime: TimeChange,
        mtime: TimeChange,
        creds: &Credentials,
    ) -> KernelResult<()> {
        let stat = inode.stat();
        let only_now = matches!(atime, TimeChange::Now | TimeChange::Omit)
            && matches!(mtime, TimeChange::Now | TimeChange::Omit);
        if check_owner(&stat, creds).is_err() {
            if !only_now {
                return Err(Errno::EPERM);
            }
            check_access(&stat, creds, Access::WRITE)?;
        }
        inode.set_times(atime, mtime)
    }
}
