//! Socket addresses as user memory holds them: `sockaddr_un`,
//! `sockaddr_in` and `sockaddr_in6`, read for `bind`, `connect` and
//! `sendto` and written for `accept`, `getsockname`, `getpeername` and
//! `recvfrom`.

use alloc::vec::Vec;

use abi::{Errno, KernelResult};
use fs::inet::{InetAddress, IpAddress};
use fs::socket::{Domain, SocketAddress};

use crate::args::{UserBuffer, UserPtr};
use crate::context::Context;
use crate::kernel::Kernel;

/// `AF_UNSPEC`.
pub const AF_UNSPEC: i32 = 0;
/// `AF_UNIX`.
pub const AF_UNIX: i32 = 1;
/// `AF_INET`.
pub const AF_INET: i32 = 2;
/// `AF_INET6`.
pub const AF_INET6: i32 = 10;
/// `AF_NETLINK`.
pub const AF_NETLINK: i32 = 16;
/// `sizeof(struct sockaddr_nl)`.
const SOCKADDR_NL_SIZE: usize = 12;
/// `sizeof(struct sockaddr_un)`.
const SOCKADDR_UN_SIZE: usize = 110;
/// Offset of `sun_path`.
pub const PATH_OFFSET: usize = 2;
/// `sizeof(struct sockaddr_in)`.
const SOCKADDR_IN_SIZE: usize = 16;
/// `sizeof(struct sockaddr_in6)`.
const SOCKADDR_IN6_SIZE: usize = 28;
/// The shortest `sockaddr_in6` Linux takes (RFC 2133's, without the
/// scope id).
const SOCKADDR_IN6_MIN: usize = 24;

/// The family number of `domain`.
pub fn family(domain: Domain) -> i32 {
    match domain {
        Domain::Unix => AF_UNIX,
        Domain::Inet => AF_INET,
        Domain::Inet6 => AF_INET6,
        Domain::Netlink => AF_NETLINK,
    }
}

/// An address a caller passed.
#[derive(Debug, PartialEq, Eq)]
pub enum Name {
    /// An `AF_UNIX` name: a path (up to its first NUL) or an abstract name
    /// (after a leading NUL).
    Unix {
        /// The bytes of the name.
        name: Vec<u8>,
        /// Whether it is abstract.
        is_abstract: bool,
    },
    /// An Internet address and port.
    Inet(InetAddress),
    /// `AF_UNSPEC` (`connect` dissolving a datagram association).
    Unspecified,
    /// A netlink port id and multicast groups.
    Netlink {
        /// `nl_pid`: 0 is the kernel.
        port: u32,
        /// `nl_groups`.
        groups: u32,
    },
}

/// Reads the address at `address` (`len` bytes) for a socket of `domain`:
/// `EINVAL` when too short, `EAFNOSUPPORT` for another family.
pub fn read_name<K: Kernel>(
    ctx: &Context<'_, K>,
    domain: Domain,
    address: UserBuffer,
    len: u32,
) -> KernelResult<Name> {
    let len = len as usize;
    if len > 128 {
        return Err(Errno::EINVAL);
    }
    let bytes = ctx.read_bytes(address, len)?;
    parse_name(domain, &bytes)
}

/// [`read_name`] on bytes already read.
pub fn parse_name(domain: Domain, bytes: &[u8]) -> KernelResult<Name> {
    if bytes.len() < 2 {
        return Err(Errno::EINVAL);
    }
    let family = i32::from(u16::from_ne_bytes([bytes[0], bytes[1]]));
    match domain {
        Domain::Netlink => {
            if bytes.len() < SOCKADDR_NL_SIZE || family != AF_NETLINK {
                return Err(Errno::EINVAL);
            }
            let word =
                |i: usize| u32::from_ne_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
            Ok(Name::Netlink {
                port: word(4),
                groups: word(8),
            })
        }
        Domain::Unix => {
            if bytes.len() > SOCKADDR_UN_SIZE || family != AF_UNIX {
                return Err(Errno::EINVAL);
            }
            let name = &bytes[PATH_OFFSET..];
            match name.first() {
                None => Err(Errno::EINVAL),
                Some(0) => Ok(Name::Unix {
                    name: name[1..].to_vec(),
                    is_abstract: true,
                }),
                Some(_) => {
                    let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
                    Ok(Name::Unix {
                        name: name[..end].to_vec(),
                        is_abstract: false,
                    })
                }
            }
        }
        Domain::Inet => {
            if family == AF_UNSPEC {
                return Ok(Name::Unspecified);
            }
            if bytes.len() < SOCKADDR_IN_SIZE {
                return Err(Errno::EINVAL);
            }
            if family != AF_INET {
                return Err(Errno::EAFNOSUPPORT);
            }
            Ok(Name::Inet(InetAddress {
                ip: IpAddress::V4([bytes[4], bytes[5], bytes[6], bytes[7]]),
                port: u16::from_be_bytes([bytes[2], bytes[3]]),
            }))
        }
        Domain::Inet6 => {
            if family == AF_UNSPEC {
                return Ok(Name::Unspecified);
            }
            if bytes.len() < SOCKADDR_IN6_MIN {
                return Err(Errno::EINVAL);
            }
            if family != AF_INET6 {
                return Err(Errno::EAFNOSUPPORT);
            }
            let mut ip = [0u8; 16];
            ip.copy_from_slice(&bytes[8..24]);
            Ok(Name::Inet(InetAddress {
                ip: IpAddress::V6(ip),
                port: u16::from_be_bytes([bytes[2], bytes[3]]),
            }))
        }
    }
}

