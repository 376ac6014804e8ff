/* madvise(MADV_DONTNEED) drops pages as Linux does: private anonymous
 * memory reads as zeros again, a private file mapping shows the file
 * again, shared memory keeps what was written, and a forked child's drop
 * leaves its parent's copy alone. Allocators rely on the zeros. mincore
 * sees the dropped page out of memory. */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

#define PAGE 4096

static int all(const unsigned char *p, size_t len, unsigned char value) {
    for (size_t i = 0; i < len; i++)
        if (p[i] != value) return 0;
    return 1;
}

int main(void) {
    /* Private anonymous: the dropped page is zero, its neighbours kept. */
    unsigned char *anon = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(anon != MAP_FAILED);
    memset(anon, 0xaa, 3 * PAGE);
    CHECK_EQ(madvise(anon + PAGE, PAGE, MADV_DONTNEED), 0);
    /* mincore sees the dropped page gone, its neighbours in memory. */
    unsigned char resident[3];
    CHECK_EQ(mincore(anon, 3 * PAGE, resident), 0);
    CHECK(resident[0] & 1);
    CHECK(!(resident[1] & 1));
    CHECK(resident[2] & 1);
    CHECK(all(anon, PAGE, 0xaa));
    CHECK(all(anon + PAGE, PAGE, 0));
    CHECK(all(anon + 2 * PAGE, PAGE, 0xaa));

    /* A forked child drops its copy; the parent's stays. */
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        if (madvise(anon, 3 * PAGE, MADV_DONTNEED) != 0) _exit(2);
        _exit(all(anon, 3 * PAGE, 0) ? 0 : 3);
    }
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(all(anon, PAGE, 0xaa));

    /* Private file mapping: the written copy goes, the file comes back. */
    static const char path[] = "/tmp/madvise.data";
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0);
    CHECK_EQ(unlink(path), 0);
    unsigned char block[PAGE];
    memset(block, 'f', sizeof block);
    CHECK_EQ(write(fd, block, sizeof block), PAGE);
    unsigned char *private = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK(private != MAP_FAILED);
    memset(private, 'm', 16);
    CHECK_EQ(madvise(private, PAGE, MADV_DONTNEED), 0);
    CHECK(all(private, PAGE, 'f'));
    /* MADV_FREE is for private anonymous memory only. */
    errno = 0;
    CHECK_EQ(madvise(private, PAGE, MADV_FREE), -1);
    CHECK_EQ(errno, EINVAL);

    /* Shared memory keeps what was written. */
    unsigned char *shared = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
                                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(shared != MAP_FAILED);
    memset(shared, 's', PAGE);
    CHECK_EQ(madvise(shared, PAGE, MADV_DONTNEED), 0);
    CHECK(all(shared, PAGE, 's'));

    /* MADV_FREE: the old bytes or zeros, and writes after it stick. */
    CHECK_EQ(madvise(anon, PAGE, MADV_FREE), 0);
    CHECK(all(anon, PAGE, 0xaa) || all(anon, PAGE, 0));
    memset(anon, 0x55, PAGE);
    CHECK(all(anon, PAGE, 0x55));

    /* A hole is ENOMEM; advice no kernel knows is EINVAL. */
    CHECK_EQ(munmap(anon + PAGE, PAGE), 0);
    errno = 0;
    CHECK_EQ(madvise(anon, 3 * PAGE, MADV_DONTNEED), -1);
    CHECK_EQ(errno, ENOMEM);
    CHECK(all(anon + 2 * PAGE, PAGE, 0));
    errno = 0;
    CHECK_EQ(madvise(anon, PAGE, 7), -1);
    CHECK_EQ(errno, EINVAL);
    return 0;
}
