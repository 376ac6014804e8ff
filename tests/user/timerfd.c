/* timerfd: a periodic timer read blocking and counted, the setting read
 * back, absolute and disarmed timers, non-blocking reads, and a timer
 * waking epoll and poll. */
#define _GNU_SOURCE
#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct itimerspec ms(long value, long interval) {
    struct itimerspec spec = {
        .it_value = {value / 1000, (value % 1000) * 1000000},
        .it_interval = {interval / 1000, (interval % 1000) * 1000000},
    };
    return spec;
}

int main(void) {
    errno = 0;
    CHECK_EQ(timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0), -1);
    CHECK_EQ(errno, EINVAL);
    int t = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    CHECK(t >= 0);
    char path[32], link[64] = {0};
    snprintf(path, sizeof path, "/proc/self/fd/%d", t);
    CHECK(readlink(path, link, sizeof link - 1) > 0);
    CHECK(strcmp(link, "anon_inode:[timerfd]") == 0);

    /* Periodic: the first read blocks until the first expiry. */
    struct itimerspec spec = ms(60, 20), old;
    double start = now();
    CHECK_EQ(timerfd_settime(t, 0, &spec, &old), 0);
    CHECK_EQ(old.it_value.tv_sec + old.it_value.tv_nsec, 0);
    uint64_t count = 0;
    CHECK_EQ(read(t, &count, 8), 8);
    CHECK(now() - start >= 0.055);
    CHECK(count >= 1);
    struct itimerspec cur;
    CHECK_EQ(timerfd_gettime(t, &cur), 0);
    CHECK_EQ(cur.it_interval.tv_nsec, 20000000);
    CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 20000000);
    /* Missed periods add up. */
    usleep(100 * 1000);
    CHECK_EQ(read(t, &count, 8), 8);
    CHECK(count >= 4);
    char small[4];
    errno = 0;
    CHECK_EQ(read(t, small, 4), -1);
    CHECK_EQ(errno, EINVAL);

    /* Disarmed: nothing to read (non-blocking), the setting is zero. */
    spec = ms(0, 0);
    CHECK_EQ(timerfd_settime(t, 0, &spec, &old), 0);
    CHECK_EQ(old.it_interval.tv_nsec, 20000000);
    int nb = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    errno = 0;
    CHECK_EQ(read(nb, &count, 8), -1);
    CHECK_EQ(errno, EAGAIN);

    /* Absolute, on the wall clock, seen by epoll and poll. */
    int r = timerfd_create(CLOCK_REALTIME, 0);
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    wall.tv_nsec += 50 * 1000000;
    if (wall.tv_nsec >= 1000000000) {
        wall.tv_sec++;
        wall.tv_nsec -= 1000000000;
    }
    spec.it_interval = (struct timespec){0, 0};
    spec.it_value = wall;
    CHECK_EQ(timerfd_settime(r, TFD_TIMER_ABSTIME, &spec, NULL), 0);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7};
    CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, r, &ev), 0);
    start = now();
    CHECK_EQ(epoll_wait(ep, &ev, 1, 5000), 1);
    CHECK_EQ(ev.data.u32, 7);
    CHECK(now() - start < 2);
    struct pollfd pfd = {.fd = r, .events = POLLIN};
    CHECK_EQ(poll(&pfd, 1, 0), 1);
    CHECK_EQ(read(r, &count, 8), 8);
    CHECK_EQ(count, 1);
    CHECK_EQ(poll(&pfd, 1, 0), 0);

    /* A one-shot timer wakes a poll on several descriptors. */
    int p[2];
    CHECK_EQ(pipe(p), 0);
    spec = ms(40, 0);
    CHECK_EQ(timerfd_settime(nb, 0, &spec, NULL), 0);
    struct pollfd two[2] = {{.fd = p[0], .events = POLLIN}, {.fd = nb, .events = POLLIN}};
    start = now();
    CHECK_EQ(poll(two, 2, 5000), 1);
    CHECK_EQ(two[1].revents, POLLIN);
    CHECK(now() - start >= 0.035 && now() - start < 2);
    return 0;
}
