//! Internet sockets on the loopback through system calls: ports, the
//! connection handshake's outcomes, addresses as user memory shows them,
//! UDP datagrams with their senders, and what a stream keeps when a
//! receive cannot copy out.

use crate::common::*;
use abi::{Errno, Sysno};

const AF_INET: u64 = 2;
const AF_INET6: u64 = 10;
const SOCK_STREAM: u64 = 1;
const SOCK_DGRAM: u64 = 2;
const SOCK_NONBLOCK: u64 = 0o4000;

fn sockaddr_in(port: u16, ip: [u8; 4]) -> Vec<u8> {
    let mut bytes = (AF_INET as u16).to_ne_bytes().to_vec();
    bytes.extend_from_slice(&port.to_be_bytes());
    bytes.extend_from_slice(&ip);
    bytes.extend_from_slice(&[0; 8]);
    bytes
}

fn put_address(w: &World, bytes: &[u8]) -> u64 {
    let at = w.alloc(bytes.len());
    w.poke(at, bytes);
    at
}

/// getsockname or getpeername as bytes.
fn name_of(w: &World, call: Sysno, fd: i64) -> Result<Vec<u8>, i64> {
    let out = w.alloc(128);
    let len = w.put(&128u32);
    let r = w.call(call, &[fd as u64, out, len]);
    if r < 0 {
        return Err(r);
    }
    let n = w.get::<u32>(len) as usize;
    Ok(w.peek(out, n))
}

fn port_of(name: &[u8]) -> u16 {
    u16::from_be_bytes([name[2], name[3]])
}

#[test]
fn a_tcp_connection_on_the_loopback_carries_bytes_and_names_both_ends() {
    let w = World::new();
    let server = w.call(Sysno::Socket, &[AF_INET, SOCK_STREAM, 0]);
    assert!(server >= 0);
    let any = put_address(&w, &sockaddr_in(0, [0; 4]));
    assert_eq!(w.call(Sysno::Bind, &[server as u64, any, 16]), 0);
    assert_eq!(w.call(Sysno::Listen, &[server as u64, 8]), 0);
    let bound = name_of(&w, Sysno::Getsockname, server).unwrap();
    let port = port_of(&bound);
    assert!(port >= 32768, "an ephemeral port: {port}");
    assert_eq!(&bound[4..8], &[0; 4]);

    let client = w.call(Sysno::Socket, &[AF_INET, SOCK_STREAM, 6]);
    let to = put_address(&w, &sockaddr_in(port, [127, 0, 0, 1]));
    assert_eq!(w.call(Sysno::Connect, &[client as u64, to, 16]), 0);
    let local = name_of(&w, Sysno::Getsockname, client).unwrap();
    assert_eq!(&local[4..8], &[127, 0, 0, 1], "named by the loopback");
    let peer_out = w.alloc(16);
    let peer_len = w.put(&16u32);
    let accepted = w.call(Sysno::Accept, &[server as u64, peer_out, peer_len]);
    assert!(accepted >= 0);
    assert_eq!(w.peek(peer_out, 16), local, "accept names the client");
    assert_eq!(
        name_of(&w, Sysno::Getsockname, accepted).unwrap(),
        sockaddr_in(port, [127, 0, 0, 1])
    );
    assert_eq!(w.write(client, b"ping"), 4);
    assert_eq!(w.read(accepted, 16).unwrap(), b"ping");
    assert_eq!(w.write(accepted, b"pong"), 4);
    assert_eq!(w.read(client, 16).unwrap(), b"pong");
    assert_eq!(w.call(Sysno::Close, &[accepted as u64]), 0);
    assert_eq!(w.read(client, 16).unwrap(), b"", "end of stream");

    // The port is taken while the listener lives.
    let other = w.call(Sysno::Socket, &[AF_INET, SOCK_STREAM, 0]);
    let same = put_address(&w, &sockaddr_in(port, [127, 0, 0, 1]));
    assert_eq!(
        w.call(Sysno::Bind, &[other as u64, same, 16]),
        err(Errno::EADDRINUSE)
    );
    assert_eq!(w.call(Sysno::Close, &[server as u64]), 0);
    assert_eq!(w.call(Sysno::Bind, &[other as u64, same, 16]), 0);
}

#[test]
fn connecting_where_nobody_listens_is_refused_now_or_through_so_error() {
    let w = World::new();
    let to = put_address(&w, &sockaddr_in(40000, [127, 0, 0, 1]));
    let blocking = w.call(Sysno::Socket, &[AF_INET, SOCK_STREAM, 0]) as u64;
    assert_eq!(
        w.call(Sysno::Connect, &[blocking, to, 16]),
        err(Errno::ECONNREFUSED)
    );
    let nonblocking = w.call(Sysno::Socket, &[AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0]) as u64;
    assert_eq!(
        w.call(Sysno::Connect, &[nonblocking, to, 16]),
        err(Errno::EINPROGRESS)
    );
    let value = w.alloc(4);
    let len = w.put(&4u32);
    assert_eq!(
        w.call(Sysno::Getsockopt, &[nonblocking, 1, 4, value, len]),
        0
    );
    assert_eq!(w.get::<i32>(value), Errno::ECONNREFUSED as i32);
    assert_eq!(
        w.call(Sysno::Getsockopt, &[nonblocking, 1, 4, value, len]),
        0
    );
    assert_eq!(w.get::<i32>(value), 0, "reading SO_ERROR clears it");
    let far = put_address(&w, &sockaddr_in(80, [10, 0, 0, 1]));
    assert_eq!(
        w.call(Sysno::Connect, &[blocking, far, 16]),
        err(Errno::ENETUNREACH)
    );
    let short = put_address(&w, &sockaddr_in(80, [127, 0, 0, 1]));
    assert_eq!(
        w.call(Sysno::Connect, &[blocking, short, 8]),
        err(Errno::EINVAL),
        "short"
    );
}

