//! Path resolution: from a base custody, through `.`, `..`, mounts and
//! symbolic links, to a custody, checking search permission on the way.

use alloc::borrow::Cow;
use alloc::string::String;
use core::ops::Range;

use abi::{Errno, KernelResult};

use crate::credentials::{Access, Credentials, check_access};
use crate::custody::Custody;
use crate::dentry_cache::DentryCache;
use crate::mount::MountTable;
use crate::types::{FileType, MAX_SYMLINKS, NAME_MAX, PATH_MAX};

/// The last component of a path and the directory holding it, for
/// operations that create or remove names.
#[derive(Clone, Debug)]
pub struct ParentAndName {
    /// The directory that holds (or will hold) the name.
    pub parent: Custody,
    /// The last component; `.` or `..` when the path ends in one, `.` for `/`.
    pub name: String,
    /// Whether the path ended in `/` (the name must then be a directory).
    pub trailing_slash: bool,
}

impl ParentAndName {
    /// Whether the last component is `.` or `..`, which no operation may
    /// create, remove or rename.
    pub fn is_dot_or_dotdot(&self) -> bool {
        self.name == "." || self.name == ".."
    }
}

/// `ENOENT` for an empty path, `ENAMETOOLONG` when it cannot fit `PATH_MAX`
/// with its NUL.
pub fn check_path_length(path: &str) -> KernelResult<()> {
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    if path.len() >= PATH_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    Ok(())
}

/// Limits on one resolution, from `openat2`'s `RESOLVE_*` flags; the
/// default limits nothing (every other call). Mount points are told by
/// their file systems' device numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Restrictions {
    /// `RESOLVE_NO_XDEV`: crossing a mount point, either way, fails with
    /// `EXDEV`.
    pub no_xdev: bool,
    /// `RESOLVE_NO_MAGICLINKS`: a procfs magic link fails with `ELOOP`.
    pub no_magic_links: bool,
    /// `RESOLVE_NO_SYMLINKS`: following any symbolic link fails with
    /// `ELOOP`.
    pub no_symlinks: bool,
    /// `RESOLVE_BENEATH`: the resolution may not leave its root (the
    /// caller passes the starting directory as the root): an absolute
    /// path or link, or `..` from the root, fails with `EXDEV`.
    pub beneath: bool,
    /// `RESOLVE_IN_ROOT`: the caller passes the starting directory as the
    /// root, as if chrooted there; only magic links are refused here.
    pub in_root: bool,
}

impl Restrictions {
    /// Whether the resolution is kept inside a directory (`BENEATH` or
    /// `IN_ROOT`), where a magic link could lead out (`EXDEV`).
    fn scoped(&self) -> bool {
        self.beneath || self.in_root
    }

    /// Before following the symbolic link found at a component.
    pub fn check_symlink(&self) -> KernelResult<()> {
        if self.no_symlinks {
            return Err(Errno::ELOOP);
        }
        Ok(())
    }

    /// Before jumping through a magic link in directory `from` to
    /// `target`, in Linux's order of checks.
    pub fn check_magic_link(&self, from: &Custody, target: &Custody) -> KernelResult<()> {
        if self.no_symlinks || self.no_magic_links {
            return Err(Errno::ELOOP);
        }
        if self.no_xdev && from.id().dev != target.id().dev {
            return Err(Errno::EXDEV);
        }
        if self.scoped() {
            return Err(Errno::EXDEV);
        }
        Ok(())
    }

    /// Before stepping from `from` to `to` across what may be a mount.
    pub fn check_crossing(&self, from: &Custody, to: &Custody) -> KernelResult<()> {
        if self.no_xdev && from.id().dev != to.id().dev {
            return Err(Errno::EXDEV);
        }
        Ok(())
    }
}

/// One resolution: the context it runs in and the symbolic links it has
/// followed so far (shared by nested link targets, as Linux counts them).
pub struct Resolver<'a> {
    mounts: &'a MountTable,
    dentries: &'a DentryCache,
    root: &'a Custody,
    creds: &'a Credentials,
    symlinks_followed: u32,
    restrictions: Restrictions,
}

