//! Socket options: `getsockopt` and `setsockopt` at the socket level
//! (`SOL_SOCKET`) and, for Internet sockets, the IP, IPv6 and TCP levels.
//!
//! With only a loopback device, most IP and TCP options change nothing
//! a program can observe (`TCP_NODELAY`, `IP_TOS`, keep-alive timers):
//! they are checked as Linux checks them, kept, and read back. The ones
//! that matter are applied: buffer sizes, `SO_PASSCRED`, `SO_ERROR`,
//! `SO_TIMESTAMP` and `SO_TIMESTAMPNS` (arrival times as control
//! messages), and `SO_REUSEADDR`, `SO_REUSEPORT` and `IPV6_V6ONLY`,
//! which decide who may share a port.

use alloc::vec::Vec;

use abi::{Errno, KernelResult};
use fs::socket::{Direction, Domain, Socket, SocketKind};

use super::address::family;
use super::socket::socket_of;
use crate::SyscallResult;
use crate::args::{Fd, UserBuffer, UserPtr};
use crate::context::Context;
use crate::kernel::Kernel;

/// `SOL_SOCKET`.
pub const SOL_SOCKET: i32 = 1;
pub use fs::inet::{
    DEFAULT_HOP_LIMIT, IP_TOS, IP_TTL, IPPROTO_IP, IPPROTO_IPV6, IPV6_TCLASS, IPV6_UNICAST_HOPS,
};
pub use fs::socket::{IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE};
/// `IP_RECVTTL`: received datagrams come with their TTL (`IP_TTL`).
pub const IP_RECVTTL: i32 = 12;
/// `IP_RECVTOS`: received datagrams come with their type of service
/// (`IP_TOS`, one byte).
pub const IP_RECVTOS: i32 = 13;
/// `IPV6_RECVHOPLIMIT`: received datagrams come with their hop limit
/// (`IPV6_HOPLIMIT`).
pub const IPV6_RECVHOPLIMIT: i32 = 51;
/// `IPV6_HOPLIMIT`: the control message of a datagram's hop limit.
pub const IPV6_HOPLIMIT: i32 = 52;
/// `IPV6_RECVTCLASS`: received datagrams come with their traffic class
/// (`IPV6_TCLASS`).
pub const IPV6_RECVTCLASS: i32 = 66;
/// `IP_PKTINFO`: received datagrams come with the address they were sent
/// to and the interface (a `struct in_pktinfo` of that name); as a control
/// message on a send, the source address.
pub const IP_PKTINFO: i32 = 8;
/// `IPV6_RECVPKTINFO`: received datagrams come with the address they
/// were sent to and the interface (`IPV6_PKTINFO`).
pub const IPV6_RECVPKTINFO: i32 = 49;
/// `IPV6_PKTINFO`: the control message of a `struct in6_pktinfo`.
pub const IPV6_PKTINFO: i32 = 50;

/// `SO_REUSEADDR`.
pub const SO_REUSEADDR: i32 = 2;
const SO_TYPE: i32 = 3;
const SO_ERROR: i32 = 4;
const SO_DONTROUTE: i32 = 5;
const SO_BROADCAST: i32 = 6;
const SO_SNDBUF: i32 = 7;
const SO_RCVBUF: i32 = 8;
const SO_KEEPALIVE: i32 = 9;
const SO_OOBINLINE: i32 = 10;
const SO_PRIORITY: i32 = 12;
/// `SO_LINGER`, a `struct linger` (on, seconds).
const SO_LINGER: i32 = 13;
/// `SO_REUSEPORT`.
pub const SO_REUSEPORT: i32 = 15;
const SO_PASSCRED: i32 = 16;
const SO_PEERCRED: i32 = 17;
/// `SO_RCVTIMEO` (x86-64's old and new numbers take the same 64-bit
/// `struct timeval`).
const SO_RCVTIMEO: [i32; 2] = [20, 66];
/// `SO_SNDTIMEO`, likewise.
const SO_SNDTIMEO: [i32; 2] = [21, 67];
const SO_ACCEPTCONN: i32 = 30;
/// `SO_TIMESTAMP`: received messages come with their arrival time as a
/// `struct timeval` (`SCM_TIMESTAMP`, the same number); the `_NEW` form
/// with the 64-bit `struct __kernel_sock_timeval`, the same layout on
/// x86-64 under its own message type.
pub const SO_TIMESTAMP: i32 = 29;
/// `SO_TIMESTAMPNS`: likewise as a `struct timespec` (`SCM_TIMESTAMPNS`).
pub const SO_TIMESTAMPNS: i32 = 35;
/// `SO_TIMESTAMP_NEW`.
pub const SO_TIMESTAMP_NEW: i32 = 63;
/// `SO_TIMESTAMPNS_NEW`.
pub const SO_TIMESTAMPNS_NEW: i32 = 64;
const SO_PROTOCOL: i32 = 38;
const SO_DOMAIN: i32 = 39;

