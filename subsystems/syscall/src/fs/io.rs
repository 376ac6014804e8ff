//! Descriptor I/O: read, write, their vectored and positioned forms,
//! lseek, close, dup, fcntl, ioctl, getdents64, ftruncate, fsync.

use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::{Errno, IOV_MAX, IoVec, KernelResult, ioctl as request};
use fs::dirent::DirentLayout;
use fs::socket::Direction;
use fs::{FileDescription, OpenFlags};
use signal::RestartBlock;

use crate::SyscallResult;
use crate::args::{Fd, UserBuffer, UserPtr};
use crate::context::Context;
use crate::kernel::{Kernel, UserThreadData};

/// Most bytes one pass of a read or write moves through a kernel buffer,
/// so the buffer stays bounded; a larger call takes several passes.
pub const MAX_IO: usize = 1 << 20;

/// Most bytes one `read` or `write` moves: Linux's `MAX_RW_COUNT`.
pub const MAX_RW_COUNT: usize = 0x7fff_f000;

/// Retries `attempt` until it stops saying `EAGAIN`, sleeping on the
/// description's wait queue in between, unless the description is
/// non-blocking. `EINTR` if a signal interrupts the sleep.
#[inline(always)]
pub fn blocking<R>(
    description: &FileDescription,
    mut attempt: impl FnMut() -> KernelResult<R>,
) -> KernelResult<R> {
    if !may_wait(description) {
        return attempt();
    }
    retry_waiting(description, (|| None, || 0, || {}), attempt)
}

/// Whether an attempt on `description` that says `EAGAIN` may be waited
/// out: asked inline, before any of the waiting loop's state is built, so
/// a call on a file that never waits (a device, a regular file) costs two
/// loads.
#[inline(always)]
fn may_wait(description: &FileDescription) -> bool {
    description.nature().waitable && !description.is_nonblocking()
}

/// [`blocking`] for a call that moves data `direction` through what may
/// be a socket: a socket waits at most its `SO_RCVTIMEO` or `SO_SNDTIMEO`
/// and then fails with `EAGAIN`, and a signal that cuts such a wait
/// short fails the call with `EINTR` even under `SA_RESTART` (Linux's
/// `sock_intr_errno`).
#[inline(always)]
pub fn blocking_io<K: Kernel, R>(
    ctx: &Context<'_, K>,
    description: &FileDescription,
    direction: Direction,
    mut attempt: impl FnMut() -> KernelResult<R>,
) -> KernelResult<R> {
    if !may_wait(description) {
        return attempt();
    }
    let now = || ctx.kernel.now_ns();
    let deadline = || {
        let socket = description.file().socket()?;
        Some(now().saturating_add(socket.timeout(direction)?))
    };
    retry_waiting(
        description,
        (deadline, now, || interrupted_for_good(ctx)),
        attempt,
    )
}

/// Makes the call about to fail with `EINTR` fail for good, whatever
/// `SA_RESTART` says: its socket wait had a timeout (Linux's
/// `sock_intr_errno`).
pub(crate) fn interrupted_for_good<K: Kernel>(ctx: &Context<'_, K>) {
    ctx.thread
        .data()
        .signals()
        .lock()
        .set_restart(RestartBlock::Never);
}

