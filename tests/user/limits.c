/* Exhaustion is an error, not a crash: EMFILE for descriptors, EAGAIN for a
 * fork bomb bounded by RLIMIT_NPROC. */
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

int main(void) {
    struct rlimit limit = {64, 64};
    CHECK_EQ(setrlimit(RLIMIT_NOFILE, &limit), 0);
    int last = -1, count = 0;
    for (;;) {
        int fd = open("/", O_RDONLY);
        if (fd < 0) break;
        last = fd;
        count++;
    }
    CHECK_EQ(errno, EMFILE);
    CHECK_EQ(last, 63);
    CHECK_EQ(dup(0), -1);
    CHECK_EQ(errno, EMFILE);
    for (int fd = 3; fd <= last; fd++) close(fd);
    (void)count;

    /* RLIMIT_NPROC does not bind root: bomb as an unprivileged user. */
    pid_t bomber = fork();
    CHECK(bomber >= 0);
    if (bomber != 0) {
        int status;
        CHECK_EQ(waitpid(bomber, &status, 0), bomber);
        CHECK(WIFEXITED(status));
        return WEXITSTATUS(status);
    }
    CHECK_EQ(setgid(65534), 0);
    CHECK_EQ(setuid(65534), 0);
    limit.rlim_cur = limit.rlim_max = 20;
    CHECK_EQ(setrlimit(RLIMIT_NPROC, &limit), 0);
    int pipefd[2];
    CHECK_EQ(pipe(pipefd), 0);
    int forked = 0, failed = 0;
    for (int i = 0; i < 100; i++) {
        pid_t child = fork();
        if (child == 0) {
            char c;
            close(pipefd[1]);
            read(pipefd[0], &c, 1); /* wait until the parent lets go */
            _exit(0);
        }
        if (child < 0) {
            CHECK_EQ(errno, EAGAIN);
            failed++;
            break;
        }
        forked++;
    }
    CHECK(failed == 1);
    CHECK(forked < 100);
    close(pipefd[1]); /* every child reads EOF and exits */
    while (wait(NULL) > 0) {}
    CHECK_EQ(errno, ECHILD);
    return 0;
}
