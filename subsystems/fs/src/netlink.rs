//! The routing netlink interface (`AF_NETLINK`, `NETLINK_ROUTE`) as far
//! as a machine with only a loopback device has anything to say: the
//! `lo` link and its addresses (`127.0.0.1/8`, `::1/128`), which is what
//! `getifaddrs`, `if_nameindex` and `ip addr` ask for. Requests are
//! answered here, as bytes; the system-call layer puts the answers in the
//! asking socket's queue.
//!
//! Message layout (all native-endian, 4-byte aligned): `struct nlmsghdr`
//! (length, type, flags, sequence, port id), then the family header
//! (`ifinfomsg`, `ifaddrmsg`), then attributes (`struct rtattr`: length,
//! type, value).

use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;

use abi::{Errno, KernelResult};
use lock::Mutex;

use crate::inet::IpAddress;
use crate::socket::{Socket, SocketAddress};

/// `NETLINK_ROUTE`.
pub const NETLINK_ROUTE: i32 = 0;

/// `NLMSG_ERROR`: an error (or, with 0, an acknowledgement).
pub const NLMSG_ERROR: u16 = 2;
/// `NLMSG_DONE`: the end of a dump.
pub const NLMSG_DONE: u16 = 3;
/// `RTM_NEWLINK`.
pub const RTM_NEWLINK: u16 = 16;
/// `RTM_GETLINK`.
pub const RTM_GETLINK: u16 = 18;
/// `RTM_NEWADDR`.
pub const RTM_NEWADDR: u16 = 20;
/// `RTM_GETADDR`.
pub const RTM_GETADDR: u16 = 22;

/// `NLM_F_REQUEST`.
pub const NLM_F_REQUEST: u16 = 0x1;
/// `NLM_F_MULTI`: part of a multi-part answer.
pub const NLM_F_MULTI: u16 = 0x2;
/// `NLM_F_ACK`: the sender wants an acknowledgement.
pub const NLM_F_ACK: u16 = 0x4;
/// `NLM_F_DUMP` (`NLM_F_ROOT | NLM_F_MATCH`).
pub const NLM_F_DUMP: u16 = 0x300;

const HEADER_LEN: usize = 16;
const AF_UNSPEC: u8 = 0;
const AF_INET: u8 = 2;
const AF_INET6: u8 = 10;

/// The loopback device's index.
pub const LOOPBACK_INDEX: i32 = 1;
/// The loopback device's name.
pub const LOOPBACK_NAME: &str = "lo";
/// [`LOOPBACK_NAME`] as netlink attributes carry it, NUL-terminated.
const LOOPBACK_NAME_NUL: &[u8] = b"lo\0";
/// `ARPHRD_LOOPBACK`: the loopback's hardware type.
pub const ARPHRD_LOOPBACK: u16 = 772;
/// `IFF_UP | IFF_LOOPBACK | IFF_RUNNING | IFF_LOWER_UP`.
pub const LOOPBACK_FLAGS: u32 = 0x1 | 0x8 | 0x40 | 0x1_0000;
/// The loopback MTU Linux uses.
pub const LOOPBACK_MTU: u32 = 65536;

const IFLA_ADDRESS: u16 = 1;
const IFLA_BROADCAST: u16 = 2;
const IFLA_IFNAME: u16 = 3;
const IFLA_MTU: u16 = 4;
const IFLA_TXQLEN: u16 = 13;
const IFLA_OPERSTATE: u16 = 16;
const IFA_ADDRESS: u16 = 1;
const IFA_LOCAL: u16 = 2;
const IFA_LABEL: u16 = 3;
const IFA_FLAGS: u16 = 8;
/// `IFA_F_PERMANENT`.
const IFA_F_PERMANENT: u8 = 0x80;
/// `RT_SCOPE_HOST`.
const RT_SCOPE_HOST: u8 = 254;
/// `IF_OPER_UNKNOWN`, what Linux reports for `lo`.
const IF_OPER_UNKNOWN: u8 = 0;