#[test]
fn udp_datagrams_carry_their_sender_and_vanish_without_a_receiver() {
    let w = World::new();
    let receiver = w.call(Sysno::Socket, &[AF_INET, SOCK_DGRAM, 0]) as u64;
    let here = put_address(&w, &sockaddr_in(5353, [127, 0, 0, 1]));
    assert_eq!(w.call(Sysno::Bind, &[receiver, here, 16]), 0);
    let sender = w.call(Sysno::Socket, &[AF_INET, SOCK_DGRAM, 17]) as u64;
    let data = w.put(b"hello");
    assert_eq!(w.call(Sysno::Sendto, &[sender, data, 5, 0, here, 16]), 5);
    let sender_name = name_of(&w, Sysno::Getsockname, sender as i64).unwrap();
    assert!(port_of(&sender_name) >= 32768, "bound by the first send");
    let buffer = w.alloc(16);
    let from = w.alloc(16);
    let from_len = w.put(&16u32);
    assert_eq!(
        w.call(Sysno::Recvfrom, &[receiver, buffer, 16, 0, from, from_len]),
        5
    );
    assert_eq!(w.peek(buffer, 5), b"hello");
    let from = w.peek(from, 16);
    assert_eq!(port_of(&from), port_of(&sender_name));
    assert_eq!(&from[4..8], &[127, 0, 0, 1]);
    let nobody = put_address(&w, &sockaddr_in(5354, [127, 0, 0, 1]));
    assert_eq!(
        w.call(Sysno::Sendto, &[sender, data, 5, 0, nobody, 16]),
        5,
        "sent, and lost"
    );
    assert_eq!(
        w.call(Sysno::Write, &[sender, data, 5]),
        err(Errno::EDESTADDRREQ)
    );
    assert_eq!(w.call(Sysno::Connect, &[sender, here, 16]), 0);
    assert_eq!(w.call(Sysno::Write, &[sender, data, 5]), 5);
    assert_eq!(w.read(receiver as i64, 16).unwrap(), b"hello");
}

#[test]
fn internet_sockets_check_their_arguments_as_linux() {
    let w = World::new();
    assert_eq!(
        w.call(Sysno::Socket, &[AF_INET, SOCK_STREAM, 17]),
        err(Errno::EPROTONOSUPPORT)
    );
    assert_eq!(
        w.call(Sysno::Socket, &[AF_INET, 5, 0]),
        err(Errno::ESOCKTNOSUPPORT)
    );
    assert_eq!(
        w.call(Sysno::Socket, &[99, SOCK_STREAM, 0]),
        err(Errno::EAFNOSUPPORT)
    );
    let fds = w.alloc(8);
    assert_eq!(
        w.call(Sysno::Socketpair, &[AF_INET, SOCK_STREAM, 0, fds]),
        err(Errno::EOPNOTSUPP)
    );
    let s = w.call(Sysno::Socket, &[AF_INET6, SOCK_STREAM, 0]) as u64;
    let foreign = put_address(&w, &sockaddr_in(8000, [192, 168, 0, 1]));
    assert_eq!(
        w.call(Sysno::Bind, &[s, foreign, 16]),
        err(Errno::EINVAL),
        "a sockaddr_in is too short for AF_INET6"
    );
    let v4 = w.call(Sysno::Socket, &[AF_INET, SOCK_STREAM, 0]) as u64;
    assert_eq!(
        w.call(Sysno::Bind, &[v4, foreign, 16]),
        err(Errno::EADDRNOTAVAIL)
    );
    w.become_user(1000, 1000);
    let low = put_address(&w, &sockaddr_in(80, [127, 0, 0, 1]));
    let user = w.call(Sysno::Socket, &[AF_INET, SOCK_STREAM, 0]) as u64;
    assert_eq!(w.call(Sysno::Bind, &[user, low, 16]), err(Errno::EACCES));
    // TCP_NODELAY is kept and read back; a UDP socket has no TCP level.
    let one = w.put(&1i32);
    assert_eq!(w.call(Sysno::Setsockopt, &[user, 6, 1, one, 4]), 0);
    let value = w.alloc(4);
    let len = w.put(&4u32);
    assert_eq!(w.call(Sysno::Getsockopt, &[user, 6, 1, value, len]), 0);
    assert_eq!(w.get::<i32>(value), 1);
    let udp = w.call(Sysno::Socket, &[AF_INET, SOCK_DGRAM, 0]) as u64;
    assert_eq!(
        w.call(Sysno::Setsockopt, &[udp, 6, 1, one, 4]),
        err(Errno::ENOPROTOOPT)
    );
}

