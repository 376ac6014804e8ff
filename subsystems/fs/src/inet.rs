//! Internet names (`AF_INET`, `AF_INET6`) on a machine whose only network
//! device is the loopback: addresses, and the port table that `bind`
//! fills and `connect` and `sendto` search.
//!
//! Every address a socket can reach is local, so a connection never leaves
//! the kernel: [`crate::socket::Socket`] carries the bytes, and this module
//! only decides which socket a port and address name. The rules are
//! Linux's: an unspecified address (`0.0.0.0`, `::`) binds every local
//! address, an `AF_INET6` socket bound to `::` also takes IPv4 unless
//! `IPV6_V6ONLY`, and two sockets share a port only when both asked to
//! (`SO_REUSEADDR`, not while listening, or `SO_REUSEPORT`).

use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;

use abi::{Errno, KernelResult};
use lock::Mutex;

use crate::socket::{Socket, SocketAddress};

/// The first port `bind` to port 0 and `connect` hand out (Linux's
/// `ip_local_port_range`).
pub const EPHEMERAL_FIRST: u16 = 32768;
/// The last such port.
pub const EPHEMERAL_LAST: u16 = 60999;
/// Ports below this need `CAP_NET_BIND_SERVICE`.
pub const PRIVILEGED_PORTS: u16 = 1024;

/// An IPv4 or IPv6 address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum IpAddress {
    /// IPv4, in network byte order.
    V4([u8; 4]),
    /// IPv6, in network byte order.
    V6([u8; 16]),
}

impl IpAddress {
    /// `0.0.0.0`.
    pub const V4_ANY: IpAddress = IpAddress::V4([0; 4]);
    /// `127.0.0.1`.
    pub const V4_LOOPBACK: IpAddress = IpAddress::V4([127, 0, 0, 1]);
    /// `::`.
    pub const V6_ANY: IpAddress = IpAddress::V6([0; 16]);
    /// `::1`.
    pub const V6_LOOPBACK: IpAddress =
        IpAddress::V6([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);

    /// The IPv4 address this is, directly or mapped (`::ffff:a.b.c.d`).
    pub fn to_v4(self) -> Option<[u8; 4]> {
        match self {
            IpAddress::V4(ip) => Some(ip),
            IpAddress::V6(ip) if ip[..10] == [0; 10] && ip[10..12] == [0xff, 0xff] => {
                Some([ip[12], ip[13], ip[14], ip[15]])
            }
            IpAddress::V6(_) => None,
        }
    }

    /// `ip` as an IPv4-mapped IPv6 address.
    pub fn mapped(ip: [u8; 4]) -> [u8; 16] {
        let mut v6 = [0u8; 16];
        v6[10] = 0xff;
        v6[11] = 0xff;
        v6[12..].copy_from_slice(&ip);
        v6
    }

    /// `0.0.0.0` or `::`.
    pub fn is_unspecified(self) -> bool {
        self == IpAddress::V4_ANY || self == IpAddress::V6_ANY
    }

    /// An address of this machine: `127.0.0.0/8` (also mapped) or `::1`.
    pub fn is_loopback(self) -> bool {
        self == IpAddress::V6_LOOPBACK || self.to_v4().is_some_and(|ip| ip[0] == 127)
    }

    /// The loopback address of the same family (`127.0.0.1` for IPv4 and
    /// mapped addresses, `::1` otherwise).
    pub fn family_loopback(self) -> IpAddress {
        if self.to_v4().is_some() {
            IpAddress::V4_LOOPBACK
        } else {
            IpAddress::V6_LOOPBACK
        }
    }

    /// Whether a socket bound to `self` (`v6_only` for `IPV6_V6ONLY`)
    /// receives what is sent to `to`.
    pub fn covers(self, v6_only: bool, to: IpAddress) -> bool {
        match self {
            IpAddress::V4(bound) => to.to_v4().is_some_and(|to| to == bound || bound == [0; 4]),
            IpAddress::V6(_) if self == IpAddress::V6_ANY => match to {
                IpAddress::V6(_) if to.to_v4().is_none() => true,
                _ => !v6_only,
            },
            IpAddress::V6(bound) => match (self.to_v4(), to.to_v4()) {
                (Some(bound), Some(to)) => bound == to,
                (None, None) => to == IpAddress::V6(bound),
                _ => false,
            },
        }
    }
}

/// An address and port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct InetAddress {
    /// The address.
    pub ip: IpAddress,
    /// The port, in host byte order.
    pub port: u16,
}

