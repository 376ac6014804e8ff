/* getcwd, chdir, fchdir and chroot. */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

int main(void) {
    char buffer[256];
    CHECK_EQ(mkdir("/tmp/dirs", 0755), 0);
    CHECK_EQ(mkdir("/tmp/dirs/inner", 0755), 0);
    CHECK_EQ(chdir("/tmp/dirs"), 0);
    CHECK(getcwd(buffer, sizeof buffer) != NULL);
    CHECK_EQ(strcmp(buffer, "/tmp/dirs"), 0);
    CHECK_EQ(chdir("inner/.."), 0);
    CHECK(getcwd(buffer, sizeof buffer) != NULL);
    CHECK_EQ(strcmp(buffer, "/tmp/dirs"), 0);
    int root = open("/", O_RDONLY | O_DIRECTORY);
    CHECK(root >= 0);
    CHECK_EQ(fchdir(root), 0);
    CHECK(getcwd(buffer, sizeof buffer) != NULL);
    CHECK_EQ(strcmp(buffer, "/"), 0);
    CHECK_EQ(getcwd(buffer, 1) == NULL, 1);
    CHECK_EQ(errno, ERANGE);
    CHECK_EQ(chdir("/does/not/exist"), -1);
    CHECK_EQ(errno, ENOENT);

    int fd = open("/tmp/dirs/inner/marker", O_CREAT | O_WRONLY, 0644);
    CHECK(fd >= 0);
    close(fd);
    pid_t child = fork();
    if (child == 0) {
        CHECK_EQ(chroot("/tmp/dirs"), 0);
        CHECK_EQ(chdir("/"), 0);
        struct stat st;
        CHECK_EQ(stat("/inner/marker", &st), 0);
        /* .. at the new root stays at the root. */
        CHECK_EQ(stat("/../../inner/marker", &st), 0);
        CHECK_EQ(stat("/tmp", &st), -1);
        _exit(0);
    }
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    unlink("/tmp/dirs/inner/marker");
    rmdir("/tmp/dirs/inner");
    rmdir("/tmp/dirs");
    return 0;
}
