//! Making, naming and connecting sockets: `socket`, `socketpair`, `bind`,
//! `listen`, `accept`, `accept4`, `connect`, `getsockname`,
//! `getpeername`, `shutdown`, `getsockopt`, `setsockopt`.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};

use abi::{Errno, KernelResult};
use fs::unix::{SocketKind, UnixAddress, UnixCredentials, UnixSocket};
use fs::{FileDescription, OpenFlags};

use crate::SyscallResult;
use crate::args::{DirFd, Fd, UserBuffer, UserPtr};
use crate::context::Context;
use crate::kernel::Kernel;

/// `AF_UNIX`.
pub const AF_UNIX: i32 = 1;
const SOCK_NONBLOCK: i32 = 0o4000;
const SOCK_CLOEXEC: i32 = 0o2_000_000;
const SOL_SOCKET: i32 = 1;
const SO_TYPE: i32 = 3;
const SO_ERROR: i32 = 4;
const SO_SNDBUF: i32 = 7;
const SO_RCVBUF: i32 = 8;
const SO_REUSEADDR: i32 = 2;
const SO_DONTROUTE: i32 = 5;
const SO_BROADCAST: i32 = 6;
const SO_KEEPALIVE: i32 = 9;
const SO_OOBINLINE: i32 = 10;
const SO_PRIORITY: i32 = 12;
const SO_REUSEPORT: i32 = 15;

/// Boolean socket-level options Linux keeps for every socket that do
/// nothing for a Unix one: set and read back as 0 or 1.
const INERT_FLAGS: [i32; 6] = [
    SO_REUSEADDR,
    SO_DONTROUTE,
    SO_BROADCAST,
    SO_KEEPALIVE,
    SO_OOBINLINE,
    SO_REUSEPORT,
];
const SO_PASSCRED: i32 = 16;
const SO_PEERCRED: i32 = 17;
const SO_ACCEPTCONN: i32 = 30;
const SO_DOMAIN: i32 = 39;
const SO_PROTOCOL: i32 = 38;
/// `sizeof(struct sockaddr_un)`.
const SOCKADDR_UN_SIZE: usize = 110;
/// Offset of `sun_path`.
const PATH_OFFSET: usize = 2;

/// Inode numbers of sockets (Linux's sockfs), for `fstat` and
/// `/proc/<pid>/fd`'s `socket:[N]`.
static NEXT_SOCKET_INODE: AtomicU64 = AtomicU64::new(1);

fn next_ino() -> u64 {
    NEXT_SOCKET_INODE.fetch_add(1, Ordering::Relaxed)
}

/// The caller as a socket's owner or a message's sender.
pub(crate) fn credentials<K: Kernel>(ctx: &Context<'_, K>) -> UnixCredentials {
    let data = ctx.process.data();
    let credentials = data.credentials();
    UnixCredentials {
        pid: ctx.process.pid(),
        uid: credentials.euid(),
        gid: credentials.egid(),
    }
}

/// The socket behind `fd`: `EBADF`, or `ENOTSOCK` for another file.
pub(crate) fn socket_of<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
) -> KernelResult<(Arc<FileDescription>, Arc<UnixSocket>)> {
    let description = ctx.description(fd)?;
    let socket = description
        .file()
        .unix_socket()
        .cloned()
        .ok_or(Errno::ENOTSOCK)?;
    Ok((description, socket))
}