impl<'a> Resolver<'a> {
    /// A resolver that treats `root` as `/` (the process's chroot), checks
    /// search permission as `creds`, and looks components up in `dentries`
    /// before asking the file system.
    pub fn new(
        mounts: &'a MountTable,
        dentries: &'a DentryCache,
        root: &'a Custody,
        creds: &'a Credentials,
    ) -> Resolver<'a> {
        Resolver {
            mounts,
            dentries,
            root,
            creds,
            symlinks_followed: 0,
            restrictions: Restrictions::default(),
        }
    }

    /// This resolver, limited by `restrictions`.
    pub fn restricted(mut self, restrictions: Restrictions) -> Resolver<'a> {
        self.restrictions = restrictions;
        self
    }

    /// Where an absolute path or link target starts, coming from `from`:
    /// the root, unless the resolution must stay beneath it or on one
    /// mount.
    fn jump_to_root(&self, from: &Custody) -> KernelResult<Custody> {
        if self.restrictions.beneath {
            return Err(Errno::EXDEV);
        }
        self.restrictions.check_crossing(from, self.root)?;
        Ok(self.root.clone())
    }

    /// Resolves `path` from `base` (ignored for absolute paths). The last
    /// component's symbolic link is followed when `follow_last` is set or
    /// the path ends in `/`.
    ///
    /// Symbolic links are expanded with an explicit stack of pending path
    /// texts rather than recursion, so kernel stack use does not grow with
    /// the 40 links a lookup may follow.
    pub fn resolve(
        &mut self,
        base: &Custody,
        path: &str,
        follow_last: bool,
    ) -> KernelResult<Custody> {
        check_path_length(path)?;
        let trailing_slash = path.ends_with('/');
        let mut current = if path.starts_with('/') {
            self.jump_to_root(base)?
        } else {
            base.clone()
        };
        // Inline for the path and one link: most lookups allocate nothing
        // here.
        let mut pending: PendingTexts<'_> = smallvec::smallvec![(Cow::Borrowed(path), 0)];
        while let Some((frame, range)) = next_component(&mut pending) {
            let is_last = pending.iter().all(|(text, at)| is_exhausted(text, *at));
            // Inside a link's target, the final component is followed too:
            // the link itself was being followed.
            let follow = !is_last || follow_last || trailing_slash || pending.len() > 1;
            let component = &pending[frame].0[range];
            match self.step(current, component, follow)? {
                Step::Moved(next) => current = next,
                Step::Link { dir, target } => {
                    current = if target.starts_with('/') {
                        self.jump_to_root(&dir)?
                    } else {
                        dir
                    };
                    pending.retain(|(text, at)| !is_exhausted(text, *at));
                    pending.push((Cow::Owned(target), 0));
                }
            }
        }
        if trailing_slash && current.inode().file_type() != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        Ok(current)
    }

    /// Resolves all but the last component of `path`, which must lead to a
    /// directory.
    pub fn resolve_parent(&mut self, base: &Custody, path: &str) -> KernelResult<ParentAndName> {
        check_path_length(path)?;
        if path.starts_with('/') {
            self.jump_to_root(base)?;
        }
        let trimmed = path.trim_end_matches('/');
        let trailing_slash = trimmed.len() != path.len();
        let (parent, name) = match trimmed.rfind('/') {
            None if trimmed.is_empty() => (self.root.clone(), "."),
            None => (base.clone(), trimmed),
            Some(slash) => {
                let dir_part = &trimmed[..slash];
                let name = &trimmed[slash + 1..];
                let parent = if dir_part.trim_start_matches('/').is_empty() {
                    self.root.clone()
                } else {
                    self.resolve(base, dir_part, true)?
                };
                (parent, name)
            }
        };
        if name.len() > NAME_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        if parent.inode().file_type() != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        self.check_search(&parent)?;
        Ok(ParentAndName {
            parent,
            name: String::from(name),
            trailing_slash,
        })
    }

    /// Looks `name` up in `dir` (no `.`/`..`), crossing onto mounted roots:
    /// from the dentry cache when `dir` has a version and the entry is
    /// current, else from the file system (and then caches the answer).
    pub fn lookup_child(&self, dir: &Custody, name: &str) -> KernelResult<Custody> {
        // Both read before the lookup: a change racing with it leaves the
        // entry stale, never wrong.
        let generation = self.mounts.generation();
        let version = dir.inode().entries_version();
        if let Some(version) = version
            && let Some(child) = self.dentries.get(dir, name, version, generation)
        {
            return Ok(child);
        }
        let inode = self.mounts.cross(dir.inode().lookup(name)?);
        let child = dir.child(name, inode);
        if let Some(version) = version {
            self.dentries.insert(name, &child, version, generation);
        }
        Ok(child)
    }

    fn check_search(&self, dir: &Custody) -> KernelResult<()> {
        // Root may search every directory; skip the stat on that hot path.
        if self.creds.searches_any_directory() {
            return Ok(());
        }
        check_access(&dir.inode().stat(), self.creds, Access::EXECUTE)
    }

    /// Moves from directory `current` through one component, or reports
    /// the symbolic link to expand next.
    fn step(&mut self, current: Custody, component: &str, follow: bool) -> KernelResult<Step> {
        if component.len() > NAME_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        if current.inode().file_type() != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        self.check_search(&current)?;
        match component {
            "." => Ok(Step::Moved(current)),
            ".." => {
                // The chroot root is its own parent, as is the top of the
                // tree; a resolution kept beneath its root may not try.
                if current.is_same_file(self.root) {
                    if self.restrictions.beneath {
                        return Err(Errno::EXDEV);
                    }
                    return Ok(Step::Moved(current));
                }
                let parent = current.parent().cloned().unwrap_or_else(|| current.clone());
                self.restrictions.check_crossing(&current, &parent)?;
                Ok(Step::Moved(parent))
            }
            name => {
                let child = self.lookup_child(&current, name)?;
                self.restrictions.check_crossing(&current, &child)?;
                if !follow || child.inode().file_type() != FileType::Symlink {
                    return Ok(Step::Moved(child));
                }
                self.restrictions.check_symlink()?;
                self.symlinks_followed += 1;
                if self.symlinks_followed > MAX_SYMLINKS {
                    return Err(Errno::ELOOP);
                }
                if let Some(target) = child.inode().magic_link() {
                    self.restrictions.check_magic_link(&current, &target)?;
                    return Ok(Step::Moved(target));
                }
                let target = child.inode().readlink()?;
                check_path_length(&target)?;
                Ok(Step::Link {
                    dir: current,
                    target,
                })
            }
        }
    }
}

