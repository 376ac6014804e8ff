//! Sockets: connected pairs of stream, datagram or sequenced-packet
//! endpoints that carry bytes, descriptors (`SCM_RIGHTS`) and credentials
//! (`SCM_CREDENTIALS`) between processes. `AF_UNIX` sockets are these
//! alone; `AF_INET` and `AF_INET6` sockets are the same endpoints named by
//! loopback addresses and ports ([`crate::inet`]): with no network device,
//! every Internet connection is a local one, so TCP is a reliable byte
//! stream between two queues and UDP a datagram queue, with no packets.
//!
//! A socket keeps the messages sent to it in its receive queue, bounded by
//! its receive buffer size. A stream read takes bytes across messages but
//! stops before a message that carries descriptors (they come with their
//! first byte, as on Linux); datagram and sequenced-packet reads take one
//! message, the rest of which is dropped (`MSG_TRUNC`). An Internet
//! datagram keeps the IP header fields a receiver may ask for (TTL or hop
//! limit, type of service or traffic class). Closing with bytes unread,
//! or TCP's abortive close (`SO_LINGER` with no time), resets the
//! connection: the peer gets `ECONNRESET` once. Both ends of a
//! connection share one wait queue, woken after every change; nothing here
//! blocks: `EAGAIN` tells the system-call layer to sleep on it.
//!
//! Listening and connecting by name (`bind`, `listen`, `connect`,
//! `accept`) go through a namespace: [`crate::unix::UnixNamespace`] for
//! abstract names (a leading NUL) and file-system nodes, which the caller
//! creates and resolves; [`crate::inet::InetPorts`] for ports.

use alloc::collections::{BTreeMap, VecDeque};

use crate::inet::{
    DEFAULT_HOP_LIMIT, IP_TOS, IP_TTL, IPPROTO_IP, IPPROTO_IPV6, IPV6_TCLASS, IPV6_UNICAST_HOPS,
    InetAddress, InetPorts, IpAddress, IpHeader, IpHeaderRequest, Protocol,
};
pub use crate::inet::{IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE};
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;

use abi::{Errno, KernelResult};
use lock::Mutex;

use crate::description::FileDescription;
use crate::file::File;
use crate::types::{OpenFlags, PollEvents, Stat, Timespec};
use crate::wait::WaitQueue;

/// `SOCK_STREAM`.
pub const SOCK_STREAM: i32 = 1;
/// `SOCK_DGRAM`.
pub const SOCK_DGRAM: i32 = 2;
/// `SOCK_SEQPACKET`.
pub const SOCK_SEQPACKET: i32 = 5;

/// Linux's default `SO_RCVBUF`/`SO_SNDBUF` (`net.core.rmem_default`).
pub const DEFAULT_BUFFER: usize = 212_992;
/// The smallest buffer `SO_RCVBUF` sets (Linux's `SOCK_MIN_RCVBUF`).
const MIN_BUFFER: usize = 2304;
/// The largest (`net.core.rmem_max` doubled, as Linux does): no socket
/// queues more, and no message is longer.
pub const MAX_BUFFER: usize = 425_984;
/// Most descriptors one message carries (Linux's `SCM_MAX_FD`).
pub const MAX_RIGHTS: usize = 253;

/// The address family a socket belongs to (`SO_DOMAIN`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Domain {
    /// `AF_UNIX`: named by paths and abstract names.
    Unix,
    /// `AF_INET`: IPv4 loopback addresses and ports.
    Inet,
    /// `AF_INET6`: IPv6 (and IPv4-mapped) loopback addresses and ports.
    Inet6,
    /// `AF_NETLINK`: datagrams to and from the kernel ([`crate::netlink`]).
    Netlink,
}

impl Domain {
    /// Whether the socket is named by Internet addresses.
    pub fn is_inet(self) -> bool {
        matches!(self, Domain::Inet | Domain::Inet6)
    }
}

/// The kind of socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SocketKind {
    /// A byte stream.
    Stream,
    /// Datagrams, unreliable in name only (never dropped here).
    Datagram,
    /// Connected, ordered messages.
    SeqPacket,
}

impl SocketKind {
    /// From `SOCK_*` (the type argument without its flags).
    pub fn from_type(kind: i32) -> KernelResult<SocketKind> {
        match kind {
            SOCK_STREAM => Ok(SocketKind::Stream),
            SOCK_DGRAM => Ok(SocketKind::Datagram),
            SOCK_SEQPACKET => Ok(SocketKind::SeqPacket),
            _ => Err(Errno::ESOCKTNOSUPPORT),
        }
    }

    /// The `SOCK_*` value (`SO_TYPE`).
    pub fn to_type(self) -> i32 {
        match self {
            SocketKind::Stream => SOCK_STREAM,
            SocketKind::Datagram => SOCK_DGRAM,
            SocketKind::SeqPacket => SOCK_SEQPACKET,
        }
    }

    fn connection_oriented(self) -> bool {
        self != SocketKind::Datagram
    }
}

/// Who sent a message, or who created a socket (`SO_PEERCRED`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SocketCredentials {
    /// Process id.
    pub pid: i32,
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
}

/// A socket's name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SocketAddress {
    /// Not bound.
    Unnamed,
    /// In the abstract namespace (the bytes after the leading NUL).
    Abstract(Vec<u8>),
    /// A file-system node: the path it was bound with, and the node's
    /// identity (device, inode) that `connect` finds it by.
    Path(Vec<u8>, (u64, u64)),
    /// An Internet address and port.
    Inet(InetAddress),
    /// A netlink port id (0 is the kernel) and multicast groups.
    Netlink {
        /// The port id (`nl_pid`).
        port: u32,
        /// The multicast groups (`nl_groups`).
        groups: u32,
    },
}

/// One message in a receive queue.
struct Message {
    data: Vec<u8>,
    /// Bytes of `data` a stream read already took.
    taken: usize,
    rights: Vec<Arc<FileDescription>>,
    credentials: SocketCredentials,
    from: SocketAddress,
    /// An Internet datagram's header fields.
    ip: Option<IpHeader>,
    /// When it arrived, on the wall clock, if the sender said.
    arrival: Option<Timespec>,
}

/// What a receive returned.
#[derive(Default)]
pub struct Received {
    /// Bytes copied into the buffer.
    pub len: usize,
    /// The message's full length, for `MSG_TRUNC` (datagrams).
    pub full_len: usize,
    /// Descriptors that came with it.
    pub rights: Vec<Arc<FileDescription>>,
    /// The sender's credentials.
    pub credentials: SocketCredentials,
    /// The sender's address (datagrams).
    pub from: Option<SocketAddress>,
    /// An Internet datagram's header fields.
    pub ip: Option<IpHeader>,
    /// When the message arrived, on the wall clock (`SO_TIMESTAMP`), if
    /// its sender said: a stream's read gives the last message's it took
    /// bytes from.
    pub arrival: Option<Timespec>,
}

