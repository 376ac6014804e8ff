//! What an open file description reads and writes through: the [`File`] trait,
//! and [`InodeFile`], the file over an ordinary inode.

use alloc::sync::Arc;

use abi::{Errno, KernelResult};

use crate::inode::Inode;
use crate::types::{FileType, PollEvents, Stat};
use crate::wait::WaitQueue;

/// An object an open file description does I/O on: a regular file or
/// directory (through [`InodeFile`]), a device, a pipe end.
///
/// Blocking is the caller's: an operation that would block returns
/// `Err(EAGAIN)`, and the caller sleeps on [`File::wait_queue`] and retries
/// unless the description is `O_NONBLOCK`.
pub trait File: Send + Sync {
    /// Reads at `offset` (ignored when not seekable).
    fn read(&self, _offset: u64, _buf: &mut [u8]) -> KernelResult<usize> {
        Err(Errno::EINVAL)
    }

    /// Writes at `offset` (ignored when not seekable).
    fn write(&self, _offset: u64, _buf: &[u8]) -> KernelResult<usize> {
        Err(Errno::EINVAL)
    }

    /// Whether reads and writes skip the kernel buffer: the caller asks
    /// [`File::read_direct`] and [`File::write_direct`] instead of
    /// [`File::read`] and [`File::write`] for a plain `read` or `write`,
    /// and the description's offset reads as 0 (Linux's memory devices
    /// keep `f_pos` at 0; such a file answers `lseek` itself, through
    /// [`File::seek_positions`]). Asked once, at open ([`File::nature`]).
    fn is_direct(&self) -> bool {
        false
    }

    /// Fills the caller's buffer, `target`, and says how many bytes it
    /// filled, for a file that [`File::is_direct`]; never asked of any
    /// other.
    fn read_direct(&self, _target: &dyn crate::direct::ReadTarget) -> KernelResult<usize> {
        Err(Errno::EINVAL)
    }

    /// Takes a write of `len` bytes without reading them (a device that
    /// discards or refuses what it is given), for a file that
    /// [`File::is_direct`]; never asked of any other.
    fn write_direct(&self, _len: usize) -> KernelResult<usize> {
        Err(Errno::EINVAL)
    }

    /// Puts back `bytes`, the last a [`File::read`] of a stream took, to
    /// be read first again: the read's copy to user memory failed, and the
    /// bytes must not be lost (Linux leaves them in a pipe). Returns
    /// whether they were kept; a stream that cannot says `false`.
    fn unread(&self, _bytes: &[u8]) -> bool {
        false
    }

    /// Writes at the end as one step for `O_APPEND`: bytes written and the
    /// offset after them. Only called on seekable files.
    fn append(&self, buf: &[u8]) -> KernelResult<(usize, u64)> {
        let end = self.size()?;
        let written = self.write(end, buf)?;
        Ok((written, end + written as u64))
    }

    /// `lseek` for a file whose positions are not byte offsets
    /// (`/dev/kmsg`'s record numbers); `None` for the ordinary rules.
    fn seek_positions(&self, _offset: i64, _whence: u32) -> Option<KernelResult<u64>> {
        None
    }

    /// Whether `lseek` and positional I/O apply (`ESPIPE` otherwise).
    fn is_seekable(&self) -> bool {
        false
    }

    /// The current size, for `SEEK_END` and `O_APPEND`.
    fn size(&self) -> KernelResult<u64> {
        Ok(0)
    }

    /// Sets the size (`ftruncate`).
    fn truncate(&self, _size: u64) -> KernelResult<()> {
        Err(Errno::EINVAL)
    }

    /// Device control. `arg` is passed through untouched: requests that read
    /// or write user memory are decoded by the caller, which owns user copies.
    fn ioctl(&self, _request: u32, _arg: usize) -> KernelResult<usize> {
        Err(Errno::ENOTTY)
    }

    /// Readiness for `poll`/`select`.
    fn poll(&self) -> PollEvents {
        PollEvents::POLLIN | PollEvents::POLLOUT
    }

    /// `fstat` for objects that have no inode (pipes).
    fn stat(&self) -> KernelResult<Stat> {
        Err(Errno::EBADF)
    }

    /// The terminal behind this file, for the terminal `ioctl`s and job
    /// control; `None` for anything that is not a terminal.
    fn terminal(&self) -> Option<&crate::devices::terminal::Terminal> {
        None
    }

    /// Whether reads take the terminal's input, through its line discipline
    /// and job control (a terminal, a pseudo-terminal's slave); `false` for
    /// a pseudo-terminal's master, which reads the terminal's output.
    fn reads_terminal_input(&self) -> bool {
        self.terminal().is_some()
    }

