//! Moving bytes between descriptors inside the kernel: `sendfile`,
//! `splice`, `tee` and `copy_file_range`; and `vmsplice`, between user
//! memory and a pipe.
//!
//! All four copy through one bounded kernel buffer. A pipe input is peeked
//! and only what the output took is consumed, and a seekable input is read
//! at a position that advances by what was written, so a short write never
//! loses bytes. Only a stream that is not a pipe (a socket, a terminal)
//! gives its bytes up when read, so a transfer from one into a pipe reads
//! no more than the pipe has room for.

use alloc::sync::Arc;

use abi::{Errno, KernelResult};
use fs::{FileDescription, OpenFlags};

use crate::SyscallResult;
use crate::args::{Fd, UserBuffer, UserPtr};
use crate::context::Context;
use crate::fs::io::{MAX_IO, blocking, iovecs, kernel_buffer};
use crate::kernel::Kernel;

/// Largest piece moved per step.
const CHUNK: usize = 64 * 1024;

/// `splice` flags: `SPLICE_F_MOVE`, `_NONBLOCK`, `_MORE`, `_GIFT`.
const SPLICE_F_NONBLOCK: u32 = 2;
const SPLICE_FLAGS: u32 = 0xf;

/// One side of a transfer: a description and, for a file read or written
/// at an explicit position, that position.
struct End {
    description: Arc<FileDescription>,
    offset: Option<i64>,
}

impl End {
    fn pipe(&self) -> Option<&Arc<fs::pipe::Pipe>> {
        self.description.file().pipe()
    }

    fn is_stream(&self) -> bool {
        self.offset.is_none() && !self.description.file().is_seekable()
    }
}

/// Runs `attempt` once when `nonblock`, else sleeps through `EAGAIN` as
/// `read` does (which still honours the description's `O_NONBLOCK`).
fn attempt<R>(
    description: &FileDescription,
    nonblock: bool,
    attempt: impl FnMut() -> KernelResult<R>,
) -> KernelResult<R> {
    let mut attempt = attempt;
    if nonblock {
        attempt()
    } else {
        blocking(description, attempt)
    }
}

/// Reads up to `buf.len()` bytes from `input` without consuming them where
/// it can (see the module's doc).
fn fill(input: &End, buf: &mut [u8], nonblock: bool) -> KernelResult<usize> {
    let description = &input.description;
    if let Some(pipe) = input.pipe() {
        if description.is_path_only() || !description.access_mode().readable() {
            return Err(Errno::EBADF);
        }
        return attempt(description, nonblock, || pipe.peek(buf));
    }
    match input.offset {
        Some(at) => description.pread(buf, at),
        None if description.file().is_seekable() => {
            let at = i64::try_from(description.offset()).map_err(|_| Errno::EOVERFLOW)?;
            description.pread(buf, at)
        }
        None => attempt(description, nonblock, || description.read(buf)),
    }
}

/// Marks `count` bytes [`fill`] showed as taken.
fn consume(input: &mut End, count: usize) -> KernelResult<()> {
    if let Some(pipe) = input.pipe() {
        pipe.consume(count);
    } else if let Some(at) = input.offset.as_mut() {
        *at += count as i64;
    } else if input.description.file().is_seekable() {
        input.description.lseek(count as i64, 1)?;
    }
    Ok(())
}

/// Writes `data` to `output`: bytes written.
fn drain(output: &mut End, data: &[u8], nonblock: bool) -> KernelResult<usize> {
    if let Some(at) = output.offset {
        let written = output.description.pwrite(data, at)?;
        output.offset = Some(at + written as i64);
        return Ok(written);
    }
    let description = &output.description;
    let mut written = 0;
    while written < data.len() {
        match attempt(description, nonblock || written > 0, || {
            description.write(&data[written..])
        }) {
            Ok(0) => break,
            Ok(n) => written += n,
            Err(_) if written > 0 => break,
            Err(error) => return Err(error),
        }
    }
    Ok(written)
}

