/* Scheduling knobs a user can turn: nice values (raising is free, lowering
 * needs privilege) and CPU affinity. */
#define _GNU_SOURCE
#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

int main(void) {
    errno = 0;
    CHECK_EQ(getpriority(PRIO_PROCESS, 0), 0);
    CHECK_EQ(errno, 0);
    CHECK_EQ(setpriority(PRIO_PROCESS, 0, 5), 0);
    CHECK_EQ(getpriority(PRIO_PROCESS, 0), 5);
    pid_t child = fork();
    if (child == 0) {
        CHECK_EQ(getpriority(PRIO_PROCESS, 0), 5); /* inherited */
        CHECK_EQ(setuid(65534), 0);
        CHECK_EQ(setpriority(PRIO_PROCESS, 0, 10), 0);
        CHECK_EQ(setpriority(PRIO_PROCESS, 0, 0), -1);
        CHECK_EQ(errno, EACCES);
        CHECK_EQ(setpriority(PRIO_PROCESS, 1, 19), -1);
        CHECK_EQ(errno, EPERM);
        _exit(0);
    }
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_EQ(setpriority(PRIO_PROCESS, 0, 0), 0);

    cpu_set_t set;
    CPU_ZERO(&set);
    CHECK_EQ(sched_getaffinity(0, sizeof set, &set), 0);
    CHECK(CPU_ISSET(0, &set));
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    CHECK_EQ(sched_setaffinity(0, sizeof set, &set), 0);
    return 0;
}
