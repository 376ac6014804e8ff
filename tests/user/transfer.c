/* In-kernel copies: copy_file_range (with and without offset pointers,
 * short copies at end of file, overlap/append/flag errors), splice between
 * files and pipes (offsets, pipe to pipe, non-blocking and error cases),
 * tee (duplicates without consuming), sendfile to a pipe and a file, and
 * vmsplice between user memory and a pipe. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include "check.h"

#ifndef SPLICE_F_NONBLOCK
#define SPLICE_F_NONBLOCK 2
#endif

static char dir[] = "/tmp/transfer.XXXXXX";

static ssize_t copy_range(int in, off_t *off_in, int out, off_t *off_out, size_t len,
                          unsigned flags) {
    return syscall(SYS_copy_file_range, in, off_in, out, off_out, len, flags);
}

static int open_file(const char *name, int flags) {
    char path[64];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, flags | O_CREAT, 0600);
    CHECK(fd >= 0);
    return fd;
}

static void remove_file(const char *name) {
    char path[64];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    CHECK_EQ(unlink(path), 0);
}

static off_t offset_of(int fd) { return lseek(fd, 0, SEEK_CUR); }

static off_t size_of(int fd) {
    struct stat st;
    CHECK_EQ(fstat(fd, &st), 0);
    return st.st_size;
}

/* Reads exactly len bytes at offset 0 and compares them. */
static void expect_contents(int fd, const char *want, size_t len) {
    char buf[128] = {0};
    CHECK(len <= sizeof buf);
    CHECK_EQ(size_of(fd), len);
    CHECK_EQ(pread(fd, buf, sizeof buf, 0), len);
    CHECK(memcmp(buf, want, len) == 0);
}

static void expect_pipe(int fd, const char *want, size_t len) {
    char buf[128] = {0};
    CHECK_EQ(read(fd, buf, sizeof buf), len);
    CHECK(memcmp(buf, want, len) == 0);
}

