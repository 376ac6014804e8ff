/* signalfd: blocked signals read as records (sender, code, value), several
 * at once, a blocking read woken by another process's kill, the mask
 * changed in place, non-blocking reads, and readiness in poll and epoll. */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

int main(void) {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    sigaddset(&mask, SIGUSR2);
    CHECK_EQ(sigprocmask(SIG_BLOCK, &mask, NULL), 0);
    int fd = signalfd(-1, &mask, SFD_CLOEXEC);
    CHECK(fd >= 0);
    char path[32], link[64] = {0};
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    CHECK(readlink(path, link, sizeof link - 1) > 0);
    CHECK(strcmp(link, "anon_inode:[signalfd]") == 0);

    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    CHECK_EQ(poll(&pfd, 1, 0), 0);
    CHECK_EQ(kill(getpid(), SIGUSR1), 0);
    union sigval value = {.sival_int = 42};
    CHECK_EQ(sigqueue(getpid(), SIGUSR2, value), 0);
    CHECK_EQ(poll(&pfd, 1, 0), 1);
    struct signalfd_siginfo info[4];
    CHECK_EQ(read(fd, info, sizeof info), 2 * (long)sizeof info[0]);
    CHECK_EQ(info[0].ssi_signo, SIGUSR1);
    CHECK_EQ(info[0].ssi_code, SI_USER);
    CHECK_EQ(info[0].ssi_pid, (unsigned)getpid());
    CHECK_EQ(info[0].ssi_uid, getuid());
    CHECK_EQ(info[1].ssi_signo, SIGUSR2);
    CHECK_EQ(info[1].ssi_code, SI_QUEUE);
    CHECK_EQ(info[1].ssi_int, 42);
    errno = 0;
    CHECK_EQ(read(fd, info, 10), -1);
    CHECK_EQ(errno, EINVAL);

    /* A blocking read waits for another process's kill; epoll sees it. */
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN};
    CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
    pid_t parent = getpid();
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        usleep(100 * 1000);
        _exit(kill(parent, SIGUSR2) == 0 ? 0 : 1);
    }
    CHECK_EQ(epoll_wait(ep, &ev, 1, 5000), 1);
    CHECK_EQ(read(fd, info, sizeof info[0]), (long)sizeof info[0]);
    CHECK_EQ(info[0].ssi_signo, SIGUSR2);
    CHECK_EQ(info[0].ssi_pid, (unsigned)child);
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        usleep(100 * 1000);
        _exit(kill(parent, SIGUSR1) == 0 ? 0 : 1);
    }
    CHECK_EQ(read(fd, info, sizeof info[0]), (long)sizeof info[0]);
    CHECK_EQ(info[0].ssi_signo, SIGUSR1);
    CHECK_EQ(waitpid(child, &status, 0), child);
    /* The reaped child's SIGCHLD is not in the mask: left alone. */

    /* A new mask in place; non-blocking reads. */
    sigset_t only2;
    sigemptyset(&only2);
    sigaddset(&only2, SIGUSR2);
    CHECK_EQ(signalfd(fd, &only2, 0), fd);
    CHECK_EQ(kill(getpid(), SIGUSR1), 0);
    int nb = signalfd(-1, &only2, SFD_NONBLOCK);
    errno = 0;
    CHECK_EQ(read(nb, info, sizeof info), -1);
    CHECK_EQ(errno, EAGAIN);
    CHECK_EQ(poll(&pfd, 1, 0), 0);
    /* SIGUSR1 is still pending, for sigwait. */
    int signo;
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    CHECK_EQ(sigwait(&usr1, &signo), 0);
    CHECK_EQ(signo, SIGUSR1);
    errno = 0;
    CHECK_EQ(signalfd(0, &mask, 0), -1); /* stdin is no signalfd */
    CHECK_EQ(errno, EINVAL);
    return 0;
}
