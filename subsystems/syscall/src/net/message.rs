//! Moving data through sockets: `sendto`, `recvfrom`, `sendmsg`,
//! `recvmsg` and their batched forms `sendmmsg` and `recvmmsg`, with
//! `SCM_RIGHTS` (descriptors) and `SCM_CREDENTIALS` control messages
//! between Unix sockets, the IP header's TTL or hop limit and type of
//! service or traffic class as control messages of UDP datagrams (set on
//! send, reported on receive when asked for), arrival times
//! (`SO_TIMESTAMP`, `SO_TIMESTAMPNS`), and the `MSG_*` flags.

use abi::capability::{CAP_SETGID, CAP_SETUID, CAP_SYS_ADMIN};
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;

use abi::{Errno, KernelResult};
use fs::FileDescription;
use fs::inet::{IpAddress, IpHeaderRequest, LOOPBACK_INTERFACE};
use fs::socket::flags::{MSG_CMSG_CLOEXEC, MSG_DONTWAIT, MSG_NOSIGNAL, MSG_PEEK, MSG_TRUNC};
use fs::socket::{
    Direction, Domain, MAX_BUFFER, MAX_RIGHTS, Received, Socket, SocketCredentials, SocketKind,
};

use super::address::{encode, write_name};
use super::options::{
    IP_PKTINFO, IP_RECVTOS, IP_RECVTTL, IP_TOS, IP_TTL, IPPROTO_IP, IPPROTO_IPV6, IPV6_HOPLIMIT,
    IPV6_PKTINFO, IPV6_RECVHOPLIMIT, IPV6_RECVPKTINFO, IPV6_RECVTCLASS, IPV6_TCLASS,
    timestamp_message,
};
use super::socket::{Destination, credentials, destination, socket_of};
use crate::SyscallResult;
use crate::args::{Fd, UserBuffer, UserPtr};
use crate::context::Context;
use crate::kernel::Kernel;

const SOL_SOCKET: i32 = 1;
const SCM_RIGHTS: i32 = 1;
const SCM_CREDENTIALS: i32 = 2;
/// `MSG_CTRUNC`: control data did not fit.
const MSG_CTRUNC: i32 = 0x8;
/// Most bytes one call moves (as `read`/`write`).
const MAX_IO: usize = 0x7fff_f000;
/// `sizeof(struct cmsghdr)`.
const CMSG_HEADER: usize = 16;

/// `struct msghdr`, as read from user memory.
struct MessageHeader {
    name: u64,
    name_len: u32,
    iov: u64,
    iov_len: u64,
    control: u64,
    control_len: u64,
}

fn read_header<K: Kernel>(
    ctx: &Context<'_, K>,
    at: UserPtr<[u64; 7]>,
) -> KernelResult<MessageHeader> {
    let raw = ctx.read(at)?;
    Ok(MessageHeader {
        name: raw[0],
        name_len: raw[1] as u32,
        iov: raw[2],
        iov_len: raw[3],
        control: raw[4],
        control_len: raw[5],
    })
}

/// The `(base, len)` pairs of an iovec array (at most `IOV_MAX`).
fn read_iovecs<K: Kernel>(
    ctx: &Context<'_, K>,
    iov: u64,
    count: u64,
) -> KernelResult<Vec<(u64, usize)>> {
    if count > 1024 {
        return Err(Errno::EMSGSIZE);
    }
    let array = UserPtr::<[u64; 2]>::new(iov);
    let mut total: usize = 0;
    (0..count as usize)
        .map(|i| {
            let [base, len] = ctx.read(array.element(i))?;
            let len = usize::try_from(len).map_err(|_| Errno::EINVAL)?;
            total = total.checked_add(len).ok_or(Errno::EINVAL)?;
            Ok((base, len))
        })
        .collect()
}

fn cmsg_align(len: usize) -> usize {
    len.div_ceil(8) * 8
}

/// What a `sendmsg`'s control messages ask for.
#[derive(Default)]
struct Control {
    rights: Vec<Arc<FileDescription>>,
    credentials: Option<SocketCredentials>,
    ip: IpHeaderRequest,
}

