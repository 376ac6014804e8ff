/* Waits with a timeout that a stop interrupts go on, once continued, to
 * the deadline they had (poll and a timed futex wait, through
 * restart_syscall as on Linux), not for their whole timeout again;
 * select and ppoll write the time they did not wait back to their
 * timeout (libc's wrappers may hide it, passing copies); a timed futex wait ends with EINTR after a handler even with
 * SA_RESTART, an untimed one restarts. */
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"
#include "timed_waits.h"

/* musl has no <linux/futex.h>. */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1

static long futex_wait(uint32_t *word, uint32_t value, const struct timespec *timeout) {
    return syscall(SYS_futex, word, FUTEX_WAIT, value, timeout, NULL, 0);
}

static int empty_pipe[2];

static int poll_empty_pipe(void) {
    struct pollfd entry = {empty_pipe[0], POLLIN, 0};
    return poll(&entry, 1, 1000) == 0 ? 0 : 10;
}

static int timed_futex_wait(void) {
    static uint32_t word;
    struct timespec timeout = {1, 0};
    return futex_wait(&word, 0, &timeout) == -1 && errno == ETIMEDOUT ? 0 : 10;
}

static volatile sig_atomic_t handled;
static void on_usr1(int signal) {
    (void)signal;
    handled++;
}

int main(void) {
    CHECK_EQ(pipe(empty_pipe), 0);
    check_stopped_wait_keeps_deadline("poll", poll_empty_pipe);
    check_stopped_wait_keeps_deadline("a timed futex wait", timed_futex_wait);

    /* select and ppoll, woken 0.3 s into a 5 s timeout, write back the
     * time they did not wait (measured here: a slow writer moves it). */
    int fds[2];
    CHECK_EQ(pipe(fds), 0);
    for (int round = 0; round < 2; round++) {
        pid_t writer = fork();
        CHECK(writer >= 0);
        if (writer == 0) {
            sleep_seconds(0.3);
            _exit(write(fds[1], "x", 1) == 1 ? 0 : 1);
        }
        double left;
        double began = monotonic_seconds();
        if (round == 0) {
            fd_set set;
            FD_ZERO(&set);
            FD_SET(fds[0], &set);
            struct timeval timeout = {5, 0};
            /* musl's select passes a copy of the timeout too. */
            CHECK_EQ(syscall(SYS_select, fds[0] + 1, &set, NULL, NULL, &timeout), 1);
            left = (double)timeout.tv_sec + (double)timeout.tv_usec / 1e6;
        } else {
            struct pollfd entry = {fds[0], POLLIN, 0};
            struct timespec timeout = {5, 0};
            /* libc's ppoll passes a copy of the timeout: ask directly. */
            CHECK_EQ(syscall(SYS_ppoll, &entry, 1, &timeout, NULL, 8), 1);
            left = (double)timeout.tv_sec + (double)timeout.tv_nsec / 1e9;
        }
        double waited = monotonic_seconds() - began;
        if (left > 4.9 || left < 5.0 - waited - 0.05 || left > 5.0 - waited + 0.05) {
            fprintf(stderr, "%s left %.3f s of a 5 s timeout after waiting %.3f s\n",
                    round == 0 ? "select" : "ppoll", left, waited);
            return 1;
        }
        char byte;
        CHECK_EQ(read(fds[0], &byte, 1), 1);
        reap_ok(writer);
    }

    /* A futex word both processes see. */
    uint32_t *word = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(word != MAP_FAILED);
    struct sigaction action = {0};
    action.sa_handler = on_usr1;
    action.sa_flags = SA_RESTART;
    CHECK_EQ(sigaction(SIGUSR1, &action, NULL), 0);
    pid_t parent = getpid();

    /* A handler ends a timed wait with EINTR, SA_RESTART or not. */
    pid_t sender = signal_later(parent, SIGUSR1, 0.2);
    struct timespec timeout = {10, 0};
    errno = 0;
    double began = monotonic_seconds();
    CHECK_EQ(futex_wait(word, 0, &timeout), -1);
    CHECK_EQ(errno, EINTR);
    CHECK(monotonic_seconds() - began < 9.0);
    CHECK_EQ(handled, 1);
    reap_ok(sender);

    /* An untimed wait restarts after an SA_RESTART handler, and returns
     * when woken. */
    sender = fork();
    CHECK(sender >= 0);
    if (sender == 0) {
        sleep_seconds(0.2);
        CHECK_EQ(kill(parent, SIGUSR1), 0);
        sleep_seconds(0.3);
        *word = 1;
        while (syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0) == 0) {
            sleep_seconds(0.01);
        }
        _exit(0);
    }
    CHECK_EQ(futex_wait(word, 0, NULL), 0);
    CHECK_EQ(handled, 2);
    CHECK_EQ(*word, 1);
    reap_ok(sender);
    return 0;
}