impl InetAddress {
    /// The address traffic from a socket bound here comes from: an
    /// unspecified address becomes the loopback address of its family.
    pub fn as_sent(self) -> InetAddress {
        if self.ip.is_unspecified() {
            InetAddress {
                ip: self.ip.family_loopback(),
                port: self.port,
            }
        } else {
            self
        }
    }
}

/// `IPPROTO_IP`, as an option and control-message level.
pub const IPPROTO_IP: i32 = 0;
/// `IP_TOS`: the type of service of what a socket sends.
pub const IP_TOS: i32 = 1;
/// `IP_TTL`: the time to live of what a socket sends.
pub const IP_TTL: i32 = 2;
/// `IPPROTO_IPV6`, as an option and control-message level.
pub const IPPROTO_IPV6: i32 = 41;
/// `IPV6_UNICAST_HOPS`: the hop limit of what a socket sends (-1: the
/// route's, 64 on the loopback).
pub const IPV6_UNICAST_HOPS: i32 = 16;
/// `IPV6_TCLASS`: the traffic class of what a socket sends.
pub const IPV6_TCLASS: i32 = 67;
/// The loopback device's hop limit and TTL (Linux's `hop_limit` and
/// `ip_default_ttl` defaults).
pub const DEFAULT_HOP_LIMIT: u8 = 64;

/// The IP header fields of a datagram a receiver can ask to see
/// (`IP_RECVTTL` and `IP_RECVTOS`, `IPV6_RECVHOPLIMIT` and
/// `IPV6_RECVTCLASS`, `IP_PKTINFO` and `IPV6_RECVPKTINFO`): as the sender
/// set them, since the loopback delivers a packet without routing it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpHeader {
    /// IPv6 (else IPv4, which a socket of either family may send).
    pub v6: bool,
    /// IPv4's time to live or IPv6's hop limit.
    pub hop_limit: u8,
    /// IPv4's type of service or IPv6's traffic class.
    pub traffic_class: u8,
    /// The address the datagram was sent to (a socket bound to the
    /// unspecified address learns which one from `IP_PKTINFO`).
    pub destination: IpAddress,
}

/// The loopback device's interface index, the only one a datagram here
/// arrives on (`IP_PKTINFO`'s `ipi_ifindex`).
pub const LOOPBACK_INTERFACE: i32 = 1;

/// What one send asked of its datagram's header: with `IP_TTL` and
/// `IP_TOS` or `IPV6_HOPLIMIT` and `IPV6_TCLASS` control messages (`None`
/// leaves the socket's option in force), the source address with
/// `IP_PKTINFO` or `IPV6_PKTINFO`, and the address it goes to (`sendto`'s;
/// a connected socket's own otherwise).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IpHeaderRequest {
    /// The time to live or hop limit.
    pub hop_limit: Option<u8>,
    /// The type of service or traffic class.
    pub traffic_class: Option<u8>,
    /// The source address, instead of the socket's (a loopback address).
    pub source: Option<IpAddress>,
    /// The destination address.
    pub destination: Option<IpAddress>,
}

/// `IPPROTO_TCP`.
pub const IPPROTO_TCP: i32 = 6;
/// `IPPROTO_UDP`.
pub const IPPROTO_UDP: i32 = 17;
/// `IPPROTO_UDPLITE`: UDP with partial checksums, which the loopback
/// never needs; its ports are its own.
pub const IPPROTO_UDPLITE: i32 = 136;

/// The transport a port belongs to: each has its own ports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// TCP (stream sockets).
    Tcp,
    /// UDP (datagram sockets).
    Udp,
    /// UDP-Lite (datagram sockets made with `IPPROTO_UDPLITE`).
    UdpLite,
}

impl Protocol {
    /// The transport of an Internet socket.
    pub fn of(socket: &Socket) -> Protocol {
        match socket.protocol() {
            IPPROTO_UDPLITE => Protocol::UdpLite,
            IPPROTO_UDP => Protocol::Udp,
            _ if socket.kind() == crate::socket::SocketKind::Datagram => Protocol::Udp,
            _ => Protocol::Tcp,
        }
    }
}

/// The options that decide whether two sockets may share a port.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BindOptions {
    /// `SO_REUSEADDR`.
    pub reuse_address: bool,
    /// `SO_REUSEPORT`.
    pub reuse_port: bool,
    /// `IPV6_V6ONLY` (only meaningful for `::`).
    pub v6_only: bool,
}

struct Binding {
    protocol: Protocol,
    address: InetAddress,
    options: BindOptions,
    socket: Weak<Socket>,
}