/// An IP-level control message's value for `socket`: `IP_TTL` (1 to 255),
/// `IP_TOS` (an int or a byte, 0 to 255) and `IP_PKTINFO` at `IPPROTO_IP`
/// for IPv4 sockets, `IPV6_HOPLIMIT` and `IPV6_TCLASS` (-1, the socket's,
/// to 255) and `IPV6_PKTINFO` at `IPPROTO_IPV6` for IPv6 ones; other types
/// at those levels are `EINVAL`, other levels ignored (as Linux's
/// `ip_cmsg_send` and `ip6_datagram_send_ctl`). A packet-info message
/// names the source address and the interface ([`packet_source`]).
fn ip_control(
    domain: Domain,
    (level, kind): (i32, i32),
    data: &[u8],
    request: &mut IpHeaderRequest,
) -> KernelResult<()> {
    let int = || {
        <[u8; 4]>::try_from(data)
            .map(i32::from_ne_bytes)
            .map_err(|_| Errno::EINVAL)
    };
    // -1 leaves the socket's value in force.
    let field = |value: i32, low: i32| match value {
        -1 if low == -1 => Ok(None),
        0..=255 if value >= low => Ok(Some(value as u8)),
        _ => Err(Errno::EINVAL),
    };
    match (domain, level, kind) {
        (Domain::Inet, IPPROTO_IP, IP_TTL) => request.hop_limit = field(int()?, 1)?,
        (Domain::Inet, IPPROTO_IP, IP_TOS) => {
            let value = match data {
                [byte] => i32::from(*byte),
                _ => int()?,
            };
            request.traffic_class = field(value, 0)?;
        }
        (Domain::Inet6, IPPROTO_IPV6, IPV6_HOPLIMIT) => request.hop_limit = field(int()?, -1)?,
        (Domain::Inet6, IPPROTO_IPV6, IPV6_TCLASS) => request.traffic_class = field(int()?, -1)?,
        // struct in_pktinfo { ifindex; spec_dst; addr }: the source is
        // spec_dst.
        (Domain::Inet, IPPROTO_IP, IP_PKTINFO) => {
            let info = <[u8; 12]>::try_from(data).map_err(|_| Errno::EINVAL)?;
            let interface = i32::from_ne_bytes([info[0], info[1], info[2], info[3]]);
            let source = IpAddress::V4([info[4], info[5], info[6], info[7]]);
            request.source = Some(packet_source(interface, source)?);
        }
        // struct in6_pktinfo { addr; ifindex }.
        (Domain::Inet6, IPPROTO_IPV6, IPV6_PKTINFO) => {
            let info = <[u8; 20]>::try_from(data).map_err(|_| Errno::EINVAL)?;
            let mut address = [0u8; 16];
            address.copy_from_slice(&info[..16]);
            let interface = i32::from_ne_bytes([info[16], info[17], info[18], info[19]]);
            request.source = Some(packet_source(interface, IpAddress::V6(address))?);
        }
        (Domain::Inet, IPPROTO_IP, _) | (Domain::Inet6, IPPROTO_IPV6, _) => {
            return Err(Errno::EINVAL);
        }
        _ => {}
    }
    Ok(())
}