/// `IPV6_V6ONLY`.
pub const IPV6_V6ONLY: i32 = 26;

/// How a socket stamps what it receives, as Linux's socket flags: kept
/// as one value under `SO_TIMESTAMP`'s name. `SOCK_RCVTSTAMP`: stamp
/// at all.
const STAMP: i32 = 1;
/// `SOCK_RCVTSTAMPNS`: in nanoseconds (`SO_TIMESTAMPNS`).
const STAMP_NS: i32 = 2;
/// `SOCK_TSTAMP_NEW`: under the `_NEW` message types.
const STAMP_NEW: i32 = 4;

/// The control message a socket's receive carries for an arrival at
/// `at()` (the wall clock, asked only if needed), if the socket asked
/// for one with `SO_TIMESTAMP` or `SO_TIMESTAMPNS` (or their `_NEW`
/// forms): its type and its two 64-bit words, a `timeval` or a
/// `timespec`.
pub fn timestamp_message(
    socket: &Socket,
    at: impl FnOnce() -> abi::Timespec,
) -> Option<(i32, [i64; 2])> {
    let mode = socket.option(SOL_SOCKET, SO_TIMESTAMP, 0);
    if mode & STAMP == 0 {
        return None;
    }
    let at = at();
    let new = mode & STAMP_NEW != 0;
    Some(if mode & STAMP_NS != 0 {
        let kind = if new {
            SO_TIMESTAMPNS_NEW
        } else {
            SO_TIMESTAMPNS
        };
        (kind, [at.sec, at.nsec])
    } else {
        let kind = if new { SO_TIMESTAMP_NEW } else { SO_TIMESTAMP };
        (kind, [at.sec, at.nsec / 1000])
    })
}

/// `setsockopt` of one of the four timestamp options to `on`, as Linux's
/// `sock_set_timestamp`: on, it says which form; off, it turns stamping
/// off whichever form was on.
fn set_timestamps(socket: &Socket, name: i32, on: bool) {
    let mode = if on {
        let ns = matches!(name, SO_TIMESTAMPNS | SO_TIMESTAMPNS_NEW);
        let new = matches!(name, SO_TIMESTAMP_NEW | SO_TIMESTAMPNS_NEW);
        STAMP | if ns { STAMP_NS } else { 0 } | if new { STAMP_NEW } else { 0 }
    } else {
        0
    };
    socket.set_option(SOL_SOCKET, SO_TIMESTAMP, mode);
}

/// `getsockopt` of one of the four timestamp options: whether stamping
/// is on in exactly that form.
fn timestamps_in_form(socket: &Socket, name: i32) -> bool {
    let mode = socket.option(SOL_SOCKET, SO_TIMESTAMP, 0);
    let ns = matches!(name, SO_TIMESTAMPNS | SO_TIMESTAMPNS_NEW);
    let new = matches!(name, SO_TIMESTAMP_NEW | SO_TIMESTAMPNS_NEW);
    mode & STAMP != 0 && (mode & STAMP_NS != 0) == ns && (mode & STAMP_NEW != 0) == new
}

/// The four timestamp options' names.
const TIMESTAMP_OPTIONS: [i32; 4] = [
    SO_TIMESTAMP,
    SO_TIMESTAMPNS,
    SO_TIMESTAMP_NEW,
    SO_TIMESTAMPNS_NEW,
];

/// Boolean socket-level options kept for every socket: set and read back
/// as 0 or 1.
const SOCKET_FLAGS: [i32; 6] = [
    SO_REUSEADDR,
    SO_DONTROUTE,
    SO_BROADCAST,
    SO_KEEPALIVE,
    SO_OOBINLINE,
    SO_REUSEPORT,
];

/// How a kept option's value is stored.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Any non-zero value reads back as 1.
    Flag,
    /// Kept as given, within a range (else `EINVAL`).
    Int(i32, i32),
}

