/* posix_fallocate, fallocate and posix_fadvise, which glibc and musl pass
 * straight to the kernel: a file grows to the size asked and reads as
 * zeros there, a punched hole reads as zeros, and advice is checked. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "check.h"

static off_t size_of(int fd) {
    struct stat st;
    CHECK_EQ(fstat(fd, &st), 0);
    return st.st_size;
}

int main(void) {
    static const char path[] = "/tmp/fallocate.data";
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0);
    CHECK_EQ(unlink(path), 0);
    CHECK_EQ(write(fd, "abcdefgh", 8), 8);

    /* posix_fallocate returns the error instead of setting errno. */
    CHECK_EQ(posix_fallocate(fd, 4, 3 * 4096), 0);
    CHECK_EQ(size_of(fd), 4 + 3 * 4096);
    char tail[16];
    CHECK_EQ(pread(fd, tail, sizeof tail, 4096), (ssize_t)sizeof tail);
    for (size_t i = 0; i < sizeof tail; i++) CHECK_EQ(tail[i], 0);
    CHECK_EQ(posix_fallocate(fd, 0, 8), 0);
    CHECK_EQ(size_of(fd), 4 + 3 * 4096);

    /* A hole inside the file reads as zeros; the size stays. */
    CHECK_EQ(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 2, 3), 0);
    char head[8];
    CHECK_EQ(pread(fd, head, 8, 0), 8);
    CHECK(memcmp(head, "ab\0\0\0fgh", 8) == 0);
    CHECK_EQ(size_of(fd), 4 + 3 * 4096);
    errno = 0;
    CHECK_EQ(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 1), -1);
    CHECK_EQ(errno, EOPNOTSUPP);

    /* Advice: checked, and a pipe has none. */
    CHECK_EQ(posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL), 0);
    CHECK_EQ(posix_fadvise(fd, 0, 0, 99), EINVAL);
    int pipe_fds[2];
    CHECK_EQ(pipe(pipe_fds), 0);
    CHECK_EQ(posix_fadvise(pipe_fds[0], 0, 0, POSIX_FADV_NORMAL), ESPIPE);
    CHECK_EQ(posix_fallocate(pipe_fds[1], 0, 1), ESPIPE);
    return 0;
}
