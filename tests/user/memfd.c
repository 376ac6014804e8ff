/* memfd_create: the /proc/self/fd name, MFD_CLOEXEC, flag and name-length
 * errors, read/write/lseek/ftruncate/fstat on the file, and file sealing
 * (F_GET_SEALS/F_ADD_SEALS with WRITE, GROW, SHRINK and SEAL, EINVAL on
 * files that cannot be sealed), EBUSY for F_SEAL_WRITE while a shared
 * mapping could write the file (in this process or another), and a shared
 * mapping of a read-only descriptor that mprotect cannot make writable.
 * page_cache.c covers mappings coherent with read/write. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#endif
#ifndef MFD_ALLOW_SEALING
#define MFD_ALLOW_SEALING 0x0002U
#endif
#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_GET_SEALS 1034
#endif
#ifndef F_SEAL_SEAL
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#define F_SEAL_WRITE 0x0008
#endif
#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

static int memfd(const char *name, unsigned flags) {
    return (int)syscall(SYS_memfd_create, name, flags);
}

static void fd_link(int fd, char *link, size_t size) {
    char path[32];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    memset(link, 0, size);
    CHECK(readlink(path, link, size - 1) > 0);
}

static off_t file_size(int fd) {
    struct stat st;
    CHECK_EQ(fstat(fd, &st), 0);
    return st.st_size;
}

static void test_seals(void) {
    /* Without MFD_ALLOW_SEALING the file is born sealed against sealing. */
    int fd = memfd("plain", 0);
    CHECK(fd >= 0);
    CHECK_EQ(fcntl(fd, F_GET_SEALS), F_SEAL_SEAL);
    errno = 0;
    CHECK_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), -1);
    CHECK_EQ(errno, EPERM);
    close(fd);

    fd = memfd("sealed", MFD_ALLOW_SEALING);
    CHECK(fd >= 0);
    CHECK_EQ(fcntl(fd, F_GET_SEALS), 0);
    CHECK_EQ(write(fd, "0123456789", 10), 10);
    errno = 0;
    CHECK_EQ(fcntl(fd, F_ADD_SEALS, 0x100), -1);
    CHECK_EQ(errno, EINVAL);

    /* GROW: no ftruncate bigger and no write past the end; shrinking and
     * writing inside the file still work. */
    CHECK_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW), 0);
    CHECK_EQ(fcntl(fd, F_GET_SEALS), F_SEAL_GROW);
    errno = 0;
    CHECK_EQ(ftruncate(fd, 4096), -1);
    CHECK_EQ(errno, EPERM);
    errno = 0;
    CHECK_EQ(pwrite(fd, "x", 1, 10), -1);
    CHECK_EQ(errno, EPERM);
    CHECK_EQ(pwrite(fd, "AB", 2, 0), 2);
    CHECK_EQ(ftruncate(fd, 10), 0);
    CHECK_EQ(ftruncate(fd, 8), 0);
    CHECK_EQ(file_size(fd), 8);

    /* SHRINK: no ftruncate smaller; the same size is fine. */
    CHECK_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), 0);
    CHECK_EQ(fcntl(fd, F_GET_SEALS), F_SEAL_GROW | F_SEAL_SHRINK);
    errno = 0;
    CHECK_EQ(ftruncate(fd, 4), -1);
    CHECK_EQ(errno, EPERM);
    CHECK_EQ(ftruncate(fd, 8), 0);
    CHECK_EQ(file_size(fd), 8);

    /* WRITE: write and shared writable mmap fail; reads and private or
     * read-only mappings are fine. Adding a seal twice is harmless. */
    CHECK_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), 0);
    CHECK_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), 0);
    CHECK_EQ(fcntl(fd, F_GET_SEALS), F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_WRITE);
    errno = 0;
    CHECK_EQ(pwrite(fd, "x", 1, 0), -1);
    CHECK_EQ(errno, EPERM);
    errno = 0;
    CHECK(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED);
    CHECK_EQ(errno, EPERM);
    char *map = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    CHECK(map != MAP_FAILED);
    CHECK(memcmp(map, "AB234567", 8) == 0);
    CHECK_EQ(munmap(map, 4096), 0);
    map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK(map != MAP_FAILED);
    map[0] = 'z';
    CHECK_EQ(munmap(map, 4096), 0);
    char buf[16] = {0};
    CHECK_EQ(pread(fd, buf, sizeof buf, 0), 8);
    CHECK(memcmp(buf, "AB234567", 8) == 0);

    /* SEAL: no more seals of any kind. */
    CHECK_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL), 0);
    errno = 0;
    CHECK_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), -1);
    CHECK_EQ(errno, EPERM);
    errno = 0;
    CHECK_EQ(fcntl(fd, F_ADD_SEALS, 0), -1);
    CHECK_EQ(errno, EPERM);
    CHECK_EQ(fcntl(fd, F_GET_SEALS), F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_WRITE | F_SEAL_SEAL);
    close(fd);

    /* F_SEAL_WRITE waits until no shared mapping may write: neither this
     * process's nor a child's (read-only and private ones do not count). */
    fd = memfd("busy", MFD_ALLOW_SEALING);
    CHECK_EQ(ftruncate(fd, 4096), 0);
    char *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(shared != MAP_FAILED);
    char *private = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK(private != MAP_FAILED);
    errno = 0;
    CHECK_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), -1);
    CHECK_EQ(errno, EBUSY);
    /* Made read-only, it could be made writable again: still busy. */
    CHECK_EQ(mprotect(shared, 4096, PROT_READ), 0);
    errno = 0;
    CHECK_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), -1);
    CHECK_EQ(errno, EBUSY);
    int go[2];
    CHECK_EQ(pipe(go), 0);
    pid_t child = fork();
    if (child == 0) {
        char c;
        /* The inherited mapping keeps the file busy until the child exits. */
        _exit(read(go[0], &c, 1) == 1 ? 0 : 1);
    }
    CHECK_EQ(munmap(shared, 4096), 0);
    errno = 0;
    CHECK_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), -1);
    CHECK_EQ(errno, EBUSY);
    CHECK_EQ(write(go[1], "x", 1), 1);
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), 0);
    CHECK_EQ(munmap(private, 4096), 0);
    close(go[0]);
    close(go[1]);
    close(fd);

    /* A shared mapping of a read-only descriptor stays read-only. */
    fd = memfd("readonly-map", 0);
    CHECK_EQ(ftruncate(fd, 4096), 0);
    char view_path[32];
    snprintf(view_path, sizeof view_path, "/proc/self/fd/%d", fd);
    int rofd = open(view_path, O_RDONLY);
    CHECK(rofd >= 0);
    char *view = mmap(NULL, 4096, PROT_READ, MAP_SHARED, rofd, 0);
    CHECK(view != MAP_FAILED);
    errno = 0;
    CHECK_EQ(mprotect(view, 4096, PROT_READ | PROT_WRITE), -1);
    CHECK_EQ(errno, EACCES);
    CHECK_EQ(munmap(view, 4096), 0);
    close(rofd);
    close(fd);

    /* A read-only descriptor cannot add seals. */
    fd = memfd("ro", MFD_ALLOW_SEALING);
    char path[32];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    int ro = open(path, O_RDONLY);
    CHECK(ro >= 0);
    CHECK_EQ(fcntl(ro, F_GET_SEALS), 0);
    errno = 0;
    CHECK_EQ(fcntl(ro, F_ADD_SEALS, F_SEAL_GROW), -1);
    CHECK_EQ(errno, EPERM);
    close(ro);
    close(fd);

    /* Files that do not support sealing: a pipe, and a regular file (on
     * tmpfs such files exist but are born with F_SEAL_SEAL, hence EPERM). */
    int p[2];
    CHECK_EQ(pipe(p), 0);
    errno = 0;
    CHECK_EQ(fcntl(p[1], F_ADD_SEALS, F_SEAL_WRITE), -1);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK_EQ(fcntl(p[0], F_GET_SEALS), -1);
    CHECK_EQ(errno, EINVAL);
    close(p[0]);
    close(p[1]);

    char dir[] = "/tmp/memfd.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char file[64];
    snprintf(file, sizeof file, "%s/regular", dir);
    fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0);
    struct statfs fs;
    CHECK_EQ(fstatfs(fd, &fs), 0);
    int expected = fs.f_type == TMPFS_MAGIC ? EPERM : EINVAL;
    errno = 0;
    CHECK_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), -1);
    CHECK_EQ(errno, expected);
    close(fd);
    CHECK_EQ(unlink(file), 0);
    CHECK_EQ(rmdir(dir), 0);
}