#[test]
fn the_loopback_interface_answers_ioctls_and_netlink() {
    let w = World::new();
    let s = w.call(Sysno::Socket, &[AF_INET, SOCK_DGRAM, 0]) as u64;
    let mut ifreq = [0u8; 40];
    ifreq[..2].copy_from_slice(b"lo");
    let at = put_address(&w, &ifreq);
    assert_eq!(w.call(Sysno::Ioctl, &[s, 0x8933, at]), 0, "SIOCGIFINDEX");
    assert_eq!(w.get::<i32>(at + 16), 1);
    assert_eq!(w.call(Sysno::Ioctl, &[s, 0x8915, at]), 0, "SIOCGIFADDR");
    assert_eq!(w.peek(at + 20, 4), [127, 0, 0, 1]);
    ifreq[..4].copy_from_slice(b"eth0");
    let other = put_address(&w, &ifreq);
    assert_eq!(
        w.call(Sysno::Ioctl, &[s, 0x8933, other]),
        err(Errno::ENODEV)
    );

    // A link dump over netlink: RTM_NEWLINK for lo, then NLMSG_DONE.
    let nl = w.call(Sysno::Socket, &[16, 3, 0]);
    assert!(nl >= 0);
    let mut request = Vec::new();
    request.extend_from_slice(&32u32.to_ne_bytes());
    request.extend_from_slice(&18u16.to_ne_bytes()); // RTM_GETLINK
    request.extend_from_slice(&0x301u16.to_ne_bytes()); // REQUEST | DUMP
    request.extend_from_slice(&7u32.to_ne_bytes());
    request.extend_from_slice(&0u32.to_ne_bytes());
    request.extend_from_slice(&[0; 16]);
    assert_eq!(w.write(nl, &request), 32, "write() goes to the kernel");
    let first = w.read(nl, 4096).unwrap();
    assert_eq!(u16::from_ne_bytes([first[4], first[5]]), 16, "RTM_NEWLINK");
    assert_eq!(u32::from_ne_bytes(first[8..12].try_into().unwrap()), 7);
    let last = w.read(nl, 4096).unwrap();
    assert_eq!(u16::from_ne_bytes([last[4], last[5]]), 3, "NLMSG_DONE");
    assert_eq!(
        w.call(Sysno::Socket, &[16, 3, 99]),
        err(Errno::EPROTONOSUPPORT)
    );
}

#[test]
fn a_stream_read_whose_copy_out_faults_keeps_its_bytes_and_a_datagram_is_lost() {
    const AF_UNIX: u64 = 1;
    let w = World::new();
    let fds = w.alloc(8);
    let stream = SOCK_STREAM | SOCK_NONBLOCK;
    assert_eq!(w.call(Sysno::Socketpair, &[AF_UNIX, stream, 0, fds]), 0);
    let (a, b) = (w.get::<i32>(fds) as i64, w.get::<i32>(fds + 4) as i64);
    assert_eq!(w.write(a, b"abcdef"), 6);
    // read and recvfrom into a bad buffer: EFAULT, nothing lost.
    assert_eq!(
        w.call(Sysno::Read, &[b as u64, 0x10, 3]),
        err(Errno::EFAULT)
    );
    assert_eq!(
        w.call(Sysno::Recvfrom, &[b as u64, 0x10, 2, 0, 0, 0]),
        err(Errno::EFAULT)
    );
    // recvmsg whose second buffer is bad: the first's bytes are the
    // answer, the rest stays.
    let first = w.alloc(2);
    let iov = w.put(&[
        abi::IoVec {
            base: first,
            len: 2,
        },
        abi::IoVec { base: 0x10, len: 2 },
    ]);
    let header = w.put(&[0u64, 0, iov, 2, 0, 0, 0]);
    assert_eq!(w.call(Sysno::Recvmsg, &[b as u64, header, 0]), 2);
    assert_eq!(w.peek(first, 2), b"ab");
    assert_eq!(w.write(a, b"gh"), 2);
    assert_eq!(w.read(b, 16).unwrap(), b"cdefgh", "the rest, in order");
    // A datagram whose copy faults is gone, as on Linux.
    let dgram = SOCK_DGRAM | SOCK_NONBLOCK;
    assert_eq!(w.call(Sysno::Socketpair, &[AF_UNIX, dgram, 0, fds]), 0);
    let (c, d) = (w.get::<i32>(fds) as i64, w.get::<i32>(fds + 4) as i64);
    assert_eq!(w.write(c, b"one"), 3);
    assert_eq!(
        w.call(Sysno::Read, &[d as u64, 0x10, 3]),
        err(Errno::EFAULT)
    );
    assert_eq!(w.read(d, 8), Err(err(Errno::EAGAIN)));
}

