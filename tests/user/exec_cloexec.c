/* An exec chain: close-on-exec descriptors disappear, others survive. */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "after-exec") == 0) {
        int kept = atoi(argv[2]), closed = atoi(argv[3]);
        CHECK(fcntl(kept, F_GETFD) >= 0);
        CHECK_EQ(fcntl(closed, F_GETFD), -1);
        CHECK_EQ(errno, EBADF);
        char buffer[6] = {0};
        CHECK_EQ(pread(kept, buffer, 5, 0), 5);
        CHECK_EQ(strcmp(buffer, "chain"), 0);
        return 42;
    }
    unlink("/tmp/exec-chain"); /* O_CREAT keeps an old file's mode */
    int kept = open("/tmp/exec-chain", O_CREAT | O_RDWR | O_TRUNC, 0600);
    CHECK(kept >= 0);
    CHECK_EQ(write(kept, "chain", 5), 5);
    int closed = open("/tmp/exec-chain", O_RDONLY | O_CLOEXEC);
    CHECK(closed >= 0);
    CHECK_EQ(fcntl(closed, F_GETFD), FD_CLOEXEC);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        char a[16], b[16];
        snprintf(a, sizeof a, "%d", kept);
        snprintf(b, sizeof b, "%d", closed);
        execl(argv[0], argv[0], "after-exec", a, b, (char *)NULL);
        _exit(99);
    }
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 42);
    /* exec of something that is not a program fails and we keep running
     * (the file must not be open for writing, or exec says ETXTBSY). */
    close(kept);
    CHECK_EQ(execl("/tmp/exec-chain", "x", (char *)NULL), -1);
    CHECK_EQ(errno, EACCES);
    CHECK_EQ(chmod("/tmp/exec-chain", 0700), 0);
    CHECK_EQ(execl("/tmp/exec-chain", "x", (char *)NULL), -1);
    CHECK_EQ(errno, ENOEXEC);
    CHECK_EQ(execl("/does/not/exist", "x", (char *)NULL), -1);
    CHECK_EQ(errno, ENOENT);
    unlink("/tmp/exec-chain");
    return 0;
}