/// Which way a blocking socket call waits: each way has its own timeout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Receiving and accepting (`SO_RCVTIMEO`).
    Receive = 0,
    /// Sending and connecting (`SO_SNDTIMEO`).
    Send = 1,
}

struct Listener {
    backlog: usize,
    pending: VecDeque<Arc<Socket>>,
}

struct State {
    peer: Option<Weak<Socket>>,
    /// Connected once (a vanished peer then reads as end of file).
    was_connected: bool,
    inbox: VecDeque<Message>,
    inbox_bytes: usize,
    receive_buffer: usize,
    send_buffer: usize,
    read_shut: bool,
    write_shut: bool,
    listener: Option<Listener>,
    address: SocketAddress,
    pass_credentials: bool,
    /// `SO_PEERCRED`: the peer's credentials when the connection was made.
    peer_credentials: Option<SocketCredentials>,
    /// Integer options by (level, name) that the socket keeps for
    /// `getsockopt` and the name spaces consult (`SO_REUSEADDR`,
    /// `IPV6_V6ONLY`), or that change nothing without a network
    /// (`SO_KEEPALIVE`, `TCP_NODELAY`, `IP_TOS`, ...).
    options: BTreeMap<(i32, i32), i32>,
    /// A pending error (`SO_ERROR`): a refused non-blocking connect.
    error: Option<Errno>,
    /// `SO_RCVTIMEO` and `SO_SNDTIMEO`, indexed by [`Direction`]: how
    /// long a blocking call waits, in nanoseconds (`None`: for ever).
    timeouts: [Option<u64>; 2],
    /// A TCP peer that closed has "reset" the connection: bytes were sent
    /// to it after it closed.
    reset: bool,
    /// `SO_LINGER`: whether it is on, and its time in seconds.
    linger: (bool, i32),
    /// The peer's address when the connection was made: `getpeername`
    /// answers with it after the peer has gone (until a reset).
    peer_name: Option<SocketAddress>,
    /// Where an Internet datagram socket sends by default (`connect`):
    /// an address, looked up in its port table at each send, as nothing
    /// need be bound there yet.
    remote: Option<(InetAddress, Arc<InetPorts>)>,
}

/// One socket of any [`Domain`].
pub struct Socket {
    domain: Domain,
    kind: SocketKind,
    /// The Internet protocol number (`SO_PROTOCOL`; 0 for the others).
    protocol: i32,
    owner: SocketCredentials,
    ino: u64,
    state: Mutex<State>,
    /// Shared with the peer once connected (a listener keeps its own).
    waiters: Mutex<Arc<dyn WaitQueue>>,
}

/// Message flags this layer looks at.
pub mod flags {
    /// `MSG_PEEK`: leave the data queued.
    pub const MSG_PEEK: i32 = 0x2;
    /// `MSG_TRUNC`: return the real length of a longer datagram.
    pub const MSG_TRUNC: i32 = 0x20;
    /// `MSG_DONTWAIT`.
    pub const MSG_DONTWAIT: i32 = 0x40;
    /// `MSG_EOR`.
    pub const MSG_EOR: i32 = 0x80;
    /// `MSG_WAITALL`.
    pub const MSG_WAITALL: i32 = 0x100;
    /// `MSG_NOSIGNAL`: `EPIPE` without `SIGPIPE`.
    pub const MSG_NOSIGNAL: i32 = 0x4000;
    /// `MSG_CMSG_CLOEXEC`: received descriptors are close-on-exec.
    pub const MSG_CMSG_CLOEXEC: i32 = 0x4000_0000;
}

impl Socket {
    /// An unconnected socket of `domain`, `kind` and `protocol` (the
    /// Internet protocol number, 0 for other domains), made by `owner`,
    /// with inode number `ino` (for `fstat` and `socket:[ino]`).
    pub fn new(
        domain: Domain,
        kind: SocketKind,
        protocol: i32,
        owner: SocketCredentials,
        ino: u64,
        waiters: Arc<dyn WaitQueue>,
    ) -> Arc<Socket> {
        Arc::new(Socket {
            domain,
            kind,
            protocol,
            owner,
            ino,
            state: Mutex::new(State {
                peer: None,
                was_connected: false,
                inbox: VecDeque::new(),
                inbox_bytes: 0,
                receive_buffer: DEFAULT_BUFFER,
                send_buffer: DEFAULT_BUFFER,
                read_shut: false,
                write_shut: false,
                listener: None,
                address: SocketAddress::Unnamed,
                pass_credentials: false,
                peer_credentials: None,
                options: BTreeMap::new(),
                error: None,
                timeouts: [None; 2],
                reset: false,
                linger: (false, 0),
                peer_name: None,
                remote: None,
            }),
            waiters: Mutex::new(waiters),
        })
    }

    /// `socketpair`: two `AF_UNIX` sockets connected to each other,
    /// sharing `waiters`.
    pub fn pair(
        kind: SocketKind,
        owner: SocketCredentials,
        inos: (u64, u64),
        waiters: Arc<dyn WaitQueue>,
    ) -> (Arc<Socket>, Arc<Socket>) {
        let a = Socket::new(Domain::Unix, kind, 0, owner, inos.0, waiters.clone());
        let b = Socket::new(Domain::Unix, kind, 0, owner, inos.1, waiters);
        connect_pair(&a, &b);
        (a, b)
    }

    /// The socket's kind.
    pub fn kind(&self) -> SocketKind {
        self.kind
    }

    /// The socket's address family.
    pub fn domain(&self) -> Domain {
        self.domain
    }

    /// The Internet protocol number it was made with (`IPPROTO_TCP`,
    /// `IPPROTO_UDP`, `IPPROTO_UDPLITE`); 0 for Unix sockets.
    pub fn protocol(&self) -> i32 {
        self.protocol
    }

    fn queue(&self) -> Arc<dyn WaitQueue> {
        self.waiters.lock().clone()
    }

    fn wake(&self) {
        self.queue().wake_all();
    }

    /// Wakes this socket's sleepers for a sender or receiver at the other
    /// end, likely to wait for the answer next: a sync wake-up, as Linux's
    /// `sock_def_readable` and `sock_def_write_space`.
    fn wake_sync(&self) {
        self.queue().wake_all_sync();
    }

    fn peer(&self) -> Option<Arc<Socket>> {
        self.state.lock().peer.as_ref().and_then(Weak::upgrade)
    }