/// The loop of [`blocking`]: `deadline` is asked once, at the first wait
/// (most calls never wait), for when to give up with `EAGAIN` by `now`;
/// `timed_interrupt` runs when a signal cuts a wait with a deadline short.
fn retry_waiting<R>(
    description: &FileDescription,
    (deadline, now, timed_interrupt): (
        impl FnOnce() -> Option<u64>,
        impl Fn() -> u64,
        impl FnOnce(),
    ),
    mut attempt: impl FnMut() -> KernelResult<R>,
) -> KernelResult<R> {
    // Nothing to wait for: EAGAIN stands (the callers ask `may_wait`
    // first; a description made non-blocking meanwhile is seen below).
    let Some(queue) = description.wait_queue() else {
        return attempt();
    };
    let mut deadline = Some(deadline);
    let mut until = None;
    loop {
        // The count is read before the attempt, so a wake between the
        // attempt and the sleep ends the sleep at once.
        let seen = queue.event_count();
        match attempt() {
            Err(Errno::EAGAIN) if !description.is_nonblocking() => {
                if let Some(deadline) = deadline.take() {
                    until = deadline();
                }
                match until {
                    None => queue.wait_for_event(seen, true)?,
                    Some(until) if now() >= until => return Err(Errno::EAGAIN),
                    Some(until) => {
                        if let Err(error) = queue.wait_for_event_until(seen, true, Some(until)) {
                            timed_interrupt();
                            return Err(error);
                        }
                    }
                }
            }
            other => return other,
        }
    }
}

/// Reads and writes up to this many bytes use a buffer on the stack.
const SMALL_IO: usize = 256;
/// Reads and writes of up to this many bytes (a short line) use a smaller
/// stack buffer still.
const TINY_IO: usize = 32;
/// Reads and writes of up to a word (a character, an eventfd counter, a
/// pipe used to wake a thread) use one word of stack: zeroing it is one
/// store, where zeroing more is a vector store that makes a system call
/// save the caller's SSE registers (see `arch::syscall`).
const WORD_IO: usize = 8;

#[track_caller]
pub(crate) fn kernel_buffer(len: usize) -> KernelResult<crate::context::IoBuffer> {
    crate::context::zeroed_io(len)
}

/// Reads into user memory, [`MAX_IO`] bytes a pass. A seekable file is
/// read on until `count` bytes or its end, as Linux reads a regular file
/// in one call; anything else returns after the first pass, with what it
/// had (a pipe must not block for more once it gave some).
#[inline(always)]
fn read_into_user<K: Kernel>(
    ctx: &Context<'_, K>,
    description: &Arc<FileDescription>,
    buffer: UserBuffer,
    count: usize,
    offset: Option<i64>,
) -> SyscallResult {
    if count <= MAX_IO || !description.nature().seekable {
        return read_pass(ctx, description, buffer, count.min(MAX_IO), offset);
    }
    in_passes(count, |done, pass| {
        let at = offset.map(|offset| offset.saturating_add(done as i64));
        read_pass(ctx, description, buffer.offset(done), pass, at)
    })
}

/// Runs `pass(done, len)` over `count` (at most [`MAX_RW_COUNT`]) bytes,
/// [`MAX_IO`] at a time, until a pass moves fewer bytes than it was
/// given. An error after some bytes moved ends the call with those bytes,
/// as Linux does; the error comes with the next call. Out of line: most
/// calls take one pass, and the loop would cost them.
#[cold]
#[inline(never)]
fn in_passes(count: usize, mut pass: impl FnMut(usize, usize) -> SyscallResult) -> SyscallResult {
    let count = count.min(MAX_RW_COUNT);
    let mut done = 0;
    while done < count {
        let len = (count - done).min(MAX_IO);
        match pass(done, len) {
            Ok(moved) => {
                done += moved as usize;
                if (moved as usize) < len {
                    break;
                }
            }
            Err(_) if done > 0 => break,
            Err(error) => return Err(error),
        }
    }
    Ok(done as u64)
}