/// The descriptors, credentials and IP header fields in a control buffer
/// sent through `socket`. Messages of a level the socket does not speak
/// are ignored, as Linux does.
fn read_control<K: Kernel>(
    ctx: &Context<'_, K>,
    socket: &Socket,
    control: u64,
    len: u64,
) -> KernelResult<Control> {
    let mut rights = Vec::new();
    let mut sent_credentials = None;
    let mut ip = IpHeaderRequest::default();
    if control == 0 || len == 0 {
        return Ok(Control::default());
    }
    let len = usize::try_from(len)
        .map_err(|_| Errno::EINVAL)?
        .min(1 << 16);
    let bytes = ctx.read_bytes(UserBuffer(control), len)?;
    let mut at = 0;
    while at + CMSG_HEADER <= bytes.len() {
        let word = |i: usize| u64::from_ne_bytes(bytes[i..i + 8].try_into().unwrap_or([0; 8]));
        let cmsg_len = word(at) as usize;
        let level = i32::from_ne_bytes(bytes[at + 8..at + 12].try_into().unwrap_or([0; 4]));
        let kind = i32::from_ne_bytes(bytes[at + 12..at + 16].try_into().unwrap_or([0; 4]));
        if cmsg_len < CMSG_HEADER || at + cmsg_len > bytes.len() {
            return Err(Errno::EINVAL);
        }
        let data = &bytes[at + CMSG_HEADER..at + cmsg_len];
        if level == SOL_SOCKET && kind == SCM_RIGHTS {
            for fd in data.chunks_exact(4) {
                let fd = i32::from_ne_bytes([fd[0], fd[1], fd[2], fd[3]]);
                rights.push(ctx.description(Fd(fd))?);
            }
            if rights.len() > MAX_RIGHTS {
                return Err(Errno::EINVAL);
            }
        } else if level == SOL_SOCKET && kind == SCM_CREDENTIALS {
            if data.len() < 12 {
                return Err(Errno::EINVAL);
            }
            let int =
                |i: usize| u32::from_ne_bytes([data[i], data[i + 1], data[i + 2], data[i + 3]]);
            let claimed = SocketCredentials {
                pid: int(0) as i32,
                uid: int(4),
                gid: int(8),
            };
            // Linux's scm_check_creds: one's own pid unless CAP_SYS_ADMIN,
            // one's own real, effective or saved ids unless CAP_SETUID and
            // CAP_SETGID.
            let own = credentials(ctx);
            let allowed = {
                let data = ctx.process.data();
                let c = data.credentials();
                (claimed.pid == own.pid || c.capable(CAP_SYS_ADMIN))
                    && ([c.uid(), c.euid(), c.suid()].contains(&claimed.uid)
                        || c.capable(CAP_SETUID))
                    && ([c.gid(), c.egid(), c.sgid()].contains(&claimed.gid)
                        || c.capable(CAP_SETGID))
            };
            if !allowed {
                return Err(Errno::EPERM);
            }
            sent_credentials = Some(claimed);
        } else if level == SOL_SOCKET {
            return Err(Errno::EINVAL);
        } else {
            ip_control(socket.domain(), (level, kind), data, &mut ip)?;
        }
        at += cmsg_align(cmsg_len);
    }
    Ok(Control {
        rights,
        credentials: sent_credentials,
        ip,
    })
}

/// The bytes a send takes from user memory (a buffer or an iovec array),
/// read piece by piece as the socket takes them, so a large send never
/// needs a kernel copy of all of it.
struct Outgoing {
    segments: Vec<(u64, usize)>,
    len: usize,
}

impl Outgoing {
    fn new(segments: Vec<(u64, usize)>) -> KernelResult<Outgoing> {
        let len = segments
            .iter()
            .try_fold(0usize, |total, (_, len)| total.checked_add(*len))
            .filter(|&len| len <= MAX_IO)
            .ok_or(Errno::EMSGSIZE)?;
        Ok(Outgoing { segments, len })
    }

    /// Bytes `from..from + max` (fewer at the end).
    fn read<K: Kernel>(
        &self,
        ctx: &Context<'_, K>,
        from: usize,
        max: usize,
    ) -> KernelResult<Vec<u8>> {
        let want = max.min(self.len - from);
        let mut bytes = Vec::new();
        fault_injection::reserve_exact(&mut bytes, want)?;
        let mut skip = from;
        for &(base, len) in &self.segments {
            if bytes.len() == want {
                break;
            }
            if skip >= len {
                skip -= len;
                continue;
            }
            let n = (len - skip).min(want - bytes.len());
            bytes.extend(ctx.read_bytes(UserBuffer(base + skip as u64), n)?);
            skip = 0;
        }
        Ok(bytes)
    }
}

/// How much of a stream send is read from user memory per step.
const STREAM_STEP: usize = 64 * 1024;
/// The longest UDP datagram (65,535 less the IPv4 and UDP headers).
const MAX_UDP_DATAGRAM: usize = 65_507;

