//! File-system calls: descriptors and I/O, paths, and polling.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;

use abi::{Errno, KernelResult};
use fs::{FileDescription, OpenFlags, PathContext, PollEvents, Stat, TimeChange};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use super::user::{read, read_bytes, read_path, write, write_bytes};
use super::{Call, SyscallResult};
use crate::userland::{self, env::fs_credentials, vfs::vfs};

/// `openat`'s "relative to the cwd".
pub const AT_FDCWD: i32 = -100;
const AT_SYMLINK_NOFOLLOW: u64 = 0x100;
const AT_REMOVEDIR: u64 = 0x200;
const AT_SYMLINK_FOLLOW: u64 = 0x400;
const AT_EMPTY_PATH: u64 = 0x1000;
/// Most bytes one read or write moves, as Linux's `MAX_RW_COUNT` (rounded
/// to keep kernel buffers bounded).
const MAX_IO: usize = 1 << 20;

/// The open file behind `fd` in the current process.
pub fn description(fd: i32) -> KernelResult<Arc<FileDescription>> {
    let link = userland::current()?;
    let fds = link.process.fds().lock();
    fds.get(fd).cloned()
}

/// Installs `description` at the lowest free fd.
pub fn install(description: Arc<FileDescription>, cloexec: bool) -> KernelResult<i32> {
    let link = userland::current()?;
    let mut fds = link.process.fds().lock();
    fds.open(description, cloexec)
}

