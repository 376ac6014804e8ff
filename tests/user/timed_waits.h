/* Helpers for the tests of timed waits and what interrupts them
 * (sleep_restart.c, wait_restart.c): clocks, a child stopped part way
 * through and continued, a signal sent a moment later. */
#ifndef COURAGE_TIMED_WAITS_H
#define COURAGE_TIMED_WAITS_H
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

/* CLOCK_MONOTONIC in seconds. */
static inline double monotonic_seconds(void) {
    struct timespec t;
    CHECK_EQ(clock_gettime(CLOCK_MONOTONIC, &t), 0);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Sleeps `seconds`, through any interruption. */
static inline void sleep_seconds(double seconds) {
    struct timespec t = {(time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9)};
    while (nanosleep(&t, &t) != 0) {
    }
}

/* Lets `child` run `running` seconds, stops it, continues it `stopped`
 * seconds later and reaps it. Its exit status goes to `exit_status` (the
 * check fails if it did not exit). */
static inline void stop_then_continue(pid_t child, double running, double stopped,
                                      int *exit_status) {
    sleep_seconds(running);
    int status;
    CHECK_EQ(kill(child, SIGSTOP), 0);
    CHECK_EQ(waitpid(child, &status, WUNTRACED), child);
    CHECK(WIFSTOPPED(status));
    sleep_seconds(stopped);
    CHECK_EQ(kill(child, SIGCONT), 0);
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status));
    *exit_status = WEXITSTATUS(status);
}

/* Runs `wait`, a call that must time out after 1 s (0 when it did), in a
 * child that is stopped 0.2 s after it says it is about to call it and
 * continued 0.5 s later, and checks that the call took about 1 s, as the
 * child measured it: 1.7 s if the stop made it start over, 0.7 s if it
 * returned at SIGCONT. The child measures, and says when it starts, so
 * that a slow machine cannot fail the check: a child stopped before it
 * called `wait` still takes 1 s. */
static inline void check_stopped_wait_keeps_deadline(const char *name, int (*wait)(void)) {
    volatile double *took =
        mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(took != MAP_FAILED);
    int ready[2];
    CHECK_EQ(pipe(ready), 0);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        CHECK_EQ(write(ready[1], "r", 1), 1);
        double began = monotonic_seconds();
        int failed = wait();
        *took = monotonic_seconds() - began;
        _exit(failed);
    }
    char byte;
    CHECK_EQ(read(ready[0], &byte, 1), 1);
    CHECK_EQ(close(ready[0]), 0);
    CHECK_EQ(close(ready[1]), 0);
    int status;
    stop_then_continue(child, 0.2, 0.5, &status);
    if (status != 0) {
        fprintf(stderr, "%s: the child's call failed (%d)\n", name, status);
        exit(1);
    }
    if (*took < 0.95 || *took > 1.4) {
        fprintf(stderr, "%s took %.2f s of its 1 s timeout, stopped 0.5 s of them\n", name,
                *took);
        exit(1);
    }
    CHECK_EQ(munmap((void *)took, 4096), 0);
}

/* A child that sends `signal` to `target` after `seconds` and exits. */
static inline pid_t signal_later(pid_t target, int signal, double seconds) {
    pid_t sender = fork();
    CHECK(sender >= 0);
    if (sender == 0) {
        sleep_seconds(seconds);
        _exit(kill(target, signal) == 0 ? 0 : 1);
    }
    return sender;
}

/* Reaps `child`, which must have exited with status 0. */
static inline void reap_ok(pid_t child) {
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

#endif
