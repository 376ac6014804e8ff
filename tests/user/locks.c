/* Advisory locks: flock (shared, exclusive, non-blocking, released by the
 * last close of the description), fcntl record locks (ranges, F_GETLK,
 * released by any close of the file, a blocked F_SETLKW woken by the
 * unlock, EDEADLK for a waiting cycle), and open-file-description locks. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

#define FILE_PATH "/tmp/locks-test"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int set_lock(int fd, int cmd, short type, off_t start, off_t len) {
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    return fcntl(fd, cmd, &fl);
}

/* Runs `body` in a child and returns its exit status. */
static int in_child(int (*body)(void)) {
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) _exit(body());
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static int try_flock_ex(void) {
    int fd = open(FILE_PATH, O_RDWR);
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) return 0;
    return errno == EWOULDBLOCK ? 1 : 2;
}

static int try_flock_sh(void) {
    int fd = open(FILE_PATH, O_RDWR);
    if (flock(fd, LOCK_SH | LOCK_NB) == 0) return 0;
    return errno == EWOULDBLOCK ? 1 : 2;
}

static int try_record_write_10(void) {
    int fd = open(FILE_PATH, O_RDWR);
    if (set_lock(fd, F_SETLK, F_WRLCK, 10, 1) == 0) return 0;
    return errno == EAGAIN || errno == EACCES ? 1 : 2;
}

static int get_record_conflict(void) {
    int fd = open(FILE_PATH, O_RDWR);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    if (fcntl(fd, F_GETLK, &fl) != 0) return 3;
    if (fl.l_type == F_UNLCK) return 0;
    return fl.l_pid == getppid() && fl.l_start == 0 && fl.l_len == 20 ? 1 : 2;
}

int main(void) {
    int fd = open(FILE_PATH, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, "0123456789abcdefghijklmnopqrstuvwxyz", 36), 36);

    /* flock: exclusive keeps others out, shared lets shared in. */
    CHECK_EQ(flock(fd, LOCK_EX), 0);
    CHECK_EQ(in_child(try_flock_ex), 1);
    CHECK_EQ(in_child(try_flock_sh), 1);
    CHECK_EQ(flock(fd, LOCK_SH), 0);
    CHECK_EQ(in_child(try_flock_sh), 0);
    CHECK_EQ(in_child(try_flock_ex), 1);
    /* A dup shares the description, and its lock; the last close ends it. */
    int dup_fd = dup(fd);
    close(fd);
    CHECK_EQ(in_child(try_flock_ex), 1);
    close(dup_fd);
    CHECK_EQ(in_child(try_flock_ex), 0);
    errno = 0;
    CHECK_EQ(flock(0, 0), -1);
    CHECK_EQ(errno, EINVAL);

    /* Record locks: ranges, F_GETLK, and release by any close. */
    fd = open(FILE_PATH, O_RDWR);
    CHECK_EQ(set_lock(fd, F_SETLK, F_WRLCK, 0, 20), 0);
    CHECK_EQ(in_child(try_record_write_10), 1);
    CHECK_EQ(in_child(get_record_conflict), 1);
    /* Unlocking the middle frees byte 10. */
    CHECK_EQ(set_lock(fd, F_SETLK, F_UNLCK, 5, 10), 0);
    CHECK_EQ(in_child(try_record_write_10), 0);
    /* Another descriptor of the same file, closed: every lock goes. */
    int other = open(FILE_PATH, O_RDONLY);
    close(other);
    CHECK_EQ(in_child(get_record_conflict), 0);
    errno = 0;
    CHECK_EQ(set_lock(fd, F_SETLK, 7, 0, 1), -1);
    CHECK_EQ(errno, EINVAL);
    int ro = open(FILE_PATH, O_RDONLY);
    errno = 0;
    CHECK_EQ(set_lock(ro, F_SETLK, F_WRLCK, 0, 1), -1);
    CHECK_EQ(errno, EBADF);
    close(ro);

    /* F_SETLKW waits for the holder's unlock. */
    CHECK_EQ(set_lock(fd, F_SETLK, F_WRLCK, 0, 1), 0);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        int cfd = open(FILE_PATH, O_RDWR);
        double start = now();
        if (set_lock(cfd, F_SETLKW, F_WRLCK, 0, 1) != 0) _exit(1);
        _exit(now() - start >= 0.08 ? 0 : 2);
    }
    usleep(100 * 1000);
    CHECK_EQ(set_lock(fd, F_SETLK, F_UNLCK, 0, 1), 0);
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* A cycle of waiters is a deadlock: the second waiter hears EDEADLK. */
    CHECK_EQ(set_lock(fd, F_SETLK, F_WRLCK, 0, 1), 0);
    int ready[2];
    CHECK_EQ(pipe(ready), 0);
    child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        int cfd = open(FILE_PATH, O_RDWR);
        if (set_lock(cfd, F_SETLK, F_WRLCK, 1, 1) != 0) _exit(3);
        if (write(ready[1], "r", 1) != 1) _exit(4);
        /* Waits for the parent's byte 0. */
        _exit(set_lock(cfd, F_SETLKW, F_WRLCK, 0, 1) == 0 ? 0 : 5);
    }
    char byte;
    CHECK_EQ(read(ready[0], &byte, 1), 1);
    usleep(100 * 1000);
    errno = 0;
    CHECK_EQ(set_lock(fd, F_SETLKW, F_WRLCK, 1, 1), -1);
    CHECK_EQ(errno, EDEADLK);
    CHECK_EQ(set_lock(fd, F_SETLK, F_UNLCK, 0, 1), 0);
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* Open-file-description locks: owned by the description, so two
     * opens in one process conflict. */
    int a = open(FILE_PATH, O_RDWR), b = open(FILE_PATH, O_RDWR);
    CHECK_EQ(set_lock(a, F_OFD_SETLK, F_WRLCK, 30, 2), 0);
    errno = 0;
    CHECK_EQ(set_lock(b, F_OFD_SETLK, F_WRLCK, 31, 1), -1);
    CHECK_EQ(errno, EAGAIN);
    struct flock fl = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 31, .l_len = 1};
    CHECK_EQ(fcntl(b, F_OFD_GETLK, &fl), 0);
    CHECK_EQ(fl.l_type, F_WRLCK);
    CHECK_EQ(fl.l_pid, -1);
    close(a);
    CHECK_EQ(set_lock(b, F_OFD_SETLK, F_WRLCK, 31, 1), 0);
    close(b);
    close(fd);
    unlink(FILE_PATH);
    return 0;
}
