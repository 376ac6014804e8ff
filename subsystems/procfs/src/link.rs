//! Symbolic links: `/proc/self`, `/proc/thread-self`, `/proc/mounts`, and
//! the per-process magic links `exe`, `cwd`, `root` and `fd/<n>`, whose
//! text is a name for people and whose target is the custody itself.

use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use core::any::Any;

use abi::{Errno, KernelResult};
use fs::{Custody, FileType, Inode, InodeId, Stat};

use crate::context::{Attributes, Context};
use crate::view::ProcessInfo;

/// What a link points at.
pub enum LinkTarget {
    /// `/proc/self`: the calling process's directory.
    CurrentProcess,
    /// `/proc/thread-self`: the calling thread's `task/<tid>` directory.
    CurrentThread,
    /// A fixed relative path (`/proc/mounts` is `self/mounts`).
    Text(&'static str),
    /// `exe`.
    Executable(Arc<dyn ProcessInfo>),
    /// `cwd`.
    WorkingDirectory(Arc<dyn ProcessInfo>),
    /// `root`.
    RootDirectory(Arc<dyn ProcessInfo>),
    /// `fd/<n>`.
    Fd(Arc<dyn ProcessInfo>, u32),
}

/// A procfs symbolic link.
pub struct ProcLink {
    context: Arc<Context>,
    attributes: Attributes,
    target: LinkTarget,
}

impl ProcLink {
    /// A link with `attributes` (type `Symlink`) leading to `target`.
    pub fn new(context: Arc<Context>, attributes: Attributes, target: LinkTarget) -> ProcLink {
        ProcLink {
            context,
            attributes,
            target,
        }
    }

    /// The process a magic link belongs to, if the caller may inspect it
    /// (`EACCES` otherwise, `ENOENT` once it is reaped).
    fn inspected_process(&self) -> KernelResult<Option<&Arc<dyn ProcessInfo>>> {
        let process = match &self.target {
            LinkTarget::CurrentProcess | LinkTarget::CurrentThread | LinkTarget::Text(_) => {
                return Ok(None);
            }
            LinkTarget::Executable(process)
            | LinkTarget::WorkingDirectory(process)
            | LinkTarget::RootDirectory(process)
            | LinkTarget::Fd(process, _) => process,
        };
        match self.context.may_inspect(process.as_ref()) {
            Ok(true) => Ok(Some(process)),
            Ok(false) => Err(Errno::EACCES),
            Err(_) => Err(Errno::ENOENT),
        }
    }

    /// The custody a magic link leads to: `ENOENT` when the process has
    /// none (a zombie's cwd) or is gone, `EACCES` if the caller may not
    /// inspect the process.
    fn custody(&self) -> KernelResult<Option<Custody>> {
        if self.inspected_process()?.is_none() {
            return Ok(None);
        }
        let custody = match &self.target {
            LinkTarget::CurrentProcess | LinkTarget::CurrentThread | LinkTarget::Text(_) => None,
            LinkTarget::Executable(process) => process.exe(),
            LinkTarget::WorkingDirectory(process) => process.cwd(),
            LinkTarget::RootDirectory(process) => process.root(),
            LinkTarget::Fd(process, fd) => {
                let open = process.fd(*fd).ok_or(Errno::ENOENT)?;
                // A pipe end, a socket: no path, but the link still leads
                // to the open file (which only a pipe's lets open again).
                let custody = open.description.custody().cloned();
                return Ok(Some(custody.unwrap_or_else(|| {
                    fs::pathless::pathless_node(&open.description)
                })));
            }
        };
        custody.map(Some).ok_or(Errno::ENOENT)
    }
}

/// The name Linux gives an open file that has no path: `pipe:[ino]`,
/// `socket:[ino]`, or an anonymous inode (`anon_inode:[eventpoll]`).
fn pathless_name(description: &fs::FileDescription) -> String {
    let stat = description.stat().ok();
    match stat.and_then(|stat| fs::FileType::from_mode(stat.mode).map(|kind| (kind, stat.ino))) {
        Some((FileType::Fifo, ino)) => format!("pipe:[{ino}]"),
        Some((FileType::Socket, ino)) => format!("socket:[{ino}]"),
        _ => format!(
            "anon_inode:{}",
            description.file().anon_inode_name().unwrap_or("[unknown]")
        ),
    }
}

impl Inode for ProcLink {
    fn id(&self) -> InodeId {
        self.attributes.id
    }

    fn file_type(&self) -> FileType {
        FileType::Symlink
    }

    fn stat(&self) -> Stat {
        match &self.target {
            LinkTarget::Executable(process)
            | LinkTarget::WorkingDirectory(process)
            | LinkTarget::RootDirectory(process)
            | LinkTarget::Fd(process, _) => self.attributes.stat_of(process.as_ref()),
            LinkTarget::CurrentProcess | LinkTarget::CurrentThread | LinkTarget::Text(_) => {
                self.attributes.stat()
            }
        }
    }

    fn readlink(&self) -> KernelResult<String> {
        match &self.target {
            LinkTarget::CurrentProcess => {
                let caller = self.context.view.current().ok_or(Errno::ENOENT)?;
                Ok(format!("{}", caller.pid))
            }
            LinkTarget::CurrentThread => {
                let caller = self.context.view.current().ok_or(Errno::ENOENT)?;
                Ok(format!("{}/task/{}", caller.pid, caller.tid))
            }
            LinkTarget::Text(text) => Ok(String::from(*text)),
            LinkTarget::Fd(process, fd) => {
                self.inspected_process()?;
                let open = process.fd(*fd).ok_or(Errno::ENOENT)?;
                Ok(match open.description.custody() {
                    Some(custody) => {
                        let mut path = self.context.path_for_reader(custody);
                        // An unlinked file keeps its last name, marked as Linux marks it.
                        let stat = open.description.stat().ok();
                        let is_directory =
                            stat.is_some_and(|s| s.mode & abi::S_IFMT == abi::S_IFDIR);
                        if stat.is_some_and(|s| s.nlink == 0) && !is_directory {
                            path.push_str(" (deleted)");
                        }
                        path
                    }
                    None => pathless_name(&open.description),
                })
            }
            _ => {
                let custody = self.custody()?.ok_or(Errno::ENOENT)?;
                Ok(self.context.path_for_reader(&custody))
            }
        }
    }

    fn magic_link(&self) -> Option<Custody> {
        self.custody().ok().flatten()
    }

    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}
