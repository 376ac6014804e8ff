/* UDP datagrams' IP header fields as control messages: the TTL and type
 * of service (IPv4) or hop limit and traffic class (IPv6) a sender sets
 * with socket options or sendmsg control messages, and a receiver gets
 * back with IP_RECVTTL/IP_RECVTOS or IPV6_RECVHOPLIMIT/IPV6_RECVTCLASS,
 * cut short as Linux's put_cmsg cuts them (Python's RFC 3542 tests); and
 * the address a datagram was sent to (IP_PKTINFO, IPV6_RECVPKTINFO),
 * which a socket bound to the unspecified address needs to answer from
 * it, and the source address a sender picks with a packet-info message. */
#define _GNU_SOURCE /* struct in6_pktinfo (glibc) */
#include "check.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef IPV6_RECVHOPLIMIT
#define IPV6_RECVHOPLIMIT 51
#endif
#ifndef IPV6_HOPLIMIT
#define IPV6_HOPLIMIT 52
#endif
#ifndef IPV6_RECVTCLASS
#define IPV6_RECVTCLASS 66
#endif
#ifndef IPV6_TCLASS
#define IPV6_TCLASS 67
#endif

/* A bound datagram socket of `family` on the loopback and its address. */
static int bound(int family, struct sockaddr_storage *at, socklen_t *len) {
    int fd = socket(family, SOCK_DGRAM, 0);
    CHECK(fd >= 0);
    memset(at, 0, sizeof *at);
    if (family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)at;
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        *len = sizeof *in;
    } else {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)at;
        in6->sin6_family = AF_INET6;
        in6->sin6_addr = in6addr_loopback;
        *len = sizeof *in6;
    }
    CHECK_EQ(bind(fd, (struct sockaddr *)at, *len), 0);
    CHECK_EQ(getsockname(fd, (struct sockaddr *)at, len), 0);
    return fd;
}

/* sendmsg of "ping" to `to` with the given control buffer. */
static ssize_t send_with(int fd, struct sockaddr_storage *to, socklen_t len, void *control,
                         size_t control_len) {
    struct iovec iov = {.iov_base = "ping", .iov_len = 4};
    struct msghdr msg = {.msg_name = to, .msg_namelen = len, .msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = control, .msg_controllen = control_len};
    return sendmsg(fd, &msg, 0);
}

/* One int control message. */
static size_t one_int(void *buffer, int level, int type, int value) {
    struct cmsghdr *c = buffer;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    c->cmsg_level = level;
    c->cmsg_type = type;
    memcpy(CMSG_DATA(c), &value, sizeof value);
    return CMSG_SPACE(sizeof(int));
}

/* recvmsg into `room` bytes of control space: returns msg_flags, and the
 * control bytes in `control` with their length in `got`. */
static int receive(int fd, char *control, size_t room, size_t *got) {
    char data[16];
    struct iovec iov = {.iov_base = data, .iov_len = sizeof data};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = room ? control : NULL,
                         .msg_controllen = room};
    CHECK_EQ(recvmsg(fd, &msg, 0), 4);
    CHECK(memcmp(data, "ping", 4) == 0);
    *got = msg.msg_controllen;
    return msg.msg_flags;
}

static int int_at(struct cmsghdr *c) {
    int value;
    memcpy(&value, CMSG_DATA(c), sizeof value);
    return value;
}

