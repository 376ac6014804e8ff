//! Regular files whose contents are rendered from the view when read.
//!
//! Consistency: each `open` gets its own [`GeneratedOpen`] (as Linux's
//! `seq_file` is per open file). A read at offset 0 renders the whole file
//! once and keeps the bytes there; reads further on are served from that
//! copy, so a reader going through the file in several `read` calls sees
//! one snapshot, never a mix of two, whoever else has the file open, and a
//! reader that seeks back to 0 and reads again gets fresh contents (what
//! `top` does with `/proc/stat`). The inode itself, which the dentry cache
//! may share between opens, keeps no copy.

use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::any::Any;

use abi::{Errno, KernelResult};
use fs::{File, FileType, Inode, InodeId, OpenFlags, Stat, inotify};
use lock::Mutex;

use crate::context::{Attributes, Context};
use crate::ino::{ProcessEntry, SystemEntry};
use crate::process_format::{self, comm_name};
use crate::system_format;
use crate::view::{ProcessInfo, SystemLimit};

/// The longest host name Linux keeps (`__NEW_UTS_LEN`).
pub const HOSTNAME_MAX: usize = 64;

/// What a generated file renders.
pub enum Source {
    /// A system-wide file.
    System(SystemEntry),
    /// A file of a process (`tid` is `None`) or of one of its threads.
    Process {
        /// The process.
        process: Arc<dyn ProcessInfo>,
        /// The thread, for files under `task/<tid>`.
        tid: Option<u32>,
        /// Which file.
        entry: ProcessEntry,
    },
    /// `fdinfo/<fd>`.
    Fdinfo {
        /// The process.
        process: Arc<dyn ProcessInfo>,
        /// The fd.
        fd: u32,
    },
}

/// A procfs regular file.
pub struct GeneratedFile {
    context: Arc<Context>,
    attributes: Attributes,
    source: Source,
}

impl GeneratedFile {
    /// A file with `attributes` (type `Regular`) rendering `source`.
    pub fn new(context: Arc<Context>, attributes: Attributes, source: Source) -> GeneratedFile {
        GeneratedFile {
            context,
            attributes,
            source,
        }
    }