/// Options of the IP, IPv6 and TCP levels that are kept: (level, name,
/// default, shape). Linux's defaults on a fresh socket.
const INET_OPTIONS: &[(i32, i32, i32, Shape)] = &[
    (IPPROTO_IP, IP_TOS, 0, Shape::Int(0, 255)),
    (IPPROTO_IP, IP_TTL, -1, Shape::Int(-1, 255)), // 0 refused apart
    (IPPROTO_IP, 11, 0, Shape::Flag),              // IP_RECVERR
    (IPPROTO_IP, IP_RECVTTL, 0, Shape::Flag),
    (IPPROTO_IP, IP_RECVTOS, 0, Shape::Flag),
    (IPPROTO_IP, IP_PKTINFO, 0, Shape::Flag),
    (IPPROTO_IP, 15, 0, Shape::Flag),        // IP_FREEBIND
    (IPPROTO_IP, 24, 0, Shape::Flag),        // IP_BIND_ADDRESS_NO_PORT
    (IPPROTO_IP, 33, 1, Shape::Int(0, 255)), // IP_MULTICAST_TTL
    (IPPROTO_IP, 34, 1, Shape::Flag),        // IP_MULTICAST_LOOP
    (IPPROTO_IPV6, IPV6_UNICAST_HOPS, -1, Shape::Int(-1, 255)),
    (IPPROTO_IPV6, 19, 1, Shape::Flag), // IPV6_MULTICAST_LOOP
    (IPPROTO_IPV6, 25, 0, Shape::Flag), // IPV6_RECVERR
    (IPPROTO_IPV6, IPV6_V6ONLY, 0, Shape::Flag),
    (IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 0, Shape::Flag),
    (IPPROTO_IPV6, IPV6_RECVTCLASS, 0, Shape::Flag),
    (IPPROTO_IPV6, IPV6_RECVPKTINFO, 0, Shape::Flag),
    (IPPROTO_IPV6, IPV6_TCLASS, 0, Shape::Int(-1, 255)), // -1 kept as 0
];

/// UDP-Lite's checksum coverage (`UDPLITE_SEND_CSCOV`,
/// `UDPLITE_RECV_CSCOV`): kept, as nothing is checksummed here.
const UDPLITE_OPTIONS: &[(i32, i32, i32, Shape)] = &[
    (IPPROTO_UDPLITE, 10, 0, Shape::Int(0, 65535)),
    (IPPROTO_UDPLITE, 11, 0, Shape::Int(0, 65535)),
];

/// `SOL_NETLINK`.
const SOL_NETLINK: i32 = 270;

/// Netlink options kept as flags (`NETLINK_ADD_MEMBERSHIP` and the rest:
/// there are no multicast groups to join here).
const NETLINK_OPTIONS: &[(i32, i32, i32, Shape)] = &[
    (SOL_NETLINK, 1, 0, Shape::Int(0, i32::MAX)), // NETLINK_ADD_MEMBERSHIP
    (SOL_NETLINK, 2, 0, Shape::Int(0, i32::MAX)), // NETLINK_DROP_MEMBERSHIP
    (SOL_NETLINK, 3, 0, Shape::Flag),             // NETLINK_PKTINFO
    (SOL_NETLINK, 4, 0, Shape::Flag),             // NETLINK_BROADCAST_ERROR
    (SOL_NETLINK, 5, 0, Shape::Flag),             // NETLINK_NO_ENOBUFS
    (SOL_NETLINK, 10, 0, Shape::Flag),            // NETLINK_CAP_ACK
    (SOL_NETLINK, 11, 0, Shape::Flag),            // NETLINK_EXT_ACK
    (SOL_NETLINK, 12, 0, Shape::Flag),            // NETLINK_GET_STRICT_CHK
];

/// TCP-level options kept for stream sockets.
const TCP_OPTIONS: &[(i32, i32, i32, Shape)] = &[
    (IPPROTO_TCP, 1, 0, Shape::Flag),              // TCP_NODELAY
    (IPPROTO_TCP, 2, 536, Shape::Int(88, 65535)),  // TCP_MAXSEG
    (IPPROTO_TCP, 3, 0, Shape::Flag),              // TCP_CORK
    (IPPROTO_TCP, 4, 7200, Shape::Int(1, 32767)),  // TCP_KEEPIDLE
    (IPPROTO_TCP, 5, 75, Shape::Int(1, 32767)),    // TCP_KEEPINTVL
    (IPPROTO_TCP, 6, 9, Shape::Int(1, 127)),       // TCP_KEEPCNT
    (IPPROTO_TCP, 9, 0, Shape::Int(0, i32::MAX)),  // TCP_DEFER_ACCEPT
    (IPPROTO_TCP, 12, 1, Shape::Flag),             // TCP_QUICKACK
    (IPPROTO_TCP, 18, 0, Shape::Int(0, i32::MAX)), // TCP_USER_TIMEOUT
    (IPPROTO_TCP, 25, 0, Shape::Int(0, i32::MAX)), // TCP_NOTSENT_LOWAT
];