/// Splits `type` into the kind and the `SOCK_NONBLOCK`/`SOCK_CLOEXEC`
/// flags; `EINVAL` for other flag bits.
fn kind_and_flags(kind: i32, domain: i32, protocol: i32) -> KernelResult<(SocketKind, bool, bool)> {
    if domain != AF_UNIX {
        return Err(Errno::EAFNOSUPPORT);
    }
    if kind & !(0xf | SOCK_NONBLOCK | SOCK_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    let socket_kind = SocketKind::from_type(kind & 0xf)?;
    if protocol != 0 {
        return Err(Errno::EPROTONOSUPPORT);
    }
    Ok((
        socket_kind,
        kind & SOCK_NONBLOCK != 0,
        kind & SOCK_CLOEXEC != 0,
    ))
}

fn status(nonblocking: bool) -> OpenFlags {
    if nonblocking {
        OpenFlags::O_NONBLOCK
    } else {
        OpenFlags::empty()
    }
}

/// `socket(domain, type, protocol)`.
pub fn socket<K: Kernel>(
    ctx: &Context<'_, K>,
    domain: i32,
    kind: i32,
    protocol: i32,
) -> SyscallResult {
    let (kind, nonblocking, cloexec) = kind_and_flags(kind, domain, protocol)?;
    let socket = UnixSocket::new(
        kind,
        credentials(ctx),
        next_ino(),
        ctx.kernel.new_wait_queue(),
    );
    let description = fs::unix::open_socket(socket, status(nonblocking))?;
    Ok(ctx.install(description, cloexec)? as u64)
}

/// `socketpair(domain, type, protocol, sv)`: both installed or neither.
pub fn socketpair<K: Kernel>(
    ctx: &Context<'_, K>,
    domain: i32,
    kind: i32,
    protocol: i32,
    fds: UserPtr<[i32; 2]>,
) -> SyscallResult {
    let (kind, nonblocking, cloexec) = kind_and_flags(kind, domain, protocol)?;
    let (a, b) = UnixSocket::pair(
        kind,
        credentials(ctx),
        (next_ino(), next_ino()),
        ctx.kernel.new_wait_queue(),
    );
    let a = fs::unix::open_socket(a, status(nonblocking))?;
    let b = fs::unix::open_socket(b, status(nonblocking))?;
    ctx.install_pair((a, b), cloexec, fds)?;
    Ok(0)
}

/// A `sockaddr_un` as the kernel reads it: abstract (leading NUL) or a
/// path (up to the first NUL). `EINVAL` for a short or foreign address.
pub(crate) fn read_address<K: Kernel>(
    ctx: &Context<'_, K>,
    address: UserBuffer,
    len: u32,
) -> KernelResult<(Vec<u8>, bool)> {
    let len = len as usize;
    if !(PATH_OFFSET..=SOCKADDR_UN_SIZE).contains(&len) {
        return Err(Errno::EINVAL);
    }
    let bytes = ctx.read_bytes(address, len)?;
    if i32::from(u16::from_ne_bytes([bytes[0], bytes[1]])) != AF_UNIX {
        return Err(Errno::EINVAL);
    }
    let name = &bytes[PATH_OFFSET..];
    match name.first() {
        None => Err(Errno::EINVAL),
        Some(0) => Ok((name[1..].to_vec(), true)),
        Some(_) => {
            let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
            Ok((name[..end].to_vec(), false))
        }
    }
}

/// `address` as a `sockaddr_un`, and the length Linux reports for it.
pub(crate) fn encode_address(address: &UnixAddress) -> Vec<u8> {
    let mut bytes = (AF_UNIX as u16).to_ne_bytes().to_vec();
    match address {
        UnixAddress::Unnamed => {}
        UnixAddress::Abstract(name) => {
            bytes.push(0);
            bytes.extend_from_slice(name);
        }
        UnixAddress::Path(path, _) => {
            bytes.extend_from_slice(path);
            bytes.push(0);
        }
    }
    bytes
}

/// Writes `address` to a `(sockaddr *, socklen_t *)` pair, truncated to
/// the caller's length, which is updated to the full length.
pub(crate) fn write_address<K: Kernel>(
    ctx: &Context<'_, K>,
    address: &UnixAddress,
    out: UserBuffer,
    len: UserPtr<u32>,
) -> KernelResult<()> {
    if len.is_null() {
        return Ok(());
    }
    let room = ctx.read(len)? as usize;
    if (room as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    let bytes = encode_address(address);
    let n = room.min(bytes.len());
    if n > 0 {
        ctx.write_bytes(out, &bytes[..n])?;
    }
    ctx.write(len, &(bytes.len() as u32))
}

fn path_of(name: &[u8]) -> KernelResult<&str> {
    core::str::from_utf8(name).map_err(|_| Errno::EINVAL)
}

/// The socket a name stands for (`connect`, `sendto`): a path is resolved
/// to its node, which must be a socket (`ECONNREFUSED` if none is bound to
/// it); an abstract name is looked up directly.
pub(crate) fn find_named<K: Kernel>(
    ctx: &Context<'_, K>,
    name: Vec<u8>,
    is_abstract: bool,
) -> KernelResult<Arc<UnixSocket>> {
    let address = if is_abstract {
        UnixAddress::Abstract(name)
    } else {
        let path = path_of(&name)?;
        let stat = ctx.at(DirFd::Cwd, path, |pc| ctx.kernel.vfs().stat(pc, path, true))?;
        if stat.mode & abi::S_IFMT != abi::S_IFSOCK {
            return Err(Errno::ECONNREFUSED);
        }
        ctx.at(DirFd::Cwd, path, |pc| ctx.kernel.vfs().access(pc, path, 2))?;
        UnixAddress::Path(name.clone(), (stat.dev, stat.ino))
    };
    ctx.kernel.vfs().unix_names().find(&address)
}

/// `bind(fd, addr, len)`: an abstract name, or a new socket node at a
/// path (`EADDRINUSE` if the path exists).
pub fn bind<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    address: UserBuffer,
    len: u32,
) -> SyscallResult {
    let (_, socket) = socket_of(ctx, fd)?;
    let (name, is_abstract) = read_address(ctx, address, len)?;
    if socket.address() != UnixAddress::Unnamed {
        return Err(Errno::EINVAL);
    }
    let address = if is_abstract {
        UnixAddress::Abstract(name)
    } else {
        let path = path_of(&name)?;
        let umask = ctx.process.data().fs().map_or(0o022, |fs| fs.umask());
        let made = ctx.at(DirFd::Cwd, path, |pc| {
            ctx.kernel
                .vfs()
                .mknod(pc, path, abi::S_IFSOCK | (0o777 & !umask), 0)
        });
        match made {
            Err(Errno::EEXIST) => return Err(Errno::EADDRINUSE),
            other => other?,
        }
        let stat = ctx.at(DirFd::Cwd, path, |pc| {
            ctx.kernel.vfs().stat(pc, path, false)
        })?;
        UnixAddress::Path(name.clone(), (stat.dev, stat.ino))
    };
    ctx.kernel.vfs().unix_names().bind(&socket, address)?;
    Ok(0)
}

/// `listen(fd, backlog)`.
pub fn listen<K: Kernel>(ctx: &Context<'_, K>, fd: Fd, backlog: i32) -> SyscallResult {
    let (_, socket) = socket_of(ctx, fd)?;
    socket.listen(backlog)?;
    Ok(0)
}

/// `accept4(fd, addr, len, flags)`: waits for a connection unless the
/// listener is non-blocking.
pub fn accept4<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    address: UserBuffer,
    len: UserPtr<u32>,
    flags: i32,
) -> SyscallResult {
    if flags & !(SOCK_NONBLOCK | SOCK_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    let (description, socket) = socket_of(ctx, fd)?;
    if !socket.is_listening() {
        return Err(Errno::EINVAL);
    }
    let accepted = crate::fs::io::blocking(&description, || socket.accept())?;
    let peer = accepted.peer_address().unwrap_or(UnixAddress::Unnamed);
    let new = fs::unix::open_socket(accepted, status(flags & SOCK_NONBLOCK != 0))?;
    let fd = ctx.install(new, flags & SOCK_CLOEXEC != 0)?;
    if address.0 != 0 {
        write_address(ctx, &peer, address, len)?;
    }
    Ok(fd as u64)
}

/// `accept(fd, addr, len)`.
pub fn accept<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    address: UserBuffer,
    len: UserPtr<u32>,
) -> SyscallResult {
    accept4(ctx, fd, address, len, 0)
}