static void ipv6_hop_limit_and_traffic_class(void) {
    struct sockaddr_storage at, from;
    socklen_t len, from_len;
    int receiver = bound(AF_INET6, &at, &len);
    int sender = bound(AF_INET6, &from, &from_len);
    int on = 1, value;
    socklen_t value_len = sizeof value;
    CHECK_EQ(getsockopt(sender, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &value, &value_len), 0);
    CHECK_EQ(value, 64);
    value = -1;
    CHECK_EQ(setsockopt(sender, IPPROTO_IPV6, IPV6_TCLASS, &value, sizeof value), 0);
    CHECK_EQ(getsockopt(sender, IPPROTO_IPV6, IPV6_TCLASS, &value, &value_len), 0);
    CHECK_EQ(value, 0); /* RFC 3542: -1 is the default, 0 */
    CHECK_EQ(setsockopt(receiver, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof on), 0);
    CHECK_EQ(setsockopt(receiver, IPPROTO_IPV6, IPV6_RECVTCLASS, &on, sizeof on), 0);

    /* The socket's defaults: hop limit 64, class 0, in that order. */
    char control[256];
    size_t got;
    CHECK_EQ(send_with(sender, &at, len, NULL, 0), 4);
    CHECK_EQ(receive(receiver, control, sizeof control, &got) & MSG_CTRUNC, 0);
    CHECK_EQ(got, 2 * CMSG_SPACE(sizeof(int)));
    struct cmsghdr *c = (struct cmsghdr *)control;
    CHECK_EQ(c->cmsg_level, IPPROTO_IPV6);
    CHECK_EQ(c->cmsg_type, IPV6_HOPLIMIT);
    CHECK_EQ(c->cmsg_len, CMSG_LEN(sizeof(int)));
    CHECK_EQ(int_at(c), 64);
    c = (struct cmsghdr *)(control + CMSG_SPACE(sizeof(int)));
    CHECK_EQ(c->cmsg_type, IPV6_TCLASS);
    CHECK_EQ(int_at(c), 0);

    /* Options, then per-datagram control messages, win. */
    value = 9;
    CHECK_EQ(setsockopt(sender, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &value, sizeof value), 0);
    value = 0x28;
    CHECK_EQ(setsockopt(sender, IPPROTO_IPV6, IPV6_TCLASS, &value, sizeof value), 0);
    char out[64];
    size_t out_len = one_int(out, IPPROTO_IPV6, IPV6_HOPLIMIT, 2);
    CHECK_EQ(send_with(sender, &at, len, out, out_len), 4);
    receive(receiver, control, sizeof control, &got);
    c = (struct cmsghdr *)control;
    CHECK_EQ(int_at(c), 2);
    CHECK_EQ(int_at((struct cmsghdr *)(control + CMSG_SPACE(sizeof(int)))), 0x28);
    /* -1 in a control message means the socket's value. */
    out_len = one_int(out, IPPROTO_IPV6, IPV6_HOPLIMIT, -1);
    out_len += one_int(out + out_len, IPPROTO_IPV6, IPV6_TCLASS, 7);
    CHECK_EQ(send_with(sender, &at, len, out, out_len), 4);
    receive(receiver, control, sizeof control, &got);
    CHECK_EQ(int_at((struct cmsghdr *)control), 9);
    CHECK_EQ(int_at((struct cmsghdr *)(control + CMSG_SPACE(sizeof(int)))), 7);

    /* Bad values and types are refused; another level's are ignored. */
    one_int(out, IPPROTO_IPV6, IPV6_HOPLIMIT, 256);
    CHECK_EQ(send_with(sender, &at, len, out, CMSG_SPACE(sizeof(int))), -1);
    CHECK_EQ(errno, EINVAL);
    one_int(out, IPPROTO_IPV6, 4242, 1);
    CHECK_EQ(send_with(sender, &at, len, out, CMSG_SPACE(sizeof(int))), -1);
    CHECK_EQ(errno, EINVAL);
    struct cmsghdr *odd = (struct cmsghdr *)out;
    one_int(out, IPPROTO_IPV6, IPV6_TCLASS, 1);
    odd->cmsg_len = CMSG_LEN(sizeof(int)) + 1;
    CHECK_EQ(send_with(sender, &at, len, out, CMSG_SPACE(sizeof(int) + 1)), -1);
    CHECK_EQ(errno, EINVAL);
    one_int(out, IPPROTO_IP, IP_TTL, 3);
    CHECK_EQ(send_with(sender, &at, len, out, CMSG_SPACE(sizeof(int))), 4);
    receive(receiver, control, sizeof control, &got);
    CHECK_EQ(int_at((struct cmsghdr *)control), 9);

    /* Truncation: no room for a header leaves the message out, room for
     * part of its data cuts it short; both say MSG_CTRUNC. */
    CHECK_EQ(send_with(sender, &at, len, NULL, 0), 4);
    CHECK(receive(receiver, control, CMSG_LEN(0) - 1, &got) & MSG_CTRUNC);
    CHECK_EQ(got, 0);
    CHECK_EQ(send_with(sender, &at, len, NULL, 0), 4);
    CHECK(receive(receiver, control, CMSG_LEN(sizeof(int)) - 1, &got) & MSG_CTRUNC);
    CHECK_EQ(got, CMSG_LEN(sizeof(int)) - 1);
    CHECK_EQ(((struct cmsghdr *)control)->cmsg_len, CMSG_LEN(sizeof(int)) - 1);
    /* Room for the first and the second's header only. */
    CHECK_EQ(send_with(sender, &at, len, NULL, 0), 4);
    CHECK(receive(receiver, control, CMSG_SPACE(sizeof(int)) + CMSG_LEN(0), &got) & MSG_CTRUNC);
    CHECK_EQ(got, CMSG_SPACE(sizeof(int)) + CMSG_LEN(0));
    c = (struct cmsghdr *)(control + CMSG_SPACE(sizeof(int)));
    CHECK_EQ(c->cmsg_type, IPV6_TCLASS);
    CHECK_EQ(c->cmsg_len, CMSG_LEN(0));
    /* Nothing asked for, nothing given. */
    int off = 0;
    CHECK_EQ(setsockopt(receiver, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &off, sizeof off), 0);
    CHECK_EQ(setsockopt(receiver, IPPROTO_IPV6, IPV6_RECVTCLASS, &off, sizeof off), 0);
    CHECK_EQ(send_with(sender, &at, len, NULL, 0), 4);
    CHECK_EQ(receive(receiver, control, sizeof control, &got), 0);
    CHECK_EQ(got, 0);
    close(sender);
    close(receiver);
}

