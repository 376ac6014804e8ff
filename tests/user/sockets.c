/* Unix-domain sockets as programs use them: socketpair streams, datagrams
 * and packets; descriptors and credentials passed in control messages;
 * SO_PEERCRED; shutdown, EPIPE and SIGPIPE; non-blocking and poll
 * readiness; MSG_PEEK; and servers bound to abstract names and to paths,
 * with listen, connect and accept across fork; autobound names; waits
 * that signals interrupt, and SO_RCVTIMEO and SO_SNDTIMEO. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

static volatile sig_atomic_t sigpipes;
static void on_sigpipe(int sig) { (void)sig; sigpipes++; }

/* Sends `fd` (and `byte`) over `sock` with SCM_RIGHTS. */
static void send_fd(int sock, int fd) {
    char byte = 'F';
    struct iovec iov = {&byte, 1};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                         .msg_controllen = sizeof control.buf};
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);
    CHECK_EQ(sendmsg(sock, &msg, 0), 1);
}

static int receive_fd(int sock) {
    char byte;
    struct iovec iov = {&byte, 1};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                         .msg_controllen = sizeof control.buf};
    CHECK_EQ(recvmsg(sock, &msg, MSG_CMSG_CLOEXEC), 1);
    CHECK_EQ(byte, 'F');
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    CHECK(cmsg != NULL);
    CHECK_EQ(cmsg->cmsg_level, SOL_SOCKET);
    CHECK_EQ(cmsg->cmsg_type, SCM_RIGHTS);
    int fd;
    memcpy(&fd, CMSG_DATA(cmsg), sizeof fd);
    CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    return fd;
}

static void streams(void) {
    int sv[2];
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    CHECK_EQ(write(sv[0], "hello ", 6), 6);
    CHECK_EQ(send(sv[0], "world", 5, 0), 5);
    char buf[64] = {0};
    CHECK_EQ(recv(sv[1], buf, sizeof buf, MSG_PEEK), 11);
    CHECK_EQ(read(sv[1], buf, sizeof buf), 11);
    CHECK(memcmp(buf, "hello world", 11) == 0);
    CHECK_EQ(write(sv[1], "back", 4), 4);
    CHECK_EQ(read(sv[0], buf, 4), 4);
    int type;
    socklen_t len = sizeof type;
    CHECK_EQ(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &type, &len), 0);
    CHECK_EQ(type, SOCK_STREAM);
    struct ucred cred;
    len = sizeof cred;
    CHECK_EQ(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &cred, &len), 0);
    CHECK_EQ(len, sizeof cred);
    CHECK_EQ(cred.pid, getpid());
    CHECK_EQ(cred.uid, geteuid());
    struct stat st;
    CHECK_EQ(fstat(sv[0], &st), 0);
    CHECK(S_ISSOCK(st.st_mode));
    char path[32], link[64] = {0};
    snprintf(path, sizeof path, "/proc/self/fd/%d", sv[0]);
    CHECK(readlink(path, link, sizeof link - 1) > 0);
    CHECK(strncmp(link, "socket:[", 8) == 0);

    /* Non-blocking reads, readiness, shutdown. */
    CHECK_EQ(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
    errno = 0;
    CHECK_EQ(read(sv[1], buf, 1), -1);
    CHECK_EQ(errno, EAGAIN);
    errno = 0;
    CHECK_EQ(recv(sv[0], buf, 1, MSG_DONTWAIT), -1);
    CHECK_EQ(errno, EAGAIN);
    struct pollfd pfd = {.fd = sv[1], .events = POLLIN | POLLOUT};
    CHECK_EQ(poll(&pfd, 1, 0), 1);
    CHECK_EQ(pfd.revents, POLLOUT);
    CHECK_EQ(shutdown(sv[0], SHUT_WR), 0);
    CHECK_EQ(read(sv[1], buf, 1), 0);
    CHECK_EQ(poll(&pfd, 1, 0), 1);
    CHECK(pfd.revents & POLLIN);

    /* EPIPE with SIGPIPE, or without under MSG_NOSIGNAL. */
    signal(SIGPIPE, on_sigpipe);
    close(sv[1]);
    errno = 0;
    CHECK_EQ(send(sv[0], "x", 1, MSG_NOSIGNAL), -1);
    CHECK_EQ(errno, EPIPE);
    CHECK_EQ(sigpipes, 0);
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv + 0), 0);
    close(sv[1]);
    errno = 0;
    CHECK_EQ(write(sv[0], "x", 1), -1);
    CHECK_EQ(errno, EPIPE);
    CHECK_EQ(sigpipes, 1);
    close(sv[0]);
}

