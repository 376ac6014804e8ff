/* Process descriptors: pidfd_open, readiness when the process exits (poll
 * and epoll), pidfd_send_signal (kill and sigqueue forms), waitid(P_PIDFD),
 * ESRCH once the process is reaped, and /proc/<pid> directories taken as
 * pidfds by pidfd_send_signal. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static int pidfd_open(pid_t pid, unsigned flags) { return (int)syscall(SYS_pidfd_open, pid, flags); }

static int pidfd_send_signal(int fd, int sig, siginfo_t *info, unsigned flags) {
    return (int)syscall(SYS_pidfd_send_signal, fd, sig, info, flags);
}

static pid_t sleeper(int ms) {
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        usleep(ms * 1000);
        _exit(7);
    }
    return child;
}

int main(void) {
    errno = 0;
    CHECK_EQ(pidfd_open(999999, 0), -1);
    CHECK_EQ(errno, ESRCH);
    pid_t child = sleeper(100000);
    errno = 0;
    CHECK_EQ(pidfd_open(child, 1), -1);
    CHECK_EQ(errno, EINVAL);
    int fd = pidfd_open(child, 0);
    CHECK(fd >= 0);
    CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    char path[32], link[64] = {0};
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    CHECK(readlink(path, link, sizeof link - 1) > 0);
    CHECK(strcmp(link, "anon_inode:[pidfd]") == 0);

    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    CHECK_EQ(poll(&pfd, 1, 0), 0);
    CHECK_EQ(pidfd_send_signal(fd, 0, NULL, 0), 0);
    errno = 0;
    CHECK_EQ(pidfd_send_signal(fd, SIGTERM, NULL, 1u << 8), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(pidfd_send_signal(fd, SIGTERM, NULL, 0), 0);
    CHECK_EQ(poll(&pfd, 1, 5000), 1);
    CHECK_EQ(pfd.revents, POLLIN);
    siginfo_t info;
    memset(&info, 0, sizeof info);
    CHECK_EQ(waitid(P_PIDFD, fd, &info, WEXITED), 0);
    CHECK_EQ(info.si_pid, child);
    CHECK_EQ(info.si_code, CLD_KILLED);
    CHECK_EQ(info.si_status, SIGTERM);
    errno = 0;
    CHECK_EQ(pidfd_send_signal(fd, SIGTERM, NULL, 0), -1);
    CHECK_EQ(errno, ESRCH);
    close(fd);

    /* An exit wakes an epoll on the pidfd; the sigqueue form carries a value. */
    child = sleeper(100);
    fd = pidfd_open(child, 0);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN};
    CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
    CHECK_EQ(epoll_wait(ep, &ev, 1, 5000), 1);
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7);
    close(fd);

    /* Not a pidfd: EBADF. */
    int p[2];
    CHECK_EQ(pipe(p), 0);
    errno = 0;
    CHECK_EQ(pidfd_send_signal(p[0], SIGTERM, NULL, 0), -1);
    CHECK_EQ(errno, EBADF);

    /* A /proc/<pid> directory serves as a pidfd for sending signals. */
    child = sleeper(100000);
    char dir[32];
    snprintf(dir, sizeof dir, "/proc/%d", (int)child);
    int procfd = open(dir, O_RDONLY | O_DIRECTORY);
    CHECK(procfd >= 0);
    CHECK_EQ(pidfd_send_signal(procfd, SIGKILL, NULL, 0), 0);
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    errno = 0;
    CHECK_EQ(pidfd_send_signal(procfd, SIGKILL, NULL, 0), -1);
    CHECK_EQ(errno, ESRCH);
    close(procfd);

    /* pidfd_getfd: the child's pipe end, duplicated into this process,
     * carries bytes to the end this process kept. */
    int carrier[2];
    CHECK_EQ(pipe(carrier), 0);
    child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        close(carrier[0]);
        pause();
        _exit(0);
    }
    close(carrier[1]);
    fd = (int)syscall(SYS_pidfd_open, child, 0);
    CHECK(fd >= 0);
    int taken = (int)syscall(SYS_pidfd_getfd, fd, carrier[1], 0);
    CHECK(taken >= 0);
    CHECK_EQ(fcntl(taken, F_GETFD), FD_CLOEXEC);
    CHECK_EQ(write(taken, "via", 3), 3);
    char bytes[3];
    CHECK_EQ(read(carrier[0], bytes, 3), 3);
    CHECK_EQ(syscall(SYS_pidfd_getfd, fd, 999, 0), -1);
    CHECK_EQ(errno, EBADF);
    CHECK_EQ(kill(child, SIGKILL), 0);
    CHECK_EQ(waitpid(child, &status, 0), child);
    close(fd);
    return 0;
}