/// Moves up to `len` bytes from `input` to `output`. Waits only before
/// the first byte (and not at all when `nonblock`); stops at a short
/// read or write, and after one step from a pipe or stream.
fn transfer<K: Kernel>(
    ctx: &Context<'_, K>,
    input: &mut End,
    output: &mut End,
    len: usize,
    nonblock: bool,
) -> KernelResult<usize> {
    let len = len.min(MAX_IO);
    let mut buffer = kernel_buffer(len.min(CHUNK))?;
    let mut total = 0;
    while total < len {
        let mut want = (len - total).min(buffer.len());
        if let Some(pipe) = output.pipe() {
            let pipe = pipe.clone();
            if pipe.space() == 0 {
                if total > 0 {
                    break;
                }
                let full = || {
                    if pipe.space() == 0 {
                        Err(Errno::EAGAIN)
                    } else {
                        Ok(())
                    }
                };
                attempt(&output.description, nonblock, full)?;
            }
            want = want.min(pipe.space().max(1));
        }
        let n = match fill(input, &mut buffer[..want], nonblock || total > 0) {
            Ok(n) => n,
            Err(_) if total > 0 => break,
            Err(error) => return Err(error),
        };
        if n == 0 {
            break;
        }
        let written = match drain(output, &buffer[..n], nonblock) {
            Ok(written) => written,
            Err(Errno::EPIPE) => {
                ctx.kernel.raise_sigpipe();
                if total > 0 {
                    break;
                }
                return Err(Errno::EPIPE);
            }
            Err(_) if total > 0 => break,
            Err(error) => return Err(error),
        };
        consume(input, written)?;
        total += written;
        if written < n || input.pipe().is_some() || input.is_stream() {
            break;
        }
    }
    Ok(total)
}

/// Reads the position at `pointer`, if given (`EINVAL` if negative).
fn read_offset<K: Kernel>(
    ctx: &Context<'_, K>,
    pointer: UserPtr<i64>,
) -> KernelResult<Option<i64>> {
    if pointer.is_null() {
        return Ok(None);
    }
    let offset = ctx.read(pointer)?;
    if offset < 0 {
        return Err(Errno::EINVAL);
    }
    Ok(Some(offset))
}

/// Stores an end's final position back at `pointer`, if given.
fn write_offset<K: Kernel>(
    ctx: &Context<'_, K>,
    pointer: UserPtr<i64>,
    end: &End,
) -> KernelResult<()> {
    match end.offset {
        Some(offset) if !pointer.is_null() => ctx.write(pointer, &offset),
        _ => Ok(()),
    }
}

fn check_access(input: &FileDescription, output: &FileDescription) -> KernelResult<()> {
    if input.is_path_only()
        || output.is_path_only()
        || !input.access_mode().readable()
        || !output.access_mode().writable()
    {
        return Err(Errno::EBADF);
    }
    Ok(())
}

/// `sendfile(out, in, offset, count)`.
pub fn sendfile<K: Kernel>(
    ctx: &Context<'_, K>,
    out: Fd,
    input: Fd,
    offset: UserPtr<i64>,
    count: usize,
) -> SyscallResult {
    let mut output = End {
        description: ctx.description(out)?,
        offset: None,
    };
    let mut input = End {
        description: ctx.description(input)?,
        offset: read_offset(ctx, offset)?,
    };
    check_access(&input.description, &output.description)?;
    // The source must be a file with positions: a pipe is EINVAL (ESPIPE
    // when a position was given), as Linux says.
    if input.pipe().is_some() {
        return Err(if offset.is_null() {
            Errno::EINVAL
        } else {
            Errno::ESPIPE
        });
    }
    if output.pipe().is_none()
        && output
            .description
            .status_flags()
            .contains(OpenFlags::O_APPEND)
    {
        return Err(Errno::EINVAL);
    }
    // A terminal at either end obeys job control, as read and write do.
    crate::fs::terminal::check_read(ctx, &input.description)?;
    crate::fs::terminal::check_write(ctx, &output.description)?;
    let moved = transfer(ctx, &mut input, &mut output, count, false)?;
    write_offset(ctx, offset, &input)?;
    // Counted as a read and a write, as Linux does.
    ctx.process.io().record_read(moved as u64);
    ctx.process.io().record_write(moved as u64);
    Ok(moved as u64)
}