/// A `struct mmsghdr` array of `count` messages, each with one buffer of
/// `len` bytes (filled from `payloads` where given): its address and the
/// buffers'.
fn mmsghdrs(w: &World, count: usize, len: u64, payloads: &[&[u8]]) -> (u64, Vec<u64>) {
    let array = w.alloc(count * 64);
    let mut buffers = Vec::new();
    for index in 0..count {
        let buffer = w.alloc(len as usize);
        if let Some(payload) = payloads.get(index) {
            w.poke(buffer, payload);
        }
        let len = payloads.get(index).map_or(len, |p| p.len() as u64);
        let iov = w.put(&abi::IoVec { base: buffer, len });
        let header = array + index as u64 * 64;
        for (field, value) in [0u64, 0, iov, 1, 0, 0, 0].iter().enumerate() {
            w.poke(header + field as u64 * 8, &value.to_ne_bytes());
        }
        w.poke(header + 56, &u32::MAX.to_ne_bytes());
        buffers.push(buffer);
    }
    (array, buffers)
}

/// The `msg_len` of message `index`.
fn msg_len(w: &World, array: u64, index: u64) -> u32 {
    w.get::<u32>(array + index * 64 + 56)
}

#[test]
fn sendmmsg_and_recvmmsg_move_several_datagrams_a_call() {
    const AF_UNIX: u64 = 1;
    const MSG_DONTWAIT: u64 = 0x40;
    const MSG_WAITFORONE: u64 = 0x10000;
    let w = World::new();
    let fds = w.alloc(8);
    assert_eq!(w.call(Sysno::Socketpair, &[AF_UNIX, SOCK_DGRAM, 0, fds]), 0);
    let (a, b) = (w.get::<i32>(fds) as u64, w.get::<i32>(fds + 4) as u64);
    let (sent, _) = mmsghdrs(&w, 3, 0, &[b"one", b"three", b"fives"]);
    assert_eq!(w.call(Sysno::Sendmmsg, &[a, sent, 3, 0]), 3);
    assert_eq!(
        (0..3).map(|i| msg_len(&w, sent, i)).collect::<Vec<_>>(),
        [3, 5, 5]
    );
    // Four asked, three queued: three, in order, each with its length.
    let (got, buffers) = mmsghdrs(&w, 4, 8, &[]);
    assert_eq!(w.call(Sysno::Recvmmsg, &[b, got, 4, MSG_DONTWAIT, 0]), 3);
    assert_eq!(w.peek(buffers[0], 3), b"one");
    assert_eq!(w.peek(buffers[1], 5), b"three");
    assert_eq!(w.peek(buffers[2], 5), b"fives");
    assert_eq!(msg_len(&w, got, 1), 5);
    assert_eq!(msg_len(&w, got, 3), u32::MAX, "the fourth untouched");
    // Nothing queued: the error itself.
    assert_eq!(
        w.call(Sysno::Recvmmsg, &[b, got, 4, MSG_DONTWAIT, 0]),
        err(Errno::EAGAIN)
    );
    // The timeout is written back with what is left of it (that
    // MSG_WAITFORONE waits for the first message only needs a real wait:
    // tests/user/mmsg.c).
    assert_eq!(w.write(a as i64, b"x"), 1);
    let timeout = w.put(&abi::Timespec { sec: 5, nsec: 0 });
    assert_eq!(
        w.call(Sysno::Recvmmsg, &[b, got, 4, MSG_WAITFORONE, timeout]),
        1
    );
    let left = w.get::<abi::Timespec>(timeout);
    assert!(left.sec <= 5 && (left.sec, left.nsec) != (0, 0));
    let bad_timeout = w.put(&abi::Timespec {
        sec: 0,
        nsec: 1_000_000_000,
    });
    assert_eq!(
        w.call(Sysno::Recvmmsg, &[b, got, 4, MSG_DONTWAIT, bad_timeout]),
        err(Errno::EINVAL)
    );
    // A message that faults ends sendmmsg: those before it count.
    let (partly_bad, _) = mmsghdrs(&w, 2, 0, &[b"ok", b"lost"]);
    w.poke(partly_bad + 64 + 16, &0x10u64.to_ne_bytes()); // its iovec
    assert_eq!(w.call(Sysno::Sendmmsg, &[a, partly_bad, 2, 0]), 1);
    assert_eq!(
        w.call(Sysno::Sendmmsg, &[a, partly_bad + 64, 1, 0]),
        err(Errno::EFAULT)
    );
    assert_eq!(w.call(Sysno::Sendmmsg, &[a, sent, 0, 0]), 0);
    assert_eq!(
        w.call(Sysno::Sendmmsg, &[99, sent, 1, 0]),
        err(Errno::EBADF)
    );
    assert_eq!(w.read(b as i64, 8).unwrap(), b"ok");
}

const IPPROTO_IP: u64 = 0;
const IPPROTO_IPV6: u64 = 41;
const IP_TTL: i32 = 2;
const IP_TOS: i32 = 1;
const IP_RECVTTL: u64 = 12;
const IP_RECVTOS: u64 = 13;
const IPV6_RECVHOPLIMIT: u64 = 51;
const IPV6_HOPLIMIT: i32 = 52;
const IPV6_RECVTCLASS: u64 = 66;
const IPV6_TCLASS: i32 = 67;
const MSG_CTRUNC: i32 = 8;