/// Sends `outgoing` through `socket` (to `to`, for datagrams), waiting for
/// room unless non-blocking; a stream send goes on until everything is
/// queued. `EPIPE` raises `SIGPIPE` unless `MSG_NOSIGNAL`.
fn send_all<K: Kernel>(
    ctx: &Context<'_, K>,
    (description, socket): (&FileDescription, &Arc<Socket>),
    outgoing: &Outgoing,
    mut rights: Vec<Arc<FileDescription>>,
    (sender, to, mut ip): (SocketCredentials, Destination, IpHeaderRequest),
    flags: i32,
) -> SyscallResult {
    let whole_messages = socket.kind() != SocketKind::Stream;
    let longest = if socket.domain().is_inet() {
        MAX_UDP_DATAGRAM
    } else {
        MAX_BUFFER
    };
    if whole_messages && outgoing.len > longest {
        return Err(Errno::EMSGSIZE);
    }
    // Nothing is in flight here: a message arrives as it is sent, and
    // that is its arrival time (`SO_TIMESTAMP`).
    let arrival = Some(ctx.kernel.realtime());
    let to = match to {
        Destination::Peer => None,
        Destination::To(socket, destination) => {
            ip.destination = destination;
            Some(socket)
        }
        // UDP does not know whether anyone listens: the datagram is sent.
        Destination::Nowhere => {
            socket.refuse_datagram();
            return Ok(outgoing.len as u64);
        }
        Destination::Kernel => {
            let request = outgoing.read(ctx, 0, outgoing.len)?;
            super::netlink::to_kernel(ctx, socket, &request)?;
            return Ok(outgoing.len as u64);
        }
    };
    let nonblocking = flags & MSG_DONTWAIT != 0 || description.is_nonblocking();
    let mut sent = 0;
    let step = if whole_messages {
        outgoing.len
    } else {
        STREAM_STEP
    };
    // The bytes from `read_at` on, kept while a full queue makes us wait.
    let mut data = Vec::new();
    let mut read_at = None;
    let mut deadline = None;
    let result = loop {
        let queue = description.wait_queue();
        let seen = queue.as_ref().map_or(0, |q| q.event_count());
        if read_at != Some(sent) {
            data = match outgoing.read(ctx, sent, step) {
                Ok(data) => data,
                Err(_) if sent > 0 => break Ok(sent),
                Err(error) => break Err(error),
            };
            read_at = Some(sent);
        }
        let chunk_rights = core::mem::take(&mut rights);
        match socket.send(
            &data,
            chunk_rights.clone(),
            sender,
            to.clone(),
            (ip, arrival),
        ) {
            Ok(n) => {
                sent += n;
                if sent == outgoing.len || n == 0 && data.is_empty() {
                    break Ok(sent);
                }
            }
            Err(Errno::EAGAIN) if !nonblocking => {
                rights = chunk_rights;
                let Some(queue) = queue else {
                    break Err(Errno::EAGAIN);
                };
                // SO_SNDTIMEO, looked at when the send first waits.
                let until = *deadline.get_or_insert_with(|| {
                    (socket.timeout(Direction::Send))
                        .map(|timeout| ctx.kernel.now_ns().saturating_add(timeout))
                });
                if until.is_some_and(|until| ctx.kernel.now_ns() >= until) {
                    break if sent > 0 {
                        Ok(sent)
                    } else {
                        Err(Errno::EAGAIN)
                    };
                }
                if let Err(error) = queue.wait_for_event_until(seen, true, until) {
                    if sent > 0 {
                        break Ok(sent);
                    }
                    if until.is_some() {
                        crate::fs::io::interrupted_for_good(ctx);
                    }
                    break Err(error);
                }
            }
            Err(Errno::EAGAIN) if sent > 0 => break Ok(sent),
            Err(_) if sent > 0 => break Ok(sent),
            Err(error) => break Err(error),
        }
    };
    if result == Err(Errno::EPIPE) && flags & MSG_NOSIGNAL == 0 {
        ctx.kernel.raise_sigpipe();
    }
    Ok(result? as u64)
}

/// `sendto(fd, buf, len, flags, addr, addrlen)`.
pub fn sendto<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    buffer: UserBuffer,
    len: usize,
    flags: i32,
    address: UserBuffer,
    address_len: u32,
) -> SyscallResult {
    let (description, socket) = socket_of(ctx, fd)?;
    let outgoing = Outgoing::new(alloc::vec![(buffer.0, len.min(MAX_IO))])?;
    let to = destination(
        ctx,
        &socket,
        (address.0 != 0).then_some((address, address_len)),
    )?;
    send_all(
        ctx,
        (&description, &socket),
        &outgoing,
        Vec::new(),
        (credentials(ctx), to, IpHeaderRequest::default()),
        flags,
    )
}