    /// The peer's address (`getpeername`); `ENOTCONN` when not connected.
    pub fn peer_address(&self) -> KernelResult<SocketAddress> {
        if let Some(remote) = self.remote() {
            return Ok(SocketAddress::Inet(remote));
        }
        if let Some(peer) = self.peer() {
            return Ok(peer.address());
        }
        let state = self.state.lock();
        if state.reset {
            return Err(Errno::ENOTCONN);
        }
        state.peer_name.clone().ok_or(Errno::ENOTCONN)
    }

    /// `SO_LINGER`: whether a close waits for unsent data, and how many
    /// seconds. On with no time, a TCP close resets the connection.
    pub fn linger(&self) -> (bool, i32) {
        self.state.lock().linger
    }

    /// Sets [`Socket::linger`]: turning it off keeps the time, as Linux.
    pub fn set_linger(&self, on: bool, seconds: i32) {
        let mut state = self.state.lock();
        state.linger = if on {
            (true, seconds)
        } else {
            (false, state.linger.1)
        };
    }

    /// Where an Internet datagram socket sends by default, if connected.
    pub fn remote(&self) -> Option<InetAddress> {
        self.state
            .lock()
            .remote
            .as_ref()
            .map(|(address, _)| *address)
    }

    /// `connect` of an Internet datagram socket: sends without an address
    /// go to `remote` in `ports`, whether or not anything is bound there
    /// yet.
    pub fn set_remote(&self, remote: InetAddress, ports: Arc<InetPorts>) {
        self.state.lock().remote = Some((remote, ports));
    }

    /// Forgets where an Internet datagram socket sends (`connect` with
    /// `AF_UNSPEC`).
    pub fn clear_remote(&self) {
        self.state.lock().remote = None;
    }

    /// Whether the socket has been connected (a connection made, or a
    /// datagram peer set).
    pub fn was_connected(&self) -> bool {
        let state = self.state.lock();
        state.was_connected || state.remote.is_some()
    }

    /// Records a pending error for `SO_ERROR` and wakes pollers (it reads
    /// as `POLLERR`).
    pub fn set_error(&self, error: Errno) {
        self.state.lock().error = Some(error);
        self.wake();
    }

    /// A datagram from this socket found no receiver: it is dropped, and a
    /// connected socket learns it as Linux's would from the ICMP "port
    /// unreachable" reply: its next receive fails with `ECONNREFUSED`.
    pub fn refuse_datagram(&self) {
        if self.state.lock().remote.is_some() {
            self.set_error(Errno::ECONNREFUSED);
        }
    }

    /// Takes the pending error (`getsockopt(SO_ERROR)` clears it).
    pub fn take_error(&self) -> Option<Errno> {
        self.state.lock().error.take()
    }

    /// The socket's own address (`getsockname`).
    pub fn address(&self) -> SocketAddress {
        self.state.lock().address.clone()
    }

    /// `SO_PEERCRED`: the peer's credentials when connected, else none
    /// (pid 0, uid and gid -1 as Linux).
    pub fn peer_credentials(&self) -> SocketCredentials {
        self.state
            .lock()
            .peer_credentials
            .unwrap_or(SocketCredentials {
                pid: 0,
                uid: u32::MAX,
                gid: u32::MAX,
            })
    }

    /// `SO_PASSCRED`.
    pub fn set_pass_credentials(&self, on: bool) {
        self.state.lock().pass_credentials = on;
    }

    /// Sets the integer option `name` at `level`.
    pub fn set_option(&self, level: i32, name: i32, value: i32) {
        self.state.lock().options.insert((level, name), value);
    }

    /// Option `name` at `level` (`default` if never set).
    pub fn option(&self, level: i32, name: i32, default: i32) -> i32 {
        self.state
            .lock()
            .options
            .get(&(level, name))
            .copied()
            .unwrap_or(default)
    }

    /// `SO_PASSCRED`'s value.
    pub fn pass_credentials(&self) -> bool {
        self.state.lock().pass_credentials
    }

    /// `SO_RCVBUF`/`SO_SNDBUF` as `getsockopt` reports them.
    pub fn buffer_sizes(&self) -> (usize, usize) {
        let state = self.state.lock();
        (state.receive_buffer, state.send_buffer)
    }

    /// How long a blocking call in `direction` waits (`SO_RCVTIMEO`,
    /// `SO_SNDTIMEO`), in nanoseconds; `None` for ever.
    pub fn timeout(&self, direction: Direction) -> Option<u64> {
        self.state.lock().timeouts[direction as usize]
    }

    /// Sets [`Socket::timeout`].
    pub fn set_timeout(&self, direction: Direction, timeout: Option<u64>) {
        self.state.lock().timeouts[direction as usize] = timeout;
    }

    /// `setsockopt(SO_RCVBUF | SO_SNDBUF)`: Linux doubles the value (for
    /// bookkeeping) within its limits.
    pub fn set_buffer_size(&self, receive: bool, size: usize) {
        let size = size.saturating_mul(2).clamp(MIN_BUFFER, MAX_BUFFER);
        let mut state = self.state.lock();
        if receive {
            state.receive_buffer = size;
        } else {
            state.send_buffer = size;
        }
        drop(state);
        self.wake();
    }