/// Runs `f` with the caller's path context, relative paths starting at
/// `dirfd` (or the cwd for `AT_FDCWD`).
pub fn with_context<R>(
    dirfd: i32,
    f: impl FnOnce(&PathContext<'_>) -> KernelResult<R>,
) -> KernelResult<R> {
    let link = userland::current()?;
    let (cwd, root, creds) = {
        let data = link.process.data();
        let fs_context = data.fs().ok_or(Errno::ESRCH)?;
        (
            fs_context.cwd().clone(),
            fs_context.root().clone(),
            fs_credentials(data.credentials()),
        )
    };
    let base = if dirfd == AT_FDCWD {
        cwd
    } else {
        let description = description(dirfd)?;
        description.custody().cloned().ok_or(Errno::ENOTDIR)?
    };
    f(&PathContext {
        base: &base,
        root: &root,
        creds: &creds,
    })
}

/// Retries `attempt` until it stops saying `EAGAIN`, sleeping on the
/// description's wait queue in between, unless the description is
/// non-blocking. `EINTR` if a signal interrupts the sleep.
pub fn blocking<R>(
    description: &FileDescription,
    mut attempt: impl FnMut() -> KernelResult<R>,
) -> KernelResult<R> {
    loop {
        let queue = description.wait_queue();
        let seen = queue.as_ref().map_or(0, |q| q.event_count());
        match attempt() {
            Err(Errno::EAGAIN) if !description.is_nonblocking() => match &queue {
                Some(queue) => queue.wait_for_event(seen, true)?,
                None => return Err(Errno::EAGAIN),
            },
            other => return other,
        }
    }
}

fn read_into_user(
    description: &Arc<FileDescription>,
    address: u64,
    count: usize,
    offset: Option<i64>,
) -> SyscallResult {
    let count = count.min(MAX_IO);
    mm::UserSlice::new(address, count)?;
    let mut buffer = Vec::new();
    buffer.try_reserve_exact(count).map_err(|_| Errno::ENOMEM)?;
    buffer.resize(count, 0);
    let n = match offset {
        Some(offset) => description.pread(&mut buffer, offset)?,
        None => blocking(description, || description.read(&mut buffer))?,
    };
    write_bytes(address, &buffer[..n])?;
    Ok(n as u64)
}

fn write_from_user(
    description: &Arc<FileDescription>,
    address: u64,
    count: usize,
    offset: Option<i64>,
) -> SyscallResult {
    let data = read_bytes(address, count.min(MAX_IO))?;
    let result = match offset {
        Some(offset) => description.pwrite(&data, offset),
        None => {
            let mut written = 0;
            loop {
                match blocking(description, || description.write(&data[written..])) {
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
        super::signal::raise_sigpipe();
    }
    Ok(result? as u64)
}

#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, Clone, Copy)]
#[repr(C)]
struct IoVec {
    base: u64,
    len: u64,
}

fn iovecs(address: u64, count: u64) -> KernelResult<Vec<IoVec>> {
    if count > 1024 {
        return Err(Errno::EINVAL);
    }
    (0..count)
        .map(|i| read::<IoVec>(address + i * 16))
        .collect()
}

fn is_terminal(description: &FileDescription) -> bool {
    description
        .stat()
        .is_ok_and(|stat| stat.mode & 0o170000 == 0o020000 && matches!(stat.rdev >> 8, 4 | 5))
}

/// Linux's `struct termios` for `TCGETS`: a cooked 115200-baud serial line.
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
struct Termios {
    iflag: u32,
    oflag: u32,
    cflag: u32,
    lflag: u32,
    line: u8,
    cc: [u8; 19],
}

fn ioctl(call: &mut Call<'_>) -> SyscallResult {
    const TCGETS: u64 = 0x5401;
    const TCSETS: u64 = 0x5402;
    const TCSETSW: u64 = 0x5403;
    const TCSETSF: u64 = 0x5404;
    const TIOCGPGRP: u64 = 0x540f;
    const TIOCSPGRP: u64 = 0x5410;
    const TIOCGWINSZ: u64 = 0x5413;
    const TIOCSWINSZ: u64 = 0x5414;
    const FIONBIO: u64 = 0x5421;
    let description = description(call.int(0))?;
    let (request, arg) = (call.args[1], call.args[2]);
    if request == FIONBIO {
        let on: i32 = read(arg)?;
        let mut flags = description.status_flags();
        flags.set(OpenFlags::O_NONBLOCK, on != 0);
        description.set_status_flags(flags);
        return Ok(0);
    }
    if !is_terminal(&description) {
        return description
            .ioctl(request as u32, arg as usize)
            .map(|v| v as u64);
    }
    match request {
        TCGETS => {
            let mut cc = [0u8; 19];
            cc[..7].copy_from_slice(&[3, 28, 127, 21, 4, 0, 1]);
            write(
                arg,
                &Termios {
                    iflag: 0o2400,  // ICRNL | IXON
                    oflag: 0o5,     // OPOST | ONLCR
                    cflag: 0o10277, // B115200 | CS8 | CREAD
                    lflag: 0o105073,
                    line: 0,
                    cc,
                },
            )?;
            Ok(0)
        }
        // The line discipline is not there yet: settings are accepted and
        // the console stays raw.
        TCSETS | TCSETSW | TCSETSF => {
            let _: Termios = read(arg)?;
            Ok(0)
        }
        TIOCGWINSZ => {
            write(arg, &[24u16, 80, 0, 0])?;
            Ok(0)
        }
        TIOCSWINSZ => Ok(0),
        TIOCGPGRP => {
            let pgid = userland::current()?.process.data().pgid();
            write(arg, &pgid)?;
            Ok(0)
        }
        TIOCSPGRP => {
            let _: i32 = read(arg)?;
            Ok(0)
        }
        _ => description
            .ioctl(request as u32, arg as usize)
            .map(|v| v as u64),
    }
}

fn fcntl(call: &mut Call<'_>) -> SyscallResult {
    const F_GETFL: u64 = 3;
    const F_SETFL: u64 = 4;
    const F_GETLK: u64 = 5;
    const F_SETLK: u64 = 6;
    const F_SETLKW: u64 = 7;
    let fd = call.int(0);
    match call.args[1] {
        F_GETFL => Ok(u64::from(description(fd)?.status_flags().bits())),
        F_SETFL => {
            let description = description(fd)?;
            let changeable = OpenFlags::O_APPEND
                | OpenFlags::O_NONBLOCK
                | OpenFlags::O_ASYNC
                | OpenFlags::O_DIRECT
                | OpenFlags::O_NOATIME;
            let requested = OpenFlags::from_bits_truncate(call.args[2] as u32) & changeable;
            let flags = (description.status_flags() & !changeable) | requested;
            description.set_status_flags(flags);
            Ok(0)
        }
        // POSIX record locks are not implemented: say so rather than
        // pretend a lock is held.
        F_GETLK | F_SETLK | F_SETLKW => {
            description(fd)?;
            Err(Errno::ENOLCK)
        }
        cmd => {
            let link = userland::current()?;
            let mut fds = link.process.fds().lock();
            fds.fcntl(fd, cmd as u32, call.args[2]).map(|v| v as u64)
        }
    }
}

/// `sendfile(out, in, offset, count)`: copies through a kernel buffer.
fn sendfile(call: &mut Call<'_>) -> SyscallResult {
    let output = description(call.int(0))?;
    let input = description(call.int(1))?;
    let (offset_address, count) = (call.args[2], (call.args[3] as usize).min(MAX_IO));
    let mut buffer = vec![0u8; count.min(64 * 1024)];
    let mut offset = if offset_address == 0 {
        None
    } else {
        Some(read::<i64>(offset_address)?)
    };
    let mut total = 0usize;
    while total < count {
        let want = (count - total).min(buffer.len());
        let n = match offset {
            Some(at) => input.pread(&mut buffer[..want], at)?,
            None => blocking(&input, || input.read(&mut buffer[..want]))?,
        };
        if n == 0 {
            break;
        }
        let mut written = 0;
        while written < n {
            match blocking(&output, || output.write(&buffer[written..n])) {
                Ok(w) => written += w,
                Err(Errno::EPIPE) => {
                    super::signal::raise_sigpipe();
                    return if total > 0 {
                        Ok(total as u64)
                    } else {
                        Err(Errno::EPIPE)
                    };
                }
                Err(error) if total + written == 0 => return Err(error),
                Err(_) => break,
            }
        }
        total += written;
        if let Some(at) = offset.as_mut() {
            *at += written as i64;
        }
        if written < n {
            break;
        }
    }
    if let (Some(at), true) = (offset, offset_address != 0) {
        write(offset_address, &at)?;
    }
    Ok(total as u64)
}

/// Descriptor calls: read, write, close, lseek, ioctl, dup, fcntl, ...
pub fn io(call: &mut Call<'_>, number: u64) -> SyscallResult {
    let fd = call.int(0);
    match number {
        0 => read_into_user(&description(fd)?, call.args[1], call.args[2] as usize, None),
        1 => write_from_user(&description(fd)?, call.args[1], call.args[2] as usize, None),
        3 => {
            let link = userland::current()?;
            let closed = link.process.fds().lock().close(fd)?;
            drop(closed);
            Ok(0)
        }
        8 => Ok(description(fd)?.lseek(call.args[1] as i64, call.args[2] as u32)?),
        16 => ioctl(call),
        17 => read_into_user(
            &description(fd)?,
            call.args[1],
            call.args[2] as usize,
            Some(call.args[3] as i64),
        ),
        18 => write_from_user(
            &description(fd)?,
            call.args[1],
            call.args[2] as usize,
            Some(call.args[3] as i64),
        ),
        19 | 20 => {
            let description = description(fd)?;
            let mut total = 0u64;
            for vec in iovecs(call.args[1], call.args[2])? {
                if vec.len == 0 {
                    continue;
                }
                let n = if number == 19 {
                    read_into_user(&description, vec.base, vec.len as usize, None)
                } else {
                    write_from_user(&description, vec.base, vec.len as usize, None)
                };
                match n {
                    Ok(n) => {
                        total += n;
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
        32 => {
            let link = userland::current()?;
            let mut fds = link.process.fds().lock();
            fds.dup(fd).map(|fd| fd as u64)
        }
        33 | 292 => {
            let link = userland::current()?;
            let (new_fd, closed) = {
                let mut fds = link.process.fds().lock();
                if number == 33 {
                    fds.dup2(fd, call.int(1))?
                } else {
                    fds.dup3(fd, call.int(1), call.args[2] as u32)?
                }
            };
            drop(closed);
            Ok(new_fd as u64)
        }
        72 => fcntl(call),
        74 | 75 => description(fd).map(|_| 0),
        77 => {
            description(fd)?.truncate(call.args[1] as i64)?;
            Ok(0)
        }
        78 => Err(Errno::ENOSYS),
        40 => sendfile(call),
        217 => {
            let description = description(fd)?;
            let count = (call.args[2] as usize).min(MAX_IO);
            let mut buffer = vec![0u8; count];
            let n = description.getdents64(&mut buffer)?;
            write_bytes(call.args[1], &buffer[..n])?;
            Ok(n as u64)
        }
        _ => Err(Errno::ENOSYS),
    }
}

fn stat_out(address: u64, stat: &Stat) -> SyscallResult {
    write(address, stat)?;
    Ok(0)
}

fn stat_at(dirfd: i32, path_address: u64, flags: u64) -> KernelResult<Stat> {
    let path = read_path(path_address, flags & AT_EMPTY_PATH != 0)?;
    if path.is_empty() {
        if dirfd == AT_FDCWD {
            return with_context(dirfd, |ctx| vfs().stat(ctx, ".", true));
        }
        return description(dirfd)?.stat();
    }
    with_context(dirfd, |ctx| {
        vfs().stat(ctx, &path, flags & AT_SYMLINK_NOFOLLOW == 0)
    })
}

/// Linux's `struct statx`.
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, Default)]
#[repr(C)]
struct Statx {
    mask: u32,
    blksize: u32,
    attributes: u64,
    nlink: u32,
    uid: u32,
    gid: u32,
    mode: u16,
    spare0: u16,
    ino: u64,
    size: u64,
    blocks: u64,
    attributes_mask: u64,
    atime: [i64; 2],
    btime: [i64; 2],
    ctime: [i64; 2],
    mtime: [i64; 2],
    rdev_major: u32,
    rdev_minor: u32,
    dev_major: u32,
    dev_minor: u32,
    spare: [u64; 14],
}

fn statx(call: &mut Call<'_>) -> SyscallResult {
    let stat = stat_at(call.int(0), call.args[1], call.args[2])?;
    let out = Statx {
        mask: 0x7ff,
        blksize: stat.blksize as u32,
        nlink: stat.nlink as u32,
        uid: stat.uid,
        gid: stat.gid,
        mode: stat.mode as u16,
        ino: stat.ino,
        size: stat.size as u64,
        blocks: stat.blocks as u64,
        atime: [stat.atime_sec, stat.atime_nsec],
        btime: [stat.ctime_sec, stat.ctime_nsec],
        ctime: [stat.ctime_sec, stat.ctime_nsec],
        mtime: [stat.mtime_sec, stat.mtime_nsec],
        rdev_major: (stat.rdev >> 8) as u32 & 0xfff,
        rdev_minor: (stat.rdev & 0xff) as u32,
        dev_major: (stat.dev >> 8) as u32 & 0xfff,
        dev_minor: (stat.dev & 0xff) as u32,
        ..Statx::default()
    };
    write(call.args[4], &out)?;
    Ok(0)
}

fn open(dirfd: i32, path_address: u64, flags: u64, mode: u64) -> SyscallResult {
    let path = read_path(path_address, false)?;
    let flags = OpenFlags::from_bits_truncate(flags as u32);
    let umask = userland::current()?
        .process
        .data()
        .fs()
        .map_or(0o022, |f| f.umask());
    let perm = (mode as u32) & 0o7777 & !umask;
    let description = with_context(dirfd, |ctx| vfs().open(ctx, &path, flags, perm))?;
    Ok(install(description, flags.contains(OpenFlags::O_CLOEXEC))? as u64)
}

/// Inode numbers of pipes (their own file system, as Linux's pipefs).
static NEXT_PIPE_INODE: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(1);

fn pipe(address: u64, flags: u64) -> SyscallResult {
    let flags = OpenFlags::from_bits(flags as u32).ok_or(Errno::EINVAL)?;
    let queue = Arc::new(crate::task::WaitQueue::new());
    let ino = NEXT_PIPE_INODE.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
    let (reader, writer) = fs::pipe::create_pipe(queue, flags, ino)?;
    let cloexec = flags.contains(OpenFlags::O_CLOEXEC);
    let link = userland::current()?;
    let (read_fd, write_fd) = {
        let mut fds = link.process.fds().lock();
        let read_fd = fds.open(reader, cloexec)?;
        match fds.open(writer, cloexec) {
            Ok(write_fd) => (read_fd, write_fd),
            Err(error) => {
                let _ = fds.close(read_fd);
                return Err(error);
            }
        }
    };
    if let Err(error) = write(address, &[read_fd, write_fd]) {
        let mut fds = link.process.fds().lock();
        let _ = fds.close(read_fd);
        let _ = fds.close(write_fd);
        return Err(error);
    }
    Ok(0)
}

fn getcwd(call: &mut Call<'_>) -> SyscallResult {
    let link = userland::current()?;
    let path = {
        let data = link.process.data();
        let fs_context = data.fs().ok_or(Errno::ESRCH)?;
        fs_context.cwd().absolute_path(fs_context.root())
    };
    let size = call.args[1] as usize;
    if path.len() + 1 > size {
        return Err(Errno::ERANGE);
    }
    let mut bytes = path.into_bytes();
    bytes.push(0);
    write_bytes(call.args[0], &bytes)?;
    Ok(bytes.len() as u64)
}

fn change_directory(custody: fs::Custody, root: bool) -> SyscallResult {
    let link = userland::current()?;
    let mut data = link.process.data();
    let credentials = data.credentials().clone();
    let fs_context = data.fs_mut().ok_or(Errno::ESRCH)?;
    if root {
        fs_context.chroot(custody, &credentials)?;
    } else {
        fs_context.chdir(custody, &credentials)?;
    }
    Ok(0)
}

fn time_change(address: u64, index: u64) -> KernelResult<TimeChange> {
    const UTIME_NOW: i64 = (1 << 30) - 1;
    const UTIME_OMIT: i64 = (1 << 30) - 2;
    if address == 0 {
        return Ok(TimeChange::Now);
    }
    let [sec, nsec]: [i64; 2] = read(address + index * 16)?;
    Ok(match nsec {
        UTIME_NOW => TimeChange::Now,
        UTIME_OMIT => TimeChange::Omit,
        _ if !(0..1_000_000_000).contains(&nsec) => return Err(Errno::EINVAL),
        _ => TimeChange::Set(fs::Timespec { sec, nsec }),
    })
}

fn mount(call: &mut Call<'_>) -> SyscallResult {
    let target = read_path(call.args[1], false)?;
    let kind = if call.args[2] == 0 {
        String::new()
    } else {
        read_path(call.args[2], true)?
    };
    let link = userland::current()?;
    let creds = fs_credentials(link.process.data().credentials());
    let filesystem: Arc<dyn fs::FileSystem> = match kind.as_str() {
        "tmpfs" | "ramfs" => fs::Tmpfs::new(
            crate::userland::vfs::next_device(),
            crate::userland::vfs::clock(),
        ),
        "proc" => crate::userland::procfs::filesystem().ok_or(Errno::ENODEV)?,
        // /dev is mounted by the kernel already.
        "devtmpfs" => return Err(Errno::EBUSY),
        _ => return Err(Errno::ENODEV),
    };
    let path = with_context(AT_FDCWD, |ctx| {
        let custody = vfs().resolve_directory(ctx, &target)?;
        Ok(custody.absolute_path(&vfs().root_custody()))
    })?;
    vfs().mount(&path, filesystem, &creds)?;
    Ok(0)
}

/// Path calls: open, stat, mkdir, unlink, rename, chdir, mount, ...
pub fn paths(call: &mut Call<'_>, number: u64) -> SyscallResult {
    let a = call.args;
    match number {
        2 => open(AT_FDCWD, a[0], a[1], a[2]),
        257 => open(call.int(0), a[1], a[2], a[3]),
        85 => open(
            AT_FDCWD,
            a[0],
            u64::from((OpenFlags::O_CREAT | OpenFlags::O_WRONLY | OpenFlags::O_TRUNC).bits()),
            a[1],
        ),
        4 => stat_out(a[1], &stat_at(AT_FDCWD, a[0], 0)?),
        6 => stat_out(a[1], &stat_at(AT_FDCWD, a[0], AT_SYMLINK_NOFOLLOW)?),
        5 => stat_out(a[1], &description(call.int(0))?.stat()?),
        262 => stat_out(a[2], &stat_at(call.int(0), a[1], a[3])?),
        332 => statx(call),
        21 | 269 | 439 => {
            let (dirfd, path, mode) = if number == 21 {
                (AT_FDCWD, a[0], a[1])
            } else {
                (call.int(0), a[1], a[2])
            };
            if mode & !7 != 0 {
                return Err(Errno::EINVAL);
            }
            let path = read_path(path, false)?;
            with_context(dirfd, |ctx| vfs().access(ctx, &path, mode as u32))?;
            Ok(0)
        }
        22 => pipe(a[0], 0),
        293 => pipe(a[0], a[1]),
        76 => {
            let path = read_path(a[0], false)?;
            with_context(AT_FDCWD, |ctx| vfs().truncate(ctx, &path, a[1] as i64))?;
            Ok(0)
        }
        79 => getcwd(call),
        80 => {
            let path = read_path(a[0], false)?;
            let custody = with_context(AT_FDCWD, |ctx| vfs().resolve_directory(ctx, &path))?;
            change_directory(custody, false)
        }
        81 => {
            let custody = description(call.int(0))?
                .custody()
                .cloned()
                .ok_or(Errno::ENOTDIR)?;
            change_directory(custody, false)
        }
        161 => {
            let path = read_path(a[0], false)?;
            let custody = with_context(AT_FDCWD, |ctx| vfs().resolve_directory(ctx, &path))?;
            change_directory(custody, true)
        }
        82 | 264 | 316 => {
            let (olddir, old, newdir, new) = if number == 82 {
                (AT_FDCWD, a[0], AT_FDCWD, a[1])
            } else {
                (call.int(0), a[1], call.int(2), a[3])
            };
            if number == 316 && a[4] != 0 {
                return Err(Errno::EINVAL);
            }
            let old = read_path(old, false)?;
            let new = read_path(new, false)?;
            if olddir != newdir && !old.starts_with('/') && !new.starts_with('/') {
                // Different bases: resolve the new path to an absolute one.
                let new_abs = with_context(newdir, |ctx| Ok(ctx.base.absolute_path(ctx.root)))?;
                let new = alloc::format!("{new_abs}/{new}");
                return with_context(olddir, |ctx| vfs().rename(ctx, &old, &new)).map(|()| 0);
            }
            let dirfd = if old.starts_with('/') { newdir } else { olddir };
            with_context(dirfd, |ctx| vfs().rename(ctx, &old, &new))?;
            Ok(0)
        }
        83 | 258 => {
            let (dirfd, path, mode) = if number == 83 {
                (AT_FDCWD, a[0], a[1])
            } else {
                (call.int(0), a[1], a[2])
            };
            let path = read_path(path, false)?;
            let umask = userland::current()?
                .process
                .data()
                .fs()
                .map_or(0o022, |f| f.umask());
            with_context(dirfd, |ctx| {
                vfs().mkdir(ctx, &path, (mode as u32) & 0o7777 & !umask)
            })?;
            Ok(0)
        }
        84 => {
            let path = read_path(a[0], false)?;
            with_context(AT_FDCWD, |ctx| vfs().rmdir(ctx, &path))?;
            Ok(0)
        }
        87 | 263 => {
            let (dirfd, path, flags) = if number == 87 {
                (AT_FDCWD, a[0], 0)
            } else {
                (call.int(0), a[1], a[2])
            };
            if flags & !AT_REMOVEDIR != 0 {
                return Err(Errno::EINVAL);
            }
            let path = read_path(path, false)?;
            if flags & AT_REMOVEDIR != 0 {
                with_context(dirfd, |ctx| vfs().rmdir(ctx, &path))?;
            } else {
                with_context(dirfd, |ctx| vfs().unlink(ctx, &path))?;
            }
            Ok(0)
        }
        86 | 265 => {
            let (olddir, old, newdir, new, flags) = if number == 86 {
                (AT_FDCWD, a[0], AT_FDCWD, a[1], 0)
            } else {
                (call.int(0), a[1], call.int(2), a[3], a[4])
            };
            let old = read_path(old, false)?;
            let new = read_path(new, false)?;
            let _ = newdir;
            with_context(olddir, |ctx| {
                vfs().link(ctx, &old, &new, flags & AT_SYMLINK_FOLLOW != 0)
            })?;
            Ok(0)
        }
        88 | 266 => {
            let (target, dirfd, path) = if number == 88 {
                (a[0], AT_FDCWD, a[1])
            } else {
                (a[0], call.int(1), a[2])
            };
            let target = read_path(target, false)?;
            let path = read_path(path, false)?;
            with_context(dirfd, |ctx| vfs().symlink(ctx, &target, &path))?;
            Ok(0)
        }
        89 | 267 => {
            let (dirfd, path, buffer, size) = if number == 89 {
                (AT_FDCWD, a[0], a[1], a[2])
            } else {
                (call.int(0), a[1], a[2], a[3])
            };
            if (size as i64) <= 0 {
                return Err(Errno::EINVAL);
            }
            let path = read_path(path, false)?;
            let target = with_context(dirfd, |ctx| vfs().readlink(ctx, &path))?;
            let n = target.len().min(size as usize);
            write_bytes(buffer, &target.as_bytes()[..n])?;
            Ok(n as u64)
        }
        90 | 268 => {
            let (dirfd, path, mode) = if number == 90 {
                (AT_FDCWD, a[0], a[1])
            } else {
                (call.int(0), a[1], a[2])
            };
            let path = read_path(path, false)?;
            with_context(dirfd, |ctx| vfs().chmod(ctx, &path, mode as u32 & 0o7777))?;
            Ok(0)
        }
        91 => {
            let description = description(call.int(0))?;
            let custody = description.custody().cloned().ok_or(Errno::EBADF)?;
            let root = vfs().root_custody();
            let path = custody.absolute_path(&root);
            with_context(AT_FDCWD, |ctx| {
                let ctx = PathContext {
                    base: &root,
                    root: &root,
                    creds: ctx.creds,
                };
                vfs().chmod(&ctx, &path, a[1] as u32 & 0o7777)
            })?;
            Ok(0)
        }
        92 | 94 | 260 | 93 => {
            let id = |v: u64| (v as u32 != u32::MAX).then_some(v as u32);
            let (dirfd, path, uid, gid, follow) = match number {
                92 => (AT_FDCWD, read_path(a[0], false)?, a[1], a[2], true),
                94 => (AT_FDCWD, read_path(a[0], false)?, a[1], a[2], false),
                93 => {
                    let description = description(call.int(0))?;
                    let custody = description.custody().cloned().ok_or(Errno::EBADF)?;
                    (
                        AT_FDCWD,
                        custody.absolute_path(&vfs().root_custody()),
                        a[1],
                        a[2],
                        true,
                    )
                }
                _ => (
                    call.int(0),
                    read_path(a[1], a[4] & AT_EMPTY_PATH != 0)?,
                    a[2],
                    a[3],
                    a[4] & AT_SYMLINK_NOFOLLOW == 0,
                ),
            };
            with_context(dirfd, |ctx| {
                vfs().chown(ctx, &path, id(uid), id(gid), follow)
            })?;
            Ok(0)
        }
        95 => {
            let link = userland::current()?;
            let mut data = link.process.data();
            let fs_context = data.fs_mut().ok_or(Errno::ESRCH)?;
            Ok(u64::from(fs_context.set_umask(a[0] as u32 & 0o777)))
        }
        133 | 259 => {
            let (dirfd, path, mode, dev) = if number == 133 {
                (AT_FDCWD, a[0], a[1], a[2])
            } else {
                (call.int(0), a[1], a[2], a[3])
            };
            let path = read_path(path, false)?;
            with_context(dirfd, |ctx| vfs().mknod(ctx, &path, mode as u32, dev))?;
            Ok(0)
        }
        132 | 235 | 280 => {
            let (dirfd, path, times, flags) = match number {
                132 | 235 => (AT_FDCWD, a[0], 0, 0),
                _ => (call.int(0), a[1], a[2], a[3]),
            };
            let path = if path == 0 {
                String::new()
            } else {
                read_path(path, true)?
            };
            let (atime, mtime) = if number == 280 {
                (time_change(times, 0)?, time_change(times, 1)?)
            } else {
                (TimeChange::Now, TimeChange::Now)
            };
            let path = if path.is_empty() {
                String::from(".")
            } else {
                path
            };
            with_context(dirfd, |ctx| {
                vfs().set_times(ctx, &path, atime, mtime, flags & AT_SYMLINK_NOFOLLOW == 0)
            })?;
            Ok(0)
        }
        137 | 138 => {
            // struct statfs for a tmpfs: type TMPFS_MAGIC, 4 KiB blocks.
            if number == 137 {
                let path = read_path(a[0], false)?;
                with_context(AT_FDCWD, |ctx| vfs().stat(ctx, &path, true))?;
            } else {
                description(call.int(0))?;
            }
            let mut statfs = [0u64; 15];
            statfs[0] = 0x0102_1994;
            statfs[1] = 4096;
            statfs[8] = 255; // f_namelen
            statfs[9] = 4096; // f_frsize
            write(a[1], &statfs)?;
            Ok(0)
        }
        165 => mount(call),
        166 => {
            let path = read_path(a[0], false)?;
            let link = userland::current()?;
            let creds = fs_credentials(link.process.data().credentials());
            vfs().unmount(&path, &creds)?;
            Ok(0)
        }
        _ => Err(Errno::ENOSYS),
    }
}

#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, Clone, Copy)]
#[repr(C)]
struct PollFd {
    fd: i32,
    events: i16,
    revents: i16,
}

fn poll_once(fds: &mut [PollFd]) -> (usize, Vec<Arc<dyn fs::wait::WaitQueue>>) {
    let mut ready = 0;
    let mut queues = Vec::new();
    for entry in fds.iter_mut() {
        entry.revents = 0;
        if entry.fd < 0 {
            continue;
        }
        match description(entry.fd) {
            Err(_) => entry.revents = PollEvents::POLLNVAL.bits() as i16,
            Ok(description) => {
                let wanted = PollEvents::from_bits_truncate(entry.events as u16)
                    | PollEvents::POLLERR
                    | PollEvents::POLLHUP;
                entry.revents = (description.poll() & wanted).bits() as i16;
                if let Some(queue) = description.wait_queue() {
                    queues.push(queue);
                }
            }
        }
        if entry.revents != 0 {
            ready += 1;
        }
    }
    (ready, queues)
}

/// Polls `fds` until one is ready or `deadline` (monotonic ns) passes.
fn poll_fds(fds: &mut [PollFd], deadline: Option<u64>) -> KernelResult<usize> {
    loop {
        let (ready, queues) = poll_once(fds);
        let seen: Vec<u64> = queues.iter().map(|q| q.event_count()).collect();
        if ready > 0 {
            return Ok(ready);
        }
        let now = crate::time::now_ns();
        if deadline.is_some_and(|d| d <= now) {
            return Ok(0);
        }
        // One queue: sleep on it. Several: re-check every 10 ms.
        if let ([queue], [seen]) = (&queues[..], &seen[..]) {
            if deadline.is_none() {
                match queue.wait_for_event(*seen, true) {
                    Err(Errno::EINTR) => return Err(Errno::EINTR),
                    _ => continue,
                }
            }
        }
        let wake = deadline.map_or(now + 10_000_000, |d| d.min(now + 10_000_000));
        if crate::task::sleep_until(wake) == sched::WakeReason::Interrupted {
            return Err(Errno::EINTR);
        }
    }
}

/// poll, ppoll, select, pselect6.
pub fn poll(call: &mut Call<'_>, number: u64) -> SyscallResult {
    let a = call.args;
    match number {
        7 | 271 => {
            let count = a[1];
            if count > 4096 {
                return Err(Errno::EINVAL);
            }
            let mut fds: Vec<PollFd> = (0..count)
                .map(|i| read(a[0] + i * 8))
                .collect::<KernelResult<_>>()?;
            let deadline = if number == 7 {
                let timeout = a[2] as i32;
                (timeout >= 0).then(|| crate::time::now_ns() + timeout as u64 * 1_000_000)
            } else if a[2] == 0 {
                None
            } else {
                let ts: sched::Timespec = read(a[2])?;
                Some(ts.validate()?.deadline_after(crate::time::now_ns())?)
            };
            let ready = poll_fds(&mut fds, deadline)?;
            for (i, entry) in fds.iter().enumerate() {
                write(a[0] + i as u64 * 8, entry)?;
            }
            Ok(ready as u64)
        }
        23 | 270 => {
            let nfds = a[0].min(1024);
            let words = nfds.div_ceil(64) as usize;
            let read_set = |address: u64| -> KernelResult<Vec<u64>> {
                if address == 0 {
                    Ok(vec![0; words])
                } else {
                    (0..words as u64).map(|i| read(address + i * 8)).collect()
                }
            };
            let sets = [read_set(a[1])?, read_set(a[2])?, read_set(a[3])?];
            let mut fds = Vec::new();
            for fd in 0..nfds {
                let bit = |set: &Vec<u64>| set[(fd / 64) as usize] & (1 << (fd % 64)) != 0;
                let mut events = 0i16;
                if bit(&sets[0]) {
                    events |= PollEvents::POLLIN.bits() as i16;
                }
                if bit(&sets[1]) {
                    events |= PollEvents::POLLOUT.bits() as i16;
                }
                if bit(&sets[2]) {
                    events |= PollEvents::POLLPRI.bits() as i16;
                }
                if events != 0 {
                    fds.push(PollFd {
                        fd: fd as i32,
                        events,
                        revents: 0,
                    });
                }
            }
            let deadline = if a[4] == 0 {
                None
            } else if number == 23 {
                let [sec, usec]: [i64; 2] = read(a[4])?;
                if sec < 0 || !(0..1_000_000).contains(&usec) {
                    return Err(Errno::EINVAL);
                }
                Some(crate::time::now_ns() + sec as u64 * 1_000_000_000 + usec as u64 * 1000)
            } else {
                let ts: sched::Timespec = read(a[4])?;
                Some(ts.validate()?.deadline_after(crate::time::now_ns())?)
            };
            poll_fds(&mut fds, deadline)?;
            let mut out = [vec![0u64; words], vec![0u64; words], vec![0u64; words]];
            let mut count = 0;
            for entry in &fds {
                if entry.revents & PollEvents::POLLNVAL.bits() as i16 != 0 {
                    return Err(Errno::EBADF);
                }
                let (word, bit) = ((entry.fd / 64) as usize, 1u64 << (entry.fd % 64));
                let has = |events: PollEvents| entry.revents & events.bits() as i16 != 0;
                let ready = [
                    has(PollEvents::POLLIN | PollEvents::POLLHUP | PollEvents::POLLERR),
                    has(PollEvents::POLLOUT | PollEvents::POLLERR),
                    has(PollEvents::POLLPRI),
                ];
                for (set, ready) in ready.into_iter().enumerate() {
                    if ready && sets[set][word] & bit != 0 {
                        out[set][word] |= bit;
                        count += 1;
                    }
                }
            }
            for (set, address) in out.iter().zip([a[1], a[2], a[3]]) {
                if address != 0 {
                    for (i, word) in set.iter().enumerate() {
                        write(address + i as u64 * 8, word)?;
                    }
                }
            }
            Ok(count)
        }
        _ => Err(Errno::ENOSYS),
    }
}
