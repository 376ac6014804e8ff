/* Helpers for the tests of timed waits and what interrupts them
 * (sleep_restart.c, wait_restart.c): clocks, a child stopped part way
 * through and continued, a signal sent a moment later. */
#ifndef COURAGE_TIMED_WAITS_H
#define COURAGE_TIMED_WAITS_H
#include <signal.h>
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
 * seconds later and reaps it: how long it ran on after SIGCONT. Its exit
 * status goes to `exit_status` (the check fails if it did not exit). */
static inline double stop_then_continue(pid_t child, double running, double stopped,
                                        int *exit_status) {
    sleep_seconds(running);
    int status;
    CHECK_EQ(kill(child, SIGSTOP), 0);
    CHECK_EQ(waitpid(child, &status, WUNTRACED), child);
    CHECK(WIFSTOPPED(status));
    sleep_seconds(stopped);
    double continued = monotonic_seconds();
    CHECK_EQ(kill(child, SIGCONT), 0);
    CHECK_EQ(waitpid(child, &status, 0), child);
    double after = monotonic_seconds() - continued;
    CHECK(WIFEXITED(status));
    *exit_status = WEXITSTATUS(status);
    return after;
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