static void datagrams_and_packets(void) {
    int sv[2];
    CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
    /* A receive of no bytes waits for a datagram; a read of none does not. */
    errno = 0;
    CHECK_EQ(recv(sv[1], NULL, 0, MSG_DONTWAIT), -1);
    CHECK_EQ(errno, EAGAIN);
    CHECK_EQ(read(sv[1], NULL, 0), 0);
    CHECK_EQ(send(sv[0], "one", 3, 0), 3);
    CHECK_EQ(read(sv[1], NULL, 0), 0);
    /* The next datagram's size, as programs ask it. */
    CHECK_EQ(recv(sv[1], NULL, 0, MSG_PEEK | MSG_TRUNC), 3);
    CHECK_EQ(send(sv[0], "three", 5, 0), 5);
    char buf[8] = {0};
    /* A short read of a datagram drops the rest; MSG_TRUNC says how long. */
    CHECK_EQ(recv(sv[1], buf, 2, MSG_TRUNC), 3);
    CHECK_EQ(recv(sv[1], buf, sizeof buf, 0), 5);
    CHECK(memcmp(buf, "three", 5) == 0);
    close(sv[0]);
    close(sv[1]);

    CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    CHECK(fcntl(sv[0], F_GETFD) & FD_CLOEXEC);
    char big[100];
    memset(big, 'p', sizeof big);
    CHECK_EQ(write(sv[0], big, sizeof big), (long)sizeof big);
    CHECK_EQ(write(sv[0], "end", 3), 3);
    struct iovec iov = {buf, 4};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    CHECK_EQ(recvmsg(sv[1], &msg, 0), 4);
    CHECK(msg.msg_flags & MSG_TRUNC);
    CHECK_EQ(read(sv[1], buf, sizeof buf), 3);
    close(sv[0]);
    CHECK_EQ(read(sv[1], buf, sizeof buf), 0);
    close(sv[1]);
}

static void passing_descriptors_and_credentials(void) {
    int sv[2], p[2];
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    CHECK_EQ(pipe(p), 0);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        /* The child gets the pipe's write end over the socket and writes. */
        close(p[1]);
        int fd = receive_fd(sv[1]);
        _exit(write(fd, "via", 3) == 3 ? 0 : 1);
    }
    send_fd(sv[0], p[1]);
    close(p[1]);
    char buf[4] = {0};
    CHECK_EQ(read(p[0], buf, 3), 3);
    CHECK(memcmp(buf, "via", 3) == 0);
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* The child's copy closed too: end of file. */
    CHECK_EQ(read(p[0], buf, 1), 0);
    close(p[0]);

    /* SO_PASSCRED: the sender's credentials come along. */
    int on = 1;
    CHECK_EQ(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on), 0);
    CHECK_EQ(write(sv[0], "c", 1), 1);
    char byte;
    struct iovec iov = {&byte, 1};
    union {
        char buf[CMSG_SPACE(sizeof(struct ucred))];
        struct cmsghdr align;
    } control;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                         .msg_controllen = sizeof control.buf};
    CHECK_EQ(recvmsg(sv[1], &msg, 0), 1);
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    CHECK(cmsg != NULL && cmsg->cmsg_type == SCM_CREDENTIALS);
    struct ucred cred;
    memcpy(&cred, CMSG_DATA(cmsg), sizeof cred);
    CHECK_EQ(cred.pid, getpid());
    CHECK_EQ(cred.uid, getuid());
    close(sv[0]);
    close(sv[1]);
}

