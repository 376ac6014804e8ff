/* eventfd as event loops use it: writes add to a counter, a read takes it
 * (or one, in semaphore mode), poll reports readiness, and a reader
 * blocked on zero wakes when another process writes. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

static uint64_t take(int fd) {
    uint64_t value = 0;
    CHECK_EQ(read(fd, &value, sizeof value), 8);
    return value;
}

static void add(int fd, uint64_t value) {
    CHECK_EQ(write(fd, &value, sizeof value), 8);
}

int main(void) {
    int fd = eventfd(3, 0);
    CHECK(fd >= 0);
    add(fd, 4);
    CHECK_EQ(take(fd), 7);

    /* Non-blocking: an empty counter is EAGAIN; close-on-exec is kept. */
    int nb = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    CHECK(nb >= 0);
    CHECK(fcntl(nb, F_GETFD) & FD_CLOEXEC);
    CHECK(fcntl(nb, F_GETFL) & O_NONBLOCK);
    uint64_t value;
    CHECK_EQ(read(nb, &value, sizeof value), -1);
    CHECK_EQ(errno, EAGAIN);
    /* Short buffers, the value -1, and an overflow. */
    CHECK_EQ(read(nb, &value, 4), -1);
    CHECK_EQ(errno, EINVAL);
    value = UINT64_MAX;
    CHECK_EQ(write(nb, &value, 8), -1);
    CHECK_EQ(errno, EINVAL);
    add(nb, UINT64_MAX - 1);
    value = 1;
    CHECK_EQ(write(nb, &value, 8), -1);
    CHECK_EQ(errno, EAGAIN);
    struct pollfd pfd = {.fd = nb, .events = POLLIN | POLLOUT};
    CHECK_EQ(poll(&pfd, 1, 0), 1);
    CHECK_EQ(pfd.revents, POLLIN);
    CHECK_EQ(take(nb), UINT64_MAX - 1);
    CHECK_EQ(poll(&pfd, 1, 0), 1);
    CHECK_EQ(pfd.revents, POLLOUT);
    CHECK_EQ(eventfd(0, 0x10), -1);
    CHECK_EQ(errno, EINVAL);

    /* Semaphore mode: one per read. */
    int sem = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
    CHECK(sem >= 0);
    CHECK_EQ(take(sem), 1);
    CHECK_EQ(take(sem), 1);
    CHECK_EQ(read(sem, &value, 8), -1);
    CHECK_EQ(errno, EAGAIN);

    /* A reader sleeping on zero wakes when a child writes; poll too. */
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        usleep(100 * 1000);
        add(fd, 5);
        _exit(0);
    }
    CHECK_EQ(take(fd), 5);
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        usleep(100 * 1000);
        add(fd, 1);
        _exit(0);
    }
    struct pollfd in = {.fd = fd, .events = POLLIN};
    CHECK_EQ(poll(&in, 1, 5000), 1);
    CHECK(in.revents & POLLIN);
    CHECK_EQ(take(fd), 1);
    CHECK_EQ(waitpid(child, &status, 0), child);
    return 0;
}
