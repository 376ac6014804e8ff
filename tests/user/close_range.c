/* close_range: closing a range (including ranges past the end of the
 * table and up to ~0U), CLOSE_RANGE_CLOEXEC marking only the range,
 * CLOSE_RANGE_UNSHARE accepted on a table nobody shares, and EINVAL for an
 * inverted range or unknown flags. (Courage does not share descriptor
 * tables between processes, clone(CLONE_FILES) without CLONE_THREAD is
 * EINVAL, so the shared-table case Linux has is not tested here.) */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static int close_range_raw(unsigned first, unsigned last, unsigned flags) {
    return (int)syscall(SYS_close_range, first, last, flags);
}

static int is_open(int fd) { return fcntl(fd, F_GETFD) >= 0; }

static int is_cloexec(int fd) {
    int flags = fcntl(fd, F_GETFD);
    CHECK(flags >= 0);
    return flags & FD_CLOEXEC;
}

/* Opens pipes until descriptor number `upto` exists. */
static void fill_to(int upto) {
    while (1) {
        int p[2];
        CHECK_EQ(pipe(p), 0);
        if (p[1] >= upto) break;
    }
}

int main(void) {
    /* Start from a known table: only 0, 1 and 2 (if at all) below 3. */
    CHECK_EQ(close_range_raw(3, ~0U, 0), 0);
    errno = 0;
    CHECK_EQ(fcntl(3, F_GETFD), -1);
    CHECK_EQ(errno, EBADF);

    /* Close a middle range only. */
    fill_to(12);
    CHECK_EQ(close_range_raw(5, 8, 0), 0);
    for (int fd = 3; fd <= 12; fd++) CHECK_EQ(is_open(fd), fd < 5 || fd > 8);
    /* first == last closes one; a range over closed or never-opened
     * descriptors, or entirely past the table, is fine. */
    CHECK_EQ(close_range_raw(10, 10, 0), 0);
    CHECK(!is_open(10));
    CHECK_EQ(close_range_raw(5, 8, 0), 0);
    CHECK_EQ(close_range_raw(100000, 200000, 0), 0);
    CHECK_EQ(close_range_raw(~0U, ~0U, 0), 0);
    CHECK_EQ(close_range_raw(11, ~0U, 0), 0);
    for (int fd = 3; fd <= 12; fd++) CHECK_EQ(is_open(fd), fd == 3 || fd == 4 || fd == 9);
    CHECK_EQ(close_range_raw(3, ~0U, 0), 0);
    for (int fd = 3; fd <= 12; fd++) CHECK(!is_open(fd));
    /* The lowest free descriptor is reused afterwards. */
    int p[2];
    CHECK_EQ(pipe(p), 0);
    CHECK_EQ(p[0], 3);
    CHECK_EQ(p[1], 4);
    CHECK_EQ(close_range_raw(3, 4, 0), 0);

    /* CLOSE_RANGE_CLOEXEC marks only the range and closes nothing; a
     * descriptor already close-on-exec stays so. */
    fill_to(10);
    CHECK_EQ(fcntl(9, F_SETFD, FD_CLOEXEC), 0);
    CHECK_EQ(close_range_raw(5, 7, CLOSE_RANGE_CLOEXEC), 0);
    for (int fd = 3; fd <= 10; fd++) {
        CHECK(is_open(fd));
        CHECK_EQ(is_cloexec(fd) != 0, (fd >= 5 && fd <= 7) || fd == 9);
    }
    CHECK_EQ(close_range_raw(8, ~0U, CLOSE_RANGE_CLOEXEC), 0);
    for (int fd = 3; fd <= 10; fd++) CHECK_EQ(is_cloexec(fd) != 0, fd >= 5);
    CHECK_EQ(close_range_raw(3, ~0U, 0), 0);

    /* Errors: first > last, unknown flag bits. */
    fill_to(4);
    errno = 0;
    CHECK_EQ(close_range_raw(4, 3, 0), -1);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK_EQ(close_range_raw(3, 4, 1U << 0), -1);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK_EQ(close_range_raw(3, 4, 1U << 3), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK(is_open(3) && is_open(4));

    fill_to(6);
    /* UNSHARE on an unshared table is simply accepted. */
    CHECK_EQ(close_range_raw(5, ~0U, CLOSE_RANGE_UNSHARE), 0);
    CHECK(is_open(4) && !is_open(5));
    CHECK_EQ(close_range_raw(3, ~0U, CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC), 0);
    CHECK(is_open(3) && is_cloexec(3) && is_cloexec(4));
    CHECK_EQ(close_range_raw(3, ~0U, 0), 0);
    CHECK(!is_open(3));
    return 0;
}
