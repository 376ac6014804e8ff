/* Scheduling knobs a user can turn: nice values (raising is free, lowering
 * needs privilege) of a process, a process group or a user's processes,
 * I/O priorities (ionice), and CPU affinity. */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

/* PRIO_PGRP and PRIO_USER, in a group and under a uid of their own so
 * that nothing else is reniced: a child process and its child. */
static void groups_and_users(void) {
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        CHECK_EQ(setpgid(0, 0), 0);
        CHECK_EQ(setresuid(4321, 4321, 4321), 0);
        pid_t member = fork();
        CHECK(member >= 0);
        if (member == 0) {
            for (;;) pause();
        }
        CHECK_EQ(setpriority(PRIO_PGRP, 0, 8), 0);
        CHECK_EQ(getpriority(PRIO_PROCESS, member), 8);
        CHECK_EQ(getpriority(PRIO_PGRP, getpgid(0)), 8);
        CHECK_EQ(setpriority(PRIO_USER, 4321, 11), 0);
        CHECK_EQ(getpriority(PRIO_PROCESS, member), 11);
        CHECK_EQ(getpriority(PRIO_USER, 0), 11);
        CHECK_EQ(setpriority(PRIO_PROCESS, 0, 13), 0);
        CHECK_EQ(getpriority(PRIO_USER, 4321), 11); /* the highest */
        errno = 0;
        CHECK_EQ(setpriority(PRIO_USER, 4321, 2), -1);
        CHECK_EQ(errno, EACCES);
        errno = 0;
        CHECK_EQ(getpriority(PRIO_USER, 4322), -1);
        CHECK_EQ(errno, ESRCH);
        errno = 0;
        CHECK_EQ(getpriority(PRIO_PGRP, 99999), -1);
        CHECK_EQ(errno, ESRCH);
        CHECK_EQ(kill(member, SIGKILL), 0);
        CHECK_EQ(waitpid(member, NULL, 0), member);
        _exit(0);
    }
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

#define IOPRIO_WHO_PROCESS 1
#define IOPRIO(class, level) ((class) << 13 | (level))

static long ioprio_get(int which, int who) { return syscall(SYS_ioprio_get, which, who); }
static long ioprio_set(int which, int who, int value) {
    return syscall(SYS_ioprio_set, which, who, value);
}

/* What ionice sets is read back, inherited by a child, and checked. */
static void io_priorities(void) {
    CHECK_EQ(ioprio_get(IOPRIO_WHO_PROCESS, 0), 0); /* no class yet */
    CHECK_EQ(ioprio_set(IOPRIO_WHO_PROCESS, 0, IOPRIO(2, 7)), 0);
    CHECK_EQ(ioprio_get(IOPRIO_WHO_PROCESS, getpid()), IOPRIO(2, 7));
    errno = 0;
    CHECK_EQ(ioprio_set(IOPRIO_WHO_PROCESS, 0, IOPRIO(5, 0)), -1);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK_EQ(ioprio_set(IOPRIO_WHO_PROCESS, 0, IOPRIO(0, 3)), -1);
    CHECK_EQ(errno, EINVAL);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        CHECK_EQ(ioprio_get(IOPRIO_WHO_PROCESS, 0), IOPRIO(2, 7)); /* inherited */
        CHECK_EQ(setresuid(4321, 4321, 4321), 0);
        errno = 0;
        CHECK_EQ(ioprio_set(IOPRIO_WHO_PROCESS, 0, IOPRIO(1, 0)), -1); /* real time */
        CHECK_EQ(errno, EPERM);
        errno = 0;
        CHECK_EQ(ioprio_set(IOPRIO_WHO_PROCESS, getppid(), IOPRIO(3, 0)), -1);
        CHECK_EQ(errno, EPERM);
        CHECK_EQ(ioprio_set(IOPRIO_WHO_PROCESS, 0, IOPRIO(3, 0)), 0);
        _exit(ioprio_get(IOPRIO_WHO_PROCESS, 0) == IOPRIO(3, 0) ? 0 : 1);
    }
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_EQ(ioprio_set(IOPRIO_WHO_PROCESS, 0, 0), 0);
}

int main(void) {
    groups_and_users();
    io_priorities();
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