fn setsockopt_int(w: &World, fd: u64, level: u64, name: u64, value: i32) -> i64 {
    let at = w.put(&value);
    w.call(Sysno::Setsockopt, &[fd, level, name, at, 4])
}

/// One control message: header and body, padded to 8.
fn cmsg(level: u64, kind: i32, body: &[u8]) -> Vec<u8> {
    let mut bytes = ((16 + body.len()) as u64).to_ne_bytes().to_vec();
    bytes.extend_from_slice(&(level as i32).to_ne_bytes());
    bytes.extend_from_slice(&kind.to_ne_bytes());
    bytes.extend_from_slice(body);
    bytes.resize(bytes.len().div_ceil(8) * 8, 0);
    bytes
}

/// sendmsg of "ping" from `fd` to `to` with `control`.
fn send_ping(w: &World, fd: u64, to: &[u8], control: &[u8]) -> i64 {
    let name = put_address(w, to);
    let data = w.put(b"ping");
    let iov = w.put(&abi::IoVec { base: data, len: 4 });
    let control_at = if control.is_empty() {
        0
    } else {
        put_address(w, control)
    };
    let header = w.put(&[
        name,
        to.len() as u64,
        iov,
        1,
        control_at,
        control.len() as u64,
        0,
    ]);
    w.call(Sysno::Sendmsg, &[fd, header, 0])
}

/// recvmsg of one datagram with `room` bytes of control space: the
/// control bytes and msg_flags.
fn receive_control(w: &World, fd: u64, room: usize) -> (Vec<u8>, i32) {
    let data = w.alloc(16);
    let iov = w.put(&abi::IoVec {
        base: data,
        len: 16,
    });
    let control = w.alloc(room.max(1));
    let header = w.put(&[0u64, 0, iov, 1, control, room as u64, 0]);
    assert_eq!(w.call(Sysno::Recvmsg, &[fd, header, 0]), 4);
    let len = w.get::<u64>(header + 40) as usize;
    (w.peek(control, len), w.get::<i32>(header + 48))
}

fn sockaddr_in6_loopback(port: u16) -> Vec<u8> {
    let mut bytes = (AF_INET6 as u16).to_ne_bytes().to_vec();
    bytes.extend_from_slice(&port.to_be_bytes());
    bytes.extend_from_slice(&[0; 4]);
    bytes.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    bytes.extend_from_slice(&[0; 4]);
    bytes
}

#[test]
fn udp_datagrams_carry_hop_limit_and_traffic_class_as_control_messages() {
    let w = World::new();
    let receiver = w.call(Sysno::Socket, &[AF_INET6, SOCK_DGRAM, 0]) as u64;
    let here = sockaddr_in6_loopback(7000);
    let at = put_address(&w, &here);
    assert_eq!(w.call(Sysno::Bind, &[receiver, at, 28]), 0);
    let sender = w.call(Sysno::Socket, &[AF_INET6, SOCK_DGRAM, 0]) as u64;
    let int = |v: i32| v.to_ne_bytes();
    // Nothing asked for, nothing given.
    assert_eq!(send_ping(&w, sender, &here, &[]), 4);
    assert_eq!(receive_control(&w, receiver, 256), (Vec::new(), 0));
    assert_eq!(
        setsockopt_int(&w, receiver, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1),
        0
    );
    assert_eq!(
        setsockopt_int(&w, receiver, IPPROTO_IPV6, IPV6_RECVTCLASS, 1),
        0
    );
    // The defaults (hop limit 64, class 0), hop limit first.
    assert_eq!(send_ping(&w, sender, &here, &[]), 4);
    let both = |hops, class| {
        let mut bytes = cmsg(IPPROTO_IPV6, IPV6_HOPLIMIT, &int(hops));
        bytes.extend(cmsg(IPPROTO_IPV6, IPV6_TCLASS, &int(class)));
        bytes
    };
    assert_eq!(receive_control(&w, receiver, 256), (both(64, 0), 0));
    // The sender's options, then its control messages (-1: the option).
    assert_eq!(setsockopt_int(&w, sender, IPPROTO_IPV6, 16, 9), 0);
    assert_eq!(setsockopt_int(&w, sender, IPPROTO_IPV6, 67, 0x28), 0);
    let mut control = cmsg(IPPROTO_IPV6, IPV6_HOPLIMIT, &int(2));
    assert_eq!(send_ping(&w, sender, &here, &control), 4);
    assert_eq!(receive_control(&w, receiver, 256), (both(2, 0x28), 0));
    control = cmsg(IPPROTO_IPV6, IPV6_HOPLIMIT, &int(-1));
    control.extend(cmsg(IPPROTO_IPV6, IPV6_TCLASS, &int(7)));
    assert_eq!(send_ping(&w, sender, &here, &control), 4);
    assert_eq!(receive_control(&w, receiver, 256), (both(9, 7), 0));
    // Out of range, unknown or odd-sized: EINVAL; IPv4's level: ignored.
    let einval = err(Errno::EINVAL);
    for bad in [
        cmsg(IPPROTO_IPV6, IPV6_HOPLIMIT, &int(256)),
        cmsg(IPPROTO_IPV6, 4242, &int(1)),
        cmsg(IPPROTO_IPV6, IPV6_TCLASS, &[1, 0, 0, 0, 0]),
    ] {
        assert_eq!(send_ping(&w, sender, &here, &bad), einval);
    }
    control = cmsg(IPPROTO_IP, IP_TTL, &int(3));
    assert_eq!(send_ping(&w, sender, &here, &control), 4);
    assert_eq!(receive_control(&w, receiver, 256).0, both(9, 0x28));
    // No room for a header: left out; for part of the data: cut short.
    for (room, expected) in [
        (15, Vec::new()),
        (19, {
            let mut bytes = cmsg(IPPROTO_IPV6, IPV6_HOPLIMIT, &int(9));
            bytes.truncate(19);
            bytes[0] = 19;
            bytes
        }),
        (40, {
            let mut bytes = cmsg(IPPROTO_IPV6, IPV6_HOPLIMIT, &int(9));
            bytes.extend_from_slice(&16u64.to_ne_bytes());
            bytes.extend_from_slice(&(IPPROTO_IPV6 as i32).to_ne_bytes());
            bytes.extend_from_slice(&IPV6_TCLASS.to_ne_bytes());
            bytes
        }),
    ] {
        assert_eq!(send_ping(&w, sender, &here, &[]), 4);
        let (got, flags) = receive_control(&w, receiver, room);
        assert_eq!((got, flags & MSG_CTRUNC), (expected, MSG_CTRUNC), "{room}");
    }
}

