//! Making, naming and connecting sockets: `socket`, `socketpair`, `bind`,
//! `listen`, `accept`, `accept4`, `connect`, `getsockname`,
//! `getpeername`, `shutdown`. Each call works on any family; where the
//! families differ (naming), it hands over to [`super::unix`] or
//! [`super::inet`].

use alloc::sync::Arc;
use core::sync::atomic::{AtomicU64, Ordering};

use abi::{Errno, KernelResult};
use fs::socket::{Direction, Domain, Socket, SocketAddress, SocketCredentials, SocketKind};
use fs::{FileDescription, OpenFlags};

use super::address::{
    AF_INET, AF_INET6, AF_NETLINK, AF_UNIX, Name, PATH_OFFSET, read_name, write_name,
};
use super::options::{IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE};
use super::{inet, netlink, unix};
use crate::SyscallResult;
use crate::args::{Fd, UserBuffer, UserPtr};
use crate::context::Context;
use crate::kernel::Kernel;

const SOCK_NONBLOCK: i32 = 0o4000;
const SOCK_CLOEXEC: i32 = 0o2_000_000;
const SOCK_RAW: i32 = 3;

/// Inode numbers of sockets (Linux's sockfs), for `fstat` and
/// `/proc/<pid>/fd`'s `socket:[N]`.
static NEXT_SOCKET_INODE: AtomicU64 = AtomicU64::new(1);

fn next_ino() -> u64 {
    NEXT_SOCKET_INODE.fetch_add(1, Ordering::Relaxed)
}

/// The caller as a socket's owner or a message's sender.
pub(crate) fn credentials<K: Kernel>(ctx: &Context<'_, K>) -> SocketCredentials {
    let data = ctx.process.data();
    let credentials = data.credentials();
    SocketCredentials {
        pid: ctx.process.pid(),
        uid: credentials.euid(),
        gid: credentials.egid(),
    }
}

/// The socket behind `fd`: `EBADF`, or `ENOTSOCK` for another file.
pub(crate) fn socket_of<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
) -> KernelResult<(Arc<FileDescription>, Arc<Socket>)> {
    let description = ctx.description(fd)?;
    let socket = description
        .file()
        .socket()
        .cloned()
        .ok_or(Errno::ENOTSOCK)?;
    Ok((description, socket))
}

/// What `socket(domain, type, protocol)` asks for.
struct Request {
    domain: Domain,
    kind: SocketKind,
    protocol: i32,
    nonblocking: bool,
    cloexec: bool,
}