/// The netlink port ids sockets are bound to, held weakly: a closed
/// socket's id is free again.
#[derive(Default)]
pub struct NetlinkPorts {
    ports: Mutex<BTreeMap<u32, Weak<Socket>>>,
}

impl NetlinkPorts {
    /// An empty table.
    pub fn new() -> NetlinkPorts {
        NetlinkPorts::default()
    }

    /// Binds `socket` to port id `port` with multicast `groups`; port 0
    /// picks one, as Linux: the process id `pid` if free, else a unique
    /// negative number. Returns the port id. `EADDRINUSE` for a taken id,
    /// `EINVAL` if the socket is bound already.
    pub fn bind(
        &self,
        socket: &Arc<Socket>,
        port: u32,
        groups: u32,
        pid: u32,
    ) -> KernelResult<u32> {
        let mut ports = self.ports.lock();
        ports.retain(|_, socket| socket.strong_count() > 0);
        let port = match port {
            0 if !ports.contains_key(&pid) => pid,
            0 => (1..=u32::MAX / 2)
                .map(|n| (-4096i32).wrapping_sub(n as i32) as u32)
                .find(|candidate| !ports.contains_key(candidate))
                .ok_or(Errno::EADDRINUSE)?,
            port if ports.contains_key(&port) => return Err(Errno::EADDRINUSE),
            port => port,
        };
        socket.set_address(SocketAddress::Netlink { port, groups })?;
        ports.insert(port, Arc::downgrade(socket));
        Ok(port)
    }
}

/// A request's header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Message type (`RTM_*`).
    pub kind: u16,
    /// `NLM_F_*`.
    pub flags: u16,
    /// The sender's sequence number, echoed in the answers.
    pub sequence: u32,
}

fn align4(len: usize) -> usize {
    len.div_ceil(4) * 4
}

/// One message being built.
struct Message {
    bytes: Vec<u8>,
}

impl Message {
    fn new(kind: u16, flags: u16, sequence: u32, port: u32) -> Message {
        let mut bytes = Vec::with_capacity(64);
        bytes.extend_from_slice(&0u32.to_ne_bytes()); // length, set in finish
        bytes.extend_from_slice(&kind.to_ne_bytes());
        bytes.extend_from_slice(&flags.to_ne_bytes());
        bytes.extend_from_slice(&sequence.to_ne_bytes());
        bytes.extend_from_slice(&port.to_ne_bytes());
        Message { bytes }
    }

    fn put(&mut self, data: &[u8]) {
        self.bytes.extend_from_slice(data);
    }

    fn attribute(&mut self, kind: u16, value: &[u8]) {
        let len = 4 + value.len();
        self.bytes.extend_from_slice(&(len as u16).to_ne_bytes());
        self.bytes.extend_from_slice(&kind.to_ne_bytes());
        self.bytes.extend_from_slice(value);
        self.bytes.resize(align4(self.bytes.len()), 0);
    }

    fn finish(mut self, out: &mut Vec<Vec<u8>>) {
        let len = self.bytes.len() as u32;
        self.bytes[..4].copy_from_slice(&len.to_ne_bytes());
        out.push(self.bytes);
    }
}

/// The requests in one datagram `bytes` (a datagram may hold several);
/// a truncated or malformed one ends the list.
pub fn requests(bytes: &[u8]) -> Vec<(Header, &[u8])> {
    let mut found = Vec::new();
    let mut at = 0;
    while at + HEADER_LEN <= bytes.len() {
        let word =
            |i: usize| u32::from_ne_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        let len = word(at) as usize;
        if len < HEADER_LEN || at + len > bytes.len() {
            break;
        }
        let header = Header {
            kind: u16::from_ne_bytes([bytes[at + 4], bytes[at + 5]]),
            flags: u16::from_ne_bytes([bytes[at + 6], bytes[at + 7]]),
            sequence: word(at + 8),
        };
        found.push((header, &bytes[at..at + len]));
        at += align4(len);
    }
    found
}