/// One pass of [`read_into_user`]. The user buffer is checked before the
/// file is read, and a read whose copy-out fails gives its bytes back (a
/// file's offset moves back, a pipe takes them again): reading first and
/// failing with `EFAULT` afterwards would lose them. Inlined into its
/// callers: a call frame of its own cost every small read about 20
/// instructions.
#[inline(always)]
fn read_pass<K: Kernel>(
    ctx: &Context<'_, K>,
    description: &Arc<FileDescription>,
    buffer: UserBuffer,
    count: usize,
    offset: Option<i64>,
) -> SyscallResult {
    let user = mm::UserSlice::new(buffer.0, count)?;
    let nature = description.nature();
    if offset.is_none() && nature.terminal {
        crate::fs::terminal::check_read(ctx, description)?;
    }
    if offset.is_none()
        && nature.signalfd
        && let Some(mask) = description.file().signal_mask()
    {
        return crate::signals::signalfd::read(ctx, description, mask, buffer, count);
    }
    // Small reads (most of them) go through the stack, in a buffer no
    // larger than needed: safe Rust zeroes all of it first.
    let mut word;
    let mut tiny;
    let mut small;
    let mut large;
    let data: &mut [u8] = if count <= WORD_IO {
        word = [0u8; WORD_IO];
        &mut word[..count]
    } else if count <= TINY_IO {
        tiny = [0u8; TINY_IO];
        &mut tiny[..count]
    } else if count <= SMALL_IO {
        small = [0u8; SMALL_IO];
        &mut small[..count]
    } else {
        large = kernel_buffer(count)?;
        &mut large
    };
    let n = match offset {
        Some(offset) => description.pread(data, offset)?,
        None if nature.terminal => match description.file().terminal() {
            Some(terminal) if description.file().reads_terminal_input() => {
                crate::fs::terminal::read(ctx, description, terminal, data)?
            }
            _ => blocking(description, || description.read(data))?,
        },
        None => blocking_io(ctx, description, Direction::Receive, || {
            description.read(data)
        })?,
    };
    if let Err(error) = ctx.write_bytes_to(user.prefix(n), &data[..n]) {
        give_back(description, &data[..n], offset);
        return Err(error);
    }
    Ok(n as u64)
}

/// Returns `bytes`, read from `description` (at `offset` for a
/// positioned read, which moved no offset), whose copy to user memory
/// failed: a file's offset moves back over them, a pipe or stream socket
/// takes them again; a datagram is lost (as on Linux).
#[cold]
fn give_back(description: &FileDescription, bytes: &[u8], offset: Option<i64>) {
    if offset.is_some() || bytes.is_empty() {
        return;
    }
    if description.nature().seekable {
        let _ = description.lseek(-(bytes.len() as i64), 1);
    } else {
        description.unread(bytes);
    }
}

/// Counts a read-like call in the process's I/O accounting (`rchar`,
/// `syscr`), as Linux counts every call, failed ones with 0 bytes.
pub(crate) fn counted_read<K: Kernel>(
    ctx: &Context<'_, K>,
    result: SyscallResult,
) -> SyscallResult {
    ctx.process.io().record_read(*result.as_ref().unwrap_or(&0));
    result
}

/// Counts a write-like call (`wchar`, `syscw`).
pub(crate) fn counted_write<K: Kernel>(
    ctx: &Context<'_, K>,
    result: SyscallResult,
) -> SyscallResult {
    ctx.process
        .io()
        .record_write(*result.as_ref().unwrap_or(&0));
    result
}

/// Writes from user memory, [`MAX_IO`] bytes a pass, until `count` bytes
/// are written or a pass writes less (a full disk, a non-blocking pipe):
/// a blocking write moves everything, as on Linux.
#[inline(always)]
fn write_from_user<K: Kernel>(
    ctx: &Context<'_, K>,
    description: &Arc<FileDescription>,
    buffer: UserBuffer,
    count: usize,
    offset: Option<i64>,
) -> SyscallResult {
    if count <= MAX_IO {
        return write_pass(ctx, description, buffer, count, offset);
    }
    in_passes(count, |done, pass| {
        let at = offset.map(|offset| offset.saturating_add(done as i64));
        write_pass(ctx, description, buffer.offset(done), pass, at)
    })
}

