/* One copy of a file's pages: a store through a MAP_SHARED mapping is what
 * read() returns at once, a write() is what every mapping shows, both
 * across processes and for memfd; msync and munmap keep the data in the
 * file; truncation cuts what the mapping reads back after growing again;
 * and a private mapping reads the file until it writes its own copy. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

static void store_then_read(void) {
    char path[] = "/tmp/page-cache-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    CHECK_EQ(ftruncate(fd, 8192), 0);
    char *map = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(map != MAP_FAILED);
    memcpy(map + 4090, "across-pages", 12);
    char buf[16] = {0};
    CHECK_EQ(pread(fd, buf, 12, 4090), 12);
    CHECK(memcmp(buf, "across-pages", 12) == 0);
    /* And the other way: write() shows in the mapping at once. */
    CHECK_EQ(pwrite(fd, "WRITTEN", 7, 100), 7);
    CHECK(memcmp(map + 100, "WRITTEN", 7) == 0);
    /* A private mapping reads the file, then keeps its own copy. */
    char *private = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK(private != MAP_FAILED);
    CHECK(memcmp(private + 100, "WRITTEN", 7) == 0);
    private[100] = 'w';
    CHECK_EQ(map[100], 'W');
    CHECK_EQ(pread(fd, buf, 1, 100), 1);
    CHECK_EQ(buf[0], 'W');
    CHECK_EQ(munmap(private, 4096), 0);
    /* msync succeeds and unmapping keeps what was stored. */
    map[0] = 'M';
    CHECK_EQ(msync(map, 8192, MS_SYNC), 0);
    CHECK_EQ(munmap(map, 8192), 0);
    CHECK_EQ(pread(fd, buf, 1, 0), 1);
    CHECK_EQ(buf[0], 'M');
    struct stat st;
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK_EQ(st.st_size, 8192);
    close(fd);
    /* Reopened by name, the stores are the file's content. */
    fd = open(path, O_RDONLY);
    CHECK_EQ(pread(fd, buf, 12, 4090), 12);
    CHECK(memcmp(buf, "across-pages", 12) == 0);
    close(fd);
    unlink(path);
}

static void across_processes(void) {
    char path[] = "/tmp/page-cache-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    CHECK_EQ(ftruncate(fd, 4096), 0);
    int ready[2];
    CHECK_EQ(pipe(ready), 0);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        /* The child's own mapping (not inherited) stores; the parent reads. */
        char *map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (map == MAP_FAILED) _exit(2);
        memcpy(map + 8, "from-child", 10);
        if (write(ready[1], "x", 1) != 1) _exit(3);
        _exit(0);
    }
    /* Only the child writes: if it dies first, the read sees end of file. */
    close(ready[1]);
    char c;
    CHECK_EQ(read(ready[0], &c, 1), 1);
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    char buf[10];
    CHECK_EQ(pread(fd, buf, 10, 8), 10);
    CHECK(memcmp(buf, "from-child", 10) == 0);
    close(ready[0]);
    close(fd);
    unlink(path);
}

static void truncation_cuts_the_mapping(void) {
    int fd = memfd_create("page-cache", 0);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, "0123456789", 10), 10);
    char *map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(map != MAP_FAILED);
    CHECK_EQ(map[9], '9');
    map[20] = 'z'; /* past the size, inside the page: kept only in memory */
    CHECK_EQ(ftruncate(fd, 4), 0);
    CHECK_EQ(ftruncate(fd, 4096), 0);
    /* The cut bytes read as zeros through read() and the mapping alike. */
    char buf[12];
    CHECK_EQ(pread(fd, buf, 12, 0), 12);
    CHECK(memcmp(buf, "0123\0\0\0\0\0\0\0\0", 12) == 0);
    CHECK_EQ(map[5], 0);
    CHECK_EQ(map[20], 0);
    CHECK_EQ(map[3], '3');
    CHECK_EQ(munmap(map, 4096), 0);
    close(fd);
}

int main(void) {
    store_then_read();
    across_processes();
    truncation_cuts_the_mapping();
    puts("page_cache: ok");
    return 0;
}