#[test]
fn ipv4_datagrams_carry_ttl_and_a_one_byte_tos() {
    let w = World::new();
    let receiver = w.call(Sysno::Socket, &[AF_INET, SOCK_DGRAM, 0]) as u64;
    let here = sockaddr_in(7001, [127, 0, 0, 1]);
    let at = put_address(&w, &here);
    assert_eq!(w.call(Sysno::Bind, &[receiver, at, 16]), 0);
    let sender = w.call(Sysno::Socket, &[AF_INET, SOCK_DGRAM, 0]) as u64;
    let value = w.alloc(4);
    let len = w.put(&4u32);
    assert_eq!(
        w.call(Sysno::Getsockopt, &[sender, IPPROTO_IP, 2, value, len]),
        0
    );
    assert_eq!(w.get::<i32>(value), 64, "the loopback's TTL");
    assert_eq!(
        setsockopt_int(&w, sender, IPPROTO_IP, 2, 0),
        err(Errno::EINVAL)
    );
    assert_eq!(setsockopt_int(&w, sender, IPPROTO_IP, 2, 33), 0);
    assert_eq!(setsockopt_int(&w, receiver, IPPROTO_IP, IP_RECVTTL, 1), 0);
    assert_eq!(setsockopt_int(&w, receiver, IPPROTO_IP, IP_RECVTOS, 1), 0);
    let control = cmsg(IPPROTO_IP, IP_TOS, &[0x20]);
    assert_eq!(send_ping(&w, sender, &here, &control), 4);
    let mut expected = cmsg(IPPROTO_IP, IP_TTL, &33i32.to_ne_bytes());
    expected.extend(cmsg(IPPROTO_IP, IP_TOS, &[0x20]));
    assert_eq!(receive_control(&w, receiver, 256), (expected, 0));
    let zero_ttl = cmsg(IPPROTO_IP, IP_TTL, &0i32.to_ne_bytes());
    assert_eq!(send_ping(&w, sender, &here, &zero_ttl), err(Errno::EINVAL));
}

#[test]
fn ipv4_packet_info_names_the_destination_and_picks_the_source() {
    const IP_PKTINFO: i32 = 8;
    let w = World::new();
    let receiver = w.call(Sysno::Socket, &[AF_INET, SOCK_DGRAM, 0]) as u64;
    let any = put_address(&w, &sockaddr_in(7002, [0, 0, 0, 0]));
    assert_eq!(w.call(Sysno::Bind, &[receiver, any, 16]), 0);
    assert_eq!(
        setsockopt_int(&w, receiver, IPPROTO_IP, IP_PKTINFO as u64, 1),
        0
    );
    let sender = w.call(Sysno::Socket, &[AF_INET, SOCK_DGRAM, 0]) as u64;
    let to = sockaddr_in(7002, [127, 0, 0, 2]);
    assert_eq!(send_ping(&w, sender, &to, &[]), 4);
    // struct in_pktinfo: the loopback's index, then the address twice.
    let info = |a: [u8; 4]| [&1i32.to_ne_bytes()[..], &a, &a].concat();
    let expected = cmsg(IPPROTO_IP, IP_PKTINFO, &info([127, 0, 0, 2]));
    assert_eq!(receive_control(&w, receiver, 256), (expected, 0));
    // As a control message on a send: the source address.
    let source = [&0i32.to_ne_bytes()[..], &[127, 0, 0, 3], &[0; 4]].concat();
    let control = cmsg(IPPROTO_IP, IP_PKTINFO, &source);
    assert_eq!(send_ping(&w, sender, &to, &control), 4);
    let from = w.alloc(16);
    let from_len = w.put(&16u32);
    let data = w.alloc(8);
    assert_eq!(
        w.call(Sysno::Recvfrom, &[receiver, data, 8, 0, from, from_len]),
        4
    );
    assert_eq!(w.peek(from + 4, 4), [127, 0, 0, 3]);
    let foreign = [&0i32.to_ne_bytes()[..], &[10, 0, 0, 1], &[0; 4]].concat();
    let control = cmsg(IPPROTO_IP, IP_PKTINFO, &foreign);
    assert_eq!(
        send_ping(&w, sender, &to, &control),
        err(Errno::ENETUNREACH)
    );
    let no_such_interface = [&7i32.to_ne_bytes()[..], &[0; 8]].concat();
    let control = cmsg(IPPROTO_IP, IP_PKTINFO, &no_such_interface);
    assert_eq!(send_ping(&w, sender, &to, &control), err(Errno::ENODEV));
}