/// One pass of [`write_from_user`] (inlined, as [`read_pass`]).
#[inline(always)]
fn write_pass<K: Kernel>(
    ctx: &Context<'_, K>,
    description: &Arc<FileDescription>,
    buffer: UserBuffer,
    count: usize,
    offset: Option<i64>,
) -> SyscallResult {
    // Small writes (most of them) copy through the stack, as small reads.
    let mut word;
    let mut tiny;
    let mut small;
    let large;
    let data: &[u8] = if count <= WORD_IO {
        word = [0u8; WORD_IO];
        ctx.read_bytes_into(buffer, &mut word[..count])?;
        &word[..count]
    } else if count <= TINY_IO {
        tiny = [0u8; TINY_IO];
        ctx.read_bytes_into(buffer, &mut tiny[..count])?;
        &tiny[..count]
    } else if count <= SMALL_IO {
        small = [0u8; SMALL_IO];
        ctx.read_bytes_into(buffer, &mut small[..count])?;
        &small[..count]
    } else {
        large = ctx.read_bytes(buffer, count)?;
        &large
    };
    let nature = description.nature();
    if offset.is_none() && nature.terminal {
        crate::fs::terminal::check_write(ctx, description)?;
    }
    let result = match offset {
        Some(offset) => description.pwrite(data, offset),
        None => {
            let mut written = 0;
            loop {
                let write = || description.write(&data[written..]);
                match blocking_io(ctx, description, Direction::Send, write) {
                    Ok(n) => {
                        written += n;
                        if written == data.len() || n == 0 {
                            break Ok(written);
                        }
                    }
                    // A partial write stands; the error comes next time.
                    Err(_) if written > 0 => break Ok(written),
                    Err(error) => break Err(error),
                }
            }
        }
    };
    if result == Err(Errno::EPIPE) {
        ctx.kernel.raise_sigpipe();
    }
    if nature.pseudo_terminal {
        crate::fs::terminal::deliver_typed_signals(ctx, description);
    }
    Ok(result? as u64)
}

/// The caller's buffer of a direct read ([`fs::direct::ReadTarget`]):
/// a checked slice of its memory.
struct UserTarget<'a, K: Kernel> {
    kernel: &'a K,
    slice: mm::UserSlice,
}

impl<K: Kernel> fs::direct::ReadTarget for UserTarget<'_, K> {
    fn fill_zeros(&self) -> KernelResult<usize> {
        match self.kernel.user_memory().zero_user(self.slice) {
            0 if !self.slice.is_empty() => Err(Errno::EFAULT),
            zeroed => Ok(zeroed),
        }
    }
}

/// A plain read of a file whose reads are direct (a memory device): no
/// kernel buffer, no copy. The buffer is checked to lie in user space
/// first, as Linux's `access_ok`.
#[inline(always)]
fn read_direct<K: Kernel>(
    ctx: &Context<'_, K>,
    description: &FileDescription,
    buffer: UserBuffer,
    count: usize,
) -> SyscallResult {
    let slice = mm::UserSlice::new(buffer.0, count.min(MAX_RW_COUNT))?;
    let target = UserTarget {
        kernel: ctx.kernel,
        slice,
    };
    Ok(description.read_direct(&target)? as u64)
}

/// A plain write to a file whose writes are direct: its bytes are never
/// read (writing to `/dev/null` from any user buffer succeeds, as on
/// Linux), but must lie in user space.
#[inline(always)]
fn write_direct(description: &FileDescription, buffer: UserBuffer, count: usize) -> SyscallResult {
    let slice = mm::UserSlice::new(buffer.0, count.min(MAX_RW_COUNT))?;
    Ok(description.write_direct(slice.len())? as u64)
}

/// `read(fd, buf, count)`.
pub fn read<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    buf: UserBuffer,
    count: usize,
) -> SyscallResult {
    let description = ctx.description(fd)?;
    let result = if description.nature().direct {
        read_direct(ctx, &description, buf, count)
    } else {
        read_into_user(ctx, &description, buf, count, None)
    };
    counted_read(ctx, result)
}

/// `write(fd, buf, count)`.
pub fn write<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    buf: UserBuffer,
    count: usize,
) -> SyscallResult {
    let description = ctx.description(fd)?;
    let result = if description.nature().direct {
        write_direct(&description, buf, count)
    } else {
        write_from_user(ctx, &description, buf, count, None)
    };
    counted_write(ctx, result)
}