/// The answers to one request (`message` is the request, header
/// included), addressed to port `port`: each a datagram of its own.
/// Dumps of links and addresses end with `NLMSG_DONE`; anything else is
/// answered with an `NLMSG_ERROR` of `-EOPNOTSUPP` (an unknown type) or,
/// for a request that asked for one, an acknowledgement.
pub fn answer(header: Header, message: &[u8], port: u32) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let dump = header.flags & NLM_F_DUMP == NLM_F_DUMP;
    let family = message.get(HEADER_LEN).copied().unwrap_or(AF_UNSPEC);
    match header.kind {
        RTM_GETLINK if dump => {
            let mut link = Message::new(RTM_NEWLINK, NLM_F_MULTI, header.sequence, port);
            link_body(&mut link);
            link.finish(&mut out);
            done(header.sequence, port, &mut out);
        }
        RTM_GETLINK => {
            let mut link = Message::new(RTM_NEWLINK, 0, header.sequence, port);
            link_body(&mut link);
            link.finish(&mut out);
        }
        RTM_GETADDR if dump => {
            if family == AF_UNSPEC || family == AF_INET {
                address(IpAddress::V4_LOOPBACK, 8, header.sequence, port, &mut out);
            }
            if family == AF_UNSPEC || family == AF_INET6 {
                address(IpAddress::V6_LOOPBACK, 128, header.sequence, port, &mut out);
            }
            done(header.sequence, port, &mut out);
        }
        _ => {
            let errno = abi::Errno::EOPNOTSUPP as i32;
            error(-errno, header, message, port, &mut out);
            return out;
        }
    }
    if header.flags & NLM_F_ACK != 0 && !dump {
        error(0, header, message, port, &mut out);
    }
    out
}

fn link_body(link: &mut Message) {
    link.put(&[AF_UNSPEC, 0]);
    link.put(&ARPHRD_LOOPBACK.to_ne_bytes());
    link.put(&LOOPBACK_INDEX.to_ne_bytes());
    link.put(&LOOPBACK_FLAGS.to_ne_bytes());
    link.put(&0u32.to_ne_bytes()); // ifi_change
    link.attribute(IFLA_IFNAME, LOOPBACK_NAME_NUL);
    link.attribute(IFLA_MTU, &LOOPBACK_MTU.to_ne_bytes());
    link.attribute(IFLA_TXQLEN, &1000u32.to_ne_bytes());
    link.attribute(IFLA_OPERSTATE, &[IF_OPER_UNKNOWN]);
    link.attribute(IFLA_ADDRESS, &[0; 6]);
    link.attribute(IFLA_BROADCAST, &[0; 6]);
}

fn address(ip: IpAddress, prefix: u8, sequence: u32, port: u32, out: &mut Vec<Vec<u8>>) {
    let mut message = Message::new(RTM_NEWADDR, NLM_F_MULTI, sequence, port);
    let (family, bytes): (u8, Vec<u8>) = match ip {
        IpAddress::V4(ip) => (AF_INET, ip.to_vec()),
        IpAddress::V6(ip) => (AF_INET6, ip.to_vec()),
    };
    message.put(&[family, prefix, IFA_F_PERMANENT, RT_SCOPE_HOST]);
    message.put(&(LOOPBACK_INDEX as u32).to_ne_bytes());
    message.attribute(IFA_ADDRESS, &bytes);
    if family == AF_INET {
        message.attribute(IFA_LOCAL, &bytes);
        message.attribute(IFA_LABEL, LOOPBACK_NAME_NUL);
    }
    message.attribute(IFA_FLAGS, &u32::from(IFA_F_PERMANENT).to_ne_bytes());
    message.finish(out);
}

