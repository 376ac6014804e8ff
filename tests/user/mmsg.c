/* sendmmsg and recvmmsg: several datagrams a call, each message's length
 * in its msg_len, MSG_WAITFORONE waiting for the first message only, and
 * the first failure ending the call with the count before it. */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

#define COUNT 4

static struct mmsghdr messages[COUNT];
static struct iovec iovecs[COUNT];
static char buffers[COUNT][16];

/* Points message i at buffers[i], `len` bytes of it. */
static void prepare(int count, size_t len) {
    memset(messages, 0, sizeof messages);
    for (int i = 0; i < count; i++) {
        iovecs[i].iov_base = buffers[i];
        iovecs[i].iov_len = len;
        messages[i].msg_hdr.msg_iov = &iovecs[i];
        messages[i].msg_hdr.msg_iovlen = 1;
        messages[i].msg_len = 12345;
    }
}

static void on_alarm(int signal) {
    (void)signal;
    fprintf(stderr, "recvmmsg waited past its first message\n");
    _exit(1);
}

int main(void) {
    int pair[2];
    CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, pair), 0);
    const char *words[] = {"one", "three", "fives"};
    prepare(3, 0);
    for (int i = 0; i < 3; i++) {
        strcpy(buffers[i], words[i]);
        iovecs[i].iov_len = strlen(words[i]);
    }
    CHECK_EQ(sendmmsg(pair[0], messages, 3, 0), 3);
    CHECK_EQ(messages[1].msg_len, 5);

    prepare(COUNT, sizeof buffers[0]);
    CHECK_EQ(recvmmsg(pair[1], messages, COUNT, MSG_DONTWAIT, NULL), 3);
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(messages[i].msg_len, strlen(words[i]));
        CHECK(memcmp(buffers[i], words[i], strlen(words[i])) == 0);
    }
    CHECK_EQ(messages[3].msg_len, 12345);
    CHECK_EQ(recvmmsg(pair[1], messages, COUNT, MSG_DONTWAIT, NULL), -1);
    CHECK_EQ(errno, EAGAIN);

    /* A blocking call with MSG_WAITFORONE returns after one message. */
    signal(SIGALRM, on_alarm);
    alarm(5);
    CHECK_EQ(write(pair[0], "x", 1), 1);
    struct timespec timeout = {10, 0};
    CHECK_EQ(recvmmsg(pair[1], messages, COUNT, MSG_WAITFORONE, &timeout), 1);
    alarm(0);
    CHECK_EQ(messages[0].msg_len, 1);
    /* The time left went back to the caller. */
    CHECK(timeout.tv_sec <= 10 && timeout.tv_sec >= 5);

    /* UDP on the loopback, to itself: the same through the Internet
     * sockets, and the first bad message ends sendmmsg. */
    int udp = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(udp >= 0);
    struct sockaddr_in self = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK_EQ(bind(udp, (struct sockaddr *)&self, sizeof self), 0);
    socklen_t len = sizeof self;
    CHECK_EQ(getsockname(udp, (struct sockaddr *)&self, &len), 0);
    CHECK_EQ(connect(udp, (struct sockaddr *)&self, sizeof self), 0);
    prepare(2, 4);
    memcpy(buffers[0], "ping", 4);
    iovecs[1].iov_base = (void *)16; /* unmapped */
    CHECK_EQ(sendmmsg(udp, messages, 2, 0), 1);
    CHECK_EQ(sendmmsg(udp, &messages[1], 1, 0), -1);
    CHECK_EQ(errno, EFAULT);
    prepare(COUNT, sizeof buffers[0]);
    CHECK_EQ(recvmmsg(udp, messages, COUNT, MSG_DONTWAIT, NULL), 1);
    CHECK_EQ(messages[0].msg_len, 4);
    CHECK(memcmp(buffers[0], "ping", 4) == 0);
    return 0;
}