    /// Sends `data` with `rights` as `sender`; `to` for an unconnected
    /// datagram socket. Returns the bytes queued: all of a datagram or
    /// packet, as much of a stream as fits (`EAGAIN` if nothing does).
    /// `EPIPE` once the peer is gone or either side shut the direction
    /// (the caller raises `SIGPIPE` unless `MSG_NOSIGNAL`), `ENOTCONN`
    /// unconnected, `EMSGSIZE` for a datagram larger than the buffers.
    ///
    /// An Internet datagram's header takes the socket's options
    /// (`IP_TTL`, `IP_TOS`, `IPV6_UNICAST_HOPS`, `IPV6_TCLASS`) where
    /// `request` sets nothing. `arrival` is when the message arrives, on
    /// the wall clock: here, where nothing is in flight, when it is sent
    /// (`SO_TIMESTAMP`; `None` from a sender without a clock).
    pub fn send(
        &self,
        data: &[u8],
        rights: Vec<Arc<FileDescription>>,
        sender: SocketCredentials,
        to: Option<Arc<Socket>>,
        (request, arrival): (IpHeaderRequest, Option<Timespec>),
    ) -> KernelResult<usize> {
        if self.state.lock().write_shut {
            return Err(Errno::EPIPE);
        }
        let remote = self.state.lock().remote.clone();
        let remote_ip = remote.as_ref().map(|(address, _)| address.ip);
        let target = match to {
            Some(target) => target,
            None if remote.is_some() => {
                let (address, ports) = remote.expect("checked");
                match ports.find(Protocol::of(self), address) {
                    Some(target) => target,
                    None => {
                        self.refuse_datagram();
                        return Ok(data.len());
                    }
                }
            }
            None => match self.peer() {
                Some(peer) => peer,
                None if self.state.lock().was_connected => {
                    if self.domain.is_inet() && self.kind == SocketKind::Stream {
                        return self.send_after_peer_closed(data.len());
                    }
                    return Err(if self.kind.connection_oriented() {
                        Errno::EPIPE
                    } else {
                        Errno::ECONNREFUSED
                    });
                }
                // TCP says EPIPE for a socket never connected, too.
                None if self.kind.connection_oriented() => {
                    return Err(if self.domain.is_inet() {
                        Errno::EPIPE
                    } else {
                        Errno::ENOTCONN
                    });
                }
                None => return Err(Errno::EDESTADDRREQ),
            },
        };
        let from = match self.address() {
            // A datagram comes from the loopback address it went out on,
            // or the one its IP_PKTINFO chose.
            SocketAddress::Inet(address) => SocketAddress::Inet(match request.source {
                Some(ip) if !ip.is_unspecified() => InetAddress {
                    ip,
                    port: address.port,
                },
                _ => address.as_sent(),
            }),
            address => address,
        };
        let request = IpHeaderRequest {
            destination: request.destination.or(remote_ip),
            ..request
        };
        let ip = self.ip_header(&from, &target, request);
        let sent = {
            let mut state = target.state.lock();
            if state.read_shut {
                if self.domain.is_inet() && !self.kind.connection_oriented() {
                    return Ok(data.len());
                }
                return Err(Errno::EPIPE);
            }
            let room = state.receive_buffer.saturating_sub(state.inbox_bytes);
            let len = match self.kind {
                SocketKind::Stream => {
                    if room == 0 && !data.is_empty() {
                        return Err(Errno::EAGAIN);
                    }
                    data.len().min(room)
                }
                _ => {
                    if data.len() > state.receive_buffer.max(MIN_BUFFER) {
                        return Err(Errno::EMSGSIZE);
                    }
                    // A message goes whole, into a queue below its limit;
                    // UDP drops what does not fit instead of waiting.
                    if state.inbox_bytes > 0 && data.len() > room {
                        if self.domain.is_inet() {
                            return Ok(data.len());
                        }
                        return Err(Errno::EAGAIN);
                    }
                    data.len()
                }
            };
            let mut bytes = Vec::new();
            fault_injection::reserve_exact(&mut bytes, len)?;
            bytes.extend_from_slice(&data[..len]);
            state.inbox_bytes += len;
            state.inbox.push_back(Message {
                data: bytes,
                taken: 0,
                rights,
                credentials: sender,
                from,
                ip,
                arrival,
            });
            len
        };
        target.wake_sync();
        self.wake();
        Ok(sent)
    }

    /// The header of a datagram this Internet socket sends from `from` to
    /// `target`: IPv4 when either end is (a mapped address or an `AF_INET`
    /// socket), its fields from `request`, else from the socket's options;
    /// its destination the one the sender named, else the target's own
    /// address, or the loopback address of the packet's family for a
    /// target bound to the unspecified address.
    fn ip_header(
        &self,
        from: &SocketAddress,
        target: &Socket,
        request: IpHeaderRequest,
    ) -> Option<IpHeader> {
        if !self.domain.is_inet() || self.kind == SocketKind::Stream {
            return None;
        }
        // Before this socket's lock: the target may be this very socket.
        let target_ip = match target.address() {
            SocketAddress::Inet(address) if !address.ip.is_unspecified() => Some(address.ip),
            _ => None,
        };
        let v4_from = matches!(from, SocketAddress::Inet(a) if a.ip.to_v4().is_some());
        let v6 = self.domain == Domain::Inet6 && target.domain == Domain::Inet6 && !v4_from;
        let state = self.state.lock();
        let option = |level, name, default| {
            state
                .options
                .get(&(level, name))
                .copied()
                .unwrap_or(default)
        };
        let (hops, class) = if v6 {
            (
                option(IPPROTO_IPV6, IPV6_UNICAST_HOPS, -1),
                option(IPPROTO_IPV6, IPV6_TCLASS, 0),
            )
        } else {
            (
                option(IPPROTO_IP, IP_TTL, i32::from(DEFAULT_HOP_LIMIT)),
                option(IPPROTO_IP, IP_TOS, 0),
            )
        };
        let family_loopback = if v6 {
            IpAddress::V6_LOOPBACK
        } else {
            IpAddress::V4_LOOPBACK
        };
        let destination = request.destination.or(target_ip).unwrap_or(family_loopback);
        Some(IpHeader {
            destination,
            v6,
            hop_limit: request
                .hop_limit
                .unwrap_or(u8::try_from(hops).unwrap_or(DEFAULT_HOP_LIMIT)),
            traffic_class: request
                .traffic_class
                .unwrap_or(u8::try_from(class).unwrap_or(0)),
        })
    }

    /// Puts `bytes`, which a read of this stream socket took but could not
    /// copy to user memory, back at the front of its inbox, ahead of
    /// anything received since (Linux consumes a stream's bytes only once
    /// copied). A datagram is lost, as on Linux. Whether they went back.
    pub fn unread(&self, bytes: &[u8]) -> bool {
        if self.kind != SocketKind::Stream || bytes.is_empty() {
            return false;
        }
        {
            let mut state = self.state.lock();
            let credentials = state.peer_credentials.unwrap_or(self.owner);
            state.inbox_bytes += bytes.len();
            state.inbox.push_front(Message {
                data: bytes.to_vec(),
                taken: 0,
                rights: Vec::new(),
                credentials,
                from: SocketAddress::Unnamed,
                ip: None,
                arrival: None,
            });
        }
        self.wake();
        true
    }

    /// Queues `data` as a datagram from `from` in this socket's own receive
    /// queue: how the kernel answers a netlink request. Past the receive
    /// buffer the answer is dropped (Linux's `ENOBUFS` case).
    pub fn deliver(&self, data: Vec<u8>, from: SocketAddress) {
        {
            let mut state = self.state.lock();
            if state.inbox_bytes + data.len() > state.receive_buffer {
                return;
            }
            state.inbox_bytes += data.len();
            state.inbox.push_back(Message {
                data,
                taken: 0,
                rights: Vec::new(),
                credentials: SocketCredentials::default(),
                from,
                ip: None,
                arrival: None,
            });
        }
        self.wake();
    }

