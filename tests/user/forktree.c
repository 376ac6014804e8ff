/* A fork tree of depth 5; every exit status comes back through wait4 and
 * waitid. */
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

/* Each process forks two children below it and exits with the number of
 * processes in its subtree (itself included), which its parent adds up. */
static int subtree(int depth) {
    if (depth == 0) return 1;
    int total = 1;
    pid_t children[2];
    for (int i = 0; i < 2; i++) {
        children[i] = fork();
        CHECK(children[i] >= 0);
        if (children[i] == 0) _exit(subtree(depth - 1));
    }
    /* One child through wait4, the other through waitid. */
    int status;
    struct rusage usage;
    CHECK_EQ(wait4(children[0], &status, 0, &usage), children[0]);
    CHECK(WIFEXITED(status));
    total += WEXITSTATUS(status);
    siginfo_t info;
    memset(&info, 0, sizeof info);
    CHECK_EQ(waitid(P_PID, children[1], &info, WEXITED), 0);
    CHECK_EQ(info.si_pid, children[1]);
    CHECK_EQ(info.si_code, CLD_EXITED);
    CHECK_EQ(info.si_signo, SIGCHLD);
    total += info.si_status;
    return total;
}

int main(void) {
    /* 1 + 2 + 4 + 8 + 16 + 32 = 63 processes in a depth-5 binary tree. */
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) _exit(subtree(5));
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 63);
    /* No children left. */
    CHECK_EQ(wait(&status), -1);
    CHECK_EQ(errno, ECHILD);
    /* WNOHANG with a running child returns 0. */
    int pipefd[2];
    CHECK_EQ(pipe(pipefd), 0);
    child = fork();
    if (child == 0) {
        char c;
        read(pipefd[0], &c, 1);
        _exit(7);
    }
    CHECK_EQ(waitpid(child, &status, WNOHANG), 0);
    CHECK_EQ(write(pipefd[1], "x", 1), 1);
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK_EQ(WEXITSTATUS(status), 7);
    return 0;
}