/// `pread64(fd, buf, count, offset)`.
pub fn pread64<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    buf: UserBuffer,
    count: usize,
    offset: i64,
) -> SyscallResult {
    counted_read(
        ctx,
        read_into_user(ctx, &ctx.description(fd)?, buf, count, Some(offset)),
    )
}

/// `pwrite64(fd, buf, count, offset)`.
pub fn pwrite64<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    buf: UserBuffer,
    count: usize,
    offset: i64,
) -> SyscallResult {
    counted_write(
        ctx,
        write_from_user(ctx, &ctx.description(fd)?, buf, count, Some(offset)),
    )
}

/// The `iovec` array at `iov` (`EINVAL` past `IOV_MAX`).
pub(crate) fn iovecs<K: Kernel>(
    ctx: &Context<'_, K>,
    iov: UserPtr<IoVec>,
    count: usize,
) -> KernelResult<Vec<IoVec>> {
    if count > IOV_MAX {
        return Err(Errno::EINVAL);
    }
    let vectors: Vec<IoVec> = (0..count)
        .map(|i| ctx.read(iov.element(i)))
        .collect::<KernelResult<_>>()?;
    // Lengths are `ssize_t` to Linux: a negative one, or a total past
    // `SSIZE_MAX`, is EINVAL.
    let mut total: u64 = 0;
    for vector in &vectors {
        total = total.checked_add(vector.len).ok_or(Errno::EINVAL)?;
        if total > i64::MAX as u64 {
            return Err(Errno::EINVAL);
        }
    }
    Ok(vectors)
}

/// Reads or writes the `iovec`s in order, at `offset` if given (which
/// then advances per vector) or at the description's offset. Stops at the
/// first short transfer; an error after some bytes moved is the next
/// call's.
fn vectored<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    iov: UserPtr<IoVec>,
    count: usize,
    writing: bool,
    offset: Option<i64>,
) -> SyscallResult {
    let result = vectored_uncounted(ctx, fd, iov, count, writing, offset);
    if writing {
        counted_write(ctx, result)
    } else {
        counted_read(ctx, result)
    }
}

fn vectored_uncounted<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    iov: UserPtr<IoVec>,
    count: usize,
    writing: bool,
    mut offset: Option<i64>,
) -> SyscallResult {
    let description = ctx.description(fd)?;
    let vectors = iovecs(ctx, iov, count)?;
    if offset.is_some() && !description.nature().seekable {
        return Err(Errno::ESPIPE);
    }
    let mut total = 0u64;
    for vec in vectors {
        if vec.len == 0 {
            continue;
        }
        let buffer = UserBuffer(vec.base);
        let n = if writing {
            write_from_user(ctx, &description, buffer, vec.len as usize, offset)
        } else {
            read_into_user(ctx, &description, buffer, vec.len as usize, offset)
        };
        match n {
            Ok(n) => {
                total += n;
                if let Some(at) = offset.as_mut() {
                    *at += n as i64;
                }
                if n < vec.len {
                    break;
                }
            }
            Err(_) if total > 0 => break,
            Err(error) => return Err(error),
        }
    }
    Ok(total)
}

/// `readv(fd, iov, iovcnt)`.
pub fn readv<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    iov: UserPtr<IoVec>,
    count: usize,
) -> SyscallResult {
    vectored(ctx, fd, iov, count, false, None)
}

/// `writev(fd, iov, iovcnt)`.
pub fn writev<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    iov: UserPtr<IoVec>,
    count: usize,
) -> SyscallResult {
    vectored(ctx, fd, iov, count, true, None)
}

/// `RWF_*` flags `preadv2`/`pwritev2` know: HIPRI, DSYSNC, SYNC, NOWAIT,
/// APPEND. Every file system here is in memory, so none changes what
/// happens except `RWF_APPEND`.
const RWF_KNOWN: u32 = 0x1f;
const RWF_APPEND: u32 = 0x10;