/// `sendmsg(fd, msg, flags)`.
pub fn sendmsg<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    message: UserPtr<[u64; 7]>,
    flags: i32,
) -> SyscallResult {
    let (description, socket) = socket_of(ctx, fd)?;
    let header = read_header(ctx, message)?;
    let outgoing = Outgoing::new(read_iovecs(ctx, header.iov, header.iov_len)?)?;
    let Control {
        rights,
        credentials: claimed,
        ip,
    } = read_control(ctx, &socket, header.control, header.control_len)?;
    if socket.domain().is_inet() && (!rights.is_empty() || claimed.is_some()) {
        // Descriptors and credentials travel between Unix sockets only.
        return Err(Errno::EINVAL);
    }
    let name = (header.name != 0).then_some((UserBuffer(header.name), header.name_len));
    let to = destination(ctx, &socket, name)?;
    let sender = claimed.unwrap_or_else(|| credentials(ctx));
    send_all(
        ctx,
        (&description, &socket),
        &outgoing,
        rights,
        (sender, to, ip),
        flags,
    )
}

/// Receives once, waiting unless non-blocking or `MSG_DONTWAIT`, at most
/// `SO_RCVTIMEO`.
fn receive<K: Kernel>(
    ctx: &Context<'_, K>,
    description: &FileDescription,
    socket: &Socket,
    len: usize,
    flags: i32,
) -> KernelResult<(Vec<u8>, Received)> {
    // Nothing queued is longer than the largest buffer.
    let mut buffer = vec![0u8; len.min(MAX_BUFFER)];
    let peek = flags & MSG_PEEK != 0;
    let attempt = |buffer: &mut [u8]| socket.receive(buffer, peek);
    let received = if flags & MSG_DONTWAIT != 0 {
        attempt(&mut buffer)?
    } else {
        crate::fs::io::blocking_io(ctx, description, Direction::Receive, || {
            attempt(&mut buffer)
        })?
    };
    buffer.truncate(received.len);
    Ok((buffer, received))
}

/// Returns to a stream `socket` the `bytes` a receive took (unless it only
/// peeked) whose copy to user memory failed.
#[cold]
fn give_back(socket: &Socket, bytes: &[u8], flags: i32) {
    if flags & MSG_PEEK == 0 {
        socket.unread(bytes);
    }
}

/// `recvfrom(fd, buf, len, flags, addr, addrlen)`.
pub fn recvfrom<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    buffer: UserBuffer,
    len: usize,
    flags: i32,
    address: UserBuffer,
    address_len: UserPtr<u32>,
) -> SyscallResult {
    let (description, socket) = socket_of(ctx, fd)?;
    let (data, received) = receive(ctx, &description, &socket, len, flags)?;
    if let Err(error) = ctx.write_bytes(buffer, &data) {
        give_back(&socket, &data, flags);
        return Err(error);
    }
    if address.0 != 0
        && let Some(from) = &received.from
    {
        write_name(ctx, socket.domain(), from, address, address_len)?;
    }
    // Descriptors nobody asked for are closed (dropped), as on Linux.
    Ok(if flags & MSG_TRUNC != 0 {
        received.full_len
    } else {
        data.len()
    } as u64)
}

