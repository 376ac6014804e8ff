/* Positional vectored I/O: preadv/pwritev at explicit offsets leave the
 * file offset alone; preadv2/pwritev2 treat offset -1 as "use and advance
 * the file offset", accept RWF_HIPRI and reject unknown flags; errors for
 * negative offsets, pipes, and too many iovecs. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include "check.h"

#ifndef RWF_HIPRI
#define RWF_HIPRI 0x00000001
#endif
#ifndef RWF_APPEND
#define RWF_APPEND 0x00000010
#endif
#define UNKNOWN_RWF 0x40000000

/* x86_64 passes the whole offset in pos_l; pos_h is unused. */
static ssize_t preadv2_raw(int fd, const struct iovec *iov, int count, off_t offset, int flags) {
    return syscall(SYS_preadv2, fd, iov, count, (long)offset, 0L, flags);
}

static ssize_t pwritev2_raw(int fd, const struct iovec *iov, int count, off_t offset, int flags) {
    return syscall(SYS_pwritev2, fd, iov, count, (long)offset, 0L, flags);
}

static struct iovec vec(void *base, size_t len) {
    struct iovec iov = {.iov_base = base, .iov_len = len};
    return iov;
}

int main(void) {
    char dir[] = "/tmp/vectored.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[64];
    snprintf(path, sizeof path, "%s/data", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0);

    /* pwritev gathers in order at the offset; the file offset stays 0. */
    char w1[] = "abc", w2[] = "", w3[] = "defgh";
    struct iovec wv[3] = {vec(w1, 3), vec(w2, 0), vec(w3, 5)};
    CHECK_EQ(pwritev(fd, wv, 3, 10), 8);
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 0);
    char buf[32] = {0};
    CHECK_EQ(pread(fd, buf, sizeof buf, 0), 18);
    CHECK(memcmp(buf, "\0\0\0\0\0\0\0\0\0\0abcdefgh", 18) == 0);

    /* preadv scatters in order and stops at end of file. */
    char r1[4] = {0}, r2[2] = {0}, r3[8] = {0};
    struct iovec rv[3] = {vec(r1, 4), vec(r2, 2), vec(r3, 8)};
    CHECK_EQ(preadv(fd, rv, 3, 11), 7);
    CHECK(memcmp(r1, "bcde", 4) == 0);
    CHECK(memcmp(r2, "fg", 2) == 0);
    CHECK(memcmp(r3, "h", 2) == 0);
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 0);
    CHECK_EQ(preadv(fd, rv, 3, 18), 0);
    CHECK_EQ(preadv(fd, rv, 3, 1000), 0);
    CHECK_EQ(preadv(fd, rv, 0, 0), 0);

    /* preadv2/pwritev2 with an explicit offset behave like preadv/pwritev. */
    CHECK_EQ(lseek(fd, 2, SEEK_SET), 2);
    char x[] = "XY";
    struct iovec xv = vec(x, 2);
    CHECK_EQ(pwritev2_raw(fd, &xv, 1, 0, 0), 2);
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 2);
    memset(r1, 0, sizeof r1);
    CHECK_EQ(preadv2_raw(fd, rv, 1, 0, 0), 4);
    CHECK(memcmp(r1, "XY\0\0", 4) == 0);
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 2);

    /* Offset -1: use the file offset and advance it. */
    char z[] = "ZZ";
    struct iovec zv = vec(z, 2);
    CHECK_EQ(pwritev2_raw(fd, &zv, 1, -1, 0), 2);
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 4);
    CHECK_EQ(lseek(fd, 1, SEEK_SET), 1);
    memset(r1, 0, sizeof r1);
    CHECK_EQ(preadv2_raw(fd, rv, 1, -1, 0), 4);
    CHECK(memcmp(r1, "YZZ\0", 4) == 0);
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 5);

    /* RWF_HIPRI is accepted on ordinary (buffered) I/O. */
    memset(r1, 0, sizeof r1);
    CHECK_EQ(preadv2_raw(fd, rv, 1, 10, RWF_HIPRI), 4);
    CHECK(memcmp(r1, "abcd", 4) == 0);
    CHECK_EQ(pwritev2_raw(fd, &xv, 1, 20, RWF_HIPRI), 2);
    CHECK_EQ(pread(fd, buf, 2, 20), 2);
    CHECK(memcmp(buf, "XY", 2) == 0);

    /* RWF_APPEND writes at the end whatever the offset says. */
    CHECK_EQ(pwritev2_raw(fd, &zv, 1, 0, RWF_APPEND), 2);
    CHECK_EQ(lseek(fd, 0, SEEK_END), 24);
    CHECK_EQ(pread(fd, buf, 4, 20), 4);
    CHECK(memcmp(buf, "XYZZ", 4) == 0);

    /* Unknown flag bits: EOPNOTSUPP, for reads and writes. (0x100 is
     * RWF_NOSIGNAL since Linux 6.16, so use a bit that is still free.) */
    errno = 0;
    CHECK_EQ(preadv2_raw(fd, rv, 1, 0, UNKNOWN_RWF), -1);
    CHECK_EQ(errno, EOPNOTSUPP);
    errno = 0;
    CHECK_EQ(pwritev2_raw(fd, &xv, 1, 0, UNKNOWN_RWF), -1);
    CHECK_EQ(errno, EOPNOTSUPP);

    /* Negative offsets: EINVAL; preadv/pwritev give -1 no special meaning. */
    errno = 0;
    CHECK_EQ(preadv(fd, rv, 1, -1), -1);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK_EQ(pwritev(fd, &xv, 1, -5), -1);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK_EQ(preadv2_raw(fd, rv, 1, -2, 0), -1);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK_EQ(pwritev2_raw(fd, &xv, 1, -2, 0), -1);
    CHECK_EQ(errno, EINVAL);

    /* More than IOV_MAX (1024) iovecs: EINVAL; exactly 1024 is fine. */
    static struct iovec many[1025];
    for (int i = 0; i < 1025; i++) many[i] = vec(buf, 1);
    errno = 0;
    CHECK_EQ(preadv(fd, many, 1025, 0), -1);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK_EQ(pwritev(fd, many, 1025, 0), -1);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK_EQ(preadv2_raw(fd, many, 1025, -1, 0), -1);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK_EQ(syscall(SYS_preadv, fd, many, -1L, 0L, 0L), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(preadv(fd, many, 1024, 0), 24);

    /* An iovec length that is negative as a ssize_t: EINVAL. */
    struct iovec huge[2] = {vec(buf, 1), vec(buf, (size_t)SSIZE_MAX + 1)};
    errno = 0;
    CHECK_EQ(preadv(fd, huge, 2, 0), -1);
    CHECK_EQ(errno, EINVAL);

    /* Wrong access mode: EBADF. */
    int ro = open(path, O_RDONLY);
    CHECK(ro >= 0);
    errno = 0;
    CHECK_EQ(pwritev(ro, &xv, 1, 0), -1);
    CHECK_EQ(errno, EBADF);
    close(ro);
    errno = 0;
    CHECK_EQ(preadv(-1, rv, 1, 0), -1);
    CHECK_EQ(errno, EBADF);

    /* Pipes have no positions: ESPIPE, except preadv2/pwritev2 with -1. */
    int p[2];
    CHECK_EQ(pipe(p), 0);
    errno = 0;
    CHECK_EQ(pwritev(p[1], &xv, 1, 0), -1);
    CHECK_EQ(errno, ESPIPE);
    errno = 0;
    CHECK_EQ(pwritev2_raw(p[1], &xv, 1, 0, 0), -1);
    CHECK_EQ(errno, ESPIPE);
    CHECK_EQ(pwritev2_raw(p[1], &xv, 1, -1, 0), 2);
    errno = 0;
    CHECK_EQ(preadv(p[0], rv, 1, 0), -1);
    CHECK_EQ(errno, ESPIPE);
    errno = 0;
    CHECK_EQ(preadv2_raw(p[0], rv, 1, 0, 0), -1);
    CHECK_EQ(errno, ESPIPE);
    memset(r1, 0, sizeof r1);
    CHECK_EQ(preadv2_raw(p[0], rv, 1, -1, 0), 2);
    CHECK(memcmp(r1, "XY", 2) == 0);
    close(p[0]);
    close(p[1]);

    close(fd);
    CHECK_EQ(unlink(path), 0);
    CHECK_EQ(rmdir(dir), 0);
    return 0;
}