/// `splice(fd_in, off_in, fd_out, off_out, len, flags)`: one end must be
/// a pipe, and a pipe end takes no position.
pub fn splice<K: Kernel>(
    ctx: &Context<'_, K>,
    fd_in: Fd,
    off_in: UserPtr<i64>,
    fd_out: Fd,
    off_out: UserPtr<i64>,
    len: usize,
    flags: u32,
) -> SyscallResult {
    if flags & !SPLICE_FLAGS != 0 {
        return Err(Errno::EINVAL);
    }
    let input = ctx.description(fd_in)?;
    let output = ctx.description(fd_out)?;
    let (in_pipe, out_pipe) = (input.file().pipe(), output.file().pipe());
    if (in_pipe.is_some() && !off_in.is_null()) || (out_pipe.is_some() && !off_out.is_null()) {
        return Err(Errno::ESPIPE);
    }
    check_access(&input, &output)?;
    match (in_pipe, out_pipe) {
        (None, None) => return Err(Errno::EINVAL),
        (Some(a), Some(b)) if Arc::ptr_eq(a, b) => return Err(Errno::EINVAL),
        _ => {}
    }
    if out_pipe.is_none() && output.status_flags().contains(OpenFlags::O_APPEND) {
        return Err(Errno::EINVAL);
    }
    let mut input = End {
        description: input,
        offset: read_offset(ctx, off_in)?,
    };
    let mut output = End {
        description: output,
        offset: read_offset(ctx, off_out)?,
    };
    if len == 0 {
        return Ok(0);
    }
    let nonblock = flags & SPLICE_F_NONBLOCK != 0;
    let moved = transfer(ctx, &mut input, &mut output, len, nonblock)?;
    write_offset(ctx, off_in, &input)?;
    write_offset(ctx, off_out, &output)?;
    Ok(moved as u64)
}

/// `tee(fd_in, fd_out, len, flags)`: copies what one pipe holds into
/// another, leaving it in the first.
pub fn tee<K: Kernel>(
    ctx: &Context<'_, K>,
    fd_in: Fd,
    fd_out: Fd,
    len: usize,
    flags: u32,
) -> SyscallResult {
    if flags & !SPLICE_FLAGS != 0 {
        return Err(Errno::EINVAL);
    }
    let input = ctx.description(fd_in)?;
    let output = ctx.description(fd_out)?;
    check_access(&input, &output)?;
    let (Some(from), Some(to)) = (input.file().pipe(), output.file().pipe()) else {
        return Err(Errno::EINVAL);
    };
    if Arc::ptr_eq(from, to) {
        return Err(Errno::EINVAL);
    }
    if len == 0 {
        return Ok(0);
    }
    let nonblock = flags & SPLICE_F_NONBLOCK != 0;
    let mut buffer = kernel_buffer(len.min(CHUNK))?;
    let to = to.clone();
    let room = || {
        if to.space() == 0 {
            Err(Errno::EAGAIN)
        } else {
            Ok(to.space())
        }
    };
    let room = attempt(&output, nonblock, room)?;
    let want = buffer.len().min(room);
    let n = attempt(&input, nonblock, || from.peek(&mut buffer[..want]))?;
    if n == 0 {
        return Ok(0);
    }
    let mut output = End {
        description: output,
        offset: None,
    };
    match drain(&mut output, &buffer[..n], true) {
        Err(Errno::EPIPE) => {
            ctx.kernel.raise_sigpipe();
            Err(Errno::EPIPE)
        }
        result => Ok(result? as u64),
    }
}