    /// A netlink datagram to the kernel: every request in it is answered
    /// into this socket's own queue, addressed to its port id.
    pub fn ask_kernel(&self, datagram: &[u8]) {
        let port = match self.address() {
            SocketAddress::Netlink { port, .. } => port,
            _ => 0,
        };
        let kernel = SocketAddress::Netlink { port: 0, groups: 0 };
        for (header, message) in crate::netlink::requests(datagram) {
            for answer in crate::netlink::answer(header, message, port) {
                self.deliver(answer, kernel.clone());
            }
        }
    }

    /// A TCP send once the peer has closed: Linux sends the first bytes,
    /// as many as its send buffer holds, and the peer's reset answers
    /// them, so that send succeeds and later ones fail with `EPIPE`. An
    /// empty send sends nothing and succeeds until then.
    fn send_after_peer_closed(&self, len: usize) -> KernelResult<usize> {
        let mut state = self.state.lock();
        if state.reset {
            return Err(Errno::EPIPE);
        }
        if len > 0 {
            state.reset = true;
        }
        Ok(len.min(state.send_buffer))
    }

    /// Receives into `buf` as `flags` say (`MSG_PEEK`). A stream read takes
    /// what is there (stopping before a message with descriptors once it has
    /// bytes); a datagram or packet read takes one message. `EAGAIN` when
    /// nothing is queued and more may come; an empty result (length 0)
    /// at end of stream; `ENOTCONN` (`EINVAL` for a Unix stream) from a
    /// connection-oriented socket never connected.
    pub fn receive(&self, buf: &mut [u8], peek: bool) -> KernelResult<Received> {
        let mut received = Received::default();
        {
            let mut state = self.state.lock();
            // A pending error comes before what is queued, but a stream's
            // bytes come before its reset (Linux's TCP and Unix streams).
            if self.kind != SocketKind::Stream || state.inbox.is_empty() {
                if let Some(error) = state.error.take() {
                    return Err(error);
                }
            }
            if state.inbox.is_empty() {
                if self.kind.connection_oriented() && !state.was_connected {
                    // Never connected (listening included): nothing will
                    // come, so no wait. Linux's Unix streams say EINVAL,
                    // TCP and sequenced packets ENOTCONN.
                    return Err(
                        if self.domain == Domain::Unix && self.kind == SocketKind::Stream {
                            Errno::EINVAL
                        } else {
                            Errno::ENOTCONN
                        },
                    );
                }
                let peer_gone = state.was_connected
                    && state
                        .peer
                        .as_ref()
                        .and_then(Weak::upgrade)
                        .is_none_or(|peer| peer.state.lock().write_shut);
                // A receive of no bytes waits like any other (a datagram's
                // size is asked so, with MSG_PEEK | MSG_TRUNC).
                if state.read_shut || peer_gone {
                    return Ok(received);
                }
                return Err(Errno::EAGAIN);
            }
            match self.kind {
                SocketKind::Stream => {
                    let mut index = 0;
                    while received.len < buf.len() && index < state.inbox.len() {
                        let message = &state.inbox[index];
                        if index > 0 && !message.rights.is_empty() {
                            break;
                        }
                        let rest = &message.data[message.taken..];
                        let n = rest.len().min(buf.len() - received.len);
                        buf[received.len..received.len + n].copy_from_slice(&rest[..n]);
                        received.len += n;
                        if index == 0 {
                            received.credentials = message.credentials;
                        }
                        received.arrival = message.arrival;
                        index += 1;
                    }
                    received.full_len = received.len;
                    if !peek {
                        let mut left = received.len;
                        let mut first = true;
                        while left > 0 || first {
                            let Some(message) = state.inbox.front_mut() else {
                                break;
                            };
                            if first {
                                received.rights = core::mem::take(&mut message.rights);
                                first = false;
                            }
                            let n = (message.data.len() - message.taken).min(left);
                            message.taken += n;
                            left -= n;
                            if message.taken == message.data.len() {
                                state.inbox.pop_front();
                            } else {
                                break;
                            }
                        }
                        state.inbox_bytes -= received.len;
                    } else if let Some(message) = state.inbox.front() {
                        received.rights = message.rights.clone();
                    }
                }
                _ => {
                    let message = if peek {
                        let front = state.inbox.front().ok_or(Errno::EAGAIN)?;
                        Message {
                            data: front.data.clone(),
                            taken: 0,
                            rights: front.rights.clone(),
                            credentials: front.credentials,
                            from: front.from.clone(),
                            ip: front.ip,
                            arrival: front.arrival,
                        }
                    } else {
                        let message = state.inbox.pop_front().ok_or(Errno::EAGAIN)?;
                        state.inbox_bytes -= message.data.len();
                        message
                    };
                    let n = message.data.len().min(buf.len());
                    buf[..n].copy_from_slice(&message.data[..n]);
                    received.len = n;
                    received.full_len = message.data.len();
                    received.rights = message.rights;
                    received.credentials = message.credentials;
                    received.from = Some(message.from);
                    received.ip = message.ip;
                    received.arrival = message.arrival;
                }
            }
        }
        if !peek {
            // Room for a blocked sender.
            self.wake();
            if let Some(peer) = self.peer() {
                peer.wake_sync();
            }
        }
        Ok(received)
    }

    /// `shutdown(how)`: 0 reads, 1 writes, 2 both.
    pub fn shutdown(&self, how: i32) -> KernelResult<()> {
        if !(0..=2).contains(&how) {
            return Err(Errno::EINVAL);
        }
        {
            let mut state = self.state.lock();
            if self.kind.connection_oriented() && !state.was_connected {
                return Err(Errno::ENOTCONN);
            }
            if how != 1 {
                state.read_shut = true;
            }
            if how != 0 {
                state.write_shut = true;
            }
        }
        self.wake();
        if let Some(peer) = self.peer() {
            peer.wake();
        }
        Ok(())
    }

