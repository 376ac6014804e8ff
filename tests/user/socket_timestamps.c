/* SO_TIMESTAMP and SO_TIMESTAMPNS (and their _NEW forms): a received
 * message comes with its arrival time on the wall clock, which for a
 * UDP datagram or TCP segment on the loopback and for a Unix datagram is
 * when it was sent (Linux stamps them in the sender's call). A Unix
 * stream's reads carry no time. */
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

#ifndef SO_TIMESTAMP_NEW
#define SO_TIMESTAMP_NEW 63
#define SO_TIMESTAMPNS_NEW 64
#endif
#define OLD_TIMESTAMP 29
#define OLD_TIMESTAMPNS 35

static long long now_ns(void) {
    struct timespec ts;
    CHECK_EQ(clock_gettime(CLOCK_REALTIME, &ts), 0);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void nap_ms(long ms) {
    struct timespec ts = {0, ms * 1000000};
    CHECK_EQ(nanosleep(&ts, NULL), 0);
}

static int option(int fd, int name) {
    int value = -1;
    socklen_t len = sizeof value;
    CHECK_EQ(getsockopt(fd, SOL_SOCKET, name, &value, &len), 0);
    return value;
}

/* Receives one message on `fd`; returns the type of its first control
 * message (0 if none) and its time in nanoseconds in *stamp. */
static int receive_stamp(int fd, long long *stamp, int *ctrunc, size_t room) {
    char data[64];
    union {
        char bytes[256];
        struct cmsghdr align;
    } control;
    struct iovec iov = {data, sizeof data};
    struct msghdr msg = {0};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.bytes;
    msg.msg_controllen = room;
    CHECK(recvmsg(fd, &msg, 0) > 0);
    *ctrunc = (msg.msg_flags & MSG_CTRUNC) != 0;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (c == NULL) return 0;
    CHECK_EQ(c->cmsg_level, SOL_SOCKET);
    long long words[2];
    CHECK_EQ(c->cmsg_len, CMSG_LEN(sizeof words));
    memcpy(words, CMSG_DATA(c), sizeof words);
    int ns = c->cmsg_type == OLD_TIMESTAMPNS || c->cmsg_type == SO_TIMESTAMPNS_NEW;
    CHECK(words[1] >= 0 && words[1] < (ns ? 1000000000 : 1000000));
    *stamp = words[0] * 1000000000LL + (ns ? words[1] : words[1] * 1000);
    return c->cmsg_type;
}

static void check_forms(int fd) {
    int on = 1, off = 0;
    CHECK_EQ(option(fd, OLD_TIMESTAMP), 0);
    CHECK_EQ(setsockopt(fd, SOL_SOCKET, OLD_TIMESTAMPNS, &on, sizeof on), 0);
    CHECK_EQ(option(fd, OLD_TIMESTAMPNS), 1);
    CHECK_EQ(option(fd, OLD_TIMESTAMP), 0);
    CHECK_EQ(option(fd, SO_TIMESTAMPNS_NEW), 0);
    CHECK_EQ(setsockopt(fd, SOL_SOCKET, SO_TIMESTAMP_NEW, &on, sizeof on), 0);
    CHECK_EQ(option(fd, SO_TIMESTAMP_NEW), 1);
    CHECK_EQ(option(fd, OLD_TIMESTAMPNS), 0);
    /* Turning any form off turns stamping off. */
    CHECK_EQ(setsockopt(fd, SOL_SOCKET, OLD_TIMESTAMPNS, &off, sizeof off), 0);
    CHECK_EQ(option(fd, SO_TIMESTAMP_NEW), 0);
}

int main(void) {
    /* UDP on the loopback: stamped when sent. */
    int rx = socket(AF_INET, SOCK_DGRAM, 0), tx = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(rx >= 0 && tx >= 0);
    check_forms(rx);
    struct sockaddr_in at = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK_EQ(bind(rx, (struct sockaddr *)&at, sizeof at), 0);
    socklen_t len = sizeof at;
    CHECK_EQ(getsockname(rx, (struct sockaddr *)&at, &len), 0);
    int on = 1;
    long long stamp;
    int truncated;
    /* Without the option: no control message. */
    CHECK_EQ(sendto(tx, "a", 1, 0, (struct sockaddr *)&at, sizeof at), 1);
    CHECK_EQ(receive_stamp(rx, &stamp, &truncated, 256), 0);

    CHECK_EQ(setsockopt(rx, SOL_SOCKET, OLD_TIMESTAMP, &on, sizeof on), 0);
    long long before = now_ns();
    CHECK_EQ(sendto(tx, "b", 1, 0, (struct sockaddr *)&at, sizeof at), 1);
    long long sent = now_ns();
    nap_ms(200);
    CHECK_EQ(receive_stamp(rx, &stamp, &truncated, 256), OLD_TIMESTAMP);
    CHECK(!truncated);
    /* Microseconds: within the send, give or take the rounding down. */
    CHECK(stamp >= before / 1000 * 1000 && stamp <= sent);

    CHECK_EQ(setsockopt(rx, SOL_SOCKET, OLD_TIMESTAMPNS, &on, sizeof on), 0);
    before = now_ns();
    CHECK_EQ(sendto(tx, "c", 1, 0, (struct sockaddr *)&at, sizeof at), 1);
    sent = now_ns();
    CHECK_EQ(receive_stamp(rx, &stamp, &truncated, 256), OLD_TIMESTAMPNS);
    CHECK(stamp >= before && stamp <= sent);

    CHECK_EQ(setsockopt(rx, SOL_SOCKET, SO_TIMESTAMPNS_NEW, &on, sizeof on), 0);
    CHECK_EQ(sendto(tx, "d", 1, 0, (struct sockaddr *)&at, sizeof at), 1);
    CHECK_EQ(receive_stamp(rx, &stamp, &truncated, 256), SO_TIMESTAMPNS_NEW);
    /* No room for the message: left out, and MSG_CTRUNC says so. */
    CHECK_EQ(sendto(tx, "e", 1, 0, (struct sockaddr *)&at, sizeof at), 1);
    CHECK_EQ(receive_stamp(rx, &stamp, &truncated, 8), 0);
    CHECK(truncated);
    close(rx);
    close(tx);

    /* Unix datagrams and sequenced packets: stamped when sent. */
    int kinds[2] = {SOCK_DGRAM, SOCK_SEQPACKET};
    for (int i = 0; i < 2; i++) {
        int pair[2];
        CHECK_EQ(socketpair(AF_UNIX, kinds[i], 0, pair), 0);
        CHECK_EQ(setsockopt(pair[1], SOL_SOCKET, OLD_TIMESTAMPNS, &on, sizeof on), 0);
        before = now_ns();
        CHECK_EQ(send(pair[0], "u", 1, 0), 1);
        sent = now_ns();
        nap_ms(100);
        CHECK_EQ(receive_stamp(pair[1], &stamp, &truncated, 256), OLD_TIMESTAMPNS);
        CHECK(stamp >= before && stamp <= sent);
        close(pair[0]);
        close(pair[1]);
    }
    /* A Unix stream: no time at all. */
    int pair[2];
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
    CHECK_EQ(setsockopt(pair[1], SOL_SOCKET, OLD_TIMESTAMP, &on, sizeof on), 0);
    CHECK_EQ(option(pair[1], OLD_TIMESTAMP), 1);
    CHECK_EQ(send(pair[0], "s", 1, 0), 1);
    CHECK_EQ(receive_stamp(pair[1], &stamp, &truncated, 256), 0);
    close(pair[0]);
    close(pair[1]);

    /* TCP on the loopback: stamped when sent. */
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in server = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK_EQ(bind(listener, (struct sockaddr *)&server, sizeof server), 0);
    CHECK_EQ(listen(listener, 1), 0);
    len = sizeof server;
    CHECK_EQ(getsockname(listener, (struct sockaddr *)&server, &len), 0);
    int client = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_EQ(connect(client, (struct sockaddr *)&server, sizeof server), 0);
    int accepted = accept(listener, NULL, NULL);
    CHECK(accepted >= 0);
    CHECK_EQ(setsockopt(accepted, SOL_SOCKET, OLD_TIMESTAMPNS, &on, sizeof on), 0);
    before = now_ns();
    CHECK_EQ(send(client, "t", 1, 0), 1);
    sent = now_ns();
    nap_ms(100);
    CHECK_EQ(receive_stamp(accepted, &stamp, &truncated, 256), OLD_TIMESTAMPNS);
    /* Linux may stamp a segment as its softirq takes it, just after the
     * send returns: well before the read, a tenth of a second later. */
    CHECK(stamp >= before && stamp < sent + 50000000);
    return 0;
}
