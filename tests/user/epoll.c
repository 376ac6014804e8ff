/* epoll as event loops use it: level-triggered, edge-triggered and
 * one-shot reports, the control errors Linux gives, a blocking wait woken
 * by another process, timeouts, nested instances, hang-ups, eventfd, the
 * temporary mask of epoll_pwait; and poll/ppoll sleeping on several
 * descriptors at once. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int add(int ep, int fd, uint32_t events, uint64_t data) {
    struct epoll_event ev = {.events = events, .data.u64 = data};
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

/* One wait with a zero timeout: how many, and the first event. */
static int poll_one(int ep, struct epoll_event *first) {
    struct epoll_event evs[8];
    int n = epoll_wait(ep, evs, 8, 0);
    if (n > 0) *first = evs[0];
    return n;
}

/* A child that writes one byte to `fd` after `ms` milliseconds. */
static pid_t write_later(int fd, int ms) {
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        usleep(ms * 1000);
        _exit(write(fd, "z", 1) == 1 ? 0 : 1);
    }
    return child;
}

static void reap(pid_t child) {
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static volatile sig_atomic_t got_usr1;
static void on_usr1(int sig) { (void)sig; got_usr1 = 1; }

int main(void) {
    struct epoll_event ev;
    char byte;
    errno = 0;
    CHECK_EQ(syscall(SYS_epoll_create, 0), -1); /* musl's wrapper hides it */
    CHECK_EQ(errno, EINVAL);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    CHECK(ep >= 0);
    CHECK(fcntl(ep, F_GETFD) & FD_CLOEXEC);
    char link[64] = {0}, path[32];
    snprintf(path, sizeof path, "/proc/self/fd/%d", ep);
    CHECK(readlink(path, link, sizeof link - 1) > 0);
    CHECK(strcmp(link, "anon_inode:[eventpoll]") == 0);

    /* Level-triggered: reported while readable. */
    int p[2];
    CHECK_EQ(pipe(p), 0);
    CHECK_EQ(add(ep, p[0], EPOLLIN, 0x1234567890ull), 0);
    CHECK_EQ(poll_one(ep, &ev), 0);
    CHECK_EQ(write(p[1], "ab", 2), 2);
    CHECK_EQ(poll_one(ep, &ev), 1);
    CHECK_EQ(ev.events, EPOLLIN);
    CHECK_EQ(ev.data.u64, 0x1234567890ull);
    CHECK_EQ(poll_one(ep, &ev), 1);
    CHECK_EQ(read(p[0], &byte, 1), 1);
    CHECK_EQ(poll_one(ep, &ev), 1);
    CHECK_EQ(read(p[0], &byte, 1), 1);
    CHECK_EQ(poll_one(ep, &ev), 0);

    /* Errors. */
    errno = 0;
    CHECK_EQ(add(ep, p[0], EPOLLIN, 0), -1);
    CHECK_EQ(errno, EEXIST);
    errno = 0;
    CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &ev), -1);
    CHECK_EQ(errno, ENOENT);
    errno = 0;
    CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL), -1);
    CHECK_EQ(errno, ENOENT);
    errno = 0;
    CHECK_EQ(add(ep, ep, EPOLLIN, 0), -1);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK_EQ(add(p[0], p[1], EPOLLIN, 0), -1); /* not an epoll */
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK_EQ(add(ep, 999, EPOLLIN, 0), -1);
    CHECK_EQ(errno, EBADF);
    int file = open("/proc/self/exe", O_RDONLY);
    CHECK(file >= 0);
    errno = 0;
    CHECK_EQ(add(ep, file, EPOLLIN, 0), -1); /* regular files are refused */
    CHECK_EQ(errno, EPERM);
    close(file);
    struct epoll_event evs[4];
    errno = 0;
    CHECK_EQ(epoll_wait(ep, evs, 0, 0), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), 0);

    /* Edge-triggered: once per new write. */
    CHECK_EQ(add(ep, p[0], EPOLLIN | EPOLLET, 2), 0);
    CHECK_EQ(write(p[1], "x", 1), 1);
    CHECK_EQ(poll_one(ep, &ev), 1);
    CHECK_EQ(poll_one(ep, &ev), 0);
    CHECK_EQ(write(p[1], "y", 1), 1);
    CHECK_EQ(poll_one(ep, &ev), 1);
    char two[2];
    CHECK_EQ(read(p[0], two, 2), 2);

    /* One-shot: once until re-armed with MOD. */
    struct epoll_event mod = {.events = EPOLLIN | EPOLLONESHOT, .data.u64 = 3};
    CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &mod), 0);
    CHECK_EQ(write(p[1], "x", 1), 1);
    CHECK_EQ(poll_one(ep, &ev), 1);
    CHECK_EQ(ev.data.u64, 3);
    CHECK_EQ(poll_one(ep, &ev), 0);
    CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &mod), 0);
    CHECK_EQ(poll_one(ep, &ev), 1);
    CHECK_EQ(read(p[0], &byte, 1), 1);
    mod.events = EPOLLIN;
    CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &mod), 0);

    /* A blocking wait woken by another process's write. */
    double start = now();
    pid_t child = write_later(p[1], 100);
    CHECK_EQ(epoll_wait(ep, evs, 4, -1), 1);
    CHECK(now() - start >= 0.09);
    CHECK(now() - start < 5);
    reap(child);
    CHECK_EQ(read(p[0], &byte, 1), 1);

    /* A timeout ends an idle wait. */
    start = now();
    CHECK_EQ(epoll_wait(ep, evs, 4, 50), 0);
    CHECK(now() - start >= 0.045);

    /* Nested: the inner instance's readiness makes the outer one ready. */
    int outer = epoll_create1(0);
    CHECK_EQ(add(outer, ep, EPOLLIN, 9), 0);
    errno = 0;
    CHECK_EQ(add(ep, outer, EPOLLIN, 0), -1);
    CHECK_EQ(errno, ELOOP);
    /* EPOLLEXCLUSIVE: never on an epoll instance, nor with RDHUP or PRI. */
    int spare = epoll_create1(0);
    errno = 0;
    CHECK_EQ(add(outer, spare, EPOLLIN | EPOLLEXCLUSIVE, 0), -1);
    CHECK_EQ(errno, EINVAL);
    int q[2];
    CHECK_EQ(pipe(q), 0);
    errno = 0;
    CHECK_EQ(add(outer, q[0], EPOLLIN | EPOLLRDHUP | EPOLLEXCLUSIVE, 0), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(add(outer, q[0], EPOLLIN | EPOLLET | EPOLLEXCLUSIVE, 0), 0);
    CHECK_EQ(epoll_ctl(outer, EPOLL_CTL_DEL, q[0], NULL), 0);
    close(q[0]);
    close(q[1]);
    close(spare);
    CHECK_EQ(poll_one(outer, &ev), 0);
    child = write_later(p[1], 50);
    CHECK_EQ(epoll_wait(outer, evs, 4, 5000), 1);
    CHECK_EQ(evs[0].data.u64, 9);
    reap(child);
    CHECK_EQ(read(p[0], &byte, 1), 1);

    /* An eventfd, and a hang-up when the pipe's writer closes. */
    int efd = eventfd(0, EFD_NONBLOCK);
    CHECK_EQ(add(ep, efd, EPOLLIN, 5), 0);
    uint64_t one = 1;
    CHECK_EQ(write(efd, &one, 8), 8);
    CHECK_EQ(epoll_wait(ep, evs, 4, 0), 1);
    CHECK_EQ(evs[0].data.u64, 5);
    CHECK_EQ(read(efd, &one, 8), 8);
    close(p[1]);
    CHECK_EQ(epoll_wait(ep, evs, 4, 0), 1);
    CHECK_EQ(evs[0].events, EPOLLHUP);
    CHECK_EQ(evs[0].data.u64, 3);
    /* Closing the last descriptor ends the item. */
    close(p[0]);
    CHECK_EQ(epoll_wait(ep, evs, 4, 0), 0);

    /* epoll_pwait: the mask in place only while it waits. */
    signal(SIGUSR1, on_usr1);
    sigset_t blocked, empty;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGUSR1);
    sigemptyset(&empty);
    CHECK_EQ(sigprocmask(SIG_BLOCK, &blocked, NULL), 0);
    pid_t parent = getpid();
    child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        usleep(100 * 1000);
        _exit(kill(parent, SIGUSR1) == 0 ? 0 : 1);
    }
    errno = 0;
    CHECK_EQ(epoll_pwait(ep, evs, 4, 5000, &empty), -1);
    CHECK_EQ(errno, EINTR);
    CHECK(got_usr1);
    reap(child);
    sigset_t after;
    CHECK_EQ(sigprocmask(SIG_BLOCK, NULL, &after), 0);
    CHECK(sigismember(&after, SIGUSR1));

    /* poll on two pipes sleeps on both: a write to the second wakes it. */
    int a[2], b[2];
    CHECK_EQ(pipe(a), 0);
    CHECK_EQ(pipe(b), 0);
    struct pollfd fds[2] = {{.fd = a[0], .events = POLLIN}, {.fd = b[0], .events = POLLIN}};
    start = now();
    child = write_later(b[1], 100);
    CHECK_EQ(poll(fds, 2, 5000), 1);
    CHECK_EQ(fds[0].revents, 0);
    CHECK_EQ(fds[1].revents, POLLIN);
    CHECK(now() - start < 2);
    reap(child);
    /* ppoll's mask, as epoll_pwait's. */
    got_usr1 = 0;
    child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        usleep(100 * 1000);
        _exit(kill(parent, SIGUSR1) == 0 ? 0 : 1);
    }
    struct timespec five = {5, 0};
    errno = 0;
    CHECK_EQ(ppoll(fds, 1, &five, &empty), -1);
    CHECK_EQ(errno, EINTR);
    CHECK(got_usr1);
    reap(child);
    CHECK_EQ(sigprocmask(SIG_BLOCK, NULL, &after), 0);
    CHECK(sigismember(&after, SIGUSR1));
    return 0;
}