int main(void) {
    /* Name, close-on-exec. */
    int fd = memfd("courage", 0);
    CHECK(fd >= 0);
    char link[300];
    fd_link(fd, link, sizeof link);
    CHECK(strcmp(link, "/memfd:courage (deleted)") == 0);
    CHECK_EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
    int cfd = memfd("", MFD_CLOEXEC);
    CHECK(cfd >= 0);
    CHECK(fcntl(cfd, F_GETFD) & FD_CLOEXEC);
    fd_link(cfd, link, sizeof link);
    CHECK(strcmp(link, "/memfd: (deleted)") == 0);
    close(cfd);
    CHECK_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);

    /* Errors: unknown flags, a name over 249 bytes, a bad pointer. */
    errno = 0;
    CHECK_EQ(memfd("bad", 0x100), -1);
    CHECK_EQ(errno, EINVAL);
    char name[260];
    memset(name, 'n', sizeof name);
    name[249] = 0;
    cfd = memfd(name, 0);
    CHECK(cfd >= 0);
    fd_link(cfd, link, sizeof link);
    CHECK_EQ(strlen(link), strlen("/memfd:") + 249 + strlen(" (deleted)"));
    close(cfd);
    name[249] = 'n';
    name[250] = 0;
    errno = 0;
    CHECK_EQ(memfd(name, 0), -1);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK_EQ(memfd((const char *)1, 0), -1);
    CHECK_EQ(errno, EFAULT);

    /* An ordinary file: empty, then written, sought, read, truncated. */
    CHECK_EQ(file_size(fd), 0);
    CHECK_EQ(write(fd, "hello world", 11), 11);
    CHECK_EQ(file_size(fd), 11);
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 11);
    CHECK_EQ(lseek(fd, 6, SEEK_SET), 6);
    char buf[32] = {0};
    CHECK_EQ(read(fd, buf, sizeof buf), 5);
    CHECK(memcmp(buf, "world", 5) == 0);
    CHECK_EQ(read(fd, buf, sizeof buf), 0);
    CHECK_EQ(ftruncate(fd, 5), 0);
    CHECK_EQ(file_size(fd), 5);
    CHECK_EQ(ftruncate(fd, 8192), 0);
    CHECK_EQ(file_size(fd), 8192);
    CHECK_EQ(pread(fd, buf, 8, 0), 8);
    CHECK(memcmp(buf, "hello\0\0\0", 8) == 0);
    CHECK_EQ(lseek(fd, 0, SEEK_END), 8192);
    errno = 0;
    CHECK_EQ(ftruncate(fd, -1), -1);
    CHECK_EQ(errno, EINVAL);

    close(fd);

    test_seals();
    return 0;
}