    /// Renders the whole file now: `ESRCH` if its process was reaped (or
    /// its thread has exited), `ENOENT` if its fd was closed.
    pub fn render(&self) -> KernelResult<Vec<u8>> {
        let view = &self.context.view;
        let text: String = match &self.source {
            Source::System(entry) => match entry {
                SystemEntry::Uptime => system_format::uptime(&view.system()),
                SystemEntry::Loadavg => system_format::loadavg(&view.system()),
                SystemEntry::Meminfo => system_format::meminfo(&view.meminfo()),
                SystemEntry::Cpuinfo => system_format::cpuinfo(&view.cpus()),
                SystemEntry::Version => format!("{}\n", view.version()),
                SystemEntry::Filesystems => system_format::filesystems(&view.filesystems()),
                SystemEntry::Stat => system_format::stat(&view.system()),
                SystemEntry::PidMax => format!("{}\n", view.system().pid_max),
                SystemEntry::ThreadsMax => format!("{}\n", view.system().threads_max),
                SystemEntry::FileMax => format!("{}\n", view.system().file_max),
                SystemEntry::InotifyMaxQueuedEvents => {
                    format!("{}\n", inotify::limit(inotify::Limit::QueuedEvents))
                }
                SystemEntry::InotifyMaxUserInstances => {
                    format!("{}\n", inotify::limit(inotify::Limit::UserInstances))
                }
                SystemEntry::InotifyMaxUserWatches => {
                    format!("{}\n", inotify::limit(inotify::Limit::UserWatches))
                }
                SystemEntry::SeccompActionsAvail => format!("{}\n", seccomp::ACTIONS_AVAILABLE),
                SystemEntry::SeccompActionsLogged => format!("{}\n", seccomp::actions_logged()),
                SystemEntry::FileNr => {
                    let system = view.system();
                    format!("{}\t0\t{}\n", system.open_files, system.file_max)
                }
                SystemEntry::Hostname => {
                    let mut bytes = view.hostname();
                    bytes.push(b'\n');
                    return Ok(bytes);
                }
                SystemEntry::CorePattern => {
                    let mut bytes = view.core_pattern();
                    bytes.push(b'\n');
                    return Ok(bytes);
                }
                SystemEntry::Profiling => view.profile_report()?,
                SystemEntry::Cmdline => format!("{}\n", view.command_line()),
                SystemEntry::SysvipcShm => system_format::sysvipc_shm(&view.sysv_ipc().shm),
                SystemEntry::SysvipcMsg => system_format::sysvipc_msg(&view.sysv_ipc().msg),
                SystemEntry::SysvipcSem => system_format::sysvipc_sem(&view.sysv_ipc().sem),
                _ => return Err(Errno::EINVAL),
            },
            Source::Process {
                process,
                tid,
                entry,
            } => return render_process(&self.context, process.as_ref(), *tid, *entry),
            Source::Fdinfo { process, fd } => {
                process.owner()?;
                let open = process.fd(*fd).ok_or(Errno::ENOENT)?;
                let description = &open.description;
                let mut flags = description.status_flags().bits();
                // Linux opens every path with O_LARGEFILE on 64-bit; pipes have none.
                if description.custody().is_some() {
                    flags |= OpenFlags::O_LARGEFILE.bits();
                }
                if open.close_on_exec {
                    flags |= OpenFlags::O_CLOEXEC.bits();
                }
                let stat = description.stat().unwrap_or_default();
                process_format::fdinfo(description.offset(), flags, stat.dev, stat.ino)
            }
        };
        Ok(text.into_bytes())
    }
}

/// Copies what `contents` has at `offset` into `buf`: the count.
fn copy_from(contents: &[u8], offset: u64, buf: &mut [u8]) -> usize {
    let start = usize::try_from(offset).unwrap_or(usize::MAX);
    let rest = contents.get(start..).unwrap_or(&[]);
    let count = rest.len().min(buf.len());
    buf[..count].copy_from_slice(&rest[..count]);
    count
}

/// One open of a generated file: the snapshot its reader goes through
/// (see the module doc).
pub struct GeneratedOpen {
    file: Arc<GeneratedFile>,
    rendered: Mutex<Option<Arc<[u8]>>>,
}

impl File for GeneratedOpen {
    fn read(&self, offset: u64, buf: &mut [u8]) -> KernelResult<usize> {
        let kept = if offset == 0 {
            None
        } else {
            self.rendered.lock().clone()
        };
        let contents = match kept {
            Some(contents) => contents,
            None => {
                // Rendered outside the lock: the view takes process locks.
                let fresh: Arc<[u8]> = Arc::from(self.file.render()?);
                *self.rendered.lock() = Some(fresh.clone());
                fresh
            }
        };
        Ok(copy_from(&contents, offset, buf))
    }

    /// A write changes what the file shows: the next read renders again.
    fn write(&self, offset: u64, buf: &[u8]) -> KernelResult<usize> {
        let written = self.file.write_at(offset, buf)?;
        *self.rendered.lock() = None;
        Ok(written)
    }

    fn is_seekable(&self) -> bool {
        true
    }

    fn size(&self) -> KernelResult<u64> {
        Ok(0)
    }

    fn truncate(&self, size: u64) -> KernelResult<()> {
        self.file.truncate(size)
    }

    fn stat(&self) -> KernelResult<Stat> {
        Ok(self.file.stat())
    }

    fn poll(&self) -> fs::PollEvents {
        fs::PollEvents::POLLIN | fs::PollEvents::POLLOUT
    }
}