    /// Readiness: readable with queued data, at end of stream or with a
    /// pending connection; writable while the peer's queue has room; hang-up
    /// once both directions are closed.
    pub fn readiness(&self) -> PollEvents {
        let state = self.state.lock();
        let mut events = PollEvents::empty();
        if state.error.is_some() && self.kind == SocketKind::Datagram {
            events |= PollEvents::POLLERR;
        } else if state.error.is_some() {
            // A refused connect: Linux's closed TCP socket reads as all of
            // these.
            return PollEvents::POLLERR
                | PollEvents::POLLHUP
                | PollEvents::POLLIN
                | PollEvents::POLLRDNORM
                | PollEvents::POLLOUT
                | PollEvents::POLLWRNORM;
        }
        if let Some(listener) = &state.listener {
            if !listener.pending.is_empty() {
                events |= PollEvents::POLLIN | PollEvents::POLLRDNORM;
            }
            return events;
        }
        let peer = state.peer.as_ref().and_then(Weak::upgrade);
        let peer_write_shut = peer.as_ref().is_some_and(|p| p.state.lock().write_shut);
        let peer_gone = state.was_connected && peer.is_none();
        if !state.inbox.is_empty() || state.read_shut || peer_write_shut || peer_gone {
            events |= PollEvents::POLLIN | PollEvents::POLLRDNORM;
        }
        if peer_write_shut || state.read_shut {
            events |= PollEvents::POLLRDHUP;
        }
        if (state.read_shut && state.write_shut) || peer_gone {
            events |= PollEvents::POLLHUP;
        }
        let writable = match &peer {
            Some(peer) => {
                let target = peer.state.lock();
                target.inbox_bytes < target.receive_buffer && !target.read_shut
            }
            None => {
                !self.kind.connection_oriented() && (!state.was_connected || state.remote.is_some())
            }
        };
        if writable && !state.write_shut {
            events |= PollEvents::POLLOUT | PollEvents::POLLWRNORM;
        }
        if peer_gone && self.kind.connection_oriented() {
            events |= PollEvents::POLLERR;
        }
        events
    }

    /// `listen(backlog)` on a bound stream or packet socket.
    pub fn listen(&self, backlog: i32) -> KernelResult<()> {
        if !self.kind.connection_oriented() {
            return Err(Errno::EOPNOTSUPP);
        }
        let mut state = self.state.lock();
        if state.was_connected {
            return Err(Errno::EINVAL);
        }
        if state.address == SocketAddress::Unnamed {
            return Err(Errno::EINVAL);
        }
        let backlog = backlog.clamp(0, 4096) as usize;
        match &mut state.listener {
            Some(listener) => listener.backlog = backlog,
            None => {
                state.listener = Some(Listener {
                    backlog,
                    pending: VecDeque::new(),
                })
            }
        }
        Ok(())
    }

    /// Whether this socket listens.
    pub fn is_listening(&self) -> bool {
        self.state.lock().listener.is_some()
    }

    /// Takes a pending connection (`accept`); `EAGAIN` when none waits,
    /// `EINVAL` when not listening.
    pub fn accept(&self) -> KernelResult<Arc<Socket>> {
        let socket = {
            let mut state = self.state.lock();
            let listener = state.listener.as_mut().ok_or(Errno::EINVAL)?;
            listener.pending.pop_front().ok_or(Errno::EAGAIN)?
        };
        Ok(socket)
    }

    /// `connect` of this socket to `listener` (stream and packet): a new
    /// socket (`server_ino`, named `server_address`, sharing a new queue
    /// `waiters`) joins the listener's backlog, connected to this one.
    /// `ECONNREFUSED` if it does not listen, `EAGAIN` while its backlog is
    /// full, `EISCONN`, `EPROTOTYPE` for a listener of another kind.
    pub fn connect_to(
        self: &Arc<Self>,
        listener: &Arc<Socket>,
        server_ino: u64,
        server_address: SocketAddress,
        waiters: Arc<dyn WaitQueue>,
    ) -> KernelResult<()> {
        if listener.kind != self.kind {
            return Err(Errno::EPROTOTYPE);
        }
        if self.state.lock().was_connected {
            return Err(Errno::EISCONN);
        }
        let server = Socket::new(
            listener.domain,
            self.kind,
            listener.protocol,
            listener.owner,
            server_ino,
            waiters.clone(),
        );
        {
            let mut state = listener.state.lock();
            let options = state.options.clone();
            let buffers = (state.receive_buffer, state.send_buffer);
            let pending = state.listener.as_mut().ok_or(Errno::ECONNREFUSED)?;
            if pending.pending.len() > pending.backlog {
                return Err(Errno::EAGAIN);
            }
            let mut server_state = server.state.lock();
            server_state.address = server_address;
            // An accepted socket inherits the listener's options and
            // buffer sizes (Linux's sk_clone).
            server_state.options = options;
            (server_state.receive_buffer, server_state.send_buffer) = buffers;
            drop(server_state);
            pending.pending.push_back(server.clone());
        }
        *self.waiters.lock() = waiters;
        connect_pair(self, &server);
        listener.wake();
        Ok(())
    }

    /// Sets the peer of an unconnected datagram socket (`connect`).
    pub fn set_datagram_peer(&self, peer: &Arc<Socket>) -> KernelResult<()> {
        if peer.kind != SocketKind::Datagram {
            return Err(Errno::EPROTOTYPE);
        }
        let mut state = self.state.lock();
        state.peer = Some(Arc::downgrade(peer));
        state.was_connected = true;
        state.peer_credentials = Some(peer.owner);
        Ok(())
    }

    /// Names the socket (`bind`): `EINVAL` if it has a name already.
    pub fn set_address(&self, address: SocketAddress) -> KernelResult<()> {
        let mut state = self.state.lock();
        if state.address != SocketAddress::Unnamed {
            return Err(Errno::EINVAL);
        }
        state.address = address;
        Ok(())
    }

    /// Replaces the name of a bound Internet socket with the concrete
    /// address a connection gave it (`0.0.0.0:p` becomes `127.0.0.1:p`).
    pub fn set_local_address(&self, address: SocketAddress) {
        self.state.lock().address = address;
    }
}

fn connect_pair(a: &Arc<Socket>, b: &Arc<Socket>) {
    let (a_owner, b_owner) = (a.owner, b.owner);
    let (a_name, b_name) = (a.address(), b.address());
    {
        let mut state = a.state.lock();
        state.peer = Some(Arc::downgrade(b));
        state.was_connected = true;
        state.peer_credentials = Some(b_owner);
        state.peer_name = Some(b_name);
    }
    let mut state = b.state.lock();
    state.peer = Some(Arc::downgrade(a));
    state.was_connected = true;
    state.peer_credentials = Some(a_owner);
    state.peer_name = Some(a_name);
}

impl Drop for Socket {
    fn drop(&mut self) {
        // A close that leaves received bytes unread, or a TCP close that
        // is abortive (SO_LINGER on with no time), resets the connection:
        // the peer's next receive past its queue, or its SO_ERROR, says
        // ECONNRESET once (Linux's tcp_close after RFC 2525, and
        // unix_release_sock); a reset TCP connection has no peer name and
        // refuses sends. Otherwise the peer reads end of file (or gets
        // EPIPE) from now on.
        let state = self.state.get_mut();
        let tcp = self.domain.is_inet() && self.kind == SocketKind::Stream;
        let unix = self.domain == Domain::Unix && self.kind.connection_oriented();
        let reset = state.inbox_bytes > 0 && (tcp || unix) || tcp && state.linger == (true, 0);
        if reset && let Some(peer) = state.peer.as_ref().and_then(Weak::upgrade) {
            reset_peer(&peer, tcp);
        }
        // Connections nobody accepted are reset too (Linux's
        // inet_csk_listen_stop, and unix_release_sock's embryos): their
        // clients read ECONNRESET, not end of file.
        if let Some(listener) = state.listener.take() {
            for pending in listener.pending {
                let client = pending.state.lock().peer.as_ref().and_then(Weak::upgrade);
                if let Some(client) = client {
                    reset_peer(&client, tcp);
                }
            }
        }
        self.queue().wake_all();
    }
}