/// `connect(fd, addr, len)`: a stream or packet socket joins the
/// listener's backlog (waiting while it is full, unless non-blocking:
/// `EAGAIN`); a datagram socket just records its peer.
pub fn connect<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    address: UserBuffer,
    len: u32,
) -> SyscallResult {
    let (description, socket) = socket_of(ctx, fd)?;
    let (name, is_abstract) = read_address(ctx, address, len)?;
    let target = find_named(ctx, name, is_abstract)?;
    if socket.kind() == SocketKind::Datagram {
        socket.set_datagram_peer(&target)?;
        return Ok(0);
    }
    let queue = ctx.kernel.new_wait_queue();
    crate::fs::io::blocking(&description, || {
        // Retry on the listener's queue, which accept wakes.
        socket.connect_to(&target, next_ino(), queue.clone())
    })?;
    Ok(0)
}

/// `getsockname(fd, addr, len)`.
pub fn getsockname<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    address: UserBuffer,
    len: UserPtr<u32>,
) -> SyscallResult {
    let (_, socket) = socket_of(ctx, fd)?;
    write_address(ctx, &socket.address(), address, len)?;
    Ok(0)
}

/// `getpeername(fd, addr, len)`: `ENOTCONN` without a peer.
pub fn getpeername<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    address: UserBuffer,
    len: UserPtr<u32>,
) -> SyscallResult {
    let (_, socket) = socket_of(ctx, fd)?;
    write_address(ctx, &socket.peer_address()?, address, len)?;
    Ok(0)
}