#[test]
fn a_unix_socket_bound_to_its_family_alone_gets_an_abstract_name() {
    const AF_UNIX: u16 = 1;
    let w = World::new();
    let family_only = w.put(&AF_UNIX);
    let name = |fd| name_of(&w, Sysno::Getsockname, fd).unwrap();
    let autobound = |bytes: &[u8]| {
        bytes.len() == 8
            && bytes[2] == 0
            && bytes[3..].iter().all(|b| b"0123456789abcdef".contains(b))
    };
    let a = w.call(Sysno::Socket, &[1, SOCK_DGRAM, 0]);
    let b = w.call(Sysno::Socket, &[1, SOCK_DGRAM, 0]);
    assert_eq!(w.call(Sysno::Bind, &[a as u64, family_only, 2]), 0);
    assert_eq!(w.call(Sysno::Bind, &[b as u64, family_only, 2]), 0);
    let (a_name, b_name) = (name(a), name(b));
    assert!(autobound(&a_name) && autobound(&b_name), "{a_name:?}");
    assert_ne!(a_name, b_name);
    assert_eq!(w.call(Sysno::Bind, &[a as u64, family_only, 2]), 0);
    assert_eq!(name(a), a_name, "a name is kept");
    assert_eq!(
        w.call(Sysno::Connect, &[b as u64, family_only, 2]),
        err(Errno::EINVAL)
    );
    let inet_family = w.put(&(AF_INET as u16));
    let c = w.call(Sysno::Socket, &[1, SOCK_DGRAM, 0]) as u64;
    assert_eq!(
        w.call(Sysno::Bind, &[c, inet_family, 2]),
        err(Errno::EINVAL)
    );
    // With SO_PASSCRED, sending names the sender; the receiver sees it.
    let on = w.put(&1i32);
    assert_eq!(w.call(Sysno::Setsockopt, &[c, 1, 16, on, 4]), 0);
    let to = put_address(&w, &a_name);
    let data = w.put(b"hi");
    assert_eq!(w.call(Sysno::Sendto, &[c, data, 2, 0, to, 8]), 2);
    let c_name = name(c as i64);
    assert!(autobound(&c_name));
    let from = w.alloc(16);
    let from_len = w.put(&16u32);
    let buffer = w.alloc(4);
    assert_eq!(
        w.call(Sysno::Recvfrom, &[a as u64, buffer, 4, 0, from, from_len]),
        2
    );
    assert_eq!(w.peek(from, w.get::<u32>(from_len) as usize), c_name);
}

#[test]
fn a_receive_of_no_bytes_waits_for_a_datagram_and_a_read_of_none_does_not() {
    const MSG_PEEK: u64 = 2;
    const MSG_TRUNC: u64 = 0x20;
    let w = World::new();
    let fds = w.alloc(8);
    let dgram = SOCK_DGRAM | SOCK_NONBLOCK;
    assert_eq!(w.call(Sysno::Socketpair, &[1, dgram, 0, fds]), 0);
    let (a, b) = (w.get::<i32>(fds) as i64, w.get::<i32>(fds + 4) as u64);
    assert_eq!(
        w.call(Sysno::Recvfrom, &[b, 0, 0, 0, 0, 0]),
        err(Errno::EAGAIN)
    );
    assert_eq!(w.call(Sysno::Read, &[b, 0, 0]), 0);
    assert_eq!(w.write(a, b"one"), 3);
    assert_eq!(w.call(Sysno::Read, &[b, 0, 0]), 0, "nothing taken");
    assert_eq!(
        w.call(Sysno::Recvfrom, &[b, 0, 0, MSG_PEEK | MSG_TRUNC, 0, 0]),
        3,
        "the next datagram's size"
    );
    assert_eq!(w.read(b as i64, 8).unwrap(), b"one");
}