/// Checks `socket`'s arguments as Linux does: `EAFNOSUPPORT` for a family
/// without sockets here, `EINVAL` for unknown flag bits,
/// `ESOCKTNOSUPPORT` for a kind the family lacks, `EPROTONOSUPPORT` for a
/// protocol that does not go with the kind, `EPERM` for raw sockets
/// without root.
fn request(domain: i32, kind: i32, protocol: i32, raw_allowed: bool) -> KernelResult<Request> {
    let domain = match domain {
        AF_UNIX => Domain::Unix,
        AF_INET => Domain::Inet,
        AF_INET6 => Domain::Inet6,
        AF_NETLINK => Domain::Netlink,
        _ => return Err(Errno::EAFNOSUPPORT),
    };
    if kind & !(0xf | SOCK_NONBLOCK | SOCK_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    let base = kind & 0xf;
    if domain == Domain::Netlink {
        // Raw and datagram are the same for netlink; only routing is here.
        if base != SOCK_RAW && base != fs::socket::SOCK_DGRAM {
            return Err(Errno::ESOCKTNOSUPPORT);
        }
        if protocol != fs::netlink::NETLINK_ROUTE {
            return Err(Errno::EPROTONOSUPPORT);
        }
        return Ok(Request {
            domain,
            kind: SocketKind::Datagram,
            protocol,
            nonblocking: kind & SOCK_NONBLOCK != 0,
            cloexec: kind & SOCK_CLOEXEC != 0,
        });
    }
    if domain.is_inet() && base == SOCK_RAW {
        // No raw IP: there is no wire to read packets from.
        return Err(if raw_allowed {
            Errno::ESOCKTNOSUPPORT
        } else {
            Errno::EPERM
        });
    }
    let socket_kind = SocketKind::from_type(base)?;
    let protocol_fits = match (domain, socket_kind) {
        (Domain::Unix | Domain::Netlink, _) => protocol == 0,
        (_, SocketKind::Stream) => protocol == 0 || protocol == IPPROTO_TCP,
        (_, SocketKind::Datagram) => {
            protocol == 0 || protocol == IPPROTO_UDP || protocol == IPPROTO_UDPLITE
        }
        (_, SocketKind::SeqPacket) => return Err(Errno::ESOCKTNOSUPPORT),
    };
    if !protocol_fits {
        return Err(Errno::EPROTONOSUPPORT);
    }
    let protocol = match (domain, socket_kind) {
        (Domain::Unix | Domain::Netlink, _) => 0,
        (_, SocketKind::Datagram) if protocol == IPPROTO_UDPLITE => IPPROTO_UDPLITE,
        (_, SocketKind::Datagram) => IPPROTO_UDP,
        _ => IPPROTO_TCP,
    };
    Ok(Request {
        domain,
        kind: socket_kind,
        protocol,
        nonblocking: kind & SOCK_NONBLOCK != 0,
        cloexec: kind & SOCK_CLOEXEC != 0,
    })
}

fn status(nonblocking: bool) -> OpenFlags {
    if nonblocking {
        OpenFlags::O_NONBLOCK
    } else {
        OpenFlags::empty()
    }
}

/// `socket(domain, type, protocol)`: `AF_UNIX`, `AF_INET` and `AF_INET6`.
pub fn socket<K: Kernel>(
    ctx: &Context<'_, K>,
    domain: i32,
    kind: i32,
    protocol: i32,
) -> SyscallResult {
    let raw_allowed = ctx.capable(abi::capability::CAP_NET_RAW);
    let request = request(domain, kind, protocol, raw_allowed)?;
    let socket = Socket::new(
        request.domain,
        request.kind,
        request.protocol,
        credentials(ctx),
        next_ino(),
        ctx.kernel.new_wait_queue(),
    );
    let description = fs::socket::open_socket(socket, status(request.nonblocking))?;
    Ok(ctx.install(description, request.cloexec)? as u64)
}

/// `socketpair(domain, type, protocol, sv)`: both installed or neither;
/// `AF_UNIX` only (`EOPNOTSUPP` for Internet sockets, as Linux).
pub fn socketpair<K: Kernel>(
    ctx: &Context<'_, K>,
    domain: i32,
    kind: i32,
    protocol: i32,
    fds: UserPtr<[i32; 2]>,
) -> SyscallResult {
    let raw_allowed = ctx.capable(abi::capability::CAP_NET_RAW);
    let request = request(domain, kind, protocol, raw_allowed)?;
    if request.domain != Domain::Unix {
        return Err(Errno::EOPNOTSUPP);
    }
    let (a, b) = Socket::pair(
        request.kind,
        credentials(ctx),
        (next_ino(), next_ino()),
        ctx.kernel.new_wait_queue(),
    );
    let a = fs::socket::open_socket(a, status(request.nonblocking))?;
    let b = fs::socket::open_socket(b, status(request.nonblocking))?;
    ctx.install_pair((a, b), request.cloexec, fds)?;
    Ok(0)
}

/// `bind(fd, addr, len)`.
pub fn bind<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    address: UserBuffer,
    len: u32,
) -> SyscallResult {
    let (_, socket) = socket_of(ctx, fd)?;
    if socket.domain() == Domain::Unix && len as usize == PATH_OFFSET {
        // Only the family: unix(7)'s autobind.
        if i32::from(ctx.read(UserPtr::<u16>::new(address.0))?) != AF_UNIX {
            return Err(Errno::EINVAL);
        }
        ctx.kernel.vfs().unix_names().autobind(&socket)?;
        return Ok(0);
    }
    match read_name(ctx, socket.domain(), address, len)? {
        Name::Unix { name, is_abstract } => unix::bind(ctx, &socket, name, is_abstract)?,
        Name::Inet(address) => inet::bind(ctx, &socket, address)?,
        Name::Netlink { port, groups } => {
            netlink::bind(ctx, &socket, port, groups)?;
        }
        Name::Unspecified => return Err(Errno::EAFNOSUPPORT),
    }
    Ok(0)
}