/// `shutdown(fd, how)`.
pub fn shutdown<K: Kernel>(ctx: &Context<'_, K>, fd: Fd, how: i32) -> SyscallResult {
    let (_, socket) = socket_of(ctx, fd)?;
    socket.shutdown(how)?;
    Ok(0)
}

/// `getsockopt(fd, level, name, value, len)`: the `SOL_SOCKET` options a
/// Unix socket has; `ENOPROTOOPT` for the rest.
pub fn getsockopt<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    level: i32,
    name: i32,
    value: UserBuffer,
    len: UserPtr<u32>,
) -> SyscallResult {
    let (_, socket) = socket_of(ctx, fd)?;
    if level != SOL_SOCKET {
        return Err(Errno::ENOPROTOOPT);
    }
    let int = |v: i32| v.to_ne_bytes().to_vec();
    let bytes = match name {
        SO_TYPE => int(socket.kind().to_type()),
        SO_DOMAIN => int(AF_UNIX),
        SO_PROTOCOL | SO_ERROR => int(0),
        name if INERT_FLAGS.contains(&name) || name == SO_PRIORITY => {
            int(socket.inert_option(name))
        }
        SO_ACCEPTCONN => int(i32::from(socket.is_listening())),
        SO_PASSCRED => int(i32::from(socket.pass_credentials())),
        SO_RCVBUF => int(socket.buffer_sizes().0 as i32),
        SO_SNDBUF => int(socket.buffer_sizes().1 as i32),
        SO_PEERCRED => {
            let peer = socket.peer_credentials();
            let mut bytes = peer.pid.to_ne_bytes().to_vec();
            bytes.extend_from_slice(&peer.uid.to_ne_bytes());
            bytes.extend_from_slice(&peer.gid.to_ne_bytes());
            bytes
        }
        _ => return Err(Errno::ENOPROTOOPT),
    };
    let room = ctx.read(len)? as usize;
    if (room as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    let n = room.min(bytes.len());
    ctx.write_bytes(value, &bytes[..n])?;
    ctx.write(len, &(n as u32))?;
    Ok(0)
}

/// `setsockopt(fd, level, name, value, len)`: `SO_PASSCRED`,
/// `SO_RCVBUF`, `SO_SNDBUF`, and the options that change nothing for a
/// Unix socket on Linux either but are kept and reported
/// (`SO_REUSEADDR`, `SO_KEEPALIVE`, `SO_BROADCAST`, `SO_PRIORITY`, ...);
/// `ENOPROTOOPT` for the rest.
pub fn setsockopt<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    level: i32,
    name: i32,
    value: UserBuffer,
    len: u32,
) -> SyscallResult {
    let (_, socket) = socket_of(ctx, fd)?;
    if level != SOL_SOCKET {
        return Err(Errno::ENOPROTOOPT);
    }
    if (len as usize) < 4 {
        return Err(Errno::EINVAL);
    }
    let bytes = ctx.read_bytes(value, 4)?;
    let value = i32::from_ne_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    match name {
        SO_PASSCRED => socket.set_pass_credentials(value != 0),
        SO_RCVBUF => socket.set_buffer_size(true, value.max(0) as usize),
        SO_SNDBUF => socket.set_buffer_size(false, value.max(0) as usize),
        name if INERT_FLAGS.contains(&name) => socket.set_inert_option(name, i32::from(value != 0)),
        SO_PRIORITY => {
            // 0 to 6 for anyone, more for root (CAP_NET_ADMIN), as Linux.
            if !(0..=6).contains(&value) && ctx.fs_credentials().uid != 0 {
                return Err(Errno::EPERM);
            }
            socket.set_inert_option(name, value);
        }
        _ => return Err(Errno::ENOPROTOOPT),
    }
    Ok(0)
}