static void ipv4_ttl_and_tos(void) {
    struct sockaddr_storage at, from;
    socklen_t len, from_len;
    int receiver = bound(AF_INET, &at, &len);
    int sender = bound(AF_INET, &from, &from_len);
    int on = 1, value = 0;
    socklen_t value_len = sizeof value;
    CHECK_EQ(getsockopt(sender, IPPROTO_IP, IP_TTL, &value, &value_len), 0);
    CHECK_EQ(value, 64);
    CHECK_EQ(setsockopt(sender, IPPROTO_IP, IP_TTL, &value, sizeof value), 0);
    value = 0;
    CHECK_EQ(setsockopt(sender, IPPROTO_IP, IP_TTL, &value, sizeof value), -1);
    CHECK_EQ(errno, EINVAL);
    value = 33;
    CHECK_EQ(setsockopt(sender, IPPROTO_IP, IP_TTL, &value, sizeof value), 0);
    CHECK_EQ(setsockopt(receiver, IPPROTO_IP, IP_RECVTTL, &on, sizeof on), 0);
    CHECK_EQ(setsockopt(receiver, IPPROTO_IP, IP_RECVTOS, &on, sizeof on), 0);

    /* TOS as one byte in a control message; it comes back as one. */
    char out[64], control[256];
    struct cmsghdr *c = (struct cmsghdr *)out;
    c->cmsg_len = CMSG_LEN(1);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_TOS;
    *CMSG_DATA(c) = 0x20;
    size_t got;
    CHECK_EQ(send_with(sender, &at, len, out, CMSG_SPACE(1)), 4);
    CHECK_EQ(receive(receiver, control, sizeof control, &got) & MSG_CTRUNC, 0);
    CHECK_EQ(got, CMSG_SPACE(sizeof(int)) + CMSG_SPACE(1));
    c = (struct cmsghdr *)control;
    CHECK_EQ(c->cmsg_level, IPPROTO_IP);
    CHECK_EQ(c->cmsg_type, IP_TTL);
    CHECK_EQ(int_at(c), 33);
    c = (struct cmsghdr *)(control + CMSG_SPACE(sizeof(int)));
    CHECK_EQ(c->cmsg_type, IP_TOS);
    CHECK_EQ(c->cmsg_len, CMSG_LEN(1));
    CHECK_EQ(*CMSG_DATA(c), 0x20);
    /* A TTL of 0 is refused, IPv6's levels ignored. */
    one_int(out, IPPROTO_IP, IP_TTL, 0);
    CHECK_EQ(send_with(sender, &at, len, out, CMSG_SPACE(sizeof(int))), -1);
    CHECK_EQ(errno, EINVAL);
    one_int(out, IPPROTO_IPV6, IPV6_HOPLIMIT, 5);
    CHECK_EQ(send_with(sender, &at, len, out, CMSG_SPACE(sizeof(int))), 4);
    receive(receiver, control, sizeof control, &got);
    CHECK_EQ(int_at((struct cmsghdr *)control), 33);
    close(sender);
    close(receiver);
}

/* Receives a datagram that comes with one control message, (level,
 * type) of `size` bytes, copied to `body`. */
static void receive_only(int fd, int level, int type, void *body, size_t size) {
    char control[64];
    size_t got;
    CHECK_EQ(receive(fd, control, sizeof control, &got), 0);
    struct cmsghdr *c = (struct cmsghdr *)control;
    CHECK_EQ(got, CMSG_SPACE(size));
    CHECK_EQ(c->cmsg_level, level);
    CHECK_EQ(c->cmsg_type, type);
    memcpy(body, CMSG_DATA(c), size);
}

/* A datagram socket of `family` bound to the unspecified address. */
static int bound_to_any(int family, struct sockaddr_storage *at, socklen_t *len) {
    int fd = socket(family, SOCK_DGRAM, 0);
    CHECK(fd >= 0);
    memset(at, 0, sizeof *at);
    at->ss_family = family;
    *len = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    CHECK_EQ(bind(fd, (struct sockaddr *)at, *len), 0);
    CHECK_EQ(getsockname(fd, (struct sockaddr *)at, len), 0);
    return fd;
}