fn done(sequence: u32, port: u32, out: &mut Vec<Vec<u8>>) {
    let mut message = Message::new(NLMSG_DONE, NLM_F_MULTI, sequence, port);
    message.put(&0i32.to_ne_bytes());
    message.finish(out);
}

/// `NLMSG_ERROR` carrying `code` (0 acknowledges) and the request's
/// header, as Linux (without `NETLINK_CAP_ACK`, only the header is
/// echoed for an acknowledgement; the whole request for an error).
fn error(code: i32, header: Header, request: &[u8], port: u32, out: &mut Vec<Vec<u8>>) {
    let mut message = Message::new(NLMSG_ERROR, 0, header.sequence, port);
    message.put(&code.to_ne_bytes());
    if code == 0 {
        message.put(&request[..HEADER_LEN.min(request.len())]);
    } else {
        message.put(request);
    }
    message.finish(out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(kind: u16, flags: u16, family: u8) -> Vec<u8> {
        let mut m = Message::new(kind, flags | NLM_F_REQUEST, 42, 0);
        m.put(&[family, 0, 0, 0]);
        m.put(&[0; 12]);
        let mut out = Vec::new();
        m.finish(&mut out);
        out.remove(0)
    }

    fn kind_of(message: &[u8]) -> u16 {
        u16::from_ne_bytes([message[4], message[5]])
    }

    #[test]
    fn a_link_dump_names_lo_and_ends() {
        let bytes = request(RTM_GETLINK, NLM_F_DUMP, AF_UNSPEC);
        let parsed = requests(&bytes);
        assert_eq!(parsed.len(), 1);
        let answers = answer(parsed[0].0, parsed[0].1, 77);
        assert_eq!(answers.len(), 2);
        let link = &answers[0];
        assert_eq!(kind_of(link), RTM_NEWLINK);
        assert_eq!(
            u32::from_ne_bytes(link[..4].try_into().unwrap()) as usize,
            link.len()
        );
        assert_eq!(
            u32::from_ne_bytes(link[8..12].try_into().unwrap()),
            42,
            "sequence"
        );
        assert_eq!(
            u32::from_ne_bytes(link[12..16].try_into().unwrap()),
            77,
            "port"
        );
        assert_eq!(
            i32::from_ne_bytes(link[20..24].try_into().unwrap()),
            1,
            "index"
        );
        assert!(link.windows(3).any(|w| w == b"lo\0"));
        assert_eq!(kind_of(&answers[1]), NLMSG_DONE);
    }

    #[test]
    fn an_address_dump_follows_the_family_asked_for() {
        let all = request(RTM_GETADDR, NLM_F_DUMP, AF_UNSPEC);
        let (header, message) = requests(&all)[0];
        let answers = answer(header, message, 1);
        assert_eq!(answers.len(), 3);
        assert_eq!(answers[0][16], AF_INET);
        assert_eq!(answers[0][17], 8, "127.0.0.1/8");
        assert!(answers[0].windows(4).any(|w| w == [127, 0, 0, 1]));
        assert_eq!(answers[1][16], AF_INET6);
        let six = request(RTM_GETADDR, NLM_F_DUMP, AF_INET6);
        let (header, message) = requests(&six)[0];
        assert_eq!(answer(header, message, 1).len(), 2);
    }

    #[test]
    fn other_requests_get_an_error_with_the_request() {
        let bytes = request(24, NLM_F_ACK, AF_INET); // RTM_NEWROUTE
        let (header, message) = requests(&bytes)[0];
        let answers = answer(header, message, 5);
        assert_eq!(answers.len(), 1);
        assert_eq!(kind_of(&answers[0]), NLMSG_ERROR);
        let code = i32::from_ne_bytes(answers[0][16..20].try_into().unwrap());
        assert_eq!(code, -(abi::Errno::EOPNOTSUPP as i32));
        assert_eq!(&answers[0][20..], &bytes[..]);
        assert!(requests(&bytes[..10]).is_empty(), "truncated");
    }
}