/// The position a positioned vector call names: `offset` itself, or the
/// description's offset for -1 when `current_allowed` (the `*v2` forms).
fn vector_position(offset: i64, current_allowed: bool) -> KernelResult<Option<i64>> {
    match offset {
        -1 if current_allowed => Ok(None),
        offset if offset < 0 => Err(Errno::EINVAL),
        offset => Ok(Some(offset)),
    }
}

/// `preadv(fd, iov, iovcnt, offset)`: the high half of the offset is
/// unused on 64-bit.
pub fn preadv<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    iov: UserPtr<IoVec>,
    count: usize,
    offset: i64,
) -> SyscallResult {
    vectored(ctx, fd, iov, count, false, vector_position(offset, false)?)
}

/// `pwritev(fd, iov, iovcnt, offset)`.
pub fn pwritev<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    iov: UserPtr<IoVec>,
    count: usize,
    offset: i64,
) -> SyscallResult {
    vectored(ctx, fd, iov, count, true, vector_position(offset, false)?)
}

/// `preadv2(fd, iov, iovcnt, offset, _, flags)`: offset -1 reads at the
/// file offset.
pub fn preadv2<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    iov: UserPtr<IoVec>,
    count: usize,
    offset: i64,
    _offset_high: u64,
    flags: u32,
) -> SyscallResult {
    check_rwf(flags)?;
    vectored(ctx, fd, iov, count, false, vector_position(offset, true)?)
}

/// `EOPNOTSUPP` for an `RWF_*` flag this kernel does not know.
fn check_rwf(flags: u32) -> KernelResult<()> {
    if flags & !RWF_KNOWN != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    Ok(())
}

/// `pwritev2(fd, iov, iovcnt, offset, _, flags)`: offset -1 writes at the
/// file offset; `RWF_APPEND` appends whatever the offset.
pub fn pwritev2<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    iov: UserPtr<IoVec>,
    count: usize,
    offset: i64,
    _offset_high: u64,
    flags: u32,
) -> SyscallResult {
    check_rwf(flags)?;
    let mut position = vector_position(offset, true)?;
    if flags & RWF_APPEND != 0 {
        let description = ctx.description(fd)?;
        if description.nature().seekable {
            position =
                Some(i64::try_from(description.file().size()?).map_err(|_| Errno::EOVERFLOW)?);
        }
    }
    vectored(ctx, fd, iov, count, true, position)
}

/// `lseek(fd, offset, whence)`.
pub fn lseek<K: Kernel>(ctx: &Context<'_, K>, fd: Fd, offset: i64, whence: u32) -> SyscallResult {
    ctx.description(fd)?.lseek(offset, whence)
}

/// `close(fd)`. The description is dropped after the table lock is
/// released: its last reference may wake pipe peers.
pub fn close<K: Kernel>(ctx: &Context<'_, K>, fd: Fd) -> SyscallResult {
    let closed = ctx.process.fds().lock().close(fd.0)?;
    crate::fs::lock::after_close(ctx, &closed);
    drop(closed);
    Ok(0)
}

/// `close_range(first, last, flags)`: closes (or with
/// `CLOSE_RANGE_CLOEXEC` marks close-on-exec) every open fd in the range.
/// `CLOSE_RANGE_UNSHARE` asks for a private table first; tables here are
/// never shared between processes, so there is nothing to unshare.
pub fn close_range<K: Kernel>(
    ctx: &Context<'_, K>,
    first: u32,
    last: u32,
    flags: u32,
) -> SyscallResult {
    const CLOSE_RANGE_UNSHARE: u32 = 1 << 1;
    const CLOSE_RANGE_CLOEXEC: u32 = 1 << 2;
    if flags & !(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) != 0 || first > last {
        return Err(Errno::EINVAL);
    }
    let mut fds = ctx.process.fds().lock();
    let open: Vec<i32> = fds
        .enumerate()
        .map(|open| open.fd)
        .filter(|&fd| (first..=last).contains(&(fd as u32)))
        .collect();
    if flags & CLOSE_RANGE_CLOEXEC != 0 {
        for fd in open {
            fds.set_cloexec(fd, true)?;
        }
        return Ok(0);
    }
    let mut closed = Vec::new();
    for fd in open {
        closed.push(fds.close(fd)?);
    }
    drop(fds);
    for description in closed {
        crate::fs::lock::after_close(ctx, &description);
    }
    Ok(0)
}