/* A server on `addr` accepts one connection, echoes a line upper-cased. */
static void serve_and_connect(const struct sockaddr_un *addr, socklen_t len) {
    int server = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(server >= 0);
    CHECK_EQ(bind(server, (const struct sockaddr *)addr, len), 0);
    CHECK_EQ(listen(server, 4), 0);
    int again = socket(AF_UNIX, SOCK_STREAM, 0);
    errno = 0;
    CHECK_EQ(bind(again, (const struct sockaddr *)addr, len), -1);
    CHECK_EQ(errno, EADDRINUSE);
    close(again);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        int c = socket(AF_UNIX, SOCK_STREAM, 0);
        if (connect(c, (const struct sockaddr *)addr, len) != 0) _exit(2);
        if (write(c, "ping", 4) != 4) _exit(3);
        char reply[4];
        if (read(c, reply, 4) != 4 || memcmp(reply, "PING", 4) != 0) _exit(4);
        _exit(0);
    }
    struct sockaddr_un peer;
    socklen_t peer_len = sizeof peer;
    int conn = accept4(server, (struct sockaddr *)&peer, &peer_len, SOCK_CLOEXEC);
    CHECK(conn >= 0);
    CHECK_EQ(peer_len, offsetof(struct sockaddr_un, sun_path)); /* unnamed client */
    char buf[4];
    CHECK_EQ(read(conn, buf, 4), 4);
    for (int i = 0; i < 4; i++) buf[i] -= 'a' - 'A';
    CHECK_EQ(write(conn, buf, 4), 4);
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 0);
    struct sockaddr_un name;
    socklen_t name_len = sizeof name;
    CHECK_EQ(getsockname(conn, (struct sockaddr *)&name, &name_len), 0);
    CHECK_EQ(name_len, len);
    CHECK(memcmp(&name, addr, len) == 0);
    close(conn);
    close(server);
}

static void named_servers(void) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    /* Abstract: a leading NUL, no file. */
    memcpy(addr.sun_path, "\0courage-test", 13);
    serve_and_connect(&addr, offsetof(struct sockaddr_un, sun_path) + 13);
    /* A path: a socket file appears. */
    unlink("/tmp/courage.sock");
    strcpy(addr.sun_path, "/tmp/courage.sock");
    socklen_t len = offsetof(struct sockaddr_un, sun_path) + strlen(addr.sun_path) + 1;
    serve_and_connect(&addr, len);
    struct stat st;
    CHECK_EQ(stat("/tmp/courage.sock", &st), 0);
    CHECK(S_ISSOCK(st.st_mode));
    /* Nobody listens there any more. */
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    errno = 0;
    CHECK_EQ(connect(c, (struct sockaddr *)&addr, len), -1);
    CHECK_EQ(errno, ECONNREFUSED);
    CHECK_EQ(unlink("/tmp/courage.sock"), 0);
    errno = 0;
    CHECK_EQ(connect(c, (struct sockaddr *)&addr, len), -1);
    CHECK_EQ(errno, ENOENT);
    close(c);
    errno = 0;
    CHECK_EQ(socket(AF_INET6 + 100, SOCK_STREAM, 0), -1);
    CHECK_EQ(errno, EAFNOSUPPORT);
}

/* Socket-level options that change nothing for Unix sockets are still
 * kept and read back (servers set SO_REUSEADDR before bind). */
static void inert_options(void) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    int value = 0;
    socklen_t len = sizeof value;
    CHECK_EQ(getsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &value, &len), 0);
    CHECK_EQ(value, 0);
    int on = 5;
    CHECK_EQ(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on), 0);
    CHECK_EQ(setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on), 0);
    len = sizeof value;
    CHECK_EQ(getsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &value, &len), 0);
    CHECK_EQ(value, 1);
    CHECK_EQ(len, sizeof value);
    CHECK_EQ(getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &value, &len), 0);
    CHECK_EQ(value, 1);
    int priority = 3;
    CHECK_EQ(setsockopt(fd, SOL_SOCKET, SO_PRIORITY, &priority, sizeof priority), 0);
    CHECK_EQ(getsockopt(fd, SOL_SOCKET, SO_PRIORITY, &value, &len), 0);
    CHECK_EQ(value, 3);
    errno = 0;
    CHECK_EQ(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, 2), -1);
    CHECK_EQ(errno, EINVAL);
    close(fd);
}