/// The kept option `(level, name)` of `socket`, if it has such an option:
/// the IP level for both Internet families (Linux lets an `AF_INET6`
/// socket set IPv4 options for its mapped traffic), IPv6 for `AF_INET6`,
/// TCP for stream sockets.
fn kept_option(socket: &Socket, level: i32, name: i32) -> Option<(i32, Shape)> {
    let table = match (socket.domain(), level) {
        (Domain::Netlink, SOL_NETLINK) => NETLINK_OPTIONS,
        (Domain::Unix | Domain::Netlink, _) => return None,
        (_, IPPROTO_IP) => INET_OPTIONS,
        (Domain::Inet6, IPPROTO_IPV6) => INET_OPTIONS,
        (_, IPPROTO_TCP) if socket.kind() == SocketKind::Stream => TCP_OPTIONS,
        (_, IPPROTO_UDPLITE) if socket.protocol() == IPPROTO_UDPLITE => UDPLITE_OPTIONS,
        _ => return None,
    };
    table
        .iter()
        .find(|(l, n, _, _)| *l == level && *n == name)
        .map(|&(_, _, default, shape)| (default, shape))
}

/// The value of option `name` at `level`; `ENOPROTOOPT` for an option the
/// socket does not have.
fn option_bytes(socket: &Socket, level: i32, name: i32) -> KernelResult<Vec<u8>> {
    let int = |v: i32| v.to_ne_bytes().to_vec();
    if level != SOL_SOCKET {
        let (default, _) = kept_option(socket, level, name).ok_or(Errno::ENOPROTOOPT)?;
        let value = socket.option(level, name, default);
        // "The route's" TTL or hop limit reads as the loopback's.
        let route_default = matches!((level, name), (IPPROTO_IP, IP_TTL))
            || matches!((level, name), (IPPROTO_IPV6, IPV6_UNICAST_HOPS));
        return Ok(int(if route_default && value < 0 {
            i32::from(DEFAULT_HOP_LIMIT)
        } else {
            value
        }));
    }
    Ok(match name {
        SO_TYPE => int(socket.kind().to_type()),
        SO_DOMAIN => int(family(socket.domain())),
        SO_PROTOCOL => int(socket.protocol()),
        SO_ERROR => int(socket.take_error().map_or(0, |e| e as i32)),
        name if SOCKET_FLAGS.contains(&name) || name == SO_PRIORITY => {
            int(socket.option(SOL_SOCKET, name, 0))
        }
        SO_ACCEPTCONN => int(i32::from(socket.is_listening())),
        name if TIMESTAMP_OPTIONS.contains(&name) => {
            int(i32::from(timestamps_in_form(socket, name)))
        }
        SO_PASSCRED => int(i32::from(socket.pass_credentials())),
        SO_RCVBUF => int(socket.buffer_sizes().0 as i32),
        SO_SNDBUF => int(socket.buffer_sizes().1 as i32),
        name if SO_RCVTIMEO.contains(&name) || SO_SNDTIMEO.contains(&name) => {
            // For ever reads as zero, as Linux's sock_get_timeout.
            let direction = timeout_direction(name);
            let ns = socket.timeout(direction).unwrap_or(0);
            let mut bytes = (ns / 1_000_000_000).to_ne_bytes().to_vec();
            bytes.extend_from_slice(&(ns % 1_000_000_000 / 1000).to_ne_bytes());
            bytes
        }
        SO_LINGER => {
            let (on, seconds) = socket.linger();
            let mut bytes = i32::from(on).to_ne_bytes().to_vec();
            bytes.extend_from_slice(&seconds.to_ne_bytes());
            bytes
        }
        SO_PEERCRED => {
            let peer = socket.peer_credentials();
            let mut bytes = peer.pid.to_ne_bytes().to_vec();
            bytes.extend_from_slice(&peer.uid.to_ne_bytes());
            bytes.extend_from_slice(&peer.gid.to_ne_bytes());
            bytes
        }
        _ => return Err(Errno::ENOPROTOOPT),
    })
}

/// Which way the timeout option `name` bounds.
fn timeout_direction(name: i32) -> Direction {
    if SO_SNDTIMEO.contains(&name) {
        Direction::Send
    } else {
        Direction::Receive
    }
}

