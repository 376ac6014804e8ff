/* mremap in its forms: shrink, grow in place, grow by moving (contents
 * carried, old range gone), MREMAP_FIXED over another mapping,
 * MREMAP_DONTUNMAP, a second mapping of shared memory (old_size 0), file
 * mappings keeping their offset, and Linux's errors. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

static long page;

static char *map(void *at, size_t len, int flags) {
    char *p = mmap(at, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
    CHECK(p != MAP_FAILED);
    return p;
}

/* Whether touching addr kills a child with SIGSEGV. */
static int faults(volatile char *addr) {
    pid_t child = fork();
    if (child == 0) {
        (void)*addr;
        _exit(0);
    }
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV;
}

int main(void) {
    page = sysconf(_SC_PAGESIZE);

    /* Reserve a window, then carve mappings out of it at known places. */
    char *window = map(NULL, 16 * page, 0);
    CHECK_EQ(munmap(window, 16 * page), 0);

    /* Shrink: the tail goes, the head stays. */
    char *a = map(window, 4 * page, MAP_FIXED);
    strcpy(a, "head");
    CHECK(mremap(a, 4 * page, page, 0) == a);
    CHECK(!strcmp(a, "head"));
    CHECK(faults(a + 2 * page));

    /* Grow in place into the free pages after it. */
    CHECK(mremap(a, page, 3 * page, 0) == a);
    a[3 * page - 1] = 'z';
    CHECK(!strcmp(a, "head"));

    /* Blocked by a neighbour: ENOMEM without MAYMOVE, a move with it. */
    char *neighbour = map(a + 3 * page, page, MAP_FIXED);
    strcpy(neighbour, "neighbour");
    errno = 0;
    CHECK(mremap(a, 3 * page, 8 * page, 0) == MAP_FAILED && errno == ENOMEM);
    strcpy(a + page, "second page");
    char *moved = mremap(a, 3 * page, 8 * page, MREMAP_MAYMOVE);
    CHECK(moved != MAP_FAILED && moved != a);
    CHECK(!strcmp(moved, "head"));
    CHECK(!strcmp(moved + page, "second page"));
    CHECK_EQ(moved[3 * page - 1], 'z');
    CHECK_EQ(moved[8 * page - 1], 0);
    CHECK(faults(a));
    CHECK(!strcmp(neighbour, "neighbour"));

    /* MREMAP_FIXED onto the neighbour replaces it. */
    char *fixed = mremap(moved, page, page, MREMAP_MAYMOVE | MREMAP_FIXED, neighbour);
    CHECK(fixed == neighbour);
    CHECK(!strcmp(fixed, "head"));
    CHECK(faults(moved));
    CHECK(!strcmp(moved + page, "second page")); /* the rest stayed */

    /* MREMAP_DONTUNMAP: the pages move, the old range reads zero. */
    char *source = map(NULL, page, 0);
    strcpy(source, "moving");
    char *target = mremap(source, page, page, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);
    CHECK(target != MAP_FAILED && target != source);
    CHECK(!strcmp(target, "moving"));
    CHECK_EQ(source[0], 0);

    /* old_size 0 on shared memory: a second window onto the same pages. */
    char *shared = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(shared != MAP_FAILED);
    char *alias = mremap(shared, 0, 2 * page, MREMAP_MAYMOVE);
    CHECK(alias != MAP_FAILED && alias != shared);
    strcpy(alias + page, "through the alias");
    CHECK(!strcmp(shared + page, "through the alias"));

    /* A private file mapping keeps its file offset when it moves. */
    char path[] = "/tmp/mremap-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    unlink(path);
    for (int i = 0; i < 4; i++) {
        char block[4096];
        memset(block, 'a' + i, sizeof block);
        CHECK_EQ(write(fd, block, sizeof block), (long)sizeof block);
    }
    char *file = mmap(NULL, 2 * page, PROT_READ, MAP_PRIVATE, fd, page);
    CHECK(file != MAP_FAILED);
    map(file + 2 * page, page, MAP_FIXED); /* block in-place growth */
    char *grown = mremap(file, 2 * page, 3 * page, MREMAP_MAYMOVE);
    CHECK(grown != MAP_FAILED && grown != file);
    CHECK_EQ(grown[0], 'b');
    CHECK_EQ(grown[page], 'c');
    CHECK_EQ(grown[2 * page], 'd'); /* faulted in from offset 3 pages */
    close(fd);

    /* Errors. */
    char *e = map(NULL, 2 * page, 0);
    errno = 0;
    CHECK(mremap(e + 1, page, page, 0) == MAP_FAILED && errno == EINVAL);
    errno = 0;
    CHECK(mremap(e, page, 0, 0) == MAP_FAILED && errno == EINVAL);
    errno = 0;
    CHECK(mremap(e, page, page, MREMAP_FIXED, window) == MAP_FAILED && errno == EINVAL);
    errno = 0;
    CHECK(mremap(e, page, page, 0x80) == MAP_FAILED && errno == EINVAL);
    errno = 0;
    CHECK(mremap(e, page, 2 * page, MREMAP_MAYMOVE | MREMAP_DONTUNMAP) == MAP_FAILED &&
          errno == EINVAL);
    errno = 0;
    CHECK(mremap(e, 2 * page, 2 * page, MREMAP_MAYMOVE | MREMAP_FIXED, e + page) == MAP_FAILED &&
          errno == EINVAL);
    errno = 0;
    CHECK(mremap(e, 0, page, MREMAP_MAYMOVE) == MAP_FAILED && errno == EINVAL); /* private */
    CHECK_EQ(munmap(e + page, page), 0);
    errno = 0;
    CHECK(mremap(e + page, page, page, 0) == MAP_FAILED && errno == EFAULT);
    errno = 0;
    CHECK(mremap(e, 2 * page, 4 * page, MREMAP_MAYMOVE) == MAP_FAILED && errno == EFAULT);

    /* What libc does with it: a big realloc keeps its contents. */
    size_t big = 1 << 20;
    char *buffer = malloc(big);
    CHECK(buffer != NULL);
    memset(buffer, 7, big);
    buffer = realloc(buffer, 8 * big);
    CHECK(buffer != NULL);
    for (size_t i = 0; i < big; i += 4096) CHECK_EQ(buffer[i], 7);
    free(buffer);

    printf("mremap ok\n");
    return 0;
}