/* unix(7)'s autobind: bind with only the family, or SO_PASSCRED on an
 * unnamed socket that sends, names it "\0" and five hex digits. */
static int is_autobind_name(const struct sockaddr_un *addr, socklen_t len) {
    if (len != offsetof(struct sockaddr_un, sun_path) + 6 || addr->sun_path[0] != 0)
        return 0;
    for (int i = 1; i < 6; i++)
        if (!strchr("0123456789abcdef", addr->sun_path[i]))
            return 0;
    return 1;
}

/* A connection-oriented socket never connected does not wait to receive:
 * a stream says EINVAL, a packet socket ENOTCONN, listening or not. */
static void receiving_unconnected(void) {
    char byte;
    for (int listening = 0; listening < 2; listening++) {
        int stream = socket(AF_UNIX, SOCK_STREAM, 0);
        int packet = socket(AF_UNIX, SOCK_SEQPACKET, 0);
        if (listening) {
            struct sockaddr_un family_only = {.sun_family = AF_UNIX};
            CHECK_EQ(bind(stream, (struct sockaddr *)&family_only, sizeof(sa_family_t)), 0);
            CHECK_EQ(bind(packet, (struct sockaddr *)&family_only, sizeof(sa_family_t)), 0);
            CHECK_EQ(listen(stream, 1), 0);
            CHECK_EQ(listen(packet, 1), 0);
        }
        errno = 0;
        CHECK_EQ(recv(stream, &byte, 1, 0), -1);
        CHECK_EQ(errno, EINVAL);
        errno = 0;
        CHECK_EQ(read(packet, &byte, 1), -1);
        CHECK_EQ(errno, ENOTCONN);
        close(stream);
        close(packet);
    }
}

/* A blocking receive or accept that a signal interrupts restarts under
 * SA_RESTART and fails with EINTR without it, as signal(7) lists. The
 * signal is SIGUSR1 from a POSIX timer: the runner's cap on a test is an
 * alarm (tests/user-tools/deadline.c), which an itimer would replace. */
static void on_interrupt(int sig) { (void)sig; }

static void interrupted_after(long usec, int restart) {
    static timer_t timer;
    static int made;
    struct sigaction sa = {.sa_handler = on_interrupt, .sa_flags = restart ? SA_RESTART : 0};
    CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
    if (!made) {
        struct sigevent event = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1};
        CHECK_EQ(timer_create(CLOCK_MONOTONIC, &event, &timer), 0);
        made = 1;
    }
    struct itimerspec due = {.it_value = {0, usec * 1000}};
    CHECK_EQ(timer_settime(timer, 0, &due, NULL), 0);
}

static void restarting_waits(void) {
    int sv[2];
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        usleep(300000);
        CHECK_EQ(write(sv[1], "late", 4), 4);
        _exit(0);
    }
    char buf[8];
    interrupted_after(50000, 1);
    CHECK_EQ(recv(sv[0], buf, sizeof buf, 0), 4);
    CHECK_EQ(waitpid(child, NULL, 0), child);
    interrupted_after(50000, 0);
    errno = 0;
    CHECK_EQ(recv(sv[0], buf, sizeof buf, 0), -1);
    CHECK_EQ(errno, EINTR);

    struct sockaddr_un family_only = {.sun_family = AF_UNIX}, name;
    socklen_t len = sizeof name;
    int listener = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_EQ(bind(listener, (struct sockaddr *)&family_only, sizeof(sa_family_t)), 0);
    CHECK_EQ(listen(listener, 1), 0);
    CHECK_EQ(getsockname(listener, (struct sockaddr *)&name, &len), 0);
    child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        usleep(300000);
        int client = socket(AF_UNIX, SOCK_STREAM, 0);
        CHECK_EQ(connect(client, (struct sockaddr *)&name, len), 0);
        _exit(0);
    }
    interrupted_after(50000, 1);
    int accepted = accept(listener, NULL, NULL);
    CHECK(accepted >= 0);
    CHECK_EQ(waitpid(child, NULL, 0), child);
    signal(SIGUSR1, SIG_IGN);
    close(accepted);
    close(listener);
    close(sv[0]);
    close(sv[1]);
}