static void test_copy_file_range(int src) {
    int dst = open_file("copy", O_RDWR | O_TRUNC);

    /* No offset pointers: both file offsets are used and advanced. */
    CHECK_EQ(lseek(src, 2, SEEK_SET), 2);
    CHECK_EQ(copy_range(src, NULL, dst, NULL, 5, 0), 5);
    CHECK_EQ(offset_of(src), 7);
    CHECK_EQ(offset_of(dst), 5);
    expect_contents(dst, "23456", 5);

    /* Offset pointers: they are used and updated, file offsets are not. */
    off_t in = 10, out = 8;
    CHECK_EQ(copy_range(src, &in, dst, &out, 4, 0), 4);
    CHECK_EQ(in, 14);
    CHECK_EQ(out, 12);
    CHECK_EQ(offset_of(src), 7);
    CHECK_EQ(offset_of(dst), 5);
    expect_contents(dst, "23456\0\0\0abcd", 12);

    /* Mixed: pointer for the input only. */
    in = 0;
    CHECK_EQ(copy_range(src, &in, dst, NULL, 1, 0), 1);
    CHECK_EQ(in, 1);
    CHECK_EQ(offset_of(src), 7);
    CHECK_EQ(offset_of(dst), 6);
    expect_contents(dst, "234560\0\0abcd", 12);

    /* Past the end of the source: short copy, then 0; zero length is 0. */
    in = 30;
    out = 0;
    CHECK_EQ(copy_range(src, &in, dst, &out, 100, 0), 6);
    CHECK_EQ(in, 36);
    CHECK_EQ(out, 6);
    CHECK_EQ(copy_range(src, &in, dst, &out, 100, 0), 0);
    in = 1000;
    CHECK_EQ(copy_range(src, &in, dst, &out, 100, 0), 0);
    CHECK_EQ(in, 1000);
    CHECK_EQ(copy_range(src, NULL, dst, NULL, 0, 0), 0);
    expect_contents(dst, "uvwxyz\0\0abcd", 12);

    /* The same file: disjoint ranges are fine, overlapping ones EINVAL. */
    in = 8;
    out = 20;
    CHECK_EQ(copy_range(dst, &in, dst, &out, 4, 0), 4);
    CHECK_EQ(size_of(dst), 24);
    in = 0;
    out = 2;
    errno = 0;
    CHECK_EQ(copy_range(dst, &in, dst, &out, 4, 0), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(in, 0);

    /* Errors: flags, negative offsets, O_APPEND or read-only destination,
     * write-only source, a pipe, a directory. */
    in = 0;
    errno = 0;
    CHECK_EQ(copy_range(src, &in, dst, NULL, 4, 1), -1);
    CHECK_EQ(errno, EINVAL);
    in = -10;
    errno = 0;
    CHECK_EQ(copy_range(src, &in, dst, NULL, 4, 0), -1);
    CHECK_EQ(errno, EINVAL);
    /* Linux checks "offset + count wraps" first: -1 + 4 does, as unsigned. */
    in = -1;
    errno = 0;
    CHECK_EQ(copy_range(src, &in, dst, NULL, 4, 0), -1);
    CHECK_EQ(errno, EOVERFLOW);
    int append = open_file("copy", O_WRONLY | O_APPEND);
    errno = 0;
    CHECK_EQ(copy_range(src, NULL, append, NULL, 4, 0), -1);
    CHECK_EQ(errno, EBADF);
    close(append);
    int ro = open_file("copy", O_RDONLY);
    errno = 0;
    CHECK_EQ(copy_range(src, NULL, ro, NULL, 4, 0), -1);
    CHECK_EQ(errno, EBADF);
    int wo = open_file("copy", O_WRONLY);
    errno = 0;
    CHECK_EQ(copy_range(wo, NULL, dst, NULL, 4, 0), -1);
    CHECK_EQ(errno, EBADF);
    close(wo);
    int p[2];
    CHECK_EQ(pipe(p), 0);
    errno = 0;
    CHECK_EQ(copy_range(src, NULL, p[1], NULL, 4, 0), -1);
    CHECK_EQ(errno, EINVAL);
    close(p[0]);
    close(p[1]);
    int d = open(dir, O_RDONLY | O_DIRECTORY);
    CHECK(d >= 0);
    errno = 0;
    CHECK_EQ(copy_range(d, NULL, dst, NULL, 4, 0), -1);
    CHECK_EQ(errno, EISDIR);
    close(d);
    close(ro);
    close(dst);
    remove_file("copy");
}

static void test_splice(int src) {
    int p[2], q[2];
    CHECK_EQ(pipe(p), 0);
    CHECK_EQ(pipe(q), 0);

    /* File to pipe, with an offset (file offset untouched) and without. */
    CHECK_EQ(lseek(src, 0, SEEK_SET), 0);
    loff_t off = 10;
    CHECK_EQ(splice(src, &off, p[1], NULL, 3, 0), 3);
    CHECK_EQ(off, 13);
    CHECK_EQ(offset_of(src), 0);
    CHECK_EQ(splice(src, NULL, p[1], NULL, 2, 0), 2);
    CHECK_EQ(offset_of(src), 2);
    off = 34;
    CHECK_EQ(splice(src, &off, p[1], NULL, 100, 0), 2);
    CHECK_EQ(off, 36);
    CHECK_EQ(splice(src, &off, p[1], NULL, 100, 0), 0);

    /* Pipe to pipe moves the data. */
    CHECK_EQ(splice(p[0], NULL, q[1], NULL, 100, 0), 7);
    errno = 0;
    CHECK_EQ(splice(p[0], NULL, q[1], NULL, 100, SPLICE_F_NONBLOCK), -1);
    CHECK_EQ(errno, EAGAIN);

    /* Pipe to file at an offset; the file offset stays. */
    int dst = open_file("spliced", O_RDWR | O_TRUNC);
    off = 4;
    CHECK_EQ(splice(q[0], NULL, dst, &off, 100, 0), 7);
    CHECK_EQ(off, 11);
    CHECK_EQ(offset_of(dst), 0);
    expect_contents(dst, "\0\0\0\0abc01yz", 11);
    /* Without an offset, the file offset advances. */
    CHECK_EQ(write(q[1], "PQ", 2), 2);
    CHECK_EQ(splice(q[0], NULL, dst, NULL, 100, 0), 2);
    CHECK_EQ(offset_of(dst), 2);
    expect_contents(dst, "PQ\0\0abc01yz", 11);

    /* An empty pipe: EAGAIN with SPLICE_F_NONBLOCK, 0 once writers are gone. */
    errno = 0;
    CHECK_EQ(splice(q[0], NULL, dst, NULL, 100, SPLICE_F_NONBLOCK), -1);
    CHECK_EQ(errno, EAGAIN);
    CHECK_EQ(splice(q[0], NULL, dst, NULL, 0, 0), 0);

    /* Errors. */
    int other = open_file("spliced", O_RDWR);
    errno = 0;
    CHECK_EQ(splice(src, NULL, other, NULL, 4, 0), -1);
    CHECK_EQ(errno, EINVAL);
    close(other);
    off = 0;
    errno = 0;
    CHECK_EQ(splice(src, NULL, p[1], &off, 4, 0), -1);
    CHECK_EQ(errno, ESPIPE);
    CHECK_EQ(write(p[1], "x", 1), 1);
    errno = 0;
    CHECK_EQ(splice(p[0], &off, dst, NULL, 4, 0), -1);
    CHECK_EQ(errno, ESPIPE);
    errno = 0;
    CHECK_EQ(splice(p[0], NULL, p[1], NULL, 4, 0), -1);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK_EQ(splice(p[0], NULL, q[1], NULL, 4, 0x10), -1);
    CHECK_EQ(errno, EINVAL);
    off = -1;
    errno = 0;
    CHECK_EQ(splice(src, &off, q[1], NULL, 4, 0), -1);
    CHECK_EQ(errno, EINVAL);
    int append = open_file("spliced", O_WRONLY | O_APPEND);
    errno = 0;
    CHECK_EQ(splice(p[0], NULL, append, NULL, 4, 0), -1);
    CHECK_EQ(errno, EINVAL);
    close(append);
    errno = 0;
    CHECK_EQ(splice(p[1], NULL, q[1], NULL, 4, 0), -1);
    CHECK_EQ(errno, EBADF);
    expect_pipe(p[0], "x", 1);

    close(q[1]);
    CHECK_EQ(splice(q[0], NULL, dst, NULL, 100, 0), 0);
    close(q[0]);
    close(p[0]);
    close(p[1]);
    close(dst);
    remove_file("spliced");
}

static void test_tee(int src) {
    int p[2], q[2];
    CHECK_EQ(pipe(p), 0);
    CHECK_EQ(pipe(q), 0);
    CHECK_EQ(write(p[1], "teedata", 7), 7);
    CHECK_EQ(tee(p[0], q[1], 3, 0), 3);
    CHECK_EQ(tee(p[0], q[1], 100, 0), 7);
    expect_pipe(q[0], "teeteedata", 10);
    expect_pipe(p[0], "teedata", 7);

    errno = 0;
    CHECK_EQ(tee(p[0], q[1], 100, SPLICE_F_NONBLOCK), -1);
    CHECK_EQ(errno, EAGAIN);
    errno = 0;
    CHECK_EQ(tee(src, q[1], 4, 0), -1);
    CHECK_EQ(errno, EINVAL);
    int dst = open_file("teed", O_RDWR | O_TRUNC);
    CHECK_EQ(write(p[1], "x", 1), 1);
    errno = 0;
    CHECK_EQ(tee(p[0], dst, 4, 0), -1);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK_EQ(tee(p[0], p[1], 4, 0), -1);
    CHECK_EQ(errno, EINVAL);
    close(dst);
    remove_file("teed");
    close(p[1]);
    expect_pipe(p[0], "x", 1);
    CHECK_EQ(tee(p[0], q[1], 4, 0), 0);
    close(p[0]);
    close(q[0]);
    close(q[1]);
}

static void test_sendfile(int src) {
    int p[2];
    CHECK_EQ(pipe(p), 0);

    /* To a pipe: with an offset (updated, file offset untouched), without
     * (file offset advances), and short at the end of the file. */
    CHECK_EQ(lseek(src, 5, SEEK_SET), 5);
    off_t off = 20;
    CHECK_EQ(sendfile(p[1], src, &off, 4), 4);
    CHECK_EQ(off, 24);
    CHECK_EQ(offset_of(src), 5);
    CHECK_EQ(sendfile(p[1], src, NULL, 3), 3);
    CHECK_EQ(offset_of(src), 8);
    off = 33;
    CHECK_EQ(sendfile(p[1], src, &off, 100), 3);
    CHECK_EQ(off, 36);
    CHECK_EQ(sendfile(p[1], src, &off, 100), 0);
    expect_pipe(p[0], "klmn567xyz", 10);

    /* To a file: written at (and advancing) the destination's offset. */
    int dst = open_file("sent", O_RDWR | O_TRUNC);
    CHECK_EQ(lseek(dst, 2, SEEK_SET), 2);
    off = 10;
    CHECK_EQ(sendfile(dst, src, &off, 6), 6);
    CHECK_EQ(off, 16);
    CHECK_EQ(offset_of(dst), 8);
    CHECK_EQ(sendfile(dst, src, NULL, 2), 2);
    CHECK_EQ(offset_of(src), 10);
    expect_contents(dst, "\0\0abcdef89", 10);

    /* Errors: the source must be seekable/mappable, the destination writable
     * and not O_APPEND, offsets non-negative. */
    CHECK_EQ(write(p[1], "x", 1), 1);
    errno = 0;
    CHECK_EQ(sendfile(dst, p[0], NULL, 1), -1);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK_EQ(sendfile(dst, p[0], &off, 1), -1);
    CHECK_EQ(errno, ESPIPE);
    int append = open_file("sent", O_WRONLY | O_APPEND);
    errno = 0;
    CHECK_EQ(sendfile(append, src, NULL, 1), -1);
    CHECK_EQ(errno, EINVAL);
    close(append);
    int ro = open_file("sent", O_RDONLY);
    errno = 0;
    CHECK_EQ(sendfile(ro, src, NULL, 1), -1);
    CHECK_EQ(errno, EBADF);
    errno = 0;
    CHECK_EQ(sendfile(dst, p[1], NULL, 1), -1);
    CHECK_EQ(errno, EBADF);
    close(ro);
    off = -1;
    errno = 0;
    CHECK_EQ(sendfile(dst, src, &off, 1), -1);
    CHECK_EQ(errno, EINVAL);
    expect_pipe(p[0], "x", 1);

    close(dst);
    remove_file("sent");
    close(p[0]);
    close(p[1]);
}

/* vmsplice: gathered user memory into a pipe's write end, then out of
 * its read end scattered over two buffers; waits or EAGAIN with
 * SPLICE_F_NONBLOCK; only pipe ends; EPIPE without a reader. */
static void test_vmsplice(int src) {
    int p[2];
    CHECK_EQ(pipe(p), 0);
    struct iovec gather[2] = {{"user ", 5}, {"pages", 5}};
    CHECK_EQ(vmsplice(p[1], gather, 2, 0), 10);
    char first[6] = "......", second[6] = "......";
    struct iovec scatter[2] = {{first, 6}, {second, 6}};
    CHECK_EQ(vmsplice(p[0], scatter, 2, 0), 10);
    CHECK(memcmp(first, "user p", 6) == 0);
    CHECK(memcmp(second, "ages..", 6) == 0);
    errno = 0;
    CHECK_EQ(vmsplice(p[0], scatter, 2, SPLICE_F_NONBLOCK), -1);
    CHECK_EQ(errno, EAGAIN);
    /* A full pipe takes what fits, then says EAGAIN. */
    CHECK_EQ(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
    static char big[1 << 16];
    struct iovec all = {big, sizeof big};
    ssize_t first_part = vmsplice(p[1], &all, 1, SPLICE_F_NONBLOCK);
    CHECK(first_part > 0 && first_part <= (ssize_t)sizeof big);
    errno = 0;
    CHECK_EQ(vmsplice(p[1], &all, 1, SPLICE_F_NONBLOCK), -1);
    CHECK_EQ(errno, EAGAIN);
    errno = 0;
    CHECK_EQ(vmsplice(src, gather, 2, 0), -1);
    CHECK_EQ(errno, EBADF);
    errno = 0;
    CHECK_EQ(vmsplice(p[1], gather, 2, 0x10), -1);
    CHECK_EQ(errno, EINVAL);
    close(p[0]);
    signal(SIGPIPE, SIG_IGN);
    errno = 0;
    CHECK_EQ(vmsplice(p[1], gather, 2, 0), -1);
    CHECK_EQ(errno, EPIPE);
    signal(SIGPIPE, SIG_DFL);
    close(p[1]);
}

int main(void) {
    CHECK(mkdtemp(dir) != NULL);
    int src = open_file("source", O_RDWR | O_TRUNC);
    const char *text = "0123456789abcdefghijklmnopqrstuvwxyz";
    CHECK_EQ(write(src, text, 36), 36);

    test_copy_file_range(src);
    test_splice(src);
    test_tee(src);
    test_sendfile(src);
    test_vmsplice(src);

    close(src);
    remove_file("source");
    CHECK_EQ(rmdir(dir), 0);
    return 0;
}