/// `listen(fd, backlog)`: an unbound Internet socket gets a free port.
pub fn listen<K: Kernel>(ctx: &Context<'_, K>, fd: Fd, backlog: i32) -> SyscallResult {
    let (_, socket) = socket_of(ctx, fd)?;
    if socket.domain().is_inet() {
        if socket.kind() != SocketKind::Stream {
            return Err(Errno::EOPNOTSUPP);
        }
        if socket.was_connected() {
            return Err(Errno::EINVAL);
        }
        inet::autobind(ctx, &socket)?;
    }
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
    let accepted =
        crate::fs::io::blocking_io(ctx, &description, Direction::Receive, || socket.accept())?;
    let peer = accepted.peer_address().unwrap_or(SocketAddress::Unnamed);
    let new = fs::socket::open_socket(accepted, status(flags & SOCK_NONBLOCK != 0))?;
    let fd = ctx.install(new, flags & SOCK_CLOEXEC != 0)?;
    if address.0 != 0 {
        write_name(ctx, socket.domain(), &peer, address, len)?;
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

/// `connect(fd, addr, len)`. A Unix stream or packet socket joins the
/// listener's backlog (waiting while it is full, unless non-blocking:
/// `EAGAIN`); a Unix datagram socket records its peer. Internet sockets:
/// see `inet::connect`.
pub fn connect<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    address: UserBuffer,
    len: u32,
) -> SyscallResult {
    let (description, socket) = socket_of(ctx, fd)?;
    let (name, is_abstract) = match read_name(ctx, socket.domain(), address, len)? {
        Name::Unix { name, is_abstract } => (name, is_abstract),
        // Only the kernel (port 0) answers here.
        Name::Netlink { port: 0, .. } => return Ok(0),
        Name::Netlink { .. } => return Err(Errno::ECONNREFUSED),
        other => return inet::connect(ctx, &description, &socket, other, next_ino),
    };
    unix::autobind_to_pass_credentials(ctx, &socket)?;
    let target = unix::find(ctx, name, is_abstract)?;
    if socket.kind() == SocketKind::Datagram {
        socket.set_datagram_peer(&target)?;
        return Ok(0);
    }
    let queue = ctx.kernel.new_wait_queue();
    // A full backlog past SO_SNDTIMEO: EAGAIN, as Linux's Unix sockets.
    crate::fs::io::blocking_io(ctx, &description, Direction::Send, || {
        socket.connect_to(&target, next_ino(), target.address(), queue.clone())
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
    write_name(ctx, socket.domain(), &socket.address(), address, len)?;
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
    write_name(ctx, socket.domain(), &socket.peer_address()?, address, len)?;
    Ok(0)
}

/// `shutdown(fd, how)`.
pub fn shutdown<K: Kernel>(ctx: &Context<'_, K>, fd: Fd, how: i32) -> SyscallResult {
    let (_, socket) = socket_of(ctx, fd)?;
    socket.shutdown(how)?;
    Ok(0)
}

/// Where a send goes.
pub(crate) enum Destination {
    /// The connected peer.
    Peer,
    /// This socket, and for an Internet datagram the address it was sent
    /// to (`IP_PKTINFO` tells the receiver).
    To(Arc<Socket>, Option<fs::inet::IpAddress>),
    /// Nowhere: a UDP datagram to a port nobody has bound is dropped.
    Nowhere,
    /// The kernel: a netlink request.
    Kernel,
}

/// Where a send on `socket` with the address `name` (if any) goes: Unix
/// datagrams to the named socket; TCP to the peer, whatever the address;
/// UDP to the socket bound at the address or the connected one.
pub(crate) fn destination<K: Kernel>(
    ctx: &Context<'_, K>,
    socket: &Arc<Socket>,
    name: Option<(UserBuffer, u32)>,
) -> KernelResult<Destination> {
    let name = match name {
        Some((address, len)) => Some(read_name(ctx, socket.domain(), address, len)?),
        None => None,
    };
    if socket.domain() == Domain::Unix && socket.kind() != SocketKind::Stream {
        // The receiver of a credential-passing datagram sees who sent it.
        unix::autobind_to_pass_credentials(ctx, socket)?;
    }
    match (socket.domain(), socket.kind()) {
        (Domain::Netlink, _) => match name {
            None | Some(Name::Netlink { port: 0, .. }) => Ok(Destination::Kernel),
            Some(_) => Err(Errno::ECONNREFUSED),
        },
        (Domain::Unix, _) => match name {
            Some(Name::Unix { name, is_abstract }) => {
                Ok(Destination::To(unix::find(ctx, name, is_abstract)?, None))
            }
            Some(_) => Err(Errno::EINVAL),
            None => Ok(Destination::Peer),
        },
        (_, SocketKind::Datagram) => match name {
            // The connected address, or EDESTADDRREQ: the socket knows.
            None => Ok(Destination::Peer),
            Some(name) => Ok(match inet::datagram_target(ctx, socket, name)? {
                (Some(target), ip) => Destination::To(target, Some(ip)),
                (None, _) => Destination::Nowhere,
            }),
        },
        _ => Ok(Destination::Peer),
    }
}