    /// The pseudo-terminal pair behind this file (`TIOCGPTN`,
    /// `TIOCSPTLCK`); `None` for anything else.
    fn pseudo_terminal(&self) -> Option<&crate::devices::pty::PtyPair> {
        None
    }

    /// Signals typed keys asked for since the last call, with the process
    /// group each is for (a pty master's writes are typing at its slave);
    /// the system-call layer sends them after the write.
    fn take_job_signals(&self) -> alloc::vec::Vec<(::tty::JobSignal, i32)> {
        alloc::vec::Vec::new()
    }

    /// The name of the anonymous inode behind this file, as
    /// `/proc/<pid>/fd` shows it (`[eventfd]`, `[eventpoll]`).
    fn anon_inode_name(&self) -> Option<&'static str> {
        None
    }

    /// The pipe behind this file (either end of an anonymous pipe or a
    /// FIFO), for `splice` and `tee`; `None` for anything else.
    fn pipe(&self) -> Option<&Arc<crate::pipe::Pipe>> {
        None
    }

    /// The socket behind this file; `None` for anything else.
    fn socket(&self) -> Option<&Arc<crate::socket::Socket>> {
        None
    }

    /// A signalfd's mask (its reads take the caller's pending signals, so
    /// the system-call layer reads it); `None` for anything else.
    fn signal_mask(&self) -> Option<u64> {
        None
    }

    /// Replaces a signalfd's mask (`signalfd` on an existing one);
    /// `EINVAL` for anything else.
    fn set_signal_mask(&self, _mask: u64) -> KernelResult<()> {
        Err(Errno::EINVAL)
    }

    /// The process a pidfd names; `None` for anything else.
    fn pidfd_pid(&self) -> Option<i32> {
        None
    }

    /// The timer behind this file (`timerfd_settime`, `timerfd_gettime`);
    /// `None` for anything else.
    fn timerfd(&self) -> Option<&crate::timerfd::TimerFd> {
        None
    }

    /// The epoll instance behind this file (`epoll_ctl`, `epoll_wait`);
    /// `None` for anything else.
    fn epoll(&self) -> Option<&crate::epoll::Epoll> {
        None
    }

    /// The inotify instance behind this file (`inotify_add_watch`,
    /// `inotify_rm_watch`); `None` for anything else.
    fn inotify(&self) -> Option<&crate::inotify::Inotify> {
        None
    }

    /// How many bytes a read could take now (`FIONREAD`); `None` where
    /// that ioctl does not apply. The default answers for pipe ends
    /// (either end: the bytes in the pipe, as Linux).
    fn bytes_available(&self) -> Option<usize> {
        self.pipe().map(|pipe| pipe.len())
    }

    /// What kind of object this is, asked once when a description is
    /// made. The default asks the methods it summarises; being generic
    /// over each implementation, it costs one virtual call, not four.
    fn nature(&self) -> crate::description::FileNature {
        crate::description::FileNature {
            seekable: self.is_seekable(),
            terminal: self.terminal().is_some(),
            signalfd: self.signal_mask().is_some(),
            pseudo_terminal: self.pseudo_terminal().is_some(),
            waitable: self.wait_queue().is_some(),
            direct: self.is_direct(),
        }
    }

    /// Where to sleep when an operation returned `EAGAIN`.
    fn wait_queue(&self) -> Option<Arc<dyn WaitQueue>> {
        None
    }
}

/// A [`File`] over a regular file, directory or symbolic link inode.
pub struct InodeFile {
    inode: Arc<dyn Inode>,
}

impl InodeFile {
    /// Wraps `inode`.
    pub fn new(inode: Arc<dyn Inode>) -> InodeFile {
        InodeFile { inode }
    }
}

impl File for InodeFile {
    fn read(&self, offset: u64, buf: &mut [u8]) -> KernelResult<usize> {
        self.inode.read_at(offset, buf)
    }

    fn write(&self, offset: u64, buf: &[u8]) -> KernelResult<usize> {
        self.inode.write_at(offset, buf)
    }

    fn append(&self, buf: &[u8]) -> KernelResult<(usize, u64)> {
        self.inode.append(buf)
    }

    fn is_seekable(&self) -> bool {
        true
    }

    fn size(&self) -> KernelResult<u64> {
        Ok(u64::try_from(self.inode.stat().size).unwrap_or(0))
    }

    fn truncate(&self, size: u64) -> KernelResult<()> {
        self.inode.truncate(size)
    }

    fn stat(&self) -> KernelResult<Stat> {
        Ok(self.inode.stat())
    }

    fn poll(&self) -> PollEvents {
        match self.inode.file_type() {
            FileType::Directory => PollEvents::POLLIN,
            _ => PollEvents::POLLIN | PollEvents::POLLOUT,
        }
    }
}