/// Tells `peer` its connection was reset (its next receive past its queue,
/// or its `SO_ERROR`, says `ECONNRESET`); `tcp`: it also loses its peer
/// name and may no longer send.
fn reset_peer(peer: &Socket, tcp: bool) {
    let mut peer_state = peer.state.lock();
    peer_state.error = Some(Errno::ECONNRESET);
    peer_state.reset |= tcp;
}

/// The descriptor of `socket` with status `flags` (`O_NONBLOCK` only).
pub fn open_socket(socket: Arc<Socket>, flags: OpenFlags) -> KernelResult<Arc<FileDescription>> {
    let status = OpenFlags::O_RDWR | (flags & OpenFlags::O_NONBLOCK);
    FileDescription::new(Arc::new(SocketFile(socket)), None, status)
}

/// A socket as a file.
pub struct SocketFile(pub Arc<Socket>);

impl File for SocketFile {
    fn read(&self, _offset: u64, buf: &mut [u8]) -> KernelResult<usize> {
        // Linux's sock_read_iter: reading nothing takes nothing, at once.
        if buf.is_empty() {
            return Ok(0);
        }
        Ok(self.0.receive(buf, false)?.len)
    }

    fn unread(&self, bytes: &[u8]) -> bool {
        self.0.unread(bytes)
    }

    fn write(&self, _offset: u64, buf: &[u8]) -> KernelResult<usize> {
        if self.0.domain == Domain::Netlink {
            // A netlink socket writes to the kernel.
            self.0.ask_kernel(buf);
            return Ok(buf.len());
        }
        // No clock here: a message written with write(2) is stamped
        // when it is read, if its reader asks.
        self.0.send(
            buf,
            Vec::new(),
            self.0.owner,
            None,
            (IpHeaderRequest::default(), None),
        )
    }

    fn poll(&self) -> PollEvents {
        self.0.readiness()
    }

    fn stat(&self) -> KernelResult<Stat> {
        Ok(Stat {
            dev: 8,
            ino: self.0.ino,
            mode: abi::S_IFSOCK | 0o777,
            nlink: 1,
            blksize: 4096,
            ..Stat::default()
        })
    }

    fn wait_queue(&self) -> Option<Arc<dyn WaitQueue>> {
        Some(self.0.queue())
    }