/// `vmsplice(fd, iov, nr_segs, flags)`: the user memory the vectors name
/// into a pipe through its write end, or the pipe's bytes out into them
/// through its read end (an end open for writing writes, as on Linux).
/// Linux maps the user pages into the pipe where it can; here they are
/// copied, up to 64 KiB a call. A write waits for room (not with
/// `SPLICE_F_NONBLOCK`) and takes what fits; a read waits for bytes and
/// takes what is there. `EBADF` unless `fd` is a pipe end.
pub fn vmsplice<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    iov: UserPtr<abi::IoVec>,
    count: usize,
    flags: u32,
) -> SyscallResult {
    if flags & !SPLICE_FLAGS != 0 {
        return Err(Errno::EINVAL);
    }
    let description = ctx.description(fd)?;
    if description.file().pipe().is_none() || description.is_path_only() {
        return Err(Errno::EBADF);
    }
    let access = description.access_mode();
    let vectors = iovecs(ctx, iov, count)?;
    let total = vectors
        .iter()
        .map(|vector| vector.len as usize)
        .sum::<usize>()
        .min(CHUNK);
    if total == 0 {
        return Ok(0);
    }
    let nonblock = flags & SPLICE_F_NONBLOCK != 0;
    let mut buffer = kernel_buffer(total)?;
    let mut pieces = vectors.iter().scan(0usize, |done, vector| {
        let len = (vector.len as usize).min(total - *done);
        let piece = (UserBuffer(vector.base), *done..*done + len);
        *done += len;
        Some(piece)
    });
    if access.writable() {
        for (user, range) in pieces.by_ref() {
            ctx.read_bytes_into(user, &mut buffer[range])?;
        }
        return match attempt(&description, nonblock, || description.write(&buffer)) {
            Err(Errno::EPIPE) => {
                ctx.kernel.raise_sigpipe();
                Err(Errno::EPIPE)
            }
            result => Ok(result? as u64),
        };
    }
    if !access.readable() {
        return Err(Errno::EBADF);
    }
    let got = attempt(&description, nonblock, || description.read(&mut buffer))?;
    for (user, range) in pieces.take_while(|(_, range)| range.start < got) {
        let end = range.end.min(got);
        ctx.write_bytes(user, &buffer[range.start..end])?;
    }
    Ok(got as u64)
}

/// `copy_file_range(fd_in, off_in, fd_out, off_out, len, flags)`: between
/// regular files only; overlapping ranges of one file are `EINVAL`.
pub fn copy_file_range<K: Kernel>(
    ctx: &Context<'_, K>,
    fd_in: Fd,
    off_in: UserPtr<i64>,
    fd_out: Fd,
    off_out: UserPtr<i64>,
    len: usize,
    flags: u32,
) -> SyscallResult {
    if flags != 0 {
        return Err(Errno::EINVAL);
    }
    let input = ctx.description(fd_in)?;
    let output = ctx.description(fd_out)?;
    check_access(&input, &output)?;
    if output.status_flags().contains(OpenFlags::O_APPEND) {
        return Err(Errno::EBADF);
    }
    let (in_stat, out_stat) = (input.stat()?, output.stat()?);
    for stat in [&in_stat, &out_stat] {
        match stat.mode & abi::S_IFMT {
            abi::S_IFREG => {}
            abi::S_IFDIR => return Err(Errno::EISDIR),
            _ => return Err(Errno::EINVAL),
        }
    }
    let len = len.min(MAX_IO);
    // Linux checks that the range does not wrap before the sign.
    let position = |description: &FileDescription, pointer: UserPtr<i64>| -> KernelResult<i64> {
        let offset = if pointer.is_null() {
            i64::try_from(description.offset()).map_err(|_| Errno::EOVERFLOW)?
        } else {
            ctx.read(pointer)?
        };
        if (offset as u64).checked_add(len as u64).is_none() {
            return Err(Errno::EOVERFLOW);
        }
        if offset < 0 {
            return Err(Errno::EINVAL);
        }
        Ok(offset)
    };
    let (from, to) = (position(&input, off_in)?, position(&output, off_out)?);
    let same_file = in_stat.dev == out_stat.dev && in_stat.ino == out_stat.ino;
    let overlap = |a: i64, b: i64| a < b + len as i64 && b < a + len as i64;
    if same_file && overlap(from, to) {
        return Err(Errno::EINVAL);
    }
    if len == 0 {
        return Ok(0);
    }
    let mut source = End {
        description: input,
        offset: Some(from),
    };
    let mut sink = End {
        description: output,
        offset: Some(to),
    };
    let moved = transfer(ctx, &mut source, &mut sink, len, true)?;
    // Without a pointer, the description's own offset moves.
    for (pointer, end, start) in [(off_in, &source, from), (off_out, &sink, to)] {
        if pointer.is_null() {
            let moved = end.offset.unwrap_or(start) - start;
            end.description.lseek(moved, 1)?;
        } else {
            write_offset(ctx, pointer, end)?;
        }
    }
    ctx.process.io().record_read(moved as u64);
    ctx.process.io().record_write(moved as u64);
    Ok(moved as u64)
}
