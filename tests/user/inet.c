/* Internet sockets on the loopback, as servers and clients use them: TCP
 * over IPv4 and IPv6 (a dual-stack listener taking IPv4 clients), ports
 * from bind and from the kernel, addresses from accept, getsockname and
 * getpeername, non-blocking connects (EINPROGRESS, then poll and
 * SO_ERROR), refused connections, EADDRINUSE and SO_REUSEADDR, shutdown,
 * EPIPE, a bulk transfer across fork, options; and UDP datagrams with
 * their senders, connected and unconnected. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

static struct sockaddr_in loopback(unsigned short port) {
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static unsigned short port_of(int fd) {
    struct sockaddr_storage a;
    socklen_t len = sizeof a;
    CHECK_EQ(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    if (a.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&a)->sin6_port);
    CHECK_EQ(len, sizeof(struct sockaddr_in));
    return ntohs(((struct sockaddr_in *)&a)->sin_port);
}

/* A TCP listener on 127.0.0.1 at a port the kernel picks. */
static int listener(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    struct sockaddr_in a = loopback(0);
    CHECK_EQ(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    CHECK_EQ(listen(fd, 16), 0);
    return fd;
}

static int sockopt(int fd, int level, int name) {
    int value = -1;
    socklen_t len = sizeof value;
    CHECK_EQ(getsockopt(fd, level, name, &value, &len), 0);
    CHECK_EQ(len, sizeof value);
    return value;
}

static void tcp_client_and_server_name_each_other(void) {
    int server = listener();
    unsigned short port = port_of(server);
    CHECK(port >= 1024);
    int client = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    struct sockaddr_in peer;
    socklen_t len = sizeof peer;
    CHECK_EQ(getpeername(client, (struct sockaddr *)&peer, &len), -1);
    CHECK_EQ(errno, ENOTCONN);
    struct sockaddr_in to = loopback(port);
    CHECK_EQ(connect(client, (struct sockaddr *)&to, sizeof to), 0);
    struct sockaddr_in from;
    len = sizeof from;
    int conn = accept(server, (struct sockaddr *)&from, &len);
    CHECK(conn >= 0);
    CHECK_EQ(len, sizeof from);
    CHECK_EQ(from.sin_family, AF_INET);
    CHECK_EQ(from.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
    CHECK_EQ(ntohs(from.sin_port), port_of(client));
    len = sizeof peer;
    CHECK_EQ(getpeername(client, (struct sockaddr *)&peer, &len), 0);
    CHECK_EQ(ntohs(peer.sin_port), port);
    CHECK_EQ(port_of(conn), port);
    CHECK_EQ(sockopt(client, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
    CHECK_EQ(sockopt(client, SOL_SOCKET, SO_DOMAIN), AF_INET);
    CHECK_EQ(sockopt(client, SOL_SOCKET, SO_PROTOCOL), IPPROTO_TCP);
    CHECK_EQ(sockopt(server, SOL_SOCKET, SO_ACCEPTCONN), 1);
    int one = 1;
    CHECK_EQ(setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), 0);
    CHECK_EQ(sockopt(client, IPPROTO_TCP, TCP_NODELAY), 1);
    CHECK_EQ(sockopt(client, IPPROTO_IP, IP_TTL), 64);

    CHECK_EQ(send(client, "ping", 4, 0), 4);
    char buf[16];
    CHECK_EQ(recv(conn, buf, sizeof buf, 0), 4);
    CHECK(memcmp(buf, "ping", 4) == 0);
    CHECK_EQ(write(conn, "pong!", 5), 5);
    CHECK_EQ(read(client, buf, sizeof buf), 5);
    /* Half close: the server reads end of file and can still answer. */
    CHECK_EQ(shutdown(client, SHUT_WR), 0);
    CHECK_EQ(read(conn, buf, sizeof buf), 0);
    CHECK_EQ(write(conn, "bye", 3), 3);
    CHECK_EQ(read(client, buf, sizeof buf), 3);
    close(conn);
    CHECK_EQ(read(client, buf, sizeof buf), 0);
    close(client);
    close(server);
}

static void writing_to_a_closed_peer_gives_epipe(void) {
    int server = listener();
    int client = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in to = loopback(port_of(server));
    CHECK_EQ(connect(client, (struct sockaddr *)&to, sizeof to), 0);
    int conn = accept(server, NULL, NULL);
    CHECK(conn >= 0);
    close(conn);
    /* Linux takes one send before the peer's reset arrives. */
    ssize_t n = 0;
    int tries = 0;
    while (tries++ < 20 && (n = send(client, "x", 1, MSG_NOSIGNAL)) == 1) usleep(10000);
    CHECK_EQ(n, -1);
    CHECK(errno == EPIPE || errno == ECONNRESET);
    close(client);
    close(server);
}

static void nonblocking_connects_finish_through_poll(void) {
    int server = listener();
    int client = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in to = loopback(port_of(server));
    CHECK_EQ(connect(client, (struct sockaddr *)&to, sizeof to), -1);
    CHECK_EQ(errno, EINPROGRESS);
    struct pollfd p = {client, POLLOUT, 0};
    CHECK_EQ(poll(&p, 1, 5000), 1);
    CHECK(p.revents & POLLOUT);
    CHECK_EQ(sockopt(client, SOL_SOCKET, SO_ERROR), 0);
    int conn = accept4(server, NULL, NULL, SOCK_NONBLOCK);
    CHECK(conn >= 0);
    char buf[4];
    CHECK_EQ(read(conn, buf, sizeof buf), -1);
    CHECK_EQ(errno, EAGAIN);
    CHECK_EQ(write(client, "abc", 3), 3);
    struct pollfd r = {conn, POLLIN, 0};
    CHECK_EQ(poll(&r, 1, 5000), 1);
    CHECK_EQ(read(conn, buf, sizeof buf), 3);
    close(conn);
    close(client);

    /* Nobody listens on a port just freed: refused, at once or later. */
    int gone = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in any = loopback(0);
    CHECK_EQ(bind(gone, (struct sockaddr *)&any, sizeof any), 0);
    struct sockaddr_in dead = loopback(port_of(gone));
    close(gone);
    int blocking = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_EQ(connect(blocking, (struct sockaddr *)&dead, sizeof dead), -1);
    CHECK_EQ(errno, ECONNREFUSED);
    close(blocking);
    int later = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    CHECK_EQ(connect(later, (struct sockaddr *)&dead, sizeof dead), -1);
    CHECK_EQ(errno, EINPROGRESS);
    struct pollfd e = {later, POLLOUT, 0};
    CHECK_EQ(poll(&e, 1, 5000), 1);
    CHECK(e.revents & POLLERR);
    CHECK_EQ(sockopt(later, SOL_SOCKET, SO_ERROR), ECONNREFUSED);
    CHECK_EQ(sockopt(later, SOL_SOCKET, SO_ERROR), 0);
    close(later);

    close(server);
}

static void ports_are_shared_only_when_asked(void) {
    int server = listener();
    unsigned short port = port_of(server);
    int other = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in same = loopback(port);
    CHECK_EQ(bind(other, (struct sockaddr *)&same, sizeof same), -1);
    CHECK_EQ(errno, EADDRINUSE);
    struct sockaddr_in wildcard = loopback(port);
    wildcard.sin_addr.s_addr = htonl(INADDR_ANY);
    CHECK_EQ(bind(other, (struct sockaddr *)&wildcard, sizeof wildcard), -1);
    CHECK_EQ(errno, EADDRINUSE);
    close(other);
    close(server);
    /* Two sockets with SO_REUSEADDR share a port until one listens. */
    int one = 1;
    int a = socket(AF_INET, SOCK_STREAM, 0), b = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_EQ(setsockopt(a, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), 0);
    CHECK_EQ(setsockopt(b, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), 0);
    CHECK_EQ(sockopt(a, SOL_SOCKET, SO_REUSEADDR), 1);
    struct sockaddr_in any = loopback(0);
    CHECK_EQ(bind(a, (struct sockaddr *)&any, sizeof any), 0);
    struct sockaddr_in shared = loopback(port_of(a));
    CHECK_EQ(bind(b, (struct sockaddr *)&shared, sizeof shared), 0);
    close(b);
    CHECK_EQ(listen(a, 1), 0);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_EQ(setsockopt(c, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), 0);
    CHECK_EQ(bind(c, (struct sockaddr *)&shared, sizeof shared), -1);
    CHECK_EQ(errno, EADDRINUSE);
    close(c);
    close(a);
    /* A port below 1024 needs root; a foreign address is not ours. */
    int d = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in foreign = loopback(0);
    foreign.sin_addr.s_addr = inet_addr("192.0.2.1");
    CHECK_EQ(bind(d, (struct sockaddr *)&foreign, sizeof foreign), -1);
    CHECK_EQ(errno, EADDRNOTAVAIL);
    CHECK_EQ(bind(d, (struct sockaddr *)&any, sizeof any - 1), -1);
    CHECK_EQ(errno, EINVAL);
    close(d);
}

static void ipv6_and_dual_stack(void) {
    int server = socket(AF_INET6, SOCK_STREAM, 0);
    CHECK(server >= 0);
    CHECK_EQ(sockopt(server, IPPROTO_IPV6, IPV6_V6ONLY), 0);
    struct sockaddr_in6 any;
    memset(&any, 0, sizeof any);
    any.sin6_family = AF_INET6;
    any.sin6_addr = in6addr_any;
    CHECK_EQ(bind(server, (struct sockaddr *)&any, sizeof any), 0);
    CHECK_EQ(listen(server, 4), 0);
    unsigned short port = port_of(server);
    /* An IPv6 client on ::1. */
    int six = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 to = any;
    to.sin6_addr = in6addr_loopback;
    to.sin6_port = htons(port);
    CHECK_EQ(connect(six, (struct sockaddr *)&to, sizeof to), 0);
    struct sockaddr_in6 from;
    socklen_t len = sizeof from;
    int conn = accept(server, (struct sockaddr *)&from, &len);
    CHECK(conn >= 0);
    CHECK_EQ(len, sizeof from);
    CHECK(IN6_IS_ADDR_LOOPBACK(&from.sin6_addr));
    CHECK_EQ(ntohs(from.sin6_port), port_of(six));
    close(conn);
    close(six);
    /* An IPv4 client reaches the dual-stack listener, seen as mapped. */
    int four = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in to4 = loopback(port);
    CHECK_EQ(connect(four, (struct sockaddr *)&to4, sizeof to4), 0);
    len = sizeof from;
    conn = accept(server, (struct sockaddr *)&from, &len);
    CHECK(conn >= 0);
    CHECK(IN6_IS_ADDR_V4MAPPED(&from.sin6_addr));
    CHECK_EQ(from.sin6_addr.s6_addr[12], 127);
    CHECK_EQ(write(four, "4", 1), 1);
    char c;
    CHECK_EQ(read(conn, &c, 1), 1);
    close(conn);
    close(four);
    close(server);
    /* IPV6_V6ONLY keeps IPv4 out. */
    int only = socket(AF_INET6, SOCK_STREAM, 0);
    int one = 1;
    CHECK_EQ(setsockopt(only, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one), 0);
    CHECK_EQ(bind(only, (struct sockaddr *)&any, sizeof any), 0);
    CHECK_EQ(listen(only, 1), 0);
    int refused = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in to_only = loopback(port_of(only));
    CHECK_EQ(connect(refused, (struct sockaddr *)&to_only, sizeof to_only), -1);
    CHECK_EQ(errno, ECONNREFUSED);
    close(refused);
    close(only);
}

static void a_megabyte_crosses_a_fork(void) {
    int server = listener();
    unsigned short port = port_of(server);
    pid_t child = fork();
    if (child == 0) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in to = loopback(port);
        if (connect(fd, (struct sockaddr *)&to, sizeof to) != 0) _exit(2);
        static char block[65536];
        for (int i = 0; i < 16; i++) {
            memset(block, 'a' + i, sizeof block);
            size_t done = 0;
            while (done < sizeof block) {
                ssize_t n = write(fd, block + done, sizeof block - done);
                if (n <= 0) _exit(3);
                done += n;
            }
        }
        _exit(0);
    }
    int conn = accept(server, NULL, NULL);
    CHECK(conn >= 0);
    static char buf[8192];
    size_t total = 0;
    ssize_t n;
    while ((n = read(conn, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++) CHECK_EQ(buf[i], 'a' + (int)((total + i) / 65536));
        total += n;
    }
    CHECK_EQ(n, 0);
    CHECK_EQ(total, 16 * 65536);
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(conn);
    close(server);
}

static void udp_datagrams(void) {
    int receiver = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in any = loopback(0);
    CHECK_EQ(bind(receiver, (struct sockaddr *)&any, sizeof any), 0);
    struct sockaddr_in here = loopback(port_of(receiver));
    CHECK_EQ(sockopt(receiver, SOL_SOCKET, SO_PROTOCOL), IPPROTO_UDP);
    int sender = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    CHECK_EQ(send(sender, "x", 1, 0), -1);
    CHECK_EQ(errno, EDESTADDRREQ);
    CHECK_EQ(sendto(sender, "one", 3, 0, (struct sockaddr *)&here, sizeof here), 3);
    CHECK_EQ(sendto(sender, "three", 5, 0, (struct sockaddr *)&here, sizeof here), 5);
    char buf[16];
    struct sockaddr_in from;
    socklen_t len = sizeof from;
    CHECK_EQ(recvfrom(receiver, buf, 2, 0, (struct sockaddr *)&from, &len), 2);
    CHECK_EQ(len, sizeof from);
    CHECK_EQ(from.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
    CHECK_EQ(ntohs(from.sin_port), port_of(sender));
    CHECK_EQ(recv(receiver, buf, sizeof buf, MSG_PEEK), 5);
    CHECK_EQ(recv(receiver, buf, 2, MSG_TRUNC), 5);
    CHECK_EQ(recv(receiver, buf, sizeof buf, MSG_DONTWAIT), -1);
    CHECK_EQ(errno, EAGAIN);
    /* A datagram to a port nobody holds is sent and lost. */
    int gone = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK_EQ(bind(gone, (struct sockaddr *)&any, sizeof any), 0);
    struct sockaddr_in nowhere = loopback(port_of(gone));
    close(gone);
    CHECK_EQ(sendto(sender, "lost", 4, 0, (struct sockaddr *)&nowhere, sizeof nowhere), 4);
    /* Connected: plain send and getpeername. */
    CHECK_EQ(connect(sender, (struct sockaddr *)&here, sizeof here), 0);
    struct sockaddr_in peer;
    len = sizeof peer;
    CHECK_EQ(getpeername(sender, (struct sockaddr *)&peer, &len), 0);
    CHECK_EQ(ntohs(peer.sin_port), ntohs(here.sin_port));
    CHECK_EQ(write(sender, "conn", 4), 4);
    struct pollfd p = {receiver, POLLIN, 0};
    CHECK_EQ(poll(&p, 1, 5000), 1);
    CHECK_EQ(read(receiver, buf, sizeof buf), 4);
    CHECK(memcmp(buf, "conn", 4) == 0);
    /* Connected to a port nobody holds: the send goes, and the "port
     * unreachable" answer fails the next receive. */
    int lonely = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK_EQ(connect(lonely, (struct sockaddr *)&nowhere, sizeof nowhere), 0);
    CHECK_EQ(send(lonely, "anyone?", 7, 0), 7);
    struct pollfd q = {lonely, POLLIN, 0};
    CHECK_EQ(poll(&q, 1, 5000), 1);
    CHECK(q.revents & POLLERR);
    CHECK_EQ(recv(lonely, buf, sizeof buf, MSG_DONTWAIT), -1);
    CHECK_EQ(errno, ECONNREFUSED);
    CHECK_EQ(recv(lonely, buf, sizeof buf, MSG_DONTWAIT), -1);
    CHECK_EQ(errno, EAGAIN);
    close(lonely);
    /* AF_UNSPEC dissolves the association. */
    struct sockaddr unspec = {.sa_family = AF_UNSPEC};
    CHECK_EQ(connect(sender, &unspec, sizeof unspec), 0);
    CHECK_EQ(send(sender, "x", 1, 0), -1);
    CHECK_EQ(errno, EDESTADDRREQ);
    close(sender);
    close(receiver);
}

/* A connected pair on the loopback: the client and the accepted end. */
static void tcp_pair(int listener, int *client, int *server) {
    struct sockaddr_in at;
    socklen_t len = sizeof at;
    CHECK_EQ(getsockname(listener, (struct sockaddr *)&at, &len), 0);
    *client = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_EQ(connect(*client, (struct sockaddr *)&at, len), 0);
    *server = accept(listener, NULL, NULL);
    CHECK(*server >= 0);
}

/* An abortive close (SO_LINGER on with no time, or bytes left unread)
 * resets the connection: the peer reads what was queued, then
 * ECONNRESET once, then end of file; it has no peer name any more and
 * sends fail with EPIPE. A plain close keeps the peer's name until a
 * send is answered by a reset. */
static void resets_and_lingering(void) {
    int listening = listener();
    struct linger linger = {1, 0}, got;
    socklen_t len = sizeof got;
    char buf[8];
    for (int round = 0; round < 3; round++) {
        int client, server;
        tcp_pair(listening, &client, &server);
        if (round < 2) {
            CHECK_EQ(setsockopt(server, SOL_SOCKET, SO_LINGER, &linger, sizeof linger), 0);
            CHECK_EQ(getsockopt(server, SOL_SOCKET, SO_LINGER, &got, &len), 0);
            CHECK_EQ(len, sizeof got);
            CHECK_EQ(got.l_onoff, 1);
            CHECK_EQ(got.l_linger, 0);
        }
        if (round == 1)
            CHECK_EQ(write(server, "data", 4), 4);
        if (round == 2) {
            CHECK_EQ(write(client, "unread", 6), 6);
            usleep(10000);
        }
        close(server);
        usleep(10000);
        if (round == 1)
            CHECK_EQ(recv(client, buf, sizeof buf, 0), 4);
        errno = 0;
        CHECK_EQ(recv(client, buf, sizeof buf, 0), -1);
        CHECK_EQ(errno, ECONNRESET);
        CHECK_EQ(recv(client, buf, sizeof buf, 0), 0);
        struct sockaddr_in peer;
        socklen_t peer_len = sizeof peer;
        errno = 0;
        CHECK_EQ(getpeername(client, (struct sockaddr *)&peer, &peer_len), -1);
        CHECK_EQ(errno, ENOTCONN);
        errno = 0;
        CHECK_EQ(send(client, "x", 1, MSG_NOSIGNAL), -1);
        CHECK_EQ(errno, EPIPE);
        close(client);
    }
    /* An accepted socket takes the listener's buffer sizes. */
    int size = 4096, client, server;
    CHECK_EQ(setsockopt(listening, SOL_SOCKET, SO_RCVBUF, &size, sizeof size), 0);
    tcp_pair(listening, &client, &server);
    CHECK_EQ(sockopt(server, SOL_SOCKET, SO_RCVBUF), sockopt(listening, SOL_SOCKET, SO_RCVBUF));
    close(client);
    close(server);
    /* Python's ssl wraps a socket whose peer closed: it is connected. */
    tcp_pair(listening, &client, &server);
    struct sockaddr_in before, after;
    socklen_t before_len = sizeof before, after_len = sizeof after;
    CHECK_EQ(getpeername(client, (struct sockaddr *)&before, &before_len), 0);
    close(server);
    usleep(10000);
    CHECK_EQ(getpeername(client, (struct sockaddr *)&after, &after_len), 0);
    CHECK(memcmp(&before, &after, sizeof before) == 0);
    CHECK_EQ(send(client, "x", 1, MSG_NOSIGNAL), 1);
    usleep(10000);
    errno = 0;
    CHECK_EQ(getpeername(client, (struct sockaddr *)&after, &after_len), -1);
    CHECK_EQ(errno, ENOTCONN);
    CHECK_EQ(recv(client, buf, sizeof buf, 0), 0);
    close(client);
    /* A listener closed with a connection it never accepted resets it:
     * the client reads ECONNRESET, not end of file. */
    struct sockaddr_in at;
    socklen_t at_len = sizeof at;
    CHECK_EQ(getsockname(listening, (struct sockaddr *)&at, &at_len), 0);
    client = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(client >= 0);
    CHECK_EQ(connect(client, (struct sockaddr *)&at, at_len), 0);
    close(listening);
    usleep(10000);
    errno = 0;
    CHECK_EQ(recv(client, buf, sizeof buf, 0), -1);
    CHECK_EQ(errno, ECONNRESET);
    CHECK_EQ(recv(client, buf, sizeof buf, 0), 0);
    close(client);
}

static void arguments_are_checked(void) {
    CHECK_EQ(socket(AF_INET, SOCK_STREAM, IPPROTO_UDP), -1);
    CHECK_EQ(errno, EPROTONOSUPPORT);
    CHECK_EQ(socket(AF_INET, SOCK_SEQPACKET, 0), -1);
    CHECK_EQ(errno, ESOCKTNOSUPPORT);
    int sv[2];
    CHECK_EQ(socketpair(AF_INET, SOCK_STREAM, 0, sv), -1);
    CHECK_EQ(errno, EOPNOTSUPP);
    int udp = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK_EQ(listen(udp, 1), -1);
    CHECK_EQ(errno, EOPNOTSUPP);
    int one = 1;
    CHECK_EQ(setsockopt(udp, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), -1);
    CHECK_EQ(errno, ENOPROTOOPT);
    close(udp);
    /* A TCP socket never connected: EPIPE (and SIGPIPE unless asked). */
    int tcp = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_EQ(send(tcp, "x", 1, MSG_NOSIGNAL), -1);
    CHECK_EQ(errno, EPIPE);
    /* Receiving on it does not wait (Python's ssl asks so): ENOTCONN, for
     * a listener too. */
    char byte;
    errno = 0;
    CHECK_EQ(recv(tcp, &byte, 1, 0), -1);
    CHECK_EQ(errno, ENOTCONN);
    errno = 0;
    CHECK_EQ(read(tcp, &byte, 1), -1);
    CHECK_EQ(errno, ENOTCONN);
    CHECK_EQ(listen(tcp, 1), 0);
    errno = 0;
    CHECK_EQ(recv(tcp, &byte, 1, 0), -1);
    CHECK_EQ(errno, ENOTCONN);
    close(tcp);
}

int main(void) {
    tcp_client_and_server_name_each_other();
    writing_to_a_closed_peer_gives_epipe();
    nonblocking_connects_finish_through_poll();
    ports_are_shared_only_when_asked();
    ipv6_and_dual_stack();
    a_megabyte_crosses_a_fork();
    udp_datagrams();
    resets_and_lingering();
    arguments_are_checked();
    puts("inet: ok");
    return 0;
}