static void ipv4_packet_info(void) {
    struct sockaddr_storage at, from;
    socklen_t len, from_len = sizeof from;
    int receiver = bound_to_any(AF_INET, &at, &len);
    int on = 1;
    CHECK_EQ(setsockopt(receiver, IPPROTO_IP, IP_PKTINFO, &on, sizeof on), 0);
    int sender = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(sender >= 0);
    /* To 127.0.0.2: the receiver learns that address and the interface. */
    struct sockaddr_in *to = (struct sockaddr_in *)&at;
    to->sin_addr.s_addr = htonl(0x7f000002);
    CHECK_EQ(send_with(sender, &at, len, NULL, 0), 4);
    struct in_pktinfo info;
    receive_only(receiver, IPPROTO_IP, IP_PKTINFO, &info, sizeof info);
    CHECK_EQ(info.ipi_ifindex, 1);
    CHECK_EQ(ntohl(info.ipi_addr.s_addr), 0x7f000002);
    CHECK_EQ(ntohl(info.ipi_spec_dst.s_addr), 0x7f000002);
    /* A sender's IP_PKTINFO picks its source address. */
    char out[CMSG_SPACE(sizeof(struct in_pktinfo))] = {0};
    struct cmsghdr *c = (struct cmsghdr *)out;
    c->cmsg_len = CMSG_LEN(sizeof info);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    memset(&info, 0, sizeof info);
    info.ipi_spec_dst.s_addr = htonl(0x7f000003);
    memcpy(CMSG_DATA(c), &info, sizeof info);
    CHECK_EQ(send_with(sender, &at, len, out, sizeof out), 4);
    char data[8];
    CHECK_EQ(recvfrom(receiver, data, sizeof data, 0, (struct sockaddr *)&from, &from_len), 4);
    CHECK_EQ(ntohl(((struct sockaddr_in *)&from)->sin_addr.s_addr), 0x7f000003);
    /* Only the loopback's interface and addresses. */
    info.ipi_spec_dst.s_addr = htonl(0x0a000001);
    memcpy(CMSG_DATA(c), &info, sizeof info);
    errno = 0;
    CHECK_EQ(send_with(sender, &at, len, out, sizeof out), -1);
    CHECK_EQ(errno, ENETUNREACH);
    info.ipi_spec_dst.s_addr = 0;
    info.ipi_ifindex = 9999;
    memcpy(CMSG_DATA(c), &info, sizeof info);
    errno = 0;
    CHECK_EQ(send_with(sender, &at, len, out, sizeof out), -1);
    CHECK_EQ(errno, ENODEV);
    close(sender);
    close(receiver);
}

static void ipv6_packet_info(void) {
    struct sockaddr_storage at;
    socklen_t len;
    int receiver = bound_to_any(AF_INET6, &at, &len);
    int on = 1;
    CHECK_EQ(setsockopt(receiver, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on), 0);
    /* From an IPv6 socket to ::1, then from an IPv4 one to 127.0.0.1
     * (dual stack): both as IPV6_PKTINFO, the second address mapped. */
    for (int round = 0; round < 2; round++) {
        int family = round == 0 ? AF_INET6 : AF_INET;
        int sender = socket(family, SOCK_DGRAM, 0);
        CHECK(sender >= 0);
        struct sockaddr_storage to;
        socklen_t to_len;
        memset(&to, 0, sizeof to);
        if (family == AF_INET6) {
            struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&to;
            in6->sin6_family = AF_INET6;
            in6->sin6_addr = in6addr_loopback;
            in6->sin6_port = ((struct sockaddr_in6 *)&at)->sin6_port;
            to_len = sizeof *in6;
        } else {
            struct sockaddr_in *in = (struct sockaddr_in *)&to;
            in->sin_family = AF_INET;
            in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            in->sin_port = ((struct sockaddr_in6 *)&at)->sin6_port;
            to_len = sizeof *in;
        }
        CHECK_EQ(send_with(sender, &to, to_len, NULL, 0), 4);
        struct in6_pktinfo info;
        receive_only(receiver, IPPROTO_IPV6, IPV6_PKTINFO, &info, sizeof info);
        CHECK_EQ(info.ipi6_ifindex, 1);
        struct in6_addr want = in6addr_loopback;
        if (family == AF_INET) {
            memset(&want, 0, sizeof want);
            want.s6_addr[10] = want.s6_addr[11] = 0xff;
            want.s6_addr[12] = 127;
            want.s6_addr[15] = 1;
        }
        CHECK(memcmp(&info.ipi6_addr, &want, sizeof want) == 0);
        close(sender);
    }
    close(receiver);
}

int main(void) {
    ipv4_packet_info();
    ipv6_packet_info();
    ipv6_hop_limit_and_traffic_class();
    ipv4_ttl_and_tos();
    puts("ip_cmsg: ok");
    return 0;
}