/// `dup(fd)`.
pub fn dup<K: Kernel>(ctx: &Context<'_, K>, fd: Fd) -> SyscallResult {
    Ok(ctx.process.fds().lock().dup(fd.0)? as u64)
}

/// `dup2(old, new)`.
pub fn dup2<K: Kernel>(ctx: &Context<'_, K>, old: Fd, new: Fd) -> SyscallResult {
    let (fd, closed) = ctx.process.fds().lock().dup2(old.0, new.0)?;
    drop(closed);
    Ok(fd as u64)
}

/// `dup3(old, new, flags)`.
pub fn dup3<K: Kernel>(ctx: &Context<'_, K>, old: Fd, new: Fd, flags: u32) -> SyscallResult {
    let (fd, closed) = ctx.process.fds().lock().dup3(old.0, new.0, flags)?;
    drop(closed);
    Ok(fd as u64)
}

/// `fcntl(fd, cmd, arg)`.
pub fn fcntl<K: Kernel>(ctx: &Context<'_, K>, fd: Fd, cmd: u32, arg: u64) -> SyscallResult {
    const F_GETFL: u32 = 3;
    const F_SETFL: u32 = 4;
    const F_GETLK: u32 = 5;
    const F_SETLK: u32 = 6;
    const F_SETLKW: u32 = 7;
    const F_OFD_GETLK: u32 = 36;
    const F_OFD_SETLK: u32 = 37;
    const F_OFD_SETLKW: u32 = 38;
    const F_ADD_SEALS: u32 = 1033;
    const F_GET_SEALS: u32 = 1034;
    const F_NOTIFY: u32 = 1026;
    const F_SETPIPE_SZ: u32 = 1031;
    const F_GETPIPE_SZ: u32 = 1032;
    match cmd {
        F_GETPIPE_SZ | F_SETPIPE_SZ => {
            let description = ctx.description(fd)?;
            let pipe = description.file().pipe().ok_or(Errno::EBADF)?;
            if cmd == F_GETPIPE_SZ {
                return Ok(pipe.capacity() as u64);
            }
            let size = usize::try_from(arg as u32).map_err(|_| Errno::EINVAL)?;
            let privileged = ctx.capable(abi::capability::CAP_SYS_RESOURCE);
            Ok(pipe.set_capacity(size, privileged)? as u64)
        }
        F_NOTIFY => {
            // Directory change notification (dnotify) is not kept: asking
            // for events is EINVAL, as on a Linux built without it; asking
            // for none clears the (empty) set and succeeds.
            const DN_MULTISHOT: u64 = 0x8000_0000;
            let description = ctx.description(fd)?;
            if !description.is_directory() {
                return Err(Errno::ENOTDIR);
            }
            if arg & !DN_MULTISHOT & 0xffff_ffff != 0 {
                return Err(Errno::EINVAL);
            }
            Ok(0)
        }
        F_ADD_SEALS => crate::fs::memfd::add_seals(ctx, fd, arg),
        F_GET_SEALS => crate::fs::memfd::get_seals(ctx, fd),
        F_GETFL => Ok(u64::from(ctx.description(fd)?.status_flags().bits())),
        F_SETFL => {
            let description = ctx.description(fd)?;
            let changeable = OpenFlags::O_APPEND
                | OpenFlags::O_NONBLOCK
                | OpenFlags::O_ASYNC
                | OpenFlags::O_DIRECT
                | OpenFlags::O_NOATIME;
            let requested = OpenFlags::from_bits_truncate(arg as u32) & changeable;
            let flags = (description.status_flags() & !changeable) | requested;
            description.set_status_flags(flags);
            Ok(0)
        }
        F_GETLK => crate::fs::lock::fcntl_lock(ctx, fd, (false, false, false), arg),
        F_SETLK => crate::fs::lock::fcntl_lock(ctx, fd, (true, false, false), arg),
        F_SETLKW => crate::fs::lock::fcntl_lock(ctx, fd, (true, true, false), arg),
        F_OFD_GETLK => crate::fs::lock::fcntl_lock(ctx, fd, (false, false, true), arg),
        F_OFD_SETLK => crate::fs::lock::fcntl_lock(ctx, fd, (true, false, true), arg),
        F_OFD_SETLKW => crate::fs::lock::fcntl_lock(ctx, fd, (true, true, true), arg),
        cmd => ctx
            .process
            .fds()
            .lock()
            .fcntl(fd.0, cmd, arg)
            .map(|v| v as u64),
    }
}