/// The outcome of walking one component.
enum Step {
    /// Arrived at this custody.
    Moved(Custody),
    /// Reached a symbolic link to follow: its text, and the directory
    /// holding it (where a relative target starts).
    Link { dir: Custody, target: String },
}

/// Whether nothing but slashes remains of `text` after `at`.
fn is_exhausted(text: &str, at: usize) -> bool {
    text[at..].bytes().all(|byte| byte == b'/')
}

/// Path texts still to walk, innermost link target last, each with the
/// byte offset reached so far.
type PendingTexts<'a> = smallvec::SmallVec<[(Cow<'a, str>, usize); 2]>;

/// Finds the next non-empty component in the innermost pending text,
/// dropping texts that are used up: which text, and the component's bytes.
fn next_component(pending: &mut PendingTexts<'_>) -> Option<(usize, Range<usize>)> {
    loop {
        let frame = pending.len().checked_sub(1)?;
        let (text, at) = &mut pending[frame];
        let rest = &text[*at..];
        let start = *at + (rest.len() - rest.trim_start_matches('/').len());
        let rest = &text[start..];
        if rest.is_empty() {
            pending.pop();
            continue;
        }
        let end = start
            + rest
                .bytes()
                .position(|byte| byte == b'/')
                .unwrap_or(rest.len());
        *at = end;
        return Some((frame, start..end));
    }
}