fn render_process(
    context: &Context,
    process: &dyn ProcessInfo,
    tid: Option<u32>,
    entry: ProcessEntry,
) -> KernelResult<Vec<u8>> {
    let snapshot = || -> KernelResult<_> {
        let snapshot = process.snapshot()?;
        // A thread that exited is gone even while its process lives on.
        if let Some(tid) = tid
            && snapshot.thread(tid).is_none()
        {
            return Err(Errno::ESRCH);
        }
        Ok(snapshot)
    };
    let text = match entry {
        ProcessEntry::Stat => {
            let permitted = context.may_inspect(process)?;
            process_format::stat(&snapshot()?, tid, permitted)
        }
        ProcessEntry::Status => process_format::status(&snapshot()?, tid),
        ProcessEntry::Statm => process_format::statm(&snapshot()?),
        ProcessEntry::Limits => process_format::limits(&snapshot()?.rlimits),
        ProcessEntry::Comm => {
            let snapshot = snapshot()?;
            let name = match tid.and_then(|tid| snapshot.thread(tid)) {
                Some(thread) => thread.name.as_str(),
                None => snapshot.name.as_str(),
            };
            format!("{}\n", comm_name(name))
        }
        ProcessEntry::Cmdline => return process.cmdline(),
        ProcessEntry::Environ => return process.environ(),
        ProcessEntry::Maps => process_format::maps(&process.maps()?),
        ProcessEntry::Mounts => {
            process.owner()?;
            system_format::mounts(&context.view.mounts())
        }
        ProcessEntry::Mountinfo => {
            process.owner()?;
            system_format::mountinfo(&context.view.mounts())
        }
        ProcessEntry::Io => {
            // Linux asks for ptrace-read access, as for other private files.
            if !context.may_inspect(process)? {
                return Err(Errno::EACCES);
            }
            process_format::io(&snapshot()?.io)
        }
        ProcessEntry::OomScoreAdj => format!("{}\n", process.oom_scores()?.0),
        ProcessEntry::OomScore => format!("{}\n", process.oom_scores()?.1),
        ProcessEntry::MakeItFail => format!("{}\n", u8::from(process.make_it_fail()?)),
        _ => return Err(Errno::EINVAL),
    };
    Ok(text.into_bytes())
}

/// A decimal number with optional surrounding white space, as
/// `proc_dointvec` takes it.
fn parse_number(buf: &[u8]) -> KernelResult<u64> {
    let text = core::str::from_utf8(buf).map_err(|_| Errno::EINVAL)?;
    text.trim().parse().map_err(|_| Errno::EINVAL)
}

/// What a write to `oom_score_adj` says: a decimal number from -1000 to
/// 1000, blanks and a newline around it allowed; `EINVAL` otherwise.
fn parse_oom_score_adj(buf: &[u8]) -> KernelResult<i16> {
    let text = core::str::from_utf8(buf).map_err(|_| Errno::EINVAL)?;
    let adj: i16 = text.trim().parse().map_err(|_| Errno::EINVAL)?;
    if !(-1000..=1000).contains(&adj) {
        return Err(Errno::EINVAL);
    }
    Ok(adj)
}

impl Inode for GeneratedFile {
    fn id(&self) -> InodeId {
        self.attributes.id
    }

    fn file_type(&self) -> FileType {
        FileType::Regular
    }

    fn stat(&self) -> Stat {
        match &self.source {
            Source::Process { process, .. } | Source::Fdinfo { process, .. } => {
                self.attributes.stat_of(process.as_ref())
            }
            Source::System(_) => self.attributes.stat(),
        }
    }

    /// Renders afresh for every call: reads that need one snapshot across
    /// calls go through an open file ([`GeneratedOpen`]).
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> KernelResult<usize> {
        Ok(copy_from(&self.render()?, offset, buf))
    }

    fn open_file(self: Arc<Self>) -> Option<Arc<dyn File>> {
        Some(Arc::new(GeneratedOpen {
            file: self,
            rendered: Mutex::new(None),
        }))
    }

