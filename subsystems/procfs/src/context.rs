//! What every procfs inode shares: the device number, the view it renders
//! and the clock its timestamps come from, plus the attributes (`stat`)
//! common to all of its inodes.

use alloc::string::String;
use alloc::sync::Arc;

use abi::KernelResult;

use fs::types::mode;
use fs::{Clock, Custody, FileType, InodeId, Owner, Stat, Timespec};

use crate::view::{ProcessInfo, ProcessView};

/// The file system's shared state; every inode holds an `Arc` of it.
pub struct Context {
    /// The device number (`st_dev`) of this procfs.
    pub dev: u64,
    /// The processes and system figures shown.
    pub view: Arc<dyn ProcessView>,
    /// Timestamps of new inodes.
    pub clock: Arc<dyn Clock>,
}

impl Context {
    /// The path of `custody` as the calling process sees it: from its root
    /// directory, or from the top of the custody chain if no process is
    /// current.
    pub fn path_for_reader(&self, custody: &Custody) -> String {
        let reader_root = self
            .view
            .current()
            .and_then(|caller| self.view.process(caller.pid))
            .and_then(|process| process.root());
        match reader_root {
            Some(root) => custody.absolute_path(&root),
            None => {
                let mut top = custody;
                while let Some(parent) = top.parent() {
                    top = parent;
                }
                custody.absolute_path(top)
            }
        }
    }
}

impl Context {
    /// Whether the caller may inspect `process` beyond its public files
    /// (follow its magic links, see its addresses): no caller (the kernel),
    /// a holder of `CAP_SYS_PTRACE`, or the process's owner; `ESRCH` once it
    /// is reaped.
    pub fn may_inspect(&self, process: &dyn ProcessInfo) -> KernelResult<bool> {
        let owner = process.owner()?;
        Ok(match self.view.current() {
            None => true,
            Some(caller) => caller.traces_any || caller.euid == owner.uid,
        })
    }
}

/// The attributes every procfs inode reports: fixed at creation, except
/// the owner of a process's entries, which follows the process
/// ([`Attributes::stat_of`]).
#[derive(Clone, Copy, Debug)]
pub struct Attributes {
    /// Device and inode number.
    pub id: InodeId,
    /// The inode's type.
    pub file_type: FileType,
    /// Permission bits.
    pub perm: u32,
    /// Owner and group.
    pub owner: Owner,
    /// Creation time, shown as all three timestamps.
    pub time: Timespec,
}

impl Attributes {
    /// Attributes for a new inode numbered `ino`, stamped with the clock's now.
    pub fn new(
        context: &Context,
        ino: u64,
        file_type: FileType,
        perm: u32,
        owner: Owner,
    ) -> Attributes {
        Attributes {
            id: InodeId {
                dev: context.dev,
                ino,
            },
            file_type,
            perm,
            owner,
            time: context.clock.now(),
        }
    }

    /// `struct stat` of an entry of `process`: owned by whom the process's
    /// entries belong to now (its effective ids, or root once it is not
    /// dumpable), as Linux recomputes at every `stat`; the owner fixed at
    /// creation if the process is gone.
    pub fn stat_of(&self, process: &dyn crate::view::ProcessInfo) -> Stat {
        let mut stat = self.stat();
        if let Ok(owner) = process.owner() {
            stat.uid = owner.uid;
            stat.gid = owner.gid;
        }
        stat
    }

    /// `struct stat`: size 0 for files and links as on Linux, since the
    /// contents exist only when read.
    pub fn stat(&self) -> Stat {
        let mut stat = Stat {
            dev: self.id.dev,
            ino: self.id.ino,
            nlink: if self.file_type == FileType::Directory {
                2
            } else {
                1
            },
            mode: self.file_type.mode_bits() | (self.perm & mode::PERMISSION_MASK),
            uid: self.owner.uid,
            gid: self.owner.gid,
            blksize: 1024,
            ..Stat::default()
        };
        stat.set_times(self.time, self.time, self.time);
        stat
    }
}
