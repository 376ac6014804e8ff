/* Mappings of the same file share its pages: a MAP_SHARED mapping made in
 * another process (its own mmap call, not inherited) sees this one's
 * writes and the other way round, a MAP_PRIVATE mapping reads them until
 * it writes its own copy, and a mapping made after write() sees the new
 * content. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

int main(void) {
    char path[] = "/tmp/mmap-shared-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    char page[4096];
    memset(page, 'A', sizeof page);
    CHECK_EQ(write(fd, page, sizeof page), (long)sizeof page);

    char *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(shared != MAP_FAILED);
    CHECK_EQ(shared[0], 'A');

    int to_child[2], to_parent[2];
    CHECK_EQ(pipe(to_child), 0);
    CHECK_EQ(pipe(to_parent), 0);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        int own = open(path, O_RDWR);
        CHECK(own >= 0);
        char *mine = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, own, 0);
        CHECK(mine != MAP_FAILED);
        strcpy(mine + 100, "from the child");
        CHECK_EQ(write(to_parent[1], "w", 1), 1);
        char c;
        CHECK_EQ(read(to_child[0], &c, 1), 1);
        /* The parent wrote through its mapping meanwhile. */
        CHECK(!strcmp(mine + 200, "from the parent"));
        _exit(0);
    }
    char c;
    CHECK_EQ(read(to_parent[0], &c, 1), 1);
    CHECK(!strcmp(shared + 100, "from the child"));
    strcpy(shared + 200, "from the parent");
    CHECK_EQ(write(to_child[1], "r", 1), 1);
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* A private mapping reads the shared pages, then keeps its own copy. */
    char *private = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK(private != MAP_FAILED);
    CHECK(!strcmp(private + 100, "from the child"));
    strcpy(private + 300, "private");
    CHECK(shared[300] == 'A');

    /* New content through write(): a new mapping sees it. */
    CHECK_EQ(pwrite(fd, "rewritten", 9, 1000), 9);
    char *fresh = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    CHECK(fresh != MAP_FAILED);
    CHECK(!memcmp(fresh + 1000, "rewritten", 9));

    unlink(path);
    printf("mmap_shared ok\n");
    return 0;
}