static long ms_since(const struct timespec *start) {
    struct timespec now;
    CHECK_EQ(clock_gettime(CLOCK_MONOTONIC, &now), 0);
    return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

/* SO_RCVTIMEO and SO_SNDTIMEO: a blocking call gives up with EAGAIN, and
 * a signal ends it with EINTR even under SA_RESTART. */
static void timeouts(void) {
    int sv[2];
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct timeval tv = {0, 200000}, got;
    socklen_t len = sizeof got;
    CHECK_EQ(getsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &got, &len), 0);
    CHECK_EQ(len, sizeof got);
    CHECK_EQ(got.tv_sec + got.tv_usec, 0); /* for ever */
    CHECK_EQ(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
    CHECK_EQ(getsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &got, &len), 0);
    CHECK_EQ(got.tv_sec, 0);
    CHECK_EQ(got.tv_usec, 200000);
    char byte;
    struct timespec start;
    CHECK_EQ(clock_gettime(CLOCK_MONOTONIC, &start), 0);
    errno = 0;
    CHECK_EQ(recv(sv[0], &byte, 1, 0), -1);
    CHECK_EQ(errno, EAGAIN);
    long waited = ms_since(&start);
    CHECK(waited >= 190 && waited < 5000);
    errno = 0;
    CHECK_EQ(read(sv[0], &byte, 1), -1);
    CHECK_EQ(errno, EAGAIN);
    /* Interrupted: EINTR, though the handler asks for restarts. */
    tv.tv_sec = 5;
    CHECK_EQ(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
    interrupted_after(50000, 1);
    CHECK_EQ(clock_gettime(CLOCK_MONOTONIC, &start), 0);
    errno = 0;
    CHECK_EQ(recv(sv[0], &byte, 1, 0), -1);
    CHECK_EQ(errno, EINTR);
    CHECK(ms_since(&start) < 4000);
    signal(SIGUSR1, SIG_IGN);
    /* Data before the time is up is taken as usual. */
    CHECK_EQ(write(sv[1], "x", 1), 1);
    CHECK_EQ(recv(sv[0], &byte, 1, 0), 1);
    /* Checked as Linux checks them. */
    tv.tv_usec = 1000000;
    errno = 0;
    CHECK_EQ(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), -1);
    CHECK_EQ(errno, EDOM);
    errno = 0;
    CHECK_EQ(setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &tv, 8), -1);
    CHECK_EQ(errno, EINVAL);
    /* A send into a full buffer gives up too, having sent nothing. */
    char block[4096];
    memset(block, 's', sizeof block);
    while (send(sv[1], block, sizeof block, MSG_DONTWAIT) > 0) {
    }
    struct timeval short_wait = {0, 100000};
    CHECK_EQ(setsockopt(sv[1], SOL_SOCKET, SO_SNDTIMEO, &short_wait, sizeof short_wait), 0);
    CHECK_EQ(clock_gettime(CLOCK_MONOTONIC, &start), 0);
    errno = 0;
    CHECK_EQ(send(sv[1], block, sizeof block, 0), -1);
    CHECK_EQ(errno, EAGAIN);
    CHECK(ms_since(&start) >= 90);
    close(sv[0]);
    close(sv[1]);
}

/* Closing with bytes unread resets the connection: a stream's reader gets
 * what was queued, then ECONNRESET once (also from SO_ERROR), then end of
 * file; a packet socket's reader the error first. */