/// `address` as a socket of `domain` shows it: a `sockaddr_un` of the
/// length Linux reports, or a `sockaddr_in`/`sockaddr_in6` (IPv4 addresses
/// mapped for `AF_INET6`; an unbound Internet socket shows the
/// unspecified address and port 0).
pub fn encode(domain: Domain, address: &SocketAddress) -> Vec<u8> {
    let mut bytes = (family(domain) as u16).to_ne_bytes().to_vec();
    if domain == Domain::Netlink {
        let (port, groups) = match address {
            SocketAddress::Netlink { port, groups } => (*port, *groups),
            _ => (0, 0),
        };
        bytes.extend_from_slice(&[0, 0]);
        bytes.extend_from_slice(&port.to_ne_bytes());
        bytes.extend_from_slice(&groups.to_ne_bytes());
        return bytes;
    }
    let inet = match (domain, address) {
        (Domain::Unix, SocketAddress::Abstract(name)) => {
            bytes.push(0);
            bytes.extend_from_slice(name);
            return bytes;
        }
        (Domain::Unix, SocketAddress::Path(path, _)) => {
            bytes.extend_from_slice(path);
            bytes.push(0);
            return bytes;
        }
        (Domain::Unix, _) => return bytes,
        (_, SocketAddress::Inet(inet)) => *inet,
        (Domain::Inet, _) => InetAddress {
            ip: IpAddress::V4_ANY,
            port: 0,
        },
        (_, _) => InetAddress {
            ip: IpAddress::V6_ANY,
            port: 0,
        },
    };
    bytes.extend_from_slice(&inet.port.to_be_bytes());
    match domain {
        Domain::Inet6 => {
            let ip = match inet.ip {
                IpAddress::V6(ip) => ip,
                IpAddress::V4(ip) => IpAddress::mapped(ip),
            };
            bytes.extend_from_slice(&[0; 4]); // sin6_flowinfo
            bytes.extend_from_slice(&ip);
            bytes.extend_from_slice(&[0; 4]); // sin6_scope_id
            debug_assert_eq!(bytes.len(), SOCKADDR_IN6_SIZE);
        }
        _ => {
            bytes.extend_from_slice(&inet.ip.to_v4().unwrap_or([0; 4]));
            bytes.extend_from_slice(&[0; 8]);
        }
    }
    bytes
}

/// Writes `address` to a `(sockaddr *, socklen_t *)` pair, truncated to
/// the caller's length, which is updated to the full length.
pub fn write_name<K: Kernel>(
    ctx: &Context<'_, K>,
    domain: Domain,
    address: &SocketAddress,
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
    let bytes = encode(domain, address);
    let n = room.min(bytes.len());
    if n > 0 {
        ctx.write_bytes(out, &bytes[..n])?;
    }
    ctx.write(len, &(bytes.len() as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sockaddr_in(port: u16, ip: [u8; 4]) -> Vec<u8> {
        let mut bytes = (AF_INET as u16).to_ne_bytes().to_vec();
        bytes.extend_from_slice(&port.to_be_bytes());
        bytes.extend_from_slice(&ip);
        bytes.extend_from_slice(&[0; 8]);
        bytes
    }

    #[test]
    fn internet_addresses_round_trip_in_network_order() {
        let bytes = sockaddr_in(8080, [127, 0, 0, 1]);
        let name = parse_name(Domain::Inet, &bytes).unwrap();
        let Name::Inet(inet) = name else {
            panic!("{name:?}")
        };
        assert_eq!(inet.port, 8080);
        assert_eq!(inet.ip, IpAddress::V4_LOOPBACK);
        assert_eq!(encode(Domain::Inet, &SocketAddress::Inet(inet)), bytes);
        assert_eq!(
            parse_name(Domain::Inet, &bytes[..15]),
            Err(Errno::EINVAL),
            "short"
        );
        assert_eq!(
            parse_name(Domain::Inet6, &bytes),
            Err(Errno::EINVAL),
            "shorter than a sockaddr_in6"
        );
    }

    #[test]
    fn an_ipv6_socket_shows_ipv4_peers_mapped() {
        let inet = InetAddress {
            ip: IpAddress::V4_LOOPBACK,
            port: 1,
        };
        let bytes = encode(Domain::Inet6, &SocketAddress::Inet(inet));
        assert_eq!(bytes.len(), SOCKADDR_IN6_SIZE);
        assert_eq!(&bytes[8..24], &IpAddress::mapped([127, 0, 0, 1]));
        let back = parse_name(Domain::Inet6, &bytes).unwrap();
        assert_eq!(
            back,
            Name::Inet(InetAddress {
                ip: IpAddress::V6(IpAddress::mapped([127, 0, 0, 1])),
                port: 1
            })
        );
        assert_eq!(
            encode(Domain::Inet, &SocketAddress::Unnamed),
            sockaddr_in(0, [0; 4])
        );
    }

    #[test]
    fn unix_names_are_paths_or_abstract() {
        let mut bytes = (AF_UNIX as u16).to_ne_bytes().to_vec();
        bytes.extend_from_slice(b"/tmp/s\0junk");
        assert_eq!(
            parse_name(Domain::Unix, &bytes),
            Ok(Name::Unix {
                name: b"/tmp/s".to_vec(),
                is_abstract: false
            })
        );
        let mut abstract_name = (AF_UNIX as u16).to_ne_bytes().to_vec();
        abstract_name.extend_from_slice(b"\0x");
        assert_eq!(
            parse_name(Domain::Unix, &abstract_name),
            Ok(Name::Unix {
                name: b"x".to_vec(),
                is_abstract: true
            })
        );
    }
}