    fn socket(&self) -> Option<&Arc<Socket>> {
        Some(&self.0)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::wait::NoWaiters;

    /// A socket owner for tests.
    pub(crate) const ME: SocketCredentials = SocketCredentials {
        pid: 7,
        uid: 1000,
        gid: 100,
    };

    fn pair(kind: SocketKind) -> (Arc<Socket>, Arc<Socket>) {
        Socket::pair(kind, ME, (1, 2), Arc::new(NoWaiters))
    }

    /// Sends `data` as `ME`, to the peer, with no header options or
    /// arrival time.
    pub(crate) fn send(socket: &Socket, data: &[u8]) -> KernelResult<usize> {
        socket.send(data, Vec::new(), ME, None, Default::default())
    }

    /// Receives up to `n` bytes as a vector.
    pub(crate) fn recv(socket: &Socket, n: usize) -> KernelResult<Vec<u8>> {
        let mut buf = alloc::vec![0u8; n];
        let got = socket.receive(&mut buf, false)?;
        buf.truncate(got.len);
        Ok(buf)
    }

    /// A TCP listener on 127.0.0.1:80, set up by `configure` before a
    /// client connects: the client, the accepted end and the address.
    fn tcp_connection(
        configure: impl FnOnce(&Socket),
    ) -> (Arc<Socket>, Arc<Socket>, SocketAddress) {
        let tcp = |ino| {
            Socket::new(
                Domain::Inet,
                SocketKind::Stream,
                6,
                ME,
                ino,
                Arc::new(NoWaiters),
            )
        };
        let listener = tcp(1);
        let at = SocketAddress::Inet(InetAddress {
            ip: crate::inet::IpAddress::V4_LOOPBACK,
            port: 80,
        });
        listener.set_address(at.clone()).unwrap();
        listener.listen(4).unwrap();
        configure(&listener);
        let client = tcp(2);
        client
            .connect_to(&listener, 3, at.clone(), Arc::new(NoWaiters))
            .unwrap();
        (client, listener.accept().unwrap(), at)
    }

    #[test]
    fn an_abortive_tcp_close_resets_the_peer_after_its_queue() {
        let connected = |linger: bool| {
            let (client, server, at) = tcp_connection(|_| {});
            server.set_linger(linger, 0);
            assert_eq!(send(&server, b"data"), Ok(4));
            drop(server);
            // A reset ends the connection at once; a plain close does not.
            let name = if linger { Err(Errno::ENOTCONN) } else { Ok(at) };
            assert_eq!(client.peer_address(), name);
            client
        };
        let client = connected(true);
        assert_eq!(recv(&client, 8), Ok(b"data".to_vec()), "the queue first");
        assert_eq!(recv(&client, 8), Err(Errno::ECONNRESET));
        assert_eq!(recv(&client, 8), Ok(Vec::new()), "then end of file");
        assert_eq!(client.peer_address(), Err(Errno::ENOTCONN));
        assert_eq!(send(&client, b"x"), Err(Errno::EPIPE));
        // Without SO_LINGER: end of file, and the peer keeps its name.
        let client = connected(false);
        assert_eq!(recv(&client, 8), Ok(b"data".to_vec()));
        assert_eq!(recv(&client, 8), Ok(Vec::new()));
    }

    #[test]
    fn closing_a_listener_resets_the_connections_it_never_accepted() {
        for domain in [Domain::Inet, Domain::Unix] {
            let socket =
                |ino| Socket::new(domain, SocketKind::Stream, 0, ME, ino, Arc::new(NoWaiters));
            let listener = socket(1);
            let at = if domain == Domain::Unix {
                SocketAddress::Abstract(b"listener".to_vec())
            } else {
                SocketAddress::Inet(InetAddress {
                    ip: crate::inet::IpAddress::V4_LOOPBACK,
                    port: 80,
                })
            };
            listener.set_address(at.clone()).unwrap();
            listener.listen(4).unwrap();
            let client = socket(2);
            client
                .connect_to(&listener, 3, at, Arc::new(NoWaiters))
                .unwrap();
            drop(listener);
            // Nothing was sent either way: a reset, not end of file.
            assert_eq!(recv(&client, 8), Err(Errno::ECONNRESET), "{domain:?}");
            assert_eq!(recv(&client, 8), Ok(Vec::new()), "{domain:?}");
        }
    }

    #[test]
    fn a_unix_close_with_bytes_unread_resets_the_peer() {
        for kind in [SocketKind::Stream, SocketKind::SeqPacket] {
            let (a, b) = pair(kind);
            assert_eq!(send(&a, b"unread"), Ok(6));
            assert_eq!(send(&b, b"queued"), Ok(6));
            drop(b);
            // A stream's bytes come first, a packet socket's error first.
            let (first, second) = if kind == SocketKind::Stream {
                (Ok(b"queued".to_vec()), Err(Errno::ECONNRESET))
            } else {
                (Err(Errno::ECONNRESET), Ok(b"queued".to_vec()))
            };
            assert_eq!(recv(&a, 8), first, "{kind:?}");
            assert_eq!(recv(&a, 8), second, "{kind:?}");
            assert_eq!(recv(&a, 8), Ok(Vec::new()), "{kind:?}");
        }
        // Nothing unread: end of file only.
        let (a, b) = pair(SocketKind::Stream);
        drop(b);
        assert_eq!(recv(&a, 8), Ok(Vec::new()));
    }

    #[test]
    fn an_accepted_socket_takes_the_listener_s_buffer_sizes() {
        let (client, server, _) = tcp_connection(|listener| {
            listener.set_buffer_size(true, 4096);
            listener.set_buffer_size(false, 4096);
        });
        assert_eq!(server.buffer_sizes(), (8192, 8192));
        // After the peer's close, a send is taken up to the send buffer.
        client.set_buffer_size(false, 4096);
        drop(server);
        let big = alloc::vec![0u8; 100_000];
        assert_eq!(send(&client, &big), Ok(8192));
        assert_eq!(send(&client, &big), Err(Errno::EPIPE));
    }

    #[test]
    fn a_socket_never_connected_does_not_wait_to_receive() {
        let unconnected = |domain, kind| {
            let socket = Socket::new(domain, kind, 0, ME, 1, Arc::new(NoWaiters));
            recv(&socket, 1)
        };
        assert_eq!(
            unconnected(Domain::Inet, SocketKind::Stream),
            Err(Errno::ENOTCONN)
        );
        assert_eq!(
            unconnected(Domain::Unix, SocketKind::Stream),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            unconnected(Domain::Unix, SocketKind::SeqPacket),
            Err(Errno::ENOTCONN)
        );
        assert_eq!(
            unconnected(Domain::Inet, SocketKind::Datagram),
            Err(Errno::EAGAIN),
            "a datagram may come"
        );
    }

    #[test]
    fn a_stream_pair_carries_bytes_both_ways_and_ends() {
        let (a, b) = pair(SocketKind::Stream);
        assert_eq!(send(&a, b"hello "), Ok(6));
        assert_eq!(send(&a, b"world"), Ok(5));
        assert_eq!(recv(&b, 64).unwrap(), b"hello world");
        assert_eq!(recv(&b, 64).err(), Some(Errno::EAGAIN));
        assert_eq!(send(&b, b"back"), Ok(4));
        assert_eq!(recv(&a, 2).unwrap(), b"ba");
        assert_eq!(recv(&a, 2).unwrap(), b"ck");
        assert_eq!(b.peer_credentials(), ME);
        drop(a);
        assert_eq!(recv(&b, 8).unwrap(), b"", "end of stream");
        assert_eq!(send(&b, b"x"), Err(Errno::EPIPE));
        assert!(b.readiness().contains(PollEvents::POLLHUP));
    }

    #[test]
    fn a_stream_takes_back_bytes_a_read_could_not_copy_and_a_datagram_does_not() {
        let (a, b) = pair(SocketKind::Stream);
        send(&a, b"abcdef").unwrap();
        let taken = recv(&b, 4).unwrap();
        send(&a, b"gh").unwrap();
        assert!(b.unread(&taken));
        assert_eq!(recv(&b, 64).unwrap(), b"abcdefgh");
        let (c, d) = pair(SocketKind::Datagram);
        send(&c, b"one").unwrap();
        let taken = recv(&d, 8).unwrap();
        assert!(!d.unread(&taken));
        assert_eq!(recv(&d, 8).err(), Some(Errno::EAGAIN));
    }

    #[test]
    fn datagrams_keep_their_boundaries_and_truncate() {
        let (a, b) = pair(SocketKind::Datagram);
        send(&a, b"one").unwrap();
        send(&a, b"three").unwrap();
        let mut buf = [0u8; 2];
        let got = b.receive(&mut buf, true).unwrap();
        assert_eq!((got.len, got.full_len), (2, 3), "peeked");
        let got = b.receive(&mut buf, false).unwrap();
        assert_eq!((got.len, got.full_len, &buf), (2, 3, b"on"));
        assert_eq!(recv(&b, 16).unwrap(), b"three");
    }

    #[test]
    fn a_full_stream_takes_what_fits_then_eagain() {
        let (a, b) = pair(SocketKind::Stream);
        b.set_buffer_size(true, 1);
        assert_eq!(b.buffer_sizes().0, MIN_BUFFER);
        let big = alloc::vec![7u8; MIN_BUFFER + 100];
        assert_eq!(send(&a, &big), Ok(MIN_BUFFER));
        assert!(!a.readiness().contains(PollEvents::POLLOUT));
        assert_eq!(send(&a, &big), Err(Errno::EAGAIN));
        assert_eq!(recv(&b, 100).unwrap().len(), 100);
        assert!(a.readiness().contains(PollEvents::POLLOUT));
    }

    #[test]
    fn shutdown_ends_one_direction() {
        let (a, b) = pair(SocketKind::Stream);
        a.shutdown(1).unwrap();
        assert_eq!(send(&a, b"x"), Err(Errno::EPIPE));
        assert_eq!(recv(&b, 4).unwrap(), b"", "the peer sees end of file");
        assert!(b.readiness().contains(PollEvents::POLLRDHUP));
        assert_eq!(send(&b, b"ok"), Ok(2));
        assert_eq!(recv(&a, 4).unwrap(), b"ok");
        assert_eq!(a.shutdown(3), Err(Errno::EINVAL));
    }
}