impl Binding {
    fn overlaps(&self, address: InetAddress, options: BindOptions) -> bool {
        self.address.port == address.port
            && (self.address.ip.covers(self.options.v6_only, address.ip)
                || address.ip.covers(options.v6_only, self.address.ip))
    }
}

/// The ports bound by Internet sockets, held weakly: a closed socket's
/// port is free again.
#[derive(Default)]
pub struct InetPorts {
    bindings: Mutex<Vec<Binding>>,
    /// Where the search for a free ephemeral port starts next.
    next_ephemeral: Mutex<u16>,
}

impl InetPorts {
    /// An empty table.
    pub fn new() -> InetPorts {
        InetPorts {
            bindings: Mutex::new(Vec::new()),
            next_ephemeral: Mutex::new(EPHEMERAL_FIRST),
        }
    }

    /// Binds `socket` to `address` for `protocol`; port 0 picks a free
    /// ephemeral port. Returns the address bound. `EADDRINUSE` when the
    /// port is taken by a socket that does not share it (or no ephemeral
    /// port is free: Linux's `EADDRINUSE` too), `EINVAL` if the socket is
    /// bound already. The address must be local (the caller checks).
    pub fn bind(
        &self,
        socket: &Arc<Socket>,
        protocol: Protocol,
        address: InetAddress,
        options: BindOptions,
    ) -> KernelResult<InetAddress> {
        let mut bindings = self.bindings.lock();
        bindings.retain(|binding| binding.socket.strong_count() > 0);
        let taken = |bindings: &[Binding], address: InetAddress| {
            bindings.iter().any(|binding| {
                if binding.protocol != protocol || !binding.overlaps(address, options) {
                    return false;
                }
                let listening = protocol == Protocol::Tcp
                    && binding.socket.upgrade().is_some_and(|s| s.is_listening());
                let shared_address =
                    options.reuse_address && binding.options.reuse_address && !listening;
                let shared_port = options.reuse_port && binding.options.reuse_port;
                !(shared_address || shared_port)
            })
        };
        let address = if address.port == 0 {
            let mut next = self.next_ephemeral.lock();
            let span = u32::from(EPHEMERAL_LAST - EPHEMERAL_FIRST) + 1;
            let found = (0..span).find_map(|i| {
                let offset = (u32::from(*next - EPHEMERAL_FIRST) + i) % span;
                let port = EPHEMERAL_FIRST + offset as u16;
                let candidate = InetAddress { port, ..address };
                (!taken(&bindings, candidate)).then_some(candidate)
            });
            let found = found.ok_or(Errno::EADDRINUSE)?;
            *next = if found.port == EPHEMERAL_LAST {
                EPHEMERAL_FIRST
            } else {
                found.port + 1
            };
            found
        } else {
            if taken(&bindings, address) {
                return Err(Errno::EADDRINUSE);
            }
            address
        };
        socket.set_address(SocketAddress::Inet(address))?;
        bindings.push(Binding {
            protocol,
            address,
            options,
            socket: Arc::downgrade(socket),
        });
        Ok(address)
    }