/// A `struct timeval` for `SO_RCVTIMEO` or `SO_SNDTIMEO`, as Linux's
/// `sock_set_timeout` reads it: `EINVAL` if shorter than one, `EDOM` for
/// microseconds outside 0 to 999,999; zero means for ever (`None`), a
/// negative time no wait at all.
fn read_timeout<K: Kernel>(
    ctx: &Context<'_, K>,
    value: UserBuffer,
    len: u32,
) -> KernelResult<Option<u64>> {
    if (len as usize) < 16 {
        return Err(Errno::EINVAL);
    }
    let [seconds, micros] = ctx.read(UserPtr::<[i64; 2]>::new(value.0))?;
    if !(0..1_000_000).contains(&micros) {
        return Err(Errno::EDOM);
    }
    Ok(match (seconds, micros) {
        (0, 0) => None,
        (..0, _) => Some(0),
        _ => Some(
            (seconds as u64)
                .saturating_mul(1_000_000_000)
                .saturating_add(micros as u64 * 1000),
        ),
    })
}

/// `getsockopt(fd, level, name, value, len)`.
pub fn getsockopt<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    level: i32,
    name: i32,
    value: UserBuffer,
    len: UserPtr<u32>,
) -> SyscallResult {
    let (_, socket) = socket_of(ctx, fd)?;
    let room = ctx.read(len)? as usize;
    if (room as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    let bytes = option_bytes(&socket, level, name)?;
    let n = room.min(bytes.len());
    ctx.write_bytes(value, &bytes[..n])?;
    ctx.write(len, &(n as u32))?;
    Ok(0)
}

/// `setsockopt(fd, level, name, value, len)`: `SO_PASSCRED`, the buffer
/// sizes, `SO_PRIORITY` (0 to 6 without `CAP_NET_ADMIN`), the kept flags and the kept
/// IP, IPv6 and TCP options (`IPV6_V6ONLY` only before `bind`);
/// `ENOPROTOOPT` for the rest, `EINVAL` for a value shorter than an int
/// or out of range.
pub fn setsockopt<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    level: i32,
    name: i32,
    value: UserBuffer,
    len: u32,
) -> SyscallResult {
    let (_, socket) = socket_of(ctx, fd)?;
    let known = level == SOL_SOCKET || kept_option(&socket, level, name).is_some();
    if !known {
        return Err(Errno::ENOPROTOOPT);
    }
    if level == SOL_SOCKET && (SO_RCVTIMEO.contains(&name) || SO_SNDTIMEO.contains(&name)) {
        let timeout = read_timeout(ctx, value, len)?;
        socket.set_timeout(timeout_direction(name), timeout);
        return Ok(0);
    }
    if level == SOL_SOCKET && name == SO_LINGER {
        if (len as usize) < 8 {
            return Err(Errno::EINVAL);
        }
        let [on, seconds] = ctx.read(UserPtr::<[i32; 2]>::new(value.0))?;
        socket.set_linger(on != 0, seconds);
        return Ok(0);
    }
    if (len as usize) < 4 {
        return Err(Errno::EINVAL);
    }
    let bytes = ctx.read_bytes(value, 4)?;
    let value = i32::from_ne_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    if level != SOL_SOCKET {
        let (_, shape) = kept_option(&socket, level, name).ok_or(Errno::ENOPROTOOPT)?;
        if level == IPPROTO_IPV6
            && name == IPV6_V6ONLY
            && socket.address() != fs::socket::SocketAddress::Unnamed
        {
            return Err(Errno::EINVAL);
        }
        let stored = match shape {
            Shape::Flag => i32::from(value != 0),
            _ if (level, name, value) == (IPPROTO_IP, IP_TTL, 0) => return Err(Errno::EINVAL),
            // RFC 3542: -1 is the default traffic class, 0.
            _ if (level, name, value) == (IPPROTO_IPV6, IPV6_TCLASS, -1) => 0,
            Shape::Int(low, high) if (low..=high).contains(&value) => value,
            Shape::Int(..) => return Err(Errno::EINVAL),
        };
        socket.set_option(level, name, stored);
        return Ok(0);
    }
    match name {
        SO_PASSCRED => socket.set_pass_credentials(value != 0),
        name if TIMESTAMP_OPTIONS.contains(&name) => set_timestamps(&socket, name, value != 0),
        SO_RCVBUF => socket.set_buffer_size(true, value.max(0) as usize),
        SO_SNDBUF => socket.set_buffer_size(false, value.max(0) as usize),
        name if SOCKET_FLAGS.contains(&name) => {
            socket.set_option(SOL_SOCKET, name, i32::from(value != 0))
        }
        SO_PRIORITY => {
            // 0 to 6 for anyone, more with CAP_NET_ADMIN, as Linux.
            if !(0..=6).contains(&value) && !ctx.capable(abi::capability::CAP_NET_ADMIN) {
                return Err(Errno::EPERM);
            }
            socket.set_option(SOL_SOCKET, name, value);
        }
        _ => return Err(Errno::ENOPROTOOPT),
    }
    Ok(0)
}
