//! `AF_INET` and `AF_INET6` sockets on the loopback: binding ports,
//! connecting, and finding where a datagram goes. The bytes move through
//! the same queues as a Unix socket's ([`fs::socket`]); what is Internet
//! here is the naming, with Linux's errors.

use alloc::sync::Arc;

use abi::{Errno, KernelResult};
use fs::FileDescription;
use fs::inet::{BindOptions, InetAddress, IpAddress, PRIVILEGED_PORTS, Protocol};
use fs::socket::{Domain, Socket, SocketAddress, SocketKind};

use super::address::Name;
use super::options::{IPPROTO_IPV6, IPV6_V6ONLY, SO_REUSEADDR, SO_REUSEPORT, SOL_SOCKET};
use crate::SyscallResult;
use crate::context::Context;
use crate::kernel::Kernel;

fn bind_options(socket: &Socket) -> BindOptions {
    BindOptions {
        reuse_address: socket.option(SOL_SOCKET, SO_REUSEADDR, 0) != 0,
        reuse_port: socket.option(SOL_SOCKET, SO_REUSEPORT, 0) != 0,
        v6_only: socket.domain() == Domain::Inet6
            && socket.option(IPPROTO_IPV6, IPV6_V6ONLY, 0) != 0,
    }
}

/// `bind` of an Internet socket: a local address (else `EADDRNOTAVAIL`),
/// a port below 1024 only with `CAP_NET_BIND_SERVICE` (else `EACCES`), port 0 for any free
/// one; `EINVAL` if already bound.
pub(crate) fn bind<K: Kernel>(
    ctx: &Context<'_, K>,
    socket: &Arc<Socket>,
    address: InetAddress,
) -> KernelResult<()> {
    if socket.address() != SocketAddress::Unnamed {
        return Err(Errno::EINVAL);
    }
    if !address.ip.is_unspecified() && !address.ip.is_loopback() {
        return Err(Errno::EADDRNOTAVAIL);
    }
    if address.port != 0
        && address.port < PRIVILEGED_PORTS
        && !ctx.capable(abi::capability::CAP_NET_BIND_SERVICE)
    {
        return Err(Errno::EACCES);
    }
    ctx.kernel.vfs().inet_ports().bind(
        socket,
        Protocol::of(socket),
        address,
        bind_options(socket),
    )?;
    Ok(())
}

/// The socket's address, binding it first to a free port on the
/// unspecified address if it has none (as `listen`, `connect` and a first
/// `sendto` do on Linux).
pub(crate) fn autobind<K: Kernel>(
    ctx: &Context<'_, K>,
    socket: &Arc<Socket>,
) -> KernelResult<InetAddress> {
    if let SocketAddress::Inet(address) = socket.address() {
        return Ok(address);
    }
    let ip = match socket.domain() {
        Domain::Inet6 => IpAddress::V6_ANY,
        _ => IpAddress::V4_ANY,
    };
    let address = InetAddress { ip, port: 0 };
    ctx.kernel
        .vfs()
        .inet_ports()
        .bind(socket, Protocol::of(socket), address, bind_options(socket))
}

/// Where traffic for `to` goes: the unspecified address is this machine,
/// and nothing but this machine is reachable (`ENETUNREACH`).
fn local_destination(to: InetAddress) -> KernelResult<InetAddress> {
    if to.ip.is_unspecified() {
        Ok(InetAddress {
            ip: to.ip.family_loopback(),
            port: to.port,
        })
    } else if to.ip.is_loopback() {
        Ok(to)
    } else {
        Err(Errno::ENETUNREACH)
    }
}

/// After `connect`, a socket bound to the unspecified address is named by
/// the loopback address its traffic leaves from (`getsockname`).
fn settle_local_address(socket: &Socket, bound: InetAddress, to: InetAddress) {
    if bound.ip.is_unspecified() {
        socket.set_local_address(SocketAddress::Inet(InetAddress {
            ip: to.ip.family_loopback(),
            port: bound.port,
        }));
    }
}

/// `connect` of an Internet socket. A datagram socket records where it
/// sends (`AF_UNSPEC` forgets it). A stream socket joins the listener's
/// backlog: with no listener, `ECONNREFUSED`; a non-blocking socket gets
/// `EINPROGRESS` either way, as the handshake would take a moment on
/// Linux, and the outcome is in `SO_ERROR` and poll readiness.
pub(crate) fn connect<K: Kernel>(
    ctx: &Context<'_, K>,
    description: &FileDescription,
    socket: &Arc<Socket>,
    name: Name,
    new_ino: impl Fn() -> u64,
) -> SyscallResult {
    let to = match name {
        Name::Inet(to) => to,
        Name::Unspecified if socket.kind() == SocketKind::Datagram => {
            socket.clear_remote();
            return Ok(0);
        }
        // Linux aborts a connection this way (`tcp_disconnect`); here the
        // socket is shut down both ways, and may not connect again.
        Name::Unspecified if socket.was_connected() => {
            socket.shutdown(2)?;
            return Ok(0);
        }
        Name::Unspecified => return Ok(0),
        _ => return Err(Errno::EAFNOSUPPORT),
    };
    if socket.kind() == SocketKind::Datagram {
        let to = local_destination(to)?;
        let bound = autobind(ctx, socket)?;
        settle_local_address(socket, bound, to);
        socket.set_remote(to, ctx.kernel.vfs().inet_ports().clone());
        return Ok(0);
    }
    if let Some(error) = socket.take_error() {
        return Err(error);
    }
    if socket.is_listening() || socket.was_connected() {
        return Err(Errno::EISCONN);
    }
    let to = local_destination(to)?;
    let bound = autobind(ctx, socket)?;
    let nonblocking = description.is_nonblocking();
    let Some(listener) = ctx.kernel.vfs().inet_ports().find(Protocol::Tcp, to) else {
        if nonblocking {
            socket.set_error(Errno::ECONNREFUSED);
            return Err(Errno::EINPROGRESS);
        }
        return Err(Errno::ECONNREFUSED);
    };
    settle_local_address(socket, bound, to);
    let queue = ctx.kernel.new_wait_queue();
    let server_address = SocketAddress::Inet(to);
    let attempt = || socket.connect_to(&listener, new_ino(), server_address.clone(), queue.clone());
    if nonblocking {
        attempt()?;
        return Err(Errno::EINPROGRESS);
    }
    // TCP past SO_SNDTIMEO: still connecting, as Linux says.
    match crate::fs::io::blocking_io(ctx, description, fs::socket::Direction::Send, attempt) {
        Err(Errno::EAGAIN) => Err(Errno::EINPROGRESS),
        other => other.map(|()| 0),
    }
}

/// The socket a datagram to `to` reaches, binding the sender first;
/// `None` when no socket is bound there (UDP drops the datagram).
/// `EINVAL` for port 0.
pub(crate) fn datagram_target<K: Kernel>(
    ctx: &Context<'_, K>,
    socket: &Arc<Socket>,
    to: Name,
) -> KernelResult<(Option<Arc<Socket>>, IpAddress)> {
    let Name::Inet(to) = to else {
        return Err(Errno::EAFNOSUPPORT);
    };
    let to = local_destination(to)?;
    if to.port == 0 {
        return Err(Errno::EINVAL);
    }
    autobind(ctx, socket)?;
    let target = ctx.kernel.vfs().inet_ports().find(Protocol::of(socket), to);
    Ok((target, to.ip))
}