#[test]
fn socket_timeouts_read_back_as_timevals_and_are_checked_as_linux() {
    const SO_RCVTIMEO: u64 = 20;
    const SO_SNDTIMEO: u64 = 21;
    let w = World::new();
    let fd = w.call(Sysno::Socket, &[AF_INET, SOCK_STREAM, 0]) as u64;
    let get = |name| {
        let value = w.alloc(16);
        let len = w.put(&16u32);
        assert_eq!(w.call(Sysno::Getsockopt, &[fd, 1, name, value, len]), 0);
        assert_eq!(w.get::<u32>(len), 16);
        w.get::<[i64; 2]>(value)
    };
    let set = |name, timeval: [i64; 2], len| {
        let value = w.put(&timeval);
        w.call(Sysno::Setsockopt, &[fd, 1, name, value, len])
    };
    assert_eq!(get(SO_RCVTIMEO), [0, 0], "for ever");
    assert_eq!(set(SO_RCVTIMEO, [1, 500_000], 16), 0);
    assert_eq!(get(SO_RCVTIMEO), [1, 500_000]);
    assert_eq!(get(SO_SNDTIMEO), [0, 0], "each way its own");
    assert_eq!(set(SO_SNDTIMEO, [0, 1_000_000], 16), err(Errno::EDOM));
    assert_eq!(set(SO_SNDTIMEO, [0, -1], 16), err(Errno::EDOM));
    assert_eq!(set(SO_SNDTIMEO, [1, 0], 8), err(Errno::EINVAL));
    assert_eq!(set(SO_SNDTIMEO, [-3, 0], 16), 0, "no wait at all");
    assert_eq!(get(SO_SNDTIMEO), [0, 0]);
    assert_eq!(set(SO_RCVTIMEO, [0, 0], 16), 0);
    assert_eq!(get(SO_RCVTIMEO), [0, 0]);
}

#[test]
fn a_datagram_carries_the_time_it_was_sent_when_its_receiver_asks() {
    const SO_TIMESTAMP: u64 = 29;
    const SO_TIMESTAMPNS: u64 = 35;
    const SO_TIMESTAMPNS_NEW: u64 = 64;
    const SOL_SOCKET: u64 = 1;
    let w = World::new();
    let receiver = w.call(Sysno::Socket, &[AF_INET, SOCK_DGRAM, 0]) as u64;
    let here = sockaddr_in(7002, [127, 0, 0, 1]);
    let at = put_address(&w, &here);
    assert_eq!(w.call(Sysno::Bind, &[receiver, at, 16]), 0);
    let sender = w.call(Sysno::Socket, &[AF_INET, SOCK_DGRAM, 0]) as u64;
    let wall = |w: &World| syscall::Kernel::realtime(&*w.machine);
    // Not asked: no control message.
    assert_eq!(send_ping(&w, sender, &here, &[]), 4);
    assert_eq!(receive_control(&w, receiver, 256), (Vec::new(), 0));
    // Asked in microseconds: the send's time, not the (later) read's.
    assert_eq!(setsockopt_int(&w, receiver, SOL_SOCKET, SO_TIMESTAMP, 1), 0);
    let sent = wall(&w);
    assert_eq!(send_ping(&w, sender, &here, &[]), 4);
    w.machine.advance(5_000_000);
    let mut timeval = sent.sec.to_ne_bytes().to_vec();
    timeval.extend_from_slice(&(sent.nsec / 1000).to_ne_bytes());
    let expected = cmsg(SOL_SOCKET, SO_TIMESTAMP as i32, &timeval);
    assert_eq!(receive_control(&w, receiver, 256), (expected, 0));
    // In nanoseconds, under the new type; no room for it: MSG_CTRUNC.
    assert_eq!(
        setsockopt_int(&w, receiver, SOL_SOCKET, SO_TIMESTAMPNS_NEW, 1),
        0
    );
    let sent = wall(&w);
    assert_eq!(send_ping(&w, sender, &here, &[]), 4);
    let mut timespec = sent.sec.to_ne_bytes().to_vec();
    timespec.extend_from_slice(&sent.nsec.to_ne_bytes());
    let expected = cmsg(SOL_SOCKET, SO_TIMESTAMPNS_NEW as i32, &timespec);
    assert_eq!(receive_control(&w, receiver, 256), (expected, 0));
    assert_eq!(send_ping(&w, sender, &here, &[]), 4);
    assert_eq!(receive_control(&w, receiver, 8), (Vec::new(), MSG_CTRUNC));
    // Each form reads back alone; any form turned off turns stamping off.
    let value = w.alloc(4);
    let len = w.put(&4u32);
    let read = |name| {
        assert_eq!(
            w.call(Sysno::Getsockopt, &[receiver, SOL_SOCKET, name, value, len]),
            0
        );
        w.get::<i32>(value)
    };
    assert_eq!((read(SO_TIMESTAMPNS_NEW), read(SO_TIMESTAMPNS)), (1, 0));
    assert_eq!(setsockopt_int(&w, receiver, SOL_SOCKET, SO_TIMESTAMP, 0), 0);
    assert_eq!(read(SO_TIMESTAMPNS_NEW), 0);
    assert_eq!(send_ping(&w, sender, &here, &[]), 4);
    assert_eq!(receive_control(&w, receiver, 256), (Vec::new(), 0));
}