static void unread_close_resets(void) {
    for (int packet = 0; packet < 2; packet++) {
        int sv[2];
        char buf[8];
        CHECK_EQ(socketpair(AF_UNIX, packet ? SOCK_SEQPACKET : SOCK_STREAM, 0, sv), 0);
        CHECK_EQ(write(sv[0], "unread", 6), 6);
        CHECK_EQ(write(sv[1], "queued", 6), 6);
        close(sv[1]);
        if (!packet)
            CHECK_EQ(recv(sv[0], buf, sizeof buf, 0), 6);
        errno = 0;
        CHECK_EQ(recv(sv[0], buf, sizeof buf, 0), -1);
        CHECK_EQ(errno, ECONNRESET);
        if (packet)
            CHECK_EQ(recv(sv[0], buf, sizeof buf, 0), 6);
        CHECK_EQ(recv(sv[0], buf, sizeof buf, 0), 0);
        struct sockaddr_un peer;
        socklen_t len = sizeof peer;
        CHECK_EQ(getpeername(sv[0], (struct sockaddr *)&peer, &len), 0);
        close(sv[0]);
    }
    int sv[2], error = 0;
    socklen_t len = sizeof error;
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    CHECK_EQ(write(sv[0], "unread", 6), 6);
    close(sv[1]);
    CHECK_EQ(getsockopt(sv[0], SOL_SOCKET, SO_ERROR, &error, &len), 0);
    CHECK_EQ(error, ECONNRESET);
    char byte;
    CHECK_EQ(recv(sv[0], &byte, 1, 0), 0);
    close(sv[0]);
}

static void autobind(void) {
    struct sockaddr_un a, b, family_only = {.sun_family = AF_UNIX};
    socklen_t a_len = sizeof a, b_len = sizeof b;
    int s1 = socket(AF_UNIX, SOCK_DGRAM, 0), s2 = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK_EQ(bind(s1, (struct sockaddr *)&family_only, sizeof(sa_family_t)), 0);
    CHECK_EQ(bind(s2, (struct sockaddr *)&family_only, sizeof(sa_family_t)), 0);
    CHECK_EQ(getsockname(s1, (struct sockaddr *)&a, &a_len), 0);
    CHECK_EQ(getsockname(s2, (struct sockaddr *)&b, &b_len), 0);
    CHECK(is_autobind_name(&a, a_len));
    CHECK(is_autobind_name(&b, b_len));
    CHECK(memcmp(a.sun_path, b.sun_path, 6) != 0);
    /* A second autobind keeps the name; a connect needs a name. */
    CHECK_EQ(bind(s1, (struct sockaddr *)&family_only, sizeof(sa_family_t)), 0);
    a_len = sizeof a;
    CHECK_EQ(getsockname(s1, (struct sockaddr *)&a, &a_len), 0);
    CHECK_EQ(memcmp(a.sun_path, b.sun_path, 6) != 0, 1);
    errno = 0;
    CHECK_EQ(connect(s2, (struct sockaddr *)&family_only, sizeof(sa_family_t)), -1);
    CHECK_EQ(errno, EINVAL);
    struct sockaddr wrong = {.sa_family = AF_INET};
    int s3 = socket(AF_UNIX, SOCK_DGRAM, 0);
    errno = 0;
    CHECK_EQ(bind(s3, &wrong, sizeof(sa_family_t)), -1);
    CHECK_EQ(errno, EINVAL);
    /* SO_PASSCRED: the first send names the sender, and the receiver sees
     * that name. */
    int on = 1;
    CHECK_EQ(setsockopt(s3, SOL_SOCKET, SO_PASSCRED, &on, sizeof on), 0);
    CHECK_EQ(sendto(s3, "hi", 2, 0, (struct sockaddr *)&a, a_len), 2);
    struct sockaddr_un from, own;
    socklen_t from_len = sizeof from, own_len = sizeof own;
    char buf[4];
    CHECK_EQ(recvfrom(s1, buf, sizeof buf, 0, (struct sockaddr *)&from, &from_len), 2);
    CHECK_EQ(getsockname(s3, (struct sockaddr *)&own, &own_len), 0);
    CHECK(is_autobind_name(&own, own_len));
    CHECK_EQ(from_len, own_len);
    CHECK(memcmp(from.sun_path, own.sun_path, 6) == 0);
    close(s1);
    close(s2);
    close(s3);
}

int main(void) {
    streams();
    receiving_unconnected();
    restarting_waits();
    timeouts();
    unread_close_resets();
    autobind();
    datagrams_and_packets();
    passing_descriptors_and_credentials();
    named_servers();
    inert_options();
    return 0;
}