/// `recvmsg(fd, msg, flags)`: the data scattered over the iovecs, the
/// descriptors installed (close-on-exec with `MSG_CMSG_CLOEXEC`) and, with
/// `SO_PASSCRED`, the sender's credentials, as control messages; `MSG_TRUNC`
/// and `MSG_CTRUNC` in `msg_flags` when something did not fit.
pub fn recvmsg<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    message: UserPtr<[u64; 7]>,
    flags: i32,
) -> SyscallResult {
    let (description, socket) = socket_of(ctx, fd)?;
    let header = read_header(ctx, message)?;
    let iovecs = read_iovecs(ctx, header.iov, header.iov_len)?;
    let total: usize = iovecs.iter().map(|(_, len)| len).sum();
    let (data, received) = receive(ctx, &description, &socket, total, flags)?;
    let mut at = 0;
    for (base, len) in &iovecs {
        let n = (*len).min(data.len() - at);
        if n == 0 {
            break;
        }
        if let Err(error) = ctx.write_bytes(UserBuffer(*base), &data[at..at + n]) {
            // A stream keeps what was not copied, and what was is the
            // answer; a datagram is lost (both as on Linux).
            give_back(&socket, &data[at..], flags);
            if at == 0 || socket.kind() != SocketKind::Stream {
                return Err(error);
            }
            break;
        }
        at += n;
    }
    let mut out_flags = 0;
    if received.full_len > data.len() {
        out_flags |= MSG_TRUNC;
    }
    let data = &data[..at];
    // Control messages: the arrival time first, then credentials, then
    // descriptors, as Linux; for an Internet datagram, the header fields
    // asked for.
    let room = usize::try_from(header.control_len).unwrap_or(0);
    let mut control = Vec::new();
    // Stamped as it arrived, or now, as Linux stamps a message that came
    // without a time when it is read. A Unix stream's reads carry no
    // time on Linux.
    let arrival = || received.arrival.unwrap_or_else(|| ctx.kernel.realtime());
    let stamped = socket.domain() != Domain::Unix || socket.kind() != SocketKind::Stream;
    if let Some((kind, [seconds, fraction])) =
        timestamp_message(&socket, arrival).filter(|_| stamped)
    {
        let mut body = seconds.to_ne_bytes().to_vec();
        body.extend_from_slice(&fraction.to_ne_bytes());
        push_cmsg(
            &mut control,
            (SOL_SOCKET, kind),
            &body,
            room,
            &mut out_flags,
        );
    }
    if socket.pass_credentials() && !socket.domain().is_inet() {
        let c = received.credentials;
        let mut body = c.pid.to_ne_bytes().to_vec();
        body.extend_from_slice(&c.uid.to_ne_bytes());
        body.extend_from_slice(&c.gid.to_ne_bytes());
        push_cmsg(
            &mut control,
            (SOL_SOCKET, SCM_CREDENTIALS),
            &body,
            room,
            &mut out_flags,
        );
    }
    if !received.rights.is_empty() {
        let cloexec = flags & MSG_CMSG_CLOEXEC != 0;
        let fit = room.saturating_sub(control.len() + CMSG_HEADER) / 4;
        if fit < received.rights.len() {
            out_flags |= MSG_CTRUNC;
        }
        let mut body = Vec::new();
        for right in received.rights.into_iter().take(fit) {
            let fd = ctx.install(right, cloexec)?;
            body.extend_from_slice(&fd.to_ne_bytes());
        }
        if !body.is_empty() {
            push_cmsg(
                &mut control,
                (SOL_SOCKET, SCM_RIGHTS),
                &body,
                room,
                &mut out_flags,
            );
        }
    }
    if let Some(ip) = received.ip {
        let asked = |level, name| socket.option(level, name, 0) != 0;
        // The address it was sent to comes first, as Linux puts it: to an
        // IPv6 socket that asked, as IPV6_PKTINFO (an IPv4 packet's
        // address mapped); to an IPv4 packet's receiver that asked, as
        // IP_PKTINFO (whose local and destination addresses are the same
        // on the loopback).
        let interface = LOOPBACK_INTERFACE.to_ne_bytes();
        if socket.domain() == Domain::Inet6 && asked(IPPROTO_IPV6, IPV6_RECVPKTINFO) {
            let address = match ip.destination {
                IpAddress::V6(address) => address,
                IpAddress::V4(address) => IpAddress::mapped(address),
            };
            let mut info = [0u8; 20];
            info[..16].copy_from_slice(&address);
            info[16..].copy_from_slice(&interface);
            push_cmsg(
                &mut control,
                (IPPROTO_IPV6, IPV6_PKTINFO),
                &info,
                room,
                &mut out_flags,
            );
        }
        if !ip.v6
            && asked(IPPROTO_IP, IP_PKTINFO)
            && let Some(address) = ip.destination.to_v4()
        {
            let mut info = [0u8; 12];
            info[..4].copy_from_slice(&interface);
            info[4..8].copy_from_slice(&address);
            info[8..].copy_from_slice(&address);
            push_cmsg(
                &mut control,
                (IPPROTO_IP, IP_PKTINFO),
                &info,
                room,
                &mut out_flags,
            );
        }
        let hops = i32::from(ip.hop_limit).to_ne_bytes();
        let class = i32::from(ip.traffic_class).to_ne_bytes();
        // The packet's family decides: an IPv6 socket gets an IPv4
        // packet's fields as IPv4 messages.
        let wanted: [(bool, (i32, i32), &[u8]); 2] = if ip.v6 {
            [
                (
                    asked(IPPROTO_IPV6, IPV6_RECVHOPLIMIT),
                    (IPPROTO_IPV6, IPV6_HOPLIMIT),
                    &hops,
                ),
                (
                    asked(IPPROTO_IPV6, IPV6_RECVTCLASS),
                    (IPPROTO_IPV6, IPV6_TCLASS),
                    &class,
                ),
            ]
        } else {
            [
                (asked(IPPROTO_IP, IP_RECVTTL), (IPPROTO_IP, IP_TTL), &hops),
                // IPv4's type of service comes as one byte.
                (
                    asked(IPPROTO_IP, IP_RECVTOS),
                    (IPPROTO_IP, IP_TOS),
                    &[ip.traffic_class],
                ),
            ]
        };
        for (_, kind, body) in wanted.into_iter().filter(|(asked, ..)| *asked) {
            push_cmsg(&mut control, kind, body, room, &mut out_flags);
        }
    }
    if !control.is_empty() {
        ctx.write_bytes(UserBuffer(header.control), &control)?;
    }
    let mut name_len = 0u32;
    if header.name != 0
        && let Some(from) = &received.from
    {
        let encoded = encode(socket.domain(), from);
        let n = (header.name_len as usize).min(encoded.len());
        ctx.write_bytes(UserBuffer(header.name), &encoded[..n])?;
        name_len = encoded.len() as u32;
    }
    // msg_namelen, msg_controllen and msg_flags.
    let base = message.address();
    ctx.write(UserPtr::<u32>::new(base + 8), &name_len)?;
    ctx.write(UserPtr::<u64>::new(base + 40), &(control.len() as u64))?;
    ctx.write(UserPtr::<i32>::new(base + 48), &out_flags)?;
    Ok(if flags & MSG_TRUNC != 0 {
        received.full_len
    } else {
        data.len()
    } as u64)
}