/// `ioctl(fd, request, arg)`.
pub fn ioctl<K: Kernel>(ctx: &Context<'_, K>, fd: Fd, req: u32, arg: u64) -> SyscallResult {
    let description = ctx.description(fd)?;
    match req {
        request::FIONBIO => {
            let on: i32 = ctx.read(UserPtr::new(arg))?;
            let mut flags = description.status_flags();
            flags.set(OpenFlags::O_NONBLOCK, on != 0);
            description.set_status_flags(flags);
            return Ok(0);
        }
        request::FIOCLEX | request::FIONCLEX => {
            let mut fds = ctx.process.fds().lock();
            let flags = u64::from(req == request::FIOCLEX);
            return fds.fcntl(fd.0, 2, flags).map(|_| 0);
        }
        _ => {}
    }
    let master = !description.file().reads_terminal_input();
    if let Some(pair) = description.file().pseudo_terminal()
        && let Some(result) = crate::fs::terminal::pty_ioctl(ctx, pair, master, req, arg)
    {
        return result;
    }
    if let Some(terminal) = description.file().terminal()
        && let Some(result) = crate::fs::terminal::ioctl(ctx, terminal, req, arg)
    {
        return result;
    }
    if description.file().socket().is_some()
        && let Some(result) = crate::net::interfaces::ioctl(ctx, req, arg)
    {
        return result;
    }
    if req == request::FIONREAD
        && let Some(available) = description.file().bytes_available()
    {
        let available = i32::try_from(available).unwrap_or(i32::MAX);
        return ctx.write(UserPtr::new(arg), &available).map(|()| 0);
    }
    description.ioctl(req, arg as usize).map(|v| v as u64)
}

/// `getdents64(fd, dirp, count)`.
pub fn getdents64<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    dirp: UserBuffer,
    count: usize,
) -> SyscallResult {
    getdents_in(ctx, fd, dirp, count, DirentLayout::Dirent64)
}

/// `getdents(fd, dirp, count)`: the old layout, `struct linux_dirent`,
/// which older static programs still read.
pub fn getdents<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    dirp: UserBuffer,
    count: usize,
) -> SyscallResult {
    getdents_in(ctx, fd, dirp, count, DirentLayout::Dirent)
}

fn getdents_in<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    dirp: UserBuffer,
    count: usize,
    layout: DirentLayout,
) -> SyscallResult {
    let description = ctx.description(fd)?;
    let mut buffer = kernel_buffer(count.min(MAX_IO))?;
    let n = description.getdents(&mut buffer, layout)?;
    ctx.write_bytes(dirp, &buffer[..n])?;
    Ok(n as u64)
}

/// `ftruncate(fd, length)`.
pub fn ftruncate<K: Kernel>(ctx: &Context<'_, K>, fd: Fd, length: i64) -> SyscallResult {
    ctx.description(fd)?.truncate(length)?;
    Ok(0)
}

/// `fsync(fd)` and `fdatasync(fd)`: every file system here is in memory,
/// so a valid descriptor has nothing to write back.
pub fn fsync<K: Kernel>(ctx: &Context<'_, K>, fd: Fd) -> SyscallResult {
    ctx.description(fd).map(|_| 0)
}