    /// Only `sys/kernel/hostname`, `sys/kernel/core_pattern`,
    /// `sys/kernel/threads-max`, `sys/kernel/seccomp/actions_logged`
    /// (whole, at offset 0), `sys/fs/file-max`, `profiling`
    /// `<pid>/oom_score_adj` (a number, -1000 to 1000) and
    /// `<pid>/make-it-fail` (0 or 1) are writable: the text up to the first newline or NUL
    /// replaces the host name (longer names are cut at 64 bytes, as Linux's
    /// `proc_dostring` does) or the pattern; a write to `profiling` is one
    /// command to the profiler. The view refuses callers without privilege
    /// (`EPERM`).
    fn write_at(&self, offset: u64, buf: &[u8]) -> KernelResult<usize> {
        if matches!(self.source, Source::System(SystemEntry::Profiling)) {
            self.context.view.control_profiling(buf)?;
            return Ok(buf.len());
        }
        if let Source::Process {
            process,
            entry: ProcessEntry::OomScoreAdj,
            ..
        } = &self.source
        {
            process.set_oom_score_adj(parse_oom_score_adj(buf)?)?;
            return Ok(buf.len());
        }
        if let Source::Process {
            process,
            entry: ProcessEntry::MakeItFail,
            ..
        } = &self.source
        {
            // Linux's `kstrtoint`: 0 or 1, anything else EINVAL.
            let make_it_fail = match parse_number(buf)? {
                0 => false,
                1 => true,
                _ => return Err(Errno::EINVAL),
            };
            process.set_make_it_fail(make_it_fail)?;
            return Ok(buf.len());
        }
        let limit = match self.source {
            Source::System(SystemEntry::ThreadsMax) => Some(SystemLimit::ThreadsMax),
            Source::System(SystemEntry::FileMax) => Some(SystemLimit::FileMax),
            Source::System(SystemEntry::InotifyMaxQueuedEvents) => {
                Some(SystemLimit::InotifyMaxQueuedEvents)
            }
            Source::System(SystemEntry::InotifyMaxUserInstances) => {
                Some(SystemLimit::InotifyMaxUserInstances)
            }
            Source::System(SystemEntry::InotifyMaxUserWatches) => {
                Some(SystemLimit::InotifyMaxUserWatches)
            }
            _ => None,
        };
        if let Some(limit) = limit {
            self.context
                .view
                .set_system_limit(limit, parse_number(buf)?)?;
            return Ok(buf.len());
        }
        let entry = match self.source {
            Source::System(
                entry @ (SystemEntry::Hostname
                | SystemEntry::CorePattern
                | SystemEntry::SeccompActionsLogged),
            ) => entry,
            _ => return Err(Errno::EINVAL),
        };
        if offset != 0 {
            return Err(Errno::EINVAL);
        }
        if entry == SystemEntry::SeccompActionsLogged {
            self.context.view.set_seccomp_actions_logged(buf)?;
            return Ok(buf.len());
        }
        if entry == SystemEntry::CorePattern {
            let end = buf
                .iter()
                .position(|&byte| byte == b'\n' || byte == 0)
                .unwrap_or(buf.len());
            self.context.view.set_core_pattern(&buf[..end])?;
            return Ok(buf.len());
        }
        let end = buf
            .iter()
            .position(|&byte| byte == b'\n' || byte == 0)
            .unwrap_or(buf.len());
        let name = &buf[..end.min(HOSTNAME_MAX)];
        self.context.view.set_hostname(name)?;
        log::info!("procfs: host name set ({} bytes)", name.len());
        Ok(buf.len())
    }

    /// Truncation is how `O_TRUNC` reaches a proc file; like Linux, it is
    /// accepted and changes nothing.
    fn truncate(&self, _size: u64) -> KernelResult<()> {
        Ok(())
    }

    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}