/// A packet-info control message's source address, checked: the
/// loopback is the only interface (else `ENODEV`) and has only loopback
/// addresses (else `ENETUNREACH` for IPv4, from its route lookup, and
/// `EINVAL` for IPv6, each checked in Linux's order).
fn packet_source(interface: i32, source: IpAddress) -> KernelResult<IpAddress> {
    let foreign = !source.is_unspecified() && !source.is_loopback();
    let v4 = matches!(source, IpAddress::V4(_));
    if v4 && foreign {
        return Err(Errno::ENETUNREACH);
    }
    if interface != 0 && interface != LOOPBACK_INTERFACE {
        return Err(Errno::ENODEV);
    }
    if foreign {
        return Err(Errno::EINVAL);
    }
    Ok(source)
}

/// Appends one control message `(level, type)` to what fits in `room`
/// bytes, as Linux's `put_cmsg`: without room for its header it is left
/// out, without room for all its data it is cut short (its `cmsg_len`
/// says so); both set `MSG_CTRUNC`.
fn push_cmsg(
    control: &mut Vec<u8>,
    (level, kind): (i32, i32),
    body: &[u8],
    room: usize,
    flags: &mut i32,
) {
    let left = room.saturating_sub(control.len());
    if left < CMSG_HEADER {
        *flags |= MSG_CTRUNC;
        return;
    }
    let full = CMSG_HEADER + body.len();
    let len = full.min(left);
    if len < full {
        *flags |= MSG_CTRUNC;
    }
    let start = control.len();
    control.extend_from_slice(&(len as u64).to_ne_bytes());
    control.extend_from_slice(&level.to_ne_bytes());
    control.extend_from_slice(&kind.to_ne_bytes());
    control.extend_from_slice(&body[..len - CMSG_HEADER]);
    control.resize(start + cmsg_align(full).min(left), 0);
}