    /// The socket that receives what is sent to `to` over `protocol`: for
    /// TCP a listening socket, for UDP any bound one; an exact address
    /// wins over an unspecified one. `None` when nothing is bound there.
    pub fn find(&self, protocol: Protocol, to: InetAddress) -> Option<Arc<Socket>> {
        let bindings = self.bindings.lock();
        let mut best: Option<(bool, Arc<Socket>)> = None;
        for binding in bindings.iter() {
            if binding.protocol != protocol
                || binding.address.port != to.port
                || !binding.address.ip.covers(binding.options.v6_only, to.ip)
            {
                continue;
            }
            let Some(socket) = binding.socket.upgrade() else {
                continue;
            };
            if protocol == Protocol::Tcp && !socket.is_listening() {
                continue;
            }
            let exact = !binding.address.ip.is_unspecified();
            if best
                .as_ref()
                .is_none_or(|(was_exact, _)| exact && !was_exact)
            {
                best = Some((exact, socket));
            }
        }
        best.map(|(_, socket)| socket)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::socket::{Domain, SocketCredentials, SocketKind};
    use crate::wait::NoWaiters;

    fn socket(domain: Domain) -> Arc<Socket> {
        Socket::new(
            domain,
            SocketKind::Stream,
            IPPROTO_TCP,
            SocketCredentials::default(),
            1,
            Arc::new(NoWaiters),
        )
    }

    fn at(ip: IpAddress, port: u16) -> InetAddress {
        InetAddress { ip, port }
    }

    #[test]
    fn addresses_know_their_family_and_locality() {
        let mapped = IpAddress::V6(IpAddress::mapped([127, 0, 0, 5]));
        assert_eq!(mapped.to_v4(), Some([127, 0, 0, 5]));
        assert!(mapped.is_loopback());
        assert!(IpAddress::V4([127, 9, 9, 9]).is_loopback());
        assert!(!IpAddress::V4([10, 0, 0, 1]).is_loopback());
        assert!(IpAddress::V6_ANY.covers(false, IpAddress::V4_LOOPBACK));
        assert!(!IpAddress::V6_ANY.covers(true, IpAddress::V4_LOOPBACK));
        assert!(IpAddress::V4_ANY.covers(false, mapped));
        assert!(!IpAddress::V4_LOOPBACK.covers(false, IpAddress::V6_LOOPBACK));
        assert_eq!(
            at(IpAddress::V6_ANY, 80).as_sent(),
            at(IpAddress::V6_LOOPBACK, 80)
        );
    }

    #[test]
    fn a_port_is_taken_until_its_socket_closes() {
        let ports = InetPorts::new();
        let a = socket(Domain::Inet);
        let address = at(IpAddress::V4_ANY, 8080);
        assert_eq!(
            ports.bind(&a, Protocol::Tcp, address, BindOptions::default()),
            Ok(address)
        );
        let b = socket(Domain::Inet);
        let loopback = at(IpAddress::V4_LOOPBACK, 8080);
        assert_eq!(
            ports.bind(&b, Protocol::Tcp, loopback, BindOptions::default()),
            Err(Errno::EADDRINUSE),
            "the wildcard covers the loopback address"
        );
        assert_eq!(
            ports.bind(&b, Protocol::Udp, loopback, BindOptions::default()),
            Ok(loopback),
            "UDP ports are separate"
        );
        let c = socket(Domain::Inet6);
        assert_eq!(
            ports.bind(
                &c,
                Protocol::Tcp,
                at(IpAddress::V6_ANY, 8080),
                BindOptions::default()
            ),
            Err(Errno::EADDRINUSE),
            "a dual-stack socket wants the IPv4 port too"
        );
        let v6_only = BindOptions {
            v6_only: true,
            ..BindOptions::default()
        };
        assert!(
            ports
                .bind(&c, Protocol::Tcp, at(IpAddress::V6_ANY, 8080), v6_only)
                .is_ok()
        );
        drop(a);
        let d = socket(Domain::Inet);
        assert!(
            ports
                .bind(&d, Protocol::Tcp, loopback, BindOptions::default())
                .is_ok()
        );
    }

    #[test]
    fn reuse_shares_a_port_but_not_with_a_listener() {
        let ports = InetPorts::new();
        let reuse = BindOptions {
            reuse_address: true,
            ..BindOptions::default()
        };
        let address = at(IpAddress::V4_LOOPBACK, 9000);
        let a = socket(Domain::Inet);
        ports.bind(&a, Protocol::Tcp, address, reuse).unwrap();
        let b = socket(Domain::Inet);
        ports.bind(&b, Protocol::Tcp, address, reuse).unwrap();
        a.listen(1).unwrap();
        let c = socket(Domain::Inet);
        assert_eq!(
            ports.bind(&c, Protocol::Tcp, address, reuse),
            Err(Errno::EADDRINUSE)
        );
        assert!(Arc::ptr_eq(
            &ports.find(Protocol::Tcp, address).unwrap(),
            &a
        ));
    }

    #[test]
    fn ephemeral_ports_are_distinct_and_found() {
        let ports = InetPorts::new();
        let a = socket(Domain::Inet);
        let b = socket(Domain::Inet);
        let any = at(IpAddress::V4_ANY, 0);
        let pa = ports
            .bind(&a, Protocol::Tcp, any, BindOptions::default())
            .unwrap();
        let pb = ports
            .bind(&b, Protocol::Tcp, any, BindOptions::default())
            .unwrap();
        assert!((EPHEMERAL_FIRST..=EPHEMERAL_LAST).contains(&pa.port));
        assert_ne!(pa.port, pb.port);
        assert!(
            ports
                .find(Protocol::Tcp, at(IpAddress::V4_LOOPBACK, pa.port))
                .is_none(),
            "not listening"
        );
        a.listen(1).unwrap();
        let found = ports
            .find(Protocol::Tcp, at(IpAddress::V4_LOOPBACK, pa.port))
            .unwrap();
        assert!(Arc::ptr_eq(&found, &a));
        assert!(
            ports
                .find(Protocol::Udp, at(IpAddress::V4_LOOPBACK, pa.port))
                .is_none()
        );
    }
}