/// `sizeof(struct mmsghdr)`: a `msghdr` (56 bytes), then the `msg_len`
/// the call fills in, padded to 64.
const MMSGHDR_SIZE: u64 = 64;
/// Where `msg_len` lies in a `struct mmsghdr`.
const MSG_LEN_OFFSET: u64 = 56;
/// The most messages one call handles (Linux's `UIO_MAXIOV`).
const MAX_MESSAGES: u32 = 1024;
/// `MSG_WAITFORONE`: `recvmmsg` waits for the first message only.
const MSG_WAITFORONE: i32 = 0x10000;

/// The `msghdr` of message `index` in a `struct mmsghdr` array.
fn mmsghdr(messages: UserBuffer, index: u32) -> UserPtr<[u64; 7]> {
    UserPtr::new(messages.0.wrapping_add(u64::from(index) * MMSGHDR_SIZE))
}

/// Writes the byte count of message `index` to its `msg_len`.
fn write_msg_len<K: Kernel>(
    ctx: &Context<'_, K>,
    messages: UserBuffer,
    index: u32,
    len: u64,
) -> KernelResult<()> {
    let at = mmsghdr(messages, index).address() + MSG_LEN_OFFSET;
    // `msg_len` is an `unsigned int`; one message is far below 4 GiB.
    ctx.write(UserPtr::<u32>::new(at), &(len as u32))
}

/// `sendmmsg(fd, msgvec, vlen, flags)`: [`sendmsg`] for each message in
/// turn, its byte count written to its `msg_len`. The first failure ends
/// the call: the number sent before it is the answer, or the error when
/// none was (Linux's `__sys_sendmmsg`). At most 1024 messages a call.
pub fn sendmmsg<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    messages: UserBuffer,
    count: u32,
    flags: i32,
) -> SyscallResult {
    // A bad descriptor fails even with no message.
    socket_of(ctx, fd)?;
    let mut sent = 0;
    while sent < count.min(MAX_MESSAGES) {
        let result = sendmsg(ctx, fd, mmsghdr(messages, sent), flags)
            .and_then(|len| write_msg_len(ctx, messages, sent, len));
        match result {
            Ok(()) => sent += 1,
            Err(error) if sent == 0 => return Err(error),
            Err(_) => break,
        }
    }
    Ok(u64::from(sent))
}

/// `recvmmsg(fd, msgvec, vlen, flags, timeout)`: [`recvmsg`] for each
/// message in turn, its byte count written to its `msg_len`. With
/// `MSG_WAITFORONE` only the first receive waits. A timeout is looked at
/// after each message, as Linux does (a receive still waits for its
/// message), and the time left is written back when a message came. The
/// first failure ends the call: the number received before it is the
/// answer, or the error when none was. At most 1024 messages a call.
pub fn recvmmsg<K: Kernel>(
    ctx: &Context<'_, K>,
    fd: Fd,
    messages: UserBuffer,
    count: u32,
    flags: i32,
    timeout: UserPtr<abi::Timespec>,
) -> SyscallResult {
    socket_of(ctx, fd)?;
    let deadline = if timeout.is_null() {
        None
    } else {
        let limit = ctx.read(timeout)?.validate()?;
        Some(limit.deadline_after(ctx.kernel.now_ns())?)
    };
    let wait_for_one = flags & MSG_WAITFORONE != 0;
    let mut flags = flags & !MSG_WAITFORONE;
    let mut received = 0;
    while received < count.min(MAX_MESSAGES) {
        let result = recvmsg(ctx, fd, mmsghdr(messages, received), flags)
            .and_then(|len| write_msg_len(ctx, messages, received, len));
        match result {
            Ok(()) => received += 1,
            Err(error) if received == 0 => return Err(error),
            // Linux keeps other errors for the socket's next call; EAGAIN
            // after a first message is the usual end.
            Err(_) => break,
        }
        if wait_for_one {
            flags |= MSG_DONTWAIT;
        }
        if deadline.is_some_and(|deadline| ctx.kernel.now_ns() >= deadline) {
            break;
        }
    }
    if let Some(deadline) = deadline
        && received > 0
    {
        let left = deadline.saturating_sub(ctx.kernel.now_ns());
        ctx.write(timeout, &abi::Timespec::from_nanos(left))?;
    }
    Ok(u64::from(received))
}
